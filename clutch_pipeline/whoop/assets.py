"""WHOOP assets: cycles, recoveries, sleeps and workouts of every consented athlete.

One multi-asset owns the four record types, because one pass over a device fetches them together (a
recovery is timed by its sleep); it can be subset to sync only some types. Partitioned by UTC day: a
backfill of a range of days is ONE run that syncs exactly those days for every consented device (or the
players named in the config). The hourly schedule runs it in incremental mode instead: each due device
from its own watermark up to now, recorded against yesterday and today. The webhook sensor runs it
with the records its events name (``records`` / ``deleted`` in the config): those only.
"""

import time
from collections import Counter
from datetime import UTC, timedelta

import dagster as dg
from pydantic import Field

from clutch_pipeline.db.assets import database_schema
from clutch_pipeline.db.resources import PostgresResource
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.budget import utc_now
from clutch_pipeline.whoop.partitions import whoop_days
from clutch_pipeline.whoop.resources import WhoopResource
from clutch_pipeline.whoop.sync import DeviceSyncResult, by_player, collections_by_player, sync_devices

ASSET_KEYS = {
    "cycle": dg.AssetKey("whoop_cycles"),
    "recovery": dg.AssetKey("whoop_recoveries"),
    "sleep": dg.AssetKey("whoop_sleeps"),
    "workout": dg.AssetKey("whoop_workouts"),
}
DESCRIPTIONS = {
    "cycle": "WHOOP physiological cycles (day strain, kilojoules, average and maximum heart rate)",
    "recovery": "WHOOP recoveries (recovery score, HRV RMSSD, resting heart rate, SpO2, skin temperature)",
    "sleep": "WHOOP sleeps and naps (performance, efficiency, consistency, stage minutes, respiratory rate)",
    "workout": "WHOOP workouts (strain, heart rate, kilojoules, heart-rate zone minutes)",
}
MAX_LISTED = 20


class WhoopSyncConfig(dg.Config):
    players: list[int] = Field(
        default_factory=list, description="NBA person ids to sync; empty: every consented device."
    )
    incremental: bool = Field(
        default=False,
        description="Sync each device from its watermark up to now instead of the partition's days.",
    )
    due_after_minutes: int = Field(
        default=0, description="With `incremental`: skip devices synced successfully more recently than this."
    )
    records: list[str] = Field(
        default_factory=list,
        description="Fetch only these records, as `<nba_person_id>:<cycle|recovery|sleep|workout>:<id>` (a "
        "recovery by its sleep's UUID): what the webhook sensor asks for.",
    )
    deleted: list[str] = Field(
        default_factory=list,
        description="Records WHOOP deleted, same form: removed here with their readings.",
    )
    collections: list[str] = Field(
        default_factory=list,
        description="Collections to sync incrementally for one player each, as `<nba_person_id>:<type>`: "
        "what the request planner asks for (a pre-tip-off cycle, a reconciliation).",
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="whoop",
            deps=[database_schema],
            kinds={"postgres"},
            description=f"{DESCRIPTIONS[record_type]}: kept raw in wearables_raw_records and normalized "
            "into wearables_readings.",
        )
        for record_type, key in ASSET_KEYS.items()
    ],
    partitions_def=whoop_days,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=True,
    pool="whoop_api",
)
def whoop_sync(
    context: dg.AssetExecutionContext,
    config: WhoopSyncConfig,
    postgres: PostgresResource,
    whoop: WhoopResource,
):
    record_types = [t for t, key in ASSET_KEYS.items() if key in context.selected_asset_keys]
    try:
        records, deleted = by_player(config.records), by_player(config.deleted)
        collections = collections_by_player(config.collections)
    except ValueError as exc:
        raise dg.Failure(str(exc)) from None
    targeted = bool(records or deleted or collections)
    players = sorted({*records, *deleted, *collections}) if targeted else config.players
    window = None
    if not config.incremental and not targeted:
        days = context.partition_time_window
        window = (days.start.astimezone(UTC), days.end.astimezone(UTC))
    app = whoop.app()
    started = time.perf_counter()
    with postgres.connection(autocommit=True) as conn, app.open(conn) as session:
        now = utc_now()
        since = None
        if config.incremental and config.due_after_minutes:
            since = now - timedelta(minutes=config.due_after_minutes)
        devices = store.syncable_devices(conn, players or None, not_synced_since=since)
        mode = "named records" if targeted else (window or "incremental")
        context.log.info(f"syncing {len(devices)} device(s): {record_types}, {mode}")
        results = sync_devices(
            conn,
            session.api,
            session.tokens,
            devices,
            clock=utc_now,
            window=window,
            records=records if targeted else None,
            deleted=deleted if targeted else None,
            collections=collections if targeted else None,
            record_types=record_types,
            options=whoop.sync_options(),
            on_result=lambda r: _log_result(context, r),
        )
        spent = dict(session.budget.spent)
        left = session.budget.left_today()
    seconds = time.perf_counter() - started
    common = _summary(results, spent, left, seconds, window)
    # The request planner's figures for this run, when it asked for it (see whoop/sensors.py).
    common.update(
        {k.removeprefix("clutch/"): v for k, v in context.run.tags.items() if k.startswith("clutch/plan")}
    )
    for record_type in record_types:
        yield dg.MaterializeResult(
            asset_key=ASSET_KEYS[record_type],
            metadata={
                **common,
                "records_fetched": sum(r.fetched[record_type] for r in results),
                "requests_spent": spent.get(record_type, 0),
            },
        )


def _log_result(context: dg.AssetExecutionContext, result: DeviceSyncResult) -> None:
    if result.status == "success":
        context.log.debug(
            f"player {result.nba_person_id}: {sum(result.fetched.values())} records, "
            f"{result.records_changed} changed, {result.readings_written} readings"
        )
    else:
        context.log.warning(f"player {result.nba_person_id}: {result.status}: {result.error}")


def _summary(
    results: list[DeviceSyncResult], spent: dict, left: int, seconds: float, window: tuple | None
) -> dict:
    statuses = Counter(r.status for r in results)
    problems = {str(r.nba_person_id): f"{r.status}: {r.error}" for r in results if r.status != "success"}
    shown = dict(sorted(problems.items())[:MAX_LISTED])
    return {
        "window": "incremental or named records"
        if window is None
        else f"{window[0].isoformat()} .. {window[1].isoformat()}",
        "devices": len(results),
        "devices_synced": statuses["success"],
        "devices_failed": statuses["error"],
        "devices_needing_reauthorization": statuses["needs_reauthorization"],
        "devices_busy": statuses["busy"],
        "records_changed": sum(r.records_changed for r in results),
        "readings_written": sum(r.readings_written for r in results),
        "unscorable_records": sum(r.unscorable for r in results),
        "pending_records": sum(r.pending for r in results),
        "malformed_records": sum(r.malformed for r in results),
        "records_deleted": sum(r.records_deleted for r in results),
        "requests_spent_total": sum(spent.values()),
        "requests_spent_by_kind": dg.MetadataValue.json(spent),
        "requests_left_today": left,
        "seconds": dg.MetadataValue.float(round(seconds, 2)),
        "device_problems": dg.MetadataValue.json(shown),
    }
