"""The RNN page's computation layer: Jefkine 2018, eq. 2b, 7-13 made live on one vanilla RNN run.

NumPy on top of gradcore (no streamlit or altair; pandas only for the charts' tidy frames),
so the tests call every function the page shows, and every sentence it prints. Steps are counted t = 1..T as in the seeds; arrays hold step t at
index t - 1. N = 1 (one sequence). Natural logs in the engine; this module hands log10 to
the page (``*_log10`` fields), since the charts and the text speak in decades.

The problem (one draw per seed):
    rng = default_rng(seed): Wh = init.make_Wh(init, H, scale, rng), Wx ~ N(0, 1/D) (D, H),
        x ~ xscale * N(0, I_D) (1, T, D)      -- the Start page's draw, so its curves match
    b = 0, h0 = 0, a_t = x_t Wx + h_{t-1} Wh + b, h_t = f(a_t)
    readout (its own stream, so T does not move it): Wy ~ N(0, 1/H) (H, V), targets ~ U{0..V-1}
    L_t = -log softmax(h_t Wy)[y_t]           per-step softmax cross-entropy (Jefkine 2018, eq. 3-4)
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
import pandas as pd

from gradcore import activations, clipping, init, jacobians, losses, rnn, spectra
from gradcore.gradcheck import numerical_gradient, rel_error
from lessons import fmt

D = 4  # input size (as on the Start page)
V = 8  # output classes of the readout
BIG = 1e150  # a state beyond this counts as overflowed: its square would leave float64
HEAT_MAX = 60  # at most this many loss rows / step columns in the heatmap
N_STEP_J = 16  # eq. 10 is checked on the last this-many step Jacobians (an SVD each)
LN10 = math.log(10.0)

ACTS = ("tanh", "sigmoid", "relu", "linear")
INITS = ("gaussian_radius", "gaussian_norm", "orthogonal", "identity", "nonnormal")
INIT_LABELS = {
    "gaussian_radius": "Gaussian, spectral radius = scale",
    "gaussian_norm": "Gaussian, spectral norm = scale",
    "orthogonal": "orthogonal x scale",
    "identity": "identity x scale",
    "nonnormal": "non-normal, radius = scale",
}


class Problem(NamedTuple):
    """Weights, inputs and readout of one settings draw."""

    x: np.ndarray  # (1, T, D)
    Wx: np.ndarray  # (D, H)
    Wh: np.ndarray  # (H, H)
    b: np.ndarray  # (H,)
    h0: np.ndarray  # (1, H)
    Wy: np.ndarray  # (H, V)
    by: np.ndarray  # (V,)
    targets: np.ndarray  # (1, T)
    act: str


def make_problem(T: int, H: int, act: str, init_kind: str, scale: float, xscale: float, seed: int) -> Problem:
    """Draw Wh (init_kind at `scale`), Wx, x and the readout for one run."""
    rng = np.random.default_rng(int(seed))
    Wh = init.make_Wh(init_kind, int(H), float(scale), rng)
    Wx = rng.standard_normal((D, H)) / np.sqrt(D)
    x = float(xscale) * rng.standard_normal((1, T, D))
    ry = np.random.default_rng([int(seed), 1])  # NB: own stream: changing T keeps Wy and the targets
    Wy = ry.standard_normal((H, V)) / np.sqrt(H)
    targets = ry.integers(V, size=(1, 1000))[:, :T]
    return Problem(x, Wx, Wh, np.zeros(H), np.zeros((1, H)), Wy, np.zeros(V), targets, act)


def forward(p: Problem):
    """h_t = f(x_t Wx + h_{t-1} Wh + b) -> (h, cache), warnings silenced (overflow is the lesson)."""
    with np.errstate(all="ignore"):
        return rnn.forward(p.x, p.h0, p.Wx, p.Wh, p.b, activation=p.act)


def finite_steps(cache: rnn.Cache) -> int:
    """Number of leading steps whose a_t and h_t are finite and below BIG (T if none overflowed)."""
    ok = np.all(np.isfinite(cache.a[0]) & np.isfinite(cache.h[0]), axis=1)
    with np.errstate(invalid="ignore"):
        ok &= np.all(np.abs(cache.a[0]) < BIG, axis=1) & np.all(np.abs(cache.h[0]) < BIG, axis=1)
    bad = np.flatnonzero(~ok)
    return int(bad[0]) if bad.size else int(ok.size)


def truncate(cache: rnn.Cache, t: int) -> rnn.Cache:
    """The cache of steps 1..t only."""
    return cache._replace(x=cache.x[:, :t], a=cache.a[:, :t], h=cache.h[:, :t])


def ce(h: np.ndarray, p: Problem) -> losses.CrossEntropy:
    """Per-step softmax cross-entropy of the readout on h (1, t, H)."""
    t = h.shape[1]
    return losses.softmax_cross_entropy(h, p.Wy, p.by, p.targets[:, :t])


def product_dtype(H: int):
    """float32 for the big products (H >= 128: 3-4x faster, norms to ~1e-4 relative), else float64."""
    return np.float32 if H >= 128 else np.float64


def n_spectral(H: int, T: int) -> int:
    """How many distances get an exact SVD: all for small H, about 0.5 s of SVDs for H = 256."""
    per_svd = 1.5e-2 * (H / 256.0) ** 3  # seconds for one float32 SVD at H = 256 on a busy 2-core box
    return int(min(T, max(40, 0.5 / per_svd)))


def heat_steps(t: int) -> np.ndarray:
    """The loss steps / step columns shown in the heatmap: all if t <= HEAT_MAX, else evenly spaced."""
    if t <= HEAT_MAX:
        return np.arange(1, t + 1)
    return np.unique(np.linspace(1, t, HEAT_MAX).round().astype(int))


# This page's numbers (lessons.fmt.sci in its style): 2 significant digits, 0.01 ... 999 written out,
# '3.2e-45' / '1.2e+3' beyond, '0' for an exact zero. Call it with the input named: sci(log10=v).
sci = functools.partial(fmt.sci, digits=2, plain=(-2, 2), pad=False, zero="0", nonfinite="overflow")


class Run(NamedTuple):
    """Everything the page plots and says for one setting (log10 where it can over/underflow)."""

    T: int
    t_end: int  # last step with a finite state (T unless the forward pass overflowed)
    H: int
    act: str
    gamma_h: float
    gamma_W: float  # ||Wh||_2
    rho: float  # max |eig Wh|
    eigvals: np.ndarray  # (H,) complex
    singvals: np.ndarray  # (H,)
    distance: np.ndarray  # (t_end+1,)
    spec_log10: np.ndarray  # log10 ||dh_t/dh_{t-d}||_2 (NaN where not computed)
    fro_log10: np.ndarray  # log10 ||dh_t/dh_{t-d}||_F
    bound_log10: np.ndarray  # d log10(gamma_W gamma_h), eq. 12
    rho_log10: np.ndarray  # d log10 rho
    run_bound_log10: np.ndarray  # eq. 10 multiplied along this run
    n_spec: int  # distances with an exact spectral norm
    a_flat: np.ndarray  # this run's pre-activations a_t (steps 1..t_end, every unit)
    fprime_mean: np.ndarray  # (t_end,) mean_j |f'(a_t)_j|
    fprime_max: np.ndarray  # (t_end,) max_j |f'(a_t)_j| = ||diag f'(a_t)||_2
    step_J_norm: np.ndarray  # (t_end,) ||J_t||_2 for the last min(t_end, N_STEP_J) steps (NaN before)
    heat_rows: np.ndarray  # loss steps t of the heatmap rows
    heat_cols: np.ndarray  # steps k of the heatmap columns
    heat_log10: np.ndarray  # (rows, cols) log10 ||dL_t/dWh via step k||_F (-inf for k > t)
    L_t: np.ndarray  # (t_end,) the per-step losses
    g_log10: float  # log10 ||dL/dW|| of the total loss (global norm over Wx, Wh, b), eq. 13's g
    h_T_norm: float  # ||h_{t_end}||
    a_absmax: float
    check: JacobianCheck  # the plotted product against centred differences


def compute(T: int, H: int, act: str, init_kind: str, scale: float, xscale: float, seed: int) -> Run:
    """The page's whole computation for one setting (the loss-step view is in ``loss_view``)."""
    p = make_problem(T, H, act, init_kind, scale, xscale, seed)
    h, cache = forward(p)
    t_end = finite_steps(cache)
    act_ = activations.get(act)
    spec = jacobians.spectrum(p.Wh)
    with np.errstate(all="ignore"):
        if t_end == 0:
            raise FloatingPointError("the first step already overflowed")
        c = truncate(cache, t_end)
        sampled = spectra.sample_distances(t_end, n_spectral(H, t_end))
        pn = spectra.rnn_product_norms_at(c, spectral_at=sampled, dtype=product_dtype(H))
        b = jacobians.rnn_bound(p.Wh, act, t_end)
        run_b = spectra.run_log_bound(c)
        fprime = act_.df(c.a[0], c.h[0])  # (t_end, H)
        n_j = min(t_end, N_STEP_J)
        J = last_step_jacobians(c, n_j)
        step_J = np.full(t_end, np.nan)
        step_J[t_end - n_j :] = np.linalg.norm(J, 2, axis=(1, 2))
        check = check_jacobian(p, c, pn)
        loss = ce(c.h, p)
        rows = heat_steps(t_end)
        sc = spectra.step_contributions(c, loss.dh, rows)
        heat = sc.log_norms[:, rows - 1] / LN10
        g = rnn.backward_all(loss.dh, c)
        g_norm = clipping.global_norm({"Wx": g.dWx, "Wh": g.dWh, "b": g.db})
        rho_log10 = (
            np.arange(t_end + 1) * np.log10(spec.radius)
            if spec.radius > 0
            else np.where(np.arange(t_end + 1) == 0, 0.0, -np.inf)
        )
        return Run(
            T=T,
            t_end=t_end,
            H=H,
            act=act,
            gamma_h=act_.gamma,
            gamma_W=spec.norm,
            rho=spec.radius,
            eigvals=spec.eigvals,
            singvals=spec.singvals,
            distance=pn.distance,
            spec_log10=pn.log_spec / LN10,
            fro_log10=pn.log_fro / LN10,
            bound_log10=b.log_bound / LN10,
            rho_log10=rho_log10,
            run_bound_log10=run_b / LN10,
            n_spec=int(sampled.size),
            a_flat=c.a[0].ravel().copy(),
            fprime_mean=np.mean(np.abs(fprime), axis=1),
            fprime_max=np.max(np.abs(fprime), axis=1),
            step_J_norm=step_J,
            heat_rows=rows,
            heat_cols=rows.copy(),
            heat_log10=heat,
            L_t=loss.L_t,
            g_log10=math.log10(g_norm)
            if g_norm > 0 and np.isfinite(g_norm)
            else (-np.inf if g_norm == 0 else np.inf),
            h_T_norm=float(np.linalg.norm(c.h[0, -1])),
            a_absmax=float(np.max(np.abs(c.a[0]))),
            check=check,
        )


class LossView(NamedTuple):
    """The chosen loss L_t: its components by step k (Kravets's (2023) printout) and their checks."""

    t: int
    comp_log10: np.ndarray  # (t,) log10 ||dL_t/dWh via step k||_F, k = 1..t
    sum_rel_err: float  # ||sum_k components - backward_all(dL_t only).dWh|| / ||.||
    fd_rel_err: float  # centred differences of L_t on the largest entries of dL_t/dWh
    fd_entries: int
    grad_log10: float  # log10 ||dL_t/dWh||_F


def loss_view(T, H, act, init_kind, scale, xscale, seed, t: int, n_entries: int = 6) -> LossView:
    """Components of dL_t/dWh by step, their sum against BPTT, and a centred-difference check."""
    p = make_problem(T, H, act, init_kind, scale, xscale, seed)
    h, cache = forward(p)
    t_end = finite_steps(cache)
    t = int(min(max(t, 1), t_end))
    with np.errstate(all="ignore"):
        c = truncate(cache, t)
        loss = ce(c.h, p)
        sc = spectra.step_contributions(c, loss.dh, [t], total_row=0)
        only = np.zeros_like(loss.dh)
        only[:, t - 1] = loss.dh[:, t - 1]
        dWh = rnn.backward_all(only, c).dWh
        sum_err = rel_error(sc.total, dWh)
        # Centred differences on the entries with the largest analytic gradient, so the check
        # is not dominated by round-off on entries the loss barely feels.
        idx = np.argsort(-np.abs(dWh), axis=None)[:n_entries]
        index = [np.unravel_index(i, dWh.shape) for i in idx]

        def L_t_of(Wh):
            hh, _ = rnn.forward(p.x[:, :t], p.h0, p.Wx, Wh, p.b, activation=act)
            return float(ce(hh, p).L_t[t - 1])

        num = numerical_gradient(L_t_of, {"Wh": p.Wh}, "Wh", eps=1e-6, index=index)
        pick = tuple(np.array(index).T)
        fd_err = rel_error(dWh[pick], num[pick])
        gn = float(np.linalg.norm(dWh))
    return LossView(
        t, sc.log_norms[0, :t] / LN10, sum_err, fd_err, len(index), math.log10(gn) if gn > 0 else -np.inf
    )


class JacobianCheck(NamedTuple):
    """Centred differences of u . h_t with respect to h_{t-d} against u^T (dh_t/dh_{t-d})."""

    d: int
    t: int
    rel_err: float  # analytic row u^T P_d against centred differences
    plotted_err: float  # |ln||P_d||_F (explicit product) - ln||P_d||_F (the plotted, renormalised chain)|
    units: int  # how many entries of h_{t-d} were perturbed


def last_step_jacobians(c: rnn.Cache, n: int) -> np.ndarray:
    """J_s = diag(f'(a_s)) Wh^T for the last n steps s = t-n+1..t -> (n, H, H), oldest first."""
    return jacobians.rnn_step_jacobians(c._replace(x=c.x[:, -n:], a=c.a[:, -n:], h=c.h[:, -n:]))


def check_jacobian(p: Problem, c: rnn.Cache, pn, d_max: int = 8, max_units: int = 24) -> JacobianCheck:
    """Verify the plotted dh_t/dh_{t-d} on a small slice: the last d <= d_max steps, <= max_units units.

    u^T P_d (P_d multiplied out explicitly from the step Jacobians) against centred
    differences of u . h_t in h_{t-d}, and ln ||P_d||_F against the plotted chain ``pn``.
    d is the largest distance <= d_max whose row ||u^T P_d|| is at least 1e-2 (smaller rows
    drown in the round-off of centred differences), at least 1.
    """
    t, H = c.h.shape[1], c.h.shape[2]
    J = last_step_jacobians(c, min(d_max, t))  # oldest first
    prods, P = [np.eye(H)], np.eye(H)
    for Js in J[::-1]:  # P_d = J_t ... J_{t-d+1}
        P = P @ Js
        prods.append(P)
    u = np.random.default_rng(2).standard_normal(H)
    u /= np.linalg.norm(u)
    # The checked row must stand well above the round-off of the differences (~1e-16 / eps).
    rows = [np.linalg.norm(u @ Pd) for Pd in prods]
    d = max([k for k in range(1, len(prods)) if rows[k] >= 1e-2] or [1])
    Pd = prods[d]
    k = t - d  # perturb h_k (k = 0 is h0)
    h_k = (c.h0[0] if k == 0 else c.h[0, k - 1]).copy()

    def u_dot_h_t(hk):
        hh, _ = rnn.forward(p.x[:, k:t], hk[None, :], p.Wx, p.Wh, p.b, activation=p.act)
        return float(u @ hh[0, -1])

    g = u @ Pd
    units = np.argsort(-np.abs(g))[:max_units]
    eps = 1e-5 * max(1.0, float(np.max(np.abs(h_k))))  # relative step for huge (linear) states
    num = numerical_gradient(u_dot_h_t, {"hk": h_k}, "hk", eps=eps, index=[(int(j),) for j in units])
    err = rel_error(g[units], num[units])
    plotted_err = abs(float(pn.log_fro[d]) - float(np.log(np.linalg.norm(Pd))))
    return JacobianCheck(d, t, err, plotted_err, int(units.size))


# ----------------------------------------------------------------------------- what the text says


def decades_between(a_log10: float, b_log10: float) -> float:
    """b - a in decades (log10 units)."""
    return float(b_log10 - a_log10)


def peak(r: Run) -> tuple[int, float]:
    """(d, log10 norm) of the largest measured spectral norm over d >= 1 (sampled distances)."""
    v = np.where(np.isnan(r.spec_log10), -np.inf, r.spec_log10)
    v[0] = -np.inf
    d = int(np.argmax(v))
    return d, float(v[d])


def end_spec(r: Run) -> float:
    """log10 ||dh_t/dh_0||_2 at the largest distance (always sampled)."""
    return float(r.spec_log10[r.t_end])


def at_distance(r: Run, d: int) -> int:
    """The sampled distance closest to d (<= t_end) where the spectral norm was computed."""
    ok = np.flatnonzero(~np.isnan(r.spec_log10))
    ok = ok[ok >= 1]
    return int(ok[np.argmin(np.abs(ok - d))])


def regime(r: Run) -> str:
    """'vanishing', 'exploding' or 'steady' from the measured norm at the largest distance."""
    e = end_spec(r)
    if e < -3:
        return "vanishing"
    if e > 3:
        return "exploding"
    return "steady"


def bounds_coincide(r: Run, tol: float = 1e-9) -> bool:
    """True when eq. 10 along this run equals the bound of eq. 12 at every distance (some unit has
    |f'| = gamma_h at every step, as with linear): the two dashed curves are one line on the chart."""
    a, b = r.run_bound_log10, r.bound_log10
    ok = np.isfinite(a) & np.isfinite(b)
    return bool(ok.any()) and bool(np.all(np.abs(a[ok] - b[ok]) <= tol * np.maximum(1.0, np.abs(b[ok]))))


def notice_decay(r: Run) -> list[str]:
    """The Decay tab's notes: the measured norm against eq. 12's bound and rho^(T-k) (they flip with the regime)."""
    out = []
    e, d_end = end_spec(r), r.t_end
    rate = 10 ** (e / d_end) if np.isfinite(e) else 0.0
    reg = regime(r)
    verb = {"vanishing": "vanished", "exploding": "exploded", "steady": "stayed within a factor 1000 of 1"}[
        reg
    ]
    out.append(
        f"Over {d_end} steps the spectral norm of dh_T/dh_k went from 1 to {sci(log10=e)}: it {verb}, "
        f"on average x{rate:.3f} per step."
    )
    gw = r.gamma_W * r.gamma_h
    gap = decades_between(e, float(r.bound_log10[d_end]))
    if gw < 1:
        out.append(
            f"gamma_W gamma_h = {gw:.3f} < 1, so eq. 12 guarantees vanishing; the measured norm sits "
            f"{gap:.1f} decades below the bound at T - k = {d_end}."
        )
    elif reg == "vanishing":
        out.append(
            f"gamma_W gamma_h = {gw:.3f} >= 1, so the bound of eq. 12 allows growth and promises nothing; "
            f"the norm vanished anyway, because f' along this run (mean |f'| = "
            f"{float(np.mean(r.fprime_mean)):.3f}) is far below its maximum gamma_h = {r.gamma_h:g}."
        )
    else:
        out.append(
            f"gamma_W gamma_h = {gw:.3f} >= 1, so the bound of eq. 12 allows growth; the measured norm is "
            f"{gap:.1f} decades below it at T - k = {d_end}."
        )
    out.append(
        f"The eigenvalue curve rho^(T-k) (rho = {r.rho:.3f}) ends at {sci(log10=float(r.rho_log10[d_end]))}, "
        f"the measurement at {sci(log10=e)}."
    )
    if bounds_coincide(r):
        out.append(
            f"'{RUN_BOUND}' lies exactly on '{BOUND}' here (one dashed line on the chart): some unit has "
            f"|f'| = gamma_h = {r.gamma_h:g} at every step, so the run's f' takes its maximum."
        )
    return out


def notice_spectrum(r: Run) -> list[str]:
    """The Spectrum tab's notes: eigenvalues against singular values of this W_hh."""
    mod = np.abs(r.eigvals)
    outside = int(np.sum(mod > 1 + 1e-12))
    s1, sH = float(r.singvals[0]), float(r.singvals[-1])
    out = [
        f"{outside} of the {r.H} eigenvalues lie outside the unit circle; the largest modulus is rho(W) = "
        f"{r.rho:.3f}, the largest singular value ||W||_2 = {r.gamma_W:.3f}"
        + (
            " (equal: a normal W)."
            if abs(r.gamma_W - r.rho) <= 1e-6 * max(r.gamma_W, 1e-300)
            else f" ({r.gamma_W / max(r.rho, 1e-300):.3f}x rho)."
        ),
        f"The singular values run from sigma_1 = {s1:.3f} down to sigma_{r.H} = {sH:.3g}: one step of W can "
        f"stretch a vector by up to {s1:.3f} and shrink one by {sH:.3g}.",
    ]
    dp, vp = peak(r)
    if r.rho < 1 - 1e-9 and vp > 0:
        out.append(
            f"rho(W) < 1, yet the measured norm first grows, to {sci(log10=vp)} at T - k = {dp}: "
            f"||W||_2 > 1 lets single steps amplify; eigenvalues only set the long-run rate. Jefkine's (2018) "
            "eigenvalue argument misses this."
        )
    elif r.rho >= 1 - 1e-9 and regime(r) == "vanishing":
        out.append(
            f"rho(W) = {r.rho:.3f} >= 1, so the eigenvalue argument would predict no vanishing; f'(a_t) < 1 "
            "along the run makes it vanish anyway (the Derivative tab)."
        )
    if r.gamma_h != 1.0:
        far = int(np.sum(mod > 1 / r.gamma_h))
        out.append(
            explosion_condition(r)
            + f" {far} eigenvalue(s) lie outside the circle of radius 1/gamma_h = {1 / r.gamma_h:g}"
            + (
                " (which alone would force ||W||_2 past it)."
                if far
                else " (that alone proves nothing: the singular value decides)."
            )
        )
    return out


def explosion_condition(r: Run) -> str:
    """Whether this W_hh can explode at all: only if its largest singular value ||W||_2 exceeds 1/gamma_h
    (Pascanu et al. 2013, sec. 2.1: necessary for explosion; ||W||_2 < 1/gamma_h is sufficient against it).
    An eigenvalue outside the 1/gamma_h circle is not the condition (rho <= ||W||_2, strictly for non-normal W)."""
    bound = 1 / r.gamma_h
    verdict = (
        "so the gradient cannot explode, at any length"
        if r.gamma_W < bound
        else "so explosion is possible (necessary, not sufficient: f' along the run decides)"
    )
    return (
        f"With {r.act}, gamma_h = {r.gamma_h:g}: the gradient can only explode if the largest singular value "
        f"||W_hh||_2 exceeds 1/gamma_h = {bound:g} (Pascanu et al. 2013); here ||W_hh||_2 = {r.gamma_W:.3f}, "
        f"{verdict}."
    )


def notice_derivative(r: Run) -> list[str]:
    """The Derivative tab's notes: where this run's pre-activations sit on f' and what f' does per step."""
    mx = float(np.mean(r.fprime_max))
    out = []
    if r.act in ("tanh", "sigmoid"):
        fn = activations.get(r.act)
        sat = float(np.mean(np.abs(fn.df(r.a_flat, fn.f(r.a_flat))) < 0.1 * r.gamma_h))
        out.append(
            f"{100 * sat:.0f}% of this run's pre-activations sit where {r.act}' is below a tenth of its "
            f"maximum {r.gamma_h:g} (saturated); the average |f'| per step is "
            f"{float(np.mean(r.fprime_mean)):.3f}."
        )
    elif r.act == "relu":
        off = float(np.mean(r.a_flat <= 0))
        out.append(
            f"relu' is 0 or 1: {100 * off:.0f}% of the pre-activations are <= 0, so those units pass no "
            f"gradient at that step."
        )
    else:
        out.append("With the linear activation f' = 1 everywhere, so the product shows W alone.")
    out.append(
        f"The largest |f'| of a step, ||diag f'(a_t)||, averages {mx:.3f} over the {r.t_end} steps "
        f"(gamma_h = {r.gamma_h:g}); eq. 10 along this run multiplies ||W||_2 = {r.gamma_W:.3f} by it at each step."
    )
    return out


def notice_components(r: Run, lv: LossView) -> list[str]:
    """The Components tab's notes: the chosen L_t's components by step, and the span of the T x T map."""
    out = []
    k_far = farthest_component(lv)
    c = lv.comp_log10
    if k_far is not None and k_far < lv.t and np.isfinite(c[-1]):
        share = c[k_far - 1] - c[-1]
        out.append(
            f"For L_{lv.t}, the component of dL_t/dW_hh from step k = {lv.t} is {sci(log10=c[-1])} and from "
            f"step {k_far} it is {sci(log10=c[k_far - 1])} ({sci(log10=share)} times as large): "
            + (
                "the distant past barely moves W_hh."
                if share < -2
                else "the distant past outweighs the present."
                if share > 2
                else "near and far steps pull with comparable force."
            )
        )
    v = r.heat_log10[np.isfinite(r.heat_log10)]
    if v.size:
        out.append(
            f"Across the T x T map the components span {decades_between(float(v.min()), float(v.max())):.1f} "
            f"decades, from {sci(log10=float(v.min()))} to {sci(log10=float(v.max()))}."
        )
    return out


def notice_equations(r: Run) -> list[str]:
    """The Equations tab's notes: eq. 12 checked at every measured distance."""
    ok = np.isfinite(r.spec_log10) & np.isfinite(r.bound_log10)
    ok[0] = False
    if not ok.any():
        return ["No distance with a finite measured norm to check eq. 12 against."]
    gap = r.bound_log10[ok] - r.spec_log10[ok]
    i = int(np.argmin(gap))
    d = int(r.distance[ok][i])
    return [
        f"Eq. 12 holds at all {int(ok.sum())} measured distances: the measured norm stays at least "
        f"{float(gap[i]):.2f} decades under (gamma_W gamma_h)^(t-k), closest at t - k = {d}."
        if float(gap.min()) >= -1e-9
        else f"Eq. 12 fails at t - k = {d} by {-float(gap[i]):.2g} decades (rounding in the product)."
    ]


def farthest_component(lv: LossView) -> int | None:
    """The earliest step k whose component of dL_t/dWh is non-zero (step 1 sees h_0 = 0, so its is 0)."""
    ok = np.flatnonzero(np.isfinite(lv.comp_log10))
    return int(ok[0]) + 1 if ok.size else None


# ----------------------------------------------------------------------------- the charts' tidy frames

MEASURED, FRO, BOUND, RHO, RUN_BOUND = (
    "RNN",
    "RNN, Frobenius norm",
    "bound",
    "spectral radius",
    "eq. 10 along this run",
)


def headline_frame(r: Run, fro: bool) -> tuple[pd.DataFrame, list[str]]:
    """Tidy log10 curves against T - k; bounds cut where they leave the measured range (said in text)."""
    d = r.distance
    parts = [pd.DataFrame({"distance": d, "log10_norm": r.spec_log10, "series": MEASURED})]
    if fro:
        parts.append(pd.DataFrame({"distance": d, "log10_norm": r.fro_log10, "series": FRO}))
    meas = pd.concat(parts, ignore_index=True).dropna(subset=["log10_norm"])  # unsampled distances
    finite = meas["log10_norm"][np.isfinite(meas["log10_norm"])]
    top = max(float(finite.max()), 0.0) + 6.0
    bottom = float(finite.min()) - 6.0
    cut = []
    for name, v in ((BOUND, r.bound_log10), (RUN_BOUND, r.run_bound_log10), (RHO, r.rho_log10)):
        keep = (v <= top) & (v >= bottom)
        if not keep.all():
            first = int(d[~keep][0])
            cut.append(
                f"{name} leaves the plotted range at T - k = {first} (it reaches {sci(log10=float(v[-1]))} "
                f"at T - k = {r.t_end})"
            )
        # keep the first point outside so the curve visibly runs off the chart
        upto = int(np.flatnonzero(~keep)[0]) + 1 if not keep.all() else d.size
        parts.append(
            pd.DataFrame({"distance": d[:upto], "log10_norm": np.clip(v[:upto], bottom, top), "series": name})
        )
    return pd.concat(parts, ignore_index=True).dropna(subset=["log10_norm"]), cut


def hover_frame(r: Run) -> pd.DataFrame:
    """One row per measured distance T - k for the decay chart's hover: the measured log10 ||dh_T/dh_k||, the
    bound eq. 12 there, the measured per-step factor since the previous measured distance (geometric mean per
    step where distances were sampled) and the label the chart shows."""
    d = np.asarray(r.distance, dtype=float)
    m = np.asarray(r.spec_log10, dtype=float)
    b = np.asarray(r.bound_log10, dtype=float)
    ok = np.isfinite(m)
    d, m, b = d[ok], m[ok], b[ok]
    step = np.full(d.size, np.nan)
    if d.size > 1:
        step[1:] = 10.0 ** (np.diff(m) / np.diff(d))
    bound_step = r.gamma_W * r.gamma_h
    labels = [  # lines: the chart's text mark breaks at "\n"
        f"T - k = {int(di)}\nmeasured {sci(log10=mi)}\nbound {sci(log10=bi)}"
        + (f"\nx{si:.3g} per step (bound x{bound_step:.3g})" if np.isfinite(si) else "")
        for di, mi, bi, si in zip(d, m, b, step, strict=True)
    ]
    return pd.DataFrame({"distance": d, "log10_norm": m, "bound_log10": b, "per_step": step, "label": labels})


def travel_frame(r: Run, frame: int) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """The unrolled network at one frame of the gradient travelling back: cells k = 0..T (h_k), the gradient of
    the last state having reached k >= T - frame. Returns (reached cells with log10 ||dh_T/dh_k||_F, computed
    once as r.fro_log10 at distance T - k, where it is finite; the cells not reached yet; the wavefront's
    label). A reached cell whose norm is exactly 0 (or beyond float64) is left out of the first and said in the
    label when it is the wavefront."""
    T = int(r.t_end)
    frame = int(min(max(frame, 0), T))
    k = np.arange(T + 1)
    v = np.asarray(r.fro_log10, dtype=float)[T - k]
    front = T - frame
    hit = (k >= front) & np.isfinite(v)
    reached = pd.DataFrame({"k": k[hit], "log10": v[hit], "front": k[hit] == front})
    waiting = pd.DataFrame({"k": k[k < front]})
    val = v[front]
    label = f"k = {front} (T - k = {frame}): ||dh_T/dh_k||_F = " + (
        sci(log10=val) if np.isfinite(val) else "0"
    )
    return reached, waiting, label


def singular_frame(r: Run) -> pd.DataFrame:
    """Sorted |lambda_i| and sigma_i against their rank i."""
    i = np.arange(1, r.H + 1)
    return pd.concat(
        [
            pd.DataFrame({"i": i, "value": np.sort(np.abs(r.eigvals))[::-1], "series": "|λ_i|"}),
            pd.DataFrame({"i": i, "value": r.singvals, "series": "σ_i"}),
        ],
        ignore_index=True,
    )


def activation_frames(r: Run, span: float = 6.0) -> tuple[pd.DataFrame, pd.DataFrame, float]:
    """f'(a) of tanh and sigmoid (and the chosen f) on [-span, span]; histogram of this run's a_t."""
    a = np.linspace(-span, span, 241)
    names = ["tanh", "sigmoid"] + ([r.act] if r.act not in ("tanh", "sigmoid") else [])
    curves = pd.concat(
        [
            pd.DataFrame({"a": a, "fprime": activations.get(n).df(a, activations.get(n).f(a)), "series": n})
            for n in names
        ],
        ignore_index=True,
    )
    edges = np.linspace(-span, span, 49)
    clipped = np.clip(r.a_flat, -span, span)  # pre-activations beyond the span land in the edge bins
    counts, _ = np.histogram(clipped, bins=edges)
    hist = pd.DataFrame({"lo": edges[:-1], "hi": edges[1:], "share": counts / max(counts.sum(), 1)})
    outside = float(np.mean(np.abs(r.a_flat) > span))
    return curves, hist, outside


def fprime_frame(r: Run) -> pd.DataFrame:
    """mean_j and max_j |f'(a_t,j)| per step t."""
    steps = np.arange(1, r.t_end + 1)
    return pd.concat(
        [
            pd.DataFrame({"t": steps, "value": r.fprime_mean, "series": "mean_j |f'(a_t,j)|"}),
            pd.DataFrame(
                {"t": steps, "value": r.fprime_max, "series": "max_j |f'(a_t,j)| = ||diag f'(a_t)||"}
            ),
        ],
        ignore_index=True,
    )


def heat_frame(r: Run) -> pd.DataFrame:
    """(t, k, log10 norm) cells with k <= t and a non-zero component, and what a cell's tooltip reads off: the
    component's value, its mean factor per step from k to t against the row's own k = t cell (the geometric mean
    of the row's decay) and eq. 12's per-step bound on the Jacobian, gamma_W gamma_h."""
    tt, kk = np.meshgrid(r.heat_rows, r.heat_cols, indexing="ij")
    df = pd.DataFrame({"t": tt.ravel(), "k": kk.ravel(), "log10": r.heat_log10.ravel()})
    df = df[(df["k"] <= df["t"]) & np.isfinite(df["log10"])].reset_index(drop=True)
    diag = df[df["k"] == df["t"]].set_index("t")["log10"]
    gap = (df["t"] - df["k"]).to_numpy(dtype=float)
    own = df["t"].map(diag).to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        per = np.where(
            gap > 0, 10.0 ** ((df["log10"].to_numpy() - own) / np.where(gap > 0, gap, 1.0)), np.nan
        )
    df["value"] = [sci(log10=v) for v in df["log10"]]
    df["per_step"] = [f"x{p:.3g} per step from k to t" if np.isfinite(p) else "-" for p in per]
    df["bound_step"] = f"x{r.gamma_W * r.gamma_h:.3g} per step (eq. 12, on ||dh_t/dh_k||)"
    return df


def component_frame(lv: LossView) -> pd.DataFrame:
    """(k, log10 ||component k||_F) for the chosen L_t; step 1 (h_0 = 0, exactly 0) left out."""
    comp = pd.DataFrame({"k": np.arange(1, lv.t + 1), "log10": lv.comp_log10})
    return comp[np.isfinite(comp["log10"])]


# ----------------------------------------------------------------------------- the sections' sentences


def article_printout(lv: LossView) -> str:
    """Kravets's (2023) printout ("component j - value", j 0-based) for this run's L_t and W_hh."""
    c = lv.comp_log10
    js = list(range(lv.t)) if lv.t <= 12 else [0, 1, 2, None, lv.t - 3, lv.t - 2, lv.t - 1]
    lines = [f"Loss {lv.t}"]
    for j in js:
        lines.append(
            "..."
            if j is None
            else f"component {j} - {sci(log10=float(c[j]), digits=4) if np.isfinite(c[j]) else '0'}"
        )
    return "\n".join(lines)


def verification(r: Run, lv: LossView) -> tuple[bool, str]:
    """The verified badge: (every live check below its tolerance, the sentence that reports them)."""
    chk = r.check
    ok = chk.rel_err < 1e-6 and lv.fd_rel_err < 1e-6 and lv.sum_rel_err < 1e-9 and chk.plotted_err < 1e-3
    text = (
        f"centred differences of u·h_T in h_(T-{chk.d}) ({chk.units} units) against the product: "
        f"rel. error **{chk.rel_err:.1e}**; the plotted log-norm at T-k = {chk.d} matches it to "
        f"{chk.plotted_err:.0e}; dL_{lv.t}/dW_hh on its {lv.fd_entries} largest entries: rel. error "
        f"**{lv.fd_rel_err:.1e}**; its step components sum to BPTT's dL_{lv.t}/dW_hh to {lv.sum_rel_err:.0e}."
    )
    return ok, text


def overflow_warning(r: Run) -> str | None:
    """What the page says when the forward pass overflowed before step T (None if it did not)."""
    if r.t_end >= r.T:
        return None
    return (
        f"The forward pass overflowed at step {r.t_end + 1} (|h| or |a| beyond 1e150): the state exploded. "
        f"Everything below uses steps 1..{r.t_end}, so 'T' on this page means t = {r.t_end}."
    )


def d20(r: Run) -> int:
    """The sampled distance nearest T - k = 20, where sections 1 and 5 read the norm off."""
    return at_distance(r, min(20, r.t_end))


def decay_text(r: Run) -> tuple[str, str]:
    """Section 1: the chart's legend, explained with this run's numbers, and the read-off sentence."""
    d, e = d20(r), end_spec(r)
    legend = (
        f"- **{MEASURED}** (vermillion): the measured spectral norm $\\|\\partial h_T/\\partial h_k\\|_2$ "
        f"of the product of Jacobians."
        + (
            f" Computed exactly (SVD) at {r.n_spec} of the {r.t_end} distances (every distance up to 20, then "
            "evenly spaced); the Frobenius norm is kept at every distance."
            if r.n_spec < r.t_end
            else ""
        )
        + f"\n- **{BOUND}** (black, long dashes): eq. 12, $(\\gamma_W\\gamma_h)^{{T-k}}$ with "
        f"$\\gamma_W = \\|W_{{hh}}\\|_2 = {r.gamma_W:.3f}$, $\\gamma_h = {r.gamma_h:g}$."
        f"\n- **{RUN_BOUND}** (black, dots): eq. 10 multiplied along the actual trajectory, "
        f"$\\prod_s \\|W_{{hh}}\\|_2 \\max_j |f'(a_{{s,j}})|$: the bound with this run's $f'$ instead of its maximum (where they coincide, the chart says so under its title)."
        f"\n- **{RHO}** (sky blue, dash-dot): $\\rho(W)^{{T-k}}$, $\\rho = {r.rho:.3f}$, the eigenvalue story of Jefkine 2018."
    )
    read = (
        f"**Read it off:** at $T-k = {d}$ the norm is **{sci(log10=float(r.spec_log10[d]))}** "
        f"(bound {sci(log10=float(r.bound_log10[d]))}); at $T-k = {r.t_end}$ it is **{sci(log10=e)}** "
        f"(bound {sci(log10=float(r.bound_log10[r.t_end]))})."
    )
    return legend, read


def spectrum_text(r: Run) -> tuple[str, str | None]:
    """Section 2: radius against norm, in words (the non-normal surprise when it happens), and the
    1/gamma_h circle's caption (None when gamma_h = 1)."""
    dp, vp = peak(r)
    if r.rho < 1 - 1e-9 and vp > 0:
        text = (
            f"**Radius below 1, yet the gradient grows at first:** $\\rho = {r.rho:.3f} < 1$ but the norm "
            f"climbs to **{sci(log10=vp)}** at $T-k = {dp}$ before it decays. Jefkine (2018) reasons with eigenvalues "
            f"($\\lambda_1 < 1$ vanishes), but one step can stretch a vector by up to the largest *singular* "
            f"value, $\\|W\\|_2 = {r.gamma_W:.3f}$. For a non-normal $W$ the eigenvectors are not orthogonal, "
            f"so $\\|W^k\\|$ can exceed $\\rho^k$ by far for a while; only in the long run does $\\rho^k$ win."
        )
    else:
        text = (
            f"Jefkine (2018) reasons with the largest eigenvalue, $\\rho = {r.rho:.3f}$; eq. 10-12 need the largest "
            f"singular value, $\\|W\\|_2 = {r.gamma_W:.3f}$ (always $\\geq \\rho$; equal for normal matrices such "
            f"as orthogonal or identity). Try the **nonnormal** initialiser with a linear activation: radius below "
            f"1, early growth anyway."
        )
    caption = None
    if r.gamma_h != 1.0:
        caption = explosion_condition(r)
    return text, caption


def derivative_caption(r: Run, span: float = 6.0) -> str:
    """Section 3: what the grey histogram under the derivative curves counts."""
    outside = float(np.mean(np.abs(r.a_flat) > span))
    return (
        f"tanh' peaks at 1, sigmoid' at 1/4 (a = 0). Grey: where this run's {r.t_end * r.H} "
        f"pre-activations a_t fall"
        + (f"; {100 * outside:.1f}% lie beyond ±6 and are counted in the edge bins." if outside else ".")
    )


def heat_caption(r: Run) -> str:
    """Section 4: what the T x T heatmap leaves blank, and which steps it shows."""
    return (
        "Blank: k > t (a loss cannot reach the future) and k = 1 (h_0 = 0, so step 1 adds "
        "nothing to ∂L/∂W_hh)."
        + (
            f" Every {int(np.ceil(r.t_end / HEAT_MAX))}th step or so is shown "
            f"({r.heat_rows.size} of {r.t_end})."
            if r.heat_rows.size < r.t_end
            else ""
        )
    )


class EquationText(NamedTuple):
    """Section 5: the live sentence under each of Jefkine's (2018) equations."""

    eq2b: str
    eq7_8: str
    eq9: str
    eq10_11: str
    eq12: str
    eq13: str


def equation_text(r: Run) -> EquationText:
    """The live numbers of eq. 2b and 7-13 for this run, as the sentences section 5 prints."""
    d, e = d20(r), end_spec(r)
    J_last = r.step_J_norm[-1]
    with np.errstate(all="ignore"):
        ratios = r.step_J_norm / (r.gamma_W * r.fprime_max)
    ratio = (
        float(np.nanmax(np.where(np.isfinite(ratios), ratios, np.nan))) if np.isfinite(ratios).any() else 0.0
    )
    eq2b = (
        f"Here $f$ = **{r.act}**, $a_t = x_t W_x + h_{{t-1}} W_h + b$ (row vectors, $W_h = W_{{hh}}^\\top$). "
        f"This run: $\\max_t |a_t| = {r.a_absmax:.3g}$, $\\|h_T\\| = {r.h_T_norm:.3g}$."
    )
    eq7_8 = (
        f"Live: $\\|\\partial h_T/\\partial h_{{T-{d}}}\\|_2$ = **{sci(log10=float(r.spec_log10[d]))}**, "
        f"$\\|\\partial h_T/\\partial h_0\\|_2$ = **{sci(log10=e)}**."
    )
    eq9 = (
        "Jefkine (2018) writes $W^\\top \\operatorname{diag}[f'(h_{i-1})]$: that is Pascanu's form "
        "$h_t = W f(h_{t-1}) + \\dots$; with eq. 2a, where $f$ acts after the sum, the Jacobian is "
        "$\\operatorname{diag}(f'(a_i))\\,W_{hh}$. "
        f"Live: $\\|J_T\\|_2 = {J_last:.4g}$, $\\max_j f'(a_{{T,j}}) = {r.fprime_max[-1]:.4g}$."
    )
    eq10_11 = (
        f"Live: $\\gamma_W = \\|W_{{hh}}\\|_2 = {r.gamma_W:.4f}$ (the largest **singular value**; the "
        f"largest $|\\lambda|$ is $\\rho = {r.rho:.4f}$), $\\gamma_h = {r.gamma_h:g}$, "
        f"$\\gamma_W\\gamma_h = {r.gamma_W * r.gamma_h:.4f}$. Over the last {min(r.t_end, N_STEP_J)} steps "
        f"$\\|J_i\\|_2 / (\\|W\\|_2 \\max_j|f'(a_{{i,j}})|) \\le {ratio:.3f}$."
    )
    eq12 = (
        f"Live, at $t-k = {d}$: **{sci(log10=float(r.spec_log10[d]))}** $\\le$ "
        f"{sci(log10=float(r.bound_log10[d]))}; "
        f"at $t-k = {r.t_end}$: **{sci(log10=e)}** $\\le$ {sci(log10=float(r.bound_log10[r.t_end]))}."
    )
    eq13 = (
        f"Its setting here: $g = \\partial L/\\partial(W_{{hx}}, W_{{hh}}, b)$ of $L = \\sum_t L_t$ has "
        f"$\\|g\\|$ = **{sci(log10=r.g_log10)}**"
        + (
            f"; clipping at threshold 1 would multiply it by {sci(log10=-r.g_log10)}"
            if r.g_log10 > 0
            else "; below threshold 1 clipping leaves it alone"
        )
        + ". Clipping only rescales the sum: it cannot restore the far components that vanished."
    )
    return EquationText(eq2b, eq7_8, eq9, eq10_11, eq12, eq13)
