"""WHOOP assets: cycles, recoveries, sleeps and workouts of every consented athlete.

One multi-asset owns the four record types, because one pass over a device fetches them together (a
recovery is timed by its sleep); it can be subset to sync only some types. Partitioned by UTC day: a
backfill of a range of days is ONE run that syncs exactly those days for every consented device (or the
players named in the config). The hourly schedule runs it in incremental mode instead: each due device
from its own watermark up to now, recorded against yesterday and today. The request planner (the
sensor ``whoop_sync_planner``) runs it targeted: the records its webhook events name (``records`` /
``deleted`` in the config) and the collections it schedules (``collections``: a pre-tip-off cycle, a
reconciliation), those only.

Each asset's metadata holds its own record type's figures (fetched, changed, readings, deleted, the
requests and seconds spent on that type) and the devices synced; what belongs to the run as a whole
(requests left today, every request by kind, the planner's figures) is in ``run_totals``.
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
        "recovery by its sleep's UUID): what the request planner (whoop_sync_planner) asks for from "
        "webhook events.",
    )
    deleted: list[str] = Field(
        default_factory=list,
        description="Records WHOOP deleted, same form: removed here with their readings.",
    )
    collections: list[str] = Field(
        default_factory=list,
        description="Collections to sync incrementally for one player each, as `<nba_person_id>:<type>`: "
        "what the request planner (whoop_sync_planner) asks for (a pre-tip-off cycle, a reconciliation).",
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            key,
            group_name="whoop",
            owners=["team:whoop"],
            metadata={
                "dagster/table_name": "wearables_raw_records",
                "record_type": record_type,
                "normalized_into": "wearables_readings",
                "docs": "docs/whoop.md",
            },
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
    run_totals = _run_totals(results, spent, left, time.perf_counter() - started, context.run.tags)
    context.log.info(f"run totals: {run_totals}")
    shared = _device_figures(results, window)
    for record_type in record_types:
        yield dg.MaterializeResult(
            asset_key=ASSET_KEYS[record_type],
            metadata={
                **shared,
                **_type_figures(results, record_type, spent),
                "run_totals": dg.MetadataValue.json(run_totals),
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


def _device_figures(results: list[DeviceSyncResult], window: tuple | None) -> dict:
    """What every asset of the run shares: the window and the devices synced, and why any failed
    (a device's sync covers all the selected record types at once)."""
    statuses = Counter(r.status for r in results)
    problems = {str(r.nba_person_id): f"{r.status}: {r.error}" for r in results if r.status != "success"}
    return {
        "window": "incremental or named records"
        if window is None
        else f"{window[0].isoformat()} .. {window[1].isoformat()}",
        "devices": len(results),
        "devices_synced": statuses["success"],
        "devices_failed": statuses["error"],
        "devices_needing_reauthorization": statuses["needs_reauthorization"],
        "devices_busy": statuses["busy"],
        "device_problems": dg.MetadataValue.json(dict(sorted(problems.items())[:MAX_LISTED])),
    }


def _type_figures(results: list[DeviceSyncResult], record_type: str, spent: dict) -> dict:
    """One asset's own figures: its record type's counts over every device."""

    def total(name: str) -> int:
        return sum(getattr(r.by_type[record_type], name) for r in results if record_type in r.by_type)

    seconds = sum(r.by_type[record_type].fetch_seconds for r in results if record_type in r.by_type)
    return {
        "records_fetched": total("fetched"),
        "records_changed": total("changed"),
        "readings_written": total("readings"),
        "records_deleted": total("deleted"),
        "unscorable_records": total("unscorable"),
        "pending_records": total("pending"),
        "malformed_records": total("malformed"),
        "requests_spent": spent.get(record_type, 0),
        "fetch_seconds": dg.MetadataValue.float(round(seconds, 2)),
    }


def _run_totals(
    results: list[DeviceSyncResult], spent: dict, left: int, seconds: float, tags: dict[str, str]
) -> dict:
    """The run as a whole, shown once under ``run_totals`` rather than as each asset's own figure:
    the requests spent by kind (token refreshes too) and left today, the records and readings of every
    type, the run's seconds, and the request planner's figures when it asked for the run."""
    return {
        "seconds": round(seconds, 2),
        "requests_spent": sum(spent.values()),
        "requests_spent_by_kind": dict(sorted(spent.items())),
        "requests_left_today": left,
        "records_changed": sum(r.records_changed for r in results),
        "readings_written": sum(r.readings_written for r in results),
        # the request planner's figures for this run, when it asked for it (see whoop/sensors.py)
        **{k.removeprefix("clutch/"): v for k, v in tags.items() if k.startswith("clutch/plan")},
    }
