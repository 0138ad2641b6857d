"""ui.palette: one colour-blind-safe palette with a fixed colour per quantity."""

from ui import palette


def test_palette_fixed_colours_and_distinct_fallbacks():
    assert palette.colour("RNN") == palette.VERMILLION and palette.colour("lstm") == palette.BLUE
    cols = palette.colours(["RNN", "a", "b", "LSTM"])
    assert cols[0] == palette.VERMILLION and cols[3] == palette.BLUE
    assert len(set(cols)) == 4
    assert palette.YELLOW not in palette.CYCLE  # too little contrast on white for lines


def test_lookup_ignores_case_and_spaces_and_knows_unnamed_series():
    assert palette.colour("  GRU ") == palette.GREEN
    assert palette.colour("Spectral Radius") == palette.ORANGE
    assert palette.colour("something else") is None
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
