"""Per-step Jacobians dh_t/dh_{t-1}, their products dh_t/dh_k, and the norms that vanish or explode.

Seed 001 eq. 7-9 and 12, in our row-vector convention (a_t = x_t Wx + h_{t-1} Wh + b):

    RNN:   J_t = dh_t/dh_{t-1} = diag(f'(a_t)) Wh^T
    product dh_t/dh_k = J_t J_{t-1} ... J_{k+1},   ||dh_t/dh_k|| <= (gamma_W gamma_h)^(t-k)

with gamma_W = ||Wh||_2 (the largest singular value: the bound is about the spectral norm,
not the largest eigenvalue) and gamma_h = sup|f'|. The LSTM has a state (h, c), so its step
Jacobian is the 2H x 2H matrix d(h_t, c_t)/d(h_{t-1}, c_{t-1}); its cell-only path is
dc_t/dc_{t-1} = diag(f_t) (seed 000: "dct/dc(t-1) = ft").

Conventions of every record here:
- logs are NATURAL logs (ln); fields are called log_*; exactly zero products give -inf.
- arrays over the product length are indexed by the distance d = t - k = 0..t (d = 0 is
  the identity, so log_spec[0] = 0); k = 0 is the initial state h0 (and c0).
- time: the cache holds h_1..h_T at h[:, 0..T-1]; ``t`` counts steps, 1..T (default T).
- batch: a Jacobian belongs to one trajectory; ``sample`` picks it (default 0; pages run
  N = 1). The batch-summed gradient is not a product of Jacobians, so no batch average.

The products are accumulated once, from t backwards, P_d = P_{d-1} J_{t-d+1}, renormalised
at every step (P is divided by its Frobenius norm and the log of that factor is kept), so
T = 1000 at spectral radius 1.5 or 0.5 gives finite log-norms instead of inf or 0. Spectral
norms come from Lanczos on P P^T warm-started at the previous d's top left singular vector
(the left side lives at h_t for every d, so it barely moves): exact to rounding (its residual
is driven below 1e-12 relative) at a fraction of an SVD per k.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from gradcore import activations, gru, lstm, rnn

__all__ = [
    "Spectrum",
    "ProductNorms",
    "LSTMProductNorms",
    "Bound",
    "spectrum",
    "top_singular_value",
    "rnn_step_jacobians",
    "lstm_step_jacobians",
    "lstm_cell_jacobians",
    "gru_step_jacobians",
    "product_log_norms",
    "rnn_product_norms",
    "gru_product_norms",
    "lstm_product_norms",
    "bound",
    "rnn_bound",
]


class Spectrum(NamedTuple):
    """Eigenvalues and singular values of a square W."""

    eigvals: np.ndarray  # (H,) complex, sorted by decreasing modulus
    singvals: np.ndarray  # (H,) decreasing
    radius: float  # max |eigval|
    norm: float  # max singular value = ||W||_2 (gamma_W of seed 001 eq. 10)


class ProductNorms(NamedTuple):
    """ln-norms of dh_t/dh_{t-d} for d = 0..t (RNN, GRU, or any product of step Jacobians)."""

    distance: np.ndarray  # (t+1,) d = t - k
    log_spec: np.ndarray  # (t+1,) ln ||dh_t/dh_{t-d}||_2
    log_fro: np.ndarray  # (t+1,) ln ||dh_t/dh_{t-d}||_F
    t: int  # the end step t (1..T)
    sample: int  # which trajectory of the batch


class LSTMProductNorms(NamedTuple):
    """ln-norms of the LSTM's products for d = 0..t (all natural logs)."""

    distance: np.ndarray  # (t+1,)
    log_spec_state: np.ndarray  # ln ||d(h_t, c_t)/d(h_k, c_k)||_2 (the 2H x 2H product)
    log_fro_state: np.ndarray
    log_spec_h: np.ndarray  # ln ||dh_t/dh_k||_2 (the h-h block of the state product; c_k held fixed)
    log_fro_h: np.ndarray
    log_spec_c: np.ndarray  # ln ||dc_t/dc_k||_2 (the c-c block: every path, through h too)
    log_fro_c: np.ndarray
    log_spec_cell: np.ndarray  # ln ||prod_{s=k+1}^t diag(f_s)||_2 = ln max_j prod f_s[j] (cell path only)
    log_fro_cell: np.ndarray
    t: int
    sample: int


class Bound(NamedTuple):
    """Seed 001 eq. 12: ||dh_t/dh_k|| <= (gamma_W gamma_h)^(t-k), as a natural log."""

    gamma_W: float  # ||Wh||_2
    gamma_h: float  # sup |f'|
    distance: np.ndarray  # (t+1,)
    log_bound: np.ndarray  # (t+1,) d * ln(gamma_W gamma_h)


def spectrum(W: np.ndarray) -> Spectrum:
    """Eigenvalues lambda_i(W) and singular values sigma_i(W) of a square W (e.g. Wh, H x H)."""
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"spectrum needs a square matrix, got shape {W.shape}")
    ev = np.linalg.eigvals(W)
    ev = ev[np.argsort(-np.abs(ev), kind="stable")]
    sv = np.linalg.svd(W, compute_uv=False)
    return Spectrum(ev, sv, float(np.abs(ev[0])), float(sv[0]))


# ----------------------------------------------------------------------------- step Jacobians


def _check_sample(cache, sample: int) -> int:
    N = cache.h.shape[0]
    if not -N <= sample < N:
        raise IndexError(f"sample {sample} out of range for batch size {N}")
    return sample % N


def rnn_step_jacobians(cache: rnn.Cache, sample: int = 0) -> np.ndarray:
    """J_t = dh_t/dh_{t-1} = diag(f'(a_t)) Wh^T for t = 1..T -> (T, H, H), J[t-1] = J_t."""
    n = _check_sample(cache, sample)
    fprime = activations.get(cache.activation).df(cache.a[n], cache.h[n])  # (T, H)
    return fprime[:, :, None] * cache.Wh.T[None, :, :]


def _lstm_blocks(cache: lstm.Cache, n: int, t: int):
    """d(h_t, c_t)/d(h_{t-1}, c_{t-1}) at array index t (step t+1) as (dh/dh, dc/dh, diag dh/dc, diag dc/dc).

    The two blocks with respect to c_{t-1} are diagonal, so only their diagonals are returned.
    """
    H = cache.h.shape[2]
    i, f, o, g = (cache.gates[n, t, k * H : (k + 1) * H] for k in range(4))
    c_prev = cache.c0[n] if t == 0 else cache.c[n, t - 1]
    tc = cache.tanh_c[n, t]
    WhT = cache.Wh.T  # (4H, H): rows i, f, o, g
    dc_dh = (
        (i * (1 - i) * g)[:, None] * WhT[:H]
        + (f * (1 - f) * c_prev)[:, None] * WhT[H : 2 * H]
        + (i * (1 - g * g))[:, None] * WhT[3 * H :]
    )
    k = o * (1 - tc * tc)  # dh_t/dc_t
    dh_dh = (o * (1 - o) * tc)[:, None] * WhT[2 * H : 3 * H] + k[:, None] * dc_dh
    return dh_dh, dc_dh, k * f, f


def lstm_step_jacobians(cache: lstm.Cache, sample: int = 0) -> np.ndarray:
    """J_t = d(h_t, c_t)/d(h_{t-1}, c_{t-1}) = [[dh/dh, dh/dc], [dc/dh, dc/dc]] -> (T, 2H, 2H).

    dc_t/dh_{t-1} = diag(i'(a) g) Wh_i^T + diag(f'(a) c_{t-1}) Wh_f^T + diag(i g'(a)) Wh_g^T,
    dc_t/dc_{t-1} = diag(f_t), dh_t/dh_{t-1} = diag(o'(a) tanh c_t) Wh_o^T + diag(o (1 - tanh^2 c_t)) dc_t/dh_{t-1},
    dh_t/dc_{t-1} = diag(o (1 - tanh^2 c_t) f_t); i' = i(1-i), g' = 1 - g^2 (derivatives wrt a).
    """
    n = _check_sample(cache, sample)
    T, H = cache.h.shape[1:]
    J = np.empty((T, 2 * H, 2 * H), dtype=cache.h.dtype)
    for t in range(T):
        hh, ch, hc, cc = _lstm_blocks(cache, n, t)
        J[t, :H, :H], J[t, :H, H:], J[t, H:, :H], J[t, H:, H:] = hh, np.diag(hc), ch, np.diag(cc)
    return J


def lstm_cell_jacobians(cache: lstm.Cache, sample: int = 0) -> np.ndarray:
    """The cell-only path dc_t/dc_{t-1}|_cell = diag(f_t), as its diagonal -> (T, H)."""
    return cache.f[_check_sample(cache, sample)].copy()


def _gru_jacobian(cache: gru.Cache, n: int, t: int) -> np.ndarray:
    H = cache.h.shape[2]
    r, z, nn = cache.r[n, t], cache.z[n, t], cache.n[n, t]
    h_prev = cache.h0[n] if t == 0 else cache.h[n, t - 1]
    WhT = cache.Wh.T  # (3H, H): rows r, z, n
    dr_dh = (r * (1 - r))[:, None] * WhT[:H]
    dz_dh = (z * (1 - z))[:, None] * WhT[H : 2 * H]
    # a_n = x Wx_n + (r * h) Wh_n + b_n  =>  da_n/dh = Wh_n^T (diag(r) + diag(h) dr/dh)
    dan_dh = WhT[2 * H :] * r[None, :] + WhT[2 * H :] @ (h_prev[:, None] * dr_dh)
    J = (h_prev - nn)[:, None] * dz_dh + ((1 - z) * (1 - nn * nn))[:, None] * dan_dh
    J[np.diag_indices(H)] += z
    return J


def gru_step_jacobians(cache: gru.Cache, sample: int = 0) -> np.ndarray:
    """J_t = dh_t/dh_{t-1} = diag(z) + diag(h_{t-1} - n) dz/dh + diag((1-z)(1-n^2)) da_n/dh -> (T, H, H).

    dz/dh = diag(z(1-z)) Wh_z^T, dr/dh = diag(r(1-r)) Wh_r^T, da_n/dh = Wh_n^T (diag(r) + diag(h_{t-1}) dr/dh).
    """
    n = _check_sample(cache, sample)
    return np.stack([_gru_jacobian(cache, n, t) for t in range(cache.h.shape[1])])


# ----------------------------------------------------------------------------- spectral norm


def top_singular_value(A: np.ndarray, u0: np.ndarray | None = None, tol: float = 1e-12):
    """sigma_max(A) by Lanczos on A A^T (full reorthogonalisation) -> (sigma, top left vector).

    Stops when the Ritz residual beta_j |s_j| <= tol * theta (theta <= lambda_max always, and an
    eigenvalue lies within the residual), or when the Krylov space is invariant. The start
    vector is u0 plus a small fixed pseudo-random component, so no eigendirection is missed
    even when u0 is exactly an eigenvector of a lower singular value.
    """
    m = A.shape[0]
    start = _start_component(m)
    if u0 is None:
        q = start.copy()
    else:
        nu = np.linalg.norm(u0)
        q = (u0 / nu if nu > 0 else 0.0) + 1e-2 * start
    q = q / np.linalg.norm(q)
    Q = np.empty((m, m), dtype=np.float64)
    alpha = np.empty(m)
    beta = np.empty(m)
    AT = A.T
    theta, s = 0.0, np.ones(1)
    for j in range(m):
        Q[j] = q
        w = A @ (AT @ q)
        alpha[j] = q @ w
        # Full reorthogonalisation (twice): H is small, and it keeps the Ritz values exact.
        Qj = Q[: j + 1]
        w -= Qj.T @ (Qj @ w)
        w -= Qj.T @ (Qj @ w)
        b = float(np.sqrt(w @ w))
        Tm = np.diag(alpha[: j + 1])
        if j:
            idx = np.arange(j)
            Tm[idx, idx + 1] = Tm[idx + 1, idx] = beta[:j]
        evals, evecs = np.linalg.eigh(Tm)
        theta, s = evals[-1], evecs[:, -1]
        if theta <= 0.0:  # A A^T q = 0 for a generic q: A is zero
            if b <= 0.0:
                return 0.0, q
        elif b * abs(s[-1]) <= tol * theta or b <= 1e-15 * theta:
            break
        beta[j] = b
        q = w / b
    u = Q[: len(s)].T @ s
    return float(np.sqrt(max(theta, 0.0))), u


_START: dict[int, np.ndarray] = {}


def _start_component(m: int) -> np.ndarray:
    # NB: a fixed-seed generic vector, not user randomness: it only has to be non-orthogonal
    # to every eigenvector, and it makes the result reproducible.
    if m not in _START:
        v = np.random.default_rng(12345).standard_normal(m)
        _START[m] = v / np.linalg.norm(v)
    return _START[m]


# ----------------------------------------------------------------------------- products


# Up to this size one LAPACK SVD (singular values only) per distance beats warm-started Lanczos,
# whose cost at small sizes is Python-loop overhead; above it the warm start wins (Lanczos
# needs a few iterations when consecutive products share their top direction). Whole
# products, 1 BLAS thread, SVD vs Lanczos: RNN H=32 T=50 3 vs 9 ms, H=64 T=100 15 vs 18 ms,
# H=128 T=1000 816 vs 218 ms; LSTM (2H state block) H=32 T=50 14 vs 36 ms, H=64 T=100 105 vs
# 80 ms. Both are exact to rounding (tests run both routes).
SVD_MAX_DIM = 64


def product_log_norms(
    right_mul: Callable[[np.ndarray, int], np.ndarray],
    t: int,
    dim: int,
    blocks=((slice(None), slice(None)),),
    spectral=True,
):
    """ln ||P_d[block]||_2 and _F for P_d = J_t J_{t-1} ... J_{t-d+1}, d = 0..t, accumulated once.

    right_mul(P, s) must return P @ J_{s+1} (J at array index s). P_d = P_{d-1} J_{t-d+1}; after
    each step P is divided by its Frobenius norm and ln of that factor is added to a running
    log-scale, so no entry overflows or underflows. Spectral norms: LAPACK's largest singular
    value for blocks up to SVD_MAX_DIM, warm-started Lanczos (top_singular_value) above. Returns (log_spec, log_fro), each of shape
    (len(blocks), t+1). A product that becomes exactly zero stays zero: -inf from there on.
    spectral: True (every block), False (none: Frobenius only, spectral NaN) or one bool per block.
    """
    nb = len(blocks)
    want = [bool(spectral)] * nb if isinstance(spectral, bool) else [bool(w) for w in spectral]
    if len(want) != nb:
        raise ValueError(f"spectral: one flag per block ({nb}), got {len(want)}")
    log_spec = np.full((nb, t + 1), -np.inf)
    log_fro = np.full((nb, t + 1), -np.inf)
    P = np.eye(dim)
    for b, (rs, cs) in enumerate(blocks):
        blk = P[rs, cs]
        log_fro[b, 0] = 0.5 * np.log(np.sum(blk * blk))
        log_spec[b, 0] = np.log(np.linalg.norm(blk, 2))
    warm = [None] * nb
    log_scale = 0.0
    with np.errstate(divide="ignore"):
        for d in range(1, t + 1):
            P = right_mul(P, t - d)
            fro = float(np.sqrt(np.vdot(P, P).real))
            if not np.isfinite(fro):
                raise FloatingPointError("a single step overflowed; the step Jacobian is not finite")
            if fro == 0.0:
                break  # exactly zero product (e.g. every relu unit off): -inf for all larger d
            P = P / fro
            log_scale += np.log(fro)
            for b, (rs, cs) in enumerate(blocks):
                blk = P[rs, cs]
                log_fro[b, d] = log_scale + 0.5 * np.log(np.sum(blk * blk))
                if want[b]:
                    if min(blk.shape) <= SVD_MAX_DIM:  # LAPACK's singular values: faster when small
                        sigma = float(np.linalg.svd(blk, compute_uv=False)[0])
                    else:
                        sigma, warm[b] = top_singular_value(blk, warm[b])
                    log_spec[b, d] = log_scale + np.log(sigma)
    for b in range(nb):
        if not want[b]:
            log_spec[b, 1:] = np.nan
    return log_spec, log_fro


def _end_step(cache, t) -> int:
    T = cache.h.shape[1]
    t = T if t is None else int(t)
    if not 1 <= t <= T:
        raise ValueError(f"t must be in 1..{T}, got {t}")
    return t


def rnn_product_norms(
    cache: rnn.Cache, t: int | None = None, sample: int = 0, spectral: bool = True
) -> ProductNorms:
    """ln ||dh_t/dh_{t-d}|| for d = 0..t, dh_t/dh_k = prod_{s=k+1}^t diag(f'(a_s)) Wh^T (seed 001 eq. 9)."""
    n = _check_sample(cache, sample)
    t = _end_step(cache, t)
    fprime = activations.get(cache.activation).df(cache.a[n], cache.h[n])  # (T, H)
    WhT = np.ascontiguousarray(cache.Wh.T)

    def right_mul(P, s):
        return (P * fprime[s][None, :]) @ WhT  # P diag(f'(a)) Wh^T

    ls, lf = product_log_norms(right_mul, t, cache.h.shape[2], spectral=spectral)
    return ProductNorms(np.arange(t + 1), ls[0], lf[0], t, n)


def gru_product_norms(
    cache: gru.Cache, t: int | None = None, sample: int = 0, spectral: bool = True
) -> ProductNorms:
    """ln ||dh_t/dh_{t-d}|| for d = 0..t with the GRU step Jacobians of ``gru_step_jacobians``."""
    n = _check_sample(cache, sample)
    t = _end_step(cache, t)

    def right_mul(P, s):
        return P @ _gru_jacobian(cache, n, s)

    ls, lf = product_log_norms(right_mul, t, cache.h.shape[2], spectral=spectral)
    return ProductNorms(np.arange(t + 1), ls[0], lf[0], t, n)


def lstm_product_norms(
    cache: lstm.Cache, t: int | None = None, sample: int = 0, spectral=True
) -> LSTMProductNorms:
    """ln-norms of the state product d(h_t,c_t)/d(h_k,c_k), its h-h and c-c blocks, and prod diag(f).

    The cell-only path prod_{s=k+1}^t f_s is diagonal, so its norms are exact in log space:
    ln ||.||_2 = max_j sum_s ln f_s[j], ln ||.||_F = logsumexp_j(2 sum_s ln f_s[j]) / 2.
    spectral: True, False, or the blocks to take spectral norms of, from ("state", "h", "c") (the
    others' spectral norms are NaN; Frobenius norms are always there). NB: the LSTM page asks for
    ("c",) only: the 2H x 2H block's singular values were most of its cost.
    """
    n = _check_sample(cache, sample)
    t = _end_step(cache, t)
    H = cache.h.shape[2]

    def right_mul(P, s):
        hh, ch, hc, cc = _lstm_blocks(cache, n, s)
        out = np.empty_like(P)
        Ph, Pc = P[:, :H], P[:, H:]
        out[:, :H] = Ph @ hh + Pc @ ch
        out[:, H:] = Ph * hc[None, :] + Pc * cc[None, :]  # both blocks wrt c_{t-1} are diagonal
        return out

    blocks = ((slice(None), slice(None)), (slice(0, H), slice(0, H)), (slice(H, None), slice(H, None)))
    if not isinstance(spectral, bool):
        unknown = set(spectral) - {"state", "h", "c"}
        if unknown:
            raise ValueError(f"spectral blocks are 'state', 'h', 'c'; got {sorted(unknown)}")
        spectral = tuple(name in spectral for name in ("state", "h", "c"))
    ls, lf = product_log_norms(right_mul, t, 2 * H, blocks=blocks, spectral=spectral)
    with np.errstate(divide="ignore"):
        logf = np.log(cache.f[n, :t])  # (t, H)
    # cum[d] = sum over the last d steps of ln f: ln of the diagonal of prod_{s=t-d+1}^t diag(f_s)
    cum = np.concatenate([np.zeros((1, H)), np.cumsum(logf[::-1], axis=0)])  # (t+1, H)
    spec_cell = cum.max(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        fro_cell = spec_cell + 0.5 * np.log(np.sum(np.exp(2.0 * (cum - spec_cell[:, None])), axis=1))
    fro_cell = np.where(np.isneginf(spec_cell), -np.inf, fro_cell)
    return LSTMProductNorms(
        np.arange(t + 1), ls[0], lf[0], ls[1], lf[1], ls[2], lf[2], spec_cell, fro_cell, t, n
    )


# ----------------------------------------------------------------------------- the bound


def bound(gamma_W: float, gamma_h: float, t: int) -> Bound:
    """ln (gamma_W gamma_h)^d = d ln(gamma_W gamma_h) for d = 0..t (seed 001 eq. 12)."""
    d = np.arange(int(t) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = np.log(gamma_W * gamma_h)
        log_b = np.where(d == 0, 0.0, d * lg)
    return Bound(float(gamma_W), float(gamma_h), d, log_b)


def rnn_bound(Wh: np.ndarray, activation: str, t: int) -> Bound:
    """The eq. 12 bound for an RNN: gamma_W = ||Wh||_2 (largest singular value), gamma_h = sup|f'|."""
    return bound(float(np.linalg.norm(Wh, 2)), activations.get(activation).gamma, t)
