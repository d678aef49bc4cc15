"""How often the model finds a wearables effect where there is none, measured on the data it is given.

Why: a calibrated 94% interval excludes zero in 6% of data sets without an effect, so one fit whose
interval excludes zero is not, alone, evidence of an effect; what can be checked is that the rate is 6%
and not more (docs/model.md: on the main job's month an unplanted fit excludes zero by chance).

How: keep every player-game's clutch score, context and player, and shuffle the wearables block (the
three values and whether the row has them, together) across the player-games. That breaks any link
between the body and the play while keeping each covariate's distribution and the correlations between
them (recovery and HRV deviation correlate at 0.9). Each shuffled data set is fitted by the exact
posterior (``exact``: the one every sampled fit is checked against), in a fraction of a second, and its
94% interval is its mean +- 1.88 sd (the posterior of an effect is a near-Gaussian mixture).
"""

from __future__ import annotations

import numpy as np

from clutch_pipeline.model.data import WEARABLES, ModelInput, design_of
from clutch_pipeline.model.exact import exact_posterior
from clutch_pipeline.model.spec import statistics_of

Z_94 = 1.8808  # the standard normal's 97th percentile
_SHUFFLED = ("has_wearables_data", *WEARABLES)


JOINT_LEVEL = 0.94


def joint_region(draws: np.ndarray, level: float = JOINT_LEVEL) -> dict:
    """Whether zero (no effect of any wearables covariate) lies outside the posterior's joint ``level``
    region of the effects, from their draws (rows: draws, columns: covariates).

    Why joint: the question a reader asks is "does the body's state matter?", one question, not three.
    Recovery and HRV deviation correlate at about 0.9, so their effects trade off (the posterior is a
    long ellipse along "one up, the other down"): each interval alone can exclude zero by chance while
    zero sits well inside the joint region; and three separate 94% intervals find "something" in about
    15% of data sets without an effect (docs/model.md, Calibration). The region is the ellipsoid of the
    draws' Mahalanobis distance to their mean that holds ``level`` of the draws (no Gaussian assumption
    on its size); ``share_farther`` is the share of draws farther from the mean than zero is.
    """
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] == 0 or draws.shape[0] <= draws.shape[1]:
        return {"covariates": 0, "excludes_zero": False, "share_farther": None}
    mean = draws.mean(axis=0)
    inverse = np.linalg.pinv(np.atleast_2d(np.cov(draws, rowvar=False)))
    centred = draws - mean
    distances = np.einsum("ij,jk,ik->i", centred, inverse, centred)
    zero = float(mean @ inverse @ mean)
    threshold = float(np.quantile(distances, level))
    return {
        "covariates": int(draws.shape[1]),
        "level": level,
        "distance_of_zero": zero,
        "threshold": threshold,
        "share_farther": float((distances > zero).mean()),
        "excludes_zero": bool(zero > threshold),
    }


def excludes_zero(data: ModelInput) -> dict[str, bool]:
    """Whether each wearables effect's 94% interval (exact posterior) excludes zero on ``data``."""
    from clutch_pipeline.model.fit import prior_sd_of

    design = design_of(data)
    stats = statistics_of(design.y, design.x, design.player, len(design.player_ids))
    exact = exact_posterior(stats, prior_sd_of(design))
    out = {}
    for i, name in enumerate(design.scaling.names):
        if name in WEARABLES:
            mean, sd = exact.mean[1 + i], exact.sd[1 + i]
            out[name] = bool(mean - Z_94 * sd > 0 or mean + Z_94 * sd < 0)
    return out


def shuffled_false_positives(data: ModelInput, shuffles: int = 200, seed: int = 0) -> dict[str, float]:
    """The share of ``shuffles`` wearables-shuffled data sets in which each wearables effect's 94%
    interval excludes zero, and (``any``) in which at least one does. Deterministic for a ``seed``."""
    rng = np.random.default_rng(seed)
    frame = data.frame
    block = frame[list(_SHUFFLED)].to_numpy(dtype=object)
    hits: dict[str, int] = {}
    any_hits = 0
    for _ in range(shuffles):
        shuffled = frame.copy()
        shuffled[list(_SHUFFLED)] = block[rng.permutation(len(frame))]
        shuffled["has_wearables_data"] = shuffled["has_wearables_data"].astype(bool)
        for column in WEARABLES:
            shuffled[column] = shuffled[column].astype(float)
        found = excludes_zero(ModelInput(shuffled))
        for name, excluded in found.items():
            hits[name] = hits.get(name, 0) + int(excluded)
        any_hits += int(any(found.values()))
    return {**{name: n / shuffles for name, n in hits.items()}, "any": any_hits / shuffles}
