"""The hourly WHOOP sync: one run for every device that is due, never a run per device."""

from datetime import UTC, timedelta

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.partitions import whoop_days

WHOOP_SYNC_JOB = "sync_whoop"
# A device synced within this many minutes is not due yet (a planner run or a manual sync just did it).
DUE_AFTER_MINUTES = 50


def hourly_run_request(scheduled_at, due_devices: int) -> dg.RunRequest | dg.SkipReason:
    """The run for one hourly tick: incremental, recorded against yesterday and today (UTC)."""
    if due_devices == 0:
        return dg.SkipReason("no consented WHOOP device is due")
    today = scheduled_at.astimezone(UTC).date()
    fmt = whoop_days.fmt
    return dg.RunRequest(
        run_key=f"whoop-hourly-{scheduled_at.astimezone(UTC):%Y-%m-%dT%H}",
        run_config={
            "ops": {"whoop_sync": {"config": {"incremental": True, "due_after_minutes": DUE_AFTER_MINUTES}}}
        },
        tags={
            "dagster/asset_partition_range_start": (today - timedelta(days=1)).strftime(fmt),
            "dagster/asset_partition_range_end": today.strftime(fmt),
            "clutch/due_devices": str(due_devices),
        },
    )


@dg.schedule(
    job_name=WHOOP_SYNC_JOB,
    cron_schedule="7 * * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,  # it calls api.prod.whoop.com: turn it on in production
    description="Every hour: sync every consented WHOOP device that is due, from its watermark, in one run.",
)
def whoop_hourly_sync(context: dg.ScheduleEvaluationContext, postgres: PostgresResource):
    scheduled_at = context.scheduled_execution_time
    with postgres.connection() as conn:
        due = store.syncable_devices(
            conn, not_synced_since=scheduled_at - timedelta(minutes=DUE_AFTER_MINUTES)
        )
    return hourly_run_request(scheduled_at, len(due))
