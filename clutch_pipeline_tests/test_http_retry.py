"""The shared HTTP retry policy, against a local server that answers from a script.

Waits go to a list instead of sleeping (``RetryPolicy(sleep=waits.append)``) and the jitter is fixed
(``rng=lambda: 1.0`` waits the whole backoff ceiling), so every test states the waits it expects.
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from clutch_pipeline.http_retry import HttpGaveUp, RetryPolicy


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    drop: bool = False  # close the connection without answering
    cut: bool = False  # announce a body, send half of it, close


class ScriptedServer:
    """Answers requests in the order of ``script``; 200 ``{"ok": true}`` once the script is used up."""

    def __init__(self) -> None:
        self.script: list[Answer] = []
        self.paths: list[str] = []
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.paths.append(self.path)
                answer = server.script.pop(0) if server.script else Answer()
                server.stopping.wait(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    return
                body = b'{"ok": true}'
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2] if answer.cut else body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,), daemon=True)

    def url(self, path: str) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}{path}"


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()
    scripted.thread.start()
    yield scripted
    scripted.stopping.set()
    scripted.httpd.shutdown()
    scripted.httpd.server_close()


@pytest.fixture
def waits() -> list[float]:
    return []


def policy(waits: list[float], **overrides) -> RetryPolicy:
    settings = {"attempts": 5, "base_seconds": 1.0, "max_seconds": 120.0, "sleep": waits.append}
    return RetryPolicy(**{**settings, "rng": lambda: 1.0, **overrides})


def get(retry: RetryPolicy, url: str, **kwargs) -> requests.Response:
    with requests.Session() as session:
        return retry.send(session, "GET", url, timeout=(1.0, 1.0), **kwargs)


def test_5xx_is_retried_with_exponential_backoff_then_succeeds(server, waits):
    server.script = [Answer(503), Answer(502), Answer(500)]

    response = get(policy(waits), server.url("/v2/cycle"))

    assert response.status_code == 200
    assert len(server.paths) == 4
    assert waits == [1.0, 2.0, 4.0]


def test_backoff_has_full_jitter_and_no_wait_exceeds_max_seconds(server, waits):
    server.script = [Answer(500)] * 4

    get(policy(waits, base_seconds=10.0, max_seconds=15.0, rng=lambda: 0.5), server.url("/x"))

    assert waits == [5.0, 7.5, 7.5, 7.5]  # half of 10, then half of the 15 s cap


def test_gives_up_after_the_configured_attempts_with_the_path_and_status(server, waits):
    server.script = [Answer(503)] * 10

    with pytest.raises(HttpGaveUp) as caught:
        get(policy(waits, attempts=3), server.url("/v2/recovery?nextToken=abc"))

    assert (caught.value.status, caught.value.url_path, caught.value.attempts) == (503, "/v2/recovery", 3)
    assert str(caught.value) == "GET /v2/recovery: HTTP 503 (3 attempts)"
    assert len(server.paths) == 3
    assert len(waits) == 2


def test_429_waits_for_retry_after(server, waits):
    server.script = [Answer(429, {"Retry-After": "7"})]

    get(policy(waits), server.url("/stats/playbyplayv3"))

    assert waits == [7.0]


def test_429_waits_for_x_ratelimit_reset(server, waits):
    server.script = [Answer(429, {"X-RateLimit-Reset": "12", "X-RateLimit-Remaining": "0"})]

    get(policy(waits), server.url("/developer/v2/activity/sleep"))

    assert waits == [12.0]


def test_429_without_a_delay_waits_the_backoff(server, waits):
    server.script = [Answer(429), Answer(429)]

    get(policy(waits, base_seconds=2.0), server.url("/x"))

    assert waits == [2.0, 4.0]


def test_a_server_delay_is_capped_at_max_seconds(server, waits):
    server.script = [Answer(429, {"Retry-After": "3600"})]

    get(policy(waits, max_seconds=120.0), server.url("/x"))

    assert waits == [120.0]


def test_429_every_time_gives_up_with_status_429(server, waits):
    server.script = [Answer(429, {"Retry-After": "1"})] * 3

    with pytest.raises(HttpGaveUp) as caught:
        get(policy(waits, attempts=3), server.url("/x"))

    assert caught.value.status == 429
    assert waits == [1.0, 1.0]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_4xx_other_than_429_is_not_retried(server, waits, status):
    server.script = [Answer(status)]

    with pytest.raises(HttpGaveUp) as caught:
        get(policy(waits), server.url("/x"))

    assert (caught.value.status, caught.value.attempts) == (status, 1)
    assert len(server.paths) == 1
    assert waits == []


def test_timeouts_are_retried_then_give_up_without_status(server, waits):
    server.script = [Answer(delay=0.3), Answer(delay=0.3)]

    with pytest.raises(HttpGaveUp) as caught, requests.Session() as session:
        policy(waits, attempts=2).send(session, "GET", server.url("/slow"), timeout=(1.0, 0.15))

    assert caught.value.status is None
    assert "ReadTimeout" in str(caught.value)
    assert len(server.paths) == 2
    assert waits == [1.0]


def test_a_connection_dropped_without_an_answer_is_retried(server, waits):
    server.script = [Answer(drop=True)]

    response = get(policy(waits), server.url("/x"))

    assert response.status_code == 200
    assert waits == [1.0]


def test_a_body_cut_off_in_transit_is_retried(server, waits):
    server.script = [Answer(cut=True)]

    response = get(policy(waits), server.url("/x"))

    assert response.json() == {"ok": True}
    assert waits == [1.0]


def test_a_refused_connection_fails_at_once(waits):
    with socket.socket() as unused:  # a port with nothing listening
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    started = time.monotonic()

    with pytest.raises(HttpGaveUp) as caught:
        get(policy(waits), f"http://127.0.0.1:{port}/x")

    assert (caught.value.status, caught.value.attempts) == (None, 1)
    assert "ConnectionRefusedError" in str(caught.value)
    assert waits == []
    assert time.monotonic() - started < 1.0


def test_errors_carry_neither_the_query_nor_the_headers(server, waits):
    server.script = [Answer(500)] * 2

    with pytest.raises(HttpGaveUp) as caught:
        get(
            policy(waits, attempts=2),
            server.url("/oauth/token?code=secret-code"),
            headers={"Authorization": "Bearer secret-token"},
        )

    shown = "".join(traceback.format_exception(caught.value))
    assert "/oauth/token" in shown
    assert "secret" not in shown


def test_call_retries_any_exchange_it_is_given(server, waits):
    server.script = [Answer(502)]
    exchanges = []

    def exchange() -> requests.Response:
        exchanges.append(time.monotonic())
        return requests.get(server.url("/x"), timeout=1.0)

    response = policy(waits).call(exchange, "GET", server.url("/x"))

    assert response.status_code == 200
    assert len(exchanges) == 2


def test_attempts_must_be_at_least_one():
    with pytest.raises(ValueError, match="attempts"):
        RetryPolicy(attempts=0)
