"""Render times of the pages through AppTest, by hand: python bench/bench_page_rnn.py [--quick] [--warm PAGE ...].

Default (the RNN vanishing page):
- cold: a fresh AppTest session at the defaults (T = 50, H = 32) after st.cache_data.clear(),
  in a process that has already imported streamlit, numpy and the page's modules once;
- warm rerun: median over control changes that alternate between two values already seen
  (both cached): the cost of a rerun itself (script, chart specs, protobufs), issue 4's
  "rerun after a control change, cache warm";
- uncached rerun: median over control changes to values not seen before (scale, act, seed,
  t), so every rerun recomputes;
- large: T = 1000, H = 256 from a cold cache.

--warm PAGE [PAGE ...]: only the warm-rerun median of the named pages (rnn, lstm, exploding,
start), each with a reference: the median time of a fixed pure-Python loop, timed
alternately with the reruns, so a loaded machine shows in both numbers (compare ratios).
Wall-clock seconds; the box is shared, so run it when it is quiet. Never a timed assert.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
from app_env import as_the_app_runs  # noqa: E402  (bench/ is the script's directory)

as_the_app_runs()  # one BLAS thread, no chart-spec validation: as the server runs
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import streamlit as st  # noqa: E402
from helpers import new_app  # noqa: E402

PAGE = "pages/rnn_vanishing.py"
# page -> (widget kind, key, two values) toggled for the warm rerun
WARM = {
    "rnn": ("pages/rnn_vanishing.py", "slider", "scale", (0.9, 1.0)),
    "lstm": ("pages/lstm_cell_state.py", "slider", "fbias", (1.0, 1.5)),
    "exploding": ("pages/exploding.py", "slider", "scale", (1.5, 1.6)),
    "start": ("pages/start.py", "slider", "start_T", (100, 105)),
}


def timed_run(at, **kw) -> float:
    t0 = time.perf_counter()
    at.run(**kw)
    dt = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    return dt


def reference() -> float:
    """Seconds for a fixed CPU-bound loop (no I/O, no NumPy): the machine's speed right now."""
    t0 = time.perf_counter()
    sum(i * i for i in range(300_000))
    return time.perf_counter() - t0


def warm_reruns(name: str, n: int = 12) -> tuple[float, float]:
    """(median warm rerun of the page, median of the reference loop timed in between)."""
    page, kind, key, values = WARM[name]
    key = _page_key(page, key)
    at = new_app(page)
    at.run()
    for v in values:
        getattr(at, kind)(key=key).set_value(v)
        timed_run(at)
    times, refs = [], []
    for i in range(n):
        getattr(at, kind)(key=key).set_value(values[i % 2])
        times.append(timed_run(at))
        refs.append(reference())
    return statistics.median(times), statistics.median(refs)


def _page_key(page: str, key: str) -> str:
    """The URL key of a control on this page (keys may be page-prefixed, see ui.controls)."""
    try:
        from ui.controls import page_key
    except ImportError:
        return key
    return page_key(page, key)


def main(quick: bool = False) -> None:
    warm = new_app(PAGE)
    warm.run()  # imports and first-run costs, not counted
    st.cache_data.clear()
    cold = timed_run(new_app(PAGE))
    print(f"cold render at defaults (T=50, H=32): {cold:.3f} s")

    med, ref = warm_reruns("rnn", 6 if quick else 12)
    print(f"rerun after a control change, cache warm: median {med:.3f} s (reference loop {ref:.3f} s)")

    at = new_app(PAGE)
    at.run()
    changes = [("slider", "scale", v) for v in (0.85, 0.95, 1.05, 1.15, 1.25)]
    changes += [("selectbox", "act", a) for a in ("sigmoid", "relu", "linear", "tanh")]
    changes += [("number_input", "seed", s) for s in (11, 12, 13)] + [
        ("slider", "t", t) for t in (10, 20, 30)
    ]
    times = []
    for kind, key, value in changes[: 6 if quick else None]:
        getattr(at, kind)(key=_page_key(PAGE, key)).set_value(value)
        times.append(timed_run(at))
    print(
        f"rerun after a control change to a new value (recomputes): median {statistics.median(times):.3f} s "
        f"(min {min(times):.3f}, max {max(times):.3f}, n = {len(times)})"
    )

    st.cache_data.clear()
    big = new_app(PAGE, query={"T": "1000", "H": "256"})
    print(f"T=1000, H=256 cold: {timed_run(big, timeout=120):.3f} s")


if __name__ == "__main__":
    if "--warm" in sys.argv:
        names = [a for a in sys.argv[sys.argv.index("--warm") + 1 :] if not a.startswith("-")] or list(WARM)
        new_app("pages/start.py").run()  # imports, not counted
        for name in names:
            med, ref = warm_reruns(name)
            print(
                f"{name:10s} warm rerun median {med:.3f} s   reference loop {ref:.3f} s   "
                f"ratio {med / ref:.2f}"
            )
    else:
        main(quick="--quick" in sys.argv)
