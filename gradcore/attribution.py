"""Seed 000's decomposition: the contribution of every step k to every per-step loss gradient dL_t/dW.

    dL_t/dW = sum_{k<=t} dL_t/dW^(k),     dW^(k) the copy of W used at step k
    RNN/LSTM/GRU:  dL_t/dWx^(k) = x_k^T da_k^(t),  dL_t/dWh^(k) = h_{k-1}^T da_k^(t),  dL_t/db^(k) = sum_n da_k^(t)

where da_k^(t) = dL_t/da_k is the gradient at step k's pre-activations from the loss L_t alone
(GRU: the candidate's Wh columns see r_k * h_{k-1} instead of h_{k-1}). Summed over k and t
this is the ordinary BPTT gradient. Seed 000 prints ||dL3/dWx^(k)|| for k = 0, 1, 2 as
"component 0 - 0.0109, component 1 - 0.0248, component 2 - 0.139" (its losses_dWx[idx][j]).

Indexing: 0-based array steps as in the seed's code: row t is the loss at step t (L_{t+1} in
1-based notation), column k the step whose weight copy receives the gradient; entries with
k > t are exactly 0 (a loss cannot reach the future). ``dh`` (N, T, H) is the upstream
gradient dL_t/dh_t of each step's own loss (e.g. ``losses.softmax_cross_entropy(...).dh``).

One pass for all T losses: the backward recurrence carries a stacked "loss" axis, (T, N, H),
and at step k only the rows t >= k are alive, so the cost is T matmuls of (rows*N, G*H) x
(G*H, H) instead of T separate backward passes.

LSTM cell-path split: the gradient reaching c_k, dL/dc_k, is the sum of
- the cell path: sum_{t>=k} (prod_{s=k+1}^t f_s) * dL_t/dh_t|direct * o_t (1 - tanh^2 c_t), the
  gradient that enters the cell from each loss's own h_t and then travels only along
  c_t -> c_{t-1} (times f at each step, seed 000's dc_t/dc_{t-1} = f_t); and
- the rest: every path that passes through at least one h_{s-1} -> a_s link (a Wh factor).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import activations, gru, lstm, rnn

__all__ = [
    "Attribution",
    "Contributions",
    "CellSplit",
    "SeedExample",
    "rnn_attribution",
    "lstm_attribution",
    "gru_attribution",
    "attribution",
    "contributions",
    "lstm_cell_split",
    "seed000_example",
]


class Attribution(NamedTuple):
    """T x T tables of Frobenius norms; row t = loss L_t, column k = step k, 0 where k > t."""

    dWx: np.ndarray  # (T, T) ||dL_t/dWx^(k)||_F
    dWh: np.ndarray  # (T, T) ||dL_t/dWh^(k)||_F
    db: np.ndarray  # (T, T) ||dL_t/db^(k)||
    dh: np.ndarray  # (T, T) ||dL_t/dh_k||_F over the batch (all paths)
    dc: np.ndarray | None  # LSTM: (T, T) ||dL_t/dc_k||_F (all paths), else None
    dc_cell: np.ndarray | None  # LSTM: the part carried only along the cell path
    dc_rest: np.ndarray | None  # LSTM: the rest (through at least one Wh)
    cell: str


class Contributions(NamedTuple):
    """The matrices dL_t/dW^(k) for one loss t and every step k (zeros for k > t)."""

    t: int
    dWx: np.ndarray  # (T, D, G*H)
    dWh: np.ndarray  # (T, H, G*H)
    db: np.ndarray  # (T, G*H)


class CellSplit(NamedTuple):
    """dL/dc_k of the total loss split into cell path + rest, every step; (N, T, H) each."""

    dc_total: np.ndarray
    dc_cell: np.ndarray
    dc_rest: np.ndarray


class SeedExample(NamedTuple):
    """Seed 000's example: N, D, T, H = 1, 3, 3, 1; ||dL3/dWx^(k)|| for k = 0, 1, 2."""

    components: np.ndarray  # (3,) ||dL_3/dWx^(k)||, k = 0, 1, 2 (the article's "component k")
    dWx: np.ndarray  # (3, 3) the whole table (row 2 is L3)
    matrices: np.ndarray  # (3, D, 4H) dL_3/dWx^(k)
    cache: lstm.Cache
    dout: np.ndarray  # (1, 3, 1) the random upstream gradient, as in the article


# ----------------------------------------------------------------------------- helpers


def _sq_norms(X: np.ndarray, dA: np.ndarray) -> np.ndarray:
    """||X^T dA[m]||_F^2 for every row m; X (N, P), dA (M, N, Q) -> (M,).

    With N <= P it goes through the N x N Gram matrices, trace((X X^T)(dA dA^T)), which for
    the pages' N = 1 is just ||x||^2 ||da||^2; otherwise it forms the products.
    """
    if X.shape[0] <= X.shape[1]:
        gx = X @ X.T  # (N, N)
        ga = dA @ dA.transpose(0, 2, 1)  # (M, N, N)
        return np.maximum(np.einsum("nm,knm->k", gx, ga), 0.0)
    prod = np.einsum("np,knq->kpq", X, dA)
    return np.einsum("kpq,kpq->k", prod, prod)


def _fro(A: np.ndarray) -> np.ndarray:
    """Frobenius norm over every axis but the first."""
    A2 = A.reshape(A.shape[0], -1)
    return np.sqrt(np.einsum("ij,ij->i", A2, A2))


def _check(dh, cache):
    dh = np.asarray(dh)
    if dh.shape != cache.h.shape:
        raise ValueError(f"dh must have the shape of h, {cache.h.shape}; got {dh.shape}")
    return dh


def _h_prev(cache):
    return np.concatenate([cache.h0[:, None, :], cache.h[:, :-1]], axis=1)


class _Tables:
    def __init__(self, T, lstm_cell=False):
        z = lambda: np.zeros((T, T))  # noqa: E731
        self.dWx, self.dWh, self.db, self.dh = z(), z(), z(), z()
        self.dc = self.dc_cell = self.dc_rest = None
        if lstm_cell:
            self.dc, self.dc_cell, self.dc_rest = z(), z(), z()

    def record(self, k, da, x_k, wh_inputs, G_h):
        """Fill column k for the alive rows t >= k from da (M, N, GH) and the state gradient."""
        self.dWx[k:, k] = np.sqrt(_sq_norms(x_k, da))
        sq = np.zeros(da.shape[0])
        for X, cols in wh_inputs:
            sq += _sq_norms(X, da[..., cols])
        self.dWh[k:, k] = np.sqrt(sq)
        self.db[k:, k] = np.sqrt(np.einsum("kq,kq->k", da.sum(axis=1), da.sum(axis=1)))
        self.dh[k:, k] = _fro(G_h)

    def result(self, cell):
        return Attribution(self.dWx, self.dWh, self.db, self.dh, self.dc, self.dc_cell, self.dc_rest, cell)


class _Matrices:
    """Accumulates dL_t/dW^(k) for a single loss row."""

    def __init__(self, T, D, H, GH, dtype):
        self.dWx = np.zeros((T, D, GH), dtype=dtype)
        self.dWh = np.zeros((T, H, GH), dtype=dtype)
        self.db = np.zeros((T, GH), dtype=dtype)

    def record(self, k, da, x_k, wh_inputs):
        d = da[0]  # (N, GH): one loss row
        self.dWx[k] = x_k.T @ d
        for X, cols in wh_inputs:
            self.dWh[k][:, cols] = X.T @ d[:, cols]
        self.db[k] = d.sum(axis=0)


def _rows(T, t):
    """Which loss rows to carry: all T, or the one row t (for the matrices)."""
    if t is None:
        return None
    t = int(t)
    if not 0 <= t < T:
        raise ValueError(f"t must be in 0..{T - 1}, got {t}")
    return t


# ----------------------------------------------------------------------------- the passes


def _rnn_pass(dh, cache: rnn.Cache, t=None):
    dh = _check(dh, cache)
    N, T, H = dh.shape
    row = _rows(T, t)
    fprime = activations.get(cache.activation).df(cache.a, cache.h)  # (N, T, H)
    h_prev = _h_prev(cache)
    WhT = cache.Wh.T
    out = _Tables(T) if row is None else _Matrices(T, cache.x.shape[2], H, H, dh.dtype)
    top = T if row is None else row + 1
    G = np.zeros((top, N, H), dtype=dh.dtype)  # G[t] = dL_t/dh_k, carried down k
    for k in range(top - 1, -1, -1):
        lo = k if row is None else row  # alive rows t >= k (or the one requested row)
        if k >= lo:
            G[k] += dh[:, k]
        Gk = G[lo:]
        da = Gk * fprime[:, k]  # (M, N, H)
        wh_inputs = ((h_prev[:, k], slice(None)),)
        if row is None:
            out.record(k, da, cache.x[:, k], wh_inputs, Gk)
        else:
            out.record(k, da, cache.x[:, k], wh_inputs)
        G[lo:] = da @ WhT
    return out


def _gru_da(Gk, h_prev, r, z, n, Wh):
    """GRU local chain rule on stacked rows: (M, N, H) -> da (M, N, 3H), dprev_h (M, N, H)."""
    H = h_prev.shape[-1]
    da_n = Gk * ((1.0 - z) * (1.0 - n * n))
    drh = da_n @ Wh[:, 2 * H :].T  # dL/d(r * h_{t-1})
    da_r = drh * (h_prev * r * (1.0 - r))
    da_z = Gk * ((h_prev - n) * z * (1.0 - z))
    da = np.concatenate([da_r, da_z, da_n], axis=-1)
    dprev = Gk * z + drh * r + da[..., : 2 * H] @ Wh[:, : 2 * H].T
    return da, dprev


def _gru_pass(dh, cache: gru.Cache, t=None):
    dh = _check(dh, cache)
    N, T, H = dh.shape
    row = _rows(T, t)
    h_prev = _h_prev(cache)
    out = _Tables(T) if row is None else _Matrices(T, cache.x.shape[2], H, 3 * H, dh.dtype)
    top = T if row is None else row + 1
    G = np.zeros((top, N, H), dtype=dh.dtype)
    for k in range(top - 1, -1, -1):
        lo = k if row is None else row
        if k >= lo:
            G[k] += dh[:, k]
        Gk = G[lo:]
        da, dprev = _gru_da(Gk, h_prev[:, k], cache.r[:, k], cache.z[:, k], cache.n[:, k], cache.Wh)
        wh_inputs = ((h_prev[:, k], slice(0, 2 * H)), (cache.r[:, k] * h_prev[:, k], slice(2 * H, 3 * H)))
        if row is None:
            out.record(k, da, cache.x[:, k], wh_inputs, Gk)
        else:
            out.record(k, da, cache.x[:, k], wh_inputs)
        G[lo:] = dprev
    return out


def _lstm_pass(dh, cache: lstm.Cache, t=None):
    dh = _check(dh, cache)
    N, T, H = dh.shape
    row = _rows(T, t)
    i, f, o, g, tanh_c = cache.i, cache.f, cache.o, cache.g, cache.tanh_c
    K = o * (1.0 - tanh_c**2)  # dh_t/dc_t
    A_i, A_f, A_o, A_g = g * i * (1 - i), cache.c_prev * f * (1 - f), tanh_c * o * (1 - o), i * (1 - g**2)
    h_prev = cache.h_prev
    WhT = cache.Wh.T
    out = _Tables(T, lstm_cell=True) if row is None else _Matrices(T, cache.x.shape[2], H, 4 * H, dh.dtype)
    top = T if row is None else row + 1
    Gh = np.zeros((top, N, H), dtype=dh.dtype)  # recurrent part of dL_t/dh_k (from a_{k+1})
    Gc = np.zeros((top, N, H), dtype=dh.dtype)  # dL_t/dc_k arriving from c_{k+1}
    Cc = np.zeros((top, N, H), dtype=dh.dtype)  # its cell-path-only part
    Rc = np.zeros((top, N, H), dtype=dh.dtype)  # the rest
    da = np.empty((top, N, 4 * H), dtype=dh.dtype)
    for k in range(top - 1, -1, -1):
        lo = k if row is None else row
        sl = slice(lo, top)
        Kk = K[:, k]
        if row is None:
            # the rest: the recurrent part of dL_t/dh_k enters the cell through o (1 - tanh^2 c)
            Rc[sl] += Gh[sl] * Kk
        if k >= lo:
            Gh[k] += dh[:, k]  # each loss injects its own direct gradient at its own step
            Cc[k] += dh[:, k] * Kk
        ght = Gh[sl]
        dct = Gc[sl] + ght * Kk  # dL_t/dc_k, all paths
        d = da[sl]
        d[..., :H] = dct * A_i[:, k]
        d[..., H : 2 * H] = dct * A_f[:, k]
        d[..., 2 * H : 3 * H] = ght * A_o[:, k]
        d[..., 3 * H :] = dct * A_g[:, k]
        wh_inputs = ((h_prev[:, k], slice(None)),)
        if row is None:
            out.record(k, d, cache.x[:, k], wh_inputs, ght)
            out.dc[k:, k] = _fro(dct)
            out.dc_cell[k:, k] = _fro(Cc[sl])
            out.dc_rest[k:, k] = _fro(Rc[sl])
            Cc[sl] *= f[:, k]
            Rc[sl] *= f[:, k]
        else:
            out.record(k, d, cache.x[:, k], wh_inputs)
        Gc[sl] = dct * f[:, k]
        Gh[sl] = d @ WhT
    return out


# ----------------------------------------------------------------------------- public API


def rnn_attribution(dh, cache: rnn.Cache) -> Attribution:
    """T x T tables ||dL_t/dW^(k)|| for the vanilla RNN (da_k^(t) = dL_t/dh_k * f'(a_k))."""
    return _rnn_pass(dh, cache).result("rnn")


def gru_attribution(dh, cache: gru.Cache) -> Attribution:
    """T x T tables ||dL_t/dW^(k)|| for the GRU (the candidate's Wh columns see r_k * h_{k-1})."""
    return _gru_pass(dh, cache).result("gru")


def lstm_attribution(dh, cache: lstm.Cache) -> Attribution:
    """T x T tables ||dL_t/dW^(k)|| for the LSTM, plus ||dL_t/dc_k|| and its cell-path / rest split."""
    return _lstm_pass(dh, cache).result("lstm")


_PASSES = {"rnn": _rnn_pass, "lstm": _lstm_pass, "gru": _gru_pass}


def _cell_of(cache) -> str:
    if isinstance(cache, rnn.Cache):
        return "rnn"
    if isinstance(cache, lstm.Cache):
        return "lstm"
    if isinstance(cache, gru.Cache):
        return "gru"
    raise TypeError(f"expected an rnn, lstm or gru Cache, got {type(cache).__name__}")


def attribution(dh, cache) -> Attribution:
    """The T x T attribution tables for whichever cell produced ``cache``."""
    return _PASSES[_cell_of(cache)](dh, cache).result(_cell_of(cache))


def contributions(dh, cache, t: int) -> Contributions:
    """The matrices dL_t/dWx^(k), dL_t/dWh^(k), dL_t/db^(k) for loss row t (0-based), k = 0..T-1."""
    m = _PASSES[_cell_of(cache)](dh, cache, t=t)
    return Contributions(int(t), m.dWx, m.dWh, m.db)


def lstm_cell_split(dh, cache: lstm.Cache, dc=None) -> CellSplit:
    """dL/dc_k = dc_cell_k + dc_rest_k for the total loss, each from its own recurrence:

    dc_cell_k = f_{k+1} dc_cell_{k+1} + dh_k o_k (1 - tanh^2 c_k)               (direct dh_k only)
    dc_rest_k = f_{k+1} dc_rest_{k+1} + (dL/dh_k - dh_k) o_k (1 - tanh^2 c_k)   (the part of dL/dh_k
    that came back through Wh). A direct upstream ``dc`` (if given) counts as cell path.
    """
    dh = _check(dh, cache)
    full = lstm.backward_all(dh, cache, dc=dc)
    K = cache.o * (1.0 - cache.tanh_c**2)
    inject_cell = dh * K if dc is None else dh * K + dc
    inject_rest = (full.dh_total - dh) * K
    N, T, H = dh.shape
    cell = np.empty_like(inject_cell)
    rest = np.empty_like(inject_rest)
    c_carry = np.zeros((N, H), dtype=dh.dtype)
    r_carry = np.zeros((N, H), dtype=dh.dtype)
    for k in range(T - 1, -1, -1):
        cell[:, k] = inject_cell[:, k] + c_carry
        rest[:, k] = inject_rest[:, k] + r_carry
        c_carry = cell[:, k] * cache.f[:, k]
        r_carry = rest[:, k] * cache.f[:, k]
    return CellSplit(full.dc_total, cell, rest)


def seed000_example(rng: np.random.Generator) -> SeedExample:
    """Seed 000's example done right: N, D, T, H = 1, 3, 3, 1, Wx (D, 4H), random dout.

    Draws x, h0, Wx, Wh, b, then dout = dL_t/dh_t, in the article's order, and returns the
    three components ||dL3/dWx^(k)||, k = 0, 1, 2 (the article's draw gave 0.0109, 0.0248,
    0.139: the farthest step contributes least).
    """
    N, D, T, H = 1, 3, 3, 1
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, 4 * H))  # NB: (D, 4H); the article's first example had (D, H)
    Wh = rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    out, cache = lstm.forward(x, h0, Wx, Wh, b)
    dout = rng.standard_normal(out.shape)
    table = lstm_attribution(dout, cache).dWx
    mats = contributions(dout, cache, T - 1).dWx
    return SeedExample(table[T - 1].copy(), table, mats, cache, dout)
