"""Centred finite differences: the check behind every backward pass in this project.

    dfn/dA[j] ~ (fn(A + eps e_j) - fn(A - eps e_j)) / (2 eps),   error O(eps^2)

NB: the function receives every array explicitly, fn(**arrays), and the checker perturbs a
copy, so a lambda that ignores its argument (and only works because the checker mutates a
shared array in place) cannot pass here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np


def numerical_gradient(
    fn: Callable[..., float], arrays: Mapping[str, np.ndarray], name: str, eps: float = 1e-6, index=None
) -> np.ndarray:
    """Centred-difference gradient of fn(**arrays) with respect to arrays[name].

    `index`, if given, is an iterable of multi-indices to check (the rest stay NaN), so a
    large array can be spot-checked on a slice.
    """
    base = {k: np.array(v, dtype=np.float64, copy=True) for k, v in arrays.items()}
    target = base[name]
    grad = np.full(target.shape, np.nan) if index is not None else np.zeros(target.shape)
    for ix in np.ndindex(target.shape) if index is None else index:
        old = target[ix]
        target[ix] = old + eps
        f_plus = float(fn(**base))
        target[ix] = old - eps
        f_minus = float(fn(**base))
        target[ix] = old
        grad[ix] = (f_plus - f_minus) / (2.0 * eps)
    return grad


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a||, ||b||) over the finite entries (0 when both are zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    scale = max(np.linalg.norm(a), np.linalg.norm(b))
    return 0.0 if scale == 0.0 else float(np.linalg.norm(a - b) / scale)


def check(
    fn: Callable[..., float],
    arrays: Mapping[str, np.ndarray],
    analytic: Mapping[str, np.ndarray],
    eps: float = 1e-6,
) -> dict[str, float]:
    """Relative error of each analytic gradient in `analytic` against centred differences."""
    return {name: rel_error(g, numerical_gradient(fn, arrays, name, eps)) for name, g in analytic.items()}
