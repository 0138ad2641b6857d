"""Remedies lab, what a comparison is: the choices (tasks, models, remedies), the shared Knobs,
one RunSpec per run, and the engine configs they turn into (or why the engine cannot run one)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from gradcore import hf, train
from gradcore.tasks import make_task

__all__ = [
    "TASKS",
    "MODELS",
    "REMEDIES",
    "GRADIENT_MODELS",
    "Knobs",
    "RunSpec",
    "custom_specs",
    "train_config",
    "hf_config",
    "why_not",
]

TASKS = {  # gradcore task name -> the page's label
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
    alpha: float | None = None  # leaky: None samples alpha_i ~ U(0.02, 0.2) (Jefkine 2018, eq. 14)
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


SEED_SEP = " · seed "  # a run's label: its configuration, then this and its seed (lessons.remedies.analysis reads it)


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


def custom_specs(
    models_: list, remedies: list, seeds: int, baseline: bool, task: str
) -> tuple[list[RunSpec], list[str]]:
    """The page's comparison: each model with the remedies that apply to it (and, if
    baseline, without them), seeds 0..seeds-1 each -> (specs, notes on remedies skipped)."""
    specs, notes = [], []
    for m in models_:
        rem = tuple(r for r in remedies if _applicable(m, r, task))
        if "orthogonal" in rem and "identity" in rem:
            rem = tuple(r for r in rem if r != "identity")
            notes.append(f"{MODELS[m]}: orthogonal and identity init both picked; using orthogonal.")
        skipped = [
            REMEDIES[r] for r in remedies if r not in rem and not (r == "identity" and "orthogonal" in rem)
        ]
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
                lab = _label(m, v) + (f"{SEED_SEP}{s}" if seeds > 1 else "")
                specs.append(RunSpec(lab, m, v, s))
    return specs, notes


def train_config(spec: RunSpec, kn: Knobs) -> train.TrainConfig:
    """The engine's TrainConfig for a gradient-trained run."""
    if spec.model not in GRADIENT_MODELS:
        raise ValueError(f"{spec.model!r} is not trained by gradient descent")
    r = set(spec.remedies)
    c = train.TrainConfig(
        task=kn.task,
        T=kn.T,
        cell=spec.model,
        activation=kn.activation,
        H=kn.H,
        optimiser=kn.optimiser,
        lr=kn.lr,
        batch=kn.batch,
        steps=kn.steps,
        seed=spec.seed,
        dtype=kn.dtype,
        alpha=kn.alpha,
        clip=kn.clip_mode if "clip" in r else None,
        clip_threshold=kn.clip_threshold,
        tbptt=(kn.k, kn.k) if "tbptt" in r and kn.k < kn.T else None,
        l1=kn.l1 if "l1l2" in r else 0.0,
        l2=kn.l2 if "l1l2" in r else 0.0,
        omega=kn.omega if "omega" in r else 0.0,
        init="orthogonal" if "orthogonal" in r else "identity" if "identity" in r else "uniform",
        teacher_forcing=("teacher_forcing" in r) if kn.task == "noisy_sine" else True,
        report_every=max(1, min(20, kn.steps // 40)),
        check_every=50,
        stop_when_solved=True,
    )
    return replace(c, **dict(spec.overrides))


def hf_config(spec: RunSpec, kn: Knobs) -> hf.HFConfig:
    """The engine's HFConfig for a Hessian-free run."""
    r = set(spec.remedies)
    c = hf.HFConfig(
        task=kn.task,
        T=kn.T,
        H=kn.H,
        activation=kn.activation,
        batch=kn.hf_batch,
        steps=kn.hf_steps,
        cg_iters=kn.hf_cg,
        struct=kn.struct if "struct" in r else 0.0,
        seed=spec.seed,
        init="orthogonal" if "orthogonal" in r else "identity" if "identity" in r else "uniform",
    )
    return replace(c, **dict(spec.overrides))


@functools.lru_cache(maxsize=256)
def _check_task(task: str, T: int) -> None:
    """Raise the task's own ValueError if it cannot make sequences of length T (it checks when sampling).
    NB: kept per (task, T) (a raise is not kept): the Remedies lab asks it for every run of its comparison on
    every page run, and a sample of the adding task was a few per cent of a lecture follower's page run."""
    make_task(task, T).sample(np.random.default_rng(0), 1)


def why_not(spec: RunSpec, kn: Knobs) -> str | None:
    """Why the engine cannot run this spec (None if it can)."""
    try:
        if spec.model in GRADIENT_MODELS:
            c = train_config(spec, kn)
            _check_task(c.task, c.T)
            if (
                c.task == "noisy_sine"
                and not c.teacher_forcing
                and (c.cell not in ("rnn", "leaky") or c.tbptt or c.omega)
            ):
                return (
                    "free-running training (no teacher forcing) is implemented for RNN / leaky cells, "
                    "full BPTT, no Omega"
                )
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
