"""Optimisers as pure functions: (params, grads, state) -> (new_params, new_state).

    SGD:       p <- p - lr g
    momentum:  v <- mu v - lr g;  p <- p + v                    (Sutskever et al. 2013 form)
    Adam:      m <- b1 m + (1 - b1) g;  s <- b2 s + (1 - b2) g^2;
               p <- p - lr * (m / (1 - b1^k)) / (sqrt(s / (1 - b2^k)) + eps)   (Kingma & Ba 2015)

params and grads are dicts of arrays with the same keys; nothing passed in is changed.
Hyperparameters may be scalars or arrays of shape (M,): an array applies one value per
model along a leading model axis (batched ensembles, gradcore.train), broadcast over the
remaining axes of each parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "SGDState",
    "MomentumState",
    "AdamState",
    "sgd",
    "momentum",
    "adam",
    "init_state",
    "step",
    "OPTIMISERS",
]


def _b(h, p: np.ndarray):
    """A scalar hyperparameter as is; an (M,) array reshaped to broadcast over p (M, ...)."""
    if np.ndim(h) == 0:
        return h
    h = np.asarray(h, dtype=p.dtype)
    return h.reshape(h.shape + (1,) * (p.ndim - h.ndim))


class SGDState(NamedTuple):
    k: int  # steps taken


class MomentumState(NamedTuple):
    k: int
    v: dict  # velocity per parameter


class AdamState(NamedTuple):
    k: int
    m: dict  # first moment per parameter
    s: dict  # second moment per parameter


def sgd(
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    state: SGDState | None = None,
    *,
    lr=0.01,
) -> tuple[dict, SGDState]:
    """p <- p - lr g."""
    k = 0 if state is None else state.k
    return {n: p - _b(lr, p) * grads[n] for n, p in params.items()}, SGDState(k + 1)


def momentum(
    params, grads, state: MomentumState | None = None, *, lr=0.01, mu=0.9
) -> tuple[dict, MomentumState]:
    """v <- mu v - lr g;  p <- p + v (classical momentum)."""
    if state is None:
        state = MomentumState(0, {n: np.zeros_like(p) for n, p in params.items()})
    v = {n: _b(mu, p) * state.v[n] - _b(lr, p) * grads[n] for n, p in params.items()}
    return {n: p + v[n] for n, p in params.items()}, MomentumState(state.k + 1, v)


def adam(
    params, grads, state: AdamState | None = None, *, lr=1e-3, b1=0.9, b2=0.999, eps=1e-8
) -> tuple[dict, AdamState]:
    """Adam with bias correction: p <- p - lr m_hat / (sqrt(s_hat) + eps)."""
    if state is None:
        state = AdamState(
            0,
            {n: np.zeros_like(p) for n, p in params.items()},
            {n: np.zeros_like(p) for n, p in params.items()},
        )
    k = state.k + 1
    new_p, new_m, new_s = {}, {}, {}
    for n, p in params.items():
        g = grads[n]
        b1p, b2p = _b(b1, p), _b(b2, p)
        m = b1p * state.m[n] + (1 - b1p) * g
        s = b2p * state.s[n] + (1 - b2p) * (g * g)
        # fold both bias corrections into the step size: one scalar op instead of two arrays.
        # NB: computed in p's dtype: np.sqrt of a Python float is an np.float64 *scalar*, which
        # NumPy 2 does not demote, so float32 parameters silently became float64 after one step
        corr2 = np.sqrt(np.asarray(1 - b2p**k, dtype=p.dtype))
        corr1 = np.asarray(1 - b1p**k, dtype=p.dtype)
        step_size = _b(lr, p) * corr2 / corr1
        new_p[n] = p - step_size * m / (np.sqrt(s) + _b(eps, p) * corr2)
        new_m[n], new_s[n] = m, s
    return new_p, AdamState(k, new_m, new_s)


OPTIMISERS = {"sgd": sgd, "momentum": momentum, "adam": adam}


def init_state(name: str, params: Mapping[str, np.ndarray]) -> Any:
    """The zero state of optimiser `name` for these params."""
    if name == "sgd":
        return SGDState(0)
    if name == "momentum":
        return MomentumState(0, {n: np.zeros_like(p) for n, p in params.items()})
    if name == "adam":
        return AdamState(
            0,
            {n: np.zeros_like(p) for n, p in params.items()},
            {n: np.zeros_like(p) for n, p in params.items()},
        )
    raise ValueError(f"unknown optimiser {name!r}; expected one of {sorted(OPTIMISERS)}")


def step(name: str, params, grads, state, **hyper) -> tuple[dict, Any]:
    """Dispatch by name: OPTIMISERS[name](params, grads, state, **hyper)."""
    try:
        fn = OPTIMISERS[name]
    except KeyError:
        raise ValueError(f"unknown optimiser {name!r}; expected one of {sorted(OPTIMISERS)}") from None
    return fn(params, grads, state, **hyper)
