"""Benchmark: a whole season of play-by-play from the archive to PostgreSQL, beside its floor.

    python benchmarks/nba_season_load.py [--archive PATH] [--repeat N] [--admin-url URL]

Each repetition measures, side by side on the same server:

* the floor: read the .tar.xz, parse every action, re-serialize it, and COPY it into a table with a JSONB
  column and a primary key (what any loader of this archive must at least do);
* the pipeline: ONE Dagster run (single-run backfill) of ``nba_play_by_play`` and the clutch assets over
  every game of the season, into a freshly migrated database: raw actions, teams, players, games, load
  status, clutch windows and player actions with their UTC time estimates.

Prints wall times, actions per second, and the ratio pipeline / floor (medians over the repetitions).
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

import dagster as dg
import psycopg
from psycopg import sql

from clutch_pipeline.db.connection import url_for_database
from clutch_pipeline.db.migrations import upgrade
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.nba.archive import PlayByPlayArchive
from clutch_pipeline.nba.assets import nba_games_load
from clutch_pipeline.nba.partitions import nba_games
from clutch_pipeline.nba.resources import NbaResource

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


def pipeline(archive: Path, url: str) -> tuple[float, dict]:
    upgrade(url)
    game_ids = sorted(PlayByPlayArchive(archive).game_ids())
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(nba_games.name, game_ids)
        started = time.perf_counter()
        result = dg.materialize(
            [nba_games_load],
            instance=instance,
            resources={"postgres": PostgresResource(database_url=url), "nba": NbaResource()},
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                "ops": {"nba_games_load": {"config": {"archive_path": str(archive)}}},
            },
            tags={
                "dagster/asset_partition_range_start": game_ids[0],
                "dagster/asset_partition_range_end": game_ids[-1],
            },
        )
        seconds = time.perf_counter() - started
    assert result.success
    metadata = {}
    for event in result.get_asset_materialization_events():
        if event.partition == game_ids[0]:
            for key, value in event.step_materialization_data.materialization.metadata.items():
                metadata[f"{event.asset_key.to_user_string()}.{key}"] = value.value
    return seconds, metadata


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--archive", type=Path, default=SHARED / "pbp_2022_23_regular_season_nbacom_v3.tar.xz"
    )
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
    floors, pipelines, last = [], [], {}
    try:
        for round_number in range(1, args.repeat + 1):
            names = [f"bench_{kind}_{uuid.uuid4().hex[:6]}" for kind in ("floor", "pipeline")]
            with psycopg.connect(admin, autocommit=True) as conn:
                for name in names:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                floor_seconds, actions = floor(args.archive, url_for_database(admin, names[0]))
                pipeline_seconds, last = pipeline(args.archive, url_for_database(admin, names[1]))
            finally:
                with psycopg.connect(admin, autocommit=True) as conn:
                    for name in names:
                        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            floors.append(floor_seconds)
            pipelines.append(pipeline_seconds)
            print(
                f"round {round_number}: floor {floor_seconds:.1f} s, pipeline {pipeline_seconds:.1f} s "
                f"(ratio {pipeline_seconds / floor_seconds:.2f})"
            )
    finally:
        if server is not None:
            server.cleanup()
    floor_median, pipeline_median = statistics.median(floors), statistics.median(pipelines)
    print()
    print(f"archive: {args.archive.name}, {actions:,} actions in the files")
    print(
        f"floor (parse, re-serialize, COPY into JSONB + PK): median {floor_median:.1f} s, "
        f"{actions / floor_median:,.0f} actions/s"
    )
    print(
        f"pipeline (one Dagster run, raw + reference + clutch): median {pipeline_median:.1f} s, "
        f"{actions / pipeline_median:,.0f} actions/s"
    )
    print(f"ratio pipeline / floor: {pipeline_median / floor_median:.2f} (target: within 2x)")
    for key in sorted(last):
        print(f"  {key}: {last[key]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
