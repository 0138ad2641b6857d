"""gradcore.lstm: step and sequence backward against centred finite differences in float64."""

import numpy as np
from helpers import assert_grads as _assert_grads
from helpers import cell_arrays as _arrays

from gradcore import lstm

TOL = 1e-6
N, T, D, H = 3, 5, 4, 6


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


def test_float32_runs_in_float32():
    rng = np.random.default_rng(9)
    arrays = {k: v.astype(np.float32) for k, v in _arrays(rng, 4).items()}
    h, cache = lstm.forward(**arrays)
    g = lstm.backward_all(np.ones_like(h), cache)
    assert h.dtype == np.float32 and g.dWh.dtype == np.float32
