"""AppTest of the LSTM page: defaults, extremes, garbage URL, finite charts, and text that agrees with the engine."""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import assert_healthy, new_app

from gradcore import attribution, jacobians, lstm
from lessons import fmt
from lessons import lstm_cell_state as L

PAGE = "pages/lstm_cell_state.py"
LN10 = np.log(10.0)


def _run(query=None):
    at = new_app(PAGE, query)
    at.run()
    return at


def _text(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


def _sci(ln_value: float) -> str:
    """The page's style of a log-norm (lessons.fmt.sci; its own tests are tests/lessons/test_fmt.py)."""
    return L.sci(ln=ln_value)


def _datasets(at):
    """Every chart dataset on the page as a DataFrame (Streamlit ships them as Arrow)."""
    import pyarrow as pa

    out = []
    for chart in at.get("vega_lite_chart"):
        for d in list(chart.proto.datasets) + [chart.proto]:
            raw = d.data.data
            if raw:
                out.append(pa.ipc.open_stream(raw).read_all().to_pandas())
    return out


@pytest.fixture(scope="module")
def default_app():
    return _run()


def test_defaults_render_and_text_agrees_with_engine(default_app):
    at = default_app
    assert_healthy(at, "defaults")
    assert at.title[0].value == "LSTM: cell-state flow"
    text = _text(at)
    # the engine at the default settings, computed here independently of the page
    p = L.make_problem(50, 32, 8, 1.0, 0.9, 1.0, 0)
    h, cache = lstm.forward(p.x, np.zeros((1, 32)), **p.lstm)
    assert f"Here its mean is **{cache.f.mean():.3f}**" in text
    pn = jacobians.lstm_product_norms(cache)
    assert f"the cell path falls to **{_sci(pn.log_spec_cell[-1])}**" in text
    assert f"the full ‖dc_T/dc_k‖ ends at **{_sci(pn.log_spec_c[-1])}**" in text
    # the article-style printout is row T of the engine's T x T table
    dh = L.losses.softmax_cross_entropy(h, p.Wy, np.zeros(L.V), p.targets).dh
    row = attribution.attribution(dh, cache).dWx[49, :50]
    printed = next(c.value for c in at.code if c.value.startswith("Loss 50"))
    vals = [float(v) for v in re.findall(r"component \d+ - (\S+)", printed)]
    np.testing.assert_allclose(vals, row, rtol=1e-12)
    # the seed's tiny example, N, D, T, H = 1, 3, 3, 1, through gradcore
    tiny = next(c.value for c in at.code if c.value.startswith("Loss 3"))
    want = attribution.seed000_example(np.random.default_rng(0)).components
    np.testing.assert_allclose(
        [float(v) for v in re.findall(r"component \d - (\S+)", tiny)], want, rtol=1e-12
    )
    assert "Verified by finite differences" in text
    assert "6. The article's code, done right" in [h.value for h in at.header]  # the Code tab


def test_paths_chart_carries_engine_values(default_app):
    p = L.make_problem(50, 32, 8, 1.0, 0.9, 1.0, 0)
    _, cache = lstm.forward(p.x, np.zeros((1, 32)), **p.lstm)
    pn = jacobians.lstm_product_norms(cache)
    for df in _datasets(default_app):
        if "series" in df and (df["series"] == "cell path").any():
            cell = df[df["series"] == "cell path"].sort_values("distance")
            np.testing.assert_allclose(cell["log10_norm"], pn.log_spec_cell / LN10, rtol=1e-9, atol=1e-12)
            return
    pytest.fail("no chart with the cell path series")


def test_lesson_in_what_to_notice_follows_the_forget_bias():
    at = _run({"fbias": "5", "T": "50"})
    assert_healthy(at, "fbias 5")
    assert re.search(r"the cell path decays \d+(\.\d)?x slower", _text(at)), _text(at)[-1500:]
    # nearly every forget gate is open: the share is written out, not rounded to 100% (nor '1e+02%')
    p = L.make_problem(50, 32, 8, 5.0, 0.9, 1.0, 0)
    _, cache = lstm.forward(p.x, np.zeros((1, 32)), **p.lstm)
    q = float((cache.f > 0.9).mean())
    assert 0.99 < q < 1
    assert f"; {fmt.percent(q)} of its values exceed 0.9." in _text(at) and "e+02%" not in _text(at)
    at = _run({"fbias": "-3", "T": "50"})
    assert_healthy(at, "fbias -3")
    assert "*faster*" in _text(at)


def test_extremes_long_and_wide_with_gru():
    at = _run({"T": "500", "H": "128", "fbias": "-3", "cmp": "GRU", "lstm_scale": "2.0", "xscale": "3.0"})
    assert_healthy(at, "T=500 H=128 fbias=-3 GRU")
    assert "Verified by finite differences" in _text(at)


def test_smallest_settings_and_no_comparison():
    at = _run({"T": "2", "H": "1", "D": "1", "cmp": "none", "lstm_scale": "0.1", "xscale": "0.1", "Lt": "1"})
    assert_healthy(at, "T=2 H=1 D=1 none")
    assert not any(c.value.startswith("Loss 1") and "RNN" in c.value for c in at.code)


def test_loss_beyond_T_falls_back_to_last_step():
    at = _run({"T": "20", "Lt": "300"})
    assert_healthy(at, "Lt > T")
    assert any("t = 300 is beyond T = 20" in c.value for c in at.caption)
    assert any(c.value.startswith("Loss 20") for c in at.code)


def test_garbage_url():
    at = _run(
        {
            "T": "abc",
            "fbias": "1e999",
            "cmp": "<script>",
            "Lt": "-5",
            "H": "nan",
            "lstm_scale": "inf",
            "xscale": "",
            "seed": "x",
            "D": "0",
        }
    )
    assert_healthy(at, "garbage URL")
    notes = [c.value for c in at.caption if "was invalid" in c.value]
    assert len(notes) >= 5, notes
    assert at.slider(key="fbias").value == 1.0 and at.slider(key="T").value == 50


def test_predict_first_reveals_the_computed_answer():
    """The forget-bias question (ui.predict, session only: no ?reveal= in the URL any more): once a prediction
    is committed the answer is the cell path's end at b_f = 0, recomputed here with lstm.forward."""
    at = _run({"fbias": "3", "T": "60"})
    assert "at b_f = 0 the cell path ends at" not in _text(at)
    at.slider(key="predict_lstm_forget_bias").set_value(-4).run()
    at.button(key="predict_lstm_forget_bias_commit").click().run()
    assert_healthy(at, "reveal")
    p = L.make_problem(60, 32, 8, 0.0, 0.9, 1.0, 0)
    _, cache = lstm.forward(p.x, np.zeros((1, 32)), **p.lstm)
    want = jacobians.lstm_product_norms(cache, spectral=False).log_spec_cell[-1]
    assert f"at b_f = 0 the cell path ends at **{_sci(want)}**" in _text(at)


def test_lecture_mode_renders():
    at = _run({"lecture": "true", "T": "30"})
    assert_healthy(at, "lecture mode")


@pytest.mark.parametrize(
    "query", [{}, {"fbias": "3", "T": "80", "cmp": "GRU"}, {"fbias": "-2", "cmp": "none"}]
)
def test_each_tab_notices_its_own_chart(query):
    """Issue 18 item 5: the page-wide blocks are gone; every tab's "What to notice" is its own (no sentence under
    two tabs) and quotes its own numbers, recomputed here through lessons.lstm_cell_state."""
    from helpers import notes_by_tab

    at = _run(query)
    assert_healthy(at, str(query))
    notes = notes_by_tab(at)
    assert set(notes) == {"Gates", "Two paths", "Components", "Split", "Equations", "Code"}, notes.keys()
    seen = [p for ps in notes.values() for p in ps]
    assert len(seen) == len(set(seen)), "a sentence is repeated under two tabs"
    T, fb, cmp = int(query.get("T", 50)), float(query.get("fbias", 1.0)), query.get("cmp", "RNN")
    R = L.compute(T, 32, 8, fb, 0.9, 1.0, 0, cmp)
    S = L.for_loss(T, 32, 8, fb, 0.9, 1.0, 0, T)
    A = L.article_code(0)
    text = {k: " ".join(v) for k, v in notes.items()}
    assert f"forget gates average {float(R['f'].mean()):.3f}; " in text["Gates"]
    assert f"largest |c_t| is {float(np.abs(R['c']).max()):.3g}" in text["Gates"]
    assert f"reaches {L.sci(ln=R['ln_cell'][-1])} after {T} steps" in text["Two paths"]
    assert f"ends at {L.sci(ln=R['ln_full'][-1])}" in text["Two paths"]
    comp = R["table"][T - 1, :T]
    assert f"component is {L.num(comp[-1])} and the farthest (k = 1) {L.num(comp[0])}" in text["Components"]
    frac = S["cell"] / (S["cell"] + S["rest"])
    assert f"alone makes {fmt.percent(frac[0])}" in text["Split"]
    assert f"max f_T = {float(R['diag_f_T'].max()):.4f}" in text["Equations"]
    assert f"centred differences agree to {A['tiny'].fd_rel_error:.1e}" in text["Code"]
    assert "forget gates average" not in text["Components"] + text["Split"] + text["Code"]
    # "Where the article is loose" is the Equations tab's, drawn once
    assert sum(h.value == "Where the article is loose" for h in at.subheader) == 1


@pytest.mark.parametrize(
    "query,since",
    [
        ({}, "from"),  # b_f = 1: the total leaves the cell path and lies on 'through h' far back
        ({"fbias": "5"}, None),  # b_f = 5: the cell path carries it, the total stays apart from 'through h'
        (
            {"fbias": "-3"},
            "every",
        ),  # b_f = -3: forget gates near 0, the total is 'through h' at every distance
    ],
)
def test_split_chart_says_where_the_total_lies_on_through_h(query, since):
    """The Split chart's subtitle names 'total dL_t/dc_k' and 'through h (Wh terms)' when, in its own drawn
    data, they stay within 1% of the axis's decades of each other (at every distance, or from one on)."""
    import json

    at = _run(query)
    assert_healthy(at, f"lstm {query}")
    (chart,) = [c for c in at.get("vega_lite_chart") if "comes from" in c.proto.spec]
    t = json.loads(chart.proto.spec).get("title", {})
    note = " ".join(" ".join(t.get("subtitle", [])).split()) if isinstance(t, dict) else ""
    df = [d for d in _datasets(at) if "part" in d and "log10_norm" in d][0]
    piv = df.pivot_table(index="distance", columns="part", values="log10_norm")
    dist = (piv["total dL_t/dc_k"] - piv["through h (Wh terms)"]).abs().dropna()
    tol = max(0.01 * float(df["log10_norm"].max() - df["log10_norm"].min()), np.log10(1.01))
    named = "'total dL_t/dc_k' and 'through h (Wh terms)' within" in note
    if since is None:
        within = (dist <= tol).to_numpy()
        tail = len(within) - (np.flatnonzero(~within)[-1] + 1) if (~within).any() else len(within)
        assert not named and tail < 0.3 * len(within), note  # together over less than the last 30%: not said
    elif since == "every":
        assert named and "at every point" in note and (dist <= tol).all(), note
    else:
        k = float(note.split("from distance t - k = ")[1].split(" on")[0])
        assert (dist[dist.index >= k] <= tol).all() and dist[dist.index < k].iloc[-1] > tol, note


def test_step_moves_the_lstm_travelling_gradient_with_every_row_at_the_front():
    """The Two paths tab animates the cell path, the rest and the comparison RNN; Step moves one state back and
    the title holds every row's number at the wavefront; nothing is in the URL."""
    import json

    def front(at):
        for c in at.get("vega_lite_chart"):
            t = json.loads(c.proto.spec).get("title", "")
            if isinstance(t, dict):  # the head (a list of lines once wrapped) over one line per row's number
                head = t.get("text", "")
                t = f"{' '.join(head) if isinstance(head, list) else head}: " + " · ".join(
                    t.get("subtitle", [])
                )
            if "cell path " in str(t) and str(t).startswith("k = "):
                return str(t)
        raise AssertionError("no travelling-gradient frame")

    at = new_app(PAGE, eager=False)
    at.query_params["lstm_view"] = "Two paths"
    at.run()
    T = int(at.slider(key="T").value)
    assert front(at).startswith(f"k = {T} (T - k = 0)")
    at.button(key="lstm_travel_step").click().run()
    title = front(at)
    assert title.startswith(f"k = {T - 1} (T - k = 1)") and "the rest (through h) exactly 0" in title
    assert "RNN " in title and "lstm_travel_step" not in at.query_params
    assert not at.exception
