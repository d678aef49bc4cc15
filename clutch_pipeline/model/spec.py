"""The PyMC model: the seed's hierarchical model on standardized covariates, with the player intercepts
integrated out of the sampled density and drawn afterwards from their exact conditional.

Why marginalized: given its scales the model is linear-Gaussian. Integrating out player j's intercept
alpha_j ~ Normal(mu, sigma_alpha) leaves y_j ~ Normal(mu + X_j beta, sigma^2 I + sigma_alpha^2 11'),
whose log density needs only, per player, the games n_j and the sum of residuals R_j, plus the sum of
squared residuals over all rows: O(1) per player from sufficient statistics. The sampler then explores
(mu_alpha, sigma_alpha, sigma, beta) only: no funnel between sigma_alpha and the intercepts, so no
centered/non-centered choice to make (docs/model.md keeps the measurements that used to decide it).
Each intercept is then drawn from alpha_j | mu, sigma_alpha, sigma, beta, y, a Gaussian in closed form
(``draw_intercepts``), once per posterior draw: exact, so the joint draws are draws of the full model.

Everything that changes between data sets (statistics, prior scales) is a ``pm.Data`` container. The
sampler does not run this PyMC model through PyTensor by default: ``compiled`` holds the same density
as cached numba callbacks (tested equal to this model's, value and gradient); this model is the
definition, the reference, and PyMC's fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAGUE_MEAN_PRIOR = (50.0, 10.0)  # the seed's mu_alpha ~ Normal(50, 10)
SIGMA_ALPHA_PRIOR = 10.0  # the seed's sigma_alpha ~ HalfNormal(10)
SIGMA_PRIOR = 10.0  # the seed's sigma ~ HalfNormal(10)
SAMPLED = ("mu_alpha", "sigma_alpha", "sigma", "beta")  # what the sampler explores; alpha is drawn


@dataclass(frozen=True)
class Statistics:
    """Sufficient statistics of the Gaussian likelihood."""

    n_games: np.ndarray  # (players,)
    sum_y: np.ndarray  # (players,)
    sum_x: np.ndarray  # (players, k)
    xtx: np.ndarray  # (k, k)
    xty: np.ndarray  # (k,)
    yty: float
    rows: int

    @property
    def players(self) -> int:
        return len(self.n_games)


def statistics_of(y: np.ndarray, x: np.ndarray, player: np.ndarray, players: int) -> Statistics:
    n_games = np.bincount(player, minlength=players).astype(float)
    sum_y = np.bincount(player, weights=y, minlength=players)
    sum_x = np.zeros((players, x.shape[1]))
    np.add.at(sum_x, player, x)
    return Statistics(n_games, sum_y, sum_x, x.T @ x, x.T @ y, float(y @ y), len(y))


def marginal_loglik(pt, stats: dict, mu, sigma_alpha, beta, sigma):
    """log p(y | mu, sigma_alpha, beta, sigma) with every intercept integrated out.

    Per player, with residuals r = y - mu - X beta, R_j = sum of r and D_j = sigma^2 + n_j sigma_alpha^2:
    log det V_j = (n_j - 1) log sigma^2 + log D_j and
    r'V_j^-1 r = (r'r - sigma_alpha^2 R_j^2 / D_j) / sigma^2.
    """
    s2, a2 = sigma**2, sigma_alpha**2
    n = stats["n_games"]
    resid_sum = stats["sum_y"] - n * mu - pt.dot(stats["sum_x"], beta)
    ssr = (
        stats["yty"]
        - 2.0 * mu * pt.sum(stats["sum_y"])
        - 2.0 * pt.dot(beta, stats["xty"])
        + stats["rows"] * mu**2
        + 2.0 * mu * pt.dot(beta, pt.sum(stats["sum_x"], axis=0))
        + pt.dot(beta, pt.dot(stats["xtx"], beta))
    )
    d = s2 + n * a2
    log_det = pt.sum((n - 1.0) * pt.log(s2) + pt.log(d))
    quad = (ssr - a2 * pt.sum(resid_sum**2 / d)) / s2
    return -0.5 * (stats["rows"] * np.log(2 * np.pi) + log_det + quad)


def data_values(stats: Statistics, beta_prior_sd: np.ndarray) -> dict[str, np.ndarray]:
    """The values of every ``pm.Data`` container, by name (what ``with_data`` is given on a refit)."""
    return {
        "n_games": stats.n_games,
        "sum_y": stats.sum_y,
        "sum_x": stats.sum_x,
        "xtx": stats.xtx,
        "xty": stats.xty,
        "yty": np.array(stats.yty),
        "rows": np.array(float(stats.rows)),
        "beta_prior_sd": beta_prior_sd,
    }


def build_model(values: dict[str, np.ndarray]):
    """The PyMC model over the containers in ``values`` (see ``data_values``): the intercepts'
    marginal, sampled over ``SAMPLED``."""
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        data = {name: pm.Data(name, value) for name, value in values.items()}
        mu_alpha = pm.Normal("mu_alpha", *LEAGUE_MEAN_PRIOR)
        sigma_alpha = pm.HalfNormal("sigma_alpha", SIGMA_ALPHA_PRIOR)
        beta = pm.Normal("beta", 0.0, data["beta_prior_sd"], shape=values["xty"].shape)
        sigma = pm.HalfNormal("sigma", SIGMA_PRIOR)
        pm.Potential("loglik", marginal_loglik(pt, data, mu_alpha, sigma_alpha, beta, sigma))
    return model


def intercept_conditional(stats: Statistics, sampled: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd of alpha_j | mu, sigma_alpha, sigma, beta, y for every draw: (..., players) each.

    The conjugate update of Normal(mu, sigma_alpha^2) by n_j games with residual sum R_j:
    mean mu + sigma_alpha^2 R_j / D_j, variance sigma_alpha^2 sigma^2 / D_j (stable as sigma_alpha -> 0).
    """
    mu = sampled["mu_alpha"][..., None]
    a2 = sampled["sigma_alpha"][..., None] ** 2
    s2 = sampled["sigma"][..., None] ** 2
    resid_sum = stats.sum_y - stats.n_games * mu - sampled["beta"] @ stats.sum_x.T
    d = s2 + stats.n_games * a2
    return mu + a2 * resid_sum / d, np.sqrt(a2 * s2 / d)


def draw_intercepts(stats: Statistics, sampled: dict[str, np.ndarray], seed: int) -> np.ndarray:
    """One exact draw of every intercept per posterior draw of the sampled parameters."""
    mean, sd = intercept_conditional(stats, sampled)
    return mean + sd * np.random.default_rng(seed).standard_normal(mean.shape)
