"""One simulated WHOOP record and how it looks at a given moment of the simulator's clock.

A record is generated once, whole (its final score included), and then shown as WHOOP would show it
at time ``now``:

- invisible before ``visible_at`` (a sleep, workout or recovery once its sleep has ended; a cycle once
  it has started, without ``end`` while it is the current cycle);
- ``PENDING_SCORE`` without ``score`` until ``scored_at`` (30 to 90 minutes after the end), with
  ``updated_at`` = ``created_at``;
- then ``SCORED`` with its score, or ``UNSCORABLE`` without one, and ``updated_at`` = ``scored_at``
  (or the time of a later re-score).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

CYCLE, SLEEP, RECOVERY, WORKOUT = "cycle", "sleep", "recovery", "workout"
RECORD_TYPES = (CYCLE, SLEEP, RECOVERY, WORKOUT)


def iso(moment: datetime) -> str:
    """WHOOP's timestamp form: UTC, milliseconds, ``Z`` (``2022-04-24T11:25:44.774Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def offset_text(zone: ZoneInfo, moment: datetime) -> str:
    """The ``+hh:mm``/``-hh:mm`` offset of ``zone`` at ``moment`` (daylight saving time included)."""
    offset = moment.astimezone(zone).utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


@dataclass
class SimRecord:
    """A cycle, sleep (main or nap), recovery or workout of one user.

    ``record_id`` is WHOOP's id: the cycle's int64, the sleep's or workout's UUID; a recovery, which
    has no id of its own, is named by its sleep's UUID (as WHOOP's webhooks name it). ``start`` is the
    sort key of its collection (a recovery's is its sleep's start). ``fields`` holds the payload's
    identifying fields in schema order, without the time-dependent ones.
    """

    record_type: str
    record_id: int | str
    user_id: int
    start: datetime
    end: datetime
    visible_at: datetime
    scored_at: datetime
    scorable: bool
    fields: dict[str, Any]
    score: dict[str, Any] | None
    rescored_at: datetime | None = None
    deleted: bool = False
    start_ms: int = field(init=False)

    def __post_init__(self) -> None:
        self.start_ms = millis(self.start)

    def visible(self, now: datetime) -> bool:
        return not self.deleted and now >= self.visible_at

    def state(self, now: datetime) -> str:
        if now < self.scored_at:
            return "PENDING_SCORE"
        return "SCORED" if self.scorable else "UNSCORABLE"

    def payload(self, now: datetime) -> dict[str, Any]:
        """The JSON object WHOOP would answer at ``now`` (the caller checked ``visible``)."""
        state = self.state(now)
        updated = self.visible_at if state == "PENDING_SCORE" else (self.rescored_at or self.scored_at)
        body: dict[str, Any] = {}
        for name, value in self.fields.items():
            if name == "created_at":
                body["created_at"] = value
                body["updated_at"] = iso(updated)
            elif name == "end" and self.record_type == CYCLE and now < self.end:
                continue  # the current cycle has no end yet
            else:
                body[name] = value
        body["score_state"] = state
        if state == "SCORED" and self.score is not None:
            body["score"] = self.score
        return body
