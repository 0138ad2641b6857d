"""Text for the student, not the repository: no page names the source articles by their file numbers in seeds/
("seed 001", "Seed 000's components", `seed000_example`), anywhere a student reads: page text, captions,
chart titles and labels (the Vega-Lite specs), widget labels and help, code expanders and the code they show.
The articles are Kravets 2023 (seeds/000) and Jefkine 2018 (seeds/001). Issue 18 item 4."""

from __future__ import annotations

import re

import pytest
from google.protobuf.json_format import MessageToDict
from helpers import new_app, registered_pages

from ui.show import article_names

SEED_NAME = re.compile(r"seed[ _]?00\d", re.IGNORECASE)


def _strings(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)
    elif isinstance(obj, str):
        yield obj


def rendered_strings(at) -> list[str]:
    """Every string of every element and block the run sent (main area and sidebar, all sections)."""
    out = []
    for root in (at.main, at.sidebar):
        for node in root:
            proto = getattr(node, "proto", None)
            if proto is not None:
                out.extend(_strings(MessageToDict(proto)))
    return out


@pytest.mark.parametrize("page", registered_pages())
def test_no_seed_file_names_on_any_page(page):
    at = new_app(page)  # eager: every section drawn in this one run
    at.run(timeout=300)
    assert not at.exception, [e.value for e in at.exception]
    texts = rendered_strings(at)
    assert len(texts) > 50, "the walk found too little text to mean anything"
    hits = sorted({t[max(0, m.start() - 50) : m.end() + 30] for t in texts for m in SEED_NAME.finditer(t)})
    assert not hits, f"{page}: {hits}"
    joined = "\n".join(texts)
    assert "Jefkine" in joined or "Kravets" in joined or page.endswith("start.py")


def test_the_walk_sees_code_expanders_and_chart_titles():
    """The check would catch a seed name where it used to be: in a code block and in a chart spec."""
    at = new_app("pages/lstm_cell_state.py")
    at.run(timeout=300)
    texts = rendered_strings(at)
    assert any("def article_example" in t for t in texts)  # the code expander's source is walked
    assert any('"$schema"' in t and "vega-lite" in t for t in texts)  # so are the charts' specs


def test_article_names_in_shown_source():
    assert article_names("(seed 001 eq. 9)") == "(Jefkine 2018, eq. 9)"
    assert article_names("Seed 000's example") == "Kravets's (2023) example"
    assert article_names("seed 001, eq. 12; seed 000") == "Jefkine 2018, eq. 12; Kravets 2023"
    assert article_names("seed000_example(rng)") == "seed000_example(rng)"  # identifiers are left alone
