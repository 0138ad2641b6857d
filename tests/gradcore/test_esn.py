"""Echo state networks: the reservoir, the closed-form readout, memory against spectral radius."""

import numpy as np
import pytest

from gradcore import esn, init


def test_reservoir_radius_and_run_matches_recursion():
    rng = np.random.default_rng(0)
    res = esn.make_reservoir(30, 2, 0.8, rng, input_scale=0.5, leak=0.3, bias_scale=0.1)
    assert init.spectral_radius(res.W) == pytest.approx(0.8)
    u = rng.standard_normal((20, 2))
    S = esn.run(res, u)
    h = np.zeros(30)
    for t in range(20):
        h = 0.7 * h + 0.3 * np.tanh(u[t] @ res.Win + h @ res.W + res.b)
    assert np.allclose(S[-1], h, rtol=1e-13)
    assert np.allclose(esn.run(res, np.stack([u, u]))[1], S)


def test_readout_solves_the_ridge_normal_equations():
    rng = np.random.default_rng(1)
    S = rng.standard_normal((300, 10))
    Y = rng.standard_normal((300, 3))
    ro = esn.fit_readout(S, Y, ridge=0.5, washout=20)
    A = np.concatenate([S[20:], np.ones((280, 1))], axis=1)
    assert np.allclose((A.T @ A + 0.5 * np.eye(11)) @ ro.Wout, A.T @ Y[20:], rtol=1e-10)
    ro0 = esn.fit_readout(S, Y, ridge=0.0, washout=20)
    assert np.allclose(ro0.Wout, np.linalg.lstsq(A, Y[20:], rcond=None)[0], rtol=1e-8)


def test_delayed_copy_short_fits_long_fails():
    res = esn.make_reservoir(50, 1, 0.9, np.random.default_rng(2), input_scale=0.1)
    delays = [1, 2, 3, 5, 60, 100, 150]
    r2 = esn.delay_r2(res, delays, np.random.default_rng(3), T_train=2000, T_test=1000, washout=200)
    assert np.all(r2[:4] > 0.95), r2
    assert np.all(r2[4:] < 0.05), r2


def test_memory_capacity_against_spectral_radius():
    rhos = [0.1, 0.5, 0.95, 1.5]
    mc = esn.memory_capacity_curve(rhos, H=40, seed=4)
    assert np.all(mc <= 40 + 1e-9) and np.all(mc > 0)
    # memory grows with the radius up to the edge of stability, then chaos erases it
    assert mc[0] < mc[1] < mc[2] and mc[3] < mc[2]
    assert mc[0] < 5


def test_validation():
    with pytest.raises(ValueError):
        esn.make_reservoir(10, 1, 0.9, np.random.default_rng(0), leak=0.0)
    res = esn.make_reservoir(10, 1, 0.9, np.random.default_rng(0))
    with pytest.raises(ValueError):
        esn.delay_r2(res, [200], np.random.default_rng(0), washout=100)
