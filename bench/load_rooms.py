"""Follower load test (issue 19 item 4): one lecture room, a lead and N students on one `streamlit run app.py`.

Protocol clients (bench/st_client.py, no rendering: the students' browsers run on their own machines). The lead
opens the Start page and presses "Start a room"; N followers open ?room=CODE. Every follower does what its
browser's frontend does for st.fragment(run_every=1): it reruns the follow fragment (rerun_script with the
fragment's id, is_auto_rerun) at the interval the server sent (auto_rerun). The lead presses Next every
--period seconds (Previous after the last step, so the walk goes on). Follow latency: from the lead's click
being sent to the follower receiving the new step's URL (page_info_changed with step=k, sent when its page
switches), per follower and step; and to the end of that follower's run of the new page (page_drawn_s: the
page's elements have all been sent). Errors: exception elements, timeouts, closed connections, followers that never
got a step. Server RSS sampled every 0.5 s.

    python bench/load_rooms.py --followers 60 --period 10 --duration 150

Writes bench/results/rooms_load.json (or rooms_load_<tag>.json).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from helpers import (  # noqa: E402
    free_port,
    start_server,
    stop_server,
    tree_cpu_s,
    tree_hwm_mb,
    tree_rss_mb,
    wait_healthy,
)
from st_client import StSession  # noqa: E402


def _q(qs: str) -> dict:
    return {k: v[0] for k, v in parse_qs(qs).items()}


def pct(values, q):
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(round(q * (len(s) - 1))))], 3)


async def follower(base_ws: str, code: str, i: int, stop: asyncio.Event, errors: list) -> StSession:
    s = StSession(base_ws, name=f"f{i}")
    await s.connect()
    r = await s.rerun(page_hash="", query_string=f"room={code}")
    errors += [f"f{i} join: {e}" for e in r.errors]
    while not stop.is_set():
        frag = next(iter(s.auto_reruns.items()), None)
        await asyncio.sleep(frag[1] if frag else 1.0)
        if stop.is_set():
            break
        if frag is None:
            errors.append(f"f{i}: no follow fragment on the page")
            continue
        r = await s.rerun(fragment_id=frag[0], timeout=60)
        errors += [f"f{i}: {e}" for e in r.errors]
    return s


async def run(base: str, n: int, period: float, duration: float, result: dict) -> None:
    ws = base.replace("http", "ws")
    lead = StSession(ws, name="lead")
    await lead.connect()
    await lead.rerun(page_hash="", query_string="")
    await lead.rerun(trigger=lead.button("Start a room").id)
    q = _q(lead.query_string)
    code = q["room"]
    errors: list[str] = []
    stop = asyncio.Event()
    tasks = []
    for i in range(n):  # joins spread over a few seconds, as a class opening a link
        tasks.append(asyncio.create_task(follower(ws, code, i, stop, errors)))
        await asyncio.sleep(0.05)
    await asyncio.sleep(5)
    steps: list[tuple[int, float, float]] = []  # (step, click sent, lead run done)
    t_end = time.perf_counter() + duration
    direction = 1
    while time.perf_counter() < t_end:
        k = int(_q(lead.query_string).get("step", "1"))
        if k + direction > 12 or k + direction < 1:
            direction = -direction
        name = "Next" if direction > 0 else "Previous"
        b = lead.button(name)
        t0 = time.perf_counter()
        r = await lead.rerun(trigger=b.id, timeout=120)
        errors += [f"lead: {e}" for e in r.errors]
        steps.append((int(_q(lead.query_string).get("step", "0")), t0, time.perf_counter() - t0))
        await asyncio.sleep(max(0.0, period - (time.perf_counter() - t0)))
    await asyncio.sleep(period)  # the last step's followers
    stop.set()
    sessions = await asyncio.gather(*tasks)
    lat, drawn, missed = [], [], 0
    per_step: dict[int, list[float]] = {}  # step index in the walk -> page drawn times
    first_visit = {}  # step k -> index of its first visit (the engine computes cold then)
    for i, (k, _, _) in enumerate(steps):
        first_visit.setdefault(k, i)
    for s in sessions:
        for i, (k, t0, _) in enumerate(steps):
            got = [t for t, qs in s.url_changes if t >= t0 and _q(qs).get("step") == str(k)]
            if got:
                lat.append(got[0] - t0)
                done = [t for t in s.finishes if t >= got[0]]
                if done:
                    drawn.append(done[0] - t0)
                    per_step.setdefault(i, []).append(done[0] - t0)
            else:
                missed += 1
        await s.close()
    await lead.close()
    result.update(
        room=code[:3] + "...",
        steps=len(steps),
        follows=len(lat),
        missed_follows=missed,
        follow_latency_s={
            "p50": pct(lat, 0.5),
            "p95": pct(lat, 0.95),
            "max": pct(lat, 1.0),
            "mean": round(statistics.fmean(lat), 3) if lat else None,
        },
        page_drawn_s={  # to the end of the follower's run of the new step's page: what the student sees
            "follows": len(drawn),
            "p50": pct(drawn, 0.5),
            "p95": pct(drawn, 0.95),
            "max": pct(drawn, 1.0),
        },
        # per step of the walk: a step's first visit computes the engine cold (the lead's run, then every
        # follower's from the cache); a revisit is warm throughout (a rehearsed lecture, a server that served it)
        page_drawn_by_step=[
            {
                "step": k,
                "visit": "first" if first_visit[k] == i else "again",
                "lead_run_s": round(d, 3),
                "p50": pct(per_step.get(i, []), 0.5),
                "p95": pct(per_step.get(i, []), 0.95),
            }
            for i, (k, _, d) in enumerate(steps)
        ],
        page_drawn_again_s={
            "p50": pct([x for i, v in per_step.items() if first_visit[steps[i][0]] != i for x in v], 0.5),
            "p95": pct([x for i, v in per_step.items() if first_visit[steps[i][0]] != i for x in v], 0.95),
        },
        lead_run_s={"p50": pct([d for *_, d in steps], 0.5), "max": pct([d for *_, d in steps], 1.0)},
        errors=errors[:50],
        error_count=len(errors),
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--followers", type=int, default=60)
    ap.add_argument("--period", type=float, default=10.0, help="seconds between the lead's steps")
    ap.add_argument("--duration", type=float, default=150.0, help="seconds of stepping")
    ap.add_argument("--tag", default="")
    ap.add_argument("--follow-s", type=float, help="the followers' poll in seconds (GRADFLOW_FOLLOW_S)")
    a = ap.parse_args(argv)
    port = free_port()
    log = ROOT / "bench" / "results" / ".load-rooms-server.log"
    env = {"GRADFLOW_FOLLOW_S": str(a.follow_s)} if a.follow_s else None
    proc = start_server(port, log_path=log, env=env)
    base = f"http://127.0.0.1:{port}"
    rss: list[float] = []
    done = threading.Event()

    def sample():
        while not done.is_set():
            rss.append(tree_rss_mb(proc.pid))
            done.wait(0.5)

    result: dict = {}
    try:
        wait_healthy(base, proc)
        rest = tree_rss_mb(proc.pid)
        th = threading.Thread(target=sample, daemon=True)
        th.start()
        t0, cpu0, mine0 = time.perf_counter(), tree_cpu_s(proc.pid), time.process_time()
        asyncio.run(run(base, a.followers, a.period, a.duration, result))
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        # where the two cores went: the server (one process, one GIL) and this client (the students' side)
        result["cpu_s"] = {
            "server": round(tree_cpu_s(proc.pid) - cpu0, 1),
            "client": round(time.process_time() - mine0, 1),
        }
        done.set()
        th.join()
        result["server_rss_mb"] = {
            "rest": round(rest, 1),
            "peak": round(max(rss), 1),
            "hwm": round(tree_hwm_mb(proc.pid), 1),
        }
    finally:
        done.set()
        stop_server(proc)
    tb = [ln for ln in log.read_text(errors="replace").splitlines() if "Traceback" in ln]
    result["server_tracebacks"] = len(tb)
    result["command"] = "python bench/load_rooms.py " + " ".join(argv if argv is not None else sys.argv[1:])
    result["settings"] = {
        "followers": a.followers,
        "period_s": a.period,
        "duration_s": a.duration,
        "follow_s": a.follow_s or 1.0,
        "cpus": os.cpu_count(),
        "loadavg_end": list(os.getloadavg()),
    }
    out = ROOT / "bench" / "results" / (f"rooms_load_{a.tag}.json" if a.tag else "rooms_load.json")
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return (
        1 if result.get("error_count") or result.get("missed_follows") or result["server_tracebacks"] else 0
    )


if __name__ == "__main__":
    raise SystemExit(main())
