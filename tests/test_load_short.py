"""Short load test for CI: a few browser sessions at once against `streamlit run app.py`.

The full lecture hall is bench/load_test.py (`python bench/load_test.py --sessions 30 --moves 10
--trainers 2`, by hand); this runs the same code with 3 sessions, 2 slider moves per page (10 per session) and
one session training a tiny comparison in the Remedies lab meanwhile. It asserts what does not
depend on the machine's speed: no error of any kind (exception box, console error, failed
request, request leaving localhost, traceback in the server log), every move finished, and the
server's peak memory under the 800 MB budget. The 3 s p95 budget is asserted only with
LOAD_STRICT=1 (shared CI cores make latency a measurement, not a test).
"""
from __future__ import annotations

import importlib.util
import json
import os

import pytest
from conftest import ROOT
from helpers import CHROMIUM

pytestmark = [pytest.mark.load, pytest.mark.browser, pytest.mark.slow]
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


def _load_module():
    spec = importlib.util.spec_from_file_location("load_test", ROOT / "bench" / "load_test.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_short_load():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"load test cannot run in CI: no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    lt = _load_module()
    sessions, moves = 3, 10  # two slider moves on each of the five pages
    res = lt.measure(sessions=sessions, moves=moves, trainers=1, trainer_query="?steps=20&T=10&H=8",
                     timeout_s=180, settle_s=5, stagger_s=0.5)
    (ROOT / "bench" / "results" / ".load-short-last.json").write_text(json.dumps(res, indent=1))  # for a failure
    assert res["errors"] == 0, res["error_samples"]
    # every session moved a slider twice on every page that has one
    pages_with_sliders = len(res["latency_by_page_s"])
    assert res["control_changes"] == sessions * 2 * pages_with_sliders, res["latency_by_page_s"]
    assert pages_with_sliders >= 4, res["latency_by_page_s"]
    peak = max(res["rss_mb"]["peak_sampled"], res["rss_mb"]["peak_vmhwm"])
    assert peak < lt.BUDGET["peak_rss_mb"], res["rss_mb"]
    assert res["train_seconds"], "the training session never finished"
    if os.environ.get("LOAD_STRICT"):
        assert res["latency_s"]["p95"] < lt.BUDGET["p95_s"], res["latency_s"]
