"""gradcore.gradcheck: centred differences agree with known gradients and expose wrong ones."""

import numpy as np
import pytest

from gradcore import gradcheck
from gradcore.gradcheck import numerical_gradient, rel_error


def _fn(A, B):
    """f(A, B) = sum(sin(A) * B) + sum(A^2 B^3): df/dA = cos(A) B + 2 A B^3, df/dB = sin(A) + 3 A^2 B^2."""
    return np.sum(np.sin(A) * B) + np.sum(A**2 * B**3)


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    return {"A": rng.standard_normal((3, 4)), "B": rng.standard_normal((3, 4))}


def _exact(A, B):
    return {"A": np.cos(A) * B + 2 * A * B**3, "B": np.sin(A) + 3 * A**2 * B**2}


def test_numerical_gradient_matches_the_known_gradient():
    arrays = _arrays()
    exact = _exact(**arrays)
    for name in ("A", "B"):
        np.testing.assert_allclose(numerical_gradient(_fn, arrays, name), exact[name], rtol=1e-7, atol=1e-8)


def test_check_is_small_for_the_right_gradient_and_large_for_wrong_ones():
    arrays = _arrays(1)
    exact = _exact(**arrays)
    good = gradcheck.check(_fn, arrays, exact)
    assert set(good) == {"A", "B"} and max(good.values()) < 1e-8
    wrong = {
        "A": np.cos(arrays["A"]) * arrays["B"],  # the second term forgotten
        "B": -exact["B"],  # the sign flipped
    }
    bad = gradcheck.check(_fn, arrays, wrong)
    assert bad["A"] > 0.1
    assert bad["B"] == pytest.approx(2.0, rel=1e-6)  # ||g - (-g)|| / ||g||


def test_a_function_that_ignores_its_argument_cannot_pass():
    """The habit STYLE.md warns about: a lambda over a shared array, not over its argument."""
    arrays = _arrays(2)
    shared = arrays["A"]
    err = gradcheck.check(
        lambda A, B: np.sum(np.sin(shared) * B), arrays, {"A": np.cos(shared) * arrays["B"]}
    )
    assert err["A"] == 1.0  # the checker perturbs a copy, so the difference quotient is exactly 0


def test_inputs_are_left_unchanged_and_ints_are_checked_in_float64():
    arrays = {"A": np.arange(6).reshape(2, 3), "B": np.ones((2, 3), dtype=np.float32)}
    before = {k: v.copy() for k, v in arrays.items()}
    g = numerical_gradient(_fn, arrays, "A")
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, _exact(arrays["A"].astype(float), 1.0)["A"], rtol=1e-7)
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], before[k])
        assert arrays[k].dtype == before[k].dtype


def test_centred_difference_error_is_second_order():
    """(f(a + eps) - f(a - eps)) / (2 eps) = f'(a) + f'''(a) eps^2 / 6 + O(eps^4)."""
    arrays = {"A": np.array([0.3, -1.2, 2.0])}
    exact = np.exp(arrays["A"])  # f = sum exp(A): every derivative is exp(A)

    def fn(A):
        return np.sum(np.exp(A))

    for eps in (1e-2, 1e-3):
        err = numerical_gradient(fn, arrays, "A", eps=eps) - exact
        np.testing.assert_allclose(err, exact * eps**2 / 6, rtol=1e-3)


def test_index_spot_checks_only_the_given_entries():
    arrays = _arrays(3)
    ix = [(0, 1), (2, 3)]
    g = numerical_gradient(_fn, arrays, "A", index=ix)
    exact = _exact(**arrays)["A"]
    checked = np.zeros(g.shape, bool)
    checked[tuple(np.array(ix).T)] = True
    assert np.isnan(g[~checked]).all()
    np.testing.assert_allclose(g[checked], exact[checked], rtol=1e-7)
    assert rel_error(exact, g) < 1e-8  # rel_error compares only the finite entries


def test_rel_error_by_hand():
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(np.array([1.0, 0.0]), np.array([0.0, 1.0])) == pytest.approx(np.sqrt(2))
    assert rel_error(np.array([3.0, 4.0]), np.array([3.0, 4.5])) == pytest.approx(0.5 / np.hypot(3, 4.5))
    a, b = np.array([1.0, 2.0, np.inf]), np.array([1.0, 2.2, 5.0])
    assert rel_error(a, b) == pytest.approx(0.2 / np.hypot(1, 2.2))  # the infinite entry is left out
    assert rel_error(a, b) == rel_error(b, a)
    assert rel_error(1e6 * a, 1e6 * b) == pytest.approx(rel_error(a, b), rel=1e-12)  # scale-free
