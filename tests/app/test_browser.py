"""Browser tests: `streamlit run app.py` driven by Playwright in Debian's Chromium.

Every page registered in app.py is opened; each must finish its script run with no
exception box, the menu must list every page exactly once (first load and reload), and
no request may leave localhost (the app has to work in a lecture hall without internet).
One screenshot per page goes to screenshots/ (git-ignored). Set UPDATE_README_SCREENSHOT=1
to also refresh docs/screenshot-start.png.

Skips only when Chromium or Playwright is missing; with CI=true that is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlparse

import pytest
from helpers import (
    ROOT,
    Visit,
    registered_pages,
    url_path,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = ROOT / "screenshots"
PAGES = registered_pages()
BODY_P = "[data-testid='stMain'] [data-testid='stMarkdownContainer'] p"


def small_png(path: Path) -> None:
    """Shrink a screenshot for the README: 128-colour palette PNG (Pillow comes with Streamlit)."""
    from PIL import Image

    with Image.open(path) as im:
        im.convert("RGB").quantize(colors=128, method=Image.Quantize.FASTOCTREE).save(path, optimize=True)


def nav_labels(page) -> list[str]:
    """Texts of the navigation links in the sidebar."""
    return [t.strip() for t in page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()]


@pytest.mark.parametrize("page_file", PAGES)
def test_page_loads_clean(server, browser, page_file):
    v = Visit(browser)
    try:
        v.open(server + url_path(page_file))
        assert v.page.locator("[data-testid='stException']").count() == 0, "exception box on page"
        name = Path(page_file).stem
        SHOTS.mkdir(exist_ok=True)
        v.page.screenshot(path=str(SHOTS / f"{name}.png"))
        if page_file == "pages/start.py" and os.environ.get("UPDATE_README_SCREENSHOT"):
            (ROOT / "docs").mkdir(exist_ok=True)
            shot = ROOT / "docs" / "screenshot-start.png"
            v.page.screenshot(path=str(shot))
            small_png(shot)
        assert not v.foreign_requests(), f"requests left localhost: {v.foreign_requests()}"
    finally:
        v.close()


def test_menu_lists_every_page_once_on_load_and_reload(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/")
        first = nav_labels(v.page)
        v.page.reload()
        wait_idle(v.page)
        again = nav_labels(v.page)
        assert len(first) == len(PAGES) and len(set(first)) == len(first), first
        assert again == first, (first, again)
    finally:
        v.close()


def test_lecture_mode_survives_navigation_and_enlarges_text(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/?lecture=true")
        # The lecture CSS arrives as one more element of the script run; on a loaded CI box
        # the page can report idle a moment before the browser has applied it, so give it
        # up to 20 s to apply before measuring (if it never applies, the assert below fails).
        try:
            v.page.wait_for_function(
                f'() => {{ const e = document.querySelector("{BODY_P}");'
                " return e && parseFloat(getComputedStyle(e).fontSize) >= 1.2 * "
                "parseFloat(getComputedStyle(document.documentElement).fontSize); }",
                timeout=20_000,
            )
        except Exception:  # noqa: BLE001 - a timeout here is reported by the size assert
            pass
        size_on = v.page.eval_on_selector(BODY_P, "e => parseFloat(getComputedStyle(e).fontSize)")
        v.page.locator("[data-testid='stSidebarNav'] a").nth(3).click()
        wait_idle(v.page)
        assert "lecture=true" in v.page.url, v.page.url
        toggle = v.page.locator("[data-testid='stSidebar'] input[type='checkbox']").first
        assert toggle.is_checked()
        v.open(server + "/")
        size_off = v.page.eval_on_selector(BODY_P, "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size_on >= 1.2 * size_off, (size_on, size_off)
    finally:
        v.close()


def test_invalid_url_value_shows_notice(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/?start_T=abc&T=abc&rho=1e999&start_act=%3Cscript%3E")
        text = v.page.locator("[data-testid='stMain']").inner_text()
        assert "URL value for start_T" in text and "using default 100" in text
        assert v.page.locator("[data-testid='stException']").count() == 0
    finally:
        v.close()


def test_reset_button_clears_the_url(server, browser):
    v = Visit(browser)
    try:
        v.open(server + "/?start_T=40&start_act=tanh&lecture=true")
        assert "start_T=40" in v.page.url
        v.page.get_by_role("button", name="Reset this page's controls").click()
        v.page.wait_for_function("() => !location.search.includes('start_T=40')", timeout=30_000)
        wait_idle(v.page)
        assert "start_T=" not in v.page.url and "start_act=" not in v.page.url, v.page.url
        assert "lecture=true" in v.page.url, "reset keeps lecture mode"
    finally:
        v.close()


@pytest.mark.parametrize("index", [0, -1])
def test_preset_link_opens_page_with_its_settings(server, browser, index):
    """Clicking a preset on Start lands on the same URL as opening its link directly."""
    from urllib.parse import parse_qsl, urlencode

    from helpers import presets

    page_file, name, _, params = presets()[index]
    v = Visit(browser)
    try:
        v.open(server + url_path(page_file) + "?" + urlencode(params))
        direct = dict(parse_qsl(urlparse(v.page.url).query))
        v.open(server + "/")
        v.page.get_by_role("link", name=name).click()
        v.page.wait_for_function(f"() => location.pathname.endsWith('{url_path(page_file)}')", timeout=30_000)
        wait_idle(v.page)
        assert v.page.locator("[data-testid='stException']").count() == 0
        clicked = dict(parse_qsl(urlparse(v.page.url).query))
        assert clicked == direct, (clicked, direct)
        assert "was invalid" not in v.page.locator("[data-testid='stMain']").inner_text()
    finally:
        v.close()


def test_sections_open_from_the_url_and_a_click_puts_them_in_the_url(server, browser):
    """A page's sections are tabs bound to the URL: ?exp_view=Descent opens that section (and draws only
    it), a click on another tab draws that one and puts it in the address bar, and a reload keeps it."""
    v = Visit(browser)
    try:
        v.open(server + "/exploding?exp_view=Descent&cliff_lr=0.3")
        main = v.page.locator("[data-testid='stMain']")
        assert "3. Descent on the cliff" in main.inner_text()
        assert (
            v.page.locator("[data-testid='stVegaLiteChart']").filter(visible=True).count() == 4
        )  # its charts
        v.page.get_by_role("tab", name="Bifurcation").click()
        v.page.wait_for_function("() => location.search.includes('exp_view=Bifurcation')", timeout=30_000)
        wait_idle(v.page)
        assert "5. Where the cliff comes from" in main.inner_text()
        assert "cliff_lr=0.3" in v.page.url, "another tab's control keeps its URL value"
        v.page.reload()
        wait_idle(v.page)
        assert v.page.get_by_role("tab", name="Bifurcation").get_attribute("aria-selected") == "true"
        assert v.page.locator("[data-testid='stException']").count() == 0
        assert not v.foreign_requests(), v.foreign_requests()
    finally:
        v.close()


def test_csv_download_serves_the_charts_data(server, browser):
    """The CSV button under a chart serves the chart's data, made only when clicked (ui.show.download_csv
    defers it): the file equals lessons.start.jacobian_norms at the URL's settings."""
    import io

    import pandas as pd

    from lessons import start

    v = Visit(browser)
    try:
        v.open(server + "/?start_T=30&start_act=tanh")
        with v.page.expect_download(timeout=60_000) as dl:
            v.page.get_by_role("button", name="Download the data (CSV)").first.click()
        got = pd.read_csv(io.BytesIO(Path(dl.value.path()).read_bytes()))
        want = start.jacobian_norms(30, "tanh", 32, 0)
        assert dl.value.suggested_filename == "start-jacobian-norms.csv"
        assert list(got.columns) == [str(c) for c in want.columns] and len(got) == len(want) > 0
        for c in want.columns:
            if pd.api.types.is_numeric_dtype(want[c]):
                assert got[c].to_numpy() == pytest.approx(want[c].to_numpy(), rel=1e-12, nan_ok=True)
            else:
                assert got[c].astype(str).tolist() == want[c].astype(str).tolist()
    finally:
        v.close()
