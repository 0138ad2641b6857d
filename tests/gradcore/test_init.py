"""Initialisers hit their stated spectral radius / norm and structure."""

import numpy as np
import pytest

from gradcore import init


def _radius(W):
    return np.max(np.abs(np.linalg.eigvals(W)))


def _norm(W):
    return np.linalg.norm(W, 2)


@pytest.mark.parametrize("H", [1, 2, 7, 64])
@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_gaussian_radius(H, rho):
    W = init.gaussian_spectral_radius(H, rho, np.random.default_rng(H))
    assert W.shape == (H, H)
    assert _radius(W) == pytest.approx(rho, rel=1e-10)


@pytest.mark.parametrize("H", [1, 3, 64])
@pytest.mark.parametrize("sigma", [0.5, 1.0, 2.0])
def test_gaussian_norm(H, sigma):
    W = init.gaussian_spectral_norm(H, sigma, np.random.default_rng(H))
    assert _norm(W) == pytest.approx(sigma, rel=1e-10)


@pytest.mark.parametrize("H", [1, 5, 32])
def test_orthogonal(H):
    W = init.orthogonal(H, np.random.default_rng(0), scale=1.3)
    np.testing.assert_allclose(W.T @ W, 1.3**2 * np.eye(H), atol=1e-12)
    np.testing.assert_allclose(np.abs(np.linalg.eigvals(W)), 1.3, rtol=1e-10)


def test_orthogonal_is_random_and_reproducible():
    a = init.orthogonal(8, np.random.default_rng(1))
    b = init.orthogonal(8, np.random.default_rng(1))
    c = init.orthogonal(8, np.random.default_rng(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_identity():
    np.testing.assert_array_equal(init.identity(4, 0.7), 0.7 * np.eye(4))


@pytest.mark.parametrize("H", [4, 15, 100])
def test_smart_tanh(H):
    W = init.smart_tanh(H, np.random.default_rng(3))
    assert _radius(W) == pytest.approx(0.95, rel=1e-10)
    nnz_per_unit = (W != 0).sum(axis=0)  # column j = incoming weights of unit j
    assert np.all(nnz_per_unit == min(15, H))


@pytest.mark.parametrize("H", [1, 6, 200])
def test_esn(H):
    W = init.esn_reservoir(H, 0.9, np.random.default_rng(4), density=0.1)
    assert _radius(W) == pytest.approx(0.9, rel=1e-10)
    assert np.all((W != 0).sum(axis=0) >= 1)
    if H == 200:
        assert 0.08 < (W != 0).mean() < 0.13


@pytest.mark.parametrize("H", [2, 9, 64])
def test_nonnormal_radius_below_one_norm_above_one(H):
    rng = np.random.default_rng(5)
    W = init.nonnormal(H, rng, rho=0.9, coupling=1.0)
    assert _radius(W) < 1.0
    assert _radius(W) == pytest.approx(0.9, abs=1e-6)  # defective blocks: ~sqrt(eps) error
    assert _norm(W) == pytest.approx(init.nonnormal_norm(0.9, 1.0), rel=1e-10)
    assert _norm(W) > 1.5
    norms = np.array([_norm(np.linalg.matrix_power(W, k)) for k in range(80)])
    peak = int(np.argmax(norms))
    assert peak == 9 and norms[peak] == pytest.approx(3.9126, rel=1e-4)
    assert np.all(np.diff(norms[1 : peak + 1]) > 0)  # transient growth ...
    assert np.all(np.diff(norms[peak + 1 :]) < 0)  # ... then decay
    assert norms[79] < 0.05


@pytest.mark.parametrize("kind", init.KINDS)
def test_make_Wh_targets(kind):
    W = init.make_Wh(kind, 32, 0.8, np.random.default_rng(6))
    assert W.shape == (32, 32) and W.dtype == np.float64
    if kind == "gaussian_norm":
        assert _norm(W) == pytest.approx(0.8, rel=1e-10)
    else:
        assert _radius(W) == pytest.approx(0.8, abs=1e-6)


def test_make_Wh_unknown_kind():
    with pytest.raises(ValueError):
        init.make_Wh("bogus", 4, 1.0, np.random.default_rng(0))
