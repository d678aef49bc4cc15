"""Sync WHOOP records of devices into raw records and readings.

Two kinds of window:
- incremental (the hourly schedule, ``clutch whoop sync`` without dates): per device and record type,
  from the stored watermark minus an overlap (WHOOP re-scores and edits recent records), or from the
  oldest record still PENDING_SCORE when that is earlier, or ``first_sync_days`` back for a new device;
  up to now. The watermark moves to now when the device's sync succeeds.
- explicit (a backfill of days, ``--since/--until``): exactly [start, end), for any period; the
  watermark is left alone.

Or targeted, as the request planner (the sensor ``whoop_sync_planner``) asks: records named by id
(webhook events), deletions, and collections synced incrementally (a pre-tip-off cycle, a
reconciliation).

A device's records are written in one transaction after every page has been read, so a sync that
fails half way writes nothing. A device that fails (retries used up, a bad answer, a refused refresh
token) gets its status and message, and the other devices carry on. Counts are kept by record type,
so each WHOOP asset reports its own.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from clutch_pipeline.db.locks import LockBusy, device_lock
from clutch_pipeline.http_retry import HttpGaveUp
from clutch_pipeline.whoop import store
from clutch_pipeline.whoop.access import AccessTokens, DeviceClient, NeedsReauthorization
from clutch_pipeline.whoop.client import NotFound, WhoopApi, WhoopError, collection_pages
from clutch_pipeline.whoop.normalize import RECORD_TYPES, MalformedRecord, NormalizedRecord, normalize
from clutch_pipeline.whoop.tokens import TokenKeyError

log = logging.getLogger(__name__)

# Sleeps before recoveries: a recovery is timed by its sleep.
FETCH_ORDER = ("cycle", "sleep", "recovery", "workout")
DEFAULT_OVERLAP = timedelta(hours=48)
ERRORS_OF_A_DEVICE = (HttpGaveUp, WhoopError, TokenKeyError)


@dataclass(frozen=True)
class SyncOptions:
    first_sync_days: int = 30
    overlap: timedelta = DEFAULT_OVERLAP


@dataclass(frozen=True)
class RecordRef:
    """One record to fetch by id: a cycle id, a sleep or workout UUID, or a recovery's sleep UUID."""

    record_type: str
    record_id: str

    @classmethod
    def parse(cls, text: str) -> tuple[int, RecordRef]:
        """``"<nba_person_id>:<type>:<id>"``, as run config names a player's record."""
        person, _, rest = text.partition(":")
        record_type, _, record_id = rest.partition(":")
        if not person.isdigit() or record_type not in RECORD_TYPES or not record_id:
            raise ValueError(f"expected <nba_person_id>:<cycle|recovery|sleep|workout>:<id>, got {text!r}")
        return int(person), cls(record_type, record_id)

    def __str__(self) -> str:
        return f"{self.record_type}:{self.record_id}"


def collections_by_player(texts: Sequence[str]) -> dict[int, list[str]]:
    """Run config's ``"<nba_person_id>:<type>"`` entries (sync that collection incrementally), by player."""
    grouped: dict[int, list[str]] = {}
    for text in texts:
        person, _, record_type = text.partition(":")
        if not person.isdigit() or record_type not in RECORD_TYPES:
            raise ValueError(f"expected <nba_person_id>:<cycle|recovery|sleep|workout>, got {text!r}")
        grouped.setdefault(int(person), []).append(record_type)
    return grouped


def by_player(texts: Sequence[str]) -> dict[int, list[RecordRef]]:
    """Run config's ``"<nba_person_id>:<type>:<id>"`` entries, grouped by player."""
    grouped: dict[int, list[RecordRef]] = {}
    for text in texts:
        person, ref = RecordRef.parse(text)
        grouped.setdefault(person, []).append(ref)
    return grouped


@dataclass
class TypeCounts:
    """One record type's share of a device's sync: each WHOOP asset reports its own type's."""

    fetched: int = 0  # records read from WHOOP
    changed: int = 0  # records new or changed here
    readings: int = 0  # readings written for them
    deleted: int = 0  # records removed here because WHOOP deleted them
    unscorable: int = 0
    pending: int = 0  # still PENDING_SCORE: fetched again until scored
    malformed: int = 0  # skipped: they break the v2 contract
    fetch_seconds: float = 0.0  # waiting for WHOOP's answers (a token refresh on the way included)


@dataclass
class DeviceSyncResult:
    nba_person_id: int
    device_id: uuid.UUID
    status: str = "success"  # success | error | needs_reauthorization | busy
    by_type: defaultdict[str, TypeCounts] = field(default_factory=lambda: defaultdict(TypeCounts))
    error: str | None = None
    seconds: float = 0.0

    def total(self, name: str) -> int:
        """A count of ``TypeCounts`` over every record type."""
        return sum(getattr(counts, name) for counts in self.by_type.values())

    @property
    def fetched(self) -> Counter[str]:
        return Counter({t: c.fetched for t, c in self.by_type.items()})

    @property
    def records_changed(self) -> int:
        return self.total("changed")

    @property
    def readings_written(self) -> int:
        return self.total("readings")

    @property
    def records_deleted(self) -> int:
        return self.total("deleted")

    @property
    def unscorable(self) -> int:
        return self.total("unscorable")

    @property
    def pending(self) -> int:
        return self.total("pending")

    @property
    def malformed(self) -> int:
        return self.total("malformed")


class _TimedClient:
    """A device's client that adds the time each GET waits to its record type's ``fetch_seconds``."""

    def __init__(self, client: DeviceClient, result: DeviceSyncResult) -> None:
        self.client = client
        self.result = result

    def get(self, kind: str, path: str, params: Mapping[str, Any] | None = None) -> dict:
        started = time.perf_counter()
        try:
            return self.client.get(kind, path, params)
        finally:
            self.result.by_type[kind].fetch_seconds += time.perf_counter() - started


def sync_device(
    conn: psycopg.Connection,
    api: WhoopApi,
    tokens: AccessTokens,
    device: store.Device,
    *,
    now: datetime,
    window: tuple[datetime, datetime] | None = None,
    records: Sequence[RecordRef] = (),
    deleted: Sequence[RecordRef] = (),
    collections: Sequence[str] = (),
    record_types: Sequence[str] = RECORD_TYPES,
    options: SyncOptions = SyncOptions(),
) -> DeviceSyncResult:
    """Sync one device. A targeted sync (the webhook path, the request planner) fetches the named
    ``records``, removes the ``deleted`` ones (readings with them) and syncs the ``collections`` named
    incrementally; otherwise ``window`` ([start, end)) or, without it, every type incrementally.

    ``conn`` must be in autocommit mode; the device is locked for the duration so an hourly run, a
    planner run and a backfill never work on it at once (a busy device is skipped, not waited for).

    The device's status is ``syncing`` only while this call holds its lock: however the sync ends
    (success, re-authorization needed, retries used up, a bad answer, any other exception, Ctrl-C)
    it leaves ``success`` or ``error`` with the reason. Exceptions other than a device's own errors
    still propagate, once the status is written.
    """
    started = time.perf_counter()
    result = DeviceSyncResult(device.nba_person_id, device.device_id)
    try:
        with device_lock(conn, str(device.device_id), wait=False):
            store.set_sync_status(conn, device.device_id, "syncing", now)
            finished = False
            try:
                _sync_locked(
                    conn,
                    _TimedClient(DeviceClient(api, tokens, device.device_id), result),
                    device,
                    now,
                    result,
                    window=window,
                    records=records,
                    deleted=deleted,
                    collections=collections,
                    record_types=record_types,
                    options=options,
                )
                finished = True  # its transaction stored the records and the status "success"
            except NeedsReauthorization as exc:
                result.status, result.error = "needs_reauthorization", str(exc)
            except ERRORS_OF_A_DEVICE as exc:
                result.status, result.error = "error", f"{type(exc).__name__}: {exc}"
                log.warning(
                    "device %s (player %s): sync failed: %s", device.device_id, device.nba_person_id, exc
                )
            except BaseException as exc:  # anything else, Ctrl-C included: recorded, then raised
                result.status, result.error = "error", f"sync stopped by {_described(exc)}"
                raise
            finally:
                if not finished:
                    _record_failure(conn, device, now, result.error or "the sync stopped before it finished")
    except LockBusy:
        result.status = "busy"
        result.error = "another sync of this device is running"
    result.seconds = time.perf_counter() - started
    return result


def _described(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _record_failure(conn: psycopg.Connection, device: store.Device, now: datetime, message: str) -> None:
    """Leave the device ``error`` with why, so no status says ``syncing`` after the sync has ended.
    Called while an exception may be in flight: a failure here is logged, never raised over it."""
    try:
        store.set_sync_status(conn, device.device_id, "error", now, message)
    except psycopg.Error as exc:
        log.error("device %s: could not record the end of its sync (%s): %s", device.device_id, message, exc)


def _sync_locked(
    conn: psycopg.Connection,
    client: _TimedClient,
    device: store.Device,
    now: datetime,
    result: DeviceSyncResult,
    *,
    window: tuple[datetime, datetime] | None,
    records: Sequence[RecordRef],
    deleted: Sequence[RecordRef],
    collections: Sequence[str],
    record_types: Sequence[str],
    options: SyncOptions,
) -> None:
    """The sync itself, under the device's lock: every page read first, then one transaction writes
    the records, moves the watermarks and sets ``success`` (a sync that fails half way writes nothing)."""
    if records or deleted or collections:
        windows = _windows(conn, device, now, None, collections, options) if collections else {}
        payloads = {t: _fetch_window(client, t, *windows[t], result) for t in FETCH_ORDER if t in windows}
        for record_type, items in _fetch_named(client, records, result).items():
            payloads.setdefault(record_type, []).extend(items)
    else:
        windows = _windows(conn, device, now, window, record_types, options)
        payloads = {t: _fetch_window(client, t, *windows[t], result) for t in FETCH_ORDER if t in windows}
    _resolve_sleeps_of_recoveries(conn, client, device, payloads)
    normalized = _normalize(payloads, result)
    with conn.transaction():
        gone = store.delete_records(conn, device, [(r.record_type, r.record_id) for r in deleted])
        counts = store.write_records(conn, device, normalized)
        if window is None and windows:  # incremental collections: they are synced up to now
            store.advance_watermarks(conn, device.device_id, {t: end for t, (_, end) in windows.items()}, now)
        store.set_sync_status(conn, device.device_id, "success", now)
    for record_type, n in gone.items():
        result.by_type[record_type].deleted += n
    for record_type, n in counts.changed.items():
        result.by_type[record_type].changed += n
    for record_type, n in counts.readings.items():
        result.by_type[record_type].readings += n


def sync_devices(
    conn: psycopg.Connection,
    api: WhoopApi,
    tokens: AccessTokens,
    devices: Iterable[store.Device],
    *,
    clock: Callable[[], datetime],
    window: tuple[datetime, datetime] | None = None,
    records: Mapping[int, Sequence[RecordRef]] | None = None,
    deleted: Mapping[int, Sequence[RecordRef]] | None = None,
    collections: Mapping[int, Sequence[str]] | None = None,
    record_types: Sequence[str] = RECORD_TYPES,
    options: SyncOptions = SyncOptions(),
    on_result: Callable[[DeviceSyncResult], None] | None = None,
) -> list[DeviceSyncResult]:
    """Sync each device in turn; one device's failure never stops the others. ``records``,
    ``deleted`` and ``collections`` (by NBA person id) make the sync targeted: those only, and only
    for the players they name."""
    results = []
    targeted_run = records is not None or deleted is not None or collections is not None
    named = {*(records or {}), *(deleted or {}), *(collections or {})}
    for device in devices:
        if targeted_run and device.nba_person_id not in named:
            continue
        result = sync_device(
            conn,
            api,
            tokens,
            device,
            now=clock(),
            window=window,
            records=(records or {}).get(device.nba_person_id, ()),
            deleted=(deleted or {}).get(device.nba_person_id, ()),
            collections=(collections or {}).get(device.nba_person_id, ()),
            record_types=record_types,
            options=options,
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return results


def _windows(
    conn: psycopg.Connection,
    device: store.Device,
    now: datetime,
    window: tuple[datetime, datetime] | None,
    record_types: Sequence[str],
    options: SyncOptions,
) -> dict[str, tuple[datetime, datetime]]:
    if window is not None:
        return {t: window for t in record_types}
    marks = store.watermarks(conn, device.device_id)
    pending = store.oldest_pending(conn, device.device_id)
    windows = {}
    for record_type in record_types:
        mark = marks.get(record_type)
        start = mark - options.overlap if mark else now - timedelta(days=options.first_sync_days)
        if record_type in pending:
            start = min(start, pending[record_type])
        windows[record_type] = (start, now)
    return windows


def _fetch_window(
    client: _TimedClient, record_type: str, start: datetime, end: datetime, result: DeviceSyncResult
) -> list[dict]:
    records: list[dict] = []
    for page in collection_pages(client.get, record_type, start, end):
        records.extend(page)
    result.by_type[record_type].fetched += len(records)
    return records


def _fetch_named(
    client: _TimedClient, refs: Sequence[RecordRef], result: DeviceSyncResult
) -> dict[str, list[dict]]:
    """Records by id. A recovery is named by its sleep's UUID and has no endpoint of its own: fetch
    the sleep, then ``/v2/cycle/{cycle_id}/recovery``. A record WHOOP no longer has is skipped."""
    payloads: dict[str, list[dict]] = {t: [] for t in FETCH_ORDER}
    for ref in refs:
        try:
            if ref.record_type == "cycle":
                payloads["cycle"].append(client.get("cycle", f"/v2/cycle/{ref.record_id}"))
            elif ref.record_type == "workout":
                payloads["workout"].append(client.get("workout", f"/v2/activity/workout/{ref.record_id}"))
            else:
                sleep = client.get("sleep", f"/v2/activity/sleep/{ref.record_id}")
                payloads["sleep"].append(sleep)
                if ref.record_type == "recovery":
                    cycle_id = sleep.get("cycle_id")
                    payloads["recovery"].append(client.get("recovery", f"/v2/cycle/{cycle_id}/recovery"))
        except NotFound:
            log.info("%s %s: not found at WHOOP; skipped", ref.record_type, ref.record_id)
            continue
    for record_type, items in payloads.items():
        result.by_type[record_type].fetched += len(items)
    return payloads


def _resolve_sleeps_of_recoveries(
    conn: psycopg.Connection, client: _TimedClient, device: store.Device, payloads: dict[str, list[dict]]
) -> None:
    """Make sure the sleep of every recovery is at hand (it gives the recovery its time and zone):
    from this sync, else from the raw records, else fetched by id."""
    recoveries = payloads.get("recovery") or []
    if not recoveries:
        return
    known = {s.get("id") for s in payloads.get("sleep", [])}
    wanted = {r.get("sleep_id") for r in recoveries if isinstance(r, dict)} - known - {None}
    if not wanted:
        return
    stored = store.raw_payloads(conn, device.device_id, "sleep", [str(w) for w in wanted])
    payloads.setdefault("sleep_context", []).extend(stored.values())
    for sleep_id in sorted(str(w) for w in wanted - set(stored)):
        try:
            payloads["sleep"].append(client.get("sleep", f"/v2/activity/sleep/{sleep_id}"))
        except NotFound:
            log.info("sleep %s of a recovery: not found at WHOOP; the recovery is timed by itself", sleep_id)


def _normalize(payloads: dict[str, list[dict]], result: DeviceSyncResult) -> list[NormalizedRecord]:
    sleeps = {
        s["id"]: s
        for s in [*payloads.get("sleep", []), *payloads.get("sleep_context", [])]
        if isinstance(s, dict) and isinstance(s.get("id"), str)
    }
    normalized = []
    for record_type in FETCH_ORDER:
        for payload in payloads.get(record_type, []):
            try:
                record = normalize(record_type, payload, sleeps=sleeps)
            except MalformedRecord as exc:
                result.by_type[record_type].malformed += 1
                log.warning("skipped a malformed record: %s", exc)
                continue
            if record.unscorable:
                result.by_type[record_type].unscorable += 1
            elif record.pending:
                result.by_type[record_type].pending += 1
            normalized.append(record)
    return normalized
