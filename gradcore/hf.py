"""Hessian-free optimisation (Martens 2010; Martens & Sutskever 2011) for small vanilla RNNs.

Each outer step minimises the damped quadratic model of the loss E around theta

    q(d) = E(theta) + g^T d + 1/2 d^T (G + lambda I + lambda mu S) d

by conjugate gradient, using only curvature-vector products:

    G v = J^T H_L J v        Gauss-Newton: J = d out / d theta, H_L = d^2 loss / d out^2
    S v = J_h^T J_h v        structural damping: J_h = d h / d theta (penalises changes of
                             the hidden states, M & S 2011 sec. 3; seed 001's "structural dumping")

J v comes from a forward pass of the R-operator (Pearlmutter 1994), J^T u from ordinary BPTT
(gradcore.models.backward), so G v costs about one forward and one backward pass.
lambda follows the Levenberg-Marquardt rule on the reduction ratio rho = (E(theta + d) - E(theta)) / (q(d) - q(0)):
rho > 3/4 -> lambda *= 2/3, rho < 1/4 -> lambda *= 3/2; a step that raises E is rejected.

Losses as gradcore.train: masked mean of ||out - y||^2 (H_L = 2 w I) or softmax cross-entropy
(H_L = w (diag p - p p^T)), w = 1 / (number of scored steps). Parameters carry the model axis
M = 1 of gradcore.models.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from gradcore import models, train
from gradcore.models import dfa
from gradcore.tasks import Task, make_task

__all__ = [
    "Linearisation",
    "linearise",
    "jvp",
    "gn_vector_product",
    "cg",
    "HFConfig",
    "HFResult",
    "HFState",
    "HISTORY",
    "hf_start",
    "hf_step",
    "hf_test_error",
    "hf_train",
    "dot",
    "axpy",
]

KEYS = ("Wx", "Wh", "b", "Wy", "by")


def dot(u: dict, v: dict) -> float:
    return float(sum(np.vdot(u[k], v[k]) for k in u))


def axpy(a: float, x: dict, y: dict) -> dict:
    """a x + y, new dict."""
    return {k: a * x[k] + y[k] for k in y}


class Linearisation(NamedTuple):
    """The network at theta, everything G v and S v need."""

    spec: models.Spec
    params: dict
    cache: models.Cache
    x: np.ndarray  # (1, N, T, D)
    steps: np.ndarray  # (S,) scored steps
    w: np.ndarray  # (1, S, N) loss weights (mask / count)
    probs: np.ndarray | None  # (1, S, N, V) softmax outputs (classification)
    kind: str
    loss: float
    grads: dict


def linearise(spec: models.Spec, params: dict, batch, kind: str) -> Linearisation:
    """Forward, loss and gradient at params for a (1, N, T, .) batch tuple (x, y, loss_mask, step_mask)."""
    if spec.cell != "rnn":
        raise ValueError("Hessian-free is implemented for the vanilla rnn cell")
    x, y, lm, sm = batch
    loss, grads, aux = train.value_and_grad(spec, params, x, y, lm, sm, kind)
    _, cache = models.forward(spec, params["Wx"], params["Wh"], params["b"], x, sm)
    steps = aux.steps
    w = np.swapaxes(lm, 1, 2)[:, steps].astype(float)
    w = w / max(w.sum(), 1.0)
    probs = None
    if kind == "classification":
        z = aux.out - aux.out.max(axis=-1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
    return Linearisation(spec, params, cache, x, steps, w, probs, kind, float(loss[0]), grads)


def jvp(lin: Linearisation, v: dict) -> tuple[np.ndarray, np.ndarray]:
    """R-operator forward pass: (R{h} (1, T, N, H), R{out} (1, S, N, V)) = (J_h v, J v).

    R{a_t} = x_t vWx + R{h_{t-1}} Wh + h_{t-1} vWh + vb,  R{h_t} = f'(a_t) R{a_t},
    R{out_t} = R{h_t} Wy + h_t vWy + vby.
    """
    c, p = lin.cache, lin.params
    fp = dfa(lin.spec.activation, c.a, c.fa)  # (1, T, N, H)
    M, T, N, H = fp.shape
    D = c.x_tm.shape[-1]
    # the parts that do not depend on R{h}: one matmul over all steps
    drive = (
        np.matmul(c.x_tm.reshape(M, T * N, D), v["Wx"]) + np.matmul(c.h_prev.reshape(M, T * N, H), v["Wh"])
    ).reshape(M, T, N, H) + v["b"][:, None, None, :]
    Rh = np.empty_like(fp)
    prev = np.zeros((M, N, H))
    for t in range(T):
        Ra = drive[:, t] + np.matmul(prev, p["Wh"])
        hold = None if c.hold is None else c.hold[:, t]
        Rh[:, t] = fp[:, t] * Ra if hold is None else hold * fp[:, t] * Ra + (1 - hold) * prev
        prev = Rh[:, t]
    hS, RhS = c.h[:, lin.steps], Rh[:, lin.steps]
    Rout = np.matmul(RhS, p["Wy"][:, None]) + np.matmul(hS, v["Wy"][:, None]) + v["by"][:, None, None, :]
    return Rh, Rout


def _loss_hessian_times(lin: Linearisation, Rout: np.ndarray) -> np.ndarray:
    """H_L R{out}: 2 w R (squared error) or w (p * R - p <p, R>) (softmax cross-entropy)."""
    if lin.kind == "regression":
        return 2.0 * lin.w[..., None] * Rout
    p = lin.probs
    return lin.w[..., None] * (p * Rout - p * np.sum(p * Rout, axis=-1, keepdims=True))


def _jt(lin: Linearisation, dout: np.ndarray, dh_extra: np.ndarray | None = None) -> dict:
    """J^T u by BPTT: dout (1, S, N, V) at the scored outputs, plus dh_extra (1, T, N, H) on the states."""
    p, c = lin.params, lin.cache
    dh = np.zeros_like(c.h)
    dh[:, lin.steps] = np.matmul(dout, np.swapaxes(p["Wy"], 1, 2)[:, None])
    if dh_extra is not None:
        dh = dh + dh_extra
    g = models.backward(c, dh)
    M, S, N, V = dout.shape
    H = c.h.shape[-1]
    hS = c.h[:, lin.steps].reshape(M, S * N, H)
    return {
        "Wx": g.dWx,
        "Wh": g.dWh,
        "b": g.db,
        "Wy": np.matmul(hS.transpose(0, 2, 1), dout.reshape(M, S * N, V)),
        "by": dout.reshape(M, S * N, V).sum(axis=1),
    }


def gn_vector_product(lin: Linearisation, v: dict, struct: float = 0.0) -> dict:
    """G v + struct * S v, with G = J^T H_L J and S = J_h^T J_h / (N T) (hidden-state structural damping)."""
    Rh, Rout = jvp(lin, v)
    extra = None
    if struct:
        M, T, N, H = Rh.shape
        extra = (struct / (N * T)) * Rh
    return _jt(lin, _loss_hessian_times(lin, Rout), extra)


def cg(
    Av: Callable[[dict], dict], b: dict, x0: dict, max_iters: int = 50, tol: float = 5e-4
) -> tuple[dict, list]:
    """Conjugate gradient on q(x) = 1/2 x^T A x - b^T x, from x0.

    Stops after max_iters or on Martens' relative-progress rule (q improves by less than
    tol * k * |q| over the last k = max(10, i/10) iterations). Returns x and q per iteration.
    """
    x = {k: v.copy() for k, v in x0.items()}
    Ax = Av(x)
    r = {k: b[k] - Ax[k] for k in b}
    d = {k: v.copy() for k, v in r.items()}
    rr = dot(r, r)
    qs = []
    for _ in range(max_iters):
        Ad = Av(d)
        dAd = dot(d, Ad)
        if dAd <= 0:  # not positive definite along d (cannot happen with lambda > 0; guards rounding)
            break
        alpha = rr / dAd
        x = axpy(alpha, d, x)
        r = axpy(-alpha, Ad, r)
        rr_new = dot(r, r)
        # q(x) = -1/2 x^T (b + r)  (since A x = b - r)
        qs.append(-0.5 * dot(x, axpy(1.0, r, b)))
        k = max(10, len(qs) // 10)
        if len(qs) > k and qs[-1] < 0 and (qs[-1] - qs[-1 - k]) / qs[-1] < tol * k:
            break
        if rr_new == 0:
            break
        d = axpy(rr_new / rr, d, r)
        rr = rr_new
    return x, qs


@dataclass(frozen=True)
class HFConfig:
    """A small Hessian-free run (vanilla RNN)."""

    task: str = "adding"
    T: int = 30
    H: int = 16
    activation: str = "tanh"
    batch: int = 500  # one fixed training set (M & S use large batches for the curvature)
    steps: int = 30  # outer (HF) iterations
    cg_iters: int = 50
    damping: float = 1.0  # initial lambda
    struct: float = 0.0  # mu: structural damping weight (relative to lambda)
    init: str = "uniform"
    init_scale: float = 1.0
    seed: int = 0
    decay: float = 0.95  # CG warm start: d0 = decay * previous d (Martens 2010)


@dataclass
class HFResult:
    config: HFConfig
    params: dict  # no model axis
    history: dict  # HISTORY keys, one entry per outer step
    test_error: float


HISTORY = ("loss", "lambda", "rho", "cg_iters", "accepted", "grad_norm")


@dataclass
class HFState:
    """A Hessian-free run between two outer iterations (hf_start makes it, hf_step advances it)."""

    cfg: HFConfig
    task: Task
    spec: models.Spec
    params: dict  # model axis M = 1
    batch: tuple  # the fixed training set (x, y, loss_mask, step_mask), (1, N, T, .)
    lam: float  # lambda, the Levenberg-Marquardt damping
    d_prev: dict  # the last accepted step (CG's warm start), zeros after a rejected one
    eval_seed: np.random.SeedSequence
    it: int = 0
    history: dict = field(default_factory=lambda: {k: [] for k in HISTORY})


def hf_start(cfg: HFConfig) -> HFState:
    """Initial weights, the fixed training batch and lambda of a run (nothing trained yet)."""
    task = make_task(cfg.task, cfg.T)
    spec = models.Spec("rnn", cfg.activation)
    init_ss, data_ss, eval_ss = np.random.SeedSequence(cfg.seed).spawn(3)
    tc = train.TrainConfig(
        task=cfg.task,
        T=cfg.T,
        cell="rnn",
        activation=cfg.activation,
        H=cfg.H,
        init=cfg.init,
        init_scale=cfg.init_scale,
    )
    p0, _ = train.init_params(tc, task.D, task.V, np.random.default_rng(init_ss))
    params = {k: v[None] for k, v in p0.items()}
    b = task.sample(np.random.default_rng(data_ss), cfg.batch)
    batch = train.stack_batches([b], np.float64)
    d_prev = {k: np.zeros_like(v) for k, v in params.items()}
    return HFState(cfg, task, spec, params, batch, float(cfg.damping), d_prev, eval_ss)


def hf_step(s: HFState) -> dict:
    """One outer iteration: CG on the damped model, accept or reject, adapt lambda -> its history entry."""
    cfg = s.cfg
    lin = linearise(s.spec, s.params, s.batch, s.task.kind)
    g = lin.grads

    def Av(v, lin=lin, lam=s.lam):
        out = gn_vector_product(lin, v, struct=lam * cfg.struct)
        return axpy(lam, v, out)

    neg_g = {k: -v for k, v in g.items()}
    x0 = {k: cfg.decay * v for k, v in s.d_prev.items()}
    d, qs = cg(Av, neg_g, x0, cfg.cg_iters)
    q = qs[-1] if qs else 0.0  # q(d) - q(0) of the damped model
    trial = {k: s.params[k] + d[k] for k in s.params}
    new_loss = float(train.value_and_grad(s.spec, trial, *s.batch, s.task.kind)[0][0])
    rho = (new_loss - lin.loss) / q if q < 0 else -np.inf
    if rho > 0.75:
        s.lam *= 2.0 / 3.0
    elif rho < 0.25:
        s.lam *= 1.5
    accepted = new_loss < lin.loss
    if accepted:
        s.params = trial
        s.d_prev = d
    else:
        s.d_prev = {k: np.zeros_like(v) for k, v in s.params.items()}
    s.it += 1
    entry = {
        "loss": min(new_loss, lin.loss),
        "lambda": s.lam,
        "rho": float(rho),
        "cg_iters": len(qs),
        "accepted": bool(accepted),
        "grad_norm": float(np.sqrt(sum(np.sum(v * v) for v in g.values()))),
    }
    for k, v in entry.items():
        s.history[k].append(v)
    return entry


def hf_test_error(s: HFState) -> float:
    """Wrong fraction on 1000 fresh sequences (the same ones for every call on this run)."""
    ev = s.task.sample(np.random.default_rng(s.eval_seed), 1000)
    return float(train.evaluate(s.spec, s.params, None, s.task, [ev])[0])


def hf_train(cfg: HFConfig, callback: Callable[[int, dict], bool | None] | None = None) -> HFResult:
    """Hessian-free with Levenberg-Marquardt (and optional structural) damping on one fixed batch."""
    s = hf_start(cfg)
    while s.it < cfg.steps:
        entry = hf_step(s)
        if callback is not None and callback(s.it, entry) is False:
            break
    return HFResult(cfg, {k: v[0] for k, v in s.params.items()}, s.history, hf_test_error(s))
