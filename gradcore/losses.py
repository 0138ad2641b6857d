"""Per-step losses L_t and their gradients; the total is L = sum_t L_t (seed 001 eq. 4).

    softmax cross-entropy:  s_t = h_t Wy + by,  y_t = softmax(s_t),  L_t = -log y_t[target_t]
    squared error:          L_t = 1/2 ||out_t - target_t||^2

Shapes: h (N, T, H), Wy (H, V), by (V,), targets (N, T) integer class indices, out and its
target (N, T, V) (or (N, T) for one output per step), mask (N, T) of 0/1 (or weights).
``reduction``: "sum" (default) sums over the batch, as eq. 4 sums over time; "mean" divides
by N, as cs231n's temporal_softmax_loss does. Every reported number (L, L_t, total) is of the
loss whose gradient is returned, so they always agree.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["CrossEntropy", "SquaredError", "softmax", "log_softmax", "softmax_cross_entropy", "squared_error"]


class CrossEntropy(NamedTuple):
    """Softmax cross-entropy head: losses and every gradient of the total."""

    scores: np.ndarray  # (N, T, V) s_t = h_t Wy + by
    probs: np.ndarray  # (N, T, V) y_t = softmax(s_t)
    L: np.ndarray  # (N, T) per-sample per-step loss (masked, reduced)
    L_t: np.ndarray  # (T,) per-step loss summed over the batch
    total: float  # sum of L
    dscores: np.ndarray  # (N, T, V) dtotal/ds_t
    dh: np.ndarray  # (N, T, H) dtotal/dh_t (direct part only: the upstream dh of BPTT)
    dWy: np.ndarray  # (H, V)
    dby: np.ndarray  # (V,)


class SquaredError(NamedTuple):
    """Squared error on outputs: losses and the gradient of the total."""

    L: np.ndarray  # (N, T)
    L_t: np.ndarray  # (T,)
    total: float
    dout: np.ndarray  # same shape as out


def log_softmax(s: np.ndarray, axis: int = -1) -> np.ndarray:
    """log softmax(s) = s - logsumexp(s), with the max subtracted first so exp never overflows."""
    shifted = s - np.max(s, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(s: np.ndarray, axis: int = -1) -> np.ndarray:
    """softmax(s)_v = exp(s_v - max s) / sum_u exp(s_u - max s)."""
    return np.exp(log_softmax(s, axis=axis))


def _weights(mask, shape, reduction, dtype) -> np.ndarray:
    """Per-(n, t) weight w = mask / (N if reduction == "mean" else 1)."""
    N, T = shape
    w = np.ones((N, T), dtype=dtype) if mask is None else np.asarray(mask, dtype=dtype)
    if w.shape != (N, T):
        raise ValueError(f"mask must have shape {(N, T)}, got {w.shape}")
    if reduction == "mean":
        return w / N
    if reduction != "sum":
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    return w.copy()


def softmax_cross_entropy(h, Wy, by, targets, mask=None, reduction: str = "sum") -> CrossEntropy:
    """L_t = -log softmax(h_t Wy + by)[target_t]; dscores = w (y_t - onehot(target_t)).

    dh = dscores Wy^T, dWy = sum_{n,t} h_t^T dscores_t, dby = sum_{n,t} dscores_t.
    """
    N, T, H = h.shape
    targets = np.asarray(targets)
    if targets.shape != (N, T):
        raise ValueError(f"targets must have shape {(N, T)}, got {targets.shape}")
    scores = h @ Wy + by  # (N, T, V)
    V = scores.shape[-1]
    if np.any(targets < 0) or np.any(targets >= V):
        raise ValueError(f"targets must be class indices in [0, {V})")
    logp = log_softmax(scores)
    w = _weights(mask, (N, T), reduction, scores.dtype)
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]  # (N, T)
    L = w * nll
    probs = np.exp(logp)
    dscores = probs.copy()
    np.put_along_axis(
        dscores, targets[..., None], np.take_along_axis(dscores, targets[..., None], -1) - 1.0, -1
    )
    dscores *= w[..., None]
    dh = dscores @ Wy.T
    dWy = h.reshape(N * T, H).T @ dscores.reshape(N * T, V)
    dby = dscores.reshape(N * T, V).sum(axis=0)
    return CrossEntropy(scores, probs, L, L.sum(axis=0), float(L.sum()), dscores, dh, dWy, dby)


def squared_error(out, target, mask=None, reduction: str = "sum") -> SquaredError:
    """L_t = w/2 ||out_t - target_t||^2, dout = w (out_t - target_t); out (N, T, V) or (N, T)."""
    out = np.asarray(out)
    target = np.asarray(target)
    if out.shape != target.shape or out.ndim not in (2, 3):
        raise ValueError(f"out and target must share shape (N, T[, V]); got {out.shape} and {target.shape}")
    N, T = out.shape[:2]
    w = _weights(mask, (N, T), reduction, np.result_type(out, target, np.float64))
    diff = out - target
    sq = diff * diff if out.ndim == 2 else np.sum(diff * diff, axis=-1)
    L = 0.5 * w * sq
    dout = diff * (w if out.ndim == 2 else w[..., None])
    return SquaredError(L, L.sum(axis=0), float(L.sum()), dout)
