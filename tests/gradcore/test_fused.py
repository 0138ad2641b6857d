"""The per-step LSTM kernel (gradcore.fused) behind the teaching cell and the training engine:
centred differences in float64, the step-by-step teaching equations, float32 kept float32 end
to end and within a stated tolerance of float64, and torch where it is installed."""

import numpy as np
import pytest

from gradcore import fused, gradcheck, lstm, models

F32_RTOL = 2e-4  # float32 against the float64 result of the same inputs: relative norm error


def _lstm(rng, N, T, D, H, scale=0.5):
    return (
        rng.standard_normal((N, T, D)),
        0.3 * rng.standard_normal((N, H)),
        scale * rng.standard_normal((D, 4 * H)),
        scale * rng.standard_normal((H, 4 * H)),
        0.2 * rng.standard_normal(4 * H),
        0.3 * rng.standard_normal((N, H)),
    )


def test_step_back_equals_the_teaching_step():
    rng = np.random.default_rng(0)
    N, D, H = 3, 2, 4
    x, h0, Wx, Wh, b, c0 = _lstm(rng, N, 1, D, H)
    next_h, next_c, sc = lstm.step_forward(x[:, 0], h0, c0, Wx, Wh, b)
    dnext_h, dnext_c = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    ref = lstm.step_backward(dnext_h, dnext_c, sc)
    G = np.concatenate([sc.i, sc.f, sc.o, sc.g], axis=1)
    da = np.empty((N, 4 * H))
    s = fused.lstm_scratch((N, 4 * H), np.float64)
    for h in (next_h, None):  # h given, or computed from o and tanh c
        dc = fused.lstm_step_back(dnext_h, dnext_c, G, c0, sc.tanh_c, h, da, s)
        np.testing.assert_allclose(da @ Wx.T, ref[0], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(da @ Wh.T, ref[1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(dc * sc.f, ref[2], rtol=1e-12, atol=1e-14)


def test_teaching_lstm_gradcheck_with_direct_dc():
    """Every input of lstm.backward_all, including the direct dL/dc_t path, against centred differences."""
    rng = np.random.default_rng(1)
    N, T, D, H = 2, 5, 3, 4
    x, h0, Wx, Wh, b, c0 = _lstm(rng, N, T, D, H)
    wh, wc = rng.standard_normal((N, T, H)), rng.standard_normal((N, T, H))

    def fn(x, h0, c0, Wx, Wh, b):
        h, cache = lstm.forward(x, h0, Wx, Wh, b, c0)
        return float(np.sum(wh * h) + np.sum(wc * cache.c))

    _, cache = lstm.forward(x, h0, Wx, Wh, b, c0)
    g = lstm.backward_all(wh, cache, dc=wc)
    arrays = {"x": x, "h0": h0, "c0": c0, "Wx": Wx, "Wh": Wh, "b": b}
    errs = gradcheck.check(
        fn, arrays, {"x": g.dx, "h0": g.dh0, "c0": g.dc0, "Wx": g.dWx, "Wh": g.dWh, "b": g.db}
    )
    assert max(errs.values()) < 1e-6, errs


def _f64_and_f32(fn, arrays):
    return fn(**arrays), fn(**{k: v.astype(np.float32) for k, v in arrays.items()})


def test_teaching_lstm_float32_stays_float32_and_agrees():
    rng = np.random.default_rng(2)
    N, T, D, H = 8, 40, 3, 16
    x, h0, Wx, Wh, b, _ = _lstm(rng, N, T, D, H, scale=0.3)
    dh = rng.standard_normal((N, T, H))

    def run(x, h0, Wx, Wh, b, dh):
        h, cache = lstm.forward(x, h0, Wx, Wh, b)
        return h, cache, lstm.backward_all(dh, cache)

    (h64, c64, g64), (h32, c32, g32) = _f64_and_f32(
        run, {"x": x, "h0": h0, "Wx": Wx, "Wh": Wh, "b": b, "dh": dh}
    )
    for name, arr in [*c32._asdict().items(), *g32._asdict().items(), ("h", h32)]:
        assert arr.dtype == np.float32, f"{name} is {arr.dtype}"
    for a, b_ in [(h32, h64), (g32.dWx, g64.dWx), (g32.dWh, g64.dWh), (g32.db, g64.db), (g32.dx, g64.dx)]:
        assert gradcheck.rel_error(a, b_) < F32_RTOL


@pytest.mark.parametrize("M", [1, 3])
def test_engine_lstm_float32_stays_float32_and_agrees_with_teaching_cells(M):
    """gradcore.models in float32 (with left padding, so held steps take the other branch) against
    the float64 teaching cells of each model."""
    rng = np.random.default_rng(3)
    N, T, D, H = 6, 30, 2, 12
    Wx = 0.4 * rng.standard_normal((M, D, 4 * H))
    Wh = 0.4 * rng.standard_normal((M, H, 4 * H))
    b = 0.2 * rng.standard_normal((M, 4 * H))
    x = rng.standard_normal((M, N, T, D))
    dh = rng.standard_normal((M, T, N, H))
    mask = np.ones((M, N, T), dtype=bool)
    mask[:, 0, :4] = False
    spec = models.Spec("lstm")
    f32 = lambda a: a.astype(np.float32)  # noqa: E731
    h32, cache = models.forward(spec, f32(Wx), f32(Wh), f32(b), f32(x), mask)
    g32 = models.backward(cache, f32(dh))
    for name, arr in [*cache._asdict().items(), *g32._asdict().items(), ("h", h32)]:
        if isinstance(arr, np.ndarray) and arr.dtype.kind == "f":
            assert arr.dtype == np.float32, f"{name} is {arr.dtype}"
    h64, c64 = models.forward(spec, Wx, Wh, b, x, mask)
    g64 = models.backward(c64, dh)
    for a, b_ in [(h32, h64), (g32.dWx, g64.dWx), (g32.dWh, g64.dWh), (g32.db, g64.db)]:
        assert gradcheck.rel_error(a, b_) < F32_RTOL
    # the float64 engine is the teaching cell, model by model (sequence 1 unpadded)
    for m in range(M):
        x1 = x[m, 1:]
        hr, cr = lstm.forward(x1, np.zeros((N - 1, H)), Wx[m], Wh[m], b[m])
        np.testing.assert_allclose(h64[m][:, 1:].transpose(1, 0, 2), hr, rtol=1e-12, atol=1e-14)


def test_engine_lstm_ensemble_gradcheck_float64():
    """The batched engine path (M > 1: per-model input projections) against centred differences."""
    rng = np.random.default_rng(4)
    M, N, T, D, H = 3, 2, 5, 3, 3
    Wx = 0.5 * rng.standard_normal((M, D, 4 * H))
    Wh = 0.5 * rng.standard_normal((M, H, 4 * H))
    b = 0.1 * rng.standard_normal((M, 4 * H))
    x = rng.standard_normal((M, N, T, D))
    w = rng.standard_normal((M, T, N, H))
    spec = models.Spec("lstm")

    def fn(Wx, Wh, b):
        h, _ = models.forward(spec, Wx, Wh, b, x)
        return float(np.sum(w * h))

    _, cache = models.forward(spec, Wx, Wh, b, x)
    g = models.backward(cache, w)
    errs = gradcheck.check(fn, {"Wx": Wx, "Wh": Wh, "b": b}, {"Wx": g.dWx, "Wh": g.dWh, "b": g.db})
    assert max(errs.values()) < 1e-6, errs


def test_float32_teaching_lstm_agrees_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    N, T, D, H = 4, 25, 3, 8
    x, _, Wx, Wh, b, _ = _lstm(rng, N, T, D, H, scale=0.3)
    x, Wx, Wh, b = (a.astype(np.float32) for a in (x, Wx, Wh, b))
    dh = rng.standard_normal((N, T, H)).astype(np.float32)
    h, cache = lstm.forward(x, np.zeros((N, H), np.float32), Wx, Wh, b)
    dx, _, dWx, dWh, db = lstm.backward(dh, cache)
    # NB: torch orders the gates i, f, g, o and keeps column-vector weights (4H, D)
    perm = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
    m = torch.nn.LSTM(D, H, batch_first=True)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.from_numpy(Wx[:, perm].T.copy()))
        m.weight_hh_l0.copy_(torch.from_numpy(Wh[:, perm].T.copy()))
        m.bias_ih_l0.copy_(torch.from_numpy(b[perm].copy()))
        m.bias_hh_l0.zero_()
    xt = torch.from_numpy(x).requires_grad_(True)
    out, _ = m(xt)
    out.backward(torch.from_numpy(dh))
    assert gradcheck.rel_error(h, out.detach().numpy()) < F32_RTOL
    assert gradcheck.rel_error(dx, xt.grad.numpy()) < F32_RTOL
    assert gradcheck.rel_error(dWx[:, perm].T, m.weight_ih_l0.grad.numpy()) < F32_RTOL
    assert gradcheck.rel_error(dWh[:, perm].T, m.weight_hh_l0.grad.numpy()) < F32_RTOL
    assert gradcheck.rel_error(db[perm], m.bias_ih_l0.grad.numpy()) < F32_RTOL
