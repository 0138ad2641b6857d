"""gradcore.activations: the rule table of the vanilla RNN's activations (f, f', gamma_h)."""

import numpy as np
import pytest

from gradcore import activations, rnn

NAMES = ["tanh", "sigmoid", "relu", "linear"]
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}  # seed 001 eq. 10-11


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_centred_differences(name):
    """f'(a) from (a, f(a)) against (f(a + eps) - f(a - eps)) / (2 eps) in float64."""
    act = activations.get(name)
    a = np.random.default_rng(0).uniform(-6.0, 6.0, 2000)
    a = a[np.abs(a) > 1e-3]  # away from relu's kink
    eps = 1e-6
    fd = (act.f(a + eps) - act.f(a - eps)) / (2 * eps)
    np.testing.assert_allclose(act.df(a, act.f(a)), fd, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_gamma_is_the_max_of_the_derivative(name):
    """gamma_h = sup |f'|: 1, 1/4, 1, 1, reached on the grid (at a = 0 for tanh and sigmoid)."""
    act = activations.get(name)
    a = np.linspace(-20.0, 20.0, 40001)  # contains 0 and points just either side of it
    fprime = np.abs(act.df(a, act.f(a)))
    assert act.gamma == GAMMA[name]
    assert fprime.max() == pytest.approx(act.gamma, rel=1e-12)
    assert np.all(fprime <= act.gamma)


def test_sigmoid_is_the_logistic_function_and_never_overflows():
    a = np.linspace(-30.0, 30.0, 601)
    # NB: written through tanh, it is exact to a few ulps of 1 (absolute), not relative for
    # a << 0: 1 + tanh(a/2) cancels (rel. error 2e-4 at a = -30, exactly 0 below about -37)
    np.testing.assert_allclose(activations.sigmoid(a), 1.0 / (1.0 + np.exp(-a)), rtol=1e-14, atol=3e-16)
    with np.errstate(all="raise"):  # 1 / (1 + exp(1000)) would overflow exp
        big = activations.sigmoid(np.array([-1000.0, 1000.0]))
    np.testing.assert_array_equal(big, [0.0, 1.0])


def test_relu_derivative_at_zero_is_zero():
    act = activations.get("relu")
    a = np.array([-1.0, 0.0, 1e-300, 2.0])
    np.testing.assert_array_equal(act.df(a, act.f(a)), [0.0, 0.0, 1.0, 1.0])


@pytest.mark.parametrize("name", NAMES)
def test_values_are_new_arrays_and_keep_float32(name):
    act = activations.get(name)
    a = np.linspace(-2, 2, 9, dtype=np.float32)
    before = a.copy()
    h = act.f(a)
    d = act.df(a, h)
    assert h.dtype == np.float32 and d.dtype == np.float32
    assert not np.shares_memory(h, a) and not np.shares_memory(d, a)
    h[:] = 7.0  # writing into a result leaves the input alone
    np.testing.assert_array_equal(a, before)


def test_get_returns_the_named_entry_and_lists_the_valid_ones():
    for name in NAMES:
        assert activations.get(name).name == name
    with pytest.raises(ValueError, match=r"\['linear', 'relu', 'sigmoid', 'tanh'\]"):
        activations.get("swish")


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation"):
        rnn.forward(
            np.zeros((1, 2, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), "swish"
        )
