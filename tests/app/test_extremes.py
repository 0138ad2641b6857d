"""Numerical extremes: every page at the corners of its controls (AppTest, warnings recorded).

The controls are read from each page's default AppTest run: every keyed slider and number
input contributes its min and max, every select and radio its first and last option, every
toggle both states, every multiselect none and all. The full corner grid (2^k rows, k up to
~20 controls a page) is too large, so the rows form a **covering array**: every pair of
corners of any two controls appears in some row (strength 2; `--long` or RELIABILITY_LONG=1:
every triple, strength 3), plus the all-minimum and all-maximum rows. A page with at most 5
controls gets its full grid. Dependent ranges (the RNN page's t goes up to T) are resolved
with a second pass that sets such a control to the corner of its *current* range.

Each row must raise nothing, keep every chart's data finite, and emit no RuntimeWarning
(NumPy overflow / invalid value / divide by zero: the pages are expected to compute under
np.errstate and show overflow as such, never print it into the server log). The exploding
page at its largest corner must say that something overflowed. Training (the Remedies lab's
Train button) is not pressed here: its controls are covered as planning inputs.
"""

from __future__ import annotations

import itertools
import random
import warnings

import pytest
from helpers import chart_problems, long_run, new_app, registered_pages

PAGES = registered_pages()
KINDS = ("slider", "number_input", "selectbox", "radio", "toggle", "multiselect")
FULL_GRID_MAX = 5  # controls; above this, a covering array


def covering_array(k: int, strength: int, seed: int = 0, candidates: int = 60) -> list[tuple[int, ...]]:
    """Rows of 0/1 (min/max) for k factors such that every `strength`-subset of columns shows
    every 0/1 combination in some row (greedy, AETG-style, seeded), all-0 and all-1 first."""
    if k <= FULL_GRID_MAX or k <= strength:
        return list(itertools.product((0, 1), repeat=k))
    rng = random.Random(seed)
    rows = [tuple([0] * k), tuple([1] * k)]
    uncovered = {
        (cols, lv)
        for cols in itertools.combinations(range(k), strength)
        for lv in itertools.product((0, 1), repeat=strength)
    }

    def covered_by(row):
        return {(cols, tuple(row[c] for c in cols)) for cols in itertools.combinations(range(k), strength)}

    for r in rows:
        uncovered -= covered_by(r)
    while uncovered:
        # seed each candidate with one uncovered interaction so progress is guaranteed
        best, gain = None, -1
        for _ in range(candidates):
            cols, lv = rng.choice(sorted(uncovered))
            row = [rng.randint(0, 1) for _ in range(k)]
            for c, v in zip(cols, lv, strict=True):
                row[c] = v
            g = len(covered_by(row) & uncovered)
            if g > gain:
                best, gain = tuple(row), g
        rows.append(best)
        uncovered -= covered_by(best)
    return rows


def _controls(at) -> list[tuple[str, str]]:
    """(kind, key) of every keyed control in the tree, in page order per kind."""
    out = []
    for kind in KINDS:
        for w in getattr(at, kind):
            if w.key and not isinstance(getattr(w, "value", None), tuple):
                out.append((kind, w.key))
    return out


def _widget(at, kind, key):
    try:
        return getattr(at, kind)(key=key)
    except KeyError:
        return None


def _corner(w, kind: str, level: int):
    """The min/max (first/last, off/on, none/all) of a widget's *current* range."""
    if kind in ("slider", "number_input"):
        lo, hi = w.min, w.max
        if lo is None or hi is None:
            return w.value
        v = hi if level else lo
        return int(v) if w.proto.data_type == 0 else float(v)
    if kind in ("selectbox", "radio"):
        opts = list(w.options)
        return opts[-1] if level else opts[0]
    if kind == "toggle":
        return bool(level)
    if kind == "multiselect":
        return list(w.options) if level else []
    return w.value


def _apply(at, controls, row) -> bool:
    """Set every control to its corner; True if something changed."""
    changed = False
    for (kind, key), level in zip(controls, row, strict=True):
        w = _widget(at, kind, key)
        if w is None:
            continue
        v = _corner(w, kind, level)
        if v != w.value:
            w.set_value(v)
            changed = True
    return changed


def run_corners(page: str, strength: int) -> int:
    at = new_app(page)
    at.run()
    controls = _controls(at)
    rows = covering_array(len(controls), strength, seed=len(controls))
    for row in rows:
        desc = {key: ("max" if lv else "min") for (_, key), lv in zip(controls, row, strict=True)}
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            _apply(at, controls, row)
            at.run()
            if _apply(at, controls, row):  # dependent ranges: the corner of the new range
                at.run()
        assert not at.exception, f"{page} {desc}: {[e.value[:400] for e in at.exception]}"
        problems = chart_problems(at)
        assert not problems, f"{page} {desc}: {problems}"
        runtime = [
            f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
            for w in caught
            if issubclass(w.category, RuntimeWarning)
        ]
        assert not runtime, f"{page} {desc}: NumPy printed {runtime[:5]}"
        if page == "pages/exploding.py" and all(row):
            text = " ".join(e.value for e in [*at.markdown, *at.caption, *at.info, *at.warning])
            assert "overflow" in text.lower(), f"{page} at its largest corner says nothing about overflow"
    return len(rows)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_corners(page, request):
    strength = 3 if long_run(request.config) else 2
    n = run_corners(page, strength)
    print(f"{page}: {n} corner rows (strength {strength})")


@pytest.mark.parametrize("k,t", [(3, 2), (9, 2), (20, 2), (12, 3)])
def test_covering_array_covers(k, t):
    rows = covering_array(k, t)
    for cols in itertools.combinations(range(k), t):
        seen = {tuple(r[c] for c in cols) for r in rows}
        assert len(seen) == 2**t, (cols, seen)
    assert rows[0] == tuple([0] * k) and rows[1 if k > FULL_GRID_MAX else -1] == tuple([1] * k)
    if k > FULL_GRID_MAX:
        assert len(rows) < 2**k / 4
