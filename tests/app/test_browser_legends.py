"""Issue 18 item 2 (legends) in a real browser: at 1280 x 720 in lecture mode, every series of a chart's data has
its legend entry on screen, whole (not cut by the chart's edge, not shortened with an ellipsis), titles are not
shortened, and every chart draws a plot. `streamlit run app.py` in Debian's Chromium, as tests/app/test_browser.py.

What the browser shows is read from the SVG Vega renders (Streamlit's default renderer for charts of up to 2000
rows a dataset; larger ones, the cliff heatmaps, get Vega's hybrid renderer, whose text is SVG too: ui.show).
The series each chart should list are computed here from the lessons, not read back from the page.

Skips only when Chromium or Playwright is missing; with CI=true that is a failure.
"""

from __future__ import annotations

import pytest
from helpers import (
    Visit,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Per visible chart: the rectangle of its element, its legend labels and title lines as drawn (text and box),
# and the horizontal spread of the labels of its widest axis (the plot's width, give or take a label).
READ_CHARTS = """() => [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
  .filter(c => c.checkVisibility()).map(c => {
    const box = e => { const r = e.getBoundingClientRect(); return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
    const texts = sel => [...c.querySelectorAll(sel)].map(e => ({text: e.textContent, ...box(e)}));
    const axes = [...c.querySelectorAll('.role-axis')].map(a => {
      const xs = [...a.querySelectorAll('.role-axis-label text')].map(e => box(e));
      return xs.length ? Math.max(...xs.map(b => b.r)) - Math.min(...xs.map(b => b.l)) : 0;
    });
    return {rect: box(c), legend: texts('.role-legend-label text'), titles: texts('.role-title-text text'),
            plot: axes.length ? Math.max(...axes) : 0};
  })"""


def _number(text: str) -> bool:
    try:
        float(text.replace("\u2212", "-"))
    except ValueError:
        return False
    return True


def _start_series():
    from lessons import start

    return list(start.jacobian_norms(100, "linear", 32, 0)["run"].unique())


def _decay_series():
    from lessons import rnn_vanishing as L

    r = L.compute(50, 32, "tanh", "gaussian_radius", 1.0, 1.0, 0)
    return list(L.headline_frame(r, False)[0]["series"].unique())


def _descent_series():
    from gradcore import cliff
    from lessons import exploding as X

    return list(
        X.descents(4.4, -2.2, 0.2, 100, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)["df"]["run"].unique()
    )


# (page URL, the number of charts it shows, the series every chart with a legend must list)
CASES = [
    ("/?lecture=true", 1, _start_series),
    ("/rnn_vanishing?lecture=true", 2, _decay_series),  # the decay chart, then the travelling-gradient row
    ("/exploding?exp_view=Descent&lecture=true", 4, _descent_series),
]


@pytest.mark.parametrize("url,n_charts,series", CASES, ids=["Start", "RNN Decay", "Exploding Descent"])
def test_every_series_has_a_whole_legend_entry_at_1280_in_lecture_mode(
    server, browser, url, n_charts, series
):
    want = series()
    assert len(want) >= 2
    v = Visit(browser, 1280, 720)
    try:
        v.open(server + url)
        charts = v.page.evaluate(READ_CHARTS)
        assert len(charts) == n_charts, [c["titles"] for c in charts]
        for i, c in enumerate(charts):
            where = f"{url} chart {i} {[t['text'] for t in c['titles']]}"
            labels = [
                e["text"] for e in c["legend"] if not _number(e["text"])
            ]  # numbers: a colour bar's ticks
            if labels or i == 0:  # a chart with only a colour bar (the travelling gradient) lists no series
                assert sorted(labels) == sorted(want), f"{where}: legend shows {labels}, the data has {want}"
            for e in c["legend"] + c["titles"]:
                assert not e["text"].endswith("…"), f"{where}: {e['text']!r} shortened"
                # NB: a text box includes the font's ascent, a few px above a title's first line
                inside = c["rect"]["l"] - 2 <= e["l"] and e["r"] <= c["rect"]["r"] + 2
                inside &= c["rect"]["t"] - 8 <= e["t"] and e["b"] <= c["rect"]["b"] + 8
                assert inside and e["r"] > e["l"], (
                    f"{where}: {e['text']!r} at {e} cut by the chart {c['rect']}"
                )
            assert c["plot"] > 100, f"{where}: the plot is {c['plot']:.0f} px wide"
    finally:
        v.close()
