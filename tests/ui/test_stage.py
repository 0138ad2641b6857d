"""ui.stage: the intro collapses in lecture mode, the controls column sits beside the main one, the heights
follow the mode; and on every page the headline controls are outside the 'More settings' expander."""

from __future__ import annotations

import pytest
from helpers import ROOT, new_app

SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
import ui
ui.stage.intro("The intro text.")
controls, main = ui.stage.columns()
with controls:
    a = ui.slider("Headline", "a", 0, 10, 5)
    with ui.stage.more():
        b = ui.slider("Other", "b", 0, 10, 5)
with main:
    st.markdown(f"height {{ui.stage.hero_height()}} pair {{ui.stage.pair_height()}}")
"""


def _app(lecture: bool):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(SCRIPT, default_timeout=30)
    at.session_state["lecture"] = lecture
    return at.run()


@pytest.mark.parametrize("lecture", [False, True])
def test_intro_collapses_in_lecture_mode_and_heights_follow_the_mode(lecture):
    from ui import stage

    at = _app(lecture)
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert ("About this page" in labels) is lecture
    assert "More settings" in labels
    assert any(m.value == "The intro text." for m in at.markdown)
    shown = f"height {stage.HERO_HEIGHT[lecture]} pair {stage.PAIR_HEIGHT[lecture]}"
    assert any(m.value == shown for m in at.markdown)
    assert stage.HERO_HEIGHT[True] < stage.HERO_HEIGHT[False]  # a 720-px projector against a 1080-px screen
    assert at.slider(key="a").value == 5 and at.slider(key="b").value == 5


def _more_keys(at) -> set[str]:
    """Keys of the widgets drawn inside a 'More settings' expander."""
    keys: set[str] = set()

    def walk(node, inside: bool) -> None:
        here = inside or (type(node).__name__ == "Expander" and getattr(node, "label", "") == "More settings")
        key = getattr(node, "key", None)
        if here and isinstance(key, str):
            keys.add(key)
        for child in getattr(node, "children", {}).values():
            walk(child, here)

    walk(at.main, False)
    return keys


@pytest.mark.parametrize(
    "page,headline,tucked",
    [
        ("pages/start.py", {"start_T", "start_act"}, {"start_H", "start_seed"}),
        ("pages/rnn_vanishing.py", {"scale", "act", "T"}, {"init", "H", "seed"}),
        ("pages/lstm_cell_state.py", {"fbias", "cmp", "T"}, {"H", "D", "seed"}),
        ("pages/exploding.py", {"scale", "T", "threshold", "cliff_lr", "view"}, {"init", "seed", "w0", "b0"}),
    ],
)
def test_headline_controls_stay_out_of_the_expander(page, headline, tucked):
    at = new_app(page, eager=False)
    at.run()
    assert not at.exception
    more = _more_keys(at)
    assert not (headline & more), headline & more
    assert tucked <= more, tucked - more
