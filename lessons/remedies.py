"""Remedies lab: the page's computation layer (NumPy + gradcore only; no streamlit, no pandas).

A comparison is a list of ``RunSpec`` (a model, the remedies applied to it, a seed, and any
field overrides) plus shared ``Knobs`` (task, T, H, budget ...). ``Lab`` trains all of them
"at once": gradient-trained runs that share a shape go into one ``gradcore.train.Stepper``
(the engine's batched ensemble, one computation with a leading model axis); echo state
networks and Hessian-free runs are their own work items. ``Lab.advance(seconds)`` does a
time slice of work and returns, so the page can redraw between slices and a Stop click
keeps everything trained so far (every unit of work is one whole update).

    theta <- optimiser(theta, clip(dE/dtheta))        one Stepper.step(), every run of a group
    Wout  = (S^T S + ridge I)^{-1} S^T Y               ESN: the readout only, closed form
    d     = argmin q(d), (G + lambda I + lambda mu S)  one Hessian-free outer iteration

``Lab.record()`` is the JSON-able result (curves as window means, per-step gradient norms,
solve steps); it is bit-for-bit the same on every run of the same code, so the recorded
cards in results/remedies/ (lessons/record_remedies.py) are what a live run reproduces.
Wall-clock times live apart, in ``Lab.timing()``.
"""
from __future__ import annotations

import math
import time
from dataclasses import MISSING, asdict, dataclass, field, fields, replace

import numpy as np

from gradcore import esn, gru, hf, lstm, models, rnn, train
from gradcore import jacobians as jac
from gradcore.tasks import make_task

__all__ = ["Knobs", "RunSpec", "MODELS", "REMEDIES", "TASKS", "PAPERS", "CARDS", "SUCCESS_METHODS",
           "Card", "Lab", "custom_specs", "train_config", "why_not", "success_specs", "success_table",
           "state_map", "paper_figure", "scoreboard_rows", "card_lab", "success_lab"]

# ---------------------------------------------------------------------------------------
# What the reader can pick
# ---------------------------------------------------------------------------------------
TASKS = {  # page label -> gradcore task name
    "adding": "Adding problem (Hochreiter & Schmidhuber 1997)",
    "temporal_order": "Temporal order (Pascanu et al. 2013)",
    "copy": "Copy / memorisation (Arjovsky et al. 2016)",
    "noisy_sine": "Generation: noisy sine (teacher forcing)",
}
MODELS = {
    "rnn": "RNN",
    "leaky": "Leaky RNN",
    "lstm": "LSTM",
    "gru": "GRU",
    "esn": "ESN",
    "hf": "Hessian-free RNN",
}
REMEDIES = {
    "clip": "clipping",
    "tbptt": "truncated BPTT",
    "l1l2": "L1/L2 on W_hh",
    "omega": "Omega",
    "orthogonal": "orthogonal init",
    "identity": "identity init",
    "teacher_forcing": "teacher forcing",
    "struct": "structural damping",
}
GRADIENT_MODELS = ("rnn", "leaky", "lstm", "gru")


@dataclass(frozen=True)
class Knobs:
    """Settings shared by every run of a comparison (the page's controls)."""

    task: str = "temporal_order"
    T: int = 20
    H: int = 16
    activation: str = "tanh"  # rnn / leaky / hf
    optimiser: str = "adam"
    lr: float = 3e-3
    batch: int = 32
    steps: int = 300  # updates per gradient-trained run
    clip_mode: str = "norm"
    clip_threshold: float = 1.0
    k: int = 5  # truncation: BPTT(k, k)
    l1: float = 0.0
    l2: float = 1e-2
    omega: float = 1.0
    alpha: float | None = None  # leaky: None samples alpha_i ~ U(0.02, 0.2) (seed 001 eq. 14)
    hf_steps: int = 20  # Hessian-free outer iterations
    hf_batch: int = 200
    hf_cg: int = 30
    struct: float = 0.3  # structural damping mu (relative to lambda)
    esn_H: int = 200
    esn_rho: float = 0.9
    esn_train: int = 2000  # sequences the ESN readout is fitted on
    dtype: str = "float32"


@dataclass(frozen=True)
class RunSpec:
    """One run: model + remedies + seed; overrides are extra (field, value) pairs for the
    TrainConfig / HF / ESN settings (e.g. (("clip_threshold", 0.1),))."""

    label: str
    model: str
    remedies: tuple = ()
    seed: int = 0
    overrides: tuple = ()


def _label(model: str, remedies) -> str:
    rem = [REMEDIES[r] for r in remedies]
    return MODELS[model] + (" + " + " + ".join(rem) if rem else " (no remedy)")


def _applicable(model: str, remedy: str, task: str) -> bool:
    if remedy == "struct":
        return model == "hf"
    if remedy == "teacher_forcing":
        return task == "noisy_sine" and model in GRADIENT_MODELS
    if model == "esn":
        return False  # nothing is trained by gradient: no clipping, truncation or penalty to apply
    if model == "hf":
        return remedy in ("orthogonal", "identity")
    if remedy == "omega":
        return model in ("rnn", "leaky")
    return True


def custom_specs(models_: list, remedies: list, seeds: int, baseline: bool, task: str
                 ) -> tuple[list[RunSpec], list[str]]:
    """The page's comparison: each model with the remedies that apply to it (and, if
    baseline, without them), seeds 0..seeds-1 each -> (specs, notes on remedies skipped)."""
    specs, notes = [], []
    for m in models_:
        rem = tuple(r for r in remedies if _applicable(m, r, task))
        if "orthogonal" in rem and "identity" in rem:
            rem = tuple(r for r in rem if r != "identity")
            notes.append(f"{MODELS[m]}: orthogonal and identity init both picked; using orthogonal.")
        skipped = [REMEDIES[r] for r in remedies if r not in rem and not (r == "identity" and "orthogonal" in rem)]
        if skipped:
            notes.append(f"{MODELS[m]}: left out what does not apply to it here ({', '.join(skipped)}).")
        variants = [rem]
        if baseline and rem:
            variants.append(())
        # a generation run without "teacher forcing" trains free running; its baseline is teacher forced
        if baseline and task == "noisy_sine" and m in GRADIENT_MODELS and "teacher_forcing" not in rem:
            variants.append(("teacher_forcing",))
        for v in dict.fromkeys(variants):
            for s in range(seeds):
                lab = _label(m, v) + (f" · seed {s}" if seeds > 1 else "")
                specs.append(RunSpec(lab, m, v, s))
    return specs, notes


def train_config(spec: RunSpec, kn: Knobs) -> train.TrainConfig:
    """The engine's TrainConfig for a gradient-trained run."""
    if spec.model not in GRADIENT_MODELS:
        raise ValueError(f"{spec.model!r} is not trained by gradient descent")
    r = set(spec.remedies)
    c = train.TrainConfig(
        task=kn.task, T=kn.T, cell=spec.model, activation=kn.activation, H=kn.H, optimiser=kn.optimiser,
        lr=kn.lr, batch=kn.batch, steps=kn.steps, seed=spec.seed, dtype=kn.dtype, alpha=kn.alpha,
        clip=kn.clip_mode if "clip" in r else None, clip_threshold=kn.clip_threshold,
        tbptt=(kn.k, kn.k) if "tbptt" in r and kn.k < kn.T else None,
        l1=kn.l1 if "l1l2" in r else 0.0, l2=kn.l2 if "l1l2" in r else 0.0,
        omega=kn.omega if "omega" in r else 0.0,
        init="orthogonal" if "orthogonal" in r else "identity" if "identity" in r else "uniform",
        teacher_forcing=("teacher_forcing" in r) if kn.task == "noisy_sine" else True,
        report_every=max(1, min(20, kn.steps // 40)), check_every=50, stop_when_solved=True)
    return replace(c, **dict(spec.overrides))


def hf_config(spec: RunSpec, kn: Knobs) -> hf.HFConfig:
    r = set(spec.remedies)
    c = hf.HFConfig(task=kn.task, T=kn.T, H=kn.H, activation=kn.activation, batch=kn.hf_batch, steps=kn.hf_steps,
                    cg_iters=kn.hf_cg, struct=kn.struct if "struct" in r else 0.0, seed=spec.seed,
                    init="orthogonal" if "orthogonal" in r else "identity" if "identity" in r else "uniform")
    return replace(c, **dict(spec.overrides))


def _check_task(task: str, T: int) -> None:
    """Raise the task's own ValueError if it cannot make sequences of length T (it checks when sampling)."""
    make_task(task, T).sample(np.random.default_rng(0), 1)


def why_not(spec: RunSpec, kn: Knobs) -> str | None:
    """Why the engine cannot run this spec (None if it can)."""
    try:
        if spec.model in GRADIENT_MODELS:
            c = train_config(spec, kn)
            _check_task(c.task, c.T)
            if c.task == "noisy_sine" and not c.teacher_forcing and (c.cell not in ("rnn", "leaky") or c.tbptt
                                                                      or c.omega):
                return "free-running training (no teacher forcing) is implemented for RNN / leaky cells, " \
                       "full BPTT, no Omega"
        elif spec.model == "hf":
            if kn.task == "noisy_sine":
                return "Hessian-free is set up here for the long-range tasks, not generation"
            _check_task(kn.task, kn.T)
        elif spec.model == "esn":
            _check_task(kn.task, kn.T)
        else:
            return f"unknown model {spec.model!r}"
    except ValueError as e:
        return str(e)
    return None


# ---------------------------------------------------------------------------------------
# Work items
# ---------------------------------------------------------------------------------------
def _group_key(c: train.TrainConfig) -> tuple:
    return tuple(getattr(c, f.name) for f in fields(train.TrainConfig) if f.name not in train.PER_MODEL)


def _for_ensemble(c: train.TrainConfig) -> train.TrainConfig:
    # NB: "no clipping" = clipping by norm at threshold inf (scale exactly 1.0, so the same
    # numbers bit for bit); it lets a clipped and an unclipped run share one computation.
    return replace(c, clip="norm", clip_threshold=math.inf) if c.clip is None else c


@dataclass
class _Run:
    spec: RunSpec
    kind: str  # "grad" | "hf" | "esn" | "skip"
    config: object = None
    note: str = ""
    hist: dict = field(default_factory=lambda: {k: [] for k in ("loss", "accuracy", "grad_norm", "clipped_norm")})
    rep_step: list = field(default_factory=list)
    rep_rho: list = field(default_factory=list)
    dh_last: list = field(default_factory=list)
    steps: int = 0
    solved_step: int = -1
    sequences: int = 0
    final_error: float = float("nan")
    diverged: bool = False
    done: bool = False
    seconds: float = 0.0  # compute time of its work item (shared by an ensemble)
    extra: dict = field(default_factory=dict)
    params: dict | None = None


class _GradItem:
    """One Stepper: every gradient-trained run of one shape."""

    def __init__(self, runs: list[_Run]):
        self.runs = runs
        self.stepper = train.Stepper([_for_ensemble(r.config) for r in runs])
        self.c0 = self.stepper.c0
        self.done = False

    def unit(self):
        st, c0 = self.stepper, self.c0
        last = st.step()
        for m, r in enumerate(self.runs):
            for k in r.hist:
                r.hist[k].append(float(last[k][m]))
        if st.k % c0.report_every == 0 or st.k >= c0.steps:
            self._report()
        finished = st.k >= c0.steps or (c0.stop_when_solved and bool(np.all(st.solved_step >= 0)))
        if finished:
            if not self.runs[0].rep_step or self.runs[0].rep_step[-1] != st.k:
                self._report()
            self.finish()

    def _report(self):
        st = self.stepper
        rho = st.spectral_radius()
        dh = st.last["dh_total"]
        dh_norms = np.sqrt(np.sum(dh.astype(np.float64) ** 2, axis=(2, 3)))  # (M, T) ||dL/dh_k||
        for m, r in enumerate(self.runs):
            r.rep_step.append(st.k)
            r.rep_rho.append(float(rho[m]))
            r.dh_last = [float(v) for v in dh_norms[m]]

    def sync(self):
        st = self.stepper
        for m, r in enumerate(self.runs):
            r.steps = st.k
            r.solved_step = int(st.solved_step[m])
            r.sequences = self.c0.batch * (r.solved_step if r.solved_step >= 0 else st.k)
            r.final_error = st.evals[m][-1][1] if st.evals[m] else float("nan")
            r.diverged = bool(st.diverged[m])
            r.params = {k: v[m] for k, v in st.params.items()}
            r.extra["alpha"] = None if st.alpha is None else st.alpha[m]

    def finish(self):
        self.sync()
        if self.c0.task == "noisy_sine" and self.c0.cell in ("rnn", "leaky"):  # the engine runs these free
            for r in self.runs:
                r.extra.update(_free_run_error(r))
        for r in self.runs:
            r.done = True
        self.done = True


def _free_run_error(r: _Run) -> dict:
    """RMS error against the clean sine when the trained model runs free after a 10-step prime."""
    from gradcore import generation, tasks
    b = tasks.noisy_sine(np.random.default_rng(12345), 256, r.config.T, noise=0.05)
    p = {k: v[None].astype(np.float64) for k, v in r.params.items()}
    al = r.extra.get("alpha")
    al = None if al is None else np.asarray(al, dtype=np.float64)[None]
    with np.errstate(all="ignore"):
        y = generation.free_run(models.Spec(r.config.cell, r.config.activation), p, b.x[None], 10, al)[0]
        rms = float(np.sqrt(np.mean((y[:, 10:, 0] - b.info["clean_next"][:, 10:]) ** 2)))
    return {"free_run_rms": rms if np.isfinite(rms) else float("inf")}


class _HFItem:
    """Hessian-free, one outer iteration (gradcore.hf.hf_step) per unit."""

    def __init__(self, run: _Run):
        self.run = run
        self.cfg: hf.HFConfig = run.config
        self.state = hf.hf_start(self.cfg)
        self.done = False
        run.extra["lambda"] = []

    def unit(self):
        s, r = self.state, self.run
        step = hf.hf_step(s)
        r.hist["loss"].append(step["loss"])
        r.hist["accuracy"].append(float("nan"))
        r.hist["grad_norm"].append(step["grad_norm"])
        r.hist["clipped_norm"].append(step["grad_norm"])
        r.extra["lambda"].append(step["lambda"])
        r.rep_step.append(s.it)
        with np.errstate(all="ignore"):
            r.rep_rho.append(float(np.abs(np.linalg.eigvals(s.params["Wh"][0])).max()))
        r.steps = s.it
        r.sequences = self.cfg.batch  # HF reuses one fixed training set
        r.params = {k: v[0] for k, v in s.params.items()}
        if s.it >= self.cfg.steps:
            self.finish()

    def finish(self):
        s, r = self.state, self.run
        err = hf.hf_test_error(s)
        r.final_error = err
        r.solved_step = s.it if err < s.task.max_wrong else -1
        # per-step gradient norms of the fitted net on its training set
        _, _, aux = train.value_and_grad(s.spec, s.params, *s.batch, s.task.kind)
        r.dh_last = [float(v) for v in np.sqrt(np.sum(aux.dh_total ** 2, axis=(2, 3)))[0]]
        r.done = True
        self.done = True


class _ESNItem:
    """An echo state network: fixed reservoir, ridge readout on the scored steps. The work is
    cut into units of at most ESN_CHUNK sequences, so the page can redraw between them."""

    def __init__(self, run: _Run, kn: Knobs):
        self.run, self.kn = run, kn
        self.done = False
        self._gen = self._work()

    def unit(self):
        try:
            next(self._gen)
        except StopIteration:
            self.done = True

    def _states(self, res, x):
        """Reservoir states for x (N, T, D), ESN_CHUNK sequences per unit -> yields, then returns (N, T, H)."""
        out = []
        for i in range(0, x.shape[0], ESN_CHUNK):
            out.append(_esn_states(res, x[i:i + ESN_CHUNK]))
            yield
        return np.concatenate(out)

    def _work(self):
        r, kn = self.run, self.kn
        s = dict(r.spec.overrides)
        rho, H = float(s.get("esn_rho", kn.esn_rho)), int(s.get("esn_H", kn.esn_H))
        task = make_task(kn.task, kn.T)
        res_ss, data_ss, eval_ss = np.random.SeedSequence(r.spec.seed).spawn(3)
        res = esn.make_reservoir(H, task.D, rho, np.random.default_rng(res_ss), input_scale=0.5)
        fit_b = task.sample(np.random.default_rng(data_ss), kn.esn_train)
        ev_b = task.sample(np.random.default_rng(eval_ss), task.eval_size)
        yield
        S_fit = yield from self._states(res, fit_b.x)
        Wout = _esn_fit(S_fit, fit_b, task.V, ridge=1e-4)
        yield  # the ridge solve is the largest single piece: redraw after it
        S_ev = yield from self._states(res, ev_b.x)
        err = task.error_rate(_esn_out(S_ev, Wout), ev_b)
        yield
        fit_out = _esn_out(S_fit, Wout)
        r.hist["loss"].append(float(_task_loss(task.kind, fit_out, fit_b)))
        r.hist["accuracy"].append(float(np.mean(task.correct(fit_out, fit_b))))
        r.hist["grad_norm"].append(float("nan"))
        r.hist["clipped_norm"].append(float("nan"))
        r.rep_step.append(1)
        r.rep_rho.append(rho)
        r.steps, r.sequences, r.final_error = 1, kn.esn_train, float(err)
        r.solved_step = 1 if err < task.max_wrong else -1
        r.extra.update({"reservoir": H, "rho": rho})
        r.done = self.done = True


ESN_CHUNK = 250


def _esn_states(res, x):
    with np.errstate(all="ignore"):
        return esn.run(res, x)  # (N, T, H); left padding is zeros, the reservoir just idles there


def _esn_fit(states, b, V, ridge):
    """Wout = (S^T S + ridge I)^{-1} S^T Y on the scored steps (one-hot Y for classification)."""
    S = states[b.loss_mask]  # (rows, H)
    S = np.concatenate([S, np.ones((S.shape[0], 1))], axis=1)
    Y = b.y[b.loss_mask]
    if b.kind == "classification":
        Y = np.eye(V)[Y]
    A = S.T @ S + ridge * np.eye(S.shape[1])
    return np.linalg.solve(A, S.T @ Y)


def _esn_out(states, Wout):
    S = np.concatenate([states, np.ones(states.shape[:2] + (1,))], axis=2)
    return S @ Wout  # (N, T, V)


def _task_loss(kind, out, b):
    m = b.loss_mask
    if kind == "regression":
        return np.mean(np.sum((out[m] - b.y[m]) ** 2, axis=-1))
    z = out[m] - out[m].max(axis=-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.mean(np.take_along_axis(logp, b.y[m][:, None], -1))


# ---------------------------------------------------------------------------------------
# The lab
# ---------------------------------------------------------------------------------------
class Lab:
    """Every run of a comparison, trained a time slice at a time (``advance``)."""

    def __init__(self, specs: list[RunSpec], kn: Knobs, title: str = ""):
        self.kn, self.title = kn, title
        self.runs: list[_Run] = []
        for s in specs:
            reason = why_not(s, kn)
            if reason:
                self.runs.append(_Run(s, "skip", note=reason, done=True))
            elif s.model in GRADIENT_MODELS:
                self.runs.append(_Run(s, "grad", train_config(s, kn)))
            elif s.model == "hf":
                self.runs.append(_Run(s, "hf", hf_config(s, kn)))
            else:
                self.runs.append(_Run(s, "esn", None))
        groups: dict = {}
        for r in self.runs:
            if r.kind == "grad":
                groups.setdefault(_group_key(_for_ensemble(r.config)), []).append(r)
        self.items = [_GradItem(g) for g in groups.values()]
        self.items += [_HFItem(r) for r in self.runs if r.kind == "hf"]
        self.items += [_ESNItem(r, kn) for r in self.runs if r.kind == "esn"]
        self.stopped = False
        self._cursor = 0
        self.started = time.time()
        self.compute_seconds = 0.0

    @property
    def done(self) -> bool:
        return self.stopped or all(it.done for it in self.items)

    def total_units(self) -> int:
        n = 0
        for it in self.items:
            n += it.c0.steps if isinstance(it, _GradItem) else it.cfg.steps if isinstance(it, _HFItem) else 1
        return max(n, 1)

    def units_done(self) -> int:
        n = 0
        for it in self.items:
            if isinstance(it, _GradItem):
                n += it.c0.steps if it.done else it.stepper.k
            elif isinstance(it, _HFItem):
                n += it.cfg.steps if it.done else it.state.it
            else:
                n += 1 if it.done else 0
        return n

    def fraction(self) -> float:
        return 1.0 if self.done else min(self.units_done() / self.total_units(), 1.0)

    def advance(self, seconds: float) -> bool:
        """Work round-robin (one update of every unfinished item in turn) for about `seconds`;
        returns True when everything is done."""
        t0 = time.perf_counter()
        n = len(self.items)
        while not self.done:
            # NB: one unit at a time, resuming where the last slice stopped, so a slow item (a
            # Hessian-free iteration) cannot hold up the redraw for a whole round of every item
            it = self.items[self._cursor % n]
            self._cursor = (self._cursor + 1) % n
            if it.done:
                continue
            s0 = time.perf_counter()
            with np.errstate(all="ignore"):  # exploding runs overflow: that is a result, not a warning
                it.unit()
            dt = time.perf_counter() - s0
            for r in (it.runs if isinstance(it, _GradItem) else [it.run]):
                r.seconds += dt
            if time.perf_counter() - t0 >= seconds:
                break
        self.compute_seconds += time.perf_counter() - t0
        for it in self.items:
            if isinstance(it, _GradItem) and not it.done:
                it.sync()
        return self.done

    def run_to_end(self, slice_seconds: float = 1.0, callback=None) -> Lab:
        while not self.advance(slice_seconds):
            if callback is not None and callback(self) is False:
                self.stop()
        return self

    def stop(self):
        """Keep what was trained; nothing more will run."""
        for it in self.items:
            if isinstance(it, _GradItem) and not it.done and it.stepper.k > 0:
                if not it.runs[0].rep_step or it.runs[0].rep_step[-1] != it.stepper.k:
                    it._report()  # the gradient profile and radius of the weights we keep
                it.sync()
        self.stopped = True

    # -------------------------------------------------------------------------------
    def record(self, every: int | None = None) -> dict:
        """JSON-able result: settings, per-run curves (window means), per-step gradient norms."""
        out = {"title": self.title, "knobs": _jsonable(asdict(self.kn)), "stopped": self.stopped, "runs": []}
        for r in self.runs:
            n = len(r.hist["loss"])
            w = every or max(1, -(-n // 100))
            step = [w * (i + 1) for i in range(n // w)] if n >= w else []
            if r.kind in ("hf", "esn"):
                w, step = 1, list(range(1, n + 1))
            curves = {k: _window_means(v, w) for k, v in r.hist.items()}
            out["runs"].append(_jsonable({
                "label": r.spec.label, "model": r.spec.model, "remedies": list(r.spec.remedies), "seed": r.spec.seed,
                "kind": r.kind, "note": r.note, "config": _config_dict(r.config),
                "steps": r.steps, "solved_step": r.solved_step, "sequences_seen": r.sequences,
                "final_error": r.final_error, "diverged": r.diverged,
                "curves": {"step": step, **curves},
                "spectral_radius": {"step": list(r.rep_step), "value": list(r.rep_rho)},
                "dh_norms": list(r.dh_last),
                "extra": {k: v for k, v in r.extra.items() if k != "alpha"},
            }))
        return out

    def timing(self) -> dict:
        return {"compute_seconds": self.compute_seconds,
                "run_seconds": {r.spec.label: r.seconds for r in self.runs}}

    def run_by_label(self, label: str) -> _Run | None:
        return next((r for r in self.runs if r.spec.label == label), None)


_ALWAYS = ("task", "T", "cell", "H", "batch", "steps")


def _config_dict(c) -> dict | None:
    """The run's settings: the key fields plus every field that differs from its dataclass
    default (so a new engine option with a neutral default leaves the record unchanged)."""
    if c is None:
        return None
    out = {}
    for f in fields(c):
        v = getattr(c, f.name)
        if f.name in _ALWAYS or f.default is MISSING or v != f.default:
            out[f.name] = v
    return out


def _window_means(v: list, w: int) -> list:
    a = np.asarray(v, dtype=np.float64)
    n = len(a) // w
    if n == 0:
        return []
    with np.errstate(all="ignore"):
        return [float(x) for x in a[:n * w].reshape(n, w).mean(axis=1)]


def _jsonable(o):
    """Floats that JSON can hold: inf -> "inf", nan -> None; tuples -> lists; numpy -> Python."""
    if isinstance(o, dict):
        return {str(k): _jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_jsonable(v) for v in o]
    if isinstance(o, (np.floating, float)):
        f = float(o)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return _jsonable(o.tolist())
    return o


def num(v) -> float:
    """Inverse of _jsonable for one number: None -> nan, "inf" -> inf."""
    if v is None:
        return float("nan")
    return float(v)


# ---------------------------------------------------------------------------------------
# The T x T map: ||dh_t/dh_k|| for a trained run on one fresh sequence
# ---------------------------------------------------------------------------------------
def _step_jacobians(cell: str, activation: str, params: dict, alpha, x: np.ndarray) -> np.ndarray:
    """J_t = d s_t / d s_{t-1} (s = h, or (h, c) for the LSTM) for t = 1..T -> (T, S, S)."""
    p = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    x = np.asarray(x, dtype=np.float64)[None]  # (1, T, D)
    H = p["Wh"].shape[0]
    h0 = np.zeros((1, H))
    if cell == "lstm":
        _, cache = lstm.forward(x, h0, p["Wx"], p["Wh"], p["b"])
        return jac.lstm_step_jacobians(cache)
    if cell == "gru":
        _, cache = gru.forward(x, h0, p["Wx"], p["Wh"], p["b"])
        return jac.gru_step_jacobians(cache)
    if cell == "rnn":
        _, cache = rnn.forward(x, h0, p["Wx"], p["Wh"], p["b"], activation)
        return jac.rnn_step_jacobians(cache)
    # leaky (seed 001 eq. 14): J_t = diag(alpha) + diag((1 - alpha) f'(a_t)) Wh^T
    al = np.asarray(alpha, dtype=np.float64)
    spec = models.Spec("leaky", activation)
    _, cache = models.forward(spec, p["Wx"][None], p["Wh"][None], p["b"][None], x[None], None, al[None])
    fp = models.dfa(activation, cache.a[0, :, 0], cache.fa[0, :, 0]) * (1.0 - al)  # (T, H)
    return fp[:, :, None] * p["Wh"].T[None] + np.diag(al)[None]


def state_map(cell: str, activation: str, params: dict, alpha, task: str, T: int, tbptt=None, seed: int = 7
              ) -> dict:
    """log10 ||dh_t/dh_k||_2 for 1 <= k <= t <= T' on one fresh sequence of the task (T' its
    real length), and which (t, k) truncated BPTT drops: a loss at step t in the chunk ending
    at tau reaches back only to tau - k2 + 1 (gradcore.models.backward)."""
    tk = make_task(task, T)
    b = tk.sample(np.random.default_rng(seed), 1)
    real = b.step_mask[0]
    x = b.x[0, real]
    offset = int(np.argmax(real))  # left padding: real steps sit at the end
    J = _step_jacobians(cell, activation, params, alpha, x)
    Tr = J.shape[0]
    logn = np.full((Tr, Tr), np.nan)  # [t-1, k-1]
    with np.errstate(all="ignore"):
        for t in range(Tr):
            P = np.eye(J.shape[1])
            logscale = 0.0
            logn[t, t] = 0.0
            for k in range(t - 1, -1, -1):  # dh_t/dh_k = J_t ... J_{k+1}; J[t] is step t+1's
                P = P @ J[k + 1]
                s = np.linalg.norm(P)
                if not np.isfinite(s) or s == 0:
                    logn[t, :k + 1] = -np.inf if s == 0 else np.nan
                    break
                P = P / s
                logscale += np.log10(s)
                logn[t, k] = logscale + np.log10(np.linalg.norm(P, 2))
    dropped = np.zeros((Tr, Tr), dtype=bool)
    if tbptt is not None:
        # NB: models.tbptt_chunks is the engine's own truncation schedule, so the shading is what it does
        for end, stop, start in models.tbptt_chunks(b.x.shape[1], tbptt):  # the padded length the model sees
            for t0 in range(start, end + 1):
                tr = t0 - offset
                if 0 <= tr < Tr:
                    lo = stop - offset
                    dropped[tr, :max(lo, 0)] = True
    dropped &= np.tril(np.ones((Tr, Tr), dtype=bool))
    return {"log10_norm": logn, "dropped": dropped, "T": Tr, "T_padded": int(b.x.shape[1]),
            "state": "(h, c)" if cell == "lstm" else "h"}


# ---------------------------------------------------------------------------------------
# The papers' numbers (labelled as theirs, never mixed with ours)
# ---------------------------------------------------------------------------------------
PAPERS = [
    # (task, model, remedies that must be present, text)
    ("adding", "lstm", (), "Hochreiter & Schmidhuber 1997: LSTM solved the adding problem at T = 100 after "
                           "74,000 training sequences (T = 1000: 853,000)"),
    ("temporal_order", "lstm", (), "Hochreiter & Schmidhuber 1997, exp. 6a (T = 100-110): solved after 31,390 "
                                   "training sequences"),
    ("temporal_order", "rnn", ("clip", "omega"), "Pascanu, Mikolov & Bengio 2013: SGD with clipping and Omega "
                                                 "solved temporal order in every run up to T = 200"),
    ("temporal_order", "rnn", (), "Pascanu, Mikolov & Bengio 2013: plain SGD's success rate on temporal order fell "
                                  "with length; clipping + Omega kept it at 100 % up to T = 200"),
    ("temporal_order", "rnn", ("clip",), "Pascanu, Mikolov & Bengio 2013: clipping alone helped but its success rate "
                                         "still fell with length; with Omega added: 100 % up to T = 200"),
    ("adding", "rnn", ("identity",), "Le, Jaitly & Hinton 2015: a ReLU RNN from the identity (IRNN) matched the "
                                     "LSTM on their adding variant up to T = 400"),
    ("adding", "hf", ("struct",), "Martens & Sutskever 2011: Hessian-free with structural damping solved the "
                                  "pathological long-range problems (adding, temporal order, ...) up to T = 200"),
    ("temporal_order", "hf", ("struct",), "Martens & Sutskever 2011: Hessian-free with structural damping solved "
                                          "the pathological long-range problems up to T = 200"),
]


def paper_figure(task: str, model: str, remedies) -> str:
    """The most specific paper figure for (task, model, remedies), or ''."""
    best, best_n = "", -1
    for t, m, need, text in PAPERS:
        if t == task and m == model and set(need) <= set(remedies) and len(need) > best_n:
            best, best_n = text, len(need)
    return best


def scoreboard_rows(rec: dict, seconds: dict | None = None) -> list[dict]:
    """One row per run of a record: task, length, method, solved, sequences seen, wall time,
    and the paper's figure beside it (labelled as the paper's)."""
    kn = rec["knobs"]
    rows = []
    for r in rec["runs"]:
        T = r["config"]["T"] if r.get("config") else kn["T"]
        if r["kind"] == "skip":
            solved = "not run"
        elif r["solved_step"] >= 0:
            solved = "yes"
        else:
            solved = "no" + (" (stopped)" if rec.get("stopped") else "")
        err = num(r["final_error"])
        rows.append({
            "task": kn["task"], "T": T, "method": r["label"], "solved": solved,
            "sequences seen": r["sequences_seen"] if r["kind"] != "skip" else None,
            "wrong on fresh data": (f"{err:.1%}" if math.isfinite(err) else
                                    "not checked" if r["kind"] == "grad" else "-"),
            "wall time (s)": None if seconds is None else round(seconds.get(r["label"], float("nan")), 1),
            "paper's figure (not this run)": paper_figure(kn["task"], r["model"], r["remedies"]) or "-",
            "note": r["note"] or ("diverged: a gradient overflowed" if r["diverged"] else ""),
        })
    return rows


# ---------------------------------------------------------------------------------------
# The eleven cards of seed 001
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Card:
    key: str
    title: str
    fixes_what: str  # "exploding" | "vanishing"
    equation: str  # LaTeX
    computed_by: str
    changes: str
    fixes: str
    costs: str
    knobs: Knobs
    specs: tuple
    expect: str  # what the prepared comparison is set up to show


def _s(label, model, remedies=(), seed=0, **ov):
    return RunSpec(label, model, tuple(remedies), seed, tuple(sorted(ov.items())))


_ADD20 = Knobs(task="adding", T=20, H=16, steps=400)
_ADD30 = Knobs(task="adding", T=30, H=16, steps=500)

CARDS = [
    Card("clipping", "Gradient clipping", "exploding",
         r"\mathbf{g} \leftarrow \frac{\text{threshold}}{\|\mathbf{g}\|}\,\mathbf{g}"
         r"\quad\text{if } \|\mathbf{g}\| \ge \text{threshold} \qquad (13)",
         "gradcore.train.clip",
         "Rescales the whole gradient when its norm passes a threshold (or clips each entry by value).",
         "A single huge gradient at a cliff no longer throws the weights far away; the step keeps its direction.",
         "One more hyper-parameter, the threshold; too low a threshold slows learning to a crawl.",
         replace(_ADD20, activation="relu", optimiser="sgd", lr=0.05, H=32, steps=300),
         (_s("IRNN, no clipping", "rnn", ("identity",)),
          _s("IRNN + clip at 10", "rnn", ("identity", "clip"), clip_threshold=10.0),
          _s("IRNN + clip at 1", "rnn", ("identity", "clip"), clip_threshold=1.0),
          _s("IRNN + clip at 0.1", "rnn", ("identity", "clip"), clip_threshold=0.1)),
         "ReLU RNN from the identity, plain SGD: the unclipped gradient norm spikes; clipped runs step at most "
         "the threshold."),
    Card("tbptt", "Truncated BPTT", "exploding",
         r"\frac{\partial \mathbf{E}_t}{\partial \mathbf{W}} \approx \sum_{k=t-n+1}^{t}"
         r"\frac{\partial \mathbf{E}_t}{\partial \mathbf{h}_t}\frac{\partial \mathbf{h}_t}{\partial \mathbf{h}_k}"
         r"\frac{\partial \mathbf{h}_k}{\partial \mathbf{W}}",
         "gradcore.models.backward(tbptt=(k1, k2))",
         "Backpropagates only n = k2 steps into the past (Williams & Peng's BPTT(k1, k2)).",
         "The product of Jacobians has at most n factors, so it cannot grow without bound.",
         "Nothing further back than n steps can be learned: the markers of the adding problem sit beyond it.",
         _ADD20,
         (_s("LSTM, full BPTT", "lstm"),
          _s("LSTM + BPTT(10, 10)", "lstm", ("tbptt",), tbptt=(10, 10)),
          _s("LSTM + BPTT(4, 4)", "lstm", ("tbptt",), tbptt=(4, 4))),
         "With k = 4 the gradient from the end never reaches the marked values: the loss stays near the "
         "predict-the-mean level."),
    Card("l1l2", "L1 / L2 penalty on W_hh", "exploding",
         r"\mathbf{E} + \lambda_1 \sum |W_{hh}| + \frac{\lambda_2}{2}\sum W_{hh}^2",
         "gradcore.regularisers.penalty",
         "Adds a penalty that pulls the recurrent weights towards 0.",
         "Keeps the spectral radius of W_hh below 1, a sufficient condition for gradients not to explode.",
         "Inputs then die out exponentially fast: the net forgets, so long-range dependencies are out of reach.",
         replace(_ADD30, steps=300),
         (_s("RNN, W_hh radius 1.5", "rnn", (), init="gaussian_radius", init_scale=1.5),
          _s("RNN + L2 0.1", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l2=0.1),
          _s("RNN + L2 1", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l2=1.0),
          _s("RNN + L1 0.01", "rnn", ("l1l2",), init="gaussian_radius", init_scale=1.5, l1=0.01)),
         "Watch the spectral radius of W_hh at the end: L2 pulls it from 1.5 towards 0 (below 1 here), "
         "while L1 at 0.01 hardly moves it in 300 updates."),
    Card("teacher_forcing", "Teacher forcing", "exploding",
         r"\mathbf{h}_t = f(\mathbf{W}_{hx}\,\mathbf{y}^{\text{target}}_{t-1} + \mathbf{W}_{hh}\mathbf{h}_{t-1}"
         r" + \mathbf{b}) \quad\text{instead of}\quad f(\mathbf{W}_{hx}\,\hat{\mathbf{y}}_{t-1} + \dots)",
         "gradcore.generation.value_and_grad_free",
         "During training the generator reads the true previous value instead of its own prediction.",
         "Training starts in the right region: no long closed loop to differentiate through early on.",
         "Needs a target at every step; at test time the net runs free and its own errors feed back.",
         Knobs(task="noisy_sine", T=30, H=16, lr=1e-2, steps=300),
         (_s("RNN + teacher forcing", "rnn", ("teacher_forcing",)),
          _s("RNN, free running", "rnn", ())),
         "Both run free at test time; compare the free-run error against the clean sine."),
    Card("esn", "Echo state networks", "exploding",
         r"\mathbf{h}_t = \tanh(\mathbf{x}_t \mathbf{W}_{in} + \mathbf{h}_{t-1}\mathbf{W}), \quad"
         r"\mathbf{W}_{out} = (S^\top S + \beta I)^{-1} S^\top Y",
         "gradcore.esn",
         "Samples W_hx and W_hh once (spectral radius near 1) and fits only the readout, in closed form.",
         "No gradient flows through time at all, so nothing can explode; the fit takes well under a second.",
         "Memory is whatever the random reservoir keeps (at most H steps of i.i.d. input): long lags are lost.",
         replace(_ADD20, esn_H=200),
         (_s("ESN radius 0.5", "esn", esn_rho=0.5), _s("ESN radius 0.9", "esn", esn_rho=0.9),
          _s("ESN radius 1.2", "esn", esn_rho=1.2), _s("LSTM (for scale)", "lstm")),
         "The readout is fitted on 2,000 sequences; the score is on fresh ones."),
    Card("hf", "Hessian-free with structural damping", "vanishing",
         r"q(\mathbf{d}) = \mathbf{g}^\top\mathbf{d} + \tfrac12\mathbf{d}^\top"
         r"(G + \lambda I + \lambda\mu\, J_h^\top J_h)\,\mathbf{d}",
         "gradcore.hf (gn_vector_product, cg)",
         "Takes Gauss-Newton steps (conjugate gradient on a damped quadratic model); structural damping "
         "also penalises changes of the hidden states.",
         "Curvature rescales directions independently, so weak long-range directions are not drowned out.",
         "Each step costs tens of forward/backward passes over a large fixed batch, and more knobs (lambda, mu).",
         replace(_ADD20, steps=300, hf_steps=20),
         (_s("HF, no structural damping", "hf"), _s("HF + structural damping", "hf", ("struct",)),
          _s("RNN + Adam (for scale)", "rnn")),
         "Hessian-free on a 200-sequence batch against Adam on fresh batches."),
    Card("leaky", "Leaky integration units", "vanishing",
         r"h_{t,i} = \alpha_i h_{t-1,i} + (1-\alpha_i)\, f_{\mathbf{W}}(\mathbf{h}_{t-1}, \mathbf{x}_t)"
         r"\qquad (14)",
         "gradcore.models.forward (cell 'leaky')",
         "Each unit keeps a fraction alpha_i of its old state (alpha_i ~ U(0.02, 0.2) as in seed 001).",
         "Part of the Jacobian is diag(alpha): a path along which the gradient shrinks more slowly.",
         "With alpha < 1 gradients can still vanish, and they can still explode through f_W.",
         replace(_ADD30, steps=1500),
         (_s("RNN", "rnn"), _s("Leaky RNN", "leaky"), _s("Leaky RNN, alpha = 0.9", "leaky", alpha=0.9)),
         "Same task, same budget: plain, leaky with seed 001's small alphas, and a very leaky net."),
    Card("omega", "Vanishing-gradient regulariser Omega", "vanishing",
         r"\Omega = \sum_k \left(\frac{\|\frac{\partial E}{\partial \mathbf{h}_{k+1}}"
         r"\frac{\partial \mathbf{h}_{k+1}}{\partial \mathbf{h}_k}\|}"
         r"{\|\frac{\partial E}{\partial \mathbf{h}_{k+1}}\|} - 1\right)^2 \qquad (15\text{-}16)",
         "gradcore.regularisers.omega",
         "Penalises Jacobians that shrink (or grow) the error signal along its own direction.",
         "Pushes the gradient to keep its size as it travels back: the early steps hear the loss.",
         "An extra backward sweep per step, a weight to tune, and it needs clipping beside it (Pascanu 2013).",
         replace(_ADD30, steps=2000),
         (_s("RNN + clipping", "rnn", ("clip",), init="gaussian_radius", init_scale=0.9),
          _s("RNN + clipping + Omega 1", "rnn", ("clip", "omega"), init="gaussian_radius", init_scale=0.9, omega=1.0),
          _s("RNN + clipping + Omega 4", "rnn", ("clip", "omega"), init="gaussian_radius", init_scale=0.9,
             omega=4.0)),
         "Look at the per-step gradient norms: Omega flattens ||dL/dh_k|| over k."),
    Card("lstm", "Long short-term memory", "vanishing",
         r"\mathbf{c}_t = \mathbf{f}_t \odot \mathbf{c}_{t-1} + \mathbf{i}_t \odot \mathbf{g}_t,\quad"
         r"\frac{\partial \mathbf{c}_t}{\partial \mathbf{c}_{t-1}}\Big|_{\text{cell}} = \operatorname{diag}(\mathbf{f}_t)",
         "gradcore.models.forward (cell 'lstm')",
         "Gated units with a cell state updated additively.",
         "Along the cell path the gradient is multiplied by the forget gates, not by W_hh: it can travel far.",
         "Four times the weights and the compute of an RNN of the same width.",
         _ADD30,
         (_s("RNN", "rnn"), _s("LSTM", "lstm")),
         "Same task, same budget, same width."),
    Card("gru", "Gated recurrent units", "vanishing",
         r"\mathbf{h}_t = \mathbf{z}_t \odot \mathbf{h}_{t-1} + (1-\mathbf{z}_t)\odot \mathbf{n}_t",
         "gradcore.models.forward (cell 'gru')",
         "Two gates; the update gate z mixes the old state with a candidate.",
         "Where z is near 1 the state (and the gradient) passes through almost unchanged.",
         "Three times the weights and compute of an RNN; no separate cell state.",
         replace(_ADD20, steps=800),
         (_s("RNN", "rnn"), _s("GRU", "gru"), _s("LSTM", "lstm")),
         "Same task, same budget, same width."),
    Card("orthogonal", "Orthogonal (and identity) initialisation", "vanishing",
         r"\mathbf{W}_{hh}^\top \mathbf{W}_{hh} = I \;\Rightarrow\; |\lambda_i(\mathbf{W}_{hh})| = 1",
         "gradcore.init.make_Wh",
         "Starts W_hh orthogonal (or the identity) instead of small random.",
         "At the start every eigenvalue has modulus 1: the Jacobian product neither shrinks nor grows "
         "because of W_hh alone.",
         "Only the start: training moves W_hh away from orthogonal, and tanh' < 1 still shrinks the product.",
         replace(_ADD30, steps=1500),
         (_s("RNN, uniform init", "rnn"), _s("RNN, Gaussian radius 1.5", "rnn", (), init="gaussian_radius",
                                             init_scale=1.5),
          _s("RNN, orthogonal init", "rnn", ("orthogonal",)), _s("RNN, identity init", "rnn", ("identity",))),
         "Four starting points for W_hh on the same task and budget."),
]


def card_lab(card: Card) -> Lab:
    return Lab(list(card.specs), card.knobs, title=card.title)


# ---------------------------------------------------------------------------------------
# Success rate against length
# ---------------------------------------------------------------------------------------
SUCCESS_METHODS = {
    "lstm": ("LSTM", RunSpec("", "lstm")),
    "rnn": ("RNN", RunSpec("", "rnn")),
    "rnn_clip_omega": ("RNN + clipping + Omega", RunSpec("", "rnn", ("clip", "omega"))),
    "gru": ("GRU", RunSpec("", "gru")),
    "leaky": ("Leaky RNN", RunSpec("", "leaky")),
}
SUCCESS_KNOBS = Knobs(task="temporal_order", T=20, H=16, steps=500)
SUCCESS_LENGTHS = (10, 20, 30, 40)
SUCCESS_SEEDS = 3
SUCCESS_RECORDED = ("lstm", "rnn", "rnn_clip_omega")


def baseline_loss(task: str, T: int) -> tuple[float, str] | None:
    """The loss of the best input-blind answer: the level a run that learned nothing sits at."""
    if task == "adding":  # target 0.5 + (X1 + X2)/4, X ~ U(-1, 1): variance (2/3)/16
        return 1.0 / 24.0, "predict the mean (MSE 1/24)"
    if task == "adding_le":
        return 1.0 / 6.0, "predict the mean (MSE 1/6)"
    if task == "temporal_order":
        return math.log(4.0), "guess among 4 classes (CE ln 4)"
    if task == "copy":
        from gradcore.tasks import copy_baseline_ce
        return copy_baseline_ce(T), "memoryless baseline (CE 10 ln 8 / (T + 20))"
    return None


def success_specs(method: str, lengths, seeds: int) -> list[RunSpec]:
    base = SUCCESS_METHODS[method][1]
    return [replace(base, label=f"T={L} · seed {s}", seed=s, overrides=(("T", int(L)),))
            for L in lengths for s in range(seeds)]


def success_lab(method: str, lengths, seeds: int, kn: Knobs = SUCCESS_KNOBS) -> Lab:
    return Lab(success_specs(method, lengths, seeds), kn, title=f"success vs length: {SUCCESS_METHODS[method][0]}")


def success_table(rec: dict) -> list[dict]:
    """Rows (T, seeds, solved, success rate, median solve step) from a success-vs-length record."""
    by = {}
    for r in rec["runs"]:
        T = r["config"]["T"]
        by.setdefault(T, []).append(r)
    rows = []
    for T in sorted(by):
        rs = by[T]
        solved = [r["solved_step"] for r in rs if r["solved_step"] >= 0]
        rows.append({"T": T, "seeds": len(rs), "solved": len(solved), "success rate": len(solved) / len(rs),
                     "median sequences to solve": float(np.median([r["sequences_seen"] for r in rs
                                                                   if r["solved_step"] >= 0])) if solved else None})
    return rows


# ---------------------------------------------------------------------------------------
# "What to notice", written from the numbers
# ---------------------------------------------------------------------------------------
def _last(r: dict, key: str = "loss") -> float:
    v = [num(x) for x in r["curves"][key] if x is not None]
    return v[-1] if v else float("nan")


def _reach(r: dict) -> float:
    """||dL/dh_1|| / ||dL/dh_T||: how much of the gradient at the end reaches the first step."""
    d = [num(x) for x in r["dh_norms"]]
    return d[0] / d[-1] if len(d) > 1 and d[-1] > 0 else float("nan")


def notice_points(cards: dict, live: dict | None = None) -> list[str]:
    """Points from the recorded card records (key -> record) and, if given, the live run's record."""
    pts = []
    by = {k: {r["label"]: r for r in rec["runs"]} for k, rec in cards.items() if rec}
    if "lstm" in by and {"RNN", "LSTM"} <= set(by["lstm"]):
        rnn_, lstm_ = by["lstm"]["RNN"], by["lstm"]["LSTM"]
        base = baseline_loss("adding", rnn_["config"]["T"])[0]
        pts.append(f"Recorded LSTM card (adding, T = {rnn_['config']['T']}): the RNN ends at loss "
                   f"{_last(rnn_):.4f}, on the predict-the-mean baseline {base:.4f}; the LSTM at {_last(lstm_):.4f}. "
                   f"The share of the final gradient that reaches step 1, ||dL/dh_1|| / ||dL/dh_T||, is "
                   f"{_reach(rnn_):.1e} for the RNN and {_reach(lstm_):.1e} for the LSTM.")
    if "omega" in by and len(by["omega"]) == 3:
        a, _, c = list(by["omega"].values())
        pts.append(f"Recorded Omega card: with clipping only the gradient reaching step 1 is {_reach(a):.1e} of the "
                   f"last step's and the loss ends at {_last(a):.4f}; with Omega weight 4 the ratio is "
                   f"{_reach(c):.1e} and the loss {_last(c):.4f}.")
    if "clipping" in by:
        rs = list(by["clipping"].values())
        top = max(max(num(x) for x in r["curves"]["grad_norm"]) for r in rs)
        clipped = [r for r in rs if "clip at" in r["label"]]
        pts.append(f"Recorded clipping card: the unclipped gradient norm reached {top:.3g} (window mean); the "
                   "clipped runs' steps stay at their thresholds (largest window mean of the clipped norm: "
                   + ", ".join(f"{r['label'].split('clip at ')[1]}: max {max(num(x) for x in r['curves']['clipped_norm']):.3g}"
                               for r in clipped) + ").")
    if "tbptt" in by:
        rs = list(by["tbptt"].values())
        pts.append("Recorded truncation card: final loss " + ", ".join(f"{r['label']}: {_last(r):.4f}" for r in rs)
                   + " — the shorter the truncation, the closer to the baseline.")
    if "l1l2" in by:
        rs = list(by["l1l2"].values())
        pts.append("Recorded L1/L2 card: spectral radius of W_hh at the end "
                   + ", ".join(f"{r['label']}: {num(r['spectral_radius']['value'][-1]):.2f}" for r in rs)
                   + "; gradient reaching step 1: "
                   + ", ".join(f"{_reach(r):.0e}" for r in rs) + ".")
    if live:
        done = [r for r in live["runs"] if r["kind"] != "skip"]
        solved = [r["label"] for r in done if r["solved_step"] >= 0]
        pts.append(f"Your run: {len(solved)} of {len(done)} runs solved the task within the budget"
                   + (f" ({', '.join(solved)})." if solved else "."))
    return pts
