"""ui.frame: every page runs inside the frame, also when Streamlit's v1 pages-folder mode runs it alone."""

from __future__ import annotations

import textwrap

import pytest
from helpers import APP, new_app, registered_pages


@pytest.mark.parametrize("page", registered_pages())
def test_every_page_runs_inside_the_frame(page):
    """AppTest of app.py itself: Streamlit's v1 mode runs a sub-page alone, ui.frame.require() reruns it."""
    at = new_app(page, eager=False, entry=APP)
    at.run()
    assert not at.exception
    assert [t.label for t in at.sidebar.toggle] == ["Lecture mode"]  # the frame's sidebar is there


def test_upstream_still_runs_a_pages_script_without_its_entry_file(tmp_path):
    """Canary: Streamlit's v1 mode (ui/frame.py) still exists. If this fails, Streamlit no longer runs
    pages/<name>.py without the entry file on a first request, and ui.frame.require() can go."""
    from streamlit.testing.v1 import AppTest

    (tmp_path / "pages").mkdir()
    (tmp_path / "entry.py").write_text(
        textwrap.dedent(
            """
            import streamlit as st
            st.sidebar.write("frame ran")
            st.navigation([st.Page("home.py", default=True), st.Page("pages/p.py")]).run()
            """
        )
    )
    (tmp_path / "home.py").write_text("import streamlit as st\nst.write('home')\n")
    (tmp_path / "pages" / "p.py").write_text("import streamlit as st\nst.write('page p')\n")
    at = AppTest.from_file(str(tmp_path / "entry.py"))
    at.switch_page("pages/p.py")
    at.run()
    assert [m.value for m in at.markdown] == ["page p"]
    assert "frame ran" not in [m.value for m in at.sidebar.markdown], (
        "Streamlit now runs the entry file for a pages/ script: ui.frame.require() is no longer needed"
    )
