"""The rules of the daily summaries (``wearables_daily_summary``): their windows, thresholds and counts.

Pure: no database, no Dagster. The SQL in ``alignment/store/summaries.py`` takes every number from here
as a parameter, so a rule is changed in one place, and the reference functions below (the baseline
deviation and the HRV variability index for one day) state in plain Python what the SQL computes for
every device and day at once; the tests hold one against the other. docs/daily-summaries.md explains
each column and why.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

# The athlete's HRV baseline: the mean of his daily HRV over the 30 days before the day (the day itself
# excluded, so a day is compared with what came before it). Below 14 days with an HRV in that window
# (half of it, two weeks: the span over which HRV baselines are usually established, e.g. Plews et al.
# 2012), the mean rests on too few nights to be a baseline and the deviation is NULL.
BASELINE_DAYS = 30
BASELINE_MIN_DAYS = 14

# The HRV variability index: the coefficient of variation (%) of ln RMSSD over the 7 days ending on the
# day, as Plews et al. (2012) follow athletes' weekly lnRMSSD CV; NULL with fewer than 5 values in them.
VARIABILITY_DAYS = 7
VARIABILITY_MIN_DAYS = 5

# What a full WHOOP day has: a scored cycle, a scored recovery and a scored main sleep.
EXPECTED_RECORDS = 3

# A change to one day's HRV moves the baseline of the 30 days after it and the variability index of
# the 6 days after it: a refresh of first..last recomputes those two columns up to last + this.
DERIVED_REACH_DAYS = max(BASELINE_DAYS, VARIABILITY_DAYS - 1)

# queued_summary_days merges queued dates separated by at most this many unqueued days into one range:
# refreshing a few unchanged days costs less than another run.
QUEUE_GAP_DAYS = 3


@dataclass(frozen=True)
class SummaryRefresh:
    """What a refresh of local dates first..last did."""

    days: int  # local dates refreshed (first..last)
    devices: int  # devices with at least one summary row in first..last after the refresh
    rows_written: int  # rows of first..last inserted or changed
    rows_unchanged: int  # rows of first..last whose values were already right (not touched)
    rows_deleted: int  # rows of first..last whose day has no record left
    later_rows_updated: int  # rows after last whose baseline deviation or variability index moved
    queued_for_alignment: int  # ('alignment', device, day) queue rows written for all of the above

    @property
    def rows_changed(self) -> int:
        return self.rows_written + self.rows_deleted + self.later_rows_updated


def merge_day_ranges(days: Iterable[date], max_gap: int = QUEUE_GAP_DAYS) -> list[tuple[date, date]]:
    """Dates as sorted, contiguous (first, last) ranges, bridging gaps of up to ``max_gap`` days."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and (day - ranges[-1][1]).days <= max_gap + 1:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def baseline_deviation(hrv: float | None, earlier: Sequence[float]) -> float | None:
    """% deviation of a day's HRV from the mean of ``earlier`` (the HRVs of the BASELINE_DAYS days before
    it, one per day that has one); None when the day has no HRV or the baseline too few days."""
    if hrv is None or len(earlier) < BASELINE_MIN_DAYS:
        return None
    mean = statistics.fmean(earlier)
    return None if mean <= 0 else round(100 * (hrv - mean) / mean, 2)


def variability_index(week: Sequence[float]) -> float | None:
    """Coefficient of variation (%) of ln RMSSD over the HRVs of the VARIABILITY_DAYS days ending on the
    day (sample standard deviation over mean); None with fewer than VARIABILITY_MIN_DAYS values."""
    logs = [math.log(value) for value in week if value > 0]
    if len(logs) < VARIABILITY_MIN_DAYS:
        return None
    mean = statistics.fmean(logs)
    return None if mean <= 0 else round(100 * statistics.stdev(logs) / mean, 2)


def refreshed_span(first: date, last: date) -> tuple[date, date, date]:
    """(the first day read for baselines, the last day refreshed in full, the last day whose derived
    columns may move) of a refresh of first..last."""
    if last < first:
        raise ValueError(f"last {last} is before first {first}")
    return first - timedelta(days=BASELINE_DAYS), last, last + timedelta(days=DERIVED_REACH_DAYS)
