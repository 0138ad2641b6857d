"""Where the first chart and the headline control sit on screen (issue 18 item 1), in a real Chromium.

Used by tests/app/test_browser_fold.py; run by hand against a running server to print the numbers:

    python tests/fold_probe.py http://127.0.0.1:8612            # every page and preset, both screens
    python tests/fold_probe.py http://127.0.0.1:8612 --shots /tmp/shots   # and full-page screenshots

A headline control is found by the class Streamlit gives every keyed widget (st-key-<key>, documented
with the widgets' `key`); the first chart is the first visible [data-testid='stVegaLiteChart'].
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import Visit, launch_chromium, presets, url_path  # noqa: E402

# page file -> (the control that teaches its lesson, per open section: URL key of the section, its value
# -> control key; None -> the page's default section)
HEADLINE = {
    "pages/start.py": {None: "start_T"},
    "pages/rnn_vanishing.py": {None: "scale"},
    "pages/lstm_cell_state.py": {None: "fbias"},
    "pages/exploding.py": {
        None: "scale",
        ("exp_view", "Descent"): "threshold",
        ("exp_view", "Cliff"): "view",
    },
    "pages/remedies_lab.py": {None: "T"},
}
SCREENS = {"lecture": (1280, 720, True), "normal": (1920, 1080, False)}


def headline_key(page: str, params: dict) -> str:
    """The headline control of page opened with params."""
    table = HEADLINE[page]
    for k, v in params.items():
        if (k, v) in table:
            return table[(k, v)]
    return table[None]


def views() -> list[tuple[str, str, dict]]:
    """(name, page, query params) of every page at its defaults and every Start preset link."""
    out = [(Path(p).stem, p, {}) for p in HEADLINE]
    out += [(f"preset: {name}", page, dict(params)) for page, name, _, params in presets()]
    return out


BOX = "(e) => { const r = e.getBoundingClientRect(); return [r.top, r.bottom, r.height]; }"


def measure(page, key: str) -> dict:
    """Top and bottom (px from the viewport's top, before any scroll) of the first visible chart and of
    the headline control's widget."""
    page.evaluate("() => window.scrollTo(0, 0)")
    chart = page.evaluate(
        """() => { const c = [...document.querySelectorAll("[data-testid='stVegaLiteChart']")]
                   .find(e => e.checkVisibility());
                   if (!c) return null; const r = c.getBoundingClientRect(); return [r.top, r.bottom]; }"""
    )
    widget = page.locator(f".st-key-{key}").first
    box = widget.evaluate(BOX) if widget.count() else None
    return {"chart": chart, "control": box and box[:2]}


def shoot(page, path: Path, width: int) -> None:
    """A screenshot of the whole page. NB: Streamlit scrolls inside [data-testid='stMain'], not the document,
    so Playwright's full_page would stop at the viewport: the viewport is made as tall as the page first."""
    tall = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": width, "height": min(int(tall), 12000)})
    page.wait_for_timeout(800)  # NB: not an assert: the charts re-fit to the new height before the picture
    page.screenshot(path=str(path))


def open_view(browser, base: str, page: str, params: dict, screen: str):
    """A Visit at the screen's size, on page with params (plus lecture=true on the lecture screen)."""
    w, h, lecture = SCREENS[screen]
    q = dict(params, **({"lecture": "true"} if lecture else {}))
    v = Visit(browser, width=w, height=h)
    v.open(base + url_path(page) + ("?" + urlencode(q) if q else ""))
    return v


def main(argv: list[str]) -> None:
    from playwright.sync_api import sync_playwright

    base = argv[0]
    shots = Path(argv[argv.index("--shots") + 1]) if "--shots" in argv else None
    with sync_playwright() as p:
        b = launch_chromium(p)
        for screen, (w, h, _) in SCREENS.items():
            for name, page, params in views():
                v = open_view(b, base, page, params, screen)
                try:
                    m = measure(v.page, headline_key(page, params))
                    c, k = m["chart"], m["control"]
                    cs = f"{c[0]:6.0f}..{c[1]:5.0f}" if c else "  none      "
                    ks = f"{k[0]:6.0f}..{k[1]:5.0f}" if k else "  none      "
                    ok = bool(c and k and c[0] >= 0 and c[0] < h and k[0] >= 0 and k[1] <= h)
                    print(
                        f"{screen:8s} {w}x{h}  {name:32s} chart {cs}  control {ks}  {'ok' if ok else 'OUT'}"
                    )
                    if shots:
                        shots.mkdir(parents=True, exist_ok=True)
                        slug = "".join(ch if ch.isalnum() else "-" for ch in name.lower()).strip("-")
                        shoot(v.page, shots / f"{screen}-{slug}.png", w)
                finally:
                    v.close()
        b.close()


if __name__ == "__main__":
    main(sys.argv[1:])
