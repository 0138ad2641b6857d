"""Training benchmarks (run by hand; never timed asserts). Medians (and minima, which are
robust to other processes on a shared machine) of short repeated runs.

    python bench/bench_train.py            # everything: about 3 minutes on 2 cores
    python bench/bench_train.py --quick    # per-iteration times, ensemble ratio, ESN fit only
    python bench/bench_train.py --json results/bench_train.json
    python bench/bench_train.py --scaling  # ensemble cost against M

1. Time to solve Hochreiter's adding problem at T = 50 (LSTM H = 32, Adam 3e-3, batch 32,
   clip 1, forget bias 1; under 1 % wrong on 2,560 fresh sequences), and the tanh RNN's
   result with the same recipe and the same 60 s budget.
2. Time per training iteration against the same loop in torch (CPU, same model, optimiser,
   batch, sizes, one thread each) when torch is installed.
3. A batched ensemble of 8 runs against one run of the same shape.
4. Echo state network fit, T = 1000, reservoir 200.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one core each: fair against torch with 1 thread
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from gradcore import esn, train  # noqa: E402


def _timed(step, n: int, repeats: int, warm: int = 5) -> dict:
    """Wall and process-CPU seconds per call: median and min over n calls x repeats. CPU time is
    less sensitive to other processes on a shared machine than wall time."""
    wall, cpu = [], []
    for _ in range(repeats):
        for _ in range(warm):
            step()
        for _ in range(n):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            wall.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return {
        "median_s": float(np.median(wall)),
        "min_s": float(np.min(wall)),
        "cpu_median_s": float(np.median(cpu)),
    }


def per_iteration(
    cell: str,
    dtype: str,
    M: int = 1,
    T: int = 50,
    H: int = 32,
    batch: int = 32,
    n: int = 40,
    repeats: int = 3,
) -> dict:
    """Seconds per update of M models (after 5 warm-up steps)."""
    cfgs = train.ensemble_over(
        train.TrainConfig(cell=cell, dtype=dtype, T=T, H=H, batch=batch, stop_when_solved=False),
        seed=list(range(M)),
    )
    st = train.Stepper(cfgs)
    return _timed(st.step, n, repeats)


def torch_per_iteration(
    cell: str,
    T: int = 50,
    H: int = 32,
    batch: int = 32,
    n: int = 40,
    repeats: int = 3,
    dtype: str = "float32",
):
    """The same loop in torch: adding-problem batch from gradcore.tasks, nn.LSTM / nn.RNN, MSE at
    the last step, clip_grad_norm_(1), Adam(3e-3). Data generation is inside the timed step, as in ours."""
    try:
        import torch
    except ImportError:
        return None
    from gradcore.tasks import adding

    torch.set_num_threads(1)
    torch.manual_seed(0)
    tdt = getattr(torch, dtype)
    rnn = {"lstm": torch.nn.LSTM, "rnn": torch.nn.RNN, "gru": torch.nn.GRU}[cell](2, H, batch_first=True).to(
        tdt
    )
    head = torch.nn.Linear(H, 1).to(tdt)
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    rng = np.random.default_rng(0)

    def step():
        b = adding(rng, batch, T)
        x = torch.from_numpy(b.x.astype(dtype))
        y = torch.from_numpy(b.y[:, -1].astype(dtype))
        out, _ = rnn(x)
        loss = ((head(out[:, -1]) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return _timed(step, n, repeats)


def time_to_solve(
    cell: str, T: int = 50, budget_s: float = 60.0, dtype: str = "float32", seed: int = 0
) -> dict:
    cfg = train.TrainConfig(cell=cell, T=T, dtype=dtype, seed=seed, steps=10**7, report_every=100)
    r = train.train(cfg, lambda p: p.elapsed < budget_s)
    return {
        "cell": cell,
        "T": T,
        "dtype": dtype,
        "seed": seed,
        "solved_step": r.solved_step,
        "sequences_seen": r.sequences_seen,
        "steps_run": r.steps,
        "seconds": r.elapsed,
        "last_official_error": r.final_error,
        "train_batch_accuracy_last_500": float(np.mean(r.history["accuracy"][-500:])),
        "loss_last_500": float(np.mean(r.history["loss"][-500:])),
    }


def esn_fit_time(repeats: int = 5) -> dict:
    rng = np.random.default_rng(0)
    res = esn.make_reservoir(200, 1, 0.9, rng, input_scale=0.1)
    u = rng.uniform(-0.5, 0.5, size=(1000, 1))
    target = np.concatenate([np.zeros((5, 1)), u[:-5]])
    return _timed(
        lambda: esn.fit_readout(esn.run(res, u), target, ridge=1e-6, washout=100), repeats, 1, warm=1
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument(
        "--scaling",
        action="store_true",
        help="only the cost of M = 1, 2, 4, 8 batched LSTMs (T = 50, H = 32, batch 32) against one",
    )
    a = ap.parse_args(argv)
    out: dict = {"machine_load_1min": os.getloadavg()[0]}
    if a.scaling:
        # interleaved rounds, each M's median over rounds, so machine noise hits every M alike
        rounds = {M: [] for M in (1, 2, 4, 8)}
        for _ in range(3):
            for M in rounds:
                rounds[M].append(per_iteration("lstm", "float32", M=M, repeats=1)["cpu_median_s"])
        base = float(np.median(rounds[1]))
        for M, ts in rounds.items():
            t = float(np.median(ts))
            print(
                f"M = {M}: {t * 1e3:.2f} ms per update (CPU), {t / base:.2f}x one model, "
                f"{t / base / M:.2f} per model",
                flush=True,
            )
        return 0
    for cell in ("lstm", "rnn"):
        for dtype in ("float32", "float64"):
            out[f"iter_{cell}_{dtype}"] = per_iteration(cell, dtype)
            print(f"{cell} {dtype} per iteration: {out[f'iter_{cell}_{dtype}']}", flush=True)
        tt = torch_per_iteration(cell)
        out[f"iter_{cell}_torch_float32"] = tt
        print(f"{cell} torch float32 per iteration: {tt}", flush=True)
    for shape in ({"T": 50, "H": 32, "batch": 32}, {"T": 30, "H": 16, "batch": 16}):
        one = per_iteration("lstm", "float32", M=1, **shape)
        eight = per_iteration("lstm", "float32", M=8, **shape)
        key = "ensemble_T{T}_H{H}_N{batch}".format(**shape)
        out[key] = {
            "one": one,
            "eight": eight,
            "ratio_median": eight["median_s"] / one["median_s"],
            "ratio_min": eight["min_s"] / one["min_s"],
            "ratio_cpu": eight["cpu_median_s"] / one["cpu_median_s"],
        }
        print(
            f"{key}: 8 models / 1 model = {out[key]['ratio_median']:.2f} (median wall), "
            f"{out[key]['ratio_min']:.2f} (min wall), {out[key]['ratio_cpu']:.2f} (cpu)",
            flush=True,
        )
    out["esn_fit_T1000_H200"] = esn_fit_time()
    print(f"ESN fit T=1000 H=200: {out['esn_fit_T1000_H200']}", flush=True)
    if not a.quick:
        out["solve_lstm_T50"] = time_to_solve("lstm")
        print(f"LSTM T=50: {out['solve_lstm_T50']}", flush=True)
        out["solve_rnn_T50"] = time_to_solve("rnn")
        print(f"tanh RNN T=50 (60 s budget): {out['solve_rnn_T50']}", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
