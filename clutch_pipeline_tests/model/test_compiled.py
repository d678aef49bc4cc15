"""The cached numba callbacks compute exactly the density of the PyMC model (spec.build_model), and
that density with the intercepts' conditional is the hierarchical model's joint density."""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

from clutch_pipeline.model import compiled, simulate, spec
from clutch_pipeline.model.data import design_of
from clutch_pipeline.model.fit import prior_sd_of


def _statistics():
    design = design_of(simulate.simulate(np.array([1, 1, 2, 5, 6, 9, 12]), seed=5, wearables_share=0.5))
    stats = spec.statistics_of(design.y, design.x, design.player, len(design.player_ids))
    return design, stats, spec.data_values(stats, prior_sd_of(design))


def test_the_callbacks_compute_the_pymc_models_density_and_gradient():
    _, _, values = _statistics()
    model = spec.build_model(values)
    logp, dlogp = model.compile_logp(), model.compile_dlogp()
    buffer = compiled.pack(values, (*spec.LEAGUE_MEAN_PRIOR, spec.SIGMA_ALPHA_PRIOR, spec.SIGMA_PRIOR))
    rng = np.random.default_rng(0)
    k = len(values["xty"])
    names = [v.name for v in model.value_vars]
    assert names == ["mu_alpha", "sigma_alpha_log__", "beta", "sigma_log__"]

    for _ in range(4):
        x = np.concatenate([[rng.normal(50, 5)], rng.normal(1.5, 1.0, 2), rng.normal(0, 1, k)])
        point = {"mu_alpha": x[0], "sigma_alpha_log__": x[1], "sigma_log__": x[2], "beta": x[3:]}
        grad = np.zeros_like(x)
        value = compiled.logp_and_grad(x, buffer, grad)
        reference = dict(zip(names, np.split(dlogp(point), np.cumsum([1, 1, k])), strict=True))

        np.testing.assert_allclose(value, logp(point), rtol=1e-9)
        np.testing.assert_allclose(
            grad[:3],
            np.concatenate([reference["mu_alpha"], reference["sigma_alpha_log__"], reference["sigma_log__"]]),
            rtol=1e-8,
        )
        np.testing.assert_allclose(grad[3:], reference["beta"], rtol=1e-8, atol=1e-8)


def test_the_marginal_density_times_the_intercepts_conditional_is_the_joint_density():
    design, stats, values = _statistics()
    buffer = compiled.pack(values, (*spec.LEAGUE_MEAN_PRIOR, spec.SIGMA_ALPHA_PRIOR, spec.SIGMA_PRIOR))
    rng = np.random.default_rng(1)
    k, p = design.x.shape[1], stats.players

    for _ in range(3):
        mu, sa, sg, beta = rng.normal(50, 5), rng.uniform(2, 9), rng.uniform(5, 15), rng.normal(0, 1, k)
        alpha = rng.normal(mu, sa, p)
        x = np.concatenate([[mu, np.log(sa), np.log(sg)], beta])
        sampled = {"mu_alpha": np.array(mu), "sigma_alpha": np.array(sa), "sigma": np.array(sg), "beta": beta}
        mean, sd = spec.intercept_conditional(stats, sampled)
        joint = norm.logpdf(design.y, alpha[design.player] + design.x @ beta, sg).sum()
        joint += norm.logpdf(alpha, mu, sa).sum()

        marginal = _loglik(x, buffer)
        np.testing.assert_allclose(marginal + norm.logpdf(alpha, mean, sd).sum(), joint, rtol=1e-10)


def _loglik(x: np.ndarray, buffer: np.ndarray) -> float:
    """The callbacks' log density minus its priors: the marginal likelihood alone."""
    k = len(x) - 3
    grad = np.zeros_like(x)
    prior = compiled._log_prior(x, k, buffer[-4 - k : -4], buffer[-4:], grad)
    return compiled.logp_and_grad(x, buffer, grad) - prior
