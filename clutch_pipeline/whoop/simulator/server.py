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

Choices where WHOOP's documents are silent (each is what a client must tolerate anyway):

- ``athlete`` (an NBA person id) on the authorize URL stands in for the member logging in and
  consenting to every requested scope. ``state`` must be at least 8 characters (WHOOP: "must be eight
  characters long") and comes back unchanged.
- Collections keep the records with ``start <= record.start < end`` (a recovery: its sleep's start),
  ``end`` defaulting to now, newest first. ``next_token`` is the start of the page's last record: the
  next page continues strictly before it, so records that appear meanwhile never shift a page.
- A token without the endpoint's scope gets 403 ``{"error": "insufficient_scope"}`` (RFC 6750), never
  401, so a client does not mistake it for an expired token. ``/cycle/{id}/sleep`` needs
  ``read:sleep``. ``DELETE /user/access`` needs any valid token.
- Rate limits are per app (every user and token), in fixed windows of the simulator's clock (the
  minute, the UTC day); every request counts, OAuth ones included, except those answered 429.
- With ``webhook_url``, signed v2 webhooks go to it for users with a live grant, when
  ``deliver_webhooks`` is called (or by ``start_webhook_sender``'s thread); see ``webhooks.py``.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import copy
import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from clutch_pipeline.fault_switches import Fault, FaultSwitches
from clutch_pipeline.whoop.simulator.athletes import SimulatedAthlete
from clutch_pipeline.whoop.simulator.records import (
    CYCLE,
    RECORD_TYPES,
    RECOVERY,
    SLEEP,
    WORKOUT,
    SimRecord,
    millis,
)
from clutch_pipeline.whoop.simulator.webhooks import WebhookDelivery, WebhookReport, WebhookSender

AUTHORIZE_PATH = "/oauth/oauth2/auth"
TOKEN_PATH = "/oauth/oauth2/token"
API = "/developer/v2"
READ_SCOPES = (
    "read:recovery",
    "read:cycles",
    "read:workout",
    "read:sleep",
    "read:profile",
    "read:body_measurement",
)
ALL_SCOPES = (*READ_SCOPES, "offline")
CODE_LIFETIME = timedelta(minutes=10)
MIN_STATE_LENGTH = 8
DEFAULT_LIMIT, MAX_LIMIT = 10, 25

Clock = Callable[[], datetime]


def real_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class ReceivedRequest:
    """One request as received; ``user_id`` is the bearer token's user (None without a valid one) and
    ``status`` the answer's status once sent."""

    method: str
    path: str
    query: dict[str, str]
    time: datetime  # the simulator's clock
    target: str  # path and query, as sent
    user_id: int | None = None
    status: int | None = None


@dataclass(frozen=True)
class Change:
    """A record changed by a test method (``rescore``, ``delete_record``): what webhooks will announce."""

    kind: str  # "updated" | "deleted"
    record_type: str
    record_id: int | str  # a recovery is named by its sleep's UUID
    user_id: int
    at: datetime


@dataclass
class _Grant:
    user_id: int
    scopes: tuple[str, ...]
    access_tokens: set[str] = field(default_factory=set)
    refresh_token: str | None = None


@dataclass
class _Access:
    grant: _Grant
    expires_at: datetime


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    user_id: int
    expires_at: datetime
    used: bool = False


class _UserIndex:
    """One user's records, sorted for collections (newest first) and keyed for lookups by id."""

    def __init__(self, athlete: SimulatedAthlete):
        self.athlete = athlete
        self.lists: dict[str, list[SimRecord]] = {}
        self.keys: dict[str, list[int]] = {}  # minus start in ms, ascending: bisect-able
        self.by_id: dict[str, dict[int | str, SimRecord]] = {}
        for record_type in RECORD_TYPES:
            records = sorted(athlete.records(record_type), key=lambda r: r.start_ms, reverse=True)
            self.lists[record_type] = records
            self.keys[record_type] = [-r.start_ms for r in records]
            self.by_id[record_type] = {r.record_id: r for r in records}
        self.recovery_by_cycle = {r.fields["cycle_id"]: r for r in athlete.recoveries}
        self.sleep_by_cycle = {s.fields["cycle_id"]: s for s in athlete.sleeps if not s.fields["nap"]}


class _RateLimiter:
    """Fixed windows on the simulator's clock: the minute and the UTC day."""

    def __init__(self, per_minute: int, per_day: int):
        self.per_minute = int(per_minute)
        self.per_day = int(per_day)
        self._minute = (-1, 0)  # (window number, requests counted)
        self._day = (-1, 0)
        self._lock = threading.Lock()

    def take(self, now: datetime) -> tuple[bool, dict[str, str]]:
        """Count one request if both windows allow it; the headers to send either way."""
        t = now.timestamp()
        minute, day = int(t // 60), int(t // 86_400)
        with self._lock:
            used_minute = self._minute[1] if self._minute[0] == minute else 0
            used_day = self._day[1] if self._day[0] == day else 0
            allowed = used_minute < self.per_minute and used_day < self.per_day
            if allowed:
                used_minute += 1
                used_day += 1
            self._minute, self._day = (minute, used_minute), (day, used_day)
        left_minute, left_day = self.per_minute - used_minute, self.per_day - used_day
        if left_day < left_minute:
            limit, left, reset = self.per_day, left_day, (day + 1) * 86_400 - t
        else:
            limit, left, reset = self.per_minute, left_minute, (minute + 1) * 60 - t
        return allowed, self.headers(limit, left, reset)

    def headers(self, limit: int, remaining: int, reset: float) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": f"{limit}, {self.per_minute};window=60, {self.per_day};window=86400",
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": str(max(1, int(-(-reset // 1)))),
        }


class _Answer(Exception):
    """Stops handling with this answer (an error, a redirect)."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]):
        self.open_sockets: set[socket.socket] = set()
        self._sockets_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        with self._sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """End kept-alive connections, so their threads finish (``server_close`` leaves them open)."""
        with self._sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class WhoopSimulator:
    """Serve ``athletes`` as WHOOP members of one app. Start with ``with WhoopSimulator(...) as whoop:``
    (or ``start()`` / ``stop()``); ``base_url`` replaces ``https://api.prod.whoop.com``."""

    def __init__(
        self,
        athletes: Sequence[SimulatedAthlete],
        *,
        client_id: str,
        client_secret: str,
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
    ):
        self.client_id = client_id
        self.client_secret = client_secret
        self.clock: Clock = clock or real_clock
        self.access_token_seconds = access_token_seconds
        self.token_delay_seconds = token_delay_seconds  # wait before answering a token request
        self.port = port
        self.athletes = list(athletes)
        self.on_change: list[Callable[[Change], None]] = []  # the seam for signed webhooks
        self.changes: list[Change] = []
        self.requests: list[ReceivedRequest] = []
        self.token_requests = 0
        self._users: dict[int, _UserIndex] = {}
        self._by_person: dict[int, SimulatedAthlete] = {}
        for athlete in self.athletes:
            if athlete.user_id in self._users:
                raise ValueError(f"two athletes share WHOOP user id {athlete.user_id}")
            self._users[athlete.user_id] = _UserIndex(athlete)
            self._by_person[athlete.person_id] = athlete
        self._limiter = _RateLimiter(per_minute, per_day)
        self.faults = FaultSwitches()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, _Grant] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._authorized: set[int] = set()  # users with a live grant: they receive webhooks
        self.webhooks: WebhookSender | None = None
        if webhook_url:
            self.webhooks = WebhookSender(
                webhook_url,
                secret=client_secret,
                now=self.now,
                record_changes=self._record_changes,
                authorized=self.is_authorized,
                duplicate_share=webhook_duplicate_share,
                timeout_seconds=webhook_timeout_seconds,
                seed=webhook_seed,
            )
            self.on_change.append(self.webhooks.announce)

    # -- the server -----------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the WHOOP simulator is not started")
        address, port = self._server.server_address[:2]
        return f"http://{address}:{port}"

    def start(self) -> WhoopSimulator:
        simulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive: a client's session reuses its connection
            timeout = 30  # an idle kept-alive connection is closed after this
            disable_nagle_algorithm = True  # no Nagle/delayed-ACK stall between headers and body

            def do_GET(self) -> None:
                simulator._handle(self)

            do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._stopping.clear()
        self._server = _Server(("127.0.0.1", self.port), Handler)
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
        with self._lock:
            for access in self._access.values():
                access.grant.access_tokens.clear()
            self._access.clear()

    def revoke_refresh_tokens(self, user_id: int | None = None) -> None:
        """The next refresh with a current refresh token (of ``user_id``, or anyone's) is invalid_grant."""
        with self._lock:
            for token, grant in list(self._refresh.items()):
                if user_id is None or grant.user_id == user_id:
                    del self._refresh[token]
                    grant.refresh_token = None

    def issue_tokens(self, person_id: int, scopes: Sequence[str] = ALL_SCOPES) -> dict[str, Any]:
        """A token answer for an athlete without the browser dance (tests that need a connected
        device). The same as the token endpoint's, and it uses no request of the rate limit."""
        athlete = self._by_person[person_id]
        with self._lock:
            return self._issue(_Grant(athlete.user_id, tuple(scopes)), self.now())

    def is_authorized(self, user_id: int) -> bool:
        """Whether the user has a live grant (tokens were issued, access not revoked): webhooks go to it."""
        with self._lock:
            return user_id in self._authorized

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
        )
        with self._lock:
            self.requests.append(request)
            if split.path == TOKEN_PATH:
                self.token_requests += 1
            access = self._access.get(_bearer(handler.headers.get("Authorization")))
            if access is not None and access.expires_at > now:
                request.user_id = access.grant.user_id
        fault = self.faults.take(handler.path)
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.reset_seconds is not None:
            headers = self._limiter.headers(self._limiter.per_minute, 0, fault.reset_seconds)
            self._send(handler, request, 429, {"error": "too_many_requests"}, headers)
            return
        allowed, headers = self._limiter.take(now)
        if not allowed:
            self._send(handler, request, 429, {"error": "too_many_requests"}, headers)
            return
        if fault is not None and fault.status is not None:
            body_json = {"error": "simulated_failure", "message": f"WHOOP simulator: HTTP {fault.status}"}
            self._send(handler, request, fault.status, body_json, headers)
            return
        try:
            status, answer, extra = self._route(handler, request, body)
        except _Answer as stop:
            status, answer, extra = stop.status, stop.body, stop.headers
        self._send(handler, request, status, answer, {**headers, **extra})

    def _send(
        self,
        handler: BaseHTTPRequestHandler,
        request: ReceivedRequest,
        status: int,
        body: Any,
        headers: Mapping[str, str],
    ) -> None:
        request.status = status
        if body is None:
            data, content_type = b"", None
        elif isinstance(body, str):
            data, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            data, content_type = json.dumps(body, separators=(",", ":")).encode(), "application/json"
        try:
            handler.send_response(status)
            if content_type:
                handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(data)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first (a slow answer past its timeout)

    def _route(
        self, handler: BaseHTTPRequestHandler, request: ReceivedRequest, body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        method, path = request.method, request.path
        if path in (AUTHORIZE_PATH, TOKEN_PATH):
            if method != ("GET" if path == AUTHORIZE_PATH else "POST"):
                raise _Answer(405, {"error": "method_not_allowed"})
            return self._authorize(request.query) if path == AUTHORIZE_PATH else self._token(body)
        if not path.startswith(API + "/"):
            raise _Answer(404, {"error": "not_found"})
        route = path[len(API) :]
        for pattern, route_method, scope, action in _ROUTES:
            matched = pattern.fullmatch(route)
            if matched is None:
                continue
            if method != route_method:
                raise _Answer(405, {"error": "method_not_allowed"})
            user_id, scopes = self._authenticate(handler, request)
            if scope is not None and scope not in scopes:
                raise _Answer(403, {"error": "insufficient_scope", "scope": scope})
            return action(self, self._users[user_id], request, *matched.groups())
        raise _Answer(404, {"error": "not_found"})

    def _authenticate(
        self, handler: BaseHTTPRequestHandler, request: ReceivedRequest
    ) -> tuple[int, tuple[str, ...]]:
        token = _bearer(handler.headers.get("Authorization"))
        with self._lock:
            access = self._access.get(token)
            if access is None or access.expires_at <= request.time:
                raise _Answer(
                    401, {"error": "invalid_token"}, {"WWW-Authenticate": 'Bearer error="invalid_token"'}
                )
            return access.grant.user_id, access.grant.scopes

    # -- OAuth ----------------------------------------------------------------------------------------

    def _authorize(self, query: Mapping[str, str]) -> tuple[int, Any, dict[str, str]]:
        if query.get("client_id") != self.client_id:
            raise _Answer(400, "Invalid request: unknown client_id.")
        if query.get("response_type") != "code":
            raise _Answer(400, "Invalid request: response_type must be 'code'.")
        redirect_uri = query.get("redirect_uri") or ""
        if not redirect_uri:
            raise _Answer(400, "Invalid request: redirect_uri is required.")
        state = query.get("state") or ""
        if len(state) < MIN_STATE_LENGTH:
            raise _Answer(400, f"Invalid request: state must be at least {MIN_STATE_LENGTH} characters.")
        scopes = tuple(dict.fromkeys((query.get("scope") or "").split()))
        unknown = [s for s in scopes if s not in ALL_SCOPES]
        if not scopes or unknown:
            raise _Answer(
                400, f"Invalid request: unknown or missing scope {' '.join(unknown)}".rstrip() + "."
            )
        try:
            athlete = self._by_person[int(query.get("athlete") or "")]
        except (KeyError, ValueError):
            raise _Answer(
                400, "No such athlete: pass athlete=<NBA person id> of a simulated member."
            ) from None
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Code(
                self.client_id, redirect_uri, scopes, athlete.user_id, self.now() + CODE_LIFETIME
            )
        separator = "&" if "?" in redirect_uri else "?"
        location = (
            redirect_uri + separator + urlencode({"code": code, "scope": " ".join(scopes), "state": state})
        )
        return 302, None, {"Location": location}

    def _token(self, body: bytes) -> tuple[int, Any, dict[str, str]]:
        if self.token_delay_seconds:
            self._stopping.wait(self.token_delay_seconds)
        form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        if form.get("client_id") != self.client_id or not secrets.compare_digest(
            form.get("client_secret", ""), self.client_secret
        ):
            raise _Answer(
                401, {"error": "invalid_client", "error_description": "Client authentication failed."}
            )
        now = self.now()
        grant_type = form.get("grant_type")
        with self._lock:
            if grant_type == "authorization_code":
                code = self._codes.get(form.get("code", ""))
                if code is None or code.used or code.expires_at <= now or code.client_id != form["client_id"]:
                    raise _invalid_grant("The authorization code is invalid, expired or already used.")
                if form.get("redirect_uri") != code.redirect_uri:
                    raise _invalid_grant("redirect_uri does not match the authorization request.")
                code.used = True
                answer = self._issue(_Grant(code.user_id, code.scopes), now)
            elif grant_type == "refresh_token":
                grant = self._refresh.pop(form.get("refresh_token", ""), None)
                if grant is None:
                    raise _invalid_grant("The refresh token is invalid, spent or revoked.")
                for token in grant.access_tokens:  # rotation: the old access token dies with it
                    self._access.pop(token, None)
                grant.access_tokens.clear()
                grant.refresh_token = None
                answer = self._issue(grant, now)
            else:
                raise _Answer(400, {"error": "unsupported_grant_type"})
        return 200, answer, {"Cache-Control": "no-store"}

    def _issue(self, grant: _Grant, now: datetime) -> dict[str, Any]:
        access = secrets.token_urlsafe(32)
        self._access[access] = _Access(grant, now + timedelta(seconds=self.access_token_seconds))
        self._authorized.add(grant.user_id)
        grant.access_tokens.add(access)
        answer: dict[str, Any] = {"access_token": access, "expires_in": self.access_token_seconds}
        if "offline" in grant.scopes:
            refresh = secrets.token_urlsafe(32)
            self._refresh[refresh] = grant
            grant.refresh_token = refresh
            answer["refresh_token"] = refresh
        answer["scope"] = " ".join(grant.scopes)
        answer["token_type"] = "bearer"
        return answer

    # -- the API --------------------------------------------------------------------------------------

    def _profile(self, index: _UserIndex, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        athlete = index.athlete
        profile = {
            "user_id": athlete.user_id,
            "email": athlete.email,
            "first_name": athlete.first_name,
            "last_name": athlete.last_name,
        }
        return 200, profile, {}

    def _body(self, index: _UserIndex, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        return 200, dict(index.athlete.body), {}

    def _revoke(self, index: _UserIndex, request: ReceivedRequest) -> tuple[int, Any, dict[str, str]]:
        user_id = index.athlete.user_id
        with self._lock:
            self._authorized.discard(user_id)  # "it will no longer receive webhooks for this user"
            for token, access in list(self._access.items()):
                if access.grant.user_id == user_id:
                    del self._access[token]
        self.revoke_refresh_tokens(user_id)
        return 204, None, {}

    def _page(
        self, index: _UserIndex, record_type: str, request: ReceivedRequest
    ) -> tuple[int, Any, dict[str, str]]:
        query, now = request.query, request.time
        limit = _limit(query.get("limit"))
        lower = _timestamp(query, "start")
        upper = millis(_timestamp(query, "end") or now)
        token = query.get("nextToken")
        if token:
            upper = min(upper, _decode_token(token, index.athlete.user_id))
        records, keys = index.lists[record_type], index.keys[record_type]
        position = bisect.bisect_right(keys, -upper)  # the first record with start < upper
        lower_ms = millis(lower) if lower is not None else None
        page: list[SimRecord] = []
        next_token = None
        while position < len(records):
            record = records[position]
            position += 1
            if lower_ms is not None and record.start_ms < lower_ms:
                break
            if not record.visible(now):
                continue
            if len(page) == limit:
                next_token = _encode_token(page[-1].start_ms, index.athlete.user_id)
                break
            page.append(record)
        answer: dict[str, Any] = {"records": [r.payload(now) for r in page]}
        if next_token:
            answer["next_token"] = next_token
        return 200, answer, {}

    def _record(
        self, record_type: str, index: _UserIndex, request: ReceivedRequest, raw_id: str
    ) -> tuple[int, Any, dict[str, str]]:
        key = _cycle_id(raw_id) if record_type == CYCLE else _uuid(raw_id)
        return _visible(index.by_id[record_type].get(key), request.time)

    def _cycle_recovery(
        self, index: _UserIndex, request: ReceivedRequest, raw_id: str
    ) -> tuple[int, Any, dict]:
        return _visible(index.recovery_by_cycle.get(_cycle_id(raw_id)), request.time)

    def _cycle_sleep(self, index: _UserIndex, request: ReceivedRequest, raw_id: str) -> tuple[int, Any, dict]:
        return _visible(index.sleep_by_cycle.get(_cycle_id(raw_id)), request.time)


def _routes() -> list[tuple[re.Pattern[str], str, str | None, Callable[..., Any]]]:
    def collection(record_type: str) -> Callable[..., Any]:
        return lambda sim, index, request: sim._page(index, record_type, request)

    def by_id(record_type: str) -> Callable[..., Any]:
        return lambda sim, index, request, raw: sim._record(record_type, index, request, raw)

    segment = r"([^/]+)"
    return [
        (re.compile(r"/user/profile/basic"), "GET", "read:profile", WhoopSimulator._profile),
        (re.compile(r"/user/measurement/body"), "GET", "read:body_measurement", WhoopSimulator._body),
        (re.compile(r"/user/access"), "DELETE", None, WhoopSimulator._revoke),
        (re.compile(r"/cycle"), "GET", "read:cycles", collection(CYCLE)),
        (re.compile(rf"/cycle/{segment}"), "GET", "read:cycles", by_id(CYCLE)),
        (re.compile(rf"/cycle/{segment}/recovery"), "GET", "read:recovery", WhoopSimulator._cycle_recovery),
        (re.compile(rf"/cycle/{segment}/sleep"), "GET", "read:sleep", WhoopSimulator._cycle_sleep),
        (re.compile(r"/recovery"), "GET", "read:recovery", collection(RECOVERY)),
        (re.compile(r"/activity/sleep"), "GET", "read:sleep", collection(SLEEP)),
        (re.compile(rf"/activity/sleep/{segment}"), "GET", "read:sleep", by_id(SLEEP)),
        (re.compile(r"/activity/workout"), "GET", "read:workout", collection(WORKOUT)),
        (re.compile(rf"/activity/workout/{segment}"), "GET", "read:workout", by_id(WORKOUT)),
    ]


_ROUTES = _routes()


def _visible(record: SimRecord | None, now: datetime) -> tuple[int, Any, dict[str, str]]:
    if record is None or not record.visible(now):
        raise _Answer(404, {"error": "not_found"})
    return 200, record.payload(now), {}


def _invalid_grant(description: str) -> _Answer:
    return _Answer(400, {"error": "invalid_grant", "error_description": description})


def _bearer(header: str | None) -> str:
    if not header:
        return ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise _Answer(400, {"error": "bad_request", "message": "limit must be an integer"}) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _Answer(400, {"error": "bad_request", "message": f"limit must be between 1 and {MAX_LIMIT}"})
    return limit


def _timestamp(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "+"))  # a bare '+' decodes as space
    except ValueError:
        raise _Answer(
            400, {"error": "bad_request", "message": f"{name} must be an ISO-8601 date-time"}
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _encode_token(start_ms: int, user_id: int) -> str:
    return base64.urlsafe_b64encode(f"{start_ms}:{user_id}".encode()).decode().rstrip("=")


def _decode_token(token: str, user_id: int) -> int:
    try:
        start_ms, owner = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split(":")
        if int(owner) != user_id:
            raise ValueError("another user's token")
        return int(start_ms)
    except ValueError:
        raise _Answer(400, {"error": "bad_request", "message": "invalid nextToken"}) from None


def _cycle_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _Answer(400, {"error": "bad_request", "message": "cycle id must be an integer"}) from None


def _uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise _Answer(400, {"error": "bad_request", "message": "id must be a UUID"}) from None


def _set_nested(score: dict[str, Any], name: str, value: Any) -> bool:
    if name in score and not isinstance(score[name], dict):
        score[name] = value
        return True
    return any(_set_nested(part, name, value) for part in score.values() if isinstance(part, dict))


# -- the CLI's blocking server ---------------------------------------------------------------------------


def serve(
    database_url: str,
    *,
    start: date,
    end: date,
    person_ids: Sequence[int] | None = None,
    port: int = 0,
    client_id: str = "clutch-simulator",
    client_secret: str = "clutch-simulator-secret",
    readiness_csv: Path | str | None = None,
    per_minute: int = 100,
    per_day: int = 10_000,
    seed: int = 0,
    out: Callable[[str], None] = print,
    stop: threading.Event | None = None,
    webhook_url: str | None = None,
    webhook_interval_seconds: float = 5.0,
    webhook_duplicate_share: float = 0.0,
) -> None:
    """Serve simulated athletes until Ctrl-C (or ``stop`` is set): the given NBA person ids, or every
    player of the games in the database dated ``start`` to ``end``. Prints the base URL and athletes.
    With ``webhook_url``, a thread POSTs the signed webhooks of authorized users every
    ``webhook_interval_seconds``."""
    import psycopg

    from clutch_pipeline.whoop.simulator.athletes import build_athletes, load_readiness_csv, players_of_games

    readiness = load_readiness_csv(readiness_csv) if readiness_csv else None
    started = time.perf_counter()
    with psycopg.connect(database_url) as conn:
        ids = list(person_ids) if person_ids else players_of_games(conn, start, end)
        athletes = build_athletes(conn, ids, start, end, readiness=readiness, seed=seed)
    built = time.perf_counter() - started
    if not athletes:
        raise ValueError(f"no athlete to simulate: no player of those ids acts in a game near {start}..{end}")
    simulator = WhoopSimulator(
        athletes,
        client_id=client_id,
        client_secret=client_secret,
        per_minute=per_minute,
        per_day=per_day,
        port=port,
        webhook_url=webhook_url,
        webhook_duplicate_share=webhook_duplicate_share,
        webhook_seed=seed,
    )
    with simulator:
        records = sum(len(a.cycles) + len(a.sleeps) + len(a.recoveries) + len(a.workouts) for a in athletes)
        out(f"WHOOP simulator at {simulator.base_url} (replaces https://api.prod.whoop.com)")
        out(f"client_id={client_id} client_secret={client_secret}")
        out(f"limits: {per_minute}/minute, {per_day}/day; {len(athletes)} athletes, {records} records")
        out(f"days {start}..{end}, built in {built:.1f}s")
        if webhook_url:
            simulator.start_webhook_sender(webhook_interval_seconds)
            out(
                f"webhooks: POST to {webhook_url} every {webhook_interval_seconds:g}s "
                f"(signed with client_secret; authorized users only)"
            )
        for athlete in athletes:
            out(
                f"  athlete={athlete.person_id}  user_id={athlete.user_id}  "
                f"{athlete.first_name} {athlete.last_name}"
            )
        example = urlencode(
            {
                "response_type": "code",
                "client_id": client_id,
                "redirect_uri": "http://127.0.0.1:8080/callback",
                "scope": " ".join(ALL_SCOPES),
                "state": "12345678",
                "athlete": athletes[0].person_id,
            }
        )
        out(f"authorize: {simulator.base_url}{AUTHORIZE_PATH}?{example}")
        waiter = stop or threading.Event()
        try:
            while not waiter.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
