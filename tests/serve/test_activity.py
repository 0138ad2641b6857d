"""serve.activity: training gives way to other sessions' script runs (idle priority, capped)."""

from __future__ import annotations

import threading
import time

from serve import activity


def _in_thread(ctx_factories, started: threading.Event, release: threading.Event) -> threading.Thread:
    def body():
        ctxs = [f() for f in ctx_factories]
        for c in ctxs:
            c.__enter__()
        started.set()
        release.wait(10)
        for c in reversed(ctxs):
            c.__exit__(None, None, None)

    t = threading.Thread(target=body, daemon=True)
    t.start()
    started.wait(5)
    return t


def test_counts_other_script_runs_but_not_training_loops_or_itself():
    assert activity.others_running() == 0
    with activity.script_run():
        assert activity.others_running() == 0  # its own run does not count
        rel = threading.Event()
        a = _in_thread([activity.script_run], threading.Event(), rel)
        b = _in_thread([activity.script_run, activity.training], threading.Event(), rel)
        assert activity.others_running() == 1  # a counts; b is a training loop
        rel.set()
        a.join(5)
        b.join(5)
    assert activity.others_running() == 0


def test_give_way_waits_for_another_run_and_stops_at_the_cap():
    assert activity.give_way(0.0, 1.0) < 0.2  # nobody else: no wait beyond the minimum
    rel = threading.Event()
    t = _in_thread([activity.script_run], threading.Event(), rel)
    threading.Timer(0.3, rel.set).start()
    waited = activity.give_way(0.0, 5.0)
    assert 0.25 <= waited < 2.0, waited  # until the other run ended, not the cap
    t.join(5)
    rel2 = threading.Event()
    t2 = _in_thread([activity.script_run], threading.Event(), rel2)
    t0 = time.perf_counter()
    waited = activity.give_way(0.0, 0.3)
    assert 0.3 <= waited < 1.5 and time.perf_counter() - t0 >= 0.3  # the cap: training still advances
    rel2.set()
    t2.join(5)


def test_a_thread_that_died_inside_a_run_is_forgotten():
    t = threading.Thread(target=lambda: activity.script_run().__enter__())  # enters, never exits
    t.start()
    t.join(5)
    assert activity.others_running() == 0


def test_busy_within_remembers_recent_runs_of_others_only():
    import serve.activity as a

    a._last_end.clear()
    assert not activity.busy_within(5.0)
    with activity.script_run():  # its own run ending does not make it "busy"
        pass
    assert not activity.busy_within(5.0)
    rel = threading.Event()
    other = _in_thread([activity.script_run], threading.Event(), rel)
    assert activity.busy_within(5.0)  # running now
    rel.set()
    other.join(5)
    assert activity.busy_within(5.0)  # ended just now
    time.sleep(0.25)
    assert not activity.busy_within(0.2)  # but not within the last 0.2 s
    trainer_rel = threading.Event()
    tr = _in_thread([activity.script_run, activity.training], threading.Event(), trainer_rel)
    trainer_rel.set()
    tr.join(5)
    assert not activity.busy_within(0.2)  # a run that trained never counts


def test_admitted_lets_only_run_slots_pages_compute_at_once_and_training_gives_its_slot_back(monkeypatch):
    import serve.activity as a

    monkeypatch.setattr(a, "_gate", threading.BoundedSemaphore(1))
    first_in, release_first = threading.Event(), threading.Event()
    order = []

    def page(name, hold: threading.Event | None = None, started: threading.Event | None = None):
        with a.script_run(), a.admitted():
            order.append(name)
            if started:
                started.set()
            if hold:
                hold.wait(5)

    t1 = threading.Thread(target=page, args=("first", release_first, first_in))
    t1.start()
    assert first_in.wait(5)
    t2 = threading.Thread(target=page, args=("second",))
    t2.start()
    time.sleep(0.3)
    assert order == ["first"]  # the second page waits for the only slot
    release_first.set()
    t1.join(5)
    t2.join(5)
    assert order == ["first", "second"]

    in_training, stop_training, other_ran = threading.Event(), threading.Event(), threading.Event()

    def trainer():
        with a.script_run(), a.admitted(), a.training():
            in_training.set()
            stop_training.wait(5)

    tt = threading.Thread(target=trainer)
    tt.start()
    assert in_training.wait(5)
    t3 = threading.Thread(target=lambda: (page("while training"), other_ran.set()))
    t3.start()
    assert other_ran.wait(5)  # the slot was free while the other session trained
    stop_training.set()
    tt.join(5)
    t3.join(5)
    assert a._gate.acquire(timeout=1)  # and every slot came back
    a._gate.release()
