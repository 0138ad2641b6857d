"""The frame: server set-up, page config, navigation over pages/, the shared sidebar, pg.run().

Shared widgets live here so they keep their state across pages: lecture mode (in the URL as
?lecture=true) and the reset button. Run with `streamlit run app.py`.
"""

import serve

# NB: before anything imports NumPy (`import streamlit` does not): one BLAS thread (every session's
# script is a thread of this process; OpenBLAS's own pool stalled the engine's small matrices on a
# shared CPU: bench/results/blas_threads.json), the pinned float32 kernels (serve/kernels.py) and
# malloc tuning (serve/memory.py). Once per process; a value the user set in the environment wins.
serve.setup()

import streamlit as st  # noqa: E402

import ui  # noqa: E402

st.set_page_config(
    page_title="Gradient flow in RNNs", page_icon="🌀", layout="wide", initial_sidebar_state="expanded"
)
pg = ui.frame.navigation()

ui.controls.begin_run()
with st.sidebar:
    lecture_panel = st.container()  # the lecture path and the room (ui.lecture), under the menu
    ui.toggle(
        "Lecture mode",
        "lecture",
        False,
        where=st.sidebar,
        help="Larger type and chart labels for a projector. Kept in the URL (?lecture=true).",
    )
    st.button(
        "Reset this page's controls",
        on_click=ui.controls.reset,
        width="stretch",
        help="Puts every control on this page back to its default and clears them from the URL.",
    )
    st.markdown(
        "**About.** Every curve here is computed live by a NumPy engine (`gradcore`) from a real "
        "forward and backward pass at the settings on screen. Every control lives in the URL, "
        "so any view can be shared as a link."
    )
    st.markdown(
        "**Sources**\n"
        "- Alexey Kravets, *Backpropagation and Vanishing Gradient Problem in RNN (Part 2)*, "
        "[Towards AI](https://towardsai.net), 2023\n"
        "- Jefkine, *Vanishing And Exploding Gradient Problems*, "
        "[jefkine.com](https://www.jefkine.com), 21 May 2018"
    )
ui.apply_lecture_css()
missing = ui.frame.unknown_page(pg)  # /nosuchpage: Streamlit runs the default page; say so, in one line
if missing:
    st.warning(missing, icon=":material/link_off:")
# the lecture path's bar (?step=K) and the room (?room=CODE, the lead's &lead=TOKEN): may switch page (a step)
ui.lecture.begin(pg, sidebar=lecture_panel)

# counted as a script under way (a Remedies-lab training loop gives way to it), and computed in one of
# serve.activity.RUN_SLOTS slots: one page at a time, so thirty sessions do not share the GIL in 5 ms turns
try:
    with serve.activity.script_run(), serve.activity.admitted(), ui.frame.inside():
        pg.run()
        ui.controls.end_run()  # only after a run that completed (a rerun or an exception skips it)
finally:
    serve.memory.maybe_trim()  # free heap pages back to the kernel, at most once a minute
