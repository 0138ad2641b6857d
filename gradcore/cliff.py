"""Pascanu, Mikolov & Bengio (2013), section 3: the single-unit cliff.

One recurrent unit driven only by its own past,

    x_t = w * sigmoid(x_{t-1}) + b,      x_0 = 0.5,      t = 1..T (T = 50),
    L(w, b) = (sigmoid(x_T) - 0.7)^2,

has an error surface with a wall: near the bifurcation of the map (b around -2.5
when w = 5) a tiny change of (w, b) moves x_T from one attractor to the other, so
L jumps and the gradient dL/d(w, b) becomes enormous on a thin strip. Gradient
descent that steps onto that strip is thrown far away; clipping the step
(seed 001, eq. 13) keeps it near.

Everything here broadcasts over arrays of (w, b) so a whole grid runs in one pass
of T vectorised steps. Pure NumPy, float64, no input is mutated.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gradcore import clipping

# Defaults as in the paper (section 3, figure 6).
STEPS = 50
X0 = 0.5
TARGET = 0.7
W_BIFURCATION = 5.0  # recurrent weight of the bifurcation diagram (paper's figure 5)

CLIP_MODES = ("none", "norm", "value")


def _sigmoid(x):
    """sigma(x) = 1 / (1 + exp(-x)), without overflow warnings for large |x|."""
    # NB: exp(-x) overflows to inf for x < -709; 1/(1+inf) = 0 is the right limit.
    with np.errstate(over="ignore"):
        return 1.0 / (1.0 + np.exp(-x))


class Surface(NamedTuple):
    """L(w, b) and its gradient on a grid. Arrays are (n_b, n_w): rows b, columns w."""

    w: np.ndarray  # (n_w,)
    b: np.ndarray  # (n_b,)
    loss: np.ndarray  # (n_b, n_w)
    dw: np.ndarray  # (n_b, n_w)
    db: np.ndarray  # (n_b, n_w)
    grad_norm: np.ndarray  # (n_b, n_w): sqrt(dw^2 + db^2)


class Descent(NamedTuple):
    """A gradient-descent run on (w, b). n = number of update steps taken or attempted.

    path[k] is (w, b) after k updates; loss[k] the loss there. grad_norm_before[k] /
    grad_norm_after[k] are ||g|| at path[k] before / after clipping. finite[k] says whether
    the loss and gradient at path[k] are finite; the run stops at the first non-finite
    point (overflow_step = its index k, else None) instead of raising.
    """

    path: np.ndarray  # (n+1, 2)
    loss: np.ndarray  # (n+1,)
    grad: np.ndarray  # (n+1, 2) raw gradient at each point
    grad_norm_before: np.ndarray  # (n+1,)
    grad_norm_after: np.ndarray  # (n+1,)
    clipped: np.ndarray  # (n+1,) bool: the clip changed the gradient
    finite: np.ndarray  # (n+1,) bool
    overflow_step: int | None
    mode: str
    threshold: float
    lr: float


class FixedPoints(NamedTuple):
    """Fixed points x* = w sigmoid(x*) + b for each b (flat list of points + count per b)."""

    w: float
    b_grid: np.ndarray  # (M,)
    count: np.ndarray  # (M,) number of fixed points at each b
    b: np.ndarray  # (P,) b of each point
    x: np.ndarray  # (P,) x* of each point
    slope: np.ndarray  # (P,) w sigma'(x*): the map's derivative at x*
    stable: np.ndarray  # (P,) bool, |w sigma'(x*)| < 1


def unroll(w, b, steps: int = STEPS, x0: float = X0) -> np.ndarray:
    """x_t = w * sigmoid(x_{t-1}) + b for t = 1..steps; returns x of shape (steps+1, *shape)."""
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    shape = np.broadcast_shapes(w.shape, b.shape)
    x = np.empty((steps + 1,) + shape)
    x[0] = x0
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            x[t] = w * _sigmoid(x[t - 1]) + b
    return x


def loss(w, b, steps: int = STEPS, x0: float = X0, target: float = TARGET) -> np.ndarray:
    """L(w, b) = (sigmoid(x_T) - target)^2, broadcast over w and b."""
    x_T = unroll(w, b, steps, x0)[-1]
    return (_sigmoid(x_T) - target) ** 2


def loss_and_grad(w, b, steps: int = STEPS, x0: float = X0, target: float = TARGET):
    """L and (dL/dw, dL/db) by backpropagation through the T steps, broadcast over (w, b).

    dL/dx_T = 2 (s_T - target) s_T (1 - s_T), s_t = sigmoid(x_t); then for t = T..1:
    dL/dw += dx_t * s_{t-1},  dL/db += dx_t,  dx_{t-1} = dx_t * w * s_{t-1} (1 - s_{t-1}).
    Returns (L, dw, db), each of the broadcast shape.
    """
    w = np.asarray(w, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    x = unroll(w, b, steps, x0)  # (T+1, *shape)
    with np.errstate(over="ignore", invalid="ignore"):
        s = _sigmoid(x)  # (T+1, *shape)
        L = (s[-1] - target) ** 2
        dx = 2.0 * (s[-1] - target) * s[-1] * (1.0 - s[-1])
        dw = np.zeros_like(dx)
        db = np.zeros_like(dx)
        for t in range(steps, 0, -1):
            dw = dw + dx * s[t - 1]
            db = db + dx
            dx = dx * w * s[t - 1] * (1.0 - s[t - 1])
    return L, dw, db


def surface(
    w_range=(-2.0, 10.0),
    b_range=(-6.0, 2.0),
    n_w: int = 200,
    n_b: int = 200,
    steps: int = STEPS,
    x0: float = X0,
    target: float = TARGET,
) -> Surface:
    """L(w, b) and ||dL/d(w, b)|| on an n_b x n_w grid (rows b, columns w), one vectorised pass."""
    w = np.linspace(w_range[0], w_range[1], n_w)
    b = np.linspace(b_range[0], b_range[1], n_b)
    W, B = np.meshgrid(w, b)  # (n_b, n_w)
    L, dw, db = loss_and_grad(W, B, steps, x0, target)
    with np.errstate(over="ignore"):
        g = np.hypot(dw, db)
    return Surface(w, b, L, dw, db, g)


def clip_gradient(g: np.ndarray, mode: str, threshold: float) -> np.ndarray:
    """Clip one gradient vector g: 'none', 'norm' (eq. 13, g <- threshold/||g|| g if ||g|| >= threshold)
    or 'value' (each entry into [-threshold, threshold]). Returns a new array."""
    if mode == "none":
        return np.array(g, dtype=np.float64)
    if mode == "norm":
        return clipping.clip_by_norm([g], threshold).grads[0]
    if mode == "value":
        return clipping.clip_by_value([g], threshold).grads[0]
    raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")


def descend(
    w0: float,
    b0: float,
    lr: float = 0.1,
    n_steps: int = 100,
    mode: str = "none",
    threshold: float = 1.0,
    steps: int = STEPS,
    x0: float = X0,
    target: float = TARGET,
) -> Descent:
    """Gradient descent (w, b) <- (w, b) - lr * clip(g), g = dL/d(w, b), for n_steps updates.

    Stops early, marking overflow_step, when the loss or gradient stops being finite
    (the parameters were thrown to where float64 cannot follow) instead of raising.
    """
    if mode not in CLIP_MODES:
        raise ValueError(f"clip mode must be one of {CLIP_MODES}, got {mode!r}")
    if mode != "none" and not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold!r}")
    p = np.array([w0, b0], dtype=np.float64)
    path, losses, grads, before, after, clipped, finite = [], [], [], [], [], [], []
    overflow_step = None
    for k in range(n_steps + 1):
        L, dw, db = loss_and_grad(p[0], p[1], steps, x0, target)
        g = np.array([float(dw), float(db)])
        ok = bool(np.isfinite(L) and np.all(np.isfinite(g)) and np.all(np.isfinite(p)))
        path.append(p.copy())
        losses.append(float(L))
        grads.append(g)
        finite.append(ok)
        if not ok:
            before.append(np.nan)
            after.append(np.nan)
            clipped.append(False)
            overflow_step = k
            break
        g_c = clip_gradient(g, mode, threshold)
        before.append(clipping.global_norm([g]))
        after.append(clipping.global_norm([g_c]))
        clipped.append(bool(np.any(g_c != g)))
        if k == n_steps:
            break  # the last point is evaluated, not stepped from
        with np.errstate(over="ignore", invalid="ignore"):
            p = p - lr * g_c
    return Descent(
        path=np.array(path),
        loss=np.array(losses),
        grad=np.array(grads),
        grad_norm_before=np.array(before),
        grad_norm_after=np.array(after),
        clipped=np.array(clipped, dtype=bool),
        finite=np.array(finite, dtype=bool),
        overflow_step=overflow_step,
        mode=mode,
        threshold=float(threshold),
        lr=float(lr),
    )


def fixed_points(
    w: float = W_BIFURCATION,
    b_values=None,
    n_x: int = 2001,
    refine_iters: int = 60,
) -> FixedPoints:
    """Roots of F(x) = w sigmoid(x) + b - x for each b, stability from |w sigmoid'(x*)| < 1.

    Every root lies in [b + min(0, w), b + max(0, w)] (sigmoid is in (0, 1)), so a fine grid
    of n_x points there brackets each sign change of F, and bisection refines it to float64
    precision. Vectorised over b. A tangent (double) root exactly on the grid counts once.
    """
    if b_values is None:
        b_values = np.linspace(-4.0, -1.0, 601)
    b_grid = np.asarray(b_values, dtype=np.float64).reshape(-1)  # (M,)
    lo = b_grid + min(0.0, w) - 1.0
    hi = b_grid + max(0.0, w) + 1.0
    u = np.linspace(0.0, 1.0, n_x)
    xs = lo[:, None] + (hi - lo)[:, None] * u[None, :]  # (M, n_x)
    F = w * _sigmoid(xs) + b_grid[:, None] - xs
    sgn = np.sign(F)
    # a bracket is [xs[j], xs[j+1]] with a sign change, or an exact zero at xs[j]
    change = (sgn[:, :-1] * sgn[:, 1:] < 0) | (sgn[:, :-1] == 0)
    rows, cols = np.nonzero(change)
    a = xs[rows, cols]
    c = xs[rows, cols + 1]
    bb = b_grid[rows]
    Fa = w * _sigmoid(a) + bb - a
    for _ in range(refine_iters):
        m = 0.5 * (a + c)
        Fm = w * _sigmoid(m) + bb - m
        left = np.sign(Fm) == np.sign(Fa)
        a = np.where(left, m, a)
        Fa = np.where(left, Fm, Fa)
        c = np.where(left, c, m)
    x_star = np.where(Fa == 0, a, 0.5 * (a + c))
    s = _sigmoid(x_star)
    slope = w * s * (1.0 - s)
    count = np.bincount(rows, minlength=b_grid.size)
    return FixedPoints(
        w=float(w),
        b_grid=b_grid,
        count=count,
        b=bb,
        x=x_star,
        slope=slope,
        stable=np.abs(slope) < 1.0,
    )


def bifurcation_interval(w: float = W_BIFURCATION) -> tuple[float, float] | None:
    """The b interval with three fixed points: b = x - w sigmoid(x) at the two x where
    w sigmoid'(x) = 1, i.e. sigmoid(x) = (1 +- sqrt(1 - 4/w)) / 2. None when w <= 4."""
    if w <= 4.0:
        return None
    r = np.sqrt(1.0 - 4.0 / w)
    s_lo, s_hi = (1.0 - r) / 2.0, (1.0 + r) / 2.0
    x_lo, x_hi = np.log(s_lo / (1 - s_lo)), np.log(s_hi / (1 - s_hi))
    b1 = x_lo - w * s_lo
    b2 = x_hi - w * s_hi
    return (float(min(b1, b2)), float(max(b1, b2)))
