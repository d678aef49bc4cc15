"""``publish.predict_one``, the service's single prediction, on hand-made posterior draws: a missing
wearables value is never filled in (it goes to the model's indicator and is reported missing)."""

from __future__ import annotations

import numpy as np
import pytest

from clutch_pipeline.model.data import MISSING_INDICATOR, NO_EARLIER_GAME, Scaling
from clutch_pipeline.model.publish import Posterior, predict_one

NAMES = (
    "recovery_score_pregame",
    "hrv_baseline_deviation",
    "sleep_performance_pregame",
    "score_margin",
    "days_since_last_game",
    MISSING_INDICATOR,
    NO_EARLIER_GAME,
)
SAMPLES = 2000


@pytest.fixture
def posterior() -> Posterior:
    """Recovery adds 10 points per sd (sd 20 around 60); no wearables costs 4; one known player at 50."""
    rng = np.random.default_rng(1)
    beta = np.zeros((SAMPLES, len(NAMES)))
    beta[:, 0], beta[:, 5] = 10.0, -4.0
    draws = {
        "alpha": 50 + rng.normal(0, 0.1, (SAMPLES, 1)),
        "mu_alpha": np.full(SAMPLES, 45.0),
        "sigma_alpha": np.full(SAMPLES, 5.0),
        "beta": beta,
        "sigma": np.full(SAMPLES, 1.0),
    }
    scaling = Scaling(NAMES, (60.0, 0.0, 80.0, 0.0, 2.0, 0.5, 0.1), (20.0, 10.0, 10.0, 3.0, 1.0, 0.5, 0.3))
    return Posterior("v-test", draws, ("201939",), scaling)


def covariates(**wearables) -> dict:
    base = dict.fromkeys(("recovery_score_pregame", "hrv_baseline_deviation", "sleep_performance_pregame"))
    return {**base, **wearables, "score_margin": 0, "is_playoff": False, "days_since_last_game": 2}


def test_a_recovery_given_is_used_and_the_other_wearables_are_reported_missing(posterior):
    out = predict_one(posterior, 201939, covariates(recovery_score_pregame=80.0))
    assert out["wearables_used"] is True and out["known_player"] is True
    assert out["missing_covariates"] == ["hrv_baseline_deviation", "sleep_performance_pregame"]
    # 50, +10 for one sd of recovery, +4 with the indicator off ((0 - 0.5) / 0.5 = -1 times -4)
    assert out["predicted_clutch_score"] == pytest.approx(64.0, abs=0.3)


def test_without_wearables_the_indicator_predicts_and_nothing_is_filled_in(posterior):
    out = predict_one(posterior, 201939, covariates())
    assert out["wearables_used"] is False
    assert set(out["missing_covariates"]) == set(list(covariates())[:3])
    # At the recovery mean (no value) with the indicator on: 50 - 4 * (1 - 0.5) / 0.5
    assert out["predicted_clutch_score"] == pytest.approx(46.0, abs=0.3)


def test_an_unknown_days_since_last_game_is_reported_missing(posterior):
    out = predict_one(
        posterior, 201939, {**covariates(recovery_score_pregame=60.0), "days_since_last_game": None}
    )
    assert out["missing_covariates"][-1] == "days_since_last_game"


def test_a_player_the_model_never_saw_gets_the_leagues_wider_interval(posterior):
    known = predict_one(posterior, 201939, covariates(recovery_score_pregame=60.0))
    new = predict_one(posterior, 1, covariates(recovery_score_pregame=60.0))
    assert new["known_player"] is False
    assert new["interval_high"] - new["interval_low"] > 3 * (known["interval_high"] - known["interval_low"])
