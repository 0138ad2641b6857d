"""Time the app as it runs: call as_the_app_runs() before NumPy or the app's modules load.

- one BLAS thread and the float32 kernels pinned, as app.py sets them for the server
  (serve.setup; OpenBLAS's 2 threads stall on small matrices when anything else runs:
  bench/results/blas_threads.json);
- only a page's open section drawn (tests/helpers.py new_app draws all of them for the tests);
- no Altair schema validation of chart specs, as in the app (ui/show.py VALIDATE_SPECS); the
  tests' conftest turns it on.
"""

from __future__ import annotations

import os


def as_the_app_runs() -> None:
    os.environ.setdefault("CHECK_CHART_SPECS", "0")
    os.environ.setdefault(
        "GRADFLOW_TEST_EAGER", "0"
    )  # AppTest runs only the open section, as the server does
    import sys
    from pathlib import Path

    root = str(Path(__file__).resolve().parents[1])
    if root not in sys.path:
        sys.path.insert(0, root)
    import serve

    serve.setup()  # before NumPy loads, as app.py does
