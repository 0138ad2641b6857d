"""lessons.rnn_vanishing called directly, without Streamlit: the RNN page's numbers against
closed forms and gradcore.

The page's AppTest and its checks against gradcore.jacobians / gradcore.attribution are in
tests/pages/test_rnn_vanishing.py; these take cases whose answer is known by hand.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcore import activations, clipping, init, losses, rnn
from lessons import rnn_vanishing as L


def test_make_problem_is_one_draw_per_seed_and_T_moves_neither_x_nor_the_readout():
    long = L.make_problem(50, 8, "tanh", "gaussian_radius", 1.3, 2.0, 4)
    short = L.make_problem(20, 8, "tanh", "gaussian_radius", 1.3, 2.0, 4)
    np.testing.assert_array_equal(short.Wh, long.Wh)
    np.testing.assert_array_equal(short.Wy, long.Wy)
    np.testing.assert_array_equal(short.x, long.x[:, :20])
    np.testing.assert_array_equal(short.targets, long.targets[:, :20])
    assert init.spectral_radius(long.Wh) == pytest.approx(1.3, rel=1e-9)
    assert long.x.shape == (1, 50, L.D) and long.Wy.shape == (8, L.V) and long.targets.max() < L.V
    # xscale only scales the inputs
    unit = L.make_problem(50, 8, "tanh", "gaussian_radius", 1.3, 1.0, 4)
    np.testing.assert_allclose(long.x, 2.0 * unit.x, rtol=1e-15)


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_orthogonal_linear_run_is_scale_to_the_d(scale):
    """Wh = s Q, linear: ||dh_t/dh_{t-d}||_2 = s^d, gamma_W = rho = s, eq. 10 = eq. 12 = s^d."""
    T = 30
    r = L.compute(T, 8, "linear", "orthogonal", scale, 1.0, 0)
    d = np.arange(T + 1)
    want = d * np.log10(scale)
    assert r.t_end == T and r.n_spec == T  # H = 8: every distance gets an SVD
    assert r.gamma_W == pytest.approx(scale, rel=1e-12) and r.rho == pytest.approx(scale, rel=1e-12)
    for curve in (r.spec_log10, r.bound_log10, r.rho_log10, r.run_bound_log10):
        np.testing.assert_allclose(curve, want, atol=1e-9)
    np.testing.assert_allclose(r.fro_log10, want + 0.5 * np.log10(8), atol=1e-9)
    assert L.regime(r) == {0.5: "vanishing", 1.0: "steady", 2.0: "exploding"}[scale]
    if scale != 1.0:  # (at s = 1 every distance ties, to round-off)
        dp, vp = L.peak(r)
        assert (dp, vp) == ((1, pytest.approx(np.log10(0.5))) if scale < 1 else (T, pytest.approx(want[T])))


def test_sigmoid_bound_drops_4x_per_step_at_gamma_W_1():
    r = L.compute(40, 16, "sigmoid", "orthogonal", 1.0, 1.0, 1)
    assert r.gamma_h == 0.25
    np.testing.assert_allclose(r.bound_log10, np.arange(41) * np.log10(0.25), atol=1e-9)
    assert np.all(r.fprime_max <= 0.25) and np.all(r.spec_log10[1:] <= r.run_bound_log10[1:] + 1e-9)


def test_losses_and_gradient_norm_against_gradcore():
    T, H, act = 35, 12, "tanh"
    r = L.compute(T, H, act, "gaussian_radius", 1.1, 1.0, 2)
    p = L.make_problem(T, H, act, "gaussian_radius", 1.1, 1.0, 2)
    h, cache = rnn.forward(p.x, p.h0, p.Wx, p.Wh, p.b, act)
    ce = losses.softmax_cross_entropy(h, p.Wy, p.by, p.targets)
    np.testing.assert_allclose(r.L_t, ce.L_t.ravel(), rtol=1e-12)
    # L_t by hand at one step: -log softmax(h_t Wy)[y_t]
    z = h[0, 9] @ p.Wy
    assert r.L_t[9] == pytest.approx(np.log(np.sum(np.exp(z))) - z[p.targets[0, 9]], rel=1e-12)
    g = rnn.backward_all(ce.dh, cache)
    assert 10**r.g_log10 == pytest.approx(clipping.global_norm([g.dWx, g.dWh, g.db]), rel=1e-10)
    fprime = activations.get(act).df(cache.a[0], cache.h[0])
    np.testing.assert_allclose(r.fprime_max, np.abs(fprime).max(axis=1), rtol=1e-14)
    assert r.h_T_norm == pytest.approx(np.linalg.norm(h[0, -1]), rel=1e-14)
    assert r.check.rel_err < 1e-6 and r.check.plotted_err < 1e-9  # the page's own live check


def test_finite_steps_stops_at_the_first_overflowed_or_huge_state():
    rng = np.random.default_rng(0)
    _, cache = rnn.forward(
        rng.standard_normal((1, 6, 2)), np.zeros((1, 3)), np.eye(2, 3), np.eye(3), np.zeros(3)
    )
    assert L.finite_steps(cache) == 6
    a = cache.a.copy()
    a[0, 4, 1] = np.inf
    assert L.finite_steps(cache._replace(a=a)) == 4
    h = cache.h.copy()
    h[0, 2, 0] = 2 * L.BIG  # finite, but its square would leave float64
    assert L.finite_steps(cache._replace(h=h)) == 2
    short = L.truncate(cache, 3)
    assert short.x.shape[1] == short.a.shape[1] == short.h.shape[1] == 3


def test_an_overflowing_run_is_cut_where_it_overflowed():
    r = L.compute(400, 8, "linear", "orthogonal", 10.0, 1.0, 0)  # ||h_t|| ~ 10^t passes 1e150 at t ~ 150
    assert 140 <= r.t_end <= 151 and len(r.distance) == r.t_end + 1
    assert r.spec_log10[r.t_end] == pytest.approx(r.t_end, abs=1e-9)  # 10^d exactly, past 1e140


def test_sampling_sizes_by_hand():
    assert L.n_spectral(8, 50) == 50  # small H: every distance
    assert L.n_spectral(256, 1000) == 40  # 0.5 s / 15 ms = 33 SVDs, at least 40
    assert L.n_spectral(128, 1000) == int(0.5 / (1.5e-2 / 8))  # 266
    np.testing.assert_array_equal(L.heat_steps(L.HEAT_MAX), np.arange(1, L.HEAT_MAX + 1))
    steps = L.heat_steps(1000)
    assert len(steps) == L.HEAT_MAX and steps[0] == 1 and steps[-1] == 1000
    assert L.product_dtype(127) == np.float64 and L.product_dtype(128) == np.float32


@pytest.mark.parametrize("scale", [3.0, 5.0])
def test_explosion_condition_is_on_the_singular_value(scale):
    """Issue 17 item 5: explosion needs ||W_hh||_2 > 1/gamma_h (4 for the sigmoid), not an eigenvalue outside the
    1/gamma_h circle. Orthogonal s Q: rho = ||W||_2 = s."""
    r = L.compute(30, 8, "sigmoid", "orthogonal", scale, 1.0, 0)
    assert r.gamma_W == pytest.approx(scale)
    text = L.explosion_condition(r)
    assert f"||W_hh||_2 = {scale:.3f}" in text and "exceeds 1/gamma_h = 4" in text
    assert ("cannot explode" in text) == (scale < 4)
    _, caption = L.spectrum_text(r)
    assert caption == text


def test_explosion_condition_non_normal_radius_inside_norm_outside():
    """A non-normal W with every eigenvalue inside the 1/gamma_h circle and ||W||_2 outside it: the eigenvalues
    would say 'cannot explode', the singular value says it can."""
    r = L.compute(30, 16, "sigmoid", "nonnormal", 3.5, 1.0, 0)
    assert r.rho < 4 < r.gamma_W, (r.rho, r.gamma_W)
    assert "explosion is possible" in L.explosion_condition(r)
    notes = " ".join(L.notice_spectrum(r))
    assert "0 eigenvalue(s) lie outside the circle of radius 1/gamma_h = 4" in notes
    assert "the singular value decides" in notes


def test_hover_frame_reads_off_each_distance():
    """Issue 18 item 10: at each measured distance the decay chart's hover shows the measured norm, the bound and
    the per-step factor since the previous measured distance (geometric mean per step over a sampled gap)."""
    r = L.compute(
        40, 8, "linear", "orthogonal", 0.9, 1.0, 0
    )  # ||W^d|| = 0.9^d: the factor is 0.9 at every step
    h = L.hover_frame(r)
    assert len(h) == np.isfinite(r.spec_log10).sum()
    assert np.allclose(h["per_step"].to_numpy()[1:], 0.9, rtol=1e-9)
    row = h.iloc[5]
    d = int(row["distance"])
    assert row["label"].startswith(f"T - k = {d}\nmeasured ")
    assert "x0.9 per step (bound x0.9)" in row["label"]
    assert np.isnan(h["per_step"].iloc[0]) and "per step" not in h["label"].iloc[0]


def test_heat_frame_tooltip_reads_off_the_cell():
    """Each T x T cell's tooltip: its value, the mean factor per step from k to t against the row's k = t cell,
    and eq. 12's per-step bound gamma_W gamma_h (issue 18 item 10)."""
    r = L.compute(30, 8, "tanh", "orthogonal", 1.0, 1.0, 0)
    h = L.heat_frame(r)
    row = h[(h["t"] == h["t"].max())]
    diag = float(row[row["k"] == row["t"]]["log10"].iloc[0])
    cell = row[row["k"] == row["t"] - 5].iloc[0]
    want = 10.0 ** ((cell["log10"] - diag) / 5)
    assert cell["per_step"] == f"x{want:.3g} per step from k to t"
    assert row[row["k"] == row["t"]]["per_step"].iloc[0] == "-"
    assert set(h["bound_step"]) == {f"x{r.gamma_W * r.gamma_h:.3g} per step (eq. 12, on ||dh_t/dh_k||)"}
    assert cell["value"] == L.sci(log10=float(cell["log10"]))


def test_travel_frame_moves_the_wavefront_one_step_per_frame():
    """Issue 19 item 2: frame f has reached the states k >= T - f with this run's ||dh_T/dh_k||_F (computed once),
    the rest wait; the label reads the wavefront's number."""
    r = L.compute(20, 8, "tanh", "orthogonal", 1.0, 1.0, 0)
    T = r.t_end
    for f in (0, 1, 7, T):
        reached, waiting, label = L.travel_frame(r, f)
        assert list(waiting["k"]) == list(range(T - f))
        assert set(reached["k"]) <= set(range(T - f, T + 1)) and reached["front"].sum() == 1
        assert np.allclose(reached["log10"], r.fro_log10[T - reached["k"].to_numpy()])
        assert label.startswith(f"k = {T - f} (T - k = {f}): ||dh_T/dh_k||_F = ")
    assert L.travel_frame(r, 10**6)[2] == L.travel_frame(r, T)[2]  # clamped
    assert L.travel_frame(r, 0)[0]["log10"].iloc[0] == pytest.approx(np.log10(np.sqrt(8)))  # dh_T/dh_T = I_8
