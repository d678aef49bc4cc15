"""Benchmark: a whole season of play-by-play from the archive to PostgreSQL, beside its floor.

    python benchmarks/nba_season_load.py [--archive PATH] [--repeat N] [--admin-url URL]

Each repetition measures, side by side on the same server:

* the floor: read the .tar.xz, parse every action, re-serialize it, and COPY it into a table with a JSONB
  column and a primary key (what any loader of this archive must at least do);
* the pipeline: what ``clutch nba backfill`` does, its plan (``plan_backfill``, not timed: it lists the
  archive's games of the season), then ONE Dagster run (single-run backfill) of ``nba_play_by_play``
  and the clutch assets over every game of the season, on our Dagster instance with its storage in
  PostgreSQL, into a freshly migrated database: raw actions, teams, players, games, load status, clutch
  windows and player actions with their UTC time estimates and expected points.

Each measurement starts from a CHECKPOINT, so neither pays for flushing what the other wrote. Prints
wall times, actions per second, and the ratio pipeline / floor (medians over the repetitions, and the
median of each repetition's own ratio).
Needs ``../shared/data/nba_2022_23`` (or ``--archive``); uses a throwaway embedded PostgreSQL unless
``--admin-url`` names a server where it may create databases.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path, PurePosixPath

import psycopg
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.nba.backfill import plan_backfill
from clutch_pipeline.nba.resources import NbaResource
from clutch_pipeline.runs import backfill_launch, launch_run, open_instance
from clutch_pipeline.settings import load_settings

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "nba_2022_23"


def floor(archive: Path, url: str) -> tuple[float, int]:
    started = time.perf_counter()
    actions = 0
    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE floor_actions (file text, action_key bigint, payload jsonb NOT NULL,"
            " PRIMARY KEY (file, action_key))"
        )
        with (
            tarfile.open(archive) as tar,
            conn.cursor().copy("COPY floor_actions (file, action_key, payload) FROM STDIN") as copy,
        ):
            for member in tar:
                name = PurePosixPath(member.name).name
                if not (member.isfile() and name.endswith(".json")):
                    continue
                for raw in json.loads(tar.extractfile(member).read()):
                    copy.write_row((name, raw["actionId"], json.dumps(raw)))
                    actions += 1
    return time.perf_counter() - started, actions


def pipeline(archive: Path, season: str, url: str, dagster_url: str, home: Path) -> tuple[float, float, dict]:
    """`clutch nba backfill` as a user runs it: our Dagster instance on PostgreSQL, one run."""
    upgrade(url)
    settings = load_settings(
        {"CLUTCH_HOME": str(home), "CLUTCH_DATABASE_URL": url, "CLUTCH_DAGSTER_DATABASE_URL": dagster_url}
    )
    instance = open_instance(settings)
    with psycopg.connect(url) as conn:
        plan = plan_backfill(season, archive, conn=conn, sources=NbaResource().sources)
    started = time.perf_counter()
    report = launch_run(instance, backfill_launch(plan), launched_by="benchmark")
    seconds = time.perf_counter() - started
    instance.dispose()
    assert report.success, report.error
    metadata = {
        f"{asset}.{key}": value
        for asset, values in report.materialized.items()
        for key, value in values.items()
    }
    return seconds, float(metadata["nba_play_by_play.seconds"]), metadata


def checkpoint(admin: str) -> None:
    """Write out what earlier work left in shared buffers, before the next measurement starts."""
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CHECKPOINT")


def summary(archive: Path, actions: int, floors: list, pipelines: list, works: list, last: dict) -> None:
    """Medians over the rounds, and the last run's materialization metadata."""
    floor_median, pipeline_median = statistics.median(floors), statistics.median(pipelines)
    work_median = statistics.median(works)
    print()
    print(f"archive: {archive.name}, {actions:,} actions in the files")
    print(
        f"floor (parse, re-serialize, COPY into JSONB + PK): median {floor_median:.1f} s, "
        f"{actions / floor_median:,.0f} actions/s"
    )
    print(
        f"pipeline (one Dagster run, raw + reference + clutch): median {pipeline_median:.1f} s, "
        f"{actions / pipeline_median:,.0f} actions/s"
    )
    print(
        f"ratio pipeline / floor: {pipeline_median / floor_median:.2f} (target: within 2x); median of the "
        f"rounds' own ratios {statistics.median(p / f for p, f in zip(pipelines, floors, strict=True)):.2f}"
    )
    print(
        f"  of which the load itself (the asset's own time): median {work_median:.1f} s, "
        f"ratio {work_median / floor_median:.2f}; the rest is Dagster's bookkeeping in its PostgreSQL "
        "storage (the run, and a planned and a materialization event per game of nba_play_by_play)"
    )
    for key in sorted(last):
        print(f"  {key}: {last[key]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--archive", type=Path, default=SHARED / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
    )
    parser.add_argument("--season", default="2022-23")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--admin-url", default=None)
    args = parser.parse_args()
    if not args.archive.exists():
        print(f"no archive at {args.archive}: pass --archive", file=sys.stderr)
        return 2

    server = None
    admin = args.admin_url
    if admin is None:
        from clutch_pipeline.db.embedded import embedded_server

        server = embedded_server(Path(tempfile.mkdtemp(prefix="clutch-bench-")) / "pgdata")
        admin = server.get_uri("postgres")
    floors, pipelines, works, last = [], [], [], {}
    try:
        for round_number in range(1, args.repeat + 1):
            names = [f"bench_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("floor", "pipeline", "dagster")]
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in names:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                checkpoint(admin)
                floor_seconds, actions = floor(args.archive, url_for_database(admin, names[0]))
                checkpoint(admin)
                pipeline_seconds, work_seconds, last = pipeline(
                    args.archive,
                    args.season,
                    url_for_database(admin, names[1]),
                    url_for_database(admin, names[2]),
                    Path(tempfile.mkdtemp(prefix="clutch-bench-home-")),
                )
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    for name in names:
                        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            floors.append(floor_seconds)
            pipelines.append(pipeline_seconds)
            works.append(work_seconds)
            print(
                f"round {round_number}: floor {floor_seconds:.1f} s, run {pipeline_seconds:.1f} s "
                f"(ratio {pipeline_seconds / floor_seconds:.2f}), of which the load {work_seconds:.1f} s "
                f"(ratio {work_seconds / floor_seconds:.2f})"
            )
    finally:
        if server is not None:
            server.cleanup()
    summary(args.archive, actions, floors, pipelines, works, last)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
