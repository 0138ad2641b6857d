"""lessons.exploding called directly, without Streamlit: the sentences follow the numbers.

The pages' AppTests (tests/pages/test_exploding.py, tests/app/test_app_pages.py) check what the pages print; these
check the lesson functions on the cases a page reaches rarely (a gradient that is not finite, an
exact zero, a window the run leaves).
"""

from __future__ import annotations

import numpy as np

from gradcore import cliff
from lessons import exploding as X
from lessons import fmt


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


def _numbers(text: str) -> list[float]:
    import re

    return [float(m) for m in re.findall(r"-?\d+\.\d+e[+-]\d+", text)]


def test_descent_notes_say_what_holds_at_every_step_count():
    """Issue 18 item 3: no end-loss ratio (it swung 37x..3093x with the step count); at every step count the
    unclipped run is thrown at k_star and leaves the window, the clipped ones stay in it, and the quoted
    loss range is the run's own range after the wall."""
    win = X.window("wall", 0.0, 0.0)
    for steps in (10, 30, 100, 250, 500):
        R = X.descents(4.4, -2.2, 0.2, steps, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)
        free, fnorm, fval = (R["runs"][m] for m in ("none", "norm", "value"))
        k = R["k_star"]
        notes = X.descent_text(R, win, 4.4, -2.2, 0.2, 1.0).notes
        text = " ".join(notes)
        assert "lower" not in text and "x lower" not in text, text
        out = X._first_outside(free.path, win)
        assert out == k + 1, (steps, out, k)  # thrown off the wall by the step after the largest gradient
        assert f"at step {k} and was thrown off the wall" in notes[0]
        assert f"out of the window at step {out}" in notes[0]
        assert f"Over all {steps} steps both clipped runs stay in the window" in notes[1]
        for d in (fnorm, fval):
            inside = (win[0] <= d.path[:, 0]) & (d.path[:, 0] <= win[1])
            inside &= (win[2] <= d.path[:, 1]) & (d.path[:, 1] <= win[3])
            assert inside.all()
        lo_n, hi_n, lo_v, hi_v = _numbers(notes[1])
        for (lo, hi), d in (((lo_n, hi_n), fnorm), ((lo_v, hi_v), fval)):
            after = d.loss[k + 1 :]
            assert np.isclose(lo, after.min(), rtol=5e-3) and np.isclose(hi, after.max(), rtol=5e-3)


def test_descent_note_names_a_clipped_run_that_leaves_the_window():
    R = X.descents(4.4, -2.2, 0.2, 100, 1.0, cliff.STEPS, cliff.X0, cliff.TARGET)
    tiny = (4.3, 4.5, -2.3, -2.1)  # both clipped runs walk out of this close-up
    notes = X.descent_text(R, tiny, 4.4, -2.2, 0.2, 1.0).notes
    for m in ("norm", "value"):
        out = X._first_outside(R["runs"][m].path, tiny)
        assert out is not None and f"{X.RUNS[m]} leaves the window at step {out}".lower() in notes[1].lower()


def test_start_from_pick_takes_the_clicked_cell_inside_the_controls_ranges():
    from lessons.exploding import start_from_pick

    assert start_from_pick([{"w": 4.40049, "b": -2.2, "loss": 0.1}]) == (4.4, -2.2)
    assert start_from_pick([{"w": 42.0, "b": -9.0}]) == (10.0, -6.0)  # kept inside Start w / Start b's ranges
    for bad in (None, [], [{}], [{"w": "x", "b": 1}], [{"w": float("nan"), "b": 0.0}], {"w": 1}):
        assert start_from_pick(bad) is None, bad


def _cross(a, b) -> float:
    return float(a[0] * b[1] - a[1] * b[0])


def _plane(w0, b0, lr, steps, threshold):
    R = X.descents(w0, b0, lr, steps, threshold, cliff.STEPS, cliff.X0, cliff.TARGET)
    return R, X.clipping_plane(R, threshold)


def test_clipping_plane_arrows_are_gradcore_clippings_of_g():
    """At the defaults g (||g|| ~ 69) runs off the view: drawn to its edge in g's exact direction; clip by norm
    ends on the circle, same direction; clip by value ends on the box's corner; circle and box at the threshold."""
    R, P = _plane(4.4, -2.2, 0.2, 100, 1.0)
    g = R["runs"]["none"].grad[R["k_star"]]
    a = P.arrows.set_index("run")
    assert np.allclose(a.loc["unclipped", ["g1", "g2"]].to_numpy(float), g)
    assert P.g_cut and bool(a.loc["unclipped", "drawn_to_edge"])
    end = a.loc["unclipped", ["x2", "y2"]].to_numpy(float)
    assert np.max(np.abs(end)) <= P.extent and abs(_cross(end, g)) < 1e-9 * np.linalg.norm(g) and end @ g > 0
    n = a.loc["clipped by norm", ["x2", "y2"]].to_numpy(float)
    assert np.isclose(np.linalg.norm(n), 1.0) and abs(_cross(n, g)) < 1e-9 * np.linalg.norm(g)
    v = a.loc["clipped by value", ["x2", "y2"]].to_numpy(float)
    assert np.allclose(v, np.clip(g, -1.0, 1.0)) and np.max(np.abs(v)) == 1.0
    assert np.allclose(np.hypot(P.circle["x"], P.circle["y"]), 1.0)
    assert set(np.abs(P.box["x"])) == {1.0} and set(np.abs(P.box["y"])) == {1.0}
    # the arrowhead points along the arrow (Vega's symbol angle: clockwise from up)
    for _, row in a.iterrows():
        th = np.radians(row["angle"])
        assert np.allclose([np.sin(th), np.cos(th)], [row["x2"], row["y2"]] / np.hypot(row["x2"], row["y2"]))
    assert P.same == [] and "69.2x the threshold" in X.clipping_plane_caption(P, 1.0)


def test_clipping_plane_says_when_arrows_coincide():
    """A gradient inside the circle and the box: the three arrows are one, and the caption says so; a gradient
    clipped by value on one axis only (g_1 > threshold, |g_2| < threshold, ||g|| above it) keeps two apart."""
    R, P = _plane(2.0, 0.0, 0.2, 20, 10.0)
    assert float(P.arrows["length"].max()) < 10.0 and len(P.same) == 3 and not P.g_cut
    assert "the three arrows are one" in X.clipping_plane_caption(P, 10.0)
    R, P = _plane(4.4, -2.2, 0.2, 100, 1.0)
    assert P.same == []


def test_clipping_plane_of_a_gradient_that_is_not_finite():
    R, _ = _plane(4.4, -2.2, 0.2, 100, 1.0)
    free = R["runs"]["none"]
    broken = {"runs": {"none": free._replace(grad=np.full_like(free.grad, np.inf))}, "k_star": 0}
    assert X.clipping_plane(broken, 1.0) is None
    assert X.clipping_plane(R, 0.0) is None
