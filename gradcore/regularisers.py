"""Penalties on the recurrent weights: L1 / L2 on W_hh, and Pascanu's vanishing-gradient Omega.

    P(Wh)     = l1 sum |Wh_ij| + (l2 / 2) sum Wh_ij^2            dP/dWh = l1 sign(Wh) + l2 Wh

    Omega     = mean over sequences n and steps t of Omega_{n,t}                (seed 001 eq. 15)
    Omega_t   = ( ||g_t dh_t/dh_{t-1}|| / ||g_t|| - 1 )^2,  g_t = dE/dh_t       (seed 001 eq. 16)

with, in our row-vector convention (a_t = x_t Wx + h_{t-1} Wh + b),
    rnn:    g_t dh_t/dh_{t-1} = (g_t * f'(a_t)) Wh^T
    leaky:  g_t dh_t/dh_{t-1} = g_t * alpha + (g_t * (1 - alpha) * f'(a_t)) Wh^T.

As in Pascanu, Mikolov & Bengio 2013 (sec. 3.3), g_t = dE/dh_t is treated as a constant
when Omega is differentiated; everything else is differentiated exactly: Wh directly, and
every parameter through f'(a_t), whose a_t depends on Wx, Wh, b via the forward pass.
That second part is a gradient at the pre-activations, dOmega/da_t, which one extra BPTT
sweep (gradcore.models.backward with da_extra) carries to the weights.
NB: the paper writes the Jacobian in terms of pre-activations x_k (x_{k+1} = W sigma(x_k)
+ ...); ours uses the hidden states h, like the rest of the engine. Terms with g_t = 0 or at
held (padding) steps are left out of the mean.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore.models import Cache, d2f, dfa

__all__ = ["penalty", "Omega", "omega"]


def _b(h, M, ndim, dtype):
    """(M,) or scalar hyperparameter, broadcast along a leading model axis."""
    return np.broadcast_to(np.asarray(h, dtype=dtype), (M,)).reshape((M,) + (1,) * (ndim - 1))


def penalty(Wh: np.ndarray, l1=0.0, l2=0.0) -> tuple[np.ndarray, np.ndarray]:
    """P = l1 sum|Wh| + (l2/2) sum Wh^2 per model -> (P (M,), dP/dWh (M, H, G*H)).

    Wh carries a leading model axis; l1, l2 are scalars or (M,) arrays.
    """
    M = Wh.shape[0]
    l1b, l2b = _b(l1, M, Wh.ndim, Wh.dtype), _b(l2, M, Wh.ndim, Wh.dtype)
    axes = tuple(range(1, Wh.ndim))
    value = (l1b * np.abs(Wh)).sum(axis=axes) + 0.5 * (l2b * Wh * Wh).sum(axis=axes)
    return value, l1b * np.sign(Wh) + l2b * Wh


class Omega(NamedTuple):
    """Omega per model, the ratio ||g J|| / ||g|| per term, and the two parts of its gradient."""

    value: np.ndarray  # (M,)
    ratio: np.ndarray  # (M, T, N) ||g_t dh_t/dh_{t-1}|| / ||g_t|| (NaN where left out)
    dWh_direct: np.ndarray  # (M, H, H) through the explicit Wh in the Jacobian
    da: np.ndarray  # (M, T, N, H) dOmega/da_t through f'(a_t); feed to models.backward(da_extra=)


def omega(cache: Cache, g: np.ndarray) -> Omega:
    """Pascanu's Omega for rnn / leaky caches, with g (M, T, N, H) = dE/dh_t held constant."""
    spec = cache.spec
    if spec.cell not in ("rnn", "leaky"):
        raise ValueError("Omega is defined here for the rnn and leaky cells")
    M, T, N, H = g.shape
    Wh = cache.Wh  # (M, H, H)
    fp = dfa(spec.activation, cache.a, cache.fa)
    fpp = d2f(spec.activation, cache.a, cache.fa)
    al = None if cache.alpha is None else cache.alpha[:, None]  # (M, 1, 1, H)
    scale = 1.0 if al is None else (1.0 - al)
    u = (g * scale * fp).reshape(M, T * N, H)
    v = np.matmul(u, Wh.transpose(0, 2, 1)).reshape(M, T, N, H)  # u Wh^T
    if al is not None:
        v = v + g * al
    gn = np.sqrt(np.sum(g * g, axis=-1))  # (M, T, N)
    vn = np.sqrt(np.sum(v * v, axis=-1))
    valid = gn > 0
    valid[:, 0] = False  # h_0 is a constant, not a state with a Jacobian
    if cache.hold is not None:
        valid &= cache.hold[..., 0] > 0
    count = np.maximum(valid.sum(axis=(1, 2)), 1)  # (M,) terms per model
    safe_gn = np.where(valid, gn, 1.0)
    ratio = np.where(valid, vn / safe_gn, np.nan)
    r = np.where(valid, ratio, 1.0)
    value = (((r - 1.0) ** 2) * valid).sum(axis=(1, 2)) / count
    # dOmega/dv = 2 (r - 1) v / (||v|| ||g||) / count, zero outside the valid terms
    coef = np.where(valid & (vn > 0), 2.0 * (r - 1.0) / (np.where(vn > 0, vn, 1.0) * safe_gn), 0.0)
    w = (v * (coef / count[:, None, None])[..., None]).reshape(M, T * N, H)
    # v_i = sum_j u_j Wh_ij  =>  dWh_ij = sum w_i u_j,  du_j = sum_i w_i Wh_ij
    dWh_direct = np.matmul(w.transpose(0, 2, 1), u)
    du = np.matmul(w, Wh).reshape(M, T, N, H)
    da = du * g * scale * fpp  # d(u)/d(a) = g * scale * f''(a)
    return Omega(value, ratio, dWh_direct, da)
