"""Remedies lab: every remedy of Jefkine 2018 trained live, with recorded comparisons on the cards.

Layout: controls (all in the URL) -> Train / Stop -> live curves -> after training the
per-step gradient norms, the T x T map and the scoreboard; then one card per remedy with its
recorded comparison (results/remedies/, lessons/remedies/records.py) and a button that reruns
it live; then success rate against length.

Training happens only when a Train / "Run live" button is pressed. The run lives in
st.session_state and is advanced in time slices at the END of the script, after every other
element is drawn, so a click anywhere (Stop included) interrupts it between two updates and
the next run keeps everything trained so far (Streamlit raises its rerun at the next st call).
Computation lives in the lessons.remedies package; this file only lays it out.
"""

import serve  # noqa: I001  (standard library only)

# NB: first, before anything loads NumPy: on a fresh server Streamlit may run this page before app.py
# (ui/frame.py), and the float32 kernels can only be pinned before NumPy loads (serve/kernels.py).
serve.setup()

import secrets
import time
from dataclasses import replace
from typing import NamedTuple

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import ui
from gradcore import train
from lessons import papers
from lessons import predictions as PL
from lessons.remedies import records as rec_io
from lessons.remedies.analysis import (
    baseline_loss,
    card_findings,
    forget_bias_findings,
    many_seeds,
    notice_points,
    run_outcome,
    scoreboard_rows,
    seed_bands,
    state_map,
    success_table,
)
from lessons.remedies.cards import (
    CARDS,
    SUCCESS_KNOBS,
    SUCCESS_LENGTHS,
    SUCCESS_METHODS,
    SUCCESS_RECORDED,
    SUCCESS_SEEDS,
    card_lab,
    success_lab,
)
from lessons.remedies.jsonable import recorded_float
from lessons.remedies.runtime import Lab, ensemble_count
from lessons.remedies.specs import MODELS, REMEDIES, TASKS, Knobs, custom_specs

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

RUN = "_remedies_run"  # session_state: the active run {"origin", "lab", "status", "maps"}
MAX_SLICES = (
    "_remedies_max_slices"  # tests only: leave the loop after this many slices (what an interruption does)
)
SLICE = 0.05  # seconds of training per slice; the page redraws every REDRAW seconds
REDRAW = 0.5  # progress at least every second
REDRAW_BUSY = 5.0  # live charts while other sessions are active (serve/activity.py): four charts cost ~0.1 s
BUSY_WINDOW = 3.0  # "active": another session's script ran within the last BUSY_WINDOW seconds
YIELD = 0.005  # seconds the script sleeps after each slice so other sessions stay responsive
GIVE_WAY = 0.4  # at most this long it then waits while other sessions' scripts run (serve/activity.py)
LIVE_LIMITS = {"T": 200, "steps": 5000, "seeds": 5}

st.title("Remedies lab")
ui.stage.intro(
    "Jefkine (2018) lists eleven remedies for exploding and vanishing gradients. Here each one is "
    "**trained**, not described: pick a task, models and remedies, press **Train**, and watch every run "
    "of the comparison learn (or not) at once. Below, one card per remedy shows a prepared comparison that "
    "was recorded with the same code, and can be rerun live in about a minute."
)


# ----------------------------------------------------------------------------- small helpers
def multiselect(label, key, names: dict, default, help=None):
    """ui.multiselect over the keys of names (?models=lstm, the URL's one vocabulary); a link may also name
    one by its label (?models=LSTM), which is rewritten to the key. Returns the chosen keys."""
    legend = "; ".join(f"{k}: {v}" for k, v in names.items())
    return ui.multiselect(label, key, list(names), list(default), help=help or legend, labels=names)


def _prop(obj, name: str):
    """An Altair object's own value of a property (obj["name"]), alt.Undefined where it has none.

    NB: item access, not attribute access: for a channel, .legend or .scale is Altair's setter method."""
    try:
        return obj[name]
    except KeyError:
        return alt.Undefined


def _title_aside(chart):
    """The chart with its title moved into usermeta (Vega-Lite ignores it; show() prints it as text)."""
    title = _prop(chart, "title")
    if isinstance(title, str) and title:
        chart = chart.copy(deep=False)
        chart["title"] = alt.Undefined
        chart["usermeta"] = {"title": title}
    return chart


def show(chart, keep: tuple | None = None, data=None, filename: str | None = None, grow: bool = True):
    """Draw a chart with its title as text above it; chart may be a function making it.

    keep: a key under which the finished spec is kept (ui.kept_spec) -- for charts that do not
    change under that key (a recorded file's version, a finished run's token); the chart is then
    only built the first time. grow=False: the chart keeps its height in lecture mode (a chart on the stage,
    ui.stage). NB: Streamlit fits title, axes and legend into the chart's height,
    and a long Vega title was clipped at the top in the browser; a markdown line above never is."""

    def make():
        return _title_aside(
            chart() if callable(chart) and not isinstance(chart, alt.TopLevelMixin) else chart
        )

    lecture = ui.lecture_mode()
    spec = ui.chart_spec(make(), lecture, grow) if keep is None else ui.kept_spec(keep, make, lecture, grow)
    title = spec.get("usermeta", {}).get("title", "")
    if title:
        st.markdown("**" + title.replace("_", "\\_").replace("*", "\\*") + "**")
    st.vega_lite_chart(spec=spec, width="stretch")
    if data is not None:
        ui.download_csv(data, filename or "chart-data.csv")


LEGEND_WIDTH = 300  # px a legend may take under a chart in a half of the stage's column (ui.stage) at 1280 px


def papers_chart(pts: pd.DataFrame, paper_value, title: str):
    """Every seed's sequences to success (filled), the budget it ran out of (hollow square) or, still training,
    what it has seen so far (hollow circle), per configuration, with the paper's figure as a dashed rule."""
    outcome = ["solved", "not solved within the budget", "still training"]
    top = max([float(pts["sequences"].max()) * 1.05, float(paper_value or 0) * 1.15])
    x = alt.X(
        "sequences:Q",
        title="training sequences (to success, or seen within the budget)",
        scale=alt.Scale(domain=[0, top], nice=False),
    )
    y = alt.Y("configuration:N", title=None, axis=alt.Axis(labelLimit=400))
    marks = (
        alt.Chart(pts)
        .mark_point(size=140, strokeWidth=2)
        .encode(
            x,
            y,
            alt.YOffset("seed:N"),  # seeds that solved at nearly the same count stay apart
            alt.Color(
                "outcome:N",
                scale=alt.Scale(
                    domain=outcome, range=[ui.palette.BLUE, ui.palette.VERMILLION, ui.palette.GREY]
                ),
                legend=alt.Legend(orient="bottom", title=None),
            ),
            alt.Shape(
                "outcome:N",
                scale=alt.Scale(domain=outcome, range=["circle", "square", "circle"]),
                legend=None,
            ),
            alt.Fill(
                "outcome:N",
                scale=alt.Scale(domain=outcome, range=[ui.palette.BLUE, "transparent", "transparent"]),
                legend=None,
            ),
            tooltip=["configuration:N", "seed:Q", alt.Tooltip("sequences:Q", format=","), "outcome:N"],
        )
    )
    layers = [marks]
    if paper_value:
        rule = pd.DataFrame({"sequences": [paper_value], "label": [f"paper: {paper_value:,}"]})
        base = alt.Chart(rule)
        layers += [
            base.mark_rule(strokeDash=[6, 4], color=ui.palette.BLACK).encode(x=alt.X("sequences:Q")),
            base.mark_text(align="left", dx=4, dy=-8, baseline="bottom").encode(
                x=alt.X("sequences:Q"), text="label:N", y=alt.YValue(0)
            ),
        ]
    return alt.layer(*layers).properties(height=80 + 60 * pts["configuration"].nunique(), title=title)


def papers_errors_chart(df: pd.DataFrame, title: str, mean_wrong: float | None = None):
    """Each seed's test error per configuration (one mark per seed, configurations in the record's order), with
    the 1 % success line dashed and, given mean_wrong (a share), the error of predicting the mean dotted."""
    x = alt.X(
        "test error (%):Q", title="test error (% of fresh sequences wrong)", scale=alt.Scale(domain=[0, 100])
    )
    order = list(dict.fromkeys(df["configuration"]))
    y = alt.Y("configuration:N", title=None, sort=order, axis=alt.Axis(labelLimit=400))
    marks = (
        alt.Chart(df)
        .mark_point(size=140, strokeWidth=2, filled=True, color=ui.palette.BLUE)
        .encode(
            x,
            y,
            alt.YOffset("seed:N"),
            tooltip=["configuration:N", "seed:Q", alt.Tooltip("test error (%):Q", format=".1f")],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"test error (%)": [1.0]}))
        .mark_rule(strokeDash=[6, 4], color=ui.palette.BLACK)
        .encode(x=alt.X("test error (%):Q"))
    )
    layers = [marks, rule]
    if mean_wrong is not None:
        mean = pd.DataFrame({"test error (%)": [100 * mean_wrong], "label": ["predicting the mean"]})
        layers.append(
            alt.Chart(mean)
            .mark_rule(strokeDash=[2, 3], color=ui.palette.BLACK)
            .encode(x=alt.X("test error (%):Q"))
        )
        layers.append(
            alt.Chart(mean)
            .mark_text(align="right", dx=-4, dy=-6, baseline="bottom", color=ui.palette.BLACK)
            .encode(x=alt.X("test error (%):Q"), y=alt.value(0), text="label:N")
        )
    return alt.layer(*layers).properties(height=100 + 60 * df["configuration"].nunique(), title=title)


HF_SHORT = {"lm": "LM damping alone", "struct": "structural damping"}  # the HF record's methods, on its chart
MSE_TOP = 10.0  # an MSE median above this (a run that blew up) is drawn at the top edge, marked


def mse_chart(rows: pd.DataFrame, title: str, height: int = 300):
    """Median held-out MSE against training sequences, one line per model, log y from 1e-3 to MSE_TOP, with the
    predict-the-mean baseline 1/6 as a dashed black rule; medians above MSE_TOP sit on the top edge as crosses."""
    df = rows.copy()
    df["above"] = df["mse"] > MSE_TOP
    df["shown"] = df["mse"].clip(lower=1e-3, upper=MSE_TOP)
    names = list(dict.fromkeys(df["model"]))
    x = alt.X("sequences:Q", title="training sequences per run")
    y = alt.Y(
        "shown:Q",
        title="MSE (median of seeds)",
        scale=alt.Scale(type="log", domain=[1e-3, MSE_TOP], clamp=True),
        axis=alt.Axis(format="~g"),
    )
    colour = alt.Color(
        "model:N", scale=ui.palette.scale(names), legend=alt.Legend(orient="bottom", title=None, columns=1)
    )
    lines = (
        alt.Chart(df)
        .mark_line()
        .encode(
            x,
            y,
            colour,
            tooltip=[
                "model:N",
                alt.Tooltip("sequences:Q", format=","),
                alt.Tooltip("mse:Q", format=".4g"),
                "seeds:Q",
            ],
        )
    )
    above = (
        alt.Chart(df)
        .transform_filter("datum.above")
        .mark_point(shape="cross", size=90, filled=True)
        .encode(x, y, colour)
    )
    base = pd.DataFrame({"shown": [papers.LE_BASELINE], "label": ["predict the mean: 1/6"]})
    rule = alt.Chart(base).mark_rule(strokeDash=[6, 4], color=ui.palette.BLACK).encode(y=alt.Y("shown:Q"))
    text = (
        alt.Chart(base)
        .mark_text(align="left", dx=4, dy=-6, color=ui.palette.BLACK)
        .encode(y=alt.Y("shown:Q"), x=alt.XValue(0), text="label:N")
    )
    return alt.layer(lines, above, rule, text).properties(height=height, title=title)


def success_chart(rows: pd.DataFrame, title: str, height: int = 300):
    """Share of seeds solved against T, one line per method, y from 0 to 1 (all zeros stay readable)."""
    names = list(dict.fromkeys(rows["method"]))
    return (
        alt.Chart(rows)
        .mark_line(point=True)
        .encode(
            alt.X("T:Q", title="sequence length T (steps)", axis=alt.Axis(values=sorted(rows["T"].unique()))),
            alt.Y(
                "success:Q",
                title=f"seeds solved (share of {int(rows['seeds'].max())})",
                scale=alt.Scale(domain=[0, 1]),
            ),
            alt.Color(
                "method:N",
                scale=ui.palette.scale(names),
                legend=alt.Legend(orient="bottom", title=None, columns=1),
            ),
            alt.StrokeDash(
                "method:N",
                scale=alt.Scale(domain=names, range=[[2, 3], [8, 4], [1, 0]][: len(names)]),
                legend=None,
            ),
            tooltip=["method:N", "T:Q", "solved:Q", "seeds:Q"],
        )
        .properties(height=height, title=title)
    )


def same_lines(rows: pd.DataFrame) -> str | None:
    """A sentence naming the methods whose success lines coincide at every T (they hide each other), or None."""
    series: dict[tuple, list[str]] = {}
    for method, g in rows.groupby("method", sort=False):
        series.setdefault(tuple(zip(g["T"], g["solved"], g["seeds"], strict=True)), []).append(str(method))
    groups = [(k, v) for k, v in series.items() if len(v) > 1]
    if not groups:
        return None
    return " ".join(
        f"The lines of {', '.join(v[:-1])} and {v[-1]} lie on top of each other: "
        + "; ".join(f"T = {T}: {n} of {seeds} solved" for T, n, seeds in k)
        + "."
        for k, v in groups
    )


def paper_live_button(name: str) -> None:
    """'Rerun live at a smaller size' for a paper record, with its live area (progress bar, streaming curves)."""
    if name not in papers.LIVE:
        return
    T, seeds, steps = papers.LIVE[name]
    origin = f"paper_{name}"
    if st.button(
        f"Rerun live at a smaller size (T = {T}, {seeds} seeds, {steps:,} updates)",
        key=f"run_{origin}",
        help="The same code and recipe as the record, shorter and with fewer seeds: a lecture minute, "
        "not the paper's scale.",
    ):
        start_run(origin, papers.live_lab(name))
    slots[origin] = slot_for(origin, st.container())


def legend_columns(chart, n: int = 2):
    """Wrap a bottom legend into n columns (a comparison has many runs; one row would be cut off)."""
    layers = chart.layer if isinstance(chart, alt.LayerChart) else [chart]
    colours = []
    for lay in layers:
        enc = _prop(lay, "encoding")
        col = _prop(enc, "color") if enc is not alt.Undefined else alt.Undefined
        if col is not alt.Undefined and isinstance(_prop(col, "legend"), alt.Legend):
            sc = _prop(col, "scale")
            dom = _prop(sc, "domain") if sc is not alt.Undefined else alt.Undefined
            colours.append((col, [str(d) for d in dom] if isinstance(dom, list) else []))
    n_series = max((len(dom) for _, dom in colours), default=0)
    longest = max((len(d) for _, dom in colours for d in dom), default=0)
    # a chart in half the stage's column is about 330 px wide at 1280 px: a column of labels of
    # `longest` characters takes about 6.5 px each plus the symbol, so long labels get one column
    n = max(1, min(n, int(LEGEND_WIDTH // (6.5 * longest + 30)))) if longest else n
    for col, _ in colours:
        col["legend"] = alt.Legend(orient="bottom", columns=n, labelLimit=LEGEND_WIDTH)
    h = _prop(chart, "height")
    if isinstance(h, int) and n_series > 2 * n:
        # Streamlit fits the legend into the chart's height: grow it so the plot keeps its size
        chart = chart.properties(height=h + 20 * (-(-n_series // n) - 1))
    return chart


def curves_frame(rec: dict) -> pd.DataFrame:
    names = ("loss", "accuracy", "grad_norm", "clipped_norm")
    rows = []
    for r in rec["runs"]:
        c = r["curves"]
        for i, s in enumerate(c.get("step", [])):
            rows.append((r["label"], s, *(recorded_float(c[k][i]) for k in names)))
    return pd.DataFrame(rows, columns=["run", "step", *names])


SPECTRUM = {  # record key -> (column, axis title, chart title)
    "spectral_radius": (
        "spectral radius",
        "ρ(W_hh)",
        "Spectral radius of W_hh (LSTM: g block, GRU: n block)",
    ),
    "spectral_norm": ("spectral norm", "‖W_hh‖₂", "Spectral norm of W_hh (largest singular value)"),
}


def spectrum_frame(rec: dict, key: str = "spectral_radius") -> pd.DataFrame:
    """ρ(W_hh) or ‖W_hh‖₂ of every run at every report."""
    rows = [
        (r["label"], s, recorded_float(v))
        for r in rec["runs"]
        for s, v in zip(r[key]["step"], r[key]["value"], strict=True)
    ]
    return pd.DataFrame(rows, columns=["run", "step", SPECTRUM[key][0]])


def spectrum_chart(rec: dict, key: str = "spectral_radius", height=280):
    """ρ(W_hh) (or, key="spectral_norm", ‖W_hh‖₂: the sufficient condition against explosion) of every run."""
    col, y_title, title = SPECTRUM[key]
    return legend_columns(
        ui.charts.line(
            spectrum_frame(rec, key),
            "step",
            col,
            "run",
            x_title="update",
            y_title=y_title,
            height=height,
            title=title,
        )
    )


def dh_frame(rec: dict) -> pd.DataFrame:
    rows = [(r["label"], k + 1, recorded_float(v)) for r in rec["runs"] for k, v in enumerate(r["dh_norms"])]
    return pd.DataFrame(rows, columns=["run", "k", "norm"])


DASHES = [[1, 0], [8, 4], [10, 3, 2, 3], [4, 4]]  # one per remedy set, in order of appearance
NO_REMEDY_DASH = [2, 3]
BASELINE_DASH = [6, 4]


def band_styles(bands: pd.DataFrame) -> tuple[list, list, list]:
    """(configurations, colours, dashes), one (colour, dash) pair per configuration and never the same pair
    twice: colour by model and dash by remedies where each configuration is one model with one remedy set
    (the page's comparisons); otherwise (a card's runs differing in a setting) a colour per configuration."""
    first = bands.drop_duplicates("configuration")
    names = list(first["configuration"])
    pairs = list(zip(first["model"], first["remedies"], strict=True))
    if len(set(pairs)) == len(pairs):
        colour = dict(
            zip(
                dict.fromkeys(first["model"]),
                ui.palette.colours([MODELS.get(m, m) for m in dict.fromkeys(first["model"])]),
                strict=True,
            )
        )
        rem_sets = [r for r in dict.fromkeys(first["remedies"]) if r != "none"]
        dash = {r: DASHES[i % len(DASHES)] for i, r in enumerate(rem_sets)} | {"none": NO_REMEDY_DASH}
        return names, [colour[m] for m, _ in pairs], [dash[r] for _, r in pairs]
    return names, ui.palette.colours(names), [DASHES[0]] * len(names)


def band_chart(
    rec: dict,
    metric: str,
    y_title: str,
    title: str,
    log: bool = False,
    height: int = 300,
    baseline=None,
    x_title: str = "update (or HF / ESN iteration)",
):
    """The median over each configuration's seeds as a line, the band from its lowest to its highest seed
    (lessons.remedies.analysis.seed_bands), one legend entry per configuration; baseline: (value, name)
    drawn as a black dashed level."""
    cols = ["configuration", "model", "remedies", "step", "median", "lo", "hi", "seeds"]
    bands = pd.DataFrame(seed_bands(rec, metric), columns=cols)  # columns even before the first report
    if log:
        bands = bands[(bands["lo"] > 0) & (bands["median"] > 0)]
    names, colours, dashes = band_styles(bands)
    if baseline is not None and len(bands):
        bname = f"baseline: {baseline[1]}"
        extra = pd.DataFrame(
            {
                "configuration": bname,
                "step": [bands["step"].min(), bands["step"].max()],
                "median": baseline[0],
                "lo": baseline[0],
                "hi": baseline[0],
                "seeds": 0,
            }
        )
        bands = pd.concat([bands, extra], ignore_index=True)
        names, colours, dashes = [*names, bname], [*colours, ui.palette.BLACK], [*dashes, BASELINE_DASH]
    many = bool(len(bands)) and int(bands["seeds"].max()) > 1
    scale = alt.Scale(type="log") if log else alt.Scale(zero=False)
    axis = alt.Axis(format=".0e") if log else alt.Axis()
    # two legend columns only where two of the longest label fit beside each other under a half-width chart
    char_px = 11 if ui.lecture_mode() else 7
    longest = max((len(n) for n in names), default=0)
    cols = 2 if 2 * (longest * char_px + 40) <= LEGEND_WIDTH else 1
    legend = alt.Legend(
        orient="bottom", title=None, columns=cols, labelLimit=LEGEND_WIDTH, symbolStrokeWidth=3
    )
    colour = alt.Color("configuration:N", scale=alt.Scale(domain=names, range=colours), legend=legend)
    base = alt.Chart(bands).encode(x=alt.X("step:Q", title=x_title))
    line = base.mark_line().encode(
        alt.Y("median:Q", title=y_title, scale=scale, axis=axis),
        colour,
        alt.StrokeDash("configuration:N", scale=alt.Scale(domain=names, range=dashes), legend=legend),
        tooltip=[
            "configuration:N",
            "step:Q",
            alt.Tooltip("median:Q", format=".3g"),
            alt.Tooltip("lo:Q", format=".3g", title="lowest seed"),
            alt.Tooltip("hi:Q", format=".3g", title="highest seed"),
            "seeds:Q",
        ],
    )
    layers = [line]
    if many:
        # NB: the band's colour goes through fill, a channel of its own: a color encoding with legend=None here
        # removed the line's legend too (one shared color scale and legend across the layers)
        band = base.mark_area(opacity=0.18).encode(
            alt.Y("lo:Q", scale=scale),
            alt.Y2("hi:Q"),
            alt.Fill("configuration:N", scale=alt.Scale(domain=names, range=colours), legend=None),
        )
        layers = [band, line]
    # NB: Vega-Lite merges the legends of channels that share a field across layers, and the band's legend=None
    # then removed the line's: the band's fill legend is resolved on its own
    return (
        alt.layer(*layers)
        .resolve_legend(fill="independent")
        .properties(
            height=height,
            title=title + (": median line, band from the lowest to the highest seed" if many else ""),
        )
    )


def loss_chart(rec: dict, height=300):
    kn = rec["knobs"]
    return band_chart(
        rec,
        "loss",
        "training loss",
        "Loss",
        log=True,
        height=height,
        baseline=baseline_loss(kn["task"], kn["T"]),
    )


def grad_chart(df: pd.DataFrame, height=300):
    a = df[["run", "step", "grad_norm"]].rename(columns={"grad_norm": "norm"}).assign(series=df["run"])
    # "after clipping" only for the runs whose clipping ever acted (elsewhere it is the same line)
    acted = [
        r for r, g in df.groupby("run") if np.any(g["clipped_norm"].to_numpy() < g["grad_norm"].to_numpy())
    ]
    b = df[df["run"].isin(acted)][["run", "step", "clipped_norm"]].rename(columns={"clipped_norm": "norm"})
    b = b.assign(series=b["run"] + " · after clipping")
    d = pd.concat([a, b])
    d = d[np.isfinite(d["norm"].to_numpy(dtype=float))]
    dashed = sorted(set(b["series"]))
    return legend_columns(
        ui.charts.log_line(
            d[["series", "step", "norm"]],
            "step",
            "norm",
            "series",
            x_title="update",
            y_title="||dE/dθ||",
            dashed=dashed,
            height=height,
            title="Gradient norm (solid: before clipping, dashed: after)",
        )
    )


def live_charts(rec: dict, final: bool, keep: tuple | None = None):
    """Loss, accuracy, gradient norm and spectral radius of every run; keep: a key prefix under which
    the specs are kept (a finished run: they no longer change)."""
    df = curves_frame(rec)
    if df.empty:
        st.caption("No update finished yet.")
        return

    def k(name):
        return None if keep is None else (*keep, name)

    def accuracy():
        return band_chart(
            rec, "accuracy", "batch accuracy", "Accuracy on each fresh batch (task criterion)", height=280
        )

    c1, c2 = st.columns(2)
    with c1:
        show(lambda: loss_chart(rec), keep=k("loss"))
        show(accuracy, keep=k("accuracy"))
    with c2:
        if many_seeds(rec):
            show(
                lambda: band_chart(rec, "grad_norm", "‖∂E/∂θ‖", "Gradient norm before clipping", log=True),
                keep=k("grad"),
            )
            show(
                lambda: band_chart(
                    rec,
                    "spectral_radius",
                    *SPECTRUM["spectral_radius"][1:],  # the same axis and title as the one-seed chart
                    height=280,
                    x_title="update",
                ),
                keep=k("rho"),
            )
        else:
            show(lambda: grad_chart(df), keep=k("grad"))
            show(lambda: spectrum_chart(rec), keep=k("rho"))
    if final:
        ui.download_csv(df, f"remedies-curves-{rec['knobs']['task']}.csv", "Download the curves (CSV)")


def dh_chart(rec: dict, height=320):
    d = dh_frame(rec)
    if many_seeds(rec):
        return d, lambda: band_chart(
            rec,
            "dh_norms",
            "||dL/dh_k|| (batch)",
            "Did the gradient reach the early steps? ||dL/dh_k|| at the last report",
            log=True,
            height=height,
            x_title="step k",
        )
    return d, lambda: legend_columns(
        ui.charts.log_line(
            d,
            "k",
            "norm",
            "run",
            x_title="step k",
            y_title="||dL/dh_k|| (batch)",
            height=height,
            title="Did the gradient reach the early steps? ||dL/dh_k|| at the last report",
        )
    )


def scoreboard(rec: dict, seconds: dict | None):
    rows = scoreboard_rows(rec, seconds)
    df = pd.DataFrame(rows)
    st.dataframe(df, hide_index=True, width="stretch")
    st.caption(
        "The column 'paper's figure' holds **the papers' numbers, not this run's**: they are there for scale "
        "(their runs were far longer and at larger T). 'Sequences seen' = batch x updates until solved "
        "(or until the budget ran out). 'Wrong on fresh data' is the official check (under 1 % wrong on "
        "fresh sequences = solved); it only runs once the training batches look close, hence 'not checked'. "
        "Wall time is the compute time of the batched computation the run was part of."
    )
    return df


def recorded_success(height: int, grow: bool = True) -> bool:
    """The recorded success rate against length of every recorded method (results/remedies/success_*.json);
    False when none is recorded."""
    rows = []
    for name in SUCCESS_RECORDED:
        r, _ = rec_io.load_shared(f"success_{name}")
        if r is not None:
            for row in success_table(r):
                rows.append({"method": SUCCESS_METHODS[name][0], **row})
    if not rows:
        st.info("No recorded success curves yet (`python -m lessons.remedies.records --all`).")
        return False
    sdf = pd.DataFrame(rows)
    show(
        lambda: ui.charts.line(
            sdf[["method", "T", "success rate"]],
            "T",
            "success rate",
            "method",
            x_title="sequence length T",
            y_title="fraction of seeds that solved it",
            height=height,
            points=True,
            title="Recorded: temporal order, success rate against T",
        ),
        keep=("recorded success", height) + tuple(rec_io.version(f"success_{n}") for n in SUCCESS_RECORDED),
        data=sdf,
        filename="remedies-success.csv",
        grow=grow,
    )
    st.caption(
        "Recorded by `python -m lessons.remedies.records --success <method>`; "
        f"lengths {', '.join(map(str, SUCCESS_LENGTHS))}, {SUCCESS_SEEDS} seeds each."
    )
    return True


# ----------------------------------------------------------------------------- the controls
# The stage (ui.stage): task, length, models, remedies and Train beside the live curves (before a run: the
# recorded success rate against length); every other setting in the expanders under them.
st.subheader("1 · Build a comparison")
controls, main = ui.stage.columns()
with controls:
    task = ui.select(
        "Task",
        "task",
        list(TASKS),
        "adding",  # the default comparison separates in a few seconds: RNN at the blind level, LSTM far below
        labels=TASKS,
        help="adding = Hochreiter 1997 exp. 4; temporal_order = Pascanu 2013; copy = Arjovsky 2016; "
        "noisy_sine = next-value generation (teacher forcing)",
    )
    T = ui.slider("Length T", "T", 5, LIVE_LIMITS["T"], 30)
    models_sel = multiselect("Models", "models", MODELS, ["rnn", "lstm"])
    rem_sel = multiselect(
        "Remedies",
        "remedies",
        REMEDIES,
        ["clip"],
        help="Applied to every model they fit. " + "; ".join(f"{k}: {v}" for k, v in REMEDIES.items()),
    )
    train_box = st.container()  # the Train button, once the runs are known
    with ui.stage.more("Size, budget, optimiser"):
        H = ui.slider("Hidden units H", "H", 2, 64, 16)
        steps = ui.slider("Budget: updates per run", "steps", 10, LIVE_LIMITS["steps"], 500, step=10)
        seeds = ui.slider("Seeds per run", "seeds", 1, LIVE_LIMITS["seeds"], 1)
        lr = ui.number("Learning rate (Adam)", "lr", 1e-4, 1.0, 3e-3, step=1e-3, format="%.4f")
        batch = ui.slider("Batch", "batch", 1, 256, 32)
        act = ui.select("RNN activation", "act", ["tanh", "relu", "sigmoid"], "tanh")
        baseline = ui.toggle("Also run each model without the remedies (the baseline)", "baseline", True)
    with ui.stage.more("Remedy settings"):
        clip_mode = ui.radio("Clip by", "clip", ["norm", "value"], "norm")
        thr = ui.number("Clipping threshold", "thr", 1e-3, 1e3, 1.0, format="%.3f")
        k = ui.slider("Truncation k (BPTT(k, k))", "k", 1, LIVE_LIMITS["T"], 5)
        omega_w = ui.number("Omega weight", "omega", 0.0, 100.0, 1.0)
        l1 = ui.number("L1 on W_hh", "l1", 0.0, 10.0, 0.0, format="%.4f")
        l2 = ui.number("L2 on W_hh", "l2", 0.0, 10.0, 0.01, format="%.4f")
        mu = ui.number("Structural damping μ (HF)", "mu", 0.0, 10.0, 0.3)
        esn_rho = ui.number("ESN spectral radius", "esn_rho", 0.05, 2.0, 0.9)
        hf_steps = ui.slider("HF outer iterations", "hf_steps", 1, 200, 20)
        st.caption(
            "Leaky units draw each unit's α from U(0.02, 0.2) as in Jefkine 2018, eq. 14. Teacher forcing only "
            "means something on the generation task (noisy_sine): without it the RNN trains free running."
        )

knobs = Knobs(
    task=task,
    T=int(T),
    H=int(H),
    activation=act,
    lr=float(lr),
    batch=int(batch),
    steps=int(steps),
    clip_mode=clip_mode,
    clip_threshold=float(thr),
    k=int(k),
    l1=float(l1),
    l2=float(l2),
    omega=float(omega_w),
    struct=float(mu),
    esn_rho=float(esn_rho),
    hf_steps=int(hf_steps),
)
specs, notes = custom_specs(models_sel, rem_sel, int(seeds), baseline, task)
with train_box:
    train_clicked = st.button(
        "Train",
        key="train_btn",
        type="primary",
        disabled=not specs,
        width="stretch",
        help="Train every run above from scratch (the button itself is not in the URL).",
    )
    for n in notes:
        st.caption(n)
    n_grad = ensemble_count(specs, knobs)
    st.caption(
        f"{len(specs)} run(s); the gradient-trained ones share {n_grad} batched computation(s) "
        "(runs of one shape train as one ensemble). Nothing trains until you press Train."
    )
custom_slot = main.container()

# ----------------------------------------------------------------------------- the active run
state = st.session_state.get(RUN)
if train_clicked and specs:
    state = {
        "origin": "custom",
        "lab": Lab(specs, knobs, title="your comparison"),
        "status": "running",
        "maps": {},
        "token": secrets.token_hex(8),
    }  # names this run's kept chart specs once it has finished
    st.session_state[RUN] = state


def start_run(origin: str, lab: Lab):
    global state
    state = {"origin": origin, "lab": lab, "status": "running", "maps": {}, "token": secrets.token_hex(8)}
    st.session_state[RUN] = state


class Slot(NamedTuple):
    """A run's live area: the progress bar, and below it the charts (or, after, the results)."""

    progress: object
    body: object


def slot_for(origin: str, where):
    """Reserve the live area of `origin`; Stop lives here while its run trains."""
    if not state or state["origin"] != origin:
        return None
    with where:
        holder = st.empty()
        if state["status"] == "running":
            if holder.button(
                "Stop",
                key=f"stop_{origin}",
                type="secondary",
                help="Stop training and keep what was trained so far.",
            ):
                state["lab"].stop()
                state["status"] = "stopped"
                holder.empty()
        stop_holders[origin] = holder
        return Slot(st.empty(), st.empty())


stop_holders = {}  # origin -> the placeholder holding its Stop button (emptied when training ends)


slots = {"custom": slot_for("custom", custom_slot)}
success_on_stage = slots["custom"] is None  # no comparison of yours on the stage yet: a recorded one is
if success_on_stage:
    with main:
        recorded_success(ui.stage.hero_height() - 30, grow=False)
        st.caption(
            f"Until you press Train (task: {TASKS[task]}), the stage shows a recorded result: which models solve "
            "the temporal order problem as it gets longer (section 3)."
        )


def after_training(origin: str, lab: Lab):
    """Per-step gradient norms, the T x T map for a chosen run, the scoreboard."""
    rec = lab.record()
    st.markdown(
        f"**{'Stopped' if lab.stopped else 'Finished'}** after {lab.compute_seconds:.1f} s of compute."
    )
    done = ("run", state["token"], lab.units_done(), lab.stopped)  # a finished run's charts no longer change
    live_charts(rec, final=True, keep=done)
    d, ch = dh_chart(rec)
    show(ch, keep=(*done, "dh"), data=d, filename=f"remedies-dh-{origin}.csv")
    runs = [r for r in lab.runs if r.kind in ("grad", "hf") and r.params is not None]
    if runs:
        st.markdown(
            "**The T x T map of one run**: log10 ||∂h_t/∂h_k||₂ for its trained weights on one fresh "
            "sequence (how strongly step k can still move the state at t; every term "
            "∂E_t/∂W^(k) of Jefkine 2018, eq. 6 carries this factor). Grey cells are the pairs truncated BPTT "
            "throws away."
        )
        labels = [r.spec.label for r in runs]
        sel = ui.select("Run for the map", f"map_{origin}", labels, labels[0])
        r = lab.run_by_label(sel)
        cfg = r.config
        cell = "rnn" if r.kind == "hf" else cfg.cell
        T_run = cfg.T
        tb = None if r.kind == "hf" else cfg.tbptt
        key = (sel, r.steps)
        if key not in state["maps"]:
            state["maps"][key] = state_map(
                cell, cfg.activation, r.params, r.extra.get("alpha"), cfg.task, T_run, tb
            )
        m = state["maps"][key]
        draw_map(m, sel, keep=(*done, "map", key))
    if origin == "success":
        st.markdown("**Success rate against length (this live run)**")
        st.dataframe(pd.DataFrame(success_table(rec)), hide_index=True)
    free = [
        (r["label"], recorded_float(r["extra"]["free_run_rms"]))
        for r in rec["runs"]
        if "free_run_rms" in r["extra"]
    ]
    for label, rms in free:
        st.caption(
            f"{label}: RMS error against the clean sine when run free after a 10-step prime: {rms:.3f}"
        )
    outcome = run_outcome(rec)
    if outcome:
        st.markdown("**What this run shows** (computed from it)\n" + "\n".join(f"- {s}" for s in outcome))
    st.markdown("**Scoreboard**")
    scoreboard(rec, lab.timing()["run_seconds"])
    ui.show_code(
        train.Stepper.step,
        train.clip,
        Lab.advance,
        state_map,
        label="Show the code: one update of every run (gradcore.train.Stepper.step), clipping, the "
        "time-sliced loop, the T x T map",
    )


def draw_map(m: dict, label: str, keep: tuple | None = None):
    Tr = m["T"]
    t_idx, k_idx = np.tril_indices(Tr)
    v = m["log10_norm"][t_idx, k_idx]
    df = pd.DataFrame(
        {"t": t_idx + 1, "k": k_idx + 1, "log10 norm": v, "dropped": m["dropped"][t_idx, k_idx]}
    )
    df = df[np.isfinite(df["log10 norm"].to_numpy(dtype=float))]
    every = -(-Tr // 80)  # at most 80 x 80 cells on screen: every s-th t and k (exact values, not averages)
    if every > 1:
        df = df[((df["t"] - 1) % every == 0) & ((df["k"] - 1) % every == 0)]
        st.caption(f"T = {Tr}: every {every}th step t and k is drawn.")
    if df.empty:
        st.caption("The products overflowed for every pair (the run diverged); nothing to draw.")
        return
    heat = ui.charts.heatmap(
        df,
        "k",
        "t",
        "log10 norm",
        x_title="step k",
        y_title="step t",
        value_title=f"log10 ||∂{m['state']}_t/∂{m['state']}_k||",
        height=360,
        title=f"{label}: ||∂h_t/∂h_k|| on one sequence (T = {Tr})",
    )
    shade = (
        alt.Chart(df[df["dropped"]])
        .mark_rect(color="#666666", opacity=0.6)
        .encode(
            x=alt.X("k:O"),
            y=alt.Y("t:O", sort="descending"),
            tooltip=[alt.Tooltip("t:O"), alt.Tooltip("k:O"), alt.Tooltip("log10 norm:Q", format=".3g")],
        )
    )
    chart = heat + shade if df["dropped"].any() else heat
    show(chart, keep=keep, data=df, filename="remedies-map.csv")
    n_drop = int(df["dropped"].sum())
    far = df[df["t"] - df["k"] >= max(1, Tr // 2)]["log10 norm"]
    st.caption(
        (f"{n_drop} of {len(df)} pairs lie beyond the truncation and contribute nothing. " if n_drop else "")
        + (f"Median log10 norm at distance ≥ {max(1, Tr // 2)}: {far.median():.1f}." if len(far) else "")
    )


def render_run(origin: str, slot: Slot, charts: bool = True):
    """Inside the reserved slot: progress and live charts while running (charts=False: the
    progress bar only, the charts stay as last drawn), full results after."""
    lab = state["lab"]
    if state["status"] == "running":
        slot.progress.progress(
            lab.fraction(),
            text=f"Training {len(lab.runs)} run(s) · {lab.fraction():.0%} · {lab.compute_seconds:.1f} s",
        )
        if charts:
            with slot.body.container():
                live_charts(lab.record(), final=False)
    else:
        slot.progress.empty()
        with slot.body.container():
            after_training(origin, lab)


# ----------------------------------------------------------------------------- the cards
st.subheader("2 · The remedies, one card each")
st.markdown(
    "Each card: what the remedy changes, what it fixes, what it costs, and a prepared comparison. "
    "The numbers shown were **recorded** with `python -m lessons.remedies.records` (the same code a live "
    "run uses); **Run live** retrains it here and "
    + (
        "reproduces them bit for bit (this server runs the pinned float32 kernels they were recorded with)."
        if serve.kernels.in_effect()
        else "reproduces the start of each curve; later points can drift apart, because this machine's "
        "float32 kernels round differently from the x86-64 AVX2 ones the records were made with."
    )
)


def recorded_dh_chart(name: str, guess_label: str, mark_k: int | None, mark_value: float | None):
    """A recorded card's ||dL/dh_k|| by step k (its runs), with the prediction marked at step mark_k."""
    rec, _ = rec_io.load_shared(name)
    chart = ui.charts.log_line(
        dh_frame(rec),
        "k",
        "norm",
        "run",
        x_title="step k",
        y_title="||dL/dh_k|| (batch)",
        height=260,
        title=f"Recorded ||dL/dh_k|| ({rec['knobs']['task']}, T = {rec['knobs']['T']})"
        + ("" if mark_k is not None else f"; {guess_label}"),
        legend_title=None,
    )
    if mark_k is None or mark_value is None or not np.isfinite(mark_value) or mark_value <= 0:
        return chart
    row = pd.DataFrame({"k": [float(mark_k)], "norm": [float(mark_value)], "label": [guess_label]})
    return ui.predict.mark(chart, row, "k", "norm", align="left")


def lesson_remedy(where):
    """lab_remedy: the recorded LSTM card's share of ||dL/dh_T|| that reaches step 1."""
    rec, _ = rec_io.load_shared("card_lstm")
    if rec is None:
        return
    asked = ui.predict.ask("lab_remedy", PL.remedy_question(rec), default=1e-3, where=where)
    if asked.value is None:
        return
    rv = PL.reveal_remedy(rec, float(asked.value))
    lstm_run = next((r for r in rec["runs"] if r["label"] == "LSTM"), None)
    last = recorded_float(lstm_run["dh_norms"][-1]) if lstm_run else float("nan")
    with asked.box:
        st.markdown(rv.sentence)
        show(
            lambda: recorded_dh_chart(
                "card_lstm",
                f"you: {ui.predict.shown('lab_remedy', asked.value)}",
                1,
                float(asked.value) * last,
            ),
            keep=("lab_remedy", float(asked.value), rec_io.version("card_lstm")),
        )


def lesson_truncation(where):
    """lab_truncation: the recorded truncation card's gradient reaching step 1 with the shortest truncation."""
    rec, _ = rec_io.load_shared("card_tbptt")
    if rec is None:
        return
    asked = ui.predict.ask("lab_truncation", PL.truncation_question(rec), where=where)
    if asked.value is None:
        return
    rv = PL.reveal_truncation(rec, str(asked.value))
    with asked.box:
        st.markdown(rv.sentence)
        show(
            lambda: recorded_dh_chart("card_tbptt", f"you predicted: {asked.value}", None, None),
            keep=("lab_truncation", str(asked.value), rec_io.version("card_tbptt")),
        )


_p1, _p2 = st.columns(2, gap="medium")
lesson_remedy(_p1)
lesson_truncation(_p2)

for kind, heading in (("exploding", "For exploding gradients"), ("vanishing", "For vanishing gradients")):
    st.markdown(f"#### {heading}")
    for card in [c for c in CARDS if c.fixes_what == kind]:
        origin = f"card_{card.key}"
        box = st.expander(f"**{card.title}**", key=f"open_{card.key}", bind="query-params")
        active = bool(state) and state["origin"] == origin
        if not (box.open or active or ui.lazy.eager()):
            continue  # NB: a closed card draws nothing (eleven of them were a third of the page at rest)
        with box:
            ui.equation(card.equation, card.computed_by)
            a, b, c = st.columns(3)
            a.markdown(f"**Changes.** {card.changes}")
            b.markdown(f"**Fixes.** {card.fixes}")
            c.markdown(f"**Costs.** {card.costs}")
            kn = card.knobs
            st.markdown(
                f"**Prepared comparison** ({kn.task}, T = {kn.T}, H = {kn.H}, {kn.steps} updates): "
                f"{card.expect}"
            )
            if not (box.open or active):
                continue  # the tests' eager run draws every card's text, but charts only for open cards
            if st.button(
                "Run live", key=f"run_{origin}", help="Retrain this comparison now (about a minute at most)."
            ):
                start_run(origin, card_lab(card))
            slots[origin] = slot_for(origin, st.container())
            if slots[origin] is None:
                recd, tm = rec_io.load_shared(origin)
                if recd is None:
                    st.info(
                        "No recorded result yet: run `python -m lessons.remedies.records --card "
                        f"{card.key}` or press Run live."
                    )
                    continue
                ver = ("recorded", rec_io.version(origin))  # the file's version: its charts are built once
                c1, c2 = st.columns(2)
                with c1:
                    if not curves_frame(recd).empty:
                        show(lambda recd=recd: loss_chart(recd, height=300), keep=(*ver, "loss"))
                with c2:
                    _, ch = dh_chart(recd, height=300)
                    show(ch, keep=(*ver, "dh"))
                if card.key == "l1l2":  # its text is about the radius and the norm: show both
                    r1, r2 = st.columns(2)
                    with r1:
                        show(lambda recd=recd: spectrum_chart(recd, height=240), keep=(*ver, "rho"))
                    with r2:
                        show(
                            lambda recd=recd: spectrum_chart(recd, "spectral_norm", height=240),
                            keep=(*ver, "norm"),
                        )
                for sentence in card_findings(card.key, recd):  # each computed from the record
                    st.caption(sentence)
                if card.key == "lstm":
                    fb_rec, _ = rec_io.load_shared("adding_lstm_T100", rec_io.OUT.parent)
                    if fb_rec is not None:
                        st.caption(forget_bias_findings(fb_rec))
                if card.key == "esn":
                    esn_rec, _ = rec_io.load_shared("esn_memory", rec_io.OUT.parent)
                    if esn_rec is not None:
                        mc = esn_rec["series"]["mc_vs_rho"]
                        mdf = pd.DataFrame({"spectral radius": mc["rho"], "memory capacity": mc["mc"]})
                        show(
                            lambda mdf=mdf: ui.charts.line(
                                mdf,
                                "spectral radius",
                                "memory capacity",
                                x_title="ρ(W)",
                                y_title="memory capacity (steps)",
                                height=200,
                                points=True,
                                title="ESN memory capacity (H = 50): recorded by "
                                "`python -m lessons.experiments esn_memory`",
                            ),
                            keep=("recorded", rec_io.version("esn_memory", rec_io.OUT.parent)),
                        )
                if card.key == "teacher_forcing":
                    for r in recd["runs"]:
                        if "free_run_rms" in r["extra"]:
                            st.caption(
                                f"{r['label']}: RMS error against the clean sine when run free after a "
                                f"10-step prime: {recorded_float(r['extra']['free_run_rms']):.3f}"
                            )
                scoreboard(recd, (tm or {}).get("run_seconds"))
                st.caption(f"Recorded by `{recd.get('command', '')}`.")

# ----------------------------------------------------------------------------- success vs length
st.subheader("3 · Success rate against length")
st.markdown(
    "Pascanu et al. (2013) plotted, for the temporal order problem, the fraction of runs that solve it "
    "against the sequence length. Here: several seeds per length, a fixed budget of "
    f"{SUCCESS_KNOBS.steps} updates (H = {SUCCESS_KNOBS.H}); solved = under 1 % wrong on "
    "10,000 fresh sequences."
)
c1, c2, c3 = st.columns(3)
smethod = ui.select("Method", "succ", list(SUCCESS_METHODS), "lstm", where=c1)
c1.caption(SUCCESS_METHODS[smethod][0])
s_maxT = ui.slider("Live rerun: longest T", "succ_T", 10, 20, 20, step=5, where=c2)
s_seeds = ui.slider("Live rerun: seeds per length", "succ_seeds", 1, 3, 2, where=c3)
if st.button(
    "Rerun live (small sizes)",
    key="run_success",
    help="T in steps of 5 up to the chosen length, 300 updates per run.",
):
    lengths = list(range(10, int(s_maxT) + 1, 5))
    start_run("success", success_lab(smethod, lengths, int(s_seeds), replace(SUCCESS_KNOBS, steps=300)))
slots["success"] = slot_for("success", st.container())
srec, stm = rec_io.load_shared(f"success_{smethod}")
if success_on_stage:
    st.caption("The recorded success rate against length is at the top of the page, beside the controls.")
else:
    recorded_success(320)
if srec is None:
    st.caption(f"{SUCCESS_METHODS[smethod][0]} is not recorded: rerun it live.")

# ----------------------------------------------------------------------------- the papers' scale
st.subheader("4 · The papers' headline results, at the papers' scale")
st.markdown(
    "Recorded runs as long as the papers' (hundreds of thousands of sequences, several seeds each), by "
    "`python -m lessons.papers NAME`; every seed's own solved step. "
    + f"**Status rule.** {papers.STATUS_RULE}"
)


@st.cache_resource(show_spinner=False, max_entries=4)
def _paper_records(stamp: tuple) -> tuple[pd.DataFrame | None, list]:
    """The scoreboard's table (papers.scoreboard(); None when nothing is recorded) and papers.records(), read
    once per state of the record files (stamp: their names and modification times), not on every run.
    NB: st.cache_resource, shared and never changed: st.cache_data unpickled a copy on every page run (with the
    table's DataFrame built each time, a tenth of a lecture follower's run of this page, py-spy)."""
    board = papers.scoreboard()
    table = (
        pd.DataFrame(
            {
                "paper: claim": [f"{e['paper']}: {e['claim']}" for e in board],
                "ours": [e["ours"] for e in board],
                "status": [e["status"] for e in board],
            }
        ).set_index("paper: claim")
        if board
        else None
    )
    return table, papers.records()


@st.cache_data(show_spinner=False, max_entries=8)
def _mean_predictor(task: str, T: int) -> tuple[float, float]:
    """papers.mean_predictor: the loss and share wrong of predicting the mean (20,000 fresh sequences)."""
    return papers.mean_predictor(task, T)


_table, _records = _paper_records(
    tuple((q.name, q.stat().st_mtime_ns) for q in sorted(papers.OUT.glob("*.json")))
)
if _table is None:
    st.info("No paper-scale record yet: `python -m lessons.papers --list` shows the commands.")
else:
    # NB: st.table wraps long cells (a dataframe cut the 'ours' and 'status' columns off at 1280 px)
    st.table(_table)
    for _path, _prec in _records:
        _keep = ("papers", str(_path.name), _path.stat().st_mtime_ns)
        _origin = f"paper_{_prec['name']}"
        # NB: one expander per record, drawn only when open (or while its live rerun trains): the six records'
        # charts and tables were rebuilt on every run of the page, the Remedies lab's largest part (py-spy)
        _box = st.expander(
            f"**{_prec['paper']}**: {_prec['claim']}", key=f"open_{_origin}", bind="query-params"
        )
        if not (_box.open or (bool(state) and state["origin"] == _origin) or ui.lazy.eager()):
            continue
        with _box:
            paper_live_button(_prec["name"])
            _partial = (
                "**Partial record**: what is not drawn here is not recorded yet (its command records it). "
                if _prec["partial"]
                else ""
            )
            _compute = (
                f"Compute: {sum(c.get('compute', {}).get('seconds', 0.0) for c in _prec['configs']):,.0f} s on "
                f"{_prec['made_with']['machine']}. Simplifications against the paper: "
                + "; ".join(_prec["simplifications"])
                + "."
            )
            if _prec.get("kind") == "sweep":  # Pascanu et al.: share of seeds solved against T, per optimiser
                _sr = pd.DataFrame(papers.success_rows(_prec))
                if _sr.empty:
                    continue
                _budget = int(_sr["budget_sequences"].max())
                for _col, (_opt, _rows) in zip(
                    st.columns(2), _sr.groupby("optimiser", sort=False), strict=False
                ):
                    with _col:
                        show(
                            lambda _rows=_rows, _opt=_opt, _budget=_budget: success_chart(
                                _rows, f"{_opt}: solved within {_budget:,} sequences"
                            ),
                            keep=(*_keep, _opt),
                            data=_rows,
                            filename=f"{_prec['name']}_{_opt.split()[0].lower()}.csv",
                        )
                        _same = same_lines(_rows)
                        if _same:
                            st.caption(_same)
                _still = [
                    f"T = {r.T} ({r.optimiser.split()[0]}, {r.method})"
                    for r in _sr.itertuples()
                    if not r.finished
                ]
                st.caption(
                    f"{_prec['paper']}: {_prec['claim']}. Source: {_prec['paper_source']}. "
                    + _partial
                    + (f"Still training: {', '.join(_still)}. " if _still else "")
                    + f"A seed that did not solve ran out of its budget ({_budget:,} sequences): not solved within "
                    "it, which is not a failure of the method. " + _compute
                )
                continue
            if (
                _prec.get("kind") == "mse_race"
            ):  # Le et al.: held-out MSE against the predict-the-mean baseline
                _mr = pd.DataFrame(papers.mse_rows(_prec))
                if _mr.empty:
                    continue
                for _col, (_T, _rows) in zip(st.columns(2), _mr.groupby("T"), strict=False):
                    with _col:
                        show(
                            lambda _rows=_rows, _T=_T, _prec=_prec: mse_chart(
                                _rows, f"{_prec['paper']}: adding problem, T = {_T}"
                            ),
                            keep=(*_keep, int(_T)),
                            data=_rows,
                            filename=f"{_prec['name']}_T{_T}.csv",
                        )
                        _last = _rows.sort_values("sequences").groupby("model", sort=False).tail(1)
                        st.caption(  # lines on the baseline hide each other: the numbers say where each ended
                            "Last median MSE: "
                            + "; ".join(f"{m.model} {m.mse:.3g}" for m in _last.itertuples())
                            + f" (baseline {papers.LE_BASELINE:.3g})."
                        )
                st.caption(
                    f"{_prec['claim'][0].upper()}{_prec['claim'][1:]}. Source: {_prec['paper_source']}. "
                    f"MSE of each seed on {_prec['eval_size']:,} fresh sequences of its own; beating the baseline means MSE below "
                    f"{_prec['threshold_mse']:.3f}. A median above {MSE_TOP:g} (runs that blew up) is drawn as a cross on the top "
                    "edge. " + _partial + _compute
                )
                continue
            if (
                _prec.get("kind") == "hf_race"
            ):  # Martens & Sutskever: each seed's test error, per damping and T
                _hf = pd.DataFrame(
                    [
                        {
                            # NB: short labels: the record's ('HF, Levenberg-Marquardt damping alone') took half the
                            # chart's width at 1280 px in lecture mode
                            "configuration": f"{HF_SHORT.get(c['method'], c['label'])}, T = {c['T']}",
                            "seed": r["seed"],
                            "test error (%)": 100 * r["test_error"],
                        }
                        for c in _prec["configs"]
                        for r in c["runs"]
                    ]
                )
                _mean = _mean_predictor(_prec["task"], int(_prec["T"]))
                show(
                    lambda _hf=_hf, _prec=_prec, _mean=_mean: papers_errors_chart(
                        _hf, f"{_prec['paper']}: one mark per seed", _mean[1]
                    ),
                    keep=_keep,
                    data=_hf,
                    filename=f"{_prec['name']}.csv",
                )
                st.caption(
                    f"{_prec['claim'][0].upper()}{_prec['claim'][1:]}. Source: {_prec['paper_source']}. "
                    "Solved: test error below 1 % (the dashed rule). "
                    + (papers.hf_memorised(_prec, _mean) or "")
                    + " "
                    + _partial
                    + _compute
                )
                continue
            if _prec.get("kind") == "bound":  # Jaeger: measured memory capacity against the bound MC = H
                _mc = pd.DataFrame(
                    [
                        {"H": c["H"], "series": "measured (best radius)", "MC": c["best_mc"]}
                        for c in _prec["configs"]
                    ]
                    + [{"H": c["H"], "series": "bound", "MC": c["H"]} for c in _prec["configs"]]
                )
                show(
                    lambda _mc=_mc, _prec=_prec: ui.charts.line(
                        _mc,
                        "H",
                        "MC",
                        "series",
                        x_title="reservoir size H (units)",
                        y_title="memory capacity MC (steps)",
                        dashed=["bound"],  # MC = H, black and dashed as every bound
                        points=True,
                        height=300,
                        title=f"{_prec['paper']}: {_prec['claim']}",
                    ),
                    keep=("papers", str(_path.name), _path.stat().st_mtime_ns),
                    data=_mc,
                    filename=f"{_prec['name']}.csv",
                )
                st.caption(
                    f"Source: {_prec['paper_source']}. Radii tried: {', '.join(map(str, _prec['configs'][0]['radii']))}. "
                    f"Compute: {_prec['compute']['seconds']:.1f} s on {_prec['made_with']['machine']}. "
                    "Simplifications: " + "; ".join(_prec["simplifications"]) + "."
                )
                continue
            _pts = pd.DataFrame(papers.solve_points(_prec))
            show(
                lambda _pts=_pts, _prec=_prec: papers_chart(
                    _pts,
                    _prec["paper_value"],
                    f"{_prec['paper']}: {_prec['task']} at T = {_prec['T']}, one mark per seed",
                ),
                keep=("papers", str(_path.name), _path.stat().st_mtime_ns),
                data=_pts,
                filename=f"{_prec['name']}.csv",
            )
            st.caption(
                f"Paper: {_prec['paper_value']:,} sequences ({_prec['paper_source']}). "
                + _partial
                + f"Compute: {sum(c['compute']['seconds'] for c in _prec['configs']):,.0f} s, "
                f"{sum(c['compute']['sequences'] for c in _prec['configs']):,} sequences on "
                f"{_prec['made_with']['machine']}. Simplifications against the paper: "
                + "; ".join(_prec["simplifications"])
                + "."
            )

_cards = {c.key: rec_io.load_shared(f"card_{c.key}")[0] for c in CARDS}
_live = state["lab"].record() if state is not None and state["status"] != "running" else None
ui.what_to_notice(
    notice_points(_cards, _live)
    + [
        "Truncation shows on the T x T map as a grey band: whatever lies beyond k is never learned.",
    ]
)

# ----------------------------------------------------------------------------- train (last, so the page is drawn)
if state is not None:
    origin = state["origin"]
    slot = slots.get(origin)
    if slot is not None:
        if state["status"] == "running":
            limit = st.session_state.get(MAX_SLICES)
            n = 0
            last_draw = last_charts = 0.0
            with serve.activity.training():
                while state["status"] == "running":
                    done = state["lab"].advance(SLICE)
                    # NB: training holds the GIL in short NumPy calls. After each slice it sleeps
                    # briefly, and longer (up to GIVE_WAY s) while other sessions' scripts run:
                    # training at idle priority, so a class clicking around is not kept waiting
                    serve.activity.give_way(YIELD, GIVE_WAY)
                    n += 1
                    if done:
                        state["status"] = "stopped" if state["lab"].stopped else "done"
                        break
                    now = time.perf_counter()
                    if now - last_draw >= REDRAW:
                        # the charts cost far more than the bar: while other sessions' scripts run
                        # they are redrawn every REDRAW_BUSY s, the progress bar every REDRAW s
                        busy = serve.activity.busy_within(BUSY_WINDOW)
                        charts = not busy or now - last_charts >= REDRAW_BUSY
                        render_run(origin, slot, charts=charts)  # an st call: a Stop click lands here
                        last_draw = time.perf_counter()
                        if charts:
                            last_charts = last_draw
                    if limit is not None and n >= limit:
                        break
        if state["status"] != "running" and origin in stop_holders:
            stop_holders[origin].empty()  # finished in this run: no Stop button left behind
        render_run(origin, slot)
