"""WHOOP's rate limits as the simulator keeps them: per app, in fixed windows of the simulator's clock.

WHOOP counts every request of an app (all users, all tokens) against 100 a minute and 10,000 a day and
names the nearer limit in its headers; a test moves the clock to cross a window instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import datetime


class RateLimiter:
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
        """WHOOP's ``X-RateLimit-*`` headers: the nearer limit first, then both windows."""
        return {
            "X-RateLimit-Limit": f"{limit}, {self.per_minute};window=60, {self.per_day};window=86400",
            "X-RateLimit-Remaining": str(max(remaining, 0)),
            "X-RateLimit-Reset": str(max(1, int(-(-reset // 1)))),
        }
