"""App timings against the issue's budgets (printed, never asserted).

1. Cold start: `streamlit run app.py` launched -> Start page fully rendered in Chromium
   (title shown, script idle, every chart drawn). Budget < 5 s.
2. Start page rerun after a control change (AppTest, cache warm): median of T toggled
   between two values that are both cached. Budget < 0.3 s. The uncached rerun (a new T
   each time) is printed too.

Run: python bench/bench_app.py   (needs /usr/bin/chromium and playwright for part 1)
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from app_env import as_the_app_runs  # noqa: E402  (bench/ is the script's directory)

as_the_app_runs()  # one BLAS thread, no chart-spec validation: as the server runs
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from helpers import new_app  # noqa: E402
from test_browser import CHROMIUM, CHROMIUM_ARGS, free_port, wait_idle  # noqa: E402


def cold_start() -> dict:
    """Seconds from launching the server to the Start page rendered in the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        port = free_port()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                        if r.read().strip() == b"ok":
                            break
                except OSError:
                    time.sleep(0.05)
            t_health = time.perf_counter() - t0
            page.goto(f"http://127.0.0.1:{port}/")
            wait_idle(page)
            t_render = time.perf_counter() - t0
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            browser.close()
    return {"server healthy (s)": t_health, "Start page rendered (s)": t_render}


def rerun_times(n: int = 15) -> dict:
    """Median AppTest rerun of the Start page after moving the T slider."""
    at = new_app("pages/start.py")
    at.run()
    values = [100, 105]
    for v in values:  # warm the cache for both values
        at.slider(key="start_T").set_value(v)
        at.run()
    warm = []
    for i in range(n):
        at.slider(key="start_T").set_value(values[i % 2])
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    cold = []
    for i in range(5):
        at.slider(key="start_T").set_value(200 + 5 * i)
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
    assert not at.exception
    return {
        "rerun, cache warm, median (s)": statistics.median(warm),
        "rerun, cache warm, max (s)": max(warm),
        "rerun, new T (uncached), median (s)": statistics.median(cold),
    }


def main() -> None:
    results = {}
    if CHROMIUM.exists():
        results.update(cold_start())
    else:
        print(f"(skipping cold start: no Chromium at {CHROMIUM})")
    results.update(rerun_times())
    budgets = {"Start page rendered (s)": 5.0, "rerun, cache warm, median (s)": 0.3}
    for k, v in results.items():
        b = budgets.get(k)
        print(f"{k:40s} {v:7.3f}" + (f"   budget < {b:g}: {'ok' if v < b else 'OVER'}" if b else ""))


if __name__ == "__main__":
    main()
