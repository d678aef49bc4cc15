"""UTC times for play-by-play actions, so that clutch windows can be aligned with wearable data.

CDN liveData actions carry an exact UTC ``timeActual``; those are used as they are. Stats ``playbyplayv3``
(and the whole 2022-23 archive) has no per-action time, only wall-clock labels on period start/end and
instant-replay rows, e.g. ``Start of 1st Period (7:36 PM EST)``, ``End of 1st OT (10:02 PM EST)``,
``Instant Replay3rd Period (8:31 PM EST)``. Those labels are US-Eastern *local* time (the "EST" text is
wrong during daylight saving), minute resolution, with no date: ``wall_clock_anchors`` turns them into UTC
instants using the game's Eastern date from the caller, rolling labels that are more than an hour earlier
than the game's first label over to the next day (a game passing midnight). A label ``7:36`` stands for
the middle of its minute, 7:36:30 (uniform within the minute: expected error 15 s).

Between two anchors the real time is distributed over the actions by a weight per gap between
consecutive actions; the estimate passes exactly through both anchors and never decreases:

* ``linear``: weight = game-clock seconds elapsed (the usual assumption; it ignores dead balls).
* ``stoppage``: weight = game-clock seconds elapsed + a stoppage cost for the action that *opens* the gap
  (a foul stops play until the free throw; a timeout until play resumes). Costs are in real seconds.

The costs (``STOPPAGE_COSTS``) were fitted, not guessed: a non-negative least-squares fit of each
period's real length (from its start and end labels) minus its game length, on the action counts per
class, over the 5,009 periods of the 2022-23 archive (``benchmarks/nba_event_times.py --archive``;
residual SD 98 s per period against 266 s for a constant). Break lengths are the archive's means between
"End of" and the next "Start of" labels. The CDN game used below was not part of the fit.

Measured error (``benchmarks/nba_event_times.py``): the CDN game 0022000001 (GSW@BKN 2020-12-22, exact
``timeActual`` on all 610 actions) with v3-like anchors only: its 8 period start/end times rounded down
to the minute and read at mid-minute (their own error: mean 13.6 s, max 28.8 s). That game is a blowout
with NO clutch time; "late" is the last 5:00 of the 4th period (49 actions), whatever the margin.
Absolute error in seconds:

    method      overall median / p90 / mean     late median / p90 / mean
    linear         56.9 / 143.5 / 68.8             29.0 / 80.9 / 36.0
    stoppage       27.6 /  60.6 / 32.7             29.3 / 45.3 / 30.2
    ratio          2.06 /  2.37 / 2.10             0.99 / 1.79 / 1.19

Late in that game both are close to the end anchor and play is garbage time, so the medians tie there
and only the tail improves. On real 2022-23 games (``--archive``) each of the 1,597 mid-period
instant-replay labels was predicted from the period labels alone, with costs fitted on the other half
of the games: linear median / p90 121 / 349 s, and 224 / 494 s in the last 5:00 of the 4th and
overtime, where fouls, free throws and timeouts stretch real time; stoppage 52 / 123 s, and 54 / 126 s
late. Those include the replay label's own rounding and are upper bounds, but they show the CDN game
(no crowd, no replays, no clutch) flatters both methods: ``ERROR_SECONDS`` holds the CDN means.

With no exact time and no readable label, ``estimate_event_times`` raises ``NoTimeAnchors`` unless the
caller passes ``tip_off`` (the UTC time of the first action), from which times are extrapolated with the
same weights at the archive's mean rate (measured error in ``ERROR_SECONDS``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from clutch_pipeline.game_clock import REGULATION_PERIODS, elapsed_game_seconds
from clutch_pipeline.nba.parse import SOURCE_CDN, PlayAction

EASTERN = ZoneInfo("America/New_York")

# Estimators (the ``method`` argument).
LINEAR = "linear"
STOPPAGE = "stoppage"
METHODS = (LINEAR, STOPPAGE)

# How an ``EventTime`` was obtained (its ``method`` field).
METHOD_EXACT = "exact"  # the source's own UTC time (CDN timeActual)
METHOD_LABEL = "wall_clock_label"  # the action carries a wall-clock label used as an anchor
METHOD_TIP_OFF = "tip_off"  # the first action, at the tip-off time the caller passed
METHOD_LINEAR = "estimated_linear"  # between two anchors
METHOD_STOPPAGE = "estimated_stoppage"
METHOD_EXTRAPOLATED_LINEAR = "extrapolated_linear"  # before the first or after the last anchor
METHOD_EXTRAPOLATED_STOPPAGE = "extrapolated_stoppage"

# Anchor sources.
ANCHOR_EXACT = "exact"
ANCHOR_LABEL = "label"
ANCHOR_TIP_OFF = "tip_off"

# Expected absolute error in seconds. Estimates: mean absolute error on the CDN game above (both anchors
# known); extrapolation: the same game anchored at its first period start only. A label's midpoint is
# off by 15 s on average (uniform within its minute). Exact and tip-off times are taken as given.
ERROR_SECONDS: dict[str, float] = {
    METHOD_EXACT: 0.0,
    METHOD_LABEL: 15.0,
    METHOD_TIP_OFF: 0.0,
    METHOD_LINEAR: 68.8,
    METHOD_STOPPAGE: 32.7,
    METHOD_EXTRAPOLATED_LINEAR: 309.3,
    METHOD_EXTRAPOLATED_STOPPAGE: 116.0,
}

# Real seconds of stoppage after an action of each class (see ``stoppage_class``), fitted on the 2022-23
# archive as described above; the two breaks are the archive's mean label-to-label gaps.
STOPPAGE_COSTS: dict[str, float] = {
    "timeout": 113.0,  # team timeouts, TV breaks ride on them
    "foul": 30.0,  # until the free throw or inbound
    "free_throw_between": 14.0,  # "1 of 2": until the next free throw
    "free_throw_last": 11.0,  # until the inbound
    "substitution": 10.0,  # per player swapped (one v3 row; two CDN rows, each half)
    "replay": 70.0,  # the review
    "violation": 17.0,  # kicked ball, delay of game, goaltending, lane
    "turnover_dead": 20.0,  # out of bounds, travelling, shot clock... (not steals)
    "jump_ball": 28.0,  # held ball, then the jump
    "ejection": 71.0,
    "made_fg_clock_stops": 6.0,  # the clock stops after made baskets in the last 1:00 (2:00 in Q4/OT)
    # Not action classes: added to the gap that crosses into the next period.
    "quarter_break": 163.0,  # End of a period to Start of the next, except halftime
    "halftime": 920.0,
}

# Real seconds per weight unit when extrapolating past the last anchor (archive: real period length
# over the sum of weights, breaks included).
EXTRAPOLATION_RATE: dict[str, float] = {LINEAR: 2.80, STOPPAGE: 1.00}

_LABEL = re.compile(r"\((\d{1,2}):(\d{2})\s*([AP])\.?M\.?\s*(?:E[SD]?T)?\)\s*$", re.IGNORECASE)
_FREE_THROW_OF = re.compile(r"(\d+)\s+of\s+(\d+)", re.IGNORECASE)
# Turnovers that leave the ball live (a steal follows) or duplicate an offensive foul's row.
_LIVE_TURNOVERS = frozenset({"bad pass", "lost ball", "offensive foul turnover", "offensive foul"})
_LABELLED_KINDS = frozenset({"period_start", "period_end", "replay"})
_ROLLOVER_TOLERANCE = timedelta(hours=1)
_PRIORITY = {ANCHOR_EXACT: 3, ANCHOR_TIP_OFF: 3, ANCHOR_LABEL: 2}
_REPLAY_PRIORITY = 1  # a replay row sits at the reviewed play's clock, its label near the ruling
_LABEL_SLACK_SECONDS = 60.0  # two labels rounded to the minute can understate a gap by up to a minute
_EXACT_SLACK_SECONDS = 5.0  # CDN timeActual has small inversions (up to 2.7 s in 0022000001)


class NoTimeAnchors(ValueError):
    """A game with neither exact times nor a readable wall-clock label, and no tip-off to fall back on."""


@dataclass(frozen=True, slots=True)
class EventTime:
    at: datetime  # UTC, tz-aware
    method: str  # one of the METHOD_* names
    error_seconds: float  # expected absolute error of that method (ERROR_SECONDS)


@dataclass(frozen=True, slots=True)
class Anchor:
    """A known instant at an action: where in the game (index into the actions, period, clock) and when."""

    index: int
    period: int
    clock_seconds: float
    at: datetime  # UTC
    source: str  # ANCHOR_LABEL, ANCHOR_EXACT or ANCHOR_TIP_OFF
    label: str = ""  # the wall-clock text read, e.g. "19:36" (local Eastern)


def parse_wall_clock_label(description: str) -> time | None:
    """``"End of 4th Period (9:52 PM EST)"`` -> 21:52, local Eastern; None when the row has no label."""
    match = _LABEL.search(description or "")
    if not match:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if not (1 <= hour <= 12 and minute < 60):
        return None
    return time(hour % 12 + (12 if match.group(3).upper() == "P" else 0), minute)


def wall_clock_anchors(actions: Sequence[PlayAction], game_date: date) -> list[Anchor]:
    """Every labelled period start/end and instant-replay row, as a UTC instant at mid-minute.

    ``game_date`` is the game's US-Eastern date; a label more than an hour earlier (time of day) than
    the game's first label is on the next day. Labels are returned as read, inconsistent ones included;
    ``consistent_anchors`` picks the ones the estimators use.
    """
    anchors: list[Anchor] = []
    first: datetime | None = None
    for index, action in enumerate(actions):
        if action.kind not in _LABELLED_KINDS:
            continue
        label = parse_wall_clock_label(action.description)
        if label is None:
            continue
        local = datetime.combine(game_date, label, tzinfo=EASTERN)
        if first is None:
            first = local
        elif local < first - _ROLLOVER_TOLERANCE:
            local = datetime.combine(game_date + timedelta(days=1), label, tzinfo=EASTERN)
        at = local.astimezone(UTC) + timedelta(seconds=30)
        anchors.append(
            Anchor(index, action.period, action.clock_seconds, at, ANCHOR_LABEL, label.strftime("%H:%M"))
        )
    return anchors


def exact_anchors(actions: Sequence[PlayAction]) -> list[Anchor]:
    """Actions that carry their own UTC time (CDN ``timeActual``)."""
    return [
        Anchor(i, a.period, a.clock_seconds, a.time_actual.astimezone(UTC), ANCHOR_EXACT)
        for i, a in enumerate(actions)
        if a.time_actual is not None
    ]


def _elapsed(action: PlayAction) -> float:
    return elapsed_game_seconds(action.period, action.clock_seconds)


def consistent_anchors(actions: Sequence[PlayAction], anchors: Sequence[Anchor]) -> list[Anchor]:
    """The largest consistent subset: times never decrease in action order, and two anchors are at
    least as far apart in real time as in game time (less the labels' rounding slack).

    Needed because a few labels contradict their neighbours: in the 2022-23 archive 4 of 12,085 (all
    instant-replay rows reviewing a period's last play, filed across the break, e.g. "Instant
    Replay3rd Period (9:52 PM EST)" just after "Start of 3rd Period (10:00 PM EST)"); no period label
    is dropped there. Exact and tip-off anchors outweigh period labels, which outweigh replay labels,
    so the doubtful one goes.
    """
    ordered = sorted(anchors, key=lambda a: a.index)
    n = len(ordered)
    if n <= 1:
        return list(ordered)
    stamps = [a.at.timestamp() for a in ordered]
    game = [_elapsed(actions[a.index]) for a in ordered]

    def fits(j: int, i: int) -> bool:  # may anchor i follow anchor j directly?
        labelled = ANCHOR_LABEL in (ordered[i].source, ordered[j].source)
        slack = _LABEL_SLACK_SECONDS if labelled else _EXACT_SLACK_SECONDS
        return (
            ordered[j].index < ordered[i].index
            and stamps[i] >= stamps[j]
            and stamps[i] - stamps[j] >= game[i] - game[j] - slack
        )

    if all(fits(i - 1, i) for i in range(1, n)):
        return ordered
    # Heaviest chain (by source priority) in which each anchor fits its predecessor: O(n^2), n is small
    # for labels; CDN games only get here when the source inverts a few times.
    weight = [
        _REPLAY_PRIORITY if actions[a.index].kind == "replay" else _PRIORITY.get(a.source, 1) for a in ordered
    ]
    best = list(weight)
    parent = [-1] * n
    for i in range(n):
        for j in range(i):
            if best[j] + weight[i] > best[i] and fits(j, i):
                best[i], parent[i] = best[j] + weight[i], j
    chain = []
    i = max(range(n), key=lambda k: (best[k], -k))
    while i >= 0:
        chain.append(ordered[i])
        i = parent[i]
    return chain[::-1]


def stoppage_class(action: PlayAction) -> str | None:
    """The stoppage an action opens (a key of ``STOPPAGE_COSTS``), or None for live play."""
    kind = action.kind
    if kind in ("timeout", "foul", "substitution", "replay", "violation", "jump_ball", "ejection"):
        return kind
    if kind == "free_throw":
        match = _FREE_THROW_OF.search(action.sub_type) or _FREE_THROW_OF.search(action.description)
        if match and int(match.group(1)) < int(match.group(2)):
            return "free_throw_between"
        return "free_throw_last"
    if kind in ("turnover", "stoppage"):  # CDN "stoppage" rows: out of bounds, blood rule
        return None if action.sub_type.lower() in _LIVE_TURNOVERS else "turnover_dead"
    if kind == "field_goal" and action.made:
        last = 120.0 if action.period >= REGULATION_PERIODS else 60.0
        return "made_fg_clock_stops" if action.clock_seconds <= last else None
    return None


def stoppage_cost(action: PlayAction, costs: Mapping[str, float] = STOPPAGE_COSTS) -> float:
    """Real seconds of dead ball after this action."""
    cls = stoppage_class(action)
    if cls is None:
        return 0.0
    cost = costs.get(cls, 0.0)
    if cls == "substitution" and action.source == SOURCE_CDN:
        cost /= 2  # CDN logs a substitution as two rows, "out" and "in"
    return cost


def cumulative_weights(
    actions: Sequence[PlayAction], method: str = STOPPAGE, costs: Mapping[str, float] = STOPPAGE_COSTS
) -> list[float]:
    """Running sum of gap weights from the first action (0.0) on; the estimators' notion of distance."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    total = 0.0
    out = [0.0] * len(actions)
    for k in range(1, len(actions)):
        prev, cur = actions[k - 1], actions[k]
        gap = max(0.0, _elapsed(cur) - _elapsed(prev))  # clock corrections never run time backwards
        if method == STOPPAGE:
            gap += stoppage_cost(prev, costs)
            if cur.period > prev.period:
                gap += costs.get("halftime" if prev.period == 2 else "quarter_break", 0.0)
        total += gap
        out[k] = total
    return out


_ANCHOR_METHOD = {ANCHOR_EXACT: METHOD_EXACT, ANCHOR_LABEL: METHOD_LABEL, ANCHOR_TIP_OFF: METHOD_TIP_OFF}
_BETWEEN = {LINEAR: METHOD_LINEAR, STOPPAGE: METHOD_STOPPAGE}
_BEYOND = {LINEAR: METHOD_EXTRAPOLATED_LINEAR, STOPPAGE: METHOD_EXTRAPOLATED_STOPPAGE}


def estimate_from_anchors(
    actions: Sequence[PlayAction],
    anchors: Sequence[Anchor],
    method: str = STOPPAGE,
    costs: Mapping[str, float] = STOPPAGE_COSTS,
) -> list[EventTime]:
    """Times for all actions from consistent anchors (see ``consistent_anchors``), one per action.

    Between two anchors: their real interval split in proportion to the weights. Outside them:
    the weights times ``EXTRAPOLATION_RATE``. Exact ``time_actual`` values are not consulted here.
    """
    weights = cumulative_weights(actions, method, costs)
    if not actions:
        return []
    if not anchors:
        raise NoTimeAnchors("no anchors to estimate from")
    chain = sorted(anchors, key=lambda a: a.index)
    rate = EXTRAPOLATION_RATE[method]
    between, beyond = _BETWEEN[method], _BEYOND[method]
    out: list[EventTime | None] = [None] * len(actions)
    first, last = chain[0], chain[-1]
    for k in range(first.index):
        at = first.at - timedelta(seconds=(weights[first.index] - weights[k]) * rate)
        out[k] = EventTime(at, beyond, ERROR_SECONDS[beyond])
    for k in range(last.index + 1, len(actions)):
        at = last.at + timedelta(seconds=(weights[k] - weights[last.index]) * rate)
        out[k] = EventTime(at, beyond, ERROR_SECONDS[beyond])
    for lo, hi in pairwise(chain):
        span = weights[hi.index] - weights[lo.index]
        steps = hi.index - lo.index
        real = hi.at - lo.at
        for k in range(lo.index + 1, hi.index):
            share = (weights[k] - weights[lo.index]) / span if span > 0 else (k - lo.index) / steps
            out[k] = EventTime(lo.at + real * share, between, ERROR_SECONDS[between])
    for anchor in chain:
        kind = _ANCHOR_METHOD[anchor.source]
        out[anchor.index] = EventTime(anchor.at, kind, ERROR_SECONDS[kind])
    return [t for t in out if t is not None]


def estimate_event_times(
    actions: Sequence[PlayAction],
    game_date: date,
    method: str = STOPPAGE,
    *,
    tip_off: datetime | None = None,
) -> list[EventTime]:
    """One UTC time per action, aligned with ``actions``.

    Exact ``time_actual`` where present (CDN, as given, even where the source inverts two actions);
    otherwise estimated between the consistent exact times and wall-clock labels (``game_date`` is the
    game's US-Eastern date). ``tip_off`` (tz-aware UTC time of the first action) is used only when the
    game has no anchor at all; without it such a game raises ``NoTimeAnchors``.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if not actions:
        return []
    anchors = exact_anchors(actions) + wall_clock_anchors(actions, game_date)
    if not anchors:
        if tip_off is None:
            raise NoTimeAnchors(
                "no exact times and no wall-clock labels (e.g. 'Start of 1st Period (7:36 PM EST)'); "
                "pass tip_off to extrapolate from the first action"
            )
        if tip_off.tzinfo is None:
            raise ValueError("tip_off must be timezone-aware")
        a = actions[0]
        anchors = [Anchor(0, a.period, a.clock_seconds, tip_off.astimezone(UTC), ANCHOR_TIP_OFF)]
    times = estimate_from_anchors(actions, consistent_anchors(actions, anchors), method)
    return [
        EventTime(a.time_actual.astimezone(UTC), METHOD_EXACT, ERROR_SECONDS[METHOD_EXACT])
        if a.time_actual is not None
        else t
        for a, t in zip(actions, times, strict=True)
    ]
