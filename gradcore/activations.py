"""Activations of the vanilla RNN, each with its derivative and its bound gamma_h.

Seed 001 eq. 10-11: ||diag f'(a)|| <= gamma_h, with gamma_h = 1 for tanh and 1/4 for sigmoid.
A rule table, not a chain of ifs: every activation knows f(a), f'(a) (given a and h = f(a),
so the backward pass reuses the forward result) and gamma_h = sup |f'|.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np


def sigmoid(a: np.ndarray) -> np.ndarray:
    """sigma(a) = 1 / (1 + exp(-a)), written through tanh so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


class Activation(NamedTuple):
    """f(a), its derivative f'(a) from (a, h=f(a)), and gamma_h = sup |f'|."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray, np.ndarray], np.ndarray]
    gamma: float


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, lambda a, h: 1.0 - h * h, 1.0),
    "sigmoid": Activation("sigmoid", sigmoid, lambda a, h: h * (1.0 - h), 0.25),
    # NB: relu'(0) taken as 0; its gamma_h is 1 but relu does not saturate from above.
    "relu": Activation("relu", lambda a: np.maximum(a, 0.0), lambda a, h: (a > 0).astype(a.dtype), 1.0),
    "linear": Activation("linear", lambda a: a.copy(), lambda a, h: np.ones_like(a), 1.0),
}


def get(name: str) -> Activation:
    """The Activation called `name`; ValueError names the valid ones."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}") from None
