"""Streamlit display helpers shared by the pages: charts, CSV, code, equations, notes."""

from __future__ import annotations

import collections
import hashlib
import inspect
import os
import re
import threading
from collections.abc import Callable

import altair as alt
import pandas as pd
import pyarrow as pa
import streamlit as st

from ui import charts
from ui.controls import lecture_mode

# Every selector is a data-testid attribute Streamlit puts on its own elements (they are what its own
# end-to-end tests select by), plus plain HTML elements (p, li, h1, code, input) and KaTeX's .katex classes
# under them; none is an emotion class name, which changes with every build. What each one is:
#   stMainBlockContainer  the page's column          stMain             the page (not the sidebar)
#   stMarkdownContainer   a markdown block           stCaptionContainer an st.caption
#   stWidgetLabel         a widget's label           stSidebar          the sidebar (menu, lecture toggle)
#   stSidebarNavLink      one page in the menu       stMetricValue      st.metric's number
#   stMetricLabel         st.metric's label          stSelectbox        st.selectbox (value shown inside)
#   stSelectboxVirtualDropdown  its open list         stMultiSelect      st.multiselect (chosen tags)
#   (a selectbox shows its option in an <input>, a multiselect its choices in <span> tags)
#   stMultiSelectDropdown its open list              stNumberInputField st.number_input's text field
#   stSliderThumbValue    the value over a slider    stSliderTickBar    a slider's min and max under it
#   stBaseButton-*        every button (prefix match) stCode             an st.code block
#   stTab                 one tab of st.tabs         stExpander         an st.expander

# On every page: the page's column starts under Streamlit's header, not 6rem down (the stage needs it).
STAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.6rem !important; padding-bottom: 3rem !important; }
</style>
"""

# Larger type for a projector; applied by the frame when lecture mode is on.
LECTURE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { padding-left: 1.75rem !important; padding-right: 1.75rem !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem !important; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 2.7rem !important; padding-top: 0.5rem !important; }
[data-testid="stMain"] h2 { font-size: 2.2rem !important; }
[data-testid="stMain"] h3 { font-size: 1.8rem !important; }
/* st.metric: its number grows with the text (the p rule above had shrunk it to 1.3rem) */
[data-testid="stMain"] [data-testid="stMetricValue"],
[data-testid="stMain"] [data-testid="stMetricValue"] [data-testid="stMarkdownContainer"] p {
  font-size: 3rem !important; line-height: 1.2 !important; }
[data-testid="stMain"] [data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem !important; }
/* what a widget shows: the chosen option, the typed number, the slider's value and range */
[data-testid="stSelectbox"] div, [data-testid="stSelectbox"] input,
[data-testid="stMultiSelect"] div, [data-testid="stMultiSelect"] span, [data-testid="stMultiSelect"] input,
[data-testid="stSelectboxVirtualDropdown"] li, [data-testid="stSelectboxVirtualDropdown"] div,
[data-testid="stMultiSelectDropdown"] li, [data-testid="stMultiSelectDropdown"] div,
[data-testid="stNumberInputField"] { font-size: 1.25rem !important; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderThumbValue"] p,
[data-testid="stSliderTickBar"] div { font-size: 1.15rem !important; }
[data-testid^="stBaseButton"] p, [data-testid="stTab"] p { font-size: 1.25rem !important; }
/* the sidebar: the menu and its text, read from the back of the room too */
[data-testid="stSidebarNavLink"] span { font-size: 1.2rem !important; line-height: 1.6; }
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] p,
[data-testid="stSidebar"] [data-testid="stMarkdownContainer"] li { font-size: 1.15rem !important; }
/* a code name wraps at its spaces, never inside a word (the pages keep such names in columns wide enough) */
[data-testid="stMain"] [data-testid="stMarkdownContainer"] code {
  font-size: 0.9em !important; overflow-wrap: normal !important; word-break: normal !important; }
/* maths: inline a little larger than the text and never wider than its column; display maths scrolls */
[data-testid="stMain"] [data-testid="stMarkdownContainer"] .katex { font-size: 1.12em !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] .katex-display > .katex { font-size: 1.4em !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] .katex-display { overflow-x: auto; overflow-y: hidden; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p .katex { white-space: normal !important; }
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p { overflow-wrap: break-word; }
</style>
"""


LECTURE_HEIGHT = 1.45  # chart height factor in lecture mode


def apply_lecture_css() -> None:
    """Inject the page CSS (STAGE_CSS), and the lecture-mode CSS when lecture mode is on (call once per run,
    from the frame)."""
    if lecture_mode():
        st.html(STAGE_CSS + LECTURE_CSS)
    else:
        st.html(STAGE_CSS)


def _slug(text: str) -> str:
    """'Jacobian norms (T=50)' -> 'jacobian-norms-t-50' for file names and widget keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def _lecture_sized(chart: alt.TopLevelMixin, lecture: bool) -> alt.TopLevelMixin:
    """The chart grown by LECTURE_HEIGHT in lecture mode (its fixed height and width, if any)."""
    if lecture:
        # NB: Streamlit fits the whole chart (title, axes, legend) into its height; bigger
        # labels would squeeze the plot and push the title out, so grow the chart too.
        h, w = getattr(chart, "height", alt.Undefined), getattr(chart, "width", alt.Undefined)
        if isinstance(h, (int, float)):
            chart = chart.properties(height=int(h * LECTURE_HEIGHT))
        if isinstance(w, (int, float)):
            chart = chart.properties(width=int(w * LECTURE_HEIGHT))
    return chart


# Altair validates every spec against the Vega-Lite JSON schema (jsonschema): about a tenth of
# the server's time under a classroom load (bench/results/load_profile.json). The specs are
# built by our own chart functions, not from user input, so the running app asks to_dict() not
# to (its public validate=False), and the test suite (tests/conftest.py sets CHECK_CHART_SPECS=1)
# validates every spec it draws.
VALIDATE_SPECS = os.environ.get("CHECK_CHART_SPECS", "").lower() in ("1", "true", "yes")


def show_chart(
    chart: alt.TopLevelMixin,
    data: pd.DataFrame | None = None,
    filename: str | None = None,
    caption: str | None = None,
) -> None:
    """Draw a chart with the page fonts (lecture mode aware) and, given data, a CSV download.

    Builds and validates the Vega-Lite spec on every run (~20-50 ms a chart): for a page that
    reruns often, prefer cached_chart.
    """
    lecture = lecture_mode()
    chart = charts.fit_legends(_lecture_sized(chart, lecture), lecture)
    st.altair_chart(charts.configure(chart, lecture), width="stretch")
    if caption:
        st.caption(caption)
    if data is not None:
        download_csv(data, filename or "chart-data.csv")


def _detach_data(chart, datasets: dict, undo: list) -> None:
    """Swap every DataFrame in the chart and its sub-charts for a named dataset (content-hashed);
    undo collects (chart, DataFrame) pairs to put back afterwards.

    NB: the data goes into the spec's "datasets" as a pyarrow Table (made once, kept with the spec):
    st.vega_lite_chart sends a Table as Arrow without converting a DataFrame again on every rerun
    (0.2-1 ms a dataset), and Altair's own to_dict never turns it into JSON rows."""
    data = getattr(chart, "data", alt.Undefined)
    if isinstance(data, pd.DataFrame):
        h = hashlib.md5(pd.util.hash_pandas_object(data, index=False).values.tobytes())
        h.update(",".join(map(str, data.columns)).encode())
        name = "d" + h.hexdigest()[:16]
        datasets[name] = pa.Table.from_pandas(data, preserve_index=False)
        undo.append((chart, data))
        chart.data = alt.NamedData(name=name)
    for attr in ("layer", "hconcat", "vconcat", "concat"):
        for sub in getattr(chart, attr, None) or []:
            _detach_data(sub, datasets, undo)
    sub = getattr(chart, "spec", alt.Undefined)  # facet / repeat
    if sub is not alt.Undefined and not isinstance(sub, dict):
        _detach_data(sub, datasets, undo)


def _unset(chart, name: str) -> bool:
    try:
        return chart[name] is alt.Undefined
    except (KeyError, TypeError):
        return True


def chart_spec(chart: alt.TopLevelMixin, lecture: bool = False, grow: bool = True) -> dict:
    """The Vega-Lite dict st.altair_chart would send for chart: lecture fonts (and, with grow, sizes)
    applied, each DataFrame as a named dataset, Altair's default 300 x 300 view dropped."""
    chart = charts.fit_legends(_lecture_sized(chart, lecture and grow), lecture)
    datasets: dict = {}
    undo: list = []
    try:
        _detach_data(chart, datasets, undo)
        if any(t.num_rows > CANVAS_ROWS for t in datasets.values()) and _unset(chart, "usermeta"):
            # NB: Streamlit draws a chart with a dataset this large on a canvas, text too; Vega's "hybrid"
            # renderer (vega-embed's public usermeta.embedOptions) keeps the marks on the canvas and draws the
            # text (axes, legend, title) as SVG: crisp on a projector, and a browser test can read the legend
            chart = chart.properties(usermeta={"embedOptions": {"renderer": "hybrid"}})
        spec = chart.to_dict(validate=VALIDATE_SPECS)
    finally:
        for sub, data in undo:  # the caller's chart keeps its DataFrames
            sub.data = data
    # NB: the fonts go in as a dict: Altair's configure_* deep-copies and revalidates the whole
    # chart once per call (8 calls, about a third of building a spec).
    config = {k: v for k, v in spec.get("config", {}).items() if k != "view"}  # Streamlit sizes the chart
    for k, v in charts.config_dict(lecture).items():
        config[k] = {**config.get(k, {}), **v}
    spec["config"] = config
    spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    return spec


CANVAS_ROWS = 2000  # rows of one dataset above which Streamlit renders on a canvas (its perDatum rule)

_VERSIONS: dict = {}
_UI_FILES = [os.path.join(os.path.dirname(__file__), f) for f in ("charts.py", "palette.py", "show.py")]


def _version(path: str) -> str:
    """Hash of the builder's file and ui's chart files, so an edited builder never gets a stale spec.

    NB: st.cache_data keys on _cached_spec's own code, not on the builder's nor on what it calls.
    """
    files = [path, *_UI_FILES]
    stamp = []
    for f in files:
        try:
            stamp.append(os.stat(f).st_mtime_ns)
        except OSError:
            stamp.append(0)
    key = (tuple(files), tuple(stamp))
    if key not in _VERSIONS:
        h = hashlib.md5()
        for f in files:
            try:
                with open(f, "rb") as fh:
                    h.update(fh.read())
            except OSError:
                h.update(f.encode())
        _VERSIONS[key] = h.hexdigest()[:12]
    return _VERSIONS[key]


# NB: one cache for every page's charts. A spec carries its data: 20-50 KB for most charts, up to
# ~0.7 MB for the exploding page's 100 x 100 cliff surfaces (2.7 MB for that page's nine charts at
# its defaults), so 128 entries stay under ~100 MB even if they were all surfaces.
# NB: st.cache_resource, not st.cache_data: a spec is never changed after it is made (Streamlit's
# vega_lite_chart copies the dict before it edits it), and cache_data would unpickle a copy of
# every chart of a page on every rerun.
@st.cache_resource(max_entries=128, show_spinner=False)
def _cached_spec(
    name: str, args: tuple, kwargs: tuple, lecture: bool, grow: bool, version: str, _builder
) -> dict:
    """chart_spec(_builder(*args, **kwargs), lecture, grow), kept per (builder, arguments, lecture mode)."""
    return chart_spec(_builder(*args, **dict(kwargs)), lecture, grow)


_KEPT: collections.OrderedDict = collections.OrderedDict()  # key -> spec (kept_spec)
_KEPT_MAX = 64
_KEPT_LOCK = threading.Lock()


def kept_spec(
    key: tuple, make: Callable[[], alt.TopLevelMixin], lecture: bool = False, grow: bool = True
) -> dict:
    """chart_spec(make(), lecture, grow), built once per hashable key and kept (the 64 most recent keys).

    For charts whose data cannot be an st.cache_data argument but does not change under a key: a
    recorded result file (key: its name and version) or a finished training run (key: the run's
    token). The key must change whenever what make() draws would change.
    """
    k = (key, bool(lecture), bool(grow))
    with _KEPT_LOCK:
        spec = _KEPT.get(k)
        if spec is not None:
            _KEPT.move_to_end(k)
            return spec
    spec = chart_spec(make(), lecture, grow)
    with _KEPT_LOCK:
        _KEPT[k] = spec
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return spec


def cached_chart(
    builder: Callable[..., alt.TopLevelMixin],
    *args,
    data=None,
    filename: str | None = None,
    caption: str | None = None,
    width="stretch",
    height="content",
    grow: bool = True,
    select_key: str | None = None,
    on_select="ignore",
    **kwargs,
):
    """Draw builder(*args, **kwargs) like show_chart, its Vega-Lite spec built once per set of inputs.

    builder: a module-level function of plain values (numbers, strings, tuples) that returns an
    Altair chart; it may call the page's st.cache_data engine wrappers. Altair's encode and
    to_dict (schema validation) cost 20-50 ms a chart, so a rerun with settings seen before only
    ships the stored spec. data: a DataFrame, or a function returning one, for the CSV button
    (a function runs only on click). width/height go to st.vega_lite_chart ("content" keeps a
    chart's own size, e.g. a square complex plane). grow=False: in lecture mode only the fonts
    grow, not a fixed width/height (for a fixed-size chart in a narrow column). select_key / on_select: a chart
    whose Vega-Lite selection parameters report back (st.vega_lite_chart's key and on_select: "rerun" or a
    callback, which then finds the selection in st.session_state[select_key]); returns what st.vega_lite_chart
    returns.
    """
    code = getattr(builder, "__code__", None)
    path = code.co_filename if code is not None else ""
    name = f"{path}:{getattr(builder, '__qualname__', repr(builder))}"
    spec = _cached_spec(
        name, tuple(args), tuple(sorted(kwargs.items())), lecture_mode(), grow, _version(path), builder
    )
    if select_key is None:
        out = st.vega_lite_chart(spec=spec, width=width, height=height)
    else:
        out = st.vega_lite_chart(spec=spec, width=width, height=height, key=select_key, on_select=on_select)
    if caption:
        st.caption(caption)
    if data is not None:
        download_csv(data, filename or "chart-data.csv")
    return out


def download_csv(df, filename: str, label: str = "Download the data (CSV)") -> None:
    """A download button for df (a DataFrame, or a function returning one) as CSV; no rerun on click. The
    CSV is made only when the button is clicked."""
    name = filename if filename.endswith(".csv") else f"{filename}.csv"
    counts = st.session_state.setdefault("_ui_csv_counts", {})
    slug = _slug(name)
    counts[slug] = counts.get(slug, 0) + 1  # two charts with one file name still get unique keys
    # NB: always deferred (Streamlit calls payload only when the button is clicked): a CSV made on every run
    # was 6 % of a Remedies-lab page run (py-spy, the lecture's lab step), for a button few press
    make = df if callable(df) else (lambda: df)

    def payload() -> bytes:
        return make().to_csv(index=False).encode("utf-8")

    st.download_button(
        label, payload, file_name=name, mime="text/csv", key=f"csv-{slug}-{counts[slug]}", on_click="ignore"
    )


def show_code(*functions, label: str | None = None) -> None:
    """An expander showing the source of the gradcore function(s) behind a chart (the articles it cites named
    by author and year: article_names)."""
    functions = [getattr(f, "__wrapped__", f) for f in functions]  # unwrap st.cache_data
    names = ", ".join(
        f.__qualname__ if f.__module__ in (None, "__main__") else f"{f.__module__}.{f.__qualname__}"
        for f in functions
    )
    with st.expander(label or f"Show the code: `{names}`"):
        for f in functions:
            st.code(_source(f), language="python")


_SOURCES: dict = {}

# The two source articles as a student knows them, for the prose of the code shown (docstrings and comments
# of gradcore cite them by their file numbers in the repository's seeds/ folder, which a student never sees).
ARTICLES = (
    (re.compile(r"\b[Ss]eed 000's"), "Kravets's (2023)"),
    (re.compile(r"\b[Ss]eed 001's"), "Jefkine's (2018)"),
    (re.compile(r"\b[Ss]eed 000,? "), "Kravets 2023, "),
    (re.compile(r"\b[Ss]eed 001,? "), "Jefkine 2018, "),
    (re.compile(r"\b[Ss]eed 000\b"), "Kravets 2023"),
    (re.compile(r"\b[Ss]eed 001\b"), "Jefkine 2018"),
)


def article_names(text: str) -> str:
    """'seed 001 eq. 9' -> 'Jefkine 2018, eq. 9', 'Seed 000's' -> "Kravets's (2023)": the articles by author and year."""
    for pattern, name in ARTICLES:
        text = pattern.sub(name, text)
    return text


def _source(f) -> str:
    """inspect.getsource(f), kept per (file, line, modification time): it tokenises the whole
    file on every call (~5 ms a function), on every rerun of a page."""
    code = getattr(f, "__code__", None)
    try:
        path = code.co_filename if code is not None else inspect.getsourcefile(f)
        key = (path, getattr(code, "co_firstlineno", None), f.__qualname__, os.stat(path).st_mtime_ns)
    except (OSError, TypeError):
        key = None
    if key is not None and key in _SOURCES:
        return _SOURCES[key]
    try:
        src = inspect.getsource(f)
    except (OSError, TypeError):  # built-ins or code without a file
        src = f"# source of {f.__module__}.{f.__qualname__} is not available"
    src = article_names(src)  # NB: only prose changes; no identifier holds "seed 00x" with a space
    if key is not None:
        _SOURCES[key] = src
    return src


def equation(latex: str, computed_by: str | list[str] | None = None) -> None:
    """st.latex plus a caption naming the gradcore function(s) that compute it."""
    st.latex(latex)
    if computed_by:
        names = [computed_by] if isinstance(computed_by, str) else list(computed_by)
        st.caption("Computed live by " + ", ".join(f"`{n}`" for n in names) + ".")


def what_to_notice(points) -> None:
    """The closing 'What to notice' list; write points from computed values so they stay true."""
    st.subheader("What to notice")
    st.markdown("\n".join(f"- {p}" for p in points))


def coming_soon(title: str, what: str) -> None:
    """Placeholder body for a page not built yet: title and a 'coming in this release' note."""
    st.title(title)
    st.info(f"Coming in this release: {what}")
