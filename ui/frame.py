"""The frame's page list, and the guard that makes every page run inside the frame (app.py).

NB: Streamlit 1.67 keeps the v1 multipage mode (run pages/<name>.py on its own, with a menu built
from the folder) until the first st.navigation call in the process. On a fresh server whose first
visitor opens a preset link such as /exploding, that first run would show the page without the
frame: no sidebar, no lecture mode, the file names as the menu (upstream: the v1 fallback of Streamlit's
pages manager, which its source calls "A relic of v1 of Multipage apps"; first-load deep links are
streamlit/streamlit#9624). The public way out: every page calls require() first; a page that runs
without the frame calls the public st.navigation (which ends v1 mode for the process) and
st.rerun(), and the rerun runs app.py. tests/ui/test_frame.py fails loudly once Streamlit stops
running a pages/ script without its entry file, so this guard can go.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlparse

import streamlit as st

# (file, title, icon). Start is the default page at "/", the others at /<file stem>. Material icons
# come from Streamlit's bundled font (no internet).
# NB: no custom url_path, so AppTest.switch_page("pages/x.py") finds a page before the first run.
PAGES = [
    ("pages/start.py", "Start", ":material/home:"),
    ("pages/rnn_vanishing.py", "RNN: vanishing gradients", ":material/trending_down:"),
    ("pages/lstm_cell_state.py", "LSTM: cell-state flow", ":material/memory:"),
    ("pages/exploding.py", "Exploding gradients", ":material/bolt:"),
    ("pages/remedies_lab.py", "Remedies lab", ":material/science:"),
]
DEFAULT_PAGE = "pages/start.py"
ROOT = Path(__file__).resolve().parents[1]

_local = threading.local()  # every session's script run is a thread: the frame marks its own


def navigation(position: str = "sidebar"):
    """st.navigation over PAGES (the frame's menu); returns the page to run.

    NB: absolute paths, so the frame also works when run from an entry file elsewhere (the tests'
    tests/frame_entry/app.py); the URL of a page is its file stem either way."""
    pages = [st.Page(page_path(f), title=t, icon=i, default=(f == DEFAULT_PAGE)) for f, t, i in PAGES]
    return st.navigation(pages, position=position)


def page_path(page: str) -> str:
    """The path st.page_link / st.switch_page take for "pages/x.py" (the one st.navigation was given)."""
    return str(ROOT / page)


@contextmanager
def inside() -> Iterator[None]:
    """Mark this script run as the frame's (app.py, around pg.run())."""
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


def in_frame() -> bool:
    """True while the frame runs the page in this thread."""
    return getattr(_local, "depth", 0) > 0


def require() -> None:
    """First line of every page: a page run without the frame leaves v1 mode and reruns as the frame."""
    if not in_frame():
        navigation(position="hidden")
        st.rerun()


def requested_path() -> str | None:
    """The page path the browser asked for, relative to the app's base path ("" for the default page),
    from the public st.context.url; None when it is not known (no browser, as in AppTest)."""
    try:
        url = st.context.url
    except Exception:  # NB: no session context: nothing to compare
        return None
    if not url:
        return None
    path = unquote(urlparse(url).path).strip("/")
    base = str(st.get_option("server.baseUrlPath") or "").strip("/")
    if base and (path == base or path.startswith(base + "/")):
        path = path[len(base) :].strip("/")
    return path


def unknown_page(page, path: str | None = None) -> str | None:
    """The one-line notice when the URL names no page: Streamlit then runs the default page in silence.

    page: what st.navigation returned; path: requested_path() unless given. None when the path is a page."""
    path = requested_path() if path is None else path
    if path is None or getattr(page, "url_path", None) != "":  # the default page's url_path is ""
        return None
    known = {Path(f).stem for f, _, _ in PAGES}
    if path == "" or path in known:
        return None
    shown = path.replace("`", "")[:60]
    return f"No such page: `/{shown}`. Showing the Start page instead."
