"""Numbers in the Remedies lab's records: what JSON can hold in place of inf, NaN and NumPy
types (jsonable), and back to a float (recorded_float)."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["jsonable", "recorded_float"]


def jsonable(o):
    """Floats that JSON can hold: inf -> "inf", nan -> None; tuples -> lists; numpy -> Python."""
    if isinstance(o, dict):
        return {str(k): jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (np.floating, float)):
        f = float(o)
        if math.isnan(f):
            return None
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return f
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, np.ndarray):
        return jsonable(o.tolist())
    return o


def recorded_float(v) -> float:
    """A number as jsonable wrote it, back as a float: None -> nan, "inf" -> inf."""
    if v is None:
        return float("nan")
    return float(v)
