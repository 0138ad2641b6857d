"""One lecture step's page run, cold and warm, with one protocol client on a fresh `streamlit run app.py`.

What a follower of a lecture room costs the server (issue 19): for every step of lessons.lecture.STEPS, the
first run of its page with its settings (cold: the engine computes) and the median of three more (warm: every
cache hit), each from the client's rerun request to script_finished, with the messages the run sent. One process
computes its followers' runs one after another, so 60 followers of a step cost about 60 warm runs.

    python bench/lecture_steps.py          # writes bench/results/lecture_steps.json
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from helpers import free_port, start_server, stop_server, wait_healthy  # noqa: E402
from st_client import StSession  # noqa: E402

from lessons import lecture  # noqa: E402


async def measure(base: str, warm: int = 3) -> list[dict]:
    s = StSession(base.replace("http", "ws"), name="steps")
    await s.connect()
    await s.rerun(page_hash="", query_string="")
    pages = {p[2]: p[0] for p in s.pages}
    rows = []
    for k in range(1, lecture.N + 1):
        st_ = lecture.step(k)
        stem = Path(st_.page).stem
        page_hash = pages.get("" if stem == "start" else stem, "")
        query = urlencode(lecture.query(k, {}))
        times, r = [], None
        for _ in range(1 + warm):
            t0 = time.perf_counter()
            r = await s.rerun(page_hash=page_hash, query_string=query, timeout=300)
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "step": k,
                "page": st_.page,
                "cold_s": round(times[0], 4),
                "warm_s": round(statistics.median(times[1:]), 4),
                "messages": r.messages,
                "bytes": r.bytes,
                "errors": r.errors[:3],
            }
        )
        print(
            f"step {k:2d} {stem:16s} cold {times[0] * 1e3:6.0f} ms  warm {rows[-1]['warm_s'] * 1e3:5.0f} ms  "
            f"{r.messages} messages",
            flush=True,
        )
    await s.close()
    return rows


def main() -> int:
    port = free_port()
    proc = start_server(port, log_path=ROOT / "bench" / "results" / ".lecture-steps-server.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        rows = asyncio.run(measure(base))
    finally:
        stop_server(proc)
    out = {
        "command": "python bench/lecture_steps.py",
        "cpus": os.cpu_count(),
        "loadavg_end": list(os.getloadavg()),
        "steps": rows,
        "warm_s_median": round(statistics.median(r["warm_s"] for r in rows), 4),
    }
    (ROOT / "bench" / "results" / "lecture_steps.json").write_text(json.dumps(out, indent=1) + "\n")
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
