"""The one retry policy of every external HTTP client (NBA now, WHOOP later), built on tenacity.

What is retried: 5xx answers, 429 (rate limited), connection errors, timeouts and bodies cut off in
transit, with exponential backoff and full jitter, a bounded number of attempts and a cap on any single
wait. A 429 waits as long as the server asks (``X-RateLimit-Reset`` from WHOOP, ``Retry-After``
elsewhere, both in seconds) and falls back on the backoff when it does not say.

What is not: other 4xx answers (asking again gets the same answer), TLS failures, and a connection the
network refused outright. The last is what the test suite's loopback guard raises for a base URL left
at its production default, and it should fail at once rather than after a minute of backoff; in
production a refused connection to an API behind a CDN is a configuration error, not a hiccup.

Errors name the method, the URL path and the status, never the query, the headers or a token.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 30.0)  # seconds to connect, seconds between bytes of the answer

_TRANSIENT_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class HttpGaveUp(RuntimeError):
    """A request that failed for good: a 4xx answer other than 429, or every attempt used up.

    ``status`` is the last HTTP status, or None when no answer came (connection error, timeout).
    """

    def __init__(
        self,
        method: str,
        url_path: str,
        status: int | None,
        attempts: int,
        reason: str,
        response: requests.Response | None = None,
    ) -> None:
        self.method = method
        # The final answer, for callers that read an error body (OAuth's ``invalid_grant``). Never
        # part of the message.
        self.response = response
        self.url_path = url_path
        self.status = status
        self.attempts = attempts
        tries = "1 attempt" if attempts == 1 else f"{attempts} attempts"
        super().__init__(f"{method} {url_path}: {reason} ({tries})")


class _RetryableAnswer(Exception):
    """A 429 or 5xx answer, raised inside an attempt so that tenacity retries it."""

    def __init__(self, response: requests.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. ``sleep`` and ``rng`` are replaceable so tests never wait."""

    attempts: int = 5
    base_seconds: float = 1.0
    max_seconds: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    rng: Callable[[], float] = random.random

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {self.attempts}")

    def send(self, session: requests.Session, method: str, url: str, **kwargs) -> requests.Response:
        """``session.request(method, url, **kwargs)`` under this policy, with a timeout by default
        (requests has none: a server that never answers would hold the caller for ever)."""
        kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
        return self.call(lambda: session.request(method, url, **kwargs), method, url)

    def call(self, request: Callable[[], requests.Response], method: str, url: str) -> requests.Response:
        """Run ``request`` (one HTTP exchange) until it gives a usable answer; return that answer.

        Raises ``HttpGaveUp`` on a 4xx other than 429 at once, and when attempts run out.
        ``method`` and ``url`` only name the request in logs and errors (the path alone is kept).
        """
        url_path = urlsplit(url).path or "/"
        attempts = 0

        def attempt() -> requests.Response:
            nonlocal attempts
            attempts += 1
            response = request()
            if response.status_code == 429 or response.status_code >= 500:
                raise _RetryableAnswer(response)
            return response

        def log_retry(state: RetryCallState) -> None:
            log.warning(
                "%s %s: %s; attempt %d of %d, retrying in %.1f s",
                method,
                url_path,
                _describe(state.outcome.exception()),
                state.attempt_number,
                self.attempts,
                state.upcoming_sleep,
            )

        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            retry=retry_if_exception(_is_transient),
            sleep=self.sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        status: int | None
        try:
            response = retrying(attempt)
        except _RetryableAnswer as exc:
            status, reason = exc.response.status_code, _describe(exc)
        except _TRANSIENT_ERRORS as exc:
            status, reason = None, _describe(exc)
        else:
            if 400 <= response.status_code < 500:
                raise HttpGaveUp(
                    method, url_path, response.status_code, attempts, _describe(response), response=response
                )
            return response
        # Raised outside the except blocks, so that the cause (whose message holds the whole URL, query
        # included) is not attached.
        raise HttpGaveUp(method, url_path, status, attempts, reason)

    def _wait(self, state: RetryCallState) -> float:
        """The server's delay for a 429 that gives one, else exponential backoff with full jitter."""
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, _RetryableAnswer) and error.response.status_code == 429:
            asked = _server_delay(error.response)
            if asked is not None:
                return min(asked, self.max_seconds)
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (state.attempt_number - 1))
        return self.rng() * ceiling


def _server_delay(response: requests.Response) -> float | None:
    """Seconds to wait as the server asks: ``X-RateLimit-Reset`` (WHOOP) or ``Retry-After``."""
    for header in ("X-RateLimit-Reset", "Retry-After"):
        raw = response.headers.get(header, "").strip()
        try:
            seconds = float(raw)
        except ValueError:
            continue  # absent, or an HTTP date: fall back on the backoff
        if seconds >= 0:
            return seconds
    return None


def _is_transient(error: BaseException) -> bool:
    if isinstance(error, _RetryableAnswer):
        return True
    if isinstance(error, requests.exceptions.SSLError):
        return False
    return isinstance(error, _TRANSIENT_ERRORS) and not any(
        isinstance(cause, ConnectionRefusedError) for cause in _causes(error)
    )


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error and everything it wraps (requests and urllib3 nest their causes in arguments)."""
    seen: set[int] = set()
    pending: list[object] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__, getattr(current, "reason", None), *current.args]


def _describe(outcome: object) -> str:
    """A short reason without the URL's query or any header: a status, or the error's type names."""
    if isinstance(outcome, requests.Response):
        return f"HTTP {outcome.status_code}"
    if isinstance(outcome, _RetryableAnswer):
        return f"HTTP {outcome.response.status_code}"
    if isinstance(outcome, BaseException):
        innermost = list(_causes(outcome))[-1]  # depth first: the last one wraps nothing
        wrapped = f" ({type(innermost).__name__})" if innermost is not outcome else ""
        return f"{type(outcome).__name__}{wrapped}"
    return "no answer"
