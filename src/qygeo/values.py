"""What counts as a missing value ("n/a") everywhere in qygeo.

Attribute tables and plot layers come from users: a figure may be None, NaN,
pandas' NA or NaT, or (in text columns) a blank string. Reports print all of
these as n/a and JSON writes them as null; this module is the one definition.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def is_missing(v: Any, *, blank: bool = False) -> bool:
    """True for None, NaN, ±inf, pandas NA/NaT (and, with *blank*, empty text)."""
    if v is None:
        return True
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float):
        return math.isnan(v) or math.isinf(v)
    if blank and isinstance(v, str):
        return not v.strip()
    try:
        import pandas as pd
    except ImportError:  # pragma: no cover
        return False
    return v is pd.NA or v is pd.NaT


def present(v: Any, *, blank: bool = False) -> bool:
    """The opposite of :func:`is_missing`."""
    return not is_missing(v, blank=blank)


def json_value(v: Any) -> Any:
    """*v* as a plain Python value for JSON: missing → None, numpy scalars → Python."""
    if isinstance(v, np.generic):
        v = v.item()
    return None if is_missing(v) else v
