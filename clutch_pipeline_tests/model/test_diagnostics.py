"""Our vectorized R-hat and bulk ESS give ArviZ's figures."""

from __future__ import annotations

import arviz as az
import numpy as np

from clutch_pipeline.model.diagnostics import bulk_ess, rhat


def _chains() -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 4, 600)).cumsum(axis=2) * 0.05 + rng.standard_normal((4, 4, 600))
    x[1] += np.arange(4)[:, None] * 0.3  # chains that disagree
    x[2] = rng.standard_normal((4, 600))  # independent draws
    return x


def test_rhat_matches_arviz():
    x = _chains()

    np.testing.assert_allclose(rhat(x), [az.rhat(q) for q in x], rtol=1e-10)


def test_bulk_ess_matches_arviz():
    x = _chains()

    np.testing.assert_allclose(bulk_ess(x), [az.ess(q, method="bulk") for q in x], rtol=1e-8)
