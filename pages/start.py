"""Start: backpropagation through time in one screen, a live figure, the map and the presets.

The figure's run and its sentences are lessons.start's; the presets and the page map are this page's.
"""

import serve  # noqa: I001  (standard library only)

# NB: first, before anything loads NumPy: on a fresh server Streamlit may run this page before app.py
# (ui/frame.py), and the float32 kernels can only be pinned before NumPy loads (serve/kernels.py).
serve.setup()

import pandas as pd
import streamlit as st

import ui
from gradcore import jacobians, rnn
from lessons import start as lesson

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

# Lecture presets: (page file, name, what you will see, URL query params). "{bound}" in what you will see
# is filled in with lessons.start.bound_claim for the preset's act, init and scale (preset_text).
# Page authors: these are the agreed URL keys; please honour them on your page. A page's section
# (tab) is a URL key too: rnn_view, lstm_view, exp_view (ui.sections).
PRESETS = [
    (
        "pages/rnn_vanishing.py",
        "tanh forgets fast",
        "tanh at spectral radius 0.9: ‖∂h_T/∂h_k‖ falls geometrically with distance, under the bound.",
        {"act": "tanh", "init": "gaussian_radius", "scale": "0.9", "T": "100"},
    ),
    (
        "pages/rnn_vanishing.py",
        "Sigmoid's quarter",
        "{bound}",  # orthogonal W_hh, so gamma_W = 1; filled in by preset_text from the W_hh the link opens
        {"act": "sigmoid", "init": "orthogonal", "scale": "1.0", "T": "60"},
    ),
    (
        "pages/rnn_vanishing.py",
        "Orthogonal and linear",
        "Every singular value is 1: the gradient neither vanishes nor explodes over 200 steps.",
        {"act": "linear", "init": "orthogonal", "scale": "1.0", "T": "200"},
    ),
    (
        "pages/rnn_vanishing.py",
        "Non-normal surprise",
        "Spectral radius 0.9 < 1, yet the norm first grows: the bound is about the spectral norm.",
        {"act": "linear", "init": "nonnormal", "scale": "0.9", "T": "60", "rnn_view": "Spectrum"},
    ),
    (
        "pages/lstm_cell_state.py",
        "Forget bias 0",
        "Forget gates near 1/2: the cell path ∏ f_t decays almost as fast as an RNN.",
        {"fbias": "0", "T": "100", "lstm_view": "Two paths"},
    ),
    (
        "pages/lstm_cell_state.py",
        "Forget bias 3",
        "Forget gates near σ(3) ≈ 0.95: the cell path carries gradient across 100 steps.",
        {"fbias": "3", "T": "100", "lstm_view": "Two paths"},
    ),
    (
        "pages/exploding.py",
        "Spectral radius 1.5",
        "A linear RNN at radius 1.5: the gradient grows about 1.5× per step until float64 overflows, marked on the chart.",
        {"act": "linear", "init": "gaussian_radius", "scale": "1.5", "T": "1000"},
    ),
    (
        "pages/exploding.py",
        "Clipping on the cliff",
        "Pascanu's one-unit cliff: descent with and without clipping by norm.",
        {"cliff_clip": "norm", "threshold": "1.0", "exp_view": "Descent"},
    ),
    (
        "pages/remedies_lab.py",
        "Adding problem, T = 50",
        "The remedies trained live on the adding task, against the papers' numbers.",
        {"task": "adding", "T": "50"},
    ),
]

PAGE_MAP = [
    (
        "pages/rnn_vanishing.py",
        "Jacobian products dh_t/dh_k, the bound, eigenvalues, the T x T attribution table.",
    ),
    (
        "pages/lstm_cell_state.py",
        "Gates and cell state over time; the forget-gate path against the full Jacobian; GRU.",
    ),
    ("pages/exploding.py", "Growth above radius 1, Pascanu's cliff, clipping by norm and by value."),
    ("pages/remedies_lab.py", "Every remedy of the article trained live on long-range tasks."),
]
# NB: this page's URL keys carry a start_ prefix. Streamlit drops URL parameters bound on
# the page being left when it switches page, so a preset link's T would vanish if the
# Start page also bound T.


RNN_DEFAULTS = {"H": 32, "seed": 0}  # the RNN page's defaults, which a preset that does not set them opens


@st.cache_data(max_entries=16)
def preset_text(what: str, act: str, init_kind: str, scale: float, H: int, seed: int) -> str:
    """A preset's "what you will see", its {bound} computed for the W_hh the link opens."""
    if "{bound}" not in what:
        return what
    return what.replace("{bound}", lesson.bound_claim(act, init_kind, scale, H, seed))


@st.cache_data(max_entries=64)
def jacobian_norms(T: int, act: str, H: int, seed: int) -> pd.DataFrame:
    """lessons.start.jacobian_norms: log10 ||dh_T/dh_k||_2 against T - k, per radius."""
    return lesson.jacobian_norms(T, act, H, seed)


def norms_chart(T: int, act: str, H: int, seed: int, height: int = 360):
    """The figure: log10 ||dh_T/dh_k|| against T - k for both radii (spec cached by ui.cached_chart)."""
    return ui.charts.log_line(
        jacobian_norms(T, act, H, seed),
        "distance",
        "log10_norm",
        "run",
        log10=True,
        floor_log10=-300,
        x_title="distance T - k (steps)",
        y_title="||dh_T / dh_k||  (spectral norm)",
        title=f"Vanilla RNN, {act}, H = {H}",
        height=height,
    )


# A link's T, H, act (the shared keys of the other pages) are this page's start_T, start_H, start_act: moved
# there, so a bad value gets the usual one-line notice and leaves the address bar.
ui.controls.alias({"T": "start_T", "H": "start_H", "act": "start_act"})

st.title("Why gradients vanish and explode in recurrent networks")
st.markdown(
    "The gradient that step $k$ receives from the loss at step $T$ passes through one Jacobian per step in "
    "between: below spectral radius 1 it **vanishes**, above it it **explodes**. The chart runs one real RNN "
    "twice, with the same random $W_h$ scaled to radius 0.8 and 1.2."
)

# The stage (ui.stage): length and activation beside the chart, size and seed in an expander, the story under it.
controls, main = ui.stage.columns()
with controls:
    T = ui.slider("Sequence length T", "start_T", 10, 300, 100, step=5)
    act = ui.select(
        "Activation f",
        "start_act",
        ["linear", "tanh", "relu", "sigmoid"],
        "linear",
        help="Linear shows the pure effect of W_h; tanh and sigmoid add f' < 1.",
    )
    with ui.stage.more():
        H = ui.slider("Hidden size H", "start_H", 4, 128, 32, step=4)
        seed = ui.number("Seed", "start_seed", 0, 9999, 0, step=1)

df = jacobian_norms(int(T), act, int(H), int(seed))
with main:
    ui.cached_chart(
        norms_chart,
        int(T),
        act,
        int(H),
        int(seed),
        ui.stage.hero_height(),
        grow=False,
        data=df,
        filename="start-jacobian-norms.csv",
    )

left, right = st.columns(2, gap="large")
with left:
    st.markdown(
        "A recurrent network applies the same step at every time $t$; backpropagation through "
        "time (BPTT) runs the chain rule back through all of them:"
    )
    st.latex(r"h_t = f(\underbrace{x_t W_x + h_{t-1} W_h + b}_{a_t})")
    ui.equation(
        r"\frac{\partial h_T}{\partial h_k} = \prod_{s=k+1}^{T} "
        r"\operatorname{diag}\big(f'(a_s)\big)\, W_h^{\top}",
        computed_by=["gradcore.rnn.forward", "gradcore.jacobians.rnn_product_norms"],
    )
    st.markdown(
        "A product of $T-k$ matrices shrinks or grows geometrically: below spectral radius 1 "
        "the signal from the distant past **vanishes**, above it it **explodes**."
    )
with right:
    st.markdown(lesson.read_off(df, T))
    note = lesson.activation_note(act)
    if note:
        st.caption(note)

ui.show_code(lesson.jacobian_norms, jacobians.rnn_product_norms, rnn.forward)

st.subheader("The pages")
cols = st.columns(len(PAGE_MAP))
for col, (page, text) in zip(cols, PAGE_MAP, strict=True):
    with col:
        st.page_link(ui.frame.page_path(page))
        st.caption(text)

st.subheader("Lecture presets")
st.caption("Each link opens a page at prepared settings; the URL holds them, so you can bookmark it.")
# NB: no lecture=true in query_params: the lecture toggle is bound to the URL, and Streamlit carries a bound
# parameter into the page it navigates to, so the link's own copy made it ?lecture=true&lecture=true.
for row in range(0, len(PRESETS), 3):  # rows of three, so cards line up across columns
    for col, (page, name, what, params) in zip(st.columns(3), PRESETS[row : row + 3], strict=False):
        with col.container(border=True, height="stretch"):
            st.page_link(
                ui.frame.page_path(page),
                label=f"**{name}**",
                icon=":material/play_circle:",
                query_params=params,
            )
            st.caption(
                preset_text(
                    what,
                    params.get("act", "tanh"),
                    params.get("init", "gaussian_radius"),
                    float(params.get("scale", 1.0)),
                    int(params.get("H", RNN_DEFAULTS["H"])),
                    int(params.get("seed", RNN_DEFAULTS["seed"])),
                )
            )
