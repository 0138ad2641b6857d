"""lessons.exploding and lessons.start called directly, without Streamlit: the sentences follow the numbers.

The pages' AppTests (tests/pages/test_exploding.py, tests/app/test_app_pages.py) check what the pages print; these
check the lesson functions on the cases a page reaches rarely (a gradient that is not finite, an
exact zero, a window the run leaves).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from gradcore import cliff
from lessons import exploding as X
from lessons import fmt
from lessons import start as S


def test_growth_text_flips_between_explode_and_vanish():
    up = X.growth_text(X.growth("gaussian_radius", 1.5, 60, 8, "tanh", 0), "gaussian_radius", 1.5, 60)
    down = X.growth_text(X.growth("gaussian_radius", 0.8, 60, 8, "tanh", 0), "gaussian_radius", 0.8, 60)
    assert "the gradient **explodes**" in up.notes[0] and "**vanishes** instead" in down.notes[0]
    assert up.jacobians.startswith("Live: spectral radius rho(W_h) = **1.500**")
    assert "10^" in up.gradient and "No float64 overflow up to T = 60" in up.notes[-1]


def test_growth_marks_the_overflow_step():
    G = X.growth("gaussian_radius", 3.0, 1000, 8, "linear", 0)
    F = G["facts"]["linear"]
    assert F["grad_overflow"] is not None and F["t_last_finite"] < F["grad_overflow"]
    text = X.growth_text(G, "gaussian_radius", 3.0, 1000)
    assert f"float64 **overflowed at T = {F['grad_overflow']}**" in text.gradient
    assert "The gradient of a real loss overflowed float64" in text.notes[-1]


def test_descents_and_their_sentences():
    R = X.descents(4.4, -2.2, 0.2, 100, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)
    free = R["runs"]["none"]
    assert R["k_star"] == int(np.nanargmax(free.grad_norm_before))
    text = X.descent_text(R, X.window("wall", 0.0, 0.0), 4.4, -2.2, 0.2, 1.0)
    assert text.live.count("\n- ") == 3 and "**unclipped**: loss" in text.live
    assert "Unclipped descent met" in text.notes[0]
    # a window the runs leave: said so
    tiny = X.descent_text(R, (4.39, 4.41, -2.21, -2.19), 4.4, -2.2, 0.2, 1.0)
    assert "(outside the window)" in tiny.live


def test_clipping_view_of_a_gradient_that_is_not_finite():
    R = X.descents(4.4, -2.2, 0.2, 100, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)
    C = X.clipping_view(R, 1.0, 0.2)
    free = R["runs"]["none"]
    assert C.finite and C.notes and C.tex_g.endswith(fmt.tex(np.linalg.norm(free.grad[R["k_star"]])))
    broken = {"runs": {"none": free._replace(grad=np.full_like(free.grad, np.nan))}, "k_star": 0}
    C = X.clipping_view(broken, 1.0, 0.2)
    assert not C.finite and C.notes == [] and C.tex_g == ""


def test_window_and_bifurcation_text():
    assert X.window("start", 4.4, -2.2) == (4.4 - 0.4, 4.4 + 0.4, -2.2 - 0.3, -2.2 + 0.3)
    assert X.window("wide", 0.0, 0.0) == (-2.0, 10.0, -6.0, 2.0)
    assert "**one fixed point for every b**" in X.bifurcation_text(X.bifurcation(3.0, 50, 0.5), 3.0, 50, 0.5)
    assert "**three fixed points for b in" in X.bifurcation_text(X.bifurcation(5.0, 50, 0.5), 5.0, 50, 0.5)


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
