"""LSTM: cell-state flow. Seed 000 made live, with a tanh RNN or a GRU beside the LSTM.

Controls -> three cached engine calls (paths and tables; the split and the checks for the
chosen L_t; the article's tiny example) -> charts, equations with live values, what to notice.
Computation lives in lessons.lstm_cell_state and gradcore; this file only lays it out.
"""
import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

import ui
from gradcore import attribution, jacobians, losses
from lessons import lstm_cell_state as lesson

ui.frame.require()  # a page run without the frame reruns as the frame (ui/frame.py)

MAX_UNITS = 32  # gate heatmaps show at most this many units ...
MAX_STEPS = 100  # ... and this many time columns (every s-th step, exact values)
MAX_GRID = 50  # the T x T heatmap shows at most MAX_GRID x MAX_GRID cells (every s-th t and k)
MAX_BARS = 60  # up to this many steps the components are bars, beyond it points on a line
LN10 = np.log(10.0)
# NB: gradcore's Lanczos spectral norms of the LSTM state product need many iterations when the
# forget gate is closed (b_f = -3, T = 500, H = 128: ~10x the Frobenius cost); beyond this T * H
# the paths chart shows Frobenius norms, all three curves alike, and says so.
SPECTRAL_MAX = 64 * 64


# ----------------------------------------------------------------------------- cached computation


@st.cache_data(max_entries=16, show_spinner=False)
def compute(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str) -> dict:
    """Forward passes, path norms and T x T component tables for the settings (plain arrays out)."""
    with np.errstate(all="ignore"):
        p = lesson.make_problem(T, H, D, fbias, scale, xscale, seed)
        h, cache = lesson.run_cell("LSTM", p)
        dh = losses.softmax_cross_entropy(h, p.Wy, np.zeros(lesson.V), p.targets).dh
        out = {"f": cache.f[0].copy(), "i": cache.i[0].copy(), "o": cache.o[0].copy(),
               "g": cache.g[0].copy(), "c": cache.c[0].copy()}
        cmp_cache = None
        if cmp != "none":
            hc, cmp_cache = lesson.run_cell(cmp, p)
            dhc = losses.softmax_cross_entropy(hc, p.Wy, np.zeros(lesson.V), p.targets).dh
            out["cmp_table"] = attribution.attribution(dhc, cmp_cache).dWx
        spectral = T * H <= SPECTRAL_MAX
        pa = lesson.paths(cache, cmp, cmp_cache, spectral=spectral)
        out.update(spectral=spectral, distance=pa.distance, ln_cell=pa.cell, ln_full=pa.full_c, ln_cmp=pa.compare,
                   table=attribution.attribution(dh, cache).dWx)
        diag_f = jacobians.lstm_cell_jacobians(cache)  # (T, H): dc_t/dc_(t-1) along the cell is diag(f_t)
        out["diag_f_T"] = diag_f[-1]
        out["ln_cell_spec_end"] = float(np.log(diag_f).sum(axis=0).max())  # ln ||prod_1^T diag f||_2  # diagonal of dc_T/dc_(T-1) along the cell
        J = lesson.last_step_jacobian(cache)  # (2H, 2H) at step T: [[dh/dh, dh/dc], [dc/dh, dc/dc]]
        out["norm_dc_dh_T"] = float(np.linalg.norm(J[H:, :H], 2))
        out["norm_dh_dh_T"] = float(np.linalg.norm(J[:H, :H], 2))
        return out


@st.cache_data(max_entries=32, show_spinner=False)
def for_loss(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int) -> dict:
    """The split of dL_t/dc_k (cell path vs the rest) and the loss L_t itself."""
    with np.errstate(all="ignore"):
        p = lesson.make_problem(T, H, D, fbias, scale, xscale, seed)
        h, cache = lesson.run_cell("LSTM", p)
        dh = np.zeros_like(h)
        dh[:, t - 1] = lesson.dh_of_loss(h, p, t)[:, t - 1]
        sp = attribution.lstm_cell_split(dh, cache)
        return {"total": np.linalg.norm(sp.dc_total[0, :t], axis=1), "cell": np.linalg.norm(sp.dc_cell[0, :t], axis=1),
                "rest": np.linalg.norm(sp.dc_rest[0, :t], axis=1), "loss": lesson.loss_t(h, p, t)}


@st.cache_data(max_entries=32, show_spinner=False)
def checks_for_loss(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, t: int) -> dict:
    """The finite-difference checks of loss L_t's gradients (the Equations tab's badge; about half of a
    setting's compute, so only made when that tab is shown)."""
    with np.errstate(all="ignore"):
        p = lesson.make_problem(T, H, D, fbias, scale, xscale, seed)
        near = [k for k in dict.fromkeys([t, t - 1, t - 2]) if k >= 1]
        checks = {
            "dL_t/dWx (6 entries)": lesson.fd_check_dWx(p, t),
            "dL_t/dWx^(k) for k = " + ", ".join(map(str, near)): max(lesson.fd_check_component(p, t, k) for k in near),
        }
        ks = [k for k in dict.fromkeys([t - 1, t - 2]) if k >= 1]
        if ks:
            checks["dL_t/dc_k for k = " + ", ".join(map(str, ks))] = lesson.fd_check_dc(p, t, ks)
        return checks


@st.cache_data(max_entries=16, show_spinner=False)
def cell_path_end(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int) -> float:
    """ln ||prod_{s=1}^T diag(f_s)||_2 = ln max_j prod_s f_s[j] at another forget bias (for 'predict first')."""
    with np.errstate(divide="ignore"):
        p = lesson.make_problem(T, H, D, fbias, scale, xscale, seed)
        _, cache = lesson.run_cell("LSTM", p)
        return float(np.log(jacobians.lstm_cell_jacobians(cache)).sum(axis=0).max())


@st.cache_data(max_entries=8, show_spinner=False)
def article_code(seed: int) -> dict:
    """Seed 000's tiny example (N, D, T, H = 1, 3, 3, 1) three ways, and its mistakes run live."""
    with np.errstate(all="ignore"):
        tiny = lesson.run_tiny(seed)
        eng = attribution.seed000_example(np.random.default_rng(seed))
        return {"tiny": tiny, "engine": eng.components.copy(), "mistakes": lesson.mistakes(seed)}


# ----------------------------------------------------------------------------- small helpers


def sci(ln_value: float) -> str:
    """A natural-log value as '3.2e-41' text (works far beyond float64's range)."""
    if not np.isfinite(ln_value):
        return "exactly 0" if ln_value < 0 else "overflowed"
    l10 = ln_value / LN10
    e = int(np.floor(l10))
    return f"{10 ** (l10 - e):.1f}e{e:+d}".replace("+", "")


def num(v: float) -> str:
    """A norm as '4.30e-01', or 'exactly 0 (underflow)' when float64 could not hold it."""
    return f"{v:.2e}" if v > 0 else "exactly 0 (underflow)"


def share_above(a: np.ndarray, level: float) -> str:
    """'37%' of a above level, never rounded to 0% or 100% when it is not."""
    q = float((a > level).mean())
    if q in (0.0, 1.0):
        return "none" if q == 0.0 else "all"
    return f"{100 * q:.0f}%" if 0.01 <= q <= 0.99 else f"{100 * q:.2g}%"


def stride(n: int, most: int) -> int:
    """Step between shown rows/columns so that at most `most` are shown."""
    return max(1, int(np.ceil(n / most)))


def log10_col(v: pd.Series) -> np.ndarray:
    """log10 of norms; exact zeros become -inf, which the chart builders put on the floor."""
    with np.errstate(divide="ignore"):
        return np.log10(np.asarray(v, dtype=float))


def auto_floor(log10_values) -> float:
    """A log-axis floor one decade under the smallest finite value (never under 1e-300, float64's edge)."""
    v = np.asarray(log10_values, dtype=float)
    v = v[np.isfinite(v)]
    lo = float(v.min()) if v.size else 0.0
    return float(10.0 ** max(-300, min(-1, int(np.floor(lo)) - 1)))


def deep_floor(log10_values) -> int:
    """Floor in log10 units for a log10-mode chart whose values may lie far beyond float64 (1e-630 at b_f = -3, T = 500).

    One decade under the smallest finite value, so a product of 500 forget gates stays on the chart
    instead of on a 1e-300 floor (ui.charts.log_line's floor_log10 has no float64 limit). With an
    exact zero present (-inf) the ordinary float floor (at most 1e-300 deep) and its label are used.
    """
    v = np.asarray(log10_values, dtype=float)
    fin = v[np.isfinite(v)]
    lo = int(np.floor(fin.min())) - 1 if fin.size else -1
    if lo >= -300 or np.isneginf(v).any():
        return max(-300, min(-1, lo))
    return lo


def gate_frame(a: np.ndarray, name: str) -> tuple[pd.DataFrame, str]:
    """Tidy (step t, unit, value) for the first MAX_UNITS units at every s-th step."""
    T, H = a.shape
    s = stride(T, MAX_STEPS)
    ts = np.arange(s, T + 1, s) if s > 1 else np.arange(1, T + 1)
    u = min(H, MAX_UNITS)
    tt, uu = np.meshgrid(ts, np.arange(1, u + 1), indexing="ij")
    df = pd.DataFrame({"t": tt.ravel(), "unit": uu.ravel(), name: a[ts - 1, :u].ravel()})
    note = (f"units 1-{u} of {H}" if u < H else f"all {H} units") + (f", every {s} steps" if s > 1 else "")
    return df, note


def gate_heatmap(df: pd.DataFrame, name: str, title: str, domain) -> alt.Chart:
    """Units x time heatmap with a fixed colour domain (gates 0..1, g and c symmetric)."""
    ch = ui.charts.heatmap(df, "t", "unit", name, x_title="time step t", y_title="unit j",
                           value_title=title, diverging=domain[0] < 0, height=230)
    scheme = ui.palette.DIVERGING if domain[0] < 0 else ui.palette.SEQUENTIAL
    ticks = sorted(df["t"].unique())
    every = stride(len(ticks), 20)
    return ch.encode(
        x=alt.X("t:O", title="time step t", axis=alt.Axis(values=[int(v) for v in ticks[every - 1::every]], labelAngle=0)),
        color=alt.Color(f"{name}:Q", title=title, scale=alt.Scale(domain=list(domain), scheme=scheme, clamp=True)))


# ----------------------------------------------------------------------------- cached figures


GATES = [("f", "f_t (forget gate)"), ("i", "i_t (input gate)"), ("g", "g_t (candidate)"),
         ("o", "o_t (output gate)"), ("c", "c_t (cell state)")]


def Fig(df: pd.DataFrame, extra: dict, filename: str, caption: str) -> dict:  # noqa: N802
    """One figure: its tidy data, what its chart needs beyond the data, CSV file name and caption.

    NB: a dict, not a NamedTuple: st.cache_data pickles the result, and a class defined in a page
    script (module __main__) cannot be pickled.
    """
    return {"df": df, "extra": extra, "filename": filename, "caption": caption}


@st.cache_data(max_entries=32, show_spinner=False)
def figure_data(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str) -> dict:
    """Gate heatmaps, the two-paths chart and the T x T heatmap: name -> Fig (plain data, no charts)."""
    R = compute(T, H, D, fbias, scale, xscale, seed, cmp)
    out = {}
    with np.errstate(all="ignore"):
        cmax = float(max(np.abs(R["c"]).max(), 1e-12))
        for name, title in GATES:
            dom = (0.0, 1.0) if name in "ifo" else ((-1.0, 1.0) if name == "g" else (-cmax, cmax))
            df, note = gate_frame(R[name], name)
            out[name] = Fig(df, {"title": title, "domain": dom}, f"lstm-gate-{name}.csv",
                            f"{title}: {note}; computed by gradcore.lstm.forward.")
        d = R["distance"]
        rows = [pd.DataFrame({"distance": d, "log10_norm": R["ln_cell"] / LN10, "series": "cell path"}),
                pd.DataFrame({"distance": d, "log10_norm": R["ln_full"] / LN10, "series": "full Jacobian"})]
        if R["ln_cmp"] is not None:
            rows.append(pd.DataFrame({"distance": d, "log10_norm": R["ln_cmp"] / LN10, "series": cmp}))
        df = pd.concat(rows, ignore_index=True)
        vs = {"RNN": "a tanh RNN", "GRU": "a GRU", "none": "no comparison"}[cmp]
        nm, sub = ("spectral norm", "2") if R["spectral"] else ("Frobenius norm", "F")
        out["paths"] = Fig(df, {"y_title": f"{nm} (log scale)",
                                "title": f"LSTM at b_f = {fbias:g} against {vs}: T = {T}, H = {H}"},
                           "lstm-paths.csv",
                           f"cell path $= \\|\\prod_{{s=k+1}}^{{T}}\\operatorname{{diag}}(f_s)\\|_{sub}$, the cell-only "
                           f"path; full Jacobian $= \\|\\partial c_T/\\partial c_k\\|_{sub}$, the c-c block of the $(h, c)$ "
                           "state product, every path through $h$ and $W_h$ included"
                           + ("" if cmp == "none" else f"; {cmp} = its $\\|\\partial h_T/\\partial h_k\\|_{sub}$")
                           + ". Computed by gradcore.jacobians.lstm_product_norms"
                           + {"RNN": " and rnn_product_norms", "GRU": " and gru_product_norms", "none": ""}[cmp]
                           + ("." if R["spectral"] else
                              f". Frobenius norms here: beyond T x H = {SPECTRAL_MAX} the spectral norms' Lanczos "
                              "iterations cost seconds (up to 10x more with the forget gate closed)."))
        s = stride(T, MAX_GRID)
        grid = np.arange(T, 0, -s)[::-1]
        tt, kk = np.meshgrid(grid, grid, indexing="ij")
        keep = kk <= tt
        hm = [pd.DataFrame({"t": tt[keep], "k": kk[keep], "norm": R["table"][tt[keep] - 1, kk[keep] - 1], "cell": "LSTM"})]
        if cmp != "none":
            hm.append(pd.DataFrame({"t": tt[keep], "k": kk[keep], "norm": R["cmp_table"][tt[keep] - 1, kk[keep] - 1],
                                    "cell": cmp}))
        df = pd.concat(hm, ignore_index=True)
        floor = auto_floor(log10_col(df["norm"]))
        lg = np.log10(np.maximum(df["norm"].to_numpy(dtype=float), floor))
        domain = [float(lg.min()), float(max(lg.max(), lg.min() + 1e-9))]  # one colour scale for both panels
        ticks = [int(v) for v in grid[stride(len(grid), 10) - 1::stride(len(grid), 10)]]
        zeros = int((df["norm"] == 0).sum())
        for name, part in df.groupby("cell", sort=False):
            out[f"table-{name}"] = Fig(part.reset_index(drop=True),
                                       {"floor": floor, "domain": domain, "ticks": ticks, "cell": name},
                                       f"component-table-{name}.csv",
                                       "Row t = loss L_t, column k = step: "
                                       + (f"t and k shown every {s} steps, " if s > 1 else "")
                                       + "exact values; entries with k > t are 0 and left out."
                                       + (" Both panels share one log10 colour scale." if cmp != "none" else "")
                                       + (f" {zeros} shown entries underflowed float64 to exactly 0 and sit on the "
                                          "floor colour." if zeros else "")
                                       + " Computed by gradcore.attribution.attribution.")
    return out


@st.cache_data(max_entries=64, show_spinner=False)
def loss_figure_data(T: int, H: int, D: int, fbias: float, scale: float, xscale: float, seed: int, cmp: str,
                     t: int) -> dict:
    """The components of dL_t/dWx by step and the split of dL_t/dc_k: name -> Fig."""
    R = compute(T, H, D, fbias, scale, xscale, seed, cmp)
    S = for_loss(T, H, D, fbias, scale, xscale, seed, t)
    out = {}
    with np.errstate(all="ignore"):
        ks = np.arange(1, t + 1)
        rows = [pd.DataFrame({"k": ks, "norm": R["table"][t - 1, :t], "cell": "LSTM"})]
        if cmp != "none":
            rows.append(pd.DataFrame({"k": ks, "norm": R["cmp_table"][t - 1, :t], "cell": cmp}))
        df = pd.concat(rows, ignore_index=True)
        note = ("One bar per step, LSTM and comparison side by side." if t <= MAX_BARS else
                f"One point per step (t = {t} is too many for bars).")
        out["components"] = Fig(df, {"t": t}, f"components-L{t}.csv",
                                note + " Row t of gradcore.attribution.attribution's T x T table.")
        dist = t - ks
        df = pd.concat([pd.DataFrame({"distance": dist, "norm": S["total"], "part": "total dL_t/dc_k"}),
                        pd.DataFrame({"distance": dist, "norm": S["cell"], "part": "cell path"}),
                        # NB: at distance 0 the rest is 0 by definition (nothing has left the cell yet): not drawn
                        pd.DataFrame({"distance": dist, "norm": S["rest"], "part": "through h (Wh terms)"})[dist > 0]],
                       ignore_index=True)
        out["split"] = Fig(df, {"t": t}, f"cell-split-L{t}.csv",
                           "cell path $= \\partial L_t/\\partial c_t \\odot \\prod_{s=k+1}^{t} f_s$; through h = the "
                           "rest (total minus cell path): every path that leaves the cell through some $h_s$ and comes "
                           "back through $W_h$. At distance 0 all of it is cell path (the rest is exactly 0 there and "
                           "not drawn). "
                           "Computed by gradcore.attribution.lstm_cell_split.")
    return out


def figure_chart(args: tuple, name: str, t: int | None = None) -> alt.TopLevelMixin:
    """The chart of figure `name` at settings args (= compute's arguments); t for the loss figures."""
    f = (figure_data(*args) if t is None else loss_figure_data(*args, t))[name]
    df, x = f["df"], f["extra"]
    with np.errstate(all="ignore"):
        if name in dict(GATES):
            return gate_heatmap(df, name, x["title"], x["domain"])
        if name == "paths":
            return ui.charts.log_line(df, "distance", "log10_norm", "series", log10=True,
                                      floor_log10=deep_floor(df["log10_norm"]), x_title="distance T - k (steps)",
                                      y_title=x["y_title"], legend_title=None, height=340, title=x["title"])
        if name.startswith("table-"):
            ch = ui.charts.heatmap(df, "k", "t", "norm", x_title="step k", y_title="loss L_t",
                                   value_title="‖dL_t/dWx^(k)‖", log=True, height=300, floor=x["floor"],
                                   title=f"{x['cell']}: every loss L_t, every step k")
            return ch.encode(x=alt.X("k:O", title="step k", axis=alt.Axis(values=x["ticks"], labelAngle=0)),
                             y=alt.Y("t:O", title="loss L_t", sort="descending", axis=alt.Axis(values=x["ticks"])),
                             color=alt.Color("norm:Q", title="log10 ‖·‖",
                                             scale=alt.Scale(scheme=ui.palette.SEQUENTIAL, domain=x["domain"])))
        lg = log10_col(df["norm"])
        if name == "components":
            x_title = "step k whose copy of Wx receives the component"
            y_title = "‖dL_t/dWx^(k)‖_F (log scale)"
            if x["t"] <= MAX_BARS:
                # bars from a floor one decade under the smallest component (ui.charts.bars, log=True)
                return ui.charts.bars(df, "k", "norm", "cell", x_title=x_title, y_title=y_title, log=True,
                                      floor_log10=deep_floor(lg), legend_title=None, height=320,
                                      title=f"Components of dL_{x['t']}/dWx by step")
            return ui.charts.log_line(df.assign(log10_norm=lg), "k", "log10_norm", "cell", log10=True,
                                      floor_log10=deep_floor(lg), height=320, x_title=x_title, y_title=y_title,
                                      title=f"Components of dL_{x['t']}/dWx by step", legend_title=None)
        return ui.charts.log_line(df.assign(log10_norm=lg), "distance", "log10_norm", "part", log10=True,
                                  floor_log10=deep_floor(lg), x_title="distance t - k (steps)",
                                  y_title="‖part of dL_t/dc_k‖₂ (log scale)", legend_title=None, height=320,
                                  dashed=["total dL_t/dc_k"], title=f"Where dL_{x['t']}/dc_k comes from")


def render(args: tuple, figs: dict, name: str, t: int | None = None) -> None:
    """Draw figure `name` (spec cached per setting by ui.cached_chart), its caption and its CSV download."""
    f = figs[name]
    ui.cached_chart(figure_chart, args, name, t, data=lambda: f["df"], filename=f["filename"], caption=f["caption"])


# ----------------------------------------------------------------------------- page


st.title("LSTM: cell-state flow")
st.markdown(
    "Seed 000 (Kravets, *Backpropagation and Vanishing Gradient Problem in RNN, Part 2*) makes one "
    "point: along the LSTM's cell state the gradient is multiplied by the forget gate at each step, "
    "$\\partial c_t/\\partial c_{t-1} = f_t$, not by the recurrent weights $W_h$. So it decays at the "
    "forget gate's rate: slowly when $f \\approx 1$, but it still decays. Move the **forget-gate bias** "
    "and watch. Everything below is a real forward and backward pass at the settings on screen.")

top = st.columns([2.2, 1.2])
with top[0]:
    fbias = ui.slider("Forget-gate bias b_f (the headline control)", "fbias", -3.0, 5.0, 1.0, step=0.5,
                      help="Added to the forget gate's pre-activation: f = sigma(x Wx_f + h Wh_f + b_f). "
                           "sigma(5) = 0.993, sigma(1) = 0.73, sigma(-3) = 0.047.")
with top[1]:
    cmp = ui.radio("Comparison cell (same inputs, same H)", "cmp", list(lesson.COMPARE), "RNN",
                   help="RNN: tanh RNN with the LSTM's candidate weights Wx_g, Wh_g. GRU: r, z, n take the "
                        "LSTM's i, f, g weights and b_z = b_f (z keeps h as f keeps c).")
row = st.columns(4)
with row[0]:
    T = int(ui.slider("Sequence length T", "T", 2, 500, 50))
with row[1]:
    H = int(ui.slider("Hidden size H", "H", 1, 128, 32))
with row[2]:
    D = int(ui.slider("Input size D", "D", 1, 64, 8))
with row[3]:
    t_req = int(ui.number("Loss L_t to decompose: t (0 = last step)", "Lt", 0, 500, 0, step=1,
                          help="Which per-step loss L_t = -log softmax(h_t Wy)[y_t] the decomposition "
                               "follows. 0 means t = T, like the article's L3 with T = 3."))
with st.expander("Weights, inputs and seed", expanded=False):
    w = st.columns(3)
    with w[0]:
        scale = float(ui.slider("Recurrent weight scale rho", "lstm_scale", 0.1, 2.0, 0.9, step=0.05,
                                help="Spectral radius of every H x H gate block of Wh (LSTM i, f, o, g; the "
                                     "RNN's Wh is the g block, so its radius is rho too)."))
    with w[1]:
        xscale = float(ui.slider("Input scale", "xscale", 0.1, 3.0, 1.0, step=0.1,
                                 help="x_t ~ scale * N(0, I_D); Wx entries ~ N(0, 1/D)."))
    with w[2]:
        seed = int(ui.number("Seed", "seed", 0, 9999, 0, step=1))
t = T if t_req == 0 or t_req > T else t_req
if t_req > T:
    st.caption(f"t = {t_req} is beyond T = {T}: decomposing L_T instead.")

with st.spinner(f"Running LSTM{'' if cmp == 'none' else ' and ' + cmp} forward and backward over T = {T} steps ..."):
    R = compute(T, H, D, float(fbias), scale, xscale, seed, cmp)
    S = for_loss(T, H, D, float(fbias), scale, xscale, seed, t)
    A = article_code(seed)
    args = (T, H, D, float(fbias), scale, xscale, seed, cmp)

f = R["f"]
mean_f = float(f.mean())
slope_cell = lesson.decay_rate(R["ln_cell"])
slope_cmp = None if R["ln_cmp"] is None else lesson.decay_rate(R["ln_cmp"])
comp_l = R["table"][t - 1, :t]
comp_c = None if cmp == "none" else R["cmp_table"][t - 1, :t]

# ----------------------------------------------------------------------------- the sections
# One at a time, in tabs (ui.sections): the open one is in the URL (?lstm_view=Components) and only it
# draws its charts, so a slider move redraws one section, not six. compute/for_loss above serve every
# section and "what to notice"; the figures' tidy data (figure_data, loss_figure_data) is made only for
# the section shown.


def section_gates():
    """Section 1: the gates and the cell state over time (one heatmap at a time, in tabs of its own)."""
    F = figure_data(*args)
    st.header("1. Gates and cell state over time")
    st.markdown(
        f"One sequence of length T = {T}. The forget gate decides how much of $c_{{t-1}}$ survives into $c_t$. "
        f"Here its mean is **{mean_f:.3f}** (sigma(b_f) = {1 / (1 + np.exp(-fbias)):.3f} at zero input), "
        f"its smallest value {f.min():.3g} and its largest {f.max():.4f}; "
        f"{share_above(f, 0.9)} of its values exceed 0.9.")
    gate_tabs = ui.sections("lstm_gate", ["f: forget", "i: input", "g: candidate", "o: output", "c: cell state"])
    for sec, (name, _) in zip(gate_tabs, GATES, strict=True):
        if sec.open:
            with sec.box:
                render(args, F, name)


def section_paths(reveal: bool, box, alt_b: float):
    """Section 2: the cell path against the full Jacobian (and the comparison cell); box: the predict-first
    box (drawn on every run), where the answer goes once revealed."""
    F = figure_data(*args)
    if reveal:
        end_alt = cell_path_end(T, H, D, alt_b, scale, xscale, seed)
        dec = (end_alt - R["ln_cell_spec_end"]) / LN10
        box.markdown(f"At b_f = {alt_b:g} the cell path ends at **{sci(end_alt)}**, "
                     f"{abs(dec):.1f} powers of ten {'higher' if dec > 0 else 'lower'} than at b_f = {fbias:g} "
                     f"({sci(R['ln_cell_spec_end'])}, spectral norm). Each forget gate multiplies the path once per "
                     "step, so a shift of the bias moves the whole line's slope.")
    render(args, F, "paths")
    st.markdown(
        f"**Read it off:** over {T} steps the cell path falls to **{sci(R['ln_cell'][-1])}** "
        f"({per_step:.3f}x per step on average: a fitted slope of {slope_cell:.3g} in ln-norm per step); "
        f"the full ‖dc_T/dc_k‖ ends at **{sci(R['ln_full'][-1])}**"
        + ("" if slope_cmp is None else
           f"; the {cmp}'s ‖dh_T/dh_k‖ at **{sci(R['ln_cmp'][-1])}** ({np.exp(slope_cmp):.3f}x per step)") + ".")


def section_components():
    """Section 3: seed 000's components of dL_t/dWx by step, and the T x T tables."""
    F, FL = figure_data(*args), loss_figure_data(*args, t)
    st.header(f"3. Seed 000's decomposition of dL_t/dWx, t = {t}")
    st.markdown(
        "$W_x$ is shared by every step, so $\\partial L_t/\\partial W_x$ is a sum of one *component* per step "
        "$k \\le t$: the gradient that reaches the copy of $W_x$ used at step $k$. The article prints their "
        "norms for $L_3$; here they are for $L_{" + str(t) + "}$, LSTM"
        + ("" if cmp == "none" else f" and {cmp}") + " on the same inputs.")
    render(args, FL, "components", t)
    tcols = st.columns(2 if cmp != "none" else 1)
    for col, name in zip(tcols, ["LSTM"] + ([cmp] if cmp != "none" else []), strict=True):
        with col:
            render(args, F, f"table-{name}")
    lines = [f"Loss {t}"] + [f"component {k} - {float(comp_l[k])!r}" for k in range(t)]
    code_cols = st.columns(2)
    with code_cols[0]:
        st.caption("LSTM, printed in the article's style (it counts components from 0: component j is step k = j + 1)")
        st.code("\n".join(lines), language=None, height=min(40 + 22 * len(lines), 260))
    if comp_c is not None:
        with code_cols[1]:
            st.caption(f"{cmp}, same inputs")
            st.code("\n".join([f"Loss {t}"] + [f"component {k} - {float(comp_c[k])!r}" for k in range(t)]),
                    language=None, height=min(40 + 22 * len(lines), 260))


def section_split():
    """Section 4: dL_t/dc_k split into the cell path and the rest."""
    FL = loss_figure_data(*args, t)
    st.header("4. The gradient reaching c_k: the cell path and the rest")
    st.markdown(
        f"Seed 000's figure 18 splits the gradient into a part that travels only along the cell "
        f"($c_t \\to c_{{t-1}} \\to \\dots$, one factor $f$ per step) and a part that passes through the hidden "
        f"state and picks up $W_h$ terms. Here is that split of $\\partial L_{{{t}}}/\\partial c_k$ for every $k \\le t$.")
    render(args, FL, "split", t)


def section_equations():
    """Section 5: the equations with their live numbers, and the finite-difference badge."""
    st.header("5. The equations, live")
    ui.equation(r"a_t = x_t W_x + h_{t-1} W_h + b,\quad i,f,o = \sigma(a_{i,f,o}),\ g = \tanh(a_g)",
                computed_by="gradcore.lstm.forward")
    st.caption(f"At t = T = {T}: mean i = {R['i'][-1].mean():.3f}, f = {R['f'][-1].mean():.3f}, "
               f"o = {R['o'][-1].mean():.3f}, g = {R['g'][-1].mean():+.3f}.")
    ui.equation(r"c_t = f_t \odot c_{t-1} + i_t \odot g_t,\qquad h_t = o_t \odot \tanh(c_t)",
                computed_by="gradcore.lstm.forward")
    c_prev = R["c"][-2] if T > 1 else np.zeros(H)
    resid = float(np.max(np.abs(R["c"][-1] - (R["f"][-1] * c_prev + R["i"][-1] * R["g"][-1]))))
    st.caption(f"‖c_T‖₂ = {np.linalg.norm(R['c'][-1]):.4f}; the recurrence holds to {resid:.1e}.")
    ui.equation(r"\frac{\partial L_t}{\partial W_x} = \sum_{k=1}^{t} x_k^{\top}\, \delta a_k^{(t)}",
                computed_by="gradcore.attribution.attribution")
    st.caption(f"For L_{t}: {t} components, nearest {num(comp_l[-1])}, farthest {num(comp_l[0])}; "
               f"the loss is L_{t} = {S['loss']:.4f}.")
    ui.equation(r"\left.\frac{\partial c_t}{\partial c_{t-1}}\right|_{h_{t-1}} = \operatorname{diag}(f_t)",
                computed_by="gradcore.jacobians.lstm_cell_jacobians")
    st.caption(f"At t = T: diagonal entries from {R['diag_f_T'].min():.3f} to {R['diag_f_T'].max():.4f}, "
               f"so its spectral norm is {R['diag_f_T'].max():.4f} < 1.")
    ui.equation(r"\frac{\partial c_t}{\partial h_{t-1}} = \operatorname{diag}(\sigma'(a_i) g) W_{h,i}^{\top}"
                r" + \operatorname{diag}(\sigma'(a_f) c_{t-1}) W_{h,f}^{\top} + \operatorname{diag}(i\,(1-g^2)) W_{h,g}^{\top}",
                computed_by="gradcore.jacobians.lstm_step_jacobians")
    st.caption(f"The terms through h that the article's 'dc_t/dc_(t-1) = f_t' leaves out; at t = T "
               f"‖dc_T/dh_(T-1)‖₂ = {R['norm_dc_dh_T']:.4f} and ‖dh_T/dh_(T-1)‖₂ = {R['norm_dh_dh_T']:.4f}.")
    ui.equation(r"\Big\|\prod_{s=k+1}^{T}\operatorname{diag}(f_s)\Big\|_2 = \max_j \prod_{s=k+1}^{T} f_{s,j}",
                computed_by="gradcore.jacobians.lstm_product_norms")
    st.caption(f"At k = 0 (distance T = {T}), in the {'spectral' if R['spectral'] else 'Frobenius'} norm of the Two paths tab: "
               f"{sci(R['ln_cell'][-1])}; the full ‖dc_T/dc_0‖ = {sci(R['ln_full'][-1])}.")

    checks = checks_for_loss(T, H, D, float(fbias), scale, xscale, seed, t)
    worst = max(checks.values())
    detail = "; ".join(f"{k}: {v:.1e}" for k, v in checks.items())
    if worst < 1e-6:
        st.badge(f"Verified by finite differences (largest relative error {worst:.1e})", icon=":material/verified:", color="green")
    else:
        st.badge(f"Finite differences disagree (largest relative error {worst:.1e})", icon=":material/warning:", color="orange")
    st.caption("Centred differences (eps = 1e-6, float64) against the engine's backward pass at these settings, "
               f"for L_{t}: {detail}. Checked on the largest entries, where the difference quotient is not "
               "swamped by rounding.")


def section_code():
    """Section 6: the article's code, its mistakes run live, and its own tiny example."""
    st.header("6. The article's code, done right")
    tiny = A["tiny"]
    st.markdown(
        "Seed 000's code as printed does not run, and one of its examples is silently wrong. Each mistake "
        f"below is run live (seed {seed}); ours agrees with finite differences.")
    for n, m in enumerate(A["mistakes"], start=1):
        st.markdown(f"**{n}. {m.title}.**")
        mc = st.columns(2)
        with mc[0]:
            st.caption("The article")
            st.code(m.article, language="python", wrap_lines=True)
        with mc[1]:
            st.caption("Corrected")
            st.code(m.fixed, language="python", wrap_lines=True)
        st.markdown(m.shows)
    st.markdown(
        "**The article's own example, N, D, T, H = 1, 3, 3, 1**, with a random dout as the gradient of L3 "
        "(the article does the same), run three ways: gradcore.attribution.seed000_example, the article's "
        "loop with the fixes above, and gradcore.lstm.backward_all. Centred differences perturb the copy of Wx "
        f"used at one step only; the largest relative error over the three components is {tiny.fd_rel_error:.1e}.")
    st.code("Loss 3\n" + "\n".join(f"component {k} - {float(A['engine'][k])!r}" for k in range(3)), language=None)
    st.markdown(
        f"The corrected article loop gives {', '.join(f'{v:.6g}' for v in tiny.article_norms)}; "
        f"lstm.backward_all gives {', '.join(f'{v:.6g}' for v in tiny.norms)}. The farthest step contributes "
        f"{'least' if tiny.norms[0] == tiny.norms.min() else 'not the least here'}"
        f" (the article's unseeded draw printed 0.0109, 0.0248, 0.139). "
        + ("Component 0's forget-gate column is exactly zero: dL/da_f at step 1 is dL/dc_1 * c_0 * f(1-f), and "
           "c_0 = 0. The article's third printed matrix shows the same zero column."
           if tiny.f_column_zero else ""))
    ui.show_code(attribution.seed000_example, lesson.article_bptt)


per_step = np.exp(slope_cell)
frac = S["cell"] / np.maximum(S["cell"] + S["rest"], 1e-300)
SECTIONS = ["Gates", "Two paths", "Components", "Split", "Equations", "Code"]
secs = {sec.label: sec for sec in ui.sections("lstm_view", SECTIONS)}
with secs["Two paths"].box:  # the predict-first toggle is drawn always, so its value survives the other tabs
    st.header("2. Two paths back from c_T: the cell path and everything")
    st.markdown(
        "Start at the cell state $c_T$ and go back to $c_k$. Along the cell edge alone the gradient is multiplied "
        "by $\\operatorname{diag}(f_s)$ at every step; the full Jacobian $\\partial c_T/\\partial c_k$ also "
        "follows every detour through the hidden state, where $W_h$ appears.")
    alt_b = 0.0 if fbias >= 2.0 else 4.0
    predict = st.container(border=True)
    with predict:
        st.markdown(f"**Predict first.** The cell path ‖∏ diag(f_s)‖₂ ends at {sci(R['ln_cell_spec_end'])} after {T} steps with "
                    f"b_f = {fbias:g}. If the forget bias were **{alt_b:g}** instead (same weights, same inputs), "
                    "where would it end: higher or lower, and by how many powers of ten?")
        reveal = ui.toggle("Reveal the computed answer", "reveal", False)
DRAW = {"Gates": section_gates, "Two paths": lambda: section_paths(reveal, predict, alt_b), "Components": section_components,
        "Split": section_split, "Equations": section_equations, "Code": section_code}
for label, sec in secs.items():
    if sec.open:
        with sec.box:
            DRAW[label]()

# ---- where the article is loose
st.header("Where the article is loose")
st.markdown(
    "- It ends: the gradient decays \"at forget gate rate rather than **Wx** rate\". It means **W_h**: "
    "$W_x$ never appears in the product of Jacobians; the vanilla RNN's factor per step is "
    "$\\operatorname{diag}(\\tanh'(a_t))\\,W_h^\\top$.\n"
    "- $\\partial c_t/\\partial c_{t-1} = f_t$ holds along the cell edge with $h_{t-1}$ held fixed. The total "
    "derivative adds the terms through $h$ (the Equations tab), which carry $W_h$; the *full Jacobian* curve of "
    "the Two paths tab includes them, and it can lie above the cell path"
    + (f" (it does here: {sci(R['ln_full'][-1])} against {sci(R['ln_cell'][-1])} at distance {T})."
       if R["ln_full"][-1] > R["ln_cell"][-1] else " (at these settings it lies below).") + "\n"
    "- \"Unless all the forget gates are exactly 1\": a sigmoid never reaches 1, so the cell path always "
    f"decays (here the largest f is {f.max():.4f}); and even then the paths through $h$ would still carry $W_h$.\n"
    "- Its printed component norms come from an unseeded draw with code that cannot run as printed "
    "(see the Code tab); the numbers on this page are reproducible from the seed in the URL.")

# ---- what to notice
pts = [f"The forget gates average {mean_f:.3f} at b_f = {fbias:g}, so the cell path shrinks by about "
       f"{per_step:.3f}x per step and reaches {sci(R['ln_cell'][-1])} after {T} steps."]
if slope_cmp is not None and np.isfinite(slope_cmp) and np.isfinite(slope_cell) and slope_cell < 0 and slope_cmp < 0:
    ratio = slope_cmp / slope_cell
    pts.append(f"The {cmp}'s ‖dh_T/dh_k‖ falls {np.exp(slope_cmp):.3f}x per step: "
               + (f"the cell path decays {ratio:.1f}x slower (in log-norm slope)." if ratio >= 1 else
                  f"here the cell path decays {1 / ratio:.1f}x *faster*: with a forget bias of {fbias:g} the gate "
                  "closes and the LSTM's advantage is gone."))
pts.append(f"The full ‖dc_T/dc_k‖ (paths through h included) ends at {sci(R['ln_full'][-1])}, "
           + ("above" if R["ln_full"][-1] > R["ln_cell"][-1] else "below")
           + f" the cell path's {sci(R['ln_cell'][-1])}: the article's f-only picture is the cell edge, not the whole story.")
pts.append(f"For L_{t} the nearest step's component is {num(comp_l[-1])} and the farthest (k = 1) {num(comp_l[0])}"
           + ("" if cmp == "none" else f"; for the {cmp} {num(comp_c[-1])} and {num(comp_c[0])}") + ".")
if t > 1:
    def pct(v: float) -> str:
        return f"{100 * v:.0f}%" if v >= 0.01 else f"{100 * v:.2g}%"

    pts.append(f"Of the gradient reaching c_1 from L_{t} (distance {t - 1}), the cell path alone makes "
               f"{pct(frac[0])} of ‖cell‖ + ‖rest‖; at distance 1 it makes {pct(frac[-2])}"
               + (": far back, the paths through h (with their W_h) carry most of it." if frac[0] < 0.5 else
                  ": the cell path carries most of it all the way back.") )
pts.append(f"Even the slowest unit keeps only {sci(R['ln_cell'][-1])} of the gradient over {T} steps: "
           "the LSTM slows vanishing, it does not cure it.")
ui.what_to_notice(pts)
ui.show_code(lesson.make_problem, compute)
