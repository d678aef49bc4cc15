"""Running the service: ``run_service`` for ``clutch serve`` (in the foreground, logs without secrets),
and ``serve_in_background`` on loopback for the main job (WHOOP's redirect must reach a real callback)
and for tests that need a real HTTP server rather than a test client."""

from __future__ import annotations

import copy
import logging
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote_plus

import uvicorn
from fastapi import FastAPI

# Query parameters whose values never reach a log: OAuth's code and state, and anything token-ish.
_SECRET_NAMES = {"code", "state"}
_SECRET_PARTS = re.compile(r"token|secret|passw|key|signature|session|auth|credential", re.IGNORECASE)
_PAIR = re.compile(r"([\w.%+-]+)=([^&\s\"'#,;]*)")
REDACTED = "***"


def is_secret_param(name: str) -> bool:
    name = unquote_plus(name).strip().lower()
    return name in _SECRET_NAMES or bool(_SECRET_PARTS.search(name))


def redact_query(target: str) -> str:
    """A request target (path and query) with the values of secret parameters replaced by ``***``."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    pairs = []
    for pair in query.split("&"):
        name, equals, _ = pair.partition("=")
        pairs.append(f"{name}={REDACTED}" if equals and is_secret_param(name) else pair)
    return f"{path}?{'&'.join(pairs)}"


def redact_text(text: str) -> str:
    """Any ``name=value`` in free text whose name is secret, with the value replaced by ``***``."""
    return _PAIR.sub(lambda m: f"{m[1]}={REDACTED}" if is_secret_param(m[1]) else m[0], text)


class RedactSecrets(logging.Filter):
    """Removes secret parameters' values from log records: from the request target of uvicorn's access
    log (its arguments are the client, method, target, HTTP version and status), and from ``name=value``
    pairs in any other message."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            client, method, target, version, status = record.args
            record.args = (client, method, redact_query(str(target)), version, status)
            return True
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


def logging_config() -> dict[str, Any]:
    """uvicorn's logging, every handler behind ``RedactSecrets``, and our own loggers (``clutch_pipeline``)
    at INFO on uvicorn's default handler."""
    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["filters"] = {"redact_secrets": {"()": RedactSecrets}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact_secrets"]
    config["loggers"]["clutch_pipeline"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def run_service(app: FastAPI, host: str, port: int) -> None:
    """Serve ``app`` in the foreground until SIGTERM or SIGINT, with an access log that keeps no secret
    (see ``RedactSecrets``).

    uvicorn shuts down gracefully on SIGINT/SIGTERM, then raises the signal again with the handler it
    found: that handler makes it a clean ``SystemExit(0)``, so whatever the caller holds (the embedded
    PostgreSQL) is released as on any other exit. Call it from the main thread.
    """

    def stopped(_signum: int, _frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stopped)
    signal.signal(signal.SIGINT, stopped)
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=logging_config())


@contextmanager
def serve_in_background(
    make_app: Callable[[str], FastAPI], host: str = "127.0.0.1", port: int = 0
) -> Iterator[str]:
    """Serve the app ``make_app(base_url)`` builds on ``port`` (0: a free one) until the block ends;
    yields the base URL. The app is built once the port is known, so it can name its own callback URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    base_url = f"http://{host}:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(make_app(base_url), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the service did not start")
        time.sleep(0.01)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
