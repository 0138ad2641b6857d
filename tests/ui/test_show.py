"""ui.show: the Vega-Lite spec a chart is shipped as (chart_spec, kept_spec), schema validation
under the tests, and the small pure helpers (no running app)."""

import os

import pandas as pd
import pytest

from ui import charts, show


def test_chart_spec_matches_altair_chart_and_carries_named_data():
    """ui.chart_spec (what ui.cached_chart stores) is the spec st.altair_chart would send: same
    encodings and fonts, the data as named datasets (st.vega_lite_chart sends them as Arrow), no
    Altair default 300 x 300 view."""
    from ui import show

    df = pd.DataFrame({"k": [0, 1, 2], "log10_norm": [0.0, -1.0, -2.0]})
    chart = charts.log_line(
        df, "k", "log10_norm", log10=True, floor_log10=-300, x_title="k", y_title="n", height=300
    )
    spec = show.chart_spec(chart, lecture=True)
    assert spec["config"]["axis"]["labelFontSize"] == 12 * 1.6
    assert "view" not in spec["config"]
    assert spec["height"] == int(300 * show.LECTURE_HEIGHT)
    ((name, data),) = spec["datasets"].items()
    assert data.column("log10_norm").to_pylist() == [0.0, -1.0, -2.0]
    other = show.chart_spec(
        charts.log_line(
            df.assign(log10_norm=[0.0, -1.0, -3.0]),
            "k",
            "log10_norm",
            log10=True,
            floor_log10=-300,
            x_title="k",
            y_title="n",
        )
    )
    assert list(other["datasets"]) != [name]  # the name follows the content
    assert (spec.get("data") or spec["layer"][0]["data"]) == {"name": name}
    plain = chart.to_dict()
    assert spec["layer"][0]["encoding"] == plain["layer"][0]["encoding"]
    assert show.chart_spec(chart, lecture=False)["config"]["axis"]["labelFontSize"] == 14
    # the fonts are exactly what charts.configure (used by show_chart) sets
    via_altair = charts.configure(chart, lecture=True).to_dict()["config"]
    assert {k: v for k, v in spec["config"].items()} == {k: v for k, v in via_altair.items() if k != "view"}
    # and the caller's chart still holds its DataFrame
    assert any(isinstance(c.data, pd.DataFrame) for c in [chart, *chart.layer])


def test_chart_specs_are_schema_validated_under_the_tests():
    """The app skips Altair's Vega-Lite schema check for speed (ui/show.py VALIDATE_SPECS); the
    suite turns it on (conftest CHECK_CHART_SPECS=1), so a malformed spec fails here, not silently."""
    import altair as alt
    import jsonschema
    import pytest

    from ui import show

    assert show.VALIDATE_SPECS is True
    bad = alt.Chart(pd.DataFrame({"k": [0, 1]})).mark_line().encode(x="k:Q")
    bad.mark = "no-such-mark"  # attribute assignment is not checked; to_dict(validate=True) is
    with pytest.raises(jsonschema.ValidationError):  # Altair raises a subclass of it
        show.chart_spec(bad)


def _line(values, height=None):
    df = pd.DataFrame({"k": range(len(values)), "y": values})
    return charts.line(
        df, "k", "y", x_title="k", y_title="y", **({} if height is None else {"height": height})
    )


def test_lecture_without_grow_keeps_the_size_and_grows_the_fonts():
    chart = _line([1.0, 2.0], height=200)
    spec = show.chart_spec(chart, lecture=True, grow=False)
    assert spec["height"] == 200
    assert spec["config"]["axis"]["labelFontSize"] == 12 * 1.6
    assert show.chart_spec(chart, lecture=True)["height"] == int(200 * show.LECTURE_HEIGHT)


def test_kept_spec_builds_once_per_key_and_lecture_mode():
    made = []

    def make():
        made.append(1)
        return _line([1.0, 3.0])

    key = ("test_show", "kept once")
    first = show.kept_spec(key, make)
    assert show.kept_spec(key, make) is first and len(made) == 1
    assert show.kept_spec(key, make, lecture=True)["config"]["axis"]["labelFontSize"] == 12 * 1.6
    assert len(made) == 2  # lecture mode is part of the key
    assert first == show.chart_spec(_line([1.0, 3.0]))


def test_kept_spec_keeps_the_64_most_recent_keys():
    made = []

    def make():
        made.append(1)
        return _line([0.0])

    keys = [("test_show", "lru", i) for i in range(show._KEPT_MAX + 1)]
    for k in keys:
        show.kept_spec(k, make)
    assert len(made) == show._KEPT_MAX + 1
    show.kept_spec(keys[-1], make)  # still kept
    assert len(made) == show._KEPT_MAX + 1
    show.kept_spec(keys[0], make)  # the oldest was dropped: built again
    assert len(made) == show._KEPT_MAX + 2


@pytest.mark.parametrize(
    "text,slug",
    [
        ("Jacobian norms (T=50)", "jacobian-norms-t-50"),
        ("  ||dh|| / k  ", "dh-k"),
        ("!!!", "data"),
        ("", "data"),
    ],
)
def test_slug(text, slug):
    assert show._slug(text) == slug


def test_version_changes_with_the_builders_file(tmp_path):
    f = tmp_path / "builder.py"
    f.write_text("def chart(): return 1\n")
    v1 = show._version(str(f))
    assert show._version(str(f)) == v1
    f.write_text("def chart(): return 2\n")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # a later modification time
    assert show._version(str(f)) != v1
