"""The URL cases of issue 18 item 11 in a real browser (a real address bar): `streamlit run app.py` driven by
Playwright in Debian's Chromium, as tests/app/test_browser.py. The AppTest half is tests/app/test_url_vocabulary.py.

Skips only when Chromium or Playwright is missing; with CI=true that is a failure.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from helpers import (
    Visit,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
MAIN = "[data-testid='stMain']"


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlparse(url).query)


def test_no_such_page_says_so_in_one_line(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/nosuchpage")
        text = v.page.locator(MAIN).inner_text()
        line = "No such page: /nosuchpage. Showing the Start page instead."
        assert line in text and "Why gradients vanish" in text, text[:300]
        assert v.page.locator("[data-testid='stAlert']").filter(has_text="No such page").count() == 1
        # gone once the reader is on a real page again
        v.page.keyboard.press("Escape")  # Streamlit's own "Page not found" dialog
        v.page.locator("[data-testid='stSidebarNav'] a").nth(1).click()
        v.page.wait_for_url("**/rnn_vanishing**")
        wait_idle(v.page)
        v.page.locator("[data-testid='stSidebarNav'] a").first.click()
        v.page.wait_for_function("() => location.pathname === '/'")
        wait_idle(v.page)
        assert "No such page" not in v.page.locator(MAIN).inner_text()
        v.open(server + "/")
        assert "No such page" not in v.page.locator(MAIN).inner_text()
    finally:
        v.close()


def test_preset_in_lecture_mode_lands_with_lecture_once(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/?lecture=true")
        v.page.get_by_text("Sigmoid's quarter").click()
        v.page.wait_for_url("**/rnn_vanishing**")
        wait_idle(v.page)
        q = _query(v.page.url)
        assert q.get("lecture") == ["true"], v.page.url
        assert q.get("act") == ["sigmoid"] and q.get("init") == ["orthogonal"], v.page.url
    finally:
        v.close()


def test_start_page_bad_T_gets_its_notice_and_leaves_the_address_bar(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/?T=abc&act=softmax")
        text = v.page.locator(MAIN).inner_text()
        assert "URL value for T (abc) was invalid; using default 100." in text, text[:600]
        assert "URL value for act (softmax) was invalid; using default linear." in text
        v.page.wait_for_function(
            "() => !location.search.includes('abc') && !location.search.includes('softmax')"
        )
    finally:
        v.close()


def test_labels_in_the_url_become_keys(server, browser):
    v = Visit(browser)
    try:
        # NB: not task=Adding: adding is the default task, which Streamlit leaves out of the URL
        v.open(server + "/remedies_lab?models=LSTM&models=GRU&task=Temporal_Order")
        v.page.wait_for_function("() => location.search.includes('models=lstm')", timeout=30_000)
        q = _query(v.page.url)
        assert q.get("models") == ["lstm", "gru"] and q.get("task") == ["temporal_order"], v.page.url
        assert "was invalid" not in v.page.locator(MAIN).inner_text()
    finally:
        v.close()
