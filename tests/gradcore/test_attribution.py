"""Attribution: per-(loss, step) contributions sum to the BPTT gradient; the LSTM cell split sums to the whole."""

import numpy as np
import pytest

from gradcore import attribution as attr
from gradcore import gru, lstm, rnn


def _setup(cell, seed=0, N=2, T=6, D=3, H=4, act="tanh"):
    rng = np.random.default_rng(seed)
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    x = rng.standard_normal((N, T, D))
    h0 = rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, G * H)) * 0.7
    Wh = rng.standard_normal((H, G * H)) * 0.7
    b = rng.standard_normal(G * H) * 0.3
    if cell == "rnn":
        h, cache = rnn.forward(x, h0, Wx, Wh, b, act)
        full = rnn.backward_all
    elif cell == "lstm":
        h, cache = lstm.forward(x, h0, Wx, Wh, b, c0=rng.standard_normal((N, H)))
        full = lstm.backward_all
    else:
        h, cache = gru.forward(x, h0, Wx, Wh, b)
        full = gru.backward_all
    dh = rng.standard_normal(h.shape)
    return cache, dh, full


def _only(dh, t):
    """Upstream gradient of the single loss L_t."""
    out = np.zeros_like(dh)
    out[:, t] = dh[:, t]
    return out


CELLS = [
    ("rnn", "tanh"),
    ("rnn", "sigmoid"),
    ("rnn", "relu"),
    ("rnn", "linear"),
    ("lstm", None),
    ("gru", None),
]


@pytest.mark.parametrize("cell,act", CELLS)
def test_contributions_sum_to_full_gradient(cell, act):
    cache, dh, full = _setup(cell, act=act or "tanh")
    T = dh.shape[1]
    g = full(dh, cache)
    sums = {"dWx": 0.0, "dWh": 0.0, "db": 0.0}
    for t in range(T):
        c = attr.contributions(dh, cache, t)
        assert np.all(c.dWx[t + 1 :] == 0) and np.all(c.dWh[t + 1 :] == 0) and np.all(c.db[t + 1 :] == 0)
        # each loss alone: its contributions sum to the gradient of that loss
        gt = full(_only(dh, t), cache)
        for name in sums:
            np.testing.assert_allclose(getattr(c, name).sum(0), getattr(gt, name), rtol=0, atol=1e-12)
            sums[name] = sums[name] + getattr(c, name).sum(0)
    for name in sums:
        ref = getattr(g, name)
        assert np.max(np.abs(sums[name] - ref)) <= 1e-10 * max(1.0, np.max(np.abs(ref))), name


@pytest.mark.parametrize("cell,act", CELLS)
def test_tables_match_the_matrices(cell, act):
    cache, dh, full = _setup(cell, seed=1, act=act or "tanh")
    T = dh.shape[1]
    tab = attr.attribution(dh, cache)
    assert tab.cell == cell
    for t in range(T):
        c = attr.contributions(dh, cache, t)
        np.testing.assert_allclose(tab.dWx[t], np.linalg.norm(c.dWx, axis=(1, 2)), rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(tab.dWh[t], np.linalg.norm(c.dWh, axis=(1, 2)), rtol=1e-10, atol=1e-300)
        np.testing.assert_allclose(tab.db[t], np.linalg.norm(c.db, axis=1), rtol=1e-10, atol=1e-300)
        # ||dL_t/dh_k|| from the ordinary backward pass of the single loss L_t
        gt = full(_only(dh, t), cache)
        np.testing.assert_allclose(
            tab.dh[t, : t + 1], np.linalg.norm(gt.dh_total[:, : t + 1], axis=(0, 2)), rtol=1e-10
        )
    assert np.all(np.triu(tab.dWx, 1) == 0) and np.all(np.triu(tab.dh, 1) == 0)


def test_batch_larger_than_feature_sizes_uses_direct_products():
    """N > D and N > H take the other branch of the norm computation; same numbers."""
    cache, dh, _ = _setup("lstm", seed=2, N=9, T=4, D=2, H=3)
    tab = attr.lstm_attribution(dh, cache)
    c = attr.contributions(dh, cache, 3)
    np.testing.assert_allclose(tab.dWx[3], np.linalg.norm(c.dWx, axis=(1, 2)), rtol=1e-10)
    np.testing.assert_allclose(tab.dWh[3], np.linalg.norm(c.dWh, axis=(1, 2)), rtol=1e-10)


def test_lstm_cell_split_sums_to_whole():
    cache, dh, _ = _setup("lstm", seed=3, T=12)
    split = attr.lstm_cell_split(dh, cache)
    # dc_total comes from lstm.backward_all; cell and rest from two separate recurrences
    np.testing.assert_allclose(split.dc_cell + split.dc_rest, split.dc_total, rtol=1e-12, atol=1e-14)
    # the last step has no future: everything reaching c_T came through h_T directly
    np.testing.assert_allclose(split.dc_rest[:, -1], 0.0, atol=0)
    # with Wh = 0 there is no path through h at all: the cell path is the whole gradient
    c0 = cache._replace(Wh=np.zeros_like(cache.Wh))
    h, c0 = lstm.forward(c0.x, c0.h0, c0.Wx, c0.Wh, c0.b, c0=c0.c0)
    s0 = attr.lstm_cell_split(dh, c0)
    np.testing.assert_allclose(s0.dc_rest, 0.0, atol=0)
    np.testing.assert_allclose(s0.dc_cell, s0.dc_total, rtol=1e-12)


def test_lstm_split_tables_match_single_loss_split():
    """Row t of the dc tables equals the split of the single loss L_t, from the other code path."""
    cache, dh, _ = _setup("lstm", seed=4, T=7)
    tab = attr.lstm_attribution(dh, cache)
    for t in range(7):
        s = attr.lstm_cell_split(_only(dh, t), cache)
        np.testing.assert_allclose(
            tab.dc[t, : t + 1], np.linalg.norm(s.dc_total[:, : t + 1], axis=(0, 2)), rtol=1e-10
        )
        np.testing.assert_allclose(
            tab.dc_cell[t, : t + 1], np.linalg.norm(s.dc_cell[:, : t + 1], axis=(0, 2)), rtol=1e-10
        )
        np.testing.assert_allclose(
            tab.dc_rest[t, : t + 1],
            np.linalg.norm(s.dc_rest[:, : t + 1], axis=(0, 2)),
            rtol=1e-10,
            atol=1e-300,
        )
    assert attr.rnn_attribution(*_setup("rnn")[1::-1]).dc is None


def test_seed_example_runs_and_farthest_step_is_smallest_in_median():
    ex = attr.seed000_example(np.random.default_rng(0))
    assert ex.components.shape == (3,) and ex.matrices.shape == (3, 3, 4)
    assert ex.cache.Wx.shape == (3, 4) and ex.dout.shape == (1, 3, 1)
    np.testing.assert_allclose(np.linalg.norm(ex.matrices, axis=(1, 2)), ex.components, rtol=1e-12)
    comps = np.array([attr.seed000_example(np.random.default_rng(s)).components for s in range(100)])
    med = np.median(comps, axis=0)
    assert med[0] < med[1] < med[2], med


def test_bad_inputs():
    cache, dh, _ = _setup("rnn")
    with pytest.raises(ValueError):
        attr.rnn_attribution(dh[:, :-1], cache)
    with pytest.raises(ValueError):
        attr.contributions(dh, cache, dh.shape[1])
    with pytest.raises(TypeError):
        attr.attribution(dh, object())


def test_inputs_not_mutated():
    cache, dh, _ = _setup("lstm", seed=5)
    before = [np.array(a, copy=True) for a in cache] + [dh.copy()]
    attr.lstm_attribution(dh, cache)
    attr.contributions(dh, cache, 2)
    attr.lstm_cell_split(dh, cache)
    for a, b in zip(before, [*cache, dh], strict=True):
        np.testing.assert_array_equal(a, b)
