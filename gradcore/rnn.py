"""Vanilla RNN, seed 001 eq. 2a, in the row-vector convention of seed 000 and cs231n.

    a_t = x_t Wx + h_{t-1} Wh + b          (N, H)
    h_t = f(a_t)                           f in {tanh, sigmoid, relu, linear}

Shapes: x (N, T, D), h0 (N, H), Wx (D, H), Wh (H, H), b (H,), h (N, T, H).
NB: seed 001 writes column vectors, h_t = f(W_hx x_t + W_hh h_{t-1} + b), so W_hh = Wh^T;
the per-step Jacobian here is dh_t/dh_{t-1} = diag(f'(a_t)) Wh^T (seed 001 eq. 9 writes
W^T diag(f'(h_{t-1})), which is Pascanu's convention h_t = W f(h_{t-1}) + ...; the two have
the same norms along a trajectory up to where f' is evaluated).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import activations


class StepCache(NamedTuple):
    """What step_backward needs from one step."""

    x: np.ndarray  # (N, D)
    prev_h: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    a: np.ndarray  # (N, H) pre-activation
    next_h: np.ndarray  # (N, H)
    activation: str


class Cache(NamedTuple):
    """What backward needs from a whole sequence."""

    x: np.ndarray  # (N, T, D)
    h0: np.ndarray  # (N, H)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    b: np.ndarray  # (H,)
    a: np.ndarray  # (N, T, H) pre-activations a_t
    h: np.ndarray  # (N, T, H) hidden states h_t
    activation: str


class Backward(NamedTuple):
    """Every gradient of a sequence backward pass, including the per-step totals."""

    dx: np.ndarray  # (N, T, D)
    dh0: np.ndarray  # (N, H)
    dWx: np.ndarray  # (D, H)
    dWh: np.ndarray  # (H, H)
    db: np.ndarray  # (H,)
    dh_total: np.ndarray  # (N, T, H) dL/dh_t: upstream dh[:, t] plus what flows back from t+1
    da: np.ndarray  # (N, T, H) dL/da_t


def step_forward(x, prev_h, Wx, Wh, b, activation="tanh"):
    """h_t = f(x_t Wx + h_{t-1} Wh + b) -> (next_h, StepCache)."""
    act = activations.get(activation)
    a = x @ Wx + prev_h @ Wh + b
    next_h = act.f(a)
    return next_h, StepCache(x, prev_h, Wx, Wh, a, next_h, activation)


def step_backward(dnext_h, cache: StepCache):
    """da = dh * f'(a); dx = da Wx^T, dprev_h = da Wh^T -> (dx, dprev_h, dWx, dWh, db)."""
    da = dnext_h * activations.get(cache.activation).df(cache.a, cache.next_h)
    return da @ cache.Wx.T, da @ cache.Wh.T, cache.x.T @ da, cache.prev_h.T @ da, da.sum(axis=0)


def forward(x, h0, Wx, Wh, b, activation="tanh"):
    """Run h_t = f(x_t Wx + h_{t-1} Wh + b) for t = 1..T -> (h (N, T, H), Cache)."""
    act = activations.get(activation)
    N, T, _ = x.shape
    H = h0.shape[1]
    a = x @ Wx + b  # (N, T, H): the input part of every step in one matmul
    h = np.empty((N, T, H), dtype=np.result_type(x, h0, Wx, Wh, b))
    prev_h = h0
    for t in range(T):
        a[:, t] += prev_h @ Wh
        prev_h = h[:, t] = act.f(a[:, t])
    return h, Cache(x, h0, Wx, Wh, b, a, h, activation)


def backward_all(dh, cache: Cache) -> Backward:
    """BPTT for upstream gradients dh (N, T, H) = dL/dh_t from the losses at each step."""
    act = activations.get(cache.activation)
    N, T, H = dh.shape
    fprime = act.df(cache.a, cache.h)  # (N, T, H)
    da = np.empty_like(fprime)
    dh_total = np.empty_like(fprime)
    carry = np.zeros((N, H), dtype=fprime.dtype)  # dL/dh_t arriving from step t+1
    WhT = cache.Wh.T
    for t in range(T - 1, -1, -1):
        dh_total[:, t] = dh[:, t] + carry
        da[:, t] = dh_total[:, t] * fprime[:, t]
        carry = da[:, t] @ WhT
    h_prev = np.concatenate([cache.h0[:, None, :], cache.h[:, :-1]], axis=1)  # (N, T, H)
    D = cache.x.shape[2]
    da2 = da.reshape(N * T, H)
    dWx = cache.x.reshape(N * T, D).T @ da2
    dWh = h_prev.reshape(N * T, H).T @ da2
    dx = da @ cache.Wx.T
    return Backward(dx, carry, dWx, dWh, da2.sum(axis=0), dh_total, da)


def step_loss_dWh(dh_t, cache: Cache, steps) -> np.ndarray:
    """dL_t/dW_h for losses at single steps, L_t for each t in `steps`, each by BPTT through steps 1..t.

    dh_t (n, H): dL_t/dh_t of the n losses; steps (n,): their steps t (1-based, <= T); cache of one
    sequence (N = 1). Returns (n, H, H): sum_{k <= t} h_{k-1}^T da_k^(t), the same numbers as n
    separate backward_all calls on the prefixes 1..t, in one backward pass over a batch of n.

    NB: a loss is only backpropagated through its own prefix: past its step its rows stay exactly 0
    instead of 0 * f'(a) (which is NaN where the forward pass has already overflowed further on).
    """
    act = activations.get(cache.activation)
    steps = np.asarray(steps, dtype=int)
    dh_t = np.asarray(dh_t)
    n, H = dh_t.shape
    if (
        cache.h.shape[0] != 1
        or steps.shape != (n,)
        or steps.min(initial=1) < 1
        or steps.max(initial=1) > cache.h.shape[1]
    ):
        raise ValueError("one sequence (N = 1) and one step 1..T per loss are needed")
    T = int(steps.max(initial=0))
    fprime = act.df(cache.a[0, :T], cache.h[0, :T])  # (T, H)
    da = np.zeros((n, T, H), dtype=np.result_type(fprime, dh_t))
    carry = np.zeros((n, H), dtype=da.dtype)  # dL_t/dh_s arriving from step s+1
    WhT = cache.Wh.T
    for s in range(T - 1, -1, -1):
        live = steps > s  # losses whose prefix reaches step s (0-based)
        g = carry[live] + np.where((steps[live] == s + 1)[:, None], dh_t[live], 0.0)
        da[live, s] = g * fprime[s]
        carry = np.zeros_like(carry)
        carry[live] = da[live, s] @ WhT
    h_prev = np.concatenate([cache.h0[0][None, :], cache.h[0, : T - 1]], axis=0)  # (T, H)
    # NB: each over its own prefix, not one einsum over all T: h_{k-1} may be inf further on, and 0 * inf
    # would put a NaN into a loss that never reached that step
    return np.stack([h_prev[:t].T @ da[i, :t] for i, t in enumerate(steps)])


def backward(dh, cache: Cache):
    """BPTT -> (dx, dh0, dWx, dWh, db), the cs231n signature."""
    g = backward_all(dh, cache)
    return g.dx, g.dh0, g.dWx, g.dWh, g.db
