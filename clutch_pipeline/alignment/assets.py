"""The alignment stage's assets: thin wiring of the refresh functions to the database.

- ``wearables_daily_summary``, by the athlete's local date: one run for a range of days recomputes
  every device's summaries of those days (``alignment.store.summaries``).
- ``clutch_alignment``, one multi-asset by NBA season owning ``pregame_context``,
  ``clutch_action_wearables``, ``clutch_performance_scores`` and ``clutch_game_scores``: a season's run
  aligns and scores the games that need it (``alignment.refresh``).
- ``ml_features``, by NBA season: the season's point-in-time features (``alignment.store.features``).
"""

import time
from datetime import UTC, datetime, timedelta

import dagster as dg
from pydantic import Field

from clutch_pipeline.alignment.partitions import (
    ACTION_WEARABLES_ASSET,
    ALIGNMENT_OP,
    DAILY_SUMMARY_ASSET,
    FEATURES_ASSET,
    GAME_SCORES_ASSET,
    PREGAME_CONTEXT_ASSET,
    SITUATION_SCORES_ASSET,
    athlete_days,
    nba_seasons,
)
from clutch_pipeline.alignment.refresh import refresh_season
from clutch_pipeline.alignment.store import games as game_store
from clutch_pipeline.alignment.store.features import compute_features
from clutch_pipeline.alignment.store.summaries import refresh_daily_summaries
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.plots import histogram_png, png_markdown

# The tables other stages own, by their assets' names (stages name each other's assets, never import).
# An athlete's local day D holds records of UTC days D-1..D+1 (he lives up to 14 h from UTC).
WHOOP_ASSETS = [
    dg.AssetDep(
        key,
        partition_mapping=dg.TimeWindowPartitionMapping(
            start_offset=-1, end_offset=1, allow_nonexistent_upstream_partitions=True
        ),
    )
    for key in ("whoop_cycles", "whoop_recoveries", "whoop_sleeps", "whoop_workouts")
]
NBA_ASSETS = ["clutch_situations", "clutch_player_actions"]
# A season's games read whichever daily summaries their players' game days need.
DAILY_SUMMARIES = dg.AssetDep(DAILY_SUMMARY_ASSET, partition_mapping=dg.AllPartitionMapping())
# The pregame and concurrent context also read WHOOP's records themselves (the night's sleep, the
# workout around an action), whichever days a season's games need.
WHOOP_RECORDS = [
    dg.AssetDep(key, partition_mapping=dg.AllPartitionMapping())
    for key in ("whoop_cycles", "whoop_recoveries", "whoop_sleeps", "whoop_workouts")
]


def _now() -> datetime:
    return datetime.now(UTC)


@dg.asset(
    name=DAILY_SUMMARY_ASSET,
    group_name="alignment",
    owners=["team:alignment"],
    metadata={"dagster/table_name": "wearables_daily_summary", "docs": "docs/daily-summaries.md"},
    deps=WHOOP_ASSETS,
    kinds={"postgres"},
    partitions_def=athlete_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description=(
        "One row per WHOOP device and athlete's local date: HRV and its 30-day baseline deviation, resting "
        "heart rate, day strain, recovery, the night's sleep, completeness (docs/daily-summaries.md). "
        "Refreshed for exactly the days whose WHOOP records changed (sensor wearables_summary_refresh)."
    ),
)
def wearables_daily_summary(context: dg.AssetExecutionContext, postgres: PostgresResource):
    window = context.partition_time_window
    first = window.start.date()
    last = (window.end - timedelta(days=1)).date()
    started, began = _now(), time.perf_counter()
    with postgres.connection() as conn:
        refreshed = refresh_daily_summaries(conn, first, last, started_at=started)
        deviations = game_store.summary_deviations(conn, first, last)
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in vars(refreshed).items() if isinstance(v, int | float)},
            "days": f"{first} .. {last}",
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - began, 2)),
            "hrv_baseline_deviation": dg.MetadataValue.md(
                png_markdown(
                    histogram_png(deviations, title="HRV deviation from the 30-day baseline", xlabel="%"),
                    "HRV baseline deviation histogram",
                )
            ),
        }
    )


class AlignmentConfig(dg.Config):
    all_games: bool = Field(
        default=False,
        description="Realign every game of the season, not only those that need it (reloaded, their "
        "wearables days changed, never aligned).",
    )
    games: list[str] = Field(
        default_factory=list, description="Realign only these NBA game ids (e.g. 0022200552)."
    )


@dg.multi_asset(
    name=ALIGNMENT_OP,
    specs=[
        dg.AssetSpec(
            PREGAME_CONTEXT_ASSET,
            group_name="alignment",
            owners=["team:alignment"],
            metadata={"dagster/table_name": "pregame_context", "docs": "docs/alignment.md"},
            deps=[DAILY_SUMMARIES, *NBA_ASSETS, *WHOOP_RECORDS],
            kinds={"postgres"},
            description="Each player's state before each game, measured strictly before tip-off, and "
            "the game's NBA context (docs/alignment.md). Scheduled games too.",
        ),
        dg.AssetSpec(
            ACTION_WEARABLES_ASSET,
            group_name="alignment",
            owners=["team:alignment"],
            metadata={"dagster/table_name": "clutch_action_wearables", "docs": "docs/alignment.md"},
            deps=[PREGAME_CONTEXT_ASSET, "clutch_player_actions", *WHOOP_RECORDS],
            kinds={"postgres"},
            description="The WHOOP workout around each clutch action of an athlete with wearables, with "
            "a quality score (descriptive only; docs/alignment.md).",
        ),
        dg.AssetSpec(
            SITUATION_SCORES_ASSET,
            group_name="alignment",
            owners=["team:alignment"],
            metadata={"dagster/table_name": "clutch_performance_scores", "docs": "docs/clutch-score.md"},
            deps=[PREGAME_CONTEXT_ASSET, *NBA_ASSETS],
            kinds={"postgres"},
            description="Clutch score per player and clutch situation, with the pregame context "
            "(docs/clutch-score.md).",
        ),
        dg.AssetSpec(
            GAME_SCORES_ASSET,
            group_name="alignment",
            owners=["team:alignment"],
            metadata={"dagster/table_name": "clutch_game_scores", "docs": "docs/clutch-score.md"},
            deps=[PREGAME_CONTEXT_ASSET, *NBA_ASSETS],
            kinds={"postgres"},
            description="Clutch score per player and game: all his situations of the game together, "
            "the unit the model and the pages use (docs/clutch-score.md).",
        ),
    ],
    partitions_def=nba_seasons,
)
def clutch_alignment(context: dg.AssetExecutionContext, config: AlignmentConfig, postgres: PostgresResource):
    season = context.partition_key
    began = time.perf_counter()
    with postgres.connection(autocommit=True) as conn:
        selected = game_store.game_ids_of(conn, config.games) if config.games else None
        refreshed = refresh_season(conn, season, now=_now(), all_games=config.all_games, game_ids=selected)
        coverage = game_store.action_coverage(conn, season)
        scores = game_store.season_game_scores(conn, season)
    seconds = round(time.perf_counter() - began, 2)
    context.log.info(f"{season}: {refreshed.games} game(s) aligned and scored in {seconds} s")
    shared = {
        "games_refreshed": refreshed.games,
        "seconds": dg.MetadataValue.float(seconds),
        "step_seconds": dg.MetadataValue.json(refreshed.seconds),
        "alignment_queue_consumed": refreshed.queue_consumed,
    }
    share = (
        coverage["with_wearables_context"] / coverage["clutch_actions"] if coverage["clutch_actions"] else 0
    )
    per_asset = {
        PREGAME_CONTEXT_ASSET: _prefixed(refreshed.counts, "aligned_"),
        ACTION_WEARABLES_ASSET: {**coverage, "share_with_wearables_context": round(share, 4)},
        SITUATION_SCORES_ASSET: _prefixed(refreshed.counts, "scored_"),
        GAME_SCORES_ASSET: {
            "season_game_scores": len(scores),
            "clutch_score_distribution": dg.MetadataValue.md(
                png_markdown(
                    histogram_png(scores, title=f"Game clutch scores, {season}", xlabel="clutch score"),
                    "clutch score histogram",
                )
            ),
        },
    }
    for asset, metadata in per_asset.items():
        yield dg.MaterializeResult(asset_key=asset, metadata={**shared, **metadata})


def _prefixed(counts: dict[str, int], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix): v for k, v in counts.items() if k.startswith(prefix)}


@dg.asset(
    name=FEATURES_ASSET,
    group_name="alignment",
    owners=["team:alignment"],
    metadata={"dagster/table_name": "ml_features", "docs": "docs/features.md"},
    deps=[GAME_SCORES_ASSET, DAILY_SUMMARIES],
    kinds={"postgres"},
    partitions_def=nba_seasons,
    description="The feature store: each player's features as of each of his game days of the season, "
    "point in time (a feature as of day D uses only data dated before D; docs/features.md).",
)
def ml_features(context: dg.AssetExecutionContext, postgres: PostgresResource):
    began = time.perf_counter()
    with postgres.connection() as conn:
        counts = compute_features(conn, context.partition_key)
    return dg.MaterializeResult(
        metadata={
            **{k: v for k, v in vars(counts).items() if isinstance(v, int | float)},
            "seconds": dg.MetadataValue.float(round(time.perf_counter() - began, 2)),
        }
    )
