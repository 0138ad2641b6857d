"""The tests' entry file: runs the frame (app.py) exactly, from a folder with no pages/ beside it.

NB: AppTest resets Streamlit's v1 pages-folder flag before every run (a server does it once per
process, at its first st.navigation call), so AppTest of app.py itself runs every sub-page run in
v1 mode, where ui.frame.require() reruns as the frame and a button click of that run is lost.
From here Streamlit sees no pages/ folder, so every run is the frame's st.navigation run, as on a
server after its first request. tests/ui/test_frame.py still runs app.py itself (the v1 path).
"""

import runpy
from pathlib import Path

runpy.run_path(str(Path(__file__).resolve().parents[2] / "app.py"), run_name="__main__")
