"""Security basics: raw HTML only from constants, XSRF on, no secrets, patched dependency floors.

1. Raw HTML: every `unsafe_allow_html=True`, `st.html(...)` and `components.html(...)` call in
   the app (app.py, pages/, ui/, lessons/) gets a string literal or a module-level constant
   string (e.g. ui.show.LECTURE_CSS), never anything built at run time (so nothing a URL or
   a widget holds can reach the browser as HTML). Markdown without unsafe_allow_html is
   escaped by Streamlit; the URL notices put the raw value in a code span with backticks removed.
2. XSRF: the config does not turn XSRF protection (or CORS) off, and a live server sets the
   `_streamlit_xsrf` cookie and refuses an upload without the token (403).
3. Secrets: no private keys, tokens or passwords in any tracked file; no secrets.toml / .env.
4. Dependencies: requirements.txt floors exclude the releases with the advisories listed in
   its comments, and the installed versions satisfy requirements.txt.
"""

from __future__ import annotations

import ast
import re
import subprocess
import urllib.error
import urllib.request
from importlib import metadata

import pytest
from helpers import ROOT, free_port, start_server, stop_server, wait_healthy

APP_SOURCES = [
    ROOT / "app.py",
    *sorted((ROOT / "pages").glob("*.py")),
    *sorted((ROOT / "ui").glob("*.py")),
    *sorted((ROOT / "lessons").glob("*.py")),
]


def _constant_strings(tree: ast.Module) -> set[str]:
    """Names bound once at module level to a string literal (NAME = "..." / NAME = \"\"\"...\"\"\")."""
    counts: dict[str, int] = {}
    consts = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                if isinstance(t, ast.Name):
                    counts[t.id] = counts.get(t.id, 0) + 1
                    if (
                        node in tree.body
                        and isinstance(node.value, ast.Constant)
                        and isinstance(node.value.value, str)
                    ):
                        consts.add(t.id)
    return {n for n in consts if counts[n] == 1}


def _is_constant(node: ast.AST, consts: set[str]) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return True
    if isinstance(node, ast.Name) and node.id in consts:
        return True
    return (
        isinstance(node, ast.BinOp) and _is_constant(node.left, consts) and _is_constant(node.right, consts)
    )


def raw_html_calls(path) -> list[tuple[int, str, bool]]:
    """(line, call, argument is constant) for every raw-HTML call in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    consts = _constant_strings(tree)
    out = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = ast.unparse(node.func)
        unsafe = any(
            k.arg == "unsafe_allow_html"
            and not (isinstance(k.value, ast.Constant) and k.value.value is False)
            for k in node.keywords
        )
        html_call = name.endswith(".html") and (
            name.startswith("st") or "components" in name or name == "html"
        )
        if unsafe or html_call:
            arg = (
                node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "body"), None)
            )
            out.append((node.lineno, name, arg is not None and _is_constant(arg, consts)))
    return out


def test_raw_html_only_from_constants():
    found = {str(p.relative_to(ROOT)): raw_html_calls(p) for p in APP_SOURCES}
    bad = {f: [c for c in calls if not c[2]] for f, calls in found.items() if any(not c[2] for c in calls)}
    assert not bad, f"raw HTML built at run time: {bad}"
    # the one known use (lecture-mode CSS) is seen, so the scan itself works
    assert any(calls for calls in found.values()), "scan found no st.html at all: is it still looking?"


def test_scan_catches_a_runtime_html(tmp_path):
    p = tmp_path / "x.py"
    p.write_text(
        'import streamlit as st\nCSS = "<b>"\nv = st.query_params.get("x")\n'
        'st.html(CSS)\nst.markdown(f"<i>{v}</i>", unsafe_allow_html=True)\nst.html("<hr>" + v)\n'
    )
    calls = raw_html_calls(p)
    assert [c[2] for c in calls] == [True, False, False], calls


def _config_text() -> str:
    return (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")


def test_xsrf_and_cors_not_disabled_in_config():
    text = _config_text()
    for option in ("enableXsrfProtection", "enableCORS"):
        assert not re.search(rf"^\s*{option}\s*=\s*false", text, re.M | re.I), f"{option} turned off"
    from helpers import server_command

    cmd = " ".join(server_command(8501))
    assert "enableXsrfProtection" not in cmd and "enableCORS" not in cmd


@pytest.mark.slow
def test_live_server_enforces_xsrf():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start_server(port, log_path=ROOT / ".streamlit-test-server.log")
    try:
        wait_healthy(base, proc)
        with urllib.request.urlopen(base + "/_stcore/health", timeout=10) as r:
            cookies = r.headers.get_all("Set-Cookie") or []
        assert any(c.startswith("_streamlit_xsrf=") for c in cookies), cookies
        req = urllib.request.Request(base + "/_stcore/upload_file/session/file", data=b"x", method="PUT")
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req, timeout=10)
        assert err.value.code == 403
    finally:
        stop_server(proc)


SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})\b"),
    "Slack token": re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "OpenAI-style key": re.compile(r"\bsk-[A-Za-z0-9]{32,}\b"),
    "password/secret/token assignment": re.compile(
        r"""(?i)\b(?:password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)\b\s*[:=]\s*["'][^"'\s]{8,}["']"""
    ),
}


def tracked_files() -> list[str]:
    r = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        pytest.skip("not a git checkout")
    return r.stdout.splitlines()


def test_no_secrets_in_tracked_files():
    files = tracked_files()
    forbidden = [f for f in files if f.endswith(("secrets.toml", ".env", ".pem", ".key", "id_rsa", ".p12"))]
    assert not forbidden, forbidden
    hits = []
    for f in files:
        path = ROOT / f
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        data = path.read_bytes()
        if b"\0" in data[:4096]:
            continue  # binary (PNG)
        text = data.decode("utf-8", errors="replace")
        for what, pat in SECRET_PATTERNS.items():
            for m in pat.finditer(text):
                if f == "tests/app/test_security.py":
                    continue  # the patterns themselves
                hits.append(f"{f}: {what}: {m.group(0)[:20]}...")
    assert not hits, hits


def test_secret_scan_would_fire():
    fake = "gh" + "p_" + "A" * 36
    assert SECRET_PATTERNS["GitHub token"].search(fake)
    assert SECRET_PATTERNS["password/secret/token assignment"].search('password = "hunter2hunter2"')


FLOORS = {  # package: the lowest release without the advisories named in requirements.txt
    "streamlit": "1.54.0",
    "starlette": "1.3.1",
    "python-multipart": "0.0.31",
    "pyarrow": "23.0.1",
    "pillow": "12.3",
    "h11": "0.16.0",
    "protobuf": "6.33.5",
}


def _requirements() -> dict:
    from packaging.requirements import Requirement

    reqs = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            r = Requirement(line)
            reqs[r.name.lower()] = r
    return reqs


def test_requirements_exclude_releases_with_advisories():
    from packaging.version import Version

    reqs = _requirements()
    for name, first_good in FLOORS.items():
        assert name in reqs, f"{name} has no floor in requirements.txt"
        spec = reqs[name].specifier
        below = Version(first_good)
        # the release just before the fix must be excluded, the fix itself admitted
        older = (
            Version(".".join(map(str, [*below.release[:-1], below.release[-1] - 1])))
            if below.release[-1]
            else None
        )
        if older is not None:
            assert older not in spec, f"{name} {spec} admits {older} (advisory fixed in {first_good})"
        assert spec.contains(first_good) or all(
            Version(first_good) < Version(s.version) for s in spec if s.operator in (">=", ">")
        ), (name, spec)


def test_installed_versions_satisfy_requirements():
    bad = []
    for name, req in _requirements().items():
        try:
            v = metadata.version(name)
        except metadata.PackageNotFoundError:
            bad.append(f"{name} not installed")
            continue
        if not req.specifier.contains(v, prereleases=True):
            bad.append(f"{name} {v} not in {req.specifier}")
    assert not bad, bad
