"""Offline: the server makes no outbound connection, and the app works with no network at all.

1. Config: usage statistics off and no e-mail prompt in .streamlit/config.toml (the only
   outbound calls Streamlit itself would make), and no page or UI module loads anything
   from a URL at run time (no requests/urllib/http client, no remote fonts or images).
2. Watched: a server on the normal network serves every page to Chromium while its sockets
   (/proc/<pid>/net/tcp, tcp6, udp, udp6) are polled every 50 ms: no remote end other than
   loopback, ever (start-up included).
3. Isolated: the same probe inside a new network namespace with only loopback
   (`unshare -rn`, as root in CI): every page still loads without an exception box.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys

import pytest
from helpers import CHROMIUM, IN_CI, ROOT, foreign_connections, registered_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PROBE = ROOT / "tests" / "offline_probe.py"


def _need_chromium():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")


def _probe(prefix: list[str]) -> dict:
    cmd = [*prefix, sys.executable, str(PROBE)] + (["--lo-up"] if prefix else [])
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert r.returncode == 0 and lines, (
        f"probe failed ({r.returncode}): {r.stdout[-2000:]} {r.stderr[-2000:]}"
    )
    return json.loads(lines[-1])


def test_socket_watcher_sees_a_foreign_peer():
    """The /proc watcher can fail: a UDP socket connected to 192.0.2.1 (TEST-NET, no packet sent)."""
    assert foreign_connections(os.getpid()) == []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 53))
        except OSError:
            pytest.skip("no route at all for a test address (fine: then nothing can leave either)")
        found = foreign_connections(os.getpid())
    assert any("192.0.2.1:53" in c for c in found), found


def test_config_keeps_the_server_quiet():
    tomllib = pytest.importorskip("tomllib")
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["server"]["showEmailPrompt"] is False
    assert "font" not in cfg.get("theme", {}) or not str(cfg["theme"]["font"]).startswith("http")
    # nothing in the app fetches from the network at run time
    sources = [
        ROOT / "app.py",
        *(ROOT / "pages").glob("*.py"),
        *(ROOT / "ui").glob("*.py"),
        *(ROOT / "lessons").glob("*.py"),
        *(ROOT / "gradcore").glob("*.py"),
    ]
    fetch = re.compile(
        r"^\s*(import|from)\s+(requests|urllib\.request|http\.client|httpx|aiohttp|socket)\b"
        r"|urlopen\(|st\.image\(\s*[\"']https?://|@import\s+url\(|fonts\.googleapis",
        re.M,
    )
    hits = [
        f"{p.relative_to(ROOT)}: {m.group(0).strip()}"
        for p in sources
        for m in fetch.finditer(p.read_text(encoding="utf-8"))
    ]
    assert not hits, hits


def test_server_opens_no_outbound_connection_while_serving():
    _need_chromium()
    out = _probe([])
    assert set(out["pages"]) == set(registered_pages())
    bad = {p: v for p, v in out["pages"].items() if not v["ok"]}
    assert not bad, bad
    assert out["foreign_connections"] == [], out["foreign_connections"]
    assert out["foreign_requests"] == [], out["foreign_requests"]


def test_app_works_in_a_loopback_only_network_namespace():
    _need_chromium()
    unshare = shutil.which("unshare")
    ok = (
        unshare and subprocess.run([unshare, "-rn", "true"], capture_output=True, check=False).returncode == 0
    )
    if not ok:
        # NB: a container without user namespaces cannot do this; test 2 still watches the sockets.
        pytest.skip("unshare -rn is not permitted here (no user/network namespaces)")
    out = _probe([unshare, "-rn"])
    bad = {p: v for p, v in out["pages"].items() if not v["ok"]}
    assert set(out["pages"]) == set(registered_pages()) and not bad, out["pages"]
    assert out["foreign_connections"] == [], out["foreign_connections"]
