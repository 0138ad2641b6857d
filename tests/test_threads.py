"""app.py limits BLAS to one thread per call before anything can import NumPy.

Why: bench/bench_blas_threads.py (results in bench/results/blas_threads.json) -- with
OpenBLAS's 2 threads per call, the engine's small matrices stall on a shared CPU (one RNN page
computation 0.3 s -> 20 s). The variables only work if set before NumPy is first imported.
"""
from __future__ import annotations

import ast

from conftest import ROOT

VARS = {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}


def _imports(node) -> set[str]:
    if isinstance(node, ast.Import):
        return {a.name.split(".")[0] for a in node.names}
    if isinstance(node, ast.ImportFrom):
        return {(node.module or "").split(".")[0]}
    return set()


def test_app_sets_blas_threads_before_any_heavy_import():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    seen_vars: set[str] = set()
    for node in tree.body:
        names = _imports(node)
        if names - {"os", "__future__"}:
            assert seen_vars >= VARS, f"{names} imported before {VARS - seen_vars} was set"
            return
        for c in ast.walk(node):
            if isinstance(c, ast.Constant) and c.value in VARS:
                seen_vars.add(c.value)
    raise AssertionError("app.py imports nothing?")


def test_streamlit_import_does_not_load_numpy():
    """The premise of setting the variables in app.py: `import streamlit` leaves NumPy unloaded."""
    import subprocess
    import sys

    code = "import sys, streamlit; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False", out
