"""gradcore.regularisers: the L1/L2 penalty on Wh and Pascanu's Omega, values by hand and
gradients against centred finite differences in float64."""

import numpy as np
import pytest

from gradcore import gradcheck, init, models, regularisers


def test_penalties_gradcheck_and_values():
    rng = np.random.default_rng(2)
    Wh = rng.standard_normal((2, 4, 4))
    l1, l2 = np.array([0.3, 0.0]), np.array([0.5, 2.0])
    val, g = regularisers.penalty(Wh, l1, l2)
    assert val[0] == pytest.approx(0.3 * np.abs(Wh[0]).sum() + 0.25 * (Wh[0] ** 2).sum())
    err = gradcheck.check(lambda Wh: float(regularisers.penalty(Wh, l1, l2)[0].sum()), {"Wh": Wh}, {"Wh": g})
    assert err["Wh"] < 1e-6


def test_penalty_by_hand_with_scalar_hyperparameters():
    Wh = np.array([[[1.0, -2.0], [0.0, 0.5]], [[3.0, 0.0], [0.0, -1.0]]])  # (M=2, 2, 2)
    val, g = regularisers.penalty(Wh, l1=0.1, l2=2.0)
    # model 0: 0.1 * 3.5 + 1.0 * (1 + 4 + 0.25); model 1: 0.1 * 4 + 1.0 * (9 + 1)
    np.testing.assert_allclose(val, [0.35 + 5.25, 0.4 + 10.0], rtol=1e-15)
    np.testing.assert_allclose(g[0], [[0.1 + 2.0, -0.1 - 4.0], [0.0, 0.1 + 1.0]], rtol=1e-15)  # sign(0) = 0
    zero_val, zero_g = regularisers.penalty(Wh)
    assert np.all(zero_val == 0.0) and np.all(zero_g == 0.0)
    assert not np.shares_memory(g, Wh)


@pytest.mark.parametrize("cell,act", [("rnn", "tanh"), ("rnn", "sigmoid"), ("leaky", "tanh")])
def test_omega_gradient_with_g_held_constant(cell, act):
    """Pascanu's convention: dE/dh_{k+1} is a constant; everything else is differentiated."""
    rng = np.random.default_rng(3)
    M, N, T, D, H = 2, 3, 7, 2, 4
    Wx, Wh, b = (
        0.7 * rng.standard_normal((M, D, H)),
        0.7 * rng.standard_normal((M, H, H)),
        0.1 * rng.standard_normal((M, H)),
    )
    x = rng.standard_normal((M, N, T, D))
    alpha = rng.uniform(0.02, 0.2, (M, H)) if cell == "leaky" else None
    spec = models.Spec(cell, act)
    mask = np.ones((M, N, T), bool)
    mask[0, 0, :2] = False
    _, cache = models.forward(spec, Wx, Wh, b, x, mask, alpha)
    g = models.backward(cache, rng.standard_normal((M, T, N, H))).dh_total
    om = regularisers.omega(cache, g)
    sweep = models.backward(cache, np.zeros_like(g), da_extra=om.da)
    analytic = {"Wx": sweep.dWx, "Wh": sweep.dWh + om.dWh_direct, "b": sweep.db}

    def fn(Wx, Wh, b):
        _, c = models.forward(spec, Wx, Wh, b, x, mask, alpha)
        return float(regularisers.omega(c, g).value.sum())

    errs = gradcheck.check(fn, {"Wx": Wx, "Wh": Wh, "b": b}, analytic)
    assert max(errs.values()) < 1e-6, errs
    # the value is the mean of (||g J|| / ||g|| - 1)^2 over the terms it keeps
    r = om.ratio
    assert np.isnan(r[:, 0]).all() and np.isnan(r[0, :2, 0]).all()
    assert om.value[1] == pytest.approx(np.nanmean((r[1] - 1) ** 2))


def _omega_of(cell, Wh, g, alpha=None, act="linear"):
    M, H = Wh.shape[0], Wh.shape[1]
    T, N = g.shape[1], g.shape[2]
    rng = np.random.default_rng(4)
    x = rng.standard_normal((M, N, T, 1))
    _, cache = models.forward(
        models.Spec(cell, act), rng.standard_normal((M, 1, H)), Wh, np.zeros((M, H)), x, None, alpha
    )
    return regularisers.omega(cache, g)


def test_omega_by_hand_for_one_unit():
    """H = 1, linear: ||g dh_t/dh_{t-1}|| / ||g|| = |w| (rnn) or |alpha + (1 - alpha) w| (leaky)."""
    g = np.random.default_rng(5).standard_normal((1, 4, 2, 1))
    om = _omega_of("rnn", np.full((1, 1, 1), 1.5), g)
    np.testing.assert_allclose(om.ratio[0, 1:], 1.5, rtol=1e-14)
    assert om.value[0] == pytest.approx(0.25, rel=1e-14)  # (1.5 - 1)^2
    assert om.dWh_direct[0, 0, 0] == pytest.approx(1.0, rel=1e-14)  # d/dw (|w| - 1)^2 = 2 (|w| - 1)
    np.testing.assert_array_equal(om.da, 0.0)  # f'' = 0 for linear units
    leaky = _omega_of("leaky", np.full((1, 1, 1), 2.0), g, alpha=np.full((1, 1), 0.5))
    assert leaky.value[0] == pytest.approx(0.25, rel=1e-14)  # |0.5 + 0.5 * 2| = 1.5


def test_omega_is_zero_where_the_jacobian_keeps_the_norm():
    """Linear units and an orthogonal Wh: every ratio is 1, Omega and its gradient vanish."""
    rng = np.random.default_rng(6)
    H = 5
    Wh = np.stack([init.orthogonal(H, rng), init.orthogonal(H, rng)])
    om = _omega_of("rnn", Wh, rng.standard_normal((2, 6, 3, H)))
    np.testing.assert_allclose(om.ratio[:, 1:], 1.0, rtol=1e-13)
    np.testing.assert_allclose(om.value, 0.0, atol=1e-26)
    np.testing.assert_allclose(om.dWh_direct, 0.0, atol=1e-13)


def test_omega_refuses_gated_cells():
    rng = np.random.default_rng(7)
    M, N, T, D, H = 1, 2, 3, 1, 2
    _, cache = models.forward(
        models.Spec("lstm"),
        rng.standard_normal((M, D, 4 * H)),
        rng.standard_normal((M, H, 4 * H)),
        np.zeros((M, 4 * H)),
        rng.standard_normal((M, N, T, D)),
    )
    with pytest.raises(ValueError, match="rnn and leaky"):
        regularisers.omega(cache, np.ones((M, T, N, H)))
