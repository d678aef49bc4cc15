"""How much an aligned row can be trusted, 0..1: a product of documented steps and factors.

Pure: pandas in, pandas out. The rule is the table in docs/alignment.md ("Quality score"); the
constants below are that table, so the page and the code cannot say two things.

A quality score is a weight for people and for descriptive plots. It never changes a value: a value
that could not be measured is NULL, whatever its quality.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# The seed's steps on the distance between an action and the wearables record matched to it (its
# "1.0 if < 30 min, 0.7 if < 120 min"), with "none within the window" at its lowest step.
GAP_STEPS = ((30.0, 1.0), (120.0, 0.7))  # (gap below this many minutes, quality)
GAP_BEYOND = 0.4  # 120 minutes or more, or no workout within the window

# An estimated NBA event time: factor = TIME_ERROR_SCALE / (TIME_ERROR_SCALE + error seconds).
# Exact times (0 s) keep 1.0; the NBA stage's estimates (15 to 309 s) get 0.95 to 0.49. An unknown
# error (NULL) counts as TIME_ERROR_SCALE seconds: we do not know the time is good.
TIME_ERROR_SCALE = 300.0

CALIBRATING_FACTOR = 0.8  # WHOOP says its recovery is not yet accurate for this user
UNSCORED_FACTOR = 0.8  # a record of the day is UNSCORABLE or PENDING_SCORE: the day is partly unseen
# Completeness c in 0..1 (NULL or no summary row: 0) enters as COMPLETENESS_FLOOR + (1 - floor) * c, so a
# day with nothing recorded halves the score and a complete day leaves it alone.
COMPLETENESS_FLOOR = 0.5


def gap_step(gap_minutes: pd.Series) -> pd.Series:
    """The seed's step on the workout gap (NaN: no workout within the window)."""
    gap = gap_minutes.astype(float)
    out = pd.Series(GAP_BEYOND, index=gap.index, dtype=float)
    for limit, value in reversed(GAP_STEPS):
        out = out.where(~(gap < limit), value)
    return out


def time_factor(time_error_seconds: pd.Series) -> pd.Series:
    """Lower for an estimated event time, in proportion to its expected error."""
    error = time_error_seconds.astype(float).fillna(TIME_ERROR_SCALE).clip(lower=0.0)
    return TIME_ERROR_SCALE / (TIME_ERROR_SCALE + error)


def completeness_factor(completeness: pd.Series) -> pd.Series:
    share = completeness.astype(float).fillna(0.0).clip(0.0, 1.0)
    return COMPLETENESS_FLOOR + (1.0 - COMPLETENESS_FLOOR) * share


def flag_factor(flag: pd.Series, factor: float) -> pd.Series:
    """``factor`` where the flag is true, 1.0 where it is false or unknown."""
    return pd.Series(np.where(flag.fillna(False).astype(bool), factor, 1.0), index=flag.index)


def action_quality(
    gap_minutes: pd.Series,
    time_error_seconds: pd.Series,
    calibrating: pd.Series,
    unscored_day: pd.Series,
    completeness: pd.Series,
) -> pd.Series:
    """Quality of one clutch action's concurrent context (clutch_action_wearables.quality_score)."""
    score = (
        gap_step(gap_minutes)
        * time_factor(time_error_seconds)
        * flag_factor(calibrating, CALIBRATING_FACTOR)
        * flag_factor(unscored_day, UNSCORED_FACTOR)
        * completeness_factor(completeness)
    )
    return score.round(2)


def pregame_quality(inputs_found: pd.Series, calibrating: pd.Series, unscored_span: pd.Series) -> pd.Series:
    """Quality of a pregame context (pregame_context.wearables_quality_score). No gap step: every
    value is the athlete's own record of the night or day before. Completeness is the share of the
    three inputs found (the night's sleep performance, its recovery, the previous day's strain), not
    the summary's of the game day, which counts the game itself (after tip-off)."""
    share = inputs_found.astype(float) / 3.0
    score = (
        completeness_factor(share)
        * flag_factor(calibrating, CALIBRATING_FACTOR)
        * flag_factor(unscored_span, UNSCORED_FACTOR)
    )
    return score.round(2)
