"""Open every page of a fresh `streamlit run app.py` in Chromium; print a JSON verdict.

Run by tests/app/test_offline.py inside a network namespace that has only loopback
(`unshare -rn sh -c "ip link set lo up && python tests/offline_probe.py"`), so any outbound
connection the server or the page tries simply fails; the app must still load every page.
While the pages load, the server's sockets are polled (/proc/<pid>/net/*) for any remote end
that is not loopback. Output (last line): {"pages": {...}, "foreign_connections": [...],
"foreign_requests": [...], "startup_s": ...}.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import (  # noqa: E402
    ROOT,
    Visit,
    foreign_connections,
    free_port,
    launch_chromium,
    registered_pages,  # noqa: E402
    start_server,
    stop_server,
    url_path,
    wait_healthy,
)


def loopback_up() -> None:
    """Bring `lo` up (a new network namespace starts with it down); no `ip` binary needed."""
    import fcntl
    import socket
    import struct

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        req = struct.pack("16sh", b"lo", 0)
        flags = struct.unpack("16sh", fcntl.ioctl(s, 0x8913, req))[1]  # SIOCGIFFLAGS
        fcntl.ioctl(s, 0x8914, struct.pack("16sh", b"lo", flags | 0x1))  # SIOCSIFFLAGS, IFF_UP


def main() -> int:
    if "--lo-up" in sys.argv:
        loopback_up()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, log_path=ROOT / ".streamlit-offline-server.log")
    seen: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            for c in foreign_connections(proc.pid):
                if c not in seen:
                    seen.append(c)
            stop.wait(0.05)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out: dict = {"pages": {}, "foreign_requests": []}
    try:
        out["startup_s"] = round(wait_healthy(base, proc, timeout=120), 2)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = launch_chromium(p)
            for page in registered_pages():
                v = Visit(browser)
                try:
                    v.open(base + url_path(page))
                    n_exc = v.page.locator("[data-testid='stException']").count()
                    out["pages"][page] = {
                        "ok": n_exc == 0,
                        "title": v.page.locator("h1").first.inner_text()[:60],
                    }
                    out["foreign_requests"] += v.foreign_requests()
                except Exception as e:  # noqa: BLE001 (reported, the test fails on it)
                    out["pages"][page] = {"ok": False, "error": f"{type(e).__name__}: {str(e)[:200]}"}
                finally:
                    v.close()
            browser.close()
        time.sleep(1)
    finally:
        stop.set()
        watcher.join(timeout=2)
        stop_server(proc)
    out["foreign_connections"] = seen
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
