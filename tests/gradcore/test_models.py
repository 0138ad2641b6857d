"""Fused batched cells (gradcore.models) against the teaching cells and centred differences."""

import numpy as np
import pytest

from gradcore import gradcheck, gru, lstm, models, rnn

G = models.GATES


def _params(cell, M, D, H, rng, scale=0.5):
    GH = G[cell] * H
    return (
        scale * rng.standard_normal((M, D, GH)),
        scale * rng.standard_normal((M, H, GH)),
        0.1 * rng.standard_normal((M, GH)),
    )


@pytest.mark.parametrize(
    "cell,act", [("rnn", "tanh"), ("rnn", "sigmoid"), ("rnn", "relu"), ("lstm", "tanh"), ("gru", "tanh")]
)
def test_matches_teaching_cells(cell, act):
    rng = np.random.default_rng(0)
    M, N, T, D, H = 3, 4, 7, 3, 5
    Wx, Wh, b = _params(cell, M, D, H, rng)
    x = rng.standard_normal((M, N, T, D))
    dh = rng.standard_normal((M, T, N, H))
    spec = models.Spec(cell, act)
    h, cache = models.forward(spec, Wx, Wh, b, x)
    g = models.backward(cache, dh)
    dx = models.input_gradient(Wx, g)
    for m in range(M):
        h0 = np.zeros((N, H))
        if cell == "rnn":
            hr, c = rnn.forward(x[m], h0, Wx[m], Wh[m], b[m], act)
            ref = rnn.backward_all(dh[m].transpose(1, 0, 2), c)
        elif cell == "lstm":
            hr, c = lstm.forward(x[m], h0, Wx[m], Wh[m], b[m])
            ref = lstm.backward_all(dh[m].transpose(1, 0, 2), c)
        else:
            hr, c = gru.forward(x[m], h0, Wx[m], Wh[m], b[m])
            ref = gru.backward_all(dh[m].transpose(1, 0, 2), c)
        assert np.allclose(h[m].transpose(1, 0, 2), hr, rtol=1e-12, atol=1e-14)
        for ours, theirs in [
            (g.dWx[m], ref.dWx),
            (g.dWh[m], ref.dWh),
            (g.db[m], ref.db),
            (dx[m], ref.dx),
            (g.dh_total[m].transpose(1, 0, 2), ref.dh_total),
        ]:
            assert np.allclose(ours, theirs, rtol=1e-11, atol=1e-13)


def _loss_fn(spec, x, w, step_mask=None, alpha=None, tbptt=None):
    """L = sum_t <w_t, h_t>: every step's state is scored, so every path is exercised."""

    def fn(Wx, Wh, b):
        h, _ = models.forward(spec, Wx, Wh, b, x, step_mask, alpha)
        return float(np.sum(w * h))

    return fn


@pytest.mark.parametrize("cell", ["leaky", "lstm", "gru", "rnn"])
def test_gradcheck_with_padding(cell):
    rng = np.random.default_rng(1)
    M, N, T, D, H = 2, 3, 6, 2, 4
    Wx, Wh, b = _params(cell, M, D, H, rng)
    x = rng.standard_normal((M, N, T, D))
    step_mask = np.ones((M, N, T), dtype=bool)
    step_mask[0, 1, :2] = False  # left padding of two steps
    step_mask[1, 2, :1] = False
    alpha = rng.uniform(0.02, 0.2, size=(M, H)) if cell == "leaky" else None
    w = rng.standard_normal((M, T, N, H))
    spec = models.Spec(cell, "tanh")
    _, cache = models.forward(spec, Wx, Wh, b, x, step_mask, alpha)
    g = models.backward(cache, w)
    fn = _loss_fn(spec, x, w, step_mask, alpha)
    errs = gradcheck.check(fn, {"Wx": Wx, "Wh": Wh, "b": b}, {"Wx": g.dWx, "Wh": g.dWh, "b": g.db})
    assert max(errs.values()) < 1e-6, errs


def test_padding_equals_shorter_sequence():
    rng = np.random.default_rng(2)
    for cell in models.CELLS:
        Wx, Wh, b = _params(cell, 1, 2, 4, rng)
        alpha = np.full((1, 4), 0.1)
        x_short = rng.standard_normal((1, 1, 5, 2))
        x_pad = np.concatenate([rng.standard_normal((1, 1, 3, 2)), x_short], axis=2)
        mask = np.array([[[False] * 3 + [True] * 5]])
        spec = models.Spec(cell)
        h_s, _ = models.forward(spec, Wx, Wh, b, x_short, None, alpha)
        h_p, _ = models.forward(spec, Wx, Wh, b, x_pad, mask, alpha)
        assert np.allclose(h_p[:, 3:], h_s, rtol=1e-13) and np.all(h_p[:, :3] == 0)


def test_leaky_alpha_zero_is_rnn_and_alpha_slows_units():
    rng = np.random.default_rng(3)
    Wx, Wh, b = _params("rnn", 1, 2, 4, rng)
    x = rng.standard_normal((1, 2, 9, 2))
    h_rnn, _ = models.forward(models.Spec("rnn"), Wx, Wh, b, x)
    h_leak0, _ = models.forward(models.Spec("leaky"), Wx, Wh, b, x, alpha=np.zeros((1, 4)))
    assert np.array_equal(h_rnn, h_leak0)
    # eq. 14: a unit with alpha close to 1 moves by at most (1 - alpha) * 2 per step
    alpha = np.array([[0.0, 0.5, 0.9, 0.99]])
    h, _ = models.forward(models.Spec("leaky"), Wx, Wh, b, x, alpha=alpha)
    steps = np.abs(np.diff(h, axis=1)).max(axis=(0, 1, 2))
    assert np.all(steps <= 2 * (1 - alpha[0]) + 1e-12) and steps[3] < steps[0]


def test_truncation_zeroes_contributions_beyond_k2():
    rng = np.random.default_rng(4)
    M, N, T, D, H = 1, 3, 20, 2, 4
    for cell in ("rnn", "lstm", "gru"):
        Wx, Wh, b = _params(cell, M, D, H, rng)
        x = rng.standard_normal((M, N, T, D))
        dh = np.zeros((M, T, N, H))
        dh[:, -1] = rng.standard_normal((M, N, H))  # loss only at the last step, as in the adding task
        _, cache = models.forward(models.Spec(cell), Wx, Wh, b, x)
        full = models.backward(cache, dh)
        k2 = 5
        tr = models.backward(cache, dh, tbptt=(k2, k2))
        # the last chunk ends at T-1 and reaches back k2 steps; nothing before it
        assert np.all(tr.da[:, : T - k2] == 0) and np.any(tr.da[:, T - k2 :] != 0)
        assert np.allclose(tr.da[:, T - k2 :], full.da[:, T - k2 :], rtol=1e-12)
        assert np.abs(full.da[:, : T - k2]).max() > 0
        dx_tr = models.input_gradient(Wx, tr)
        assert np.all(dx_tr[:, :, : T - k2] == 0)
        # k2 >= T is full BPTT
        tr_all = models.backward(cache, dh, tbptt=(4, T))
        assert np.allclose(tr_all.dWh, full.dWh, rtol=1e-12)


def test_bptt_k1_k2_chunks():
    """BPTT(k1, k2): a loss at step t in the chunk ending at tau reaches back to tau - k2 + 1."""
    rng = np.random.default_rng(5)
    M, N, T, D, H = 1, 2, 12, 2, 3
    Wx, Wh, b = _params("rnn", M, D, H, rng)
    x = rng.standard_normal((M, N, T, D))
    _, cache = models.forward(models.Spec("rnn"), Wx, Wh, b, x)
    k1, k2 = 3, 5
    for t in range(T):  # one loss at a time; the truncated gradient reaches exactly the window
        dh = np.zeros((M, T, N, H))
        dh[:, t] = 1.0
        tr = models.backward(cache, dh, tbptt=(k1, k2))
        tau = min((t // k1 + 1) * k1, T) - 1
        reached = np.flatnonzero(np.abs(tr.da).sum(axis=(0, 2, 3)) > 0)
        assert reached.min() == max(tau - k2 + 1, 0) and reached.max() == t


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_randomised_truncation_is_unbiased(cell):
    """xi_t in {0, 1/pi} on every backward link: ones give full BPTT, and the mean over many
    draws is the full gradient (d2l sec. 9.7); a zero cuts everything before that step."""
    rng = np.random.default_rng(6)
    N, T, D, H, K = 2, 6, 2, 3, 4000
    Wx1, Wh1, b1 = _params(cell, 1, D, H, rng)
    x1 = rng.standard_normal((1, N, T, D))
    dh1 = np.zeros((1, T, N, H))
    dh1[:, -1] = rng.standard_normal((1, N, H))
    _, c1 = models.forward(models.Spec(cell), Wx1, Wh1, b1, x1)
    full = models.backward(c1, dh1)
    ones = models.backward(c1, dh1, xi=np.ones((1, T)))
    assert np.array_equal(ones.dWh, full.dWh)
    cut = np.ones((1, T))
    cut[0, 3] = 0.0
    g = models.backward(c1, dh1, xi=cut)
    assert np.all(g.da[:, :3] == 0) and np.allclose(g.da[:, 3:], full.da[:, 3:], rtol=1e-12)
    # K copies of the same model, each with its own draw of xi: one batched backward pass
    rep = lambda a: np.repeat(a, K, axis=0)  # noqa: E731
    _, cK = models.forward(models.Spec(cell), rep(Wx1), rep(Wh1), rep(b1), rep(x1))
    pi = 0.8
    xi = np.where(rng.random((K, T)) < pi, 1 / pi, 0.0)
    gK = models.backward(cK, rep(dh1), xi=xi)
    est = gK.dWh.mean(axis=0)
    assert np.linalg.norm(est - full.dWh[0]) / np.linalg.norm(full.dWh[0]) < 0.06
    assert np.linalg.norm(gK.dWh[0] - full.dWh[0]) > 0 or np.all(xi[0] == 1 / pi)


def test_lstm_without_forget_gate_is_the_1997_cell():
    """Spec(forget=False): c_t = c_{t-1} + i_t g_t exactly (Hochreiter & Schmidhuber 1997, no forget gate);
    its backward pass against centred differences (with padding), and the forget block's weights get zero
    gradients (they are unused)."""
    rng = np.random.default_rng(3)
    M, N, T, D, H = 2, 3, 6, 2, 4
    Wx, Wh, b = _params("lstm", M, D, H, rng)
    x = rng.standard_normal((M, N, T, D))
    spec = models.Spec("lstm", forget=False)
    h, cache = models.forward(spec, Wx, Wh, b, x)
    gates = cache.gates  # (M, T, N, 4H) [i f o g]
    i, f, o, g = (gates[..., k * H : (k + 1) * H] for k in range(4))
    c = np.cumsum(i * g, axis=1)  # c_0 = 0 and f = 1: the cell state is the running sum of i g
    assert np.all(f == 1.0)
    assert np.allclose(cache.cbuf[:, 1:], c, rtol=1e-13, atol=1e-14)
    assert np.allclose(h, o * np.tanh(c), rtol=1e-13, atol=1e-14)
    h_std, _ = models.forward(models.Spec("lstm"), Wx, Wh, b, x)
    assert not np.allclose(h, h_std)  # the option does something
    step_mask = np.ones((M, N, T), dtype=bool)
    step_mask[0, 1, :2] = False
    w = rng.standard_normal((M, T, N, H))
    _, cache = models.forward(spec, Wx, Wh, b, x, step_mask)
    gr = models.backward(cache, w)
    fn = _loss_fn(spec, x, w, step_mask)
    errs = gradcheck.check(fn, {"Wx": Wx, "Wh": Wh, "b": b}, {"Wx": gr.dWx, "Wh": gr.dWh, "b": gr.db})
    assert max(errs.values()) < 1e-6, errs
    assert np.all(gr.dWx[..., H : 2 * H] == 0) and np.all(gr.dWh[..., H : 2 * H] == 0)
    assert np.all(gr.db[..., H : 2 * H] == 0)
    with pytest.raises(ValueError, match="lstm option"):
        models.Spec("gru", forget=False)
