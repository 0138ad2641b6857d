"""Gradient clipping (seed 001, eq. 13; Pascanu, Mikolov & Bengio 2013, algorithm 1).

    clip by norm:   g <- threshold / ||g|| * g    if ||g|| >= threshold
    clip by value:  g_i <- min(max(g_i, -threshold), threshold)

g is the whole gradient: a list, tuple or dict of arrays (e.g. {"Wx": dWx, "Wh": dWh,
"b": db}) whose norm is the global one, sqrt(sum over every array of every entry^2), as
in Pascanu et al. Clipping by norm keeps the direction of g and only shortens it;
clipping by value can turn it. Pure functions: inputs are never mutated, the clipped
gradient is a new container of new arrays of the same kind and keys.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np


class Clipped(NamedTuple):
    """A clipped gradient (same container type as the input) and its global norm before / after."""

    grads: Any
    norm_before: float
    norm_after: float


def _arrays(grads) -> list[np.ndarray]:
    if isinstance(grads, dict):
        return [np.asarray(v, dtype=np.float64) for v in grads.values()]
    return [np.asarray(v, dtype=np.float64) for v in grads]


def _rebuild(grads, new_arrays):
    if isinstance(grads, dict):
        return dict(zip(grads.keys(), new_arrays, strict=True))
    if isinstance(grads, tuple):
        return tuple(new_arrays)
    return list(new_arrays)


def global_norm(grads) -> float:
    """||g|| = sqrt(sum_arrays sum_entries g^2), computed as m * ||g / m|| (m = max |g|) so a
    gradient with entries ~1e200 has a finite norm when one exists; inf/NaN entries give inf/NaN."""
    arrs = _arrays(grads)
    if not arrs or all(a.size == 0 for a in arrs):
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        m = max(float(np.max(np.abs(a))) if a.size else 0.0 for a in arrs)
        if m == 0.0:
            return 0.0
        if not np.isfinite(m):
            return float(m) if not any(np.isnan(a).any() for a in arrs) else float("nan")
        total = sum(float(np.sum((a / m) ** 2)) for a in arrs)
        return float(m * np.sqrt(total))


def clip_by_norm(grads, threshold: float) -> Clipped:
    """Eq. 13: g <- threshold / ||g|| * g if ||g|| >= threshold (global norm over all arrays).

    A non-finite norm cannot be rescaled meaningfully; such a gradient comes back unchanged
    (copied) with norm_after = norm_before, for the caller to mark as overflowed.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    arrs = _arrays(grads)
    norm = global_norm(arrs)
    if np.isfinite(norm) and norm >= threshold:
        scale = threshold / norm
        new = [a * scale for a in arrs]
        after = global_norm(new)
    else:
        new = [a.copy() for a in arrs]
        after = norm
    return Clipped(_rebuild(grads, new), norm, after)


def clip_by_value(grads, threshold: float) -> Clipped:
    """g_i <- clip(g_i, -threshold, threshold) for every entry of every array (NaN stays NaN)."""
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    arrs = _arrays(grads)
    new = [np.clip(a, -threshold, threshold) for a in arrs]
    return Clipped(_rebuild(grads, new), global_norm(arrs), global_norm(new))


def angle_degrees(grads_a, grads_b) -> float:
    """theta = arccos(<a, b> / (||a|| ||b||)) in degrees, over all arrays flattened together.

    0 means the same direction. NaN when either gradient is zero or not finite.
    """
    a = np.concatenate([x.ravel() for x in _arrays(grads_a)]) if _arrays(grads_a) else np.zeros(0)
    b = np.concatenate([x.ravel() for x in _arrays(grads_b)]) if _arrays(grads_b) else np.zeros(0)
    if a.shape != b.shape:
        raise ValueError(f"gradients differ in size: {a.shape} vs {b.shape}")
    na, nb = global_norm([a]), global_norm([b])
    if not (np.isfinite(na) and np.isfinite(nb)) or na == 0.0 or nb == 0.0:
        return float("nan")
    # normalise first so the dot product cannot overflow
    cos = float(np.dot(a / na, b / nb))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))
