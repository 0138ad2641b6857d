"""Lecture rooms (issue 19 item 4): a lecturer's step, followed by the students in the room. Standard library only.

A room has an unguessable code (the student link: ?room=CODE) and a lead token (the lead link also carries
?lead=TOKEN); only the token moves the room. The students poll current(code) about once a second
(ui/lecture.py) and follow when its version changes; at a predict-first step their predictions are collected
per lesson and only the lead reads them.

Rooms is the interface and everything ui/lecture.py calls; MemoryRooms keeps the rooms in this server process
under one lock. A class that outgrows one process needs the same interface over a shared store (Redis: a
hash per room with its step, version, token hash and last activity, a set of members with their last poll, a
hash per lesson of member -> prediction, EXPIRE for the idle limit) behind several server processes and a
load balancer with sticky sessions; see README.md "Lecture rooms".

Bounds: a room expires after IDLE_S (two hours) without a lead action, a join or a prediction (the students'
polls do not keep a room alive); at most MAX_ROOMS rooms and MAX_MEMBERS members per room (a member who has
not polled for MEMBER_IDLE_S gives their place up when the room is full); predictions for at most
MAX_LESSONS lessons per room. Every refusal is a RoomError whose message is one line for the page.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field

IDLE_S = 2 * 3600.0
MAX_ROOMS = 200
MAX_MEMBERS = 500
MEMBER_IDLE_S = 120.0
MAX_LESSONS = 32
CODE_BYTES = 9  # secrets.token_urlsafe: 12 URL-safe characters, 72 random bits
TOKEN_BYTES = 24  # 32 characters, 192 random bits
CODE_RE = re.compile(r"[A-Za-z0-9_-]{12}")
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32}")
MEMBER_RE = re.compile(r"[A-Za-z0-9_-]{8,64}")
LESSON_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
MAX_STEP = 999


class RoomError(ValueError):
    """A refusal; str(error) is the one line the page shows."""


@dataclass(frozen=True)
class RoomView:
    """What anyone with the room's code may see: the step and its version (the token is not in it)."""

    code: str
    step: int
    version: int
    members: int


class Rooms(ABC):
    """The room store: everything the UI needs, and nothing that hands the token to a student's view."""

    @abstractmethod
    def create(self) -> tuple[str, str]:
        """A new room at step 1: (code, lead token)."""

    @abstractmethod
    def join(self, code: str, member_id: str) -> RoomView:
        """Add a member (again: a rejoin keeps their place and predictions)."""

    @abstractmethod
    def leave(self, code: str, member_id: str) -> None:
        """Take a member out of the room (their predictions stay counted)."""

    @abstractmethod
    def is_lead(self, code: str, token: str) -> bool:
        """Is token the room's lead token? (constant-time comparison; False for anything malformed)"""

    @abstractmethod
    def set_step(self, code: str, token: str, step: int) -> RoomView:
        """Move the room to step (lead only); the version goes up when the step changes."""

    @abstractmethod
    def current(self, code: str, member_id: str | None = None) -> RoomView:
        """The room's step and version (a member's poll: marks them as present)."""

    @abstractmethod
    def submit_prediction(self, code: str, member_id: str, lesson_key: str, value) -> None:
        """A member's prediction for a lesson (value already validated by the lesson: ui.predict.valid)."""

    @abstractmethod
    def predictions(self, code: str, token: str, lesson_key: str) -> list:
        """Every member's latest prediction for a lesson (lead only)."""

    @abstractmethod
    def close(self, code: str, token: str) -> None:
        """End the room (lead only)."""


def valid_code(code) -> bool:
    return isinstance(code, str) and CODE_RE.fullmatch(code) is not None


def valid_token(token) -> bool:
    return isinstance(token, str) and TOKEN_RE.fullmatch(token) is not None


def _shown(text) -> str:
    return str(text).replace("`", "")[:16]


@dataclass
class _Room:
    token: str
    step: int = 1
    version: int = 1
    touched: float = 0.0
    members: dict[str, float] = field(default_factory=dict)  # member id -> last poll
    votes: dict[str, dict[str, object]] = field(default_factory=dict)  # lesson -> member -> prediction


class MemoryRooms(Rooms):
    """Rooms in this process's memory, one lock around every operation. clock: seconds (injectable for tests)."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        max_rooms: int = MAX_ROOMS,
        max_members: int = MAX_MEMBERS,
        idle_s: float = IDLE_S,
    ):
        self._clock = clock
        self._max_rooms = max_rooms
        self._max_members = max_members
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._rooms: dict[str, _Room] = {}

    # -- inside the lock
    def _expire(self, now: float) -> None:
        for code in [c for c, r in self._rooms.items() if now - r.touched > self._idle_s]:
            del self._rooms[code]

    def _room(self, code, now: float) -> _Room:
        if not valid_code(code):
            raise RoomError(f"`{_shown(code)}` is not a room code: check the link you were given.")
        self._expire(now)
        room = self._rooms.get(code)
        if room is None:
            raise RoomError(f"There is no room `{code}` (it may have ended or expired): ask for a new link.")
        return room

    def _lead_room(self, code, token, now: float) -> _Room:
        room = self._room(code, now)
        if not (valid_token(token) and hmac.compare_digest(room.token.encode(), token.encode())):
            raise RoomError(f"This lead link is not the one of room `{code}`: only the lecturer can move it.")
        return room

    @staticmethod
    def _view(code: str, room: _Room) -> RoomView:
        return RoomView(code, room.step, room.version, len(room.members))

    # -- the interface
    def create(self) -> tuple[str, str]:
        with self._lock:
            now = self._clock()
            self._expire(now)
            if len(self._rooms) >= self._max_rooms:
                raise RoomError(
                    f"This server has {self._max_rooms} open rooms, its limit: try again when one has ended."
                )
            code = secrets.token_urlsafe(CODE_BYTES)
            while code in self._rooms:  # NB: 72 random bits; a clash is astronomically rare, never reused
                code = secrets.token_urlsafe(CODE_BYTES)
            token = secrets.token_urlsafe(TOKEN_BYTES)
            self._rooms[code] = _Room(token=token, touched=now)
            return code, token

    def join(self, code: str, member_id: str) -> RoomView:
        if not (isinstance(member_id, str) and MEMBER_RE.fullmatch(member_id)):
            raise RoomError("This browser session has no valid member id: reload the room link.")
        with self._lock:
            now = self._clock()
            room = self._room(code, now)
            if member_id not in room.members and len(room.members) >= self._max_members:
                for m in [m for m, seen in room.members.items() if now - seen > MEMBER_IDLE_S]:
                    del room.members[m]
                if len(room.members) >= self._max_members:
                    raise RoomError(f"Room `{code}` is full ({self._max_members} members): ask the lecturer.")
            room.members[member_id] = now
            room.touched = now
            return self._view(code, room)

    def leave(self, code: str, member_id: str) -> None:
        with self._lock:
            room = self._room(code, self._clock())
            room.members.pop(member_id, None)

    def is_lead(self, code: str, token: str) -> bool:
        with self._lock:
            try:
                self._lead_room(code, token, self._clock())
            except RoomError:
                return False
            return True

    def set_step(self, code: str, token: str, step: int) -> RoomView:
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= MAX_STEP:
            raise RoomError(f"`{_shown(step)}` is not a step.")
        with self._lock:
            now = self._clock()
            room = self._lead_room(code, token, now)
            if room.step != step:
                room.step = step
                room.version += 1
            room.touched = now
            return self._view(code, room)

    def current(self, code: str, member_id: str | None = None) -> RoomView:
        with self._lock:
            now = self._clock()
            room = self._room(code, now)
            if member_id is not None and member_id in room.members:
                room.members[member_id] = now
            return self._view(code, room)

    def submit_prediction(self, code: str, member_id: str, lesson_key: str, value) -> None:
        if not (isinstance(lesson_key, str) and LESSON_RE.fullmatch(lesson_key)):
            raise RoomError("That prediction names no lesson.")
        ok = (isinstance(value, str) and len(value) <= 80) or (
            isinstance(value, float) and value == value and abs(value) != float("inf")
        )
        if not ok:
            raise RoomError("That prediction is not one the lesson allows.")
        with self._lock:
            now = self._clock()
            room = self._room(code, now)
            if member_id not in room.members:
                raise RoomError(f"You are not in room `{code}`: open the room link again.")
            if lesson_key not in room.votes and len(room.votes) >= MAX_LESSONS:
                raise RoomError("This room has collected predictions for too many lessons.")
            room.votes.setdefault(lesson_key, {})[member_id] = value
            room.members[member_id] = now
            room.touched = now

    def predictions(self, code: str, token: str, lesson_key: str) -> list:
        with self._lock:
            now = self._clock()
            room = self._lead_room(code, token, now)
            room.touched = now
            return list(room.votes.get(lesson_key, {}).values())

    def close(self, code: str, token: str) -> None:
        with self._lock:
            self._lead_room(code, token, self._clock())
            self._rooms.pop(code, None)

    def count(self) -> int:
        """Open rooms (after expiry)."""
        with self._lock:
            self._expire(self._clock())
            return len(self._rooms)


STORE: Rooms = MemoryRooms()  # the server process's rooms (every session's script thread shares it)
