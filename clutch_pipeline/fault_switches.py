"""Faults a local stand-in for an external API can be told to inject: the WHOOP simulator and the test
suite's fake NBA server share them.

A fault matches requests whose ``path?query`` contains ``match`` (every request when None), for
``times`` requests (for good when None), and says what to do: answer ``status`` (with ``headers``),
wait ``delay`` seconds first, cut the body to ``keep`` of it, or (WHOOP) answer 429 with a reset.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Fault:
    match: str | None
    times: int | None  # None: every matching request
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    keep: float | None = None  # truncate: the fraction of the body sent
    cut_connection: bool = False
    reset_seconds: int | None = None  # a forced 429 with X-RateLimit-Reset

    def applies_to(self, target: str) -> bool:
        return (self.times is None or self.times > 0) and (self.match is None or self.match in target)


class FaultSwitches:
    """The faults switched on, in the order they were added; thread-safe (servers answer in threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, target: str) -> Fault | None:
        """The first fault that applies to the request, counting one use of it."""
        with self._lock:
            for fault in self._faults:
                if fault.applies_to(target):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None
