"""A fresh server whose FIRST visitor opens a sub-page link still shows the frame.

Streamlit stays in its v1 pages-folder mode until the first st.navigation call of the
process; without ui.frame_guard the first visit to /exploding ran the page alone, with a
menu of file names ("app", "exploding", ...) and no lecture mode. Each test starts its own
server, so the sub-page really is the first request it serves.
"""

from __future__ import annotations

import pytest
from helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    browser_unavailable,
    free_port,
    start_server,
    stop_server,
    wait_healthy,
    wait_idle,
)

from serve import kernels  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MENU = ["Start", "RNN: vanishing gradients", "LSTM: cell-state flow", "Exploding gradients", "Remedies lab"]


@pytest.mark.parametrize("path", ["exploding?T=300&act=linear", "lstm_cell_state?fbias=3", "remedies_lab"])
def test_first_request_to_a_subpage_runs_the_frame(path):
    if not CHROMIUM.exists():
        browser_unavailable(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.goto(f"{base}/{path}")
            wait_idle(page)
            nav = page.locator("[data-testid='stSidebarNav']").inner_text()
            lines = [ln.strip() for ln in nav.splitlines() if ln.strip()]
            assert [ln for ln in lines if ln in MENU] == MENU, f"menu on a fresh server: {lines}"
            assert "app" not in lines, f"Streamlit's file-name menu is showing: {lines}"
            # NB: once (in a clean-checkout CI run) the sidebar's widgets were not yet in the DOM
            # when the menu and the page were; a user sees them a moment later, so wait for them
            try:
                page.get_by_text("Lecture mode").first.wait_for(state="attached", timeout=30_000)
            except Exception:  # noqa: BLE001 - playwright's TimeoutError
                pytest.fail("the frame's sidebar (Lecture mode) is missing 30 s after the page went idle")
            assert page.url.endswith(path), f"URL state lost: {page.url}"
            assert page.locator("[data-testid='stException']").count() == 0
            if path == "remedies_lab":  # the page ran before app.py, and still pinned the kernels first
                pinned = "reproduces them bit for bit" in page.inner_text("[data-testid='stMain']")
                assert pinned is kernels.x86_avx2(), "the server's float32 kernels are not the pinned ones"
            browser.close()
    finally:
        stop_server(proc)
