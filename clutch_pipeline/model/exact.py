"""The exact posterior of the fixed effects (league mean and covariate effects).

Given the two scales (sigma, sigma_alpha) the model is linear-Gaussian: integrating out each player's
intercept gives y_j ~ Normal(mu 1 + X_j beta, sigma^2 I + sigma_alpha^2 11'), whose inverse and
determinant are closed-form per player, so the conjugate update of (mu, beta) and the marginal
likelihood of the scales need only the sufficient statistics. Integrating over a grid of
(log sigma, log sigma_alpha) under their HalfNormal priors gives the posterior of (mu, beta) as a
mixture of Gaussians: its mean and sd are exact up to the grid, with no sampling at all. A sampler
that disagrees with it is sampling a different model.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from clutch_pipeline.model.spec import LEAGUE_MEAN_PRIOR, SIGMA_ALPHA_PRIOR, SIGMA_PRIOR, Statistics

COARSE, FINE = 30, 50


@dataclass(frozen=True)
class ExactPosterior:
    mean: np.ndarray  # (1 + k,): mu_alpha, then beta
    sd: np.ndarray
    sigma_mean: float
    sigma_alpha_mean: float
    seconds: float


def _grid_terms(stats: Statistics, prior_sd: np.ndarray, log_s: np.ndarray, log_a: np.ndarray):
    """Log marginal posterior of the scales at each grid point, and the conditional (mean, covariance)."""
    k1 = 1 + len(prior_sd)
    n, sy = stats.n_games, stats.sum_y
    sw = np.column_stack([n, stats.sum_x])  # per-player sums of w = (1, x)
    wtw = np.empty((k1, k1))
    wtw[0, 0] = stats.rows
    wtw[0, 1:] = wtw[1:, 0] = stats.sum_x.sum(axis=0)
    wtw[1:, 1:] = stats.xtx
    wty = np.concatenate([[sy.sum()], stats.xty])
    s2, a2 = np.exp(2 * log_s)[:, None], np.exp(2 * log_a)[:, None]
    c = a2 / (s2 + n[None, :] * a2)  # (g, players)
    outer = (sw[:, :, None] * sw[:, None, :]).reshape(len(n), k1 * k1)
    a = (wtw[None] - (c @ outer).reshape(-1, k1, k1)) / s2[:, :, None]
    b = (wty[None] - (c * sy[None]) @ sw) / s2
    y_v_y = (stats.yty - c @ (sy**2)) / s2[:, 0]
    log_det_v = ((n[None] - 1) * np.log(s2) + np.log(s2 + n[None] * a2)).sum(axis=1)
    p0 = np.diag(1.0 / np.concatenate([[LEAGUE_MEAN_PRIOR[1]], prior_sd]) ** 2)
    m0 = np.zeros(k1)
    m0[0] = LEAGUE_MEAN_PRIOR[0]
    precision = p0[None] + a
    cov = np.linalg.inv(precision)
    mean = np.einsum("gab,gb->ga", cov, (p0 @ m0)[None] + b)
    _, log_det_p = np.linalg.slogdet(precision)
    quad = y_v_y + m0 @ p0 @ m0 - np.einsum("ga,gab,gb->g", mean, precision, mean)
    log_lik = -0.5 * (
        stats.rows * np.log(2 * np.pi) + log_det_v - np.linalg.slogdet(p0)[1] + log_det_p + quad
    )
    sigma, alpha = np.exp(log_s), np.exp(log_a)
    log_prior = -0.5 * (sigma / SIGMA_PRIOR) ** 2 - 0.5 * (alpha / SIGMA_ALPHA_PRIOR) ** 2 + log_s + log_a
    return log_lik + log_prior, mean, cov


def _grid(stats, prior_sd, s_range, a_range, size):
    ls, la = np.meshgrid(np.linspace(*s_range, size), np.linspace(*a_range, size), indexing="ij")
    log_post, mean, cov = _grid_terms(stats, prior_sd, ls.ravel(), la.ravel())
    return ls.ravel(), la.ravel(), log_post, mean, cov


def _box(values: np.ndarray, keep: np.ndarray, step: float) -> tuple[float, float]:
    return float(values[keep].min() - step), float(values[keep].max() + step)


def exact_posterior(stats: Statistics, prior_sd: np.ndarray) -> ExactPosterior:
    """A coarse grid finds where the scales' posterior lives, a fine grid over that box integrates."""
    started = time.perf_counter()
    s_range = (np.log(0.05), np.log(5 * SIGMA_PRIOR * 10))
    a_range = (np.log(1e-3), np.log(5 * SIGMA_ALPHA_PRIOR * 10))
    ls, la, log_post, _, _ = _grid(stats, prior_sd, s_range, a_range, COARSE)
    keep = log_post > log_post.max() - 30
    s_step = (s_range[1] - s_range[0]) / (COARSE - 1)
    a_step = (a_range[1] - a_range[0]) / (COARSE - 1)
    s_box = _box(ls, keep, s_step)
    a_box = (max(a_range[0], _box(la, keep, a_step)[0]), _box(la, keep, a_step)[1])
    ls, la, log_post, mean, cov = _grid(stats, prior_sd, s_box, a_box, FINE)
    weight = np.exp(log_post - log_post.max())
    weight /= weight.sum()
    post_mean = weight @ mean
    second = np.einsum("g,gab->ab", weight, cov + np.einsum("ga,gb->gab", mean, mean))
    sd = np.sqrt(np.diag(second) - post_mean**2)
    return ExactPosterior(
        post_mean, sd, float(weight @ np.exp(ls)), float(weight @ np.exp(la)), time.perf_counter() - started
    )
