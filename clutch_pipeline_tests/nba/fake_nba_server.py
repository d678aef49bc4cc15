"""A local stand-in for cdn.nba.com and stats.nba.com, on 127.0.0.1, speaking their real URL layouts.

It serves files as the NBA names them (NBA_DATA.md 3.2, 3.6):

    {cdn_base_url}/liveData/playbyplay/playbyplay_{gameId}.json     CDN play-by-play
    {cdn_base_url}/liveData/scoreboard/todaysScoreboard_00.json     today's scoreboard
    {cdn_base_url}/staticData/{schedule file}                       season schedule
    {stats_base_url}/playbyplayv3?GameID={gameId}&...               stats v3 play-by-play

``cdn_base_url`` is ``http://127.0.0.1:PORT/static/json`` and ``stats_base_url`` is
``http://127.0.0.1:PORT/stats``, as in production. A file the CDN does not have answers 403
AccessDenied, as an S3 origin does for a missing key; a game stats v3 does not know answers 404. (What
the real hosts answer for an unknown game is not recorded in NBA_DATA.md; the client treats 403 and
404 from the CDN alike.)

Faults are switched on per request target (a substring of ``path?query``, e.g. ``"playbyplayv3"`` or
``"playbyplay_0022000001"``) or for every request (``match=None``), for a number of requests or for
good: ``fail`` (any status: 5xx, 403, 404...), ``rate_limit`` (429 with ``Retry-After``), ``slow``
(answer after a delay), ``truncate`` (half a body). Every request received is recorded in ``requests``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict

from clutch_pipeline.fault_switches import Fault, FaultSwitches

CDN_ROOT = "/static/json"
STATS_ROOT = "/stats"
SCHEDULE_FILE = "scheduleLeagueV2_2.json"


def cdn_playbyplay_path(game_id: str) -> str:
    return f"{CDN_ROOT}/liveData/playbyplay/playbyplay_{game_id}.json"


def v3_playbyplay_target(game_id: str) -> str:
    return f"{STATS_ROOT}/playbyplayv3?GameID={game_id}"


SCOREBOARD_PATH = f"{CDN_ROOT}/liveData/scoreboard/todaysScoreboard_00.json"


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    target: str  # path and query, as sent
    path: str
    query: dict[str, str]
    headers: CaseInsensitiveDict[str]


class FakeNbaServer:
    """Start with ``with FakeNbaServer(folder) as nba:`` (or ``start()`` / ``stop()``)."""

    def __init__(self, folder: Path | None = None, files: Mapping[str, bytes | dict[str, Any]] | None = None):
        # Request target (CDN path, or stats path with ``?GameID=``) -> body.
        self.files: dict[str, bytes] = {}
        self.requests: list[ReceivedRequest] = []
        self.faults = FaultSwitches()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if folder is not None:
            self.load_folder(folder)
        for target, body in (files or {}).items():
            self.files[target] = _as_bytes(body)

    # -- content --------------------------------------------------------------------------------------

    def load_folder(self, folder: Path) -> None:
        """Serve every file of ``folder`` named as the NBA names it (``playbyplay_{id}.json``,
        ``playbyplayv3_{id}.json``, ``todaysScoreboard_00.json``, ``scheduleLeagueV2_*.json``)."""
        for file in sorted(folder.glob("*.json")):
            name = file.name
            if name.startswith("playbyplayv3_"):
                self.files[v3_playbyplay_target(name.removeprefix("playbyplayv3_")[:-5])] = file.read_bytes()
            elif name.startswith("playbyplay_"):
                self.files[cdn_playbyplay_path(name.removeprefix("playbyplay_")[:-5])] = file.read_bytes()
            elif name == "todaysScoreboard_00.json":
                self.files[SCOREBOARD_PATH] = file.read_bytes()
            elif name.startswith("scheduleLeagueV2_"):
                self.files[f"{CDN_ROOT}/staticData/{name}"] = file.read_bytes()

    def add_cdn_playbyplay(self, game_id: str, payload: bytes | dict[str, Any]) -> None:
        self.files[cdn_playbyplay_path(game_id)] = _as_bytes(payload)

    def add_v3_playbyplay(self, game_id: str, payload: bytes | dict[str, Any]) -> None:
        self.files[v3_playbyplay_target(game_id)] = _as_bytes(payload)

    def add_stats(self, endpoint: str, payload: bytes | dict[str, Any]) -> None:
        """Answer ``{stats}/<endpoint>`` with this payload, whatever the query string."""
        self.files[f"{STATS_ROOT}/{endpoint}"] = _as_bytes(payload)

    def set_scoreboard(self, payload: bytes | dict[str, Any]) -> None:
        self.files[SCOREBOARD_PATH] = _as_bytes(payload)

    def set_schedule(self, payload: bytes | dict[str, Any], file_name: str = SCHEDULE_FILE) -> None:
        self.files[f"{CDN_ROOT}/staticData/{file_name}"] = _as_bytes(payload)

    # -- faults ---------------------------------------------------------------------------------------

    def fail(
        self,
        status: int,
        *,
        match: str | None = None,
        times: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer ``status`` (with a small JSON body) to matching requests, ``times`` times or always."""
        self.faults.add(Fault(match, times, status=status, headers=dict(headers or {})))

    def rate_limit(
        self, retry_after: float | None = 1, *, match: str | None = None, times: int | None = 1
    ) -> None:
        """Answer 429, with ``Retry-After: retry_after`` seconds unless None."""
        headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
        self.fail(429, match=match, times=times, headers=headers)

    def slow(self, seconds: float, *, match: str | None = None, times: int | None = None) -> None:
        """Wait ``seconds`` before answering as usual (beyond a client's read timeout: it gives up)."""
        self.faults.add(Fault(match, times, delay=seconds))

    def truncate(
        self,
        *,
        match: str | None = None,
        times: int | None = None,
        keep: float = 0.5,
        cut_connection: bool = False,
    ) -> None:
        """Send only the first ``keep`` of the body. By default the body is cut but complete as HTTP
        (its ``Content-Length`` is the cut length: a half-written file); with ``cut_connection`` the
        full length is announced and the connection closes early (a transfer cut off in transit)."""
        self.faults.add(Fault(match, times, keep=keep, cut_connection=cut_connection))

    def clear_faults(self) -> None:
        self.faults.clear()

    # -- what was asked -------------------------------------------------------------------------------

    def received(self, match: str | None = None) -> list[ReceivedRequest]:
        """The requests received whose ``path?query`` contains ``match`` (all when None), in order."""
        with self._lock:
            return [r for r in self.requests if match is None or match in r.target]

    def count(self, match: str | None = None) -> int:
        return len(self.received(match))

    # -- the server -----------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        """``127.0.0.1:PORT``, what a client sends as ``Host``."""
        if self._server is None:
            raise RuntimeError("the fake NBA server is not started")
        address, port = self._server.server_address[:2]
        return f"{address}:{port}"

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    @property
    def cdn_base_url(self) -> str:
        return self.base_url + CDN_ROOT

    @property
    def stats_base_url(self) -> str:
        return self.base_url + STATS_ROOT

    def start(self) -> FakeNbaServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._answer(self)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._stopping.clear()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes slow answers, which then find their client gone
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeNbaServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- answering ------------------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        request = ReceivedRequest(
            method=handler.command,
            target=handler.path,
            path=split.path,
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers=CaseInsensitiveDict(handler.headers.items()),
        )
        with self._lock:
            self.requests.append(request)
        fault = self.faults.take(request.target)
        if fault is not None and fault.delay:
            self._stopping.wait(fault.delay)
        if fault is not None and fault.status is not None:
            body = json.dumps({"Message": f"fake NBA server: HTTP {fault.status}"}).encode()
            _send(handler, fault.status, body, "application/json", fault.headers)
            return
        status, body, content_type = self._resource(request)
        if fault is not None and fault.keep is not None and status == 200:
            cut = body[: int(len(body) * fault.keep)]
            announced = len(body) if fault.cut_connection else len(cut)
            _send(handler, status, cut, content_type, {}, content_length=announced)
            return
        _send(handler, status, body, content_type, {})

    def _resource(self, request: ReceivedRequest) -> tuple[int, bytes, str]:
        if request.path.startswith(CDN_ROOT + "/"):
            body = self.files.get(request.path)
            if body is None:
                denied = b"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code></Error>"
                return 403, denied, "application/xml"
            return 200, body, "application/json"
        if request.path == f"{STATS_ROOT}/playbyplayv3":
            game_id = request.query.get("GameID")
            if not game_id:
                return 400, b'{"Message": "The GameID property is required."}', "application/json"
            body = self.files.get(v3_playbyplay_target(game_id))
            if body is None:
                return 404, b'{"Message": "fake NBA server: unknown GameID"}', "application/json"
            return 200, body, "application/json"
        body = self.files.get(request.path) if request.path.startswith(STATS_ROOT + "/") else None
        if body is not None:  # other stats endpoints (leaguegamelog, ...), whatever their query
            return 200, body, "application/json"
        return 404, b'{"Message": "fake NBA server: unknown endpoint"}', "application/json"


def _send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    content_type: str,
    headers: Mapping[str, str],
    content_length: int | None = None,
) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except (BrokenPipeError, ConnectionResetError):
        pass  # the client gave up first (a slow answer past its read timeout)


def _as_bytes(payload: bytes | dict[str, Any]) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


@dataclass
class FakeClock:
    """A monotonic clock that only moves when something sleeps on it: pacing without waiting."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
