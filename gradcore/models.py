"""Fused, batched recurrent networks for training: M models x N sequences in one pass.

The cells are the ones of gradcore.rnn / lstm / gru (same equations, same gate order, same
row-vector convention a_t = x_t Wx + h_{t-1} Wh + b), plus the leaky-integrator RNN of
seed 001 eq. 14:

    h_t = alpha * h_{t-1} + (1 - alpha) * f(x_t Wx + h_{t-1} Wh + b)      (per-unit alpha)

NB: unlike the teaching cells, these carry a leading model axis M on every parameter
(Wx (M, D, G*H), Wh (M, H, G*H), b (M, G*H)), so an ensemble of M models (seeds or settings
of the same shape) runs as one computation; one model is M = 1. Internally arrays are
time-major, (T, M, N, .), so each step reads one contiguous slab; the input projection
x Wx and the weight gradients are one matmul over all steps, and only h_{t-1} Wh and the
elementwise gate maths run inside the Python time loop.

Left padding: where step_mask is False a model holds its state (h_t = h_{t-1}, c_t = c_{t-1}),
so a left-padded shorter sequence gives exactly the shorter sequence's result (the mask is
binary; the backward pass relies on m^2 = m).

backward(...) accepts upstream gradients dh (T, M, N, H) = dL/dh_t (the loss's direct part)
and optional extra gradients at the pre-activations (da_extra, used by the Omega
regulariser), and optionally truncates BPTT to Williams & Peng's BPTT(k1, k2).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from gradcore.activations import sigmoid

__all__ = ["CELLS", "GATES", "Cache", "Grads", "forward", "backward", "d2f", "dfa", "recurrent_block"]

CELLS = ("rnn", "leaky", "lstm", "gru")
GATES = {"rnn": 1, "leaky": 1, "lstm": 4, "gru": 3}


def _relu(a):
    return np.maximum(a, 0.0)


# f(a), and f'(a) from (a, f(a)); the same table as gradcore.activations, vectorised here
# so the backward pass evaluates f' for all steps in one call.
_F = {"tanh": np.tanh, "sigmoid": sigmoid, "relu": _relu, "linear": lambda a: a}


def dfa(act: str, a: np.ndarray, fa: np.ndarray) -> np.ndarray:
    """f'(a) from a and fa = f(a)."""
    if act == "tanh":
        return 1.0 - fa * fa
    if act == "sigmoid":
        return fa * (1.0 - fa)
    if act == "relu":
        return (a > 0).astype(a.dtype)
    if act == "linear":
        return np.ones_like(a)
    raise ValueError(f"unknown activation {act!r}")


def d2f(act: str, a: np.ndarray, fa: np.ndarray) -> np.ndarray:
    """f''(a) from a and fa = f(a): tanh -2 f (1 - f^2), sigmoid f (1 - f)(1 - 2 f), relu/linear 0."""
    if act == "tanh":
        return -2.0 * fa * (1.0 - fa * fa)
    if act == "sigmoid":
        return fa * (1.0 - fa) * (1.0 - 2.0 * fa)
    if act in ("relu", "linear"):
        return np.zeros_like(a)
    raise ValueError(f"unknown activation {act!r}")


@dataclass(frozen=True)
class Spec:
    """Which cell and activation (activation only for rnn / leaky)."""

    cell: str = "lstm"
    activation: str = "tanh"

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; expected one of {CELLS}")
        if self.activation not in _F:
            raise ValueError(f"unknown activation {self.activation!r}; expected one of {sorted(_F)}")


class Cache(NamedTuple):
    """Everything backward needs; time-major arrays (T, M, N, .)."""

    spec: Spec
    x: np.ndarray  # (M, N, T, D) the inputs as given
    Wh: np.ndarray  # (M, H, G*H)
    alpha: np.ndarray | None  # (M, 1, H) leaky only
    h: np.ndarray  # (T, M, N, H) hidden states h_1..h_T
    a: np.ndarray | None  # (T, M, N, H) rnn/leaky pre-activations
    fa: np.ndarray | None  # (T, M, N, H) rnn/leaky f(a)
    gates: np.ndarray | None  # (T, M, N, G*H) lstm [i f o g] / gru [r z n], after nonlinearity
    c: np.ndarray | None  # (T, M, N, H) lstm cell states
    tanh_c: np.ndarray | None  # (T, M, N, H)
    hold: np.ndarray | None  # (T, M, N, 1) 1.0 at real steps, 0.0 where the state is held

    @property
    def h_prev(self) -> np.ndarray:
        """(T, M, N, H) h_{t-1} for every t (h_0 = 0)."""
        return np.concatenate([np.zeros_like(self.h[:1]), self.h[:-1]], axis=0)


class Grads(NamedTuple):
    """Parameter gradients (model axis first) and the per-step totals."""

    dWx: np.ndarray  # (M, D, G*H)
    dWh: np.ndarray  # (M, H, G*H)
    db: np.ndarray  # (M, G*H)
    dh_total: np.ndarray  # (T, M, N, H) dL/dh_t along every path (within the truncation)
    da: np.ndarray  # (T, M, N, G*H) dL/da_t


def _hold_array(step_mask, T, dtype):
    """(T, M, N, 1) float mask, or None when every step is real."""
    if step_mask is None or bool(np.all(step_mask)):
        return None
    return np.ascontiguousarray(np.moveaxis(step_mask, -1, 0)[..., None].astype(dtype))


def forward(spec: Spec, Wx, Wh, b, x, step_mask=None, alpha=None, store=True):
    """Run M models over x (M, N, T, D) -> (h (T, M, N, H), Cache or None).

    a_t = x_t Wx + h_{t-1} Wh + b, then the cell's update; h_0 = c_0 = 0.
    store=False keeps only h (evaluation), halving the memory and the time.
    """
    M, N, T, D = x.shape
    GH = Wh.shape[2]
    H = Wh.shape[1]
    dtype = Wh.dtype
    # all input projections at once, then time-major so each step reads one slab
    xa = np.matmul(x.reshape(M, N * T, D), Wx).reshape(M, N, T, GH) + b[:, None, None, :]
    xa = np.ascontiguousarray(xa.transpose(2, 0, 1, 3))  # (T, M, N, G*H)
    hold = _hold_array(step_mask, T, dtype)
    held = set() if hold is None else {t for t in range(T) if not np.all(hold[t])}
    hs = np.empty((T, M, N, H), dtype=dtype)
    h = np.zeros((M, N, H), dtype=dtype)
    cell = spec.cell
    a_s = fa_s = gates_s = c_s = tc_s = None
    al = None
    if cell in ("rnn", "leaky"):
        f = _F[spec.activation]
        if cell == "leaky":
            al = np.asarray(alpha, dtype=dtype).reshape(M, 1, H)
            one_m_al = 1.0 - al
        if store:
            a_s = np.empty((T, M, N, H), dtype=dtype)
            fa_s = np.empty((T, M, N, H), dtype=dtype)
        for t in range(T):
            a = xa[t] + np.matmul(h, Wh)
            fa = f(a)
            hn = fa if al is None else al * h + one_m_al * fa
            if t in held:
                hn = h + hold[t] * (hn - h)
            if store:
                a_s[t] = a
                fa_s[t] = fa
            hs[t] = hn
            h = hn
    elif cell == "lstm":
        c = np.zeros((M, N, H), dtype=dtype)
        if store:
            gates_s = np.empty((T, M, N, GH), dtype=dtype)
            c_s = np.empty((T, M, N, H), dtype=dtype)
            tc_s = np.empty((T, M, N, H), dtype=dtype)
        H3 = 3 * H
        for t in range(T):
            a = xa[t] + np.matmul(h, Wh)
            gt = np.empty_like(a)
            gt[..., :H3] = sigmoid(a[..., :H3])
            gt[..., H3:] = np.tanh(a[..., H3:])
            cn = gt[..., H:2 * H] * c + gt[..., :H] * gt[..., H3:]
            if t in held:
                cn = c + hold[t] * (cn - c)
            tc = np.tanh(cn)
            hn = gt[..., 2 * H:H3] * tc
            if t in held:
                hn = h + hold[t] * (hn - h)
            if store:
                gates_s[t] = gt
                c_s[t] = cn
                tc_s[t] = tc
            hs[t] = hn
            h, c = hn, cn
    else:  # gru
        Wh_rz, Wh_n = Wh[..., :2 * H], Wh[..., 2 * H:]
        if store:
            gates_s = np.empty((T, M, N, GH), dtype=dtype)
        for t in range(T):
            rz = sigmoid(xa[t, ..., :2 * H] + np.matmul(h, Wh_rz))
            r, z = rz[..., :H], rz[..., H:]
            n = np.tanh(xa[t, ..., 2 * H:] + np.matmul(r * h, Wh_n))
            hn = n + z * (h - n)
            if t in held:
                hn = h + hold[t] * (hn - h)
            if store:
                gates_s[t, ..., :2 * H] = rz
                gates_s[t, ..., 2 * H:] = n
            hs[t] = hn
            h = hn
    if not store:
        return hs, None
    return hs, Cache(spec, x, Wh, al, hs, a_s, fa_s, gates_s, c_s, tc_s, hold)


def _chunks(T: int, tbptt):
    """[(t_end, t_stop, inject_from)]: sweep back from t_end to t_stop (inclusive), injecting the
    loss gradients of steps >= inject_from. Full BPTT is one chunk; BPTT(k1, k2) (Williams &
    Peng 1990) ends a chunk every k1 steps and runs each one k2 steps back."""
    if tbptt is None:
        return [(T - 1, 0, 0)]
    k1, k2 = int(tbptt[0]), int(tbptt[1])
    if not 1 <= k1 <= k2:
        raise ValueError(f"truncation needs 1 <= k1 <= k2, got k1={k1}, k2={k2}")
    out = []
    for start in range(0, T, k1):
        end = min(start + k1, T) - 1
        out.append((end, max(end - k2 + 1, 0), start))
    return out


def backward(cache: Cache, dh, da_extra=None, tbptt=None) -> Grads:
    """BPTT of M models: dh (T, M, N, H) = direct dL/dh_t -> Grads.

    da_extra (T, M, N, G*H), if given, is added to dL/da_t at every step and travels back
    with the rest. tbptt=(k1, k2) truncates: a loss at step t in the chunk ending at tau
    reaches back only to step tau - k2 + 1 (k2 = T or more is full BPTT).
    """
    spec, Wh = cache.spec, cache.Wh
    if da_extra is not None and spec.cell == "gru":
        raise ValueError("da_extra is supported for rnn, leaky and lstm cells")
    T, M, N, H = cache.h.shape
    GH = Wh.shape[2]
    dtype = Wh.dtype
    WhT = np.ascontiguousarray(Wh.transpose(0, 2, 1))  # (M, G*H, H)
    hold = cache.hold
    held = set() if hold is None else {t for t in range(T) if not np.all(hold[t])}
    da = np.zeros((T, M, N, GH), dtype=dtype)
    dh_total = np.zeros((T, M, N, H), dtype=dtype)
    has_dh = [bool(np.any(dh[t])) for t in range(T)]
    cell = spec.cell
    h_prev = cache.h_prev
    if cell in ("rnn", "leaky"):
        fp = dfa(spec.activation, cache.a, cache.fa)  # (T, M, N, H) f'(a_t), all steps at once
        al = cache.alpha
        if al is not None:
            fp = fp * (1.0 - al)
    elif cell == "lstm":
        gates = cache.gates
        dact = np.empty_like(gates)  # d(gate)/d(a) for every step
        dact[..., :3 * H] = gates[..., :3 * H] * (1.0 - gates[..., :3 * H])
        dact[..., 3 * H:] = 1.0 - gates[..., 3 * H:] ** 2
        c_prev = np.concatenate([np.zeros_like(cache.c[:1]), cache.c[:-1]], axis=0)
        dtc = 1.0 - cache.tanh_c ** 2
    else:
        gates = cache.gates
        r, z, n = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:]
        drz = gates[..., :2 * H] * (1.0 - gates[..., :2 * H])
        dn_da = 1.0 - n * n
        Wh_nT = np.ascontiguousarray(Wh[..., 2 * H:].transpose(0, 2, 1))
        Wh_rzT = np.ascontiguousarray(Wh[..., :2 * H].transpose(0, 2, 1))
    for t_end, t_stop, inj_from in _chunks(T, tbptt):
        carry = np.zeros((M, N, H), dtype=dtype)
        carry_c = np.zeros((M, N, H), dtype=dtype) if cell == "lstm" else None
        for t in range(t_end, t_stop - 1, -1):
            dht = carry + dh[t] if (has_dh[t] and t >= inj_from) else carry
            dh_total[t] += dht
            if t in held:
                m = hold[t]
                keep = dht - m * dht  # the held part goes straight to h_{t-1}
                dht = m * dht
            if cell in ("rnn", "leaky"):
                dat = dht * fp[t]
                if da_extra is not None:
                    dat = dat + da_extra[t]
                da[t] += dat
                carry = np.matmul(dat, WhT)
                if al is not None:
                    carry = carry + al * dht
            elif cell == "lstm":
                gt = gates[t]
                if t in held:
                    keep_c = carry_c - m * carry_c
                    carry_c = m * carry_c
                dct = carry_c + dht * gt[..., 2 * H:3 * H] * dtc[t]
                dg = np.empty((M, N, GH), dtype=dtype)
                dg[..., :H] = dct * gt[..., 3 * H:]
                dg[..., H:2 * H] = dct * c_prev[t]
                dg[..., 2 * H:3 * H] = dht * cache.tanh_c[t]
                dg[..., 3 * H:] = dct * gt[..., :H]
                dat = dg * dact[t]
                if da_extra is not None:
                    dat = dat + da_extra[t]
                da[t] += dat
                carry = np.matmul(dat, WhT)
                carry_c = dct * gt[..., H:2 * H]
                if t in held:
                    carry_c = carry_c + keep_c
            else:  # gru
                hp = h_prev[t]
                dat = np.empty((M, N, GH), dtype=dtype)
                dan = dht * (1.0 - z[t]) * dn_da[t]
                drh = np.matmul(dan, Wh_nT)
                dat[..., :H] = drh * hp * drz[t, ..., :H]
                dat[..., H:2 * H] = dht * (hp - n[t]) * drz[t, ..., H:]
                dat[..., 2 * H:] = dan
                da[t] += dat
                carry = dht * z[t] + drh * r[t] + np.matmul(dat[..., :2 * H], Wh_rzT)
            if t in held:
                carry = carry + keep
    return _param_grads(cache, da, dh_total)


def _param_grads(cache: Cache, da, dh_total) -> Grads:
    """dWx = sum_t x_t^T da_t, dWh = sum_t h_{t-1}^T da_t, db = sum_t da_t, each as one matmul."""
    T, M, N, GH = da.shape
    H = cache.h.shape[-1]
    D = cache.x.shape[-1]
    da_m = da.transpose(1, 2, 0, 3).reshape(M, N * T, GH)  # (M, N*T, G*H), the order of x
    x_m = cache.x.reshape(M, N * T, D)
    dWx = np.matmul(x_m.transpose(0, 2, 1), da_m)
    hp = cache.h_prev.transpose(1, 2, 0, 3).reshape(M, N * T, H)
    if cache.spec.cell == "gru":
        r = cache.gates[..., :H].transpose(1, 2, 0, 3).reshape(M, N * T, H)
        dWh = np.concatenate([np.matmul(hp.transpose(0, 2, 1), da_m[..., :2 * H]),
                              np.matmul((r * hp).transpose(0, 2, 1), da_m[..., 2 * H:])], axis=2)
    else:
        dWh = np.matmul(hp.transpose(0, 2, 1), da_m)
    db = da_m.sum(axis=1)
    return Grads(dWx, dWh, db, dh_total, da)


def input_gradient(Wx, grads: Grads) -> np.ndarray:
    """dL/dx (M, N, T, D) = da_t Wx^T for every step."""
    da_m = grads.da.transpose(1, 2, 0, 3)  # (M, N, T, G*H)
    return np.matmul(da_m, Wx[:, None].transpose(0, 1, 3, 2))


def recurrent_block(cell: str, Wh: np.ndarray) -> np.ndarray:
    """The (M, H, H) block whose spectrum the progress reports: Wh itself for rnn / leaky,
    the candidate block (g for the LSTM, n for the GRU) for the gated cells."""
    H = Wh.shape[-2]
    if cell in ("rnn", "leaky"):
        return Wh
    return Wh[..., -H:]
