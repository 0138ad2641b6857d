"""One URL vocabulary (issue 18 item 11): lower-case keys in the URL, labels and other cases accepted and
rewritten to the key; the Start page's T, H, act get its one-line notice; preset links carry lecture=true
once; a path that names no page says so. The browser half (a real address bar) is tests/app/test_browser_urls.py."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from helpers import assert_healthy, new_app

from lessons.remedies.specs import MODELS, TASKS
from ui import controls, frame

NOTICE = "was invalid"


def _run(page, query, eager=False):
    at = new_app(page, query, eager=eager)
    at.run(timeout=300)
    assert_healthy(at, f"{page} {query}")
    return at


def _notices(at) -> list[str]:
    return [c.value for c in at.caption if NOTICE in c.value or "not an option" in c.value]


def _url(at, key):
    v = at.query_params.get(key)
    return v if v is None or isinstance(v, list) else [v]


@pytest.mark.parametrize(
    "given,want",
    [
        (["LSTM"], ["lstm"]),
        (["lstm", "rnn"], ["lstm", "rnn"]),
        (["Leaky RNN", "gru"], ["leaky", "gru"]),
        (["hessian-free rnn"], ["hf"]),
    ],
)
def test_models_take_keys_and_labels(given, want):
    at = _run("pages/remedies_lab.py", {"models": given})
    assert at.multiselect(key="models").value == want
    assert not _notices(at), _notices(at)
    assert _url(at, "models") == want  # the address bar holds the keys, whatever the link said


def test_task_by_label_or_case():
    for given in ("TEMPORAL_ORDER", "Temporal-Order", TASKS["temporal_order"]):  # not the default (adding)
        at = _run("pages/remedies_lab.py", {"task": given})
        assert at.selectbox(key="task").value == "temporal_order", given
        assert not _notices(at) and _url(at, "task") == ["temporal_order"]
    at = _run("pages/remedies_lab.py", {"task": "addition"})  # names no task: the default, one notice
    assert at.selectbox(key="task").value == "adding"
    assert [n for n in _notices(at) if "task" in n] == [
        "URL value for task (`addition`) was invalid; using default adding."
    ]
    assert set(MODELS) == {"rnn", "leaky", "lstm", "gru", "esn", "hf"}


@pytest.mark.parametrize("given", ["GRU", "gru", "Gru"])
def test_lstm_comparison_cell(given):
    at = _run("pages/lstm_cell_state.py", {"cmp": given, "T": "20"}, eager=True)
    assert at.radio(key="cmp").value == "gru" and not _notices(at)
    assert _url(at, "cmp") == ["gru"]
    assert any("GRU" in m.value for m in at.markdown)  # the lesson still calls the cell GRU


def test_rnn_select_and_tab_by_other_spellings():
    at = _run("pages/rnn_vanishing.py", {"act": "TANH", "init": "Orthogonal x scale", "rnn_view": "spectrum"})
    assert at.selectbox(key="act").value == "tanh" and at.selectbox(key="init").value == "orthogonal"
    assert at.session_state["rnn_view"] == "Spectrum" and not _notices(at)
    assert _url(at, "init") == ["orthogonal"]


@pytest.mark.parametrize(
    "query,key,shown,default",
    [
        ({"T": "abc"}, "T", "abc", "100"),
        ({"H": "-4"}, "H", "-4", "32"),
        ({"act": "softmax"}, "act", "softmax", "linear"),
    ],
)
def test_start_page_names_bad_T_H_act(query, key, shown, default):
    at = _run("pages/start.py", query)
    assert _notices(at) == [f"URL value for {key} (`{shown}`) was invalid; using default {default}."]
    assert key not in at.query_params, "the bad value leaves the address bar"


def test_start_page_takes_a_good_T_H_act():
    at = _run("pages/start.py", {"T": "120", "H": "16", "act": "tanh"})
    assert not _notices(at)
    assert at.slider(key="start_T").value == 120 and at.slider(key="start_H").value == 16
    assert at.selectbox(key="start_act").value == "tanh"
    assert "T" not in at.query_params and _url(at, "start_T") == ["120"]


def test_preset_links_in_lecture_mode_carry_no_lecture_of_their_own():
    """Streamlit carries the bound ?lecture=true into the page a link opens; a copy in the link doubled it."""
    at = _run("pages/start.py", {"lecture": "true"})
    links = [p for p in at.get("page_link") if p.proto.query_string]
    assert len(links) >= 9
    for p in links:
        assert "lecture" not in p.proto.query_string, p.proto.query_string


def test_unknown_page_notice():
    start, rnn = SimpleNamespace(url_path=""), SimpleNamespace(url_path="rnn_vanishing")
    assert (
        frame.unknown_page(start, "nosuchpage")
        == "No such page: `/nosuchpage`. Showing the Start page instead."
    )
    assert frame.unknown_page(start, "") is None and frame.unknown_page(start, "rnn_vanishing") is None
    assert frame.unknown_page(rnn, "rnn_vanishing") is None
    assert frame.unknown_page(start, None) is None  # no browser URL (AppTest): nothing to say
    assert frame.unknown_page(start, "a`b").startswith("No such page: `/ab`.")  # no markup from the URL


def test_match_option():
    opts = ["gaussian_radius", "orthogonal", "Two paths"]
    assert controls.match_option("GAUSSIAN-RADIUS", opts) == "gaussian_radius"
    assert controls.match_option("two_paths", opts) == "Two paths"
    assert (
        controls.match_option("Orthogonal x scale", opts, {"orthogonal": "orthogonal x scale"})
        == "orthogonal"
    )
    assert controls.match_option("ortho", opts) is None and controls.match_option(None, opts) is None
