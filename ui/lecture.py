"""The lecture path's bar and the lecture room (issue 19 items 3 and 4), drawn by the frame (app.py) before pg.run().

The path (lessons.lecture.STEPS) is ?step=K in the URL: a bar at the top of the page says "Step k of N: title",
with Previous / Next and the speaker notes collapsed. Moving to a step clears the controls of the page on screen
(ui.controls.page_keys) and calls st.switch_page(page, query_params=step's settings + step + room + lecture), so
the step shows its settings and the defaults, whatever was moved before.

A room (serve.rooms.STORE): "Start a room" in the sidebar makes one; the lecturer's session holds its code and
lead token, the links are shown (the lead link collapsed: it is the key to the room, keep it off the projector).
A student on ?room=CODE joins it and follows: a fragment polls the room once a second (FOLLOW_S) and, when its
version changed, moves the student to the room's step; a full page rerun happens only then. Only the lead token
moves the room (Previous / Next set the room's step). At a step with a predict-first lesson (ui.predict.LESSONS)
the lead's sidebar shows the room's predictions as a bar chart, refreshed by a fragment; a student's committed
prediction reaches the room through the ui.predict.LISTENERS listener registered here.

The session's room and step live in st.session_state, and ?room / ?lead / ?step are put back into the URL when
a menu link dropped them (Streamlit keeps only the bound controls' parameters across a page switch). Every URL
value is checked (lessons.lecture.parse_step, serve.rooms.valid_code/valid_token); a bad one gets one line.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from urllib.parse import urlparse

import pandas as pd
import streamlit as st

from lessons import lecture
from serve import rooms
from ui import charts, controls, frame, predict, show

ROOM_KEY = "room"
LEAD_KEY = "lead"


def _follow_s() -> float:
    """A student's poll of the room in seconds (GRADFLOW_FOLLOW_S, 0.2-5; default 1): the brief asks for a
    follow within two seconds, and every poll is a fragment run of every student's session."""
    try:
        v = float(os.environ.get("GRADFLOW_FOLLOW_S", "1.0"))
    except ValueError:
        return 1.0
    return min(5.0, max(0.2, v)) if math.isfinite(v) else 1.0


FOLLOW_S = _follow_s()
HISTOGRAM_S = 1.0  # the lead's refresh of the predictions chart
_ROOM = "_lecture_room"  # session_state: {"code", "token" (lead only, else None), "version"}
_STEP = "_lecture_step"  # session_state: the path step this session is on, or None
_MEMBER = "_lecture_member"  # session_state: this session's member id in rooms
_NOTE = "_lecture_note"  # session_state: a one-line message to show on the next run (a fragment found it)


def store() -> rooms.Rooms:
    """The room store this server uses (one interface: serve.rooms.Rooms)."""
    return rooms.STORE


# ----------------------------------------------------------------------------- the URL and the session
def _url(key: str) -> str | None:
    raw = controls.url_value(key)
    return raw[:200] if isinstance(raw, str) else None


def _set_url(key: str, value: str | None) -> None:
    try:
        if value is None:
            if key in st.query_params:
                del st.query_params[key]
        elif st.query_params.get(key) != value:
            st.query_params[key] = value
    except Exception:  # NB: never let the URL bookkeeping break a page
        pass


def member_id() -> str:
    """This session's member id (random, made once per session)."""
    if _MEMBER not in st.session_state:
        st.session_state[_MEMBER] = secrets.token_urlsafe(12)
    return st.session_state[_MEMBER]


def membership() -> dict | None:
    """This session's room: {"code", "token", "version"} (token None for a student), or None."""
    return st.session_state.get(_ROOM)


def is_lead() -> bool:
    room = membership()
    return bool(room and room.get("token"))


def _keep() -> dict[str, str | None]:
    """The parameters every step's URL keeps: the room, the lead token (the lead's own session only)."""
    room = membership()
    keep: dict[str, str | None] = {}
    if room:
        keep[ROOM_KEY] = room["code"]
        keep[LEAD_KEY] = room.get("token")
    return keep  # NB: not lecture: its toggle is bound, Streamlit carries it (and refuses it in query_params)


def _typed(raw: str, default):
    """A step's URL string as the value of a control whose default is `default` (the session holds values)."""
    if isinstance(default, bool):
        return raw.strip().lower() == "true"
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, tuple)):
        return [raw]
    return raw


def go(k: int) -> None:
    """Open step k: its settings on the page's controls, the others at their defaults, then switch page.

    NB: Streamlit refuses st.switch_page(query_params=...) for a parameter bound to a control of the page on
    screen (and clears the bound ones from the URL). So a step's setting whose key is a control here is set
    through st.session_state (the control then writes it to the URL), the other controls here are cleared (they
    show their defaults), and only the rest goes in query_params. The lecture toggle keeps its own value."""
    k = max(1, min(lecture.N, int(k)))
    st.session_state[_STEP] = k
    s = lecture.step(k)
    here = controls.page_controls()
    query = lecture.query(k, _keep())
    for key in set(here) | set(s.params):
        if key == controls.LECTURE_KEY:
            continue
        try:
            if key in s.params and key in here:
                st.session_state[key] = _typed(s.params[key], here[key])
                query.pop(key, None)
            elif key in st.session_state:
                del st.session_state[key]
        except Exception:  # NB: a control already drawn this run keeps its value
            pass
    st.switch_page(frame.page_path(s.page), query_params=query)


def _on_page(pg, k: int) -> bool:
    """Is the page st.navigation runs the page of step k?"""
    stem = Path(lecture.step(k).page).stem
    want = "" if lecture.step(k).page == frame.DEFAULT_PAGE else stem
    return getattr(pg, "url_path", want) == want


# ----------------------------------------------------------------------------- joining, leading
def _enter(code: str, token: str | None, notes: list[str]) -> dict | None:
    """Join room `code` (as its lead if token is its lead token); None and a note when it cannot be joined."""
    old = membership()
    if old and old["code"] != code:
        _leave_quietly(old)
    s = store()
    if token is not None and not s.is_lead(code, token):
        notes.append(
            "This lead link is not valid for the room: you follow it as a student (only the lecturer's "
            "link moves it)."
        )
        _set_url(LEAD_KEY, None)
        token = None
    try:
        if token:
            s.current(code)
        else:
            s.join(code, member_id())
    except rooms.RoomError as e:
        notes.append(str(e))
        st.session_state.pop(_ROOM, None)
        _set_url(ROOM_KEY, None)
        _set_url(LEAD_KEY, None)
        return None
    room = {"code": code, "token": token, "version": 0}  # version 0: a student follows at once
    st.session_state[_ROOM] = room
    return room


def _leave_quietly(room: dict) -> None:
    try:
        if not room.get("token"):
            store().leave(room["code"], member_id())
    except rooms.RoomError:
        pass
    st.session_state.pop(_ROOM, None)


def _leave() -> None:
    """Callback of "Leave the room" / "End the room"."""
    room = membership()
    if room and room.get("token"):
        try:
            store().close(room["code"], room["token"])
        except rooms.RoomError:
            pass
        st.session_state.pop(_ROOM, None)
    elif room:
        _leave_quietly(room)
    for key in (ROOM_KEY, LEAD_KEY):
        _set_url(key, None)


def _end_path() -> None:
    """Callback of "End the path"."""
    st.session_state[_STEP] = None
    _set_url(lecture.STEP_KEY, None)


def _start_room(notes: list[str]) -> None:
    try:
        code, token = store().create()
    except rooms.RoomError as e:
        notes.append(str(e))
        return
    st.session_state[_ROOM] = {"code": code, "token": token, "version": 0}
    k = st.session_state.get(_STEP) or 1
    store().set_step(code, token, k)
    go(k)


# ----------------------------------------------------------------------------- the frame's call
def begin(pg, sidebar=None) -> None:
    """Before pg.run(): read ?step, ?room, ?lead; follow or lead the room; draw the bar and the sidebar panel."""
    notes: list[str] = list(st.session_state.pop(_NOTE, None) or [])  # those of a run that switched page
    st.session_state[_NOTE] = notes  # NB: the same list: a go() below switches page, the next run shows them
    raw_room, raw_lead, raw_step = _url(ROOM_KEY), _url(LEAD_KEY), _url(lecture.STEP_KEY)
    room = membership()
    if raw_room is not None:
        if (
            room is None
            or room["code"] != raw_room
            or (raw_lead is not None and raw_lead != room.get("token"))
        ):
            room = _enter(raw_room, raw_lead, notes)
        elif room.get("token") and raw_lead is None:
            _set_url(LEAD_KEY, room["token"])  # a menu link dropped it
    elif room is not None:
        _set_url(ROOM_KEY, room["code"])  # a menu link dropped them
        _set_url(LEAD_KEY, room.get("token"))
    elif raw_lead is not None:
        notes.append("A lead link needs its room (?room=...): the lead token alone opens nothing.")
        _set_url(LEAD_KEY, None)

    k = None
    before = st.session_state.get(_STEP)
    if raw_step is not None:
        k = lecture.parse_step(raw_step)
        if k is None:
            notes.append(lecture.bad_step_message(raw_step))
            _set_url(lecture.STEP_KEY, None)
        elif k != before and (room is None or room.get("token")):
            # a link to a step this session is not on (a bookmark, a typed ?step=K, a shared link): open it with
            # its page, tab and settings, not the bar over whatever the URL else holds (a follower follows the room)
            go(k)
    elif st.session_state.get(_STEP):
        k = st.session_state[_STEP]
        _set_url(lecture.STEP_KEY, str(k))  # a menu link dropped it
    st.session_state[_STEP] = k

    view = None
    if room is not None:
        try:
            view = store().current(room["code"], None if room.get("token") else member_id())
        except rooms.RoomError as e:
            notes.append(str(e))
            st.session_state.pop(_ROOM, None)
            _set_url(ROOM_KEY, None)
            _set_url(LEAD_KEY, None)
            room = None
    if room is not None and view is not None:
        if room.get("token"):
            if k is None:
                room["version"] = view.version
                go(view.step)  # the lead link opens the room's step
            elif k != view.step:
                view = store().set_step(room["code"], room["token"], k)
            room["version"] = view.version
        elif view.version != room["version"]:
            room["version"] = view.version
            if k != view.step or not _on_page(pg, view.step):
                go(view.step)
            k = view.step

    st.session_state.pop(_NOTE, None)
    _bar(pg, k, room, view, notes)
    _panel(sidebar if sidebar is not None else st.sidebar, k, room, view, notes)


# ----------------------------------------------------------------------------- drawing
def _bar(pg, k: int | None, room: dict | None, view, notes: list[str]) -> None:
    """The compact bar at the top of the page: the step, Previous / Next, the notes; or the follower's line."""
    for note in notes:
        st.warning(note, icon=":material/link_off:")
    if k is None and room is None:
        return
    box = st.container(border=True, key="lecture_bar")
    with box:
        if room is not None and not room.get("token"):
            left, right = st.columns([5, 1], vertical_alignment="center")
            step_k = view.step if view is not None else k
            where = f"Step {step_k} of {lecture.N}: {lecture.step(step_k).title}" if step_k else ""
            left.markdown(f":material/groups: **Following the lecturer** (room `{room['code']}`). {where}")
            if k != step_k or (step_k and not _on_page(pg, step_k)):
                if right.button("Back to the lecture", key="lecture_back", width="stretch"):
                    go(step_k)
            else:
                right.button("Leave the room", key="lecture_leave", on_click=_leave, width="stretch")
            _follow()
            return
        if k is None:
            return
        s = lecture.step(k)
        prev_c, title_c, next_c, end_c = st.columns([1.5, 6, 1.2, 0.9], vertical_alignment="center")
        if prev_c.button(
            "Previous", key="lecture_prev", icon=":material/arrow_back:", disabled=k <= 1, width="stretch"
        ):
            go(k - 1)
        title_c.markdown(f"**Step {k} of {lecture.N}:** {s.title}")
        if next_c.button(
            "Next",
            key="lecture_next",
            icon=":material/arrow_forward:",
            disabled=k >= lecture.N,
            width="stretch",
        ):
            go(k + 1)
        if room is None:  # in a room the path ends with the room (sidebar)
            end_c.button(
                "End", key="lecture_end", on_click=_end_path, width="stretch", help="Leave the lecture path."
            )


def _links(code: str, token: str | None = None) -> str:
    """The room's link: the student's, or (token given) the lead's."""
    try:
        url = st.context.url or ""
    except Exception:  # NB: no browser session (AppTest)
        url = ""
    p = urlparse(url)
    origin = f"{p.scheme}://{p.netloc}" if p.scheme and p.netloc else "http://localhost:8501"
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    root = f"{origin}/{base}/" if base else f"{origin}/"
    return f"{root}?{ROOM_KEY}={code}" + (f"&{LEAD_KEY}={token}" if token else "")


def _panel(where, k: int | None, room: dict | None, view, notes: list[str]) -> None:
    """The sidebar's lecture panel: the speaker notes; start the path or a room; the lead's links and the room's
    predictions."""
    with where:
        if k is not None and not (room is not None and not room.get("token")):
            with st.expander(f"Speaker notes, step {k}", expanded=False, icon=":material/speaker_notes:"):
                st.markdown(lecture.step(k).notes)
        if room is None:
            # NB: one under the other: side by side in the lecture-mode sidebar they read "Lectur..." and "Start ..."
            c1, c2 = st.container(), st.container()
            if k is None and c1.button(
                "Lecture path",
                key="lecture_start_path",
                icon=":material/slideshow:",
                width="stretch",
                help=f"Walk the argument in {lecture.N} steps with Previous / Next (?step=1 in the URL).",
            ):
                go(1)
            if c2.button(
                "Start a room",
                key="lecture_start_room",
                icon=":material/groups:",
                width="stretch",
                help="Students on the room's link follow your steps; at a predict-first step you see their "
                "predictions.",
            ):
                _start_room(notes)
                for note in notes[-1:]:
                    st.warning(note)
            return
        if not room.get("token"):
            return  # a student's line is in the bar
        members = view.members if view is not None else 0
        st.markdown(f"**Room `{room['code']}`**: {members} student{'s' if members != 1 else ''}")
        st.caption("Student link (share it):")
        st.code(_links(room["code"]), language=None, wrap_lines=True)
        with st.expander("Lead link (private)", icon=":material/key:"):
            st.caption("It moves the room: keep it off the projector.")
            st.code(_links(room["code"], room["token"]), language=None, wrap_lines=True)
        st.button("End the room", key="lecture_end_room", on_click=_leave, icon=":material/close:")
        if k is not None and lecture.step(k).lesson:
            _histogram(room["code"], room["token"], lecture.step(k).lesson)


# ----------------------------------------------------------------------------- the fragments
@st.fragment(run_every=FOLLOW_S)
def _follow() -> None:
    """A student's poll: when the room's version changed, move to its step (the only full rerun it causes)."""
    room = membership()
    if room is None or room.get("token"):
        return
    try:
        view = store().current(room["code"], member_id())
    except rooms.RoomError as e:
        st.session_state[_NOTE] = [str(e)]
        st.session_state.pop(_ROOM, None)
        st.rerun()
    if view.version != room["version"]:
        room["version"] = view.version
        go(view.step)


def tally(lesson: predict.Lesson, values: list, bins: int = 8) -> pd.DataFrame:
    """Counts of the room's predictions: per option (a choice), or per bin of [lo, hi] (a value; decades if log)."""
    if lesson.kind == "choice":
        counts = {o: 0 for o in lesson.options}
        for v in values:
            if v in counts:
                counts[v] += 1
        return pd.DataFrame({"prediction": list(counts), "students": list(counts.values())})
    lo, hi = float(lesson.lo), float(lesson.hi)
    log = lesson.log and lo > 0
    a, b = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
    edges = [a + (b - a) * i / bins for i in range(bins + 1)]
    shown = [10**e for e in edges] if log else edges
    labels = [f"{shown[i]:.3g} to {shown[i + 1]:.3g}" for i in range(bins)]
    counts = [0] * bins
    for v in values:
        try:
            x = float(v)
        except (TypeError, ValueError):
            continue
        if not (math.isfinite(x) and lo <= x <= hi) or (log and x <= 0):
            continue
        t = math.log10(x) if log else x
        counts[min(bins - 1, max(0, int((t - a) / (b - a) * bins)))] += 1
    return pd.DataFrame({"prediction": labels, "students": counts})


@st.fragment(run_every=HISTOGRAM_S)
def _histogram(code: str, token: str, lesson_key: str) -> None:
    """The lead's live chart of the room's predictions for this step's lesson."""
    lesson = predict.LESSONS.get(lesson_key)
    if lesson is None:
        st.caption(
            f"This step's predict-first lesson (`{lesson_key}`) is not on its page yet: nothing to collect."
        )
        return
    try:
        values = store().predictions(code, token, lesson_key)
    except rooms.RoomError as e:
        st.caption(str(e))
        return
    st.markdown(f"**Predictions so far: {len(values)}**")
    st.caption(lesson.question)
    df = tally(lesson, values)
    show.show_chart(
        charts.bars(df, "prediction", "students", x_title="prediction", y_title="students", height=200)
    )


def _on_prediction(lesson_key: str, value) -> None:
    """ui.predict listener: a student's committed prediction goes to their room (the lead's does not count)."""
    room = membership()
    if room is None or room.get("token"):
        return
    v = predict.valid(lesson_key, value)
    if v is None:
        return
    try:
        store().submit_prediction(room["code"], member_id(), lesson_key, v)
    except rooms.RoomError as e:
        st.session_state[_NOTE] = [str(e)]


if _on_prediction not in predict.LISTENERS:
    predict.LISTENERS.append(_on_prediction)
