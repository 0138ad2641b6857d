"""Step Jacobians against finite differences of the recurrence; product norms against SVDs."""

import numpy as np
import pytest

from gradcore import gru, init, jacobians, lstm, rnn

EPS = 1e-6
# The project's gradient-check threshold; products that shrink to ~1e-5 (sigmoid' <= 1/4)
# carry finite-difference noise of order eps_machine / EPS relative to that size.
FD_TOL = 1e-6


def _rnn(rng, N=2, T=7, D=3, H=5, activation="tanh", Wh=None, scale=0.6):
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, H)) * scale
    Wh = rng.standard_normal((H, H)) * scale if Wh is None else Wh
    b = rng.standard_normal(H) * 0.1
    h, cache = rnn.forward(x, h0, Wx, Wh, b, activation)
    return cache


def _lstm(rng, N=2, T=6, D=3, H=4, scale=0.6):
    x = rng.standard_normal((N, T, D))
    h, cache = lstm.forward(
        x,
        rng.standard_normal((N, H)),
        rng.standard_normal((D, 4 * H)) * scale,
        rng.standard_normal((H, 4 * H)) * scale,
        rng.standard_normal(4 * H) * 0.3,
        c0=rng.standard_normal((N, H)),
    )
    return cache


def _gru(rng, N=2, T=6, D=3, H=4, scale=0.7):
    x = rng.standard_normal((N, T, D))
    h, cache = gru.forward(
        x,
        rng.standard_normal((N, H)),
        rng.standard_normal((D, 3 * H)) * scale,
        rng.standard_normal((H, 3 * H)) * scale,
        rng.standard_normal(3 * H) * 0.3,
    )
    return cache


def _fd_rnn(cache, n, k, t, EPS=EPS):
    """Centred differences of h_t wrt h_k, re-running the recurrence from a perturbed h_k."""
    h_k = cache.h0[n] if k == 0 else cache.h[n, k - 1]
    H = h_k.shape[0]
    x = cache.x[n : n + 1, k:t]
    out = np.empty((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = EPS
        hp, _ = rnn.forward(x, (h_k + e)[None], cache.Wx, cache.Wh, cache.b, cache.activation)
        hm, _ = rnn.forward(x, (h_k - e)[None], cache.Wx, cache.Wh, cache.b, cache.activation)
        out[:, j] = (hp[0, -1] - hm[0, -1]) / (2 * EPS)
    return out


def _fd_gru(cache, n, k, t):
    h_k = cache.h0[n] if k == 0 else cache.h[n, k - 1]
    H = h_k.shape[0]
    out = np.empty((H, H))
    for j in range(H):
        e = np.zeros(H)
        e[j] = EPS
        hp, _ = gru.forward(cache.x[n : n + 1, k:t], (h_k + e)[None], cache.Wx, cache.Wh, cache.b)
        hm, _ = gru.forward(cache.x[n : n + 1, k:t], (h_k - e)[None], cache.Wx, cache.Wh, cache.b)
        out[:, j] = (hp[0, -1] - hm[0, -1]) / (2 * EPS)
    return out


def _fd_lstm(cache, n, k, t):
    """d(h_t, c_t)/d(h_k, c_k) by centred differences (2H x 2H)."""
    H = cache.h.shape[2]
    h_k = cache.h0[n] if k == 0 else cache.h[n, k - 1]
    c_k = cache.c0[n] if k == 0 else cache.c[n, k - 1]
    s = np.concatenate([h_k, c_k])
    out = np.empty((2 * H, 2 * H))

    def run(state):
        h, cc = lstm.forward(
            cache.x[n : n + 1, k:t], state[None, :H], cache.Wx, cache.Wh, cache.b, c0=state[None, H:]
        )
        return np.concatenate([h[0, -1], cc.c[0, -1]])

    for j in range(2 * H):
        e = np.zeros(2 * H)
        e[j] = EPS
        out[:, j] = (run(s + e) - run(s - e)) / (2 * EPS)
    return out


def _prod(Js, k, t):
    """J_t ... J_{k+1} from step Jacobians J[s-1] = J_s."""
    P = np.eye(Js.shape[1])
    for s in range(t, k, -1):
        P = P @ Js[s - 1]
    return P


def _rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_rnn_products_match_finite_differences(activation):
    # sigmoid' <= 1/4 shrinks the product to ~1e-6, where rounding in the forward pass
    # (~1e-17 / EPS) would dominate: larger weights and a larger step for it.
    sig = activation == "sigmoid"
    cache = _rnn(np.random.default_rng(1), activation=activation, scale=2.5 if sig else 0.6)
    for n in (0, 1):
        Js = jacobians.rnn_step_jacobians(cache, sample=n)
        for k, t in [(0, 7), (3, 7), (2, 5), (6, 7)]:
            assert _rel(_prod(Js, k, t), _fd_rnn(cache, n, k, t, EPS=1e-4 if sig else EPS)) < FD_TOL


def test_gru_products_match_finite_differences():
    cache = _gru(np.random.default_rng(2))
    for n in (0, 1):
        Js = jacobians.gru_step_jacobians(cache, sample=n)
        for k, t in [(0, 6), (2, 6), (5, 6), (1, 3)]:
            assert _rel(_prod(Js, k, t), _fd_gru(cache, n, k, t)) < FD_TOL


def test_lstm_state_products_match_finite_differences():
    cache = _lstm(np.random.default_rng(3))
    H = cache.h.shape[2]
    for n in (0, 1):
        Js = jacobians.lstm_step_jacobians(cache, sample=n)
        for k, t in [(0, 6), (2, 6), (5, 6), (1, 4)]:
            assert _rel(_prod(Js, k, t), _fd_lstm(cache, n, k, t)) < FD_TOL
        # dc_t/dc_{t-1} along the cell path alone is diag(f_t): the c-c block minus nothing else
        np.testing.assert_allclose(
            np.diagonal(Js[:, H:, H:], axis1=1, axis2=2), jacobians.lstm_cell_jacobians(cache, n), rtol=1e-14
        )


def _exact_log_norms(Js, t, blocks=None):
    P = np.eye(Js.shape[1])
    out_s, out_f = [], []
    for d in range(0, t + 1):
        if d:
            P = P @ Js[t - d]
        B = P if blocks is None else P[blocks]
        out_s.append(np.log(np.linalg.norm(B, 2)))
        out_f.append(np.log(np.linalg.norm(B)))
    return np.array(out_s), np.array(out_f)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
@pytest.mark.parametrize("kind", ["gaussian_radius", "orthogonal", "identity", "nonnormal", "smart_tanh"])
def test_rnn_product_norms_exact(activation, kind):
    rng = np.random.default_rng(4)
    H, T = 24, 40
    cache = _rnn(rng, N=2, T=T, H=H, activation=activation, Wh=init.make_Wh(kind, H, 1.1, rng), scale=1.0)
    for n in (0, 1):
        pn = jacobians.rnn_product_norms(cache, sample=n)
        s, f = _exact_log_norms(jacobians.rnn_step_jacobians(cache, n), T)
        fin = np.isfinite(s)
        np.testing.assert_array_equal(fin, np.isfinite(pn.log_spec))
        # Absolute error in ln-norm = relative error in the norm.
        np.testing.assert_allclose(pn.log_spec[fin], s[fin], rtol=0, atol=1e-10)
        np.testing.assert_allclose(pn.log_fro[fin], f[fin], rtol=0, atol=1e-10)
        assert pn.distance[0] == 0 and pn.log_spec[0] == 0.0 and len(pn.log_spec) == T + 1


@pytest.mark.parametrize("svd_max", [jacobians.SVD_MAX_DIM, 0])
def test_product_norms_both_spectral_routes_exact(monkeypatch, svd_max):
    """The spectral norm comes from LAPACK up to SVD_MAX_DIM and from warm-started Lanczos above
    it; SVD_MAX_DIM = 0 forces Lanczos on every block, so both routes are checked here."""
    monkeypatch.setattr(jacobians, "SVD_MAX_DIM", svd_max)
    rng = np.random.default_rng(11)
    H, T = 20, 25
    cache = _rnn(rng, N=1, T=T, H=H, activation="tanh", Wh=init.make_Wh("nonnormal", H, 0.9, rng), scale=1.0)
    pn = jacobians.rnn_product_norms(cache)
    s, _ = _exact_log_norms(jacobians.rnn_step_jacobians(cache, 0), T)
    np.testing.assert_allclose(pn.log_spec, s, rtol=0, atol=1e-10)
    lcache = _lstm(np.random.default_rng(12), T=15, H=6, scale=1.0)
    a = jacobians.lstm_product_norms(lcache)
    monkeypatch.setattr(jacobians, "SVD_MAX_DIM", 10**6 if svd_max == 0 else 0)  # the other route
    b = jacobians.lstm_product_norms(lcache)
    for field in ("log_spec_state", "log_spec_h", "log_spec_c"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=0, atol=1e-10)


def test_rnn_product_norms_end_step():
    cache = _rnn(np.random.default_rng(5), T=12, H=6)
    pn = jacobians.rnn_product_norms(cache, t=7)
    s, f = _exact_log_norms(jacobians.rnn_step_jacobians(cache), 7)
    np.testing.assert_allclose(pn.log_spec, s, atol=1e-10)
    np.testing.assert_allclose(pn.log_fro, f, atol=1e-10)
    with pytest.raises(ValueError):
        jacobians.rnn_product_norms(cache, t=13)


def test_gru_product_norms_exact():
    cache = _gru(np.random.default_rng(6), T=30, H=10, scale=1.5)
    pn = jacobians.gru_product_norms(cache, sample=1)
    s, f = _exact_log_norms(jacobians.gru_step_jacobians(cache, 1), 30)
    np.testing.assert_allclose(pn.log_spec, s, atol=1e-10)
    np.testing.assert_allclose(pn.log_fro, f, atol=1e-10)


def test_lstm_product_norms_exact():
    cache = _lstm(np.random.default_rng(7), T=30, H=8, scale=1.0)
    H = 8
    pn = jacobians.lstm_product_norms(cache, sample=1)
    Js = jacobians.lstm_step_jacobians(cache, 1)
    for (ls, lf), blk in [
        ((pn.log_spec_state, pn.log_fro_state), None),
        ((pn.log_spec_h, pn.log_fro_h), (slice(0, H), slice(0, H))),
        ((pn.log_spec_c, pn.log_fro_c), (slice(H, None), slice(H, None))),
    ]:
        s, f = _exact_log_norms(Js, 30, blk)
        np.testing.assert_allclose(ls, s, atol=1e-10)
        np.testing.assert_allclose(lf, f, atol=1e-10)
    f_gate = cache.f[1]
    for d in (0, 1, 5, 30):
        prod = np.prod(f_gate[30 - d : 30], axis=0)
        assert pn.log_spec_cell[d] == pytest.approx(np.log(prod.max()), abs=1e-12)
        assert pn.log_fro_cell[d] == pytest.approx(np.log(np.linalg.norm(prod)), abs=1e-12)


def test_lstm_product_norms_spectral_for_chosen_blocks_only():
    cache = _lstm(np.random.default_rng(7), T=30, H=8, scale=1.0)
    full = jacobians.lstm_product_norms(cache, sample=1)
    only_c = jacobians.lstm_product_norms(cache, sample=1, spectral=("c",))
    np.testing.assert_array_equal(only_c.log_spec_c, full.log_spec_c)  # the same numbers, not approximately
    assert np.all(np.isnan(only_c.log_spec_state[1:])) and np.all(np.isnan(only_c.log_spec_h[1:]))
    for a, b in (
        (only_c.log_fro_state, full.log_fro_state),
        (only_c.log_fro_h, full.log_fro_h),
        (only_c.log_spec_cell, full.log_spec_cell),
    ):
        np.testing.assert_array_equal(a, b)  # Frobenius norms and the cell path are always computed
    with pytest.raises(ValueError):
        jacobians.lstm_product_norms(cache, spectral=("cc",))


@pytest.mark.parametrize("radius", [1.5, 0.5])
@pytest.mark.parametrize("kind", ["orthogonal", "symmetric"])
def test_overflow_T1000_slope(radius, kind):
    """Linear RNN with a normal Wh: ||dh_T/dh_k|| = radius^(T-k) exactly; finite logs at T=1000."""
    rng = np.random.default_rng(8)
    H, T = 32, 1000
    if kind == "orthogonal":
        Wh = init.orthogonal(H, rng, scale=radius)
    else:
        S = rng.standard_normal((H, H))
        Wh = S + S.T  # symmetric, hence normal
        Wh *= radius / np.max(np.abs(np.linalg.eigvalsh(Wh)))
    x = rng.standard_normal((1, T, 2))
    with np.errstate(all="ignore"):  # the forward states themselves may overflow; the Jacobians do not
        h, cache = rnn.forward(x, np.zeros((1, H)), rng.standard_normal((2, H)), Wh, np.zeros(H), "linear")
    pn = jacobians.rnn_product_norms(cache)
    assert np.all(np.isfinite(pn.log_spec)) and np.all(np.isfinite(pn.log_fro))
    slope = np.polyfit(pn.distance, pn.log_spec, 1)[0]
    assert abs(slope - np.log(radius)) < 0.05 * abs(np.log(radius))
    assert pn.log_spec[-1] == pytest.approx(T * np.log(radius), rel=1e-9)
    b = jacobians.rnn_bound(Wh, "linear", T)
    assert np.all(pn.log_spec <= b.log_bound + 1e-9)


def test_bound_holds_for_tanh_and_sigmoid():
    for act in ("tanh", "sigmoid"):
        cache = _rnn(np.random.default_rng(9), T=50, H=16, activation=act, scale=0.8)
        pn = jacobians.rnn_product_norms(cache)
        b = jacobians.rnn_bound(cache.Wh, act, 50)
        assert b.gamma_h == (1.0 if act == "tanh" else 0.25)
        assert b.gamma_W == pytest.approx(np.linalg.norm(cache.Wh, 2))
        assert np.all(pn.log_spec <= b.log_bound + 1e-9)


def test_nonnormal_transient_growth_in_products():
    """Radius 0.9 < 1 but the product norms of a linear RNN first grow above 1, then decay."""
    rng = np.random.default_rng(10)
    H, T = 16, 120
    Wh = init.nonnormal(H, rng, rho=0.9)
    cache = _rnn(rng, N=1, T=T, H=H, activation="linear", Wh=Wh)
    pn = jacobians.rnn_product_norms(cache)
    peak = int(np.argmax(pn.log_spec))
    assert peak == 9 and pn.log_spec[peak] == pytest.approx(np.log(3.9126), abs=1e-4)
    assert pn.log_spec[-1] < np.log(0.01)


def test_zero_product_gives_minus_inf():
    """relu with every unit off: the product is exactly zero from there on (-inf, not NaN)."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 5, 2))
    h, cache = rnn.forward(x, np.zeros((1, 3)), np.zeros((2, 3)), np.eye(3), -np.ones(3), "relu")
    pn = jacobians.rnn_product_norms(cache)
    assert (
        pn.log_spec[0] == 0.0 and np.all(np.isneginf(pn.log_spec[1:])) and np.all(np.isneginf(pn.log_fro[1:]))
    )


def test_top_singular_value_hard_cases():
    rng = np.random.default_rng(12)
    # warm start exactly on the eigenvector of a smaller singular value
    A = np.diag([1.0, 3.0, 2.0])
    s, _ = jacobians.top_singular_value(A, np.array([1.0, 0.0, 0.0]))
    assert s == pytest.approx(3.0, rel=1e-13)
    # clustered and repeated singular values
    Q = init.orthogonal(40, rng)
    s, _ = jacobians.top_singular_value(Q * 2.0)
    assert s == pytest.approx(2.0, rel=1e-13)
    A = rng.standard_normal((40, 40))
    U, sv, Vt = np.linalg.svd(A)
    sv = 4.0 * sv / sv[0]
    sv[:3] = [5.0, 5.0 - 1e-9, 5.0 - 2e-9]
    s, _ = jacobians.top_singular_value((U * sv) @ Vt, rng.standard_normal(40))
    assert s == pytest.approx(5.0, rel=1e-12)
    assert jacobians.top_singular_value(np.zeros((4, 4)))[0] == 0.0


def test_spectrum():
    rng = np.random.default_rng(13)
    W = init.gaussian_spectral_radius(20, 1.3, rng)
    sp = jacobians.spectrum(W)
    assert sp.radius == pytest.approx(1.3, rel=1e-10)
    assert sp.norm == pytest.approx(np.linalg.norm(W, 2))
    assert np.all(np.diff(np.abs(sp.eigvals)) <= 1e-12) and np.all(np.diff(sp.singvals) <= 0)
    with pytest.raises(ValueError):
        jacobians.spectrum(np.zeros((2, 3)))


def test_inputs_not_mutated():
    cache = _lstm(np.random.default_rng(14))
    before = [np.array(a, copy=True) for a in cache if isinstance(a, np.ndarray)]
    jacobians.lstm_product_norms(cache)
    jacobians.lstm_step_jacobians(cache)
    after = [a for a in cache if isinstance(a, np.ndarray)]
    for a, b in zip(before, after, strict=True):
        np.testing.assert_array_equal(a, b)
