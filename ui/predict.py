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

import streamlit as st

__all__ = ["Lesson", "LESSONS", "LISTENERS", "committed", "forget", "prediction", "valid", "register"]

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
