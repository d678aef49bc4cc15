"""The pages' SVG charts, from plain numbers: a missing value is a gap, never a drawn point; the margin
chart shades the clutch windows and marks the actions."""

from __future__ import annotations

import itertools
import re
from datetime import date

from clutch_pipeline.service.pages.charts import (
    Marker,
    Series,
    game_length,
    line_chart,
    margin_chart,
    nice_ticks,
)

DAYS = [date(2022, 10, 19), date(2022, 10, 21), date(2022, 10, 23), date(2022, 11, 2)]


def _path(svg: str, series: str) -> str:
    return re.search(rf'<path class="series" data-series="{re.escape(series)}" d="([^"]*)"', svg)[1]


def test_a_missing_value_breaks_its_line_and_draws_no_point():
    svg = line_chart(
        "t", DAYS, [Series("HRV", "#00f", [1.0, None, 3.0, 4.0]), Series("Score", "#0f0", [50, 51, 52, 53])]
    )
    assert _path(svg, "HRV").count("M") == 2 and _path(svg, "HRV").count("L") == 1
    assert _path(svg, "Score").count("M") == 1 and _path(svg, "Score").count("L") == 3
    assert svg.count('data-series="HRV" cx=') == 3 and svg.count('data-series="Score" cx=') == 4


def test_dates_are_spaced_by_calendar_time_on_the_shared_axis():
    svg = line_chart("t", DAYS, [Series("Score", "#0f0", [50, 50, 50, 50])])
    xs = [float(x) for x in re.findall(r'<circle class="point" data-series="Score" cx="([\d.]+)"', svg)]
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert abs(gaps[2] / gaps[0] - 5.0) < 0.01  # 10 days against 2


def test_a_chart_without_values_says_so():
    assert "no data" in line_chart("t", DAYS, [Series("HRV", "#00f", [None] * 4)])
    assert "no data" in margin_chart("t", [], [], [])


def test_text_is_escaped():
    svg = line_chart('<script>"', DAYS[:1], [Series("<b>", "#000", [1.0])])
    assert "<script>" not in svg and "<b>" not in svg


def test_the_margin_chart_shades_each_clutch_window_and_marks_each_action_on_the_line():
    margin = [(0.0, 0), (600.0, 4), (2700.0, -3), (2850.0, 1)]
    svg = margin_chart("t", margin, [(2640.0, 2880.0)], [Marker(2860.0, "J. Doe: 3PT", "made")], periods=4)
    assert svg.count('class="clutch-window"') == 1
    assert svg.count('class="marker made"') == 1
    step = re.search(r'class="series margin-line" d="([^"]*)"', svg)[1]
    assert step.count("L") == 2 * (len(margin) - 1) + 1  # a step per change, then on to the end
    assert "Q4" in svg and "OT1" not in svg


def test_overtime_adds_five_minutes_a_period_and_nice_ticks_cover_the_range():
    assert (game_length(4), game_length(5), game_length(6)) == (2880, 3180, 3480)
    assert nice_ticks(-12, 40) == [-20, 0, 20, 40]
    assert nice_ticks(0, 100) == [0, 25, 50, 75, 100]
