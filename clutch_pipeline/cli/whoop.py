"""``clutch whoop``: consent, syncs outside the schedule, and the local WHOOP simulator."""

from __future__ import annotations

from pathlib import Path

import click

from clutch_pipeline.cli.common import (
    console,
    migrated_database_url,
    one_line_errors,
    print_run_report,
    whoop_app,
)
from clutch_pipeline.settings import load_settings


@click.group()
def whoop() -> None:
    """WHOOP: consent, syncs outside the schedule, and the local WHOOP simulator."""


@whoop.command("authorize-url")
@click.option("--player", "nba_person_id", required=True, type=int, help="The athlete's NBA person id.")
def whoop_authorize_url(nba_person_id: int) -> None:
    """Print WHOOP's authorization URL for an athlete (single-use state, valid 15 minutes)."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.budget import utc_now
    from clutch_pipeline.whoop.consent import authorization_url
    from clutch_pipeline.whoop.store import UnknownPlayer

    url, app = migrated_database_url(), whoop_app()
    with one_line_errors(UnknownPlayer), connect(url) as conn:
        click.echo(authorization_url(conn, app, nba_person_id, utc_now()))


@whoop.command("consent-link")
@click.option("--player", "nba_person_id", required=True, type=int, help="The athlete's NBA person id.")
@click.option(
    "--hours", default=72, show_default=True, type=click.IntRange(1, 24 * 30), help="How long it works."
)
@click.option(
    "--base-url",
    help="The service's address as the athlete reaches it. Default: the origin of WHOOP_REDIRECT_URI.",
)
def whoop_consent_link(nba_person_id: int, hours: int, base_url: str | None) -> None:
    """Print a link to the athlete's own consent page (what is collected, his consent, connect or
    revoke), signed with the session secret: it opens his page and no other, until it expires."""
    from datetime import timedelta
    from urllib.parse import urlsplit

    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.service.signing import consent_link, session_secret
    from clutch_pipeline.whoop import store
    from clutch_pipeline.whoop.budget import utc_now

    settings = load_settings()
    with connect(migrated_database_url()) as conn:
        if store.consent_status(conn, nba_person_id) is None:
            raise click.ClickException(f"unknown player {nba_person_id}")
    if base_url is None:
        redirect = urlsplit(settings.whoop_redirect_uri)
        base_url = f"{redirect.scheme}://{redirect.netloc}"
    expires = utc_now() + timedelta(hours=hours)
    click.echo(consent_link(session_secret(settings), base_url, nba_person_id, expires))
    click.echo(
        f"valid until {expires:%Y-%m-%d %H:%M} UTC; it opens player {nba_person_id}'s consent page only",
        err=True,
    )


def _check_players(url: str, players: tuple[int, ...]) -> None:
    """Every --player must be a known player with a WHOOP consent: a typo is an error, not a quiet
    sync of nobody."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop import store

    with connect(url) as conn:
        statuses = {p: store.consent_status(conn, p) for p in players}
    unknown = sorted(p for p, s in statuses.items() if s is None)
    if unknown:
        raise click.ClickException(f"unknown player(s): {', '.join(map(str, unknown))}")
    without = sorted(p for p, s in statuses.items() if not s["consent_granted"])
    if without:
        raise click.ClickException(
            f"no WHOOP consent for player(s) {', '.join(map(str, without))}: "
            "`clutch whoop authorize-url --player ID` first"
        )


@whoop.command("sync")
@click.option(
    "--player", "players", multiple=True, type=int, help="NBA person id (repeatable); default: all."
)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="First UTC day to re-sync.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day to re-sync (default: today).")
def whoop_sync(players: tuple[int, ...], since, until) -> None:
    """Sync consented WHOOP devices in ONE Dagster run: the days --since..--until for any period, or
    without --since each device incrementally from its watermark, as the hourly schedule does."""
    from clutch_pipeline.db.connection import DatabaseUnreachable
    from clutch_pipeline.runs import launch_run, open_instance, whoop_sync_launch
    from clutch_pipeline.whoop.partitions import whoop_day_range

    with one_line_errors(ValueError):
        days = whoop_day_range(since.date() if since else None, until.date() if until else None)
    url = migrated_database_url()
    whoop_app()  # WHOOP's settings, checked before a run starts
    _check_players(url, players)
    launch = whoop_sync_launch(list(players), days, incremental=since is None)
    with one_line_errors(DatabaseUnreachable):
        instance = open_instance(load_settings())
    console.print(f"{launch.title}: one run")
    with console.status("syncing"):
        report = launch_run(instance, launch, launched_by="clutch whoop sync", on_wait=console.print)
    print_run_report(report, "sync")


@whoop.command("revoke")
@click.option("--player", "nba_person_id", required=True, type=int, help="The athlete's NBA person id.")
def whoop_revoke(nba_person_id: int) -> None:
    """Withdraw an athlete's consent: tell WHOOP (DELETE /v2/user/access, best effort), delete every
    wearables row of his, keep his device row as the record (revoked, no tokens). Nothing is synced for
    him afterwards; a new authorization starts clean."""
    from clutch_pipeline.db.connection import connect
    from clutch_pipeline.whoop.consent import revoke_consent

    url, app = migrated_database_url(), whoop_app()
    with connect(url, autocommit=True) as conn, app.open(conn) as session:
        revoked = revoke_consent(conn, session, nba_person_id)
    if revoked is None:
        raise click.ClickException(f"player {nba_person_id} has no WHOOP device")
    told = "WHOOP told" if revoked.whoop_told else "WHOOP NOT told (see the log)"
    rows = ", ".join(f"{table} {count}" for table, count in revoked.rows_deleted.items())
    click.echo(f"consent of player {nba_person_id} revoked; {told}; rows deleted: {rows}")


@whoop.command("simulate")
@click.option("--start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day simulated.")
@click.option("--end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day simulated.")
@click.option(
    "--person",
    "person_ids",
    multiple=True,
    type=int,
    help="NBA person id (repeatable); default: every player of our games in those days.",
)
@click.option("--port", default=0, show_default=True, type=int, help="Port on 127.0.0.1 (0: any free one).")
@click.option(
    "--readiness",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV person_id,date,readiness (standard-normal units) to plant a known state.",
)
@click.option("--per-minute", default=100, show_default=True, type=int, help="The app's limit per minute.")
@click.option("--per-day", default=10_000, show_default=True, type=int, help="The app's limit per day.")
@click.option("--seed", default=0, show_default=True, type=int, help="Another seed, other histories.")
@click.option(
    "--webhook-url",
    help="Send signed WHOOP webhooks for the simulator's changes here (e.g. clutch serve's "
    "http://127.0.0.1:8000/api/webhooks/whoop).",
)
def whoop_simulate(start, end, person_ids, port, readiness, per_minute, per_day, seed, webhook_url) -> None:
    """Serve the WHOOP v2 simulator on loopback until Ctrl-C: OAuth, profile, the four collections,
    rate limits; its athletes are real players of our games with deterministic histories."""
    from clutch_pipeline.db.connection import resolve_database_urls
    from clutch_pipeline.whoop.simulator import serve

    url = resolve_database_urls(load_settings()).app
    with one_line_errors(ValueError):
        serve(
            url,
            start=start.date(),
            end=end.date(),
            person_ids=list(person_ids) or None,
            port=port,
            readiness_csv=readiness,
            per_minute=per_minute,
            per_day=per_day,
            seed=seed,
            webhook_url=webhook_url,
            out=click.echo,
        )
