"""The simulator's ``/developer/v2`` routes: profile and body, collections page by page, records by id.

Choices where WHOOP's documents are silent (each is what a client must tolerate anyway):

- Collections keep the records with ``start <= record.start < end`` (a recovery: its sleep's start),
  ``end`` defaulting to now, newest first. ``next_token`` is the start of the page's last record: the
  next page continues strictly before it, so records that appear meanwhile never shift a page.
- ``/cycle/{id}/sleep`` needs ``read:sleep``; ``DELETE /user/access`` needs any valid token.
- A record is served only once it is visible on the simulator's clock (see ``records.py``).
"""

from __future__ import annotations

import base64
import bisect
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from clutch_pipeline.whoop.simulator.athletes import SimulatedAthlete
from clutch_pipeline.whoop.simulator.httpd import Answer
from clutch_pipeline.whoop.simulator.records import (
    CYCLE,
    RECORD_TYPES,
    RECOVERY,
    SLEEP,
    WORKOUT,
    SimRecord,
    millis,
)

if TYPE_CHECKING:
    from clutch_pipeline.whoop.simulator.server import WhoopSimulator

API = "/developer/v2"
DEFAULT_LIMIT, MAX_LIMIT = 10, 25

Reply = tuple[int, Any, dict[str, str]]


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


class UserIndex:
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


@dataclass(frozen=True)
class Route:
    """A path under ``/developer/v2``, its method, the scope it needs (None: any valid token), and
    what answers it: ``action(simulator, user index, request, *path segments)``."""

    pattern: re.Pattern[str]
    method: str
    scope: str | None
    action: Callable[..., Reply]


def route_of(method: str, path: str) -> tuple[Route, tuple[str, ...]]:
    """The route of an API path and its segments; 404 when none matches, 405 for the wrong method."""
    if not path.startswith(API + "/"):
        raise Answer(404, {"error": "not_found"})
    rest = path[len(API) :]
    for route in ROUTES:
        matched = route.pattern.fullmatch(rest)
        if matched is None:
            continue
        if method != route.method:
            raise Answer(405, {"error": "method_not_allowed"})
        return route, matched.groups()
    raise Answer(404, {"error": "not_found"})


def _profile(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest) -> Reply:
    athlete = index.athlete
    profile = {
        "user_id": athlete.user_id,
        "email": athlete.email,
        "first_name": athlete.first_name,
        "last_name": athlete.last_name,
    }
    return 200, profile, {}


def _body(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest) -> Reply:
    return 200, dict(index.athlete.body), {}


def _revoke(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest) -> Reply:
    sim.oauth.revoke_user(index.athlete.user_id)  # "it will no longer receive webhooks for this user"
    return 204, None, {}


def page(index: UserIndex, record_type: str, request: ReceivedRequest) -> Reply:
    """One page of a collection: newest first within [start, end), ``limit`` records, and a
    ``next_token`` when more remain."""
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
    found: list[SimRecord] = []
    next_token = None
    while position < len(records):
        record = records[position]
        position += 1
        if lower_ms is not None and record.start_ms < lower_ms:
            break
        if not record.visible(now):
            continue
        if len(found) == limit:
            next_token = _encode_token(found[-1].start_ms, index.athlete.user_id)
            break
        found.append(record)
    answer: dict[str, Any] = {"records": [r.payload(now) for r in found]}
    if next_token:
        answer["next_token"] = next_token
    return 200, answer, {}


def _cycle_recovery(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest, raw_id: str) -> Reply:
    return _visible(index.recovery_by_cycle.get(_cycle_id(raw_id)), request.time)


def _cycle_sleep(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest, raw_id: str) -> Reply:
    return _visible(index.sleep_by_cycle.get(_cycle_id(raw_id)), request.time)


def _collection(record_type: str) -> Callable[..., Reply]:
    return lambda sim, index, request: page(index, record_type, request)


def _by_id(record_type: str) -> Callable[..., Reply]:
    def record(sim: WhoopSimulator, index: UserIndex, request: ReceivedRequest, raw_id: str) -> Reply:
        key = _cycle_id(raw_id) if record_type == CYCLE else _uuid(raw_id)
        return _visible(index.by_id[record_type].get(key), request.time)

    return record


_SEGMENT = r"([^/]+)"
ROUTES = [
    Route(re.compile(r"/user/profile/basic"), "GET", "read:profile", _profile),
    Route(re.compile(r"/user/measurement/body"), "GET", "read:body_measurement", _body),
    Route(re.compile(r"/user/access"), "DELETE", None, _revoke),
    Route(re.compile(r"/cycle"), "GET", "read:cycles", _collection(CYCLE)),
    Route(re.compile(rf"/cycle/{_SEGMENT}"), "GET", "read:cycles", _by_id(CYCLE)),
    Route(re.compile(rf"/cycle/{_SEGMENT}/recovery"), "GET", "read:recovery", _cycle_recovery),
    Route(re.compile(rf"/cycle/{_SEGMENT}/sleep"), "GET", "read:sleep", _cycle_sleep),
    Route(re.compile(r"/recovery"), "GET", "read:recovery", _collection(RECOVERY)),
    Route(re.compile(r"/activity/sleep"), "GET", "read:sleep", _collection(SLEEP)),
    Route(re.compile(rf"/activity/sleep/{_SEGMENT}"), "GET", "read:sleep", _by_id(SLEEP)),
    Route(re.compile(r"/activity/workout"), "GET", "read:workout", _collection(WORKOUT)),
    Route(re.compile(rf"/activity/workout/{_SEGMENT}"), "GET", "read:workout", _by_id(WORKOUT)),
]


def _visible(record: SimRecord | None, now: datetime) -> Reply:
    if record is None or not record.visible(now):
        raise Answer(404, {"error": "not_found"})
    return 200, record.payload(now), {}


def _bad_request(message: str) -> Answer:
    return Answer(400, {"error": "bad_request", "message": message})


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise _bad_request("limit must be an integer") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def _timestamp(query: Mapping[str, str], name: str) -> datetime | None:
    raw = query.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace(" ", "+"))  # a bare '+' decodes as space
    except ValueError:
        raise _bad_request(f"{name} must be an ISO-8601 date-time") from None
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
        raise _bad_request("invalid nextToken") from None


def _cycle_id(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _bad_request("cycle id must be an integer") from None


def _uuid(raw: str) -> str:
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise _bad_request("id must be a UUID") from None
