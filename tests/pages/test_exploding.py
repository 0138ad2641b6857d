"""AppTest for the exploding-gradients page: defaults, extremes, garbage URL, finite chart data,
and the numbers in its text checked against gradcore computed independently here."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import assert_healthy, new_app

from gradcore import activations, cliff, clipping, init, jacobians, losses, rnn

PAGE = "pages/exploding.py"


def _run(query=None):
    at = new_app(PAGE, query or {})
    at.run()
    assert_healthy(at, f"exploding {query}")
    return at


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def _dataset_strings(chart) -> list[str]:
    """Every string value in a chart's Arrow datasets (marker labels live there, not in the spec)."""
    import pyarrow as pa

    out = []
    for d in list(chart.proto.datasets):
        table = pa.ipc.open_stream(d.data.data).read_all()
        for col in table.columns:
            if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
                out.extend(v for v in col.to_pylist() if v is not None)
    return out


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


@pytest.fixture(scope="module")
def default_app():
    return _run()


def test_defaults_render_every_section(default_app):
    at = default_app
    assert at.title[0].value.startswith("Exploding gradients")
    headers = [h.value for h in at.header]
    for n in range(1, 6):
        assert any(h.startswith(f"{n}.") for h in headers), headers
    assert any(s.value == "What to notice" for s in at.subheader)
    assert len(at.get("vega_lite_chart")) == 10  # the Clipping tab draws its plane too
    assert len(at.latex) >= 7
    # every equation names the gradcore function that computes it
    computed = [c.value for c in at.caption if c.value.startswith("Computed live by")]
    assert len(computed) >= 7 and all("gradcore." in c for c in computed)
    assert not [c.value for c in at.caption if "was invalid" in c.value]


def test_growth_numbers_match_engine(default_app):
    text = _text(default_app)
    rng = np.random.default_rng(0)
    Wh = init.make_Wh("gaussian_radius", 32, 1.5, rng)
    spec = jacobians.spectrum(Wh)
    assert f"rho(W_h) = **{spec.radius:.3f}**" in text
    assert f"||W_h||_2 = **{spec.norm:.3f}**" in text
    # the linear RNN's ||dh_T/dh_0||, recomputed by a plain product (100 steps at radius 1.5 fits float64)
    Wx = rng.standard_normal((4, 32)) / 2.0
    x = rng.standard_normal((1, 100, 4))
    _, cache = rnn.forward(x, np.zeros((1, 32)), Wx, Wh, np.zeros(32), activation="linear")
    P = np.linalg.matrix_power(Wh.T, 100)  # linear: every J_t = Wh^T
    log10 = np.log10(np.linalg.norm(P, 2))
    assert f"||dh_T/dh_0|| = **10^{log10:.1f}** for the linear RNN" in text
    assert f"(**{10 ** (log10 / 100):.3f}x per step**)" in text
    assert log10 > 10  # radius 1.5 explodes


def test_descent_numbers_match_engine(default_app):
    text = _text(default_app)
    runs = {m: cliff.descend(4.4, -2.2, lr=0.2, n_steps=100, mode=m, threshold=1.0) for m in cliff.CLIP_MODES}
    for mode, name in [("none", "unclipped"), ("norm", "clipped by norm"), ("value", "clipped by value")]:
        d = runs[mode]
        assert f"**{name}**: loss {d.loss[0]:.2e} -> **{d.loss[-1]:.2e}**" in text
    # the page's lesson holds for these numbers: unclipped ends >= 10x worse than clipped by norm
    assert runs["none"].loss[-1] >= 10 * runs["norm"].loss[-1]
    notice = [m.value for m in default_app.markdown if "Unclipped descent met" in m.value]
    assert notice, "what-to-notice should report the unclipped jump at the defaults"


def test_clipping_numbers_match_engine(default_app):
    free = cliff.descend(4.4, -2.2, lr=0.2, n_steps=100, mode="none")
    k = int(np.argmax(free.grad_norm_before))
    g = free.grad[k]
    by_value = clipping.clip_by_value([g], 1.0)
    ang = clipping.angle_degrees([g], by_value.grads)
    text = _text(default_app)
    assert f"at step {k}," in text
    assert f"clipping by value turns it by **{ang:.2f} degrees**" in text
    assert ang > 1.0  # the components are clamped unequally here
    assert "turns it by 0.00 degrees" in text  # by norm: direction unchanged
    latex = " ".join(lx.value for lx in default_app.latex)
    assert f"{np.linalg.norm(g):.3g}" in latex


def test_bifurcation_numbers_match_engine(default_app):
    lo, hi = cliff.bifurcation_interval(5.0)
    text = _text(default_app)
    assert f"[{lo:.3f}, {hi:.3f}]" in text
    fp = cliff.fixed_points(5.0, np.linspace(-6.0, 0.0, 601))
    three = fp.b_grid[fp.count == 3]
    assert f"three fixed points for b in [{three.min():.2f}, {three.max():.2f}]" in text


def test_surface_numbers_match_engine(default_app):
    s = cliff.surface((3.5, 6.0), (-3.5, -1.5), 100, 100)
    text = _text(default_app)
    assert f"peaks at **{s.grad_norm.max():.2e}**" in text


def test_text_flips_between_exploding_and_vanishing():
    up = _text(_run({"scale": "1.5", "act": "tanh"}))
    down = _text(_run({"scale": "0.8", "act": "tanh"}))
    assert "the gradient **explodes**" in up and "**vanishes** instead" not in up
    assert "**vanishes** instead" in down and "the gradient **explodes**" not in down


def _first_overflow_T(scale: float, T: int) -> int | None:
    """Independent search for the first sequence length whose dL_T/dWh is not finite."""
    rng = np.random.default_rng(0)
    Wh = init.make_Wh("gaussian_radius", 32, scale, rng)
    Wx = rng.standard_normal((4, 32)) / 2.0
    x = rng.standard_normal((1, T, 4))
    Wy = rng.standard_normal((32, 4)) / np.sqrt(32)
    y = rng.standard_normal((1, T, 4))

    def finite(t):
        with np.errstate(all="ignore"):
            _, c = rnn.forward(x[:, :t], np.zeros((1, 32)), Wx, Wh, np.zeros(32), activation="linear")
            mask = np.zeros((1, t))
            mask[0, -1] = 1.0
            se = losses.squared_error(c.h @ Wy, y[:, :t], mask)
            dWh = rnn.backward_all(se.dout @ Wy.T, c).dWh
        return bool(np.all(np.isfinite(dWh)))

    if finite(T):
        return None
    lo, hi = 2, T  # finite at lo, not at hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if finite(mid) else (lo, mid)
    return hi


@pytest.mark.slow
def test_overflow_is_marked_not_crashed():
    at = _run({"act": "linear", "scale": "3.0", "T": "1000"})  # assert_healthy: finite chart data
    k = _first_overflow_T(3.0, 1000)
    assert k is not None and k < 1000
    text = _text(at)
    assert f"float64 **overflowed at T = {k}**" in text
    labels = [
        " ".join(s.split()) for s in _dataset_strings(at.get("vega_lite_chart")[1])
    ]  # a label breaks in lines
    assert f"linear overflowed at sequence length T = {k}" in labels
    assert "The gradient of a real loss overflowed float64" in text


def test_extremes_stay_healthy():
    for q in [
        {"T": "10", "H": "4", "act": "relu", "scale": "0.5"},
        {"act": "sigmoid", "init": "gaussian_norm", "scale": "3.0"},
        {"cliff_steps": "500", "cliff_lr": "2.0", "threshold": "0.1", "cliff_clip": "value"},
        {"grid": "40", "view": "wide", "csteps": "5", "x0": "-3.0", "target": "0.95"},
        {"w0": "10.0", "b0": "2.0", "wfp": "3.0"},
    ]:
        at = _run(q)
        assert not [c.value for c in at.caption if "was invalid" in c.value], q
        assert len(at.get("vega_lite_chart")) == 10  # the Clipping tab draws its plane too


def test_descent_far_from_wall_says_so():
    text = _text(_run({"w0": "2.0", "b0": "-1.0"}))
    d = cliff.descend(2.0, -1.0, lr=0.2, n_steps=100, mode="none")
    assert d.grad_norm_before.max() < 1.0  # nothing to clip from here
    assert f"largest ||g|| = {d.grad_norm_before.max():.2e} < 1" in text
    assert "neither clipping ever acted" in text and "Unclipped descent met" not in text
    assert "Clipping by norm keeps the direction" not in text


def test_small_w_has_no_bifurcation_text():
    text = _text(_run({"wfp": "3.0"}))
    assert "**one fixed point for every b**" in text
    assert "no wall at this w" in text


def test_garbage_url_falls_back_with_notices():
    q = {
        "w0": "abc",
        "b0": "nan",
        "cliff_lr": "inf",
        "cliff_steps": "-3",
        "threshold": "0",
        "cliff_clip": "sideways",
        "grid": "1e9",
        "view": "../..",
        "csteps": "",
        "x0": "<b>",
        "target": "2",
        "wfp": "x",
        "scale": "inf",
        "T": "abc",
        "act": "<script>",
        "init": "../../etc/passwd",
    }
    at = _run(q)
    notes = [c.value for c in at.caption if "was invalid" in c.value]
    assert len(notes) >= 10, notes
    assert at.number_input(key="w0").value == 4.4
    assert at.radio(key="cliff_clip").value == "norm"
    assert len(at.get("vega_lite_chart")) == 10  # the Clipping tab draws its plane too


def test_activation_bound_names():
    """gamma_h differs for sigmoid: the chart then carries one bound per activation."""
    at = _run({"act": "sigmoid"})
    names = set(_dataset_strings(at.get("vega_lite_chart")[0]))
    assert {"bound (linear)", "bound (sigmoid)", "linear", "sigmoid"} <= names
    assert activations.get("sigmoid").gamma == 0.25


def test_loss_maps_carry_the_click_to_start_selection():
    """Issue 18 item 10: the Cliff tab's loss map and the Descent tab's maps have a point selection on (w, b)
    that reports back (st.vega_lite_chart on_select), so a click starts the descent there."""
    import json

    for view in ("Cliff", "Descent"):
        at = new_app("pages/exploding.py", {"exp_view": view}, eager=False)
        at.run()
        assert not at.exception
        picks = []
        for c in at.get("vega_lite_chart"):
            spec = json.loads(c.proto.spec)
            for lay in [spec, *spec.get("layer", [])]:  # Altair hoists a layer's selection to the top level
                for prm in lay.get("params", []):
                    if prm.get("name") == "start":
                        picks.append(prm["select"])
        assert picks, view
        assert all(p["type"] == "point" and p["fields"] == ["w", "b"] and p["on"] == "click" for p in picks)


def _clipping_chart(at) -> dict:
    (spec,) = [s for s in _specs(at) if "Eq. 13 in the plane" in json.dumps(s.get("title", ""))]
    return spec


def test_clipping_tab_draws_g_and_its_clippings_in_the_plane(default_app):
    """The Clipping tab's figure: three arrows (rules from 0 with arrowheads), the circle and the box, on equal
    axes; the arrows' data are gradcore.clipping applied to the unclipped run's largest gradient."""
    spec = _clipping_chart(default_app)
    assert spec["width"] == spec["height"] and spec["autosize"]["type"] == "pad"
    marks = [
        layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in spec["layer"]
    ]
    assert marks.count("rule") == 1 and marks.count("point") == 1 and marks.count("line") == 2
    dom = [
        layer["encoding"]["x"]["scale"]["domain"]
        for layer in spec["layer"]
        if "scale" in layer["encoding"].get("x", {})
    ]
    assert all(d == dom[0] for d in dom) and dom[0][0] == -dom[0][1]
    R = cliff.descend(4.4, -2.2, lr=0.2, n_steps=100, mode="none", threshold=1.0)
    g = R.grad[int(np.nanargmax(R.grad_norm_before))]
    text = " ".join(c.value for c in default_app.caption)
    assert f"g itself is {np.linalg.norm(g):.3g}x the threshold long" in text
    by_value = clipping.clip_by_value([g], 1.0).grads[0]
    import pyarrow as pa

    chart = [c for c in default_app.get("vega_lite_chart") if "Eq. 13 in the plane" in c.proto.spec][0]
    rows = [
        r
        for d in chart.proto.datasets
        for r in pa.ipc.open_stream(d.data.data).read_all().to_pylist()
        if r.get("run") == "clipped by value" and "x2" in r
    ]
    assert rows and np.allclose([rows[0]["x2"], rows[0]["y2"]], by_value)


def test_clipping_tab_says_when_the_arrows_are_one():
    at = _run({"w0": "2.0", "b0": "0.0", "threshold": "10.0", "cliff_steps": "20"})
    assert any("the three arrows are one" in c.value for c in at.caption)
