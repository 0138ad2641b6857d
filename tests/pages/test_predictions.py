"""Predict, then reveal on the pages (issue 19 item 1), in AppTest: every lesson's answer stays hidden until the
learner commits, then the reveal sentence (recomputed here from the engine at the page's default settings) and a
chart with the prediction on it appear; the room's listeners hear (key, value); "Predict again" takes it back.
The widgets are session-only: nothing of theirs reaches the URL."""

from __future__ import annotations

import pytest
from helpers import assert_healthy, new_app

import ui.predict as UP
from gradcore import cliff
from lessons import exploding as E
from lessons import lstm_cell_state as LC
from lessons import predictions as P
from lessons import rnn_vanishing as RV
from lessons.remedies import records as rec_io
from ui.frame import PAGES
from ui.lazy import SEEN

# the eight lessons issue 19 names, in seed 001's order, and the Remedies lab's second one
REQUIRED = [
    "rnn_radius",
    "rnn_sigmoid",
    "rnn_nonnormal",
    "lstm_forget_bias",
    "lstm_cell_path",
    "exp_cliff",
    "exp_clipping",
    "lab_remedy",
]


def _descents():
    return E.descents(4.4, -2.2, 0.2, 100, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)


# key -> (what the widget is set to, the value stored, the reveal expected at the page's defaults)
CASES = {
    "rnn_radius": (
        -3,
        1e-3,
        lambda v: P.reveal_radius(RV.compute(50, 32, "tanh", "gaussian_radius", 0.9, 1.0, 0), v),
    ),
    "rnn_sigmoid": (
        0.3,
        0.3,
        lambda v: P.reveal_sigmoid(RV.compute(50, 32, "sigmoid", "gaussian_radius", 1.0, 1.0, 0), v),
    ),
    "rnn_nonnormal": (
        P.NONNORMAL_OPTIONS[2],
        P.NONNORMAL_OPTIONS[2],
        lambda v: P.reveal_nonnormal(RV.compute(50, 32, "linear", "nonnormal", 0.9, 1.0, 0), v),
    ),
    "lstm_forget_bias": (
        -3,
        1e-3,
        lambda v: P.reveal_forget_bias(
            LC.compute(50, 32, 8, 1.0, 0.9, 1.0, 0, "none")["ln_cell_spec_end"],
            LC.cell_path_end(50, 32, 8, 4.0, 0.9, 1.0, 0),
            1.0,
            50,
            v,
        ),
    ),
    "lstm_cell_path": (
        P.CELL_PATH_OPTIONS[1],
        P.CELL_PATH_OPTIONS[1],
        lambda v: P.reveal_cell_path(LC.compute(50, 32, 8, 1.0, 2.0, 1.0, 0, "none"), 2.0, v),
    ),
    "exp_cliff": (0, 1.0, lambda v: P.reveal_cliff(_descents(), 0.2, v)),
    "exp_clipping": (-1, 0.1, lambda v: P.reveal_clipping(_descents(), 0.2, 1.0, v)),
    "lab_remedy": (-2, 1e-2, lambda v: P.reveal_remedy(rec_io.load_shared("card_lstm")[0], v)),
    "lab_truncation": (
        P.TRUNCATION_OPTIONS[0],
        P.TRUNCATION_OPTIONS[0],
        lambda v: P.reveal_truncation(rec_io.load_shared("card_tbptt")[0], v),
    ),
}


def _markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def test_every_lesson_is_registered_on_a_page_of_the_frame():
    assert set(REQUIRED) <= set(UP.LESSONS) and list(P.LESSON_DEFS)[: len(REQUIRED)] == REQUIRED
    pages = {f for f, _, _ in PAGES}
    for key in P.LESSON_DEFS:
        lesson = UP.LESSONS[key]
        assert lesson.key == key and lesson.page in pages, key
        assert UP.valid(key, "not a prediction") is None
    assert set(CASES) == set(P.LESSON_DEFS)
    assert sum(UP.LESSONS[k].page == "pages/remedies_lab.py" for k in P.LESSON_DEFS) >= 2


@pytest.mark.parametrize("key", list(CASES))
def test_predict_then_reveal(key):
    lesson = UP.LESSONS[key]
    setting, stored, reveal = CASES[key]
    want = reveal(stored).sentence
    at = new_app(lesson.page).run()
    assert_healthy(at, f"{key} before")
    # the lesson sits in a real tab of its page (or on the page itself)
    tabs = {label for labels in at.session_state[SEEN].values() for label in labels}
    assert lesson.section is None or lesson.section in tabs, (lesson.section, tabs)
    # (a) before committing: neither the answer nor its chart
    charts = len(at.get("vega_lite_chart"))
    assert want not in _markdown(at)
    assert not [b for b in at.button if b.key == f"predict_{key}_again"]
    heard = []

    def listen(k, v):
        heard.append((k, v))

    UP.LISTENERS.append(listen)
    try:
        widget = (
            at.radio(key=f"predict_{key}") if lesson.kind == "choice" else at.slider(key=f"predict_{key}")
        )
        widget.set_value(setting).run()
        assert want not in _markdown(at) and heard == []  # moving the widget commits nothing
        at.button(key=f"predict_{key}_commit").click().run()
    finally:
        UP.LISTENERS.remove(listen)  # NB: not clear(): the lecture room's own listener stays registered
    # (b) the sentence computed from the run, the prediction kept in the session, its chart drawn
    assert_healthy(at, f"{key} after")
    assert want in _markdown(at), (want, [m for m in _markdown(at) if "predicted" in m or "Right" in m])
    assert at.session_state[UP._STORE][key] == pytest.approx(stored) if lesson.kind == "value" else stored
    assert len(at.get("vega_lite_chart")) == charts + 1
    assert not [k for k in at.query_params if k.startswith("predict")]  # session only, never in the URL
    # (c) the room heard it
    assert heard == [(key, pytest.approx(stored) if lesson.kind == "value" else stored)]
    # (d) Predict again takes it back: the question again, no answer
    at.button(key=f"predict_{key}_again").click().run()
    assert_healthy(at, f"{key} again")
    assert key not in at.session_state[UP._STORE]
    assert want not in _markdown(at) and len(at.get("vega_lite_chart")) == charts


def test_a_choice_cannot_be_committed_before_one_is_picked():
    at = new_app("pages/rnn_vanishing.py", {"rnn_view": "Spectrum"}, eager=False).run()
    assert at.button(key="predict_rnn_nonnormal_commit").disabled
    at.radio(key="predict_rnn_nonnormal").set_value(P.NONNORMAL_OPTIONS[0]).run()
    assert not at.button(key="predict_rnn_nonnormal_commit").disabled


def test_lecture_mode_reveal_renders():
    at = new_app("pages/exploding.py", {"lecture": "true", "exp_view": "Clipping"}, eager=False).run()
    at.slider(key="predict_exp_clipping").set_value(-1).run()
    at.button(key="predict_exp_clipping_commit").click().run()
    assert_healthy(at, "lecture reveal")
    assert any("clipped by norm, the longest step" in m for m in _markdown(at))
