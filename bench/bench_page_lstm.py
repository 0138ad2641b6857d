"""Render times of the LSTM page through AppTest: cold (empty cache), rerun (warm), and the largest settings.

Budgets (issue 5): defaults cold < 1 s and rerun < 0.3 s median; T = 500, H = 128 cold < 5 s.
Run by hand, never as a timed assert:  python bench/bench_page_lstm.py [--reruns 9]
"cold" clears st.cache_data but keeps Python's imports warm (a server process has them loaded);
the first run of the process is reported separately as "first run (imports too)".
Also prints the engine-only cost of the largest settings, step by step.
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PAGE = "pages/lstm_cell_state.py"
LARGEST = {"T": "500", "H": "128", "fbias": "-3", "cmp": "GRU"}


def _app(query=None):
    from helpers import new_app

    return new_app(PAGE, query)


def _timed_run(at) -> float:
    t0 = time.perf_counter()
    at.run()
    dt = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(at.exception[0].value)
    return dt


def page_times(reruns: int) -> list[tuple[str, float]]:
    import streamlit as st

    rows = [("first run (imports too)", _timed_run(_app()))]
    colds = []
    for _ in range(3):
        st.cache_data.clear()
        colds.append(_timed_run(_app()))
    rows.append(("defaults cold, median of 3 (cache cleared)", statistics.median(colds)))
    at = _app()
    at.run()
    warm = [_timed_run(at) for _ in range(reruns)]
    rows.append((f"defaults rerun, median of {reruns}", statistics.median(warm)))
    st.cache_data.clear()
    rows.append(("T=500 H=128 b_f=-3 GRU cold", _timed_run(_app(LARGEST))))
    return rows


def engine_times() -> list[tuple[str, float]]:
    import numpy as np

    from gradcore import attribution, losses
    from lessons import lstm_cell_state as L

    rows = []

    def tick(name, fn):
        t0 = time.perf_counter()
        out = fn()
        rows.append((f"engine: {name}", time.perf_counter() - t0))
        return out

    p = tick("make_problem", lambda: L.make_problem(500, 128, 8, -3.0, 0.9, 1.0, 0))
    h, c = tick("lstm.forward", lambda: L.run_cell("LSTM", p))
    hg, cg = tick("gru.forward", lambda: L.run_cell("GRU", p))
    dh = losses.softmax_cross_entropy(h, p.Wy, np.zeros(L.V), p.targets).dh
    dhg = losses.softmax_cross_entropy(hg, p.Wy, np.zeros(L.V), p.targets).dh
    tick("attribution LSTM (T x T)", lambda: attribution.attribution(dh, c))
    tick("attribution GRU (T x T)", lambda: attribution.attribution(dhg, cg))
    tick("path norms LSTM + GRU (spectral)", lambda: L.paths(c, "GRU", cg))
    tick(
        "finite-difference checks",
        lambda: (
            L.fd_check_dWx(p, 500),
            L.fd_check_dc(p, 500, [499, 498]),
            [L.fd_check_component(p, 500, k) for k in (500, 499, 498)],
        ),
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reruns", type=int, default=9)
    args = ap.parse_args()
    rows = page_times(args.reruns) + engine_times()
    print("| what | seconds |\n|---|---|")
    for name, dt in rows:
        print(f"| {name} | {dt:.3f} |")


if __name__ == "__main__":
    main()
