"""The stage: a page's headline controls in a narrow column beside its chart, above the fold.

A lecturer moves one or two controls and the room watches the chart move, so both must be on one
screen: 1280 x 720 in lecture mode (a projector), 1920 x 1080 otherwise (tests/app/test_browser_fold.py
measures it). A page lays itself out as

    ui.stage.intro("What this page shows ...")       # the intro: collapsed in lecture mode
    controls, main = ui.stage.columns()              # narrow column of controls | the chart (or the tabs)
    with controls:
        scale = ui.slider(...)                        # the two or three controls that teach the lesson
        with ui.stage.more():                         # every other control, in an expander
            seed = ui.number(...)
    with main:
        ui.cached_chart(builder, ..., ui.stage.hero_height(), grow=False)

Widget keys and URL bindings do not depend on where a control is drawn, so links keep working.
"""

from __future__ import annotations

import streamlit as st

from ui.controls import lecture_mode

# Column widths (controls : chart). NB: the controls column is about 230 px wide at 1280 px with the
# sidebar open in lecture mode: a slider with its label and value still fits; the chart gets the rest.
RATIO = {True: (1, 3.1), False: (1, 4.2)}

# Height (px, the whole Vega-Lite chart: title, axes, legend) of a page's first chart. Streamlit knows no
# viewport size on the server, so these are chosen for the screens of each mode: a 720-px projector in
# lecture mode (the chart starts ~230 px down), a 1080-px screen otherwise (~260 px down).
HERO_HEIGHT = {True: 450, False: 600}
# A chart beside another one (two in a row) or under the hero: a little lower, so both fit.
PAIR_HEIGHT = {True: 420, False: 480}


def columns(ratio: tuple[float, float] | None = None):
    """(controls, main): the stage's two columns, controls on the left."""
    return st.columns(list(ratio or RATIO[lecture_mode()]), gap="medium", vertical_alignment="top")


def more(label: str = "More settings", expanded: bool = False):
    """The expander that holds the controls a lecture rarely moves."""
    return st.expander(label, expanded=expanded, icon=":material/tune:")


def intro(text: str, label: str = "About this page") -> None:
    """A page's introduction: shown in normal mode, one collapsed line in lecture mode (the stage comes first)."""
    if lecture_mode():
        with st.expander(label, icon=":material/info:"):
            st.markdown(text)
    else:
        st.markdown(text)


def hero_height() -> int:
    """Height of the page's first chart in this mode (pass it to the chart's builder, with grow=False)."""
    return HERO_HEIGHT[lecture_mode()]


def pair_height() -> int:
    """Height of a chart beside another on the stage (two in a row) in this mode."""
    return PAIR_HEIGHT[lecture_mode()]
