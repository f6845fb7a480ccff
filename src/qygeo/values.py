"""What counts as a missing value ("n/a") everywhere in qygeo, and text read by kind.

Attribute tables and plot layers come from users: a figure may be None, NaN,
pandas' NA or NaT, or (in text columns) a blank string. Reports print all of
these as n/a and JSON writes them as null; this module is the one definition.
:func:`text_kinds` reads a text column (land uses, delay causes) by its
distinct values, each once.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pyarrow as pa


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


def date_of(v: Any) -> Any:
    """*v* as a date when it is a timestamp at midnight (pandas holds a date column's
    dates so), else *v* as it is: a date reads ``2021-04-20``, not ``… 00:00:00``."""
    import datetime as dt

    if isinstance(v, dt.datetime) and v.time() == dt.time(0):
        return v.date()
    return v


def json_value(v: Any) -> Any:
    """*v* as a plain Python value for JSON: missing → None, numpy scalars → Python."""
    if isinstance(v, np.generic):
        v = v.item()
    return None if is_missing(v) else v


def arrow_text(text: object) -> pa.Array | pa.ChunkedArray:
    """Text per row as Arrow (as it is when already Arrow, or Arrow-backed pandas), missing
    values (None, NaN, pandas NA) null.

    *text* is a pandas Series (object, str or Arrow-backed), a numpy array or a
    pyarrow array.
    """
    import pandas as pd
    import pyarrow as pa

    if isinstance(text, (pa.Array, pa.ChunkedArray)):
        return text
    return pa.array(pd.Series(text).astype("string"))


def text_kinds(text: object, kinds_of: Callable[[pa.Array], np.ndarray], *,
               missing: int) -> np.ndarray:
    """Each row's kind (int8), *kinds_of* reading the distinct texts of each chunk in one call.

    Parameters
    ----------
    text : pandas.Series, numpy.ndarray or pyarrow array
        Text per row (see :func:`arrow_text`).
    kinds_of : callable
        Non-null texts (a pyarrow array) → their kinds (int8 array).
    missing : int
        The kind of a missing value.

    A province's plots share a few dozen wordings, in chunks of a batch each: every
    chunk is dictionary-encoded as it is (not joined into one copy of the text), and
    the chunks' dictionaries, end to end, are read in one call. One memo table for
    the whole column would be no faster for a few wordings and twice as slow for text
    that differs on every row.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    arrow = arrow_text(text)
    encoded = [c.dictionary_encode() for c in (
        arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow])]
    if not encoded:
        return np.zeros(0, dtype=np.int8)
    sizes = [len(e.dictionary) for e in encoded]
    kinds = np.asarray(kinds_of(pa.concat_arrays([e.dictionary for e in encoded])),
                       dtype=np.int8)
    parts = []
    for e, first, size in zip(encoded, np.cumsum([0, *sizes[:-1]]).tolist(), sizes,
                              strict=True):
        # A missing value takes the code after the chunk's last distinct text.
        table = np.append(kinds[first:first + size], np.int8(missing))
        parts.append(table[pc.fill_null(e.indices, size).to_numpy(zero_copy_only=False)])
    return np.concatenate(parts)
