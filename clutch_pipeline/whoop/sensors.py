"""The WHOOP webhook sensor: stored events become targeted sync runs, batched, each event once."""

from datetime import UTC, datetime, timedelta

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.partitions import whoop_days
from clutch_pipeline.whoop.schedules import WHOOP_SYNC_JOB
from clutch_pipeline.whoop.webhooks import targeted_sync

MAX_EVENTS_PER_TICK = 2_000


@dg.sensor(
    job_name=WHOOP_SYNC_JOB,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every 30 s: WHOOP webhook events stored since the last tick become ONE sync run that "
    "fetches (or deletes) only the records they name. The cursor is the last event id read.",
)
def whoop_webhooks(context: dg.SensorEvaluationContext, postgres: PostgresResource):
    after = int(context.cursor or 0)
    with postgres.connection() as conn:
        events = store.webhook_events_after(conn, after, MAX_EVENTS_PER_TICK)
        if not events:
            return dg.SkipReason("no new WHOOP webhook event")
        users = sorted({e.whoop_user_id for e in events if e.whoop_user_id is not None})
        devices = store.syncable_devices_of_users(conn, users)
    first, last = events[0].event_id, events[-1].event_id
    wanted = targeted_sync(events, {user: device.nba_person_id for user, device in devices.items()})
    context.update_cursor(str(last))
    if not wanted.records and not wanted.deleted:
        return dg.SkipReason(f"{len(events)} event(s) ask for no record: {wanted.skipped}")
    today = datetime.now(UTC).date()
    return dg.RunRequest(
        run_key=f"whoop-webhooks-{first}-{last}",
        run_config={
            "ops": {"whoop_sync": {"config": {"records": wanted.records, "deleted": wanted.deleted}}}
        },
        tags={
            "dagster/asset_partition_range_start": (today - timedelta(days=1)).strftime(whoop_days.fmt),
            "dagster/asset_partition_range_end": today.strftime(whoop_days.fmt),
            "clutch/webhook_events": str(len(events)),
        },
    )
