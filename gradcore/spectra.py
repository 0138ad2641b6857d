"""Jacobian-product norms at chosen distances, eq. 10 along the run, and BPTT split by step.

Seed 001 eq. 7-12 in our row-vector convention (a_t = x_t Wx + h_{t-1} Wh + b):

    P_d = dh_t/dh_{t-d} = J_t J_{t-1} ... J_{t-d+1},   J_s = diag(f'(a_s)) Wh^T
    ||P_d||_2 <= prod_{s=t-d+1}^{t} ||diag f'(a_s)||_2 ||Wh||_2 <= (gamma_W gamma_h)^d   (eq. 10-12)

and seed 000's decomposition of the gradient of one loss L_t by the step its path leaves W at:

    dL_t/dWh = sum_{k=1}^{t} h_{k-1}^T da_k^(t),   da_k^(t) = dL_t/da_k  (only L_t upstream)

``gradcore.jacobians.rnn_product_norms`` gives the spectral norm at every distance (Lanczos per
d); at T = 1000, H = 256 that is tens of seconds, too slow for a page. Here the product is
accumulated once (float64, renormalised by its Frobenius norm at every step, the log of the
factor kept, as in jacobians), the Frobenius norm is kept at every d and the spectral norm
is computed exactly (an SVD) at the distances the caller asks for. Natural logs throughout,
d = 0..t indexing, -inf for an exactly zero product, NaN where a norm was not computed.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import activations, rnn
from gradcore.jacobians import ProductNorms

__all__ = [
    "sample_distances",
    "rnn_product_norms_at",
    "run_log_bound",
    "StepContributions",
    "step_contributions",
]


def sample_distances(t: int, n_max: int, head: int = 20) -> np.ndarray:
    """Distances 1..t: all of them if t <= n_max, else 1..head then evenly spaced up to t."""
    t, n_max = int(t), max(int(n_max), 2)
    if t <= n_max:
        return np.arange(1, t + 1)
    head = min(head, n_max - 2)  # keep room for at least two tail points, so t itself is sampled
    tail = np.linspace(head + 1, t, n_max - head).round().astype(int)
    return np.unique(np.concatenate([np.arange(1, head + 1), tail]))


def _fprime(cache: rnn.Cache, sample: int) -> np.ndarray:
    """f'(a_s) for s = 1..T of one trajectory -> (T, H)."""
    return activations.get(cache.activation).df(cache.a[sample], cache.h[sample])


def rnn_product_norms_at(
    cache: rnn.Cache, t: int | None = None, spectral_at=None, sample: int = 0, dtype=np.float64
) -> ProductNorms:
    """ln ||dh_t/dh_{t-d}||_F for d = 0..t, and ln ||.||_2 (by SVD) at d in spectral_at (all if None).

    P_d = P_{d-1} diag(f'(a_{t-d+1})) Wh^T; P is divided by its Frobenius norm after every
    step and ln of the factor added to a running scale, so nothing over- or underflows.
    dtype=np.float32 multiplies in single precision (3-4x faster at H = 256); the log-scale
    is still kept in float64, and the relative error of each norm stays below ~1e-4 at
    T = 1000 (each step adds ~1e-7 of round-off to the renormalised product).
    """
    T, H = cache.h.shape[1:]
    t = T if t is None else int(t)
    if not 1 <= t <= T:
        raise ValueError(f"t must be in 1..{T}, got {t}")
    want = np.zeros(t + 1, dtype=bool)
    want[1:] = True if spectral_at is None else False
    if spectral_at is not None:
        d = np.asarray(spectral_at, dtype=int)
        want[d[(d >= 1) & (d <= t)]] = True
    fprime = _fprime(cache, sample).astype(dtype)
    WhT = np.ascontiguousarray(cache.Wh.T, dtype=dtype)
    log_spec = np.full(t + 1, np.nan)
    log_fro = np.full(t + 1, -np.inf)
    log_spec[0], log_fro[0] = 0.0, 0.5 * np.log(H)  # P_0 = I
    P, log_scale = np.eye(H, dtype=dtype), 0.0
    for d in range(1, t + 1):
        P = (P * fprime[t - d][None, :]) @ WhT  # P diag(f'(a_s)) Wh^T, s = t - d + 1
        fro = float(np.sqrt(np.sum(P * P, dtype=np.float64)))
        if not np.isfinite(fro):
            raise FloatingPointError(f"the step Jacobian at step {t - d + 1} is not finite")
        if fro == 0.0:  # exactly zero (every relu unit off): zero for every larger d too
            log_spec[d:] = np.where(want[d:], -np.inf, np.nan)
            break
        P = P * dtype(1.0 / fro)
        log_scale += np.log(fro)
        log_fro[d] = log_scale
        if want[d]:
            log_spec[d] = log_scale + np.log(float(np.linalg.svd(P, compute_uv=False)[0]))
    return ProductNorms(np.arange(t + 1), log_spec, log_fro, t, sample)


def run_log_bound(cache: rnn.Cache, t: int | None = None, sample: int = 0) -> np.ndarray:
    """ln prod_{s=t-d+1}^{t} ||Wh||_2 max_j |f'(a_s)_j| for d = 0..t: eq. 10 multiplied along this run."""
    T = cache.h.shape[1]
    t = T if t is None else int(t)
    gamma_W = float(np.linalg.norm(cache.Wh, 2))
    with np.errstate(divide="ignore"):
        per_step = np.log(gamma_W * np.max(np.abs(_fprime(cache, sample)[:t]), axis=1))  # (t,)
    return np.concatenate([[0.0], np.cumsum(per_step[::-1])])


class StepContributions(NamedTuple):
    """Seed 000's components: ln ||dL_t/dWh via step k||_F for each loss step t in rows, k = 1..T."""

    rows: np.ndarray  # (R,) loss steps t (1-based)
    log_norms: np.ndarray  # (R, T) natural log; column k-1 holds step k; -inf where k > t or exactly 0
    total: np.ndarray | None  # (H, H) sum over k of the components of L_{rows[total_row]} (None if not asked)


def step_contributions(
    cache: rnn.Cache, dh_direct: np.ndarray, rows, total_row: int | None = None
) -> StepContributions:
    """C[t, k] = ||h_{k-1}^T da_k^(t)||_F, da_k^(t) = dL_t/da_k with only L_t upstream.

    dh_direct (N, T, H) holds dL_t/dh_t (the direct part, e.g. losses.softmax_cross_entropy's
    dh). One backward sweep carries every requested loss at once: G (R, N, H) = dL_t/dh_k,
    da = G f'(a_k), G <- da Wh^T. ||A^T B||_F^2 = sum_nm (A A^T)_nm (B B^T)_nm avoids the
    H x H outer products. Each row of G is rescaled when it grows past 1e100 or shrinks below
    1e-100 (the factor kept in a log), so exploding and vanishing runs give finite log-norms
    (1e-700 is a number here, not 0). The components of L_t sum over k to
    dL_t/dWh (seed 000); ``total`` returns that sum for rows[total_row], unscaled.
    """
    N, T, H = cache.h.shape
    rows = np.asarray(rows, dtype=int)
    if rows.ndim != 1 or rows.size == 0 or rows.min() < 1 or rows.max() > T:
        raise ValueError(f"rows must be loss steps in 1..{T}")
    if np.any(np.diff(rows) <= 0):
        raise ValueError("rows must be strictly increasing")
    fprime = activations.get(cache.activation).df(cache.a, cache.h)  # (N, T, H)
    h_prev = np.concatenate([cache.h0[:, None, :], cache.h[:, :-1]], axis=1)  # (N, T, H)
    WhT = cache.Wh.T
    G = np.zeros((rows.size, N, H))
    log_scale = np.zeros(rows.size)  # G_true = G * exp(log_scale)
    log_norms = np.full((rows.size, T), -np.inf)
    total = np.zeros((H, H)) if total_row is not None else None
    for k in range(T, 0, -1):
        lo = int(np.searchsorted(rows, k))  # rows[lo:] >= k are alive; the others are still 0
        if lo == rows.size:
            continue
        if rows[lo] == k:
            G[lo] += dh_direct[:, k - 1]  # the row starts here, so its scale is still 1
        da = G[lo:] * fprime[:, k - 1][None]  # (R', N, H)
        A = h_prev[:, k - 1]  # (N, H)
        a_max = float(np.max(np.abs(A)))
        if a_max > 0.0:  # else (h_{k-1} = 0, e.g. h0) every component of step k is exactly 0
            An = A / a_max  # keeps the Gram matrix finite for huge states
            sq = np.einsum("nm,rnm->r", An @ An.T, np.einsum("rnh,rmh->rnm", da, da))
            with np.errstate(divide="ignore"):
                log_norms[lo:, k - 1] = 0.5 * np.log(np.maximum(sq, 0.0)) + np.log(a_max) + log_scale[lo:]
        if total is not None and total_row >= lo:
            total += np.exp(log_scale[total_row]) * (A.T @ da[total_row - lo])
        G[lo:] = da @ WhT
        big = np.max(np.abs(G[lo:]), axis=(1, 2))
        # rescale rows that grew past 1e100 or shrank below 1e-100, so neither overflows nor underflows
        grow = np.flatnonzero((big > 1e100) | ((big < 1e-100) & (big > 0.0))) + lo
        if grow.size:
            G[grow] /= big[grow - lo][:, None, None]
            log_scale[grow] += np.log(big[grow - lo])
    return StepContributions(rows, log_norms, total)
