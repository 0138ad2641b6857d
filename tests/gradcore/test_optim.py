"""Optimisers: textbook updates, purity, per-model hyperparameters."""

import numpy as np
import pytest

from gradcore import optim


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    params = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    grads = {"W": rng.standard_normal((3, 4)), "b": rng.standard_normal(4)}
    return params, grads


def _copy(d):
    return {k: v.copy() for k, v in d.items()}


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_never_mutates_inputs(name):
    params, grads = _problem()
    p0, g0 = _copy(params), _copy(grads)
    state = optim.init_state(name, params)
    new, state1 = optim.step(name, params, grads, state, lr=0.1)
    new2, _ = optim.step(name, new, grads, state1, lr=0.1)
    for k in params:
        assert np.array_equal(params[k], p0[k]) and np.array_equal(grads[k], g0[k])
        assert not np.shares_memory(new[k], params[k])
    if name != "sgd":
        # the old state is still usable: stepping from it again gives the same result
        again, _ = optim.step(name, params, grads, state, lr=0.1)
        assert all(np.array_equal(again[k], new[k]) for k in params)


def test_sgd_and_momentum_textbook():
    params, grads = _problem()
    new, st = optim.sgd(params, grads, lr=0.5)
    assert np.allclose(new["W"], params["W"] - 0.5 * grads["W"]) and st.k == 1
    p, st = params, None
    v = {k: np.zeros_like(x) for k, x in params.items()}
    ref = _copy(params)
    for _ in range(5):
        p, st = optim.momentum(p, grads, st, lr=0.1, mu=0.9)
        for k in ref:
            v[k] = 0.9 * v[k] - 0.1 * grads[k]
            ref[k] = ref[k] + v[k]
    assert all(np.allclose(p[k], ref[k], rtol=1e-13) for k in ref)


def test_adam_textbook_and_first_step():
    params, grads = _problem(1)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    new, st = optim.adam(params, grads, lr=lr)
    # first step of Adam moves every coordinate by lr (up to eps) against the gradient sign
    assert np.allclose(params["W"] - new["W"], lr * np.sign(grads["W"]), rtol=1e-6)
    rng = np.random.default_rng(2)
    p, st = _copy(params), None
    m = {k: 0 * x for k, x in params.items()}
    s = {k: 0 * x for k, x in params.items()}
    ref = _copy(params)
    for k in range(1, 8):
        g = {n: rng.standard_normal(x.shape) for n, x in params.items()}
        p, st = optim.adam(p, g, st, lr=lr, b1=b1, b2=b2, eps=eps)
        for n in ref:
            m[n] = b1 * m[n] + (1 - b1) * g[n]
            s[n] = b2 * s[n] + (1 - b2) * g[n] ** 2
            ref[n] = ref[n] - lr * (m[n] / (1 - b1**k)) / (np.sqrt(s[n] / (1 - b2**k)) + eps)
    assert st.k == 7
    assert all(np.allclose(p[n], ref[n], rtol=1e-12, atol=1e-14) for n in ref)


@pytest.mark.parametrize("name,lr", [("sgd", 0.1), ("momentum", 0.02), ("adam", 0.05)])
def test_minimises_a_quadratic(name, lr):
    A = np.diag([1.0, 3.0, 10.0])
    p, st = {"x": np.array([1.0, -2.0, 0.5])}, None
    for _ in range(500):
        p, st = optim.step(name, p, {"x": A @ p["x"]}, st, lr=lr)
    assert np.linalg.norm(p["x"]) < 1e-3


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
def test_per_model_hyperparameters_match_separate_runs(name):
    rng = np.random.default_rng(3)
    M = 3
    params = {"W": rng.standard_normal((M, 2, 5)), "b": rng.standard_normal((M, 5))}
    lrs = np.array([0.1, 0.01, 0.001])
    st, p = None, params
    seq = [{k: rng.standard_normal(v.shape) for k, v in params.items()} for _ in range(4)]
    for g in seq:
        p, st = optim.step(name, p, g, st, lr=lrs)
    for i in range(M):
        pi, si = {k: v[i] for k, v in params.items()}, None
        for g in seq:
            pi, si = optim.step(name, pi, {k: v[i] for k, v in g.items()}, si, lr=lrs[i])
        assert all(np.array_equal(pi[k], p[k][i]) for k in pi)


def test_torch_adam_agrees():
    torch = pytest.importorskip("torch")
    params, _ = _problem(4)
    tp = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    opt = torch.optim.Adam(tp.values(), lr=0.01)
    rng = np.random.default_rng(5)
    p, st = params, None
    for _ in range(6):
        g = {k: rng.standard_normal(v.shape) for k, v in params.items()}
        p, st = optim.adam(p, g, st, lr=0.01)
        for k, t in tp.items():
            t.grad = torch.tensor(g[k])
        opt.step()
    assert all(np.allclose(p[k], tp[k].detach().numpy(), rtol=1e-10) for k in p)


def test_unknown_name():
    with pytest.raises(ValueError):
        optim.init_state("rmsprop", {})
    with pytest.raises(ValueError):
        optim.step("rmsprop", {}, {}, None)


@pytest.mark.parametrize("name", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("per_model", [False, True])
def test_float32_stays_float32(name, per_model):
    """A float32 run must stay float32: NumPy 2 does not demote np.float64 scalars, and Adam's
    bias correction once turned every float32 parameter into float64 after the first step
    (so 'float32' training silently ran at float64 speed)."""
    params, grads = _problem()
    params = {k: np.stack([v, v]).astype(np.float32) for k, v in params.items()}
    grads = {k: np.stack([v, -v]).astype(np.float32) for k, v in grads.items()}
    lr = np.array([0.1, 0.01], dtype=np.float32) if per_model else 0.1
    state = optim.init_state(name, params)
    for _ in range(3):
        params, state = optim.step(name, params, grads, state, lr=lr)
    assert {k: v.dtype for k, v in params.items()} == {k: np.dtype(np.float32) for k in params}
    if name != "sgd":
        moments = state.v if name == "momentum" else {**state.m, **{k + "_s": v for k, v in state.s.items()}}
        assert all(v.dtype == np.float32 for v in moments.values())
