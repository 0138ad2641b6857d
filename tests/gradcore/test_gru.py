"""gradcore.gru: step and sequence backward against centred finite differences in float64."""

import numpy as np

from gradcore import gru
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
