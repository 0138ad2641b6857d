"""Echo state networks (Jaeger 2001): a fixed random reservoir and a ridge-regression readout.

    h_t = (1 - leak) h_{t-1} + leak tanh(u_t Win + h_{t-1} W + b)       reservoir, never trained
    y_t = [h_t, 1] Wout,   Wout = (S^T S + ridge I)^{-1} S^T Y           readout, closed form

S stacks the states [h_t, 1] after a washout (the first steps, still remembering h_0).
Only Wout is learned, so there is no gradient to vanish or explode (seed 001's remedy for
exploding gradients); the price is that memory is whatever the reservoir happens to keep.
Its short-term memory capacity (Jaeger 2002) measures exactly that:

    MC = sum_k r^2(y_k(t), u(t - k)),  y_k the best linear readout of the input k steps ago,

bounded by the reservoir size H for i.i.d. input. Row-vector convention as in the rest of
the engine (u_t Win with Win (D, H); h_{t-1} W with W (H, H)).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import init as winit

__all__ = [
    "Reservoir",
    "Readout",
    "make_reservoir",
    "run",
    "fit_readout",
    "predict",
    "r2",
    "delay_r2",
    "memory_capacity",
    "memory_capacity_curve",
]


class Reservoir(NamedTuple):
    """The fixed weights: Win (D, H), W (H, H) with spectral radius rho, b (H,), leak rate."""

    Win: np.ndarray
    W: np.ndarray
    b: np.ndarray
    leak: float
    rho: float


class Readout(NamedTuple):
    """Wout (H + 1, V): the last row is the bias. washout: steps dropped before fitting."""

    Wout: np.ndarray
    ridge: float
    washout: int


def make_reservoir(
    H: int,
    D: int,
    rho: float,
    rng: np.random.Generator,
    input_scale: float = 1.0,
    density: float = 0.1,
    leak: float = 1.0,
    bias_scale: float = 0.0,
) -> Reservoir:
    """Sparse W (gradcore.init.esn_reservoir, spectral radius rho), Win ~ U(-s, s), b ~ U(-bs, bs)."""
    if not 0.0 < leak <= 1.0:
        raise ValueError(f"leak must be in (0, 1], got {leak}")
    W = winit.esn_reservoir(H, rho, rng, density=density)
    Win = rng.uniform(-input_scale, input_scale, size=(D, H))
    b = rng.uniform(-bias_scale, bias_scale, size=H) if bias_scale > 0 else np.zeros(H)
    return Reservoir(Win, W, b, float(leak), float(rho))


def run(res: Reservoir, u: np.ndarray, h0: np.ndarray | None = None) -> np.ndarray:
    """States h_1..h_T (T, H) for inputs u (T, D); (N, T, D) gives (N, T, H)."""
    batched = u.ndim == 3
    U = u if batched else u[None]
    N, T, D = U.shape
    H = res.W.shape[0]
    ua = U @ res.Win + res.b  # (N, T, H): all input drives at once
    h = np.zeros((N, H)) if h0 is None else np.array(h0, dtype=float).reshape(N, H)
    out = np.empty((N, T, H))
    for t in range(T):
        pre = ua[:, t] + h @ res.W
        h = np.tanh(pre) if res.leak == 1.0 else (1.0 - res.leak) * h + res.leak * np.tanh(pre)
        out[:, t] = h
    return out if batched else out[0]


def _design(states: np.ndarray, washout: int) -> np.ndarray:
    S = states[..., washout:, :].reshape(-1, states.shape[-1])
    return np.concatenate([S, np.ones((S.shape[0], 1))], axis=1)


def fit_readout(states: np.ndarray, targets: np.ndarray, ridge: float = 1e-6, washout: int = 100) -> Readout:
    """Wout = (S^T S + ridge I)^{-1} S^T Y over the steps after the washout (closed form).

    states (T, H) or (N, T, H); targets (T, V) or (N, T, V) (a (T,) target is one output).
    """
    Y = targets[..., None] if targets.ndim == states.ndim - 1 else targets
    S = _design(states, washout)
    Yf = Y[..., washout:, :].reshape(-1, Y.shape[-1])
    A = S.T @ S
    A[np.diag_indices_from(A)] += ridge
    # solve the normal equations rather than forming an inverse (cheaper and more accurate)
    Wout = np.linalg.solve(A, S.T @ Yf)
    return Readout(Wout, float(ridge), int(washout))


def predict(readout: Readout, states: np.ndarray) -> np.ndarray:
    """y_t = [h_t, 1] Wout for every step (washout included; score only after it)."""
    return states @ readout.Wout[:-1] + readout.Wout[-1]


def r2(y: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Squared correlation per output column (Jaeger's MC_k), 0 when either is constant."""
    y = y.reshape(-1, y.shape[-1]) if y.ndim > 1 else y[:, None]
    t = target.reshape(-1, target.shape[-1]) if target.ndim > 1 else target[:, None]
    yc, tc = y - y.mean(0), t - t.mean(0)
    num = (yc * tc).sum(0) ** 2
    den = (yc * yc).sum(0) * (tc * tc).sum(0)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def _delayed(u: np.ndarray, delays) -> np.ndarray:
    """(T, K) targets u(t - k) for each delay k (zeros before the start)."""
    T = u.shape[0]
    out = np.zeros((T, len(delays)))
    for j, k in enumerate(delays):
        out[k:, j] = u[: T - k, 0]
    return out


def delay_r2(
    res: Reservoir,
    delays,
    rng: np.random.Generator,
    T_train: int = 1000,
    T_test: int = 1000,
    ridge: float = 1e-6,
    washout: int = 100,
) -> np.ndarray:
    """r^2 on fresh test input of the ridge readout trained to output u(t - k), per delay k.

    Input i.i.d. U(-0.5, 0.5) (Jaeger 2002); one multi-output ridge fit for all delays.
    """
    delays = [int(k) for k in delays]
    if min(delays) < 0 or max(delays) >= washout:
        raise ValueError("delays must lie in [0, washout) so every target exists after the washout")
    D = res.Win.shape[0]
    u_tr = rng.uniform(-0.5, 0.5, size=(T_train, D))
    u_te = rng.uniform(-0.5, 0.5, size=(T_test, D))
    ro = fit_readout(run(res, u_tr), _delayed(u_tr, delays), ridge, washout)
    s_te = run(res, u_te)
    return r2(predict(ro, s_te)[washout:], _delayed(u_te, delays)[washout:])


def memory_capacity(res: Reservoir, rng: np.random.Generator, max_delay: int | None = None, **kw) -> float:
    """MC = sum_{k=1}^{max_delay} r^2_k (max_delay defaults to 2H, and the washout to max_delay + 1)."""
    H = res.W.shape[0]
    K = 2 * H if max_delay is None else int(max_delay)
    kw.setdefault("washout", K + 1)
    return float(delay_r2(res, range(1, K + 1), rng, **kw).sum())


def memory_capacity_curve(
    rhos, H: int = 50, seed: int = 0, max_delay: int | None = None, input_scale: float = 0.1, **kw
) -> np.ndarray:
    """MC for each spectral radius in rhos, every reservoir drawn from the same seed (same
    sparsity pattern and inputs; only the radius changes). A small input_scale keeps tanh
    near its linear range, where MC can approach H."""
    out = []
    for rho in rhos:
        rng = np.random.default_rng(seed)
        res = make_reservoir(H, 1, float(rho), rng, input_scale=input_scale)
        out.append(memory_capacity(res, rng, max_delay, **kw))
    return np.array(out)
