"""The asset jobs people launch: from the UI, from schedules and sensors, and through ``runs.py`` from the
CLI and the main job. One per stage; each selects its stage's asset group."""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.nba.partitions import LOAD_NBA_GAMES_JOB

schema_job = dg.define_asset_job(
    "apply_schema",
    selection=dg.AssetSelection.groups("platform"),
    description="Apply pending migrations to the application database (the database_schema asset).",
)

nba_games_job = dg.define_asset_job(
    LOAD_NBA_GAMES_JOB,
    selection=dg.AssetSelection.groups("nba"),
    description=(
        "Load games' play-by-play (archive, CDN or stats v3) and derive their clutch windows and player "
        "actions. A range of games is one run."
    ),
)

whoop_sync_job = dg.define_asset_job(
    "sync_whoop",
    selection=dg.AssetSelection.groups("whoop"),
    description=(
        "Sync WHOOP cycles, recoveries, sleeps and workouts of consented athletes: the partition's days, "
        "or incrementally from each device's watermark (the hourly schedule)."
    ),
)

JOBS = [schema_job, nba_games_job, whoop_sync_job]
