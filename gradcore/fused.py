"""Per-step kernels shared by the LSTM teaching cell (gradcore.lstm) and the training engine
(gradcore.models): the fewest NumPy calls per time step, each on one step's contiguous slab,
written into buffers the caller owns (out=), so the Python time loop pays little per step.

NB: a whole-sequence alternative (every step's local derivatives at once, before the loop) is
fewer calls but slower here: its (T, N, 4H) temporaries are megabytes that stream through
memory and are page-faulted in fresh on every call, while one step's slab stays in cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["LSTMScratch", "lstm_scratch", "lstm_step_back"]


class LSTMScratch(NamedTuple):
    """Buffers of one backward sweep, reused at every step (shapes for gates (..., N, 4H))."""

    D: np.ndarray  # (..., N, 4H) the gates' derivatives
    X: np.ndarray  # (..., N, 4H) what multiplies them
    K: np.ndarray  # (..., N, H) dh_t/dc_t = o (1 - tanh^2 c_t)
    dc: np.ndarray  # (..., N, H) dL/dc_t
    A: np.ndarray  # (..., N, 4H) 0 at i, f, o and 1 at g: D = (A + G)(1 - G)


def lstm_scratch(gate_shape, dtype) -> LSTMScratch:
    """Scratch for lstm_step_back on gates of shape gate_shape (..., N, 4H)."""
    H = gate_shape[-1] // 4
    A = np.zeros(gate_shape, dtype=dtype)
    A[..., 3 * H :] = 1.0
    small = gate_shape[:-1] + (H,)
    return LSTMScratch(
        np.empty(gate_shape, dtype),
        np.empty(gate_shape, dtype),
        np.empty(small, dtype),
        np.empty(small, dtype),
        A,
    )


def lstm_step_back(dh, carry_c, G, c_prev, tc, h, da, s: LSTMScratch):
    """One LSTM step back: dL/da_t into da (..., N, 4H); returns dc = dL/dc_t (the buffer s.dc).

    dc = dh o (1 - tanh^2 c_t) + carry_c, and, gate by gate (i, f, o, g),
    da = [dc g, dc c_{t-1}, dh tanh c_t, dc i] * [i (1 - i), f (1 - f), o (1 - o), (1 + g)(1 - g)].
    G (..., N, 4H) the gates after their nonlinearities; h = o tanh c_t where the step was not held
    (None: computed here).
    """
    H = c_prev.shape[-1]
    i, o, g = G[..., :H], G[..., 2 * H : 3 * H], G[..., 3 * H :]
    D, X, K, dc = s.D, s.X, s.K, s.dc
    # every derivative in three calls on whole slabs: sigma' = s (1 - s), tanh' = (1 + g)(1 - g)
    np.subtract(1.0, G, out=X)
    np.add(s.A, G, out=D)
    D *= X
    if h is None:
        np.multiply(o, tc, out=K)
        K *= tc
    else:
        np.multiply(h, tc, out=K)
    np.subtract(o, K, out=K)  # o - o tanh^2 c
    np.multiply(dh, K, out=dc)
    dc += carry_c
    np.multiply(dc, g, out=X[..., :H])
    np.multiply(dc, c_prev, out=X[..., H : 2 * H])
    np.multiply(dh, tc, out=X[..., 2 * H : 3 * H])
    np.multiply(dc, i, out=X[..., 3 * H :])
    np.multiply(X, D, out=da)
    return dc
