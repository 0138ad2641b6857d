"""ui.altair_speed shares Altair's schema table: every chart spec must come out exactly as with
Altair as shipped. Each side runs in a fresh interpreter (the patch is installed on import)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BUILD = r'''
import hashlib, json, sys
import numpy as np, pandas as pd
if sys.argv[1] == "shipped":
    from altair.utils import schemapi
    schemapi._FromDict._tables_shared = True  # install() then leaves Altair as shipped
from ui import altair_speed, charts, show
from altair.utils import schemapi
patched = schemapi._FromDict.__init__.__module__ == "ui.altair_speed"
k = np.arange(40)
df = pd.DataFrame({"k": np.r_[k, k], "v": np.r_[np.exp(-k / 3.0), np.where(k > 30, np.inf, 1.3 ** k)],
                   "run": ["a"] * 40 + ["b"] * 40})
hm = pd.DataFrame({"x": np.repeat(np.arange(6), 6), "y": np.tile(np.arange(6), 6), "z": np.arange(36) - 18.0})
specs = [
    charts.log_line(df, "k", "v", "run", x_title="k", y_title="norm", dashed=["b"], title="t"),
    charts.line(df[df.v < 1e9], "k", "v", "run", x_title="k", y_title="v", points=True),
    charts.heatmap(hm, "x", "y", "z", x_title="x", y_title="y", value_title="z", diverging=True),
    charts.bars(df[df.run == "a"], "k", "v", x_title="k", y_title="v", log=True),
    charts.eigen_scatter(np.exp(1j * np.linspace(0, 6, 12)) * 0.9, radius=0.9, circles=[("|z| = 1.2", 1.2)]),
]
out = []
for c in specs:
    s = show.chart_spec(c, lecture=True)
    s["datasets"] = {n: hashlib.md5(v if isinstance(v, bytes) else json.dumps(v).encode()).hexdigest()
                     for n, v in s["datasets"].items()}
    out.append(s)
print(json.dumps({"patched": patched, "specs": out}, sort_keys=True, default=str))
'''


def _specs(mode: str) -> dict:
    r = subprocess.run([sys.executable, "-c", BUILD, mode], cwd=ROOT, capture_output=True, text=True, timeout=120,
                       env={"PATH": "", "CHECK_CHART_SPECS": "1", "PYTHONPATH": str(ROOT)})
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_shared_schema_table_gives_identical_specs():
    fast, shipped = _specs("fast"), _specs("shipped")
    assert fast["patched"] is True and shipped["patched"] is False
    assert fast["specs"] == shipped["specs"]
