"""Engine benchmarks: LSTM forward+backward vs torch.nn.LSTM, Jacobian-product norms, attribution.

    python bench/bench_engine.py [--repeats 7] [--threads N] [--quick]

Prints a markdown table of medians (seconds). Not a timed assert: budgets are printed beside
the numbers. torch is optional (the comparison is skipped without it); both libraries are set
to the same BLAS thread count, printed in the header.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from gradcore import attribution, gru, init, jacobians, lstm, rnn  # noqa: E402

try:  # optional: only for the comparison column
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None


def _openblas():
    """numpy's bundled OpenBLAS, to read and set its thread count without threadpoolctl."""
    libdir = Path(np.__file__).resolve().parent.parent / "numpy.libs"
    for path in glob.glob(str(libdir / "libscipy_openblas*.so")) + glob.glob(str(libdir / "libopenblas*.so")):
        lib = ctypes.CDLL(path)
        for get, set_ in (
            ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
            ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
            ("openblas_get_num_threads", "openblas_set_num_threads"),
        ):
            if hasattr(lib, get) and hasattr(lib, set_):
                return getattr(lib, get), getattr(lib, set_)
    return None


def numpy_threads(n: int | None = None) -> int | None:
    """Set (if n) and return numpy's BLAS thread count; None when it cannot be read."""
    ob = _openblas()
    if ob is None:
        return None
    get, set_ = ob
    if n is not None:
        set_(ctypes.c_int(n))
    return int(get())


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def bench_lstm(T, N, H, D, dtype, repeats):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, T, D)).astype(dtype)
    h0 = np.zeros((N, H), dtype=dtype)
    Wx = (rng.standard_normal((D, 4 * H)) / np.sqrt(D)).astype(dtype)
    Wh = (rng.standard_normal((H, 4 * H)) / np.sqrt(H)).astype(dtype)
    b = np.zeros(4 * H, dtype=dtype)
    dh = rng.standard_normal((N, T, H)).astype(dtype)

    def ours():
        h, cache = lstm.forward(x, h0, Wx, Wh, b)
        return lstm.backward(dh, cache)

    h, _ = lstm.forward(x, h0, Wx, Wh, b)
    assert h.dtype == dtype, f"lstm.forward returned {h.dtype} for {dtype} inputs"
    t_ours = median_time(ours, repeats)
    t_torch = None
    if torch is not None:
        tdt = torch.float64 if dtype == np.float64 else torch.float32
        m = torch.nn.LSTM(D, H, batch_first=True).to(tdt)
        xt = torch.from_numpy(x).requires_grad_(True)  # ours returns dx too
        dht = torch.from_numpy(dh)
        z = torch.zeros(1, N, H, dtype=tdt)

        def theirs():
            m.zero_grad(set_to_none=True)
            xt.grad = None
            out, _ = m(xt, (z, z))
            out.backward(dht)

        t_torch = median_time(theirs, repeats)
    return t_ours, t_torch


def bench_jacobians(T, H, repeats):
    rng = np.random.default_rng(1)
    Wh = init.gaussian_spectral_radius(H, 1.0, rng)
    x = rng.standard_normal((1, T, 4))
    h, cache = rnn.forward(x, np.zeros((1, H)), rng.standard_normal((4, H)) * 0.5, Wh, np.zeros(H), "tanh")
    t_all = median_time(lambda: jacobians.rnn_product_norms(cache), repeats)
    t_fro = median_time(lambda: jacobians.rnn_product_norms(cache, spectral=False), repeats)
    WhT = np.ascontiguousarray(Wh.T)

    def floor():
        P = np.eye(H)
        for _ in range(T):
            P = P @ WhT
        return P

    t_floor = median_time(floor, repeats)
    # the exact reference cost: one SVD per k
    Ps = rng.standard_normal((min(T, 100), H, H))
    t_svd = median_time(lambda: [np.linalg.norm(P, 2) for P in Ps], max(1, repeats // 2)) * T / len(Ps)
    return t_all, t_fro, t_floor, t_svd


def bench_attribution(T, H, D, repeats):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, T, D))
    out = {}
    for name, mod, G in (("rnn", rnn, 1), ("lstm", lstm, 4), ("gru", gru, 3)):
        Wx = rng.standard_normal((D, G * H)) / np.sqrt(D)
        Wh = rng.standard_normal((H, G * H)) / np.sqrt(H)
        h, cache = mod.forward(x, np.zeros((1, H)), Wx, Wh, np.zeros(G * H))
        dh = rng.standard_normal(h.shape)
        out[name] = median_time(lambda dh=dh, cache=cache: attribution.attribution(dh, cache), repeats)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument(
        "--threads", type=int, default=None, help="BLAS threads for numpy and torch (default: numpy's)"
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 repeats, small sizes")
    args = ap.parse_args(argv)
    reps = 2 if args.quick else args.repeats
    threads = numpy_threads(args.threads)
    if torch is not None and threads is not None:
        torch.set_num_threads(threads)
    print(
        f"numpy {np.__version__}, BLAS threads {threads if threads is not None else 'unknown'}; "
        f"torch {torch.__version__ + f', threads {torch.get_num_threads()}' if torch is not None else 'absent'}; "
        f"cores {os.cpu_count()}, load {os.getloadavg()[0]:.2f}; medians of {reps} runs, seconds\n"
    )

    rows = [
        "| benchmark | dtype | ours (s) | torch (s) | ours / torch | budget |",
        "|---|---|---|---|---|---|",
    ]
    sizes = [(100, 32, 32, 1), (200, 32, 64, 8)] if not args.quick else [(20, 4, 8, 1)]
    for T, N, H, D in sizes:
        for dtype in (np.float64, np.float32):
            t_o, t_t = bench_lstm(T, N, H, D, dtype, reps)
            ratio = f"{t_o / t_t:.2f}" if t_t else "n/a"
            tt = f"{t_t:.4f}" if t_t else "n/a"
            rows.append(
                f"| LSTM fwd+bwd T={T} N={N} H={H} D={D} | {np.dtype(dtype).name} | {t_o:.4f} | {tt} | "
                f"{ratio} | <= torch |"
            )
    T, H = (1000, 128) if not args.quick else (50, 16)
    t_all, t_fro, t_floor, t_svd = bench_jacobians(T, H, reps)
    rows.append(
        f"| RNN product norms, spectral+Frobenius, every k, T={T} H={H} | float64 | {t_all:.3f} | | | 1.5 s |"
    )
    rows.append(f"| same, Frobenius only | float64 | {t_fro:.3f} | | | |")
    rows.append(f"| floor: {T} bare HxH matmuls | float64 | {t_floor:.3f} | | | |")
    rows.append(f"| reference: one SVD per k (extrapolated) | float64 | {t_svd:.3f} | | | |")
    T, H = (200, 64) if not args.quick else (30, 8)
    for name, t in bench_attribution(T, H, 8, reps).items():
        rows.append(f"| attribution table {name.upper()} T={T} H={H} N=1 D=8 | float64 | {t:.3f} | | | 1 s |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
