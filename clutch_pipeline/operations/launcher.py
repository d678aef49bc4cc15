"""The process that executes a run launched by the CLI: the tags that name it, and whether it lives.

A pid alone does not name a process: pids are reused. A process is its host, its pid and the time it
started; a process found under the pid with another start time is a different one, and the run's own
process is gone.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import psutil

HOST_TAG = "clutch/launcher_host"
PID_TAG = "clutch/launcher_pid"
STARTED_TAG = "clutch/launcher_started"

# psutil gives a start time in epoch seconds computed from the boot time, which moves a little when
# the clock is adjusted; a reused pid starts after the first process died, far more than this later.
START_TOLERANCE_SECONDS = 2.0


class Liveness(StrEnum):
    ALIVE = "alive"
    GONE = "gone"
    UNKNOWN = "unknown"  # another host's process, or a run the CLI did not launch


@dataclass(frozen=True)
class Launcher:
    """The process that executes a run: host name, pid, and its start time (epoch seconds)."""

    host: str
    pid: int
    started: float

    @classmethod
    def current(cls) -> Launcher:
        process = psutil.Process()
        return cls(socket.gethostname(), process.pid, process.create_time())

    @classmethod
    def from_tags(cls, tags: Mapping[str, str]) -> Launcher | None:
        """The launcher a run's tags name, or None for a run the CLI did not launch."""
        try:
            return cls(tags[HOST_TAG], int(tags[PID_TAG]), float(tags[STARTED_TAG]))
        except (KeyError, ValueError):
            return None

    def tags(self) -> dict[str, str]:
        return {HOST_TAG: self.host, PID_TAG: str(self.pid), STARTED_TAG: f"{self.started:.2f}"}

    def describe(self) -> str:
        return f"pid {self.pid} on host {self.host}, started {format_time(self.started)}"


def launcher_tags() -> dict[str, str]:
    """The tags the CLI adds to every run it executes in its own process: this process."""
    return Launcher.current().tags()


def liveness(launcher: Launcher | None, host: str | None = None) -> Liveness:
    """Whether ``launcher`` still runs. Only processes on ``host`` (default: this one) can be looked at."""
    if launcher is None or launcher.host != (host or socket.gethostname()):
        return Liveness.UNKNOWN
    try:
        process = psutil.Process(launcher.pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return Liveness.GONE  # killed, not yet reaped by its parent
        same = abs(process.create_time() - launcher.started) <= START_TOLERANCE_SECONDS
    except psutil.NoSuchProcess:
        return Liveness.GONE
    except psutil.AccessDenied:
        return Liveness.ALIVE  # it exists; without its start time, assume it is the run's own
    return Liveness.ALIVE if same else Liveness.GONE


def format_time(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
