"""Seeded generator of hostile page URLs for tests/app/test_fuzz_urls.py (and by hand).

    python tests/fuzz_urls.py pages/exploding.py 5 --seed 3     # print 5 URLs for a page

A case is a dict of query params (a value may be a list: a repeated key). Keys come from the
page's own controls (read from a default AppTest run), the other pages' keys, the frame's
`lecture`, and made-up keys. Values: wrong types, huge and tiny numbers, NaN, inf, -0, empty,
unicode, script tags, path tricks, a valid value of the key, or one step outside its range.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from urllib.parse import urlencode

# Values no control of the app accepts (every kind: number, option, toggle): a notice is due.
ALWAYS_INVALID = [
    "abc",
    "nan",
    "NaN",
    "-nan",
    "inf",
    "-inf",
    "Infinity",
    "1e999",
    "-1e999",
    "1e-999x",
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "../../etc/passwd",
    "%00",
    "\u202eevil",
    "Ω",
    "😀",
    "中文",
    "\\",
    "`rm -rf`",
    "{{7*7}}",
    "${jndi:x}",
    "0x10",
    "1,5",
    "[1, 2]",
    '{"a": 1}',
    "None",
    "null",
]
# Values that may be valid for some controls (numbers at the edges of float64, zero, signs).
EDGY = [
    "-0",
    "0",
    "-0.0",
    "1e-320",
    "5e-324",
    "2.2250738585072014e-308",
    "1e308",
    "1.7976931348623157e308",
    "9" * 400,
    "-" + "9" * 400,
    "1e-12",
    "0.1",
    "-1",
    "1",
    "2",
    "3.5",
    "+5",
    "5.",
    ".5",
    " 7 ",
    "1e3",
    "true",
    "false",
    "TRUE",
    "True ",
    "yes",
    "on",
    "1.0000000000000002",
    "1_0",
    "٣",
    "１２",
]  # NB: Python's float() reads these three as 10, 3 and 12
MADE_UP_KEYS = [
    "x",
    "__proto__",
    "constructor",
    "page",
    "embed",
    "embed_options",
    "utm_source",
    "<b>k</b>",
    "Ω",
    "T ",
    " T",
    "t[]",
    "a" * 300,
    "_ui_bound_defaults",
    "_remedies_run",
    "lecture ",
    "LECTURE",
]


@dataclass
class Control:
    """A keyed control seen on a page: kind and what it accepts."""

    key: str
    kind: str  # slider, number_input, selectbox, radio, toggle, multiselect, expander
    lo: float | None = None
    hi: float | None = None
    step: float | None = None
    integer: bool = False
    options: list[str] = field(default_factory=list)

    def valid(self, rng: random.Random) -> str:
        """A value this control accepts."""
        if self.kind in ("slider", "number_input") and self.lo is not None and self.hi is not None:
            if self.integer:
                step = int(self.step or 1)
                return str(rng.randrange(int(self.lo), int(self.hi) + 1, step) if step > 0 else int(self.lo))
            n = int(round((self.hi - self.lo) / self.step)) if self.step else 100
            return repr(
                round(self.lo + rng.randint(0, max(n, 0)) * (self.step or (self.hi - self.lo) / 100), 10)
            )
        if self.kind in ("selectbox", "radio", "multiselect") and self.options:
            return rng.choice(self.options)
        return rng.choice(["true", "false"])

    def outside(self, rng: random.Random) -> str:
        """One step (or a lot) outside the range, or a near miss of an option."""
        if self.kind in ("slider", "number_input") and self.lo is not None and self.hi is not None:
            step = self.step or 1
            v = rng.choice(
                [
                    self.lo - step,
                    self.hi + step,
                    self.hi * 10 + 1,
                    self.lo - 1e6,
                    self.lo + step / 3 if not self.integer else self.lo + 0.5,
                ]
            )
            return str(int(v)) if self.integer and float(v).is_integer() else repr(v)
        if self.options:
            o = rng.choice(self.options)
            return rng.choice([o.upper() + "x", " " + o, o + " ", o[:-1] or "x"])
        return rng.choice(["maybe", "2", "tru", "falsey"])


def invalid_for(c: Control, raw) -> bool:
    """Is raw (str or list of str) certainly not a value control c accepts?"""
    if isinstance(raw, list):
        return False  # a repeated key: Streamlit uses one of them; validity depends on which
    if raw in ALWAYS_INVALID:
        return True
    if c.kind in ("slider", "number_input"):
        try:
            f = float(raw)
        except ValueError:
            return True
        if not math.isfinite(f):
            return True
        if c.lo is not None and (f < c.lo - 1e-12 or f > c.hi + 1e-12):
            return True
        return bool(c.integer and not f.is_integer())  # NB: Streamlit may truncate it (see needs_default)
    if c.kind in ("selectbox", "radio"):
        from ui.controls import (
            match_option,
        )  # the app takes 'Sigmoid', 'sigmoid ' for sigmoid (issue 18 item 11)

        return match_option(raw, c.options) is None
    return False


def needs_default(c: Control, raw) -> bool:
    """Must the control fall back to its default (not just say the value was corrected)?

    A non-integral value inside an int control's range is truncated by Streamlit (?steps=10.5
    gives 10, with the notice "using 10"); every other invalid value gives the default.
    """
    if not invalid_for(c, raw):
        return False
    if c.kind in ("slider", "number_input") and c.integer:
        try:
            f = float(raw)
        except ValueError:
            return True
        return not (math.isfinite(f) and c.lo <= f <= c.hi)
    return True


def case(rng: random.Random, own: list[Control], others: list[str]) -> dict:
    """One random URL's query params."""
    q: dict = {}
    n = rng.choice([1, 1, 2, 3, 4, 6])
    for _ in range(n):
        r = rng.random()
        if own and r < 0.7:
            c = rng.choice(own)
            key = c.key
        elif others and r < 0.9:
            key, c = rng.choice(others), None
        else:
            key, c = rng.choice(MADE_UP_KEYS), None
        v = rng.random()
        if v < 0.55:
            val = rng.choice(ALWAYS_INVALID)
        elif v < 0.75:
            val = rng.choice(EDGY)
        elif v < 0.87 and c is not None:
            val = c.outside(rng)
        elif c is not None:
            val = c.valid(rng)
        else:
            val = rng.choice(EDGY + ALWAYS_INVALID)
        if rng.random() < 0.08:  # a repeated key: ?k=a&k=b
            val = [val, rng.choice(ALWAYS_INVALID + EDGY)]
        q[key] = val
    return q


def to_url(page: str, q: dict) -> str:
    """The browser URL path + query of a case (for a reproduction note)."""
    path = "/" if page == "pages/start.py" else "/" + page.split("/")[-1][:-3]
    return path + "?" + urlencode(q, doseq=True)


# widgets with no URL binding: the predict-first widgets (ui.predict.WIDGET, "predict_<lesson>") live in the
# session only, so a URL value for their key is a made-up key, not a control's value with a notice
SESSION_ONLY = ("predict_",)


def controls_of(at) -> list[Control]:
    """Every keyed control in an AppTest tree (after a run)."""
    out = []
    for kind in ("slider", "number_input", "selectbox", "radio", "toggle", "multiselect"):
        for w in getattr(at, kind):
            if not w.key or w.key.startswith(SESSION_ONLY):
                continue
            c = Control(w.key, kind)
            if kind in ("slider", "number_input"):
                p = w.proto
                c.integer = p.data_type == 0  # INT
                c.lo, c.hi = (
                    (w.min, w.max)
                    if kind == "slider"
                    else (w.min if p.has_min else None, w.max if p.has_max else None)
                )
                c.step = float(p.step) if p.step else None
                if isinstance(w.value, tuple):
                    continue
            elif kind in ("selectbox", "radio", "multiselect"):
                c.options = [str(o) for o in w.options]
            out.append(c)
    return out


if __name__ == "__main__":
    import argparse
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from helpers import new_app  # noqa: E402

    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    at = new_app(a.page)
    at.run()
    own = controls_of(at)
    rng = random.Random(a.seed)
    for _ in range(a.n):
        print(to_url(a.page, case(rng, own, [])))
