"""The athlete's state at each clutch action (clutch_action_wearables): descriptive, never a covariate.

Pure: pandas frames in, one frame out, vectorized over a whole season with ``merge_asof`` by player
(a handful of sorted merges, never a lookup per action). Rules and reasons: docs/alignment.md
("Concurrent context"). Ids are strings, times UTC timestamps.

Inputs (columns):
- actions: game_id, source, source_action_key, action_type, player_id, device_id, action_timestamp,
  time_error_seconds, local_date, calibrating, has_pregame
- workouts: player_id, record_id, start, end, workout_strain, workout_average_heart_rate,
  workout_max_heart_rate
- readings: player_id, metric_type, at, value (instantaneous readings: hrv_rmssd, resting_heart_rate)
- days: player_id, local_date, unscored (bool), data_completeness
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import pandas as pd

from clutch_pipeline.alignment.quality import action_quality

WORKOUT_VALUES = ("workout_strain", "workout_average_heart_rate", "workout_max_heart_rate")
# metric_type in wearables_readings -> column of clutch_action_wearables
INTERPOLATED = {"hrv_rmssd": "hrv_rmssd_interpolated", "resting_heart_rate": "resting_hr_interpolated"}


@dataclass(frozen=True)
class ConcurrentRules:
    window: timedelta = timedelta(hours=2)  # the nearest workout is matched up to this far away
    # A metric is interpolated only between a reading at most this long before the action and one at
    # most this long after. WHOOP gives one HRV and resting HR a day (at the wake-up), so 24 h on each
    # side brackets a game between two consecutive mornings and never across a missing morning.
    bracket: timedelta = timedelta(hours=24)


def _asof(left: pd.DataFrame, right: pd.DataFrame, right_on: str, direction: str, **kw) -> pd.DataFrame:
    return pd.merge_asof(
        left,
        right.sort_values(right_on),
        left_on="action_timestamp",
        right_on=right_on,
        by="player_id",
        direction=direction,
        **kw,
    )


def match_workouts(actions: pd.DataFrame, workouts: pd.DataFrame, window: timedelta) -> pd.DataFrame:
    """workout_record_id, workout_match ('contains' | 'nearest' | None), workout_gap_minutes and the
    workout's values, index-aligned with ``actions``. Containment first (start <= t <= end; of two
    overlapping workouts, the latest-starting one), else the nearest edge within ``window`` (a tie
    goes to the workout before)."""
    left = actions[["player_id", "action_timestamp"]].reset_index().sort_values("action_timestamp")
    w = workouts[["player_id", "record_id", "start", "end", *WORKOUT_VALUES]]
    tol = pd.Timedelta(window)
    started = _asof(left, w, "start", "backward").set_index("index")  # latest start <= t
    ending = _asof(left, w, "end", "forward").set_index("index")  # earliest end >= t
    before = _asof(left, w, "end", "backward", tolerance=tol).set_index("index")
    after = _asof(left, w, "start", "forward", tolerance=tol).set_index("index")
    t = left.set_index("index")["action_timestamp"]
    gap_before = (t - before["end"]).dt.total_seconds() / 60
    gap_after = (after["start"] - t).dt.total_seconds() / 60
    choices = [
        (started["end"] >= t, started, 0.0, "contains"),
        (ending["start"] <= t, ending, 0.0, "contains"),
        (gap_before.notna() & ~(gap_after < gap_before), before, gap_before, "nearest"),
        (gap_after.notna(), after, gap_after, "nearest"),
    ]
    out = pd.DataFrame(
        index=t.index,
        columns=["workout_record_id", "workout_match", "workout_gap_minutes", *WORKOUT_VALUES],
        dtype=object,
    )
    done = pd.Series(False, index=t.index)
    for condition, source, gap, match in choices:
        take = condition.fillna(False).astype(bool) & ~done
        out.loc[take, "workout_record_id"] = source.loc[take, "record_id"]
        out.loc[take, "workout_match"] = match
        out.loc[take, "workout_gap_minutes"] = gap if np.isscalar(gap) else gap[take]
        for column in WORKOUT_VALUES:
            out.loc[take, column] = source.loc[take, column]
        done |= take
    return out.reindex(actions.index)


def interpolate(actions: pd.DataFrame, readings: pd.DataFrame, bracket: timedelta) -> pd.DataFrame:
    """One column per metric in INTERPOLATED: the linear interpolation between the metric's last
    reading at or before the action and its first at or after, where both lie within ``bracket``;
    NaN where they do not (no value is ever extended past the last reading)."""
    left = actions[["player_id", "action_timestamp"]].reset_index().sort_values("action_timestamp")
    t = left.set_index("index")["action_timestamp"]
    tol = pd.Timedelta(bracket)
    out = pd.DataFrame(index=actions.index)
    for metric, column in INTERPOLATED.items():
        r = readings.loc[readings["metric_type"] == metric, ["player_id", "at", "value"]]
        lo = _asof(left, r, "at", "backward", tolerance=tol).set_index("index")
        hi = _asof(left, r, "at", "forward", tolerance=tol).set_index("index")
        span = (hi["at"] - lo["at"]).dt.total_seconds()
        share = ((t - lo["at"]).dt.total_seconds() / span.where(span > 0)).fillna(0.0)
        value = lo["value"] + (hi["value"] - lo["value"]) * share
        out[column] = value.where(lo["value"].notna() & hi["value"].notna()).reindex(actions.index)
    return out


def concurrent_context(
    actions: pd.DataFrame,
    workouts: pd.DataFrame,
    readings: pd.DataFrame,
    days: pd.DataFrame,
    rules: ConcurrentRules = ConcurrentRules(),
) -> pd.DataFrame:
    """The rows of clutch_action_wearables: actions of athletes with a device for which there is
    something to say (a workout matched, a metric interpolated, or a pregame context of the game)."""
    acts = actions.reset_index(drop=True)
    matched = match_workouts(acts, workouts, rules.window)
    values = interpolate(acts, readings, rules.bracket)
    out = pd.concat([acts, matched, values], axis=1)
    out["interpolated"] = values.notna().any(axis=1)
    out = out.merge(days, on=["player_id", "local_date"], how="left")
    out["quality_score"] = action_quality(
        out["workout_gap_minutes"],
        out["time_error_seconds"],
        out["calibrating"],
        out["unscored"],
        out["data_completeness"],
    )
    keep = out["workout_match"].notna() | out["interpolated"] | out["has_pregame"].fillna(False).astype(bool)
    return out.loc[keep].reset_index(drop=True)
