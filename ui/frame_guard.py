"""Make a fresh server run the frame (app.py) even when its first request is a sub-page.

NB: Streamlit keeps the v1 multipage behaviour (run pages/<name>.py directly, with an
automatic menu built from the folder) until the first st.navigation call in the process
sets PagesManager.uses_pages_directory to False. On a fresh server whose first visitor
opens a preset link such as /exploding, that first run would show the page without the
frame: no sidebar, no lecture mode, the folder's file names as the menu. Importing ui is
the first thing every script does, so at that import we switch the v1 mode off and rerun;
the rerun executes app.py, whose st.navigation then resolves the requested page.
"""
from __future__ import annotations


def switch_off_pages_folder_mode() -> None:
    """If Streamlit is still in v1 pages-folder mode inside a script run, leave it and rerun."""
    try:
        import streamlit as st
        from streamlit.runtime.pages_manager import PagesManager
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # a Streamlit without these internals has no v1 mode to leave
        return
    if PagesManager.uses_pages_directory and get_script_run_ctx(suppress_warning=True) is not None:
        PagesManager.uses_pages_directory = False
        st.rerun()
