"""Every lecture preset sets what it promises: each of its URL parameters is a control on the
target page, and that control shows the preset's value (a misspelt or renamed key would
otherwise be ignored in silence and the preset would open the page at its defaults)."""

from __future__ import annotations

import pytest
from helpers import new_app, presets

from ui.lazy import SEEN

PRESETS = presets()
WIDGETS = (
    "slider",
    "selectbox",
    "radio",
    "toggle",
    "number_input",
    "multiselect",
    "checkbox",
    "select_slider",
)


def _controls(at) -> dict:
    """key -> widget for every keyed widget the run produced (main area and sidebar)."""
    out = {}
    for kind in WIDGETS:
        for w in getattr(at, kind, []):
            if getattr(w, "key", None):
                out[w.key] = w
    return out


def _same(widget, text: str) -> bool:
    v = widget.value
    if isinstance(v, bool):
        return str(v).lower() == text.lower()
    if isinstance(v, (int, float)):
        return float(v) == float(text)
    if isinstance(v, (list, tuple)):
        return [str(x) for x in v] == text.split(",") or [str(x) for x in v] == [text]
    return str(v) == text


@pytest.mark.parametrize("preset", PRESETS, ids=[p[1] for p in PRESETS])
def test_preset_parameters_reach_their_controls(preset):
    page, name, _, params = preset
    at = new_app(page, params, eager=False)  # as the server runs it: only the section the preset opens
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    controls = _controls(at)
    sections = at.session_state[SEEN] if SEEN in at.session_state else {}  # ui.sections tab sets drawn
    for key, text in params.items():
        if key in sections:
            assert text in sections[key], f"preset {name!r}: {text!r} is not a section of {key}"
            assert at.session_state[key] == text, (
                f"preset {name!r}: section {at.session_state[key]!r}, not {text!r}"
            )
            continue
        assert key in controls, (
            f"preset {name!r}: {key}={text} is not a control on {page} (keys: {sorted(controls)})"
        )
        assert _same(controls[key], text), (
            f"preset {name!r}: {key} shows {controls[key].value!r}, not {text!r}"
        )
    assert at.get("vega_lite_chart") or page.endswith("remedies_lab.py"), f"preset {name!r} draws no chart"


def test_sigmoid_preset_says_what_its_own_W_does():
    """Issue 18 item 3: the Sigmoid preset opens an orthogonal W_hh (gamma_W = 1) and its card says the bound
    drops 4x per step, computed; no card is left with an unfilled {bound}."""
    page, name, what, params = next(p for p in PRESETS if p[1] == "Sigmoid's quarter")
    assert params["init"] == "orthogonal" and "{bound}" in what
    at = new_app("pages/start.py", eager=False)
    at.run()
    captions = [c.value for c in at.caption]
    assert not any("{bound}" in c for c in captions)
    card = [c for c in captions if "for sigmoid" in c]
    assert len(card) == 1 and "γ_W = ‖W_hh‖₂ = 1 " in card[0] and "drops 4× per step" in card[0], card
