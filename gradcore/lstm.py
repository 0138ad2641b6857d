"""LSTM, seed 000's cell, gates i, f, o, g in that order.

    a_t = x_t Wx + h_{t-1} Wh + b                    (N, 4H), split into a_i, a_f, a_o, a_g
    i = sigma(a_i), f = sigma(a_f), o = sigma(a_o), g = tanh(a_g)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

Shapes: x (N, T, D), h0 (N, H), c0 (N, H) (zeros by default), Wx (D, 4H), Wh (H, 4H),
b (4H,), h (N, T, H).

Backward (the chain rule the article derives in its figures 9-11):
    dc_t   = dc_{t+1} f_{t+1} + dh_t o_t (1 - tanh^2 c_t)      # the cell path: times f
    da_i = dc_t g i(1-i),  da_f = dc_t c_{t-1} f(1-f),  da_g = dc_t i (1-g^2)
    da_o = dh_t tanh(c_t) o(1-o)
    dh_{t-1} += da_t Wh^T
NB: the seed's own code gets several of these wrong (../shared/seeds/README.md lists them):
its time loop runs step 0 twice, lstm_forward never fills its cache, dc_da reads an
undefined `dgrad`, its first example gives Wx shape (D, H) instead of (D, 4H), and its BPTT
loop computes dnext_h from the already-updated dnext_c before overwriting it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import fused
from gradcore.activations import sigmoid


class StepCache(NamedTuple):
    """What step_backward needs from one step."""

    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    prev_c: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    o: np.ndarray  # (N, H) output gate
    g: np.ndarray  # (N, H) candidate
    next_c: np.ndarray  # (N, H)
    tanh_c: np.ndarray  # (N, H) tanh(next_c)


class Cache(NamedTuple):
    """What backward needs from a whole sequence; gates and states for every step."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    c0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 4H)
    Wh: np.ndarray  # (H, 4H)
    b: np.ndarray  # (4H,)
    gates: np.ndarray  # (N, T, 4H) [i, f, o, g] after their nonlinearities
    c: np.ndarray  # (N, T, H) cell states c_t
    tanh_c: np.ndarray  # (N, T, H)
    h: np.ndarray  # (N, T, H)

    @property
    def i(self):
        return _gate(self.gates, 0)

    @property
    def f(self):
        return _gate(self.gates, 1)

    @property
    def o(self):
        return _gate(self.gates, 2)

    @property
    def g(self):
        return _gate(self.gates, 3)

    @property
    def c_prev(self):
        """(N, T, H) c_{t-1} for every t: c0 then c_1..c_{T-1}."""
        return np.concatenate([self.c0[:, None, :], self.c[:, :-1]], axis=1)

    @property
    def h_prev(self):
        """(N, T, H) h_{t-1} for every t: h0 then h_1..h_{T-1}."""
        return np.concatenate([self.h0[:, None, :], self.h[:, :-1]], axis=1)


class Backward(NamedTuple):
    """Every gradient of a sequence backward pass, including the per-step totals."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dc0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, 4H)
    dWh: np.ndarray  # (H, 4H)
    db: np.ndarray  # (4H,)
    dh_total: np.ndarray  # (N, T, H) dL/dh_t, all paths
    dc_total: np.ndarray  # (N, T, H) dL/dc_t, all paths
    da: np.ndarray  # (N, T, 4H) dL/da_t


def _gate(gates, k):
    H = gates.shape[-1] // 4
    return gates[..., k * H : (k + 1) * H]


def step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One LSTM step -> (next_h, next_c, StepCache)."""
    a = x @ Wx + prev_h @ Wh + b
    H = a.shape[1] // 4
    i, f, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), sigmoid(a[:, 2 * H : 3 * H])
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, StepCache(x, prev_h, prev_c, Wx, Wh, i, f, o, g, next_c, tanh_c)


def step_backward(dnext_h, dnext_c, cache: StepCache):
    """One step back -> (dx, dprev_h, dprev_c, dWx, dWh, db)."""
    i, f, o, g, tanh_c = cache.i, cache.f, cache.o, cache.g, cache.tanh_c
    dc = dnext_c + dnext_h * o * (1.0 - tanh_c**2)
    da = np.concatenate(
        [
            dc * g * i * (1 - i),
            dc * cache.prev_c * f * (1 - f),
            dnext_h * tanh_c * o * (1 - o),
            dc * i * (1 - g**2),
        ],
        axis=1,
    )
    return da @ cache.Wx.T, da @ cache.Wh.T, dc * f, cache.x.T @ da, cache.prev_h.T @ da, da.sum(axis=0)


def forward(x, h0, Wx, Wh, b, c0=None):
    """Run the LSTM over x (N, T, D) -> (h (N, T, H), Cache)."""
    N, T, D = x.shape
    H = h0.shape[1]
    dtype = np.result_type(x, h0, Wx, Wh, b)
    c0 = np.zeros((N, H), dtype=dtype) if c0 is None else c0
    # NB: sigma(a) = (1 + tanh(a/2)) / 2, so one tanh over all 4H columns gives every gate once
    # the i, f, o columns of the weights are halved (exactly: a product by 0.5): fewer NumPy calls per step.
    half = np.ones(4 * H, dtype=dtype)
    half[: 3 * H] = 0.5
    off = np.broadcast_to(np.where(half < 1, 0.5, 0.0).astype(dtype), (N, 4 * H)).copy()
    half_full = np.broadcast_to(half, (N, 4 * H)).copy()  # whole-slab operands: no per-row broadcast
    # Time-major storage so that each step reads and writes contiguous (N, .) blocks; every step's
    # input part in one matmul, and each step's gates then overwrite its slab of it.
    x_tm = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=dtype)  # (T, N, D)
    gates = (x_tm.reshape(T * N, D) @ (Wx * half)).reshape(T, N, 4 * H)
    gates += b * half
    Wh_s = Wh * half
    c = np.empty((T, N, H), dtype=dtype)
    tanh_c = np.empty((T, N, H), dtype=dtype)
    h = np.empty((T, N, H), dtype=dtype)
    rec = np.empty((N, 4 * H), dtype=dtype)
    ig = np.empty((N, H), dtype=dtype)
    prev_h, prev_c = h0, c0
    for t in range(T):
        gt = gates[t]
        np.matmul(prev_h, Wh_s, out=rec)
        gt += rec
        np.tanh(gt, out=gt)
        gt *= half_full
        gt += off
        ct = c[t]
        np.multiply(gt[:, H : 2 * H], prev_c, out=ct)  # f * c_{t-1}
        np.multiply(gt[:, :H], gt[:, 3 * H :], out=ig)
        ct += ig  # + i * g
        np.tanh(ct, out=tanh_c[t])
        np.multiply(gt[:, 2 * H : 3 * H], tanh_c[t], out=h[t])
        prev_h, prev_c = h[t], ct
    bt = lambda arr: arr.transpose(1, 0, 2)  # noqa: E731  (T, N, .) -> (N, T, .) view
    return bt(h), Cache(x, h0, c0, Wx, Wh, b, bt(gates), bt(c), bt(tanh_c), bt(h))


def backward_all(dh, cache: Cache, dc=None) -> Backward:
    """BPTT for upstream dh (N, T, H) = dL/dh_t and optional dc (N, T, H) = direct dL/dc_t."""
    N, T, H = dh.shape
    dtype = cache.gates.dtype
    tm = lambda arr: arr.transpose(1, 0, 2)  # noqa: E731  (N, T, .) <-> (T, N, .) view
    gates, c, tanh_c, h = tm(cache.gates), tm(cache.c), tm(cache.tanh_c), tm(cache.h)
    f = gates[..., H : 2 * H]
    dh_tm, dc_tm = tm(dh), None if dc is None else tm(dc)
    da = np.empty((T, N, 4 * H), dtype=dtype)
    dh_total = np.empty((T, N, H), dtype=dtype)
    dc_total = np.empty((T, N, H), dtype=dtype)
    carry_h = np.zeros((N, H), dtype=dtype)
    carry_c = np.zeros((N, H), dtype=dtype)
    WhT = np.ascontiguousarray(cache.Wh.T)
    scratch = fused.lstm_scratch((N, 4 * H), dtype)
    # the local chain rule of each step (module docstring) in gradcore.fused, on that step's slab
    for t in range(T - 1, -1, -1):
        dht = dh_total[t]
        np.add(dh_tm[t], carry_h, out=dht)
        if dc_tm is not None:
            carry_c = carry_c + dc_tm[t]
        c_prev = c[t - 1] if t > 0 else cache.c0
        dct = fused.lstm_step_back(dht, carry_c, gates[t], c_prev, tanh_c[t], h[t], da[t], scratch)
        dc_total[t] = dct
        carry_c = dct * f[t]
        carry_h = da[t] @ WhT
    D = cache.x.shape[2]
    da2 = da.reshape(T * N, 4 * H)
    dWx = tm(cache.x).reshape(T * N, D).T @ da2
    dWh = tm(cache.h_prev).reshape(T * N, H).T @ da2
    da = tm(da)
    dx = da @ cache.Wx.T
    return Backward(dx, carry_h, carry_c, dWx, dWh, da2.sum(axis=0), tm(dh_total), tm(dc_total), da)


def backward(dh, cache: Cache):
    """BPTT -> (dx, dh0, dWx, dWh, db), the cs231n signature (dc0 is in backward_all)."""
    g = backward_all(dh, cache)
    return g.dx, g.dh0, g.dWx, g.dWh, g.db
