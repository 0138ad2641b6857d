"""Streamlit display helpers shared by the pages: charts, CSV, code, equations, notes."""
from __future__ import annotations

import inspect
import re

import altair as alt
import pandas as pd
import streamlit as st

from ui import charts
from ui.controls import lecture_mode

# Larger type for a projector; applied by the frame when lecture mode is on.
LECTURE_CSS = """
<style>
[data-testid="stMain"] [data-testid="stMarkdownContainer"] p,
[data-testid="stMain"] [data-testid="stMarkdownContainer"] li,
[data-testid="stMain"] [data-testid="stCaptionContainer"],
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] p { font-size: 1.3rem !important; line-height: 1.5; }
[data-testid="stMain"] h1 { font-size: 3.2rem !important; }
[data-testid="stMain"] h2 { font-size: 2.4rem !important; }
[data-testid="stMain"] h3 { font-size: 1.9rem !important; }
[data-testid="stMain"] .katex { font-size: 1.45em !important; }
[data-testid="stMain"] code { font-size: 1.05em !important; }
</style>
"""


LECTURE_HEIGHT = 1.45  # chart height factor in lecture mode


def apply_lecture_css() -> None:
    """Inject the lecture-mode CSS (call once per run, from the frame)."""
    if lecture_mode():
        st.html(LECTURE_CSS)


def _slug(text: str) -> str:
    """'Jacobian norms (T=50)' -> 'jacobian-norms-t-50' for file names and widget keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "data"


def show_chart(chart: alt.TopLevelMixin, data: pd.DataFrame | None = None,
               filename: str | None = None, caption: str | None = None) -> None:
    """Draw a chart with the page fonts (lecture mode aware) and, given data, a CSV download."""
    lecture = lecture_mode()
    if lecture:
        # NB: Streamlit fits the whole chart (title, axes, legend) into its height; bigger
        # labels would squeeze the plot and push the title out, so grow the chart too.
        h, w = getattr(chart, "height", alt.Undefined), getattr(chart, "width", alt.Undefined)
        if isinstance(h, (int, float)):
            chart = chart.properties(height=int(h * LECTURE_HEIGHT))
        if isinstance(w, (int, float)):
            chart = chart.properties(width=int(w * LECTURE_HEIGHT))
    st.altair_chart(charts.configure(chart, lecture), width="stretch")
    if caption:
        st.caption(caption)
    if data is not None:
        download_csv(data, filename or "chart-data.csv")


def download_csv(df: pd.DataFrame, filename: str, label: str = "Download the data (CSV)") -> None:
    """A download button for df as CSV; no rerun on click."""
    name = filename if filename.endswith(".csv") else f"{filename}.csv"
    counts = st.session_state.setdefault("_ui_csv_counts", {})
    slug = _slug(name)
    counts[slug] = counts.get(slug, 0) + 1  # two charts with one file name still get unique keys
    st.download_button(label, df.to_csv(index=False).encode("utf-8"), file_name=name,
                       mime="text/csv", key=f"csv-{slug}-{counts[slug]}", on_click="ignore")


def show_code(*functions, label: str | None = None) -> None:
    """An expander showing the source of the gradcore function(s) behind a chart."""
    functions = [getattr(f, "__wrapped__", f) for f in functions]  # unwrap st.cache_data
    names = ", ".join(f.__qualname__ if f.__module__ in (None, "__main__") else
                      f"{f.__module__}.{f.__qualname__}" for f in functions)
    with st.expander(label or f"Show the code: `{names}`"):
        for f in functions:
            try:
                src = inspect.getsource(f)
            except (OSError, TypeError):  # built-ins or code without a file
                src = f"# source of {f.__module__}.{f.__qualname__} is not available"
            st.code(src, language="python")


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
