"""AppTest smoke tests for every page app.py registers (discovered, so new pages are covered).

For each page: default settings; every keyed control at its minimum and maximum (or
first and last option, on and off), one at a time; a URL full of garbage; every lecture
preset. Each run must raise nothing and every chart must carry finite numbers only.
"""

from __future__ import annotations

import pytest
from helpers import ROOT, assert_healthy, new_app, presets, registered_pages

from ui.lazy import SEEN

PAGES = registered_pages()
GARBAGE = {
    "start_T": "abc",
    "start_act": "<script>",
    "start_H": "1e999",
    "T": "abc",
    "rho": "1e999",
    "act": "<script>",
    "H": "-1",
    "seed": "nan",
    "scale": "inf",
    "fbias": "",
    "lecture": "maybe",
    "init": "../../etc/passwd",
}
WIDGET_KINDS = ("slider", "number_input", "selectbox", "radio", "toggle", "checkbox", "select_slider")


def test_pages_are_registered():
    """app.py registers the five pages of the design, and every pages/*.py file is registered."""
    for page in [
        "pages/start.py",
        "pages/rnn_vanishing.py",
        "pages/lstm_cell_state.py",
        "pages/exploding.py",
        "pages/remedies_lab.py",
    ]:
        assert page in PAGES
    on_disk = {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py") if not p.name.startswith("_")}
    assert on_disk <= set(PAGES), f"page files not registered in app.py: {on_disk - set(PAGES)}"


def _keyed_widgets(at) -> list[tuple[str, str]]:
    """(kind, key) of every control with a user key on the current page and sidebar."""
    out = []
    for kind in WIDGET_KINDS:
        for w in getattr(at, kind):
            if w.key:
                out.append((kind, w.key))
    return out


def _find(at, kind: str, key: str):
    """The widget of this kind and key in the current tree, or None if it is not shown."""
    try:
        return getattr(at, kind)(key=key)
    except KeyError:
        return None


def _extremes(w, kind: str) -> list:
    """The values to try for a widget: ends of its range, first/last option, both states."""
    if kind == "slider":
        lo, hi = w.min, w.max
        if w.proto.data_type in (0,):  # INT
            lo, hi = int(lo), int(hi)
        if isinstance(w.value, tuple):
            return [(lo, lo), (hi, hi), (lo, hi)]
        return [lo, hi]
    if kind == "number_input":
        vals = []
        if w.min is not None:
            vals.append(w.min)
        if w.max is not None:
            vals.append(w.max)
        return vals
    if kind in ("selectbox", "radio", "select_slider"):
        opts = list(w.options)
        return list(dict.fromkeys([opts[0], opts[-1]])) if opts else []
    if kind in ("toggle", "checkbox"):
        return [not w.value, w.value]
    return []


@pytest.mark.parametrize("page", PAGES)
def test_page_default(page):
    at = new_app(page)
    at.run()
    assert_healthy(at, f"{page} default")
    assert at.title, f"{page}: no title"


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_controls_at_extremes(page):
    at = new_app(page)
    at.run()
    assert_healthy(at, f"{page} default")
    widgets = _keyed_widgets(at)
    for kind, key in widgets:
        w = _find(at, kind, key)
        if w is None:
            continue
        default = w.value
        for value in _extremes(w, kind):
            w = _find(at, kind, key)
            if w is None:
                break
            w.set_value(value)
            at.run()
            assert_healthy(at, f"{page}: {key}={value!r}")
        w = _find(at, kind, key)
        if w is not None and w.value != default:
            w.set_value(default)  # restore; applied with the next control's first run
    at.run()
    assert_healthy(at, f"{page} after restoring defaults")


@pytest.mark.parametrize("page", PAGES)
def test_page_garbage_url(page):
    at = new_app(page, GARBAGE)
    at.run()
    assert_healthy(at, f"{page} garbage URL")


PRESETS = presets()


@pytest.mark.parametrize("preset", PRESETS, ids=[p[1] for p in PRESETS])
def test_preset_opens_cleanly(preset):
    """A lecture preset opens its page with no error and no 'URL value was invalid' notice."""
    page, name, _, params = preset
    assert page in PAGES, f"preset {name!r} points at unregistered {page}"
    at = new_app(page, params)
    at.run()
    assert_healthy(at, f"preset {name!r}")
    invalid = [c.value for c in at.caption if "was invalid" in c.value]
    assert not invalid, f"preset {name!r}: {invalid}"


def test_presets_cover_every_content_page():
    pages = {p[0] for p in PRESETS}
    assert {
        "pages/rnn_vanishing.py",
        "pages/lstm_cell_state.py",
        "pages/exploding.py",
        "pages/remedies_lab.py",
    } <= pages


def test_invalid_url_value_gives_one_line_notice():
    at = new_app("pages/start.py", {"start_T": "abc", "start_act": "<script>"})
    at.run()
    assert at.slider(key="start_T").value == 100
    notes = [c.value for c in at.caption if "was invalid" in c.value]
    assert any(n.startswith("URL value for start_T (`abc`) was invalid; using default 100") for n in notes), (
        notes
    )
    assert any("URL value for start_act" in n and "default linear" in n for n in notes), notes


def test_valid_url_value_is_used_silently():
    at = new_app("pages/start.py", {"start_T": "40", "start_act": "tanh", "lecture": "true"})
    at.run()
    assert at.slider(key="start_T").value == 40
    assert at.selectbox(key="start_act").value == "tanh"
    assert at.toggle(key="lecture").value is True
    assert not [c.value for c in at.caption if "was invalid" in c.value]


def test_reset_restores_defaults_but_keeps_lecture_mode():
    at = new_app("pages/start.py", {"start_T": "40", "lecture": "true"})
    at.run()
    at.selectbox(key="start_act").set_value("tanh")
    at.run()
    at.sidebar.button[0].click()
    at.run()
    assert at.slider(key="start_T").value == 100
    assert at.selectbox(key="start_act").value == "linear"
    assert at.toggle(key="lecture").value is True
    assert "start_T" not in at.query_params and "start_act" not in at.query_params


def test_lecture_mode_enlarges_chart_fonts():
    import json

    sizes = {}
    for lecture in ("false", "true"):
        at = new_app("pages/start.py", {"lecture": lecture})
        at.run()
        spec = json.loads(at.get("vega_lite_chart")[0].proto.spec)
        sizes[lecture] = spec["config"]["axis"]["labelFontSize"]
    assert sizes["false"] >= 14 and sizes["true"] >= max(18, 1.3 * sizes["false"]), sizes


def test_start_page_figure_shows_vanish_and_explode():
    """At the default settings the radius-0.8 run vanishes and the radius-1.2 run explodes."""
    import pyarrow as pa

    at = new_app("pages/start.py")
    at.run()
    proto = at.get("vega_lite_chart")[0].proto
    df = pa.ipc.open_stream(proto.datasets[0].data.data).read_all().to_pandas()
    end = df[df["distance"] == df["distance"].max()].set_index("scale")["log10_norm"]
    assert end[0.8] < -5 and end[1.2] > 5, end
    assert "Read it off" in " ".join(m.value for m in at.markdown)


def test_show_code_expander_on_start_page():
    at = new_app("pages/start.py")
    at.run()
    assert any("Show the code" in e.label for e in at.expander)
    assert any("def forward" in c.value for c in at.code)


def _page_keys() -> dict[str, set[str]]:
    """URL key -> the pages whose controls use it (the frame's sidebar toggle left out)."""
    keys: dict[str, set[str]] = {}
    for page in PAGES:
        at = new_app(page)
        at.run()
        for _kind, key in _keyed_widgets(at) + [("multiselect", w.key) for w in at.multiselect if w.key]:
            if key != "lecture":
                keys.setdefault(key, set()).add(page)
        for key in (
            at.session_state[SEEN] if SEEN in at.session_state else {}
        ):  # the pages' tab sets (ui.sections)
            keys.setdefault(key, set()).add(page)
    return keys


def test_shared_url_keys_mean_the_same_on_every_page():
    """A key's value carries from page to page (Streamlit keeps it in the session and the URL), so a
    key two pages use must mean the same on both: it is listed in ui.controls.SHARED_KEYS. Found:
    scale=1 (the vanilla RNN's W_hh) reached the LSTM page's gate-block radius; the exploding page's
    lr/steps/clip (gradient descent on the one-unit cliff) reached the Remedies lab's Adam rate,
    training budget and clipping mode. Those now carry page prefixes (lstm_scale, cliff_*)."""
    from ui.controls import SHARED_KEYS

    shared = {k: sorted(p) for k, p in _page_keys().items() if len(p) > 1}
    unlisted = {k: p for k, p in shared.items() if k not in SHARED_KEYS}
    assert not unlisted, f"keys used on several pages with no agreed meaning: {unlisted}"
    assert {"T", "H", "scale", "seed"} <= set(shared)


def test_preset_keys_are_controls_of_their_page():
    """Every URL key of a lecture preset is a control on the page it opens (a renamed key would
    otherwise be dropped silently)."""
    keys = _page_keys()
    for page, name, _, params in PRESETS:
        missing = [k for k in params if page not in keys.get(k, set())]
        assert not missing, f"preset {name!r}: {missing} are not controls of {page}"
