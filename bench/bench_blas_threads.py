"""Does OpenBLAS's thread pool hurt when several sessions compute at once? (one process, threads)

The Streamlit server runs every session's script in a thread of one process, so K students
moving sliders at once means K threads calling NumPy/OpenBLAS together. This runs the RNN
page's uncached computation (lessons.rnn_vanishing.compute at T, H (default: the page's 50, 32), a new seed
per call, as a cache miss would) from K threads at once, in a fresh process per
OPENBLAS_NUM_THREADS setting (it must be set before NumPy is imported), and prints the median
and max seconds per call.

    python bench/bench_blas_threads.py                 # threads 1 vs 2, K = 1, 4, 8
    python bench/bench_blas_threads.py --calls 4 --k 1 8 --blas 1 2 --json bench/results/blas_threads.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(k: int, calls: int, T: int, H: int) -> dict:
    """In this process: K threads, each `calls` computations; seconds per call."""
    import threading

    sys.path.insert(0, str(ROOT))
    import numpy as np

    from lessons import rnn_vanishing as L

    with np.errstate(all="ignore"):
        L.compute(50, 32, "tanh", "gaussian_radius", 1.0, 1.0, 999)  # warm imports
    times: list[float] = []
    lock = threading.Lock()

    def one(i: int) -> None:
        for c in range(calls):
            t0 = time.perf_counter()
            with np.errstate(all="ignore"):
                L.compute(T, H, "tanh", "gaussian_radius", 1.0, 1.0, 1000 * i + c)
            with lock:
                times.append(time.perf_counter() - t0)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(k)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {
        "k": k,
        "calls": k * calls,
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "wall_s": round(wall, 2),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--k", type=int, nargs="+", default=[1, 4, 8])
    ap.add_argument("--blas", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--json", default=None)
    ap.add_argument("--T", type=int, default=50)
    ap.add_argument("--H", type=int, default=32)
    ap.add_argument("--worker", nargs=4, type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.worker:
        print(json.dumps(worker(*a.worker)))
        return 0
    rows = []
    for blas in a.blas:
        env = dict(
            os.environ, OPENBLAS_NUM_THREADS=str(blas), OMP_NUM_THREADS=str(blas), MKL_NUM_THREADS=str(blas)
        )
        for k in a.k:
            out = (
                subprocess.run(
                    [sys.executable, __file__, "--worker", str(k), str(a.calls), str(a.T), str(a.H)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            row = {"blas_threads": blas, "T": a.T, "H": a.H, **json.loads(out)}
            rows.append(row)
            print(row, flush=True)
    if a.json:
        res = {
            "command": "python bench/bench_blas_threads.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
            "cpus": os.cpu_count(),
            "loadavg_at_end": os.getloadavg(),
            "rows": rows,
        }
        Path(a.json).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
