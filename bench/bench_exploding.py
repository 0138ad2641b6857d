"""Exploding-gradients page timings against issue 6's budgets (printed, never asserted).

1. gradcore.cliff.surface at 200 x 200 (w, b) points x 50 steps, loss and exact BPTT gradient.
   Budget < 1 s. Median of a few runs after one warm-up.
2. The page through AppTest at default settings: cold first run (empty caches: every engine
   call and every chart spec) and the median rerun (caches warm). Budget for the rerun < 0.3 s.
3. For reference: the engine calls behind the page's cold run, one by one.

Run: python bench/bench_exploding.py [--reruns N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from app_env import as_the_app_runs  # noqa: E402  (bench/ is the script's directory)

as_the_app_runs()  # one BLAS thread, no chart-spec validation: as the server runs
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from gradcore import cliff  # noqa: E402

PAGE = "pages/exploding.py"


def _median_time(fn, repeats: int) -> tuple[float, list[float]]:
    fn()  # warm-up (imports, allocator)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def surface_time(repeats: int = 5) -> None:
    med, times = _median_time(lambda: cliff.surface(n_w=200, n_b=200, steps=50), repeats)
    s = cliff.surface(n_w=200, n_b=200, steps=50)
    assert np.all(np.isfinite(s.loss)) and np.all(np.isfinite(s.grad_norm))
    print(
        f"cliff.surface 200 x 200 x 50 steps (loss + BPTT gradient): median {med * 1e3:.1f} ms "
        f"over {repeats} runs (min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}); budget 1000 ms"
    )


def engine_times() -> None:
    t0 = time.perf_counter()
    for mode in cliff.CLIP_MODES:
        cliff.descend(4.4, -2.2, lr=0.2, n_steps=100, mode=mode, threshold=1.0)
    t1 = time.perf_counter()
    cliff.fixed_points(5.0, np.linspace(-6.0, 0.0, 601))
    t2 = time.perf_counter()
    print(
        f"cliff.descend x 3 modes x 100 steps: {(t1 - t0) * 1e3:.1f} ms; "
        f"cliff.fixed_points 601 b values: {(t2 - t1) * 1e3:.1f} ms"
    )


def page_times(reruns: int = 9) -> None:
    from helpers import new_app

    at = new_app(PAGE)
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    times = []
    for _ in range(reruns):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    print(f"page cold run (AppTest, empty caches): {cold:.2f} s")
    print(
        f"page rerun at defaults (AppTest, caches warm): median {statistics.median(times) * 1e3:.0f} ms "
        f"over {reruns} (min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}); budget 300 ms"
    )


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reruns", type=int, default=9)
    args = ap.parse_args()
    surface_time()
    engine_times()
    page_times(args.reruns)
