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
