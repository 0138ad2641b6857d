"""gradcore.gru: step and sequence backward against centred finite differences in float64."""

import numpy as np
from helpers import assert_grads as _assert_grads
from helpers import cell_arrays as _arrays

from gradcore import gru

TOL = 1e-6
N, T, D, H = 3, 5, 4, 6


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
