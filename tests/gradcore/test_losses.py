"""Losses: values and gradients against centred differences (float64, rel err < 1e-6)."""

import numpy as np
import pytest

from gradcore import gradcheck, losses, rnn


def _ce_setup(seed=0, N=3, T=4, H=5, V=6):
    rng = np.random.default_rng(seed)
    arrays = {
        "h": rng.standard_normal((N, T, H)),
        "Wy": rng.standard_normal((H, V)),
        "by": rng.standard_normal(V),
    }
    targets = rng.integers(0, V, size=(N, T))
    mask = (rng.random((N, T)) < 0.7).astype(float)
    return arrays, targets, mask


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("use_mask", [False, True])
def test_cross_entropy_gradients(reduction, use_mask):
    arrays, targets, mask = _ce_setup()
    m = mask if use_mask else None
    res = losses.softmax_cross_entropy(**arrays, targets=targets, mask=m, reduction=reduction)

    def fn(h, Wy, by):
        return losses.softmax_cross_entropy(h, Wy, by, targets, mask=m, reduction=reduction).total

    for name, g in [("h", res.dh), ("Wy", res.dWy), ("by", res.dby)]:
        num = gradcheck.numerical_gradient(fn, arrays, name)
        assert gradcheck.rel_error(g, num) < 1e-6, name

    def fn_scores(s):
        # The same loss written directly on the scores, to check dscores.
        w = (m if m is not None else np.ones(targets.shape)) / (
            targets.shape[0] if reduction == "mean" else 1
        )
        logp = losses.log_softmax(s)
        return float(-(w * np.take_along_axis(logp, targets[..., None], -1)[..., 0]).sum())

    num = gradcheck.numerical_gradient(fn_scores, {"s": res.scores}, "s")
    assert gradcheck.rel_error(res.dscores, num) < 1e-6


def test_cross_entropy_values_and_parts():
    arrays, targets, mask = _ce_setup(seed=1)
    res = losses.softmax_cross_entropy(**arrays, targets=targets, mask=mask)
    s = arrays["h"] @ arrays["Wy"] + arrays["by"]
    p = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    L = -np.log(np.take_along_axis(p, targets[..., None], -1)[..., 0]) * mask
    np.testing.assert_allclose(res.L, L, rtol=1e-12)
    np.testing.assert_allclose(res.L_t, L.sum(0), rtol=1e-12)
    assert res.total == pytest.approx(L.sum(), rel=1e-12)
    np.testing.assert_allclose(res.probs.sum(-1), 1.0, rtol=1e-12)
    assert np.all(res.L[mask == 0] == 0) and np.all(res.dscores[mask == 0] == 0)


def test_cross_entropy_is_stable_for_huge_scores():
    h = np.array([[[1.0]]])
    res = losses.softmax_cross_entropy(h, np.array([[1e4, -1e4, 0.0]]), np.zeros(3), np.array([[1]]))
    assert np.isfinite(res.total) and res.total == pytest.approx(2e4)
    assert np.all(np.isfinite(res.dh)) and np.all(np.isfinite(res.probs))


def test_cross_entropy_through_rnn_bptt():
    """The CE head's dh drives BPTT: d total / d Wh of the whole model checks out."""
    rng = np.random.default_rng(2)
    N, T, D, H, V = 2, 5, 3, 4, 3
    arrays = {
        "x": rng.standard_normal((N, T, D)),
        "h0": rng.standard_normal((N, H)),
        "Wx": rng.standard_normal((D, H)) * 0.5,
        "Wh": rng.standard_normal((H, H)) * 0.5,
        "b": rng.standard_normal(H),
        "Wy": rng.standard_normal((H, V)),
        "by": rng.standard_normal(V),
    }
    targets = rng.integers(0, V, size=(N, T))

    def fn(x, h0, Wx, Wh, b, Wy, by):
        h, _ = rnn.forward(x, h0, Wx, Wh, b)
        return losses.softmax_cross_entropy(h, Wy, by, targets).total

    h, cache = rnn.forward(arrays["x"], arrays["h0"], arrays["Wx"], arrays["Wh"], arrays["b"])
    res = losses.softmax_cross_entropy(h, arrays["Wy"], arrays["by"], targets)
    dx, dh0, dWx, dWh, db = rnn.backward(res.dh, cache)
    for name, g in [("Wh", dWh), ("Wx", dWx), ("x", dx), ("Wy", res.dWy)]:
        assert gradcheck.rel_error(g, gradcheck.numerical_gradient(fn, arrays, name)) < 1e-6, name


@pytest.mark.parametrize("shape", [(3, 4, 2), (3, 4)])
@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_squared_error(shape, reduction):
    rng = np.random.default_rng(3)
    out, target = rng.standard_normal(shape), rng.standard_normal(shape)
    mask = (rng.random(shape[:2]) < 0.6).astype(float)
    res = losses.squared_error(out, target, mask=mask, reduction=reduction)
    num = gradcheck.numerical_gradient(
        lambda out, target: losses.squared_error(out, target, mask, reduction).total,
        {"out": out, "target": target},
        "out",
    )
    assert gradcheck.rel_error(res.dout, num) < 1e-6
    d = (out - target) ** 2
    per = 0.5 * (d if len(shape) == 2 else d.sum(-1)) * mask / (shape[0] if reduction == "mean" else 1)
    np.testing.assert_allclose(res.L, per, rtol=1e-12)
    np.testing.assert_allclose(res.L_t, per.sum(0), rtol=1e-12)


def test_losses_do_not_mutate_inputs():
    arrays, targets, mask = _ce_setup(seed=4)
    before = {k: v.copy() for k, v in arrays.items()}
    losses.softmax_cross_entropy(**arrays, targets=targets, mask=mask)
    for k in arrays:
        np.testing.assert_array_equal(arrays[k], before[k])


def test_bad_inputs_raise():
    arrays, targets, _ = _ce_setup()
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(**arrays, targets=targets + 100)
    with pytest.raises(ValueError):
        losses.softmax_cross_entropy(**arrays, targets=targets, mask=np.ones((1, 1)))
    with pytest.raises(ValueError):
        losses.squared_error(np.zeros((2, 3)), np.zeros((2, 4)))
