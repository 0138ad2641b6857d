"""Training throughput against torch (issue 16), run by hand; never timed asserts.

    python bench/bench_throughput.py                 # all four parts, about 8 minutes on 2 cores
    python bench/bench_throughput.py --part cells    # 1: float32 forward+backward vs torch
    python bench/bench_throughput.py --part ensemble # 2: 8 models against one
    python bench/bench_throughput.py --part budget   # 3: seconds per 100,000 training sequences
    python bench/bench_throughput.py --part profile  # 4: one LSTM step, call by call
    python bench/bench_throughput.py --json bench/results/throughput.json

One thread for both libraries: the kernels are pinned before NumPy loads (serve.kernels.pin(), as
app.py and the record commands do: one OpenBLAS thread, AVX2 kernels), and torch.set_num_threads(1).
Every ratio is measured in this process with ours and torch's timings interleaved (round r runs
ours then theirs), and each side's median over all rounds: a shared machine's load hits both alike.

1. cells: forward + backward of LSTM, GRU and tanh RNN, float32, (T, N, H, D) in SIZES, for the
   teaching cells (gradcore.lstm / gru / rnn: forward then backward, dx included, as torch's
   input gradient) and for the training engine (gradcore.models, M = 1: weight gradients only,
   as torch without an input gradient). The upstream gradient is a random dL/dh_t at every step.
   NB: torch's nn.GRU is not Cho's GRU (gradcore.gru: r before the recurrent matmul); the
   arithmetic per step is the same, so the time comparison holds.
2. ensemble: one training update (gradcore.train.Stepper.step: sample, forward, backward, head,
   clip, Adam, criterion) of M = 8 LSTMs against M = 1 at (T, H, N) = (50, 32, 32) and (30, 16, 16).
3. budget: seconds per 100,000 training sequences of the lab's LSTM recipe (Adam 3e-3, batch 32,
   clip by norm 1, float32) on adding (T = 100, H = 32) and temporal order (T = 200, H = 50), one
   model and an ensemble of 5 seeds (time for each of the 5 to see 100,000 sequences), beside the
   same loop in torch (the same batches from gradcore.tasks, nn.LSTM, Adam, clip_grad_norm_).
4. profile (--part profile): every NumPy call of one LSTM step (forward and backward), timed
   alone on slabs of the step's shapes, beside the measured cost per step.

Where the limits are (measured with --part profile on this 2-core machine, pinned AVX2 kernels;
the numbers move with the machine's load, the proportions less):
- One LSTM step at N = 32, H = 32 is about 18 NumPy calls, 58-63 us in all, and not Python overhead:
  the two matmuls (4-6 us each), tanh over 4H (7 us: NumPy's float32 tanh is ~1.5 ns an element
  with AVX2) and the calls on one gate's columns (a (N, H) slice of an (N, 4H) row is 32 short
  rows, 2.5-3 us a call against 0.8 us for a contiguous slab; 8 such calls a step) are most of it.
  torch's whole step is 35-48 us. A per-step floor for NumPy at this layout is therefore about
  1.2-1.7x torch; a gate-major layout (state stored (H, N), so every gate is one contiguous block)
  would save the slice penalty (~16 us a step by the profile), and only a compiled per-step kernel
  (one pass over the gates instead of ~16 calls) would go below torch.
- Ensembles: for 8 models at T = 50, H = 32, N = 32 the same calls cost 233 us a step against 63 us
  for one (3.7x): one model's step is already mostly arithmetic (matmul and tanh scale with M:
  8 x 4.4 us -> 36 us, 7 us -> 46 us), so 8 models cannot cost less than about 3.7x one in
  NumPy, and the weight gradients, copies for M > 1 and the per-model data and criterion add to it.
  At T = 30, H = 16, N = 16 the floor by the same count is 93 / 45 us = 2.1x.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from serve import kernels  # noqa: E402  (standard library only: before NumPy)

PINNED = kernels.pin()

import numpy as np  # noqa: E402

from gradcore import fused, gru, lstm, models, rnn, train  # noqa: E402

try:  # optional: only for the comparison columns
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

SIZES = [(100, 32, 32, 1), (200, 32, 64, 8), (50, 32, 128, 4)]  # (T, N, H, D)
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
CELL_MODULES = {"lstm": lstm, "gru": gru, "rnn": rnn}


def interleaved(fns: dict, rounds: int, per_round: int, warm: int = 2) -> dict:
    """{name: median seconds per call}: each round runs every fn per_round times, in turn."""
    for fn in fns.values():
        for _ in range(warm):
            fn()
    times = {k: [] for k in fns}
    for _ in range(rounds):
        for k, fn in fns.items():
            for _ in range(per_round):
                t0 = time.perf_counter()
                fn()
                times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


# ---------------------------------------------------------------------------------------
# 1. forward + backward
# ---------------------------------------------------------------------------------------
def _weights(cell, T, N, H, D, dtype, seed=0):
    rng = np.random.default_rng(seed)
    G = GATES[cell]
    x = rng.standard_normal((N, T, D)).astype(dtype)
    Wx = (rng.standard_normal((D, G * H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, G * H)) / np.sqrt(H)).astype(dtype)
    b = (0.1 * rng.standard_normal(G * H)).astype(dtype)
    dh = rng.standard_normal((N, T, H)).astype(dtype)
    return x, Wx, Wh, b, dh


def teaching_fn(cell, T, N, H, D, dtype=np.float32):
    x, Wx, Wh, b, dh = _weights(cell, T, N, H, D, dtype)
    h0 = np.zeros((N, H), dtype=dtype)
    mod = CELL_MODULES[cell]

    def run():
        h, cache = mod.forward(x, h0, Wx, Wh, b)
        return mod.backward(dh, cache)

    return run


def engine_fn(cell, T, N, H, D, dtype=np.float32, M=1):
    x, Wx, Wh, b, dh = _weights(cell, T, N, H, D, dtype)
    spec = models.Spec(cell)
    rep = lambda a: np.ascontiguousarray(np.broadcast_to(a, (M,) + a.shape))  # noqa: E731
    Wx, Wh, b, x = rep(Wx), rep(Wh), rep(b), rep(x)
    dh_m = rep(dh.transpose(1, 0, 2))  # (M, T, N, H)

    def run():
        _, cache = models.forward(spec, Wx, Wh, b, x)
        return models.backward(cache, dh_m)

    return run


def torch_fn(cell, T, N, H, D, dtype=np.float32, input_grad=True):
    if torch is None:
        return None
    x, _, _, _, dh = _weights(cell, T, N, H, D, dtype)
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    torch.manual_seed(0)
    m = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[cell](D, H, batch_first=True).to(
        tdt
    )
    xt = torch.from_numpy(x).requires_grad_(input_grad)
    dht = torch.from_numpy(dh)

    def run():
        m.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = m(xt)
        out.backward(dht)

    return run


def part_cells(rounds: int) -> dict:
    out = {}
    for T, N, H, D in SIZES:
        for cell in ("lstm", "gru", "rnn"):
            key = f"{cell}_T{T}_N{N}_H{H}_D{D}"
            fns = {"teaching": teaching_fn(cell, T, N, H, D), "engine": engine_fn(cell, T, N, H, D)}
            if torch is not None:
                fns["torch_dx"] = torch_fn(cell, T, N, H, D, input_grad=True)
                fns["torch"] = torch_fn(cell, T, N, H, D, input_grad=False)
            per = max(1, int(0.05 / max(1e-4, T * N * H * 2e-9)))
            t = interleaved(fns, rounds, min(per, 10))
            row = {k + "_s": v for k, v in t.items()}
            if torch is not None:
                row["teaching_vs_torch"] = t["teaching"] / t["torch_dx"]
                row["engine_vs_torch"] = t["engine"] / t["torch"]
            out[key] = row
            msg = f"{key:28s} teaching {t['teaching'] * 1e3:7.2f} ms  engine {t['engine'] * 1e3:7.2f} ms"
            if torch is not None:
                msg += (
                    f"  torch {t['torch_dx'] * 1e3:7.2f} / {t['torch'] * 1e3:7.2f} ms (with / without dx)"
                    f"  ratios {row['teaching_vs_torch']:.2f} / {row['engine_vs_torch']:.2f}"
                )
            print(msg, flush=True)
    return out


# ---------------------------------------------------------------------------------------
# 2. ensembles
# ---------------------------------------------------------------------------------------
def stepper_fn(M, T, H, batch, task="adding", cell="lstm", clip="norm"):
    cfg = train.TrainConfig(
        task=task, T=T, H=H, batch=batch, cell=cell, clip=clip, dtype="float32", stop_when_solved=False
    )
    st = train.Stepper(train.ensemble_over(cfg, seed=list(range(M))))
    return st.step


def part_ensemble(rounds: int) -> dict:
    out = {}
    for T, H, N in ((50, 32, 32), (30, 16, 16)):
        fns = {"one": stepper_fn(1, T, H, N), "eight": stepper_fn(8, T, H, N)}
        fns["fwd_bwd_one"] = engine_fn("lstm", T, N, H, 2, M=1)
        fns["fwd_bwd_eight"] = engine_fn("lstm", T, N, H, 2, M=8)
        t = interleaved(fns, rounds, 10)
        key = f"ensemble_T{T}_H{H}_N{N}"
        out[key] = {
            **{k + "_s": v for k, v in t.items()},
            "ratio_update": t["eight"] / t["one"],
            "ratio_fwd_bwd": t["fwd_bwd_eight"] / t["fwd_bwd_one"],
        }
        print(
            f"{key}: update {t['one'] * 1e3:.2f} ms (1) {t['eight'] * 1e3:.2f} ms (8), "
            f"{out[key]['ratio_update']:.2f}x; forward+backward alone {out[key]['ratio_fwd_bwd']:.2f}x",
            flush=True,
        )
    return out


# ---------------------------------------------------------------------------------------
# 3. seconds per 100,000 sequences
# ---------------------------------------------------------------------------------------
def torch_step_fn(task, T, H, batch, seed=0):
    if torch is None:
        return None
    from gradcore.tasks import make_task

    tk = make_task(task, T)
    torch.manual_seed(seed)
    net = torch.nn.LSTM(tk.D, H, batch_first=True)
    head = torch.nn.Linear(H, tk.V)
    params = list(net.parameters()) + list(head.parameters())
    opt = torch.optim.Adam(params, lr=3e-3)
    rng = np.random.default_rng(seed)

    def step():
        b = tk.sample(rng, batch)
        out, _ = net(torch.from_numpy(b.x.astype(np.float32)))
        z = head(out[:, -1])
        if tk.kind == "regression":
            loss = ((z - torch.from_numpy(b.y[:, -1].astype(np.float32))) ** 2).sum(-1).mean()
        else:
            loss = torch.nn.functional.cross_entropy(z, torch.from_numpy(b.y[:, -1].astype(np.int64)))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    return step


def part_budget(rounds: int) -> dict:
    out = {}
    for task, T, H in (("adding", 100, 32), ("temporal_order", 200, 50)):
        fns = {"one": stepper_fn(1, T, H, 32, task=task), "five": stepper_fn(5, T, H, 32, task=task)}
        if torch is not None:
            fns["torch"] = torch_step_fn(task, T, H, 32)
        t = interleaved(fns, rounds, 5)
        per = 100_000 / 32
        row = {
            "seconds_per_100k_one": t["one"] * per,
            "seconds_per_100k_five_seeds": t["five"] * per,
        }
        msg = (
            f"{task} T={T} H={H}: s per 100,000 sequences: one model {row['seconds_per_100k_one']:.1f}, "
            f"5 seeds {row['seconds_per_100k_five_seeds']:.1f}"
        )
        if torch is not None:
            row["torch_seconds_per_100k_one"] = t["torch"] * per
            row["torch_seconds_per_100k_five_seeds"] = 5 * t["torch"] * per
            msg += f"; torch one {row['torch_seconds_per_100k_one']:.1f}, 5 seeds one after another " + (
                f"{row['torch_seconds_per_100k_five_seeds']:.1f}"
            )
        out[f"{task}_T{T}_H{H}"] = row
        print(msg, flush=True)
    return out


# ---------------------------------------------------------------------------------------
# where the time goes: one LSTM step of the engine, call by call
# ---------------------------------------------------------------------------------------
def lstm_step_calls(M, N, H, dtype=np.float32):
    """The NumPy calls of one forward and one backward step of gradcore.models' LSTM, on slabs of
    the same shapes, as (phase, name, fn): timed one by one, their sum is the step's NumPy cost."""
    rng = np.random.default_rng(0)
    GH = 4 * H
    r = lambda *s: rng.uniform(-0.9, 0.9, size=s).astype(dtype)  # noqa: E731
    h, Wh, WhT, xa_t, tmp, full = r(M, N, H), r(M, H, GH), r(M, GH, H), r(M, N, GH), r(M, N, GH), r(M, N, GH)
    c, cn, ig, tc, hn = r(M, N, H), r(M, N, H), r(M, N, H), r(M, N, H), r(M, N, H)
    G, da = r(M, N, GH), r(M, N, GH)
    s = fused.lstm_scratch((M, N, GH), dtype)
    dh, cc = r(M, N, H), r(M, N, H)
    H2, H3 = 2 * H, 3 * H
    fwd = [
        ("h Wh (matmul)", lambda: np.matmul(h, Wh, out=tmp)),
        ("+ x Wx", lambda: np.add(xa_t, tmp, out=xa_t)),
        ("tanh, 4H", lambda: np.tanh(tmp, out=G)),
        ("scale, 4H", lambda: np.multiply(G, full, out=G)),
        ("shift, 4H", lambda: np.add(G, full, out=G)),
        ("f c", lambda: np.multiply(G[..., H:H2], c, out=cn)),
        ("i g", lambda: np.multiply(G[..., :H], G[..., H3:], out=ig)),
        ("c +=", lambda: np.add(cn, ig, out=cn)),
        ("tanh c", lambda: np.tanh(cn, out=tc)),
        ("o tanh c", lambda: np.multiply(G[..., H2:H3], tc, out=hn)),
    ]
    bwd = [
        ("dh + carry", lambda: np.add(dh, cc)),
        (
            "gate derivatives (3 calls, 4H)",
            lambda: (np.subtract(1.0, G, out=s.X), np.add(s.A, G, out=s.D), np.multiply(s.D, s.X, out=s.D)),
        ),
        (
            "dh_t/dc_t (2 calls)",
            lambda: (np.multiply(hn, tc, out=s.K), np.subtract(G[..., H2:H3], s.K, out=s.K)),
        ),
        ("dc (2 calls)", lambda: (np.multiply(dh, s.K, out=s.dc), np.add(s.dc, cc, out=s.dc))),
        (
            "X slots (4 calls)",
            lambda: (
                np.multiply(s.dc, G[..., H3:], out=s.X[..., :H]),
                np.multiply(s.dc, c, out=s.X[..., H:H2]),
                np.multiply(dh, tc, out=s.X[..., H2:H3]),
                np.multiply(s.dc, G[..., :H], out=s.X[..., H3:]),
            ),
        ),
        ("da = X D", lambda: np.multiply(s.X, s.D, out=da)),
        ("da Wh^T (matmul)", lambda: np.matmul(da, WhT)),
        ("carry_c = dc f", lambda: np.multiply(s.dc, G[..., H:H2])),
    ]
    return [("forward", n, f) for n, f in fwd] + [("backward", n, f) for n, f in bwd]


def ufunc_costs(rounds: int) -> dict:
    """ns per element of the elementwise calls a step makes, on one step's gate slab (M, N, 4H) float32:
    tanh is the call an ensemble cannot batch away (its cost is per element, like exp's: no cheaper route
    to the gates in NumPy), multiply / add are the memory-speed reference."""
    out = {}
    rng = np.random.default_rng(0)
    for M, N, H in ((1, 32, 32), (8, 32, 32)):
        g = (rng.standard_normal((M, N, 4 * H)) * 3).astype(np.float32)
        o = np.empty_like(g)
        fns = {
            "tanh": lambda g=g, o=o: np.tanh(g, out=o),
            "exp": lambda g=g, o=o: np.exp(g, out=o),
            "multiply": lambda g=g, o=o: np.multiply(g, g, out=o),
            "add": lambda g=g, o=o: np.add(g, g, out=o),
        }
        t = interleaved({k: (lambda f=f: [f() for _ in range(100)]) for k, f in fns.items()}, rounds, 3)
        out[f"M{M}_N{N}_4H{4 * H}"] = {k: v / 100 / g.size * 1e9 for k, v in t.items()}
        print(
            f"    ns per element, slab {g.shape}: "
            + ", ".join(f"{k} {v / 100 / g.size * 1e9:.2f}" for k, v in t.items())
        )
    return out


def part_profile(rounds: int) -> dict:
    out = {"ufunc_ns_per_element": ufunc_costs(rounds)}
    for M, T, N, H in ((1, 100, 32, 32), (8, 50, 32, 32), (1, 50, 32, 32), (1, 30, 16, 16), (8, 30, 16, 16)):
        calls = lstm_step_calls(M, N, H)
        per = {}
        for phase, name, fn in calls:
            for _ in range(50):
                fn()
            ts = []
            for _ in range(rounds):
                t0 = time.perf_counter()
                for _ in range(200):
                    fn()
                ts.append((time.perf_counter() - t0) / 200)
            per[f"{phase}: {name}"] = float(np.median(ts))
        total = interleaved({"step": engine_fn("lstm", T, N, H, 2, M=M)}, rounds, 5)["step"] / T
        calls_s = sum(per.values())
        key = f"M{M}_T{T}_N{N}_H{H}"
        out[key] = {
            "per_call_us": {k: v * 1e6 for k, v in per.items()},
            "numpy_calls_us_per_step": calls_s * 1e6,
            "measured_us_per_step": total * 1e6,
        }
        print(
            f"{key}: NumPy calls {calls_s * 1e6:.1f} us per step (forward + backward), measured "
            f"forward + backward {total * 1e6:.1f} us per step (incl. weight gradients, Python)",
            flush=True,
        )
        for k, v in per.items():
            print(f"    {k:45s} {v * 1e6:6.2f} us", flush=True)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=("cells", "ensemble", "budget", "profile", "all"), default="all")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json")
    ap.add_argument("--label", default="", help="a name for this run in the JSON")
    a = ap.parse_args(argv)
    head = {
        "label": a.label,
        "numpy": np.__version__,
        "torch": None if torch is None else torch.__version__,
        "threads": {"numpy_blas": os.environ.get("OPENBLAS_NUM_THREADS"), "torch": 1 if torch else None},
        "pinned": PINNED,
        "machine": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_1min": os.getloadavg()[0],
        "rounds": a.rounds,
    }
    print(json.dumps(head), flush=True)
    res = {"setup": head}
    if a.part in ("cells", "all"):
        res["cells"] = part_cells(a.rounds)
    if a.part in ("ensemble", "all"):
        res["ensemble"] = part_ensemble(a.rounds)
    if a.part in ("profile", "all"):
        res["profile"] = part_profile(a.rounds)
    if a.part in ("budget", "all"):
        res["budget"] = part_budget(max(3, a.rounds // 2))
    if a.json:
        p = Path(a.json)
        old = json.loads(p.read_text()) if p.exists() else {}
        old[a.label or "run"] = res
        p.write_text(json.dumps(old, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
