"""The LSTM page's computation layer: Kravets 2023 made live, with an RNN or GRU beside the LSTM.

NumPy on top of gradcore (no streamlit or altair; pandas only for the figures' tidy frames),
so the tests can call every function the page shows, and every sentence it prints. Steps are counted t = 1..T as in the seeds; arrays hold step
t at index t - 1. N = 1 (one sequence, as in the article).

The problem (one draw per seed, shared by the three cells so the comparison is fair):
    x_t ~ xscale * N(0, I_D)                         the same inputs for every cell
    LSTM: Wx (D, 4H) ~ N(0, 1/D); each H x H gate block of Wh Gaussian with spectral radius rho;
          b = 0 except b_f = forget bias
    RNN:  tanh, Wx = Wx_g, Wh = Wh_g, b = 0          the LSTM's candidate path without gates
    GRU:  (r, z, n) take the LSTM's (i, f, g) weights and b_z = forget bias (z keeps h as f keeps c)
    L_t = -log softmax(h_t Wy)[y_t], V = 4 classes  Kravets's (2023) output layer and loss
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
import pandas as pd

from gradcore import attribution, gru, init, jacobians, losses, lstm, rnn
from gradcore.activations import sigmoid
from gradcore.gradcheck import rel_error
from lessons import fmt

V = 4  # output classes, as in the article's first example
COMPARE = ("RNN", "GRU", "none")


class Problem(NamedTuple):
    """Inputs, weights of the three cells and the loss head of one settings draw."""

    x: np.ndarray  # (1, T, D)
    lstm: dict  # Wx (D, 4H), Wh (H, 4H), b (4H,)
    rnn: dict  # Wx (D, H), Wh (H, H), b (H,)
    gru: dict  # Wx (D, 3H), Wh (H, 3H), b (3H,)
    Wy: np.ndarray  # (H, V)
    targets: np.ndarray  # (1, T)


def make_problem(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int) -> Problem:
    """Draw x, the LSTM weights (gate blocks of Wh at spectral radius `scale`), the matched RNN/GRU and Wy."""
    rx, rw, ry = (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(3))
    # NB: separate streams, so T changes only the tail of x and the weights stay put.
    x = xscale * rx.standard_normal((1, T, D))
    Wx = rw.standard_normal((D, 4 * H)) / np.sqrt(D)
    Wh = np.concatenate([init.gaussian_spectral_radius(H, scale, rw) for _ in range(4)], axis=1)
    b = np.zeros(4 * H)
    b[H : 2 * H] = fbias
    gate = {k: slice(j * H, (j + 1) * H) for j, k in enumerate("ifog")}
    rnn_w = dict(Wx=Wx[:, gate["g"]].copy(), Wh=Wh[:, gate["g"]].copy(), b=np.zeros(H))
    pick = np.r_[0 : 2 * H, 3 * H : 4 * H]  # i, f, g columns -> r, z, n
    gb = np.zeros(3 * H)
    gb[H : 2 * H] = fbias
    gru_w = dict(Wx=Wx[:, pick].copy(), Wh=Wh[:, pick].copy(), b=gb)
    Wy = ry.standard_normal((H, V)) / np.sqrt(H)
    targets = ry.integers(V, size=(1, T))
    return Problem(x, dict(Wx=Wx, Wh=Wh, b=b), rnn_w, gru_w, Wy, targets)


def run_cell(cell: str, p: Problem):
    """Forward pass of 'LSTM', 'RNN' (tanh) or 'GRU' on the problem's inputs -> (h, cache)."""
    H = p.Wy.shape[0]
    h0 = np.zeros((1, H))
    if cell == "LSTM":
        return lstm.forward(p.x, h0, **p.lstm)
    if cell == "RNN":
        return rnn.forward(p.x, h0, activation="tanh", **p.rnn)
    if cell == "GRU":
        return gru.forward(p.x, h0, **p.gru)
    raise ValueError(f"unknown cell {cell!r}")


def loss_t(h: np.ndarray, p: Problem, t: int) -> float:
    """L_t = -log softmax(h_t Wy)[y_t] for one step t (1..T)."""
    mask = np.zeros(p.targets.shape)
    mask[:, t - 1] = 1.0
    return losses.softmax_cross_entropy(h, p.Wy, np.zeros(V), p.targets, mask).total


def dh_of_loss(h: np.ndarray, p: Problem, t: int) -> np.ndarray:
    """dL_t/dh_s for every s (N, T, H): nonzero only at s = t (the direct gradient of L_t)."""
    mask = np.zeros(p.targets.shape)
    mask[:, t - 1] = 1.0
    return losses.softmax_cross_entropy(h, p.Wy, np.zeros(V), p.targets, mask).dh


# ----------------------------------------------------------------------------- Kravets's (2023) decomposition


def _truncate(cache, t: int):
    """The cache of the first t steps only (every (N, T, ...) field sliced)."""
    T = cache.h.shape[1]
    return cache._replace(
        **{
            k: v[:, :t]
            for k, v in cache._asdict().items()
            if isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[1] == T
        }
    )


def _backward_all(cell: str, dh, cache):
    return {"LSTM": lstm.backward_all, "RNN": rnn.backward_all, "GRU": gru.backward_all}[cell](dh, cache)


def components(cell: str, cache, dh_t: np.ndarray, t: int) -> np.ndarray:
    """||dL_t/dWx^(k)||_F for k = 1..t, where dL_t/dWx^(k) = x_k^T da_k is step k's share (Kravets 2023, fig. 13).

    dh_t (N, H) is the direct gradient dL_t/dh_t; BPTT runs from t back to 1 only.
    Returns (t,) with index k - 1.
    """
    sub = _truncate(cache, t)
    dh = np.zeros(sub.h.shape)
    dh[:, t - 1] = dh_t
    da = _backward_all(cell, dh, sub).da  # (N, t, G*H)
    parts = np.einsum("ntd,ntg->tdg", sub.x, da)  # (t, D, G*H): x_k^T da_k
    return np.sqrt(np.einsum("tdg,tdg->t", parts, parts))


def component_table(cell: str, cache, dh_direct: np.ndarray, ts) -> np.ndarray:
    """table[r, k-1] = ||dL_t/dWx^(k)||_F for t = ts[r] and k = 1..t (NaN for k > t): the T x T table's rows."""
    T = cache.h.shape[1]
    out = np.full((len(ts), T), np.nan)
    for r, t in enumerate(ts):
        out[r, :t] = components(cell, cache, dh_direct[:, t - 1], t)
    return out


class CellSplit(NamedTuple):
    """dL_t/dc_k for k = 1..t split into the cell path only and the rest (Kravets 2023, fig. 18)."""

    total: np.ndarray  # (t, H) dL_t/dc_k, every path
    cell: np.ndarray  # (t, H) dL_t/dc_t * prod_{s=k+1}^t f_s: only along c
    rest: np.ndarray  # (t, H) total - cell: every path that leaves c through h (Wh terms)


def cell_split(cache: lstm.Cache, dh_t: np.ndarray, t: int) -> CellSplit:
    """dL_t/dc_k = dL_t/dc_t prod_{s=k+1}^t f_s  +  (paths through h_s and Wh), for k = 1..t (N = 1)."""
    sub = _truncate(cache, t)
    dh = np.zeros(sub.h.shape)
    dh[:, t - 1] = dh_t
    total = lstm.backward_all(dh, sub).dc_total[0]  # (t, H)
    f = sub.f[0]  # (t, H)
    # prod_{s=k+1}^t f_s for k = 1..t: reversed cumulative product of f_{k+1..t} (empty product 1 at k = t)
    tail = np.ones_like(f)
    if t > 1:
        tail[:-1] = np.cumprod(f[:0:-1], axis=0)[::-1]
    cell = total[t - 1][None, :] * tail
    return CellSplit(total, cell, total - cell)


# ----------------------------------------------------------------------------- path norms and rates


def last_step_jacobian(cache: lstm.Cache) -> np.ndarray:
    """J_T = d(h_T, c_T)/d(h_{T-1}, c_{T-1}) (2H, 2H) from gradcore.jacobians, on the last two steps only.

    NB: lstm_step_jacobians builds all T of them ((T, 2H, 2H): 260 MB at T = 500, H = 128);
    J_T needs only step T and c_{T-1}, so the cache is cut to its last two steps first.
    """
    T = cache.h.shape[1]
    if T < 2:
        return jacobians.lstm_step_jacobians(cache)[-1]
    sub = cache._replace(
        **{
            k: v[:, T - 2 :]
            for k, v in cache._asdict().items()
            if isinstance(v, np.ndarray) and v.ndim == 3 and v.shape[1] == T
        }
    )
    return jacobians.lstm_step_jacobians(sub)[-1]


class Paths(NamedTuple):
    """ln-norms against distance d = T - k = 0..T."""

    distance: np.ndarray
    cell: np.ndarray  # ln ||prod diag(f)||  (spectral norm, or Frobenius with spectral=False)
    full_c: np.ndarray  # ln ||dc_T/dc_k|| (c-c block of the state product, h_k held)
    compare: np.ndarray | None  # ln ||dh_T/dh_k|| of the comparison cell


def paths(lstm_cache, cmp_cell: str, cmp_cache, spectral: bool = True) -> Paths:
    """The three curves of the 'two paths' chart, from gradcore.jacobians: all spectral norms, or all Frobenius."""
    pn = jacobians.lstm_product_norms(
        lstm_cache, spectral=("c",) if spectral else False
    )  # only dc_T/dc_k is drawn
    full = pn.log_spec_c if spectral else pn.log_fro_c
    cell = pn.log_spec_cell if spectral else pn.log_fro_cell
    cmp = None
    if cmp_cell == "RNN":
        q = jacobians.rnn_product_norms(cmp_cache, spectral=spectral)
        cmp = q.log_spec if spectral else q.log_fro
    elif cmp_cell == "GRU":
        q = jacobians.gru_product_norms(cmp_cache, spectral=spectral)
        cmp = q.log_spec if spectral else q.log_fro
    return Paths(pn.distance, cell, full, cmp)


def decay_rate(log_norm: np.ndarray, upto: int | None = None) -> float:
    """Least-squares slope of ln||.|| against distance d = 0..upto (ln per step; -inf entries cut the fit)."""
    y = np.asarray(log_norm, dtype=float)[: (None if upto is None else upto + 1)]
    ok = np.isfinite(y)
    if ok.sum() < 2:
        return float("-inf")
    d = np.arange(y.size)[ok]
    return float(np.polyfit(d, y[ok], 1)[0])


# ----------------------------------------------------------------------------- finite-difference checks


def fd_check_dWx(p: Problem, t: int, n_entries: int = 6, eps: float = 1e-6, seed: int = 0) -> float:
    """max relative error of dL_t/dWx (LSTM, backward_all) against centred differences on a few entries."""
    h, cache = run_cell("LSTM", p)
    g = lstm.backward_all(dh_of_loss(h, p, t), cache).dWx
    rng = np.random.default_rng(seed)
    D, G = g.shape
    idx = [(int(rng.integers(D)), int(rng.integers(G))) for _ in range(n_entries)]
    num = np.empty(len(idx))
    for j, ix in enumerate(idx):
        vals = []
        for s in (+1, -1):
            Wx = p.lstm["Wx"].copy()
            Wx[ix] += s * eps
            hh, _ = lstm.forward(p.x, np.zeros_like(cache.h0), Wx, p.lstm["Wh"], p.lstm["b"])
            vals.append(loss_t(hh, p, t))
        num[j] = (vals[0] - vals[1]) / (2 * eps)
    ana = np.array([g[ix] for ix in idx])
    return rel_error(ana, num)


def _loss_from_state(p: Problem, t: int, k: int, h_k, c_k) -> float:
    """L_t as a function of the state (h_k, c_k) after step k (k < t): run steps k+1..t."""
    hh, _ = lstm.forward(p.x[:, k:t], h_k, **p.lstm, c0=c_k)
    H = p.Wy.shape[0]
    full = np.zeros((1, p.x.shape[1], H))
    full[:, k:t] = hh
    return loss_t(full, p, t)


def fd_check_dc(p: Problem, t: int, ks, units: int = 3, eps: float = 1e-6) -> float:
    """max relative error of dL_t/dc_k (total, with h_k = o_k tanh(c_k) following c_k) against differences."""
    h, cache = run_cell("LSTM", p)
    split = cell_split(cache, dh_of_loss(h, p, t)[:, t - 1], t)
    H = p.Wy.shape[0]
    errs = []
    for k in ks:
        if not 1 <= k < t:
            continue
        o_k, c_k = cache.o[:, k - 1], cache.c[:, k - 1]
        ana, num = [], []
        for j in range(min(units, H)):
            vals = []
            for s in (+1, -1):
                c = c_k.copy()
                c[0, j] += s * eps
                vals.append(_loss_from_state(p, t, k, o_k * np.tanh(c), c))
            num.append((vals[0] - vals[1]) / (2 * eps))
            ana.append(split.total[k - 1, j])
        errs.append(rel_error(np.array(ana), np.array(num)))
    return max(errs) if errs else 0.0


def fd_check_component(p: Problem, t: int, k: int, n_entries: int = 4, eps: float = 1e-6) -> float:
    """Relative error of step k's share x_k^T da_k against differences of L_t in a Wx used at step k only."""
    h, cache = run_cell("LSTM", p)
    dh = dh_of_loss(h, p, t)
    sub = _truncate(cache, t)
    d = np.zeros(sub.h.shape)
    d[:, t - 1] = dh[:, t - 1]
    da = lstm.backward_all(d, sub).da
    share = p.x[0, k - 1][:, None] * da[0, k - 1][None, :]  # (D, 4H)
    H = p.Wy.shape[0]
    h_prev = cache.h0 if k == 1 else cache.h[:, k - 2]
    c_prev = cache.c0 if k == 1 else cache.c[:, k - 2]
    flat = np.argsort(-np.abs(share).ravel(), kind="stable")[:n_entries]  # the largest entries
    ana, num = [], []
    for fi in flat:
        ix = np.unravel_index(fi, share.shape)
        vals = []
        for s in (+1, -1):
            Wk = p.lstm["Wx"].copy()
            Wk[ix] += s * eps
            hk, ck, _ = lstm.step_forward(p.x[:, k - 1], h_prev, c_prev, Wk, p.lstm["Wh"], p.lstm["b"])
            if k == t:
                full = np.zeros((1, p.x.shape[1], H))
                full[:, t - 1] = hk
                vals.append(loss_t(full, p, t))
            else:
                vals.append(_loss_from_state(p, t, k, hk, ck))
        num.append((vals[0] - vals[1]) / (2 * eps))
        ana.append(share[ix])
    return rel_error(np.array(ana), np.array(num))


# ----------------------------------------------------------------------------- the article's code


def article_lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """Kravets's (2023) lstm_step_forward, verbatim (it names the pre-activation `h`)."""
    h = x @ Wx + prev_h @ Wh + b
    assert h.shape[-1] % 4 == 0
    ai, af, ao, ag = np.array_split(h, 4, axis=-1)
    i = sigmoid(ai)
    f = sigmoid(af)
    o = sigmoid(ao)
    g = np.tanh(ag)
    next_c = f * prev_c + i * g
    next_h = o * np.tanh(next_c)
    cache = (x, next_h, prev_h, prev_c, Wx, Wh, h, np.tanh(next_c), i, f, o, g)
    return next_h, next_c, cache


def article_lstm_forward(x, h0, Wx, Wh, b, next_c=None, fixed: bool = False):
    """Kravets's (2023) lstm_forward; fixed=True adds the missing `else:` and `cache.append(cache_s)`."""
    cache = []
    N, T, _ = x.shape
    H = h0.shape[-1]
    h = np.zeros((N, T, H))
    if next_c is None:
        next_c = np.zeros((N, H))
    for t in range(x.shape[1]):
        xt = x[:, t, :]
        if t == 0:
            next_h, next_c, cache_s = article_lstm_step_forward(xt, h0, next_c, Wx, Wh, b)
            if fixed:
                cache.append(cache_s)
        if not fixed or t > 0:  # NB: the article has no `else`, so step 0 runs a second time
            next_h, next_c, cache_s = article_lstm_step_forward(xt, next_h, next_c, Wx, Wh, b)
            if fixed:
                cache.append(cache_s)
        h[:, t, :] = next_h
    return h, cache


def article_dc_da(h, prev_c, next_c_t, i, f, o, g, fixed: bool = False):
    """Kravets's (2023) dc_da; as written it reads `dgrad.shape` before any dgrad exists (fixed: h.shape)."""
    dgrad_c = np.zeros((h.shape[0], 4 * h.shape[1]))
    dgrad_h = np.zeros((h.shape[0], 4 * h.shape[1]))
    H = h.shape[1] if fixed else dgrad.shape[1] // 4  # noqa: F821  (the article's NameError, kept on purpose)
    dnextc_dai = (i * (1 - i)) * g
    dnextc_daf = (f * (1 - f)) * prev_c
    dnextc_dao = 0
    dnextc_dag = (1 - g**2) * i
    dh_dc = o * (1 - next_c_t**2)
    dnexth_dai = dh_dc * dnextc_dai
    dnexth_daf = dh_dc * dnextc_daf
    dnexth_dao = o * (1 - o) * next_c_t
    dnexth_dag = dh_dc * dnextc_dag
    dgrad_c[:, 0:H] = dnextc_dai
    dgrad_c[:, H : 2 * H] = dnextc_daf
    dgrad_c[:, 2 * H : 3 * H] = dnextc_dao
    dgrad_c[:, 3 * H : 4 * H] = dnextc_dag
    dgrad_h[:, 0:H] = dnexth_dai
    dgrad_h[:, H : 2 * H] = dnexth_daf
    dgrad_h[:, 2 * H : 3 * H] = dnexth_dao
    dgrad_h[:, 3 * H : 4 * H] = dnexth_dag
    return dgrad_c, dgrad_h


def article_bptt(dout, cache, h0, Wh, idx: int, stale_dnext_h: bool = False):
    """Kravets's (2023) loop for loss idx+1 (0-based idx), corrected -> ({j: dL/dWx^(j)}, {j: dnext_h into step j-1}).

    stale_dnext_h=True keeps the article's dead line: dnext_h computed from the *updated*
    dnext_c (the article then overwrites it with dgrad @ Wh.T, which is right).
    """
    comps, dh_into = {}, {}
    dnext_c = np.zeros(h0.shape)
    dnext_h = dout[:, idx, :]
    for j in range(idx, -1, -1):
        (x, _, prev_h, prev_c, _, _, _, next_c_t, i, f, o, g) = cache[j]
        dgrad_c, dgrad_h = article_dc_da(h0, prev_c, next_c_t, i, f, o, g, fixed=True)
        dgrad = dnext_c * dgrad_c + dnext_h * dgrad_h
        comps[j] = x.T @ dgrad
        dnext_c = dnext_c * f + dnext_h * o * (1 - next_c_t**2) * f
        if stale_dnext_h:
            dnext_h = (dnext_h * dgrad_h + dnext_c * dgrad_c) @ Wh.T
        else:
            dnext_h = dgrad @ Wh.T
        dh_into[j] = dnext_h
    return comps, dh_into


class Mistake(NamedTuple):
    """One mistake of Kravets's (2023) code: what it says, the fix, and what running it shows."""

    title: str
    article: str  # the article's line(s)
    fixed: str  # our corrected line(s)
    shows: str  # what the live run showed (computed)


def _err(fn) -> str:
    try:
        fn()
    except Exception as e:  # NB: we run the article's broken code on purpose and report what it raises
        return f"{type(e).__name__}: {e}"
    return "no error"


def tiny_example(seed: int):
    """Kravets's (2023) own example N, D, T, H = 1, 3, 3, 1 with a random dout: arrays for the demos."""
    rng = np.random.default_rng(seed)
    N, D, T, H = 1, 3, 3, 1
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, 4 * H))
    Wh = rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    dout = rng.standard_normal((N, T, H))
    return dict(x=x, h0=h0, Wx=Wx, Wh=Wh, b=b, dout=dout)


def _L3(x, h0, Wx, Wh, b, dout, k=None, dW=None):
    """L3 = sum(dout_3 * h_3) (the article's "define the dout"); dW added to Wx at step k only."""
    prev_h, prev_c = h0, np.zeros_like(h0)
    for s in range(x.shape[1]):
        W = Wx + dW if (dW is not None and s == k) else Wx
        prev_h, prev_c, _ = lstm.step_forward(x[:, s], prev_h, prev_c, W, Wh, b)
    return float(np.sum(dout[:, -1] * prev_h))


class Tiny(NamedTuple):
    """The tiny example run through gradcore, the corrected article code and finite differences."""

    norms: np.ndarray  # (3,) ||dL3/dWx^(k)||_F, components 0, 1, 2 (the article's numbering)
    parts: np.ndarray  # (3, D, 4H) the components
    article_norms: np.ndarray  # (3,) the same from the article's loop, corrected
    fd_rel_error: float  # max over components of the relative error against centred differences
    f_column_zero: bool  # component 0's forget-gate column is exactly 0 (c_0 = 0)


def run_tiny(seed: int) -> Tiny:
    """dL3/dWx of the tiny example split by step, three ways, and checked by finite differences."""
    a = tiny_example(seed)
    x, h0, Wx, Wh, b, dout = (a[k] for k in ("x", "h0", "Wx", "Wh", "b", "dout"))
    h, cache = lstm.forward(x, h0, Wx, Wh, b)
    dh = np.zeros_like(h)
    dh[:, -1] = dout[:, -1]
    da = lstm.backward_all(dh, cache).da
    parts = np.einsum("ntd,ntg->tdg", x, da)
    norms = np.sqrt(np.einsum("tdg,tdg->t", parts, parts))
    _, acache = article_lstm_forward(x, h0, Wx, Wh, b, fixed=True)
    comps, _ = article_bptt(dout, acache, h0, Wh, idx=2)
    art = np.array([np.linalg.norm(comps[j]) for j in range(3)])
    eps, errs = 1e-6, []
    for k in range(3):
        num = np.zeros_like(Wx)
        for ix in np.ndindex(Wx.shape):
            E = np.zeros_like(Wx)
            E[ix] = eps
            num[ix] = (_L3(x, h0, Wx, Wh, b, dout, k, E) - _L3(x, h0, Wx, Wh, b, dout, k, -E)) / (2 * eps)
        errs.append(rel_error(parts[k], num))
    H = h0.shape[1]
    return Tiny(norms, parts, art, max(errs), bool(np.all(parts[0][:, H : 2 * H] == 0.0)))


def mistakes(seed: int) -> list[Mistake]:
    """Run each mistake of Kravets's (2023) code on the tiny example and report what happens, live."""
    a = tiny_example(seed)
    x, h0, Wx, Wh, b, dout = (a[k] for k in ("x", "h0", "Wx", "Wh", "b", "dout"))
    out = []
    # 1. step 0 runs twice
    h_art, _ = article_lstm_forward(x, h0, Wx, Wh, b)
    h_ok, _ = lstm.forward(x, h0, Wx, Wh, b)
    h1_twice, c1, _ = lstm.step_forward(x[:, 0], h0, np.zeros_like(h0), Wx, Wh, b)
    h1_twice, _, _ = lstm.step_forward(x[:, 0], h1_twice, c1, Wx, Wh, b)
    out.append(
        Mistake(
            "The time loop runs step 0 twice",
            "if t == 0:\n    next_h, next_c, cache_s = lstm_step_forward(xt, h0, next_c, Wx, Wh, b)\n"
            "next_h, next_c, cache_s = lstm_step_forward(xt, next_h, next_c, Wx, Wh, b)",
            "prev_h = h0 if t == 0 else next_h   # one step per t\n"
            "next_h, next_c, cache_s = lstm_step_forward(xt, prev_h, next_c, Wx, Wh, b)",
            f"The article's loop gives h_1 = {h_art[0, 0, 0]:.6f} (x_1 fed twice: {h1_twice[0, 0]:.6f}); "
            f"one step gives h_1 = {h_ok[0, 0, 0]:.6f} (gradcore.lstm.forward). Every later state inherits "
            f"the error: h_3 = {h_art[0, -1, 0]:.6f} instead of {h_ok[0, -1, 0]:.6f}.",
        )
    )
    # 2. cache never filled
    _, cache_art = article_lstm_forward(x, h0, Wx, Wh, b)
    out.append(
        Mistake(
            "lstm_forward never appends to cache",
            "cache = []\n...\nreturn h, cache          # cache is still []\n...\ncache[2]",
            "cache.append(cache_s)    # after every step (gradcore keeps a named lstm.Cache)",
            f"Running it: cache has {len(cache_art)} entries, and `cache[2]` raises "
            f"{_err(lambda: cache_art[2])}.",
        )
    )
    # 3. dgrad read before it exists
    _, cache_fix = article_lstm_forward(x, h0, Wx, Wh, b, fixed=True)
    c2 = cache_fix[2]
    out.append(
        Mistake(
            "dc_da reads dgrad.shape before any dgrad exists",
            "H = dgrad.shape[1] // 4",
            "H = h.shape[1]           # h is passed in for exactly this",
            "Calling it: "
            + _err(lambda: article_dc_da(h0, c2[3], c2[-5], c2[-4], c2[-3], c2[-2], c2[-1]))
            + ". (In a notebook it only works if a stale global `dgrad` is left over from a later cell.)",
        )
    )
    # 4. Wx (D, H)
    N, D, T, H4 = 2, 5, 3, 4
    rng = np.random.default_rng(seed)
    xw, h0w = rng.standard_normal((N, T, D)), rng.standard_normal((N, H4))
    Wxw, Whw, bw = rng.standard_normal((D, H4)), rng.standard_normal((H4, H4)), rng.standard_normal(H4)
    _, _, cw = article_lstm_step_forward(xw[:, 0], h0w, np.zeros((N, H4)), Wxw, Whw, bw)
    hw, _ = article_lstm_forward(xw, h0w, Wxw, Whw, bw, fixed=True)
    spread = float(np.max(hw.max(axis=2) - hw.min(axis=2)))
    out.append(
        Mistake(
            "The first example gives Wx shape (D, H) for an LSTM that needs (D, 4H)",
            "Wx = np.random.randn(D, H)\nWh = np.random.randn(H, H)\nb = np.random.randn(H)",
            "Wx = np.random.randn(D, 4 * H)\nWh = np.random.randn(H, 4 * H)\nb = np.random.randn(4 * H)",
            f"With H = {H4}, array_split gives each gate width {cw[8].shape[1]} (= H/4). Broadcasting against "
            f"c of width {H4} hides it: h still has width {hw.shape[2]} and the loop runs without an error, but "
            f"all {H4} units share one i, one f, one o and one g, so they stay identical copies of one unit "
            f"(largest spread between the {H4} units of h over all steps: {spread:.1e}).",
        )
    )
    # 5. dnext_h from the updated dnext_c
    _, into_stale = article_bptt(dout, cache_fix, h0, Wh, idx=2, stale_dnext_h=True)
    _, into_ok = article_bptt(dout, cache_fix, h0, Wh, idx=2)
    num = np.array(
        [[_fd_dL3_dh(x, h0, Wx, Wh, b, dout, j=1)]]
    )  # dL3/dh_1 (0-based step 1), what flows into step 1 from step 2
    out.append(
        Mistake(
            "In the BPTT loop dnext_h is computed from the already-updated dnext_c",
            "dnext_c = dnext_c * f + dnext_h * o * (1 - next_c_t**2) * f\n"
            "dnext_h = (dnext_h * dgrad_h + dnext_c * dgrad_c) @ Wh.T   # uses the new dnext_c\n"
            "dnext_h = dgrad @ Wh.T                                       # ...then overwritten",
            "dgrad = dnext_c * dgrad_c + dnext_h * dgrad_h     # old dnext_c and dnext_h\n"
            "dnext_h = dgrad @ Wh.T\n"
            "dnext_c = dnext_c * f + dnext_h_old * o * (1 - next_c_t**2) * f",
            f"dL3/dh_2 by centred differences is {num[0, 0]:.8f}; the overwritten line gives "
            f"{into_ok[2][0, 0]:.8f} (relative error {rel_error(into_ok[2], num):.1e}); the dead line alone "
            f"would give {into_stale[2][0, 0]:.8f} (relative error {rel_error(into_stale[2], num):.1e}). "
            "The loop is right only because the second line overwrites the first.",
        )
    )
    return out


def _fd_dL3_dh(x, h0, Wx, Wh, b, dout, j: int, eps: float = 1e-6) -> float:
    """dL3/dh_j (0-based j < 2, H = 1) by centred differences: perturb h_j, run the rest."""
    h, cache = lstm.forward(x, h0, Wx, Wh, b)
    vals = []
    for s in (+1, -1):
        hj = h[:, j] + s * eps
        hh, _ = lstm.forward(x[:, j + 1 :], hj, Wx, Wh, b, c0=cache.c[:, j])
        vals.append(float(np.sum(dout[:, -1] * hh[:, -1])))
    return (vals[0] - vals[1]) / (2 * eps)


# ----------------------------------------------------------------------------- the page's computations
# Each takes the page's plain settings and returns plain data (the page caches them with st.cache_data).

LN10 = np.log(10.0)
# NB: gradcore's Lanczos spectral norms of the LSTM state product need many iterations when the
# forget gate is closed (b_f = -3, T = 500, H = 128: ~10x the Frobenius cost); beyond this T * H
# the paths chart shows Frobenius norms, all three curves alike, and says so.
SPECTRAL_MAX = 64 * 64


def compute(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str) -> dict:
    """Forward passes, path norms and T x T component tables for the settings (plain arrays out)."""
    with np.errstate(all="ignore"):
        p = make_problem(T, H, D, fbias, scale, xscale, seed)
        h, cache = run_cell("LSTM", p)
        dh = losses.softmax_cross_entropy(h, p.Wy, np.zeros(V), p.targets).dh
        out = {
            "f": cache.f[0].copy(),
            "i": cache.i[0].copy(),
            "o": cache.o[0].copy(),
            "g": cache.g[0].copy(),
            "c": cache.c[0].copy(),
        }
        cmp_cache = None
        if cmp != "none":
            hc, cmp_cache = run_cell(cmp, p)
            dhc = losses.softmax_cross_entropy(hc, p.Wy, np.zeros(V), p.targets).dh
            out["cmp_table"] = attribution.attribution(dhc, cmp_cache).dWx
        spectral = T * H <= SPECTRAL_MAX
        pa = paths(cache, cmp, cmp_cache, spectral=spectral)
        out.update(
            spectral=spectral,
            distance=pa.distance,
            ln_cell=pa.cell,
            ln_full=pa.full_c,
            ln_cmp=pa.compare,
            table=attribution.attribution(dh, cache).dWx,
        )
        diag_f = jacobians.lstm_cell_jacobians(cache)  # (T, H): dc_t/dc_(t-1) along the cell is diag(f_t)
        out["diag_f_T"] = diag_f[-1]
        out["ln_cell_spec_end"] = float(
            np.log(diag_f).sum(axis=0).max()
        )  # ln ||prod_1^T diag f||_2  # diagonal of dc_T/dc_(T-1) along the cell
        J = last_step_jacobian(cache)  # (2H, 2H) at step T: [[dh/dh, dh/dc], [dc/dh, dc/dc]]
        out["norm_dc_dh_T"] = float(np.linalg.norm(J[H:, :H], 2))
        out["norm_dh_dh_T"] = float(np.linalg.norm(J[:H, :H], 2))
        return out


def for_loss(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int) -> dict:
    """The split of dL_t/dc_k (cell path vs the rest) and the loss L_t itself."""
    with np.errstate(all="ignore"):
        p = make_problem(T, H, D, fbias, scale, xscale, seed)
        h, cache = run_cell("LSTM", p)
        dh = np.zeros_like(h)
        dh[:, t - 1] = dh_of_loss(h, p, t)[:, t - 1]
        sp = attribution.lstm_cell_split(dh, cache)
        return {
            "total": np.linalg.norm(sp.dc_total[0, :t], axis=1),
            "cell": np.linalg.norm(sp.dc_cell[0, :t], axis=1),
            "rest": np.linalg.norm(sp.dc_rest[0, :t], axis=1),
            "loss": loss_t(h, p, t),
        }


def checks_for_loss(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int
) -> dict:
    """The finite-difference checks of loss L_t's gradients (the Equations tab's badge; about half of a
    setting's compute, so only made when that tab is shown)."""
    with np.errstate(all="ignore"):
        p = make_problem(T, H, D, fbias, scale, xscale, seed)
        near = [k for k in dict.fromkeys([t, t - 1, t - 2]) if k >= 1]
        checks = {
            "dL_t/dWx (6 entries)": fd_check_dWx(p, t),
            "dL_t/dWx^(k) for k = " + ", ".join(map(str, near)): max(
                fd_check_component(p, t, k) for k in near
            ),
        }
        ks = [k for k in dict.fromkeys([t - 1, t - 2]) if k >= 1]
        if ks:
            checks["dL_t/dc_k for k = " + ", ".join(map(str, ks))] = fd_check_dc(p, t, ks)
        return checks


def cell_path_end(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int) -> float:
    """ln ||prod_{s=1}^T diag(f_s)||_2 = ln max_j prod_s f_s[j] at another forget bias (for 'predict first')."""
    with np.errstate(divide="ignore"):
        p = make_problem(T, H, D, fbias, scale, xscale, seed)
        _, cache = run_cell("LSTM", p)
        return float(np.log(jacobians.lstm_cell_jacobians(cache)).sum(axis=0).max())


def article_example(rng: np.random.Generator) -> np.ndarray:
    """The article's example done right: N, D, T, H = 1, 3, 3, 1, Wx (D, 4H), random dout = dL_t/dh_t.

    Draws x, h0, Wx, Wh, b, then dout in the article's order and returns its three components
    ||dL3/dWx^(k)||, k = 0, 1, 2 (the article's unseeded draw gave 0.0109, 0.0248, 0.139).
    """
    N, D, T, H = 1, 3, 3, 1
    x = rng.standard_normal((N, T, D))  # (N, T, D)
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, 4 * H))  # NB: (D, 4H); the article's first example had (D, H)
    Wh = rng.standard_normal((H, 4 * H))
    b = rng.standard_normal(4 * H)
    out, cache = lstm.forward(x, h0, Wx, Wh, b)
    dout = rng.standard_normal(out.shape)  # (N, T, H)
    return attribution.lstm_attribution(dout, cache).dWx[T - 1].copy()  # row L3 of the T x T table


def article_code(seed: int) -> dict:
    """Kravets's (2023) tiny example (N, D, T, H = 1, 3, 3, 1) three ways, and its mistakes run live."""
    with np.errstate(all="ignore"):
        tiny = run_tiny(seed)
        eng = article_example(np.random.default_rng(seed))
        return {"tiny": tiny, "engine": eng, "mistakes": mistakes(seed)}


# ----------------------------------------------------------------------------- numbers as text

# This page's numbers (lessons.fmt): a log-norm as '3.2e-41' (sci(ln=...), far beyond float64), a
# norm as '4.30e-01' (num(v)), each with the page's words for an exact zero and an overflow.
sci = functools.partial(fmt.sci, digits=2, plus=False, pad=False, zero="exactly 0", nonfinite="overflowed")
num = functools.partial(fmt.sci, zero="exactly 0 (underflow)", nonfinite="overflowed")


def share_above(a: np.ndarray, level: float) -> str:
    """'37%' of a above level, never rounded to 0% or 100% when it is not ('none', 'all' when it is)."""
    q = float((a > level).mean())
    if q in (0.0, 1.0):
        return "none" if q == 0.0 else "all"
    return fmt.percent(q)


# ----------------------------------------------------------------------------- the figures' tidy data

MAX_UNITS = 32  # gate heatmaps show at most this many units ...
MAX_STEPS = 100  # ... and this many time columns (every s-th step, exact values)
MAX_GRID = 50  # the T x T heatmap shows at most MAX_GRID x MAX_GRID cells (every s-th t and k)
MAX_BARS = 60  # up to this many steps the components are bars, beyond it points on a line
GATES = [
    ("f", "f_t (forget gate)"),
    ("i", "i_t (input gate)"),
    ("g", "g_t (candidate)"),
    ("o", "o_t (output gate)"),
    ("c", "c_t (cell state)"),
]


def stride(n: int, most: int) -> int:
    """Step between shown rows/columns so that at most `most` are shown."""
    return max(1, int(np.ceil(n / most)))


def log10_col(v: pd.Series) -> np.ndarray:
    """log10 of norms; exact zeros become -inf, which the chart builders put on the floor."""
    with np.errstate(divide="ignore"):
        return np.log10(np.asarray(v, dtype=float))


def auto_floor(log10_values) -> float:
    """A log-axis floor one decade under the smallest finite value (never under 1e-300, float64's edge)."""
    v = np.asarray(log10_values, dtype=float)
    v = v[np.isfinite(v)]
    lo = float(v.min()) if v.size else 0.0
    return float(10.0 ** max(-300, min(-1, int(np.floor(lo)) - 1)))


def deep_floor(log10_values) -> int:
    """Floor in log10 units for a log10-mode chart whose values may lie far beyond float64 (1e-630 at b_f = -3, T = 500).

    One decade under the smallest finite value, so a product of 500 forget gates stays on the chart
    instead of on a 1e-300 floor (ui.charts.log_line's floor_log10 has no float64 limit). With an
    exact zero present (-inf) the ordinary float floor (at most 1e-300 deep) and its label are used.
    """
    v = np.asarray(log10_values, dtype=float)
    fin = v[np.isfinite(v)]
    lo = int(np.floor(fin.min())) - 1 if fin.size else -1
    if lo >= -300 or np.isneginf(v).any():
        return max(-300, min(-1, lo))
    return lo


def gate_frame(a: np.ndarray, name: str) -> tuple[pd.DataFrame, str]:
    """Tidy (step t, unit, value) for the first MAX_UNITS units at every s-th step."""
    T, H = a.shape
    s = stride(T, MAX_STEPS)
    ts = np.arange(s, T + 1, s) if s > 1 else np.arange(1, T + 1)
    u = min(H, MAX_UNITS)
    tt, uu = np.meshgrid(ts, np.arange(1, u + 1), indexing="ij")
    df = pd.DataFrame({"t": tt.ravel(), "unit": uu.ravel(), name: a[ts - 1, :u].ravel()})
    note = (f"units 1-{u} of {H}" if u < H else f"all {H} units") + (f", every {s} steps" if s > 1 else "")
    return df, note


def Fig(df: pd.DataFrame, extra: dict, filename: str, caption: str) -> dict:  # noqa: N802
    """One figure: its tidy data, what its chart needs beyond the data, CSV file name and caption (a plain
    dict, which st.cache_data pickles as it is)."""
    return {"df": df, "extra": extra, "filename": filename, "caption": caption}


def figure_data(R: dict, T: int, H: int, fbias: float, cmp: str) -> dict:
    """Gate heatmaps, the two-paths chart and the T x T heatmap of compute()'s R: name -> Fig (plain data, no charts)."""
    out = {}
    with np.errstate(all="ignore"):
        cmax = float(max(np.abs(R["c"]).max(), 1e-12))
        for name, title in GATES:
            dom = (0.0, 1.0) if name in "ifo" else ((-1.0, 1.0) if name == "g" else (-cmax, cmax))
            df, note = gate_frame(R[name], name)
            out[name] = Fig(
                df,
                {"title": title, "domain": dom},
                f"lstm-gate-{name}.csv",
                f"{title}: {note}; computed by gradcore.lstm.forward.",
            )
        d = R["distance"]
        rows = [
            pd.DataFrame({"distance": d, "log10_norm": R["ln_cell"] / LN10, "series": "cell path"}),
            pd.DataFrame({"distance": d, "log10_norm": R["ln_full"] / LN10, "series": "full Jacobian"}),
        ]
        if R["ln_cmp"] is not None:
            rows.append(pd.DataFrame({"distance": d, "log10_norm": R["ln_cmp"] / LN10, "series": cmp}))
        df = pd.concat(rows, ignore_index=True)
        vs = {"RNN": "a tanh RNN", "GRU": "a GRU", "none": "no comparison"}[cmp]
        nm, sub = ("spectral norm", "2") if R["spectral"] else ("Frobenius norm", "F")
        out["paths"] = Fig(
            df,
            {
                "y_title": f"{nm} (log scale)",
                "title": f"LSTM at b_f = {fbias:g} against {vs}: T = {T}, H = {H}",
            },
            "lstm-paths.csv",
            f"cell path $= \\|\\prod_{{s=k+1}}^{{T}}\\operatorname{{diag}}(f_s)\\|_{sub}$, the cell-only "
            f"path; full Jacobian $= \\|\\partial c_T/\\partial c_k\\|_{sub}$, the c-c block of the $(h, c)$ "
            "state product, every path through $h$ and $W_h$ included"
            + ("" if cmp == "none" else f"; {cmp} = its $\\|\\partial h_T/\\partial h_k\\|_{sub}$")
            + ". Computed by gradcore.jacobians.lstm_product_norms"
            + {"RNN": " and rnn_product_norms", "GRU": " and gru_product_norms", "none": ""}[cmp]
            + (
                "."
                if R["spectral"]
                else f". Frobenius norms here: beyond T x H = {SPECTRAL_MAX} the spectral norms' Lanczos "
                "iterations cost seconds (up to 10x more with the forget gate closed)."
            ),
        )
        s = stride(T, MAX_GRID)
        grid = np.arange(T, 0, -s)[::-1]
        tt, kk = np.meshgrid(grid, grid, indexing="ij")
        keep = kk <= tt
        hm = [
            pd.DataFrame(
                {"t": tt[keep], "k": kk[keep], "norm": R["table"][tt[keep] - 1, kk[keep] - 1], "cell": "LSTM"}
            )
        ]
        if cmp != "none":
            hm.append(
                pd.DataFrame(
                    {
                        "t": tt[keep],
                        "k": kk[keep],
                        "norm": R["cmp_table"][tt[keep] - 1, kk[keep] - 1],
                        "cell": cmp,
                    }
                )
            )
        df = pd.concat(hm, ignore_index=True)
        floor = auto_floor(log10_col(df["norm"]))
        lg = np.log10(np.maximum(df["norm"].to_numpy(dtype=float), floor))
        domain = [float(lg.min()), float(max(lg.max(), lg.min() + 1e-9))]  # one colour scale for both panels
        ticks = [int(v) for v in grid[stride(len(grid), 10) - 1 :: stride(len(grid), 10)]]
        zeros = int((df["norm"] == 0).sum())
        for name, part in df.groupby("cell", sort=False):
            out[f"table-{name}"] = Fig(
                part.reset_index(drop=True),
                {"floor": floor, "domain": domain, "ticks": ticks, "cell": name},
                f"component-table-{name}.csv",
                "Row t = loss L_t, column k = step: "
                + (f"t and k shown every {s} steps, " if s > 1 else "")
                + "exact values; entries with k > t are 0 and left out."
                + (" Both panels share one log10 colour scale." if cmp != "none" else "")
                + (
                    f" {zeros} shown entries underflowed float64 to exactly 0 and sit on the floor colour."
                    if zeros
                    else ""
                )
                + " Computed by gradcore.attribution.attribution.",
            )
    return out


def loss_figure_data(R: dict, S: dict, t: int, cmp: str) -> dict:
    """The components of dL_t/dWx by step (compute()'s R) and the split of dL_t/dc_k (for_loss()'s S): name -> Fig."""
    out = {}
    with np.errstate(all="ignore"):
        ks = np.arange(1, t + 1)
        rows = [pd.DataFrame({"k": ks, "norm": R["table"][t - 1, :t], "cell": "LSTM"})]
        if cmp != "none":
            rows.append(pd.DataFrame({"k": ks, "norm": R["cmp_table"][t - 1, :t], "cell": cmp}))
        df = pd.concat(rows, ignore_index=True)
        note = (
            "One bar per step, LSTM and comparison side by side."
            if t <= MAX_BARS
            else f"One point per step (t = {t} is too many for bars)."
        )
        out["components"] = Fig(
            df,
            {"t": t},
            f"components-L{t}.csv",
            note + " Row t of gradcore.attribution.attribution's T x T table.",
        )
        dist = t - ks
        df = pd.concat(
            [
                pd.DataFrame({"distance": dist, "norm": S["total"], "part": "total dL_t/dc_k"}),
                pd.DataFrame({"distance": dist, "norm": S["cell"], "part": "cell path"}),
                # NB: at distance 0 the rest is 0 by definition (nothing has left the cell yet): not drawn
                pd.DataFrame({"distance": dist, "norm": S["rest"], "part": "through h (Wh terms)"})[dist > 0],
            ],
            ignore_index=True,
        )
        out["split"] = Fig(
            df,
            {"t": t},
            f"cell-split-L{t}.csv",
            "cell path $= \\partial L_t/\\partial c_t \\odot \\prod_{s=k+1}^{t} f_s$; through h = the "
            "rest (total minus cell path): every path that leaves the cell through some $h_s$ and comes "
            "back through $W_h$. At distance 0 all of it is cell path (the rest is exactly 0 there and "
            "not drawn). "
            "Computed by gradcore.attribution.lstm_cell_split.",
        )
    return out


# ----------------------------------------------------------------------------- the sections' sentences


class Rates(NamedTuple):
    """How fast the paths decay: fitted slopes of ln-norm per step (decay_rate) and the cell path's factor."""

    cell: float  # ln-norm slope of the cell path
    compare: float | None  # the comparison cell's (None without one)
    per_step: float  # exp(cell): the cell path's factor per step


def rates(R: dict) -> Rates:
    """The decay rates of compute()'s paths."""
    slope_cell = decay_rate(R["ln_cell"])
    slope_cmp = None if R["ln_cmp"] is None else decay_rate(R["ln_cmp"])
    return Rates(slope_cell, slope_cmp, float(np.exp(slope_cell)))


def gates_text(R: dict, T: int, fbias: float) -> str:
    """Section 1: the forget gate along this run."""
    f = R["f"]
    return (
        f"One sequence of length T = {T}. The forget gate decides how much of $c_{{t-1}}$ survives into $c_t$. "
        f"Here its mean is **{float(f.mean()):.3f}** (sigma(b_f) = {1 / (1 + np.exp(-fbias)):.3f} at zero input), "
        f"its smallest value {f.min():.3g} and its largest {f.max():.4f}; "
        f"{share_above(f, 0.9)} of its values exceed 0.9."
    )


def paths_read_off(R: dict, T: int, cmp: str) -> str:
    """Section 2: where the three paths end after T steps, and how fast they fall."""
    rt = rates(R)
    return (
        f"**Read it off:** over {T} steps the cell path falls to **{sci(ln=R['ln_cell'][-1])}** "
        f"({rt.per_step:.3f}x per step on average: a fitted slope of {rt.cell:.3g} in ln-norm per step); "
        f"the full ‖dc_T/dc_k‖ ends at **{sci(ln=R['ln_full'][-1])}**"
        + (
            ""
            if rt.compare is None
            else f"; the {cmp}'s ‖dh_T/dh_k‖ at **{sci(ln=R['ln_cmp'][-1])}** ({np.exp(rt.compare):.3f}x per step)"
        )
        + "."
    )


def printout(row: np.ndarray, t: int) -> str:
    """Kravets's (2023) printout of loss L_t's components ("component j - value", j 0-based), full precision."""
    return "\n".join([f"Loss {t}"] + [f"component {k} - {float(row[k])!r}" for k in range(t)])


class EquationText(NamedTuple):
    """Section 5: the live caption under each equation."""

    gates: str
    cell: str
    components: str
    diag_f: str
    dc_dh: str
    product: str


def equation_text(R: dict, S: dict, T: int, H: int, t: int) -> EquationText:
    """The live numbers of the LSTM's equations at step T (and for loss L_t), as section 5 prints them."""
    comp_l = R["table"][t - 1, :t]
    gates = (
        f"At t = T = {T}: mean i = {R['i'][-1].mean():.3f}, f = {R['f'][-1].mean():.3f}, "
        f"o = {R['o'][-1].mean():.3f}, g = {R['g'][-1].mean():+.3f}."
    )
    c_prev = R["c"][-2] if T > 1 else np.zeros(H)
    resid = float(np.max(np.abs(R["c"][-1] - (R["f"][-1] * c_prev + R["i"][-1] * R["g"][-1]))))
    cell = f"‖c_T‖₂ = {np.linalg.norm(R['c'][-1]):.4f}; the recurrence holds to {resid:.1e}."
    components = (
        f"For L_{t}: {t} components, nearest {num(comp_l[-1])}, farthest {num(comp_l[0])}; "
        f"the loss is L_{t} = {S['loss']:.4f}."
    )
    diag_f = (
        f"At t = T: diagonal entries from {R['diag_f_T'].min():.3f} to {R['diag_f_T'].max():.4f}, "
        f"so its spectral norm is {R['diag_f_T'].max():.4f} < 1."
    )
    dc_dh = (
        f"The terms through h that the article's 'dc_t/dc_(t-1) = f_t' leaves out; at t = T "
        f"‖dc_T/dh_(T-1)‖₂ = {R['norm_dc_dh_T']:.4f} and ‖dh_T/dh_(T-1)‖₂ = {R['norm_dh_dh_T']:.4f}."
    )
    product = (
        f"At k = 0 (distance T = {T}), in the {'spectral' if R['spectral'] else 'Frobenius'} norm of the Two "
        f"paths tab: {sci(ln=R['ln_cell'][-1])}; the full ‖dc_T/dc_0‖ = {sci(ln=R['ln_full'][-1])}."
    )
    return EquationText(gates, cell, components, diag_f, dc_dh, product)


def check_summary(checks: dict, t: int) -> tuple[float, str]:
    """(largest relative error, the caption listing every check) of checks_for_loss()'s checks for L_t."""
    worst = max(checks.values())
    detail = "; ".join(f"{k}: {v:.1e}" for k, v in checks.items())
    return worst, (
        "Centred differences (eps = 1e-6, float64) against the engine's backward pass at these settings, "
        f"for L_{t}: {detail}. Checked on the largest entries, where the difference quotient is not "
        "swamped by rounding."
    )


def tiny_text(A: dict) -> tuple[str, str, str]:
    """Section 6: the tiny example's introduction, its printout and what the three ways give (article_code()'s A)."""
    tiny = A["tiny"]
    intro = (
        "**The article's own example, N, D, T, H = 1, 3, 3, 1**, with a random dout as the gradient of L3 "
        "(the article does the same), run three ways: lessons.lstm_cell_state.article_example (gradcore.attribution.lstm_attribution), the article's "
        "loop with the fixes above, and gradcore.lstm.backward_all. Centred differences perturb the copy of Wx "
        f"used at one step only; the largest relative error over the three components is {tiny.fd_rel_error:.1e}."
    )
    code = printout(A["engine"], 3)
    result = (
        f"The corrected article loop gives {', '.join(f'{v:.6g}' for v in tiny.article_norms)}; "
        f"lstm.backward_all gives {', '.join(f'{v:.6g}' for v in tiny.norms)}. The farthest step contributes "
        f"{'least' if tiny.norms[0] == tiny.norms.min() else 'not the least here'}"
        f" (the article's unseeded draw printed 0.0109, 0.0248, 0.139). "
        + (
            "Component 0's forget-gate column is exactly zero: dL/da_f at step 1 is dL/dc_1 * c_0 * f(1-f), and "
            "c_0 = 0. The article's third printed matrix shows the same zero column."
            if tiny.f_column_zero
            else ""
        )
    )
    return intro, code, result


def loose_text(R: dict, T: int) -> str:
    """'Where the article is loose', with this run's numbers where they make the point."""
    return (
        '- It ends: the gradient decays "at forget gate rate rather than **Wx** rate". It means **W_h**: '
        "$W_x$ never appears in the product of Jacobians; the vanilla RNN's factor per step is "
        "$\\operatorname{diag}(\\tanh'(a_t))\\,W_h^\\top$.\n"
        "- $\\partial c_t/\\partial c_{t-1} = f_t$ holds along the cell edge with $h_{t-1}$ held fixed. The total "
        "derivative adds the terms through $h$ (the equation for $\\partial c_t/\\partial h_{t-1}$ above), which carry $W_h$; the *full Jacobian* curve of "
        "the Two paths tab includes them, and it can lie above the cell path"
        + (
            f" (it does here: {sci(ln=R['ln_full'][-1])} against {sci(ln=R['ln_cell'][-1])} at distance {T})."
            if R["ln_full"][-1] > R["ln_cell"][-1]
            else " (at these settings it lies below)."
        )
        + "\n"
        '- "Unless all the forget gates are exactly 1": a sigmoid never reaches 1, so the cell path always '
        f"decays (here the largest f is {R['f'].max():.4f}); and even then the paths through $h$ would still carry $W_h$.\n"
        "- Its printed component norms come from an unseeded draw with code that cannot run as printed "
        "(see the Code tab); the numbers on this page are reproducible from the seed in the URL."
    )


def notice_gates(R: dict, T: int, fbias: float) -> list[str]:
    """The Gates tab's notes: what the gate heatmaps show, from this run's gates."""
    f, i, o, c = R["f"], R["i"], R["o"], R["c"]
    step, unit = np.unravel_index(int(np.argmax(np.abs(c))), c.shape)
    return [
        f"At b_f = {fbias:g} the forget gates average {float(f.mean()):.3f}; {share_above(f, 0.9)} of them exceed "
        f"0.9, and the largest is {float(f.max()):.4f}: no gate is exactly 1.",
        f"The input gates average {float(i.mean()):.3f} and the output gates {float(o.mean()):.3f}; the largest "
        f"|c_t| is {float(np.abs(c).max()):.3g} (unit {int(unit) + 1}, step {int(step) + 1} of {T}).",
    ]


def notice_paths(R: dict, T: int, fbias: float, cmp: str) -> list[str]:
    """The Two paths tab's notes: the cell path against the full Jacobian and the comparison cell."""
    rt = rates(R)
    slope_cell, slope_cmp, per_step = rt.cell, rt.compare, rt.per_step
    pts = [
        f"The forget gates average {float(R['f'].mean()):.3f} at b_f = {fbias:g}, so the cell path shrinks by "
        f"about {per_step:.3f}x per step and reaches {sci(ln=R['ln_cell'][-1])} after {T} steps."
    ]
    if (
        slope_cmp is not None
        and np.isfinite(slope_cmp)
        and np.isfinite(slope_cell)
        and slope_cell < 0
        and slope_cmp < 0
    ):
        ratio = slope_cmp / slope_cell
        pts.append(
            f"The {cmp}'s ‖dh_T/dh_k‖ falls {np.exp(slope_cmp):.3f}x per step: "
            + (
                f"the cell path decays {ratio:.1f}x slower (in log-norm slope)."
                if ratio >= 1
                else f"here the cell path decays {1 / ratio:.1f}x *faster*: with a forget bias of {fbias:g} the gate "
                "closes and the LSTM's advantage is gone."
            )
        )
    pts.append(
        f"The full ‖dc_T/dc_k‖ (paths through h included) ends at {sci(ln=R['ln_full'][-1])}, "
        + ("above" if R["ln_full"][-1] > R["ln_cell"][-1] else "below")
        + f" the cell path's {sci(ln=R['ln_cell'][-1])}: the article's f-only picture is the cell edge, not "
        "the whole story."
    )
    pts.append(
        f"Even the slowest unit keeps only {sci(ln=R['ln_cell'][-1])} of the gradient over {T} steps: "
        "the LSTM slows vanishing, it does not cure it."
    )
    return pts


def notice_components(R: dict, t: int, cmp: str) -> list[str]:
    """The Components tab's notes: the components of dL_t/dWx by step (LSTM, and the comparison cell)."""
    comp_l = R["table"][t - 1, :t]
    comp_c = None if cmp == "none" else R["cmp_table"][t - 1, :t]
    k_max = int(np.argmax(comp_l)) + 1
    pts = [
        f"For L_{t} the nearest step's component is {num(comp_l[-1])} and the farthest (k = 1) {num(comp_l[0])}"
        + ("" if comp_c is None else f"; for the {cmp} {num(comp_c[-1])} and {num(comp_c[0])}")
        + ".",
        f"The LSTM's largest component of dL_{t}/dWx comes from step k = {k_max} ({num(comp_l[k_max - 1])}).",
    ]
    return pts


def notice_split(S: dict, t: int) -> list[str]:
    """The Split tab's notes: how much of dL_t/dc_k travels along the cell path alone."""
    if t <= 1:
        return [f"L_{t} reaches only c_1, at distance 0: there is nothing to split yet (pick a larger t)."]
    frac = S["cell"] / np.maximum(S["cell"] + S["rest"], 1e-300)
    return [
        f"Of the gradient reaching c_1 from L_{t} (distance {t - 1}), the cell path alone makes "
        f"{fmt.percent(frac[0])} of ‖cell‖ + ‖rest‖; at distance 1 it makes {fmt.percent(frac[-2])}"
        + (
            ": far back, the paths through h (with their W_h) carry most of it."
            if frac[0] < 0.5
            else ": the cell path carries most of it all the way back."
        ),
        f"‖dL_{t}/dc_k‖ in total goes from {num(S['total'][-1])} at k = {t} to {num(S['total'][0])} at k = 1.",
    ]


def notice_equations(R: dict, T: int) -> list[str]:
    """The Equations tab's notes: the cell edge against the detour through h at the last step."""
    return [
        f"At step T = {T} the cell edge dc_T/dc_(T-1) = diag(f_T) has norm max f_T = "
        f"{float(R['diag_f_T'].max()):.4f}, while the detour ‖dc_T/dh_(T-1)‖₂ = {R['norm_dc_dh_T']:.3g} "
        f"(and ‖dh_T/dh_(T-1)‖₂ = {R['norm_dh_dh_T']:.3g}) carries W_h."
    ]


def notice_code(A: dict) -> list[str]:
    """The Code tab's notes: the tiny example's three ways against each other and against finite differences."""
    tiny = A["tiny"]
    agree = float(np.max(np.abs(tiny.article_norms - tiny.norms) / np.maximum(np.abs(tiny.norms), 1e-300)))
    return [
        f"The corrected article loop and lstm.backward_all agree to {agree:.0e} (relative); centred differences "
        f"agree to {tiny.fd_rel_error:.1e}.",
        f"Component 0 (the farthest step) is {tiny.norms[0] / max(tiny.norms[-1], 1e-300):.3g} of component 2 "
        "(the nearest).",
    ]


# ----------------------------------------------------------------------------- the gradient travelling back (issue 19)
TRAVEL_ROWS = ("LSTM: cell path", "LSTM: the rest (through h)")


def _log10_fro(A: np.ndarray, log_scale: float) -> float:
    """log10 ||A||_F of a matrix stored as A * 10^(-log_scale) (its true value), -inf when it is exactly 0."""
    n = float(np.linalg.norm(A))
    return log_scale + np.log10(n) if n > 0 and np.isfinite(n) else (-np.inf if n == 0 else np.nan)


def travel_norms(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str
) -> dict:
    """log10 of the Frobenius norms, by distance d = T - k = 0..T, of the gradient from c_T reaching c_k along
    the cell path alone, prod diag(f_s), and along the rest, dc_T/dc_k - prod diag(f_s) (every path that goes
    through some h_s, where W_h appears), and the comparison cell's dh_T/dh_k. Exact products of the step
    Jacobians (gradcore.jacobians), rescaled every step so that nothing underflows before its true value does;
    row name -> (T + 1,) array. NB: computed once per setting; the animation only reads it."""
    p = make_problem(T, H, D, fbias, scale, xscale, seed)
    _, cache = run_cell("LSTM", p)
    J = jacobians.lstm_step_jacobians(cache)  # (T, 2H, 2H)
    f = cache.f[0]  # (T, H)
    P = np.zeros((H, 2 * H))
    P[:, H:] = np.eye(H)  # dc_T/d(h_T, c_T)
    log_s = 0.0  # P holds the true product times 10^(-log_s)
    logf = np.zeros(H)  # ln of the diagonal of prod diag(f) over the last d steps (the cell path, exact)
    diag = np.ones(H)  # the same diagonal on P's scale (so the rest is P's c-block minus exactly it)
    cell = np.empty(T + 1)
    rest = np.empty(T + 1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        for d in range(T + 1):
            top = logf.max()
            cell[d] = (top + np.log(np.linalg.norm(np.exp(logf - top)))) / np.log(10.0)
            R = P[:, H:].copy()
            R[np.diag_indices(H)] -= diag
            rest[d] = _log10_fro(R, log_s)
            if d == T:
                break
            k = T - d  # step k: P <- P @ d(h_k, c_k)/d(h_{k-1}, c_{k-1})
            P = P @ J[k - 1]
            diag = diag * f[k - 1]
            logf = logf + np.log(f[k - 1])
            m = float(np.abs(P).max())
            if m > 0 and np.isfinite(m):
                P /= m
                diag /= m
                log_s += np.log10(m)
    out = {TRAVEL_ROWS[0]: cell, TRAVEL_ROWS[1]: rest}
    if cmp != "none":
        _, cc = run_cell(cmp, p)
        Jc = jacobians.rnn_step_jacobians(cc) if cmp == "RNN" else jacobians.gru_step_jacobians(cc)
        Q, log_q, vals = np.eye(H), 0.0, np.empty(T + 1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
            for d in range(T + 1):
                vals[d] = _log10_fro(Q, log_q)
                if d == T:
                    break
                Q = Q @ Jc[T - d - 1]
                m = float(np.abs(Q).max())
                if m > 0 and np.isfinite(m):
                    Q /= m
                    log_q += np.log10(m)
        out[f"{cmp}: dh_T/dh_k"] = vals
    return out


def travel_frame(norms: dict, frame: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """One frame of the animation: every row's cells k = 0..T, those the gradient has reached (k >= T - frame)
    with their log10 norm where it is finite, the cells not reached yet, and the title: the number of every
    row at the wavefront."""
    names = list(norms)
    T = len(norms[names[0]]) - 1
    frame = int(min(max(frame, 0), T))
    front = T - frame
    k = np.arange(T + 1)
    reached, waiting, parts = [], [], []
    for name in names:
        v = np.asarray(norms[name], dtype=float)[T - k]
        hit = (k >= front) & np.isfinite(v)
        reached.append(pd.DataFrame({"row": name, "k": k[hit], "log10": v[hit], "front": k[hit] == front}))
        waiting.append(pd.DataFrame({"row": name, "k": k[k < front]}))
        val = v[front]
        parts.append(
            f"{name.split(': ', 1)[-1] if name.startswith('LSTM') else name.split(':')[0]} "
            + (sci(log10=val) if np.isfinite(val) else "exactly 0" if val == -np.inf else "overflowed")
        )
    label = f"k = {front} (T - k = {frame}): " + " · ".join(parts)
    return pd.concat(reached, ignore_index=True), pd.concat(waiting, ignore_index=True), label
