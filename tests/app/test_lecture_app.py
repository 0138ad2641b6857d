"""The lecture path and the room in AppTest (issue 19 items 3, 4): every step opens its page at its tab and
settings with no notice, Previous / Next and ?step=K, a bad ?step / ?room / ?lead gets one line, the lead moves the
room and a student cannot, the lead's predictions chart. Browser half: tests/app/test_browser_rooms.py."""

from __future__ import annotations

import pytest
from helpers import assert_healthy, new_app

from lessons import lecture
from serve import rooms
from ui import controls, predict
from ui import lecture as bar

STEPS = list(enumerate(lecture.STEPS, start=1))


def _run(at):
    at.run(timeout=300)
    return at


def _bar_text(at) -> str:
    return " ".join(m.value for m in at.markdown if "Step " in m.value or "Following" in m.value)


def _qp(at, key):
    """The URL's value(s) for key as a list ([] when absent)."""
    v = at.query_params.get(key)
    return [] if v is None else v if isinstance(v, list) else [v]


def _warnings(at) -> list[str]:
    return [w.value for w in at.warning]


def _tree_text(at) -> str:
    parts = []
    for kind in ("markdown", "code", "caption", "warning", "info", "text", "subheader", "title"):
        parts += [str(getattr(e, "value", "")) for e in getattr(at, kind)]
    parts += [str(e.label) for e in at.expander]
    return "\n".join(parts)


@pytest.mark.parametrize(("k", "step"), STEPS, ids=[s.key for _, s in STEPS])
def test_every_step_opens_at_its_section_and_settings(k, step):
    at = _run(new_app(step.page, lecture.query(k), eager=False))
    assert_healthy(at, step.key)
    invalid = [c.value for c in at.caption if "was invalid" in c.value or "not an option" in c.value]
    assert not invalid and not _warnings(at), (invalid, _warnings(at))
    assert f"Step {k} of {lecture.N}:" in _bar_text(at)
    keys = at.session_state[controls._LAST_KEYS]  # the page's controls and tabs (ui.controls.page_controls)
    missing = [key for key in step.params if key not in keys]
    assert not missing, f"{step.key}: {missing} are not controls or tabs of {step.page}"
    if step.section_key is not None:
        assert step.section_key in at.session_state[controls.SECTION_KEYS], "the page's tab set"
        assert at.session_state[step.section_key] == step.section
    for key, raw in step.params.items():
        assert at.session_state[key] == bar._typed(raw, keys[key]), (step.key, key)


def test_next_and_previous_walk_the_path_and_set_each_steps_settings():
    at = _run(new_app("pages/start.py", {"step": "1"}, eager=False))
    assert at.button(key="lecture_prev").disabled and "Step 1 of" in _bar_text(at)
    _run(at.button(key="lecture_next").click())
    assert "Step 2 of" in _bar_text(at) and at.session_state["scale"] == 0.9
    _run(at.slider(key="scale").set_value(1.3))  # the lecturer moves a slider ...
    _run(at.slider(key="H").set_value(64))
    # ... and the next step shows its own settings, the others their defaults
    _run(at.button(key="lecture_next").click())
    assert "Step 3 of" in _bar_text(at)
    assert (at.selectbox(key="act").value, at.slider(key="scale").value, at.slider(key="T").value) == (
        "sigmoid",
        1.0,
        60,
    )
    assert at.slider(key="H").value == 32 and _qp(at, "step") == ["3"]
    _run(at.button(key="lecture_prev").click())
    assert "Step 2 of" in _bar_text(at) and at.selectbox(key="act").value == "tanh"
    assert at.slider(key="scale").value == 0.9 and at.slider(key="T").value == 100
    assert not at.exception


def test_the_last_step_has_no_next():
    at = _run(new_app(lecture.STEPS[-1].page, lecture.query(lecture.N), eager=False))
    assert at.button(key="lecture_next").disabled and not at.button(key="lecture_prev").disabled


@pytest.mark.parametrize("raw", ["abc", "0", "13", "99", "-1", "<script>", "1.5", "1e999", "٣", "99999999"])
def test_a_bad_step_gets_one_line(raw):
    at = _run(new_app("pages/start.py", {"step": raw}, eager=False))
    assert_healthy(at, f"step={raw}")
    lines = [w for w in _warnings(at) if "step" in w]
    assert len(lines) == 1 and "\n" not in lines[0] and "1 to" in lines[0], _warnings(at)
    assert "Step " not in _bar_text(at) and "step" not in at.query_params


def test_end_leaves_the_path():
    at = _run(new_app("pages/start.py", {"step": "1"}, eager=False))
    _run(at.button(key="lecture_end").click())
    assert "Step " not in _bar_text(at) and "step" not in at.query_params


# ----------------------------------------------------------------------------- rooms
@pytest.fixture
def room():
    code, token = rooms.STORE.create()
    yield code, token
    try:
        rooms.STORE.close(code, token)
    except rooms.RoomError:
        pass


def test_start_a_room_in_one_click():
    at = _run(new_app("pages/start.py", eager=False))
    _run(at.button(key="lecture_start_room").click())
    assert not at.exception
    code, token = _qp(at, "room")[0], _qp(at, "lead")[0]
    assert rooms.STORE.is_lead(code, token) and rooms.STORE.current(code).step == 1
    text = _tree_text(at)
    assert f"?room={code}" in text and f"&lead={token}" in text  # the two links
    rooms.STORE.close(code, token)


def test_the_lead_moves_the_room(room):
    code, token = room
    at = _run(new_app(lecture.STEPS[1].page, {**lecture.query(2), "room": code, "lead": token}, eager=False))
    assert rooms.STORE.current(code).step == 2 and not _warnings(at)
    v = rooms.STORE.current(code).version
    _run(at.button(key="lecture_next").click())
    assert rooms.STORE.current(code).step == 3 and rooms.STORE.current(code).version == v + 1
    assert _qp(at, "lead") == [token] and _qp(at, "room") == [code]  # kept across steps


def test_a_student_follows_and_sees_no_token(room):
    code, token = room
    rooms.STORE.set_step(code, token, 5)
    at = _run(new_app("pages/start.py", {"room": code}, eager=False))
    assert not at.exception and "Following the lecturer" in _bar_text(at)
    assert at.session_state["rnn_view"] == "Spectrum" and _qp(at, "step") == ["5"]  # the room's step
    assert token not in _tree_text(at) and "lead" not in at.query_params
    assert rooms.STORE.current(code).members == 1
    for key in ("lecture_prev", "lecture_next", "lecture_start_room"):
        with pytest.raises(KeyError):
            at.button(key=key)
    _run(at.button(key="lecture_leave").click())
    assert rooms.STORE.current(code).members == 0 and "room" not in at.query_params


@pytest.mark.parametrize("forged", ["", "x" * 32, "<script>", "A" * 5000, None])
def test_a_forged_or_missing_token_cannot_move_the_room(room, forged):
    code, token = room
    query = {**lecture.query(3), "room": code}
    if forged is not None:
        query["lead"] = forged
    at = _run(new_app(lecture.STEPS[2].page, query, eager=False))
    assert not at.exception and rooms.STORE.current(code).step == 1  # ?step=3 did not move it
    if forged is not None:
        assert any("not valid" in w for w in _warnings(at)), _warnings(at)
    assert "Following the lecturer" in _bar_text(at) and token not in _tree_text(at)
    with pytest.raises(KeyError):
        at.button(key="lecture_next")


@pytest.mark.parametrize("code", ["nosuchroom12", "<b>x</b>", "", "A" * 300, "../../etc"])
def test_a_bad_room_code_gets_one_line(code):
    at = _run(new_app("pages/start.py", {"room": code}, eager=False))
    assert_healthy(at, code)
    lines = _warnings(at)
    assert len(lines) == 1 and "\n" not in lines[0] and "room" in lines[0].lower(), lines
    assert "room" not in at.query_params  # (Streamlit shows a warning's HTML as text: no markup from the URL)


def test_a_lead_token_without_its_room():
    at = _run(new_app("pages/start.py", {"lead": "x" * 32}, eager=False))
    assert len(_warnings(at)) == 1 and "lead" not in at.query_params


# ----------------------------------------------------------------------------- predictions
@pytest.fixture
def choice_lesson():
    """rnn_radius as a test lesson when no page registered it (restored afterwards)."""
    old = predict.LESSONS.get("rnn_radius")
    lesson = old or predict.Lesson(
        "rnn_radius", "pages/rnn_vanishing.py", "Decay", "Vanish or explode?", "choice", ("vanish", "explode")
    )
    predict.LESSONS["rnn_radius"] = lesson
    yield lesson
    if old is None:
        predict.LESSONS.pop("rnn_radius", None)


def test_the_lead_sees_the_rooms_predictions(room, choice_lesson):
    code, token = room
    option = choice_lesson.options[0] if choice_lesson.kind == "choice" else choice_lesson.lo
    for i in range(3):
        rooms.STORE.join(code, f"student-{i:04d}")
        rooms.STORE.submit_prediction(code, f"student-{i:04d}", "rnn_radius", option)
    at = _run(new_app(lecture.STEPS[1].page, {**lecture.query(2), "room": code, "lead": token}, eager=False))
    assert any("Predictions so far: 3" in m.value for m in at.sidebar.markdown)
    assert len(at.sidebar.get("vega_lite_chart")) == 1


def test_a_students_committed_prediction_reaches_the_room(room, choice_lesson):
    """The ui.predict listener, in a session's script thread: a student's prediction goes to their room."""
    from streamlit.testing.v1 import AppTest

    code, token = room
    value = choice_lesson.options[-1] if choice_lesson.kind == "choice" else choice_lesson.hi

    def script(code, value):
        import streamlit as st

        from serve import rooms
        from ui import lecture, predict

        rooms.STORE.join(code, lecture.member_id())
        st.session_state["_lecture_room"] = {"code": code, "token": None, "version": 1}
        predict.committed("rnn_radius", value)
        predict.committed("rnn_radius", "not an option")

    at = AppTest.from_function(script, kwargs={"code": code, "value": value})
    at.run(timeout=60)
    assert not at.exception
    assert rooms.STORE.predictions(code, token, "rnn_radius") == [value]


def test_tally_counts_options_and_bins():
    choice = predict.Lesson("t", "pages/start.py", None, "?", "choice", ("a", "b", "c"))
    df = bar.tally(choice, ["a", "c", "c", "zzz", 3.0])
    assert df.to_dict("list") == {"prediction": ["a", "b", "c"], "students": [1, 0, 2]}
    value = predict.Lesson("v", "pages/start.py", None, "?", "value", lo=0.0, hi=1.0)
    df = bar.tally(value, [0.0, 0.05, 0.5, 1.0, 2.0, float("nan"), "x"], bins=4)
    assert df["students"].tolist() == [2, 0, 1, 1] and df["prediction"][0] == "0 to 0.25"
    logv = predict.Lesson("l", "pages/start.py", None, "?", "value", lo=1e-3, hi=10.0, log=True)
    df = bar.tally(logv, [1e-3, 0.5, 9.0], bins=4)
    assert df["students"].tolist() == [1, 0, 1, 1]


@pytest.mark.parametrize("k", [3, 6, 10])
def test_a_link_with_only_the_step_opens_its_page_and_settings(k):
    """A bookmark or a typed URL holds ?step=K and nothing else: the step opens with its own page, tab and
    settings (it was the bar over the defaults: ?step=3 showed 'Sigmoid's quarter' above a tanh run)."""
    step = lecture.step(k)
    at = _run(new_app("pages/start.py", {"step": str(k)}, eager=False))
    assert_healthy(at, f"?step={k}")
    assert f"Step {k} of {lecture.N}:" in _bar_text(at)
    keys = at.session_state[controls._LAST_KEYS]
    for key, raw in step.params.items():
        assert at.session_state[key] == bar._typed(raw, keys[key]), (step.key, key)


@pytest.mark.parametrize(
    "raw, want", [(None, 1.0), ("0.5", 0.5), ("0.01", 0.2), ("60", 5.0), ("fast", 1.0), ("nan", 1.0)]
)
def test_follow_poll_from_the_environment_is_bounded(monkeypatch, raw, want):
    """GRADFLOW_FOLLOW_S sets the students' poll (bench/load_rooms.py --follow-s compares them), kept within
    0.2-5 s; a value that is not a number falls back to 1 s."""
    if raw is None:
        monkeypatch.delenv("GRADFLOW_FOLLOW_S", raising=False)
    else:
        monkeypatch.setenv("GRADFLOW_FOLLOW_S", raw)
    assert bar._follow_s() == want
