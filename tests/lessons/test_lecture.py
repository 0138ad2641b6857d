"""lessons.lecture: the lecture path's data (the pages and URL settings are checked in tests/app/test_lecture_app.py)."""

from __future__ import annotations

import pytest
from helpers import presets, registered_pages

from lessons import lecture


def test_ten_to_fifteen_steps_with_unique_keys_and_titles():
    assert 10 <= lecture.N <= 15 and lecture.N == len(lecture.STEPS)
    assert len({s.key for s in lecture.STEPS}) == lecture.N
    for s in lecture.STEPS:
        assert s.title and "\n" not in s.title and len(s.title) <= 80, s.key
        assert s.notes and len(s.notes) > 40, s.key
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in s.params.items()), s.key


def test_steps_are_on_registered_pages_with_their_sections():
    pages = registered_pages()
    assert set(lecture.SECTION_KEYS) == set(pages)
    for s in lecture.STEPS:
        assert s.page in pages, s.key
        if s.section_key is None:
            assert s.section is None, s.key
        else:
            assert s.section is not None and s.params.get(s.section_key) == s.section, s.key
        for key in lecture.SECTION_KEYS.values():
            if key is not None and key != s.section_key:
                assert key not in s.params, (s.key, key)
        assert lecture.STEP_KEY not in s.params and "room" not in s.params and "lead" not in s.params


def test_the_argument_in_order():
    """The order of the argument (seed 001): vanishing, sigmoid, orthogonal+linear, non-normal, forget bias 0 then
    3, the cell path, exploding, the cliff, clipping, the remedies."""
    keys = [s.key for s in lecture.STEPS]
    order = [
        "tanh_09",
        "sigmoid",
        "orthogonal_linear",
        "nonnormal",
        "forget_bias_0",
        "forget_bias_3",
        "cell_path",
        "radius_15",
        "cliff",
        "clipping",
        "remedies",
    ]
    assert [k for k in keys if k in order] == order
    s = {st.key: st for st in lecture.STEPS}
    assert s["tanh_09"].params["scale"] == "0.9" and s["tanh_09"].params["act"] == "tanh"
    assert s["radius_15"].params["scale"] == "1.5"
    assert (s["forget_bias_0"].params["fbias"], s["forget_bias_3"].params["fbias"]) == ("0", "3")


def test_lesson_keys_are_none_or_expected():
    used = [s.lesson for s in lecture.STEPS if s.lesson is not None]
    assert set(used) <= set(lecture.LESSON_KEYS)
    assert len(used) == len(set(used)), "a lesson is asked at one step"
    assert {
        "rnn_radius",
        "rnn_sigmoid",
        "rnn_nonnormal",
        "lstm_forget_bias",
        "lstm_cell_path",
        "exp_cliff",
        "exp_clipping",
        "lab_remedy",
    } <= set(used)


def test_every_preset_is_a_step():
    """The Start page's presets became steps: each preset's page and settings are a step's (the step may add its tab)."""
    for page, name, _, params in presets():
        fits = [s for s in lecture.STEPS if s.page == page and params.items() <= s.params.items()]
        assert fits, f"preset {name!r} is no step"


@pytest.mark.parametrize(
    "raw,want",
    [
        ("1", 1),
        ("12", 12),
        (" 3 ", 3),
        ("0", None),
        ("13", None),
        ("-1", None),
        ("abc", None),
        ("", None),
        ("1e3", None),
        ("2.0", None),
        (None, None),
        ("9" * 400, None),
        ("٣", None),
    ],
)
def test_parse_step(raw, want):
    if want is not None and want > lecture.N:
        want = None
    assert lecture.parse_step(raw) == want


def test_query_and_message():
    q = lecture.query(2, {"room": "ABCDEFGHIJKL", "lead": None})
    assert q["step"] == "2" and q["room"] == "ABCDEFGHIJKL" and "lead" not in q
    assert q["scale"] == "0.9"
    msg = lecture.bad_step_message("`x`" * 40)
    assert "\n" not in msg and "`x`" not in msg and f"1 to {lecture.N}" in msg
