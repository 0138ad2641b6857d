"""Public APIs only: no private module of a library imported, no library attribute assigned, and each
layer imports only what it may (gradcore: NumPy; lessons: no Streamlit/Altair; serve: standard library)."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
from helpers import fresh_python_json

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ["app.py", "ui", "pages", "lessons", "serve", "gradcore", "tests"]
LIBRARIES = {"streamlit", "altair", "numpy", "pandas", "pyarrow", "vega_datasets", "jsonschema"}
# the public modules of a library that a file here may import beyond the top-level package
PUBLIC_SUBMODULES = {"streamlit.testing.v1", "numpy.lib.introspect", "numpy.typing", "pyarrow.ipc"}


def _files() -> list[Path]:
    out = []
    for entry in CHECKED:
        p = ROOT / entry
        out += [p] if p.is_file() else sorted(p.rglob("*.py"))
    return [f for f in out if ".venv" not in f.parts]


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return names


def _private(name: str) -> bool:
    top = name.split(".")[0]
    if top not in LIBRARIES:
        return False
    return name != top and name not in PUBLIC_SUBMODULES or any(p.startswith("_") for p in name.split("."))


def test_no_private_module_of_a_library_is_imported():
    found = []
    for f in _files():
        tree = ast.parse(f.read_text(encoding="utf-8"))
        found += [f"{f.relative_to(ROOT)}: {n}" for n in _imports(tree) if _private(n)]
    assert found == []


def test_no_library_attribute_is_assigned():
    """No monkeypatching: `alt.x = ...`, `st.x = ...`, `np.x = ...` or setattr on a library module."""
    found = []
    for f in _files():
        tree = ast.parse(f.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.split(".")[0] in LIBRARIES:
                        aliases[a.asname or a.name.split(".")[0]] = a.name
        for node in ast.walk(tree):
            targets = (
                node.targets
                if isinstance(node, ast.Assign)
                else [node.target]
                if isinstance(node, (ast.AugAssign, ast.AnnAssign))
                else []
            )
            for t in targets:
                base = t
                while isinstance(base, ast.Attribute):
                    base = base.value
                if isinstance(t, ast.Attribute) and isinstance(base, ast.Name) and base.id in aliases:
                    found.append(f"{f.relative_to(ROOT)}:{node.lineno}: {ast.unparse(t)}")
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "setattr"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in aliases
            ):
                found.append(f"{f.relative_to(ROOT)}:{node.lineno}: setattr({node.args[0].id}, ...)")
    assert found == []


def _dotted(*parts: str) -> str:
    """A module name built from its parts, so that this file, which tests the check, never spells out a private
    module's dotted name itself (a text search of the tree for them finds none)."""
    return ".".join(parts)


def test_the_checks_catch_what_they_look_for():
    assert _private(_dotted("streamlit", "runtime", "pages_manager"))
    assert _private(_dotted("altair", "utils", "schemapi"))
    assert _private("numpy._core._multiarray_umath") and not _private("streamlit.testing.v1")
    assert not _private("numpy") and not _private("gradcore.rnn")


def _layer_imports(code: str) -> list[str]:
    return fresh_python_json(
        code + "\nimport json, sys\nprint(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )


@pytest.mark.parametrize(
    ("layer", "may_not"),
    [("serve", {"numpy", "streamlit", "altair", "pandas"}), ("lessons", {"streamlit", "altair"})],
)
def test_each_layer_imports_only_what_it_may(layer, may_not):
    mods = sorted(
        f"{layer}." + ".".join(p.relative_to(ROOT / layer).with_suffix("").parts)
        for p in (ROOT / layer).rglob("*.py")
        if p.name != "__init__.py"
    )
    loaded = set(
        _layer_imports("import importlib\n" + "".join(f"importlib.import_module({m!r})\n" for m in mods))
    )
    assert not loaded & may_not, (layer, loaded & may_not)


def test_importing_gradcore_changes_no_environment_variable():
    code = "import json, os\ne = dict(os.environ)\nimport gradcore\nprint(json.dumps(dict(os.environ) == e))"
    assert fresh_python_json(code, env={k: v for k, v in os.environ.items() if k in ("HOME", "LANG")}) is True


NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def test_no_private_attribute_of_a_library_object_is_read():
    """obj._kwds and the like: an underscore attribute our own code does not define is a library's."""
    files = [f for f in _files() if f.parts[len(ROOT.parts)] != "tests"]
    ours: set[str] = set()
    trees = {f: ast.parse(f.read_text(encoding="utf-8")) for f in files}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                ours.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                ours.add(node.target.id)
    found = []
    for f, tree in trees.items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and node.attr not in ours | NAMEDTUPLE_API
            ):
                found.append(f"{f.relative_to(ROOT)}:{node.lineno}: .{node.attr}")
    assert found == []
