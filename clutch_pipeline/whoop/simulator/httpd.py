"""The simulator's HTTP plumbing: a threading server on loopback, and how an answer is sent.

Kept apart from what the simulator answers (``server.py``, ``oauth.py``, ``api.py``) so those read as
WHOOP's contract, not as socket handling. The server keeps connections alive, as WHOOP's does, and can
end them all at ``stop`` so no handler thread outlives the simulator.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class Answer(Exception):
    """Stops handling with this answer (an error, a redirect): raised anywhere below a route."""

    def __init__(self, status: int, body: Any = None, headers: Mapping[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


class LoopbackServer(ThreadingHTTPServer):
    """A threading HTTP server that remembers its open connections, so ``close_connections`` can end
    kept-alive ones (``server_close`` leaves them open, and their threads with them)."""

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
        """End kept-alive connections, so their threads finish."""
        with self._sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def handler_class(handle: Callable[[BaseHTTPRequestHandler], None]) -> type[BaseHTTPRequestHandler]:
    """A request handler that passes every method to ``handle`` and logs nothing (tests read the
    simulator's own request log instead)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a client's session reuses its connection
        timeout = 30  # an idle kept-alive connection is closed after this
        disable_nagle_algorithm = True  # no Nagle/delayed-ACK stall between headers and body

        def do_GET(self) -> None:
            handle(self)

        do_POST = do_DELETE = do_PUT = do_PATCH = do_GET

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def send(handler: BaseHTTPRequestHandler, status: int, body: Any, headers: Mapping[str, str]) -> None:
    """Send one answer: JSON for a dict or list, plain text for a string, nothing for None. A client
    that gave up first (a slow answer past its timeout) is not an error of the simulator."""
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
        pass


def bearer(header: str | None) -> str:
    """The token of an ``Authorization: Bearer ...`` header, or "" for anything else."""
    if not header:
        return ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""
