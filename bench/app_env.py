"""Time the app as it runs: call as_the_app_runs() before NumPy or the app's modules load.

- one BLAS thread, as app.py sets for the server (OpenBLAS's 2 threads stall on small
  matrices when anything else runs; see bench/results/blas_threads.json);
- the float32 kernels pinned as app.py pins them (gradcore/kernels.py);
- only a page's open section drawn (tests/conftest.py new_app draws all of them for the tests);
- no Altair schema validation of chart specs, as in the app (ui/show.py VALIDATE_SPECS); the
  tests' conftest, which the page benches import for AppTest, turns it on otherwise.
"""
from __future__ import annotations

import os


def as_the_app_runs() -> None:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    os.environ.setdefault("CHECK_CHART_SPECS", "0")
    os.environ.setdefault("GRADFLOW_TEST_EAGER", "0")  # AppTest runs only the open section, as the server does
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    import gradcore  # noqa: F401  (before NumPy loads: the app's pinned float32 kernels)
