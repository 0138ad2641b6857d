"""One colour-blind-safe palette (Okabe & Ito 2008) with a fixed colour per quantity.

The same quantity keeps its colour on every page, so a lecture audience learns it once:
RNN is vermillion, LSTM blue, GRU green, the bound is black and dashed, and so on.
Yellow (#F0E442) is left out of line charts: it has too little contrast on white.
"""

from __future__ import annotations

import altair as alt

# The eight Okabe-Ito colours by name.
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
GREY = "#666666"  # floors, overflow markers, reference lines (not a data series)

# Fixed colour per quantity; look-up is case-insensitive (see colour()).
QUANTITY = {
    "rnn": VERMILLION,
    "lstm": BLUE,
    "gru": GREEN,
    "bound": BLACK,  # drawn dashed: a bound, not a measurement
    "cell path": SKY_BLUE,  # LSTM dc_T/dc_k = prod f_t
    "full jacobian": BLUE,  # LSTM full (h, c) state Jacobian
    "vanishing": BLUE,  # a contracting run (e.g. spectral radius < 1)
    "exploding": ORANGE,  # an expanding run (e.g. spectral radius > 1)
    "clipped": PURPLE,
    "unclipped": ORANGE,
    "spectral radius": ORANGE,
    "spectral norm": PURPLE,
    "tanh": VERMILLION,
    "sigmoid": GREEN,
    "relu": BLUE,
    "linear": GREY,
    "train": BLUE,
    "test": ORANGE,
    "floor": GREY,
}

# Order used for series that have no fixed colour of their own.
CYCLE = [BLUE, VERMILLION, GREEN, ORANGE, PURPLE, SKY_BLUE, BLACK]

# Sequential and diverging schemes for heatmaps (both readable with colour-blindness).
SEQUENTIAL = "viridis"
DIVERGING = "blueorange"


def colour(name: str) -> str | None:
    """Fixed colour of a quantity, e.g. colour("RNN") -> "#D55E00"; None if it has none."""
    return QUANTITY.get(str(name).strip().lower())


def colours(names) -> list[str]:
    """Colours for a list of series names: fixed ones first, the rest from CYCLE in order."""
    fixed = {colour(n) for n in names} - {None}
    spare = [c for c in CYCLE if c not in fixed] or CYCLE
    out, i = [], 0
    for n in names:
        c = colour(n)
        if c is None:
            c = spare[i % len(spare)]
            i += 1
        out.append(c)
    return out


def scale(names) -> alt.Scale:
    """Altair colour scale that maps each series name to its palette colour."""
    names = list(dict.fromkeys(str(n) for n in names))
    return alt.Scale(domain=names, range=colours(names))
