"""gradcore.rnn: step and sequence backward against centred finite differences in float64, and
rnn.step_loss_dWh against one backward pass per prefix."""

import numpy as np
import pytest
from helpers import assert_grads as _assert_grads
from helpers import cell_arrays as _arrays

from gradcore import rnn

TOL = 1e-6
N, T, D, H = 3, 5, 4, 6


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
