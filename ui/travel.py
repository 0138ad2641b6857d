"""The gradient travelling back through the unrolled network, animated (issue 19, item 2).

A row of cells h_0..h_T (several rows: one per path or cell), coloured by log10 of the gradient norm where the
gradient of the last state has reached; one step further back per frame. The norms are computed once by the
page (cached); only an st.fragment reruns, every FRAME_S seconds while playing, and it only reads them.

    ui.travel.animate("rnn", T, lambda f: lesson.travel_frame(r, f), ident=args)  # frame -> (reached, waiting, title)

reached: DataFrame k, log10, front (bool) [, row]; waiting: k [, row] (cells not reached yet).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from ui import controls, palette, show

FRAME_S = 0.4  # seconds between frames while playing


def chart(reached: pd.DataFrame, waiting: pd.DataFrame, label: str, domain=None) -> alt.LayerChart:
    """T + 1 cells in a row (or one row per value of a 'row' column), coloured by log10 norm where reached.
    domain: (lo, hi) of the colour scale, the same for every frame (else each frame's own range); the label
    'head: a · b · c' is drawn as the title head and one subtitle line per row's number."""
    rows = "row" in reached.columns or "row" in waiting.columns
    x = alt.X("k:O", title="state h_k (step k)", axis=alt.Axis(labelOverlap="greedy"))
    y = [alt.Y("row:N", title=None, sort=None, axis=alt.Axis(labelLimit=320))] if rows else []
    hit = (
        alt.Chart(reached)
        .mark_rect(stroke="white")
        .encode(
            x,
            *y,
            color=alt.Color(
                "log10:Q",
                title="log10 norm",
                scale=alt.Scale(
                    scheme=palette.SEQUENTIAL, **({} if domain is None else {"domain": list(domain)})
                ),
                legend=alt.Legend(orient="right", gradientLength=100),
            ),
            tooltip=[*(["row:N"] if rows else []), "k:O", alt.Tooltip("log10:Q", format=".2f")],
        )
    )
    front = (
        alt.Chart(reached)
        .transform_filter("datum.front")
        .mark_rect(fill=None, stroke=palette.BLACK, strokeWidth=3)
        .encode(x, *y)
    )
    layers = [hit, front]
    if len(waiting):
        layers.insert(0, alt.Chart(waiting).mark_rect(color="#dddddd", stroke="white").encode(x, *y))
    n_rows = max(
        reached["row"].nunique() if rows and len(reached) else 1,
        waiting["row"].nunique() if rows and len(waiting) else 1,
    )
    # NB: Streamlit fits title, axis labels and legend into a chart's height: at lecture sizes 90 px left the row
    # of cells no height at all, so the height is the rows' 60 px each plus what goes around them
    around = 150 if controls.lecture_mode() else 100
    title = label
    if ": " in label:  # NB: one long title line was cut at 1280 px in lecture mode: the numbers go below it
        head, tail = label.split(": ", 1)
        title = alt.TitleParams(head, subtitle=tail.split(" · "))
        around += 20 * len(tail.split(" · "))
    return alt.layer(*layers).properties(height=60 * n_rows + around, title=title)


def domain_of(*arrays) -> tuple[float, float] | None:
    """(lo, hi) over the finite values of the arrays: one colour scale for every frame of an animation."""
    vals = np.concatenate([np.asarray(a, dtype=float).ravel() for a in arrays])
    vals = vals[np.isfinite(vals)]
    if not vals.size:
        return None
    lo, hi = float(vals.min()), float(vals.max())
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)


def animate(
    key: str,
    T: int,
    frame: Callable[[int], tuple[pd.DataFrame, pd.DataFrame, str]],
    domain=None,
    *,
    ident: Hashable,
) -> None:
    """Play / Pause and Step buttons, and the animation's fragment. key: this animation's prefix (its session
    state and widget keys); frame(f) -> (reached, waiting, title) for f = 0..T steps travelled. ident: a
    hashable naming everything frame() and domain depend on (the page's settings): a frame's spec is kept
    under (key, ident, f), and frame(f) runs only when it is not."""
    at, playing = f"_{key}_travel_frame", f"_{key}_travel_playing"
    c1, c2, _ = st.columns([1, 1, 4])

    # NB: buttons, not a toggle: playing is this session's, not the link's (a shared URL does not start it)
    def flip():  # a callback: it runs before the script, so the button's label already says what it will do
        st.session_state[playing] = not st.session_state.get(playing, False)

    play = st.session_state.get(playing, False)
    c1.button("Pause" if play else "Play", key=f"{key}_travel_play", on_click=flip)
    if c2.button("Step", key=f"{key}_travel_step"):
        st.session_state[at] = (st.session_state.get(at, 0) + 1) % (T + 1)

    @st.fragment(run_every=FRAME_S if play else None)
    def draw():
        f = int(st.session_state.get(at, 0))
        if play:
            f = (f + 1) % (T + 1)  # loops: at the end it starts again from the last state
            st.session_state[at] = f
        f = min(f, T)
        # NB: Altair's build and to_dict of this layered chart were about 45 % of the server's time when 60
        # students followed a lecture onto this page (py-spy, bench/load_rooms.py): every page run draws frame
        # 0. So the spec is kept (ui.show.kept_spec), and a frame seen before only ships it.
        spec = show.kept_spec(
            ("travel", key, ident, f), lambda: chart(*frame(f), domain), controls.lecture_mode(), False
        )
        st.vega_lite_chart(spec=spec, width="stretch", height="content")

    draw()
