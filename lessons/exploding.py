"""The Exploding page's computation: growth above 1, Pascanu's single-unit cliff, and clipping (Jefkine 2018, eq. 12-13).

NumPy and pandas on top of gradcore, no Streamlit or Altair, so the tests call every function
the page shows. Four computations, one per tab (the page caches each on plain values):
    growth        ln||dh_T/dh_k|| and ||dL_t/dW_hh|| of a linear and a nonlinear RNN as T grows
    surface       L(w, b) and ||dL/d(w, b)|| of the one-unit network x_t = w sigma(x_{t-1}) + b
    descents      gradient descent on that surface, unclipped, clipped by norm and by value
    bifurcation   the fixed points of x -> w sigma(x) + b against b, and where x_T ends
and the sentences each tab prints from them (*_text, clipping_view), so they stay true when
the settings change. Numbers become text through lessons.fmt.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from gradcore import activations, cliff, clipping, init, jacobians, losses, rnn
from lessons import fmt

LN10 = np.log(10.0)
D_IN, V_OUT = 4, 4  # input and output sizes of the growth experiment (small: the recurrence is the point)
KINDS = ["gaussian_radius", "gaussian_norm", "orthogonal"]
VIEWS = {  # (w range, b range) of the surface
    "wall": ((3.5, 6.0), (-3.5, -1.5)),
    "wide": ((-2.0, 10.0), (-6.0, 2.0)),
}
ZOOM = (0.4, 0.3)  # half-widths in w and b of the close-up around the start
RUNS = {"none": "unclipped", "norm": "clipped by norm", "value": "clipped by value"}
B_FIXED = (-6.0, 0.0)  # b range of the bifurcation diagram


# ----------------------------------------------------------------------------- 1. growth


def _growth_setup(kind: str, scale: float, T: int, H: int, seed: int):
    """Wh at the chosen radius/norm, input weights, one input sequence and targets (same for every f)."""
    rng = np.random.default_rng(seed)
    Wh = init.make_Wh(kind, H, scale, rng)
    Wx = rng.standard_normal((D_IN, H)) / np.sqrt(D_IN)
    x = rng.standard_normal((1, T, D_IN))  # (N=1, T, D)
    Wy = rng.standard_normal((H, V_OUT)) / np.sqrt(H)
    y = rng.standard_normal((1, T, V_OUT))  # regression targets
    return Wh, Wx, x, Wy, y


def _dWh_log10_norms(cache: rnn.Cache, Wy, y, ts) -> list[float]:
    """log10 ||dL_t/dWh||_F for each t in ts (NaN if an entry of dWh overflowed, -inf if it is 0), for the
    squared error L_t = 1/2 ||h_t Wy - y_t||^2 of step t alone, by BPTT through 1..t (rnn.step_loss_dWh:
    one batched pass per chunk of ts instead of one backward pass per t).

    NB: squared error, not softmax cross-entropy: once h explodes the softmax saturates to exactly
    one-hot and its gradient is exactly 0 whenever the arg-max happens to be the target, which
    would hide the explosion behind a loss artefact.
    """
    ts = [int(t) for t in ts]
    T, H = cache.h.shape[1], cache.h.shape[2]
    chunk = max(1, int(2_000_000 // (max(ts, default=1) * H)))  # at most ~16 MB of da per pass
    out = []
    with np.errstate(all="ignore"):
        for i in range(0, len(ts), chunk):
            part = np.asarray(ts[i : i + chunk])
            mask = np.zeros((1, T))
            mask[0, part - 1] = 1.0
            dout = losses.squared_error(cache.h @ Wy, y, mask).dout[
                0
            ]  # (T, V): dL_t/dout_t at the steps asked
            dWh = rnn.step_loss_dWh(dout[part - 1] @ Wy.T, cache, part)  # (n, H, H)
            for g in dWh:
                if not np.all(np.isfinite(g)):
                    out.append(float("nan"))  # the gradient itself overflowed float64
                    continue
                # NB: in log space, m ||dWh / m||: a gradient whose entries all fit in float64 can still have a
                # Frobenius norm above 1.8e308; that is not the gradient overflowing, so do not report it as such.
                m = float(np.max(np.abs(g)))
                out.append(
                    float("-inf") if m == 0.0 else float(np.log10(m) + 0.5 * np.log10(np.sum((g / m) ** 2)))
                )
    return out


def growth(kind: str, scale: float, T: int, H: int, act: str, seed: int) -> dict:
    """Section 1: ln||dh_T/dh_k|| (jacobians.rnn_product_norms) and ||dL_t/dWh|| as t grows (rnn.backward_all)."""
    Wh, Wx, x, Wy, y = _growth_setup(kind, scale, T, H, seed)
    spec = jacobians.spectrum(Wh)
    series = ["linear", act] if act != "linear" else ["linear", "tanh"]
    # NB: from T = 2: with h_0 = 0, dL_1/dWh = h_0^T da_1 is exactly 0, nothing to plot on a log axis
    if T <= 120:
        grid = np.arange(2, T + 1)
    else:
        grid = np.unique(np.round(np.linspace(2, T, 100)).astype(int))
    jac_rows, grad_rows, facts = [], [], {"radius": spec.radius, "norm": spec.norm, "series": series}
    for f in series:
        with np.errstate(all="ignore"):  # a linear RNN above radius 1 may overflow: that is the lesson
            _, cache = rnn.forward(x, np.zeros((1, H)), Wx, Wh, np.zeros(H), activation=f)
        finite_h = np.all(np.isfinite(cache.h[0]), axis=1)
        h_over = (
            int(np.argmin(finite_h)) + 1 if not finite_h.all() else None
        )  # first step t with h_t non-finite
        try:
            pn = jacobians.rnn_product_norms(cache)
            log10_jac = pn.log_spec / LN10
        except FloatingPointError:
            log10_jac = np.full(T + 1, np.nan)
        bd = jacobians.rnn_bound(Wh, f, T)
        same = activations.get(series[0]).gamma == activations.get(series[1]).gamma
        bound_name = "bound" if same else f"bound ({f})"
        for d in range(T + 1):
            jac_rows.append((f, d, log10_jac[d]))
            if not (same and f != series[0]):  # one bound line when gamma_h is the same
                jac_rows.append((bound_name, d, bd.log_bound[d] / LN10))
        norms = dict(zip((int(t) for t in grid), _dWh_log10_norms(cache, Wy, y, grid), strict=True))  # log10
        bad = [t for t in grid if np.isnan(norms[int(t)])]
        g_over = None
        if bad:  # bisect between the last finite grid point and the first bad one: the exact step
            lo = max([t for t in grid if t < bad[0]], default=1)
            hi = int(bad[0])
            while hi - lo > 1:
                mid = (lo + hi) // 2
                norms[mid] = _dWh_log10_norms(cache, Wy, y, [mid])[0]
                lo, hi = (mid, hi) if not np.isnan(norms[mid]) else (lo, mid)
            g_over = hi
        for t in sorted(norms):
            grad_rows.append((f, t, norms[t]))  # log10; NaN = overflowed (marked by the chart), -inf = 0
        ok_t = [t for t in sorted(norms) if np.isfinite(norms[t])]
        facts[f] = {
            "log10_jac_T": float(log10_jac[T]),
            "per_step": float(10 ** (log10_jac[T] / T)) if np.isfinite(log10_jac[T]) else float("nan"),
            "log10_bound_T": float(bd.log_bound[T] / LN10),
            "h_overflow": h_over,
            "grad_overflow": g_over,
            "log10_grad_last_finite": float(norms[ok_t[-1]]) if ok_t else float("nan"),
            "t_last_finite": int(ok_t[-1]) if ok_t else 0,
            "log10_grad_2": float(norms[2]),
            "max_abs_h": float(np.nanmax(np.abs(np.where(np.isfinite(cache.h), cache.h, np.nan))))
            if np.isfinite(cache.h).any()
            else float("nan"),
        }
    jac = pd.DataFrame(jac_rows, columns=["series", "distance", "log10_norm"])
    grad = pd.DataFrame(grad_rows, columns=["series", "T", "log10_grad"])
    return {"jac": jac, "grad": grad, "facts": facts}


def _grad_sentence(f: str, ff: dict) -> str:
    if ff["grad_overflow"] is not None:
        s = (
            f"for **{f}** float64 **overflowed at T = {ff['grad_overflow']}** (at T = {ff['t_last_finite']} "
            f"every entry was still finite, norm {fmt.pow10(log10=ff['log10_grad_last_finite'])})"
        )
        if ff["h_overflow"] is not None:
            s += f"; the forward pass itself overflowed at step {ff['h_overflow']}"
        return s
    return (
        f"for **{f}** it went from {fmt.pow10(log10=ff['log10_grad_2'])} at T = 2 to "
        f"**{fmt.pow10(log10=ff['log10_grad_last_finite'])} at T = {ff['t_last_finite']}**"
    )


class GrowthText(NamedTuple):
    """What the Growth tab says: the Jacobian sentence, the gradient sentence and what to notice."""

    jacobians: str
    gradient: str
    notes: list[str]


def growth_text(G: dict, kind: str, scale: float, T: int) -> GrowthText:
    """The Growth tab's sentences, written from growth()'s facts."""
    F = G["facts"]
    lin, other = F["series"]
    fl, fo = F[lin], F[other]
    jac = (
        f"Live: spectral radius rho(W_h) = **{F['radius']:.3f}**, spectral norm gamma_W = ||W_h||_2 = "
        f"**{F['norm']:.3f}**. Over T - k = {T} steps, ||dh_T/dh_0|| = **{fmt.pow10(log10=fl['log10_jac_T'])}** "
        f"for the linear RNN (**{fl['per_step']:.3f}x per step**) and **{fmt.pow10(log10=fo['log10_jac_T'])}** "
        f"for {other} (**{fo['per_step']:.3f}x per step**); the bound (gamma_W gamma_h)^T is "
        f"{fmt.pow10(log10=fl['log10_bound_T'])} for linear and {fmt.pow10(log10=fo['log10_bound_T'])} for {other}."
    )
    grad = "Live: ||dL_T/dW_hh||_F " + _grad_sentence(lin, fl) + "; " + _grad_sentence(other, fo) + "."
    notes = []
    if fl["log10_jac_T"] > 0:
        notes.append(
            f"Growth: with W_hh at {kind.replace('_', ' ')} {scale:g} (spectral norm {F['norm']:.2f}), the linear "
            f"RNN's ||dh_T/dh_0|| grew to {fmt.pow10(log10=fl['log10_jac_T'])} over {T} steps, "
            f"{fl['per_step']:.3f}x per step: the gradient **explodes**."
        )
    else:
        notes.append(
            f"Growth: with W_hh at {kind.replace('_', ' ')} {scale:g}, the linear RNN's ||dh_T/dh_0|| fell to "
            f"{fmt.pow10(log10=fl['log10_jac_T'])} over {T} steps ({fl['per_step']:.3f}x per step): below 1 it "
            f"**vanishes** instead; raise the scale above 1 to see it explode."
        )
    diff = fl["log10_jac_T"] - fo["log10_jac_T"]
    if np.isfinite(diff) and diff > 1:
        notes.append(
            f"{other} ends {diff:.1f} orders of magnitude below linear: f'(a) <= {activations.get(other).gamma:g} "
            f"and saturated units have f' near 0, which tames the product ({fo['per_step']:.3f}x per step)."
        )
    elif np.isfinite(diff):
        notes.append(f"{other} and linear end within {abs(diff):.1f} orders of magnitude of each other here.")
    if fl["grad_overflow"] is not None or fo["grad_overflow"] is not None:
        which = [
            f"{f} at T = {F[f]['grad_overflow']}" for f in (lin, other) if F[f]["grad_overflow"] is not None
        ]
        notes.append(
            f"The gradient of a real loss overflowed float64 ({', '.join(which)}): past that length "
            f"training would see inf/NaN, not a number."
        )
    else:
        notes.append(
            f"No float64 overflow up to T = {T}; the largest ||dL_T/dW_hh|| was "
            f"{fmt.pow10(log10=max(fl['log10_grad_last_finite'], fo['log10_grad_last_finite']))}."
        )
    return GrowthText(jac, grad, notes)


# ----------------------------------------------------------------------------- 2. the cliff


def window(view: str, w0: float, b0: float) -> tuple:
    """(w_lo, w_hi, b_lo, b_hi) of a named window; "start" is a close-up around the descent's start."""
    if view == "start":
        return (w0 - ZOOM[0], w0 + ZOOM[0], b0 - ZOOM[1], b0 + ZOOM[1])
    (wr, br) = VIEWS[view]
    return (wr[0], wr[1], br[0], br[1])


def surface(win: tuple, n: int, csteps: int, x0: float, target: float) -> dict:
    """Section 2: L(w, b) and ||dL/d(w, b)|| on an n x n grid over win = (w_lo, w_hi, b_lo, b_hi) (cliff.surface)."""
    s = cliff.surface(win[:2], win[2:], n, n, steps=csteps, x0=x0, target=target)
    W, B = np.meshgrid(s.w, s.b)
    # NB: cells overlap by 10% on each side so anti-aliasing leaves no white seams between rects
    dw, db = 0.6 * (s.w[1] - s.w[0]), 0.6 * (s.b[1] - s.b[0])
    with np.errstate(divide="ignore"):
        lg = np.log10(np.maximum(s.grad_norm, 1e-300))
    df = pd.DataFrame(
        {
            "w": W.ravel(),
            "b": B.ravel(),
            "w_lo": W.ravel() - dw,
            "w_hi": W.ravel() + dw,
            "b_lo": B.ravel() - db,
            "b_hi": B.ravel() + db,
            "loss": s.loss.ravel(),
            "log10_grad": lg.ravel(),
        }
    )
    i, j = np.unravel_index(np.argmax(s.grad_norm), s.grad_norm.shape)
    facts = {
        "g_max": float(s.grad_norm[i, j]),
        "w_at": float(s.w[j]),
        "b_at": float(s.b[i]),
        "g_median": float(np.median(s.grad_norm)),
        "loss_min": float(s.loss.min()),
        "loss_max": float(s.loss.max()),
        "jump": float(np.max(np.abs(np.diff(s.loss, axis=0)))),
    }
    return {"df": df, "facts": facts}


def surface_text(S: dict, n: int) -> tuple[str, list[str]]:
    """The Cliff tab's live sentence and what to notice, from surface()'s facts."""
    SF = S["facts"]
    live = (
        f"Live, on this {n} x {n} grid: the loss ranges from {SF['loss_min']:.2e} to {SF['loss_max']:.3f}; "
        f"neighbouring grid points differ by up to **{SF['jump']:.3f}** in loss (the wall); the gradient norm "
        f"peaks at **{fmt.sci(SF['g_max'])}** at (w, b) = ({SF['w_at']:.3f}, {SF['b_at']:.3f}), "
        f"**{SF['g_max'] / max(SF['g_median'], 1e-300):.0f}x** its median {fmt.sci(SF['g_median'])}."
    )
    notes = [
        f"The cliff: the gradient norm on the grid spans from {fmt.sci(SF['g_median'])} (median) to "
        f"{fmt.sci(SF['g_max'])} at the wall."
    ]
    return live, notes


# ----------------------------------------------------------------------------- 3. descent on the cliff


def descents(
    w0: float, b0: float, lr: float, steps: int, threshold: float, csteps: int, x0: float, target: float
) -> dict:
    """Section 3: gradient descent from (w0, b0) without clipping, clipped by norm and by value (cliff.descend).

    k_star: the step at which the unclipped run met its largest gradient (0 if none was finite).
    """
    out = {}
    for mode in RUNS:
        d = cliff.descend(
            w0, b0, lr=lr, n_steps=steps, mode=mode, threshold=threshold, steps=csteps, x0=x0, target=target
        )
        out[mode] = d
    rows = []
    for mode, d in out.items():
        for k in range(len(d.loss)):
            rows.append(
                (
                    RUNS[mode],
                    k,
                    d.path[k, 0],
                    d.path[k, 1],
                    d.loss[k],
                    d.grad_norm_before[k],
                    d.grad_norm_after[k],
                )
            )
    df = pd.DataFrame(rows, columns=["run", "step", "w", "b", "loss", "grad_norm", "grad_norm_clipped"])
    free = out["none"]
    k_star = int(np.nanargmax(free.grad_norm_before)) if np.isfinite(free.grad_norm_before).any() else 0
    return {"runs": out, "df": df, "k_star": k_star}


def _first_outside(path: np.ndarray, win: tuple) -> int | None:
    """The first step whose (w, b) lies outside the window win = (w_lo, w_hi, b_lo, b_hi), None if none does."""
    with np.errstate(invalid="ignore"):
        inside = (
            (win[0] <= path[:, 0]) & (path[:, 0] <= win[1]) & (win[2] <= path[:, 1]) & (path[:, 1] <= win[3])
        )
    bad = np.flatnonzero(~inside)
    return int(bad[0]) if bad.size else None


def _clipped_note(
    fnorm: cliff.Descent, fval: cliff.Descent, win: tuple, k_star: int, steps_done: int, cap: float
) -> str:
    """Where the two clipped runs go (in the window or out of it) and their loss range after the wall (k_star)."""
    outs = {RUNS["norm"]: _first_outside(fnorm.path, win), RUNS["value"]: _first_outside(fval.path, win)}
    ranges = []
    for tag, d in (("by norm", fnorm), ("by value", fval)):
        after = d.loss[min(k_star + 1, len(d.loss) - 1) :]
        after = after[np.isfinite(after)]
        if after.size:
            ranges.append(f"between {after.min():.2e} and {after.max():.2e} ({tag})")
    if all(o is None for o in outs.values()):
        where = f"Over all {steps_done} steps both clipped runs stay in the window"
    else:
        where = "; ".join(
            f"{name} stays in the window" if o is None else f"{name} leaves the window at step {o}"
            for name, o in outs.items()
        ).capitalize()
    return (
        f"Clipped by norm, no step is longer than lr x threshold = {cap:.3g}; clipped by value, no coordinate "
        f"of a step is. {where}"
        + (f"; after step {k_star} their loss stays " + " and ".join(ranges) if ranges else "")
        + "."
    )


class DescentText(NamedTuple):
    """What the Descent tab says: the live list of runs, what to notice."""

    live: str
    notes: list[str]


def descent_text(R: dict, win: tuple, w0: float, b0: float, lr: float, threshold: float) -> DescentText:
    """The Descent tab's sentences, written from descents()'s runs (win: the surface window drawn)."""
    runs, k_star = R["runs"], R["k_star"]
    free, fnorm, fval = runs["none"], runs["norm"], runs["value"]

    step_len = np.linalg.norm(np.diff(free.path, axis=0), axis=1) if len(free.path) > 1 else np.zeros(1)
    wr, br = win[:2], win[2:]

    def _outside(p) -> bool:
        return not (wr[0] <= p[0] <= wr[1] and br[0] <= p[1] <= br[1])

    def _run_line(name: str, d: cliff.Descent) -> str:
        end = d.path[-1]
        s = (
            f"**{name}**: loss {d.loss[0]:.2e} -> **{d.loss[-1]:.2e}** after {len(d.loss) - 1} steps, "
            f"ending at (w, b) = ({end[0]:.3g}, {end[1]:.3g})"
        )
        if d.overflow_step is not None:
            s += f", **stopped at step {d.overflow_step}: float64 overflowed**"
        elif _outside(end):
            s += " (outside the window)"
        return s

    live = "Live, from (w, b) = ({:.3f}, {:.3f}) with learning rate {:g}:\n\n- {}\n- {}\n- {}".format(
        w0,
        b0,
        lr,
        _run_line(RUNS["none"], free),
        _run_line(RUNS["norm"], fnorm),
        _run_line(RUNS["value"], fval),
    )

    notes = []
    free_jump = float(step_len.max()) if step_len.size else 0.0
    g_big = (
        float(np.nanmax(free.grad_norm_before)) if np.isfinite(free.grad_norm_before).any() else float("nan")
    )
    if free.overflow_step is not None:
        notes.append(f"Unclipped descent overflowed float64 at step {free.overflow_step}.")
    elif g_big < threshold:
        notes.append(
            f"No gradient on this path reached the threshold (largest ||g|| = {fmt.sci(g_big)} < {threshold:g}), so "
            f"neither clipping ever acted: the three runs coincide and end at loss {free.loss[-1]:.2e}. Try the "
            f"start (4.4, -2.2) with learning rate 0.2 to see a run thrown off the wall."
        )
    elif free_jump > 10 * lr * threshold:
        # NB: what holds at every step count: where the unclipped run is thrown and whether each run stays in
        # the window, with the loss range after the wall. Not a ratio of end losses: the clipped runs keep
        # bouncing in the valley, so such a ratio moved from 37x to 3093x with the number of steps alone.
        out = _first_outside(free.path, win)
        notes.append(
            f"Unclipped descent met ||g|| = {fmt.sci(free.grad_norm_before[k_star])} at step {k_star} and was thrown "
            f"off the wall: one step of length {free_jump:.3g} (lr x ||g||)"
            + (
                f" took it out of the window at step {out}, and it ends at loss {free.loss[-1]:.2e}."
                if out is not None
                else f", and it ends at loss {free.loss[-1]:.2e}."
            )
        )
        notes.append(
            _clipped_note(fnorm, fval, win, k_star, steps_done=len(fnorm.loss) - 1, cap=lr * threshold)
        )
    else:
        notes.append(
            f"From this start the runs end at loss {free.loss[-1]:.2e} (unclipped), {fnorm.loss[-1]:.2e} (by norm) "
            f"and {fval.loss[-1]:.2e} (by value): the unclipped run's largest step was {free_jump:.3g} "
            f"(lr x threshold = {lr * threshold:.3g}), so clipping {'changed little here' if free_jump <= 10 * lr * threshold else 'bounded the steps but did not decide the outcome'}"
            f". Try the start (4.4, -2.2) with learning rate 0.2 to see it thrown off the wall."
        )
    return DescentText(live, notes)


# ----------------------------------------------------------------------------- 4. clipping, exactly


class ClippingView(NamedTuple):
    """Eq. 13 applied to the largest gradient the unclipped run met: its equations and sentences.

    finite is False when that gradient was not finite (nothing to clip); the texts are then empty.
    """

    finite: bool
    where: str  # which gradient it is
    tex_g: str  # the gradient and its norm (st.latex)
    tex_norm: str  # clipped by norm
    tex_value: str  # clipped by value
    result: str  # what each clipping did to the step
    notes: list[str]


def clipping_view(R: dict, threshold: float, lr: float) -> ClippingView:
    """Clip the unclipped run's largest gradient g (at descents()'s k_star) by norm and by value (eq. 13)."""
    free, k_star = R["runs"]["none"], R["k_star"]
    g_vec = free.grad[k_star]
    if not np.all(np.isfinite(g_vec)):
        return ClippingView(False, "", "", "", "", "", [])
    tex = fmt.tex
    by_norm = clipping.clip_by_norm([g_vec], threshold)
    by_value = clipping.clip_by_value([g_vec], threshold)
    gn, gv = by_norm.grads[0], by_value.grads[0]
    ang_n = clipping.angle_degrees([g_vec], [gn])
    ang_v = clipping.angle_degrees([g_vec], [gv])
    where = (
        f"The live gradient: the largest one the unclipped run met, at step {k_star}, "
        f"(w, b) = ({free.path[k_star, 0]:.4f}, {free.path[k_star, 1]:.4f})."
    )
    tex_g = (
        r"\mathbf g = \Big(\tfrac{\partial L}{\partial w}, \tfrac{\partial L}{\partial b}\Big) = ("
        + tex(g_vec[0])
        + ",\\ "
        + tex(g_vec[1])
        + r"), \qquad \|\mathbf g\| = "
        + tex(by_norm.norm_before)
    )
    tex_norm = (
        r"\text{if } \|\mathbf g\| \ge "
        + tex(threshold)
        + r":\quad \mathbf g \leftarrow \frac{"
        + tex(threshold)
        + "}{"
        + tex(by_norm.norm_before)
        + r"}\,\mathbf g = ("
        + tex(gn[0])
        + ",\\ "
        + tex(gn[1])
        + r"),\quad \|\mathbf g\| = "
        + tex(by_norm.norm_after)
        + r",\quad \angle = "
        + f"{ang_n:.2f}"
        + r"^\circ"
    )
    tex_value = (
        r"\text{by value: } g_i \leftarrow \operatorname{clip}(g_i, -"
        + tex(threshold)
        + ", "
        + tex(threshold)
        + r") \;\Rightarrow\; ("
        + tex(gv[0])
        + ",\\ "
        + tex(gv[1])
        + r"),\quad \|\mathbf g\| = "
        + tex(by_value.norm_after)
        + r",\quad \angle = "
        + f"{ang_v:.2f}"
        + r"^\circ"
    )
    clipped_norm = by_norm.norm_before >= threshold
    result = (
        f"At this gradient clipping by norm {'shortens' if clipped_norm else 'leaves'} the step "
        f"{'from lr x ||g|| = ' + fmt.sci(lr * by_norm.norm_before) + ' to ' + fmt.sci(lr * by_norm.norm_after) if clipped_norm else 'unchanged (||g|| is below the threshold)'}"
        f" and turns it by {ang_n:.2f} degrees; clipping by value turns it by **{ang_v:.2f} degrees**"
        + (
            " (it clamps each component separately, so the direction changes whenever the components "
            "are clamped unequally)."
            if ang_v > 0.01
            else "."
        )
    )
    notes = []
    if clipped_norm:
        notes.append(
            f"Clipping by norm keeps the direction (angle {ang_n:.2f} degrees); clipping by value turned "
            f"this gradient by {ang_v:.2f} degrees."
        )
    return ClippingView(True, where, tex_g, tex_norm, tex_value, result, notes)


class ClippingPlane(NamedTuple):
    """The Clipping tab's figure in the (dL/dw, dL/db) plane: g and its two clippings as arrows from 0.

    arrows: one row per arrow (run: "unclipped" for g, "clipped by norm", "clipped by value"), its true
      components g1, g2 and length, the end drawn (x2, y2: g's own end, or where it leaves the view) and the
      arrowhead's angle (degrees clockwise from up, Vega's symbol angle in a square plane).
    circle, box: ||g|| = threshold and |g_i| = threshold as closed outlines (x, y, order).
    extent: the view is [-extent, extent] in both components; g_cut: g is longer than the view (drawn to its
    edge, its direction exact). same: pairs of arrows that end at the same point (drawn on one another).
    """

    arrows: pd.DataFrame
    circle: pd.DataFrame
    box: pd.DataFrame
    extent: float
    g_cut: bool
    same: list[tuple[str, str]]


def clipping_plane(R: dict, threshold: float) -> ClippingPlane | None:
    """g = the unclipped run's largest gradient (descents()'s k_star), clipped by norm and by value
    (gradcore.clipping), as arrows with the threshold circle and box; None if g is not finite."""
    g = np.asarray(R["runs"]["none"].grad[R["k_star"]], dtype=float)
    if g.shape != (2,) or not np.all(np.isfinite(g)) or not threshold > 0:
        return None
    ends = {
        RUNS["none"]: g,
        RUNS["norm"]: clipping.clip_by_norm([g], threshold).grads[0],
        RUNS["value"]: clipping.clip_by_value([g], threshold).grads[0],
    }
    extent = 1.4 * threshold  # the view: the box with a margin (g runs off it when it is longer)
    rows = []
    g_cut = False
    for name, v in ends.items():
        big = float(np.max(np.abs(v)))
        cut = big > extent
        end = v * (0.97 * extent / big) if cut else v  # NB: scaled, so the drawn arrow keeps g's direction
        g_cut |= cut
        rows.append(
            {
                "run": name,
                "g1": float(v[0]),
                "g2": float(v[1]),
                "length": float(clipping.global_norm([v])),
                "x": 0.0,
                "y": 0.0,
                "x2": float(end[0]),
                "y2": float(end[1]),
                "angle": float(np.degrees(np.arctan2(end[0], end[1]))) % 360.0,  # clockwise from +y
                "drawn_to_edge": bool(cut),
            }
        )
    arrows = pd.DataFrame(rows)
    th = np.linspace(0.0, 2.0 * np.pi, 181)
    circle = pd.DataFrame(
        {"x": threshold * np.cos(th), "y": threshold * np.sin(th), "order": np.arange(th.size)}
    )
    c = threshold
    box = pd.DataFrame({"x": [-c, c, c, -c, -c], "y": [-c, -c, c, c, -c], "order": np.arange(5)})
    names = list(ends)
    same = [
        (a, b)
        for i, a in enumerate(names)
        for b in names[i + 1 :]
        if np.allclose(ends[a], ends[b], rtol=1e-9, atol=1e-12 * max(1.0, threshold))
    ]
    return ClippingPlane(arrows, circle, box, float(extent), g_cut, same)


def clipping_plane_caption(P: ClippingPlane, threshold: float) -> str:
    """What the figure draws, from its numbers: g's true length when it runs off the view, and arrows that coincide."""
    a = P.arrows.set_index("run")
    g = a.loc[RUNS["none"]]
    parts = [
        f"Arrows from 0 in the plane of the gradient's two components (dL/dw, dL/db); circle ||g|| = {threshold:g}, "
        f"box |g_i| <= {threshold:g}."
    ]
    if P.g_cut:
        parts.append(
            f"g itself is {g['length'] / threshold:.3g}x the threshold long (||g|| = {g['length']:.3g}): it is "
            f"drawn to the edge of the view, in its exact direction."
        )
    if len(P.same) == 3:
        parts.append(
            "g lies inside the circle and the box: neither clipping changes it, the three arrows are one."
        )
    else:
        parts += [f"'{x}' and '{y}' end at the same point here: one arrow on the figure." for x, y in P.same]
    return " ".join(parts)


# ----------------------------------------------------------------------------- 5. the bifurcation


def bifurcation(wfp: float, csteps: int, x0: float) -> dict:
    """Section 5: fixed points x* = w sigmoid(x*) + b against b (cliff.fixed_points) and x_T(b) from x0."""
    b_grid = np.linspace(B_FIXED[0], B_FIXED[1], 601)
    fp = cliff.fixed_points(w=wfp, b_values=b_grid)
    pts = pd.DataFrame(
        {
            "b": fp.b,
            "x": fp.x,
            "slope": fp.slope,
            "kind": np.where(fp.stable, "stable fixed point", "unstable fixed point"),
        }
    )
    x_T = cliff.unroll(wfp, b_grid, steps=csteps, x0=x0)[-1]
    ends = pd.DataFrame({"b": b_grid, "x": x_T, "kind": f"x_{csteps} from x_0 = {x0:g}"})
    interval = cliff.bifurcation_interval(wfp)
    three = b_grid[fp.count == 3]
    jump = None
    ok = np.isfinite(x_T)
    if ok.sum() > 1:
        dx = np.abs(np.diff(np.where(ok, x_T, np.nan)))
        if np.isfinite(dx).any():
            i = int(np.nanargmax(dx))
            b_mid = 0.5 * (b_grid[i] + b_grid[i + 1])
            uns = fp.x[(~fp.stable) & (np.abs(fp.b - b_grid[i]) < 1e-12)]
            jump = {
                "b": float(b_mid),
                "size": float(dx[i]),
                "x_unstable": float(uns[0]) if uns.size else None,
            }
    return {
        "points": pts,
        "ends": ends,
        "interval": interval,
        "jump": jump,
        "three": (float(three.min()), float(three.max())) if three.size else None,
        "counts": sorted(set(int(c) for c in fp.count)),
    }


def bifurcation_text(BF: dict, wfp: float, csteps: int, x0: float) -> str:
    """The Bifurcation tab's live paragraph: how many fixed points for which b, and where x_T jumps."""
    if BF["three"] is not None:
        lo3, hi3 = BF["three"]
        text = (
            f"Live, at w = {wfp:g}: **three fixed points for b in [{lo3:.2f}, {hi3:.2f}]** (two stable, "
            f"one unstable between them), one elsewhere; the exact interval, from w sigma'(x) = 1, is "
            f"[{BF['interval'][0]:.3f}, {BF['interval'][1]:.3f}]. "
        )
    elif BF["interval"] is not None:
        text = (
            f"Live, at w = {wfp:g}: three fixed points only for b in [{BF['interval'][0]:.4f}, "
            f"{BF['interval'][1]:.4f}], narrower than the grid of b here; one elsewhere. "
        )
    else:
        text = (
            f"Live, at w = {wfp:g}: **one fixed point for every b** (w sigma'(x) <= w/4 = {wfp / 4:.2f} "
            f"< 1, so no bifurcation). "
        )
    j = BF["jump"]
    if j is not None and j["size"] > 1.0:
        text += f"x_{csteps} started from x_0 = {x0:g} **jumps by {j['size']:.2f} at b = {j['b']:.2f}**" + (
            f", where the unstable fixed point (the border between the two basins) is at "
            f"{j['x_unstable']:.2f}, next to x_0: on one side the run falls to the lower branch, "
            f"on the other to the upper one. That jump is the wall of the Cliff tab."
            if j["x_unstable"] is not None
            else ". That jump is the wall of the Cliff tab."
        )
    else:
        text += f"x_{csteps} from x_0 = {x0:g} moves smoothly with b: no wall at this w."
    return text


START_RANGE = ((-2.0, 10.0), (-6.0, 2.0))  # the page's Start w and Start b controls accept these


def start_from_pick(selection, ranges=START_RANGE) -> tuple[float, float] | None:
    """(w0, b0) from a click on the loss surface: the clicked cell's (w, b) (a Vega-Lite point selection,
    a list of {"w": .., "b": ..}), rounded to the controls' 3 decimals and kept inside their ranges; None
    when the selection holds no usable point (a click off the cells, a cleared selection)."""
    try:
        point = selection[0]
        w, b = float(point["w"]), float(point["b"])
    except (TypeError, KeyError, IndexError, ValueError):
        return None
    if not (np.isfinite(w) and np.isfinite(b)):
        return None
    (wl, wh), (bl, bh) = ranges
    return round(min(max(w, wl), wh), 3), round(min(max(b, bl), bh), 3)
