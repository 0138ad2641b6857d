"""Chart builders: tidy DataFrames or arrays in, an Altair chart out. No st. calls here.

Every builder keeps non-finite numbers out of the Vega-Lite spec: a log axis never sees
0, inf or NaN. Values at or below `floor` are drawn on the floor (with a labelled dashed
rule), and a series that overflowed gets an "overflowed at x = k" marker instead of a line
to infinity. Pages call `ui.show_chart(chart)`, which applies `configure` (font sizes for
lecture mode) and draws it; tests call the builders directly and inspect the spec.
"""

from __future__ import annotations

from typing import NamedTuple

import altair as alt
import numpy as np
import pandas as pd

from ui import palette

# NB: encodings are given as channel objects (alt.X("k:Q"), alt.Detail(...), alt.XValue(0)), never as
# strings or dicts: Altair turns a string or dict channel into its class through SchemaBase.from_dict,
# which hashes every schema class's schema first (7 ms of a 15 ms log_line chart; bench/bench_charts.py).
DEFAULT_FLOOR = 1e-30  # smallest value a native log axis is asked to show
SERIES = "series"  # column name used when a builder has to invent a series column


class LogFlags(NamedTuple):
    """What clean_log had to do: rows put on the floor, first x of overflow per series."""

    floored: int
    overflow: dict  # series name -> first x where the value was inf or NaN


def config_dict(lecture: bool = False) -> dict:
    """The Vega-Lite "config" of every chart: fonts and line widths sized for the screen of each mode.

    Normal mode: 14-px tick labels, read on a 1920 x 1080 screen (12 px were hard to read there); lecture
    mode: ~1.6x the 12-px base, for a projector. Line widths and symbols scale with the mode (s)."""
    s = 1.6 if lecture else 1.0
    label, title, heading = (12 * s, 13 * s, 15 * s) if lecture else (14, 15, 17)
    return {
        "axis": {"labelFontSize": label, "titleFontSize": title, "titleFontWeight": "normal"},
        "legend": {
            "labelFontSize": label,
            "titleFontSize": title,
            "symbolSize": 120 * s,
            "symbolStrokeWidth": 2 * s,
            "labelLimit": 0,
        },
        "title": {"fontSize": heading, "subtitleFontSize": label, "anchor": "start"},
        "header": {"labelFontSize": title, "titleFontSize": title},
        "text": {"fontSize": label},
        "line": {"strokeWidth": 2 * s},
        "point": {"size": 40 * s},
        "rule": {"strokeWidth": 1.5 * s},
    }


def configure(chart: alt.TopLevelMixin, lecture: bool = False) -> alt.TopLevelMixin:
    """Top-level fonts and line widths (config_dict); lecture=True scales them ~1.6x for a projector."""
    c = config_dict(lecture)
    return (
        chart.configure_axis(**c["axis"])
        .configure_legend(**c["legend"])
        .configure_title(**c["title"])
        .configure_header(**c["header"])
        .configure_text(**c["text"])
        .configure_line(**c["line"])
        .configure_point(**c["point"])
        .configure_rule(**c["rule"])
    )


# Legends go below the plot and wrap into as many columns as fit; titles wrap into lines. Both are sized
# for the narrowest place a chart is drawn: a half-width column at 1280 px in lecture mode (about 400 px,
# of which the y axis takes some 90).
LEGEND_WIDTH = 300  # px a bottom legend may fill
TITLE_WIDTH = 340  # px a title line may fill (Streamlit cuts a title at the chart's width - 40)
CHAR_EM = 0.5  # mean advance of a character of Source Sans, in font sizes (measured 0.40-0.42: generous)


def _text_px(text: str, font: float) -> float:
    return CHAR_EM * font * len(str(text))


def legend_columns(labels, font: float, symbol: float, width: float = LEGEND_WIDTH) -> int:
    """How many columns of entries (symbol, gap, label, column padding) fit in `width`, filled row by row."""
    entries = [symbol + 8 + _text_px(lab, font) + 12 for lab in labels]
    for n in range(len(entries), 1, -1):
        if sum(max(entries[j::n]) for j in range(n)) <= width:
            return n
    return 1


def wrap(text: str, font: float, width: float = TITLE_WIDTH) -> list[str]:
    """Words of text in lines no wider than width at this font size (a long word gets a line of its own);
    "H = 32" stays on one line."""
    per = max(8, int(width / (CHAR_EM * font)))
    lines: list[str] = []
    for word in [w for w in str(text).replace(" = ", "\u00a0=\u00a0").split(" ") if w]:
        if lines and len(lines[-1]) + 1 + len(word) <= per:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return [ln.replace("\u00a0", " ") for ln in lines] or [""]


def _legend_encodings(chart):
    """(encoding channel objects with a bottom legend) of a chart and all its layers."""
    if isinstance(chart, alt.LayerChart):
        return [c for sub in chart.layer for c in _legend_encodings(sub)]
    out = []
    for sub in [chart]:
        enc = getattr(sub, "encoding", alt.Undefined)
        if enc is alt.Undefined:
            continue
        for ch in ("color", "strokeDash", "fill", "shape", "stroke"):
            c = _get(enc, ch)
            leg = _get(c, "legend")
            if isinstance(leg, alt.Legend) and _get(leg, "orient") == "bottom":
                out.append(c)
    return out


def _get(obj, name: str):
    """An Altair object's own value of a property (obj[name]; the attribute is a setter), or alt.Undefined."""
    try:
        return obj[name]
    except (KeyError, TypeError, AttributeError):
        return alt.Undefined


def fit_legends(chart, lecture: bool = False):
    """Bottom legends in as many columns as fit (labels never cut) and titles wrapped into lines, at the
    font sizes of config_dict(lecture); the chart grows by the legend's extra rows so its plot keeps its height.

    NB: changes the chart's own legend objects (builders make a new chart on every call)."""
    c = config_dict(lecture)
    font, symbol = c["legend"]["labelFontSize"], 2.2 * c["legend"]["labelFontSize"]
    rows = 1
    for enc in _legend_encodings(chart):
        dom = _get(_get(enc, "scale"), "domain")
        if not isinstance(dom, list) or len(dom) < 2:
            continue
        n = legend_columns([str(d) for d in dom], font, symbol)
        enc["legend"]["columns"] = n
        enc["legend"]["labelLimit"] = 0
        rows = max(rows, -(-len(dom) // n))
    h, w = _get(chart, "height"), _get(chart, "width")
    # NB: a chart of fixed width and height (a square plane, autosize "pad") gets its legend outside the
    # plot anyway; growing its height would stretch the plane
    if rows > 1 and isinstance(h, (int, float)) and not isinstance(w, (int, float)):
        chart = chart.properties(height=int(h + (rows - 1) * (font * 1.25 + 4)))
    title = _get(chart, "title")
    tfont, sfont = c["title"]["fontSize"], c["title"]["subtitleFontSize"]
    lines = []
    if isinstance(title, str) and title:
        lines = wrap(title, tfont)
        if len(lines) > 1:
            chart = chart.properties(title=alt.TitleParams(text=lines))
    elif isinstance(title, alt.TitleParams):
        text, sub = _get(title, "text"), _get(title, "subtitle")
        new = {}
        if isinstance(text, str) and text:
            new["text"] = lines = wrap(text, tfont)
        if isinstance(sub, list):
            new["subtitle"] = [ln for s in sub for ln in wrap(s, sfont)]
        if new:
            chart = chart.properties(title=alt.TitleParams(**{**title.to_dict(), **new}))
    if len(lines) > 1 and _get(chart, "padding") is alt.Undefined:
        # NB: Vega lays a title's extra lines out above its first one by less than their height; without room
        # at the top the first line reaches over the element above the chart (seen in Chromium)
        chart = chart.properties(
            padding={"top": 5 + int(0.5 * tfont * (len(lines) - 1)), "left": 5, "right": 5, "bottom": 5}
        )
    return chart


def _series_col(df: pd.DataFrame, color: str | None) -> tuple[pd.DataFrame, str]:
    """Return (df, colour column), adding a constant series column if there is none."""
    if color is not None:
        return df, color
    df = df.assign(**{SERIES: "value"})
    return df, SERIES


LEGEND = dict(orient="bottom", labelLimit=0)  # below the plot, never cut (fit_legends sets its columns)
# Dash patterns of the dashed series of one chart, in order (solid is [1, 0]): each differs from the others
# in its rhythm, so two dashed curves stay apart in black and white, and the legend draws each swatch.
DASHES = ([8, 4], [2, 3], [12, 3, 3, 3], [4, 2, 1, 2], [1, 5])


def _legend(names):
    return alt.Legend(**LEGEND) if len(names) > 1 else None


def _colour_enc(df: pd.DataFrame, color: str, title: str | None):
    """Colour encoding with the palette's fixed colour per series name."""
    names = list(dict.fromkeys(df[color].astype(str)))
    return alt.Color(f"{color}:N", title=title, scale=palette.scale(names), legend=_legend(names))


def dash_patterns(names, dashed) -> list[list[int]]:
    """One strokeDash per series name: solid [1, 0], or the next of DASHES for a name listed in `dashed`."""
    dashed = [str(d) for d in dashed]
    out, i = [], 0
    for n in names:
        if str(n) in dashed:
            out.append(list(DASHES[i % len(DASHES)]))
            i += 1
        else:
            out.append([1, 0])
    return out


def dash_scale(names, dashed) -> alt.Scale:
    """The strokeDash scale of dash_patterns: each name to solid or its own dash pattern."""
    names = list(dict.fromkeys(str(n) for n in names))
    return alt.Scale(domain=names, range=dash_patterns(names, dashed))


def _dash_enc(df: pd.DataFrame, color: str, dashed, title: str | None):
    """strokeDash on the series field itself: solid, or a pattern of its own for each series in `dashed`.

    NB: same field and title as the colour encoding, so Vega-Lite merges the two into one legend and
    each swatch shows its series' dash (a dashed line behind a solid swatch hid it before)."""
    names = list(dict.fromkeys(df[color].astype(str)))
    return alt.StrokeDash(f"{color}:N", title=title, scale=dash_scale(names, dashed), legend=_legend(names))


class Coincidence(NamedTuple):
    """Two drawn series that lie on one another: the largest relative gap over their common points."""

    a: str
    b: str
    gap: float  # max |v_a / v_b - 1| over the x where both are drawn (not on the floor), from `since` on
    since: float | None = (
        None  # None: at every shared x; else they part before this x and stay together after
    )


# Two curves on a log axis are one line on screen when they are never further apart than 1% of the axis's
# span (about 3 px of a 340 px plot, under a lecture line's width) -- and within 1% of each other always.
COINCIDE_SPAN = 0.01
COINCIDE_MIN = float(np.log10(1.01))
TAIL_SHARE = 0.3  # curves that part early but lie on one another over the last 30% of their points or more


def coinciding(
    df: pd.DataFrame, x: str, y: str, color: str, *, log10: bool, span: float = COINCIDE_SPAN
) -> list[Coincidence]:
    """Pairs of series of a clean_log frame (log axis) that are one line on the chart: at every x they share,
    log10 of their ratio stays under span x the axis's decades (or under log10(1.01)); points on the floor do
    not count (a floored curve is not a measurement there)."""
    d = df[~df["_floored"]] if "_floored" in df else df
    lg = d[y].astype(float) if log10 else np.log10(d[y].astype(float).clip(lower=np.finfo(float).tiny))
    d = d.assign(_lg=lg.to_numpy())
    if d.empty:
        return []
    decades = float(d["_lg"].max() - d["_lg"].min())
    tol = max(span * decades, COINCIDE_MIN)
    per = {str(n): g.groupby(x)["_lg"].mean() for n, g in d.groupby(color, sort=False)}
    names = list(dict.fromkeys(df[color].astype(str)))
    out = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            if a not in per or b not in per:
                continue
            va, vb = per[a].align(per[b], join="inner")
            if len(va) < 2:
                continue
            dist = np.abs(va.to_numpy() - vb.to_numpy())
            worst = float(np.max(dist))
            if worst <= tol:
                out.append(Coincidence(a, b, float(np.expm1(worst * np.log(10.0)))))
                continue
            # the longest run of shared points at the end where they stay together: one line from there on
            apart = np.flatnonzero(dist > tol)
            tail = dist[apart[-1] + 1 :]
            if tail.size >= max(3, int(TAIL_SHARE * dist.size)):
                since = float(va.index[apart[-1] + 1])
                out.append(Coincidence(a, b, float(np.expm1(float(tail.max()) * np.log(10.0))), since))
    return out


def coincidence_text(pairs: list[Coincidence], x_title: str = "x") -> list[str]:
    """ "'bound' and 'run' within 11% of each other at every point (one line here)" per pair ("... from
    <x_title> = 12 on (one line there)" when they part before)."""
    out = []
    for p in pairs:
        head = f"'{p.a}' and '{p.b}' within {100 * p.gap:.2g}% of each other"
        if p.since is None:
            out.append(f"{head} at every point (one line here)")
        else:
            out.append(f"{head} from {x_title} = {p.since:g} on (one line there)")
    return out


def _floor_log10(floor: float, floor_log10: float | None, log10: bool) -> float | None:
    """The floor in log10 units for log10=True (floor_log10 wins over floor); None otherwise."""
    if floor_log10 is not None and not log10:
        raise ValueError("floor_log10 is the floor of a log10=True chart; use floor= for a native log axis")
    if not log10:
        return None
    v = float(floor_log10) if floor_log10 is not None else float(np.log10(floor))
    if not np.isfinite(v):
        raise ValueError(f"the floor must be a finite log10 value, got {v}")
    return v


def _floor_text(floor: float, lo: float | None) -> str:
    """'1e-300' for the floor label (from its log10 value when there is one)."""
    if lo is None:
        return f"{floor:.0e}"
    return f"1e{int(lo):d}" if float(lo).is_integer() else f"1e{lo:.2f}"


def clean_log(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    floor: float = DEFAULT_FLOOR,
    log10: bool = False,
    floor_log10: float | None = None,
) -> tuple[pd.DataFrame, LogFlags]:
    """y -> finite rows with y >= floor; 0/underflow -> floor, inf/NaN -> dropped and reported.

    With log10=True, y already holds log10 values (so nothing can overflow float64 before
    plotting); values below the floor floor_log10 (default log10(floor)) and -inf (an exact
    zero) go to the floor. floor_log10 reaches beyond float64 (-630 for 1e-630).
    """
    lo_log = _floor_log10(floor, floor_log10, log10)
    df, color = _series_col(df.copy(), color)
    xs = pd.to_numeric(df[x], errors="coerce").astype(float)
    ys = pd.to_numeric(df[y], errors="coerce").astype(float)
    df = df.assign(**{x: xs, y: ys})
    df = df[np.isfinite(xs.to_numpy())]
    v = df[y].to_numpy(dtype=float)
    lo = lo_log if log10 else float(floor)
    if log10:
        over = np.isnan(v) | (v == np.inf)
        under = (v == -np.inf) | (np.isfinite(v) & (v < lo))
    else:
        over = ~np.isfinite(v)
        under = np.isfinite(v) & (v < lo)  # exact zeros, underflow and (invalid) negatives
    overflow = {}
    for name, xv in zip(df[color].astype(str)[over], df[x][over], strict=True):
        overflow.setdefault(name, float(xv))
        overflow[name] = min(overflow[name], float(xv))
    out = df[~over].copy()
    out[y] = np.where(under[~over], lo, out[y].to_numpy(dtype=float))
    out["_floored"] = under[~over]
    return out, LogFlags(int(under.sum()), overflow)


def log_line(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    x_title: str,
    y_title: str,
    floor: float = DEFAULT_FLOOR,
    log10: bool = False,
    floor_log10: float | None = None,
    dashed=(),
    title: str | None = None,
    legend_title: str | None = None,
    height: int = 320,
    points: bool = False,
) -> alt.LayerChart:
    """Line chart of y against x on a log axis, safe for 0, underflow, inf and NaN.

    log10=True: y holds log10 values; the axis is linear in log10 with labels 1e-k, which
    shows products far beyond float64's range (1e-400 is fine); give its floor in log10
    units as floor_log10 (e.g. -300, or -631 for a product of 500 forget gates), else
    log10(floor). `dashed` lists series names drawn dashed (bounds).
    """
    lo_log = _floor_log10(floor, floor_log10, log10)
    clean, flags = clean_log(df, x, y, color, floor=floor, log10=log10, floor_log10=floor_log10)
    clean, color = _series_col(clean, color)
    if log10:
        clean["_value"] = [f"1e{v:+.2f}" for v in clean[y]]
        y_enc = alt.Y(
            f"{y}:Q", title=y_title, axis=alt.Axis(labelExpr="'1e' + format(datum.value, 'd')", tickMinStep=1)
        )
        floor_y = lo_log
    else:
        clean["_value"] = [f"{v:.3e}" for v in clean[y]]
        y_enc = alt.Y(f"{y}:Q", title=y_title, scale=alt.Scale(type="log"), axis=alt.Axis(format=".0e"))
        floor_y = float(floor)
    # NB: the layers that draw `clean` carry no data of their own; alt.layer(..., data=clean) gives it
    # to them. Given to each, Altair hoists it and hashes the DataFrame's repr and deep-copies
    # every layer on the way (half the cost of building this chart)
    base = alt.Chart()
    tooltip = [
        alt.Tooltip(f"{color}:N", title="series"),
        alt.Tooltip(f"{x}:Q", title=x_title),
        alt.Tooltip("_value:N", title=y_title),
    ]
    lines = base.mark_line(point=points).encode(
        x=alt.X(f"{x}:Q", title=x_title),
        y=y_enc,
        color=_colour_enc(clean, color, legend_title),
        strokeDash=_dash_enc(clean, color, dashed, legend_title),
        detail=alt.Detail(f"{color}:N"),
        tooltip=tooltip,
    )
    layers = [lines]
    notes = coincidence_text(coinciding(clean, x, y, color, log10=log10), x_title.split(" (")[0])
    if flags.floored:
        fl = pd.DataFrame(
            {
                "y": [floor_y],
                "label": [f"floor {_floor_text(floor, lo_log)}: smaller values and 0 drawn here"],
            }
        )
        layers.append(alt.Chart(fl).mark_rule(strokeDash=[2, 3], color=palette.GREY).encode(y=alt.Y("y:Q")))
        layers.append(
            alt.Chart(fl)
            .mark_text(align="left", baseline="bottom", dx=4, dy=-2, color=palette.GREY)
            .encode(y=alt.Y("y:Q"), text=alt.Text("label:N"), x=alt.XValue(0))
        )
        layers.append(
            base.transform_filter("datum._floored")
            .mark_point(shape="triangle-down", filled=True)
            .encode(
                x=alt.X(f"{x}:Q"),
                y=alt.Y(f"{y}:Q"),
                color=_colour_enc(clean, color, legend_title),
                tooltip=tooltip,
            )
        )
    if flags.overflow:
        names = list(dict.fromkeys(clean[color].astype(str)))
        cols = dict(zip(names, palette.colours(names), strict=True))
        ov = pd.DataFrame(
            {
                "x": list(flags.overflow.values()),
                "label": [f"{k} overflowed\nat {x_title} = {v:g}" for k, v in flags.overflow.items()],
                "colour": [cols.get(k, palette.colour(k) or palette.GREY) for k in flags.overflow],
            }
        )
        layers += overflow_labels(ov, [*clean[x], *ov["x"]])
    # NB: height and title go to the constructor: each .properties() call copies the whole layer again
    head = _title(title, notes)
    return alt.layer(*layers, data=clean, height=height, **({"title": head} if head is not None else {}))


def _title(title: str | None, notes: list[str]):
    """The chart's title, with the computed notes (coinciding curves) as its subtitle."""
    if not notes:
        return title
    return alt.TitleParams(text=title or "", subtitle=notes, subtitleColor=palette.BLACK)


def overflow_labels(ov: pd.DataFrame, xs, line_height: int = 20) -> list[alt.Chart]:
    """A rule and a label per "overflowed at" marker (ov: columns x, label, optional colour), inside the plot.

    Each is drawn in its series' colour (ov.colour; vermillion if absent). A label starts right of its
    rule; when the rule stands in the right half of the x range it ends left of the rule instead (align
    right), so it never runs off the plot's right edge; a label breaks into lines at its newlines (two
    short lines instead of one long one) and several labels are stacked instead of printed over each other.
    """
    xs = np.asarray(xs, dtype=float)
    xs = xs[np.isfinite(xs)]
    lo, hi = (float(xs.min()), float(xs.max())) if xs.size else (0.0, 1.0)
    out = []
    for i, row in enumerate(ov.sort_values("x").to_dict("records")):
        right = hi > lo and (row["x"] - lo) / (hi - lo) > 0.5
        col = row.get("colour") or palette.VERMILLION
        one = pd.DataFrame([{"x": row["x"], "label": row["label"]}])
        n_lines = str(row["label"]).count("\n") + 1
        out.append(alt.Chart(one).mark_rule(strokeDash=[4, 2], color=col).encode(x=alt.X("x:Q")))
        out.append(
            alt.Chart(one)
            .mark_text(
                align="right" if right else "left",
                baseline="top",
                dx=-4 if right else 4,
                angle=0,
                color=col,
                lineBreak="\n",
                fontWeight="bold",
            )
            .encode(x=alt.X("x:Q"), y=alt.YValue(4 + line_height * n_lines * i), text=alt.Text("label:N"))
        )
    return out


def line(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    x_title: str,
    y_title: str,
    dashed=(),
    title: str | None = None,
    legend_title: str | None = None,
    height: int = 320,
    points: bool = False,
) -> alt.Chart:
    """Line chart on linear axes; rows with non-finite x or y are dropped."""
    df, color = _series_col(df.copy(), color)
    df = df[
        np.isfinite(pd.to_numeric(df[x], errors="coerce").astype(float))
        & np.isfinite(pd.to_numeric(df[y], errors="coerce").astype(float))
    ].copy()
    chart = (
        alt.Chart(df)
        .mark_line(point=points)
        .encode(
            x=alt.X(f"{x}:Q", title=x_title),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=_colour_enc(df, color, legend_title),
            strokeDash=_dash_enc(df, color, dashed, legend_title),
            detail=alt.Detail(f"{color}:N"),
            tooltip=[
                alt.Tooltip(f"{color}:N", title="series"),
                alt.Tooltip(f"{x}:Q", title=x_title),
                alt.Tooltip(f"{y}:Q", title=y_title, format=".4g"),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def heatmap(
    df: pd.DataFrame,
    x: str,
    y: str,
    value: str,
    *,
    x_title: str,
    y_title: str,
    value_title: str,
    diverging: bool = False,
    log: bool = False,
    floor: float = DEFAULT_FLOOR,
    title: str | None = None,
    height: int = 320,
    extra_tooltip: tuple = (),
) -> alt.Chart:
    """Rect heatmap of value over (x, y); log=True colours log10|value| (floored); NaN/inf cells are left blank.
    extra_tooltip: (column, title) pairs of df shown in each cell's tooltip after the value."""
    df = df.copy()
    v = pd.to_numeric(df[value], errors="coerce").astype(float).to_numpy()
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            v = np.log10(np.maximum(np.abs(v), floor))
        value_title = f"log10 |{value_title}|"
    df[value] = v
    df = df[np.isfinite(v)]
    scale = (
        alt.Scale(scheme=palette.DIVERGING, domainMid=0)
        if diverging and not log
        else alt.Scale(scheme=palette.SEQUENTIAL)
    )
    chart = (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O", title=x_title),
            y=alt.Y(f"{y}:O", title=y_title, sort="descending"),
            color=alt.Color(f"{value}:Q", title=value_title, scale=scale),
            tooltip=[
                alt.Tooltip(f"{x}:O", title=x_title),
                alt.Tooltip(f"{y}:O", title=y_title),
                alt.Tooltip(f"{value}:Q", title=value_title, format=".4g"),
                *(alt.Tooltip(f"{col}:N", title=t) for col, t in extra_tooltip),
            ],
        )
        .properties(height=height)
    )
    return chart.properties(title=title) if title else chart


def bars(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None = None,
    *,
    x_title: str,
    y_title: str,
    log: bool = False,
    floor: float = DEFAULT_FLOOR,
    title: str | None = None,
    legend_title: str | None = None,
    height: int = 300,
    log10: bool = False,
    floor_log10: float | None = None,
) -> alt.Chart:
    """Bar chart of y per category x; log=True: bars of log10 y rising from a visible floor.

    NB: a bar on a native log scale starts at 0 = log(-inf) and Vega draws nothing at all, so with
    log=True the bars are drawn in log10 space (axis labelled 1e-k) from a baseline one decade
    under the smallest value: y from log10(y) to the baseline (y2). Values below `floor` (exact
    zeros, underflow) are drawn at the floor, inf/NaN are left out. log10=True: y already holds
    log10 values (-inf = exact zero); floor_log10 sets the floor in log10 units then.
    """
    df, color = _series_col(df.copy(), color)
    v = pd.to_numeric(df[y], errors="coerce").astype(float).to_numpy()
    x_enc = alt.X(f"{x}:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0, labelOverlap="greedy"))
    names = list(dict.fromkeys(df[color].astype(str)))
    tip = [alt.Tooltip(f"{x}:N", title=x_title), alt.Tooltip(f"{color}:N", title="series")]
    if not (log or log10):
        df[y] = v
        df = df[np.isfinite(v)]
        return _titled(
            alt.Chart(df)
            .mark_bar()
            .encode(
                x=x_enc,
                y=alt.Y(f"{y}:Q", title=y_title),
                color=_colour_enc(df, color, legend_title),
                xOffset=alt.XOffset(f"{color}:N", sort=names),
                tooltip=tip + [alt.Tooltip(f"{y}:Q", title=y_title, format=".4g")],
            )
            .properties(height=height),
            title,
        )
    lo = _floor_log10(floor, floor_log10, True)
    with np.errstate(divide="ignore", invalid="ignore"):
        lg = v.copy() if log10 else np.where(v > 0, np.log10(np.where(v > 0, v, 1.0)), -np.inf)
    keep = ~np.isnan(lg) & (lg != np.inf)  # NaN and overflow: no bar
    df, lg, v = df[keep].copy(), lg[keep], v[keep]
    floored = lg < lo
    lg = np.where(floored, lo, lg)
    base = float(np.floor(lg.min()) - 1.0) if lg.size else lo - 1.0
    top = float(max(np.ceil(lg.max()), base + 1.0)) if lg.size else lo
    df["_log10"] = lg
    df["_base"] = base
    at_floor = f"0 or below the floor, drawn at {_floor_text(floor, lo)}"
    df["_value"] = [
        at_floor if f else (f"1e{val:+.2f}" if log10 else f"{orig:.4g}")
        for val, orig, f in zip(lg, v, floored, strict=True)
    ]
    chart = (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=x_enc,
            xOffset=alt.XOffset(f"{color}:N", sort=names),
            y=alt.Y(
                "_log10:Q",
                title=y_title,
                scale=alt.Scale(domain=[base, top], zero=False, nice=False),
                axis=alt.Axis(labelExpr="'1e' + format(datum.value, 'd')", tickMinStep=1),
            ),
            y2=alt.Y2("_base:Q"),
            color=_colour_enc(df, color, legend_title),
            tooltip=tip + [alt.Tooltip("_value:N", title=y_title)],
        )
        .properties(height=height)
    )
    return _titled(chart, title)


def _titled(chart, title: str | None):
    return chart.properties(title=title) if title else chart


def eigen_scatter(
    eigvals,
    *,
    radius: float | None = None,
    circles=(),
    title: str | None = None,
    label: str = "eigenvalue",
    size: int = 320,
) -> alt.LayerChart:
    """Eigenvalues lambda_i in the complex plane with the unit circle |z| = 1 and reference circles.

    circles: (name, radius) or (name, radius, colour) per extra dashed circle, e.g.
    [("|z| = rho(W) = 0.9", 0.9, palette.ORANGE), ("|z| = ||W||_2 = 1.7", 1.7)] (colour from the
    palette by name otherwise); radius=r alone adds ("spectral radius r", r). Non-finite or
    non-positive radii and eigenvalues are left out. The plane stays square: width = height =
    size for the plot itself (autosize "pad" puts axes and legend around it).
    """
    ev = np.asarray(eigvals, dtype=complex).ravel()
    ev = ev[np.isfinite(ev.real) & np.isfinite(ev.imag)]
    pts = pd.DataFrame({"re": ev.real, "im": ev.imag, "abs": np.abs(ev), "kind": label})
    rings = [("|z| = 1", 1.0, palette.GREY)]
    extra = list(circles) + ([(f"spectral radius {radius:.3g}", radius)] if radius is not None else [])
    for c in extra:
        name, r = str(c[0]), c[1]
        if r is None or not np.isfinite(r) or r <= 0:
            continue
        rings.append((name, float(r), c[2] if len(c) > 2 and c[2] else None))
    fixed = palette.colours([n for n, _, _ in rings])
    rings = [(n, r, col or fixed[i]) for i, (n, r, col) in enumerate(rings)]
    th = np.linspace(0.0, 2 * np.pi, 181)
    circ = pd.concat(
        [
            pd.DataFrame(
                {
                    "re": r * np.cos(th),
                    "im": r * np.sin(th),
                    "order": np.arange(th.size),
                    "circle": n,
                }
            )
            for n, r, _ in rings
        ],
        ignore_index=True,
    )
    m = 1.08 * float(max(1.0, max(r for _, r, _ in rings), np.abs(ev).max() if ev.size else 1.0))
    sx = alt.Scale(domain=[-m, m], nice=False)
    names = [n for n, _, _ in rings]
    ring = (
        alt.Chart(circ)
        .mark_line()
        .encode(
            x=alt.X("re:Q", title="Re λ", scale=sx),
            y=alt.Y("im:Q", title="Im λ", scale=sx),
            order=alt.Order("order:Q"),
            detail=alt.Detail("circle:N"),
            color=alt.Color(
                "circle:N",
                title=None,
                scale=alt.Scale(domain=names, range=[c for _, _, c in rings]),
                legend=alt.Legend(**LEGEND),
            ),
            # the unit circle solid, every other circle a dash of its own (in the legend too)
            strokeDash=alt.StrokeDash(
                "circle:N",
                title=None,
                scale=alt.Scale(domain=names, range=dash_patterns(names, names[1:])),
                legend=alt.Legend(**LEGEND),
            ),
        )
    )
    dots = (
        alt.Chart(pts)
        .mark_circle(size=45, color=palette.VERMILLION, opacity=0.85)
        .encode(
            x=alt.X("re:Q"),
            y=alt.Y("im:Q"),
            tooltip=[
                alt.Tooltip("re:Q", title="Re λ", format=".3f"),
                alt.Tooltip("im:Q", title="Im λ", format=".3f"),
                alt.Tooltip("abs:Q", title="|λ|", format=".4f"),
            ],
        )
    )
    chart = alt.layer(ring, dots).properties(width=size, height=size, autosize=alt.AutoSizeParams(type="pad"))
    return chart.properties(title=title) if title else chart
