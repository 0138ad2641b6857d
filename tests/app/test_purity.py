"""gradcore is pure NumPy: importing all of it in a fresh interpreter pulls in no UI library."""

import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import gradcore

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("streamlit", "altair", "pandas")


def test_gradcore_imports_no_ui_library():
    modules = sorted(m.name for m in pkgutil.iter_modules(gradcore.__path__, "gradcore."))
    assert {"gradcore.losses", "gradcore.init", "gradcore.jacobians", "gradcore.attribution"} <= set(modules)
    code = (
        "import importlib, json, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
