"""serve.kernels: the entry points pin one BLAS thread and the float32 kernels; importing gradcore changes nothing."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import fresh_python_json

from serve import kernels

ROOT = Path(__file__).resolve().parents[2]
VARS = ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES", "OPENBLAS_NUM_THREADS")

PROBE = r"""
import json, os
from serve import kernels
before = dict(os.environ)
import gradcore                      # must change nothing
unchanged = dict(os.environ) == before
said = kernels.pin()                 # what an entry point does, before NumPy loads... unless gradcore loaded it
print(json.dumps({"unchanged": unchanged, "said": said, "in_effect": kernels.in_effect()}))
"""

PIN_FIRST = r"""
import json, os
from serve import kernels
said = kernels.pin()
import numpy as np
simd = np.show_config(mode="dicts")["SIMD Extensions"]
print(json.dumps({"said": said, "env": {k: os.environ.get(k) for k in VARS}, "found": simd["found"],
                  "in_effect": kernels.in_effect()}))
""".replace("VARS", repr(VARS))


def test_importing_gradcore_changes_nothing_in_the_environment():
    got = fresh_python_json(PROBE)
    assert got["unchanged"] is True
    assert got["said"].startswith("numpy already loaded")  # gradcore loaded NumPy: too late to pin
    assert got["in_effect"] is False


@pytest.mark.skipif(not kernels.x86_avx2(), reason="the pin applies to x86-64 CPUs with AVX2 and FMA only")
def test_pin_before_numpy_pins_blas_and_numpy_dispatch():
    got = fresh_python_json(PIN_FIRST)
    assert got["said"].startswith("pinned"), got
    assert got["env"] == {
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": kernels.numpy_disable_list(),
        "OPENBLAS_NUM_THREADS": "1",
    }
    assert not set(got["found"]) & set(kernels.numpy_disable_list().split())  # nothing above AVX2 dispatched
    assert got["in_effect"] is True


def test_pin_elsewhere_sets_only_the_thread_count(monkeypatch):
    monkeypatch.setattr(kernels, "x86_avx2", lambda: False)
    assert kernels.pinned_env({}) == dict.fromkeys(kernels.THREADS, "1")


def test_a_value_the_user_set_wins():
    got = fresh_python_json(PIN_FIRST, env={"OPENBLAS_NUM_THREADS": "2", "OPENBLAS_CORETYPE": "Zen"})
    assert got["env"]["OPENBLAS_NUM_THREADS"] == "2"
    assert got["in_effect"] is False  # not the kernels the records were made with
    if kernels.x86_avx2():
        assert got["env"]["OPENBLAS_CORETYPE"] == "Zen"


def test_too_late_once_numpy_is_loaded():
    import numpy  # noqa: F401

    env: dict = {}
    assert kernels.pin(env).startswith("numpy already loaded") and env == {}


def test_numpy_names_its_targets_by_version():
    assert kernels.numpy_disable_list((2, 4)) == "X86_V4 AVX512_ICL AVX512_SPR"
    assert kernels.numpy_disable_list((2, 3)).split()[-2:] == ["AVX512_ICL", "AVX512_SPR"]
    assert kernels.numpy_disable_list((2, 0)).startswith(
        "AVX512F "
    ) and "AVX512_SPR" not in kernels.numpy_disable_list((2, 0))


def test_pinning_warns_nothing_at_numpy_import():
    """A name this NumPy does not dispatch would give an ImportWarning (an error under -W error)."""
    code = (
        "import json, warnings\nwarnings.simplefilter('error')\nfrom serve import kernels\nkernels.pin()\n"
        "import numpy\nprint(json.dumps(True))"
    )
    assert fresh_python_json(code) is True


def test_reexec_pinned_starts_the_command_again_with_the_pin():
    code = (
        "import json, numpy\n"
        "from serve import kernels\n"
        "kernels.reexec_pinned()\n"
        "import os; print(json.dumps({'threads': os.environ.get('OPENBLAS_NUM_THREADS'),"
        " 'in_effect': kernels.in_effect()}))"
    )
    got = fresh_python_json(code)
    assert got["threads"] == "1"
    assert got["in_effect"] is kernels.x86_avx2()


def test_app_sets_up_the_server_before_anything_loads_numpy():
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    calls = [n for n in tree.body if isinstance(n, ast.Expr) and isinstance(n.value, ast.Call)]
    first_call = ast.unparse(calls[0].value)
    imports_before = [
        a.name for n in tree.body[: tree.body.index(calls[0])] if isinstance(n, ast.Import) for a in n.names
    ]
    assert first_call == "serve.setup()" and imports_before == ["serve"]
    r = subprocess.run(
        [sys.executable, "-c", "import sys, streamlit, serve; print('numpy' in sys.modules)"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.stdout.strip() == "False"  # streamlit run has not loaded NumPy when app.py starts
