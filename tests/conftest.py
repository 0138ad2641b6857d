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

import ast  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402

import pytest  # noqa: E402

APP = str(ROOT / "app.py")
ENTRY = str(ROOT / "tests" / "frame_entry" / "app.py")  # runs app.py; see its docstring


def registered_pages() -> list[str]:
    """Every page file the frame registers ("pages/x.py" string literals in ui/frame.py), in order."""
    tree = ast.parse((ROOT / "ui" / "frame.py").read_text(encoding="utf-8"))
    found = [n.value for n in ast.walk(tree)
             if isinstance(n, ast.Constant) and isinstance(n.value, str)
             and n.value.startswith("pages/") and n.value.endswith(".py")]
    return list(dict.fromkeys(found))


def presets() -> list[tuple[str, str, str, dict]]:
    """The Start page's PRESETS list (page, name, what you will see, query params)."""
    tree = ast.parse((ROOT / "pages" / "start.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "PRESETS" for t in node.targets):
            return [tuple(p) for p in ast.literal_eval(node.value)]
    return []


def new_app(page: str | None = None, query: dict | None = None, timeout: float = 120, eager: bool | None = None,
            entry: str = ENTRY):
    """A fresh AppTest of app.py, switched to `page`, with URL query params (not yet run).

    eager: draw every section of a page in one run (ui.lazy.EAGER), so every chart is checked;
    eager=False runs the page as the server does (only the open tab's content). entry=APP runs app.py
    itself (each sub-page run then goes through ui.frame.require's v1 path). Default: eager,
    unless GRADFLOW_TEST_EAGER=0 (the page benches set it: they time what the server runs).
    """
    if eager is None:
        eager = os.environ.get("GRADFLOW_TEST_EAGER", "1") != "0"
    from streamlit.testing.v1 import AppTest

    from ui.lazy import EAGER

    at = AppTest.from_file(entry, default_timeout=timeout)
    if eager:
        at.session_state[EAGER] = True
    if page is not None and page != "pages/start.py":
        at.switch_page(str(ROOT / page))
    for k, v in (query or {}).items():
        at.query_params[k] = v
    return at


def chart_problems(at) -> list[str]:
    """Non-finite or missing numbers in any Vega-Lite chart's spec or datasets on the page."""
    import pyarrow as pa

    problems: list[str] = []
    for i, chart in enumerate(at.get("vega_lite_chart")):
        proto = chart.proto

        def bad_constant(c, i=i):
            problems.append(f"chart {i}: spec contains {c}")
            return 0.0

        spec = json.loads(proto.spec, parse_constant=bad_constant)
        _walk_numbers(spec, f"chart {i} spec", problems)
        datasets = [d.data.data for d in proto.datasets] + [proto.data.data]
        for raw in datasets:
            if not raw:
                continue
            table = pa.ipc.open_stream(raw).read_all()
            for name, col in zip(table.column_names, table.columns, strict=True):
                if not (pa.types.is_floating(col.type) or pa.types.is_integer(col.type)
                        or pa.types.is_decimal(col.type)):
                    continue
                if col.null_count:
                    problems.append(f"chart {i}: column {name!r} has {col.null_count} null/NaN values")
                values = col.to_numpy(zero_copy_only=False)
                nonfinite = [v for v in values.tolist() if v is not None and not math.isfinite(v)]
                if nonfinite:
                    problems.append(f"chart {i}: column {name!r} has non-finite values {nonfinite[:3]}")
    return problems


def _walk_numbers(obj, where: str, problems: list[str]) -> None:
    """Append a problem for every non-finite float inside a parsed JSON object."""
    if isinstance(obj, float) and not math.isfinite(obj):
        problems.append(f"{where}: {obj}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk_numbers(v, f"{where}.{k}", problems)
    elif isinstance(obj, list):
        for v in obj:
            _walk_numbers(v, where, problems)


def assert_healthy(at, context: str) -> None:
    """No exception element, no error alert with a traceback, every chart finite."""
    assert not at.exception, f"{context}: exception {[e.value for e in at.exception]}"
    problems = chart_problems(at)
    assert not problems, f"{context}: {problems}"


LONG = os.environ.get("RELIABILITY_LONG", "").lower() in ("1", "true", "yes")


def pytest_addoption(parser):
    parser.addoption("--long", action="store_true", default=False,
                     help="also run the tests marked 'long' (full fuzzing and extremes; or RELIABILITY_LONG=1)")


def pytest_configure(config):
    config.addinivalue_line("markers", "load: starts a server and drives several browser sessions at once")
    config.addinivalue_line("markers", "long: hand-run sizes (minutes); skipped unless --long or RELIABILITY_LONG=1")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--long") or LONG:
        return
    skip = pytest.mark.skip(reason="long version: run with --long or RELIABILITY_LONG=1")
    for item in items:
        if "long" in item.keywords:
            item.add_marker(skip)


def long_run(config=None) -> bool:
    """True when the long (hand-run) sizes were asked for."""
    return LONG or bool(config is not None and config.getoption("--long"))


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
    terminalreporter.write_line(f"gradient checks: {len(worst)} tests, largest relative error "
                                f"{worst[0][1]:.2e} ({worst[0][0]})")
    for test, err in worst[:10]:
        terminalreporter.write_line(f"  {err:.2e}  {test}")
