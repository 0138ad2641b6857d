"""Chart spec cost: one log_line chart built by Altair and turned into the dict ui.cached_chart keeps.

    python bench/bench_charts.py            # medians, and the ratio to a fixed reference piece of work

Prints the median seconds of (a) building the Altair chart, (b) chart_spec (Altair's to_dict without
schema validation, as the app runs), (c) both, over --repeats runs, and the same reference work as
bench/load_test.py machine_speed() so two trees or two machines compare through the ratio.
Run it in two checkouts to compare code (e.g. with and without the Altair patches of c465971).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("CHECK_CHART_SPECS", "0")  # as the app runs


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=200)
    a = ap.parse_args()
    import numpy as np
    import pandas as pd
    from load_test import machine_speed

    from ui import charts, show

    k = np.arange(50)
    df = pd.concat(
        [
            pd.DataFrame({"k": k, "norm": 0.9**k * s, "series": name})
            for s, name in ((1, "RNN"), (0.5, "bound"))
        ]
    )
    build, spec, both = [], [], []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        c = charts.log_line(df, "k", "norm", "series", x_title="T - k", y_title="norm", dashed=["bound"])
        t1 = time.perf_counter()
        show.chart_spec(c, lecture=False)
        t2 = time.perf_counter()
        build.append(t1 - t0)
        spec.append(t2 - t1)
        both.append(t2 - t0)
    ref = machine_speed()
    med = {name: statistics.median(v) for name, v in (("build", build), ("spec", spec), ("both", both))}
    print(
        json.dumps(
            {
                "median_ms": {k: round(v * 1e3, 2) for k, v in med.items()},
                "reference_work_s": ref["reference_work_s"],
                "both_per_reference": round(med["both"] / ref["reference_work_s"], 4),
                "altair": __import__("altair").__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
