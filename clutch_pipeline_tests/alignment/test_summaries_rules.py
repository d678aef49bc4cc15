"""The pure rules of the daily summaries: queued days as ranges, the baseline deviation and the HRV
variability index of one day (the SQL is held against these in test_summaries.py)."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from clutch_pipeline.alignment.summaries import (
    BASELINE_MIN_DAYS,
    baseline_deviation,
    merge_day_ranges,
    refreshed_span,
    variability_index,
)

D = date(2024, 3, 1)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=n) for n in offsets]


def test_days_separated_by_up_to_three_free_days_make_one_range():
    assert merge_day_ranges(days(0, 4, 1)) == [(D, D + timedelta(days=4))]


def test_four_free_days_split_the_ranges():
    assert merge_day_ranges(days(0, 5, 5)) == [(D, D), (D + timedelta(days=5), D + timedelta(days=5))]


def test_no_days_make_no_ranges():
    assert merge_day_ranges([]) == []


def test_the_deviation_needs_a_baseline_of_14_days():
    assert baseline_deviation(60.0, [50.0] * (BASELINE_MIN_DAYS - 1)) is None
    assert baseline_deviation(60.0, [50.0] * BASELINE_MIN_DAYS) == 20.0


def test_a_day_without_hrv_has_no_deviation():
    assert baseline_deviation(None, [50.0] * 30) is None


def test_the_variability_index_is_the_cv_of_ln_rmssd():
    week = [50.0, 60.0, 55.0, 70.0, 45.0]
    logs = [math.log(v) for v in week]
    mean = sum(logs) / 5
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 4)

    assert variability_index(week) == round(100 * sd / mean, 2)


def test_the_variability_index_needs_five_values():
    assert variability_index([50.0, 60.0, 55.0, 70.0]) is None


def test_a_refresh_reads_30_days_back_and_reaches_30_days_ahead():
    assert refreshed_span(D, D + timedelta(days=2)) == (
        D - timedelta(days=30),
        D + timedelta(days=2),
        D + timedelta(days=32),
    )


def test_a_range_that_ends_before_it_starts_is_refused():
    with pytest.raises(ValueError, match="before first"):
        refreshed_span(D, D - timedelta(days=1))
