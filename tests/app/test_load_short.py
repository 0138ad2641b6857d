"""Short load tests for CI: a few sessions at once against `streamlit run app.py`.

The full lecture hall is bench/load_test.py (`python bench/load_test.py --sessions 30 --moves 10
--trainers 2`, by hand); these run the same code small:

- protocol client (bench/st_client.py, Streamlit's websocket protocol, no browser): 4 sessions,
  2 slider moves per page (10 per session), one session training a tiny comparison in the
  Remedies lab meanwhile, short think times;
- browser client (Playwright contexts in one Chromium): 3 sessions the same way, which also
  catches what only a browser sees (console errors, failed requests, requests leaving localhost).
  Opt-in with LOAD_BROWSER=1: the harness is the fragile part (on 2026-11-22 a key press on a
  slider never started a rerun and waited out its 180 s, and the Start page's sliders were not
  yet visible 4 times in 30 looks, while the protocol test passed on the same tree);
  tests/app/test_browser.py covers the app in a real browser.

Both assert what does not depend on the machine's speed: no error of any kind (an exception box,
page_not_found, a dropped connection, a traceback in the server log; in the browser also console
errors and failed requests), every planned move measured, and the server's peak memory under the
800 MB budget. The 3 s p95 budget is asserted only with LOAD_STRICT=1 (shared CI cores make
latency a measurement, not a test).
"""

from __future__ import annotations

import importlib.util
import json
import os

import pytest
from helpers import CHROMIUM, IN_CI, ROOT

pytestmark = [pytest.mark.load, pytest.mark.slow]
TINY_TRAINING = "?steps=20&T=10&H=8"


def _load_module():
    spec = importlib.util.spec_from_file_location("load_test", ROOT / "bench" / "load_test.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _check(lt, res, sessions: int, moves: int, name: str) -> None:
    (ROOT / "bench" / "results" / f".load-short-{name}-last.json").write_text(json.dumps(res, indent=1))
    assert res["errors"] == 0, res["error_samples"]
    peak = max(res["rss_mb"]["peak_sampled"], res["rss_mb"]["peak_vmhwm"])
    assert peak < lt.BUDGET["peak_rss_mb"], res["rss_mb"]
    assert res["train_seconds"], "the training session never finished"
    assert res["sessions_completed"] == sessions
    if os.environ.get("LOAD_STRICT"):
        assert res["latency_s"]["p95"] < lt.BUDGET["p95_s"], res["latency_s"]


def test_short_load_protocol():
    lt = _load_module()
    sessions, moves = 4, 10  # two slider moves on each of the five pages
    res = lt.measure(
        sessions=sessions,
        moves=moves,
        trainers=1,
        trainer_query=TINY_TRAINING,
        timeout_s=180,
        settle_s=2,
        client="protocol",
        think=(0.1, 0.5),
        ramp_s=2,
    )
    _check(lt, res, sessions, moves, "protocol")
    # every page has a slider in its main area: every planned move was made and measured
    assert res["control_changes"] == sessions * moves, (res["latency_by_page_s"], res["moves_skipped"])
    assert len(res["latency_by_page_s"]) == len(lt.PAGES), res["latency_by_page_s"]
    assert res["page_open_s"]["all"]["n"] == sessions * len(lt.PAGES), res["page_open_s"]
    assert not res["moves_skipped"], res["moves_skipped"]  # each moved slider showed the value sent


@pytest.mark.browser
@pytest.mark.skipif(
    not os.environ.get("LOAD_BROWSER"), reason="browser load harness is opt-in: LOAD_BROWSER=1"
)
def test_short_load_browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"load test cannot run in CI: no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    lt = _load_module()
    sessions, moves = 3, 10
    res = lt.measure(
        sessions=sessions,
        moves=moves,
        trainers=1,
        trainer_query=TINY_TRAINING,
        timeout_s=180,
        settle_s=5,
        stagger_s=0.5,
        client="browser",
    )
    _check(lt, res, sessions, moves, "browser")
    # every session moved a slider twice on every page that has a visible one
    pages_with_sliders = len(res["latency_by_page_s"])
    assert res["control_changes"] == sessions * 2 * pages_with_sliders, res["latency_by_page_s"]
    assert pages_with_sliders >= 4, res["latency_by_page_s"]
