"""GRU of Cho et al. (2014), "Learning phrase representations using RNN encoder-decoder".

Gates r (reset), z (update), candidate n, in that order in the weight columns:

    r_t = sigma(x_t Wx_r + h_{t-1} Wh_r + b_r)
    z_t = sigma(x_t Wx_z + h_{t-1} Wh_z + b_z)
    n_t = tanh(x_t Wx_n + (r_t * h_{t-1}) Wh_n + b_n)
    h_t = z_t * h_{t-1} + (1 - z_t) * n_t

Shapes: x (N, T, D), h0 (N, H), Wx (D, 3H), Wh (H, 3H), b (3H,), h (N, T, H).
NB: this is Cho's form, with the reset gate applied before the recurrent matmul and one
bias per gate. PyTorch's nn.GRU applies r after the matmul, r * (h Wh_n + b_hn), and writes
h_t = (1 - z) n + z h with the same meaning of z; the two are different cells.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore.activations import sigmoid


class StepCache(NamedTuple):
    """What step_backward needs from one step."""

    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    r: np.ndarray  # (N, H)
    z: np.ndarray  # (N, H)
    n: np.ndarray  # (N, H)
    next_h: np.ndarray  # (N, H)


class Cache(NamedTuple):
    """What backward needs from a whole sequence."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, 3H)
    Wh: np.ndarray  # (H, 3H)
    b: np.ndarray  # (3H,)
    r: np.ndarray  # (N, T, H)
    z: np.ndarray  # (N, T, H)
    n: np.ndarray  # (N, T, H)
    h: np.ndarray  # (N, T, H)

    @property
    def h_prev(self):
        """(N, T, H) h_{t-1} for every t."""
        return np.concatenate([self.h0[:, None, :], self.h[:, :-1]], axis=1)


class Backward(NamedTuple):
    """Every gradient of a sequence backward pass, including the per-step totals."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, 3H)
    dWh: np.ndarray  # (H, 3H)
    db: np.ndarray  # (3H,)
    dh_total: np.ndarray  # (N, T, H) dL/dh_t, all paths
    da: np.ndarray  # (N, T, 3H) dL/d(pre-activations of r, z, n)


def step_forward(x, prev_h, Wx, Wh, b):
    """One GRU step -> (next_h, StepCache)."""
    H = prev_h.shape[1]
    xa = x @ Wx + b
    rz = sigmoid(xa[:, : 2 * H] + prev_h @ Wh[:, : 2 * H])
    r, z = rz[:, :H], rz[:, H:]
    n = np.tanh(xa[:, 2 * H :] + (r * prev_h) @ Wh[:, 2 * H :])
    next_h = z * prev_h + (1.0 - z) * n
    return next_h, StepCache(x, prev_h, Wx, Wh, r, z, n, next_h)


def _step_back(dh, prev_h, r, z, n, Wh):
    """Local chain rule of one step -> (da (N, 3H), dprev_h)."""
    H = prev_h.shape[1]
    da_n = dh * (1.0 - z) * (1.0 - n * n)
    drh = da_n @ Wh[:, 2 * H :].T  # dL/d(r * h_{t-1})
    da_r = drh * prev_h * r * (1.0 - r)
    da_z = dh * (prev_h - n) * z * (1.0 - z)
    da = np.concatenate([da_r, da_z, da_n], axis=1)
    dprev_h = dh * z + drh * r + da[:, : 2 * H] @ Wh[:, : 2 * H].T
    return da, dprev_h


def step_backward(dnext_h, cache: StepCache):
    """One step back -> (dx, dprev_h, dWx, dWh, db)."""
    H = cache.prev_h.shape[1]
    da, dprev_h = _step_back(dnext_h, cache.prev_h, cache.r, cache.z, cache.n, cache.Wh)
    dWh = np.concatenate(
        [cache.prev_h.T @ da[:, : 2 * H], (cache.r * cache.prev_h).T @ da[:, 2 * H :]], axis=1
    )
    return da @ cache.Wx.T, dprev_h, cache.x.T @ da, dWh, da.sum(axis=0)


def forward(x, h0, Wx, Wh, b):
    """Run the GRU over x (N, T, D) -> (h (N, T, H), Cache)."""
    N, T, _ = x.shape
    H = h0.shape[1]
    dtype = np.result_type(x, h0, Wx, Wh, b)
    xa = x @ Wx + b  # (N, T, 3H)
    r, z, n, h = (np.empty((N, T, H), dtype=dtype) for _ in range(4))
    Wh_rz, Wh_n = Wh[:, : 2 * H], Wh[:, 2 * H :]
    prev_h = h0
    for t in range(T):
        rz = sigmoid(xa[:, t, : 2 * H] + prev_h @ Wh_rz)
        r[:, t], z[:, t] = rz[:, :H], rz[:, H:]
        n[:, t] = np.tanh(xa[:, t, 2 * H :] + (r[:, t] * prev_h) @ Wh_n)
        h[:, t] = n[:, t] + z[:, t] * (prev_h - n[:, t])
        prev_h = h[:, t]
    return h, Cache(x, h0, Wx, Wh, b, r, z, n, h)


def backward_all(dh, cache: Cache) -> Backward:
    """BPTT for upstream dh (N, T, H) = dL/dh_t."""
    N, T, H = dh.shape
    h_prev = cache.h_prev
    da = np.empty((N, T, 3 * H), dtype=cache.h.dtype)
    dh_total = np.empty_like(cache.h)
    carry = np.zeros((N, H), dtype=cache.h.dtype)
    for t in range(T - 1, -1, -1):
        dh_total[:, t] = dh[:, t] + carry
        da[:, t], carry = _step_back(
            dh_total[:, t], h_prev[:, t], cache.r[:, t], cache.z[:, t], cache.n[:, t], cache.Wh
        )
    D = cache.x.shape[2]
    da2 = da.reshape(N * T, 3 * H)
    dWx = cache.x.reshape(N * T, D).T @ da2
    dWh = np.concatenate(
        [
            h_prev.reshape(N * T, H).T @ da2[:, : 2 * H],
            (cache.r * h_prev).reshape(N * T, H).T @ da2[:, 2 * H :],
        ],
        axis=1,
    )
    return Backward(da @ cache.Wx.T, carry, dWx, dWh, da2.sum(axis=0), dh_total, da)


def backward(dh, cache: Cache):
    """BPTT -> (dx, dh0, dWx, dWh, db), the cs231n signature."""
    g = backward_all(dh, cache)
    return g.dx, g.dh0, g.dWx, g.dWh, g.db
