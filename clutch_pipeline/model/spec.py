"""The PyMC model: the seed's hierarchical model, on standardized covariates, written through
per-player sufficient statistics.

Given its parameters, the Gaussian log-likelihood of all rows only needs, per player, the games n_j,
the sum of scores and the sum of covariates, and overall X'X, X'y and y'y. A gradient then costs
O(players x covariates), not O(rows): 36,000 rows cost what 11,250 do.

Each player's intercept is centered (alpha_j ~ Normal(mu, sigma_alpha)) or non-centered
(alpha_j = mu + sigma_alpha * z_j, z_j ~ Normal(0, 1)) by a mask held as data. The rule
(``centered_mask``): in a data set whose median player has at least ``CENTERED_MIN_GAMES`` games, a
player with that many is centered (their own data pins their intercept down: no funnel), the others
not; in a sparser data set every player is non-centered. Measurements in docs/model.md.

Everything that changes between data sets (statistics, mask, prior scales) is a ``pm.Data`` container.
The sampler does not run this PyMC model through PyTensor by default: ``compiled`` holds the same
density as cached numba callbacks (tested equal to this model's, value and gradient); this model is the
definition, the reference, and PyMC's fallback.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CENTERED_MIN_GAMES = 4
LEAGUE_MEAN_PRIOR = (50.0, 10.0)  # the seed's mu_alpha ~ Normal(50, 10)
SIGMA_ALPHA_PRIOR = 10.0  # the seed's sigma_alpha ~ HalfNormal(10)
SIGMA_PRIOR = 10.0  # the seed's sigma ~ HalfNormal(10)


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


def centered_mask(n_games: np.ndarray, min_games: int = CENTERED_MIN_GAMES) -> np.ndarray:
    """1.0 for players fitted centered, 0.0 for non-centered.

    Per data set first: when the median player has fewer than ``min_games`` games, sigma_alpha is
    weakly identified and every player is non-centered (centering even the few players with enough
    games gave divergences on the main job's shape). Otherwise per player: centered with at least
    ``min_games`` games.
    """
    if len(n_games) == 0 or np.median(n_games) < min_games:
        return np.zeros(len(n_games))
    return (n_games >= min_games).astype(float)


def gaussian_loglik(pt, stats: dict, alpha, beta, sigma):
    """Sum over rows of log Normal(y | alpha_j + x b, sigma), from the sufficient statistics."""
    fitted_x = pt.dot(stats["sum_x"], beta)
    ssr = (
        stats["yty"]
        - 2.0 * pt.dot(alpha, stats["sum_y"])
        - 2.0 * pt.dot(beta, stats["xty"])
        + pt.dot(stats["n_games"], alpha**2)
        + pt.dot(beta, pt.dot(stats["xtx"], beta))
        + 2.0 * pt.dot(alpha, fitted_x)
    )
    rows = stats["rows"]
    return -0.5 * rows * np.log(2 * np.pi) - rows * pt.log(sigma) - ssr / (2.0 * sigma**2)


def data_values(stats: Statistics, mask: np.ndarray, beta_prior_sd: np.ndarray) -> dict[str, np.ndarray]:
    """The values of every ``pm.Data`` container, by name (what ``with_data`` is given on a refit)."""
    return {
        "n_games": stats.n_games,
        "sum_y": stats.sum_y,
        "sum_x": stats.sum_x,
        "xtx": stats.xtx,
        "xty": stats.xty,
        "yty": np.array(stats.yty),
        "rows": np.array(float(stats.rows)),
        "centered": mask,
        "beta_prior_sd": beta_prior_sd,
    }


def build_model(values: dict[str, np.ndarray]):
    """The PyMC model over the containers in ``values`` (see ``data_values``)."""
    import pymc as pm
    import pytensor.tensor as pt

    with pm.Model() as model:
        data = {name: pm.Data(name, value) for name, value in values.items()}
        mu_alpha = pm.Normal("mu_alpha", *LEAGUE_MEAN_PRIOR)
        sigma_alpha = pm.HalfNormal("sigma_alpha", SIGMA_ALPHA_PRIOR)
        centered = data["centered"]
        raw = pm.Normal(
            "alpha_raw",
            mu=centered * mu_alpha,
            sigma=centered * sigma_alpha + (1.0 - centered),
            shape=values["n_games"].shape,
        )
        alpha = pm.Deterministic("alpha", centered * raw + (1.0 - centered) * (mu_alpha + sigma_alpha * raw))
        beta = pm.Normal("beta", 0.0, data["beta_prior_sd"], shape=values["xty"].shape)
        sigma = pm.HalfNormal("sigma", SIGMA_PRIOR)
        pm.Potential("loglik", gaussian_loglik(pt, data, alpha, beta, sigma))
    return model
