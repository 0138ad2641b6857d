"""Load test: a lecture hall of sessions against one `streamlit run app.py`.

Starts the app on loopback and has N sessions each visit every page (in menu order, as a
student would) and move sliders `--moves` times in all, spread over the pages (10: two on
each of the five); `--trainers` of the sessions first press Train in the Remedies lab, all at
the same moment, while the others click around. Two clients:

- `--client protocol` (default): bench/st_client.py, a client of Streamlit's own websocket
  protocol (BackMsg rerun_script / ForwardMsg deltas, as the browser's frontend sends and
  reads them) with no rendering. A lecture hall's browsers run on the students' machines, not
  on the server's cores; 30 Chromium renderers on the server's own 2 cores measured mostly
  themselves (bench/results/load_30x10.json: 40 of 300 moves measured, p95 22.7 s). Sessions
  start spread over `--ramp` seconds and wait a think time drawn uniformly from `--think`
  before each action (a class does not move in lockstep). On each page a student first
  switches to another section (a tab) with probability `--tab-p` (0.5), as a class looking
  around does. A move sets one slider of the page (not one in a collapsed expander or a tab
  not shown) 1-3 steps away from its value and sends the rerun with every slider's, toggle's
  and tab set's value. Latency: BackMsg sent -> `script_finished`.
  Errors: `exception` elements (an error box on the page), page_not_found, compile errors,
  dropped connections, timeouts, tracebacks in the server log.
- `--client browser`: Playwright contexts in one headless Chromium (the first version): key
  presses on visible sliders, key press -> `data-test-script-state` back to notRunning; also
  console errors, failed requests and requests that leave localhost.

Server memory: resting RSS (after start-up and one warm visit of every page), peak RSS
(sampled every 0.25 s over the server's process tree, and the kernel's VmHWM), RSS after
every session closed (`after_close`, Streamlit still holds disconnected sessions for
server.disconnectedSessionTTL = 120 s so they can reconnect), and with `--ttl-wait` RSS once
that TTL has passed and a new session made Streamlit reap the expired ones (`after_ttl`).
`--server-cpus 0` pins the server with taskset (a Community Cloud container has about one
core) and the load client to the other cores.

    python bench/load_test.py --sessions 30 --moves 10 --trainers 2
    python bench/load_test.py --sessions 30 --moves 10 --trainers 2 --server-cpus 0 --tag 1cpu
    python bench/load_test.py --client browser --sessions 30 --moves 10 --trainers 2 --tag browser
    python bench/load_test.py --sessions 12 --waves 3 --ttl-wait 130 --tag 3waves   # leak check
    python bench/load_test.py --sessions 12 --tag profile --py-spy /tmp/spy.txt      # needs py-spy

Writes bench/results/load_<sessions>x<moves>[_<tag>].json (figures + the command); prints a
summary. Exit code 1 if any error was recorded or a budget (p95 < 3 s, peak RSS < 800 MB)
was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import platform
import random
import re
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))
from helpers import (  # noqa: E402  (tests/ on the path first)
    CHARTS_DRAWN,
    CHROMIUM,
    CHROMIUM_ARGS,
    foreign_urls,
    free_port,
    process_tree,
    start_server,
    stop_server,
    tree_hwm_mb,
    tree_rss_mb,
    url_path,
    wait_healthy,
)

RESULTS = ROOT / "bench" / "results"
# NB: 30 pages in one headless Chromium: without these, Chromium throttles the timers and the
# rendering of the pages it considers backgrounded, so a slider's debounced change can wait a
# minute before it reaches the server (the first 30-session runs measured that, not the app).
LOAD_ARGS = [
    *CHROMIUM_ARGS,
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
PAGES = [
    "pages/start.py",
    "pages/rnn_vanishing.py",
    "pages/lstm_cell_state.py",
    "pages/exploding.py",
    "pages/remedies_lab.py",
]
BUDGET = {"p95_s": 3.0, "peak_rss_mb": 800.0}
SLIDER_BOX = "[data-testid='stMain'] [data-testid='stSlider']"  # sliders in a closed expander are hidden
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Every change of the app's script state, with the page's clock, so a fast rerun is not missed.
OBSERVER = """
window.__st = [];
new MutationObserver(ms => { for (const m of ms) if (m.attributeName === 'data-test-script-state')
    window.__st.push([m.target.getAttribute('data-test-script-state'), performance.now()]); })
  .observe(document, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
"""
RERUN_DONE = """t0 => { const s = window.__st || []; const r = s.findIndex(x => x[0] === 'running' && x[1] >= t0);
    if (r < 0) return null; const d = s.slice(r).find(x => x[0] === 'notRunning'); return d ? d[1] - t0 : null; }"""


# Streamlit's own probe of "<page>/_stcore/health" and "<page>/_stcore/host-config" when a page
# URL is opened directly answers 404 before it finds the base path (streamlit/streamlit#7074,
# open, P3): counted apart as "known", not as an error of this app.
KNOWN = re.compile(r"/[A-Za-z0-9_]+/_stcore/(health|host-config)$")
# Vega's "Unrecognized data set: <hash>" page error: Streamlit's frontend race between a rerun's
# chart update and its dataset (streamlit/streamlit#11906, #11342, #9616); the chart redraws on
# the next rerun. Counted apart as "known", listed in the results, not hidden.
KNOWN_PAGEERROR = re.compile(r"Unrecognized data set: [0-9a-f]+")
# A download button's CSV of a superseded run, fetched after the rerun released it (Streamlit's
# media-file race, streamlit/streamlit#4322, #8932): counted as an error, shown as its own kind.


class Session:
    """One student: a browser context with error and request recording."""

    def __init__(self, index: int, context, page):
        self.index, self.context, self.page = index, context, page
        self.errors: list[str] = []
        self.known: list[str] = []
        self.urls: list[str] = []
        self.latencies: list[tuple[str, float]] = []
        self.train_seconds: float | None = None
        self.stage = "start"
        self.skipped: list[str] = []
        page.on("request", lambda r: self.urls.append(r.url))
        page.on("websocket", lambda ws: self.urls.append(ws.url))
        page.on("console", self._console)
        page.on(
            "pageerror",
            lambda e: (self.known if KNOWN_PAGEERROR.search(str(e)) else self.errors).append(
                f"pageerror: {e}"
            ),
        )
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, m) -> None:
        if m.type != "error":
            return
        url = m.location.get("url", "")
        known = KNOWN.search(url) or KNOWN_PAGEERROR.search(m.text)
        (self.known if known else self.errors).append(f"console: {m.text} @ {url}")

    def _response(self, r) -> None:
        if r.status >= 400:
            (self.known if r.status == 404 and KNOWN.search(r.url) else self.errors).append(
                f"HTTP {r.status} {r.url}"
            )

    def _failed(self, request) -> None:
        # NB: a request the page itself abandons (navigation while a chart image loads,
        # the websocket when the context closes) is not a server failure.
        if request.failure and "ERR_ABORTED" in request.failure:
            return
        self.errors.append(f"request failed: {request.url} {request.failure}")

    async def check(self, where: str) -> None:
        n = await self.page.locator("[data-testid='stException']").count()
        if n:
            text = await self.page.locator("[data-testid='stException']").first.inner_text()
            self.errors.append(f"stException on {where}: {text[:300]}")


async def wait_idle(page, timeout_ms: float) -> None:
    await page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    await page.wait_for_selector(IDLE, timeout=timeout_ms)
    await page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
    await page.wait_for_selector(IDLE, timeout=timeout_ms)


async def move_slider(s: Session, rng: random.Random, where: str, timeout_ms: float) -> None:
    """Press an arrow key on a random visible slider; record key press -> script idle."""
    sliders = s.page.locator(SLIDER_BOX).filter(visible=True)
    n = await sliders.count()
    if n == 0:
        s.skipped.append(f"{where}: no visible slider")
        return
    box = sliders.nth(rng.randrange(n))
    slider = box.locator("input[type=range]")
    if await slider.is_disabled():
        s.skipped.append(f"{where}: disabled")
        return
    s.stage = f"{where}: slider {await box.get_attribute('aria-label') or await box.inner_text()}"
    await slider.focus()
    value, lo, hi = await slider.evaluate("e => [Number(e.value), Number(e.min), Number(e.max)]")
    if lo >= hi:
        s.skipped.append(f"{where}: empty range")
        return
    key = "ArrowLeft" if value >= hi or (value > lo and rng.random() < 0.5) else "ArrowRight"
    t0 = await s.page.evaluate("performance.now()")
    await s.page.keyboard.press(key)
    handle = await s.page.wait_for_function(RERUN_DONE, arg=t0, timeout=timeout_ms, polling=50)
    s.latencies.append((where, await handle.json_value() / 1000))
    await s.page.wait_for_function(CHARTS_DRAWN, timeout=timeout_ms)
    await s.check(where)


async def train(s: Session, base: str, query: str, timeout_ms: float) -> None:
    """Open the Remedies lab, press Train, wait for the run to finish."""
    s.stage = "training"
    await s.page.goto(base + url_path("pages/remedies_lab.py") + query)
    await wait_idle(s.page, timeout_ms)
    button = s.page.get_by_role("button", name="Train", exact=True)
    try:
        await button.wait_for(timeout=30_000)
    except Exception:
        s.errors.append("no Train button in the Remedies lab")
        return
    t0 = await s.page.evaluate("performance.now()")
    await button.click()
    handle = await s.page.wait_for_function(RERUN_DONE, arg=t0, timeout=timeout_ms, polling=200)
    s.train_seconds = await handle.json_value() / 1000
    await s.check("remedies_lab after training")


async def student(
    s: Session, base: str, moves: int, seed: int, timeout_ms: float, trainer_query: str | None
) -> None:
    rng = random.Random(seed)
    try:
        if trainer_query is not None:
            await train(s, base, trainer_query, timeout_ms)
        await s.page.goto(base + "/")
        await wait_idle(s.page, timeout_ms)
        await s.check("start")
        for i, page_file in enumerate(PAGES):
            if i > 0:  # through the sidebar menu, as a student would
                s.stage = f"menu -> {page_file}"
                await s.page.locator("[data-testid='stSidebarNav'] a").nth(i).click()
                await s.page.wait_for_function(
                    f"() => location.pathname.endsWith('{url_path(page_file)}')", timeout=timeout_ms
                )
                await wait_idle(s.page, timeout_ms)
            where = Path(page_file).stem
            s.stage = where
            await s.check(where)
            for _ in range(moves // len(PAGES) + (i < moves % len(PAGES))):
                await move_slider(s, rng, where, timeout_ms)
        s.stage = "done"
    except Exception as e:  # a timeout or a crash is an error of the run, not of the harness
        s.errors.append(f"session {s.index} at {s.stage}: {type(e).__name__}: {str(e).splitlines()[0][:300]}")


class RssSampler(threading.Thread):
    """Samples the server tree's RSS every `period` seconds; keeps the peak."""

    def __init__(self, pid: int, period: float = 0.25):
        super().__init__(daemon=True)
        self.pid, self.period, self.peak, self.samples = pid, period, 0.0, []
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss = tree_rss_mb(self.pid)
            self.peak = max(self.peak, rss)
            self.samples.append((time.time(), rss))
            self._stop_event.wait(self.period)

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)


def _r3(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def pct(values: list[float], q: float) -> float | None:
    """The q-quantile (nearest rank) of values, None if empty."""
    if not values:
        return None
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(q * len(v) + 0.5)) - 1))]


async def run_load(
    base: str,
    sessions: int,
    moves: int,
    trainers: int,
    seed: int,
    timeout_s: float,
    trainer_query: str,
    stagger_s: float,
) -> list[Session]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LOAD_ARGS)
        out = []
        for i in range(sessions):
            ctx = await browser.new_context(viewport={"width": 1280, "height": 800})
            ctx.set_default_timeout(timeout_s * 1000)  # goto, clicks: not Playwright's 30 s
            ctx.set_default_navigation_timeout(timeout_s * 1000)
            await ctx.add_init_script(OBSERVER)
            out.append(Session(i, ctx, await ctx.new_page()))

        async def one(s: Session) -> None:
            await asyncio.sleep(s.index * stagger_s)
            await student(
                s,
                base,
                moves,
                seed + s.index,
                timeout_s * 1000,
                trainer_query if s.index < trainers else None,
            )

        await asyncio.gather(*(one(s) for s in out))
        for s in out:
            await s.context.close()
        await browser.close()
    return out


def warm(base: str, timeout_s: float) -> None:
    """One visit of every page, so 'resting' includes the imports and a first cache fill."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        page = b.new_page()
        for f in PAGES:
            page.goto(base + url_path(f))
            page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_s * 1000)
            page.wait_for_selector(IDLE, timeout=timeout_s * 1000)
        b.close()


# ============================================================================ protocol client
def page_stem(url_pathname: str) -> str:
    """'' (the default page) -> 'start', else the URL path, which is the page file's stem."""
    return url_pathname or "start"


class ProtoStudent:
    """One student on the protocol client: what it did and what it saw."""

    def __init__(self, index: int):
        self.index = index
        self.errors: list[str] = []
        self.latencies: list[tuple[str, float]] = []  # (page, seconds) per slider move
        self.visits: list[tuple[str, float]] = []  # (page, seconds) per page opened
        self.tab_visits: list[tuple[str, float]] = []  # (page, seconds) per tab (section) switched to
        self.moves_bytes: list[int] = []
        self.move_spans: list[tuple[float, float]] = []  # (sent, finished) per measured move, perf_counter
        self.train_span: tuple[float, float] | None = None
        self.train_seconds: float | None = None
        self.skipped: list[str] = []
        self.stage = "start"
        self.known: list[str] = []
        self.urls: list[str] = []


async def proto_student(
    st: ProtoStudent,
    base_ws: str,
    origin: str,
    moves: int,
    rng: random.Random,
    think: tuple[float, float],
    start_at: float,
    timeout_s: float,
    trainer_query: str | None,
    trainers_ready: asyncio.Barrier | None,
    tab_p: float = 0.0,
) -> None:
    from st_client import StSession

    async def think_pause() -> None:
        await asyncio.sleep(rng.uniform(*think))

    def record(r, what: str) -> bool:
        st.errors += [f"session {st.index} {what}: {e}" for e in r.errors]
        return r.status == "ok"

    await asyncio.sleep(start_at)
    s = StSession(base_ws, origin=origin, name=str(st.index))
    try:
        st.stage = "connect"
        await s.connect(open_timeout=timeout_s)
        if trainer_query is not None:
            # a preset link straight to the lab (the first rerun names the page by its URL path)
            st.stage = "training: open the lab"
            r = await s.rerun(
                page_hash="",
                page_name="remedies_lab",
                query_string=trainer_query.lstrip("?"),
                timeout=timeout_s,
            )
            record(r, "opening the Remedies lab")
            button = s.button("Train")
            await trainers_ready.wait()  # every trainer presses Train at the same moment
            if button is None or button.disabled:
                st.errors.append(f"session {st.index}: no enabled Train button in the Remedies lab")
            else:
                st.stage = "training"
                t_train = time.perf_counter()
                r = await s.rerun(trigger=button.id, timeout=timeout_s)
                st.train_span = (t_train, time.perf_counter())
                if record(r, "training"):
                    st.train_seconds = r.seconds
            await think_pause()
            st.stage = "start page"
            r = await s.rerun(page_hash=s.page_by_path(""), timeout=timeout_s)
        else:
            st.stage = "start page"
            r = await s.rerun(page_hash="", page_name="", query_string="", timeout=timeout_s)
        if record(r, "opening the app"):
            st.visits.append(("start", r.seconds))
        for i, page_file in enumerate(PAGES):
            where = Path(page_file).stem
            if i > 0:
                await think_pause()
                st.stage = f"menu -> {where}"
                r = await s.rerun(
                    page_hash=s.page_by_path(url_path(page_file).lstrip("/")), timeout=timeout_s
                )
                if not record(r, f"opening {where}"):
                    continue
                st.visits.append((where, r.seconds))
            if page_stem(next((u for h, _, u in s.pages if h == s.page_hash), "?")) != where:
                st.errors.append(f"session {st.index}: asked for {where}, got {s.page_title()}")
                continue
            tabs = s.tab_sets()
            if tabs and rng.random() < tab_p:  # look at another section of the page first
                ts = tabs[0]
                label = rng.choice([t for t in ts.labels if t != ts.value])
                await think_pause()
                st.stage = f"{where}: tab {label}"
                r = await s.rerun(set_values={ts.id: label}, timeout=timeout_s)
                if record(r, f"{where}: tab {label!r}"):
                    st.tab_visits.append((where, r.seconds))
                    shown = s.widgets.get(ts.id)
                    if shown is None or shown.value != label:
                        st.errors.append(
                            f"session {st.index}: {where} shows tab {shown and shown.value!r}, not {label!r}"
                        )
                if not s.movable_sliders() and moves:  # a section without sliders: back to the first one
                    r = await s.rerun(set_values={ts.id: ts.labels[0]}, timeout=timeout_s)
                    if record(r, f"{where}: back to tab {ts.labels[0]!r}"):
                        st.tab_visits.append((where, r.seconds))
            for _ in range(moves // len(PAGES) + (i < moves % len(PAGES))):
                sliders = s.movable_sliders()
                if not sliders:
                    st.skipped.append(f"{where}: no movable slider")
                    continue
                await think_pause()
                w = rng.choice(sliders)
                new = s.nudge(w, rng)
                st.stage = f"{where}: {w.label} {w.value} -> {new}"
                t_move = time.perf_counter()
                r = await s.rerun(set_values={w.id: new}, timeout=timeout_s)
                if record(r, f"{where}: slider {w.label!r} {w.value} -> {new}"):
                    st.latencies.append((where, r.seconds))
                    st.moves_bytes.append(r.bytes)
                    st.move_spans.append((t_move, t_move + r.seconds))
                    now = s.widgets.get(w.id)
                    if now is None or abs(float(now.value) - new) > 1e-9:
                        st.skipped.append(
                            f"{where}: slider {w.label!r} shows {None if now is None else now.value} "
                            f"after it was set to {new}"
                        )
        st.stage = "done"
    except Exception as e:  # a crash of a session is an error of the run, not of the harness
        st.errors.append(
            f"session {st.index} at {st.stage}: {type(e).__name__}: {str(e).splitlines()[0][:300]}"
            if str(e)
            else f"session {st.index} at {st.stage}: {type(e).__name__}"
        )
    finally:
        st.errors += [f"session {st.index}: {e}" for e in s.errors]
        await s.close()


async def run_protocol_load(
    base: str,
    sessions: int,
    moves: int,
    trainers: int,
    seed: int,
    timeout_s: float,
    trainer_query: str,
    think: tuple[float, float],
    ramp_s: float,
    tab_p: float = 0.0,
) -> list[ProtoStudent]:
    rng = random.Random(seed)
    # trainers start at once (they press Train together); the others arrive over the ramp
    starts = [0.0 if i < trainers else rng.uniform(0, ramp_s) for i in range(sessions)]
    out = [ProtoStudent(i) for i in range(sessions)]
    ready = asyncio.Barrier(trainers) if trainers else None
    base_ws = base.replace("http://", "ws://")
    await asyncio.gather(
        *(
            proto_student(
                st,
                base_ws,
                base,
                moves,
                random.Random(seed * 1000 + st.index),
                think,
                starts[st.index],
                timeout_s,
                trainer_query if st.index < trainers else None,
                ready,
                tab_p,
            )
            for st in out
        )
    )
    return out


def proto_warm(base: str, timeout_s: float) -> list[str]:
    """One protocol session visits every page once (imports and a first cache fill); its errors."""
    st = ProtoStudent(-1)
    asyncio.run(
        proto_student(
            st, base.replace("http://", "ws://"), base, 0, random.Random(0), (0, 0), 0, timeout_s, None, None
        )
    )
    return st.errors


def proto_poke(base: str, timeout_s: float) -> list[str]:
    """A new session opening the app: Streamlit reaps expired disconnected sessions on such calls."""
    from st_client import StSession

    async def go() -> list[str]:
        s = StSession(base.replace("http://", "ws://"), origin=base, name="poke")
        await s.connect()
        r = await s.rerun(page_hash="", query_string="", timeout=timeout_s)
        await s.close()
        return r.errors + s.errors

    return asyncio.run(go())


# ============================================================================ measurement
def tree_cpu_s(pid: int) -> float:
    """User + system CPU seconds of the process tree so far (/proc/<pid>/stat utime, stime)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def start_py_spy(pid: int, out: Path) -> subprocess.Popen:
    """py-spy sampling the server (only threads holding the GIL: the server's Python is one GIL)."""
    exe = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            str(exe if exe.exists() else "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "50",
            "--gil",
            "--nonblocking",
            "--format",
            "raw",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def stop_py_spy(spy: subprocess.Popen) -> None:
    spy.send_signal(signal.SIGINT)
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()


def machine_speed(repeats: int = 5) -> dict:
    """Seconds this machine takes for a fixed piece of the server's kind of work (Python loops, small NumPy
    matmuls, JSON), median of `repeats`: load figures from two machines compare only through it (seen:
    the same code and load gave p95 6.5 s on one 2-core machine and 15.8 s on another, 1.8x slower here)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 64))

    def work():
        s = 0
        for i in range(300_000):
            s += i % 7
        b = a
        for _ in range(300):
            b = np.tanh(b @ a) + 0.01
        json.dumps([{"k": i, "v": float(i) / 3} for i in range(20_000)])
        return s, b

    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return {
        "reference_work_s": round(statistics.median(times), 4),
        "reference_work": "bench/load_test.py machine_speed(): 3e5-step Python loop, 300 tanh(64x64 matmul), "
        "json.dumps of 2e4 dicts; median of 5",
    }


def loadavg() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _stats(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50": _r(pct(values, 0.5)),
        "p95": _r(pct(values, 0.95)),
        "max": _r(max(values) if values else None),
    }


def measure(
    sessions: int = 30,
    moves: int = 10,
    trainers: int = 2,
    seed: int = 0,
    timeout_s: float = 300,
    blas_threads: int | None = None,
    trainer_query: str = "?steps=300",
    settle_s: float = 15,
    stagger_s: float = 0.2,
    client: str = "protocol",
    think: tuple[float, float] = (1.0, 4.0),
    ramp_s: float = 10.0,
    server_cpus: str | None = None,
    ttl_wait_s: float = 0.0,
    profile: Path | None = None,
    server_env: dict | None = None,
    after_warm=None,
    waves: int = 1,
    tab_p: float = 0.5,
) -> dict:
    """Start a server, run the load, return the figures (server stopped afterwards).

    tab_p: protocol client: on each page, the chance a student first switches to another section (tab).

    after_warm: optional callable(server_pid), called once the warm-up visit is done (experiments).
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {}
    if blas_threads is not None:
        env = {k: str(blas_threads) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    env.update(server_env or {})
    log = RESULTS / ".load-server.log"
    RESULTS.mkdir(parents=True, exist_ok=True)
    prefix = ["taskset", "-c", server_cpus] if server_cpus else None
    client_cpus = None
    if server_cpus:  # the load client stays off the server's cores (the students' machines are elsewhere)
        pinned = {
            int(c)
            for part in server_cpus.split(",")
            for c in (range(int(part.split("-")[0]), int(part.split("-")[-1]) + 1))
        }
        rest = set(os.sched_getaffinity(0)) - pinned
        if rest:
            os.sched_setaffinity(0, rest)
            client_cpus = sorted(rest)
    load_before = loadavg()
    proc = start_server(port, log_path=log, env=env, prefix=prefix)
    warm_errors: list[str] = []
    rss_ttl = None
    try:
        startup = wait_healthy(base, proc, timeout=120)
        rss_start = tree_rss_mb(proc.pid)
        if client == "browser":
            warm(base, timeout_s)
        else:
            warm_errors = proto_warm(base, timeout_s)
        if after_warm is not None:
            after_warm(proc.pid)
        time.sleep(2)
        rss_rest = tree_rss_mb(proc.pid)
        sampler = RssSampler(proc.pid)
        sampler.start()
        spy = start_py_spy(proc.pid, profile) if profile else None
        cpu0, self0, t0 = tree_cpu_s(proc.pid), resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        out: list = []
        rss_waves: list[int] = []
        per_wave: list[dict] = []
        for wave in range(waves):  # NB: later waves on the same server: memory that keeps growing is a leak
            wseed = seed + 1000 * wave
            if client == "browser":
                got = asyncio.run(
                    run_load(base, sessions, moves, trainers, wseed, timeout_s, trainer_query, stagger_s)
                )
            else:
                got = asyncio.run(
                    run_protocol_load(
                        base, sessions, moves, trainers, wseed, timeout_s, trainer_query, think, ramp_s, tab_p
                    )
                )
            out += got
            wl = [x for sess in got for _, x in sess.latencies]  # is a later wave slower? (per-session cost)
            per_wave.append(
                {
                    "moves": len(wl),
                    "p50": _r3(pct(wl, 0.5)),
                    "p95": _r3(pct(wl, 0.95)),
                    "server_cpu_s": round(
                        tree_cpu_s(proc.pid) - cpu0 - sum(w["server_cpu_s"] for w in per_wave), 1
                    ),
                    "threads": len(list(Path(f"/proc/{proc.pid}/task").glob("*"))),
                }
            )
            if wave < waves - 1:
                time.sleep(settle_s)
                rss_waves.append(round(tree_rss_mb(proc.pid)))
        wall = time.perf_counter() - t0
        self1 = resource.getrusage(resource.RUSAGE_SELF)
        server_cpu = tree_cpu_s(proc.pid) - cpu0
        load_after = loadavg()
        if spy is not None:
            stop_py_spy(spy)
        time.sleep(settle_s)  # sessions closed: Streamlit keeps them for reconnection (TTL 120 s)
        rss_after = tree_rss_mb(proc.pid)
        rss_waves.append(round(rss_after))
        if ttl_wait_s > 0:
            time.sleep(ttl_wait_s)
            # a new session's disconnect makes Streamlit reap the expired ones; a second one's
            # post-script GC then collects what they left in reference cycles
            warm_errors += proto_poke(base, timeout_s)
            warm_errors += proto_poke(base, timeout_s)
            time.sleep(3)
            rss_ttl = tree_rss_mb(proc.pid)
        sampler.stop()
        hwm = tree_hwm_mb(proc.pid)
    finally:
        stop_server(proc)
    server_log = log.read_text(errors="replace")
    tracebacks = server_log.count("Traceback")
    warnings = [ln for ln in server_log.splitlines() if "Warning" in ln][:20]
    lat = [x for s in out for _, x in s.latencies]
    by_page: dict[str, list[float]] = {}
    for s in out:
        for where, x in s.latencies:
            by_page.setdefault(where, []).append(x)
    errors = [e for s in out for e in s.errors]
    errors += [f"warm-up / poke: {e}" for e in warm_errors]
    errors += [f"request left localhost: {u}" for s in out for u in foreign_urls(s.urls)]
    errors += [f"server log: {tracebacks} traceback(s)"] if tracebacks else []
    res = {
        "client": client,
        "sessions": sessions,
        "moves_per_session": moves,
        "pages": len(PAGES),
        "trainers": trainers,
        "trainer_query": trainer_query,
        "seed": seed,
        "blas_threads_env": blas_threads if blas_threads is not None else "app default",
        "server_env": server_env or {},
        "server_cpus": server_cpus or "all",
        "client_cpus": client_cpus or "all",
        "wall_seconds": round(wall, 1),
        "server_startup_s": round(startup, 2),
        "moves_planned": sessions * moves * waves,
        "control_changes": len(lat),
        "sessions_completed": sum(1 for s in out if s.stage == "done"),
        "latency_s": {
            "p50": _r(pct(lat, 0.5)),
            "p95": _r(pct(lat, 0.95)),
            "max": _r(max(lat) if lat else None),
            "mean": _r(statistics.fmean(lat) if lat else None),
        },
        "latency_by_page_s": {k: _stats(v) for k, v in sorted(by_page.items())},
        "train_seconds": [_r(s.train_seconds) for s in out if s.train_seconds is not None],
        "rss_mb": {
            "after_start": round(rss_start),
            "resting": round(rss_rest),
            "peak_sampled": round(sampler.peak),
            "peak_vmhwm": round(hwm),
            "after_close": round(rss_after),
            "after_ttl": None if rss_ttl is None else round(rss_ttl),
            "after_each_wave": rss_waves,
        },
        "waves": waves,
        "per_wave": per_wave,
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:30],
        "error_kinds": dict(
            collections.Counter(
                re.sub(r"[0-9a-f]{32}|:\d{4,5}/|session \d+|\d+(\.\d+)?", "*", e)[:160] for e in errors
            ).most_common(15)
        ),
        "moves_skipped": dict(collections.Counter(k for s in out for k in s.skipped)),
        "server_log_warnings": warnings,
        "server_cpu_s": round(server_cpu, 1),
        "load_client_cpu_s": round(self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime, 1),
        "loadavg_1_5_15": {"before": load_before, "after_load": load_after},
        "budget": BUDGET,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), **machine_speed()},
    }
    if client == "protocol":
        visits: dict[str, list[float]] = {}
        for s in out:
            for where, x in s.visits:
                visits.setdefault(where, []).append(x)
        res["page_open_s"] = {
            "all": _stats([x for v in visits.values() for x in v]),
            **{k: _stats(v) for k, v in sorted(visits.items())},
        }
        tv: dict[str, list[float]] = {}
        for s in out:
            for where, x in s.tab_visits:
                tv.setdefault(where, []).append(x)
        res["tab_switch_s"] = {
            "all": _stats([x for v in tv.values() for x in v]),
            **{k: _stats(v) for k, v in sorted(tv.items())},
        }
        res["tab_p"] = tab_p
        mb = [b for s in out for b in s.moves_bytes]
        res["bytes_per_move"] = {"p50": pct(mb, 0.5), "max": max(mb) if mb else None}
        # moves sent while a trainer's run was in progress against moves after every training ended
        spans = [s.train_span for s in out if s.train_span]
        during, after = [], []
        for s in out:
            for (_, x), (a, _b) in zip(s.latencies, s.move_spans, strict=True):
                (during if any(t0 <= a <= t1 for t0, t1 in spans) else after).append(x)
        res["latency_while_training_s"] = _stats(during)
        res["latency_after_training_s"] = _stats(after)
        res["think_s"] = list(think)
        res["ramp_s"] = ramp_s
        res["what_a_move_is"] = (
            "one slider in the page's main area (not in a collapsed expander or a tab not "
            "shown) set 1-3 steps from its value; latency = BackMsg rerun_script sent -> "
            "ForwardMsg script_finished"
        )
    else:
        res["known_streamlit_issues"] = len([k for s in out for k in s.known])
        res["known_streamlit_issue_samples"] = sorted(
            {re.sub(r"[0-9a-f]{32}|:\d{4,5}/", "*", k) for s in out for k in s.known}
        )[:10]
    res["within_budget"] = bool(
        res["errors"] == 0
        and lat
        and res["latency_s"]["p95"] < BUDGET["p95_s"]
        and max(res["rss_mb"]["peak_sampled"], res["rss_mb"]["peak_vmhwm"]) < BUDGET["peak_rss_mb"]
    )
    return res


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--client",
        choices=["protocol", "browser"],
        default="protocol",
        help="protocol: bench/st_client.py over the websocket (default); browser: Playwright Chromium",
    )
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument(
        "--moves",
        type=int,
        default=10,
        help="slider moves per session, spread over the pages (10: two on each of the five)",
    )
    ap.add_argument("--trainers", type=int, default=2, help="sessions that train in the Remedies lab first")
    ap.add_argument("--trainer-query", default="?steps=300", help="URL query of the trainers' Remedies lab")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=300, help="seconds any one wait may take")
    ap.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(1.0, 4.0),
        metavar=("MIN", "MAX"),
        help="protocol: seconds a student waits before each action, uniform in [MIN, MAX]",
    )
    ap.add_argument(
        "--ramp", type=float, default=10.0, help="protocol: sessions arrive uniformly over this many s"
    )
    ap.add_argument(
        "--tab-p",
        type=float,
        default=0.5,
        help="protocol: chance that a student switches to another section (tab) of a page before moving",
    )
    ap.add_argument("--stagger", type=float, default=0.2, help="browser: seconds between session starts")
    ap.add_argument(
        "--server-cpus",
        default=None,
        help="pin the server with taskset -c (e.g. 0: one core, as a small cloud container)",
    )
    ap.add_argument(
        "--ttl-wait",
        type=float,
        default=0.0,
        help="after the sessions close, wait this long (130: past Streamlit's 120 s "
        "disconnectedSessionTTL), open one session and record RSS again",
    )
    ap.add_argument(
        "--py-spy",
        type=Path,
        default=None,
        metavar="FILE",
        help="record the server with py-spy (--gil, raw collapsed stacks) into FILE during the load",
    )
    ap.add_argument(
        "--server-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment of the server, e.g. STREAMLIT_RUNNER_POST_SCRIPT_GC=false (repeatable)",
    )
    ap.add_argument(
        "--waves",
        type=int,
        default=1,
        help="run the sessions this many times on one server (RSS after each: a leak keeps growing)",
    )
    ap.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="set OPENBLAS/OMP/MKL_NUM_THREADS for the server (default: the app's own)",
    )
    ap.add_argument("--tag", default="", help="suffix of the result file name")
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args(argv)
    res = measure(
        a.sessions,
        a.moves,
        a.trainers,
        a.seed,
        a.timeout,
        a.blas_threads,
        a.trainer_query,
        stagger_s=a.stagger,
        client=a.client,
        think=tuple(a.think),
        ramp_s=a.ramp,
        server_cpus=a.server_cpus,
        ttl_wait_s=a.ttl_wait,
        profile=a.py_spy,
        server_env=dict(kv.split("=", 1) for kv in a.server_env),
        waves=a.waves,
        tab_p=a.tab_p,
    )
    res["command"] = "python bench/load_test.py " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        res["git"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        pass
    print(json.dumps(res, indent=1))
    if not a.no_write:
        name = f"load_{a.sessions}x{a.moves}" + (f"_{a.tag}" if a.tag else "") + ".json"
        (RESULTS / name).write_text(json.dumps(res, indent=1) + "\n")
        print(f"wrote {RESULTS / name}")
    return 0 if res["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
