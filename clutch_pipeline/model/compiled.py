"""The model's log density and gradient as numba C callbacks that nutpie samples directly, cached on
disk, so a fresh process loads machine code instead of compiling.

Why by hand: nutpie 0.16 compiles a PyMC model through PyTensor into numba C callbacks that cannot be
cached (they hold dynamic globals), which cost 5-25 s in every fresh process here (docs/model.md). This
module computes exactly the density of ``spec.build_model`` (same parameters, priors, transforms and
constants): a test compares both, value and gradient, at random points, and every fit is checked
against the exact posterior. The data travel in one float64 buffer, so one compiled function serves
every data set of any size: a refit never compiles.

Unconstrained parameter vector: [mu_alpha, log sigma_alpha, log sigma, beta (k), alpha_raw (players)].
Data buffer: [size, players, k, rows, y'y, n_games (p), sum_y (p), centered (p), sum_x (p*k),
x'x (k*k), x'y (k), beta_prior_sd (k), mu prior mean, mu prior sd, sigma_alpha prior sd, sigma prior sd].
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
        values["centered"],
        values["sum_x"].ravel(),
        values["xtx"].ravel(),
        values["xty"],
        values["beta_prior_sd"],
        np.array(priors, dtype=float),
    ]
    body = np.concatenate([np.asarray(p, dtype=float).ravel() for p in parts])
    head = np.array([HEADER + len(body), players, k, float(values["rows"]), float(values["yty"])])
    return np.ascontiguousarray(np.concatenate([head, body]))


@numba.njit(cache=True, fastmath=False)
def _unpack(buf):
    p = int(buf[1])
    k = int(buf[2])
    o = HEADER
    n = buf[o : o + p]
    sy = buf[o + p : o + 2 * p]
    c = buf[o + 2 * p : o + 3 * p]
    o += 3 * p
    sx = buf[o : o + p * k].reshape((p, k))
    o += p * k
    xtx = buf[o : o + k * k].reshape((k, k))
    o += k * k
    xty = buf[o : o + k]
    psd = buf[o + k : o + 2 * k]
    hyper = buf[o + 2 * k : o + 2 * k + 4]
    return p, k, n, sy, c, sx, xtx, xty, psd, hyper


@numba.njit(cache=True)
def _half_normal_log(u, scale):
    """log HalfNormal(exp(u) | scale) + u (the log transform's Jacobian), and its derivative in u."""
    s = math.exp(u)
    value = _LOG_HALF_NORMAL - math.log(scale) - 0.5 * (s / scale) ** 2 + u
    return value, 1.0 - (s / scale) ** 2


@numba.njit(cache=True, fastmath=True)
def logp_and_grad(x, buf, grad):
    """The log density at ``x`` (unconstrained), writing its gradient into ``grad``."""
    p, k, n, sy, c, sx, xtx, xty, psd, hyper = _unpack(buf)
    rows, yty = buf[3], buf[4]
    mu, sa, sg = x[0], math.exp(x[1]), math.exp(x[2])
    inv_s2 = 1.0 / (sg * sg)
    beta = x[3 : 3 + k]
    raw = x[3 + k : 3 + k + p]
    lp = -0.5 * ((mu - hyper[0]) / hyper[1]) ** 2 - math.log(hyper[1]) - 0.5 * _LOG_2PI
    grad[0] = -(mu - hyper[0]) / hyper[1] ** 2
    v, d = _half_normal_log(x[1], hyper[2])
    lp += v
    grad[1] = d
    v, d = _half_normal_log(x[2], hyper[3])
    lp += v
    grad[2] = d
    ssr = yty
    for i in range(k):
        lp += -0.5 * (beta[i] / psd[i]) ** 2 - math.log(psd[i]) - 0.5 * _LOG_2PI
        xtxb = 0.0
        for m in range(k):
            xtxb += xtx[i, m] * beta[m]
        ssr += beta[i] * (xtxb - 2.0 * xty[i])
        grad[3 + i] = -beta[i] / psd[i] ** 2 + (xty[i] - xtxb) * inv_s2
    d_sa = 0.0
    for j in range(p):
        sxb = 0.0
        for i in range(k):
            sxb += sx[j, i] * beta[i]
        s = c[j] * sa + (1.0 - c[j])
        z = (raw[j] - c[j] * mu) / s
        lp += -0.5 * z * z - math.log(s) - 0.5 * _LOG_2PI
        a = c[j] * raw[j] + (1.0 - c[j]) * (mu + sa * raw[j])
        ssr += a * (n[j] * a + 2.0 * (sxb - sy[j]))
        g = (sy[j] - n[j] * a - sxb) * inv_s2  # d loglik / d alpha_j
        grad[3 + k + j] = -z / s + g * (c[j] + (1.0 - c[j]) * sa)
        grad[0] += c[j] * z / s + g * (1.0 - c[j])
        d_sa += c[j] * (z * z - 1.0) / s + g * (1.0 - c[j]) * raw[j]
        for i in range(k):
            grad[3 + i] -= a * sx[j, i] * inv_s2
    grad[1] += sa * d_sa
    lp += -0.5 * rows * _LOG_2PI - rows * x[2] - 0.5 * ssr * inv_s2
    grad[2] += -rows + ssr * inv_s2
    return lp


@numba.njit(cache=True)
def expand(x, buf, out):
    """The trace's values: mu_alpha, sigma_alpha, sigma, beta (k), alpha (players)."""
    p = int(buf[1])
    k = int(buf[2])
    c = buf[HEADER + 2 * p : HEADER + 3 * p]
    mu, sa = x[0], math.exp(x[1])
    out[0] = mu
    out[1] = sa
    out[2] = math.exp(x[2])
    out[3 : 3 + k] = x[3 : 3 + k]
    for j in range(p):
        raw = x[3 + k + j]
        out[3 + k + j] = c[j] * raw + (1.0 - c[j]) * (mu + sa * raw)


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
