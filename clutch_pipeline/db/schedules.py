"""Wearables retention, as a daily schedule: rows older than their device's ``data_retention_days`` are
deleted every day, with the values derived from them, walking the one list of wearables data in
``db/store.py``. (The op and its job are the schedule's target; the work is ``delete_expired_wearables``.)"""

from datetime import UTC, datetime

import dagster as dg

from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.db.store import delete_expired_wearables


@dg.op(description="Delete wearables rows older than their device's retention, and what derives from them.")
def delete_expired_wearables_data(context: dg.OpExecutionContext, postgres: PostgresResource) -> None:
    now = datetime.now(UTC)
    with postgres.connection() as conn:
        deleted = delete_expired_wearables(conn, now)
    context.log.info(f"retention: rows deleted or cleared per table: {deleted}")
    context.add_output_metadata({"rows": dg.MetadataValue.json(deleted), "total": sum(deleted.values())})


@dg.job(description="Apply wearables retention (data_retention_days of each device) once.")
def apply_wearables_retention():
    delete_expired_wearables_data()


wearables_retention_daily = dg.ScheduleDefinition(
    name="wearables_retention_daily",
    job=apply_wearables_retention,
    cron_schedule="15 3 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every day at 03:15 UTC: delete wearables rows older than their device's retention.",
)
