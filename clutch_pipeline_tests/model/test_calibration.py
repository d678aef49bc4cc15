"""The calibration check: shuffling the wearables across player-games removes an effect that is there,
and on data without one the intervals exclude zero at about their nominal 6%."""

from __future__ import annotations

from clutch_pipeline.model import simulate
from clutch_pipeline.model.calibration import excludes_zero, shuffled_false_positives


def test_a_real_recovery_effect_is_found_before_the_shuffle_and_rarely_after():
    data = simulate.season(200, 5, seed=3)  # 1,000 player-games with the simulator's true effects

    assert excludes_zero(data)["recovery_score_pregame"]
    assert shuffled_false_positives(data, shuffles=40, seed=1)["recovery_score_pregame"] <= 0.15


def test_without_effects_the_shuffled_false_positive_rate_is_near_the_nominal_six_percent():
    truth = simulate.Truth(effects=dict(simulate.NO_EFFECTS))
    data = simulate.season(200, 5, seed=4, truth=truth)

    rates = shuffled_false_positives(data, shuffles=60, seed=2)

    assert all(rates[name] <= 0.15 for name in ("hrv_baseline_deviation", "recovery_score_pregame")), rates
