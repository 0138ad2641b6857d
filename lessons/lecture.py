"""The lecture path (issue 19 item 3): one ordered walk through the pages, a step per claim of the argument.

Pure data, standard library only (no Streamlit): a step is a page, the section (tab) it opens, the URL
settings it sets, a one-line title and the speaker's notes; at a predict-first step, the key of its lesson
(ui.predict.LESSONS). ui/lecture.py draws the bar (Previous / Next, "Step k of N", the notes) and moves the
browser with st.switch_page(page, query_params=query(step)); the step itself is ?step=K in the URL (1-based).

The Start page's presets are steps here where they fit (tests/lessons/test_lecture.py checks that every
preset is the settings of some step); the settings are checked against the pages' real controls and tabs in
tests/app/test_lecture_app.py, the way tests/app/test_app_pages.py checks the presets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

STEP_KEY = "step"  # the URL parameter of the lecture step, 1-based

# The predict-first lessons this path expects (ui.predict.LESSONS keys the pages register). A step names one of
# these or none; a lesson the path expects but no page registers is simply not asked (ui/lecture.py says so).
LESSON_KEYS = (
    "rnn_radius",
    "rnn_sigmoid",
    "rnn_nonnormal",
    "lstm_forget_bias",
    "lstm_cell_path",
    "exp_cliff",
    "exp_clipping",
    "lab_remedy",
)

# The URL key of each page's sections (ui.sections), None for a page without tabs.
SECTION_KEYS = {
    "pages/start.py": None,
    "pages/rnn_vanishing.py": "rnn_view",
    "pages/lstm_cell_state.py": "lstm_view",
    "pages/exploding.py": "exp_view",
    "pages/remedies_lab.py": None,
}


@dataclass(frozen=True)
class Step:
    """One step of the lecture: open `page` at `section` (a tab label of the page's SECTION_KEYS key, or None)
    with the URL settings `params` (strings, as a link holds them)."""

    key: str  # short and stable: what a room and the tests call the step
    page: str  # "pages/x.py"
    section: str | None
    params: dict = field(default_factory=dict)
    title: str = ""
    notes: str = ""
    lesson: str | None = None  # a ui.predict.LESSONS key, or None

    @property
    def section_key(self) -> str | None:
        """The URL key that holds this page's open section (rnn_view, lstm_view, exp_view), or None."""
        return SECTION_KEYS.get(self.page)


STEPS: tuple[Step, ...] = (
    Step(
        "overview",
        "pages/start.py",
        None,
        {},
        "One product of Jacobians: radius 0.8 vanishes, 1.2 explodes",
        "The same W_h scaled to two radii. Everything in the lecture is this product of T - k Jacobians; "
        "ask which curve a longer sequence will hurt first before moving on.",
    ),
    Step(
        "tanh_09",
        "pages/rnn_vanishing.py",
        "Decay",
        {"act": "tanh", "init": "gaussian_radius", "scale": "0.9", "T": "100", "rnn_view": "Decay"},
        "Below radius 1 it vanishes: tanh at radius 0.9",
        "Each step multiplies by diag(f') W_h^T. With radius 0.9 and |tanh'| <= 1 the norm falls at least "
        "geometrically, under the dashed bound. Point at T - k = 50 and read off the factor per step.",
        lesson="rnn_radius",
    ),
    Step(
        "sigmoid",
        "pages/rnn_vanishing.py",
        "Decay",
        {"act": "sigmoid", "init": "orthogonal", "scale": "1.0", "T": "60", "rnn_view": "Decay"},
        "Sigmoid's quarter: gamma_h = 1/4 even with an orthogonal W_h",
        "sigma' <= 1/4, so the bound per step is gamma_W gamma_h = 1/4 although every singular value of W_h "
        "is 1. The activation alone makes the gradient vanish.",
        lesson="rnn_sigmoid",
    ),
    Step(
        "orthogonal_linear",
        "pages/rnn_vanishing.py",
        "Decay",
        {"act": "linear", "init": "orthogonal", "scale": "1.0", "T": "200", "rnn_view": "Decay"},
        "Orthogonal and linear: nothing vanishes over 200 steps",
        "Every singular value is 1 and f' = 1: the product is orthogonal, its norm stays 1. This is the one "
        "setting where a plain RNN keeps its gradient; any nonlinearity or scale breaks it.",
    ),
    Step(
        "nonnormal",
        "pages/rnn_vanishing.py",
        "Spectrum",
        {"act": "linear", "init": "nonnormal", "scale": "0.9", "T": "60", "rnn_view": "Spectrum"},
        "The non-normal surprise: radius 0.9, yet the norm first grows",
        "All eigenvalues inside the unit circle, but ||W_h||_2 > 1: transient growth before the decay. "
        "The bound is on the spectral norm, not the radius.",
        lesson="rnn_nonnormal",
    ),
    Step(
        "forget_bias_0",
        "pages/lstm_cell_state.py",
        "Two paths",
        {"fbias": "0", "T": "100", "lstm_view": "Two paths"},
        "LSTM, forget bias 0: gates near 1/2, the cell path decays",
        "f = sigma(0) = 1/2 on average: the cell path prod f_t loses a factor of two per step, almost as "
        "fast as the RNN. Ask what b_f = 3 will do before the next step.",
        lesson="lstm_forget_bias",
    ),
    Step(
        "forget_bias_3",
        "pages/lstm_cell_state.py",
        "Two paths",
        {"fbias": "3", "T": "100", "lstm_view": "Two paths"},
        "LSTM, forget bias 3: the cell path carries the gradient 100 steps",
        "sigma(3) = 0.95: the cell path decays slowly, the constant error carousel at work (Gers et al. 2000 "
        "added the forget gate; a bias near 1 or more keeps it open at the start of training).",
    ),
    Step(
        "cell_path",
        "pages/lstm_cell_state.py",
        "Split",
        {"fbias": "1", "T": "100", "lstm_view": "Split"},
        "The cell path against the full Jacobian: the part along c and the rest",
        "dL_t/dc_k split (Kravets 2023, fig. 18): the part that travels only along the cell, one f per step, "
        "and the part through h that picks up W_h. The LSTM protects the first; the rest behaves like an RNN.",
        lesson="lstm_cell_path",
    ),
    Step(
        "radius_15",
        "pages/exploding.py",
        "Growth",
        {"act": "linear", "init": "gaussian_radius", "scale": "1.5", "T": "1000", "exp_view": "Growth"},
        "Above radius 1 it explodes: radius 1.5 overflows float64",
        "About 1.5x per step: after some 1,750 steps no float64 can hold it; the chart marks where it "
        "overflowed. The same product as the vanishing case, the other side of 1.",
    ),
    Step(
        "cliff",
        "pages/exploding.py",
        "Cliff",
        {"exp_view": "Cliff"},
        "The cliff: one unit, a wall in the loss",
        "Pascanu et al. 2013's one-unit RNN: the loss is flat almost everywhere and a wall where the "
        "gradient explodes. Click a cell of the map to start a descent there.",
        lesson="exp_cliff",
    ),
    Step(
        "clipping",
        "pages/exploding.py",
        "Descent",
        {"cliff_clip": "norm", "threshold": "1.0", "exp_view": "Descent"},
        "Clipping on the cliff: the step stays, its length is capped",
        "Without clipping one step off the wall throws the parameters far away; clipping by norm keeps the "
        "direction and caps the length at the threshold.",
        lesson="exp_clipping",
    ),
    Step(
        "remedies",
        "pages/remedies_lab.py",
        None,
        {"task": "adding", "T": "50"},
        "Remedies, trained live: the adding problem at T = 50",
        "Every remedy of the article on the same long-range task, against its baseline and the papers' "
        "numbers. Ask which one the class expects to solve it first.",
        lesson="lab_remedy",
    ),
)

N = len(STEPS)


def parse_step(raw) -> int | None:
    """The 1-based step a URL value names ("3" -> 3), or None when it names none (never raises)."""
    if not isinstance(raw, str) or re.fullmatch(r"[0-9]{1,3}", raw.strip()) is None:  # NB: not isdigit: '٣'
        return None
    k = int(raw.strip())
    return k if 1 <= k <= N else None


def step(k: int) -> Step:
    """Step k (1-based)."""
    return STEPS[k - 1]


def query(k: int, keep: dict | None = None) -> dict[str, str]:
    """The URL of step k: its settings, ?step=k, and the `keep` parameters (room, lead) after them."""
    out = dict(step(k).params)
    out[STEP_KEY] = str(k)
    for name, value in (keep or {}).items():
        if value is not None:
            out[name] = str(value)
    return out


def bad_step_message(raw) -> str:
    """The one line shown for a ?step= that names no step."""
    shown = str(raw).replace("`", "")[:20]
    return f"URL value for step (`{shown}`) is not a step of the lecture path (1 to {N}); no step is shown."
