"""Named, recorded experiments; the command is ``python -m lessons.experiments NAME --out results/NAME.json``.

Each experiment is a function of nothing but its fixed settings (seeds included), so the
JSON it writes (and the tidy CSV beside it, same stem) is the same bit for bit on every run
of the same code. Wall-clock times are never written. ``--list`` shows the names.

JSON layout: {"name", "description", "settings", "series": {label: {metric: [...]}}, "step":
[...], "summary": {label: {...}}}; curves are window means of the per-step values over
``every`` steps (the step recorded is the window's last).
"""

from __future__ import annotations

import csv
import json
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from gradcore import esn, generation, models, tasks, train

__all__ = ["EXPERIMENTS", "run", "write"]

EXPERIMENTS: dict = {}


def experiment(name: str, description: str):
    def deco(fn):
        EXPERIMENTS[name] = (fn, description)
        return fn

    return deco


def _window_means(a: np.ndarray, every: int) -> list:
    n = len(a) // every
    if n == 0:
        return []
    return [float(v) for v in np.asarray(a[: n * every], dtype=np.float64).reshape(n, every).mean(axis=1)]


def _curves(results: list, labels: list, every: int) -> tuple[list, dict, dict]:
    longest = max(len(r.history["loss"]) for r in results)
    step = [every * (i + 1) for i in range(longest // every)]
    series, summary = {}, {}
    for lab, r in zip(labels, results, strict=True):
        series[lab] = {
            k: _window_means(r.history[k], every) for k in ("loss", "accuracy", "grad_norm", "clipped_norm")
        }
        series[lab]["spectral_radius_at"] = [int(s) for s in r.reports["step"]]
        series[lab]["spectral_radius"] = [float(v) for v in r.reports["spectral_radius"]]
        # ||dL/dh_k|| at the last report, the vanishing-gradient profile the pages plot
        series[lab]["dh_norms_last"] = (
            [float(v) for v in r.reports["dh_norms"][-1]] if len(r.reports["step"]) else []
        )
        summary[lab] = {
            "steps": r.steps,
            "solved_step": r.solved_step,
            "sequences_seen": r.sequences_seen,
            "final_error": r.final_error,
            "diverged": r.diverged,
            "final_loss_mean_last_100": float(np.mean(r.history["loss"][-100:])),
        }
    return step, series, summary


def _cfg_dict(c: train.TrainConfig) -> dict:
    d = asdict(c)
    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


# ---------------------------------------------------------------------------------------
@experiment(
    "adding_lstm_vs_rnn",
    "Hochreiter's adding problem at T = 50: LSTM (H = 32, Adam 3e-3, batch 32, "
    "clip 1, forget bias 1) against a tanh RNN with the same recipe and steps",
)
def adding_lstm_vs_rnn(steps: int = 3000):
    base = train.TrainConfig(
        task="adding", T=50, H=32, steps=steps, dtype="float32", report_every=100, stop_when_solved=False
    )
    runs = [train.train(replace(base, cell="lstm")), train.train(replace(base, cell="rnn"))]
    step, series, summary = _curves(runs, ["lstm", "rnn_tanh"], 50)
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "adding_lstm_T100",
    "LSTM (H = 32, Adam 3e-3, batch 32, clip 1) on Hochreiter's adding problem at "
    "T = 100 with forget-gate bias 1 and 5, trained together for up to 8,000 steps "
    "(paper: 74,000 sequences); long: several minutes",
)
def adding_lstm_T100(steps: int = 8000):
    base = train.TrainConfig(task="adding", T=100, H=32, steps=steps, dtype="float32", report_every=200)
    runs = train.train_ensemble(train.ensemble_over(base, forget_bias=[1.0, 5.0]))
    step, series, summary = _curves(runs, ["forget_bias_1", "forget_bias_5"], 100)
    for lab in summary:
        summary[lab]["paper_sequences"] = 74000
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "clipping_thresholds",
    "ReLU RNN from the identity (IRNN, Le et al. 2015) on the adding problem at "
    "T = 20, SGD 0.05: clipping by norm at 0.1, 1, 10 and never",
)
def clipping_thresholds(steps: int = 600):
    base = train.TrainConfig(
        task="adding",
        T=20,
        cell="rnn",
        activation="relu",
        H=32,
        init="identity",
        init_scale=1.0,
        optimiser="sgd",
        lr=0.05,
        steps=steps,
        report_every=50,
        stop_when_solved=False,
    )
    thr = [0.1, 1.0, 10.0, 1e30]
    runs = train.train_ensemble(train.ensemble_over(base, clip_threshold=thr))
    step, series, summary = _curves(runs, ["clip_0.1", "clip_1", "clip_10", "no_clip"], 25)
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "initialisers",
    "Vanilla RNNs (tanh and ReLU, H = 32) on the adding problem (Le et al. variant, "
    "T = 30) from four initialisations of Wh: PyTorch uniform, Gaussian radius 1, "
    "orthogonal, identity",
)
def initialisers(steps: int = 1500):
    inits = [("uniform", 1.0), ("gaussian_radius", 1.0), ("orthogonal", 1.0), ("identity", 1.0)]
    runs, labels = [], []
    for act in ("tanh", "relu"):
        base = train.TrainConfig(
            task="adding_le",
            T=30,
            cell="rnn",
            activation=act,
            H=32,
            steps=steps,
            report_every=100,
            stop_when_solved=False,
            dtype="float32",
        )
        runs += train.train_ensemble(
            train.ensemble_over(base, init=[i for i, _ in inits], init_scale=[s for _, s in inits])
        )
        labels += [f"{act}_{i}" for i, _ in inits]
    step, series, summary = _curves(runs, labels, 50)
    for lab in summary:
        summary[lab]["baseline_mse"] = 1 / 6
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "omega_regulariser",
    "tanh RNN (H = 32, Gaussian radius 0.9, Adam 3e-3, clip 1) on the temporal order "
    "problem at T = 50, without and with Pascanu's Omega (weight 2), until both solve",
)
def omega_regulariser(steps: int = 3000):
    base = train.TrainConfig(
        task="temporal_order",
        T=50,
        cell="rnn",
        H=32,
        init="gaussian_radius",
        init_scale=0.9,
        steps=steps,
        report_every=100,
    )
    runs = train.train_ensemble(train.ensemble_over(base, omega=[0.0, 2.0]))
    step, series, summary = _curves(runs, ["omega_0", "omega_2"], 50)
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "truncation",
    "LSTM on the adding problem at T = 30 with full BPTT and BPTT(k1, k2) with k2 = 20 and "
    "k2 = 5: the marked values sit in the first half, beyond a short truncation",
)
def truncation(steps: int = 1500):
    base = train.TrainConfig(
        task="adding", T=30, H=32, steps=steps, dtype="float32", report_every=100, stop_when_solved=False
    )
    variants = [("full", None), ("k2_20", (20, 20)), ("k2_5", (5, 5))]
    runs = [train.train(replace(base, tbptt=tb)) for _, tb in variants]
    step, series, summary = _curves(runs, [v for v, _ in variants], 50)
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "leaky_vs_rnn",
    "Leaky-integrator RNN (alpha ~ U(0.02, 0.2), seed 001 eq. 14) against the plain tanh "
    "RNN (both orthogonal init, H = 32) on the temporal order problem at T = 60, until solved",
)
def leaky_vs_rnn(steps: int = 3000):
    base = train.TrainConfig(
        task="temporal_order", T=60, H=32, steps=steps, report_every=100, dtype="float32", init="orthogonal"
    )
    runs = [train.train(replace(base, cell="rnn")), train.train(replace(base, cell="leaky"))]
    step, series, summary = _curves(runs, ["rnn", "leaky"], 50)
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "teacher_forcing",
    "Noisy-sine generation (T = 30, tanh RNN H = 16): trained with teacher forcing and "
    "free running, then both run free for 60 steps after a 10-step prime",
)
def teacher_forcing(steps: int = 800):
    base = train.TrainConfig(
        task="noisy_sine",
        T=30,
        cell="rnn",
        H=16,
        steps=steps,
        lr=1e-2,
        prime=5,
        report_every=100,
        stop_when_solved=False,
    )
    runs = [train.train(base), train.train(replace(base, teacher_forcing=False))]
    step, series, summary = _curves(runs, ["teacher_forced", "free_running"], 25)
    b = tasks.noisy_sine(np.random.default_rng(12345), 256, 70, noise=0.05)
    for lab, r in zip(["teacher_forced", "free_running"], runs, strict=True):
        p = {k: v[None] for k, v in r.params.items()}
        y = generation.free_run(models.Spec("rnn"), p, b.x[None], 10)[0]
        rms = np.sqrt(np.mean((y[..., 0] - b.info["clean_next"]) ** 2, axis=0))
        series[lab]["free_run_rms_by_step"] = [float(v) for v in rms]
        summary[lab]["free_run_rms_after_prime"] = float(np.sqrt(np.mean(rms[10:] ** 2)))
    return {
        "settings": [_cfg_dict(r.config) for r in runs],
        "step": step,
        "series": series,
        "summary": summary,
    }


@experiment(
    "esn_memory",
    "Echo state network (H = 50, input scale 0.1): memory capacity against spectral radius, "
    "and r^2 of the delayed-copy readout against the delay at radius 0.9",
)
def esn_memory():
    rhos = [0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.5]
    mc = esn.memory_capacity_curve(rhos, H=50, seed=0)
    res = esn.make_reservoir(50, 1, 0.9, np.random.default_rng(1), input_scale=0.1)
    delays = list(range(1, 101))
    r2 = esn.delay_r2(res, delays, np.random.default_rng(2), T_train=2000, T_test=1000, washout=150)
    return {
        "settings": {"H": 50, "input_scale": 0.1, "density": 0.1, "ridge": 1e-6},
        "step": delays,
        "series": {
            "mc_vs_rho": {"rho": rhos, "mc": [float(v) for v in mc]},
            "r2_vs_delay_rho_0.9": {"delay": delays, "r2": [float(v) for v in r2]},
        },
        "summary": {"mc_max": float(mc.max()), "rho_at_mc_max": rhos[int(np.argmax(mc))]},
    }


@experiment(
    "hessian_free",
    "Hessian-free (Martens & Sutskever 2011) on a tanh RNN (H = 16) on the adding problem "
    "at T = 30, 500 fixed sequences: Levenberg-Marquardt damping alone and with structural "
    "damping (mu = 1)",
)
def hessian_free(steps: int = 40):
    from gradcore import hf

    out_series, summary, settings = {}, {}, []
    for lab, mu in (("lm_damping", 0.0), ("structural_damping", 1.0)):
        cfg = hf.HFConfig(task="adding", T=30, H=16, batch=500, steps=steps, cg_iters=50, struct=mu)
        r = hf.hf_train(cfg)
        out_series[lab] = {k: [float(v) for v in r.history[k]] for k in ("loss", "lambda", "rho", "cg_iters")}
        summary[lab] = {
            "final_loss": r.history["loss"][-1],
            "test_error": r.test_error,
            "cg_products": int(sum(r.history["cg_iters"])),
        }
        settings.append(asdict(cfg))
    return {"settings": settings, "step": list(range(1, steps + 1)), "series": out_series, "summary": summary}


# ---------------------------------------------------------------------------------------
def _round(obj, sig: int = 7):
    """Every float to `sig` significant digits (keeps the recorded files small; still exact
    to reproduce, since the rounding is part of the record)."""
    if isinstance(obj, float):
        return float(f"{obj:.{sig}g}") if np.isfinite(obj) else obj
    if isinstance(obj, dict):
        return {k: _round(v, sig) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_round(v, sig) for v in obj]
    return obj


def run(name: str, **kw) -> dict:
    """Run experiment `name` and return its record (no file written), floats to 7 digits."""
    try:
        fn, desc = EXPERIMENTS[name]
    except KeyError:
        raise ValueError(f"unknown experiment {name!r}; expected one of {sorted(EXPERIMENTS)}") from None
    rec = fn(**kw)
    return _round({"name": name, "description": desc, **rec})


def _write_csv(rec: dict, path: Path):
    """Tidy rows (series, metric, index, value) for every list of numbers in the record."""
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["series", "metric", "index", "value"])
        for lab, metrics in sorted(rec["series"].items()):
            for metric, values in sorted(metrics.items()):
                for i, v in enumerate(values):
                    w.writerow([lab, metric, i, repr(v)])


def write(rec: dict, out: Path):
    """The record as JSON at `out` and as tidy CSV beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rec, indent=None, sort_keys=True, separators=(",", ":")) + "\n")
    _write_csv(rec, out.with_suffix(".csv"))
