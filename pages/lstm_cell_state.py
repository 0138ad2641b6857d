"""LSTM: cell-state flow. Kravets (2023) made live, with a tanh RNN or a GRU beside the LSTM.

Controls -> cached calls into lessons.lstm_cell_state (paths and tables; the split and the checks for
the chosen L_t; the article's tiny example; the figures' tidy data) -> charts, equations with live
values, and the sentences the lesson writes from them. Computation lives in lessons.lstm_cell_state
and gradcore; this file only lays it out.
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
from gradcore import attribution
from lessons import lstm_cell_state as lesson
from lessons import predictions as P

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

# ----------------------------------------------------------------------------- cached lesson calls


@st.cache_data(max_entries=16, show_spinner=False)
def compute(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str) -> dict:
    """Forward passes, path norms and T x T component tables for the settings (lessons.lstm_cell_state.compute)."""
    return lesson.compute(T, H, D, fbias, scale, xscale, seed, cmp)


@st.cache_data(max_entries=32, show_spinner=False)
def for_loss(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int) -> dict:
    """The split of dL_t/dc_k (cell path vs the rest) and the loss L_t itself."""
    return lesson.for_loss(T, H, D, fbias, scale, xscale, seed, t)


@st.cache_data(max_entries=32, show_spinner=False)
def checks_for_loss(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int
) -> dict:
    """The finite-difference checks of loss L_t's gradients (only made when the Equations tab is shown)."""
    return lesson.checks_for_loss(T, H, D, fbias, scale, xscale, seed, t)


@st.cache_data(max_entries=16, show_spinner=False)
def cell_path_end(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int) -> float:
    """ln ||prod_s diag(f_s)||_2 at another forget bias (for 'predict first')."""
    return lesson.cell_path_end(T, H, D, fbias, scale, xscale, seed)


@st.cache_data(max_entries=16, show_spinner=False)
def travel_norms(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str
) -> dict:
    """Per distance, log10 norms of the cell path, the rest, and the comparison cell (the animation reads them)."""
    return lesson.travel_norms(T, H, D, fbias, scale, xscale, seed, cmp)


@st.cache_data(max_entries=8, show_spinner=False)
def article_code(seed: int) -> dict:
    """Kravets's (2023) tiny example three ways, and its mistakes run live."""
    return lesson.article_code(seed)


# NB: st.cache_resource for the two figure sets: shared and never changed (render reads them; the charts' specs
# are kept by ui.cached_chart). st.cache_data unpickled a copy of every gate heatmap and T x T table on every page
# run, the largest part of a lecture follower's run of this page (py-spy, bench/load_rooms.py).
@st.cache_resource(max_entries=32, show_spinner=False)
def figure_data(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str
) -> dict:
    """Gate heatmaps, the two-paths chart and the T x T heatmap: name -> figure (plain data, no charts)."""
    return lesson.figure_data(compute(T, H, D, fbias, scale, xscale, seed, cmp), T, H, fbias, cmp)


@st.cache_resource(max_entries=64, show_spinner=False)
def loss_figure_data(
    T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str, t: int
) -> dict:
    """The components of dL_t/dWx by step and the split of dL_t/dc_k: name -> figure."""
    return lesson.loss_figure_data(
        compute(T, H, D, fbias, scale, xscale, seed, cmp),
        for_loss(T, H, D, fbias, scale, xscale, seed, t),
        t,
        cmp,
    )


# ----------------------------------------------------------------------------- chart builders
# figure_chart(args, name, t) builds figure `name` from the cached figure data; ui.cached_chart keeps
# its finished spec per setting.


def gate_heatmap(df: pd.DataFrame, name: str, title: str, domain, height: int = 230) -> alt.Chart:
    """Units x time heatmap with a fixed colour domain (gates 0..1, g and c symmetric)."""
    ch = ui.charts.heatmap(
        df,
        "t",
        "unit",
        name,
        x_title="time step t",
        y_title="unit j",
        value_title=title,
        diverging=domain[0] < 0,
        height=height,
    )
    scheme = ui.palette.DIVERGING if domain[0] < 0 else ui.palette.SEQUENTIAL
    ticks = sorted(df["t"].unique())
    every = lesson.stride(len(ticks), 20)
    return ch.encode(
        x=alt.X(
            "t:O",
            title="time step t",
            axis=alt.Axis(values=[int(v) for v in ticks[every - 1 :: every]], labelAngle=0),
        ),
        color=alt.Color(
            f"{name}:Q", title=title, scale=alt.Scale(domain=list(domain), scheme=scheme, clamp=True)
        ),
    )


def figure_chart(
    args: tuple, name: str, t: int | None = None, height: int | None = None
) -> alt.TopLevelMixin:
    """The chart of figure `name` at settings args (= compute's arguments); t for the loss figures; height (px)
    for a chart on the stage (ui.stage), else the figure's own."""
    f = (figure_data(*args) if t is None else loss_figure_data(*args, t))[name]
    df, x = f["df"], f["extra"]
    with np.errstate(all="ignore"):
        if name in dict(lesson.GATES):
            return gate_heatmap(df, name, x["title"], x["domain"], height or 230)
        if name == "paths":
            return ui.charts.log_line(
                df,
                "distance",
                "log10_norm",
                "series",
                log10=True,
                floor_log10=lesson.deep_floor(df["log10_norm"]),
                x_title="distance T - k (steps)",
                y_title=x["y_title"],
                legend_title=None,
                height=height or 340,
                title=x["title"],
                dashed=["cell path"],  # orange beside the RNN's vermillion: the dash is the second cue
            )
        if name.startswith("table-"):
            ch = ui.charts.heatmap(
                df,
                "k",
                "t",
                "norm",
                x_title="step k",
                y_title="loss L_t",
                value_title="‖dL_t/dWx^(k)‖",
                log=True,
                height=300,
                floor=x["floor"],
                title=f"{x['cell']}: every loss L_t, every step k",
            )
            return ch.encode(
                x=alt.X("k:O", title="step k", axis=alt.Axis(values=x["ticks"], labelAngle=0)),
                y=alt.Y("t:O", title="loss L_t", sort="descending", axis=alt.Axis(values=x["ticks"])),
                color=alt.Color(
                    "norm:Q",
                    title="log10 ‖·‖",
                    scale=alt.Scale(scheme=ui.palette.SEQUENTIAL, domain=x["domain"]),
                ),
            )
        lg = lesson.log10_col(df["norm"])
        if name == "components":
            x_title = "step k whose copy of Wx receives the component"
            y_title = "‖dL_t/dWx^(k)‖_F (log scale)"
            if x["t"] <= lesson.MAX_BARS:
                # bars from a floor one decade under the smallest component (ui.charts.bars, log=True)
                return ui.charts.bars(
                    df,
                    "k",
                    "norm",
                    "cell",
                    x_title=x_title,
                    y_title=y_title,
                    log=True,
                    floor_log10=lesson.deep_floor(lg),
                    legend_title=None,
                    height=320,
                    title=f"Components of dL_{x['t']}/dWx by step",
                )
            return ui.charts.log_line(
                df.assign(log10_norm=lg),
                "k",
                "log10_norm",
                "cell",
                log10=True,
                floor_log10=lesson.deep_floor(lg),
                height=320,
                x_title=x_title,
                y_title=y_title,
                title=f"Components of dL_{x['t']}/dWx by step",
                legend_title=None,
            )
        return ui.charts.log_line(
            df.assign(log10_norm=lg),
            "distance",
            "log10_norm",
            "part",
            log10=True,
            floor_log10=lesson.deep_floor(lg),
            x_title="distance t - k (steps)",
            y_title="‖part of dL_t/dc_k‖₂ (log scale)",
            legend_title=None,
            height=320,
            dashed=["total dL_t/dc_k"],
            title=f"Where dL_{x['t']}/dc_k comes from",
        )


def render(args: tuple, figs: dict, name: str, t: int | None = None, height: int | None = None) -> None:
    """Draw figure `name` (spec cached per setting by ui.cached_chart), its caption and its CSV download;
    height: a chart on the stage, drawn at that height in both modes (not grown in lecture mode)."""
    f = figs[name]
    ui.cached_chart(
        figure_chart,
        args,
        name,
        t,
        height,
        grow=height is None,
        data=lambda: f["df"],
        filename=f["filename"],
        caption=f["caption"],
    )


# ----------------------------------------------------------------------------- page


CMP_KEYS = {
    "rnn": "RNN",
    "gru": "GRU",
    "none": "none",
}  # URL key -> lesson.COMPARE name (?cmp=gru; GRU accepted)
assert set(CMP_KEYS.values()) == set(lesson.COMPARE)

st.title("LSTM: cell-state flow")
ui.stage.intro(
    "Kravets (2023, *Backpropagation and Vanishing Gradient Problem in RNN, Part 2*) makes one "
    "point: along the LSTM's cell state the gradient is multiplied by the forget gate at each step, "
    "$\\partial c_t/\\partial c_{t-1} = f_t$, not by the recurrent weights $W_h$. So it decays at the "
    "forget gate's rate: slowly when $f \\approx 1$, but it still decays. Move the **forget-gate bias** "
    "and watch. Everything here is a real forward and backward pass at the settings on screen."
)

# The stage (ui.stage): the forget-gate bias, the comparison cell and T beside the tabs; the rest in an expander.
controls, main = ui.stage.columns()
with controls:
    fbias = ui.slider(
        "Forget-gate bias b_f",
        "fbias",
        -3.0,
        5.0,
        1.0,
        step=0.5,
        help="The headline control. Added to the forget gate's pre-activation: f = sigma(x Wx_f + h Wh_f + b_f). "
        "sigma(5) = 0.993, sigma(1) = 0.73, sigma(-3) = 0.047.",
    )
    cmp_key = ui.radio(
        "Comparison cell",
        "cmp",
        list(CMP_KEYS),
        "rnn",
        labels=CMP_KEYS,
        help="Same inputs, same H. RNN: tanh RNN with the LSTM's candidate weights Wx_g, Wh_g. GRU: r, z, n "
        "take the LSTM's i, f, g weights and b_z = b_f (z keeps h as f keeps c).",
    )
    cmp = CMP_KEYS[cmp_key]  # the lesson's name of the cell (its series name on the charts)
    T = int(ui.slider("Sequence length T", "T", 2, 500, 50))
    with ui.stage.more():
        H = int(ui.slider("Hidden size H", "H", 1, 128, 32))
        D = int(ui.slider("Input size D", "D", 1, 64, 8))
        t_req = int(
            ui.number(
                "Loss L_t to decompose: t (0 = last step)",
                "Lt",
                0,
                500,
                0,
                step=1,
                help="Which per-step loss L_t = -log softmax(h_t Wy)[y_t] the decomposition "
                "follows. 0 means t = T, like the article's L3 with T = 3.",
            )
        )
        scale = float(
            ui.slider(
                "Recurrent weight scale rho",
                "lstm_scale",
                0.1,
                2.0,
                0.9,
                step=0.05,
                help="Spectral radius of every H x H gate block of Wh (LSTM i, f, o, g; the "
                "RNN's Wh is the g block, so its radius is rho too).",
            )
        )
        xscale = float(
            ui.slider(
                "Input scale",
                "xscale",
                0.1,
                3.0,
                1.0,
                step=0.1,
                help="x_t ~ scale * N(0, I_D); Wx entries ~ N(0, 1/D).",
            )
        )
        seed = int(ui.number("Seed", "seed", 0, 9999, 0, step=1))
    t = T if t_req == 0 or t_req > T else t_req
    if t_req > T:
        st.caption(f"t = {t_req} is beyond T = {T}: decomposing L_T instead.")

with st.spinner(
    f"Running LSTM{'' if cmp == 'none' else ' and ' + cmp} forward and backward over T = {T} steps ..."
):
    R = compute(T, H, D, float(fbias), scale, xscale, seed, cmp)
    S = for_loss(T, H, D, float(fbias), scale, xscale, seed, t)
    A = article_code(seed)
    args = (T, H, D, float(fbias), scale, xscale, seed, cmp)

# ----------------------------------------------------------------------------- the sections
# One at a time, in tabs (ui.sections): the open one is in the URL (?lstm_view=Components) and only it
# draws its charts, so a slider move redraws one section, not six. compute/for_loss above serve every
# section and "what to notice"; the figures' tidy data (figure_data, loss_figure_data) is made only for
# the section shown.


def section_gates():
    """Section 1: the gates and the cell state over time (one heatmap at a time, in tabs of its own)."""
    F = figure_data(*args)
    gate_tabs = ui.sections(
        "lstm_gate", ["f: forget", "i: input", "g: candidate", "o: output", "c: cell state"]
    )
    for sec, (name, _) in zip(gate_tabs, lesson.GATES, strict=True):
        if sec.open:
            with sec.box:
                render(args, F, name, height=ui.stage.hero_height() - 80)
    st.header("1. Gates and cell state over time")
    st.markdown(lesson.gates_text(R, T, fbias))
    ui.what_to_notice(lesson.notice_gates(R, T, fbias))


def section_paths():
    """Section 2: the cell path against the full Jacobian (and the comparison cell), and its two predict-first
    lessons (lstm_forget_bias, lstm_cell_path) under the chart."""
    F = figure_data(*args)
    render(args, F, "paths", height=ui.stage.hero_height())
    lesson_forget_bias()
    lesson_cell_path()
    st.markdown(PATHS_INTRO)
    st.markdown(lesson.paths_read_off(R, T, cmp))
    st.markdown(
        "**Watch the gradient travel back from $c_T$.** Each frame moves it one step further: the cell path "
        "alone, the rest (every path through some $h_s$), "
        + ("" if cmp == "none" else f"and the {cmp}'s $\\partial h_T/\\partial h_k$ on the same inputs, ")
        + "each cell coloured by its log10 Frobenius norm."
    )
    norms = travel_norms(*args)
    ui.travel.animate(
        "lstm", T, lambda f: lesson.travel_frame(norms, f), ui.travel.domain_of(*norms.values()), ident=args
    )
    ui.what_to_notice(lesson.notice_paths(R, T, fbias, cmp))


# ----------------------------------------------------------------------------- predict, then reveal (lessons.predictions)


def forget_chart(end_ln: float, other_ln: float, fbias: float, guess: float) -> alt.Chart:
    """lstm_forget_bias: the cell path's end at both biases beside the prediction (log10 bars)."""
    return ui.predict.guess_bars(
        P.forget_frame(end_ln, other_ln, fbias, guess),
        "bar",
        "log10",
        y_title=f"‖∏ diag(f_s)‖₂ after {T} steps (log scale)",
        title="Where the cell path ends",
        log10=True,
        height=240,
    )


def cell_path_chart(args2: tuple, guess: str) -> alt.LayerChart:
    """lstm_cell_path: the paths chart at the asked scale, the full Jacobian's end marked with the prediction."""
    R2 = compute(*args2)
    chart = figure_chart(args2, "paths", None, 400).properties(
        title=f"At recurrent scale ρ = {args2[4]:g}: T = {args2[0]}, H = {args2[1]}"
    )
    end = float(R2["ln_full"][-1]) / lesson.LN10
    row = pd.DataFrame(
        {"distance": [float(args2[0])], "log10_norm": [end], "label": [f"full Jacobian (you: {guess})"]}
    )
    return ui.predict.mark(chart, row, "distance", "log10_norm") if np.isfinite(end) else chart


def lesson_forget_bias():
    """lstm_forget_bias: the cell path's end at the other forget bias (the rest on screen)."""
    end_ln = R["ln_cell_spec_end"]
    asked = ui.predict.ask("lstm_forget_bias", P.forget_question(end_ln, T, fbias), default=1e-2)
    if asked.value is None:
        return
    other_ln = cell_path_end(T, H, D, P.other_bias(fbias), scale, xscale, seed)
    rv = P.reveal_forget_bias(end_ln, other_ln, fbias, T, float(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        if np.isfinite(end_ln) and np.isfinite(other_ln):
            ui.cached_chart(
                forget_chart, float(end_ln), float(other_ln), float(fbias), float(asked.value), grow=False
            )


def lesson_cell_path():
    """lstm_cell_path: the full Jacobian against the cell path at another recurrent scale (the rest on screen)."""
    asked = ui.predict.ask("lstm_cell_path", P.cell_path_question(scale, T))
    if asked.value is None:
        return
    s2 = P.other_scale(scale)
    args2 = (T, H, D, float(fbias), float(s2), xscale, seed, "none")
    rv = P.reveal_cell_path(compute(*args2), s2, str(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        ui.cached_chart(cell_path_chart, args2, str(asked.value), grow=False)


def section_components():
    """Section 3: Kravets's (2023) components of dL_t/dWx by step, and the T x T tables."""
    F, FL = figure_data(*args), loss_figure_data(*args, t)
    st.header(f"3. Kravets's (2023) decomposition of dL_t/dWx, t = {t}")
    st.markdown(
        "$W_x$ is shared by every step, so $\\partial L_t/\\partial W_x$ is a sum of one *component* per step "
        "$k \\le t$: the gradient that reaches the copy of $W_x$ used at step $k$. The article prints their "
        "norms for $L_3$; here they are for $L_{"
        + str(t)
        + "}$, LSTM"
        + ("" if cmp == "none" else f" and {cmp}")
        + " on the same inputs."
    )
    render(args, FL, "components", t)
    tcols = st.columns(2 if cmp != "none" else 1)
    for col, name in zip(tcols, ["LSTM"] + ([cmp] if cmp != "none" else []), strict=True):
        with col:
            render(args, F, f"table-{name}")
    code = lesson.printout(R["table"][t - 1], t)
    height = min(40 + 22 * (t + 1), 260)
    code_cols = st.columns(2)
    with code_cols[0]:
        st.caption(
            "LSTM, printed in the article's style (it counts components from 0: component j is step k = j + 1)"
        )
        st.code(code, language=None, height=height)
    if cmp != "none":
        with code_cols[1]:
            st.caption(f"{cmp}, same inputs")
            st.code(lesson.printout(R["cmp_table"][t - 1], t), language=None, height=height)
    ui.what_to_notice(lesson.notice_components(R, t, cmp))


def section_split():
    """Section 4: dL_t/dc_k split into the cell path and the rest."""
    FL = loss_figure_data(*args, t)
    st.header("4. The gradient reaching c_k: the cell path and the rest")
    st.markdown(
        f"Kravets's (2023) figure 18 splits the gradient into a part that travels only along the cell "
        f"($c_t \\to c_{{t-1}} \\to \\dots$, one factor $f$ per step) and a part that passes through the hidden "
        f"state and picks up $W_h$ terms. Here is that split of $\\partial L_{{{t}}}/\\partial c_k$ for every $k \\le t$."
    )
    render(args, FL, "split", t)
    ui.what_to_notice(lesson.notice_split(S, t))


def section_equations():
    """Section 5: the equations with their live numbers, and the finite-difference badge."""
    st.header("5. The equations, live")
    live = lesson.equation_text(R, S, T, H, t)
    ui.equation(
        r"a_t = x_t W_x + h_{t-1} W_h + b,\quad i,f,o = \sigma(a_{i,f,o}),\ g = \tanh(a_g)",
        computed_by="gradcore.lstm.forward",
    )
    st.caption(live.gates)
    ui.equation(
        r"c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t)",
        computed_by="gradcore.lstm.forward",
    )
    st.caption(live.cell)
    ui.equation(
        r"\frac{\partial L_t}{\partial W_x} = \sum_{k=1}^{t} x_k^{\top}\, \delta a_k^{(t)}",
        computed_by="gradcore.attribution.attribution",
    )
    st.caption(live.components)
    ui.equation(
        r"\left.\frac{\partial c_t}{\partial c_{t-1}}\right|_{h_{t-1}} = \operatorname{diag}(f_t)",
        computed_by="gradcore.jacobians.lstm_cell_jacobians",
    )
    st.caption(live.diag_f)
    ui.equation(
        r"\frac{\partial c_t}{\partial h_{t-1}} = \operatorname{diag}(\sigma'(a_i) g) W_{h,i}^{\top}"
        r" + \operatorname{diag}(\sigma'(a_f) c_{t-1}) W_{h,f}^{\top} + \operatorname{diag}(i\,(1-g^2)) W_{h,g}^{\top}",
        computed_by="gradcore.jacobians.lstm_step_jacobians",
    )
    st.caption(live.dc_dh)
    ui.equation(
        r"\Big\|\prod_{s=k+1}^{T}\operatorname{diag}(f_s)\Big\|_2 = \max_j \prod_{s=k+1}^{T} f_{s,j}",
        computed_by="gradcore.jacobians.lstm_product_norms",
    )
    st.caption(live.product)

    worst, detail = lesson.check_summary(checks_for_loss(T, H, D, float(fbias), scale, xscale, seed, t), t)
    if worst < 1e-6:
        st.badge(
            f"Verified by finite differences (largest relative error {worst:.1e})",
            icon=":material/verified:",
            color="green",
        )
    else:
        st.badge(
            f"Finite differences disagree (largest relative error {worst:.1e})",
            icon=":material/warning:",
            color="orange",
        )
    st.caption(detail)
    st.subheader("Where the article is loose")
    st.markdown(lesson.loose_text(R, T))
    ui.what_to_notice(lesson.notice_equations(R, T))


def section_code():
    """Section 6: the article's code, its mistakes run live, and its own tiny example."""
    st.header("6. The article's code, done right")
    st.markdown(
        "Kravets's (2023) code as printed does not run, and one of its examples is silently wrong. Each mistake "
        f"below is run live (seed {seed}); ours agrees with finite differences."
    )
    for n, m in enumerate(A["mistakes"], start=1):
        st.markdown(f"**{n}. {m.title}.**")
        mc = st.columns(2)
        with mc[0]:
            st.caption("The article")
            st.code(m.article, language="python", wrap_lines=True)
        with mc[1]:
            st.caption("Corrected")
            st.code(m.fixed, language="python", wrap_lines=True)
        st.markdown(m.shows)
    intro, code, result = lesson.tiny_text(A)
    st.markdown(intro)
    st.code(code, language=None)
    st.markdown(result)
    ui.show_code(lesson.article_example, attribution.lstm_attribution, lesson.article_bptt)
    ui.what_to_notice(lesson.notice_code(A))


SECTIONS = ["Gates", "Two paths", "Components", "Split", "Equations", "Code"]
PATHS_INTRO = (
    "**Two paths back from $c_T$: the cell path and everything.** Start at the cell state $c_T$ and go back to "
    "$c_k$. Along the cell edge alone the gradient is multiplied by $\\operatorname{diag}(f_s)$ at every step; "
    "the full Jacobian $\\partial c_T/\\partial c_k$ also follows every detour through the hidden state, "
    "where $W_h$ appears."
)
secs = {sec.label: sec for sec in ui.sections("lstm_view", SECTIONS, where=main)}
DRAW = {
    "Gates": section_gates,
    "Two paths": section_paths,
    "Components": section_components,
    "Split": section_split,
    "Equations": section_equations,
    "Code": section_code,
}
for label, sec in secs.items():
    if sec.open:
        with sec.box:
            DRAW[label]()
ui.show_code(lesson.make_problem, lesson.compute)
