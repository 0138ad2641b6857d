"""Training: loss and gradient of a task, remedies, and a stoppable, reproducible loop.

    E(theta) = sum_{n,t} mask_{n,t} L(out_{n,t}, y_{n,t}) / sum mask          (task loss)
               + l1 sum|Wh| + (l2/2) sum Wh^2 + omega * Omega                    (penalties)
    theta <- optimiser(theta, clip(dE/dtheta))                       (clip: seed 001 eq. 13)

out_t = h_t Wy + by; L is the squared error ||out - y||^2 (regression) or the softmax
cross-entropy (classification), scored only where the task's loss_mask is True.

Every run is a batched ensemble: ``train_ensemble(configs)`` trains M models of the same
shape (different seeds, learning rates, clipping thresholds, penalties, initialisers ...)
as one computation with a leading model axis; ``train(config)`` is the M = 1 case. Each
model draws its initial weights, its training data and its evaluation data from its own
seed, so model m of an ensemble follows the same trajectory as a separate run with that
seed (tests/gradcore/test_train.py checks it to 1e-10).

The callback receives a ``Progress`` every ``report_every`` steps and may return False to
stop. Runs are bit-for-bit reproducible from their seeds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np

from gradcore import generation, models, optim, regularisers
from gradcore import init as winit
from gradcore.tasks import Batch, Task, make_task

__all__ = [
    "TrainConfig",
    "Progress",
    "TrainResult",
    "Stepper",
    "train",
    "train_ensemble",
    "init_params",
    "value_and_grad",
    "head",
    "stack_batches",
    "clip",
    "make_task_for",
    "PER_MODEL",
    "evaluate",
    "outputs",
]


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Defaults: the known-good LSTM recipe on Hochreiter's adding problem."""

    task: str = "adding"  # gradcore.tasks.TASK_NAMES
    T: int = 50
    task_kw: tuple = ()  # extra task options as (key, value) pairs, e.g. (("noise", 0.1),)
    cell: str = "lstm"  # "rnn" | "leaky" | "lstm" | "gru"
    activation: str = "tanh"  # rnn / leaky only
    H: int = 32
    init: str = "uniform"  # "uniform" (U(-1/sqrt H, 1/sqrt H), PyTorch's default) or a gradcore.init kind
    init_scale: float = 1.0  # spectral radius (norm for "gaussian_norm") of each H x H block of Wh
    forget_bias: float = 1.0  # LSTM forget-gate bias (Gers et al. 2000; Jozefowicz et al. 2015)
    forget_gate: bool = (
        True  # LSTM: False is Hochreiter & Schmidhuber's 1997 cell (f_t = 1, forget_bias unused)
    )
    alpha: float | None = None  # leaky: None samples each unit's alpha from U(0.02, 0.2) (seed 001)
    optimiser: str = "adam"  # "sgd" | "momentum" | "adam"
    lr: float = 3e-3
    mu: float = 0.9  # momentum
    batch: int = 32
    steps: int = 4000  # at most this many updates
    clip: str | None = "norm"  # "norm" | "value" | None
    clip_threshold: float = 1.0
    tbptt: tuple | None = None  # (k1, k2): BPTT(k1, k2) of Williams & Peng; ("random", pi): keep each
    #   step's backward link with probability pi, scaled by 1/pi (unbiased, d2l sec. 9.7); None = full
    l1: float = 0.0  # L1 on Wh
    l2: float = 0.0  # L2 on Wh
    omega: float = 0.0  # weight of Pascanu's Omega (rnn / leaky)
    teacher_forcing: bool = True  # noisy_sine only: False trains the closed loop (gradcore.generation)
    prime: int = 10  # free running: steps read from the data before the model's outputs are fed back
    seed: int = 0
    dtype: str = "float64"
    stop_when_solved: bool = True
    report_every: int = 10  # callback period (steps)
    check_every: int = 50  # at most one official evaluation per this many steps


# "No clipping" inside an ensemble that clips by norm: threshold inf gives the scale exactly 1.0, the same
# numbers bit for bit as clip=None, so clipped and unclipped members share one computation.
NO_CLIP = math.inf


def norm_clipped(c: TrainConfig) -> TrainConfig:
    """c unchanged if it clips; else the same run as clipping by norm at NO_CLIP (it may join an ensemble)."""
    return replace(c, clip="norm", clip_threshold=NO_CLIP) if c.clip is None else c


# fields that may differ between the members of an ensemble (the rest fix the shape / loop)
PER_MODEL = (
    "seed",
    "lr",
    "mu",
    "clip_threshold",
    "l1",
    "l2",
    "omega",
    "init",
    "init_scale",
    "forget_bias",
    "alpha",
)


class Progress(NamedTuple):
    """What the callback sees; arrays have one entry per model (M,)."""

    step: int
    loss: np.ndarray  # (M,) task loss on this step's (fresh) batch, before the update
    accuracy: np.ndarray  # (M,) fraction of this batch the task criterion calls right
    grad_norm: np.ndarray  # (M,) ||dE/dtheta|| before clipping
    clipped_norm: np.ndarray  # (M,) after clipping
    spectral_radius: np.ndarray  # (M,) rho of Wh (rnn/leaky) or of its candidate block (lstm g, gru n)
    dh_norms: np.ndarray  # (M, T) ||dL/dh_k|| over the batch, k = 1..T (BPTT totals)
    penalty: np.ndarray  # (M,) l1/l2 + omega * Omega
    solved_step: np.ndarray  # (M,) first step whose official evaluation passed, -1 if none
    elapsed: float  # seconds since the start


@dataclass
class TrainResult:
    """One model's run: curves per step, reports, final weights, solve time."""

    config: TrainConfig
    steps: int
    solved_step: int  # -1 when not solved
    sequences_seen: int  # batch * steps until solved (or until the end)
    final_error: float  # wrong fraction at the last official evaluation (NaN if none ran)
    history: dict  # "loss", "accuracy", "grad_norm", "clipped_norm", "penalty": (steps,) arrays
    reports: dict  # "step" (R,), "spectral_radius" (R,), "dh_norms" (R, T)
    params: dict  # final weights, no model axis
    alpha: np.ndarray | None
    elapsed: float  # wall-clock seconds (not part of the reproducible record)
    stopped: bool  # the callback stopped the run
    diverged: bool = False  # a gradient overflowed (non-finite); updates were skipped
    evals: list = field(default_factory=list)  # [(step, error_rate)] official evaluations


def make_task_for(cfg: TrainConfig) -> Task:
    return make_task(cfg.task, cfg.T, **dict(cfg.task_kw))


# ---------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------
def init_params(cfg: TrainConfig, D: int, V: int, rng: np.random.Generator) -> tuple[dict, np.ndarray | None]:
    """Weights of one model (no model axis) and its leaky alphas.

    Wx, Wy ~ U(-1/sqrt H, 1/sqrt H); each H x H block of Wh from cfg.init (uniform or a
    gradcore.init kind at cfg.init_scale); biases 0 except the LSTM forget gate.
    """
    H, G = cfg.H, models.GATES[cfg.cell]
    k = 1.0 / np.sqrt(H)
    Wx = rng.uniform(-k, k, size=(D, G * H))
    if cfg.init == "uniform":
        Wh = rng.uniform(-k, k, size=(H, G * H))
    else:
        Wh = np.concatenate([winit.make_Wh(cfg.init, H, cfg.init_scale, rng) for _ in range(G)], axis=1)
    b = np.zeros(G * H)
    if cfg.cell == "lstm":
        b[H : 2 * H] = cfg.forget_bias
    Wy = rng.uniform(-k, k, size=(H, V))
    by = np.zeros(V)
    alpha = None
    if cfg.cell == "leaky":
        alpha = rng.uniform(0.02, 0.2, size=H) if cfg.alpha is None else np.full(H, float(cfg.alpha))
    return {"Wx": Wx, "Wh": Wh, "b": b, "Wy": Wy, "by": by}, alpha


# ---------------------------------------------------------------------------------------
# Loss and gradient
# ---------------------------------------------------------------------------------------
class Aux(NamedTuple):
    out: np.ndarray  # (M, S, N, V) outputs at the scored steps
    steps: np.ndarray  # (S,) the scored steps
    dh_total: np.ndarray  # (M, T, N, H)
    penalty: np.ndarray  # (M,)
    omega: np.ndarray | None  # (M,) Omega itself (before its weight)


def head(kind: str, hS, Wy, by, yS, maskS):
    """out = h Wy + by at the scored steps; per-model masked mean loss and its gradients.

    hS (M, S, N, H), yS (M, S, N, V) or (M, S, N), maskS (M, S, N)."""
    M, S, N, H = hS.shape
    hS2 = hS.reshape(M, S * N, H)
    out = (np.matmul(hS2, Wy) + by[:, None, :]).reshape(M, S, N, -1)  # (M, S, N, V)
    w = maskS.astype(hS.dtype)  # (M, S, N)
    count = np.maximum(w.sum(axis=(1, 2)), 1.0)  # (M,)
    w = w / count[:, None, None]
    if kind == "regression":
        err = out - yS
        loss = (w * np.sum(err * err, axis=-1)).sum(axis=(1, 2))
        dout = 2.0 * err * w[..., None]
    else:
        z = out - out.max(axis=-1, keepdims=True)
        ez = np.exp(z)
        se = ez.sum(axis=-1, keepdims=True)
        logp = np.take_along_axis(z, yS[..., None], -1)[..., 0] - np.log(se[..., 0])
        loss = -(w * logp).sum(axis=(1, 2))
        dout = ez / se
        np.put_along_axis(dout, yS[..., None], np.take_along_axis(dout, yS[..., None], -1) - 1.0, -1)
        dout = dout * w[..., None]
    V = out.shape[-1]
    dout2 = dout.reshape(M, S * N, V)
    dWy = np.matmul(hS2.transpose(0, 2, 1), dout2)
    dby = dout2.sum(axis=1)
    dhS = np.matmul(dout2, Wy.transpose(0, 2, 1)).reshape(M, S, N, H)
    return out, loss, dWy, dby, dhS


def _time_second(a):
    """(M, N, T, ...) -> (M, T, N, ...) (a view)."""
    return np.swapaxes(a, 1, 2)


def value_and_grad(
    spec: models.Spec,
    params: dict,
    x,
    y,
    loss_mask,
    step_mask,
    kind: str,
    alpha=None,
    tbptt=None,
    l1=0.0,
    l2=0.0,
    omega=0.0,
    xi=None,
) -> tuple[np.ndarray, dict, Aux]:
    """Task loss (M,) and the gradient of E = loss + penalties for M models at once.

    x (M, N, T, D); y (M, N, T, V) float or (M, N, T) int; masks (M, N, T) bool.
    l1, l2, omega: scalars or (M,) arrays. xi (M, T): randomised-truncation multipliers
    (gradcore.models.backward); Omega's g is then the truncated dE/dh.
    """
    Wx, Wh, b, Wy, by = params["Wx"], params["Wh"], params["b"], params["Wy"], params["by"]
    M = Wx.shape[0]
    hs, cache = models.forward(spec, Wx, Wh, b, x, step_mask, alpha)
    steps = np.flatnonzero(loss_mask.any(axis=(0, 1)))
    yS = _time_second(y)[:, steps]
    out, loss, dWy, dby, dhS = head(kind, hs[:, steps], Wy, by, yS, _time_second(loss_mask)[:, steps])
    dh = np.zeros_like(hs)
    dh[:, steps] = dhS
    g = models.backward(cache, dh, tbptt=tbptt, xi=xi)
    grads = {"Wx": g.dWx, "Wh": g.dWh, "b": g.db, "Wy": dWy, "by": dby}
    pen = np.zeros(M, dtype=Wh.dtype)
    if np.any(np.asarray(l1) != 0) or np.any(np.asarray(l2) != 0):
        pv, pg = regularisers.penalty(Wh, l1, l2)
        pen = pen + pv
        grads["Wh"] = grads["Wh"] + pg
    om_value = None
    if np.any(np.asarray(omega) != 0):
        lam = np.broadcast_to(np.asarray(omega, dtype=Wh.dtype), (M,))
        om = regularisers.omega(cache, g.dh_total)
        # one more BPTT sweep carries dOmega/da_t (g_t held constant) to the weights
        lam_t = lam[:, None, None, None]
        sweep = models.backward(cache, np.zeros_like(hs), da_extra=lam_t * om.da)
        grads["Wx"] = grads["Wx"] + sweep.dWx
        grads["Wh"] = grads["Wh"] + sweep.dWh + lam[:, None, None] * om.dWh_direct
        grads["b"] = grads["b"] + sweep.db
        pen = pen + lam * om.value
        om_value = om.value
    return loss, grads, Aux(out, steps, g.dh_total, pen, om_value)


# ---------------------------------------------------------------------------------------
# Clipping, per model
# ---------------------------------------------------------------------------------------
def _norms(grads: dict) -> np.ndarray:
    """(M,) global norm of each model's gradient, sqrt(sum over every array of g^2)."""
    total = None
    for gr in grads.values():
        s = np.sum(gr * gr, axis=tuple(range(1, gr.ndim)))
        total = s if total is None else total + s
    return np.sqrt(total)


def clip(grads: dict, mode: str | None, threshold) -> tuple[dict, np.ndarray, np.ndarray]:
    """Per-model clipping -> (clipped grads, norm before (M,), norm after (M,)).

    "norm": g <- threshold / ||g|| g when ||g|| >= threshold (seed 001 eq. 13);
    "value": g_i <- clip(g_i, -threshold, threshold); None: unchanged.
    threshold: scalar or (M,).
    """
    before = _norms(grads)
    M = before.shape[0]
    thr = np.broadcast_to(np.asarray(threshold, dtype=before.dtype), (M,))
    if mode is None:
        return dict(grads), before, before
    if mode == "norm":
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(np.isfinite(before) & (before >= thr), thr / before, 1.0)
        new = {k: v * scale.reshape((M,) + (1,) * (v.ndim - 1)) for k, v in grads.items()}
    elif mode == "value":
        new = {
            k: np.clip(v, -thr.reshape((M,) + (1,) * (v.ndim - 1)), thr.reshape((M,) + (1,) * (v.ndim - 1)))
            for k, v in grads.items()
        }
    else:
        raise ValueError(f"unknown clipping mode {mode!r}; expected 'norm', 'value' or None")
    return new, before, _norms(new)


# ---------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------
def stack_batches(batches: list[Batch], dtype):
    """One batch per model -> (x, y, loss_mask, step_mask) with the model axis first, as value_and_grad takes them."""
    x = np.stack([b.x for b in batches]).astype(dtype, copy=False)
    if batches[0].kind == "regression":
        y = np.stack([b.y for b in batches]).astype(dtype, copy=False)
    else:
        y = np.stack([b.y for b in batches])
    return x, y, np.stack([b.loss_mask for b in batches]), np.stack([b.step_mask for b in batches])


def _full_out(out_S, steps, T):
    """Scatter (M, S, N, V) outputs into (M, N, T, V) zeros so task criteria can index steps."""
    M, S, N, V = out_S.shape
    full = np.zeros((M, N, T, V), dtype=out_S.dtype)
    full[:, :, steps] = out_S.transpose(0, 2, 1, 3)
    return full


EVAL_CHUNK = 2048  # sequences per forward pass in evaluate (memory bound; results unchanged)


def evaluate(
    spec: models.Spec, params: dict, alpha, task: Task, batches: list[Batch], free_prime: int | None = None
) -> np.ndarray:
    """(M,) wrong fraction of each model on its own batch (forward only; closed loop when
    free_prime is given)."""
    full = outputs(spec, params, alpha, batches, free_prime)
    return np.array([task.error_rate(full[m], batches[m]) for m in range(len(batches))])


def outputs(
    spec: models.Spec, params: dict, alpha, batches: list[Batch], free_prime: int | None = None
) -> np.ndarray:
    """(M, N, T, V) outputs of each model on its own batch (forward only; zeros at unscored steps;
    closed loop when free_prime is given)."""
    dtype = params["Wh"].dtype
    x, y, lm, sm = stack_batches(batches, dtype)
    if free_prime is not None:
        return generation.free_run(spec, params, x, free_prime, alpha)
    steps = np.flatnonzero(lm.any(axis=(0, 1)))
    outs = []
    # NB: in chunks of sequences: a forward pass holds every step's input projection, (T, M, N, 4H)
    # for the LSTM; at the official 10,000 sequences that was hundreds of MB per training session
    # at once. Sequences are independent, so only the memory changes (one chunk up to EVAL_CHUNK).
    for i in range(0, x.shape[1], EVAL_CHUNK):
        hs, _ = models.forward(
            spec,
            params["Wx"],
            params["Wh"],
            params["b"],
            x[:, i : i + EVAL_CHUNK],
            sm[:, i : i + EVAL_CHUNK],
            alpha,
            store=False,
        )
        outs.append(np.matmul(hs[:, steps], params["Wy"][:, None]) + params["by"][:, None, None, :])
    out = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=2)
    return _full_out(out, steps, x.shape[2])


# ---------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------
def _check_ensemble(configs: list[TrainConfig]):
    if not configs:
        raise ValueError("need at least one config")
    c0 = configs[0]
    for c in configs[1:]:
        for f in fields(TrainConfig):
            if f.name not in PER_MODEL and getattr(c, f.name) != getattr(c0, f.name):
                raise ValueError(
                    f"ensemble members must share {f.name!r} ({getattr(c0, f.name)!r} vs "
                    f"{getattr(c, f.name)!r}); only {PER_MODEL} may differ"
                )


class Stepper:
    """The training state of M models, advanced one update at a time (``step()``).

    ``train_ensemble`` drives it; a page can drive it too, a few steps per rerun.
    """

    def __init__(self, configs: list[TrainConfig]):
        _check_ensemble(configs)
        c0 = configs[0]
        self.free = c0.task == "noisy_sine" and not c0.teacher_forcing
        self.random_pi = None
        self.tbptt = c0.tbptt
        if c0.tbptt is not None and c0.tbptt[0] == "random":
            self.random_pi, self.tbptt = float(c0.tbptt[1]), None
            if not 0.0 < self.random_pi <= 1.0:
                raise ValueError(f"randomised truncation needs a probability in (0, 1], got {self.random_pi}")
        if self.free and (
            c0.cell not in ("rnn", "leaky") or c0.tbptt is not None or any(c.omega != 0 for c in configs)
        ):
            raise ValueError("free-running training supports rnn / leaky cells, full BPTT and no Omega")
        self.configs = list(configs)
        self.c0 = c0
        self.M = M = len(configs)
        self.task = make_task_for(c0)
        self.spec = models.Spec(c0.cell, c0.activation, c0.forget_gate)
        self.dtype = np.dtype(c0.dtype)
        ps, alphas = [], []
        self.data_rng, self.eval_rng, self.trunc_rng = [], [], []
        for c in configs:
            # children 0-2 are the same whether or not the 4th (truncation draws) is used
            init_ss, data_ss, eval_ss, trunc_ss = np.random.SeedSequence(c.seed).spawn(4)
            p, al = init_params(c, self.task.D, self.task.V, np.random.default_rng(init_ss))
            ps.append(p)
            alphas.append(al)
            self.data_rng.append(np.random.default_rng(data_ss))
            self.eval_rng.append(np.random.default_rng(eval_ss))
            self.trunc_rng.append(np.random.default_rng(trunc_ss))
        self.params = {k: np.stack([p[k] for p in ps]).astype(self.dtype) for k in ps[0]}
        self.alpha = None if alphas[0] is None else np.stack(alphas).astype(self.dtype)
        self.hyper = {
            k: np.array([getattr(c, k) for c in configs], dtype=self.dtype)
            for k in ("lr", "mu", "clip_threshold", "l1", "l2", "omega")
        }
        self.opt_state = optim.init_state(c0.optimiser, self.params)
        self.k = 0
        self.solved_step = np.full(M, -1)
        self.diverged = np.zeros(M, dtype=bool)
        self.window = []  # recent per-batch wrong counts, for the cheap pre-check
        self.last_check = np.full(M, -(10**9))  # step of each model's last official evaluation
        self.evals = [[] for _ in range(M)]
        self.last = None

    def _opt_hyper(self):
        h = {"lr": self.hyper["lr"]}
        if self.c0.optimiser == "momentum":
            h["mu"] = self.hyper["mu"]
        return h

    def step(self) -> dict:
        """One update of every model; returns this step's per-model numbers."""
        c0, M = self.c0, self.M
        batches = [self.task.sample(self.data_rng[m], c0.batch) for m in range(M)]
        x, y, lm, sm = stack_batches(batches, self.dtype)
        if self.free:
            loss, grads, yfree, dh_total = generation.value_and_grad_free(
                self.spec, self.params, x, y, lm, c0.prime, self.alpha
            )
            pen = np.zeros(M, dtype=self.dtype)
            if np.any(self.hyper["l1"] != 0) or np.any(self.hyper["l2"] != 0):
                pen, pg = regularisers.penalty(self.params["Wh"], self.hyper["l1"], self.hyper["l2"])
                grads["Wh"] = grads["Wh"] + pg
            aux = Aux(yfree, np.arange(x.shape[2]), dh_total, pen, None)
        else:
            xi = None
            if self.random_pi is not None:
                pi = self.random_pi
                xi = np.stack([np.where(r.random(x.shape[2]) < pi, 1.0 / pi, 0.0) for r in self.trunc_rng])
            loss, grads, aux = value_and_grad(
                self.spec,
                self.params,
                x,
                y,
                lm,
                sm,
                self.task.kind,
                self.alpha,
                self.tbptt,
                self.hyper["l1"],
                self.hyper["l2"],
                self.hyper["omega"],
                xi,
            )
        full = _full_out(aux.out, aux.steps, x.shape[2])
        right = np.array([np.mean(self.task.correct(full[m], batches[m])) for m in range(M)])
        clipped, before, after = clip(grads, c0.clip, self.hyper["clip_threshold"])
        finite = np.isfinite(before)
        self.diverged |= ~finite
        if not finite.all():  # an overflowed model keeps its weights; the others move on
            clipped = {
                k: np.where(finite.reshape((M,) + (1,) * (v.ndim - 1)), v, 0.0) for k, v in clipped.items()
            }
        new_params, self.opt_state = optim.step(
            c0.optimiser, self.params, clipped, self.opt_state, **self._opt_hyper()
        )
        if not finite.all():
            new_params = {
                k: np.where(finite.reshape((M,) + (1,) * (v.ndim - 1)), v, self.params[k])
                for k, v in new_params.items()
            }
        self.params = new_params
        self.k += 1
        self.window.append(1.0 - right)
        self.window = self.window[-max(1, self.task.eval_size // c0.batch) :]
        self.last = {
            "loss": loss,
            "accuracy": right,
            "grad_norm": before,
            "clipped_norm": after,
            "penalty": aux.penalty,
            "dh_total": aux.dh_total,
        }
        self._maybe_check()
        return self.last

    def _maybe_check(self):
        """The official criterion, per model: run for each unsolved model whose recent training batches
        (fresh sequences, scored before their update) suggest it may pass, at most once per check_every
        steps for that model. Each model is evaluated alone on its own evaluation stream, so every run of
        an ensemble gets its own solved step (an ensemble-wide check gave all seeds the same step). On a
        task of fixed length a run's solved step is also the one it gets trained alone; on the adding problem,
        whose lengths vary from batch to batch, an ensemble pads each batch to its longest member's length,
        which is the same mathematics in another float rounding (seed 0 of the Hochreiter T = 100 record:
        solved at update 3622 in its ensemble of five, at 3366 alone)."""
        recent = np.mean(self.window, axis=0)
        ready = np.flatnonzero(
            (self.solved_step < 0)
            & (recent < self.task.max_wrong)
            & (self.k - self.last_check >= self.c0.check_every)
        )
        if ready.size == 0:
            return
        self.last_check[ready] = self.k
        batches = [self.task.sample(self.eval_rng[m], self.task.eval_size) for m in ready]
        params = {k: v[ready] for k, v in self.params.items()}
        alpha = None if self.alpha is None else self.alpha[ready]
        err = evaluate(self.spec, params, alpha, self.task, batches, self.c0.prime if self.free else None)
        for m, e in zip(ready, err, strict=True):
            self.evals[m].append((self.k, float(e)))
            if e < self.task.max_wrong:
                self.solved_step[m] = self.k

    def spectral_radius(self) -> np.ndarray:
        block = models.recurrent_block(self.c0.cell, self.params["Wh"])
        with np.errstate(all="ignore"):
            return np.abs(np.linalg.eigvals(block)).max(axis=-1)

    def spectral_norm(self) -> np.ndarray:
        """(M,) ||block||_2, the largest singular value of the same block as spectral_radius: with
        ||W_hh||_2 < 1/gamma_h gradients cannot explode (seed 001's eq. 12), while rho < 1 is not enough
        for a non-normal W_hh."""
        block = models.recurrent_block(self.c0.cell, self.params["Wh"])
        with np.errstate(all="ignore"):
            return np.linalg.svd(block.astype(np.float64), compute_uv=False)[..., 0]

    def progress(self, t0: float) -> Progress:
        last = self.last
        dh = last["dh_total"]
        dh_norms = np.sqrt(np.sum(dh * dh, axis=(2, 3)))  # (M, T)
        return Progress(
            self.k,
            last["loss"],
            last["accuracy"],
            last["grad_norm"],
            last["clipped_norm"],
            self.spectral_radius(),
            dh_norms,
            last["penalty"],
            self.solved_step.copy(),
            time.perf_counter() - t0,
        )


def train_ensemble(
    configs: list[TrainConfig], callback: Callable[[Progress], bool | None] | None = None
) -> list[TrainResult]:
    """Train M models of the same shape as one computation -> one TrainResult per model.

    Stops after cfg.steps updates, when every model has solved the task (if
    stop_when_solved), or when the callback returns False.
    """
    t0 = time.perf_counter()
    st = Stepper(configs)
    c0, M = st.c0, st.M
    keys = ("loss", "accuracy", "grad_norm", "clipped_norm", "penalty")
    hist = {k: [] for k in keys}
    rep = {"step": [], "spectral_radius": [], "dh_norms": []}
    stopped = False
    for _ in range(c0.steps):
        last = st.step()
        for k in keys:
            hist[k].append(last[k])
        if st.k % c0.report_every == 0 or st.k == c0.steps:
            p = st.progress(t0)
            rep["step"].append(st.k)
            rep["spectral_radius"].append(p.spectral_radius)
            rep["dh_norms"].append(p.dh_norms)
            if callback is not None and callback(p) is False:
                stopped = True
                break
        if c0.stop_when_solved and np.all(st.solved_step >= 0):
            break
    elapsed = time.perf_counter() - t0
    H = {k: np.array(v) for k, v in hist.items()}  # (steps, M)
    R = {
        "step": np.array(rep["step"], dtype=int),
        "spectral_radius": np.array(rep["spectral_radius"]).reshape(-1, M),
        "dh_norms": np.array(rep["dh_norms"]).reshape(len(rep["step"]), M, -1),
    }
    out = []
    for m in range(M):
        s = int(st.solved_step[m])
        errs = st.evals[m]
        out.append(
            TrainResult(
                config=configs[m],
                steps=st.k,
                solved_step=s,
                sequences_seen=c0.batch * (s if s >= 0 else st.k),
                final_error=errs[-1][1] if errs else float("nan"),
                history={k: v[:, m].copy() for k, v in H.items()},
                reports={
                    "step": R["step"],
                    "spectral_radius": R["spectral_radius"][:, m],
                    "dh_norms": R["dh_norms"][:, m],
                },
                params={k: v[m].copy() for k, v in st.params.items()},
                alpha=None if st.alpha is None else st.alpha[m].copy(),
                elapsed=elapsed,
                stopped=stopped,
                diverged=bool(st.diverged[m]),
                evals=list(errs),
            )
        )
    return out


def train(config: TrainConfig, callback: Callable[[Progress], bool | None] | None = None) -> TrainResult:
    """One run: train_ensemble([config])[0]."""
    return train_ensemble([config], callback)[0]


def ensemble_over(config: TrainConfig, **values) -> list[TrainConfig]:
    """Configs that vary PER_MODEL fields of `config`: ensemble_over(c, seed=[0, 1, 2]) or
    ensemble_over(c, lr=[1e-3, 3e-3], seed=[0, 0]) (lists of equal length)."""
    bad = set(values) - set(PER_MODEL)
    if bad:
        raise ValueError(f"only {PER_MODEL} may vary within an ensemble, not {sorted(bad)}")
    n = {len(v) for v in values.values()}
    if len(n) != 1:
        raise ValueError("every varied field needs the same number of values")
    return [replace(config, **{k: v[i] for k, v in values.items()}) for i in range(n.pop())]
