"""lessons.fmt: one formatter family, its three input conventions and its words for 0, inf and NaN.

The values are chosen where a formatter goes wrong: a mantissa that rounds up to 10, a log far
beyond float64, an exact zero, a negative value, NaN.
"""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest

from lessons import fmt

INF, NAN = float("inf"), float("nan")


# ----------------------------------------------------------------------------- sci: the value itself


@pytest.mark.parametrize(
    "v,want",
    [
        (1234.5, "1.23e+03"),
        (-1234.5, "-1.23e+03"),
        (1.2302687708123812e-45, "1.23e-45"),
        (0.5, "5.00e-01"),
        (999.6, "1.00e+03"),
        (5e-324, "4.94e-324"),
        (1e308, "1.00e+308"),
        (0.0, "0.00e+00"),
        (-0.0, "0.00e+00"),
    ],
)
def test_sci_of_a_value_writes_it_as_python_does(v, want):
    assert fmt.sci(v) == want
    if v != 0:
        assert fmt.sci(v) == f"{v:.2e}"


def test_sci_words_for_zero_and_nonfinite():
    assert fmt.sci(0.0, zero="exactly 0") == "exactly 0"
    assert fmt.sci(INF) == fmt.sci(-INF) == fmt.sci(NAN) == "not finite"
    assert fmt.sci(NAN, nonfinite="overflowed") == "overflowed"
    assert fmt.sci(np.float64(2.5e-3)) == "2.50e-03"  # NumPy scalars too


# ----------------------------------------------------------------------------- sci: from a logarithm


def test_sci_from_log10():
    assert fmt.sci(log10=-44.91) == "1.23e-45"  # 10**0.09 = 1.2303
    assert fmt.sci(log10=-44.91, digits=2) == "1.2e-45"
    assert fmt.sci(log10=3.0) == "1.00e+03"
    assert fmt.sci(log10=0.0) == "1.00e+00"
    assert fmt.sci(log10=-600.5) == "3.16e-601"  # far below float64: never formed as a float
    assert fmt.sci(log10=1234.0, digits=2) == "1.0e+1234"


def test_sci_from_ln_matches_exact_decimal_arithmetic():
    assert fmt.sci(ln=-100.0) == "3.72e-44"
    assert fmt.sci(ln=-100.0) == fmt.sci(math.exp(-100.0))
    decimal.getcontext().prec = 40
    for ln in (-2000.0, -745.5, 710.0, 1500.25):
        exact = decimal.Decimal(ln).exp()  # beyond float64 on both sides
        want = f"{exact:.2E}".replace("E", "e")
        mant, e = want.split("e")
        assert fmt.sci(ln=ln) == mant + "e" + ("-" if int(e) < 0 else "+") + f"{abs(int(e)):02d}", ln


def test_sci_log_and_value_agree():
    rng = np.random.default_rng(0)
    for v in 10 ** rng.uniform(-300, 300, 2000):
        v = float(v)
        a, b = fmt.sci(v), fmt.sci(log10=math.log10(v))
        if a != b:  # only when the value sits on a rounding edge of its 3rd digit
            assert abs(float(a) / float(b) - 1) <= 1.01e-2, (v, a, b)
        assert float(b) == pytest.approx(v, rel=5.1e-3)
        assert 1.0 <= float(b.split("e")[0]) < 10.0


def test_sci_mantissa_that_rounds_to_ten_carries_into_the_exponent():
    assert fmt.sci(log10=math.log10(9.96), digits=2) == "1.0e+01"
    assert fmt.sci(log10=5 + math.log10(9.96), digits=2, pad=False) == "1.0e+6"
    assert fmt.sci(ln=math.log(9.96e7), digits=2, plus=False, pad=False) == "1.0e8"  # not '10.0e7'
    assert fmt.sci(log10=-137.0 - 0.001, digits=2, plus=False, pad=False) == "1.0e-137"


def test_sci_zero_and_nonfinite_logs():
    assert fmt.sci(log10=-INF) == "0.00e+00"
    assert fmt.sci(ln=-INF, zero="exactly 0") == "exactly 0"
    assert fmt.sci(log10=-INF, digits=2, plus=False, pad=False) == "0.0e0"
    assert fmt.sci(log10=INF) == fmt.sci(ln=NAN) == "not finite"
    assert fmt.sci(ln=INF, nonfinite="overflowed") == "overflowed"


def test_sci_exponent_styles():
    assert fmt.sci(1234.5) == "1.23e+03"
    assert fmt.sci(1234.5, pad=False) == "1.23e+3"
    assert fmt.sci(1234.5, plus=False, pad=False) == "1.23e3"
    assert fmt.sci(1.5e-7, digits=2, plus=False, pad=False) == "1.5e-7"
    assert fmt.sci(1.6e-7, digits=1) == "2e-07"


def test_sci_plain_decades():
    style = dict(digits=2, plain=(-2, 2), pad=False)
    assert fmt.sci(log10=math.log10(0.0342), **style) == "0.0342"
    assert fmt.sci(log10=math.log10(0.034), **style) == "0.034"  # trailing zeros dropped, as 'g' does
    assert fmt.sci(log10=math.log10(342.0), **style) == "342"
    assert fmt.sci(log10=0.0, **style) == "1"
    assert fmt.sci(log10=math.log10(999.7), **style) == "1.0e+3"  # rounds out of the range: not '1e+03'
    assert fmt.sci(log10=math.log10(0.0099996), **style) == "1.0e-2"  # its decade is -3: scientific
    assert fmt.sci(log10=-44.91, **style) == "1.2e-45"
    assert fmt.sci(0.0342, **style) == "0.0342"
    assert fmt.sci(-342.0, **style) == "-342"
    with pytest.raises(ValueError):
        fmt.sci(1.0, plain=(-2, 5))  # Python's 'g' would write 1e+05 there


def test_sci_needs_exactly_one_input():
    with pytest.raises(TypeError):
        fmt.sci()
    with pytest.raises(TypeError):
        fmt.sci(1.0, log10=0.0)
    with pytest.raises(TypeError):
        fmt.sci(log10=0.0, ln=0.0)
    with pytest.raises(TypeError):
        fmt.sci(0.0, 3)  # digits is keyword-only: sci(x, 3) would read like a second number
    with pytest.raises(ValueError):
        fmt.sci(1.0, digits=0)


# ----------------------------------------------------------------------------- pow10, decade, tex, percent


def test_pow10():
    assert fmt.pow10(log10=12.34) == "10^12.3"
    assert fmt.pow10(log10=-615.26) == "10^-615.3"
    assert fmt.pow10(ln=math.log(1000.0)) == "10^3.0"
    assert fmt.pow10(1e-5) == "10^-5.0"
    assert fmt.pow10(log10=-INF) == fmt.pow10(0.0) == "exactly 0"
    assert fmt.pow10(log10=NAN) == fmt.pow10(INF) == fmt.pow10(NAN) == "not finite"
    with pytest.raises(ValueError):
        fmt.pow10(-1.0)


def test_decade():
    assert fmt.decade(log10=-11.7) == "1e-12"
    assert fmt.decade(log10=5.2) == "1e5"
    assert fmt.decade(log10=-0.3) == "1e0"  # not '1e-0'
    assert fmt.decade(50.0) == "1e2"
    assert fmt.decade(log10=-INF, zero="exactly 0") == "exactly 0"
    assert fmt.decade(log10=INF) == "not finite"


@pytest.mark.parametrize(
    "v,want",
    [
        (1.5e-7, r"1.5\times 10^{-7}"),
        (1234.5, r"1.23\times 10^{3}"),
        (-1.234e-45, r"-1.23\times 10^{-45}"),
        (0.5, "0.5"),
        (-2.0, "-2"),
        (0.0, "0"),
        (INF, r"\infty"),
        (-INF, r"-\infty"),
        (NAN, r"\text{NaN}"),
    ],
)
def test_tex(v, want):
    assert fmt.tex(v) == want


@pytest.mark.parametrize(
    "q,want",
    [
        (0.37, "37%"),
        (0.0042, "0.42%"),
        (0.01, "1%"),
        (0.99, "99%"),
        (0.9958, "99.58%"),
        (0.9996, "99.96%"),
        (0.0, "0%"),
        (1.0, "100%"),
        (1e-7, "1e-05%"),
        (NAN, "not finite"),
    ],
)
def test_percent(q, want):
    assert fmt.percent(q) == want


def test_percent_never_rounds_to_0_or_100():
    for q in np.concatenate([np.linspace(0.99, 1, 2001)[1:-1], 1 - 10 ** -np.linspace(2, 12, 50)]):
        s = fmt.percent(float(q))
        assert float(s[:-1]) < 100, (q, s)
    for q in 10 ** -np.linspace(2.01, 12, 50):
        assert float(fmt.percent(float(q))[:-1]) > 0
