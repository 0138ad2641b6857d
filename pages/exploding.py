"""Exploding gradients: growth above 1, Pascanu's single-unit cliff, and clipping (Jefkine 2018, eq. 12-13).

Controls (all in the URL) -> one cached call into lessons.exploding per tab (growth, surface,
descents, bifurcation; gradcore underneath) -> charts, equations with live numbers, and the
sentences lessons.exploding writes from them.
"""

import serve  # noqa: I001  (standard library only)

# NB: first, before anything loads NumPy: on a fresh server Streamlit may run this page before app.py
# (ui/frame.py), and the float32 kernels can only be pinned before NumPy loads (serve/kernels.py).
serve.setup()

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import ui
from gradcore import cliff, clipping, jacobians, rnn
from lessons import exploding as lesson
from lessons import predictions as PL
from ui import palette

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

RUNS, VIEWS, ZOOM, B_FIXED = lesson.RUNS, lesson.VIEWS, lesson.ZOOM, lesson.B_FIXED
# unclipped orange, clipped by norm black, clipped by value sky blue (ui.palette: 20 apart on a projector)
RUN_SCALE = palette.scale(list(RUNS.values()))


# ----------------------------------------------------------------------------- cached lesson calls


@st.cache_data(max_entries=24, show_spinner="Running the RNNs forward and backward...")
def growth(kind: str, scale: float, T: int, H: int, act: str, seed: int) -> dict:
    """Section 1: lessons.exploding.growth (Jacobian products and dL_T/dW_hh as T grows)."""
    return lesson.growth(kind, scale, T, H, act, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def surface(win: tuple, n: int, csteps: int, x0: float, target: float) -> dict:
    """Section 2: lessons.exploding.surface (the loss and its gradient norm over the window)."""
    return lesson.surface(win, n, csteps, x0, target)


@st.cache_data(max_entries=32, show_spinner=False)
def descents(
    w0: float, b0: float, lr: float, steps: int, threshold: float, csteps: int, x0: float, target: float
) -> dict:
    """Section 3: lessons.exploding.descents (unclipped, clipped by norm and by value)."""
    return lesson.descents(w0, b0, lr, steps, threshold, csteps, x0, target)


@st.cache_data(max_entries=16, show_spinner=False)
def bifurcation(wfp: float, csteps: int, x0: float) -> dict:
    """Section 5: lessons.exploding.bifurcation (fixed points against b, and x_T(b))."""
    return lesson.bifurcation(wfp, csteps, x0)


# ----------------------------------------------------------------------------- chart builders


PICK = "start"  # the Vega-Lite point selection a click on the loss surface makes: (w, b) of the cell


def _grid_chart(df: pd.DataFrame, value: str, title: str, legend: str, win: tuple, height: int, pick=False):
    """Heatmap over (w, b) on quantitative axes (so descent paths can be drawn on it); pick=True: a click on a
    cell selects its (w, b) (the parameter PICK), which _start_from_click makes the descent's start."""
    wr, br = win[:2], win[2:]
    # NB: only the cell centres and the value travel in the spec (the cell edges are a calculate transform):
    # Streamlit converts a spec's data to Arrow and hashes the message on every page run, and the grid's eight
    # columns (100 x 100 cells) were 40 % of a lecture follower's run of this page (py-spy, bench/load_rooms.py)
    # the half widths are the lesson's own (lessons.exploding.surface: cells overlap by 10 % a side)
    hw, hb = float(df["w_hi"].iloc[0] - df["w"].iloc[0]), float(df["b_hi"].iloc[0] - df["b"].iloc[0])
    chart = (
        alt.Chart(df[["w", "b", value]])
        .transform_calculate(
            w_lo=f"datum.w - {hw!r}",
            w_hi=f"datum.w + {hw!r}",
            b_lo=f"datum.b - {hb!r}",
            b_hi=f"datum.b + {hb!r}",
        )
        .mark_rect()
        .encode(
            x=alt.X("w_lo:Q", title="recurrent weight w", scale=alt.Scale(domain=list(wr), nice=False)),
            x2="w_hi:Q",
            y=alt.Y("b_lo:Q", title="bias b", scale=alt.Scale(domain=list(br), nice=False)),
            y2="b_hi:Q",
            color=alt.Color(
                f"{value}:Q",
                title=legend,
                scale=alt.Scale(scheme=palette.SEQUENTIAL),
                legend=alt.Legend(orient="right", gradientLength=130),
            ),
            tooltip=[
                alt.Tooltip("w:Q", format=".3f"),
                alt.Tooltip("b:Q", format=".3f"),
                alt.Tooltip(f"{value}:Q", title=legend, format=".4g"),
            ],
        )
        .properties(height=height, **({"title": title} if title else {}))
    )
    if pick:
        chart = chart.add_params(alt.selection_point(name=PICK, fields=["w", "b"], on="click", clear=False))
    return chart


def _start_from_click(key: str) -> None:
    """Callback of a click on a loss surface: the clicked (w, b) becomes Start w and Start b (the Descent tab),
    in the URL too; a click that selects nothing changes nothing."""
    try:
        picked = lesson.start_from_pick(st.session_state[key]["selection"][PICK])
    except (KeyError, TypeError):
        picked = None
    if picked is not None:
        st.session_state["w0"], st.session_state["b0"] = picked


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
    lines = (
        alt.Chart(d)
        .mark_line(clip=True, point=alt.OverlayMarkDef(size=14, filled=True))
        .encode(
            **enc,
            color=alt.Color(
                "run:N", title="descent", scale=RUN_SCALE, legend=alt.Legend(orient="bottom", labelLimit=0)
            ),
            strokeWidth=alt.StrokeWidth("width:Q", legend=None, scale=None),
            tooltip=[
                "run:N",
                "step:Q",
                alt.Tooltip("w:Q", format=".4f"),
                alt.Tooltip("b:Q", format=".4f"),
                alt.Tooltip("loss:Q", format=".3e"),
                alt.Tooltip("grad_norm:Q", title="||g||", format=".3e"),
                alt.Tooltip("grad_norm_clipped:Q", title="||g|| after clipping", format=".3e"),
            ],
        )
    )
    start = d[d["step"] == 0].head(1)
    dot = (
        alt.Chart(start)
        .mark_point(
            shape="circle", size=70, filled=True, color="white", stroke="black", strokeWidth=1.5, clip=True
        )
        .encode(x=alt.X("w:Q", scale=sx), y=alt.Y("b:Q", scale=sy))
    )
    return [halo, lines, dot]


# Chart builders: plain values in (the page's settings), an Altair chart out. Each one reads the
# cached engine results, so ui.cached_chart keeps the finished Vega-Lite spec per setting: Altair
# validates a spec on every to_dict (~50 ms a chart), too slow for this nine-chart page's reruns.


def chart_jacobians(kind, scale, T, H, act, seed, height=340):
    G = growth(kind, scale, T, H, act, seed)
    # the bounds and the linear RNN dashed: linear's blue is too near sigmoid's sky blue for colour alone
    bounds = [s for s in G["jac"]["series"].unique() if s.startswith("bound") or s == "linear"]
    return ui.charts.log_line(
        G["jac"],
        "distance",
        "log10_norm",
        "series",
        log10=True,
        floor_log10=-300,
        dashed=bounds,
        x_title="distance T - k (steps)",
        y_title="||dh_T / dh_k||_2 (log scale)",
        title=f"Jacobian products, {'norm' if kind == 'gaussian_norm' else 'radius'} {scale:g}, H = {H}",
        height=height,
    )


def chart_grad_vs_T(kind, scale, T, H, act, seed):
    G = growth(kind, scale, T, H, act, seed)
    return ui.charts.log_line(
        G["grad"],
        "T",
        "log10_grad",
        "series",
        log10=True,
        floor_log10=-300,
        dashed=["linear"],
        x_title="sequence length T",
        y_title="||dL_T / dW_hh||_F (log scale)",
        title="Gradient of the last step's loss L_T w.r.t. W_hh",
        height=340,
        points=T <= 120,
    )


def chart_surface_paths(
    win, n, csteps, x0, target, w0, b0, lr, steps, threshold, featured, title, height=400
):
    S = surface(win, n, csteps, x0, target)
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    # NB: the title on the layer, not on the heatmap inside it: Streamlit limits (and ui.charts.fit_legends
    # wraps) only a top-level title; an inner one as wide as the column squeezed the plot to nothing
    surf = _grid_chart(S["df"], "loss", None, "loss L", win, height - 70, pick=True)
    return (
        alt.layer(surf, *_paths_layers(R["df"], win, featured))
        .resolve_scale(color="independent")
        .properties(height=height, title=title)  # the plane and its legend below (about 70 px)
    )


def chart_surface(win, n, csteps, x0, target, height=380):
    S = surface(win, n, csteps, x0, target)
    return _grid_chart(S["df"], "loss", f"Loss L(w, b) on a {n} x {n} grid", "loss L", win, height, pick=True)


def chart_grad_map(win, n, csteps, x0, target, height=380):
    S = surface(win, n, csteps, x0, target)
    return _grid_chart(
        S["df"], "log10_grad", "Gradient norm ||dL/d(w, b)|| (log10)", "log10 ||g||", win, height
    )


def chart_loss_steps(w0, b0, lr, steps, threshold, csteps, x0, target):
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    return _recolour(
        ui.charts.log_line(
            R["df"],
            "step",
            "loss",
            "run",
            floor=1e-16,
            x_title="descent step k",
            y_title="loss L (log scale)",
            title="Loss L(w_k, b_k) per step",
            height=300,
        )
    )


def chart_grad_steps(w0, b0, lr, steps, threshold, csteps, x0, target):
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    chart = _recolour(
        ui.charts.log_line(
            R["df"][["run", "step", "grad_norm"]],
            "step",
            "grad_norm",
            "run",
            floor=1e-16,
            x_title="descent step k",
            y_title="||g|| (log scale)",
            height=300,
        )
    )
    thr = pd.DataFrame({"y": [threshold]})
    rule = alt.Chart(thr).mark_rule(strokeDash=[6, 4], color=palette.BLACK).encode(y="y:Q")
    return alt.layer(chart, rule).properties(
        title=f"Gradient norm before clipping (dashed: threshold {threshold:g})"
    )


def chart_clipping(w0, b0, lr, steps, threshold, csteps, x0, target, size=330):
    """g, clip-by-norm and clip-by-value as arrows from 0 in the (dL/dw, dL/db) plane, the threshold circle and
    box (lessons.exploding.clipping_plane); equal scales on both axes, so angles are true."""
    P = lesson.clipping_plane(descents(w0, b0, lr, steps, threshold, csteps, x0, target), threshold)
    m = P.extent
    sc = alt.Scale(domain=[-m, m], nice=False)
    ticks = alt.Axis(
        values=[float(v) for v in threshold * np.array([-1.0, -0.5, 0.0, 0.5, 1.0])], format=".3~g"
    )
    x = alt.X("x:Q", title="g_1 = ∂L/∂w", scale=sc, axis=ticks)
    y = alt.Y("y:Q", title="g_2 = ∂L/∂b", scale=sc, axis=ticks)
    outline = {"x": x, "y": y, "order": alt.Order("order:Q")}
    circle = alt.Chart(P.circle).mark_line(color=palette.GREY, strokeWidth=1.5).encode(**outline)
    box = alt.Chart(P.box).mark_line(color=palette.GREY, strokeDash=[5, 3], strokeWidth=1.5).encode(**outline)
    # the circle's name just inside its top, the box's above its top-left corner (in the view's margin)
    refs = pd.DataFrame(
        {
            "x": [0.0, -threshold],
            "y": [threshold, threshold],
            "label": [f"||g|| = {threshold:g}", f"|g_i| = {threshold:g}"],
        }
    )
    ref_text = [
        alt.Chart(refs.iloc[[i]])
        .mark_text(color=palette.GREY, align=a, baseline=b, dy=dy)
        .encode(x=alt.X("x:Q", scale=sc), y=alt.Y("y:Q", scale=sc), text="label:N")
        for i, (a, b, dy) in enumerate([("center", "top", 6), ("left", "bottom", -4)])
    ]
    colour = alt.Color("run:N", title=None, scale=RUN_SCALE, legend=alt.Legend(orient="bottom", labelLimit=0))
    tip = [
        alt.Tooltip("run:N", title="arrow"),
        alt.Tooltip("g1:Q", title="g_1", format=".4g"),
        alt.Tooltip("g2:Q", title="g_2", format=".4g"),
        alt.Tooltip("length:Q", title="||g||", format=".4g"),
    ]
    shafts = (
        alt.Chart(P.arrows)
        .mark_rule(strokeWidth=3)
        .encode(
            x=alt.X("x:Q", scale=sc),
            y=alt.Y("y:Q", scale=sc),
            x2="x2:Q",
            y2="y2:Q",
            color=colour,
            tooltip=tip,
        )
    )
    heads = (
        alt.Chart(P.arrows)
        .mark_point(shape="triangle-up", filled=True, size=160, opacity=1)
        .encode(
            x=alt.X("x2:Q", scale=sc),
            y=alt.Y("y2:Q", scale=sc),
            angle=alt.Angle("angle:Q", scale=None),
            color=alt.Color("run:N", scale=RUN_SCALE, legend=None),
            tooltip=tip,
        )
    )
    layers = [box, circle, *ref_text, shafts, heads]
    if P.g_cut:  # g runs off the view: say how long it really is, at its drawn end
        g = P.arrows[P.arrows["drawn_to_edge"]].assign(
            label=lambda d: [f"g: ||g|| = {v:.3g} (off the view)" for v in d["length"]]
        )
        left = g["x2"].iloc[0] < 0
        layers.append(
            alt.Chart(g.head(1))
            .mark_text(
                align="left" if left else "right",
                baseline="middle",
                dx=10 if left else -10,
                dy=-14,
                fontWeight="bold",
            )
            .encode(
                x=alt.X("x2:Q", scale=sc),
                y=alt.Y("y2:Q", scale=sc),
                text="label:N",
                color=alt.Color("run:N", scale=RUN_SCALE, legend=None),
            )
        )
    return alt.layer(*layers).properties(
        width=size,
        height=size,
        autosize=alt.AutoSizeParams(type="pad"),
        title=f"Eq. 13 in the plane: g at step {descents(w0, b0, lr, steps, threshold, csteps, x0, target)['k_star']}",
    )


def chart_step_lengths(w0, b0, lr, steps, threshold, csteps, x0, target, modes: tuple, guess: float):
    """exp_cliff / exp_clipping: every step's length in (w, b) of the runs `modes`, the prediction as a rule."""
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    df = PL.steps_frame(R, {m: RUNS[m] for m in modes})
    df = df.assign(log10_length=np.log10(df["length"].clip(lower=1e-300)))
    # NB: log10 values on a linear axis (labels 1e-k), as the RNN page's curves: on a native log scale the two
    # steps' decades (1e-10 .. 1e1) came out squeezed into a sliver in Chromium
    chart = _recolour(
        ui.charts.log_line(
            df[["step", "log10_length", "run"]],
            "step",
            "log10_length",
            "run",
            log10=True,
            floor_log10=-300,
            x_title="descent step k",
            y_title="||(w, b)_k - (w, b)_(k-1)|| (log scale)",
            title="Length of each descent step",
            height=300,
        )
    )
    # NB: the rule and its label on the chart's own y field, so they share its scale
    g = pd.DataFrame(
        {"log10_length": [float(np.log10(guess))], "label": [f"your prediction {PL.fmt.decade(guess)}"]}
    )
    rule = (
        alt.Chart(g)
        .mark_rule(color=palette.BLACK, strokeWidth=2, strokeDash=[2, 2])
        .encode(y="log10_length:Q")
    )
    text = (
        alt.Chart(g)
        .mark_text(align="left", baseline="bottom", dx=4, dy=-3, fontWeight="bold", color=palette.BLACK)
        .encode(x="step:Q", y="log10_length:Q", text="label:N")
    )
    if not isinstance(chart, alt.LayerChart):
        return alt.layer(chart, rule, text)
    out = chart.copy(deep=False)
    out["layer"] = [*chart["layer"], rule, text]
    return out


def lesson_steps(key: str, question: str, modes: tuple, reveal):
    """A predict-first box on the descent's step lengths (exp_cliff, exp_clipping); reveal(R, guess) -> Reveal."""
    asked = ui.predict.ask(key, question, default=0.1)
    if asked.value is None:
        return
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    rv = reveal(R, float(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        ui.cached_chart(
            chart_step_lengths,
            w0,
            b0,
            lr,
            steps,
            threshold,
            csteps,
            x0,
            target,
            modes,
            float(asked.value),
        )


def chart_bifurcation(wfp, csteps, x0, height=340):
    BF = bifurcation(wfp, csteps, x0)
    pts = BF["points"]
    ends = BF["ends"][np.isfinite(BF["ends"]["x"])]
    names = ["stable fixed point", "unstable fixed point", ends["kind"].iloc[0]]
    cs = alt.Scale(domain=names, range=[*palette.colours(names[:2]), palette.BLACK])
    xs = alt.Scale(domain=list(B_FIXED), nice=False)
    dots = (
        alt.Chart(pts)
        .mark_circle(size=14, opacity=0.9)
        .encode(
            x=alt.X("b:Q", title="bias b", scale=xs),
            y=alt.Y("x:Q", title="state x"),
            color=alt.Color("kind:N", title=None, scale=cs, legend=alt.Legend(orient="bottom")),
            tooltip=[
                alt.Tooltip("b:Q", format=".3f"),
                alt.Tooltip("x:Q", format=".4f"),
                alt.Tooltip("slope:Q", title="w sigma'(x*)", format=".3f"),
                "kind:N",
            ],
        )
    )
    path = (
        alt.Chart(ends)
        .mark_line(strokeDash=[5, 3], strokeWidth=1.5)
        .encode(x=alt.X("b:Q", scale=xs), y="x:Q", color=alt.Color("kind:N", title=None, scale=cs))
    )
    layers = [path, dots]
    if BF["three"] is not None:
        band = pd.DataFrame({"lo": [BF["three"][0]], "hi": [BF["three"][1]]})
        layers.insert(
            0,
            alt.Chart(band)
            .mark_rect(color=palette.GREY, opacity=0.12)
            .encode(x=alt.X("lo:Q", scale=xs), x2="hi:Q"),
        )
    return alt.layer(*layers).properties(
        title=f"Fixed points of x -> {wfp:g} sigma(x) + b, and where x_{csteps} ends", height=height
    )


# ----------------------------------------------------------------------------- page

st.title("Exploding gradients: the cliff and clipping")
ui.stage.intro(
    "The same product of Jacobians that makes gradients vanish below 1 makes them **explode** above it "
    "(Jefkine 2018, eq. 12). The first tab measures the growth in a real RNN; the others use the one-unit "
    "network of Pascanu, Mikolov & Bengio (2013, section 3) to show what an exploding gradient does to "
    "gradient descent (a *cliff* in the error surface) and how clipping the gradient (eq. 13) survives it."
)

# One section at a time, in tabs (ui.sections): the open one is in the URL (?exp_view=Cliff) and only
# it is computed and drawn. Each tab's own controls are drawn on every run, open or not, so their
# values and URL parameters survive a visit to another tab; the cliff's (steps, x_0, target, window,
# grid) also define the network of the descent and bifurcation tabs.
SECTIONS = ["Growth", "Cliff", "Descent", "Clipping", "Bifurcation"]
secs = {sec.label: sec for sec in ui.sections("exp_view", SECTIONS)}

# Each tab is a stage (ui.stage): its headline controls in a narrow column beside its charts, the rest in an
# expander; the section's content is drawn into the stage's main column (STAGE below).
with secs["Growth"].box:
    g_ctl, g_main = ui.stage.columns()
    with g_ctl:
        scale = ui.slider("Spectral radius / norm of W_hh", "scale", 0.5, 3.0, 1.5, step=0.05)
        T = ui.slider("Sequence length T", "T", 10, 1000, 100, step=10)
        act = ui.select(
            "Activation f",
            "act",
            ["tanh", "sigmoid", "relu", "linear"],
            "tanh",
            help="The chart always shows a linear RNN beside this one (tanh if you pick linear).",
        )
        with ui.stage.more():
            kind = ui.select(
                "W_hh scaled to",
                "init",
                lesson.KINDS,
                "gaussian_radius",
                help="gaussian_radius: Gaussian W_hh rescaled to the spectral radius above; "
                "gaussian_norm: to the spectral norm (largest singular value, gamma_W of eq. 12); "
                "orthogonal: every singular value equals the scale.",
            )
            H = ui.slider("Hidden size H", "H", 4, 128, 32, step=4)
            seed = ui.number("Seed", "seed", 0, 9999, 0, step=1)
scale, T, H, seed = float(scale), int(T), int(H), int(seed)

with secs["Cliff"].box:
    k_ctl, k_main = ui.stage.columns()
    with k_ctl:
        view = ui.radio(
            "Window",
            "view",
            list(VIEWS),
            "wall",
            help="wall: w 3.5..6, b -3.5..-1.5; wide: w -2..10, b -6..2.",
        )
        csteps = ui.slider("Unrolled steps", "csteps", 5, 200, cliff.STEPS, step=5)
        with ui.stage.more():
            x0 = ui.slider("x_0", "x0", -3.0, 3.0, cliff.X0, step=0.1)
            target = ui.slider("Target", "target", 0.05, 0.95, cliff.TARGET, step=0.05)
            n = ui.slider("Grid points per axis", "grid", 40, 200, 100, step=20)
n, csteps, x0, target = int(n), int(csteps), float(x0), float(target)
win = lesson.window(view, 0.0, 0.0)

with secs["Descent"].box:
    d_ctl, d_main = ui.stage.columns()
    with d_ctl:
        threshold = ui.slider("Threshold", "threshold", 0.1, 10.0, 1.0, step=0.1)
        lr = ui.slider("Learning rate", "cliff_lr", 0.01, 2.0, 0.2, step=0.01)
        featured = ui.radio(
            "Clipping to examine",
            "cliff_clip",
            list(RUNS),
            "norm",
            horizontal=False,
            help="Which run the Descent and Clipping tabs put in front; all three are always drawn.",
        )
        with ui.stage.more():
            w0 = ui.number("Start w", "w0", -2.0, 10.0, 4.4, step=0.05, format="%.3f")
            b0 = ui.number("Start b", "b0", -6.0, 2.0, -2.2, step=0.05, format="%.3f")
            steps = ui.slider("Descent steps", "cliff_steps", 10, 500, 100, step=10)
w0, b0, lr, steps, threshold = float(w0), float(b0), float(lr), int(steps), float(threshold)

with secs["Clipping"].box:
    st.header("4. Clipping, exactly (eq. 13)")

with secs["Bifurcation"].box:
    bc1, bc2 = ui.stage.columns()
    wfp = float(
        ui.slider(
            "Recurrent weight w",
            "wfp",
            3.0,
            8.0,
            cliff.W_BIFURCATION,
            step=0.1,
            help="The paper uses w = 5.0.",
            where=bc1,
        )
    )


# ----------------------------------------------------------------------------- the sections' content


def section_growth():
    """Section 1: ||dh_T/dh_k|| and ||dL_T/dW_hh|| of a linear and a nonlinear RNN above 1."""
    G = growth(kind, scale, T, H, act, seed)
    text = lesson.growth_text(G, kind, scale, T)
    ui.cached_chart(
        chart_jacobians,
        kind,
        scale,
        T,
        H,
        act,
        seed,
        ui.stage.hero_height(),
        grow=False,
        data=lambda: G["jac"],
        filename="exploding-jacobian-norms.csv",
    )
    st.header("1. Growth: the product of Jacobians above 1")
    ui.equation(
        r"\left\| \frac{\partial h_T}{\partial h_k} \right\| = \left\| \prod_{s=k+1}^{T} "
        r"\operatorname{diag}\big(f'(a_s)\big)\, W_h^{\top} \right\| \;\le\; "
        r"(\gamma_W \gamma_h)^{T-k} \qquad \text{(Jefkine 2018, eq. 9 and 12)}",
        computed_by="gradcore.jacobians.rnn_product_norms and gradcore.jacobians.rnn_bound",
    )
    st.markdown(text.jacobians)
    ui.cached_chart(
        chart_grad_vs_T,
        kind,
        scale,
        T,
        H,
        act,
        seed,
        data=lambda: G["grad"],
        filename="exploding-grad-norm-vs-T.csv",
    )

    ui.equation(
        r"L_T = \tfrac12 \| h_T W_y - y_T \|^2, \qquad "
        r"\frac{\partial L_T}{\partial W_h} = \sum_{k=1}^{T} h_{k-1}^{\top} "
        r"\Big(\frac{\partial L_T}{\partial h_T} \frac{\partial h_T}{\partial h_k} \odot f'(a_k)\Big)",
        computed_by="gradcore.losses.squared_error and gradcore.rnn.backward_all",
    )
    st.markdown(text.gradient)
    ui.show_code(lesson.growth, rnn.backward_all, jacobians.rnn_product_norms)
    ui.what_to_notice(text.notes)


def section_cliff():
    """Section 2: L(w, b) and ||dL/d(w, b)|| over the window: the wall (the two maps first, on the stage)."""
    S = surface(win, n, csteps, x0, target)
    live, notes = lesson.surface_text(S, n)
    # NB: one above the other, each the stage's width: side by side in the stage's column, each map's legend
    # left a plot a third of its chart wide at 1280 px
    ui.cached_chart(
        chart_surface,
        win,
        n,
        csteps,
        x0,
        target,
        ui.stage.hero_height(),
        grow=False,
        select_key="pick_cliff",
        on_select=lambda: _start_from_click("pick_cliff"),
        data=lambda: S["df"][
            ["w", "b", "loss", "log10_grad"]
        ],  # NB: the CSV (10^4 rows) is made only on click
        filename="cliff-surface.csv",
    )
    st.caption("Click a cell of the loss map: the Descent tab's runs then start from its (w, b).")
    ui.cached_chart(chart_grad_map, win, n, csteps, x0, target, ui.stage.pair_height(), grow=False)
    st.header("2. The cliff: Pascanu's one-unit network")
    st.markdown(
        "One unit, no input, 50 steps: a tiny network whose loss surface has a **wall**. "
        "Near the bifurcation of the map (the Bifurcation tab) a small change of (w, b) sends x_50 to a different "
        "attractor, so the loss jumps and its gradient is huge on a thin strip."
    )
    ui.equation(
        r"x_t = w\,\sigma(x_{t-1}) + b,\quad x_0 = " + f"{x0:g}" + r",\qquad "
        r"L(w, b) = \big(\sigma(x_{" + str(csteps) + r"}) - " + f"{target:g}" + r"\big)^2",
        computed_by="gradcore.cliff.surface (loss and exact BPTT gradient, vectorised over the grid)",
    )
    st.markdown(live)
    ui.what_to_notice(notes)


def _cliff_caption() -> None:
    """The one-unit network this tab uses: the Cliff tab's settings (not shown here)."""
    st.caption(
        f"On the Cliff tab's network: {csteps} unrolled steps from x_0 = {x0:g}, target {target:g}; the "
        f"{view} window at {n} x {n} points (change them on the Cliff tab)."
    )


def section_descent():
    """Section 3: gradient descent from (w0, b0) unclipped, clipped by norm and by value."""
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    rdf = R["df"]
    text = lesson.descent_text(R, win, w0, b0, lr, threshold)

    zwin = tuple(round(v, 6) for v in lesson.window("start", w0, b0))
    # the paths on the window first (the stage), the close-up under it
    for i, (window, title, height) in enumerate(
        (
            (win, f"Descent paths on the {view} window", ui.stage.hero_height() - 50),
            (
                zwin,
                f"Close-up around the start (w {w0:g} +- {ZOOM[0]:g}, b {b0:g} +- {ZOOM[1]:g})",
                ui.stage.pair_height(),
            ),
        )
    ):
        ui.cached_chart(
            chart_surface_paths,
            window,
            n,
            csteps,
            x0,
            target,
            w0,
            b0,
            lr,
            steps,
            threshold,
            featured,
            title,
            height,
            grow=False,
            select_key=f"pick_descent_{i}",
            on_select=lambda key=f"pick_descent_{i}": _start_from_click(key),
        )
    st.caption(
        "Click a cell of either map: the descent starts there (Start w and Start b under the controls)."
    )
    lesson_steps(
        "exp_cliff",
        PL.cliff_question(w0, b0, lr, steps),
        ("none",),
        lambda R, guess: PL.reveal_cliff(R, lr, guess),
    )
    _cliff_caption()
    st.header("3. Descent on the cliff, with and without clipping")
    # NB: in lecture mode one above the other: side by side beside the stage's controls, their legends were cut
    p1, p2 = (st.container(), st.container()) if ui.lecture_mode() else st.columns(2)
    with p1:
        ui.cached_chart(
            chart_loss_steps,
            w0,
            b0,
            lr,
            steps,
            threshold,
            csteps,
            x0,
            target,
            data=lambda: rdf,
            filename="cliff-descent-paths.csv",
        )
    with p2:
        ui.cached_chart(
            chart_grad_steps,
            w0,
            b0,
            lr,
            steps,
            threshold,
            csteps,
            x0,
            target,
            data=lambda: rdf,
            filename="cliff-descent-norms.csv",
        )
    st.markdown(text.live)
    ui.show_code(cliff.loss_and_grad, cliff.descend)
    ui.what_to_notice(text.notes)


def section_clipping():
    """Section 4: eq. 13 applied to the largest gradient the unclipped run met."""
    _cliff_caption()
    st.caption(
        f"The descent is the Descent tab's: from (w, b) = ({w0:g}, {b0:g}), learning rate {lr:g}, "
        f"{steps} steps, threshold {threshold:g}."
    )
    R = descents(w0, b0, lr, steps, threshold, csteps, x0, target)
    lesson_steps(
        "exp_clipping",
        PL.clipping_question(threshold, lr),
        ("none", "norm"),
        lambda R, guess: PL.reveal_clipping(R, lr, threshold, guess),
    )
    C = lesson.clipping_view(R, threshold, lr)
    if C.finite:
        st.markdown(C.where)
        P = lesson.clipping_plane(R, threshold)
        f1, f2 = st.columns([1, 1])
        with f1:
            ui.cached_chart(
                chart_clipping,
                w0,
                b0,
                lr,
                steps,
                threshold,
                csteps,
                x0,
                target,
                data=lambda: P.arrows[["run", "g1", "g2", "length"]],
                filename="clipping-arrows.csv",
                width="content",
                grow=False,
            )
        with f2:
            st.caption(lesson.clipping_plane_caption(P, threshold))
        ui.equation(C.tex_g, computed_by="gradcore.cliff.loss_and_grad")
        ui.equation(
            C.tex_norm, computed_by="gradcore.clipping.clip_by_norm and gradcore.clipping.angle_degrees"
        )
        ui.equation(
            C.tex_value, computed_by="gradcore.clipping.clip_by_value and gradcore.clipping.angle_degrees"
        )
        st.markdown(C.result)
        ui.show_code(clipping.clip_by_norm, clipping.clip_by_value)
    else:
        st.markdown("The unclipped run's gradient was not finite at its first step; nothing to clip.")
    if C.notes:
        ui.what_to_notice(C.notes)


def section_bifurcation():
    """Section 5: the fixed points of x -> w sigma(x) + b and where x_T ends: the wall's origin."""
    st.caption(
        f"x_T after the Cliff tab's {csteps} unrolled steps from x_0 = {x0:g} (change them on the Cliff tab)."
    )
    BF = bifurcation(wfp, csteps, x0)
    with bc1:
        st.markdown(lesson.bifurcation_text(BF, wfp, csteps, x0))
    with bc2:
        ui.cached_chart(
            chart_bifurcation,
            wfp,
            csteps,
            x0,
            ui.stage.hero_height(),
            grow=False,
            data=lambda: BF["points"],
            filename="cliff-fixed-points.csv",
        )
        st.header("5. Where the cliff comes from: the bifurcation")
        ui.equation(
            r"x^* = w\,\sigma(x^*) + b, \qquad \text{stable iff } |w\,\sigma'(x^*)| < 1",
            computed_by="gradcore.cliff.fixed_points (grid + bisection) and gradcore.cliff.unroll",
        )


def on_stage(main, section):
    """Draw a section into its tab's stage column (ui.stage)."""

    def draw():
        with main:
            section()

    return draw


DRAW = {
    "Growth": on_stage(g_main, section_growth),
    "Cliff": on_stage(k_main, section_cliff),
    "Descent": on_stage(d_main, section_descent),
    "Clipping": section_clipping,
    "Bifurcation": section_bifurcation,
}
for label, sec in secs.items():
    if sec.open:
        with sec.box:
            DRAW[label]()
