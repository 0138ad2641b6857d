"""Remedies lab budgets: page at rest, every prepared comparison live, responsiveness, Stop.

    python bench/bench_page_remedies.py                 # all (about 5 min on 2 cores)
    python bench/bench_page_remedies.py --quick         # skip the eleven live cards
    python bench/bench_page_remedies.py --shots /tmp    # also save screenshots there

Measures (medians; prints a markdown table):
1. AppTest: the page at rest, warm reruns (budget < 1 s) and with every card open.
2. Each card's prepared comparison trained live exactly as the page does (Lab.advance in
   0.35 s slices): total time (budget < 90 s) and the longest gap between two progress
   updates (budget <= 1 s).
3. A real server + Chromium: session A presses Train on a long comparison; meanwhile a
   second browser session loads the page; its load time against the idle load time.
   Then A presses Stop: time until the page shows "Stopped" and the scoreboard.
Never timed asserts: numbers to read.
"""

from __future__ import annotations

import argparse
import os
import socket
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

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def apptest_rest(n=5):
    from helpers import new_app

    from lessons.remedies.cards import CARDS

    at = new_app("pages/remedies_lab.py")
    at.run()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        at.run()
        ts.append(time.perf_counter() - t0)
    at2 = new_app("pages/remedies_lab.py", {f"open_{c.key}": "true" for c in CARDS})
    at2.run()
    ts2 = []
    for _ in range(3):
        t0 = time.perf_counter()
        at2.run()
        ts2.append(time.perf_counter() - t0)
    return statistics.median(ts), statistics.median(ts2)


def live_cards():
    from lessons.remedies.cards import CARDS, card_lab

    rows = []
    for card in CARDS:
        lab = card_lab(card)
        t0 = last = time.perf_counter()
        gap = 0.0
        while not lab.advance(0.35):
            now = time.perf_counter()
            gap, last = max(gap, now - last), now
            lab.record()  # what the page draws each update
        now = time.perf_counter()
        rows.append((card.key, now - t0, max(gap, now - last)))
        print(f"  card {card.key}: {rows[-1][1]:.1f} s, longest gap {rows[-1][2]:.2f} s", flush=True)
    return rows


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(shots: str | None):
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
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
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    out = {}
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.25)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)

            def load(ctx, url, wait_text="Success rate against length"):
                page = ctx.new_page()
                t0 = time.perf_counter()
                page.goto(url)
                page.get_by_text(wait_text).first.wait_for(timeout=120000)
                page.wait_for_selector(IDLE, timeout=120000)
                return page, time.perf_counter() - t0

            url = base + "/remedies_lab"
            ctx0 = b.new_context(viewport={"width": 1280, "height": 720})
            # NB: open "/" first. On a fresh server the first request to /remedies_lab runs the page
            # without the frame (legacy pages/ mode) until app.py has called st.navigation once.
            load(ctx0, base + "/", wait_text="Start")
            _, warm = load(ctx0, url)  # first load of this page compiles its imports
            idle = []
            for _ in range(3):
                pg, dt = load(ctx0, url)
                idle.append(dt)
                pg.close()
            out["idle_load"] = statistics.median(idle)
            # session A trains a long comparison
            ctxA = b.new_context(viewport={"width": 1280, "height": 720})
            long_url = (
                url
                + "?task=adding&T=60&steps=3000&models=RNN&models=LSTM&models=GRU&remedies=clipping&seeds=2"
            )
            pA, _ = load(ctxA, long_url)
            pA.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train").click()
            pA.get_by_text("Training").first.wait_for(timeout=60000)
            time.sleep(2)
            busy = []
            for _ in range(3):
                ctxB = b.new_context(viewport={"width": 1280, "height": 720})
                pB, dt = load(ctxB, url)
                busy.append(dt)
                ctxB.close()
            out["busy_load"] = statistics.median(busy)
            if shots:
                pA.screenshot(path=f"{shots}/remedies_training_1280.png")
            t0 = time.perf_counter()
            pA.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Stop").click()
            pA.get_by_text("Stopped").first.wait_for(timeout=60000)
            pA.wait_for_selector(IDLE, timeout=60000)
            out["stop_to_results"] = time.perf_counter() - t0
            out["stop_exception"] = pA.locator("[data-testid='stException']").count()
            if shots:
                full_shot(pA, f"{shots}/remedies_stopped_1280.png", 1280)
                ctx2 = b.new_context(viewport={"width": 1920, "height": 1080})
                p2, _ = load(ctx2, url + "?steps=100&T=20&open_tbptt=true&open_omega=true")
                full_shot(p2, f"{shots}/remedies_rest_1920.png", 1920)
                p2.get_by_test_id("stMainBlockContainer").get_by_role("button", name="Train").click()
                p2.get_by_text("Finished").first.wait_for(timeout=120000)
                p2.wait_for_selector(IDLE, timeout=60000)
                full_shot(p2, f"{shots}/remedies_trained_1920.png", 1920)
                p3, _ = load(ctx0, url)
                p3.wait_for_selector("[data-testid='stSlider']", timeout=30000)  # widget code loads lazily
                time.sleep(1.0)
                p3.screenshot(path=f"{shots}/remedies_rest_1280.png", full_page=False)
            b.close()
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
    return out


def full_shot(page, path: str, width: int):
    """Streamlit scrolls inside stMain, so a full-page shot needs a viewport as tall as its content."""
    h = page.evaluate(
        "Math.max(...[...document.querySelectorAll('[data-testid=stMain], "
        "[data-testid=stMainBlockContainer]')].map(e => e.scrollHeight), 720)"
    )
    page.set_viewport_size({"width": width, "height": min(int(h) + 40, 16000)})
    time.sleep(1.0)  # let Vega re-layout at the new size
    page.screenshot(path=path, full_page=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--shots", default=None)
    ap.add_argument("--no-browser", action="store_true")
    a = ap.parse_args(argv)
    rest, rest_open = apptest_rest()
    print("| measure | value | budget |\n|---|---|---|")
    print(f"| page at rest, AppTest warm rerun (median of 5) | {rest:.2f} s | < 1 s |")
    print(f"| page with all 11 cards open, warm rerun (median of 3) | {rest_open:.2f} s | - |", flush=True)
    if not a.quick:
        for key, total, gap in live_cards():
            print(f"| card `{key}` live | {total:.1f} s (longest gap {gap:.2f} s) | < 90 s, gap <= 1 s |")
    if not a.no_browser:
        b = browser(a.shots)
        print(f"| browser: page load, server idle (median of 3) | {b['idle_load']:.2f} s | - |")
        print(
            f"| browser: page load while another session trains (median of 3) | {b['busy_load']:.2f} s | responsive |"
        )
        print(f"| browser: Stop click -> 'Stopped' + scoreboard | {b['stop_to_results']:.2f} s | - |")
        print(f"| browser: exceptions after Stop | {b['stop_exception']} | 0 |")


if __name__ == "__main__":
    main()
