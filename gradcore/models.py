"""Fused, batched recurrent networks for training: M models x N sequences in one pass.

The cells are the ones of gradcore.rnn / lstm / gru (same equations, same gate order, same
row-vector convention a_t = x_t Wx + h_{t-1} Wh + b), plus the leaky-integrator RNN of
seed 001 eq. 14:

    h_t = alpha * h_{t-1} + (1 - alpha) * f(x_t Wx + h_{t-1} Wh + b)      (per-unit alpha)

NB: unlike the teaching cells, these carry a leading model axis M on every parameter
(Wx (M, D, G*H), Wh (M, H, G*H), b (M, G*H)), so an ensemble of M models (seeds or settings
of the same shape) runs as one computation; one model is M = 1. Inputs are batch-first
(M, N, T, D); states and gradients are stored (M, T, N, .) so that (time, batch) flattens
without a copy: the input projection x Wx and the weight gradients are one matmul over all
steps, and only h_{t-1} Wh and the elementwise gate maths run inside the Python time loop,
written in place (out=) to keep the per-step overhead low.

Left padding: where step_mask is False a model holds its state (h_t = h_{t-1}, c_t = c_{t-1}),
so a left-padded shorter sequence gives exactly the shorter sequence's result (the mask is
binary; the backward pass relies on m^2 = m).

backward(...) accepts upstream gradients dh = dL/dh_t (the loss's direct part) and optional extra gradients at the pre-activations (da_extra, used by the Omega
regulariser), and optionally truncates BPTT to Williams & Peng's BPTT(k1, k2).
dh (M, T, N, H) is the loss's direct dL/dh_t.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from gradcore import fused
from gradcore.activations import sigmoid

__all__ = [
    "CELLS",
    "GATES",
    "Cache",
    "Grads",
    "forward",
    "backward",
    "d2f",
    "dfa",
    "recurrent_block",
    "tbptt_chunks",
]

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
    forget: bool = True  # lstm only: False is Hochreiter & Schmidhuber's 1997 cell, f_t = 1 (no forget gate)

    def __post_init__(self):
        if self.cell not in CELLS:
            raise ValueError(f"unknown cell {self.cell!r}; expected one of {CELLS}")
        if self.activation not in _F:
            raise ValueError(f"unknown activation {self.activation!r}; expected one of {sorted(_F)}")
        if not self.forget and self.cell != "lstm":
            raise ValueError("forget=False (the 1997 LSTM without a forget gate) is an lstm option")


class Cache(NamedTuple):
    """Everything backward needs; arrays (M, T, N, .): model, time, batch, features (views
    of time-major storage, see forward)."""

    spec: Spec
    x_tm: np.ndarray  # (M, T, N, D) the inputs, time before batch
    Wh: np.ndarray  # (M, H, G*H)
    alpha: np.ndarray | None  # (M, 1, H) leaky only
    hbuf: np.ndarray  # (M, T+1, N, H): h_0 = 0, then h_1..h_T
    a: np.ndarray | None  # (M, T, N, H) rnn/leaky pre-activations
    fa: np.ndarray | None  # (M, T, N, H) rnn/leaky f(a)
    gates: np.ndarray | None  # (M, T, N, G*H) lstm [i f o g] / gru [r z n], after nonlinearity
    cbuf: np.ndarray | None  # (M, T+1, N, H) lstm cell states, c_0 = 0 first
    tanh_c: np.ndarray | None  # (M, T, N, H)
    hold: np.ndarray | None  # (M, T, N, 1) 1.0 at real steps, 0.0 where the state is held

    @property
    def h(self) -> np.ndarray:
        """(M, T, N, H) h_t for t = 1..T (a view)."""
        return self.hbuf[:, 1:]

    @property
    def h_prev(self) -> np.ndarray:
        """(M, T, N, H) h_{t-1} for every t (a view; h_0 = 0)."""
        return self.hbuf[:, :-1]


class Grads(NamedTuple):
    """Parameter gradients (model axis first) and the per-step totals."""

    dWx: np.ndarray  # (M, D, G*H)
    dWh: np.ndarray  # (M, H, G*H)
    db: np.ndarray  # (M, G*H)
    dh_total: np.ndarray  # (M, T, N, H) dL/dh_t along every path (within the truncation), a view
    da: np.ndarray  # (M, T, N, G*H) dL/da_t, a view


def _hold_array(step_mask, dtype):
    """(M, T, N, 1) float mask from step_mask (M, N, T), or None when every step is real."""
    if step_mask is None or bool(np.all(step_mask)):
        return None
    return np.ascontiguousarray(step_mask.transpose(0, 2, 1)[..., None].astype(dtype))


def _held_steps(hold) -> set:
    """Steps where some sequence holds its state (one vectorised test, not T of them)."""
    if hold is None:
        return set()
    return set(np.flatnonzero(~np.all(hold > 0, axis=(0, 2, 3))).tolist())


def _blend(new, old, m):
    """new <- old + m (new - old) in place: keep the old state where m = 0."""
    new -= old
    new *= m
    new += old


def forward(spec: Spec, Wx, Wh, b, x, step_mask=None, alpha=None, store=True):
    """Run M models over x (M, N, T, D) -> (h (M, T, N, H), Cache or None).

    a_t = x_t Wx + h_{t-1} Wh + b, then the cell's update; h_0 = c_0 = 0.
    store=False keeps only h (evaluation).
    """
    M, N, T, D = x.shape
    GH, H = Wh.shape[2], Wh.shape[1]
    dtype = Wh.dtype
    x_tm = np.ascontiguousarray(x.transpose(0, 2, 1, 3), dtype=dtype)  # (M, T, N, D)
    if spec.cell == "lstm":
        # sigma(a) = 0.5 + 0.5 tanh(a / 2): the a / 2 of the sigmoid gates folded into the weights
        # once (a product by 0.5 is exact, so this is bit for bit (x Wx + b) / 2)
        sc = np.full(GH, 0.5, dtype=dtype)
        sc[3 * H :] = 1.0
        Wx, b = Wx * sc, b * sc
    xa = _input_projection(x_tm, Wx, b)  # (T, M, N, G*H)
    hold = _hold_array(step_mask, dtype)
    held = _held_steps(hold)
    if hold is not None:
        hold = np.ascontiguousarray(hold.transpose(1, 0, 2, 3))
    hbuf = np.zeros((T + 1, M, N, H), dtype=dtype)
    h = hbuf[0]
    tmp = np.empty((M, N, GH), dtype=dtype)
    cell = spec.cell
    a_s = fa_s = gates_s = cbuf = tc_s = None
    al = None
    if cell in ("rnn", "leaky"):
        f = _F[spec.activation]
        if cell == "leaky":
            al = np.asarray(alpha, dtype=dtype).reshape(M, 1, H)
            one_m_al = 1.0 - al
        a_s = np.empty((T, M, N, H), dtype=dtype) if store else None
        fa_s = np.empty((T, M, N, H), dtype=dtype) if store else None
        tanh_out = spec.activation == "tanh" and store  # write f(a) in place: one call fewer per step
        for t in range(T):
            a = a_s[t] if store else tmp
            np.matmul(h, Wh, out=tmp)
            np.add(tmp, xa[t], out=a)
            if tanh_out:
                fa = np.tanh(a, out=fa_s[t])
            else:
                fa = f(a)
                if store:
                    fa_s[t] = fa
            hn = hbuf[t + 1]
            if al is None:
                hn[...] = fa
            else:
                np.multiply(al, h, out=hn)
                hn += one_m_al * fa
            if t in held:
                _blend(hn, h, hold[t])
            h = hn
    elif cell == "lstm":
        # one tanh over all four gates, then a scale and shift turns i, f, o into sigmoids
        off = np.full(GH, 0.5, dtype=dtype)
        off[3 * H :] = 0.0
        # NB: scale and shift as whole (M, N, 4H) slabs: a (4H,) row broadcast down the batch
        # runs NumPy's inner loop once per row, twice as slow at these sizes
        sc_full = np.broadcast_to(sc, (M, N, GH)).copy()
        off_full = np.broadcast_to(off, (M, N, GH)).copy()
        # NB: each step's gates overwrite its input projection in xa: one (T, M, N, 4H) array, not two
        gates_s = xa if store else None
        cbuf = np.zeros((T + 1, M, N, H), dtype=dtype)
        tc_s = np.empty((T, M, N, H), dtype=dtype) if store else None
        tc_scratch = np.empty((M, N, H), dtype=dtype)
        ig = np.empty((M, N, H), dtype=dtype)
        c = cbuf[0]
        Wh_s = Wh * sc
        for t in range(T):
            np.matmul(h, Wh_s, out=tmp)
            gt = xa[t]
            gt += tmp
            np.tanh(gt, out=gt)
            gt *= sc_full
            gt += off_full
            if not spec.forget:
                # NB: f_t = 1 exactly; backward then needs nothing new: the f block's derivative f (1 - f) is 0
                # (so its weights get zero gradients and stay put) and the cell path carries dc unchanged
                gt[..., H : 2 * H] = 1.0
            cn = cbuf[t + 1]
            np.multiply(gt[..., H : 2 * H], c, out=cn)
            np.multiply(gt[..., :H], gt[..., 3 * H :], out=ig)
            cn += ig
            if t in held:
                _blend(cn, c, hold[t])
            tc = tc_s[t] if store else tc_scratch
            np.tanh(cn, out=tc)
            hn = hbuf[t + 1]
            np.multiply(gt[..., 2 * H : 3 * H], tc, out=hn)
            if t in held:
                _blend(hn, h, hold[t])
            h, c = hn, cn
        if not store:
            cbuf = None
    else:  # gru
        Wh_rz, Wh_n = Wh[..., : 2 * H], Wh[..., 2 * H :]
        gates_s = np.empty((T, M, N, GH), dtype=dtype) if store else None
        gt_scratch = np.empty((M, N, GH), dtype=dtype)
        rz_in = np.empty((M, N, 2 * H), dtype=dtype)
        n_in = np.empty((M, N, H), dtype=dtype)
        for t in range(T):
            gt = gates_s[t] if store else gt_scratch
            np.matmul(h, Wh_rz, out=rz_in)
            rz_in += xa[t, ..., : 2 * H]
            rz_in *= 0.5
            rz = gt[..., : 2 * H]
            np.tanh(rz_in, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z = rz[..., :H], rz[..., H:]
            np.matmul(r * h, Wh_n, out=n_in)
            n_in += xa[t, ..., 2 * H :]
            n = gt[..., 2 * H :]
            np.tanh(n_in, out=n)
            hn = hbuf[t + 1]
            np.subtract(h, n, out=hn)
            hn *= z
            hn += n
            if t in held:
                _blend(hn, h, hold[t])
            h = hn

    def mt(a):  # (T, M, N, .) storage -> (M, T, N, .) view
        return None if a is None else a.swapaxes(0, 1)

    hs = mt(hbuf)[:, 1:]
    if not store:
        return hs, None
    return hs, Cache(
        spec, x_tm, Wh, al, mt(hbuf), mt(a_s), mt(fa_s), mt(gates_s), mt(cbuf), mt(tc_s), mt(hold)
    )


def _input_projection(x_tm, Wx, b) -> np.ndarray:
    """x_t Wx + b for every step and model -> (T, M, N, G*H), time-major.

    NB: stored time-major so every step's slab (M, N, .) is one contiguous block for any M; the
    Cache shows the arrays as (M, T, N, .) views. One matmul per model over all its T*N rows
    (for M = 1 straight into place), not a copy of an (M, T, N, .) result.
    """
    M, T, N, D = x_tm.shape
    GH = Wx.shape[-1]
    if M == 1:
        xa = np.matmul(x_tm[0].reshape(T * N, D), Wx[0]).reshape(T, 1, N, GH)
    else:
        xa = np.empty((T, M, N, GH), dtype=Wx.dtype)
        for m in range(M):
            xa[:, m] = np.matmul(x_tm[m].reshape(T * N, D), Wx[m]).reshape(T, N, GH)
    xa += b[:, None, :]
    return xa


def tbptt_chunks(T: int, tbptt):
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


def backward(cache: Cache, dh, da_extra=None, tbptt=None, xi=None) -> Grads:
    """BPTT of M models: dh (M, T, N, H) = direct dL/dh_t -> Grads.

    da_extra (M, T, N, G*H), if given, is added to dL/da_t at every step and travels back
    with the rest. tbptt=(k1, k2) truncates: a loss at step t in the chunk ending at tau
    reaches back only to step tau - k2 + 1 (k2 >= T is full BPTT).
    xi (M, T), if given, multiplies everything that flows from step t back to step t - 1
    (randomised truncation, Tallec & Ollivier 2017 / d2l sec. 9.7: xi_t in {0, 1/pi} keeps
    the gradient unbiased while cutting most long paths).
    """
    spec, Wh = cache.spec, cache.Wh
    if da_extra is not None and spec.cell == "gru":
        raise ValueError("da_extra is supported for rnn, leaky and lstm cells")
    M, T, N, H = cache.hbuf.shape[0], cache.hbuf.shape[1] - 1, cache.hbuf.shape[2], cache.hbuf.shape[3]
    GH = Wh.shape[2]
    dtype = Wh.dtype
    WhT = np.ascontiguousarray(Wh.transpose(0, 2, 1))  # (M, G*H, H)

    def tmv(a):  # (M, T, N, .) view -> the (T, M, N, .) storage behind it
        return None if a is None else a.swapaxes(0, 1)

    held = _held_steps(cache.hold)
    hold = tmv(cache.hold)
    dh = tmv(dh)
    da_extra = tmv(da_extra)
    chunks = tbptt_chunks(T, tbptt)
    single = len(chunks) == 1
    da = (np.empty if single else np.zeros)((T, M, N, GH), dtype=dtype)
    dh_total = (np.empty if single else np.zeros)((T, M, N, H), dtype=dtype)
    has_dh = set(np.flatnonzero(np.any(dh, axis=(1, 2, 3))).tolist())
    cell = spec.cell
    al = cache.alpha
    if cell in ("rnn", "leaky"):
        fp = dfa(spec.activation, tmv(cache.a), tmv(cache.fa))  # (T, M, N, H) f'(a_t), all steps at once
        if al is not None:
            fp *= 1.0 - al
    elif cell == "lstm":
        # NB: each step's local derivatives are computed inside the loop on that step's (M, N, .) slab,
        # not for all steps at once before it: whole-sequence temporaries are megabytes that stream
        # through memory (and are page-faulted in fresh on every call); a slab stays in cache.
        gates_tm, tc_tm, c_tm, h_tm = tmv(cache.gates), tmv(cache.tanh_c), tmv(cache.cbuf), tmv(cache.hbuf)
        f = gates_tm[..., H : 2 * H]
        scratch = fused.lstm_scratch((M, N, GH), dtype)
    else:
        gt = tmv(cache.gates)
        hp_all = tmv(cache.h_prev)
        r, z, n = gt[..., :H], gt[..., H : 2 * H], gt[..., 2 * H :]
        Pn = (1.0 - z) * (1.0 - n * n)  # da_n = dh Pn
        Pz = (hp_all - n) * z * (1.0 - z)  # da_z = dh Pz
        Pr = hp_all * r * (1.0 - r)  # da_r = d(r h) Pr
        Wh_nT = np.ascontiguousarray(Wh[..., 2 * H :].transpose(0, 2, 1))
        Wh_rzT = np.ascontiguousarray(Wh[..., : 2 * H].transpose(0, 2, 1))
    scratch_a = np.empty((M, N, GH), dtype=dtype)
    xi_b = None if xi is None else np.asarray(xi, dtype=dtype).T.reshape(T, M, 1, 1)
    for t_end, t_stop, inj_from in chunks:
        carry = np.zeros((M, N, H), dtype=dtype)
        carry_c = np.zeros((M, N, H), dtype=dtype) if cell == "lstm" else None
        for t in range(t_end, t_stop - 1, -1):
            dht = carry + dh[t] if (t in has_dh and t >= inj_from) else carry
            if single:
                dh_total[t] = dht
            else:
                dh_total[t] += dht
            if t in held:
                m = hold[t]
                keep = dht - m * dht  # the held part goes straight to h_{t-1}
                dht = m * dht
            dat = da[t] if single else scratch_a
            if cell in ("rnn", "leaky"):
                np.multiply(dht, fp[t], out=dat)
                if da_extra is not None:
                    dat += da_extra[t]
                carry = np.matmul(dat, WhT)
                if al is not None:
                    carry += al * dht
            elif cell == "lstm":
                if t in held:
                    keep_c = carry_c - m * carry_c
                    carry_c = m * carry_c
                dct = fused.lstm_step_back(
                    dht,
                    carry_c,
                    gates_tm[t],
                    c_tm[t],
                    tc_tm[t],
                    None if t in held else h_tm[t + 1],
                    dat,
                    scratch,
                )
                if da_extra is not None:
                    dat += da_extra[t]
                carry = np.matmul(dat, WhT)
                carry_c = dct * f[t]
                if t in held:
                    carry_c += keep_c
            else:  # gru
                dan = dat[..., 2 * H :]
                np.multiply(dht, Pn[t], out=dan)
                drh = np.matmul(dan, Wh_nT)
                np.multiply(drh, Pr[t], out=dat[..., :H])
                np.multiply(dht, Pz[t], out=dat[..., H : 2 * H])
                carry = np.matmul(dat[..., : 2 * H], Wh_rzT)
                carry += dht * z[t]
                carry += drh * r[t]
            if t in held:
                carry += keep
            if xi is not None:
                x_t = xi_b[t]
                carry *= x_t
                if carry_c is not None:
                    carry_c = carry_c * x_t
            if not single:
                da[t] += dat
    return _param_grads(cache, da.swapaxes(0, 1), dh_total.swapaxes(0, 1))


def _param_grads(cache: Cache, da, dh_total) -> Grads:
    """dWx = sum_t x_t^T da_t, dWh = sum_t h_{t-1}^T da_t, db = sum_t da_t, each one matmul."""
    M, T, N, GH = da.shape
    H = cache.hbuf.shape[-1]
    D = cache.x_tm.shape[-1]
    da_m = da.reshape(M, T * N, GH)  # free for M = 1; one copy per array for an ensemble
    dWx = np.matmul(cache.x_tm.reshape(M, T * N, D).transpose(0, 2, 1), da_m)
    hp = cache.h_prev.reshape(M, T * N, H)
    if cache.spec.cell == "gru":
        r = cache.gates[..., :H].reshape(M, T * N, H)
        dWh = np.concatenate(
            [
                np.matmul(hp.transpose(0, 2, 1), da_m[..., : 2 * H]),
                np.matmul((r * hp).transpose(0, 2, 1), da_m[..., 2 * H :]),
            ],
            axis=2,
        )
    else:
        dWh = np.matmul(hp.transpose(0, 2, 1), da_m)
    db = da_m.sum(axis=1)
    return Grads(dWx, dWh, db, dh_total, da)


def input_gradient(Wx, grads: Grads) -> np.ndarray:
    """dL/dx (M, N, T, D) = da_t Wx^T for every step."""
    dx = np.matmul(grads.da, Wx[:, None].transpose(0, 1, 3, 2))  # (M, T, N, D)
    return dx.transpose(0, 2, 1, 3)


def recurrent_block(cell: str, Wh: np.ndarray) -> np.ndarray:
    """The (M, H, H) block whose spectrum the progress reports: Wh itself for rnn / leaky,
    the candidate block (g for the LSTM, n for the GRU) for the gated cells."""
    H = Wh.shape[-2]
    if cell in ("rnn", "leaky"):
        return Wh
    return Wh[..., -H:]
