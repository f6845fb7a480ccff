"""One definition of n/a for reports, maps and JSON."""

import math

import numpy as np
import pandas as pd
import pytest

from qygeo.values import is_missing, json_value, present


@pytest.mark.parametrize("v", [None, math.nan, np.float64("nan"), math.inf, pd.NA, pd.NaT])
def test_missing_values(v):
    assert is_missing(v) and not present(v) and json_value(v) is None


@pytest.mark.parametrize("v", [0, 0.0, "", "x", np.int64(3), False])
def test_present_values(v):
    assert present(v)


def test_blank_text_is_missing_only_when_asked():
    assert present("  ") and not present("  ", blank=True)


def test_numpy_scalars_become_python_values_for_json():
    out = json_value(np.int64(7))
    assert out == 7 and type(out) is int


def test_text_kinds_read_each_distinct_text_once_across_chunks():
    """Chunks bringing new words, nulls, an empty chunk, pandas object text with None and
    NaN, and numpy text: every row gets its word's kind, a missing value the missing kind,
    and the chunks' distinct words are read in one call."""
    import pandas as pd
    import pyarrow as pa

    from qygeo.values import text_kinds

    calls = []

    def kinds_of(words):
        calls.append(words.to_pylist())
        return np.array([len(w) for w in words.to_pylist()], dtype=np.int8)

    chunked = pa.chunked_array([pa.array(["ab", "c"]), pa.array(["c", None, "dddd"]),
                                pa.array([], pa.string()), pa.array(["ab", "eee"])])
    got = text_kinds(chunked, kinds_of, missing=-1)
    assert got.tolist() == [2, 1, 1, -1, 4, 2, 3]
    assert calls == [["ab", "c", "c", "dddd", "ab", "eee"]]
    obj = pd.Series(["x", None, float("nan"), "yy", "x"], dtype=object)
    assert text_kinds(obj, kinds_of, missing=9).tolist() == [1, 9, 9, 2, 1]
    assert text_kinds(np.array(["zz", "z"]), kinds_of, missing=0).tolist() == [2, 1]
    assert text_kinds(pd.Series([], dtype=object), kinds_of, missing=0).tolist() == []
