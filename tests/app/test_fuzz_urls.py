"""URL fuzzing through AppTest: hostile query strings on every page (seeded, reproducible).

Each case (tests/fuzz_urls.py) mixes the page's own keys, other pages' keys and made-up keys
with wrong types, huge/tiny numbers, NaN, inf, -0, empty values, repeated keys, unicode,
script tags and values one step outside a control's range. Every case must:
- raise nothing, render the page (a title) and keep every chart's data finite;
- give at most one short line per bad value ("URL value for K (...) was invalid; using ...");
- for a page control whose URL value certainly is invalid: show that notice and use the default
  (a non-integral value inside an int control's range may be truncated instead, as the notice says).

CI runs FUZZ_N cases per page (default 25: 125 AppTest runs, about a minute); the issue's 500+ per page is
the long version: `python -m pytest tests/app/test_fuzz_urls.py --long` (or RELIABILITY_LONG=1;
FUZZ_LONG_N sets its size, default 500). A failure prints the URL that reproduces it.
"""

from __future__ import annotations

import functools
import math
import os
import random

import pytest
from fuzz_urls import Control, case, controls_of, invalid_for, needs_default, to_url
from helpers import chart_problems, new_app, registered_pages

PAGES = registered_pages()
N_CI = int(os.environ.get("FUZZ_N", "25"))
N_LONG = int(os.environ.get("FUZZ_LONG_N", "500"))
NOTICE_MARKERS = ("was invalid", "was not an option")


@functools.cache
def page_controls(page: str) -> tuple[Control, ...]:
    """The keyed controls a default run of the page shows (expander keys added as toggles)."""
    at = new_app(page)
    at.run()
    own = controls_of(at)
    if page == "pages/remedies_lab.py":
        from lessons.remedies.cards import CARDS

        own += [Control(f"open_{c.key}", "expander") for c in CARDS]
    return tuple(own)


@functools.cache
def other_keys(page: str) -> tuple[str, ...]:
    mine = {c.key for c in page_controls(page)}
    keys = {c.key for p in PAGES for c in page_controls(p)} | {"lecture"}
    return tuple(sorted(keys - mine))


def _widget(at, c: Control):
    if c.kind == "expander":
        return None
    try:
        return getattr(at, c.kind)(key=c.key)
    except KeyError:
        return None


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return str(a) == str(b) if not isinstance(a, bool) else a == b


def check_case(page: str, q: dict) -> None:
    """Run one URL through AppTest and assert everything the module docstring promises."""
    url = to_url(page, q)
    at = new_app(page, q)
    at.run()
    assert not at.exception, f"{url}: exception {[e.value[:500] for e in at.exception]}"
    assert at.title, f"{url}: the page rendered no title"
    problems = chart_problems(at)
    assert not problems, f"{url}: {problems}"
    notices = [c.value for c in at.caption if any(m in c.value for m in NOTICE_MARKERS)]
    for n in notices:
        assert "\n" not in n and len(n) < 240, f"{url}: notice is not one short line: {n!r}"
    defaults = (
        dict(at.session_state["_ui_bound_defaults"]) if "_ui_bound_defaults" in at.session_state else {}
    )
    for c in page_controls(page):
        if c.key not in q or c.kind in ("expander", "multiselect") or not invalid_for(c, q[c.key]):
            continue
        w = _widget(at, c)
        if w is None:
            continue  # the control is not shown with these settings
        assert any(n.startswith(f"URL value for {c.key} ") for n in notices), (
            f"{url}: no notice for {c.key}={q[c.key]!r}; notices: {notices}"
        )
        if c.key in defaults and needs_default(c, q[c.key]):
            assert _same(w.value, defaults[c.key]), (
                f"{url}: {c.key} = {w.value!r}, not its default {defaults[c.key]!r}"
            )


def run_cases(page: str, n: int, seed: int) -> int:
    rng = random.Random(f"{page}:{seed}")
    own = list(page_controls(page))
    others = list(other_keys(page))
    for _ in range(n):
        check_case(page, case(rng, own, others))
    return n


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_fuzz_urls_short(page):
    assert run_cases(page, N_CI, seed=0) == N_CI


@pytest.mark.long
@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_fuzz_urls_long(page):
    """The issue's size: 500+ random URLs per page (by hand: --long)."""
    assert run_cases(page, N_LONG, seed=1) == N_LONG


def test_generator_is_hostile_and_reproducible():
    """The generator covers the promised kinds of values and is seeded."""
    own = [Control("T", "slider", 2, 100, 1, True), Control("act", "selectbox", options=["tanh", "relu"])]
    a = [case(random.Random(5), own, ["rho"]) for _ in range(3)]
    b = [case(random.Random(5), own, ["rho"]) for _ in range(3)]
    assert a == b
    rng = random.Random(0)
    vals = [v for _ in range(400) for v in case(rng, own, ["rho"]).values()]
    flat = [x for v in vals for x in (v if isinstance(v, list) else [v])]
    assert any(isinstance(v, list) for v in vals), "no repeated key"
    for needle in ("nan", "inf", "1e999", "", "<script>alert(1)</script>", "-0", "Ω"):
        assert needle in flat, needle
    assert invalid_for(own[0], "1e999") and invalid_for(own[0], "101") and invalid_for(own[0], "2.5")
    assert not invalid_for(own[0], "50") and invalid_for(own[1], "tan") and not invalid_for(own[1], "relu")
    assert not invalid_for(own[1], "TANH") and not invalid_for(own[1], " relu ")  # other spellings are taken


@pytest.mark.parametrize("raw", ["1e999", "-1e999", "inf", "-inf", "nan", "9" * 400])
def test_int_number_input_survives_overflowing_url(raw):
    """Regression: Streamlit's int number_input raised OverflowError on ?seed=1e999 (ui.number drops it)."""
    at = new_app("pages/start.py", {"start_seed": raw})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.number_input(key="start_seed").value == 0
    assert any(c.value.startswith("URL value for start_seed ") for c in at.caption)
