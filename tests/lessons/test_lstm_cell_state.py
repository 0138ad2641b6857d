"""The LSTM page's lesson, asserted on computed values (lessons.lstm_cell_state + gradcore).

Seed 000's claim: along the cell state the gradient decays at the forget gate's rate, much
more slowly than a vanilla RNN's, but it still decays; with a closed forget gate the
advantage is gone. Plus the pieces the page shows: components, the cell-path split, the
finite-difference checks, and the article's code with its mistakes.
"""

from __future__ import annotations

import numpy as np
import pytest

from gradcore import attribution, gru, init, jacobians, lstm, rnn
from gradcore.gradcheck import rel_error
from lessons import lstm_cell_state as L

SEEDS = (0, 1, 2)


def _slopes(fbias: float, seed: int, T: int = 50, H: int = 32, D: int = 8):
    """(cell-path slope, tanh-RNN slope) of ln-norm per step over T steps, same inputs, rho = 0.9."""
    p = L.make_problem(T, H, D, fbias, 0.9, 1.0, seed)
    _, c_lstm = L.run_cell("LSTM", p)
    _, c_rnn = L.run_cell("RNN", p)
    assert init.spectral_radius(p.rnn["Wh"]) == pytest.approx(0.9, rel=1e-9)
    pn = jacobians.lstm_product_norms(c_lstm, spectral=False)
    pr = jacobians.rnn_product_norms(c_rnn)
    return L.decay_rate(pn.log_spec_cell, upto=50), L.decay_rate(pr.log_spec, upto=50)


@pytest.mark.parametrize("seed", SEEDS)
def test_open_forget_gate_decays_at_least_10x_slower_than_rnn(seed):
    cell, rnn_slope = _slopes(5.0, seed)
    assert cell < 0, "the cell path still decays: f < 1 always"
    assert rnn_slope < 0
    assert rnn_slope / cell >= 10.0, (cell, rnn_slope)


@pytest.mark.parametrize("seed", SEEDS)
def test_closed_forget_gate_loses_the_advantage(seed):
    cell, rnn_slope = _slopes(-3.0, seed)
    # "largely disappears": the cell path decays no slower than the RNN (here it decays faster)
    assert rnn_slope / cell <= 1.0, (cell, rnn_slope)
    open_cell, _ = _slopes(5.0, seed)
    assert cell < 50 * open_cell  # and more than 50x faster than with the gate open


def test_cell_path_rate_is_the_forget_gates_rate():
    """ln ||prod diag f||_2 = max_j sum_s ln f_s[j]: the cell path is the forget gates and nothing else."""
    p = L.make_problem(40, 6, 3, 2.0, 0.9, 1.0, 4)
    _, c = L.run_cell("LSTM", p)
    pn = jacobians.lstm_product_norms(c, spectral=False)
    f = c.f[0]
    for d in (1, 7, 40):
        want = np.log(np.prod(f[40 - d :], axis=0)).max()
        assert pn.log_spec_cell[d] == pytest.approx(want, rel=1e-12)


def test_matched_problem():
    H = 5
    p = L.make_problem(12, H, 3, 1.5, 0.7, 2.0, 3)
    for j in range(4):
        assert init.spectral_radius(p.lstm["Wh"][:, j * H : (j + 1) * H]) == pytest.approx(0.7, rel=1e-9)
    assert (
        np.all(p.lstm["b"][H : 2 * H] == 1.5)
        and np.all(p.lstm["b"][:H] == 0)
        and np.all(p.lstm["b"][2 * H :] == 0)
    )
    np.testing.assert_array_equal(p.rnn["Wh"], p.lstm["Wh"][:, 3 * H :])
    np.testing.assert_array_equal(p.gru["Wx"][:, H : 2 * H], p.lstm["Wx"][:, H : 2 * H])  # z <- f
    assert np.all(p.gru["b"][H : 2 * H] == 1.5)
    q = L.make_problem(20, H, 3, 1.5, 0.7, 2.0, 3)  # a longer T keeps the prefix of x and the weights
    np.testing.assert_array_equal(q.x[:, :12], p.x)
    np.testing.assert_array_equal(q.lstm["Wx"], p.lstm["Wx"])


@pytest.mark.parametrize("cell", ["LSTM", "RNN", "GRU"])
def test_components_sum_to_the_gradient_and_match_attribution(cell):
    T, t = 15, 11
    p = L.make_problem(T, 4, 3, 1.0, 0.9, 1.0, 2)
    h, c = L.run_cell(cell, p)
    dh = L.dh_of_loss(h, p, t)
    comps = L.components(cell, c, dh[:, t - 1], t)
    table = attribution.attribution(
        L.losses.softmax_cross_entropy(h, p.Wy, np.zeros(L.V), p.targets).dh, c
    ).dWx
    np.testing.assert_allclose(comps, table[t - 1, :t], rtol=1e-10, atol=1e-300)
    assert np.all(table[t - 1, t:] == 0)
    back = {"LSTM": lstm, "RNN": rnn, "GRU": gru}[cell].backward_all(dh, c)
    parts = np.einsum("ntd,ntg->tdg", c.x, back.da)
    np.testing.assert_allclose(parts.sum(axis=0), back.dWx, rtol=1e-12, atol=1e-15)


def test_cell_split_adds_up_and_matches_engine():
    T, t = 20, 17
    p = L.make_problem(T, 5, 3, 2.0, 0.9, 1.0, 1)
    h, c = L.run_cell("LSTM", p)
    dh_t = L.dh_of_loss(h, p, t)[:, t - 1]
    sp = L.cell_split(c, dh_t, t)
    np.testing.assert_allclose(sp.cell + sp.rest, sp.total, rtol=0, atol=1e-15)
    assert np.all(sp.rest[t - 1] == 0)  # distance 0: nothing has left the cell yet
    dh = np.zeros_like(h)
    dh[:, t - 1] = dh_t
    eng = attribution.lstm_cell_split(dh, c)
    np.testing.assert_allclose(eng.dc_cell[0, :t], sp.cell, rtol=1e-10, atol=1e-18)
    np.testing.assert_allclose(eng.dc_rest[0, :t], sp.rest, rtol=1e-10, atol=1e-18)


def test_finite_difference_checks_pass_at_page_defaults():
    p = L.make_problem(50, 32, 8, 1.0, 0.9, 1.0, 0)
    assert L.fd_check_dWx(p, 50) < 1e-6
    assert L.fd_check_dc(p, 50, [49, 48]) < 1e-6
    for k in (50, 49, 48):
        assert L.fd_check_component(p, 50, k) < 1e-6


def test_finite_difference_check_can_fail(monkeypatch):
    """A wrong backward pass is caught: the check compares, it does not rubber-stamp."""
    p = L.make_problem(10, 3, 2, 1.0, 0.9, 1.0, 0)
    right = lstm.backward_all

    def off_by_ten_percent(dh, cache, dc=None):
        g = right(dh, cache, dc)
        return g._replace(dWx=1.1 * g.dWx)

    monkeypatch.setattr(L.lstm, "backward_all", off_by_ten_percent)
    assert L.fd_check_dWx(p, 10) > 1e-2


def test_tiny_example_three_ways():
    tiny = L.run_tiny(0)
    np.testing.assert_allclose(tiny.article_norms, tiny.norms, rtol=1e-12)
    eng = attribution.seed000_example(np.random.default_rng(0))
    np.testing.assert_allclose(eng.components, tiny.norms, rtol=1e-12)
    assert tiny.fd_rel_error < 1e-6
    assert tiny.f_column_zero  # c_0 = 0: no gradient reaches the forget gate's weights at step 1


def test_article_example_is_the_engines_example():
    """The page shows lessons' article_example (no seed file name on screen); it draws and computes exactly
    what gradcore.attribution.seed000_example does, for several draws."""
    for seed in (0, 1, 7, 1234):
        ours = L.article_example(np.random.default_rng(seed))
        eng = attribution.seed000_example(np.random.default_rng(seed)).components
        np.testing.assert_array_equal(ours, eng)
        assert ours.shape == (3,) and np.all(ours > 0)


def test_article_mistakes_run_live():
    ms = L.mistakes(0)
    assert len(ms) == 5
    assert "IndexError" in ms[1].shows
    assert "NameError" in ms[2].shows
    assert "spread between the 4 units of h over all steps: 0.0e+00" in ms[3].shows
    # the article's loop without `else` differs from gradcore; with it, it agrees exactly
    a = L.tiny_example(0)
    args = (a["x"], a["h0"], a["Wx"], a["Wh"], a["b"])
    h_ok, _ = lstm.forward(*args)
    h_fixed, cache = L.article_lstm_forward(*args, fixed=True)
    h_bug, _ = L.article_lstm_forward(*args)
    np.testing.assert_allclose(h_fixed, h_ok, rtol=1e-14)
    assert np.abs(h_bug - h_ok).max() > 1e-3
    # the dead dnext_h line is wrong; the line that overwrites it matches finite differences
    num = np.array([[L._fd_dL3_dh(*args, a["dout"], j=1)]])
    _, ok = L.article_bptt(a["dout"], cache, a["h0"], a["Wh"], idx=2)
    _, stale = L.article_bptt(a["dout"], cache, a["h0"], a["Wh"], idx=2, stale_dnext_h=True)
    assert rel_error(ok[2], num) < 1e-6
    assert rel_error(stale[2], num) > 1e-3


def test_decay_rate():
    d = np.arange(11)
    assert L.decay_rate(-0.5 * d) == pytest.approx(-0.5)
    assert L.decay_rate(np.array([0.0, -np.inf])) == float("-inf")


def test_last_step_jacobian_is_the_engines_last():
    p = L.make_problem(9, 3, 2, 1.0, 0.9, 1.0, 5)
    _, c = L.run_cell("LSTM", p)
    np.testing.assert_array_equal(L.last_step_jacobian(c), jacobians.lstm_step_jacobians(c)[-1])


def test_paths_are_the_engines_norms():
    p = L.make_problem(30, 5, 3, 2.0, 0.9, 1.0, 7)
    _, c = L.run_cell("LSTM", p)
    _, g = L.run_cell("GRU", p)
    pa = L.paths(c, "GRU", g)
    pn = jacobians.lstm_product_norms(c)
    np.testing.assert_array_equal(pa.cell, pn.log_spec_cell)
    np.testing.assert_array_equal(pa.full_c, pn.log_spec_c)
    np.testing.assert_array_equal(pa.compare, jacobians.gru_product_norms(g).log_spec)
    assert pa.full_c[1] == pytest.approx(pa.cell[1])  # one step back, dc_T/dc_(T-1) = diag(f_T) exactly


@pytest.mark.parametrize("fbias, cmp", [(1.0, "RNN"), (3.0, "GRU")])
def test_travel_norms_are_the_products_of_the_step_jacobians(fbias, cmp):
    """The animation's rows: the cell path prod diag(f_s), the rest dc_T/dc_k - prod diag(f_s), and the comparison
    cell's dh_T/dh_k, against plain products of gradcore.jacobians' step Jacobians (short T: nothing underflows)
    and against the two-paths chart's Frobenius norms (gradcore.jacobians.lstm_product_norms)."""
    T, H, D = 12, 5, 3
    n = L.travel_norms(T, H, D, fbias, 0.9, 1.0, 0, cmp)
    p = L.make_problem(T, H, D, fbias, 0.9, 1.0, 0)
    _, cache = L.run_cell("LSTM", p)
    J = jacobians.lstm_step_jacobians(cache)
    P = np.eye(2 * H)[H:]  # dc_T/d(h_T, c_T)
    cell, rest = [], []
    for d in range(T + 1):
        k = T - d
        diag = np.prod(cache.f[0, k:], axis=0) if d else np.ones(H)
        cell.append(np.log10(np.linalg.norm(diag)))
        R = P[:, H:] - np.diag(diag)
        rest.append(np.log10(np.linalg.norm(R)) if np.linalg.norm(R) > 0 else -np.inf)
        if k:
            P = P @ J[k - 1]
    np.testing.assert_allclose(n[L.TRAVEL_ROWS[0]], cell, rtol=1e-12, atol=1e-12)
    assert np.all(np.isneginf(n[L.TRAVEL_ROWS[1]][:2]))  # one step back there is no path through h: exactly 0
    np.testing.assert_allclose(n[L.TRAVEL_ROWS[1]][2:], rest[2:], rtol=1e-9)
    pn = jacobians.lstm_product_norms(cache, spectral=False)
    np.testing.assert_allclose(n[L.TRAVEL_ROWS[0]], pn.log_fro_cell / np.log(10), rtol=1e-9)
    _, cc = L.run_cell(cmp, p)
    q = (jacobians.rnn_product_norms if cmp == "RNN" else jacobians.gru_product_norms)(cc, spectral=False)
    np.testing.assert_allclose(n[f"{cmp}: dh_T/dh_k"], q.log_fro / np.log(10), rtol=1e-9)


def test_travel_norms_do_not_underflow_at_long_T():
    """At T = 1,500 the RNN's product is far below float64's smallest number, yet every row stays finite: the
    products are rescaled every step."""
    n = L.travel_norms(1500, 8, 4, 1.0, 0.9, 1.0, 0, "RNN")
    assert n["RNN: dh_T/dh_k"][-1] < -320 and np.all(np.isfinite(n["RNN: dh_T/dh_k"]))
    assert np.all(np.isfinite(n[L.TRAVEL_ROWS[1]][2:]))


def test_travel_frame_moves_the_front_and_names_every_row():
    n = L.travel_norms(20, 4, 2, 1.0, 0.9, 1.0, 0, "RNN")
    reached, waiting, label = L.travel_frame(n, 1)
    assert label.startswith("k = 19 (T - k = 1): cell path ") and "the rest (through h) exactly 0" in label
    assert "RNN " in label
    assert set(reached["row"]) == {
        L.TRAVEL_ROWS[0],
        "RNN: dh_T/dh_k",
    }  # the rest's two zero cells are not drawn
    assert len(waiting) == 3 * 19 and reached.loc[reached.front, "k"].unique().tolist() == [19]
    assert L.travel_frame(n, 999)[2].startswith("k = 0 (T - k = 20)")  # clamped
