"""gradcore.kernels: importing gradcore before NumPy pins the float32 kernels (recorded runs replay exactly)."""
from __future__ import annotations

import ast
import platform
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import fresh_python_json

ROOT = Path(__file__).resolve().parents[1]

PROBE = r'''
import json, os, sys
import gradcore
import numpy as np
from numpy._core._multiarray_umath import __cpu_features__ as f
print(json.dumps({"pinned": gradcore.kernels.PINNED,
                  "env": {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES",
                                                         "OPENBLAS_NUM_THREADS")},
                  "x86_v4": bool(f.get("X86_V4")), "x86_v3": bool(f.get("X86_V3"))}))
'''


def _probe(env: dict) -> dict:
    return fresh_python_json(PROBE, env=env)


def _x86_avx2() -> bool:
    from gradcore import kernels

    return platform.machine().lower() in ("x86_64", "amd64") and {"avx2", "fma"} <= kernels._cpu_flags()


@pytest.mark.skipif(not _x86_avx2(), reason="the pin applies to x86-64 CPUs with AVX2 and FMA only")
def test_importing_gradcore_first_pins_blas_and_numpy_dispatch():
    got = _probe({})
    assert got["pinned"].startswith("pinned"), got
    assert got["env"] == {"OPENBLAS_CORETYPE": "Haswell", "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
                          "OPENBLAS_NUM_THREADS": "1"}
    assert got["x86_v4"] is False  # NumPy's AVX-512 loops are off, whatever this CPU has
    assert got["x86_v3"] is True  # and its AVX2 ones are on


def test_a_value_the_user_set_wins():
    got = _probe({"OPENBLAS_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Zen"})
    assert got["env"]["OPENBLAS_NUM_THREADS"] == "2"
    if got["pinned"].startswith("pinned"):
        assert got["env"]["OPENBLAS_CORETYPE"] == "Zen"


def test_too_late_once_numpy_is_loaded():
    from gradcore import kernels

    env: dict = {}
    assert "numpy" in sys.modules
    assert kernels.pin(env).startswith("numpy already loaded") and env == {}


def test_entry_points_import_gradcore_before_numpy():
    """app.py and the record command import gradcore before anything that loads NumPy."""
    for path, before in ((ROOT / "app.py", "ui"), (ROOT / "lessons" / "record_remedies.py", "lessons")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = []
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module.split(".")[0])
        assert "gradcore" in names and names.index("gradcore") < names.index(before), (path, names)
        assert "numpy" not in names[:names.index("gradcore")]
    r = subprocess.run([sys.executable, "-c", "import sys, streamlit; print('numpy' in sys.modules)"],
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False"  # app.py's first import does not load NumPy
