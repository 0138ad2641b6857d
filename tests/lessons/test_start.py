"""lessons.start called directly, without Streamlit: the Start page's two runs and what its figure says.

The page's AppTest is tests/pages/test_start.py; these check the numbers against gradcore and by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from gradcore import init
from lessons import start as S


def test_start_read_off_and_exact_zero():
    df = S.jacobian_norms(40, "linear", 8, 0)
    assert set(df["run"]) == {"spectral radius 0.8", "spectral radius 1.2"}
    text = S.read_off(df, 40)
    assert (
        text.startswith("**Read it off:** after 40 steps the gradient norm is 1e") and "x per step." in text
    )
    zero = pd.DataFrame({"scale": [0.8, 1.2], "distance": [40, 40], "log10_norm": [-np.inf, 3.4]})
    assert S.read_off(zero, 40) == (
        "**Read it off:** after 40 steps the gradient norm is exactly 0 at radius 0.8 and 1e3 at radius 1.2."
    )
    assert S.activation_note("linear") is None and "f'(a_t) <= 0.25" in S.activation_note("sigmoid")


def test_bound_claim_is_the_bound_of_the_W_the_preset_opens():
    """The Sigmoid preset's sentence is computed: orthogonal W -> gamma_W = 1 -> exactly 4x per step; the old
    settings (Gaussian at radius 1, gamma_W = 1.678) give 2.38x, and the sentence says so."""
    from lessons import rnn_vanishing as R

    r = R.compute(60, 32, "sigmoid", "orthogonal", 1.0, 1.0, 0)
    assert abs(r.gamma_W - 1.0) < 1e-12 and r.gamma_h == 0.25
    assert "drops 4× per step" in S.bound_claim("sigmoid", "orthogonal", 1.0, 32, 0)
    g = R.compute(60, 32, "sigmoid", "gaussian_radius", 1.0, 1.0, 0)
    claim = S.bound_claim("sigmoid", "gaussian_radius", 1.0, 32, 0)
    assert f"{g.gamma_W:.3g}" == "1.68" and f"drops {1 / (g.gamma_W * 0.25):.3g}× per step" in claim
    assert "grows 1.5× per step" in S.bound_claim("linear", "orthogonal", 1.5, 32, 0)


def test_jacobian_norms_are_the_powers_of_the_same_W():
    """Linear units: ||dh_T/dh_{T-d}||_2 = ||Wh^d||_2, and the two radii share one draw (W_1.2 = 1.5 W_0.8)."""
    T, H, seed = 25, 6, 3
    df = S.jacobian_norms(T, "linear", H, seed)
    for scale in S.SCALES:
        Wh = init.make_Wh("gaussian_radius", H, scale, np.random.default_rng(seed))
        want = [np.log10(np.linalg.norm(np.linalg.matrix_power(Wh, d), 2)) for d in range(T + 1)]
        got = df[df["scale"] == scale].sort_values("distance")
        np.testing.assert_array_equal(got["distance"], np.arange(T + 1))
        np.testing.assert_allclose(got["log10_norm"], want, rtol=1e-9, atol=1e-12)
    lo, hi = (df[df["scale"] == s].sort_values("distance")["log10_norm"].to_numpy() for s in S.SCALES)
    np.testing.assert_allclose(hi - lo, np.arange(T + 1) * np.log10(1.5), rtol=1e-9, atol=1e-12)


def test_read_off_rates_by_hand():
    df = pd.DataFrame({"scale": [0.8, 1.2], "distance": [40, 40], "log10_norm": [-8.0, 4.0]})
    # 10^(-8/40) = 0.631, 10^(4/40) = 1.259
    assert S.read_off(df, 40) == (
        "**Read it off:** after 40 steps the gradient norm is 1e-8 at radius 0.8 and 1e4 at radius 1.2, "
        "about 0.63x and 1.26x per step."
    )


@pytest.mark.parametrize("act,gamma", [("tanh", "1"), ("sigmoid", "0.25"), ("relu", "1")])
def test_activation_note_quotes_gamma_h(act, gamma):
    assert f"f'(a_t) <= {gamma}," in S.activation_note(act)


def test_bound_claim_at_exactly_one():
    assert "the bound (γ_W γ_h)^(t−k) stays at 1." in S.bound_claim("linear", "identity", 1.0, 8, 0)
