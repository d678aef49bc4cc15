"""``clutch nba``: season backfills (the live sensor and the UI cover the rest)."""

from __future__ import annotations

from pathlib import Path

import click

from clutch_pipeline.cli.common import console, migrated_database_url, one_line_errors, print_run_report
from clutch_pipeline.settings import load_settings


@click.group()
def nba() -> None:
    """NBA play-by-play: season backfills (the live sensor and the UI cover the rest)."""


@nba.command("backfill")
@click.option("--season", required=True, help="Season to load, e.g. 2022-23.")
@click.option(
    "--archive",
    type=click.Path(exists=True, path_type=Path),
    help="A folder or .tar.xz of play-by-play JSON. Without it: the games from the CDN's schedule "
    "(current season) or the stats league game log (past seasons), their play-by-play from the CDN "
    "(stats v3 where the CDN does not serve a game).",
)
@click.option(
    "--manifest",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV (file, actual_game_id or game_id, optional game_date); default: MANIFEST.csv in the archive.",
)
@click.option("--force", is_flag=True, help="Reload games whose content did not change.")
def nba_backfill(season: str, archive: Path | None, manifest: Path | None, force: bool) -> None:
    """Load a whole season's play-by-play and clutch tables in ONE Dagster run.

    Games already loaded and unchanged are skipped unless --force, so an interrupted backfill resumes.
    """
    from clutch_pipeline.db.connection import DatabaseUnreachable, connect
    from clutch_pipeline.http_retry import HttpGaveUp
    from clutch_pipeline.nba.backfill import BackfillError, plan_backfill
    from clutch_pipeline.nba.resources import NbaResource
    from clutch_pipeline.runs import backfill_launch, launch_run, open_instance

    url = migrated_database_url()  # the tables it writes must exist; a no-op when they do
    with one_line_errors(BackfillError, HttpGaveUp, ValueError, OSError), connect(url) as conn:
        plan = plan_backfill(season, archive, manifest, force, conn=conn, sources=NbaResource().sources)
    with one_line_errors(DatabaseUnreachable):
        instance = open_instance(load_settings())
    launch = backfill_launch(plan)
    console.print(f"{launch.title}: one run")
    with console.status("loading"):
        report = launch_run(instance, launch, launched_by="clutch nba backfill", on_wait=console.print)
    print_run_report(report, f"backfill of {season}")
