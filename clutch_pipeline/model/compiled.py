"""The model's log density and gradient as numba C callbacks that nutpie samples directly, cached on
disk, so a fresh process loads machine code instead of compiling.

Why by hand: nutpie 0.16 compiles a PyMC model through PyTensor into numba C callbacks that cannot be
cached (they hold dynamic globals), which cost 5-25 s in every fresh process here (docs/model.md). This
module computes exactly the density of ``spec.build_model`` (the intercepts integrated out; same
parameters, priors, transforms and constants): a test compares both, value and gradient, at random
points, and every fit is checked against the exact posterior. The data travel in one float64 buffer,
so one compiled function serves every data set of any size: a refit never compiles.

Unconstrained parameter vector: [mu_alpha, log sigma_alpha, log sigma, beta (k)].
Data buffer: [size, players, k, rows, y'y, n_games (p), sum_y (p), sum_x (p*k), x'x (k*k), x'y (k),
beta_prior_sd (k), mu prior mean, mu prior sd, sigma_alpha prior sd, sigma prior sd].
"""

from __future__ import annotations

import math

import numba
import numpy as np

HEADER = 5
_LOG_2PI = math.log(2.0 * math.pi)
_LOG_HALF_NORMAL = math.log(2.0) - 0.5 * _LOG_2PI


def pack(values: dict[str, np.ndarray], priors: tuple[float, float, float, float]) -> np.ndarray:
    """The data buffer for ``values`` (``spec.data_values``) and the hyperpriors
    (mu mean, mu sd, sigma_alpha sd, sigma sd)."""
    players, k = values["sum_x"].shape
    parts = [
        values["n_games"],
        values["sum_y"],
        values["sum_x"].ravel(),
        values["xtx"].ravel(),
        values["xty"],
        values["beta_prior_sd"],
        np.array(priors, dtype=float),
    ]
    body = np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts])
    head = np.array([HEADER + len(body), players, k, float(values["rows"]), float(values["yty"])])
    return np.ascontiguousarray(np.concatenate([head, body]))


@numba.njit(cache=True)
def _unpack(buf):
    p = int(buf[1])
    k = int(buf[2])
    o = HEADER
    n = buf[o : o + p]
    sy = buf[o + p : o + 2 * p]
    o += 2 * p
    sx = buf[o : o + p * k].reshape((p, k))
    o += p * k
    xtx = buf[o : o + k * k].reshape((k, k))
    o += k * k
    xty = buf[o : o + k]
    psd = buf[o + k : o + 2 * k]
    hyper = buf[o + 2 * k : o + 2 * k + 4]
    return p, k, n, sy, sx, xtx, xty, psd, hyper


@numba.njit(cache=True)
def _half_normal_log(u, scale):
    """log HalfNormal(exp(u) | scale) + u (the log transform's Jacobian), and its derivative in u."""
    s = math.exp(u)
    value = _LOG_HALF_NORMAL - math.log(scale) - 0.5 * (s / scale) ** 2 + u
    return value, 1.0 - (s / scale) ** 2


@numba.njit(cache=True)
def _log_prior(x, k, psd, hyper, grad):
    """The priors (with the log transforms' Jacobians); writes their gradient into ``grad``."""
    lp = -0.5 * ((x[0] - hyper[0]) / hyper[1]) ** 2 - math.log(hyper[1]) - 0.5 * _LOG_2PI
    grad[0] = -(x[0] - hyper[0]) / hyper[1] ** 2
    v, d = _half_normal_log(x[1], hyper[2])
    lp += v
    grad[1] = d
    v, d = _half_normal_log(x[2], hyper[3])
    lp += v
    grad[2] = d
    for i in range(k):
        lp += -0.5 * (x[3 + i] / psd[i]) ** 2 - math.log(psd[i]) - 0.5 * _LOG_2PI
        grad[3 + i] = -x[3 + i] / psd[i] ** 2
    return lp


@numba.njit(cache=True, fastmath=True)
def logp_and_grad(x, buf, grad):
    """The log density at ``x`` (unconstrained), writing its gradient into ``grad``.

    Marginal likelihood (spec.marginal_loglik): -0.5 [N log 2pi + sum_j ((n_j - 1) log s2 + log D_j)
    + (SSR - a2 sum_j R_j^2 / D_j) / s2], with D_j = s2 + n_j a2 and R_j player j's residual sum.
    """
    p, k, n, sy, sx, xtx, xty, psd, hyper = _unpack(buf)
    rows, yty = buf[3], buf[4]
    mu, a2, s2 = x[0], math.exp(2.0 * x[1]), math.exp(2.0 * x[2])
    beta = x[3 : 3 + k]
    lp = _log_prior(x, k, psd, hyper, grad)
    xr = np.empty(k)  # X'r = x'y - mu sum_x - x'x beta, completed below
    ssr = yty  # SSR = y'y - 2 b'x'y + b'x'x b, then its mu terms after the loop
    for i in range(k):
        xtxb = 0.0
        for m in range(k):
            xtxb += xtx[i, m] * beta[m]
        ssr += beta[i] * (xtxb - 2.0 * xty[i])
        xr[i] = xty[i] - xtxb
    log_det, corr, g_mu, g_u, g_v, sum_r = 0.0, 0.0, 0.0, 0.0, 0.0, 0.0
    w_r = np.zeros(k)  # sum_j w_j R_j sum_x_j
    for j in range(p):
        sxb = 0.0
        for i in range(k):
            sxb += sx[j, i] * beta[i]
        r = sy[j] - n[j] * mu - sxb
        d = s2 + n[j] * a2
        w = a2 / (s2 * d)
        log_det += math.log(d)
        corr += w * r * r
        sum_r += r
        g_mu += r / d
        g_u += -s2 / d - r * r * (w + a2 / (d * d))
        g_v += a2 * (r * r / (d * d) - n[j] / d)
        for i in range(k):
            w_r[i] += w * r * sx[j, i]
            xr[i] -= mu * sx[j, i]
    # SSR's mu terms, -2 mu (sum y - sum x b) + N mu^2, with sum y - sum x b = sum_r + N mu:
    ssr += -2.0 * mu * sum_r - rows * mu * mu
    log_det += (rows - p) * 2.0 * x[2]
    lp += -0.5 * (rows * _LOG_2PI + log_det + ssr / s2 - corr)
    grad[0] += g_mu
    grad[1] += g_v
    grad[2] += -(rows - p) + ssr / s2 + g_u
    for i in range(k):
        grad[3 + i] += xr[i] / s2 - w_r[i]
    return lp


@numba.njit(cache=True)
def expand(x, buf, out):
    """The trace's sampled values: mu_alpha, sigma_alpha, sigma, beta (k)."""
    k = int(buf[2])
    out[0] = x[0]
    out[1] = math.exp(x[1])
    out[2] = math.exp(x[2])
    out[3 : 3 + k] = x[3 : 3 + k]


_LOGP_SIG = numba.types.int64(
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)
_EXPAND_SIG = numba.types.int64(
    numba.types.uint64,
    numba.types.uint64,
    numba.types.CPointer(numba.types.double),
    numba.types.CPointer(numba.types.double),
    numba.types.voidptr,
)


@numba.njit(cache=True)
def _buffer(user_data_):
    size = numba.carray(user_data_, (1,), np.float64)[0]
    return numba.carray(user_data_, (int(size),), np.float64)


@numba.cfunc(_LOGP_SIG, cache=True)
def logp_callback(dim, x_, out_, logp_, user_data_):
    buf = _buffer(user_data_)
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (dim,))
    value = logp_and_grad(x, buf, out)
    logp_[0] = value
    if not np.isfinite(value):
        return 4
    if not np.all(np.isfinite(out)):
        return 3
    return 0


@numba.cfunc(_EXPAND_SIG, cache=True)
def expand_callback(dim, expanded, x_, out_, user_data_):
    buf = _buffer(user_data_)
    x = numba.carray(x_, (dim,))
    out = numba.carray(out_, (expanded,))
    expand(x, buf, out)
    return 0
