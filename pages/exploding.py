"""Exploding gradients: growth above 1, Pascanu's single-unit cliff, and clipping (seed 001 eq. 12-13)."""
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import ui
from gradcore import activations, cliff, clipping, init, jacobians, losses, rnn
from ui import palette

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

LN10 = np.log(10.0)
D_IN, V_OUT = 4, 4  # input and output sizes of the growth experiment (small: the recurrence is the point)
KINDS = ["gaussian_radius", "gaussian_norm", "orthogonal"]
VIEWS = {  # (w range, b range) of the surface
    "wall": ((3.5, 6.0), (-3.5, -1.5)),
    "wide": ((-2.0, 10.0), (-6.0, 2.0)),
}
ZOOM = (0.4, 0.3)  # half-widths in w and b of the close-up around the start
RUNS = {"none": "unclipped", "norm": "clipped by norm", "value": "clipped by value"}
# NB: fixed here, not from palette.scale: its spare colours would give "clipped by value" vermillion,
# too close to the unclipped orange. Norm clipping keeps the palette's "clipped" purple.
RUN_SCALE = alt.Scale(domain=list(RUNS.values()), range=[palette.ORANGE, palette.PURPLE, palette.SKY_BLUE])
B_FIXED = (-6.0, 0.0)  # b range of the bifurcation diagram


# ----------------------------------------------------------------------------- engine calls


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
            part = np.asarray(ts[i:i + chunk])
            mask = np.zeros((1, T))
            mask[0, part - 1] = 1.0
            dout = losses.squared_error(cache.h @ Wy, y, mask).dout[0]  # (T, V): dL_t/dout_t at the steps asked
            dWh = rnn.step_loss_dWh(dout[part - 1] @ Wy.T, cache, part)  # (n, H, H)
            for g in dWh:
                if not np.all(np.isfinite(g)):
                    out.append(float("nan"))  # the gradient itself overflowed float64
                    continue
                # NB: in log space, m ||dWh / m||: a gradient whose entries all fit in float64 can still have a
                # Frobenius norm above 1.8e308; that is not the gradient overflowing, so do not report it as such.
                m = float(np.max(np.abs(g)))
                out.append(float("-inf") if m == 0.0 else float(np.log10(m) + 0.5 * np.log10(np.sum((g / m) ** 2))))
    return out


@st.cache_data(max_entries=24, show_spinner="Running the RNNs forward and backward...")
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
        h_over = int(np.argmin(finite_h)) + 1 if not finite_h.all() else None  # first step t with h_t non-finite
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
            if np.isfinite(cache.h).any() else float("nan"),
        }
    jac = pd.DataFrame(jac_rows, columns=["series", "distance", "log10_norm"])
    grad = pd.DataFrame(grad_rows, columns=["series", "T", "log10_grad"])
    return {"jac": jac, "grad": grad, "facts": facts}


@st.cache_data(max_entries=16, show_spinner=False)
def surface(win: tuple, n: int, csteps: int, x0: float, target: float) -> dict:
    """Section 2: L(w, b) and ||dL/d(w, b)|| on an n x n grid over win = (w_lo, w_hi, b_lo, b_hi) (cliff.surface)."""
    s = cliff.surface(win[:2], win[2:], n, n, steps=csteps, x0=x0, target=target)
    W, B = np.meshgrid(s.w, s.b)
    # NB: cells overlap by 10% on each side so anti-aliasing leaves no white seams between rects
    dw, db = 0.6 * (s.w[1] - s.w[0]), 0.6 * (s.b[1] - s.b[0])
    with np.errstate(divide="ignore"):
        lg = np.log10(np.maximum(s.grad_norm, 1e-300))
    df = pd.DataFrame({"w": W.ravel(), "b": B.ravel(), "w_lo": W.ravel() - dw, "w_hi": W.ravel() + dw,
                       "b_lo": B.ravel() - db, "b_hi": B.ravel() + db, "loss": s.loss.ravel(),
                       "log10_grad": lg.ravel()})
    i, j = np.unravel_index(np.argmax(s.grad_norm), s.grad_norm.shape)
    facts = {"g_max": float(s.grad_norm[i, j]), "w_at": float(s.w[j]), "b_at": float(s.b[i]),
             "g_median": float(np.median(s.grad_norm)), "loss_min": float(s.loss.min()),
             "loss_max": float(s.loss.max()),
             "jump": float(np.max(np.abs(np.diff(s.loss, axis=0))))}
    return {"df": df, "facts": facts}


@st.cache_data(max_entries=32, show_spinner=False)
def descents(w0: float, b0: float, lr: float, steps: int, threshold: float, csteps: int, x0: float,
             target: float) -> dict:
    """Section 3: gradient descent from (w0, b0) without clipping, clipped by norm and by value (cliff.descend)."""
    out = {}
    for mode in RUNS:
        d = cliff.descend(w0, b0, lr=lr, n_steps=steps, mode=mode, threshold=threshold, steps=csteps,
                          x0=x0, target=target)
        out[mode] = d
    rows = []
    for mode, d in out.items():
        for k in range(len(d.loss)):
            rows.append((RUNS[mode], k, d.path[k, 0], d.path[k, 1], d.loss[k], d.grad_norm_before[k],
                         d.grad_norm_after[k]))
    df = pd.DataFrame(rows, columns=["run", "step", "w", "b", "loss", "grad_norm", "grad_norm_clipped"])
    return {"runs": out, "df": df}


@st.cache_data(max_entries=16, show_spinner=False)
def bifurcation(wfp: float, csteps: int, x0: float) -> dict:
    """Section 5: fixed points x* = w sigmoid(x*) + b against b (cliff.fixed_points) and x_T(b) from x0."""
    b_grid = np.linspace(B_FIXED[0], B_FIXED[1], 601)
    fp = cliff.fixed_points(w=wfp, b_values=b_grid)
    pts = pd.DataFrame({"b": fp.b, "x": fp.x, "slope": fp.slope,
                        "kind": np.where(fp.stable, "stable fixed point", "unstable fixed point")})
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
            jump = {"b": float(b_mid), "size": float(dx[i]),
                    "x_unstable": float(uns[0]) if uns.size else None}
    return {"points": pts, "ends": ends, "interval": interval, "jump": jump,
            "three": (float(three.min()), float(three.max())) if three.size else None,
            "counts": sorted(set(int(c) for c in fp.count))}


# ----------------------------------------------------------------------------- small helpers


def _sci(v: float, digits: int = 3) -> str:
    """1234.5 -> '1.23e+03' (or 'not finite')."""
    return f"{v:.{digits - 1}e}" if np.isfinite(v) else "not finite"


def _pow10(log10v: float) -> str:
    """A log10 value -> '10^12.3' in plain text, for numbers beyond float64."""
    return f"10^{log10v:.1f}" if np.isfinite(log10v) else "exactly 0" if log10v == -np.inf else "not finite"


def _tex_num(v: float) -> str:
    """Number for st.latex: 3 significant digits, powers of ten written out."""
    if not np.isfinite(v):
        return r"\infty"
    s = f"{v:.3g}"
    if "e" in s:
        m, e = s.split("e")
        return rf"{m}\times 10^{{{int(e)}}}"
    return s


def _window(view: str, w0: float, b0: float) -> tuple:
    """(w_lo, w_hi, b_lo, b_hi) of a named window; "start" is a close-up around the descent's start."""
    if view == "start":
        return (w0 - ZOOM[0], w0 + ZOOM[0], b0 - ZOOM[1], b0 + ZOOM[1])
    (wr, br) = VIEWS[view]
    return (wr[0], wr[1], br[0], br[1])


def _grid_chart(df: pd.DataFrame, value: str, title: str, legend: str, win: tuple, height: int):
    """Heatmap over (w, b) on quantitative axes (so descent paths can be drawn on it)."""
    wr, br = win[:2], win[2:]
    return alt.Chart(df).mark_rect().encode(
        x=alt.X("w_lo:Q", title="recurrent weight w", scale=alt.Scale(domain=list(wr), nice=False)),
        x2="w_hi:Q",
        y=alt.Y("b_lo:Q", title="bias b", scale=alt.Scale(domain=list(br), nice=False)),
        y2="b_hi:Q",
        color=alt.Color(f"{value}:Q", title=legend, scale=alt.Scale(scheme=palette.SEQUENTIAL),
                        legend=alt.Legend(orient="right", gradientLength=130)),
        tooltip=[alt.Tooltip("w:Q", format=".3f"), alt.Tooltip("b:Q", format=".3f"),
                 alt.Tooltip(f"{value}:Q", title=legend, format=".4g")],
    ).properties(title=title, height=height)


def _recolour(chart, scale=RUN_SCALE, field="run"):
    """Give the layers of a ui.charts chart that colour by `field` this page's run colours."""
    for sub in getattr(chart, "layer", None) or [chart]:
        col = getattr(getattr(sub, "encoding", alt.Undefined), "color", alt.Undefined)
        if col is not alt.Undefined and str(getattr(col, "shorthand", "")).split(":")[0] == field:
            col.scale = scale
    return chart


def _paths_layers(df: pd.DataFrame, win: tuple, featured: str):
    """Descent paths inside the surface window (clipped at its edge), start marked."""
    wr, br = win[:2], win[2:]
    d = df[np.isfinite(df["w"]) & np.isfinite(df["b"])].copy()
    d["width"] = np.where(d["run"] == RUNS[featured], 3.5, 2.0)
    sx = alt.Scale(domain=list(wr), nice=False)
    sy = alt.Scale(domain=list(br), nice=False)
    enc = dict(x=alt.X("w:Q", scale=sx), y=alt.Y("b:Q", scale=sy), order="step:Q", detail="run:N")
    halo = alt.Chart(d).mark_line(clip=True, color="white", opacity=0.8, strokeWidth=5).encode(**enc)
    lines = alt.Chart(d).mark_line(clip=True, point=alt.OverlayMarkDef(size=14, filled=True)).encode(
        **enc, color=alt.Color("run:N", title="descent", scale=RUN_SCALE,
                               legend=alt.Legend(orient="right")),
        strokeWidth=alt.StrokeWidth("width:Q", legend=None, scale=None),
        tooltip=["run:N", "step:Q", alt.Tooltip("w:Q", format=".4f"), alt.Tooltip("b:Q", format=".4f"),
                 alt.Tooltip("loss:Q", format=".3e"), alt.Tooltip("grad_norm:Q", title="||g||", format=".3e"),
                 alt.Tooltip("grad_norm_clipped:Q", title="||g|| after clipping", format=".3e")])
    start = d[d["step"] == 0].head(1)
    dot = alt.Chart(start).mark_point(shape="circle", size=70, filled=True, color="white", stroke="black",
                                      strokeWidth=1.5, clip=True).encode(x=alt.X("w:Q", scale=sx),
                                                                         y=alt.Y("b:Q", scale=sy))
    return [halo, lines, dot]


# Chart builders: plain values in (the page's settings), an Altair chart out. Each one reads the
# cached engine results, so ui.cached_chart keeps the finished Vega-Lite spec per setting: Altair
# validates a spec on every to_dict (~50 ms a chart), too slow for this nine-chart page's reruns.


def chart_jacobians(kind, scale, T, H, act, seed):
    G = growth(kind, scale, T, H, act, seed)
    bounds = [s for s in G["jac"]["series"].unique() if s.startswith("bound")]
    return ui.charts.log_line(
        G["jac"], "distance", "log10_norm", "series", log10=True, floor_log10=-300, dashed=bounds,
        x_title="distance T - k (steps)", y_title="||dh_T / dh_k||_2 (log scale)",
        title=f"Jacobian products, {'norm' if kind == 'gaussian_norm' else 'radius'} {scale:g}, H = {H}",
        height=340)


def chart_grad_vs_T(kind, scale, T, H, act, seed):
    G = growth(kind, scale, T, H, act, seed)
    return ui.charts.log_line(
        G["grad"], "T", "log10_grad", "series", log10=True, floor_log10=-300,
        x_title="sequence length T", y_title="||dL_T / dW_hh||_F (log scale)",
        title="Gradient of the last step's loss L_T w.r.t. W_hh", height=340, points=T <= 120)


def chart_surface_paths(win, n, csteps, x0, target, w0, b0, lr, steps, threshold, featured, title):
    S = surface(win, n, csteps, x0, target)
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    surf = _grid_chart(S["df"], "loss", title, "loss L", win, 400)
    return (alt.layer(surf, *_paths_layers(R["df"], win, featured)).resolve_scale(color="independent")
            .properties(height=400))


def chart_surface(win, n, csteps, x0, target):
    S = surface(win, n, csteps, x0, target)
    return _grid_chart(S["df"], "loss", f"Loss L(w, b) on a {n} x {n} grid", "loss L", win, 380)


def chart_grad_map(win, n, csteps, x0, target):
    S = surface(win, n, csteps, x0, target)
    return _grid_chart(S["df"], "log10_grad", "Gradient norm ||dL/d(w, b)|| (log10)", "log10 ||g||", win, 380)


def chart_loss_steps(w0, b0, lr, steps, threshold, csteps, x0, target):
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    return _recolour(ui.charts.log_line(R["df"], "step", "loss", "run", floor=1e-16, x_title="descent step k",
                                        y_title="loss L (log scale)", title="Loss L(w_k, b_k) per step",
                                        height=300))


def chart_grad_steps(w0, b0, lr, steps, threshold, csteps, x0, target):
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    chart = _recolour(ui.charts.log_line(
        R["df"][["run", "step", "grad_norm"]], "step", "grad_norm", "run", floor=1e-16,
        x_title="descent step k", y_title="||g|| (log scale)", height=300))
    thr = pd.DataFrame({"y": [threshold]})
    rule = alt.Chart(thr).mark_rule(strokeDash=[6, 4], color=palette.BLACK).encode(y="y:Q")
    return alt.layer(chart, rule).properties(
        title=f"Gradient norm before clipping (dashed: threshold {threshold:g})")


def chart_bifurcation(wfp, csteps, x0):
    BF = bifurcation(wfp, csteps, x0)
    pts = BF["points"]
    ends = BF["ends"][np.isfinite(BF["ends"]["x"])]
    names = ["stable fixed point", "unstable fixed point", ends["kind"].iloc[0]]
    cs = alt.Scale(domain=names, range=[palette.BLUE, palette.VERMILLION, palette.BLACK])
    xs = alt.Scale(domain=list(B_FIXED), nice=False)
    dots = alt.Chart(pts).mark_circle(size=14, opacity=0.9).encode(
        x=alt.X("b:Q", title="bias b", scale=xs), y=alt.Y("x:Q", title="state x"),
        color=alt.Color("kind:N", title=None, scale=cs, legend=alt.Legend(orient="bottom")),
        tooltip=[alt.Tooltip("b:Q", format=".3f"), alt.Tooltip("x:Q", format=".4f"),
                 alt.Tooltip("slope:Q", title="w sigma'(x*)", format=".3f"), "kind:N"])
    path = alt.Chart(ends).mark_line(strokeDash=[5, 3], strokeWidth=1.5).encode(
        x=alt.X("b:Q", scale=xs), y="x:Q", color=alt.Color("kind:N", title=None, scale=cs))
    layers = [path, dots]
    if BF["three"] is not None:
        band = pd.DataFrame({"lo": [BF["three"][0]], "hi": [BF["three"][1]]})
        layers.insert(0, alt.Chart(band).mark_rect(color=palette.GREY, opacity=0.12).encode(
            x=alt.X("lo:Q", scale=xs), x2="hi:Q"))
    return alt.layer(*layers).properties(
        title=f"Fixed points of x -> {wfp:g} sigma(x) + b, and where x_{csteps} ends", height=340)


# ----------------------------------------------------------------------------- page

st.title("Exploding gradients: the cliff and clipping")
st.markdown(
    "The same product of Jacobians that makes gradients vanish below 1 makes them **explode** above it "
    "(seed 001, eq. 12). The first tab measures the growth in a real RNN; the others use the one-unit "
    "network of Pascanu, Mikolov & Bengio (2013, section 3) to show what an exploding gradient does to "
    "gradient descent (a *cliff* in the error surface) and how clipping the gradient (eq. 13) survives it.")

# One section at a time, in tabs (ui.sections): the open one is in the URL (?exp_view=Cliff) and only
# it is computed and drawn. Each tab's own controls are drawn on every run, open or not, so their
# values and URL parameters survive a visit to another tab; the cliff's (steps, x_0, target, window,
# grid) also define the network of the descent and bifurcation tabs.
SECTIONS = ["Growth", "Cliff", "Descent", "Clipping", "Bifurcation"]
secs = {sec.label: sec for sec in ui.sections("exp_view", SECTIONS)}

with secs["Growth"].box:
    st.header("1. Growth: the product of Jacobians above 1")
    c1, c2, c3 = st.columns(3)
    with c1:
        kind = ui.select("W_hh scaled to", "init", KINDS, "gaussian_radius",
                         help="gaussian_radius: Gaussian W_hh rescaled to the spectral radius below; "
                              "gaussian_norm: to the spectral norm (largest singular value, gamma_W of eq. 12); "
                              "orthogonal: every singular value equals the scale.")
        scale = ui.slider("Spectral radius / norm of W_hh", "scale", 0.5, 3.0, 1.5, step=0.05)
    with c2:
        T = ui.slider("Sequence length T", "T", 10, 1000, 100, step=10)
        H = ui.slider("Hidden size H", "H", 4, 128, 32, step=4)
    with c3:
        act = ui.select("Activation f", "act", ["tanh", "sigmoid", "relu", "linear"], "tanh",
                        help="The chart always shows a linear RNN beside this one (tanh if you pick linear).")
        seed = ui.number("Seed", "seed", 0, 9999, 0, step=1)
scale, T, H, seed = float(scale), int(T), int(H), int(seed)

with secs["Cliff"].box:
    st.header("2. The cliff: Pascanu's one-unit network")
    st.markdown(
        "One unit, no input, 50 steps: a tiny network whose loss surface has a **wall**. "
        "Near the bifurcation of the map (the Bifurcation tab) a small change of (w, b) sends x_50 to a different "
        "attractor, so the loss jumps and its gradient is huge on a thin strip.")
    k1, k2, k3, k4, k5 = st.columns(5)
    with k1:
        csteps = ui.slider("Unrolled steps", "csteps", 5, 200, cliff.STEPS, step=5)
    with k2:
        x0 = ui.slider("x_0", "x0", -3.0, 3.0, cliff.X0, step=0.1)
    with k3:
        target = ui.slider("Target", "target", 0.05, 0.95, cliff.TARGET, step=0.05)
    with k4:
        view = ui.radio("Window", "view", list(VIEWS), "wall",
                        help="wall: w 3.5..6, b -3.5..-1.5; wide: w -2..10, b -6..2.")
    with k5:
        n = ui.slider("Grid points per axis", "grid", 40, 200, 100, step=20)
n, csteps, x0, target = int(n), int(csteps), float(x0), float(target)
win = _window(view, 0.0, 0.0)

with secs["Descent"].box:
    st.header("3. Descent on the cliff, with and without clipping")
    d1, d2, d3, d4, d5, d6 = st.columns(6)
    with d1:
        w0 = ui.number("Start w", "w0", -2.0, 10.0, 4.4, step=0.05, format="%.3f")
    with d2:
        b0 = ui.number("Start b", "b0", -6.0, 2.0, -2.2, step=0.05, format="%.3f")
    with d3:
        lr = ui.slider("Learning rate", "cliff_lr", 0.01, 2.0, 0.2, step=0.01)
    with d4:
        steps = ui.slider("Descent steps", "cliff_steps", 10, 500, 100, step=10)
    with d5:
        threshold = ui.slider("Threshold", "threshold", 0.1, 10.0, 1.0, step=0.1)
    with d6:
        featured = ui.radio("Clipping to examine", "cliff_clip", list(RUNS), "norm", horizontal=False,
                            help="Which run the Descent and Clipping tabs put in front; all three are always drawn.")
w0, b0, lr, steps, threshold = float(w0), float(b0), float(lr), int(steps), float(threshold)

with secs["Clipping"].box:
    st.header("4. Clipping, exactly (eq. 13)")

with secs["Bifurcation"].box:
    st.header("5. Where the cliff comes from: the bifurcation")
    ui.equation(r"x^* = w\,\sigma(x^*) + b, \qquad \text{stable iff } |w\,\sigma'(x^*)| < 1",
                computed_by="gradcore.cliff.fixed_points (grid + bisection) and gradcore.cliff.unroll")
    bc1, bc2 = st.columns([1, 2])
    wfp = float(ui.slider("Recurrent weight w", "wfp", 3.0, 8.0, cliff.W_BIFURCATION, step=0.1,
                          help="The paper uses w = 5.0.", where=bc1))


# ----------------------------------------------------------------------------- the sections' content
def _grad_sentence(f: str, ff: dict) -> str:
    if ff["grad_overflow"] is not None:
        s = (f"for **{f}** float64 **overflowed at T = {ff['grad_overflow']}** (at T = {ff['t_last_finite']} "
             f"every entry was still finite, norm {_pow10(ff['log10_grad_last_finite'])})")
        if ff["h_overflow"] is not None:
            s += f"; the forward pass itself overflowed at step {ff['h_overflow']}"
        return s
    return (f"for **{f}** it went from {_pow10(ff['log10_grad_2'])} at T = 2 to "
            f"**{_pow10(ff['log10_grad_last_finite'])} at T = {ff['t_last_finite']}**")


def section_growth():
    """Section 1: ||dh_T/dh_k|| and ||dL_T/dW_hh|| of a linear and a nonlinear RNN above 1."""
    G = growth(kind, scale, T, H, act, seed)
    F = G["facts"]
    lin, other = F["series"]
    fl, fo = F[lin], F[other]

    ui.equation(r"\left\| \frac{\partial h_T}{\partial h_k} \right\| = \left\| \prod_{s=k+1}^{T} "
                r"\operatorname{diag}\big(f'(a_s)\big)\, W_h^{\top} \right\| \;\le\; "
                r"(\gamma_W \gamma_h)^{T-k} \qquad \text{(seed 001, eq. 9 and 12)}",
                computed_by="gradcore.jacobians.rnn_product_norms and gradcore.jacobians.rnn_bound")
    st.markdown(
        f"Live: spectral radius rho(W_h) = **{F['radius']:.3f}**, spectral norm gamma_W = ||W_h||_2 = "
        f"**{F['norm']:.3f}**. Over T - k = {T} steps, ||dh_T/dh_0|| = **{_pow10(fl['log10_jac_T'])}** for "
        f"the linear RNN (**{fl['per_step']:.3f}x per step**) and **{_pow10(fo['log10_jac_T'])}** for {other} "
        f"(**{fo['per_step']:.3f}x per step**); the bound (gamma_W gamma_h)^T is "
        f"{_pow10(fl['log10_bound_T'])} for linear and {_pow10(fo['log10_bound_T'])} for {other}.")

    g1, g2 = st.columns(2)
    with g1:
        ui.cached_chart(chart_jacobians, kind, scale, T, H, act, seed, data=lambda: G["jac"],
                        filename="exploding-jacobian-norms.csv")
    with g2:
        ui.cached_chart(chart_grad_vs_T, kind, scale, T, H, act, seed, data=lambda: G["grad"],
                        filename="exploding-grad-norm-vs-T.csv")

    ui.equation(r"L_T = \tfrac12 \| h_T W_y - y_T \|^2, \qquad "
                r"\frac{\partial L_T}{\partial W_h} = \sum_{k=1}^{T} h_{k-1}^{\top} "
                r"\Big(\frac{\partial L_T}{\partial h_T} \frac{\partial h_T}{\partial h_k} \odot f'(a_k)\Big)",
                computed_by="gradcore.losses.squared_error and gradcore.rnn.backward_all")
    st.markdown("Live: ||dL_T/dW_hh||_F " + _grad_sentence(lin, fl) + "; " + _grad_sentence(other, fo) + ".")
    ui.show_code(growth, rnn.backward_all, jacobians.rnn_product_norms)
    notes = []
    if fl["log10_jac_T"] > 0:
        notes.append(
            f"Growth: with W_hh at {kind.replace('_', ' ')} {scale:g} (spectral norm {F['norm']:.2f}), the linear "
            f"RNN's ||dh_T/dh_0|| grew to {_pow10(fl['log10_jac_T'])} over {T} steps, {fl['per_step']:.3f}x per "
            f"step: the gradient **explodes**.")
    else:
        notes.append(
            f"Growth: with W_hh at {kind.replace('_', ' ')} {scale:g}, the linear RNN's ||dh_T/dh_0|| fell to "
            f"{_pow10(fl['log10_jac_T'])} over {T} steps ({fl['per_step']:.3f}x per step): below 1 it "
            f"**vanishes** instead; raise the scale above 1 to see it explode.")
    diff = fl["log10_jac_T"] - fo["log10_jac_T"]
    if np.isfinite(diff) and diff > 1:
        notes.append(
            f"{other} ends {diff:.1f} orders of magnitude below linear: f'(a) <= {activations.get(other).gamma:g} "
            f"and saturated units have f' near 0, which tames the product ({fo['per_step']:.3f}x per step).")
    elif np.isfinite(diff):
        notes.append(f"{other} and linear end within {abs(diff):.1f} orders of magnitude of each other here.")
    if fl["grad_overflow"] is not None or fo["grad_overflow"] is not None:
        which = [f"{f} at T = {F[f]['grad_overflow']}" for f in (lin, other) if F[f]["grad_overflow"] is not None]
        notes.append(f"The gradient of a real loss overflowed float64 ({', '.join(which)}): past that length "
                     f"training would see inf/NaN, not a number.")
    else:
        notes.append(f"No float64 overflow up to T = {T}; the largest ||dL_T/dW_hh|| was "
                     f"{_pow10(max(fl['log10_grad_last_finite'], fo['log10_grad_last_finite']))}.")
    ui.what_to_notice(notes)


def section_cliff():
    """Section 2: L(w, b) and ||dL/d(w, b)|| over the window: the wall."""
    ui.equation(r"x_t = w\,\sigma(x_{t-1}) + b,\quad x_0 = " + f"{x0:g}" + r",\qquad "
                r"L(w, b) = \big(\sigma(x_{" + str(csteps) + r"}) - " + f"{target:g}" + r"\big)^2",
                computed_by="gradcore.cliff.surface (loss and exact BPTT gradient, vectorised over the grid)")
    S = surface(win, n, csteps, x0, target)
    SF = S["facts"]
    st.markdown(
        f"Live, on this {n} x {n} grid: the loss ranges from {SF['loss_min']:.2e} to {SF['loss_max']:.3f}; "
        f"neighbouring grid points differ by up to **{SF['jump']:.3f}** in loss (the wall); the gradient norm "
        f"peaks at **{_sci(SF['g_max'])}** at (w, b) = ({SF['w_at']:.3f}, {SF['b_at']:.3f}), "
        f"**{SF['g_max'] / max(SF['g_median'], 1e-300):.0f}x** its median {_sci(SF['g_median'])}.")
    s1, s2 = st.columns(2)
    with s1:
        # NB: the CSV (10^4 rows) is made only on click
        ui.cached_chart(chart_surface, win, n, csteps, x0, target,
                        data=lambda: S["df"][["w", "b", "loss", "log10_grad"]], filename="cliff-surface.csv")
    with s2:
        ui.cached_chart(chart_grad_map, win, n, csteps, x0, target)
    notes = []
    notes.append(
        f"The cliff: the gradient norm on the grid spans from {_sci(SF['g_median'])} (median) to "
        f"{_sci(SF['g_max'])} at the wall.")
    ui.what_to_notice(notes)


def _cliff_caption() -> None:
    """The one-unit network this tab uses: the Cliff tab's settings (not shown here)."""
    st.caption(f"On the Cliff tab's network: {csteps} unrolled steps from x_0 = {x0:g}, target {target:g}; the "
               f"{view} window at {n} x {n} points (change them on the Cliff tab).")


def _descents():
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    runs = R["runs"]
    free = runs["none"]
    k_star = int(np.nanargmax(free.grad_norm_before)) if np.isfinite(free.grad_norm_before).any() else 0
    return R, runs, free, k_star


def section_descent():
    """Section 3: gradient descent from (w0, b0) unclipped, clipped by norm and by value."""
    _cliff_caption()
    R, runs, free, k_star = _descents()
    rdf = R["df"]

    with st.expander("Predict first: what does the unclipped run do when it meets the wall? Think, then open."):
        _f = runs["none"]
        _len = np.linalg.norm(np.diff(_f.path, axis=0), axis=1)
        if _len.size and np.isfinite(_len).any():
            _k = int(np.nanargmax(_len))
            st.markdown(
                f"Computed: its longest step is step {_k} -> {_k + 1}, where ||g|| = {_sci(_f.grad_norm_before[_k])}: "
                f"a step of length {_len[_k]:.3g} (lr x ||g||), from ({_f.path[_k, 0]:.3f}, {_f.path[_k, 1]:.3f}) to "
                f"({_f.path[_k + 1, 0]:.3g}, {_f.path[_k + 1, 1]:.3g}); the loss goes from {_f.loss[_k]:.2e} to "
                f"{_f.loss[_k + 1]:.2e} and ends at {_f.loss[-1]:.2e}. Clipped by norm, no step is longer than "
                f"lr x threshold = {lr * threshold:.3g}.")
        else:
            st.markdown("Computed: the run stopped before taking a step (its first gradient was not finite).")
    zwin = tuple(round(v, 6) for v in _window("start", w0, b0))
    m1, m2 = st.columns(2)
    with m1:
        ui.cached_chart(chart_surface_paths, win, n, csteps, x0, target, w0, b0, lr, steps, threshold, featured,
                        f"Descent paths on the {view} window")
    with m2:
        ui.cached_chart(chart_surface_paths, zwin, n, csteps, x0, target, w0, b0, lr, steps, threshold, featured,
                        f"Close-up around the start (w {w0:g} +- {ZOOM[0]:g}, b {b0:g} +- {ZOOM[1]:g})")
    p1, p2 = st.columns(2)
    with p1:
        ui.cached_chart(chart_loss_steps, w0, b0, lr, steps, threshold, csteps, x0, target, data=lambda: rdf,
                        filename="cliff-descent-paths.csv")
    with p2:
        ui.cached_chart(chart_grad_steps, w0, b0, lr, steps, threshold, csteps, x0, target, data=lambda: rdf,
                        filename="cliff-descent-norms.csv")
    fnorm, fval = runs["norm"], runs["value"]
    step_len = np.linalg.norm(np.diff(free.path, axis=0), axis=1) if len(free.path) > 1 else np.zeros(1)
    wr, br = win[:2], win[2:]

    def _outside(p) -> bool:
        return not (wr[0] <= p[0] <= wr[1] and br[0] <= p[1] <= br[1])

    def _run_line(name: str, d: cliff.Descent) -> str:
        end = d.path[-1]
        s = (f"**{name}**: loss {d.loss[0]:.2e} -> **{d.loss[-1]:.2e}** after {len(d.loss) - 1} steps, "
             f"ending at (w, b) = ({end[0]:.3g}, {end[1]:.3g})")
        if d.overflow_step is not None:
            s += f", **stopped at step {d.overflow_step}: float64 overflowed**"
        elif _outside(end):
            s += " (outside the window)"
        return s

    st.markdown("Live, from (w, b) = ({:.3f}, {:.3f}) with learning rate {:g}:\n\n- {}\n- {}\n- {}".format(
        w0, b0, lr, _run_line(RUNS["none"], free), _run_line(RUNS["norm"], fnorm), _run_line(RUNS["value"], fval)))
    ui.show_code(cliff.loss_and_grad, cliff.descend)
    notes = []
    free_jump = float(step_len.max()) if step_len.size else 0.0
    g_big = float(np.nanmax(free.grad_norm_before)) if np.isfinite(free.grad_norm_before).any() else float("nan")
    if free.overflow_step is not None:
        notes.append(f"Unclipped descent overflowed float64 at step {free.overflow_step}.")
    elif g_big < threshold:
        notes.append(
            f"No gradient on this path reached the threshold (largest ||g|| = {_sci(g_big)} < {threshold:g}), so "
            f"neither clipping ever acted: the three runs coincide and end at loss {free.loss[-1]:.2e}. Try the "
            f"start (4.4, -2.2) with learning rate 0.2 to see a run thrown off the wall.")
    elif free.loss[-1] >= 10 * fnorm.loss[-1] and free_jump > 10 * lr * threshold:
        notes.append(
            f"Unclipped descent met ||g|| = {_sci(free.grad_norm_before[k_star])} at step {k_star} and took a "
            f"step of length {free_jump:.3g}, ending at loss {free.loss[-1]:.2e}; clipped by norm, no step is "
            f"longer than lr x threshold = {lr * threshold:.3g} and it ends at {fnorm.loss[-1]:.2e}, "
            f"{free.loss[-1] / max(fnorm.loss[-1], 1e-300):.0f}x lower.")
    else:
        notes.append(
            f"From this start the runs end at loss {free.loss[-1]:.2e} (unclipped), {fnorm.loss[-1]:.2e} (by norm) "
            f"and {fval.loss[-1]:.2e} (by value): the unclipped run's largest step was {free_jump:.3g} "
            f"(lr x threshold = {lr * threshold:.3g}), so clipping {'changed little here' if free_jump <= 10 * lr * threshold else 'bounded the steps but did not decide the outcome'}"
            f". Try the start (4.4, -2.2) with learning rate 0.2 to see it thrown off the wall.")
    ui.what_to_notice(notes)


def section_clipping():
    """Section 4: eq. 13 applied to the largest gradient the unclipped run met."""
    _cliff_caption()
    st.caption(f"The descent is the Descent tab's: from (w, b) = ({w0:g}, {b0:g}), learning rate {lr:g}, "
               f"{steps} steps, threshold {threshold:g}.")
    R, runs, free, k_star = _descents()
    notes = []
    g_vec = free.grad[k_star]
    if np.all(np.isfinite(g_vec)):
        by_norm = clipping.clip_by_norm([g_vec], threshold)
        by_value = clipping.clip_by_value([g_vec], threshold)
        gn, gv = by_norm.grads[0], by_value.grads[0]
        ang_n = clipping.angle_degrees([g_vec], [gn])
        ang_v = clipping.angle_degrees([g_vec], [gv])
        st.markdown(
            f"The live gradient: the largest one the unclipped run met, at step {k_star}, "
            f"(w, b) = ({free.path[k_star, 0]:.4f}, {free.path[k_star, 1]:.4f}).")
        ui.equation(
            r"\mathbf g = \Big(\tfrac{\partial L}{\partial w}, \tfrac{\partial L}{\partial b}\Big) = ("
            + _tex_num(g_vec[0]) + ",\\ " + _tex_num(g_vec[1]) + r"), \qquad \|\mathbf g\| = "
            + _tex_num(by_norm.norm_before), computed_by="gradcore.cliff.loss_and_grad")
        ui.equation(
            r"\text{if } \|\mathbf g\| \ge " + _tex_num(threshold) + r":\quad \mathbf g \leftarrow \frac{"
            + _tex_num(threshold) + "}{" + _tex_num(by_norm.norm_before) + r"}\,\mathbf g = ("
            + _tex_num(gn[0]) + ",\\ " + _tex_num(gn[1]) + r"),\quad \|\mathbf g\| = " + _tex_num(by_norm.norm_after)
            + r",\quad \angle = " + f"{ang_n:.2f}" + r"^\circ",
            computed_by="gradcore.clipping.clip_by_norm and gradcore.clipping.angle_degrees")
        ui.equation(
            r"\text{by value: } g_i \leftarrow \operatorname{clip}(g_i, -" + _tex_num(threshold) + ", "
            + _tex_num(threshold) + r") \;\Rightarrow\; (" + _tex_num(gv[0]) + ",\\ " + _tex_num(gv[1])
            + r"),\quad \|\mathbf g\| = " + _tex_num(by_value.norm_after) + r",\quad \angle = "
            + f"{ang_v:.2f}" + r"^\circ",
            computed_by="gradcore.clipping.clip_by_value and gradcore.clipping.angle_degrees")
        clipped_norm = by_norm.norm_before >= threshold
        st.markdown(
            f"At this gradient clipping by norm {'shortens' if clipped_norm else 'leaves'} the step "
             f"{'from lr x ||g|| = ' + _sci(lr * by_norm.norm_before) + ' to ' + _sci(lr * by_norm.norm_after) if clipped_norm else 'unchanged (||g|| is below the threshold)'}"
             f" and turns it by {ang_n:.2f} degrees; clipping by value turns it by **{ang_v:.2f} degrees**"
             + (" (it clamps each component separately, so the direction changes whenever the components "
                "are clamped unequally)." if ang_v > 0.01 else "."))
        ui.show_code(clipping.clip_by_norm, clipping.clip_by_value)
    else:
        st.markdown("The unclipped run's gradient was not finite at its first step; nothing to clip.")
    if np.all(np.isfinite(g_vec)) and by_norm.norm_before >= threshold:
        notes.append(f"Clipping by norm keeps the direction (angle {ang_n:.2f} degrees); clipping by value turned "
                     f"this gradient by {ang_v:.2f} degrees.")
    if notes:
        ui.what_to_notice(notes)


def section_bifurcation():
    """Section 5: the fixed points of x -> w sigma(x) + b and where x_T ends: the wall's origin."""
    st.caption(f"x_T after the Cliff tab's {csteps} unrolled steps from x_0 = {x0:g} (change them on the Cliff tab).")
    BF = bifurcation(wfp, csteps, x0)
    with bc1:
        if BF["three"] is not None:
            lo3, hi3 = BF["three"]
            text = (f"Live, at w = {wfp:g}: **three fixed points for b in [{lo3:.2f}, {hi3:.2f}]** (two stable, "
                    f"one unstable between them), one elsewhere; the exact interval, from w sigma'(x) = 1, is "
                    f"[{BF['interval'][0]:.3f}, {BF['interval'][1]:.3f}]. ")
        elif BF["interval"] is not None:
            text = (f"Live, at w = {wfp:g}: three fixed points only for b in [{BF['interval'][0]:.4f}, "
                    f"{BF['interval'][1]:.4f}], narrower than the grid of b here; one elsewhere. ")
        else:
            text = (f"Live, at w = {wfp:g}: **one fixed point for every b** (w sigma'(x) <= w/4 = {wfp / 4:.2f} "
                    f"< 1, so no bifurcation). ")
        j = BF["jump"]
        if j is not None and j["size"] > 1.0:
            text += (f"x_{csteps} started from x_0 = {x0:g} **jumps by {j['size']:.2f} at b = {j['b']:.2f}**"
                     + (f", where the unstable fixed point (the border between the two basins) is at "
                        f"{j['x_unstable']:.2f}, next to x_0: on one side the run falls to the lower branch, "
                        f"on the other to the upper one. That jump is the wall of the Cliff tab."
                        if j["x_unstable"] is not None else ". That jump is the wall of the Cliff tab."))
        else:
            text += f"x_{csteps} from x_0 = {x0:g} moves smoothly with b: no wall at this w."
        st.markdown(text)
    with bc2:
        ui.cached_chart(chart_bifurcation, wfp, csteps, x0, data=lambda: BF["points"],
                        filename="cliff-fixed-points.csv")


DRAW = {"Growth": section_growth, "Cliff": section_cliff, "Descent": section_descent, "Clipping": section_clipping,
        "Bifurcation": section_bifurcation}
for label, sec in secs.items():
    if sec.open:
        with sec.box:
            DRAW[label]()
