"""Remedies lab, the training: ``Lab`` trains every run of a comparison a time slice at a time.

Gradient-trained runs that share a shape go into one ``gradcore.train.Stepper`` (the engine's
batched ensemble, one computation with a leading model axis); echo state networks and
Hessian-free runs are their own work items. ``Lab.advance(seconds)`` does a time slice of work
and returns, so the page can redraw between slices and a Stop click keeps everything trained so
far (every unit of work is one whole update).

    theta <- optimiser(theta, clip(dE/dtheta))        one Stepper.step(), every run of a group
    Wout  = (S^T S + ridge I)^{-1} S^T Y               ESN: the readout only, closed form
    d     = argmin q(d), (G + lambda I + lambda mu S)  one Hessian-free outer iteration (gradcore.hf.hf_step)

``Lab.record()`` is the JSON-able result (curves as window means, per-step gradient norms,
solve steps); it is bit-for-bit the same on every run of the same code, so the recorded cards
(lessons/remedies/records.py) are what a live run reproduces. Wall-clock times live apart, in
``Lab.timing()``.
"""

from __future__ import annotations

import functools
import time
from dataclasses import MISSING, asdict, dataclass, field, fields

import numpy as np

from gradcore import esn, hf, models, train
from gradcore.tasks import make_task
from lessons.remedies.jsonable import jsonable
from lessons.remedies.specs import GRADIENT_MODELS, Knobs, RunSpec, hf_config, train_config, why_not

__all__ = ["Run", "Lab", "ensemble_count", "ESN_CHUNK"]


def _ensemble_key(c: train.TrainConfig) -> tuple:
    """Runs whose configs have the same key train together, as one Stepper."""
    c = train.norm_clipped(c)
    return tuple(getattr(c, f.name) for f in fields(train.TrainConfig) if f.name not in train.PER_MODEL)


@dataclass
class Run:
    """One run of a comparison: its spec and engine config, what it trained so far, its result."""

    spec: RunSpec
    kind: str  # "grad" | "hf" | "esn" | "skip"
    config: object = None
    note: str = ""
    hist: dict = field(
        default_factory=lambda: {k: [] for k in ("loss", "accuracy", "grad_norm", "clipped_norm")}
    )
    rep_step: list = field(default_factory=list)
    rep_rho: list = field(default_factory=list)
    rep_norm: list = field(default_factory=list)  # ||W_hh||_2 (same block as rep_rho) at the same reports
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


def _new_run(spec: RunSpec, kn: Knobs) -> Run:
    """The untrained run of spec: its kind and engine config, or why the engine cannot run it."""
    reason = why_not(spec, kn)
    if reason:
        return Run(spec, "skip", note=reason, done=True)
    if spec.model in GRADIENT_MODELS:
        return Run(spec, "grad", train_config(spec, kn))
    if spec.model == "hf":
        return Run(spec, "hf", hf_config(spec, kn))
    return Run(spec, "esn", None)


def ensemble_count(specs: list[RunSpec], kn: Knobs) -> int:
    """How many batched computations (one Stepper each) the gradient-trained runs of specs make."""
    return _ensemble_count(tuple(specs), kn)


@functools.lru_cache(maxsize=64)
def _ensemble_count(specs: tuple[RunSpec, ...], kn: Knobs) -> int:
    # NB: kept per comparison (specs and knobs are frozen): the lab's caption asks on every page run
    return len({_ensemble_key(r.config) for r in (_new_run(s, kn) for s in specs) if r.kind == "grad"})


class _GradItem:
    """One Stepper: every gradient-trained run of one shape."""

    def __init__(self, runs: list[Run]):
        self.runs = runs
        self.stepper = train.Stepper([train.norm_clipped(r.config) for r in runs])
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
        norm = st.spectral_norm()
        dh = st.last["dh_total"]
        dh_norms = np.sqrt(np.sum(dh.astype(np.float64) ** 2, axis=(2, 3)))  # (M, T) ||dL/dh_k||
        for m, r in enumerate(self.runs):
            r.rep_step.append(st.k)
            r.rep_rho.append(float(rho[m]))
            r.rep_norm.append(float(norm[m]))
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


def _free_run_error(r: Run) -> dict:
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

    def __init__(self, run: Run):
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
            r.rep_norm.append(float(np.linalg.norm(s.params["Wh"][0].astype(np.float64), 2)))
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
        r.dh_last = [float(v) for v in np.sqrt(np.sum(aux.dh_total**2, axis=(2, 3)))[0]]
        r.done = True
        self.done = True


class _ESNItem:
    """An echo state network: fixed reservoir, ridge readout on the scored steps. The work is
    cut into units of at most ESN_CHUNK sequences, so the page can redraw between them."""

    def __init__(self, run: Run, kn: Knobs):
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
            out.append(_esn_states(res, x[i : i + ESN_CHUNK]))
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
        r.rep_norm.append(float(np.linalg.norm(res.W, 2)))
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

    def __init__(self, specs: list[RunSpec], kn: Knobs, title: str = "", configs=None):
        """configs: one engine TrainConfig per spec, used as given (a paper's recipe, lessons.papers.live_lab)
        instead of the one the spec and knobs make."""
        self.kn, self.title = kn, title
        if configs is None:
            self.runs: list[Run] = [_new_run(s, kn) for s in specs]
        else:
            self.runs = [Run(s, "grad", c) for s, c in zip(specs, configs, strict=True)]
        groups: dict = {}
        for r in self.runs:
            if r.kind == "grad":
                groups.setdefault(_ensemble_key(r.config), []).append(r)
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
            for r in it.runs if isinstance(it, _GradItem) else [it.run]:
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
        out = {"title": self.title, "knobs": jsonable(asdict(self.kn)), "stopped": self.stopped, "runs": []}
        for r in self.runs:
            n = len(r.hist["loss"])
            w = every or max(1, -(-n // 100))
            step = [w * (i + 1) for i in range(n // w)] if n >= w else []
            if r.kind in ("hf", "esn"):
                w, step = 1, list(range(1, n + 1))
            curves = {k: _window_means(v, w) for k, v in r.hist.items()}
            out["runs"].append(
                jsonable(
                    {
                        "label": r.spec.label,
                        "model": r.spec.model,
                        "remedies": list(r.spec.remedies),
                        "seed": r.spec.seed,
                        "kind": r.kind,
                        "note": r.note,
                        "config": _config_dict(r.config),
                        "steps": r.steps,
                        "solved_step": r.solved_step,
                        "sequences_seen": r.sequences,
                        "final_error": r.final_error,
                        "diverged": r.diverged,
                        "curves": {"step": step, **curves},
                        "spectral_radius": {"step": list(r.rep_step), "value": list(r.rep_rho)},
                        "spectral_norm": {"step": list(r.rep_step), "value": list(r.rep_norm)},
                        "dh_norms": list(r.dh_last),
                        "extra": {k: v for k, v in r.extra.items() if k != "alpha"},
                    }
                )
            )
        return out

    def timing(self) -> dict:
        return {
            "compute_seconds": self.compute_seconds,
            "run_seconds": {r.spec.label: r.seconds for r in self.runs},
        }

    def run_by_label(self, label: str) -> Run | None:
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
        return [float(x) for x in a[: n * w].reshape(n, w).mean(axis=1)]
