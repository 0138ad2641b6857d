"""Shared test helpers: the repo on sys.path, pinned kernels, AppTest of the frame, page discovery.

Pages are discovered from the frame's page list (every "pages/....py" string in ui/frame.py), so
a page registered later is covered by the page tests without touching them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from serve import kernels  # noqa: E402  (standard library only)

# NB: before anything imports NumPy, as app.py does for the server (serve.setup): one BLAS thread
# and, on x86-64 with AVX2, the pinned float32 kernels, so the recorded runs replay exactly here.
KERNELS = kernels.pin()
# every chart spec the tests draw (in process and in the servers they start) is validated
# against the Vega-Lite schema; the app itself skips that (ui/show.py VALIDATE_SPECS)
os.environ.setdefault("CHECK_CHART_SPECS", "1")

import pytest  # noqa: E402
from helpers import LONG, new_app  # noqa: E402  (after the pin above)


def pytest_addoption(parser):
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="also run the tests marked 'long' (full fuzzing and extremes; or RELIABILITY_LONG=1)",
    )


def pytest_configure(config):
    config.addinivalue_line("markers", "load: starts a server and drives several browser sessions at once")
    config.addinivalue_line(
        "markers", "long: hand-run sizes (minutes); skipped unless --long or RELIABILITY_LONG=1"
    )


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long") or LONG:
        return
    skip = pytest.mark.skip(reason="long version: run with --long or RELIABILITY_LONG=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def app_factory():
    """Fixture form of new_app for tests that prefer fixtures."""
    return new_app


# ----------------------------------------------------------------------------------------
# GRADCHECK_REPORT=1 python -m pytest -m "not slow" -p no:randomly
# prints the largest relative error of every analytic gradient checked against
# gradcore.gradcheck's centred differences, by test (for the issue notes). Only rel_error
# calls where one side is a finite-difference gradient are counted.
# ----------------------------------------------------------------------------------------
_GC_FD: dict[int, object] = {}  # id -> the finite-difference array (kept alive for the run)
_GC_SEEN: dict[str, float] = {}


def _install_gradcheck_report() -> None:
    from gradcore import gradcheck

    fd, rel = gradcheck.numerical_gradient, gradcheck.rel_error

    def numerical_gradient(*args, **kwargs):
        g = fd(*args, **kwargs)
        _GC_FD[id(g)] = g
        return g

    def rel_error(a, b):
        err = rel(a, b)
        if id(a) in _GC_FD or id(b) in _GC_FD:
            test = os.environ.get("PYTEST_CURRENT_TEST", "?").split(" ")[0]
            _GC_SEEN[test] = max(err, _GC_SEEN.get(test, 0.0))
        return err

    gradcheck.numerical_gradient, gradcheck.rel_error = numerical_gradient, rel_error


if os.environ.get("GRADCHECK_REPORT"):
    _install_gradcheck_report()


def pytest_terminal_summary(terminalreporter):
    if not _GC_SEEN:
        return
    worst = sorted(_GC_SEEN.items(), key=lambda kv: -kv[1])
    terminalreporter.write_line(
        f"gradient checks: {len(worst)} tests, largest relative error {worst[0][1]:.2e} ({worst[0][0]})"
    )
    for test, err in worst[:10]:
        terminalreporter.write_line(f"  {err:.2e}  {test}")
