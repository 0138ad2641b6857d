"""Pascanu's single-unit cliff: surface, BPTT gradient, descent with clipping, fixed points."""

import math

import numpy as np
import pytest

from gradcore import cliff
from gradcore.gradcheck import numerical_gradient, rel_error


def loop_loss(w, b, steps=50, x0=0.5, target=0.7):
    """Scalar Python loop, written independently of the vectorised engine."""
    x = x0
    for _ in range(steps):
        x = w * (1.0 / (1.0 + math.exp(-x))) + b
    return (1.0 / (1.0 + math.exp(-x)) - target) ** 2


# includes (4.3778..., -2.2291...): the point on the wall where ||g|| ~ 70 (see EDGE below)
POINTS = [
    (1.0, -1.0),
    (4.4, -2.2),
    (5.0, -2.5),
    (6.0, -3.0),
    (-1.5, 0.7),
    (8.0, 1.0),
    (4.377831629150229, -2.2290833813395388),
]


def test_surface_matches_python_loop():
    s = cliff.surface(w_range=(-2.0, 10.0), b_range=(-6.0, 2.0), n_w=13, n_b=9)
    assert s.loss.shape == (9, 13)
    for i in [0, 3, 8]:
        for j in [0, 5, 12]:
            assert s.loss[i, j] == pytest.approx(loop_loss(s.w[j], s.b[i]), rel=1e-12, abs=1e-15)
    for w, b in POINTS:
        assert float(cliff.loss(w, b)) == pytest.approx(loop_loss(w, b), rel=1e-12, abs=1e-15)
        assert float(cliff.loss(w, b, steps=7, x0=-1.0, target=0.2)) == pytest.approx(
            loop_loss(w, b, 7, -1.0, 0.2), rel=1e-12, abs=1e-15
        )


@pytest.mark.parametrize("w,b", POINTS)
def test_gradient_matches_centred_differences(w, b):
    def fn(w, b):
        return float(cliff.loss(w, b))

    arrays = {"w": np.array(w), "b": np.array(b)}
    _, dw, db = cliff.loss_and_grad(w, b)
    num_w = numerical_gradient(fn, arrays, "w")
    num_b = numerical_gradient(fn, arrays, "b")
    assert rel_error(np.array(dw), num_w) < 1e-6
    assert rel_error(np.array(db), num_b) < 1e-6


def test_gradient_vectorised_equals_pointwise():
    w = np.array([[1.0, 4.4], [5.0, 6.0]])
    b = np.array([[-1.0, -2.2], [-2.5, -3.0]])
    L, dw, db = cliff.loss_and_grad(w, b)
    for idx in np.ndindex(w.shape):
        Li, dwi, dbi = cliff.loss_and_grad(w[idx], b[idx])
        assert L[idx] == Li and dw[idx] == dwi and db[idx] == dbi


def test_inputs_not_mutated():
    w = np.linspace(3.0, 6.0, 5)
    b = np.full(5, -2.5)
    w0, b0 = w.copy(), b.copy()
    cliff.loss_and_grad(w, b)
    cliff.unroll(w, b)
    assert np.array_equal(w, w0) and np.array_equal(b, b0)


def test_surface_has_a_wall():
    s = cliff.surface()
    assert np.all(np.isfinite(s.loss)) and np.all(np.isfinite(s.grad_norm))
    # the loss jumps between neighbouring grid points somewhere (the wall) ...
    jump = np.max(np.abs(np.diff(s.loss, axis=0)))
    assert jump > 0.2
    # ... and the gradient norm spans many orders of magnitude
    assert s.grad_norm.max() / np.median(s.grad_norm) > 1e3


# The start on the cliff's edge used by the page's defaults: a few steps down the valley,
# then the gradient at the wall is ~70 and an unclipped step of lr * 70 throws (w, b) onto
# the flat plateau where sigmoid(x_50) ~ 1 (loss 0.09, gradient ~ 0): stuck for good.
EDGE = dict(w0=4.4, b0=-2.2, lr=0.2, n_steps=100)


def test_descent_without_clipping_diverges_and_with_clipping_does_not():
    free = cliff.descend(**EDGE, mode="none")
    norm = cliff.descend(**EDGE, mode="norm", threshold=1.0)
    assert free.overflow_step is None and norm.overflow_step is None
    assert np.all(free.finite) and np.all(norm.finite)

    step_free = np.linalg.norm(np.diff(free.path, axis=0), axis=1)
    k = int(np.argmax(step_free))
    assert free.grad_norm_before[k] > 10  # the wall's exploding gradient
    assert step_free[k] > 5  # thrown far away in one step
    assert free.loss[-1] >= 10 * free.loss[0]  # diverged: an order of magnitude worse
    assert free.loss[k + 1 :].min() >= 10 * free.loss[: k + 1].min()  # and never comes back
    assert free.grad_norm_before[-1] < 1e-3  # on the plateau: no gradient to return with

    step_norm = np.linalg.norm(np.diff(norm.path, axis=0), axis=1)
    assert step_norm.max() <= EDGE["lr"] * 1.0 * (1 + 1e-12)  # every step at most lr * threshold
    assert norm.grad_norm_after.max() <= 1.0 * (1 + 1e-12)
    assert norm.clipped[k]  # the same wall gradient was clipped
    assert norm.loss[-1] <= norm.loss[0] / 10  # ended better than it started
    assert norm.loss[-1] * 10 <= free.loss[-1]


def test_descent_value_clipping_records_norms():
    d = cliff.descend(**EDGE, mode="value", threshold=0.5)
    assert np.all(np.abs(np.diff(d.path, axis=0)) <= EDGE["lr"] * 0.5 * (1 + 1e-12))
    assert np.all(d.grad_norm_after <= d.grad_norm_before + 1e-15)
    assert d.path.shape == (EDGE["n_steps"] + 1, 2) and d.loss.shape == (EDGE["n_steps"] + 1,)


def test_descent_marks_overflow_instead_of_crashing():
    # The loss is bounded (sigmoid saturates), so float64 gives out in the update itself:
    # from the wall point (||g|| ~ 70) a step of lr * g with lr = 1e307 exceeds 1.8e308.
    free = cliff.descend(**EDGE, mode="none")
    k_wall = int(np.argmax(free.grad_norm_before))
    w_wall, b_wall = free.path[k_wall]
    with np.errstate(all="raise"):  # the engine must guard its own overflows
        d = cliff.descend(w_wall, b_wall, lr=1e307, n_steps=20, mode="none")
    assert d.overflow_step is not None
    k = d.overflow_step
    assert not d.finite[k] and np.all(d.finite[:k])
    assert len(d.loss) == k + 1  # stopped at the first non-finite point


def test_descent_rejects_bad_mode():
    with pytest.raises(ValueError):
        cliff.descend(4.0, -2.0, mode="sideways")
    with pytest.raises(ValueError):
        cliff.descend(4.0, -2.0, mode="norm", threshold=0.0)


def test_fixed_points_satisfy_equation_and_bifurcate():
    b_values = np.linspace(-3.2, -1.8, 141)
    fp = cliff.fixed_points(w=5.0, b_values=b_values)
    resid = 5.0 * (1 / (1 + np.exp(-fp.x))) + fp.b - fp.x
    assert np.max(np.abs(resid)) < 1e-10
    assert set(np.unique(fp.count)) == {1, 3}
    # count goes 1 -> 3 -> 1 as b increases: exactly two changes
    changes = np.nonzero(np.diff(fp.count))[0]
    assert len(changes) == 2
    assert fp.count[0] == 1 and fp.count[-1] == 1 and fp.count[changes[0] + 1] == 3
    lo, hi = cliff.bifurcation_interval(5.0)
    three = b_values[fp.count == 3]
    assert lo <= three.min() and three.max() <= hi
    assert three.min() - lo < 0.011 and hi - three.max() < 0.011  # grid spacing 0.01
    # where there are three, the outer two are stable and the middle one unstable
    for bv in three[::10]:
        sel = fp.b == bv
        xs, st = fp.x[sel], fp.stable[sel]
        order = np.argsort(xs)
        assert list(st[order]) == [True, False, True]
    # a single fixed point is stable
    one = fp.b_grid[fp.count == 1]
    assert np.all(fp.stable[np.isin(fp.b, one)])


def test_fixed_points_small_w_has_one():
    fp = cliff.fixed_points(w=3.0, b_values=np.linspace(-4, 1, 51))
    assert np.all(fp.count == 1)
    assert cliff.bifurcation_interval(3.0) is None
