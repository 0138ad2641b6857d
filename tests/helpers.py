"""Helpers shared by the browser, load, offline and fuzz tests (and bench/load_test.py).

A real server: free_port, start_server, wait_healthy, stop_server; its memory from /proc
(tree_rss, no psutil needed); its sockets (foreign_connections). A real browser: CHROMIUM,
CHROMIUM_ARGS, Visit (a context that records every request), wait_idle, url_path. A fresh
interpreter: fresh_python_json (what happens at import, before anything else is loaded).
"""

from __future__ import annotations

import ast
import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-default-apps",
    "--disable-extensions",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
# Every visible chart has drawn and no placeholder waits for a chart's code (see wait_idle).
CHARTS_DRAWN = """() => ![...document.querySelectorAll("[data-testid='stSkeleton']")].some(s => s.checkVisibility())
    && [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
       .filter(c => c.checkVisibility()).every(c => c.querySelector('canvas, svg'))"""
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_LOG = ROOT / ".streamlit-test-server.log"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def browser_unavailable(reason: str):
    """Skip locally, fail in CI: the browser tests must run there."""
    import pytest

    if IN_CI:
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


def url_path(page: str) -> str:
    """URL path Streamlit gives a page: "/" for the default, else "/<file stem>"."""
    return "/" if page == "pages/start.py" else "/" + Path(page).stem


def free_port() -> int:
    """An unused TCP port on localhost."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(port: int) -> list[str]:
    """`streamlit run app.py` headless on 127.0.0.1:port (no usage stats, no file watcher)."""
    return [
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
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]


def start_server(
    port: int, log_path: Path | None = None, prefix: list[str] | None = None, env: dict | None = None
) -> subprocess.Popen:
    """Start the app server (optionally under `prefix`, e.g. ["unshare", "-rn"]); logs to a file."""
    log = open(log_path or SERVER_LOG, "w")  # noqa: SIM115 (closed with the process)
    full_env = dict(os.environ, **(env or {}))
    return subprocess.Popen(
        [*(prefix or []), *server_command(port)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=full_env
    )


def stop_server(proc: subprocess.Popen) -> None:
    """Terminate the server we started (by its pid), kill it if it does not exit in 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def wait_healthy(base: str, proc: subprocess.Popen, timeout: float = 60) -> float:
    """Poll /_stcore/health until it answers 'ok'; return the seconds it took."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return time.perf_counter() - t0
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("streamlit did not become healthy")


def fresh_python_json(code: str, *args: str, env: dict | None = None, timeout: float = 120):
    """Run code in a new interpreter (repo on the path, nothing else in its environment) and
    return the JSON of the last line it printed."""
    r = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={"PATH": "", "PYTHONPATH": str(ROOT), **(env or {})},
    )
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- /proc
def _children(pid: int) -> list[int]:
    """Direct children of pid (from /proc/<pid>/task/*/children)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def process_tree(pid: int) -> list[int]:
    """pid and all its descendants that still exist."""
    seen, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p in seen or not Path(f"/proc/{p}").exists():
            continue
        seen.append(p)
        todo += _children(p)
    return seen


def _status_kb(pid: int, field: str) -> int:
    """A 'VmRSS:'/'VmHWM:' value of /proc/<pid>/status in kB (0 if gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of the process and its children now, in MB."""
    return sum(_status_kb(p, "VmRSS") for p in process_tree(pid)) / 1024


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process and its children have used so far."""
    total = 0
    for p in process_tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def tree_hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM, kernel-tracked high-water mark) summed over the tree, in MB."""
    return sum(_status_kb(p, "VmHWM") for p in process_tree(pid)) / 1024


def _socket_inodes(pid: int) -> set[str]:
    """Inodes of the sockets pid has open."""
    out = set()
    for fd in Path(f"/proc/{pid}/fd").glob("*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            out.add(target[8:-1])
    return out


def _decode(addr: str) -> tuple[str, int]:
    """'0100007F:1F90' (or the 32-hex-digit IPv6 form) -> ('127.0.0.1', 8080)."""
    host, port = addr.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:  # four little-endian 32-bit words
        ip = socket.inet_ntop(socket.AF_INET6, b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4)))
    return ip, int(port, 16)


def _is_loopback(ip: str) -> bool:
    return ip.startswith("127.") or ip in ("::1", "0.0.0.0", "::") or ip.startswith("::ffff:127.")


def foreign_connections(pid: int) -> list[str]:
    """TCP/UDP sockets of the process tree whose remote end is not loopback (or unconnected)."""
    inodes = (
        set().union(*(_socket_inodes(p) for p in process_tree(pid)))
        if Path(f"/proc/{pid}").exists()
        else set()
    )
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, inode = parts[1], parts[2], parts[9]
            if inode not in inodes:
                continue
            rip, rport = _decode(remote)
            if rport == 0 and table.startswith("udp"):
                continue  # an unconnected UDP socket talks to nobody yet
            if not _is_loopback(rip):
                found.append(f"{table} {_decode(local)} -> {rip}:{rport}")
    return found


# ----------------------------------------------------------------------------- browser
def foreign_urls(urls) -> list[str]:
    """The URLs that leave localhost (data:, blob:, about: and chrome: URLs are local)."""
    out = []
    for u in urls:
        p = urlparse(u)
        if p.scheme in ("data", "blob", "about", "chrome", "chrome-extension"):
            continue
        if p.hostname not in LOCAL_HOSTS:
            out.append(u)
    return out


class Visit:
    """A browser page that records every request and websocket it opens, and console errors."""

    def __init__(self, browser, width: int = 1280, height: int = 720):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.urls: list[str] = []
        self.console_errors: list[str] = []
        self.failed: list[str] = []
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("websocket", lambda ws: self.urls.append(ws.url))
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))

    def open(self, url: str, timeout: float = 120_000) -> None:
        """Go to url and wait until the script run is finished and charts are drawn."""
        self.page.goto(url)
        wait_idle(self.page, timeout)

    def foreign_requests(self) -> list[str]:
        """Requests that left localhost (data: and blob: URLs are local)."""
        return foreign_urls(self.urls)

    def close(self) -> None:
        self.context.close()


def wait_idle(page, timeout: float = 120_000) -> None:
    """The app has rendered something, its script is idle, and every visible chart has drawn.

    NB: a chart in an inactive st.tabs panel (display: none) is drawn only when its tab is
    opened, so only visible charts are waited for. NB 2: the script can be idle before a chart
    element exists: Streamlit shows a placeholder (stSkeleton) until the chart's JavaScript
    chunk has loaded (about a second on a first visit to a slow machine), so a page with a
    visible skeleton is not finished either.
    """
    page.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)
    page.wait_for_function(CHARTS_DRAWN, timeout=timeout)
    page.wait_for_selector(IDLE, timeout=timeout)


def launch_chromium(playwright):
    """Headless Debian Chromium with background networking off."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


# ----------------------------------------------------------------------------- AppTest of the frame
APP = str(ROOT / "app.py")
ENTRY = str(ROOT / "tests" / "frame_entry" / "app.py")  # runs app.py; see its docstring


def registered_pages() -> list[str]:
    """Every page file the frame registers ("pages/x.py" string literals in ui/frame.py), in order."""
    tree = ast.parse((ROOT / "ui" / "frame.py").read_text(encoding="utf-8"))
    found = [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant)
        and isinstance(n.value, str)
        and n.value.startswith("pages/")
        and n.value.endswith(".py")
    ]
    return list(dict.fromkeys(found))


def presets() -> list[tuple[str, str, str, dict]]:
    """The Start page's PRESETS list (page, name, what you will see, query params)."""
    tree = ast.parse((ROOT / "pages" / "start.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PRESETS" for t in node.targets):
            return [tuple(p) for p in ast.literal_eval(node.value)]
    return []


def new_app(
    page: str | None = None,
    query: dict | None = None,
    timeout: float = 120,
    eager: bool | None = None,
    entry: str = ENTRY,
):
    """A fresh AppTest of app.py, switched to `page`, with URL query params (not yet run).

    eager: draw every section of a page in one run (ui.lazy.EAGER), so every chart is checked;
    eager=False runs the page as the server does (only the open tab's content). entry=APP runs app.py
    itself (each sub-page run then goes through ui.frame.require's v1 path). Default: eager,
    unless GRADFLOW_TEST_EAGER=0 (the page benches set it: they time what the server runs).
    """
    if eager is None:
        eager = os.environ.get("GRADFLOW_TEST_EAGER", "1") != "0"
    from streamlit.testing.v1 import AppTest

    from ui.lazy import EAGER

    at = AppTest.from_file(entry, default_timeout=timeout)
    if eager:
        at.session_state[EAGER] = True
    if page is not None and page != "pages/start.py":
        at.switch_page(str(ROOT / page))
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def chart_problems(at) -> list[str]:
    """Non-finite or missing numbers in any Vega-Lite chart's spec or datasets on the page."""
    import pyarrow as pa

    problems: list[str] = []
    for i, chart in enumerate(at.get("vega_lite_chart")):
        proto = chart.proto

        def bad_constant(c, i=i):
            problems.append(f"chart {i}: spec contains {c}")
            return 0.0

        spec = json.loads(proto.spec, parse_constant=bad_constant)
        _walk_numbers(spec, f"chart {i} spec", problems)
        datasets = [d.data.data for d in proto.datasets] + [proto.data.data]
        for raw in datasets:
            if not raw:
                continue
            table = pa.ipc.open_stream(raw).read_all()
            for name, col in zip(table.column_names, table.columns, strict=True):
                if not (
                    pa.types.is_floating(col.type)
                    or pa.types.is_integer(col.type)
                    or pa.types.is_decimal(col.type)
                ):
                    continue
                if col.null_count:
                    problems.append(f"chart {i}: column {name!r} has {col.null_count} null/NaN values")
                values = col.to_numpy(zero_copy_only=False)
                nonfinite = [v for v in values.tolist() if v is not None and not math.isfinite(v)]
                if nonfinite:
                    problems.append(f"chart {i}: column {name!r} has non-finite values {nonfinite[:3]}")
    return problems


def _walk_numbers(obj, where: str, problems: list[str]) -> None:
    """Append a problem for every non-finite float inside a parsed JSON object."""
    if isinstance(obj, float) and not math.isfinite(obj):
        problems.append(f"{where}: {obj}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk_numbers(v, f"{where}.{k}", problems)
    elif isinstance(obj, list):
        for v in obj:
            _walk_numbers(v, where, problems)


def assert_healthy(at, context: str) -> None:
    """No exception element, no error alert with a traceback, every chart finite."""
    assert not at.exception, f"{context}: exception {[e.value for e in at.exception]}"
    problems = chart_problems(at)
    assert not problems, f"{context}: {problems}"


LONG = os.environ.get("RELIABILITY_LONG", "").lower() in ("1", "true", "yes")


def long_run(config=None) -> bool:
    """True when the long (hand-run) sizes were asked for."""
    return LONG or bool(config is not None and config.getoption("--long"))


def notes_by_tab(at) -> dict[str, list[str]]:
    """tab label -> the points of each "What to notice" list drawn inside that tab (an eager run draws every
    tab), and "" -> those outside every tab. A tab's own nested tabs count as their parent's."""
    out: dict[str, list[str]] = {}

    def walk(node, tab: str | None, state: dict) -> None:
        kind = type(node).__name__
        label = getattr(node, "label", None) if kind == "Tab" else None
        here = tab if tab is not None else label
        value = getattr(node, "value", None) if kind in ("Subheader", "Markdown") else None
        if kind == "Subheader" and value == "What to notice":
            state["open"] = here or ""
        elif kind == "Markdown" and state.get("open") is not None:
            out.setdefault(state.pop("open"), []).extend(
                p[2:] for p in str(value).split("\n") if p.startswith("- ")
            )
        for child in getattr(node, "children", {}).values():
            walk(child, here, state)

    walk(at.main, None, {})
    return out


# ----------------------------------------------------------------------------- the cells' test arrays
CELL_SIZES = (3, 5, 4, 6)  # N, T, D, H of the cells' gradient checks


def cell_arrays(rng, gates: int, sizes=CELL_SIZES) -> dict:
    """x, h0, Wx, Wh, b of a cell with `gates` blocks (rnn 1, gru 3, lstm 4), float64, moderate scales."""
    N, T, D, H = sizes
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.standard_normal((N, H)),
        Wx=rng.standard_normal((D, gates * H)) * 0.5,
        Wh=rng.standard_normal((H, gates * H)) * 0.5,
        b=rng.standard_normal(gates * H) * 0.3,
    )


def assert_grads(fn, arrays: dict, analytic: dict, tol: float = 1e-6) -> None:
    """Every analytic gradient against gradcore.gradcheck's centred differences, relative error < tol."""
    from gradcore.gradcheck import numerical_gradient, rel_error

    for name, g in analytic.items():
        err = rel_error(g, numerical_gradient(fn, arrays, name))
        assert err < tol, f"{name}: rel error {err:.2e}"
