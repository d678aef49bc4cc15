"""The asset jobs people launch: from the UI, from schedules and sensors, and through ``runs.py`` from the
CLI and the main job. One per stage; each selects its stage's asset group."""

from __future__ import annotations

import dagster as dg

from clutch_pipeline.alignment.partitions import (
    ALIGNMENT_JOB,
    DAILY_SUMMARY_ASSET,
    SUMMARIES_JOB,
)
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

summaries_job = dg.define_asset_job(
    SUMMARIES_JOB,
    selection=dg.AssetSelection.assets(DAILY_SUMMARY_ASSET),
    description=(
        "Recompute every athlete's daily wearables summaries of a range of local days (what the sensor "
        "wearables_summary_refresh asks for: the days whose WHOOP records changed)."
    ),
)

alignment_job = dg.define_asset_job(
    ALIGNMENT_JOB,
    selection=dg.AssetSelection.groups("alignment") - dg.AssetSelection.assets(DAILY_SUMMARY_ASSET),
    description=(
        "For one NBA season: align the games that need it with their players' wearables (pregame "
        "context, clutch actions), score them, update percentiles, then the season's features."
    ),
)

model_job = dg.define_asset_job(
    "fit_clutch_model",
    selection=dg.AssetSelection.groups("model"),
    description=(
        "Fit the clutch model on the game scores, check it, publish its trace when every blocking check "
        "passes, and predict the upcoming games (config `backtest`: predict the last day instead)."
    ),
)

JOBS = [schema_job, nba_games_job, whoop_sync_job, summaries_job, alignment_job, model_job]
