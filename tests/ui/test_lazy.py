"""ui.lazy.sections: one tab open at a time, bound to the URL; only the open tab's content runs."""

from __future__ import annotations

import pytest
from helpers import ROOT

SCRIPT = f"""
import sys
sys.path.insert(0, {str(ROOT)!r})
import streamlit as st
import ui
st.session_state.setdefault("drawn", [])
secs = ui.sections("demo_view", ["Decay", "Spectrum", "Equations"])
for s in secs:
    with s.box:
        v = ui.slider("Own control " + s.label, "own_" + s.label.lower(), 0, 10, 5)
        if s.open:
            st.session_state["drawn"].append(s.label)
            st.markdown(f"content of {{s.label}} at {{v}}")
st.markdown("shown: " + ui.open_label("demo_view", [s.label for s in secs]))
"""


def _app(query=None, eager=False):
    from streamlit.testing.v1 import AppTest

    from ui.lazy import EAGER

    at = AppTest.from_string(SCRIPT, default_timeout=30)
    if eager:
        at.session_state[EAGER] = True
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at.run()


def _contents(at):
    return [m.value for m in at.markdown if m.value.startswith("content of")]


def test_only_the_default_tab_runs():
    at = _app()
    assert not at.exception
    assert _contents(at) == ["content of Decay at 5"]
    assert at.session_state["drawn"] == ["Decay"]
    assert "shown: Decay" in [m.value for m in at.markdown]
    assert not at.caption  # no notice without a URL value


@pytest.mark.parametrize("label", ["Spectrum", "Equations"])
def test_the_url_opens_a_tab(label):
    at = _app({"demo_view": label})
    assert _contents(at) == [f"content of {label} at 5"]
    assert f"shown: {label}" in [m.value for m in at.markdown]
    assert not at.caption


def test_every_tab_keeps_its_controls_when_closed():
    at = _app({"own_equations": "9"})  # a closed tab's own control, set by a link
    assert _contents(at) == ["content of Decay at 5"]
    assert at.slider(key="own_equations").value == 9  # drawn (hidden) in its tab, value kept


@pytest.mark.parametrize("bad", ["garbage", "", "<script>alert(1)</script>", "decays"])
def test_a_bad_url_tab_falls_back_with_one_notice(bad):
    at = _app({"demo_view": bad})
    assert not at.exception
    assert _contents(at) == ["content of Decay at 5"]
    notes = [c.value for c in at.caption]
    if bad == "":
        assert len(notes) <= 1
    else:
        assert len(notes) == 1 and "demo_view" in notes[0] and "Decay" in notes[0], notes


def test_eager_draws_every_tab():
    at = _app(eager=True)
    assert _contents(at) == ["content of Decay at 5", "content of Spectrum at 5", "content of Equations at 5"]


@pytest.mark.parametrize(
    "spelt,label", [("spectrum", "Spectrum"), ("EQUATIONS", "Equations"), ("decay", "Decay")]
)
def test_a_tab_named_in_another_case_opens_it_and_the_url_takes_the_label(spelt, label):
    """Issue 18 item 11: ?demo_view=spectrum opens Spectrum, with no notice, and the URL is rewritten to it."""
    at = _app({"demo_view": spelt})
    assert not at.exception
    assert _contents(at) == [f"content of {label} at 5"]
    assert not at.caption, [c.value for c in at.caption]
    assert at.query_params.get("demo_view") in ([label], label, None), at.query_params  # None: the default
