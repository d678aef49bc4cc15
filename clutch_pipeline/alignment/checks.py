"""Data-quality checks of the alignment stage. The one that guards honesty blocks: a pregame value
measured at or after tip-off keeps the features (and the model after them) from using the run."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from clutch_pipeline.alignment.partitions import (
    ACTION_WEARABLES_ASSET,
    DAILY_SUMMARY_ASSET,
    GAME_SCORES_ASSET,
    PREGAME_CONTEXT_ASSET,
)
from clutch_pipeline.alignment.store import games as game_store
from clutch_pipeline.db.resources import PostgresResource

# How long a changed WHOOP day may wait for its summary before the summaries count as stale: the
# refresh sensor ticks every two minutes; an hour means it or its runs are not working.
SUMMARY_FRESHNESS = timedelta(hours=1)


@dg.asset_check(
    asset=PREGAME_CONTEXT_ASSET,
    blocking=True,
    description="No pregame value was measured at or after its game's tip-off (measured_until and the "
    "night's wake-up strictly before tipoff_at). Blocking: features and the model never see leakage.",
)
def pregame_measured_before_tipoff(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connection() as conn:
        leaks = game_store.pregame_values_after_tipoff(conn)
    return dg.AssetCheckResult(
        passed=not leaks,
        description=f"{len(leaks)} pregame row(s) measured after tip-off" if leaks else "none",
        metadata={"examples": dg.MetadataValue.json([list(row) for row in leaks])},
    )


@dg.asset_check(
    asset=GAME_SCORES_ASSET,
    description="Scores and percentiles within 0-100, quality scores within 0-1, one score per player "
    "and clutch window, and a game score for exactly the player-games with clutch actions.",
)
def clutch_scores_consistent(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connection() as conn:
        problems = game_store.score_problems(conn)
    bad = {name: count for name, count in problems.items() if count}
    return dg.AssetCheckResult(
        passed=not bad,
        description=", ".join(f"{name}: {count}" for name, count in bad.items()) or "all consistent",
        metadata=problems,
    )


@dg.asset_check(
    asset=ACTION_WEARABLES_ASSET,
    description="Share of the played player-games of athletes with a device whose pregame context has "
    "wearables, and of game scores with wearables. Warns when athletes with devices played and none of "
    "their games found any.",
)
def wearables_context_coverage(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connection() as conn:
        coverage = game_store.wearables_coverage(conn)
    possible = coverage["player_games_of_athletes_with_devices"]
    found = coverage["player_games_with_pregame_wearables"]
    share = found / possible if possible else None
    return dg.AssetCheckResult(
        passed=not possible or found > 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{found} of {possible} player-games of athletes with devices have pregame wearables"
        if possible
        else "no athlete with a device has played",
        metadata={**coverage, "share": dg.MetadataValue.float(round(share, 4) if share is not None else 0.0)},
    )


@dg.asset_check(
    asset=DAILY_SUMMARY_ASSET,
    description=f"Daily summaries are fresh: no changed WHOOP day has waited more than "
    f"{SUMMARY_FRESHNESS} for its summary (the queue of sql/013, refreshed by wearables_summary_refresh).",
)
def daily_summaries_fresh(postgres: PostgresResource) -> dg.AssetCheckResult:
    with postgres.connection() as conn:
        oldest, queued = game_store.oldest_queued_day(conn, "daily_summary")
    waited = datetime.now(UTC) - oldest if oldest else timedelta(0)
    return dg.AssetCheckResult(
        passed=waited <= SUMMARY_FRESHNESS,
        severity=dg.AssetCheckSeverity.WARN,
        description=f"{queued} day(s) queued; the oldest waited {waited}" if queued else "nothing queued",
        metadata={"queued_days": queued, "oldest_wait_minutes": round(waited.total_seconds() / 60, 1)},
    )


ALIGNMENT_CHECKS = [
    pregame_measured_before_tipoff,
    clutch_scores_consistent,
    wearables_context_coverage,
    daily_summaries_fresh,
]
