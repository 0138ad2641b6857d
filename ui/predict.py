"""Predict, then reveal (issue 19, item 1): the shared vocabulary of the predict-first lessons.

This module is the one interface between a lesson's predict widget (on a page) and the lecture
room (serve/rooms.py, ui/lecture.py), which shows the room's predictions to the lecturer:

- LESSONS: every predict-first lesson by key, with what a prediction may be (a choice among
  options, or a value in [lo, hi]). A lecture step names a lesson by its key.
- committed(key, value): a learner has committed a prediction in this session. It is kept in
  st.session_state (predictions live in the session only) and every listener in LISTENERS is
  called with (key, value) in the session's own script thread (a room listener reads the
  session's room membership from st.session_state).
- valid(key, value): the value a prediction of this lesson may take, or None (a value from a
  student is validated before anything stores it).

Pages draw the widget with ask(); the reveal is theirs (it marks the prediction on the chart).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import altair as alt
import pandas as pd
import streamlit as st

from ui import palette

__all__ = [
    "Asked",
    "Lesson",
    "LESSONS",
    "LISTENERS",
    "ask",
    "committed",
    "forget",
    "guess_bars",
    "mark",
    "prediction",
    "register",
    "register_defs",
    "shown",
    "valid",
]

_STORE = "_predict_values"  # session_state: lesson key -> committed prediction


@dataclass(frozen=True)
class Lesson:
    """One predict-first lesson. kind "choice": a prediction is one of options; kind "value": a float
    in [lo, hi] (unit names it, log=True: the slider moves in decades)."""

    key: str
    page: str  # "pages/x.py"
    section: str | None  # the tab it sits in (ui.lazy label), None for the page's stage
    question: str
    kind: str  # "choice" | "value"
    options: tuple[str, ...] = ()
    lo: float = 0.0
    hi: float = 1.0
    unit: str = ""
    log: bool = False


LESSONS: dict[str, Lesson] = {}
LISTENERS: list[Callable[[str, object], None]] = []


def register(lesson: Lesson) -> Lesson:
    """Add a lesson to LESSONS (at import of the module that defines it); its key is unique."""
    if lesson.kind not in ("choice", "value"):
        raise ValueError(f"lesson {lesson.key!r}: kind must be 'choice' or 'value', not {lesson.kind!r}")
    if lesson.kind == "choice" and len(lesson.options) < 2:
        raise ValueError(f"lesson {lesson.key!r}: a choice needs at least two options")
    if lesson.kind == "value" and not (
        math.isfinite(lesson.lo) and math.isfinite(lesson.hi) and lesson.lo < lesson.hi
    ):
        raise ValueError(f"lesson {lesson.key!r}: a value needs finite lo < hi")
    old = LESSONS.get(lesson.key)
    if old is not None and old != lesson:
        raise ValueError(f"lesson key {lesson.key!r} is already taken by another lesson")
    LESSONS[lesson.key] = lesson
    return lesson


def valid(key: str, value):
    """The prediction as this lesson stores it (an option string, or a float in [lo, hi]), or None when the
    key is no lesson or the value is not one the lesson allows (never raises: values come from students)."""
    lesson = LESSONS.get(key) if isinstance(key, str) else None
    if lesson is None:
        return None
    if lesson.kind == "choice":
        return value if isinstance(value, str) and value in lesson.options else None
    if isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return v if math.isfinite(v) and lesson.lo <= v <= lesson.hi else None


def committed(key: str, value) -> object | None:
    """A learner committed `value` for lesson `key`: keep it in the session, tell the listeners. Returns the
    stored value, or None (and stores nothing) when it is not valid."""
    v = valid(key, value)
    if v is None:
        return None
    st.session_state.setdefault(_STORE, {})[key] = v
    for listen in list(LISTENERS):
        listen(key, v)
    return v


def prediction(key: str):
    """This session's committed prediction for lesson `key`, or None."""
    return st.session_state.get(_STORE, {}).get(key)


def forget(key: str) -> None:
    """Take this session's prediction for lesson `key` back (the learner wants to predict again)."""
    st.session_state.get(_STORE, {}).pop(key, None)


def register_defs(defs: dict[str, dict]) -> None:
    """Register every lesson of a {key: Lesson's other fields} table (lessons.predictions.LESSON_DEFS)."""
    for key, fields in defs.items():
        f = dict(fields)
        f["options"] = tuple(f.get("options", ()))
        register(Lesson(key=key, **f))


# ----------------------------------------------------------------------------- the widget

WIDGET = "predict_{}"  # the prediction widget's key (session only: no URL binding)


def _decades(lesson: Lesson) -> tuple[int, int]:
    """The integer powers of ten a log lesson's slider moves over (inside [lo, hi])."""
    return math.ceil(math.log10(lesson.lo) - 1e-9), math.floor(math.log10(lesson.hi) + 1e-9)


def shown(key: str, value) -> str:
    """A prediction as the reveal writes it: '1e-3' for a log value, '0.25' for a value, the option itself."""
    lesson = LESSONS[key]
    if lesson.kind == "choice":
        return str(value)
    v = float(value)
    if lesson.log:
        return "1e" + str(round(math.log10(v))) if v > 0 else "0"
    return f"{v:.2f}"


def _widget_value(key: str):
    """The value the learner has set in lesson `key`'s widget (a log slider holds the power of ten)."""
    lesson = LESSONS[key]
    raw = st.session_state.get(WIDGET.format(key))
    if raw is None or lesson.kind == "choice":
        return raw
    try:
        return 10.0 ** int(raw) if lesson.log else float(raw)
    except (TypeError, ValueError, OverflowError):
        return None


def _commit(key: str) -> None:
    """The Commit button's callback: store what the widget holds (ui.predict.committed tells the listeners)."""
    committed(key, _widget_value(key))


class Asked(NamedTuple):
    """What ask() drew: its bordered box (draw the reveal into it) and the committed prediction, or None."""

    box: object
    value: object | None


def ask(
    key: str, text: str | None = None, *, default: float | None = None, step: float | None = None, where=None
):
    """The question of lesson `key` in a bordered box: the prediction widget and "Commit prediction" until the
    learner commits, then their prediction and "Predict again" (ui.predict.forget). text: the question as worded
    at the settings on screen (default: the lesson's question). default: a value slider's start (a log one: the
    value, moved to its power of ten). Session only: the widget has no URL binding. Returns Asked(box, value);
    the page draws the reveal into box when value is not None."""
    lesson = LESSONS[key]
    box = (where or st).container(border=True)
    wkey = WIDGET.format(key)
    with box:
        st.markdown(f"**Predict, then reveal.** {text or lesson.question}")
        value = prediction(key)
        if value is None:
            # NB: the button under the widget, not beside it: in a half-width box at 1280 px in lecture mode a
            # column beside it cut the label to "Commit p..."
            pick, go = st.container(), st.container()
            with pick:
                if lesson.kind == "choice":
                    st.radio("Your prediction", list(lesson.options), index=None, key=wkey, horizontal=True)
                elif lesson.log:
                    lo, hi = _decades(lesson)
                    start = round(math.log10(default)) if default and default > 0 else (lo + hi) // 2
                    st.slider(
                        f"Your prediction of {lesson.unit} (power of ten)",
                        lo,
                        hi,
                        int(min(max(start, lo), hi)),
                        step=1,
                        format="1e%d",
                        key=wkey,
                    )
                else:
                    start = (lesson.lo + lesson.hi) / 2 if default is None else default
                    st.slider(
                        f"Your prediction of {lesson.unit}",
                        float(lesson.lo),
                        float(lesson.hi),
                        float(min(max(start, lesson.lo), lesson.hi)),
                        step=float(step or (lesson.hi - lesson.lo) / 100),
                        format="%.2f",
                        key=wkey,
                    )
            with go:
                st.button(
                    "Commit prediction",
                    key=f"{wkey}_commit",
                    type="primary",
                    on_click=_commit,
                    args=(key,),
                    disabled=_widget_value(key) is None,
                )
        else:
            said, again = st.container(), st.container()
            said.markdown(f"Your prediction: **{shown(key, value)}**")
            again.button("Predict again", key=f"{wkey}_again", on_click=forget, args=(key,))
    return Asked(box, value)


# ----------------------------------------------------------------------------- the prediction on a chart

GUESS = "your prediction"


def mark(
    chart, df: pd.DataFrame, x: str, y: str, label: str = "label", shape: str = "diamond", align="right"
):
    """The chart with the learner's prediction on it: a black point at (x, y) of each row of df and its label
    beside it, to its left (align "right") or right ("left"); lines break at "\n". x and y must be the chart's own
    fields (so the layers share its scales). Appended to a layer chart's own layers, so its title and legends
    stay where they are."""
    base = alt.Chart(df)
    enc = {"x": alt.X(f"{x}:Q"), "y": alt.Y(f"{y}:Q")}
    point = base.mark_point(shape=shape, filled=True, size=160, color=palette.BLACK, opacity=1).encode(**enc)
    text = base.mark_text(
        align=align,
        baseline="bottom",
        dx=-10 if align == "right" else 10,
        dy=-6,
        lineBreak="\n",
        fontWeight="bold",
        color=palette.BLACK,
    ).encode(**enc, text=f"{label}:N")
    if isinstance(chart, alt.LayerChart):
        out = chart.copy(deep=False)
        out["layer"] = [*chart["layer"], point, text]
        return out
    return alt.layer(chart, point, text)


def guess_bars(
    df: pd.DataFrame, x: str, y: str, *, y_title: str, title: str, log10: bool = False, height: int = 220
):
    """Horizontal bars of y per row x, the prediction's bar (x == GUESS) black, the others grey; log10: y holds
    log10 values (the axis is labelled 1e-k, the bars rise from a floor one decade under the smallest)."""
    d = df.copy()
    d["who"] = [GUESS if str(v) == GUESS else "computed" for v in d[x]]
    enc_x = alt.X(f"{y}:Q", title=y_title)
    if log10:
        lo = float(math.floor(d[y].min())) - 1
        d["base"] = lo
        enc_x = alt.X(
            f"{y}:Q", title=y_title, scale=alt.Scale(domain=[lo, max(float(d[y].max()), lo + 1) + 0.5])
        )
        enc_x = enc_x.axis(labelExpr="'1e' + datum.value")
    bars = (
        alt.Chart(d)
        .mark_bar()
        .encode(
            enc_x,
            **({"x2": "base:Q"} if log10 else {}),
            y=alt.Y(f"{x}:N", title=None, sort=None, axis=alt.Axis(labelLimit=260)),
            color=alt.Color(
                "who:N",
                scale=alt.Scale(domain=[GUESS, "computed"], range=[palette.BLACK, palette.GREY]),
                legend=None,
            ),
            tooltip=[alt.Tooltip(f"{x}:N", title=""), alt.Tooltip(f"{y}:Q", format=".4g")],
        )
    )
    # NB: Streamlit fits title, axis and bars into the height: a three-line title at lecture sizes left the bars
    # no room at all, so the height grows with the rows
    return bars.properties(height=max(height, 70 * d[x].nunique() + 170), title=title)
