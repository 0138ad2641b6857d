"""UI helpers shared by every page (read this first if you write a page).

A page is: title, a few lines of intro, controls, one cached engine call, charts, "what to
notice". Example::

    import numpy as np, pandas as pd, streamlit as st
    import ui
    from gradcore import rnn

    st.title("RNN: vanishing gradients")
    T = ui.slider("Sequence length T", "T", 5, 200, 50)
    act = ui.select("Activation", "act", ["tanh", "sigmoid", "relu", "linear"], "tanh")

    @st.cache_data(max_entries=32)
    def norms(T: int, act: str) -> pd.DataFrame: ...   # plain values in, data out

    df = norms(T, act)
    ui.show_chart(ui.charts.log_line(df, "distance", "norm", "series",
                                     x_title="T - k", y_title="||dh_T/dh_k||",
                                     dashed=["bound"]), data=df, filename="norms.csv")
    ui.show_code(rnn.backward)
    ui.what_to_notice([f"At T - k = {T}, the norm is {df.norm.iloc[-1]:.1e}."])

Controls (ui.controls; each has key=<URL parameter>, bind="query-params", records its
default for the frame's reset button, and prints one caption if the URL value was invalid):
    slider(label, key, min_value, max_value, default, step=None, help=None, format=None, where=None)
    number(label, key, min_value, max_value, default, step=None, help=None, format=None, where=None)
    select(label, key, options, default, help=None, where=None)       # string options
    radio(label, key, options, default, help=None, horizontal=True, where=None)
    toggle(label, key, default=False, help=None, where=None) -> bool
    multiselect(label, key, options, default=(), help=None, where=None) -> list[str]  # ?key=a&key=b
    lecture_mode() -> bool                                           # the frame's ?lecture=true
  `where` is a container (st.sidebar, a column); default st. A URL key used on two pages must
  mean the same on both: ui.controls.SHARED_KEYS (T, H, act, init, scale, xscale, seed); other
  keys get a page prefix (lstm_scale, cliff_lr, start_T). Presets: pages/start.py PRESETS.

Charts (ui.charts; DataFrame in, alt.Chart out, no st. calls, never a non-finite number in
the spec; palette colours by series name, e.g. "RNN", "LSTM", "GRU", "bound", "cell path"):
    log_line(df, x, y, color=None, *, x_title, y_title, floor=1e-30, log10=False, dashed=(),
             title=None, legend_title=None, height=320, points=False)
        # 0/underflow -> floor with a labelled rule; inf/NaN -> "<series> overflowed at x = k".
        # log10=True: y holds log10 values (use for products beyond float64's range).
    clean_log(df, x, y, color=None, *, floor=1e-30, log10=False) -> (df, LogFlags(floored, overflow))
    line(df, x, y, color=None, *, x_title, y_title, dashed=(), title=None, legend_title=None, height=320)
    heatmap(df, x, y, value, *, x_title, y_title, value_title, diverging=False, log=False, floor=1e-30)
    bars(df, x, y, color=None, *, x_title, y_title, log=False, floor=1e-30, title=None)
    eigen_scatter(eigvals, *, radius=None, circles=(), title=None, label="eigenvalue", size=320)
        # circles: [(name, radius[, colour]), ...] dashed reference circles beside |λ| = 1
    configure(chart, lecture=False)        # fonts; show_chart() calls it for you

Display (ui.show, re-exported here):
    show_chart(chart, data=None, filename=None, caption=None)   # lecture-aware + CSV button
    cached_chart(builder, *args, data=None, filename=None, caption=None, width="stretch",
                 height="content", **kwargs)
        # the same, but builder(*args, **kwargs) -> alt.Chart runs and its Vega-Lite spec is
        # validated only once per set of plain-valued arguments (st.cache_data): use it for
        # every chart of a page that reruns often. data may be a function (CSV made on click).
    chart_spec(chart, lecture=False) -> dict   # the Vega-Lite dict cached_chart stores
    kept_spec(key, make, lecture=False) -> dict   # chart_spec(make()) kept per hashable key (recorded data)
    download_csv(df, filename, label="Download the data (CSV)")   # df or a function -> df
    show_code(*functions, label=None)     # "Show the code" expander with inspect.getsource
    equation(latex, computed_by=None)     # st.latex + "Computed live by `gradcore...`" (str or list)
    what_to_notice(points)                # closing list
    coming_soon(title, what)              # placeholder page body

Sections (ui.lazy; one tab of a page at a time, the open one in the URL, only it computed):
    sections(key, labels, default=None, where=None) -> [Section(box, open, label), ...]
        # with sec.box: draw the section's own controls always, its content only `if sec.open`
    open_label(key, labels, default=None) -> str   # the section shown now (for text outside the tabs)
  Tests draw every section in one run: new_app() sets st.session_state[ui.lazy.EAGER].

Stage (ui.stage; issue 18: the chart and the controls that teach it on one screen, 1280 x 720 lecture mode):
    intro(text)                       # the page's intro: shown, or one collapsed line in lecture mode
    columns() -> (controls, main)     # headline controls in a narrow column beside the chart / the tabs
    more(label="More settings")       # expander for the controls a lecture rarely moves
    hero_height(), pair_height()      # px of the first chart (pass to its builder, cached_chart(grow=False))

Lecture (ui.lecture; issue 19): the lecture path's bar (?step=K, lessons.lecture.STEPS) and the room
(?room=CODE, serve.rooms), drawn by the frame before pg.run(); pages do nothing for it.

Frame (ui.frame): PAGES (the menu), navigation(), inside() around pg.run() in app.py, and require(),
the first line of every page (a page run without the frame reruns as the frame).

Travel (ui.travel; issue 19): the gradient travelling back through the unrolled network, animated:
    animate(key, T, frame)   # Play / Pause, Step, and an st.fragment(run_every=FRAME_S) that draws frame(f)
        # frame(f) -> (reached, waiting, title); a 'row' column gives one row of cells per path / cell

Server operations (run slots, training that gives way, memory, BLAS threads) live in serve/, not here.

Predict, then reveal (ui.predict; issue 19 item 1; the lessons in lessons/predictions.py):
    ask(key, text, default=None, step=None) -> Asked(box, value)   # bordered question, widget, Commit /
        # Predict again; value None until committed. Draw the reveal into box; session only, no URL.
    mark(chart, df, x, y, label) / guess_bars(df, x, y, ...)      # the prediction on the chart

Palette (ui.palette): Okabe-Ito; colour(name), colours(names), scale(names), QUANTITY, CYCLE.
"""

from lessons.predictions import LESSON_DEFS
from ui import (  # lecture: registers a ui.predict listener
    charts,
    controls,
    frame,
    lazy,
    lecture,
    palette,
    predict,
    stage,
    travel,
)
from ui.controls import lecture_mode, multiselect, number, radio, select, slider, toggle
from ui.lazy import open_label, sections
from ui.show import (
    apply_lecture_css,
    cached_chart,
    chart_spec,
    coming_soon,
    download_csv,
    equation,
    kept_spec,
    show_chart,
    show_code,
    what_to_notice,
)

# every predict-first lesson, registered at import: every page run imports ui (ui.predict.LESSONS)
predict.register_defs(LESSON_DEFS)

__all__ = [
    "apply_lecture_css",
    "predict",
    "charts",
    "controls",
    "frame",
    "lazy",
    "lecture",
    "palette",
    "stage",
    "travel",
    "lecture_mode",
    "multiselect",
    "number",
    "radio",
    "select",
    "slider",
    "toggle",
    "cached_chart",
    "chart_spec",
    "coming_soon",
    "download_csv",
    "equation",
    "kept_spec",
    "show_chart",
    "show_code",
    "what_to_notice",
    "sections",
    "open_label",
]
