"""Hessian-free: R-operator, Gauss-Newton products against finite differences, CG, damping."""

import numpy as np
import pytest

from gradcore import hf, models, train
from gradcore.tasks import make_task


def _problem(task_name="adding", T=10, H=5, N=4, seed=0):
    rng = np.random.default_rng(seed)
    task = make_task(task_name, T)
    p = {
        "Wx": 0.5 * rng.standard_normal((1, task.D, H)),
        "Wh": 0.5 * rng.standard_normal((1, H, H)),
        "b": 0.1 * rng.standard_normal((1, H)),
        "Wy": 0.5 * rng.standard_normal((1, H, task.V)),
        "by": 0.1 * rng.standard_normal((1, task.V)),
    }
    batch = train.stack_batches([task.sample(rng, N)], np.float64)
    return task, models.Spec("rnn"), p, batch, rng


def _rel(a: dict, b: dict) -> float:
    num = np.sqrt(sum(np.sum((a[k] - b[k]) ** 2) for k in a))
    return num / np.sqrt(sum(np.sum(b[k] ** 2) for k in a))


@pytest.mark.parametrize("task_name", ["adding", "temporal_order"])
def test_jvp_matches_finite_differences_of_outputs(task_name):
    task, spec, p, batch, rng = _problem(task_name)
    lin = hf.linearise(spec, p, batch, task.kind)
    v = {k: rng.standard_normal(a.shape) for k, a in p.items()}
    _, Rout = hf.jvp(lin, v)

    def outs(q):
        return train.value_and_grad(spec, q, *batch, task.kind)[2].out

    eps = 1e-6
    fd = (outs(hf.axpy(eps, v, p)) - outs(hf.axpy(-eps, v, p))) / (2 * eps)
    assert np.linalg.norm(fd - Rout) / np.linalg.norm(fd) < 1e-6


def test_gn_product_equals_finite_difference_hessian_at_zero_residual():
    """With targets equal to the outputs the Hessian of the loss is exactly G = J^T H_L J, so
    centred differences of the gradient along v must give G v."""
    task, spec, p, batch, rng = _problem("adding")
    lin = hf.linearise(spec, p, batch, task.kind)
    _, _, aux = train.value_and_grad(spec, p, *batch, task.kind)
    y0 = batch[1].copy()
    y0[:, :, lin.steps] = np.swapaxes(aux.out, 1, 2)
    batch0 = (batch[0], y0, batch[2], batch[3])
    lin0 = hf.linearise(spec, p, batch0, task.kind)
    assert lin0.loss == pytest.approx(0.0, abs=1e-25)
    v = {k: rng.standard_normal(a.shape) for k, a in p.items()}
    Gv = hf.gn_vector_product(lin0, v)

    def grad(q):
        return train.value_and_grad(spec, q, *batch0, task.kind)[1]

    eps = 1e-5
    gp, gm = grad(hf.axpy(eps, v, p)), grad(hf.axpy(-eps, v, p))
    fd = {k: (gp[k] - gm[k]) / (2 * eps) for k in p}
    assert _rel(Gv, fd) < 1e-6


@pytest.mark.parametrize("task_name", ["adding", "temporal_order"])
def test_gn_is_symmetric_psd_and_structural_term_is_Jh_T_Jh(task_name):
    task, spec, p, batch, rng = _problem(task_name)
    lin = hf.linearise(spec, p, batch, task.kind)
    u = {k: rng.standard_normal(a.shape) for k, a in p.items()}
    v = {k: rng.standard_normal(a.shape) for k, a in p.items()}
    uGv, vGu = hf.dot(u, hf.gn_vector_product(lin, v)), hf.dot(v, hf.gn_vector_product(lin, u))
    assert uGv == pytest.approx(vGu, rel=1e-10) and hf.dot(v, hf.gn_vector_product(lin, v)) > 0
    # S v = J_h^T J_h v / (N T): u^T S v = <J_h u, J_h v> / (N T)
    Sv = {
        k: a - b
        for k, a, b in zip(
            p,
            hf.gn_vector_product(lin, v, struct=1.0).values(),
            hf.gn_vector_product(lin, v).values(),
            strict=True,
        )
    }
    Rh_u, _ = hf.jvp(lin, u)
    Rh_v, _ = hf.jvp(lin, v)
    _, T, N, _ = Rh_u.shape
    assert hf.dot(u, Sv) == pytest.approx(np.vdot(Rh_u, Rh_v) / (N * T), rel=1e-10)


def test_cg_solves_the_damped_system():
    task, spec, p, batch, rng = _problem("adding", H=3, T=10)
    lin = hf.linearise(spec, p, batch, task.kind)
    keys = list(p)
    sizes = [p[k].size for k in keys]
    n = sum(sizes)

    def unflat(z):
        out, i = {}, 0
        for k, s in zip(keys, sizes, strict=True):
            out[k] = z[i : i + s].reshape(p[k].shape)
            i += s
        return out

    def flat(d):
        return np.concatenate([d[k].ravel() for k in keys])

    lam = 0.1
    G = np.stack([flat(hf.gn_vector_product(lin, unflat(e))) for e in np.eye(n)], axis=1)
    assert np.allclose(G, G.T, atol=1e-12)
    b = -flat(lin.grads)
    exact = np.linalg.solve(G + lam * np.eye(n), b)
    x, qs = hf.cg(
        lambda v: hf.axpy(lam, v, hf.gn_vector_product(lin, v)),
        unflat(b),
        {k: np.zeros_like(a) for k, a in p.items()},
        max_iters=4 * n,
        tol=0.0,
    )
    assert np.linalg.norm(flat(x) - exact) / np.linalg.norm(exact) < 1e-6
    assert all(q1 <= q0 + 1e-15 for q0, q1 in zip(qs, qs[1:], strict=False))  # CG decreases q monotonically


def test_hf_training_lowers_the_loss_and_adapts_damping():
    cfg = hf.HFConfig(T=15, H=8, batch=200, steps=8, cg_iters=30)
    r = hf.hf_train(cfg)
    h = r.history
    assert h["loss"][-1] < 0.85 * h["loss"][0]
    for rho, lam0, lam1 in zip(h["rho"][1:], h["lambda"][:-1], h["lambda"][1:], strict=True):
        if rho > 0.75:
            assert lam1 == pytest.approx(lam0 * 2 / 3)
        elif rho < 0.25:
            assert lam1 == pytest.approx(lam0 * 1.5)
    rs = hf.hf_train(hf.HFConfig(T=15, H=8, batch=200, steps=3, cg_iters=30, struct=3.0))
    assert rs.history["loss"][-1] != h["loss"][2]  # structural damping changes the steps
    assert all(np.isfinite(rs.history["loss"]))
