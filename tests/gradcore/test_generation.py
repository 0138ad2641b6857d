"""gradcore.generation: the closed loop (outputs fed back after `prime` steps), its loss and its
exact gradient, against a step-by-step loop written from the module's equations."""

import numpy as np
import pytest

from gradcore import activations, gradcheck, models, train
from gradcore.generation import forward_free, free_run, value_and_grad_free


def _params(rng, M, D, H, V, scale=0.6):
    return {
        "Wx": scale * rng.standard_normal((M, D, H)),
        "Wh": scale * rng.standard_normal((M, H, H)),
        "b": 0.1 * rng.standard_normal((M, H)),
        "Wy": scale * rng.standard_normal((M, H, V)),
        "by": 0.1 * rng.standard_normal((M, V)),
    }


def _loop(act, p, x, prime, alpha=None):
    """The docstring's equations, one model, one sequence at a time -> y (M, N, T, V)."""
    f = activations.get(act).f
    M, N, T, _ = x.shape
    y = np.zeros((M, N, T, p["Wy"].shape[2]))
    for m in range(M):
        al = 0.0 if alpha is None else alpha[m]
        for n in range(N):
            h = np.zeros(p["Wh"].shape[1])
            for t in range(T):
                u = x[m, n, t] if t < prime else y[m, n, t - 1]
                h = al * h + (1 - al) * f(u @ p["Wx"][m] + h @ p["Wh"][m] + p["b"][m])
                y[m, n, t] = h @ p["Wy"][m] + p["by"][m]
    return y


@pytest.mark.parametrize("cell,act", [("rnn", "tanh"), ("rnn", "sigmoid"), ("leaky", "tanh")])
@pytest.mark.parametrize("prime", [1, 4, 9])
def test_free_run_follows_the_equations(cell, act, prime):
    rng = np.random.default_rng(prime)
    M, N, T, D, H = 2, 3, 9, 2, 5
    p = _params(rng, M, D, H, D)
    x = rng.standard_normal((M, N, T, D))
    alpha = rng.uniform(0.1, 0.9, (M, H)) if cell == "leaky" else None
    got = free_run(models.Spec(cell, act), p, x, prime, alpha)
    np.testing.assert_allclose(got, _loop(act, p, x, prime, alpha), rtol=1e-12, atol=1e-14)
    y, rec = forward_free(models.Spec(cell, act), p, x, prime, alpha)
    np.testing.assert_array_equal(y.transpose(0, 2, 1, 3), got)
    assert rec["prime"] == prime


def test_after_prime_the_inputs_are_never_read():
    rng = np.random.default_rng(1)
    M, N, T, D, H, prime = 1, 2, 12, 1, 4, 5
    p = _params(rng, M, D, H, D)
    x = rng.standard_normal((M, N, T, D))
    spec = models.Spec("rnn")
    later = x.copy()
    later[:, :, prime:] = 1e3
    np.testing.assert_array_equal(free_run(spec, p, later, prime), free_run(spec, p, x, prime))
    earlier = x.copy()
    earlier[:, :, prime - 1] += 1.0
    assert not np.allclose(
        free_run(spec, p, earlier, prime)[:, :, prime:], free_run(spec, p, x, prime)[:, :, prime:]
    )


def test_loss_is_the_masked_mean_squared_error():
    rng = np.random.default_rng(2)
    M, N, T, V, H, prime = 2, 3, 6, 2, 4, 2
    p = _params(rng, M, V, H, V)
    x, target = rng.standard_normal((M, N, T, V)), rng.standard_normal((M, N, T, V))
    mask = rng.random((M, N, T)) < 0.6
    mask[:, 0, 0] = True  # at least one kept step per model
    loss, _, y, _ = value_and_grad_free(models.Spec("rnn"), p, x, target, mask, prime)
    y = y.transpose(0, 2, 1, 3)  # (M, N, T, V)
    for m in range(M):
        se = np.sum((y[m] - target[m]) ** 2, axis=-1)  # (N, T)
        assert loss[m] == pytest.approx(se[mask[m]].mean(), rel=1e-13)


@pytest.mark.parametrize("cell", ["rnn", "leaky"])
def test_gradient_with_a_partial_mask_and_two_outputs(cell):
    rng = np.random.default_rng(3)
    M, N, T, V, H, prime = 2, 2, 7, 2, 3, 2
    p = _params(rng, M, V, H, V)
    x, target = rng.standard_normal((M, N, T, V)), rng.standard_normal((M, N, T, V))
    mask = rng.random((M, N, T)) < 0.5
    alpha = rng.uniform(0.1, 0.5, (M, H)) if cell == "leaky" else None
    spec = models.Spec(cell, "sigmoid")
    _, grads, _, _ = value_and_grad_free(spec, p, x, target, mask, prime, alpha)

    def fn(**q):
        return float(value_and_grad_free(spec, q, x, target, mask, prime, alpha)[0].sum())

    errs = gradcheck.check(fn, p, grads)
    assert max(errs.values()) < 1e-6, errs


def test_unsupported_cells_and_shapes_are_clear_errors():
    rng = np.random.default_rng(4)
    p = _params(rng, 1, 2, 3, 1)
    x = rng.standard_normal((1, 2, 4, 2))
    with pytest.raises(ValueError, match="D == V"):
        free_run(models.Spec("rnn"), p, x, 1)
    with pytest.raises(ValueError, match="rnn and leaky"):
        free_run(models.Spec("gru"), p, x, 1)
    square = _params(rng, 1, 2, 3, 2)
    with pytest.raises(ValueError, match="prime must be at least 1"):  # y_0 would be uninitialised memory
        free_run(models.Spec("rnn"), square, x, 0)


@pytest.mark.parametrize("cell", ["rnn", "leaky"])
def test_free_running_gradcheck_and_teacher_forcing_limit(cell):
    from gradcore import generation

    rng = np.random.default_rng(6)
    M, N, T, H = 2, 3, 8, 4
    spec = models.Spec(cell)
    p = {
        "Wx": 0.6 * rng.standard_normal((M, 1, H)),
        "Wh": 0.6 * rng.standard_normal((M, H, H)),
        "b": 0.1 * rng.standard_normal((M, H)),
        "Wy": 0.6 * rng.standard_normal((M, H, 1)),
        "by": 0.1 * rng.standard_normal((M, 1)),
    }
    x, yt = rng.standard_normal((M, N, T, 1)), rng.standard_normal((M, N, T, 1))
    lm = np.ones((M, N, T), bool)
    al = rng.uniform(0.02, 0.2, (M, H)) if cell == "leaky" else None
    for prime in (1, 3):
        loss, g, _, _ = generation.value_and_grad_free(spec, p, x, yt, lm, prime, al)
        errs = gradcheck.check(
            lambda prime=prime, **q: float(
                generation.value_and_grad_free(spec, q, x, yt, lm, prime, al)[0].sum()
            ),
            p,
            g,
        )
        assert max(errs.values()) < 1e-6, errs
    # feeding the data at every step (prime = T) is teacher forcing: the ordinary loss and gradient
    loss, g, _, _ = generation.value_and_grad_free(spec, p, x, yt, lm, T, al)
    l2, g2, _ = train.value_and_grad(spec, p, x, yt, lm, lm, "regression", al)
    assert np.allclose(loss, l2, rtol=1e-12) and all(np.allclose(g[k], g2[k], rtol=1e-12) for k in g)
