"""The frame: page config, navigation over pages/, the shared sidebar, pg.run().

Shared widgets live here so they keep their state across pages: lecture mode (in the URL
as ?lecture=true) and the reset button. Run with `streamlit run app.py`.
"""
import os

# NB: before anything imports NumPy (`import streamlit` does not). Every session's script runs
# in a thread of this one process; with OpenBLAS's own pool of 2 threads per call on top, the
# small matrices of the engine stall on a shared or loaded CPU: lessons.rnn_vanishing.compute
# at T=300, H=128 took 7-20 s per call with 2 BLAS threads and 0.3 s with 1, and with 8
# sessions at once 150-320 s vs 2.7-3.3 s (two runs on a shared 2-core machine;
# bench/bench_blas_threads.py, bench/results/blas_threads.json).
# A user's explicit setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import streamlit as st  # noqa: E402

import gradcore  # noqa: E402,F401  (before NumPy loads: pins the float32 kernels, gradcore/kernels.py)
import ui  # noqa: E402
from ui.show import apply_lecture_css  # noqa: E402

ui.memory.tune()  # two malloc arenas, fixed mmap threshold: freed arrays go back to the kernel (ui/memory.py)

st.set_page_config(page_title="Gradient flow in RNNs", page_icon="🌀", layout="wide",
                   initial_sidebar_state="expanded")

# (file, title, icon); Material icons come from Streamlit's bundled font (no internet). Start is the default page at "/", the others at /<file name>.
# NB: no custom url_path, so AppTest.switch_page("pages/x.py") finds a page before the first run.
PAGES = [
    ("pages/start.py", "Start", ":material/home:"),
    ("pages/rnn_vanishing.py", "RNN: vanishing gradients", ":material/trending_down:"),
    ("pages/lstm_cell_state.py", "LSTM: cell-state flow", ":material/memory:"),
    ("pages/exploding.py", "Exploding gradients", ":material/bolt:"),
    ("pages/remedies_lab.py", "Remedies lab", ":material/science:"),
]
pg = st.navigation([st.Page(f, title=t, icon=i, default=(f == "pages/start.py")) for f, t, i in PAGES])

ui.controls.begin_run()
with st.sidebar:
    ui.toggle("Lecture mode", "lecture", False, where=st.sidebar,
              help="Larger type and chart labels for a projector. Kept in the URL (?lecture=true).")
    st.button("Reset this page's controls", on_click=ui.controls.reset, width="stretch",
              help="Puts every control on this page back to its default and clears them from the URL.")
    st.markdown(
        "**About.** Every curve here is computed live by a NumPy engine (`gradcore`) from a real "
        "forward and backward pass at the settings on screen. Every control lives in the URL, "
        "so any view can be shared as a link.")
    st.markdown(
        "**Sources**\n"
        "- Alexey Kravets, *Backpropagation and Vanishing Gradient Problem in RNN (Part 2)*, "
        "[Towards AI](https://towardsai.net), 2023\n"
        "- Jefkine, *Vanishing And Exploding Gradient Problems*, "
        "[jefkine.com](https://www.jefkine.com), 21 May 2018")
apply_lecture_css()

# counted as a script under way (a Remedies-lab training loop gives way to it), and computed in one of
# ui.activity.RUN_SLOTS slots: one page at a time, so thirty sessions do not share the GIL in 5 ms turns
try:
    with ui.activity.script_run(), ui.activity.admitted():
        pg.run()
finally:
    ui.memory.maybe_trim()  # free heap pages back to the kernel, at most once a minute
