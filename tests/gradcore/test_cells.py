"""The convention rnn, lstm and gru share: the sequence forward is the step forward repeated,
no function changes its inputs, and float32 in gives float32 out."""

import numpy as np
import pytest
from helpers import cell_arrays as _arrays

from gradcore import gru, lstm, rnn

N, T, D, H = 3, 5, 4, 6


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


@pytest.mark.parametrize("module,gates", [(rnn, 1), (lstm, 4), (gru, 3)])
def test_float32_stays_float32(module, gates):
    rng = np.random.default_rng(10)
    arrays = {k: v.astype(np.float32) for k, v in _arrays(rng, gates).items()}
    h, cache = module.forward(**arrays)
    grads = module.backward(np.ones_like(h), cache)
    assert h.dtype == np.float32
    assert [g.dtype for g in grads] == [np.float32] * 5
