"""gradcore.spectra: Jacobian-product norms at chosen distances, eq. 10 along the run, and
BPTT split by step, against explicit products (np.linalg.svd / norm) and closed forms.

NB: tests/pages/test_rnn_vanishing.py also compares these functions with gradcore.jacobians'
Lanczos norms and gradcore.attribution's table; the checks here use neither.
"""

import numpy as np
import pytest

from gradcore import activations, init, rnn, spectra


def _cache(rng, T, H, act="tanh", Wh=None, N=1, D=3, xscale=1.0, b=None):
    Wh = 0.5 * rng.standard_normal((H, H)) if Wh is None else Wh
    x = xscale * rng.standard_normal((N, T, D))
    b = 0.1 * rng.standard_normal(H) if b is None else b
    return rnn.forward(x, np.zeros((N, H)), rng.standard_normal((D, H)), Wh, b, act)[1]


def _explicit_products(cache, t, sample=0):
    """P_d = J_t J_{t-1} ... J_{t-d+1}, J_s = diag(f'(a_s)) Wh^T, multiplied out for d = 0..t."""
    fprime = activations.get(cache.activation).df(cache.a[sample], cache.h[sample])
    P, out = np.eye(cache.Wh.shape[0]), [np.eye(cache.Wh.shape[0])]
    for d in range(1, t + 1):
        P = P @ (fprime[t - d][:, None] * cache.Wh.T)
        out.append(P)
    return out


# ----------------------------------------------------------------------------- sample_distances


def test_sample_distances_all_when_few():
    np.testing.assert_array_equal(spectra.sample_distances(7, 10), np.arange(1, 8))
    np.testing.assert_array_equal(spectra.sample_distances(10, 10), np.arange(1, 11))


@pytest.mark.parametrize("t,n_max,head", [(1000, 50, 20), (100, 30, 20), (37, 5, 20), (500, 2, 20)])
def test_sample_distances_head_then_evenly_spaced(t, n_max, head):
    d = spectra.sample_distances(t, n_max, head)
    h = min(head, max(n_max, 2) - 2)
    np.testing.assert_array_equal(d[:h], np.arange(1, h + 1))  # every distance near the loss
    assert d[-1] == t and np.all(np.diff(d) > 0) and len(d) <= max(n_max, 2)
    gaps = np.diff(d[h:])
    assert gaps.max() - gaps.min() <= 1  # evenly spaced (to rounding) after the head


# ----------------------------------------------------------------------------- rnn_product_norms_at


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "linear"])
def test_product_norms_equal_the_explicit_product(act):
    rng = np.random.default_rng(0)
    cache = _cache(
        rng, T=15, H=6, act=act, Wh=rng.standard_normal((6, 6)) * (1.5 if act == "sigmoid" else 0.6)
    )
    t = 12  # not the last step: the products end at h_t
    pn = spectra.rnn_product_norms_at(cache, t=t)
    P = _explicit_products(cache, t)
    np.testing.assert_array_equal(pn.distance, np.arange(t + 1))
    assert pn.t == t
    np.testing.assert_allclose(pn.log_fro, [np.log(np.linalg.norm(p)) for p in P], rtol=1e-10, atol=1e-10)
    spec = [np.log(np.linalg.svd(p, compute_uv=False)[0]) for p in P]
    np.testing.assert_allclose(pn.log_spec, spec, rtol=1e-10, atol=1e-10)


def test_the_product_is_the_jacobian_of_the_forward_pass():
    """dh_t/dh_{t-d} by centred differences on the forward pass itself, d = 4."""
    rng = np.random.default_rng(1)
    cache = _cache(rng, T=10, H=5)
    t, d, eps = 9, 4, 1e-6
    h_start = cache.h[:, t - d - 1]  # h_{t-d} (0-based column t-d-1)
    x_tail = cache.x[:, t - d : t]  # the inputs of steps t-d+1..t
    J = np.empty((5, 5))
    for j in range(5):
        e = np.zeros(5)
        e[j] = eps
        hp = rnn.forward(x_tail, h_start + e, cache.Wx, cache.Wh, cache.b)[0][:, -1]
        hm = rnn.forward(x_tail, h_start - e, cache.Wx, cache.Wh, cache.b)[0][:, -1]
        J[:, j] = ((hp - hm) / (2 * eps))[0]  # column j: dh_t / dh_{t-d, j}
    pn = spectra.rnn_product_norms_at(cache, t=t, spectral_at=[d])
    assert pn.log_spec[d] == pytest.approx(np.log(np.linalg.svd(J, compute_uv=False)[0]), abs=1e-8)
    assert pn.log_fro[d] == pytest.approx(np.log(np.linalg.norm(J)), abs=1e-8)


@pytest.mark.parametrize("scale", [1.0, 20.0, 0.05])
def test_orthogonal_linear_products_never_overflow(scale):
    """Wh = s Q and f' = 1: ||P_d||_2 = s^d and ||P_d||_F = s^d sqrt(H) exactly, even at s^400 = 1e520."""
    rng = np.random.default_rng(2)
    T, H = 400, 8
    Wh = init.orthogonal(H, rng, scale)
    cache = _cache(rng, T, H, "tanh", Wh=Wh, xscale=0.0, b=np.zeros(H))  # a = 0 always: tanh' = 1
    pn = spectra.rnn_product_norms_at(cache, spectral_at=[1, 10, 100, 400])
    d = np.arange(T + 1)
    np.testing.assert_allclose(pn.log_fro, d * np.log(scale) + 0.5 * np.log(H), rtol=1e-10, atol=1e-9)
    asked = [0, 1, 10, 100, 400]
    np.testing.assert_allclose(pn.log_spec[asked], d[asked] * np.log(scale), rtol=1e-10, atol=1e-9)
    assert np.isnan(np.delete(pn.log_spec, asked)).all()  # not asked for: NaN, never a made-up number
    np.testing.assert_allclose(spectra.run_log_bound(cache), d * np.log(scale), rtol=1e-10, atol=1e-9)


def test_nonnormal_growth_below_radius_one():
    """rho(Wh) = 0.9 < 1, yet ||Wh^d||_2 grows above 1 before it decays; ours equals ||Wh^d||_2."""
    rng = np.random.default_rng(3)
    H, T = 6, 60
    Wh = init.nonnormal(H, rng, rho=0.9, coupling=1.0)
    assert np.max(np.abs(np.linalg.eigvals(Wh))) == pytest.approx(
        0.9, rel=1e-7
    )  # Jordan blocks: eigvals to ~sqrt(eps)
    cache = _cache(rng, T, H, "linear", Wh=Wh)
    pn = spectra.rnn_product_norms_at(cache)
    want = [np.log(np.linalg.svd(np.linalg.matrix_power(Wh, d), compute_uv=False)[0]) for d in range(T + 1)]
    np.testing.assert_allclose(pn.log_spec, want, rtol=1e-9, atol=1e-10)
    assert pn.log_spec.max() > 0.5 and pn.log_spec[-1] < 0  # transient growth, then decay
    # eq. 10 along the run with f' = 1 is d ln ||Wh||_2 (> 0 here although rho < 1)
    np.testing.assert_allclose(spectra.run_log_bound(cache), np.arange(T + 1) * np.log(np.linalg.norm(Wh, 2)))


def test_float32_products_stay_within_1e_4_over_1000_steps():
    rng = np.random.default_rng(4)
    H = 32
    cache = _cache(rng, T=1000, H=H, Wh=init.gaussian_spectral_radius(H, 1.1, rng))
    at = [1, 10, 100, 1000]
    ref = spectra.rnn_product_norms_at(cache, spectral_at=at)
    f32 = spectra.rnn_product_norms_at(cache, spectral_at=at, dtype=np.float32)
    assert np.max(np.abs(f32.log_fro - ref.log_fro)) < 1e-4  # ln-difference ~ relative error
    assert np.max(np.abs(f32.log_spec[at] - ref.log_spec[at])) < 1e-4


def test_dead_relu_units_give_minus_infinity_not_nan():
    rng = np.random.default_rng(5)
    H = 4
    cache = _cache(rng, T=6, H=H, act="relu", xscale=0.0, b=-np.ones(H))  # a = -1: every unit off
    pn = spectra.rnn_product_norms_at(cache, spectral_at=[2, 5])
    assert pn.log_spec[0] == 0.0 and pn.log_fro[0] == pytest.approx(0.5 * np.log(H))
    assert np.all(pn.log_fro[1:] == -np.inf)
    assert np.all(pn.log_spec[[2, 5]] == -np.inf) and np.isnan(pn.log_spec[[1, 3, 4, 6]]).all()
    with np.errstate(divide="ignore"):
        assert np.all(spectra.run_log_bound(cache)[1:] == -np.inf)


def test_bad_step_and_non_finite_jacobian_are_errors():
    rng = np.random.default_rng(6)
    cache = _cache(rng, T=5, H=3)
    for t in (0, 6):
        with pytest.raises(ValueError, match="t must be in 1..5"):
            spectra.rnn_product_norms_at(cache, t=t)
    broken = cache._replace(Wh=np.full((3, 3), np.nan))
    with pytest.raises(FloatingPointError, match="not finite"):
        spectra.rnn_product_norms_at(broken)


# ----------------------------------------------------------------------------- run_log_bound


@pytest.mark.parametrize("act", ["tanh", "sigmoid"])
def test_run_bound_is_eq10_along_the_run_and_bounds_the_norms(act):
    rng = np.random.default_rng(7)
    cache = _cache(rng, T=30, H=8, act=act, Wh=rng.standard_normal((8, 8)))
    t = 25
    got = spectra.run_log_bound(cache, t=t)
    fprime = activations.get(act).df(cache.a[0], cache.h[0])
    gamma_W = np.linalg.svd(cache.Wh, compute_uv=False)[0]
    per_step = [gamma_W * np.max(np.abs(fprime[s])) for s in range(t)]  # steps 1..t
    want = [0.0] + [np.sum(np.log(per_step[t - d :])) for d in range(1, t + 1)]
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    pn = spectra.rnn_product_norms_at(cache, t=t)
    assert np.all(pn.log_spec <= got + 1e-9)  # eq. 12 <= eq. 10
    gamma_h = activations.get(act).gamma
    assert np.all(got <= np.arange(t + 1) * np.log(gamma_W * gamma_h) + 1e-9)  # <= (gamma_W gamma_h)^d


# ----------------------------------------------------------------------------- step_contributions


def _log_norm(v, axis=None):
    """ln ||v|| without overflowing for ||v|| ~ 1e238."""
    m = np.max(np.abs(v), axis=axis, keepdims=True)
    return np.log(np.squeeze(m, axis=axis)) + np.log(np.linalg.norm(v / m, axis=axis))


def _component_norms(cache, dh_direct, t):
    """||h_{k-1}^T da_k^(t)||_F for k = 1..t, da^(t) from BPTT of L_t alone."""
    only = np.zeros_like(dh_direct)
    only[:, t - 1] = dh_direct[:, t - 1]
    full = rnn.backward_all(only, cache)
    h_prev = np.concatenate([cache.h0[:, None], cache.h[:, :-1]], axis=1)
    norms = [np.linalg.norm(h_prev[:, k - 1].T @ full.da[:, k - 1]) for k in range(1, t + 1)]
    return np.array(norms), full.dWh


def test_step_contributions_equal_bptt_of_each_loss():
    rng = np.random.default_rng(8)
    N, T, H = 3, 20, 6
    cache = _cache(rng, T, H, "sigmoid", Wh=rng.standard_normal((H, H)), N=N)
    dh = rng.standard_normal((N, T, H))
    rows = [2, 9, 20]
    sc = spectra.step_contributions(cache, dh, rows, total_row=1)
    np.testing.assert_array_equal(sc.rows, rows)
    for r, t in enumerate(rows):
        norms, dWh = _component_norms(cache, dh, t)
        with np.errstate(divide="ignore"):  # h_0 = 0: step 1's component is exactly 0
            np.testing.assert_allclose(sc.log_norms[r, :t], np.log(norms), rtol=1e-10, atol=1e-10)
        assert np.all(sc.log_norms[r, t:] == -np.inf)  # step k > t cannot carry L_t's gradient
        if r == 1:
            np.testing.assert_allclose(
                sc.total, dWh, rtol=1e-12, atol=1e-14
            )  # the components sum to dL_t/dWh
    assert spectra.step_contributions(cache, dh, rows).total is None


@pytest.mark.parametrize("scale,T", [(3.0, 500), (1 / 3, 1000)])
def test_step_contributions_stay_finite_past_float64(scale, T):
    """Wh = s Q, linear, N = 1: C[t, k] = ||h_{k-1}|| ||dh_t|| s^(t-k), down to 3^-999 = 1e-477."""
    rng = np.random.default_rng(9)
    H = 4
    cache = _cache(rng, T, H, "linear", Wh=init.orthogonal(H, rng, scale), xscale=0.0 if scale > 1 else 1.0)
    if scale > 1:  # h_0 = 0 and no input would keep h = 0: start the state at step 1 instead
        x = np.zeros((1, T, 3))
        x[0, 0] = 1.0
        cache = rnn.forward(x, cache.h0, cache.Wx, cache.Wh, np.zeros(H), "linear")[1]
    dh = rng.standard_normal((1, T, H))
    rows = np.array([T // 2, T])
    sc = spectra.step_contributions(cache, dh, rows)
    for r, t in enumerate(rows):
        k = np.arange(2, t + 1)  # h_0 = 0: step 1 contributes exactly 0
        want = (
            _log_norm(cache.h[0, k - 2], axis=1)
            + np.log(np.linalg.norm(dh[0, t - 1]))
            + (t - k) * np.log(scale)
        )
        np.testing.assert_allclose(sc.log_norms[r, k - 1], want, rtol=1e-9, atol=1e-8)
        assert sc.log_norms[r, 0] == -np.inf
    assert np.all(np.isfinite(sc.log_norms[1, 1:]))
    # vanishing: 1e-477, beyond float64 (ln 1e-308 = -709); exploding: the upstream gradient
    # reached 3^498 = 1e237, well past the 1e100 where it is rescaled (h itself overflows first beyond)
    assert abs(sc.log_norms[1, 1:]).max() > (1000 * np.log(3) - 10 if scale < 1 else 498 * np.log(3))


def test_step_contributions_rows_are_checked():
    rng = np.random.default_rng(10)
    cache = _cache(rng, T=5, H=3)
    dh = np.ones((1, 5, 3))
    for rows in ([0, 2], [3, 6], [], [[1, 2]]):
        with pytest.raises(ValueError, match="loss steps in 1..5"):
            spectra.step_contributions(cache, dh, rows)
    with pytest.raises(ValueError, match="strictly increasing"):
        spectra.step_contributions(cache, dh, [3, 3])
