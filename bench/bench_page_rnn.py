"""Render times of the RNN vanishing page (AppTest), by hand: python bench/bench_page_rnn.py [--quick].

- cold: a fresh AppTest session at the defaults (T = 50, H = 32) after st.cache_data.clear(),
  in a process that has already imported streamlit, numpy and the page's modules once;
- rerun: median over control changes to values not seen before (scale, act, seed, t), so
  every rerun recomputes;
- large: T = 1000, H = 256 from a cold cache.
Wall-clock seconds; the box is shared, so run it when it is quiet. Never a timed assert.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import streamlit as st  # noqa: E402
from conftest import new_app  # noqa: E402

PAGE = "pages/rnn_vanishing.py"


def timed_run(at, **kw) -> float:
    t0 = time.perf_counter()
    at.run(**kw)
    dt = time.perf_counter() - t0
    assert not at.exception, [e.value for e in at.exception]
    return dt


def main(quick: bool = False) -> None:
    warm = new_app(PAGE)
    warm.run()  # imports and first-run costs, not counted
    st.cache_data.clear()
    cold = timed_run(new_app(PAGE))
    print(f"cold render at defaults (T=50, H=32): {cold:.3f} s")

    at = new_app(PAGE)
    at.run()
    changes = [("slider", "scale", v) for v in (0.85, 0.95, 1.05, 1.15, 1.25)]
    changes += [("selectbox", "act", a) for a in ("sigmoid", "relu", "linear", "tanh")]
    changes += [("number_input", "seed", s) for s in (11, 12, 13)] + [("slider", "t", t) for t in (10, 20, 30)]
    times = []
    for kind, key, value in changes[: 6 if quick else None]:
        getattr(at, kind)(key=key).set_value(value)
        times.append(timed_run(at))
    print(f"rerun after a control change: median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, n = {len(times)})")

    st.cache_data.clear()
    big = new_app(PAGE, query={"T": "1000", "H": "256"})
    print(f"T=1000, H=256 cold: {timed_run(big, timeout=120):.3f} s")


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
