"""The browser tests' real server and Chromium, one of each per test module (tests/app/test_browser*.py)."""

from __future__ import annotations

import pytest
from helpers import (
    CHROMIUM,
    browser_unavailable,
    free_port,
    launch_chromium,
    start_server,
    stop_server,
    wait_healthy,
)


@pytest.fixture(scope="module")
def server():
    """A running app server (streamlit run app.py) for the module; yields its base URL."""
    if not CHROMIUM.exists():
        browser_unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        browser_unavailable("playwright is not installed (pip install -r requirements-dev.txt)")
    port = free_port()
    proc = start_server(port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc)
        yield base
    finally:
        stop_server(proc)


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()
