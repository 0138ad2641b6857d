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
        texts += [
            " ".join(str(r["label"]).split()) for r in rows if "label" in r
        ]  # a label may break into lines
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
                out.append({**mark, "y": layer["encoding"]["y"], "label": " ".join(rows[0]["label"].split())})
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
    # each label (and its rule) in its own series' colour, not one vermillion for all
    assert {t["label"].split()[0]: t["color"] for t in ts} == {
        "linear": palette.colour("linear"),
        "tanh": palette.colour("tanh"),
    }
    rules = [
        layer["mark"]["color"]
        for layer in charts.log_line(two, "k", "y", "s", x_title="T", y_title="n").to_dict()["layer"]
        if isinstance(layer["mark"], dict) and layer["mark"].get("type") == "rule"
    ]
    assert sorted(rules) == sorted([palette.colour("linear"), palette.colour("tanh")])


def test_dashed_series_have_patterns_of_their_own_shown_in_the_legend():
    """strokeDash encodes the series field (so Vega-Lite merges it into the colour legend and each swatch
    shows its dash); every dashed series gets a pattern of its own, the measured ones stay solid."""
    d = np.arange(10.0)
    df = pd.concat(
        [pd.DataFrame({"k": d, "y": 1.0 + d, "s": n}) for n in ("RNN", "bound", "eq. 10 along this run")]
    )
    spec = charts.log_line(
        df, "k", "y", "s", dashed=["bound", "eq. 10 along this run"], x_title="k", y_title="n"
    ).to_dict()
    enc = spec["layer"][0]["encoding"]
    assert enc["strokeDash"]["field"] == enc["color"]["field"] == "s"
    assert (
        enc["strokeDash"]["legend"] == enc["color"]["legend"]
        and enc["strokeDash"]["legend"]["orient"] == "bottom"
    )
    dash = dict(zip(enc["strokeDash"]["scale"]["domain"], enc["strokeDash"]["scale"]["range"], strict=True))
    assert dash["RNN"] == [1, 0]
    assert dash["bound"] != dash["eq. 10 along this run"] and [1, 0] not in (
        dash["bound"],
        dash["eq. 10 along this run"],
    )
    lspec = charts.line(df, "k", "y", "s", dashed=["bound"], x_title="k", y_title="n").to_dict()
    assert lspec["encoding"]["strokeDash"]["scale"]["range"][1] == list(charts.DASHES[0])


def _two_curves(gap: float, log10: bool):
    d = np.arange(1.0, 30.0)
    a = -0.2 * d if log10 else 10.0 ** (-0.2 * d)  # 5.6 decades either way
    b = a + np.log10(1 + gap) if log10 else a * (1 + gap)
    return pd.concat(
        [pd.DataFrame({"k": d, "y": a, "s": "bound"}), pd.DataFrame({"k": d, "y": b, "s": "run"})]
    )


def _subtitle(chart) -> list[str]:
    t = chart.to_dict().get("title", {})
    return t.get("subtitle", []) if isinstance(t, dict) else []


def test_coinciding_curves_are_named_on_the_chart_and_others_are_not():
    """Two curves never further apart than 1% of the axis's decades: the chart's subtitle names both; 20%
    apart on a 5.6-decade axis (0.079 decades > 0.056): no note; 10% apart (0.041 decades): one line."""

    def chart(gap, log10):
        return charts.log_line(_two_curves(gap, log10), "k", "y", "s", log10=log10, x_title="k", y_title="n")

    for log10 in (True, False):
        (note,) = _subtitle(chart(0.002, log10))
        assert "'bound' and 'run' within 0.2% of each other" in note
        assert _subtitle(chart(0.2, log10)) == []
        assert len(_subtitle(chart(0.1, log10))) == 1
    df = _two_curves(0.0, True)
    pairs = charts.coinciding(*charts.clean_log(df, "k", "y", "s", log10=True)[:1], "k", "y", "s", log10=True)
    assert [(p.a, p.b) for p in pairs] == [("bound", "run")] and pairs[0].gap == 0.0
    # one point far apart is enough to part them at every point (the largest gap over the drawn points counts):
    # they are then one line only after it, and said so
    df.loc[(df["s"] == "run") & (df["k"] == 5.0), "y"] += 1.0
    (p,) = charts.coinciding(charts.clean_log(df, "k", "y", "s", log10=True)[0], "k", "y", "s", log10=True)
    assert p.since == 6.0


def test_curves_that_meet_late_are_named_from_where_they_meet():
    """Apart for the first 12 points, within 1% after (17 of 29 points): 'from k = 13 on'; meeting only over the
    last 3 of 29 points (under 30%) is not said."""
    df = _two_curves(0.0, True)
    late = (df["s"] == "run") & (df["k"] <= 12)
    df.loc[late, "y"] += 2.0
    (p,) = charts.coinciding(charts.clean_log(df, "k", "y", "s", log10=True)[0], "k", "y", "s", log10=True)
    assert p.since == 13.0 and p.gap == 0.0
    (note,) = _subtitle(charts.log_line(df, "k", "y", "s", log10=True, x_title="k (steps)", y_title="n"))
    assert note == "'bound' and 'run' within 0% of each other from k = 13 on (one line there)"
    df = _two_curves(0.0, True)
    df.loc[(df["s"] == "run") & (df["k"] <= 26), "y"] += 2.0
    assert (
        charts.coinciding(charts.clean_log(df, "k", "y", "s", log10=True)[0], "k", "y", "s", log10=True) == []
    )


def test_curves_that_only_meet_on_the_floor_do_not_coincide():
    d = np.arange(10.0)
    df = pd.concat(
        [
            pd.DataFrame({"k": d, "y": 0.0, "s": "a"}),
            pd.DataFrame({"k": d, "y": np.where(d < 2, 1.0, 0.0), "s": "b"}),
        ]
    )
    clean, _ = charts.clean_log(df, "k", "y", "s")
    assert charts.coinciding(clean, "k", "y", "s", log10=False) == []


def test_fit_legends_wraps_into_columns_that_fit_and_grows_the_chart():
    """Bottom legends get as many columns as fit LEGEND_WIDTH at the lecture font, labels never cut, and the
    chart grows by the extra rows; long titles break into lines."""
    names = ["spectral radius 0.8", "spectral radius 1.2", "a", "b"]
    df = pd.concat([pd.DataFrame({"k": [1.0, 2.0], "y": [1.0, 2.0], "s": n}) for n in names])
    title = "Gradient norm before clipping (dashed: threshold 1)"
    for lecture in (True, False):
        chart = charts.fit_legends(
            charts.log_line(df, "k", "y", "s", x_title="k", y_title="n", height=300, title=title), lecture
        )
        d = chart.to_dict()
        leg = d["layer"][0]["encoding"]["color"]["legend"]
        font = charts.config_dict(lecture)["legend"]["labelFontSize"]
        n = leg["columns"]
        widths = [2.2 * font + 8 + charts._text_px(x, font) + 12 for x in names]
        assert sum(max(widths[j::n]) for j in range(n)) <= charts.LEGEND_WIDTH
        assert n == len(names) or sum(max(widths[j :: n + 1]) for j in range(n + 1)) > charts.LEGEND_WIDTH
        assert leg["labelLimit"] == 0
        rows = -(-len(names) // n)
        assert d["height"] > 300 if rows > 1 else d["height"] == 300
        tfont = charts.config_dict(lecture)["title"]["fontSize"]
        lines = d["title"]["text"]
        assert " ".join(lines) == title and all(
            charts._text_px(x, tfont) <= charts.TITLE_WIDTH for x in lines
        )
    assert (
        charts.legend_columns(["x"] * 3, 12, 26) == 3 and charts.legend_columns(["y" * 60] * 3, 12, 26) == 1
    )


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


def test_wrap_keeps_an_equation_on_one_line():
    lines = charts.wrap("LSTM at b_f = 1 against a tanh RNN: T = 50, H = 32", 15)
    assert " ".join(lines) == "LSTM at b_f = 1 against a tanh RNN: T = 50, H = 32"
    assert all(not ln.endswith("=") and not ln.startswith("=") for ln in lines)
