"""The calibration check: shuffling the wearables across player-games removes an effect that is there,
and on data without one the intervals exclude zero at about their nominal 6%."""

from __future__ import annotations

import numpy as np

from clutch_pipeline.model import simulate
from clutch_pipeline.model.calibration import excludes_zero, joint_region, shuffled_false_positives


def test_a_real_recovery_effect_is_found_before_the_shuffle_and_rarely_after():
    data = simulate.season(200, 5, seed=3)  # 1,000 player-games with the simulator's true effects

    assert excludes_zero(data)["recovery_score_pregame"]
    assert shuffled_false_positives(data, shuffles=40, seed=1)["recovery_score_pregame"] <= 0.15


def test_without_effects_the_shuffled_false_positive_rate_is_near_the_nominal_six_percent():
    truth = simulate.Truth(effects=dict(simulate.NO_EFFECTS))
    data = simulate.season(200, 5, seed=4, truth=truth)

    rates = shuffled_false_positives(data, shuffles=60, seed=2)

    assert all(rates[name] <= 0.15 for name in ("hrv_baseline_deviation", "recovery_score_pregame")), rates


def _correlated_draws(mean: list[float], n: int = 8000) -> np.ndarray:
    """Draws of two effects whose posterior is a long ellipse along "one up, the other down" (sds 1 and
    1, correlation -0.9), as recovery's and HRV deviation's are."""
    covariance = np.array([[1.0, -0.9], [-0.9, 1.0]])
    return np.random.default_rng(0).multivariate_normal(mean, covariance, size=n)


def test_zero_along_the_long_axis_of_correlated_effects_lies_inside_the_joint_region():
    draws = _correlated_draws([2.0, -2.0])  # each interval alone excludes zero (2 sd from it)

    region = joint_region(draws)

    assert all(np.quantile(draws[:, j], 0.03) > 0 or np.quantile(draws[:, j], 0.97) < 0 for j in (0, 1))
    assert not region["excludes_zero"], region


def test_zero_across_the_short_axis_of_correlated_effects_lies_outside_the_joint_region():
    draws = _correlated_draws([1.0, 1.0])  # each interval alone covers zero (1 sd from it)

    region = joint_region(draws)

    assert all(np.quantile(draws[:, j], 0.03) < 0 < np.quantile(draws[:, j], 0.97) for j in (0, 1))
    assert region["excludes_zero"], region


def test_the_joint_region_of_too_few_draws_finds_nothing():
    assert joint_region(np.zeros((2, 3)))["excludes_zero"] is False
