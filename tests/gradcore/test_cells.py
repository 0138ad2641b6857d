"""Every backward pass of the three cells against centred finite differences, in float64."""

import numpy as np
import pytest

from gradcore import gru, lstm, rnn
from gradcore.gradcheck import numerical_gradient, rel_error

TOL = 1e-6
N, T, D, H = 3, 5, 4, 6


def _arrays(rng, gates):
    return dict(
        x=rng.standard_normal((N, T, D)),
        h0=rng.standard_normal((N, H)),
        Wx=rng.standard_normal((D, gates * H)) * 0.5,
        Wh=rng.standard_normal((H, gates * H)) * 0.5,
        b=rng.standard_normal(gates * H) * 0.3,
    )


def _assert_grads(fn, arrays, analytic):
    for name, g in analytic.items():
        err = rel_error(g, numerical_gradient(fn, arrays, name))
        assert err < TOL, f"{name}: rel error {err:.2e}"


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_rnn_sequence_backward(activation):
    rng = np.random.default_rng(0)
    arrays = _arrays(rng, 1)
    dh = rng.standard_normal((N, T, H))

    def loss(x, h0, Wx, Wh, b):
        return np.sum(rnn.forward(x, h0, Wx, Wh, b, activation)[0] * dh)

    _, cache = rnn.forward(**arrays, activation=activation)
    dx, dh0, dWx, dWh, db = rnn.backward(dh, cache)
    _assert_grads(loss, arrays, dict(x=dx, h0=dh0, Wx=dWx, Wh=dWh, b=db))


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_rnn_step_backward(activation):
    rng = np.random.default_rng(1)
    a = _arrays(rng, 1)
    arrays = dict(x=a["x"][:, 0], prev_h=a["h0"], Wx=a["Wx"], Wh=a["Wh"], b=a["b"])
    dnext = rng.standard_normal((N, H))

    def loss(x, prev_h, Wx, Wh, b):
        return np.sum(rnn.step_forward(x, prev_h, Wx, Wh, b, activation)[0] * dnext)

    _, cache = rnn.step_forward(**arrays, activation=activation)
    dx, dprev_h, dWx, dWh, db = rnn.step_backward(dnext, cache)
    _assert_grads(loss, arrays, dict(x=dx, prev_h=dprev_h, Wx=dWx, Wh=dWh, b=db))


def test_lstm_sequence_backward_with_c0_and_direct_dc():
    rng = np.random.default_rng(2)
    arrays = _arrays(rng, 4)
    arrays["c0"] = rng.standard_normal((N, H))
    dh = rng.standard_normal((N, T, H))
    dc = rng.standard_normal((N, T, H))

    def loss(x, h0, Wx, Wh, b, c0):
        h, cache = lstm.forward(x, h0, Wx, Wh, b, c0=c0)
        return np.sum(h * dh) + np.sum(cache.c * dc)

    _, cache = lstm.forward(**arrays)
    g = lstm.backward_all(dh, cache, dc=dc)
    _assert_grads(loss, arrays, dict(x=g.dx, h0=g.dh0, Wx=g.dWx, Wh=g.dWh, b=g.db, c0=g.dc0))


def test_lstm_backward_signature_matches_backward_all():
    rng = np.random.default_rng(3)
    arrays = _arrays(rng, 4)
    dh = rng.standard_normal((N, T, H))
    _, cache = lstm.forward(**arrays)
    five = lstm.backward(dh, cache)
    full = lstm.backward_all(dh, cache)
    for a, b in zip(five, (full.dx, full.dh0, full.dWx, full.dWh, full.db), strict=True):
        np.testing.assert_array_equal(a, b)


def test_lstm_step_backward():
    rng = np.random.default_rng(4)
    a = _arrays(rng, 4)
    arrays = dict(
        x=a["x"][:, 0], prev_h=a["h0"], prev_c=rng.standard_normal((N, H)), Wx=a["Wx"], Wh=a["Wh"], b=a["b"]
    )
    dnext_h, dnext_c = rng.standard_normal((2, N, H))

    def loss(x, prev_h, prev_c, Wx, Wh, b):
        nh, nc, _ = lstm.step_forward(x, prev_h, prev_c, Wx, Wh, b)
        return np.sum(nh * dnext_h) + np.sum(nc * dnext_c)

    _, _, cache = lstm.step_forward(**arrays)
    dx, dprev_h, dprev_c, dWx, dWh, db = lstm.step_backward(dnext_h, dnext_c, cache)
    _assert_grads(loss, arrays, dict(x=dx, prev_h=dprev_h, prev_c=dprev_c, Wx=dWx, Wh=dWh, b=db))


def test_gru_sequence_backward():
    rng = np.random.default_rng(5)
    arrays = _arrays(rng, 3)
    dh = rng.standard_normal((N, T, H))

    def loss(x, h0, Wx, Wh, b):
        return np.sum(gru.forward(x, h0, Wx, Wh, b)[0] * dh)

    _, cache = gru.forward(**arrays)
    dx, dh0, dWx, dWh, db = gru.backward(dh, cache)
    _assert_grads(loss, arrays, dict(x=dx, h0=dh0, Wx=dWx, Wh=dWh, b=db))


def test_gru_step_backward():
    rng = np.random.default_rng(6)
    a = _arrays(rng, 3)
    arrays = dict(x=a["x"][:, 0], prev_h=a["h0"], Wx=a["Wx"], Wh=a["Wh"], b=a["b"])
    dnext = rng.standard_normal((N, H))

    def loss(x, prev_h, Wx, Wh, b):
        return np.sum(gru.step_forward(x, prev_h, Wx, Wh, b)[0] * dnext)

    _, cache = gru.step_forward(**arrays)
    dx, dprev_h, dWx, dWh, db = gru.step_backward(dnext, cache)
    _assert_grads(loss, arrays, dict(x=dx, prev_h=dprev_h, Wx=dWx, Wh=dWh, b=db))


def test_sequence_forward_equals_stepping():
    rng = np.random.default_rng(7)
    a1, a4, a3 = _arrays(rng, 1), _arrays(rng, 4), _arrays(rng, 3)
    h, _ = rnn.forward(**a1, activation="sigmoid")
    hl, cl = lstm.forward(**a4)
    hg, _ = gru.forward(**a3)
    ph, pl, pc, pg = a1["h0"], a4["h0"], np.zeros((N, H)), a3["h0"]
    for t in range(T):
        ph, _ = rnn.step_forward(a1["x"][:, t], ph, a1["Wx"], a1["Wh"], a1["b"], "sigmoid")
        pl, pc, _ = lstm.step_forward(a4["x"][:, t], pl, pc, a4["Wx"], a4["Wh"], a4["b"])
        pg, _ = gru.step_forward(a3["x"][:, t], pg, a3["Wx"], a3["Wh"], a3["b"])
        np.testing.assert_allclose(h[:, t], ph, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hl[:, t], pl, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(cl.c[:, t], pc, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hg[:, t], pg, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("module,gates", [(rnn, 1), (lstm, 4), (gru, 3)])
def test_inputs_are_never_mutated(module, gates):
    rng = np.random.default_rng(8)
    arrays = _arrays(rng, gates)
    before = {k: v.copy() for k, v in arrays.items()}
    dh = rng.standard_normal((N, T, H))
    dh_before = dh.copy()
    _, cache = module.forward(**arrays)
    module.backward(dh, cache)
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], before[k])
    np.testing.assert_array_equal(dh, dh_before)


def test_float32_runs_in_float32():
    rng = np.random.default_rng(9)
    arrays = {k: v.astype(np.float32) for k, v in _arrays(rng, 4).items()}
    h, cache = lstm.forward(**arrays)
    g = lstm.backward_all(np.ones_like(h), cache)
    assert h.dtype == np.float32 and g.dWh.dtype == np.float32


def test_unknown_activation_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown activation"):
        rnn.forward(
            np.zeros((1, 2, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros(1), "swish"
        )


@pytest.mark.parametrize("activation", ["tanh", "linear"])
def test_step_loss_dWh_equals_one_backward_per_prefix(activation):
    """rnn.step_loss_dWh (one batched pass) against backward_all on each prefix 1..t, even past an overflow."""
    rng = np.random.default_rng(3)
    T, D, H = 90, 3, 6
    Wh = rng.standard_normal((H, H)) * (1e4 if activation == "linear" else 0.9)  # linear: overflows float64
    Wx, b = rng.standard_normal((D, H)), rng.standard_normal(H) * 0.1
    x, h0 = rng.standard_normal((1, T, D)), np.zeros((1, H))
    with np.errstate(all="ignore"):
        _, cache = rnn.forward(x, h0, Wx, Wh, b, activation=activation)
        steps = np.array([1, 2, 7, 20, 60, T])
        dh_t = rng.standard_normal((len(steps), H))
        got = rnn.step_loss_dWh(dh_t, cache, steps)
        for i, t in enumerate(steps):
            pre = rnn.Cache(
                cache.x[:, :t],
                cache.h0,
                cache.Wx,
                cache.Wh,
                cache.b,
                cache.a[:, :t],
                cache.h[:, :t],
                cache.activation,
            )
            dh = np.zeros((1, t, H))
            dh[0, t - 1] = dh_t[i]
            want = rnn.backward_all(dh, pre).dWh
            if np.all(np.isfinite(want)):
                np.testing.assert_allclose(got[i], want, rtol=1e-12, atol=1e-300)
            else:
                assert not np.all(np.isfinite(got[i]))  # overflowed there too
    if activation == "linear":
        assert not np.all(np.isfinite(cache.h))  # the case with an overflow was exercised
    with pytest.raises(ValueError):
        rnn.step_loss_dWh(dh_t, cache, np.array([0, 1, 2, 3, 4, 5]))
