"""The RNN vanishing page: AppTest runs, and the numbers it prints against independent engine calls.

The page computes through lessons.rnn_vanishing + gradcore.spectra; the checks here recompute
with other code paths (gradcore.jacobians' Lanczos norms, gradcore.attribution's T x T
table, rnn.backward + clipping.global_norm) and compare with what the page *says*.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from helpers import assert_healthy, new_app, presets

from gradcore import attribution, clipping, jacobians, rnn, spectra
from lessons import rnn_vanishing as L
from ui.lazy import SEEN

PAGE = "pages/rnn_vanishing.py"
DEFAULT = dict(T=50, H=32, act="tanh", init_kind="gaussian_radius", scale=1.0, xscale=1.0, seed=0)


def _text(at) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.code)


def _num(s: str) -> float:
    return float(s)


def _problem(T, H, act, init_kind, scale, xscale, seed):
    p = L.make_problem(T, H, act, init_kind, scale, xscale, seed)
    h, cache = rnn.forward(p.x, p.h0, p.Wx, p.Wh, p.b, activation=act)
    return p, h, cache


# ----------------------------------------------------------------------------- engine pieces


def test_product_norms_match_lanczos_and_float32():
    p, h, cache = _problem(40, 12, "tanh", "gaussian_radius", 1.2, 1.0, 3)
    ref = jacobians.rnn_product_norms(cache)
    ours = spectra.rnn_product_norms_at(cache)
    assert np.allclose(ours.log_spec, ref.log_spec, atol=1e-10)
    assert np.allclose(ours.log_fro, ref.log_fro, atol=1e-10)
    f32 = spectra.rnn_product_norms_at(cache, spectral_at=[1, 7, 40], dtype=np.float32)
    assert np.allclose(f32.log_fro, ref.log_fro, atol=1e-4)
    assert np.allclose(f32.log_spec[[1, 7, 40]], ref.log_spec[[1, 7, 40]], atol=1e-4)
    assert np.isnan(f32.log_spec[2])  # not asked for: NaN, never a made-up number
    run_b = spectra.run_log_bound(cache)
    bnd = jacobians.rnn_bound(cache.Wh, "tanh", 40).log_bound
    assert np.all(ref.log_spec <= run_b + 1e-9) and np.all(
        run_b <= bnd + 1e-9
    )  # eq. 12 <= eq. 10 along the run


def test_step_contributions_match_attribution_table_and_bptt():
    p, h, cache = _problem(25, 10, "sigmoid", "orthogonal", 1.3, 1.5, 1)
    dh = L.ce(h, p).dh
    table = attribution.rnn_attribution(dh, cache).dWh  # (T, T), 0-based rows/cols
    rows = np.array([3, 11, 25])
    sc = spectra.step_contributions(cache, dh, rows, total_row=1)
    with np.errstate(divide="ignore"):
        assert np.allclose(sc.log_norms, np.log(table[rows - 1]), atol=1e-9)
    only = np.zeros_like(dh)
    only[:, 10] = dh[:, 10]
    assert np.allclose(sc.total, rnn.backward_all(only, cache).dWh, atol=1e-12)


def test_nonnormal_radius_below_one_yet_growth():
    r = L.compute(60, 32, "linear", "nonnormal", 0.9, 1.0, 0)
    d, v = L.peak(r)
    assert r.rho < 1 < r.gamma_W and v > 0.5 and 5 <= d <= 15  # ||W^9|| = 3.91 for rho = 0.9, c = 1


def test_overflowing_forward_is_truncated_and_finite():
    r = L.compute(1000, 16, "linear", "gaussian_radius", 2.0, 3.0, 0)
    assert r.t_end < 1000
    assert np.isfinite(r.spec_log10[r.t_end]) and r.spec_log10[r.t_end] > 100
    assert r.check.rel_err < 1e-6


# ----------------------------------------------------------------------------- the page


def test_default_page_numbers_agree_with_engine():
    at = new_app(PAGE)
    at.run()
    assert_healthy(at, "default")
    assert (
        len(at.get("vega_lite_chart")) == 8
    )  # the seven charts of the tabs and the travelling-gradient frame
    assert any("Verified live" in s.value for s in at.success)
    txt = _text(at)
    p, h, cache = _problem(**DEFAULT)
    ref = jacobians.rnn_product_norms(cache)  # Lanczos, a different code path from the page's SVDs
    read = re.search(r"at \$T-k = 20\$ the norm is \*\*(\S+)\*\*.*at \$T-k = 50\$ it is \*\*(\S+)\*\*", txt)
    assert read, "read-it-off sentence missing"
    assert _num(read.group(1)) == pytest.approx(np.exp(ref.log_spec[20]), rel=0.06)
    assert _num(read.group(2)) == pytest.approx(np.exp(ref.log_spec[50]), rel=0.06)
    gw = re.search(r"\\gamma_W = \\\|W_\{hh\}\\\|_2 = ([0-9.]+)\$ \(the largest", txt)
    assert float(gw.group(1)) == pytest.approx(np.linalg.norm(p.Wh, 2), abs=6e-5)
    rho = re.search(r"is \$\\rho = ([0-9.]+)\$\), \$\\gamma_h", txt)
    assert float(rho.group(1)) == pytest.approx(np.max(np.abs(np.linalg.eigvals(p.Wh))), abs=6e-5)
    # the article-style printout against gradcore.attribution's table (row L_50)
    table = attribution.rnn_attribution(L.ce(h, p).dh, cache).dWh
    comps = dict((int(j), float(v)) for j, v in re.findall(r"component (\d+) - (\S+)", txt))
    for j, v in comps.items():
        assert v == pytest.approx(table[49, j], rel=6e-4, abs=1e-300)
    # eq. 13's g: the global norm of the full BPTT gradient
    dWx, dWh, db = rnn.backward(L.ce(h, p).dh, cache)[2:]
    g = re.search(r"\\\|g\\\|\$ = \*\*(\S+)\*\*", txt)
    assert _num(g.group(1)) == pytest.approx(clipping.global_norm([dWx, dWh, db]), rel=6e-3)
    notice = at.markdown[-1].value if "vanished" in at.markdown[-1].value else txt
    assert "it vanished" in notice


@pytest.mark.parametrize(
    "query,word",
    [
        ({"act": "linear", "init": "gaussian_radius", "scale": "1.5", "T": "80"}, "it exploded"),
        ({"act": "sigmoid", "init": "gaussian_radius", "scale": "1.0", "T": "60"}, "guarantees vanishing"),
        ({"act": "linear", "init": "orthogonal", "scale": "1.0", "T": "200"}, "stayed within a factor 1000"),
    ],
)
def test_notice_follows_the_regime(query, word):
    at = new_app(PAGE, query=query)
    at.run()
    assert_healthy(at, str(query))
    assert word in _text(at)


def test_every_control_at_its_extremes():
    at = new_app(PAGE)
    at.run()
    settings = [
        ("slider", "T", 2),
        ("slider", "T", 1000),
        ("slider", "T", 50),
        ("slider", "H", 2),
        ("slider", "H", 256),
        ("slider", "H", 32),
        ("slider", "scale", 0.05),
        ("slider", "scale", 2.0),
        ("slider", "xscale", 0.0),
        ("slider", "xscale", 3.0),
        ("number_input", "seed", 9999),
        ("slider", "t", 1),
        ("toggle", "fro", True),
    ]
    settings += [("selectbox", "act", a) for a in L.ACTS] + [("selectbox", "init", k) for k in L.INITS]
    for kind, key, value in settings:
        getattr(at, kind)(key=key).set_value(value).run()
        assert_healthy(at, f"{key}={value}")
        # NB: no assertion on "URL value ... invalid" captions here: AppTest does not write a
        # widget change back to at.query_params, so a key already in the URL looks stale.


def test_largest_setting_renders():
    at = new_app(PAGE, query={"T": "1000", "H": "256", "act": "tanh"})
    at.run(timeout=120)
    assert_healthy(at, "T=1000, H=256")
    assert at.slider(key="T").value == 1000 and at.slider(key="H").value == 256


def test_start_page_presets_use_this_pages_keys():
    mine = [p for p in presets() if p[0] == PAGE]
    assert mine, "the Start page has no preset for this page"
    for _, name, _, params in mine:
        at = new_app(PAGE, query=params)
        at.run()
        assert_healthy(at, name)
        assert not any("URL value" in c.value for c in at.caption), name
        widgets = {
            "T": at.slider(key="T"),
            "H": at.slider(key="H"),
            "act": at.selectbox(key="act"),
            "init": at.selectbox(key="init"),
            "scale": at.slider(key="scale"),
            "seed": at.number_input(key="seed"),
        }
        for k, v in params.items():
            if k in at.session_state[SEEN]:  # the section the preset opens (ui.sections)
                assert at.session_state[k] == v, (name, k)
                continue
            assert k in widgets, f"preset {name!r} uses key {k!r} this page does not have"
            got = widgets[k].value
            assert (float(got) == float(v)) if isinstance(got, (int, float)) else got == v, (name, k)
        if params.get("init") == "nonnormal":
            assert "Radius below 1, yet the gradient grows at first" in _text(at)


def test_garbage_url_falls_back_with_notices():
    q = {
        "T": "abc",
        "H": "-1",
        "act": "<script>",
        "init": "../../etc/passwd",
        "scale": "inf",
        "xscale": "1e999",
        "seed": "nan",
        "t": "99999",
        "fro": "maybe",
    }
    at = new_app(PAGE, query=q)
    at.run()
    assert_healthy(at, "garbage")
    notes = [c.value for c in at.caption if "URL value" in c.value]
    assert len(notes) == len(q)
    assert at.slider(key="T").value == 50 and at.selectbox(key="act").value == "tanh"


@pytest.mark.parametrize(
    "setting",
    [
        (300, 128, "sigmoid", "gaussian_radius", 1.0, 1.0, 0),
        (60, 32, "sigmoid", "gaussian_radius", 1.0, 2.0, 4),
        (50, 2, "sigmoid", "identity", 0.05, 0.0, 0),
        (300, 64, "linear", "gaussian_radius", 1.5, 1.0, 0),
        (50, 32, "relu", "gaussian_norm", 2.0, 3.0, 5),
        (120, 48, "tanh", "nonnormal", 0.95, 0.5, 7),
    ],
)
def test_live_checks_pass_across_regimes(setting):
    """The badge's numbers: each check is below its tolerance in vanishing, steady and exploding runs."""
    r = L.compute(*setting)
    lv = L.loss_view(*setting, t=setting[0])
    assert r.check.rel_err < 1e-6 and r.check.plotted_err < 1e-3
    assert lv.fd_rel_err < 1e-6 and lv.sum_rel_err < 1e-9


def _url_notices(at) -> list[str]:
    return [c.value for c in at.caption if "was invalid" in c.value]


def test_value_set_by_the_user_is_not_an_invalid_url_value():
    """Issue: after at.slider(...).set_value(...).run() the URL still holds the old string (AppTest
    never rewrites it; a server may lag the browser a run): that is a stale URL, not an invalid one."""
    at = new_app(PAGE, {"scale": "0.5", "act": "tanh", "T": "40"})
    at.run()
    assert not _url_notices(at)
    at.slider(key="scale").set_value(0.9).run()
    assert at.slider(key="scale").value == 0.9
    assert not _url_notices(at), _url_notices(at)
    at.selectbox(key="act").set_value("relu").run()
    at.slider(key="T").set_value(60).run()
    at.run()
    assert not _url_notices(at), _url_notices(at)


def test_genuine_bad_url_value_still_gets_its_notice():
    at = new_app(PAGE, {"scale": "abc", "T": "5000"})
    at.run()
    notes = _url_notices(at)
    assert any("URL value for scale (`abc`)" in n and "using default 1.0" in n for n in notes), notes
    assert any("URL value for T (`5000`)" in n for n in notes), notes
    # a bad value arriving in the URL later (a new link) is judged afresh, even after a user change
    at.slider(key="scale").set_value(0.9).run()
    at.query_params["scale"] = "1e999"
    at.run()
    assert any("URL value for scale (`1e999`)" in n for n in _url_notices(at)), _url_notices(at)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"act": "sigmoid", "init": "orthogonal", "T": "60"},
        {"act": "linear", "init": "nonnormal", "scale": "0.9"},
    ],
)
def test_each_tab_notices_its_own_chart(query):
    """Issue 18 item 5: every tab has its own "What to notice", none repeats another's sentences, none is drawn
    outside the tabs, and each quotes its own chart's numbers, recomputed here."""
    from helpers import notes_by_tab

    at = new_app(PAGE, query=query)
    at.run()
    assert_healthy(at, str(query))
    notes = notes_by_tab(at)
    assert set(notes) == {"Decay", "Spectrum", "Derivative", "Components", "Equations"}, notes.keys()
    seen = [p for ps in notes.values() for p in ps]
    assert len(seen) == len(set(seen)), "a sentence is repeated under two tabs"
    kw = dict(DEFAULT, **{"init_kind" if k == "init" else k: v for k, v in query.items()})
    kw = {k: type(DEFAULT[k])(v) for k, v in kw.items()}
    r = L.compute(**kw)
    lv = L.loss_view(*kw.values(), kw["T"])
    decay, spec, deriv, comp, eqs = (" ".join(notes[k]) for k in L_TABS)
    assert f"went from 1 to {L.sci(log10=L.end_spec(r))}" in decay
    assert f"rho^(T-k) (rho = {r.rho:.3f})" in decay
    assert f"||W||_2 = {r.gamma_W:.3f}" in spec and f"sigma_{r.H} = {r.singvals[-1]:.3g}" in spec
    assert f"{int(np.sum(np.abs(r.eigvals) > 1 + 1e-12))} of the {r.H} eigenvalues" in spec
    assert f"averages {float(np.mean(r.fprime_max)):.3f}" in deriv
    assert f"step k = {lv.t} is {L.sci(log10=lv.comp_log10[-1])}" in comp
    ok = np.isfinite(r.spec_log10) & np.isfinite(r.bound_log10)
    ok[0] = False
    gap = r.bound_log10[ok] - r.spec_log10[ok]
    assert (
        f"Eq. 12 holds at all {int(ok.sum())} measured distances" in eqs and f"{gap.min():.2f} decades" in eqs
    )
    # the spectrum tab's own sentence is not the decay tab's, and vice versa
    assert "went from 1 to" not in spec and "eigenvalues lie outside" not in decay


L_TABS = ("Decay", "Spectrum", "Derivative", "Components", "Equations")


# ----------------------------------------------------------------------------- curves that lie on one another


def _headline_subtitle(at) -> list[str]:
    import json

    for chart in at.get("vega_lite_chart"):
        spec = json.loads(chart.proto.spec)
        if (
            any(str(d.get("field")) == "series" for d in _encodings(spec))
            and "log10_norm" in chart.proto.spec
        ):
            t = spec.get("title", {})
            return t.get("subtitle", []) if isinstance(t, dict) else []
    raise AssertionError("no headline chart")


def _encodings(spec):
    for layer in spec.get("layer", [spec]):
        yield from (v for v in layer.get("encoding", {}).values() if isinstance(v, dict))


@pytest.mark.parametrize(
    "query,together",
    [
        ({}, True),  # tanh at the defaults: some unit keeps f' near 1, eq. 10 lies on the bound
        ({"act": "linear"}, True),  # f' = 1 everywhere: exactly the bound
        ({"H": "4"}, False),  # four units: none keeps f' near 1 at every step, eq. 10 parts from the bound
        ({"H": "8"}, False),  # eight units: 0.55 decades apart on a 17.6-decade axis
    ],
)
def test_headline_says_when_eq10_lies_on_the_bound(query, together):
    """The Decay chart names 'bound' and 'eq. 10 along this run' under its title exactly when the computed
    curves never part by more than 1% of the axis (ui.charts.coinciding), checked here from the run itself."""
    at = new_app(PAGE, query)
    at.run()
    assert_healthy(at, f"rnn {query}")
    notes = [" ".join(n.split()) for n in _headline_subtitle(at)]
    named = "'bound' and 'eq. 10 along this run' within" in " ".join(notes) and "at every point" in " ".join(
        notes
    )
    types = {"H": int}
    r = L.compute(**{**DEFAULT, **{k: types.get(k, str)(v) for k, v in query.items()}})
    df, _ = L.headline_frame(r, False)
    piv = df.pivot_table(index="distance", columns="series", values="log10_norm").dropna()
    gap = float(np.max(np.abs(piv[L.BOUND] - piv[L.RUN_BOUND])))
    span = float(df["log10_norm"].max() - df["log10_norm"].min())
    assert (gap <= max(0.01 * span, np.log10(1.01))) == together == named, (gap, span, notes)


def test_decay_chart_has_the_hover_readout():
    """The headline chart carries a nearest point selection on the distance and a text layer per side filtered by
    it (no rerun: nothing reports back to the server)."""
    import json

    at = new_app(PAGE, eager=False)
    at.run()
    spec = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if "log10_norm" in c.proto.spec)
    params = [p for lay in [spec, *spec.get("layer", [])] for p in lay.get("params", [])]
    at_k = [p for p in params if p["name"] == "at_k"]
    assert at_k and at_k[0]["select"]["nearest"] is True and at_k[0]["select"]["fields"] == ["distance"]
    texts = [
        lay
        for lay in spec["layer"]
        if isinstance(lay.get("mark"), dict) and lay["mark"].get("type") == "text"
    ]
    assert {t["mark"]["align"] for t in texts} >= {"left", "right"}


def test_step_moves_the_travelling_gradient_one_state_back():
    import json

    def front(at):
        for c in at.get("vega_lite_chart"):
            t = json.loads(c.proto.spec).get("title", "")
            if isinstance(t, dict):  # head over the wavefront's number: 'k = 50 (T - k = 0): ||...|| = 5.66'
                t = ": ".join([" ".join(np.atleast_1d(t.get("text", ""))), *t.get("subtitle", [])])
            if "||dh_T/dh_k||_F = " in str(t):
                return str(t)
        raise AssertionError("no travelling-gradient frame")

    at = new_app(PAGE, eager=False)
    at.run()
    assert front(at).startswith("k = 50 (T - k = 0)")
    at.button(key="rnn_travel_step").click().run()
    at.button(key="rnn_travel_step").click().run()
    assert front(at).startswith("k = 48 (T - k = 2)")
    assert not at.exception


def test_play_is_a_session_button_not_a_url_value():
    """Play flips to Pause (a callback, so the label is right at once) and is not in the URL: a link never
    starts the animation."""
    at = new_app(PAGE, eager=False)
    at.run()
    at.button(key="rnn_travel_play").click().run()
    assert at.button(key="rnn_travel_play").label == "Pause"
    assert "rnn_travel_play" not in at.query_params
    at.button(key="rnn_travel_play").click().run()
    assert at.button(key="rnn_travel_play").label == "Play"
