"""Signed WHOOP v2 webhooks from the simulator (WHOOP_V2_API.md section 4), retries and duplicates included.

``WhoopSimulator(webhook_url=...)`` owns a ``WebhookSender``: each ``deliver_webhooks(until)`` call
POSTs, in time order, the events that came due since the previous call, and the retries of failed
ones whose time has come. The contract it keeps:

- Events ``sleep.updated``, ``workout.updated``, ``recovery.updated`` and the three ``*.deleted``; a
  recovery is named by its sleep's UUID; none for cycles (WHOOP sends none). WHOOP publishes creations
  as updates, so a record sends ``*.updated`` when it appears (``PENDING_SCORE``) and again when it is
  scored; ``rescore`` sends one, ``delete_record`` one per deleted record (a sleep and its recovery).
- Only for users with a live grant (tokens issued and not revoked by ``DELETE /v2/user/access``), both
  when the change happens and when each attempt is made: a revoked user's pending retries are dropped.
- The body is exactly ``{"user_id": <int64>, "id": "<uuid>", "type": "...", "trace_id": "<uuid>"}``
  (compact JSON, that key order); ``X-WHOOP-Signature-Timestamp`` is the simulator clock in epoch
  milliseconds at the attempt, ``X-WHOOP-Signature`` is ``sign_webhook(client_secret, timestamp, body)``.
- A non-2xx answer (redirects included, they are not followed), a timeout or a refused connection is a
  failure. WHOOP retries "five times over the course of about one hour": retry n is due
  ``RETRY_DELAYS[n-1]`` (1, 5, 10, 20, 30 minutes) of simulator time after the failed attempt before it,
  so 66 minutes after the first try the 5th retry is made; if it fails the event is dropped. An event
  is tried at most once per ``deliver_webhooks`` call.
- Deterministic: trace ids are derived from the seed and the change (type, user, id, time, and how many
  times that same change came before); an event is delivered twice (same trace_id, same body, each copy
  with its own retries) when a hash of seed and trace id falls below ``duplicate_share``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import requests

from clutch_pipeline.whoop.simulator.records import CYCLE, millis

if TYPE_CHECKING:
    from clutch_pipeline.whoop.simulator.server import Change

log = logging.getLogger(__name__)

RETRY_DELAYS: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in (1, 5, 10, 20, 30))
EVENT_RECORD_TYPES = ("sleep", "workout", "recovery")
SIGNATURE_HEADER = "X-WHOOP-Signature"
TIMESTAMP_HEADER = "X-WHOOP-Signature-Timestamp"


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    """The reference formula (WHOOP_V2_API.md section 4, "Webhooks Security"):
    ``base64(HMAC-SHA256(key=client_secret, msg=timestamp_header + raw_body))``, the timestamp header's
    text prepended to the raw body bytes with no separator, standard base64 of the raw digest (not hex).
    A receiver verifies with ``hmac.compare_digest(sign_webhook(secret, ts_header, raw_body), sig_header)``.
    """
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True)
class WebhookEvent:
    """One webhook event: ``at`` is when its change happened (the simulator clock)."""

    type: str  # "sleep.updated", "recovery.deleted", ...
    user_id: int
    record_id: str  # the sleep's or workout's UUID; a recovery's sleep's UUID
    trace_id: str
    at: datetime

    def payload(self) -> dict[str, int | str]:
        return {"user_id": self.user_id, "id": self.record_id, "type": self.type, "trace_id": self.trace_id}

    def body(self) -> bytes:
        return json.dumps(self.payload(), separators=(",", ":")).encode("utf-8")


@dataclass
class WebhookDelivery:
    """One POST of an event: ``attempt`` 0 is the first try, 1..5 the retries; ``copy`` 1 is the
    duplicate of a doubly delivered event. ``status`` is None on a timeout or connection error."""

    event: WebhookEvent
    copy: int
    attempt: int
    at: datetime  # the simulator clock when sent
    timestamp: str  # the X-WHOOP-Signature-Timestamp sent
    status: int | None
    error: str | None = None
    next_attempt_at: datetime | None = None  # when the retry is due (failed, not dropped)
    dropped: bool = False  # failed after the last retry: given up

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass
class WebhookReport:
    """What one ``deliver_webhooks`` call did."""

    deliveries: list[WebhookDelivery] = field(default_factory=list)
    skipped: int = 0  # events (or pending retries) not sent: the user had no live grant
    pending: int = 0  # failed deliveries waiting for a retry after this call

    @property
    def sent(self) -> int:
        return len(self.deliveries)

    @property
    def delivered(self) -> int:
        return sum(d.ok for d in self.deliveries)

    @property
    def failed(self) -> int:
        return sum(not d.ok for d in self.deliveries)

    @property
    def dropped(self) -> int:
        return sum(d.dropped for d in self.deliveries)


@dataclass
class _Pending:
    event: WebhookEvent
    copy: int
    attempt: int
    due: datetime
    order: int


class WebhookSender:
    """Queues the simulator's changes as events and POSTs them (see the module's docstring).

    ``record_changes(since, until)`` lists the records that appeared or were scored in (since, until];
    changes announced by ``rescore``/``delete_record`` come through ``announce``; ``authorized(user_id)``
    says whether the user has a live grant. Delivery starts with changes after ``now()`` at creation.
    """

    def __init__(
        self,
        url: str,
        *,
        secret: str,
        now: Callable[[], datetime],
        record_changes: Callable[[datetime, datetime], Sequence[Change]],
        authorized: Callable[[int], bool],
        duplicate_share: float = 0.0,
        timeout_seconds: float = 2.0,
        seed: int = 0,
        retry_delays: Sequence[timedelta] = RETRY_DELAYS,
    ):
        if not 0.0 <= duplicate_share <= 1.0:
            raise ValueError("webhook_duplicate_share must be between 0 and 1")
        self.url = url
        self.secret = secret
        self.duplicate_share = float(duplicate_share)
        self.timeout_seconds = float(timeout_seconds)
        self.seed = seed
        self.retry_delays = tuple(retry_delays)
        self.log: list[WebhookDelivery] = []
        self._now = now
        self._record_changes = record_changes
        self._authorized = authorized
        self._since = now()
        self._announced: list[tuple[Change, bool]] = []  # (Change, authorized when it happened)
        self._pending: list[_Pending] = []
        self._occurrences: dict[str, int] = {}
        self._order = 0
        self._lock = threading.Lock()  # the queues
        self._delivering = threading.Lock()  # one delivery run at a time
        self._session = requests.Session()
        self._session.trust_env = False  # a local receiver: no proxy from the environment
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    # -- queueing -------------------------------------------------------------------------------------

    def announce(self, change: Change) -> None:
        """An ``on_change`` callback: a change made by ``rescore``/``delete_record``."""
        if change.record_type not in EVENT_RECORD_TYPES:
            return
        authorized = self._authorized(change.user_id)
        with self._lock:
            self._announced.append((change, authorized))

    def pending(self) -> list[tuple[WebhookEvent, int, int, datetime]]:
        """Failed deliveries waiting for a retry: (event, copy, next attempt number, due time)."""
        with self._lock:
            return [(p.event, p.copy, p.attempt, p.due) for p in sorted(self._pending, key=_sort_key)]

    def _event(self, change: Change) -> WebhookEvent:
        kind = f"{change.record_type}.{change.kind}"
        key = f"{self.seed}|{kind}|{change.user_id}|{change.record_id}|{millis(change.at)}"
        count = self._occurrences.get(key, 0)
        self._occurrences[key] = count + 1
        digest = hashlib.sha256(f"trace|{key}|{count}".encode()).digest()
        trace_id = str(uuid.UUID(bytes=digest[:16], version=4))
        return WebhookEvent(kind, int(change.user_id), str(change.record_id), trace_id, change.at)

    def _copies(self, event: WebhookEvent) -> int:
        digest = hashlib.sha256(f"duplicate|{self.seed}|{event.trace_id}".encode()).digest()
        share = int.from_bytes(digest[:8], "big") / 2**64
        return 2 if share < self.duplicate_share else 1

    def _queue_new(self, until: datetime) -> int:
        """Turn the changes up to ``until`` into pending first attempts; the number skipped."""
        with self._lock:
            announced = [(c, ok) for c, ok in self._announced if c.at <= until]
            self._announced = [(c, ok) for c, ok in self._announced if c.at > until]
            since, self._since = self._since, max(self._since, until)
        changes = list(announced)
        seen = {(c.kind, c.record_type, c.record_id, c.user_id, c.at) for c, _ in announced}
        if until > since:
            for change in self._record_changes(since, until):
                key = (change.kind, change.record_type, change.record_id, change.user_id, change.at)
                if change.record_type != CYCLE and key not in seen:  # a rescore also moves scored_at
                    changes.append((change, True))
        changes.sort(key=lambda item: item[0].at)
        skipped = 0
        with self._lock:
            for change, was_authorized in changes:
                if change.record_type not in EVENT_RECORD_TYPES:
                    continue
                if not (was_authorized and self._authorized(change.user_id)):
                    skipped += 1
                    continue
                event = self._event(change)
                for copy in range(self._copies(event)):
                    self._schedule(event, copy, 0, change.at)
        return skipped

    def _schedule(self, event: WebhookEvent, copy: int, attempt: int, due: datetime) -> None:
        self._order += 1  # ties (a duplicate, events of one moment) keep their queueing order
        self._pending.append(_Pending(event, copy, attempt, due, self._order))

    # -- delivering -----------------------------------------------------------------------------------

    def deliver(self, until: datetime | None = None) -> WebhookReport:
        """POST every event due by ``until`` (default now), in time order: new ones and due retries."""
        with self._delivering:
            until = self._now() if until is None else until.astimezone(UTC)
            report = WebhookReport(skipped=self._queue_new(until))
            with self._lock:
                due = sorted((p for p in self._pending if p.due <= until), key=_sort_key)
                self._pending = [p for p in self._pending if p.due > until]
            for item in due:
                if not self._authorized(item.event.user_id):
                    report.skipped += 1  # revoked since: no more webhooks for this user
                    continue
                delivery = self._post(item)
                report.deliveries.append(delivery)
                if delivery.ok:
                    continue
                if item.attempt < len(self.retry_delays):
                    due = delivery.at + self.retry_delays[item.attempt]
                    delivery.next_attempt_at = due
                    with self._lock:
                        self._schedule(item.event, item.copy, item.attempt + 1, due)
                else:
                    delivery.dropped = True
            with self._lock:
                self.log.extend(report.deliveries)
                report.pending = len(self._pending)
            return report

    def _post(self, item: _Pending) -> WebhookDelivery:
        at = self._now().astimezone(UTC)
        timestamp = str(millis(at))
        body = item.event.body()
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign_webhook(self.secret, timestamp, body),
        }
        delivery = WebhookDelivery(item.event, item.copy, item.attempt, at, timestamp, None)
        try:
            answer = self._session.post(
                self.url, data=body, headers=headers, timeout=self.timeout_seconds, allow_redirects=False
            )
            delivery.status = answer.status_code
            answer.close()
        except requests.RequestException as error:
            delivery.error = f"{type(error).__name__}: {error}"
        return delivery

    # -- the background sender ------------------------------------------------------------------------

    def start(self, interval_seconds: float = 5.0) -> None:
        """Call ``deliver`` every ``interval_seconds`` of real time in a daemon thread, until ``stop``."""
        if self._thread is not None:
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval_seconds):
                try:
                    self.deliver()
                except Exception:  # keep sending; the next run tries again
                    log.exception("webhook delivery failed")

        self._thread = threading.Thread(target=run, name="whoop-webhook-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout_seconds + 5)
            self._thread = None

    def close(self) -> None:
        self.stop()
        self._session.close()


def _sort_key(item: _Pending) -> tuple[datetime, int]:
    return item.due, item.order
