"""ui.charts: the chart builders (no running app): floors, overflow marks, finite specs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ui import charts, palette


def _spec_numbers(chart) -> list[float]:
    """Every number in the chart's full Vega-Lite spec, datasets included (json refuses NaN/inf)."""
    text = json.dumps(chart.to_dict(), allow_nan=False)  # raises ValueError on NaN/inf
    out: list[float] = []

    def walk(o):
        if isinstance(o, bool):
            return
        if isinstance(o, (int, float)):
            out.append(float(o))
        elif isinstance(o, dict):
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(json.loads(text))
    return out


def _layer_texts(chart) -> list[str]:
    """All text-mark labels in a layered chart's datasets."""
    d = chart.to_dict()
    texts = []
    for rows in d.get("datasets", {}).values():
        texts += [r["label"] for r in rows if "label" in r]
    return texts


def test_log_line_floors_zero_and_marks_overflow():
    df = pd.DataFrame(
        {
            "k": [0, 1, 2, 3, 0, 1, 2, 3],
            "norm": [1.0, 0.0, 1e-40, np.nan, 1.0, 1e10, np.inf, np.inf],
            "series": ["RNN"] * 4 + ["LSTM"] * 4,
        }
    )
    chart = charts.log_line(df, "k", "norm", "series", x_title="t - k", y_title="norm", floor=1e-30)
    nums = _spec_numbers(chart)
    assert all(math.isfinite(v) for v in nums)
    labels = _layer_texts(chart)
    assert any("LSTM overflowed at t - k = 2" in t for t in labels), labels
    assert any("RNN overflowed at t - k = 3" in t for t in labels), labels
    assert any(t.startswith("floor 1e-30") for t in labels), labels
    clean, flags = charts.clean_log(df, "k", "norm", "series", floor=1e-30)
    assert flags.floored == 2 and flags.overflow == {"RNN": 3.0, "LSTM": 2.0}
    assert clean["norm"].min() == 1e-30


def test_log_line_log10_input_goes_far_beyond_float64():
    df = pd.DataFrame({"k": np.arange(5), "log10_norm": [0.0, -200.0, -400.0, -np.inf, 500.0]})
    clean, flags = charts.clean_log(df, "k", "log10_norm", log10=True, floor=1e-300)
    assert flags.floored == 2  # -400 is below the floor 1e-300, -inf is an exact 0
    assert list(clean["log10_norm"]) == [0.0, -200.0, -300.0, -300.0, 500.0]
    chart = charts.log_line(df, "k", "log10_norm", log10=True, floor=1e-300, x_title="k", y_title="n")
    assert all(math.isfinite(v) for v in _spec_numbers(chart))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=30))
def test_builders_never_emit_non_finite_numbers(values):
    df = pd.DataFrame(
        {
            "x": np.arange(len(values)),
            "y": values,
            "s": ["RNN" if i % 2 else "bound" for i in range(len(values))],
        }
    )
    for chart in [
        charts.log_line(df, "x", "y", "s", x_title="x", y_title="y", dashed=["bound"]),
        charts.log_line(df, "x", "y", "s", x_title="x", y_title="y", log10=True),
        charts.line(df, "x", "y", "s", x_title="x", y_title="y"),
        charts.bars(df, "x", "y", "s", x_title="x", y_title="y", log=True),
        charts.heatmap(
            df.assign(z=df["x"] % 3), "x", "z", "y", x_title="x", y_title="z", value_title="v", log=True
        ),
    ]:
        assert all(math.isfinite(v) for v in _spec_numbers(charts.configure(chart, lecture=True)))


def test_eigen_scatter_has_unit_circle_and_finite_points():
    ev = np.array([0.5 + 0.5j, -1.2, np.nan, np.inf + 1j])
    chart = charts.eigen_scatter(ev, radius=1.2)
    d = chart.to_dict()
    rows = [r for rs in d["datasets"].values() for r in rs]
    assert any(r.get("circle") == "|z| = 1" for r in rows)
    assert sum(1 for r in rows if "abs" in r) == 2  # NaN/inf eigenvalues dropped
    assert all(math.isfinite(v) for v in _spec_numbers(chart))


def test_configure_scales_fonts_for_lecture():
    df = pd.DataFrame({"x": [0, 1], "y": [1.0, 2.0]})
    base = charts.configure(charts.line(df, "x", "y", x_title="x", y_title="y"), False).to_dict()
    big = charts.configure(charts.line(df, "x", "y", x_title="x", y_title="y"), True).to_dict()
    # normal mode reads on a 1920 x 1080 screen (issue 18 item 9: 12 px was too small), lecture mode on a projector
    assert base["config"]["axis"]["labelFontSize"] >= 14
    assert big["config"]["axis"]["labelFontSize"] >= max(18, 1.3 * base["config"]["axis"]["labelFontSize"])


def _layers(spec: dict) -> list[dict]:
    return spec.get("layer", [spec])


def test_log_bars_rise_from_a_visible_floor():
    """Log bars on a native log scale start at 0 = log(-inf) and Chromium draws nothing: they must
    be drawn in log10 space with a finite baseline (y2) under every bar, on a y scale that shows it."""
    df = pd.DataFrame({"k": [1, 2, 3, 4, 5], "norm": [1e-3, 2e-2, 0.0, 5.0, np.inf], "series": "LSTM"})
    chart = charts.bars(df, "k", "norm", "series", x_title="step k", y_title="norm", log=True, floor=1e-6)
    d = chart.to_dict()
    enc = d["encoding"]
    assert enc["y"]["scale"].get("type") in (None, "linear")  # not a native log scale
    assert "y2" in enc
    rows = next(iter(d["datasets"].values()))
    ys = {r["k"]: r[enc["y"]["field"]] for r in rows}
    base = rows[0][enc["y2"]["field"]]
    lo, hi = enc["y"]["scale"]["domain"]
    assert lo == base and hi >= max(ys.values())
    assert set(ys) == {1, 2, 3, 4}  # inf has no bar
    assert ys[1] == -3 and ys[4] == np.log10(5.0)
    assert ys[3] == -6  # the exact zero sits on the floor ...
    assert all(y > base for y in ys.values())  # ... and every bar, the zero's too, has a height
    assert all(math.isfinite(v) for v in _spec_numbers(chart))


def test_log_bars_from_log10_values_beyond_float64():
    df = pd.DataFrame({"k": [1, 2, 3], "log10": [-400.0, -350.5, -np.inf]})
    chart = charts.bars(df, "k", "log10", x_title="k", y_title="n", log10=True, floor_log10=-500)
    d = chart.to_dict()
    rows = next(iter(d["datasets"].values()))
    assert [r["_log10"] for r in rows] == [-400.0, -350.5, -500.0]
    assert rows[0]["_base"] == -501.0


def test_log_line_floor_log10():
    """floor_log10 is the floor of a log10 chart in log10 units, far beyond float64 if need be."""
    df = pd.DataFrame({"k": np.arange(4), "log10_norm": [0.0, -500.0, -700.0, -np.inf]})
    clean, flags = charts.clean_log(df, "k", "log10_norm", log10=True, floor_log10=-631)
    assert flags.floored == 2 and list(clean["log10_norm"]) == [0.0, -500.0, -631.0, -631.0]
    assert clean["log10_norm"].dtype == np.float64  # Arrow-serialisable (a long double floor was not)
    chart = charts.log_line(df, "k", "log10_norm", log10=True, floor_log10=-631, x_title="k", y_title="n")
    assert any(t.startswith("floor 1e-631") for t in _layer_texts(chart))
    # floor= and floor_log10= agree where both can say it
    a, _ = charts.clean_log(df, "k", "log10_norm", log10=True, floor=1e-300)
    b, _ = charts.clean_log(df, "k", "log10_norm", log10=True, floor_log10=-300)
    assert list(a["log10_norm"]) == list(b["log10_norm"])
    import pytest

    with pytest.raises(ValueError):
        charts.log_line(df, "k", "log10_norm", floor_log10=-3, x_title="k", y_title="n")


def _overflow_text_layers(chart) -> list[dict]:
    d = chart.to_dict()
    out = []
    for layer in d["layer"]:
        mark = layer.get("mark", {})
        if isinstance(mark, dict) and mark.get("type") == "text":
            rows = d["datasets"][layer["data"]["name"]] if "data" in layer else []
            if any("overflowed" in r.get("label", "") for r in rows):
                out.append({**mark, "y": layer["encoding"]["y"], "label": rows[0]["label"]})
    return out


def test_overflow_label_stays_inside_the_chart():
    """An overflow near the right edge is labelled to the left of its rule; an early one to the right;
    two labels are stacked, not drawn over each other."""
    k = np.arange(100)
    late = pd.DataFrame({"k": k, "y": np.where(k >= 95, np.inf, 1.0 + k)})
    (t,) = _overflow_text_layers(charts.log_line(late, "k", "y", x_title="T", y_title="n"))
    assert t["align"] == "right" and t["dx"] < 0 and "overflowed at T = 95" in t["label"]
    early = pd.DataFrame({"k": k, "y": np.where(k >= 10, np.inf, 1.0 + k)})
    steady = pd.DataFrame({"k": k, "y": 1.0, "s": "bound"})  # keeps the x axis out to 99
    (t,) = _overflow_text_layers(
        charts.log_line(pd.concat([early.assign(s="tanh"), steady]), "k", "y", "s", x_title="T", y_title="n")
    )
    assert t["align"] == "left" and t["dx"] > 0
    two = pd.concat([late.assign(s="linear"), early.assign(s="tanh")], ignore_index=True)
    ts = _overflow_text_layers(charts.log_line(two, "k", "y", "s", x_title="T", y_title="n"))
    assert len(ts) == 2 and ts[0]["y"] != ts[1]["y"]
    assert {t["align"] for t in ts} == {"left", "right"}


def test_eigen_scatter_reference_circles():
    """Several reference circles, each at its radius with its colour; bad radii left out; square plane."""
    ev = np.array([0.5, -0.3 + 0.2j, 1.4j])
    chart = charts.eigen_scatter(
        ev,
        circles=[("|z| = rho = 1.4", 1.4, palette.ORANGE), ("|z| = 4", 4.0), ("bad", np.nan), ("zero", 0.0)],
    )
    d = chart.to_dict()
    rows = [r for rs in d["datasets"].values() for r in rs if "circle" in r]
    radii = {}
    for r in rows:
        radii.setdefault(r["circle"], set()).add(round(math.hypot(r["re"], r["im"]), 9))
    assert radii == {"|z| = 1": {1.0}, "|z| = rho = 1.4": {1.4}, "|z| = 4": {4.0}}
    scale = d["layer"][0]["encoding"]["color"]["scale"]
    assert scale["range"][scale["domain"].index("|z| = rho = 1.4")] == palette.ORANGE
    assert d["width"] == d["height"] and d["autosize"]["type"] == "pad"
    dom = d["layer"][0]["encoding"]["x"]["scale"]["domain"]
    assert dom[1] >= 4.0 and dom == d["layer"][0]["encoding"]["y"]["scale"]["domain"]
