"""ui.palette: one colour-blind-safe palette with a fixed colour per quantity, measured on a projector."""

import itertools

import pytest

from ui import charts, palette


def test_palette_fixed_colours_and_distinct_fallbacks():
    assert palette.colour("RNN") == palette.VERMILLION and palette.colour("lstm") == palette.BLUE
    cols = palette.colours(["RNN", "a", "b", "LSTM"])
    assert cols[0] == palette.VERMILLION and cols[3] == palette.BLUE
    assert len(set(cols)) == 4
    assert palette.YELLOW not in palette.CYCLE  # too little contrast on white for lines


def test_lookup_ignores_case_and_spaces_and_knows_unnamed_series():
    assert palette.colour("  GRU ") == palette.BLACK
    assert palette.colour("Spectral Radius") == palette.SKY_BLUE
    assert palette.colour("bound (tanh)") == palette.colour("bound") == palette.BLACK
    assert palette.colour("something else") is None and palette.colour("boundless") is None
    assert palette.colour(3) is None  # any name is looked up as a string


def test_unnamed_series_take_the_spare_colours_in_order_and_wrap():
    names = ["RNN", *"abcdefg"]  # 7 unnamed series, 6 spare colours (vermillion is taken)
    cols = palette.colours(names)
    spare = [c for c in palette.CYCLE if c != palette.VERMILLION]
    assert cols == [palette.VERMILLION, *spare, spare[0]]


def test_scale_maps_each_name_once_to_its_colour():
    sc = palette.scale(["tanh", "x", "tanh", "bound"]).to_dict()
    assert sc["domain"] == ["tanh", "x", "bound"]  # duplicates dropped, order kept
    assert sc["range"] == [palette.VERMILLION, palette.BLUE, palette.BLACK]


# ----------------------------------------------------------------------------- separation on a projector
SAME_STYLE = 20.0  # Delta E two series of the same line style need: colour is their only cue
WITH_DASH = 10.0  # a pair that also differs in dash pattern (drawn in the legend swatch too): two cues

# Every chart of the app that draws several series in one plot: (series, dashed series). The colours are
# the ones the app gives them (palette.colours, as ui.charts and the pages call it), except where a page
# sets them itself (named in EXPLICIT).
CHARTS = {
    "Start: ||dh_T/dh_k|| at two radii": (["spectral radius 0.8", "spectral radius 1.2"], []),
    "RNN Decay": (
        ["RNN", "RNN, Frobenius norm", "bound", "eq. 10 along this run", "spectral radius"],
        ["bound", "eq. 10 along this run", "spectral radius"],
    ),
    "RNN Spectrum: eigenvalues": (
        ["eigenvalue", "|z| = 1", "|z| = 1/gamma_h", "|z| = ||W||_2", "|z| = rho(W)"],
        ["|z| = 1/gamma_h", "|z| = ||W||_2", "|z| = rho(W)"],
    ),
    "RNN Spectrum: |lambda_i| and sigma_i": (["spectral radius", "spectral norm"], []),
    "RNN Derivative (tanh, sigmoid, relu)": (["tanh", "sigmoid", "relu"], []),
    "RNN Derivative (tanh, sigmoid, linear)": (["tanh", "sigmoid", "linear"], ["linear"]),
    "RNN Derivative: f' per step": (["mean_j |f'(a_t,j)|", "max_j |f'(a_t,j)| = ||diag f'(a_t)||"], []),
    "LSTM Two paths (RNN)": (["cell path", "full Jacobian", "RNN"], ["cell path"]),
    "LSTM Two paths (GRU)": (["cell path", "full Jacobian", "GRU"], ["cell path"]),
    "LSTM Components": (["LSTM", "RNN", "GRU"], []),
    "LSTM Split": (["total dL_t/dc_k", "cell path", "through h (Wh terms)"], ["total dL_t/dc_k"]),
    **{
        f"Exploding Growth ({f})": (
            ["linear", "bound (linear)", f, f"bound ({f})"],
            ["linear", "bound (linear)", f"bound ({f})"],
        )
        for f in ("sigmoid", "relu")
    },
    "Exploding Growth (tanh)": (["linear", "bound", "tanh"], ["linear", "bound"]),
    "Exploding Descent and Clipping": (["unclipped", "clipped by norm", "clipped by value"], []),
    "Exploding Bifurcation": (["stable fixed point", "unstable fixed point", "x_T"], ["x_T"]),
    "Remedies lab (RNN, LSTM, a remedy)": (["LSTM", "RNN", "RNN + clipping + Omega"], []),
    "Remedies lab (RNN, LSTM, GRU)": (["RNN", "LSTM", "GRU"], []),
}
EXPLICIT = {  # colours a chart sets itself (ui.charts.eigen_scatter's dots and unit circle, the x_T path)
    "eigenvalue": palette.VERMILLION,
    "|z| = 1": palette.GREY,
    "|z| = 1/gamma_h": palette.BLACK,
    "|z| = ||W||_2": palette.colour("spectral norm"),
    "|z| = rho(W)": palette.colour("spectral radius"),
    "x_T": palette.BLACK,
}


def _colours(names):
    auto = dict(zip(names, palette.colours([n for n in names]), strict=True))
    return {n: EXPLICIT.get(n, auto[n]) for n in names}


PAIRS = [
    (chart, a, b, a in dashed, b in dashed)
    for chart, (names, dashed) in CHARTS.items()
    for a, b in itertools.combinations(names, 2)
]


@pytest.mark.parametrize(
    "chart,a,b,a_dashed,b_dashed", PAIRS, ids=[f"{p[0]}: {p[1]} / {p[2]}" for p in PAIRS]
)
def test_series_drawn_together_stay_apart_on_a_washed_out_projector(chart, a, b, a_dashed, b_dashed):
    """Two series of one chart: Delta E >= 20 (worst of normal vision and Machado 2009's protanopia,
    deuteranopia and tritanopia, with 15% ambient white) when they share a line style; >= 10 when one is
    dashed and the other not; two dashed reference curves are told apart by their dash patterns alone."""
    cols = _colours(CHARTS[chart][0])
    names, dashed = CHARTS[chart]
    dash = dict(zip(names, charts.dash_patterns(names, dashed), strict=True))
    if a_dashed and b_dashed:
        assert dash[a] != dash[b]
        return
    need = SAME_STYLE if a_dashed == b_dashed else WITH_DASH
    sep = palette.separation(cols[a], cols[b])
    assert sep >= need, f"{chart}: {a} {cols[a]} vs {b} {cols[b]}: Delta E {sep:.1f} < {need}"


def test_the_pairs_the_issue_saw_merge_fail_the_measure():
    """The measure flags what was seen on the projector: light vs dark blue, vermillion vs orange, blue vs
    bluish green are all below 20 (and stay apart without the washout, where the eye still parts them)."""
    for a, b in (
        (palette.SKY_BLUE, palette.BLUE),
        (palette.VERMILLION, palette.ORANGE),
        (palette.BLUE, palette.GREEN),
    ):
        assert palette.separation(a, b) < SAME_STYLE
    assert palette.separation(palette.SKY_BLUE, palette.BLUE, ambient=0.0) > SAME_STYLE
    assert palette.separation(palette.BLACK, "#FFFFFF", ambient=0.0) == pytest.approx(100.0, abs=0.01)
    assert palette.separation(palette.BLUE, palette.BLUE) == 0.0


def test_no_four_line_colours_stay_apart_so_dashes_are_needed():
    """Why charts with four or more series lean on dash patterns: among Okabe-Ito's line colours (yellow left
    out) no four are pairwise 20 apart on the washed-out projector, while three are (blue, vermillion, black)."""
    lines = [
        palette.BLACK,
        palette.ORANGE,
        palette.SKY_BLUE,
        palette.GREEN,
        palette.BLUE,
        palette.VERMILLION,
        palette.PURPLE,
        palette.GREY,
    ]

    def apart(cs):
        return all(palette.separation(a, b) >= SAME_STYLE for a, b in itertools.combinations(cs, 2))

    assert not any(apart(cs) for cs in itertools.combinations(lines, 4))
    assert apart([palette.BLUE, palette.VERMILLION, palette.BLACK]) and apart(palette.CYCLE[:3])


def test_simulation_matrices_keep_white_white():
    """Machado's matrices map white to white (rows sum to 1), so only hue and lightness differences move."""
    import numpy as np

    for m in palette.VISION.values():
        assert np.allclose(m.sum(axis=1), 1.0, atol=1e-3)
