"""The cached numba callbacks compute exactly the density of the PyMC model (spec.build_model)."""

from __future__ import annotations

import numpy as np

from clutch_pipeline.model import compiled, simulate, spec
from clutch_pipeline.model.data import design_of
from clutch_pipeline.model.fit import prior_sd_of


def test_the_callbacks_compute_the_pymc_models_density_and_gradient():
    design = design_of(simulate.simulate(np.array([1, 2, 5, 6, 9, 12]), seed=5, wearables_share=0.5))
    stats = spec.statistics_of(design.y, design.x, design.player, len(design.player_ids))
    values = spec.data_values(stats, spec.centered_mask(stats.n_games), prior_sd_of(design))
    model = spec.build_model(values)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    buffer = compiled.pack(values, (*spec.LEAGUE_MEAN_PRIOR, spec.SIGMA_ALPHA_PRIOR, spec.SIGMA_PRIOR))
    rng = np.random.default_rng(0)
    k, p = design.x.shape[1], len(design.player_ids)
    assert set(values["centered"]) == {0.0, 1.0}  # both parameterizations are exercised

    for _ in range(3):
        raw = rng.normal(0, 1, p) + 50 * values["centered"]
        x = np.concatenate([[rng.normal(50, 5)], rng.normal(1.5, 0.5, 2), rng.normal(0, 1, k), raw])
        point = {
            "mu_alpha": x[0],
            "sigma_alpha_log__": x[1],
            "sigma_log__": x[2],
            "alpha_raw": x[3 + k :],
            "beta": x[3 : 3 + k],
        }
        grad = np.zeros_like(x)
        value = compiled.logp_and_grad(x, buffer, grad)
        names = [v.name for v in model.value_vars]
        cuts = np.cumsum([np.size(point[n]) for n in names])[:-1]
        reference = dict(zip(names, np.split(dlogp(point), cuts), strict=True))

        np.testing.assert_allclose(value, logp(point), rtol=1e-9)
        np.testing.assert_allclose(
            grad[:3],
            np.concatenate([reference["mu_alpha"], reference["sigma_alpha_log__"], reference["sigma_log__"]]),
            rtol=1e-8,
        )
        np.testing.assert_allclose(grad[3 : 3 + k], reference["beta"], rtol=1e-8, atol=1e-8)
        np.testing.assert_allclose(grad[3 + k :], reference["alpha_raw"], rtol=1e-8, atol=1e-8)
