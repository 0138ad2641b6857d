"""Every st.cache_data / st.cache_resource in the app is bounded (max_entries), so a lecture
hall of sessions with different settings cannot grow the server's memory without limit."""

from __future__ import annotations

import ast

from helpers import ROOT

SOURCES = [
    ROOT / "app.py",
    *sorted((ROOT / "pages").glob("*.py")),
    *sorted((ROOT / "ui").glob("*.py")),
    *sorted((ROOT / "lessons").glob("*.py")),
]


def cache_decorators(path) -> list[tuple[int, str, bool]]:
    """(line, decorator, has max_entries) for every st.cache_* use in a file."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for d in node.decorator_list:
            name = ast.unparse(d.func if isinstance(d, ast.Call) else d)
            if name.split(".")[-1] in ("cache_data", "cache_resource"):
                bounded = isinstance(d, ast.Call) and any(
                    k.arg == "max_entries"
                    and not (isinstance(k.value, ast.Constant) and k.value.value is None)
                    for k in d.keywords
                )
                out.append((node.lineno, f"{node.name} @{name}", bounded))
    return out


def test_every_cache_has_max_entries():
    found = {str(p.relative_to(ROOT)): cache_decorators(p) for p in SOURCES}
    unbounded = {f: [c for c in cs if not c[2]] for f, cs in found.items() if any(not c[2] for c in cs)}
    assert not unbounded, f"caches without max_entries: {unbounded}"
    assert sum(len(cs) for cs in found.values()) >= 5, found
