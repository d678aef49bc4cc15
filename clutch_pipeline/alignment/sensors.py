"""Sensors that keep the join layer up to date, from what changed rather than from a clock.

- ``wearables_summary_refresh``: the days whose WHOOP records changed (queued by triggers in the same
  transaction as the change, sql/013) become one ``refresh_daily_summaries`` run per range of days.
- ``alignment_refresh``: a season with a game reloaded by the NBA stage since its alignment, or with
  players' wearables days changed since (queued by the summaries), gets one ``align_clutch_games`` run.

Both read only our database (running by default) and ask for nothing while a run of their job is
under way: a run consumes what it took into account, and the next tick sees what is left.
"""

import dagster as dg

from clutch_pipeline.alignment.partitions import ALIGNMENT_JOB, SUMMARIES_JOB, nba_seasons
from clutch_pipeline.alignment.store import games as game_store
from clutch_pipeline.alignment.store.summaries import queued_summary_days
from clutch_pipeline.db.resources import PostgresResource

INTERVAL_SECONDS = 120
_UNFINISHED = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def _job_is_running(context: dg.SensorEvaluationContext, job_name: str) -> bool:
    runs = context.instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=_UNFINISHED), limit=1)
    return bool(runs)


@dg.sensor(
    name="wearables_summary_refresh",
    job_name=SUMMARIES_JOB,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every two minutes: one refresh_daily_summaries run per range of athletes' local days "
    "whose WHOOP records changed (a sync, a webhook's re-score, a deletion), exactly those days.",
)
def wearables_summary_refresh(context: dg.SensorEvaluationContext, postgres: PostgresResource):
    if _job_is_running(context, SUMMARIES_JOB):
        return dg.SkipReason(f"a {SUMMARIES_JOB} run is under way")
    with postgres.connection() as conn:
        ranges = queued_summary_days(conn)
        oldest, queued = game_store.oldest_queued_day(conn, "daily_summary")
    if not ranges:
        return dg.SkipReason("no WHOOP day changed")
    stamp = f"{queued}@{oldest.isoformat() if oldest else ''}"
    return [
        dg.RunRequest(
            run_key=f"{first}..{last}|{stamp}",
            tags={
                "dagster/asset_partition_range_start": first.isoformat(),
                "dagster/asset_partition_range_end": last.isoformat(),
                "clutch/trigger": "wearables_summary_refresh",
            },
        )
        for first, last in ranges
    ]


@dg.sensor(
    name="alignment_refresh",
    job_name=ALIGNMENT_JOB,
    minimum_interval_seconds=INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every two minutes: one align_clutch_games run per season with a game reloaded since its "
    "alignment or whose players' wearables days changed; the run realigns and rescores those games only.",
)
def alignment_refresh(context: dg.SensorEvaluationContext, postgres: PostgresResource):
    if _job_is_running(context, ALIGNMENT_JOB):
        return dg.SkipReason(f"an {ALIGNMENT_JOB} run is under way")
    with postgres.connection() as conn:
        needing = game_store.seasons_needing_alignment(conn)
    known = set(nba_seasons.get_partition_keys())
    for season in sorted(set(needing) - known):
        context.log.warning(f"season {season} needs aligning but is not a partition of {nba_seasons}")
    seasons = {season: fingerprint for season, fingerprint in needing.items() if season in known}
    if not seasons:
        return dg.SkipReason("no game needs realigning")
    return [
        dg.RunRequest(
            run_key=f"{season}|{fingerprint}",
            partition_key=season,
            tags={"clutch/trigger": "alignment_refresh"},
        )
        for season, fingerprint in seasons.items()
    ]


ALIGNMENT_SENSORS = [wearables_summary_refresh, alignment_refresh]
