"""Which script runs are under way in this server process, so training can give way to them.

Every session's script run is a thread of the one server process, and they share one GIL. A
Remedies-lab session that trains holds it in short NumPy calls for as long as training lasts;
with thirty students clicking, that is time their reruns wait for. So training runs at idle
priority: between two slices it waits while any other session's script is running (up to a
cap, so training still advances and its progress still redraws at least once a second).

app.py wraps pg.run() in `script_run()` and `admitted()` (at most RUN_SLOTS page runs compute at
once; the rest wait without holding the GIL); a training loop marks itself with `training()`, and asks
`busy_within(s)` (did anyone else run a script lately?) to redraw its live charts less often then.
Pure bookkeeping: thread ids in a set under a lock, pruned of threads that no longer exist.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_running: dict[int, int] = {}  # thread id -> nesting depth of script_run()
_training: set[int] = set()
_last_end: dict[int, float] = {}  # thread id -> when its last script run (not a training loop) ended
_trained: set[int] = set()  # threads whose current script run has trained (their end is not "activity")


@contextmanager
def script_run() -> Iterator[None]:
    """Mark the current thread as running a script (app.py, around pg.run())."""
    me = threading.get_ident()
    with _lock:
        _running[me] = _running.get(me, 0) + 1
    try:
        yield
    finally:
        with _lock:
            depth = _running.get(me, 1) - 1
            if depth <= 0:
                _running.pop(me, None)
                if me not in _training and me not in _trained:
                    _last_end[me] = time.perf_counter()
                    if len(_last_end) > 512:  # script threads come and go; keep the recent ones
                        for tid, _ in sorted(_last_end.items(), key=lambda kv: kv[1])[:256]:
                            _last_end.pop(tid, None)
                _trained.discard(me)
            else:
                _running[me] = depth


def _slots_from_env() -> int:
    try:
        return max(0, int(os.environ.get("GRADFLOW_RUN_SLOTS", "1")))
    except ValueError:
        return 1


# Page runs computing at once (GRADFLOW_RUN_SLOTS; 0: no limit). One: 30 sessions, 10 moves each, 2
# training (bench/load_test.py, this 2-core machine): p95 0.87 s with 1 slot, 1.6 s with 2, 4.7 s
# with no limit, and 52 / 58 / 69 s of server CPU for the same work (less time lost to GIL switching).
RUN_SLOTS = _slots_from_env()
_gate = threading.BoundedSemaphore(RUN_SLOTS) if RUN_SLOTS else None
_held: set[int] = set()  # threads holding a run slot


@contextmanager
def admitted() -> Iterator[None]:
    """Wait for one of RUN_SLOTS slots, then run the page (app.py, around pg.run()).

    NB: every session's script is a thread of one process under one GIL. Thirty of them computing at
    once share it in 5 ms turns, and the event loop that sends every finished page to its browser
    waits behind all of them for each of its turns; with a few slots the others wait on a
    semaphore (holding no GIL) and each page is computed and sent in one go. A training loop
    gives its slot back while it trains (training()).
    """
    me = threading.get_ident()
    if _gate is None or me in _held:
        yield
        return
    _gate.acquire()
    with _lock:
        _held.add(me)
    try:
        yield
    finally:
        with _lock:
            held = me in _held
            _held.discard(me)
        if held:
            _gate.release()


@contextmanager
def training() -> Iterator[None]:
    """Mark the current thread's script run as a training loop (it does not make others wait)."""
    me = threading.get_ident()
    with _lock:
        _training.add(me)
        _trained.add(me)
        gave_slot = me in _held
        _held.discard(me)
    if gave_slot:
        _gate.release()  # a training loop runs for seconds: it must not hold a page slot
    try:
        yield
    finally:
        with _lock:
            _training.discard(me)
        if gave_slot:
            _gate.acquire()  # back to an ordinary run: draw the rest of the page in a slot
            with _lock:
                _held.add(me)


def others_running() -> int:
    """Script runs under way in other threads that are not training loops."""
    alive = {t.ident for t in threading.enumerate()}
    me = threading.get_ident()
    with _lock:
        for tid in [t for t in _running if t not in alive]:  # a thread that died without its finally
            _running.pop(tid, None)
        _training.intersection_update(alive)
        return sum(1 for t in _running if t != me and t not in _training)


def busy_within(seconds: float) -> bool:
    """True if another session's script (not a training loop) is running or ended in the last `seconds`.

    NB: a class clicking around is between reruns most of the time; sampling others_running() at one
    instant mostly saw nobody and redrew a training run's charts at full rate under load.
    """
    if others_running():
        return True
    me = threading.get_ident()
    now = time.perf_counter()
    with _lock:
        return any(now - t <= seconds for tid, t in _last_end.items() if tid != me)


def give_way(minimum: float, cap: float, poll: float = 0.01) -> float:
    """Sleep `minimum` seconds, then keep sleeping while another session's script runs, up to
    `cap` seconds in all. Returns the seconds slept."""
    t0 = time.perf_counter()
    time.sleep(minimum)
    while others_running() and time.perf_counter() - t0 < cap:
        time.sleep(poll)
    return time.perf_counter() - t0
