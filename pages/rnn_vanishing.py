"""RNN: vanishing gradients -- Jefkine's (2018) eq. 2b and 7-13 computed live on one vanilla RNN run.

Controls (all in the URL) -> one cached run of lessons.rnn_vanishing.compute (gradcore
underneath) -> the headline chart, the spectrum, the activation's derivative, the
attribution table, the equations with their live numbers, a live gradient check and
"what to notice" written from the computed values.
"""

from __future__ import annotations

import serve  # noqa: I001  (standard library only)

# NB: first, before anything loads NumPy: on a fresh server Streamlit may run this page before app.py
# (ui/frame.py), and the float32 kernels can only be pinned before NumPy loads (serve/kernels.py).
serve.setup()

import contextlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import ui
from gradcore import jacobians, spectra
from lessons import fmt
from lessons import predictions as P
from lessons import rnn_vanishing as L
from ui import palette

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

# ----------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=24, show_spinner=False)
def run(T: int, H: int, act: str, init_kind: str, scale: float, xscale: float, seed: int) -> L.Run:
    """The whole run for one setting (forward, products, spectrum, attribution, the live check)."""
    with np.errstate(all="ignore"):
        return L.compute(T, H, act, init_kind, scale, xscale, seed)


@st.cache_resource(max_entries=24, show_spinner=False)
def headline(args: tuple, fro: bool) -> tuple[pd.DataFrame, list[str]]:
    """L.headline_frame of run(*args): the decay chart's data (its CSV) and where the bounds are cut. NB: kept:
    its pandas concat and dropna were about a tenth of this page's warm run (py-spy); st.cache_resource, shared
    and only read (the CSV button, the caption), so a page run does not unpickle a copy."""
    return L.headline_frame(run(*args), fro)


@st.cache_data(max_entries=48, show_spinner=False)
def loss_view(
    T: int, H: int, act: str, init_kind: str, scale: float, xscale: float, seed: int, t: int
) -> L.LossView:
    """Components of dL_t/dW_hh by step for the chosen loss, with their checks."""
    with np.errstate(all="ignore"):
        return L.loss_view(T, H, act, init_kind, scale, xscale, seed, t)


# ----------------------------------------------------------------------------- chart builders

MEASURED, BOUND, RHO, RUN_BOUND = L.MEASURED, L.BOUND, L.RHO, L.RUN_BOUND


def spectrum_chart(r: L.Run, size: int = 330) -> alt.LayerChart:
    """Eigenvalues of W_hh in the complex plane; circles |z| = 1, 1/gamma_h, rho(W) and ||W||_2."""
    rings = [
        (f"|z| = ||W||_2 = {r.gamma_W:.3f}", r.gamma_W, palette.colour("spectral norm")),
        (f"|z| = rho(W) = {r.rho:.3f}", r.rho, palette.colour("spectral radius")),
    ]
    if r.gamma_h != 1.0:
        rings.insert(0, (f"|z| = 1/gamma_h = {1 / r.gamma_h:g}", 1 / r.gamma_h, palette.BLACK))
    return ui.charts.eigen_scatter(r.eigvals, circles=rings, size=size, title="Eigenvalues of W_hh")


def singular_chart(df: pd.DataFrame, height: int = 330) -> alt.Chart:
    """Ranked eigenvalue moduli (the spectral radius's colour) and singular values (the spectral norm's)."""
    names = ["|λ_i|", "σ_i"]
    return (
        alt.Chart(df)
        .mark_line(point=alt.OverlayMarkDef(size=18))
        .encode(
            x=alt.X("i:Q", title="rank i (largest first)"),
            y=alt.Y("value:Q", title="|λ_i|  or  σ_i"),
            color=alt.Color(
                "series:N",
                title=None,
                scale=alt.Scale(
                    domain=names, range=[palette.colour("spectral radius"), palette.colour("spectral norm")]
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["series:N", "i:Q", alt.Tooltip("value:Q", format=".4f")],
        )
        .properties(height=height, title="|λ_i| and σ_i by rank")
    )


def activation_chart(curves: pd.DataFrame, hist: pd.DataFrame, act: str, height: int = 320) -> alt.LayerChart:
    """Histogram of this run's pre-activations (grey, right axis) under the derivative curves (left axis)."""
    bars = (
        alt.Chart(hist)
        .mark_rect(color=palette.GREY, opacity=0.35)
        .encode(
            x=alt.X("lo:Q", title="pre-activation a"),
            x2="hi:Q",
            y=alt.Y(
                "share:Q", title=f"share of this run's a_t ({act})", axis=alt.Axis(orient="right", format="%")
            ),
            y2=alt.datum(0),
            tooltip=[
                alt.Tooltip("lo:Q", format=".2f"),
                alt.Tooltip("hi:Q", format=".2f"),
                alt.Tooltip("share:Q", format=".1%"),
            ],
        )
    )
    names = list(dict.fromkeys(curves["series"]))
    lines = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x="a:Q",
            y=alt.Y("fprime:Q", title="f'(a)", scale=alt.Scale(domain=[0, 1.05])),
            color=alt.Color(
                "series:N", title="f", scale=palette.scale(names), legend=alt.Legend(orient="bottom")
            ),
            # linear (f' = 1) dashed: its blue is too near sigmoid's sky blue on a projector for colour alone
            strokeDash=alt.StrokeDash(
                "series:N",
                title="f",
                scale=ui.charts.dash_scale(names, ["linear"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                "series:N",
                alt.Tooltip("a:Q", format=".2f"),
                alt.Tooltip("fprime:Q", title="f'(a)", format=".3f"),
            ],
        )
    )
    return alt.layer(bars, lines).resolve_scale(y="independent").properties(height=height)


# ----------------------------------------------------------------------------- cached charts
# Each builder takes the page's plain settings (args = run's arguments) and returns an Altair
# chart; ui.cached_chart keeps its finished Vega-Lite spec per setting, so a rerun with
# settings seen before skips Altair's encode and schema validation (issue 4's rerun budget).


def decay_chart(r, fro: bool, title: str, height: int) -> alt.LayerChart:
    """||dh_T/dh_k|| of run r against T - k beside the bounds (log10 axis): the headline and the rnn_radius reveal."""
    df, _ = L.headline_frame(r, fro)
    return ui.charts.log_line(
        df,
        "distance",
        "log10_norm",
        "series",
        log10=True,
        floor_log10=-300,
        dashed=[BOUND, RHO, RUN_BOUND],
        x_title="distance T - k (steps)",
        y_title="||∂h_T/∂h_k||  (log scale)",
        legend_title=None,
        title=title,
        height=height,
    )


def headline_chart(args: tuple, fro: bool, height: int = 380) -> alt.LayerChart:
    """||dh_T/dh_k|| against T - k beside the bounds (log10 axis)."""
    r = run(*args)
    chart = decay_chart(r, fro, f"{r.act}, {args[3]} at scale {args[4]:g}, H = {r.H}", height)
    return with_hover(chart, L.hover_frame(r)[["distance", "log10_norm", "label"]])  # finite numbers only


def with_hover(chart: alt.LayerChart, hov: pd.DataFrame) -> alt.LayerChart:
    """Point at a distance T - k: a rule there and a line of text with the measured norm, the bound and the
    per-step factor at that distance (a Vega-Lite nearest selection: no rerun, nothing sent to the server)."""
    at = alt.selection_point(name="at_k", nearest=True, on="pointerover", fields=["distance"], empty=False)
    x = alt.X("distance:Q")
    base = alt.Chart(hov)
    catch = base.mark_point(opacity=0, size=400).encode(x, alt.Y("log10_norm:Q")).add_params(at)
    rule = base.mark_rule(color=palette.GREY, strokeDash=[2, 2]).encode(x).transform_filter(at)
    dot = (
        base.mark_point(filled=True, size=80, color=palette.BLACK)
        .encode(x, alt.Y("log10_norm:Q"))
        .transform_filter(at)
    )
    # the text at the plot's top, on the side of the rule with more room (left half: to its right)
    mid = float(hov["distance"].max()) / 2
    texts = [
        base.mark_text(align=side, baseline="top", dx=dx, lineBreak="\n", fontWeight="bold")
        .encode(x, alt.YValue(4), text="label:N")
        .transform_filter(at)
        .transform_filter(f"datum.distance {op} {mid}")
        for side, dx, op in (("left", 6, "<"), ("right", -6, ">="))
    ]
    # NB: appended to the chart's own layers (not a layer around it): its title, subtitle and legends stay at the
    # top level, where ui.charts.fit_legends and Streamlit look for them
    out = chart.copy(deep=False)
    out["layer"] = [*chart["layer"], catch, rule, dot, *texts]
    return out


def spectrum_chart_of(args: tuple) -> alt.LayerChart:
    return spectrum_chart(run(*args), size=220)


def singular_chart_of(args: tuple) -> alt.Chart:
    return singular_chart(L.singular_frame(run(*args)))


def activation_chart_of(args: tuple) -> alt.LayerChart:
    r = run(*args)
    curves, hist, _ = L.activation_frames(r)
    return activation_chart(curves, hist, r.act)


def fprime_chart(args: tuple) -> alt.Chart:
    r = run(*args)
    return ui.charts.line(
        L.fprime_frame(r),
        "t",
        "value",
        "series",
        x_title="step t",
        y_title="|f'(a_t)|",
        legend_title=None,
        title=f"{r.act}': per step (gamma_h = {r.gamma_h:g})",
        height=320,
    )


def heat_chart(args: tuple) -> alt.Chart:
    return ui.charts.heatmap(
        L.heat_frame(run(*args)),
        "k",
        "t",
        "log10",
        x_title="step k",
        y_title="loss step t",
        value_title="log10 norm",
        height=380,
        title="||∂L_t/∂W_hh via step k||_F",
        extra_tooltip=(("value", "value"), ("per_step", "measured"), ("bound_step", "bound")),
    )


# ----------------------------------------------------------------------------- predict, then reveal (lessons.predictions)
# Each lesson asks about the settings on screen with one setting changed (said in its question); its answer is
# run() at those settings, drawn with the learner's prediction marked only once it is committed.


def _guess_row(x: float, log10_guess: float, label: str) -> pd.DataFrame:
    return pd.DataFrame({"distance": [float(x)], "log10_norm": [float(log10_guess)], "label": [label]})


def radius_chart(args2: tuple, guess: float) -> alt.LayerChart:
    """rnn_radius: the measured norm and the bounds at the asked scale, the prediction at T - k = T."""
    r2 = run(*args2)
    chart = decay_chart(r2, False, f"Scale {args2[4]:g}: ρ = {r2.rho:.3f}, ||W||₂ = {r2.gamma_W:.3f}", 420)
    return ui.predict.mark(
        chart, _guess_row(r2.t_end, np.log10(guess), f"you: {fmt.decade(guess)}"), "distance", "log10_norm"
    )


def sigmoid_chart(args_sig: tuple, args_now: tuple, guess: float) -> alt.Chart:
    """rnn_sigmoid: the prediction's bar beside the sigmoid run's measured factor per step and its bound."""
    return ui.predict.guess_bars(
        P.sigmoid_frame(run(*args_sig), guess, run(*args_now)),
        "bar",
        "factor",
        y_title="factor per step on ||∂h_T/∂h_k||₂",
        title="Per step, f = sigmoid: measured against γ_W γ_h = ||W||₂/4",
        height=170,
    )


def nonnormal_chart(args_nn: tuple, guess: str) -> alt.LayerChart:
    """rnn_nonnormal: the non-normal run's measured norm beside rho^(T-k); its peak marked with the prediction."""
    r2 = run(*args_nn)
    df, _ = L.headline_frame(r2, False)
    ans, d, v = P.nonnormal_answer(r2)
    chart = ui.charts.log_line(
        df[df["series"].isin([MEASURED, RHO])],
        "distance",
        "log10_norm",
        "series",
        log10=True,
        floor_log10=-300,
        dashed=[RHO],
        x_title="distance T - k (steps)",
        y_title="||∂h_T/∂h_k||  (log scale)",
        legend_title=None,
        title=f"Non-normal, linear: ρ = {r2.rho:.3f}, ||W||₂ = {r2.gamma_W:.2f}",
        height=400,
    )
    label = f"largest {L.sci(log10=v)}, at T - k = {d}\nyou: {guess}"
    side = "left" if d <= r2.t_end / 2 else "right"
    return ui.predict.mark(chart, _guess_row(d, v, label), "distance", "log10_norm", align=side)


def lesson_radius():
    """rnn_radius (Decay): vanishing below radius 1, at scale 0.9 (0.8 from 0.9) with the rest on screen."""
    s2 = P.radius_scale(scale)
    asked = ui.predict.ask(
        "rnn_radius", P.radius_question(s2, L.INIT_LABELS[init_kind], int(T)), default=1e-3
    )
    if asked.value is None:
        return
    args2 = (int(T), int(H), act, init_kind, float(s2), float(xscale), int(seed))
    rv = P.reveal_radius(run(*args2), float(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        ui.cached_chart(radius_chart, args2, float(asked.value), grow=False)


def lesson_sigmoid():
    """rnn_sigmoid (Derivative): the sigmoid's quarter, f = sigmoid with the rest on screen."""
    asked = ui.predict.ask("rnn_sigmoid", P.sigmoid_question(r.gamma_W, int(T), act), default=0.5, step=0.01)
    if asked.value is None:
        return
    args_sig = (int(T), int(H), "sigmoid", init_kind, float(scale), float(xscale), int(seed))
    rv = P.reveal_sigmoid(run(*args_sig), float(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        ui.cached_chart(sigmoid_chart, args_sig, args, float(asked.value), grow=False)


def lesson_nonnormal():
    """rnn_nonnormal (Spectrum): non-normal W_hh at radius 0.9, f linear, T, H, inputs and seed as on screen."""
    asked = ui.predict.ask("rnn_nonnormal", P.nonnormal_question(int(T), int(H)))
    if asked.value is None:
        return
    args_nn = (int(T), int(H), "linear", "nonnormal", 0.9, float(xscale), int(seed))
    rv = P.reveal_nonnormal(run(*args_nn), str(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        ui.cached_chart(nonnormal_chart, args_nn, str(asked.value), grow=False)


BARS_MAX = (
    60  # up to this many steps the components are bars (like Kravets's (2023) printout), beyond it a line
)


def component_chart(args: tuple, t: int) -> alt.TopLevelMixin:
    lv = loss_view(*args, t)
    comp = L.component_frame(lv)
    y_title, title = "||component k||_F  (log scale)", f"Components of ∂L_{lv.t}/∂W_hh by step"
    if lv.t <= BARS_MAX and len(comp):
        # log10 bars rising from a floor one decade under the smallest component (ui.charts.bars)
        return ui.charts.bars(
            comp.assign(series=MEASURED),
            "k",
            "log10",
            "series",
            x_title="step k",
            y_title=y_title,
            log10=True,
            floor_log10=float(np.floor(comp["log10"].min())) - 1,
            title=title,
            height=330,
        )
    return ui.charts.log_line(
        comp,
        "k",
        "log10",
        log10=True,
        floor_log10=-300,
        x_title="step k",
        y_title=y_title,
        title=title,
        height=330,
    )


# ----------------------------------------------------------------------------- the page

st.title("RNN: vanishing gradients")
ui.stage.intro(
    "Jefkine (2018, *Vanishing and exploding gradient problems*) argues with eq. 7-12 that the "
    "gradient reaching step $k$ from step $T$ is a product of $T-k$ Jacobians, so it shrinks or grows "
    "geometrically. Here that product is **computed** for one vanilla RNN at the settings beside the chart: "
    "every curve and every number comes from a real forward and backward pass (`gradcore`), "
    "checked live against centred finite differences."
)

# The stage (ui.stage): the three controls that teach the lesson beside the tabs, the rest in an expander.
controls, main = ui.stage.columns()
with controls:
    scale = ui.slider(
        "Scale",
        "scale",
        0.05,
        2.0,
        1.0,
        step=0.05,
        help="Spectral radius for gaussian_radius and nonnormal; spectral norm for "
        "gaussian_norm; the factor on Q or I for orthogonal and identity.",
    )
    act = ui.select(
        "Activation f",
        "act",
        list(L.ACTS),
        "tanh",
        help="gamma_h = sup|f'|: 1 for tanh, relu and linear, 1/4 for the sigmoid.",
    )
    T = ui.slider(
        "Sequence length T",
        "T",
        2,
        1000,
        50,
        help="Steps of the unrolled network. The headline chart goes back from h_T to h_0.",
    )
    with ui.stage.more():
        init_kind = ui.select(
            "Initialiser of W_hh",
            "init",
            list(L.INITS),
            "gaussian_radius",
            help="; ".join(f"{k}: {v}" for k, v in L.INIT_LABELS.items()),
            labels=L.INIT_LABELS,
        )
        H = ui.slider("Hidden size H", "H", 2, 256, 32)
        xscale = ui.slider(
            "Input scale",
            "xscale",
            0.0,
            3.0,
            1.0,
            step=0.1,
            help="x_t ~ input scale * N(0, I); larger inputs push tanh and sigmoid into saturation.",
        )
        seed = ui.number("Seed", "seed", 0, 9999, 0, step=1)
        if st.session_state.get("t", T) > T:  # keep the loss step inside 1..T when T shrinks
            st.session_state["t"] = T
        t_loss = ui.slider(
            "Loss L_t to inspect (t)",
            "t",
            1,
            T,
            T,
            help="The attribution bar chart shows the components of dL_t/dW_hh for this t.",
        )
        fro = ui.toggle("Frobenius norm too", "fro", False)

args = (int(T), int(H), act, init_kind, float(scale), float(xscale), int(seed))
slow = T * H * H > 2_000_000
with (
    st.spinner(f"Running the RNN and multiplying {T} Jacobians of size {H} x {H} ...")
    if slow
    else contextlib.nullcontext()
):
    r = run(*args)
    lv = loss_view(*args, int(min(t_loss, r.t_end)))

# ---- the verified badge: computed, never a constant (under the controls: the chart keeps the stage)
with controls:
    ok, badge = L.verification(r, lv)
    if ok:
        st.success("**Verified live** at these settings: " + badge, icon=":material/verified:")
    else:
        st.warning(
            "**Not verified** at these settings (a check is above its tolerance 1e-6): " + badge,
            icon=":material/warning:",
        )
    overflowed = L.overflow_warning(r)
    if overflowed:
        st.warning(overflowed, icon=":material/warning:")

# ----------------------------------------------------------------------------- the sections
# One at a time, in tabs (ui.sections): the open one is in the URL (?rnn_view=Spectrum) and only it
# is drawn, so a slider move redraws one section's charts, not all five. The run itself (r, lv) is
# computed above for every section; the functions read it (and the controls) from this script.


def section_decay():
    """Section 1: log ||dh_T/dh_k|| against T - k beside the bounds (the headline, first on the stage)."""
    df, cut = headline(args, bool(fro))
    legend, read = L.decay_text(r)
    ui.cached_chart(
        headline_chart,
        args,
        bool(fro),
        ui.stage.hero_height(),
        grow=False,
        data=df,
        filename="rnn-vanishing-norms.csv",
    )
    lesson_radius()
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown(legend)
        st.markdown(read)
        if cut:
            st.caption("Cut to keep the measurement readable: " + "; ".join(cut) + ".")
        if H >= 128:
            st.caption(
                "At H >= 128 the product is multiplied in float32 (the log-scale in float64); the live "
                "check beside the chart compares it with the float64 product."
            )
    with right:
        ui.what_to_notice(L.notice_decay(r))
    travel()


def travel():
    """The gradient of h_T travelling back through the unrolled network, one step per frame (issue 19 item 2):
    the norms are this run's, computed once (r); only the animation's fragment reruns (ui.travel)."""
    st.markdown("**Watch the gradient travel back.** Each frame moves it one step further from h_T.")
    ui.travel.animate(
        "rnn", int(r.t_end), lambda f: L.travel_frame(r, f), ui.travel.domain_of(r.fro_log10), ident=args
    )


def section_spectrum():
    """Section 2: eigenvalues in the complex plane, singular values, radius against norm."""
    st.header("2. Eigenvalues or singular values?")
    if ui.lecture_mode():  # NB: three columns beside the stage's controls left the plane cut at 1280 px
        s1, s2 = st.columns(2, gap="medium")
        s3 = st.container()
    else:
        s1, s2, s3 = st.columns([1.1, 1.1, 0.9], gap="medium")
    with s1:
        # NB: width "content": stretched, the complex plane would not stay square; grow=False: in lecture
        # mode a plane 1.45x larger ran out of this third of the page into the next chart.
        ui.cached_chart(
            spectrum_chart_of,
            args,
            width="content",
            grow=False,
            data=lambda: pd.DataFrame({"re": r.eigvals.real, "im": r.eigvals.imag}),
            filename="rnn-vanishing-eigenvalues.csv",
        )
    with s2:
        ui.cached_chart(
            singular_chart_of, args, data=lambda: L.singular_frame(r), filename="rnn-vanishing-spectrum.csv"
        )
    with s3:
        m1, m2 = st.columns(2)  # in lecture mode under the charts, the stage's width: no label is cut
        m1.metric(
            "radius ρ(W)", f"{r.rho:.3f}", help="Spectral radius, max |eigenvalue|: Jefkine's (2018) λ_1"
        )
        m2.metric(
            "norm ‖W‖₂",
            f"{r.gamma_W:.3f}",
            help="Spectral norm, the largest singular value: the γ_W of eq. 10-12",
        )
        text, caption = L.spectrum_text(r)
        st.markdown(text)
        if caption:
            st.caption(caption)
    lesson_nonnormal()
    ui.what_to_notice(L.notice_spectrum(r))


def section_derivative():
    """Section 3: the activation's derivative and where this run's pre-activations fall."""
    st.header("3. The activation's derivative along this run")
    # NB: in lecture mode one above the other: side by side beside the stage's controls, titles and legends were cut
    a1, a2 = (st.container(), st.container()) if ui.lecture_mode() else st.columns(2, gap="large")
    with a1:
        ui.cached_chart(
            activation_chart_of,
            args,
            data=lambda: L.activation_frames(r)[1],
            filename="rnn-vanishing-preactivations.csv",
            caption=L.derivative_caption(r),
        )
    with a2:
        ui.cached_chart(
            fprime_chart, args, data=lambda: L.fprime_frame(r), filename="rnn-vanishing-fprime.csv"
        )
    lesson_sigmoid()
    ui.what_to_notice(L.notice_derivative(r))


def section_components():
    """Section 4: Kravets's (2023) components of dL_t/dW_hh (T x T table and the chosen L_t)."""
    st.header("4. Which steps move W_hh? Kravets's (2023) components")
    st.markdown(
        "The gradient of one loss $L_t$ splits into one component per step $k \\le t$: "
        "$\\partial L_t/\\partial W_{hh} = \\sum_k h_{k-1}^{\\top}\\, \\partial L_t/\\partial a_k$ (the copy of $W_{hh}$ "
        "used at step $k$). The loss is a **per-step softmax cross-entropy** with a random readout "
        f"$W_y$ ({L.V} classes, random targets): $L_t = -\\log \\mathrm{{softmax}}(h_t W_y)[y_t]$ (Jefkine 2018, eq. 3-4)."
    )
    h1, h2 = (st.container(), st.container()) if ui.lecture_mode() else st.columns([1.2, 1], gap="large")
    with h1:
        ui.cached_chart(
            heat_chart,
            args,
            data=lambda: L.heat_frame(r),
            filename="rnn-vanishing-attribution.csv",
            caption=L.heat_caption(r),
        )
    with h2:
        ui.cached_chart(
            component_chart,
            args,
            lv.t,
            data=lambda: L.component_frame(lv),
            filename=f"rnn-vanishing-components-L{lv.t}.csv",
        )
        st.code(L.article_printout(lv), language=None)
        st.caption("In Kravets's (2023) format (component j = step j+1, 0-based), for W_hh of this RNN.")
    ui.what_to_notice(L.notice_components(r, lv))


def section_equations():
    """Section 5: Jefkine's (2018) equations, each with its live number."""
    st.header("5. Jefkine's (2018) equations, computed here")
    # NB: in lecture mode one column: two beside the stage's controls left the gradcore names wider than a column
    q1, q2 = (st.container(), st.container()) if ui.lecture_mode() else st.columns(2, gap="large")
    live = L.equation_text(r)
    with q1:
        st.markdown("**Eq. 2b**")
        ui.equation(r"h_t = \tanh(W_{hx} x_t + W_{hh} h_{t-1} + b^h)", computed_by="gradcore.rnn.forward")
        st.markdown(live.eq2b)
        st.markdown("**Eq. 7-8**")
        ui.equation(
            r"\frac{\partial h_t}{\partial h_k} = \prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}",
            computed_by="gradcore.spectra.rnn_product_norms_at",
        )
        st.markdown(live.eq7_8)
        st.markdown("**Eq. 9**, written for eq. 2a")
        ui.equation(
            r"\frac{\partial h_i}{\partial h_{i-1}} = \operatorname{diag}\big(f'(a_i)\big)\, W_{hh}",
            computed_by="gradcore.jacobians.rnn_step_jacobians",
        )
        st.markdown(live.eq9)
    with q2:
        st.markdown("**Eq. 10-11**")
        ui.equation(
            r"\Big\|\frac{\partial h_i}{\partial h_{i-1}}\Big\| \le \|W_{hh}^\top\|\,"
            r"\|\operatorname{diag} f'(a_i)\| \le \gamma_W\gamma_h",
            computed_by="gradcore.jacobians.spectrum",
        )
        st.markdown(live.eq10_11)
        st.markdown("**Eq. 12**")
        ui.equation(
            r"\Big\|\frac{\partial h_t}{\partial h_k}\Big\| \le (\gamma_W\gamma_h)^{t-k}",
            computed_by="gradcore.jacobians.rnn_bound",
        )
        st.markdown(live.eq12)
        st.markdown("**Eq. 13** (gradient clipping)")
        ui.equation(
            r"g \leftarrow \frac{\text{threshold}}{\|g\|}\, g \quad \text{if } \|g\| \ge \text{threshold}",
            computed_by="gradcore.clipping.global_norm",
        )
        st.markdown(live.eq13)
    ui.what_to_notice(L.notice_equations(r))


VIEWS = {
    "Decay": section_decay,
    "Spectrum": section_spectrum,
    "Derivative": section_derivative,
    "Components": section_components,
    "Equations": section_equations,
}
for sec in ui.sections("rnn_view", list(VIEWS), where=main):
    with sec.box:
        if sec.open:
            VIEWS[sec.label]()

ui.show_code(
    L.compute,
    spectra.rnn_product_norms_at,
    spectra.step_contributions,
    jacobians.rnn_bound,
    L.check_jacobian,
    label="Show the code: lessons.rnn_vanishing.compute and the gradcore functions it calls",
)
