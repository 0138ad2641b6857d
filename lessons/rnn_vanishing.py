"""The RNN page's computation layer: seed 001 eq. 2b, 7-13 made live on one vanilla RNN run.

Pure NumPy on top of gradcore (no streamlit, altair or pandas), so the tests call every
function the page shows. Steps are counted t = 1..T as in the seeds; arrays hold step t at
index t - 1. N = 1 (one sequence). Natural logs in the engine; this module hands log10 to
the page (``*_log10`` fields), since the charts and the text speak in decades.

The problem (one draw per seed):
    rng = default_rng(seed): Wh = init.make_Wh(init, H, scale, rng), Wx ~ N(0, 1/D) (D, H),
        x ~ xscale * N(0, I_D) (1, T, D)      -- the Start page's draw, so its curves match
    b = 0, h0 = 0, a_t = x_t Wx + h_{t-1} Wh + b, h_t = f(a_t)
    readout (its own stream, so T does not move it): Wy ~ N(0, 1/H) (H, V), targets ~ U{0..V-1}
    L_t = -log softmax(h_t Wy)[y_t]           per-step softmax cross-entropy (seed 001 eq. 3-4)
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from gradcore import activations, clipping, init, jacobians, losses, rnn, spectra
from gradcore.gradcheck import numerical_gradient, rel_error

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


def sci(log10v: float, digits: int = 2) -> str:
    """10**log10v as text ('0.034', '3.2e-45'), also beyond float64's range; '0' for -inf."""
    if log10v == -np.inf:
        return "0"
    if not np.isfinite(log10v):
        return "overflow"
    e = math.floor(log10v)
    if -2 <= e <= 2:
        return f"{10 ** log10v:.{digits + 1}g}"
    m = 10 ** (log10v - e)
    if round(m, digits - 1) >= 10:
        m, e = m / 10, e + 1
    return f"{m:.{digits - 1}f}e{e:+d}"


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
        step_J[t_end - n_j:] = np.linalg.norm(J, 2, axis=(1, 2))
        check = check_jacobian(p, c, pn)
        loss = ce(c.h, p)
        rows = heat_steps(t_end)
        sc = spectra.step_contributions(c, loss.dh, rows)
        heat = sc.log_norms[:, rows - 1] / LN10
        g = rnn.backward_all(loss.dh, c)
        g_norm = clipping.global_norm({"Wx": g.dWx, "Wh": g.dWh, "b": g.db})
        rho_log10 = np.arange(t_end + 1) * np.log10(spec.radius) if spec.radius > 0 else \
            np.where(np.arange(t_end + 1) == 0, 0.0, -np.inf)
        return Run(
            T=T, t_end=t_end, H=H, act=act, gamma_h=act_.gamma, gamma_W=spec.norm, rho=spec.radius,
            eigvals=spec.eigvals, singvals=spec.singvals, distance=pn.distance,
            spec_log10=pn.log_spec / LN10, fro_log10=pn.log_fro / LN10, bound_log10=b.log_bound / LN10,
            rho_log10=rho_log10, run_bound_log10=run_b / LN10, n_spec=int(sampled.size),
            a_flat=c.a[0].ravel().copy(), fprime_mean=np.mean(np.abs(fprime), axis=1),
            fprime_max=np.max(np.abs(fprime), axis=1), step_J_norm=step_J,
            heat_rows=rows, heat_cols=rows.copy(), heat_log10=heat, L_t=loss.L_t,
            g_log10=math.log10(g_norm) if g_norm > 0 and np.isfinite(g_norm) else
            (-np.inf if g_norm == 0 else np.inf),
            h_T_norm=float(np.linalg.norm(c.h[0, -1])), a_absmax=float(np.max(np.abs(c.a[0]))),
            check=check)


class LossView(NamedTuple):
    """The chosen loss L_t: its components by step k (seed 000's printout) and their checks."""

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
    return LossView(t, sc.log_norms[0, :t] / LN10, sum_err, fd_err, len(index),
                    math.log10(gn) if gn > 0 else -np.inf)


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


def notice(r: Run, lv: LossView) -> list[str]:
    """Three to five sentences, each true for the run on screen (they flip with the regime)."""
    out = []
    e, d_end = end_spec(r), r.t_end
    rate = 10 ** (e / d_end) if np.isfinite(e) else 0.0
    reg = regime(r)
    verb = {"vanishing": "vanished", "exploding": "exploded", "steady": "stayed within a factor 1000 of 1"}[reg]
    out.append(f"Over {d_end} steps the spectral norm of dh_T/dh_k went from 1 to {sci(e)}: it {verb}, "
               f"on average x{rate:.3f} per step.")
    gw = r.gamma_W * r.gamma_h
    gap = decades_between(e, float(r.bound_log10[d_end]))
    if gw < 1:
        out.append(f"gamma_W gamma_h = {gw:.3f} < 1, so eq. 12 guarantees vanishing; the measured norm sits "
                   f"{gap:.1f} decades below the bound at T - k = {d_end}.")
    elif reg == "vanishing":
        out.append(f"gamma_W gamma_h = {gw:.3f} >= 1, so the bound of eq. 12 allows growth and promises nothing; "
                   f"the norm vanished anyway, because f' along this run (mean |f'| = "
                   f"{float(np.mean(r.fprime_mean)):.3f}) is far below its maximum gamma_h = {r.gamma_h:g}.")
    else:
        out.append(f"gamma_W gamma_h = {gw:.3f} >= 1, so the bound of eq. 12 allows growth; the measured norm is "
                   f"{gap:.1f} decades below it at T - k = {d_end}.")
    dp, vp = peak(r)
    if r.rho < 1 - 1e-9 and vp > 0:
        out.append(f"The spectral radius is rho(W) = {r.rho:.3f} < 1, yet the norm first grows, to {sci(vp)} at "
                   f"T - k = {dp}: the largest singular value ||W||_2 = {r.gamma_W:.3f} > 1 lets single steps "
                   f"amplify; eigenvalues only set the long-run rate. Seed 001's eigenvalue argument misses this.")
    elif r.rho >= 1 - 1e-9 and reg == "vanishing":
        out.append(f"The spectral radius is rho(W) = {r.rho:.3f} >= 1, so the eigenvalue argument of seed 001 "
                   f"would predict no vanishing; f'(a_t) < 1 along the run makes it vanish anyway.")
    else:
        out.append(f"rho(W) = {r.rho:.3f} and ||W||_2 = {r.gamma_W:.3f}: the eigenvalue curve rho^(T-k) ends at "
                   f"{sci(float(r.rho_log10[d_end]))}, the measurement at {sci(e)}.")
    if r.act in ("tanh", "sigmoid"):
        sat = float(np.mean(np.abs(activations.get(r.act).df(r.a_flat, activations.get(r.act).f(r.a_flat)))
                            < 0.1 * r.gamma_h))
        out.append(f"{100 * sat:.0f}% of this run's pre-activations sit where {r.act}' is below a tenth of its "
                   f"maximum {r.gamma_h:g} (saturated); the average |f'| per step is "
                   f"{float(np.mean(r.fprime_mean)):.3f}.")
    elif r.act == "relu":
        off = float(np.mean(r.a_flat <= 0))
        out.append(f"relu' is 0 or 1: {100 * off:.0f}% of the pre-activations are <= 0, so those units pass no "
                   f"gradient at that step.")
    else:
        out.append("With the linear activation f' = 1 everywhere, so the curve shows W alone.")
    k_far = farthest_component(lv)
    c = lv.comp_log10
    if k_far is not None and k_far < lv.t and np.isfinite(c[-1]):
        share = c[k_far - 1] - c[-1]
        out.append(f"For L_{lv.t}, the component of dL_t/dW_hh from step k = {lv.t} is {sci(c[-1])} and from "
                   f"step {k_far} it is {sci(c[k_far - 1])} ({sci(share)} times as large): "
                   + ("the distant past barely moves W_hh." if share < -2 else
                      "the distant past outweighs the present." if share > 2 else
                      "near and far steps pull with comparable force."))
    return out


def farthest_component(lv: LossView) -> int | None:
    """The earliest step k whose component of dL_t/dWh is non-zero (step 1 sees h_0 = 0, so its is 0)."""
    ok = np.flatnonzero(np.isfinite(lv.comp_log10))
    return int(ok[0]) + 1 if ok.size else None
