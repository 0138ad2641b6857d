"""Shared URL keys across pages: a value set on one page must not break the next page.

Pages share keys (T, H, act, init, scale, seed, ...) and Streamlit carries a key's value from
one page's widget to the next page's widget of the same key. Found by hand in the browser:
RNN page at H=200, then the menu to the exploding page (H up to 128) raised
StreamlitValueAboveMaxError. For every key two pages share, set it on the first page to each
end of its range (first/last option), switch to the other page through AppTest: no exception,
and the control there holds a value it accepts (ui.controls puts the default back otherwise).
"""

from __future__ import annotations

import functools

import pytest
from fuzz_urls import controls_of
from helpers import ROOT, new_app, registered_pages

PAGES = registered_pages()


@functools.cache
def controls(page: str) -> dict:
    at = new_app(page)
    at.run()
    return {c.key: c for c in controls_of(at) if c.kind in ("slider", "number_input", "selectbox", "radio")}


def cases() -> list[tuple[str, str, str]]:
    out = []
    for src in PAGES:
        for dst in PAGES:
            if src != dst:
                for key in sorted(set(controls(src)) & set(controls(dst))):
                    out.append((src, key, dst))
    return out


def _ends(c) -> list:
    if c.kind in ("slider", "number_input"):
        conv = int if c.integer else float
        return [conv(c.lo), conv(c.hi)]
    return list(dict.fromkeys([c.options[0], c.options[-1]]))


def _accepts(c, v) -> bool:
    if c.kind in ("slider", "number_input"):
        return isinstance(v, (int, float)) and c.lo <= v <= c.hi
    return v in c.options


@pytest.mark.slow
def test_shared_key_values_survive_page_changes():
    checked = []
    for src, key, dst in cases():
        c_src, c_dst = controls(src)[key], controls(dst)[key]
        for v in _ends(c_src):
            at = new_app(src)
            at.run()
            getattr(at, c_src.kind)(key=key).set_value(v)
            at.run()
            at.switch_page(str(ROOT / dst))
            at.run()
            where = f"{key}={v!r} on {src}, then {dst}"
            assert not at.exception, f"{where}: {[e.value[:300] for e in at.exception]}"
            try:
                got = getattr(at, c_dst.kind)(key=key).value
            except KeyError:
                continue
            assert _accepts(c_dst, got), f"{where}: {key} = {got!r}, outside what {dst} accepts"
            checked.append(where)
    assert checked, "no shared keys found"
    print(f"{len(checked)} page changes with a shared key at an end of its range")
