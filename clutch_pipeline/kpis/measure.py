"""The arithmetic of the seed's success metrics (section 10) on plain rows: data in, figures out.

Each function turns the rows ``kpis/store.py`` reads into ``KpiFigure`` rows of ``kpi_daily``, one per UTC
day and KPI. A figure that cannot be measured is ``None`` with the reason in its detail, never a guess
(docs/kpis.md says what each one means).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np

AT_LEAST, AT_MOST = "at_least", "at_most"

# The seed's technical KPIs (section 10): name -> (target, direction).
TARGETS: dict[str, tuple[float, str]] = {
    "wearables_uptime": (0.95, AT_LEAST),
    "sync_latency_median_minutes": (5.0, AT_MOST),
    "sync_latency_p95_minutes": (5.0, AT_MOST),
    "model_rmse": (8.0, AT_MOST),
    "poe_sign_accuracy": (0.70, AT_LEAST),
    "page_load_seconds": (2.0, AT_MOST),
}
KPIS = tuple(TARGETS)

# Why an athlete's recovery of a day is missing, in the order a reason wins when several hold.
MISSING_REASONS = ("needs_reauthorization", "error", "pending", "unscorable", "no_data_from_whoop")


@dataclass(frozen=True)
class KpiFigure:
    """One row of ``kpi_daily``: the figure of a KPI on a UTC day (``value`` None: not measured)."""

    day: date
    kpi: str
    value: float | None
    sample_size: int | None = None
    detail: dict = field(default_factory=dict)

    @property
    def target(self) -> float:
        return TARGETS[self.kpi][0]

    @property
    def direction(self) -> str:
        return TARGETS[self.kpi][1]

    @property
    def meets_target(self) -> bool | None:
        if self.value is None:
            return None
        return self.value >= self.target if self.direction == AT_LEAST else self.value <= self.target


def day_start(day: date) -> datetime:
    """Midnight UTC opening ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


# --- Wearables uptime ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AthleteDay:
    """A consented athlete on a day: whether his recovery of that local date is scored, and what his
    device and his WHOOP recovery records of the date say when it is not."""

    day: date
    recovery_scored: bool
    needs_reauthorization: bool = False
    in_error: bool = False
    recovery_states: tuple[str, ...] = ()  # score_state of his raw recovery records of the date


def missing_reason(athlete: AthleteDay) -> str | None:
    """Why the athlete's recovery is missing (None: it is in). A device that cannot sync explains the
    gap before the record's state does; a record WHOOP has not scored before no record at all."""
    if athlete.recovery_scored:
        return None
    if athlete.needs_reauthorization:
        return "needs_reauthorization"
    if athlete.in_error:
        return "error"
    if "PENDING_SCORE" in athlete.recovery_states:
        return "pending"
    if "UNSCORABLE" in athlete.recovery_states:
        return "unscorable"
    return "no_data_from_whoop"


def uptime(day: date, athletes: Iterable[AthleteDay], *, day_over: bool = True) -> KpiFigure:
    """The share of consented athletes whose recovery of ``day`` is scored; the missing counted by reason
    (counts only, never who). A day not over yet, or one without consented athletes, is not measured."""
    athletes = [a for a in athletes if a.day == day]
    if not day_over:
        return KpiFigure(day, "wearables_uptime", None, len(athletes), {"reason": "day not over"})
    if not athletes:
        return KpiFigure(day, "wearables_uptime", None, 0, {"reason": "no consented athlete"})
    reasons = Counter(missing_reason(a) for a in athletes)
    scored = reasons.pop(None, 0)
    missing = {reason: reasons.get(reason, 0) for reason in MISSING_REASONS}
    return KpiFigure(
        day, "wearables_uptime", scored / len(athletes), len(athletes), {"scored": scored, "missing": missing}
    )


# --- Sync latency -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyncEvent:
    """A change at WHOOP and when our copy of the record was fetched after it (None: not yet, or the
    fetch found the record unchanged). ``via``: 'webhook' (event_at = the webhook's arrival) or
    'record' (no webhook: event_at = the record's updated_at at WHOOP; fetched_at None while the record
    is PENDING_SCORE, whose updated_at is its creation however its payload changes)."""

    via: str
    event_at: datetime
    fetched_at: datetime | None
    planned: bool = False
    record_type: str = ""  # 'sleep', 'recovery', 'workout', 'cycle'


def _percentile(minutes: Sequence[float], q: float) -> float:
    return round(float(np.percentile(np.asarray(minutes, dtype=float), q)), 3)


def _timed(event: SyncEvent) -> bool:
    return event.fetched_at is not None and event.fetched_at >= event.event_at


def _p95_by_type(timed: list[SyncEvent]) -> dict[str, float]:
    """Which kind of record is slow: the p95 of each record type's timed events."""
    by_type: dict[str, list[float]] = {}
    for e in timed:
        by_type.setdefault(e.record_type, []).append((e.fetched_at - e.event_at).total_seconds() / 60)
    return {kind: _percentile(minutes, 95) for kind, minutes in sorted(by_type.items())}


def sync_latency(day: date, events: Iterable[SyncEvent]) -> list[KpiFigure]:
    """Median and p95 minutes from WHOOP's event to our fetched record, over the events of ``day`` (by
    event time). Events without a fetch after them are counted in the detail, not timed."""
    events = [e for e in events if e.event_at.astimezone(UTC).date() == day]
    timed = [e for e in events if _timed(e)]
    minutes = [(e.fetched_at - e.event_at).total_seconds() / 60 for e in timed]
    untimed = [e for e in events if not _timed(e)]
    detail = {
        "timed_webhook": sum(e.via == "webhook" for e in timed),
        "timed_record": sum(e.via == "record" for e in timed),
        "webhook_planned_untimed": sum(e.via == "webhook" and e.planned for e in untimed),
        "webhook_waiting": sum(e.via == "webhook" and not e.planned for e in untimed),
        "record_pending_untimed": sum(e.via == "record" for e in untimed),
        "p95_minutes_by_type": _p95_by_type(timed),
    }
    if not minutes:
        detail = {**detail, "reason": "no event timed that day"}
        return [
            KpiFigure(day, "sync_latency_median_minutes", None, 0, detail),
            KpiFigure(day, "sync_latency_p95_minutes", None, 0, detail),
        ]
    return [
        KpiFigure(day, "sync_latency_median_minutes", _percentile(minutes, 50), len(minutes), detail),
        KpiFigure(day, "sync_latency_p95_minutes", _percentile(minutes, 95), len(minutes), detail),
    ]


# --- Model --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishedModel:
    """A published run of ``model_runs`` with its holdout JSON (model/holdout.py: ``evaluate``)."""

    model_version: str
    published_at: datetime
    holdout: dict


def _figures(holdout: dict, part: str) -> dict:
    figures = holdout.get(part) or {}
    return {"rmse": figures.get("rmse"), "poe_sign_accuracy": figures.get("poe_sign_accuracy")}


def model_quality(day: date, models: Sequence[PublishedModel]) -> list[KpiFigure]:
    """Holdout RMSE and POE-sign accuracy of the model in use at the end of ``day`` (the latest published
    by then), beside the model before it and the baseline (each player's own mean)."""
    end = day_start(day + timedelta(days=1))
    published = sorted((m for m in models if m.published_at < end), key=lambda m: m.published_at)
    if not published:
        detail = {"reason": "no published model"}
        return [KpiFigure(day, kpi, None, None, detail) for kpi in ("model_rmse", "poe_sign_accuracy")]
    current = published[-1]
    previous = published[-2] if len(published) > 1 else None
    detail = {
        "model_version": current.model_version,
        "published_at": current.published_at.isoformat(),
        "baseline": _figures(current.holdout, "player_mean_baseline"),
        "previous": None
        if previous is None
        else {"model_version": previous.model_version, **_figures(previous.holdout, "model")},
    }
    figures = _figures(current.holdout, "model")
    rows = current.holdout.get("test_rows")
    poe_rows = (current.holdout.get("model") or {}).get("poe_sign_rows")
    rmse_detail = detail if figures["rmse"] is not None else {**detail, "reason": "no holdout RMSE"}
    poe_detail = (
        detail if figures["poe_sign_accuracy"] is not None else {**detail, "reason": "no POE-sign rows"}
    )
    return [
        KpiFigure(day, "model_rmse", figures["rmse"], rows, rmse_detail),
        KpiFigure(day, "poe_sign_accuracy", figures["poe_sign_accuracy"], poe_rows, poe_detail),
    ]


# --- Page load ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageTiming:
    """One player page served (``page_timings``): when, and its server time in seconds."""

    served_at: datetime
    seconds: float


def page_load(day: date, timings: Iterable[PageTiming]) -> KpiFigure:
    """The p95 of the player page's server time over the pages served on ``day`` (UTC), in seconds,
    with the median and the slowest beside it: p95 because the target (2 s) is a promise to nearly
    every visit, not to the typical one. A day without a player page served is not measured."""
    seconds = [t.seconds for t in timings if t.served_at.astimezone(UTC).date() == day]
    if not seconds:
        return KpiFigure(day, "page_load_seconds", None, 0, {"reason": "no player page served that day"})
    detail = {
        "statistic": "p95",
        "page": "player",
        "median_seconds": round(float(np.median(seconds)), 4),
        "max_seconds": round(max(seconds), 4),
    }
    return KpiFigure(
        day, "page_load_seconds", round(float(np.percentile(seconds, 95)), 4), len(seconds), detail
    )


def check_summary(figure: KpiFigure | None) -> tuple[bool, str]:
    """(passed, description) of a KPI's check: failed only when measured and off target; a figure not
    measured passes and says so (an absent measure is not a breach; the row's detail says why)."""
    if figure is None:
        return True, "not measured: no row in kpi_daily"
    if figure.value is None:
        return True, f"not measured on {figure.day}: {figure.detail.get('reason', 'no value')}"
    word = "at least" if figure.direction == AT_LEAST else "at most"
    verdict = "meets" if figure.meets_target else "misses"
    return bool(figure.meets_target), (
        f"{figure.kpi} {figure.value:g} on {figure.day} {verdict} its target ({word} {figure.target:g})"
    )
