"""serve.rooms: the lecture rooms' store (create, join, lead token, expiry, caps), with an injectable clock."""

from __future__ import annotations

import dataclasses

import pytest

from serve import rooms
from serve.rooms import MemoryRooms, RoomError


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(clock):
    return MemoryRooms(clock=clock)


M1, M2 = "member-one-1", "member-two-2"


def test_create_join_and_follow(store):
    code, token = store.create()
    assert rooms.valid_code(code) and rooms.valid_token(token)
    view = store.join(code, M1)
    assert (view.step, view.version, view.members) == (1, 1, 1)
    moved = store.set_step(code, token, 4)
    assert moved.step == 4 and moved.version == 2
    assert store.current(code, M1).version == 2
    assert store.set_step(code, token, 4).version == 2  # the same step: no new version, nobody reruns
    store.leave(code, M1)
    assert store.current(code).members == 0
    assert store.join(code, M1).step == 4  # rejoin: at the lecturer's step


def test_codes_and_tokens_are_long_and_unique(store):
    made = [store.create() for _ in range(150)]
    codes, tokens = [c for c, _ in made], [t for _, t in made]
    assert len(set(codes)) == len(codes) and len(set(tokens)) == len(tokens)
    assert all(len(c) >= 12 for c in codes) and all(len(t) >= 32 for t in tokens)  # 72 and 192 random bits
    assert rooms.CODE_BYTES >= 8 and rooms.TOKEN_BYTES >= 16
    assert not set(codes) & set(tokens)


@pytest.mark.parametrize("bad", ["", "x" * 32, None, 7, "a" * 31 + "!", "A" * 33])
def test_wrong_token_cannot_move_or_read(store, bad):
    code, token = store.create()
    store.join(code, M1)
    other_code, other_token = store.create()
    for t in (bad, other_token, token[:-1] + ("A" if token[-1] != "A" else "B")):
        assert not store.is_lead(code, t)
        with pytest.raises(RoomError, match="only the lecturer"):
            store.set_step(code, t, 3)
        with pytest.raises(RoomError):
            store.predictions(code, t, "rnn_radius")
        with pytest.raises(RoomError):
            store.close(code, t)
    assert store.current(code).step == 1 and store.is_lead(code, token)


def test_a_students_view_holds_no_token(store):
    code, token = store.create()
    views = [store.join(code, M1), store.current(code, M1), store.current(code)]
    for view in views:
        fields = dataclasses.asdict(view)
        assert token not in map(str, fields.values()), fields
        assert set(fields) == {"code", "step", "version", "members"}
    assert token not in repr(views)


def test_bad_codes_get_one_line(store):
    for bad in ("", "short", "<script>alert(1)</script>", None, "a" * 12 + "b", "../etc/passwd" * 2):
        with pytest.raises(RoomError) as e:
            store.join(bad, M1)
        assert "\n" not in str(e.value) and len(str(e.value)) < 160
    with pytest.raises(RoomError, match="no room"):
        store.current("A" * 12)


def test_idle_rooms_expire(store, clock):
    code, token = store.create()
    store.join(code, M1)
    clock.t += rooms.IDLE_S - 1
    store.current(code, M1)  # a student's poll does not keep the room alive
    store.set_step(code, token, 2)  # the lead does
    clock.t += rooms.IDLE_S - 1
    assert store.current(code).step == 2
    clock.t += 2
    with pytest.raises(RoomError, match="expired"):
        store.current(code)
    assert store.count() == 0


def test_room_cap(clock):
    store = MemoryRooms(clock=clock, max_rooms=3)
    made = [store.create() for _ in range(3)]
    with pytest.raises(RoomError, match="3 open rooms"):
        store.create()
    store.close(*made[0])
    store.create()  # a closed room frees its place
    clock.t += rooms.IDLE_S + 1
    assert len({store.create()[0] for _ in range(3)}) == 3  # expired ones too
    assert rooms.MAX_ROOMS == 200 and rooms.MAX_MEMBERS == 500 and rooms.IDLE_S == 7200


def test_member_cap_and_idle_members_give_way(clock):
    store = MemoryRooms(clock=clock, max_members=2)
    code, _ = store.create()
    store.join(code, M1)
    store.join(code, M2)
    store.join(code, M1)  # a rejoin takes no new place
    with pytest.raises(RoomError, match="full"):
        store.join(code, "member-three")
    clock.t += rooms.MEMBER_IDLE_S + 1
    store.current(code, M2)  # M2 polls, M1 has gone quiet
    assert store.join(code, "member-three").members == 2
    with pytest.raises(RoomError, match="not in room"):
        store.submit_prediction(code, M1, "rnn_radius", "yes")


def test_predictions_by_member_and_lesson(store):
    code, token = store.create()
    store.join(code, M1)
    store.join(code, M2)
    store.submit_prediction(code, M1, "exp_cliff", "wall")
    store.submit_prediction(code, M1, "exp_cliff", "flat")  # a member's latest prediction counts, once
    store.submit_prediction(code, M2, "exp_cliff", "flat")
    store.submit_prediction(code, M2, "rnn_radius", 0.25)
    assert sorted(store.predictions(code, token, "exp_cliff")) == ["flat", "flat"]
    assert store.predictions(code, token, "rnn_radius") == [0.25]
    assert store.predictions(code, token, "lab_remedy") == []
    for key, value in [
        ("Bad Key", "x"),
        ("rnn_radius", float("nan")),
        ("rnn_radius", float("inf")),
        ("rnn_radius", "x" * 81),
        ("rnn_radius", [1]),
        ("rnn_radius", None),
        ("", "x"),
    ]:
        with pytest.raises(RoomError):
            store.submit_prediction(code, M1, key, value)


def test_lesson_cap(store):
    code, token = store.create()
    store.join(code, M1)
    for i in range(rooms.MAX_LESSONS):
        store.submit_prediction(code, M1, f"lesson_{i}", "a")
    with pytest.raises(RoomError, match="too many"):
        store.submit_prediction(code, M1, "one_more", "a")


def test_bad_steps_and_members(store):
    code, token = store.create()
    for bad in (0, -1, 1000, True, 2.0, "3", None):
        with pytest.raises(RoomError):
            store.set_step(code, token, bad)
    for bad in ("", "short", "x" * 65, None, "no spaces here"):
        with pytest.raises(RoomError):
            store.join(code, bad)


def test_the_store_is_the_interface():
    assert isinstance(rooms.STORE, rooms.Rooms)
    abstract = set(rooms.Rooms.__abstractmethods__)
    assert abstract == {
        "create",
        "join",
        "leave",
        "is_lead",
        "set_step",
        "current",
        "submit_prediction",
        "predictions",
        "close",
    }
