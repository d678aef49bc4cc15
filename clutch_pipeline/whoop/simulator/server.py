"""A WHOOP v2 stand-in on 127.0.0.1 that speaks the real contract (WHOOP_V2_API.md sections 1-5).

A client talks to it exactly as to ``https://api.prod.whoop.com``, with ``base_url``
(``http://127.0.0.1:PORT``) in its place:

    GET  /oauth/oauth2/auth?response_type=code&client_id=&redirect_uri=&scope=&state=&athlete=<person id>
    POST /oauth/oauth2/token            authorization_code and refresh_token grants (form body)
    GET  /developer/v2/user/profile/basic, /developer/v2/user/measurement/body
    GET  /developer/v2/cycle, /recovery, /activity/sleep, /activity/workout    (collections)
    GET  /developer/v2/cycle/{id}, /cycle/{id}/recovery, /cycle/{id}/sleep,
         /developer/v2/activity/sleep/{uuid}, /activity/workout/{uuid}
    DELETE /developer/v2/user/access

This module is the simulator as a whole: it starts and stops the server, takes each request through
faults, rate limits and authentication to its route, logs it, and lets tests change records. The parts
live beside it: ``oauth.py`` (the authorize page, the token endpoint, grants and their state file),
``api.py`` (the ``/developer/v2`` routes: collections and records), ``limits.py`` (rate limits),
``httpd.py`` (the HTTP plumbing), ``webhooks.py`` (signed webhooks), ``standalone.py`` (``serve``).

- Rate limits are per app (every user and token), in fixed windows of the simulator's clock (the
  minute, the UTC day); every request counts, OAuth ones included, except those answered 429.
- With ``webhook_url``, signed v2 webhooks go to it for users with a live grant, when
  ``deliver_webhooks`` is called (or by ``start_webhook_sender``'s thread); see ``webhooks.py``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from clutch_pipeline.fault_switches import Fault, FaultSwitches
from clutch_pipeline.whoop.simulator import api
from clutch_pipeline.whoop.simulator.api import ReceivedRequest, UserIndex
from clutch_pipeline.whoop.simulator.athletes import SimulatedAthlete
from clutch_pipeline.whoop.simulator.httpd import Answer, LoopbackServer, bearer, handler_class, send
from clutch_pipeline.whoop.simulator.limits import RateLimiter
from clutch_pipeline.whoop.simulator.oauth import ALL_SCOPES, AUTHORIZE_PATH, TOKEN_PATH, OAuthServer
from clutch_pipeline.whoop.simulator.records import RECOVERY, SLEEP, WORKOUT, SimRecord
from clutch_pipeline.whoop.simulator.webhooks import WebhookDelivery, WebhookReport, WebhookSender

__all__ = ["ALL_SCOPES", "Change", "Clock", "ReceivedRequest", "WhoopSimulator", "real_clock"]

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Change:
    """A record changed by a test method (``rescore``, ``delete_record``): what webhooks will announce."""

    kind: str  # "updated" | "deleted"
    record_type: str
    record_id: int | str  # a recovery is named by its sleep's UUID
    user_id: int
    at: datetime


class WhoopSimulator:
    """Serve ``athletes`` as WHOOP members of one app. Start with ``with WhoopSimulator(...) as whoop:``
    (or ``start()`` / ``stop()``); ``base_url`` replaces ``https://api.prod.whoop.com``.

    ``client_secret`` None: the one kept at ``state_path``, else a fresh random one (read it from
    ``client_secret``). ``state_path``: where the secret and the live grants are kept across restarts,
    so tokens issued by an earlier simulator on that file still work (see ``oauth.py``).
    """

    def __init__(
        self,
        athletes: Sequence[SimulatedAthlete],
        *,
        client_id: str,
        client_secret: str | None = None,
        clock: Clock | None = None,
        per_minute: int = 100,
        per_day: int = 10_000,
        access_token_seconds: int = 3600,
        port: int = 0,
        token_delay_seconds: float = 0.0,
        webhook_url: str | None = None,
        webhook_duplicate_share: float = 0.0,
        webhook_timeout_seconds: float = 2.0,
        webhook_seed: int = 0,
        state_path: Path | None = None,
    ):
        self.client_id = client_id
        self.clock: Clock = clock or real_clock
        self.token_delay_seconds = token_delay_seconds  # wait before answering a token request
        self.port = port
        self.athletes = list(athletes)
        self.on_change: list[Callable[[Change], None]] = []  # the seam for signed webhooks
        self.changes: list[Change] = []
        self.requests: list[ReceivedRequest] = []
        self.token_requests = 0
        self._users: dict[int, UserIndex] = {}
        self._by_person: dict[int, SimulatedAthlete] = {}
        for athlete in self.athletes:
            if athlete.user_id in self._users:
                raise ValueError(f"two athletes share WHOOP user id {athlete.user_id}")
            self._users[athlete.user_id] = UserIndex(athlete)
            self._by_person[athlete.person_id] = athlete
        self.oauth = OAuthServer(
            client_id,
            client_secret,
            {a.person_id: a.user_id for a in self.athletes},
            now=self.now,
            access_token_seconds=access_token_seconds,
            state_path=state_path,
        )
        self._limiter = RateLimiter(per_minute, per_day)
        self.faults = FaultSwitches()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: LoopbackServer | None = None
        self._thread: threading.Thread | None = None
        self.webhooks: WebhookSender | None = None
        if webhook_url:
            self.webhooks = WebhookSender(
                webhook_url,
                secret=self.client_secret,
                now=self.now,
                record_changes=self._record_changes,
                authorized=self.is_authorized,
                duplicate_share=webhook_duplicate_share,
                timeout_seconds=webhook_timeout_seconds,
                seed=webhook_seed,
            )
            self.on_change.append(self.webhooks.announce)

    @property
    def client_secret(self) -> str:
        """The app's secret: the one given, the one kept at ``state_path``, or a fresh random one."""
        return self.oauth.client_secret

    @property
    def access_token_seconds(self) -> int:
        return self.oauth.access_token_seconds

    # -- the server -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the WHOOP simulator is not started")
        address, port = self._server.server_address[:2]
        return f"http://{address}:{port}"

    def start(self) -> WhoopSimulator:
        self._stopping.clear()
        self._server = LoopbackServer(("127.0.0.1", self.port), handler_class(self._handle))
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow answers
        self.stop_webhook_sender()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> WhoopSimulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    # -- faults and token switches --------------------------------------------------------------------

    def fail(self, match: str | None = None, status: int = 500, times: int | None = 1) -> None:
        """Answer ``status`` to requests whose ``path?query`` contains ``match`` (any when None),
        ``times`` times (None: until ``clear_faults``)."""
        self.faults.add(Fault(match, times, status=status))

    def slow(self, match: str | None = None, seconds: float = 1.0, times: int | None = 1) -> None:
        """Answer matching requests only after ``seconds`` of real time (past a client's timeout)."""
        self.faults.add(Fault(match, times, delay=seconds))

    def rate_limit(self, times: int | None = 1, reset_seconds: int = 30, match: str | None = None) -> None:
        """Answer 429 (remaining 0, reset ``reset_seconds``, no Retry-After) to matching requests."""
        self.faults.add(Fault(match, times, status=429, reset_seconds=reset_seconds))

    def clear_faults(self) -> None:
        self.faults.clear()

    def expire_access_tokens(self) -> None:
        """Every access token issued so far answers 401 from now on (refresh tokens still work)."""
        self.oauth.expire_access_tokens()

    def revoke_refresh_tokens(self, user_id: int | None = None) -> None:
        """The next refresh with a current refresh token (of ``user_id``, or anyone's) is invalid_grant."""
        self.oauth.revoke_refresh_tokens(user_id)

    def issue_tokens(self, person_id: int, scopes: Sequence[str] = ALL_SCOPES) -> dict[str, Any]:
        """A token answer for an athlete without the browser dance (tests that need a connected
        device). The same as the token endpoint's, and it uses no request of the rate limit."""
        return self.oauth.issue_tokens(self._by_person[person_id].user_id, scopes)

    def is_authorized(self, user_id: int) -> bool:
        """Whether the user has a live grant (tokens were issued, access not revoked): webhooks go to it.
        With ``state_path``, grants issued before a restart count."""
        return self.oauth.is_authorized(user_id)

    def holds_live_grant(self, user_id: int) -> bool:
        """Whether a token issued to the user still works (an unspent refresh token, or an access token
        not yet expired), before a restart too with ``state_path``: a client that holds it needs no new
        consent."""
        return self.oauth.holds_live_grant(user_id)

    # -- what was asked -------------------------------------------------------------------------------

    def received(self, match: str | None = None, *, user_id: int | None = None) -> list[ReceivedRequest]:
        """Requests whose ``path?query`` contains ``match`` (all when None), of ``user_id`` if given."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (match is None or match in r.target) and (user_id is None or r.user_id == user_id)
            ]

    def count(self, match: str | None = None, *, user_id: int | None = None) -> int:
        return len(self.received(match, user_id=user_id))

    # -- changing records -----------------------------------------------------------------------------

    def athlete(self, person_id: int) -> SimulatedAthlete:
        return self._by_person[person_id]

    def record(self, user_id: int, record_type: str, record_id: int | str) -> SimRecord:
        """A user's record by WHOOP id (a recovery by its sleep's UUID or its cycle's id)."""
        index = self._users[user_id]
        if record_type == RECOVERY and isinstance(record_id, int):
            found = index.recovery_by_cycle.get(record_id)
        else:
            found = index.by_id[record_type].get(record_id)
        if found is None:
            raise KeyError(f"user {user_id} has no {record_type} {record_id}")
        return found

    def rescore(self, user_id: int, record_type: str, record_id: int | str, **changes: Any) -> SimRecord:
        """WHOOP re-scores a record: the given score fields (``recovery_score=80``, nested ones such as
        ``total_rem_sleep_time_milli`` too) take new values, it becomes SCORED now if it was not, and its
        ``updated_at`` moves to the simulator's now (strictly later than before)."""
        now = self.now()
        with self._lock:
            record = self.record(user_id, record_type, record_id)
            score = copy.deepcopy(record.score) or {}
            for name, value in changes.items():
                if not _set_nested(score, name, value):
                    raise KeyError(f"a {record_type} score has no field {name!r}")
            previous = record.rescored_at or record.scored_at
            record.score = score
            record.scorable = True
            record.scored_at = min(record.scored_at, now)
            record.rescored_at = max(now, previous + timedelta(milliseconds=1))
        self._announce(Change("updated", record_type, record.record_id, user_id, now))
        return record

    def delete_record(self, user_id: int, record_type: str, record_id: int | str) -> None:
        """WHOOP deletes a record; deleting a main sleep deletes its recovery too."""
        now = self.now()
        with self._lock:
            record = self.record(user_id, record_type, record_id)
            record.deleted = True
            deleted = [record]
            if record_type == SLEEP:
                recovery = self._users[user_id].by_id[RECOVERY].get(record.record_id)
                if recovery is not None and not recovery.deleted:
                    recovery.deleted = True
                    deleted.append(recovery)
        for gone in deleted:
            self._announce(Change("deleted", gone.record_type, gone.record_id, user_id, now))

    def changes_between(self, since: datetime, until: datetime) -> list[Change]:
        """Every change in (since, until]: records that appeared or were scored as the clock moved,
        and those changed by ``rescore``/``delete_record``."""
        found = self._record_changes(since, until)
        with self._lock:
            found += [c for c in self.changes if since < c.at <= until]
        return sorted(found, key=lambda c: c.at)

    def _record_changes(self, since: datetime, until: datetime) -> list[Change]:
        """Sleeps, recoveries and workouts that appeared or were scored in (since, until], in time order."""
        found: list[Change] = []
        for index in self._users.values():
            for record_type in (SLEEP, RECOVERY, WORKOUT):
                for record in index.lists[record_type]:
                    if record.deleted:
                        continue
                    for moment in (record.visible_at, record.scored_at):
                        if since < moment <= until:
                            found.append(
                                Change("updated", record_type, record.record_id, record.user_id, moment)
                            )
        return sorted(found, key=lambda c: c.at)

    # -- webhooks -------------------------------------------------------------------------------------

    def deliver_webhooks(self, until: datetime | None = None) -> WebhookReport:
        """POST the signed webhooks due by ``until`` (default now): events of changes since the previous
        call and retries whose time has come, in time order (see ``webhooks.py``). Without a
        ``webhook_url``, an empty report."""
        if self.webhooks is None:
            return WebhookReport()
        return self.webhooks.deliver(until)

    @property
    def webhook_log(self) -> list[WebhookDelivery]:
        """Every webhook POST so far (event, copy, attempt, status, ...), oldest first."""
        return list(self.webhooks.log) if self.webhooks is not None else []

    def start_webhook_sender(self, interval_seconds: float = 5.0) -> None:
        """Run ``deliver_webhooks`` every ``interval_seconds`` of real time in a thread (``serve``)."""
        if self.webhooks is None:
            raise RuntimeError("the WHOOP simulator has no webhook_url")
        self.webhooks.start(interval_seconds)

    def stop_webhook_sender(self) -> None:
        if self.webhooks is not None:
            self.webhooks.stop()

    def _announce(self, change: Change) -> None:
        with self._lock:
            self.changes.append(change)
        for callback in list(self.on_change):
            callback(change)

    # -- answering ------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        """One request: logged, then faults, the rate limit, and its route, in that order."""
        split = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        now = self.now()
        request = ReceivedRequest(
            method=handler.command,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            time=now,
            target=handler.path,
            user_id=self.oauth.user_of(bearer(handler.headers.get("Authorization")), now),
        )
        with self._lock:
            self.requests.append(request)
            if split.path == TOKEN_PATH:
                self.token_requests += 1
        try:
            status, answer, headers = self._answer(handler, request, body)
        except Answer as stop:
            status, answer, headers = stop.status, stop.body, stop.headers
        request.status = status
        send(handler, status, answer, headers)

    def _answer(
        self, handler: BaseHTTPRequestHandler, request: ReceivedRequest, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fault = self.faults.take(handler.path)
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.reset_seconds is not None:
            headers = self._limiter.headers(self._limiter.per_minute, 0, fault.reset_seconds)
            raise Answer(429, {"error": "too_many_requests"}, headers)
        allowed, headers = self._limiter.take(request.time)
        if not allowed:
            raise Answer(429, {"error": "too_many_requests"}, headers)
        if fault is not None and fault.status is not None:
            message = f"WHOOP simulator: HTTP {fault.status}"
            raise Answer(fault.status, {"error": "simulated_failure", "message": message}, headers)
        try:
            status, answer, extra = self._route(handler, request, body)
        except Answer as stop:
            status, answer, extra = stop.status, stop.body, stop.headers
        return status, answer, {**headers, **extra}

    def _route(
        self, handler: BaseHTTPRequestHandler, request: ReceivedRequest, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        method, path = request.method, request.path
        if path in (AUTHORIZE_PATH, TOKEN_PATH):
            if method != ("GET" if path == AUTHORIZE_PATH else "POST"):
                raise Answer(405, {"error": "method_not_allowed"})
            if path == AUTHORIZE_PATH:
                return self.oauth.authorize(request.query)
            if self.token_delay_seconds:
                self._stopping.wait(self.token_delay_seconds)
            return self.oauth.token(body)
        route, segments = api.route_of(method, path)
        token = bearer(handler.headers.get("Authorization"))
        user_id, scopes = self.oauth.authenticate(token, request.time)
        if route.scope is not None and route.scope not in scopes:
            raise Answer(403, {"error": "insufficient_scope", "scope": route.scope})
        return route.action(self, self._users[user_id], request, *segments)


def _set_nested(score: dict[str, Any], name: str, value: Any) -> bool:
    if name in score and not isinstance(score[name], dict):
        score[name] = value
        return True
    return any(_set_nested(part, name, value) for part in score.values() if isinstance(part, dict))
