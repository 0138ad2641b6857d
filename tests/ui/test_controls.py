"""ui.controls: the pure checks behind the URL-bound controls (no AppTest; the widgets
themselves are exercised through the pages in tests/app and tests/pages)."""

import math

import pytest

from ui.controls import _in_range, _overflows, _same_number


@pytest.mark.parametrize(
    "value,ok",
    [
        (0, True),
        (10, True),
        (3.0, True),
        (3.5, False),
        (-1, False),
        (11, False),
        (True, False),
        (math.nan, False),
        (math.inf, False),
        ("3", False),
        (None, False),
    ],
)
def test_in_range_for_an_int_control(value, ok):
    assert _in_range(0, 10, integer=True)(value) is ok


def test_in_range_for_a_float_control_and_open_ends():
    ok = _in_range(0.5, 2.0, integer=False)
    assert ok(0.5) and ok(1.25) and ok(2.0)
    assert not ok(0.4999) and not ok(2.0001) and not ok(-math.inf)
    unbounded = _in_range(None, None, integer=False)
    assert unbounded(-1e300) and unbounded(1e300) and not unbounded(math.nan)


@pytest.mark.parametrize(
    "raw,value,integer,same",
    [
        ("0.1", 0.1, False, True),
        ("1e-1", 0.1, False, True),  # another spelling of the same number
        ("2.50", 2.5, False, True),
        ("2.5", 2.6, False, False),
        ("7", 7, True, True),
        ("7.0", 7, True, True),
        ("7.5", 7.5, True, False),  # not an integer: an int control cannot have taken it
        ("inf", math.inf, False, False),
        ("nan", 0.0, False, False),
        ("seven", 7, True, False),
        (None, 7, True, False),
    ],
)
def test_same_number(raw, value, integer, same):
    assert _same_number(raw, value, integer) is same


@pytest.mark.parametrize(
    "raw,overflows",
    [
        ("1e999", True),
        ("-1e999", True),
        ("inf", True),
        ("-Infinity", True),
        ("1e308", False),
        ("nan", False),
        ("12", False),
        ("x", False),
        ("", False),
        (None, False),
    ],
)
def test_overflows(raw, overflows):
    assert _overflows(raw) is overflows
