"""The pages' charts as server-side SVG: plain functions from numbers to markup, no JavaScript and nothing
fetched from anywhere, so a page draws the same offline, on a phone, and in a test.

- ``line_chart``: several series on one time axis (the player page: clutch score, HRV baseline
  deviation, recovery). A missing value breaks its line: a gap is drawn as a gap, never filled in.
- ``margin_chart``: the score margin over the game clock, the clutch windows shaded, the players'
  clutch actions marked on it (the game page).

Every figure is escaped; the SVG scales to its container (``viewBox``, width 100%).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36
REGULATION_PERIOD_S, OVERTIME_S = 720, 300


@dataclass(frozen=True)
class Series:
    """A line: its name (the legend), its colour, and one value per x (None: no value, a gap)."""

    name: str
    color: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Scale:
    """A linear map from data to pixels."""

    lo: float
    hi: float
    px_lo: float
    px_hi: float

    def __call__(self, value: float) -> float:
        span = self.hi - self.lo or 1.0
        return self.px_lo + (value - self.lo) / span * (self.px_hi - self.px_lo)


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round values (1, 2, 2.5 or 5 times a power of ten apart) covering lo..hi."""
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / max(count - 1, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = next((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), 10 * power)
    first = (lo // step) * step
    ticks, value = [], first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    if ticks[-1] < hi:
        ticks.append(round(value, 10))
    return ticks


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _path(points: Sequence[tuple[float, float] | None]) -> str:
    """An SVG path through the points; None starts a new piece (a gap in the line)."""
    parts, pen_down = [], False
    for point in points:
        if point is None:
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{point[0]:.1f},{point[1]:.1f}")
        pen_down = True
    return " ".join(parts)


def _y_axis(scale: Scale, ticks: list[float], label: str) -> list[str]:
    out = []
    for tick in ticks:
        y = scale(tick)
        out.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_fmt(tick)}</text>')
    out.append(
        f'<text class="axis-label" x="12" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f})">{escape(label)}</text>'
    )
    return out


def _svg(title: str, body: list[str], css_class: str) -> str:
    return (
        f'<svg class="chart {css_class}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def _date_ticks(days: Sequence[date], count: int = 6) -> list[int]:
    if len(days) <= count:
        return list(range(len(days)))
    step = (len(days) - 1) / (count - 1)
    return sorted({round(i * step) for i in range(count)})


def line_chart(title: str, days: Sequence[date], series: Sequence[Series], y_label: str = "") -> str:
    """Several series over the same dates (x spaced by calendar time), one shared y axis, a point at
    every value and a line between consecutive values; a None breaks the line."""
    values = [v for s in series for v in s.values if v is not None]
    if not days or not values:
        return _svg(title, [f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}">no data</text>'], "line")
    ticks = nice_ticks(min(0.0, *values), max(values))
    y = Scale(ticks[0], ticks[-1], HEIGHT - BOTTOM, TOP)
    origin = days[0].toordinal()
    x = Scale(0, max(days[-1].toordinal() - origin, 1), LEFT + 6, WIDTH - RIGHT - 6)
    body = _y_axis(y, ticks, y_label)
    for i in _date_ticks(days):
        px = x(days[i].toordinal() - origin)
        body.append(
            f'<text class="tick" x="{px:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{days[i].strftime('%b %d')}</text>"
        )
    for s in series:
        points = [
            None if v is None else (x(d.toordinal() - origin), y(v))
            for d, v in zip(days, s.values, strict=True)
        ]
        body.append(
            f'<path class="series" data-series="{escape(s.name)}" d="{_path(points)}" '
            f'stroke="{escape(s.color)}" fill="none"/>'
        )
        for d, v, p in zip(days, s.values, points, strict=True):
            if p is not None:
                body.append(
                    f'<circle class="point" data-series="{escape(s.name)}" cx="{p[0]:.1f}" cy="{p[1]:.1f}" '
                    f'r="3" fill="{escape(s.color)}"><title>{escape(s.name)} {d}: {_fmt(v)}</title></circle>'
                )
    return _svg(title, body, "line")


def game_length(last_period: int) -> int:
    """Seconds of game time through ``last_period`` (four 12-minute quarters, 5-minute overtimes)."""
    regulation = min(last_period, 4) * REGULATION_PERIOD_S
    return regulation + max(last_period - 4, 0) * OVERTIME_S


@dataclass(frozen=True)
class Marker:
    """An action on the margin chart: when, a label (its tooltip), and its kind (a CSS class)."""

    elapsed_s: float
    label: str
    kind: str


def _margin_at(margin: Sequence[tuple[float, float]], elapsed: float) -> float:
    current = 0.0
    for at, value in margin:
        if at > elapsed:
            break
        current = value
    return current


def _period_lines(x: Scale, periods: int) -> list[str]:
    out = []
    for period in range(1, periods + 1):
        start = game_length(period - 1)
        px = x(start)
        name = f"Q{period}" if period <= 4 else f"OT{period - 4}"
        out.append(f'<line class="period" x1="{px:.1f}" x2="{px:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>')
        mid = x(start + (game_length(period) - start) / 2)
        out.append(
            f'<text class="tick" x="{mid:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{name}</text>'
        )
    return out


def margin_chart(
    title: str,
    margin: Sequence[tuple[float, float]],
    windows: Sequence[tuple[float, float]],
    markers: Sequence[Marker],
    periods: int = 4,
    y_label: str = "home lead (points)",
) -> str:
    """The margin (home minus away) as a step line over elapsed game seconds, each clutch window a shaded
    band, each marker a dot on the line at its time."""
    if not margin:
        return _svg(title, [f'<text class="empty" x="{WIDTH / 2}" y="{HEIGHT / 2}">no data</text>'], "margin")
    end = game_length(max(periods, 4))
    bound = max(5.0, *(abs(m) for _, m in margin))
    ticks = nice_ticks(-bound, bound)
    y = Scale(ticks[0], ticks[-1], HEIGHT - BOTTOM, TOP)
    x = Scale(0, end, LEFT, WIDTH - RIGHT)
    body = [
        f'<rect class="clutch-window" x="{x(a):.1f}" y="{TOP}" width="{max(x(b) - x(a), 1):.1f}" '
        f'height="{HEIGHT - TOP - BOTTOM}"><title>clutch window</title></rect>'
        for a, b in windows
    ]
    body += _y_axis(y, ticks, y_label) + _period_lines(x, max(periods, 4))
    body.append(f'<line class="zero" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}"/>')
    steps: list[tuple[float, float] | None] = []
    previous = None
    for at, value in sorted(margin):
        if previous is not None:
            steps.append((x(at), y(previous)))
        steps.append((x(at), y(value)))
        previous = value
    steps.append((x(end), y(previous)))
    body.append(f'<path class="series margin-line" d="{_path(steps)}" fill="none"/>')
    for m in markers:
        cx, cy = x(m.elapsed_s), y(_margin_at(sorted(margin), m.elapsed_s))
        body.append(
            f'<circle class="marker {escape(m.kind)}" cx="{cx:.1f}" cy="{cy:.1f}" r="4">'
            f"<title>{escape(m.label)}</title></circle>"
        )
    return _svg(title, body, "margin")
