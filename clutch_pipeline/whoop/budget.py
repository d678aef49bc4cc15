"""The app's WHOOP request budget, shared by every run and process through PostgreSQL.

WHOOP allows an app 100 requests a minute and 10,000 a day, and its ``X-RateLimit-*`` headers describe
only the window nearest its limit, so each process counting for itself would overrun the limit as soon
as two runs overlap. Every request (token calls included) first takes a permit here: one call of the SQL
function ``whoop_take_request`` (sql/007_whoop_sync.sql), which records it or says how long to wait.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from clutch_pipeline.whoop import store


def utc_now() -> datetime:
    return datetime.now(UTC)


class RequestBudget:
    """Takes permits for WHOOP requests, waiting when either window is full.

    ``conn`` should be in autocommit mode (each permit is its own short transaction). ``clock`` and
    ``sleep`` are replaceable so tests need not wait a real minute.
    """

    def __init__(
        self,
        conn: psycopg.Connection,
        *,
        per_minute: int,
        per_day: int,
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.conn = conn
        self.per_minute = per_minute
        self.per_day = per_day
        self.clock = clock
        self.sleep = sleep
        self.spent: Counter[str] = Counter()
        self.waited_seconds = 0.0

    def take(self, kind: str) -> None:
        """Block until a request of ``kind`` may be sent, and count it."""
        while True:
            wait = store.take_request(self.conn, kind, self.clock(), self.per_minute, self.per_day)
            if wait <= 0:
                self.spent[kind] += 1
                return
            self.waited_seconds += wait
            self.sleep(wait)

    def left_today(self) -> int:
        """Requests left in the last 24 hours' window, for run metadata."""
        return max(self.per_day - store.requests_since(self.conn, self.clock(), seconds=86_400), 0)
