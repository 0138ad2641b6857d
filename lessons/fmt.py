"""Numbers as text, one formatter family for every lesson and page.

Each function takes its number in exactly one of three conventions, named at the call:

    sci(x)          the value itself                      sci(1234.5)          -> '1.23e+03'
    sci(log10=v)    its decimal logarithm                 sci(log10=-44.91)    -> '1.23e-45'
    sci(ln=v)       its natural logarithm (gradcore's     sci(ln=-100.0)       -> '3.72e-44'
                    log-norms)

The log forms reach far beyond float64 (a product of 1000 Jacobians is often 1e-600), so a
page can print what it could never hold as a float. What a number cannot say is said in
words the caller chooses: `zero=` for an exact zero (a value of 0, a log of -inf) and
`nonfinite=` for an overflow (inf) or NaN.

Output styles, for the pages' existing texts (keywords of sci):
    digits      significant digits of the mantissa ('1.23e+03' is 3)
    plus, pad   the exponent as Python writes it ('e+03'), or without zero-padding ('e+3'),
                or without the plus sign too ('e3')
    plain       decades (lo, hi) written out instead ('0.0342', '342'), with one digit more

Streamlit-free and NumPy-free: plain Python floats (NumPy scalars are accepted).
"""

from __future__ import annotations

import math

LN10 = math.log(10.0)

__all__ = ["LN10", "decade", "percent", "pow10", "sci", "tex"]


def _log10_of(value, log10, ln) -> float | None:
    """The decimal log given (log10= or ln=), or None when the value itself was given."""
    if sum(x is not None for x in (value, log10, ln)) != 1:
        raise TypeError("give exactly one of: the value, log10= or ln=")
    if value is not None:
        return None
    return float(log10) if log10 is not None else float(ln) / LN10


def _exponent(e: int, plus: bool, pad: bool) -> str:
    """3 -> 'e+03' (plus, pad), 'e+3' (plus), 'e3' (neither); -45 -> 'e-45'."""
    sign = "-" if e < 0 else ("+" if plus else "")
    return "e" + sign + str(abs(e)).zfill(2 if pad else 1)


def sci(
    value: float | None = None,
    /,
    *,
    log10: float | None = None,
    ln: float | None = None,
    digits: int = 3,
    plain: tuple[int, int] | None = None,
    plus: bool = True,
    pad: bool = True,
    zero: str | None = None,
    nonfinite: str = "not finite",
) -> str:
    """A number in scientific notation: sci(1234.5) -> '1.23e+03', sci(log10=-44.91, digits=2) -> '1.2e-45'.

    zero: the text for an exact zero (value 0, log -inf); None writes it in the style ('0.00e+00').
    nonfinite: the text for inf and NaN (value +-inf or NaN; log +inf or NaN).
    plain: decades lo..hi (within -4..digits) written out with digits + 1 significant digits,
    trailing zeros dropped, as Python's 'g' format does ('0.034', '342').
    """
    if digits < 1:
        raise ValueError("digits must be at least 1")
    if plain is not None and not -4 <= plain[0] <= plain[1] <= digits:
        raise ValueError(f"plain decades must lie within -4..{digits} (Python's 'g' range), got {plain}")
    l10 = _log10_of(value, log10, ln)
    if l10 is None:  # the value itself: Python's correctly rounded formatting does the work
        v = float(value)
        if not math.isfinite(v):
            return nonfinite
        if v == 0.0:
            return (
                zero
                if zero is not None
                else "0" + ("." + "0" * (digits - 1) if digits > 1 else "") + _exponent(0, plus, pad)
            )
        if plain is not None:
            e0 = int(f"{abs(v):.16e}".split("e")[1])  # the decade before rounding
            if plain[0] <= e0 <= plain[1]:
                s = f"{v:.{digits + 1}g}"
                if "e" not in s:  # NB: it rounded up out of the range (999.7 -> '1e+03'): scientific below
                    return s
        mant, e = f"{abs(v):.{digits - 1}e}".split("e")
        return ("-" if v < 0 else "") + mant + _exponent(int(e), plus, pad)
    # a logarithm: split it into decade and mantissa, never forming the (maybe unrepresentable) value
    if l10 == -math.inf:
        return zero if zero is not None else sci(0.0, digits=digits, plus=plus, pad=pad)
    if not math.isfinite(l10):
        return nonfinite
    e = math.floor(l10)
    if plain is not None and plain[0] <= e <= plain[1]:
        s = f"{10**l10:.{digits + 1}g}"
        if "e" not in s:
            return s
    m = 10 ** (l10 - e)
    if round(m, digits - 1) >= 10:  # 9.96 at 2 digits is 1.0e+1, not 10.0e+0
        m, e = m / 10, e + 1
    return f"{m:.{digits - 1}f}" + _exponent(e, plus, pad)


def _positive_log10(value, log10, ln, name: str) -> float:
    """log10 of a positive number given one way (value, log10= or ln=); -inf for 0, nan for inf/NaN."""
    l10 = _log10_of(value, log10, ln)
    if l10 is None:
        v = float(value)
        if v < 0:
            raise ValueError(f"{name} writes positive numbers, got {v}")
        l10 = math.log10(v) if 0.0 < v < math.inf else (-math.inf if v == 0.0 else math.nan)
    return l10


def pow10(
    value: float | None = None,
    /,
    *,
    log10: float | None = None,
    ln: float | None = None,
    decimals: int = 1,
    zero: str = "exactly 0",
    nonfinite: str = "not finite",
) -> str:
    """A positive number as a power of ten in plain text: pow10(log10=12.34) -> '10^12.3'."""
    l10 = _positive_log10(value, log10, ln, "pow10")
    if l10 == -math.inf:
        return zero
    if not math.isfinite(l10):
        return nonfinite
    return f"10^{l10:.{decimals}f}"


def decade(
    value: float | None = None,
    /,
    *,
    log10: float | None = None,
    ln: float | None = None,
    zero: str = "0",
    nonfinite: str = "not finite",
) -> str:
    """The nearest power of ten of a positive number: decade(log10=-11.7) -> '1e-12', decade(50.0) -> '1e2'."""
    l10 = _positive_log10(value, log10, ln, "decade")
    if l10 == -math.inf:
        return zero
    if not math.isfinite(l10):
        return nonfinite
    k = f"{l10:.0f}"
    return "1e" + ("0" if k == "-0" else k)


def tex(value: float, /, digits: int = 3) -> str:
    """A value for st.latex, `digits` significant digits, powers of ten written out: 1.5e-07 -> '1.5\\times 10^{-7}'."""
    v = float(value)
    if math.isnan(v):
        return r"\text{NaN}"
    if math.isinf(v):
        return r"\infty" if v > 0 else r"-\infty"
    s = f"{v:.{digits}g}"
    if "e" in s:
        m, e = s.split("e")
        return rf"{m}\times 10^{{{int(e)}}}"
    return s


def percent(q: float, /, nonfinite: str = "not finite") -> str:
    """A share in [0, 1] as a percentage, never rounded to 0% or 100% when it is not: '37%', '0.42%', '99.6%'."""
    q = float(q)
    if not math.isfinite(q):
        return nonfinite
    if q <= 0.0 or q >= 1.0 or 0.01 <= q <= 0.99:
        return f"{100 * q:.0f}%"
    if q < 0.01:
        return f"{100 * q:.2g}%"
    # NB: above 99% show as many decimals as 2 significant digits of the rest 100 - p take, so that
    # 0.9996 reads '99.96%' (Python's '.2g' would write 99.96 as '1e+02')
    rest = float(f"{100 * (1 - q):.2g}")
    s = f"{100 * q:.{max(0, 1 - math.floor(math.log10(rest)))}f}".rstrip("0").rstrip(".")
    return s + "%"
