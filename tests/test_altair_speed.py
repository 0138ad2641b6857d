"""ui.altair_speed's patches (the shared schema table, layers without params copied shallowly,
.properties() validated only in debug mode): every chart spec must come out exactly as with
Altair as shipped, with validation on (the tests) and off (the app). Each side runs in a fresh
interpreter (the patches are installed on import)."""
from __future__ import annotations

from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from helpers import fresh_python_json

ROOT = Path(__file__).resolve().parents[1]

BUILD = r'''
import hashlib, json, sys
import numpy as np, pandas as pd
import altair as alt
from altair.utils import schemapi
from altair.vegalite.v6 import api
if sys.argv[1] == "shipped":  # mark Altair's own functions as patched: the install_* calls then leave them
    schemapi._FromDict._tables_shared = True
    api._remove_duplicate_params._fast_path = True
    schemapi.SchemaBase.validate_property.__func__._follows_debug_mode = True
from ui import altair_speed, charts, show
patched = [schemapi._FromDict.__init__.__module__, api._remove_duplicate_params.__module__,
           api._combine_subchart_params.__module__, schemapi.SchemaBase.validate_property.__func__.__module__]
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
# charts with selection parameters and named views: the layer fast path must step aside for these
sel = alt.selection_point(fields=["run"], bind="legend")
pick = alt.Chart(df).mark_line().encode(x="k:Q", y="v:Q", color="run:N").add_params(sel)
dots = alt.Chart(df).mark_point().encode(x="k:Q", y="v:Q", opacity=alt.condition(sel, alt.value(1), alt.value(0.2)))
specs += [alt.layer(pick, dots).properties(height=200, title="with params"),
          alt.hconcat(alt.layer(pick, dots), alt.layer(pick, dots)),
          alt.layer(alt.Chart(df, name="named").mark_line().encode(x="k:Q", y="v:Q"), dots),
          charts.log_line(df, "k", "v", "run", x_title="k", y_title="norm") + dots]
out = []
for c in specs:
    s = show.chart_spec(c, lecture=True)
    s["datasets"] = {n: hashlib.md5(v if isinstance(v, bytes) else json.dumps(v).encode()).hexdigest()
                     for n, v in s["datasets"].items()}
    out.append(s)
print(json.dumps({"patched": patched, "specs": out}, sort_keys=True, default=str))
'''


def _specs(mode: str, validate: str) -> dict:
    return fresh_python_json(BUILD, mode, env={"CHECK_CHART_SPECS": validate})


@pytest.mark.parametrize("validate", ["1", "0"], ids=["validated (tests)", "not validated (app)"])
def test_patched_altair_gives_identical_specs(validate):
    fast, shipped = _specs("fast", validate), _specs("shipped", validate)
    assert fast["patched"] == ["ui.altair_speed"] * 4
    assert shipped["patched"] == ["altair.utils.schemapi", "altair.vegalite.v6.api", "altair.vegalite.v6.api",
                                  "altair.utils.schemapi"]
    assert len(fast["specs"]) == 9
    assert fast["specs"] == shipped["specs"]


def test_layer_fast_path_leaves_the_callers_charts_alone():
    import altair as alt

    from ui import charts  # noqa: F401  (installs ui.altair_speed's patches)

    a = alt.Chart(pd.DataFrame({"x": [1, 2]}), height=100).mark_line().encode(x="x:Q")
    b = alt.Chart().mark_rule().encode(x="x:Q")
    before = (a.to_dict(), b.to_dict())
    layered = alt.layer(a, b, data=pd.DataFrame({"x": [3]}))
    assert layered.height == 100 and layered.layer[0].height is alt.Undefined
    assert (a.to_dict(), b.to_dict()) == before  # the layer got copies, not the caller's charts


def test_property_validation_follows_debug_mode():
    import altair as alt
    from altair.utils import schemapi

    from ui import charts  # noqa: F401  (installs the patches)

    with schemapi.debug_mode(True), pytest.raises(jsonschema.ValidationError):
        alt.Chart().properties(height="not a height")
    with schemapi.debug_mode(False):
        alt.Chart().properties(height=120)  # no schema lookup at all
