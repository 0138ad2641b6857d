"""One section of a page at a time: tabs bound to the URL, and only the open one computed and drawn.

A page's sections (the headline chart, the spectrum, the components, the equations ...) sit in
tabs. The open tab lives in the URL like every control (``?rnn_view=Spectrum``), so a lecture
link can open a page at a section, and only the open section runs: a slider move on a page of
five sections draws one section's charts, not five. With thirty students on one server that is
most of the difference between waiting and not (bench/load_test.py).

    secs = ui.sections("rnn_view", ["Decay", "Spectrum", "Equations"])
    with secs[0].box:                 # always: the tab and any controls of its own
        if secs[0].open:              # only when shown: the computation and the charts
            draw_decay()

NB: controls that belong to a section are drawn in its tab on every run, open or not, so their
values (and their URL parameters) survive a visit to another tab; only the content is lazy.
Tests set st.session_state[EAGER] (tests/conftest.py new_app) to draw every section in one run,
so every chart of a page is checked at every setting; the server never sets it.
"""

from __future__ import annotations

from typing import NamedTuple

import streamlit as st

from ui.controls import SECTION_KEYS, match_option, normalise_url, notice, url_value

EAGER = "_ui_all_sections"  # session_state flag: every section open (tests)
SEEN = SECTION_KEYS  # session_state: URL keys of the tab sets drawn this run (reset by controls.begin_run)


class Section(NamedTuple):
    """A tab of the page: its container, whether its content is drawn this run, its label."""

    box: object
    open: bool
    label: str


def eager() -> bool:
    """True when every section is drawn in one run (tests)."""
    return bool(st.session_state.get(EAGER, False))


def sections(key: str, labels: list[str], default: str | None = None, where=None) -> list[Section]:
    """st.tabs(labels) bound to ?key=<label>; a URL label in another case or with _ or - for spaces
    (?lstm_view=two_paths) is rewritten to the label; one that names no section falls back to the
    default with a one-line notice. Labels are URL values: keep them short and plain."""
    where = where or st
    labels = [str(s) for s in labels]
    default = labels[0] if default is None else str(default)
    raw = url_value(key)
    named = match_option(raw, labels)  # ?rnn_view=spectrum, ?lstm_view=two_paths name a tab too
    if named is not None:
        normalise_url(key, raw, named)
    st.session_state.setdefault(SEEN, {})[key] = list(labels)
    slot = where.empty()  # above the tabs, where the reader looks
    tabs = where.tabs(labels, default=default, key=key, bind="query-params")
    chosen = st.session_state.get(key, default)
    notice(slot, key, raw, chosen, default, raw is not None and named == chosen)
    all_open = eager()
    return [Section(t, all_open or bool(t.open), label) for t, label in zip(tabs, labels, strict=True)]


def open_label(key: str, labels: list[str], default: str | None = None) -> str:
    """The label of the section shown now (for text outside the tabs)."""
    chosen = st.session_state.get(key)
    return chosen if chosen in labels else (default or labels[0])
