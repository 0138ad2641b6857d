"""One colour-blind-safe palette (Okabe & Ito 2008) with a fixed colour per quantity.

The same quantity keeps its colour on every page, so a lecture audience learns it once:
RNN is vermillion, LSTM blue, GRU black, the bounds are black and dashed, and so on.
Yellow (#F0E442) is left out of line charts: it has too little contrast on white.

NB: chosen for a washed-out projector and colour-blindness, measured by separation() (CIE Lab
Delta E of two colours after a projector's ambient light and Machado et al. 2009's simulation of
protanopia, deuteranopia and tritanopia, the smallest of the four). Within Okabe-Ito, three
colours at most stay 20 apart under that model ({blue, vermillion, black} is one such set), so a
chart with more series tells its reference curves apart by their dash pattern (ui.charts, drawn
in the legend too): tests/ui/test_palette.py lists every chart's series and checks both.
"""

from __future__ import annotations

import altair as alt
import numpy as np

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
    "gru": BLACK,  # not green: blue and bluish green merge on a projector (separation 12)
    "bound": BLACK,  # drawn dashed: a bound, not a measurement ("bound (tanh)" too, see colour())
    "eq. 10 along this run": BLACK,  # the bound along the run: black, its own dash pattern
    "cell path": ORANGE,  # LSTM dc_T/dc_k = prod f_t (beside the full Jacobian's blue and the RNN)
    "full jacobian": BLUE,  # LSTM full (h, c) state Jacobian
    "total dl_t/dc_k": BLUE,  # the LSTM's whole dL_t/dc_k (drawn dashed)
    "through h (wh terms)": BLACK,  # the paths that leave c through h
    "rnn, frobenius norm": BLUE,
    "vanishing": BLUE,  # a contracting run (e.g. spectral radius < 1)
    "exploding": ORANGE,  # an expanding run (e.g. spectral radius > 1)
    "unclipped": ORANGE,
    "clipped": BLACK,
    "clipped by norm": BLACK,
    "clipped by value": SKY_BLUE,
    "spectral radius": SKY_BLUE,  # not orange: beside the RNN's vermillion (separation 17)
    "spectral norm": ORANGE,
    "tanh": VERMILLION,
    "sigmoid": SKY_BLUE,
    "relu": GREY,
    "linear": BLUE,  # drawn dashed where it is the reference beside another activation
    "stable fixed point": BLUE,
    "unstable fixed point": VERMILLION,
    "train": BLUE,
    "test": ORANGE,
    "floor": GREY,
}

# Order used for series that have no fixed colour of their own: the first three stay 20 apart.
CYCLE = [BLUE, VERMILLION, BLACK, SKY_BLUE, ORANGE, GREEN, PURPLE]

# Sequential and diverging schemes for heatmaps (both readable with colour-blindness).
SEQUENTIAL = "viridis"
DIVERGING = "blueorange"


def colour(name: str) -> str | None:
    """Fixed colour of a quantity, e.g. colour("RNN") -> "#D55E00"; None if it has none.

    Every "bound ..." ("bound (tanh)") is the bound's black."""
    key = str(name).strip().lower()
    if key not in QUANTITY and key.startswith("bound "):
        key = "bound"
    return QUANTITY.get(key)


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


# ----------------------------------------------------------------------------- separation on a projector

# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
# deficiency", IEEE TVCG 15(6), table of matrices at severity 1.0; they act on linear RGB.
VISION = {
    "normal": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
    "tritanopia": np.array(
        [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]]
    ),
}
AMBIENT = 0.15  # a lit hall adds 15% of white to every projected colour (contrast ratio about 6.7 : 1)
_SRGB_TO_XYZ = np.array(
    [[0.4124564, 0.3575761, 0.1804375], [0.2126729, 0.7151522, 0.0721750], [0.0193339, 0.1191920, 0.9503041]]
)
_D65 = np.array([0.95047, 1.0, 1.08883])


def _linear_rgb(hex_colour: str) -> np.ndarray:
    """ "#D55E00" -> linear-light sRGB in [0, 1] (the sRGB transfer curve undone)."""
    h = hex_colour.lstrip("#")
    c = np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)]) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def lab(hex_colour: str, vision: str = "normal", ambient: float = AMBIENT) -> np.ndarray:
    """CIE L*a*b* (D65) of a colour as seen on a washed-out projector by an eye with `vision`."""
    rgb = np.clip(VISION[vision] @ _linear_rgb(hex_colour), 0.0, 1.0)
    rgb = ambient + (1.0 - ambient) * rgb  # ambient light adds white in linear light
    t = (_SRGB_TO_XYZ @ rgb) / _D65
    d = 6.0 / 29.0
    f = np.where(t > d**3, np.cbrt(t), t / (3 * d * d) + 4.0 / 29.0)
    return np.array([116.0 * f[1] - 16.0, 500.0 * (f[0] - f[1]), 200.0 * (f[1] - f[2])])


def separation(a: str, b: str, ambient: float = AMBIENT) -> float:
    """The smallest CIE76 Delta E between two colours over normal vision, protanopia, deuteranopia and
    tritanopia on a washed-out projector (lab()); 20 and above tells two thin lines apart at a glance."""
    return float(min(np.linalg.norm(lab(a, v, ambient) - lab(b, v, ambient)) for v in VISION))
