"""The MLR Order No. 53 idle rule at its boundaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qygeo.idle import add_years, classify_idle, excluded_delay

AREA = 30000.0  # m²


def one(as_of, **cols):
    df = pd.DataFrame({k: [v] for k, v in cols.items()})
    return classify_idle(df, as_of, [AREA]).iloc[0]


def test_not_started_is_idle_only_after_one_full_year():
    kw = dict(agreed_start_date="2023-03-01", actual_start_date=None)
    assert not one("2024-02-29", **kw)["idle"]  # 365 days later (2024 is leap): not yet
    assert one("2024-03-01", **kw)["idle"]
    assert not one("2024-02-28", **kw)["idle"]  # 364 days
    r = one("2024-03-02", **kw)  # 366 days
    assert r["idle"] and r["idle_days"] == 1
    assert "agreed start 2023-03-01" in r["idle_reason"]


def test_fee_after_one_year_recovery_after_two():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date=None, land_price_yuan=1e7)
    r = one("2021-06-01", **kw)
    assert r["idle_consequence"] == "fee" and r["idle_fee_yuan"] == pytest.approx(2e6)
    assert one("2022-01-01", **kw)["idle_consequence"] == "recovery"


def test_started_exactly_one_third_developed_is_not_idle():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2021-01-01", agreed_investment_yuan=100.0, invested_yuan=50.0)
    assert not one("2023-01-01", developed_area_m2=AREA / 3, **kw)["idle"]
    assert one("2023-01-01", developed_area_m2=AREA / 3 - 1, **kw)["idle"]


def test_invested_share_boundary_is_25_percent():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2021-01-01", agreed_investment_yuan=1000.0,
              developed_area_m2=AREA)
    assert not one("2023-01-01", invested_yuan=250.0, **kw)["idle"]
    r = one("2023-01-01", invested_yuan=249.0, **kw)
    assert r["idle"] and "25%" in r["idle_reason"]


def test_started_and_suspended_less_than_a_year_is_not_idle():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2022-06-01", agreed_investment_yuan=1000.0, invested_yuan=10.0,
              developed_area_m2=0.0)
    assert not one("2023-05-31", **kw)["idle"]
    assert one("2023-06-01", **kw)["idle"]


def test_started_and_not_suspended_is_not_idle_even_if_underdeveloped():
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
            developed_area_m2=0.0, invested_yuan=0.0, agreed_investment_yuan=1e6)
    assert r["idle_status"] == "not_idle"


@pytest.mark.parametrize("cause", ["government", "force_majeure"])
def test_government_or_force_majeure_delay_is_excluded(cause):
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date=None,
            delay_cause=cause)
    assert r["idle_status"] == "excluded" and not r["idle"]
    assert cause in r["idle_reason"]


def test_missing_columns_give_n_a_not_a_guess():
    df = pd.DataFrame({"plot_id": ["a", "b"]})
    out = classify_idle(df, "2025-01-01", [1.0, 2.0])
    assert list(out["idle_status"]) == ["n/a", "n/a"]
    assert not out["idle"].any()


def test_start_after_as_of_counts_as_not_started():
    r = one("2022-06-01", agreed_start_date="2021-01-01", actual_start_date="2023-01-01")
    assert r["idle"]


def test_vectorised_over_many_plots():
    n = 1000
    df = pd.DataFrame({"agreed_start_date": ["2020-01-01"] * n,
                       "actual_start_date": [None] * n})
    out = classify_idle(df, "2024-01-01", np.full(n, AREA))
    assert out["idle"].all() and (out["idle_consequence"] == "recovery").all()


def test_stored_flag_is_checked_not_used():
    from qygeo.idle import check_stored_idle

    df = pd.DataFrame({"plot_id": ["a", "b", "c", "d"],
                       "agreed_start_date": ["2020-01-01"] * 4,
                       "actual_start_date": [None, "2020-02-01", None, None],
                       "delay_cause": [None, None, "government", None],
                       "is_idle": [None] * 4,
                       "idle_flag": ["否", "是", "yes", "maybe"]})
    res = classify_idle(df, "2023-01-01", [AREA] * 4)
    # the rule: a idle (not started 3 years on), b not idle (started), c excluded, d idle
    assert list(res["idle_status"]) == ["idle", "not_idle", "excluded", "idle"]
    check = check_stored_idle(df, res).set_index("plot_id")
    assert check.loc["a", "problem"] == "stored as not idle, but the rule says idle"
    assert check.loc["b", "problem"] == "stored as idle, but the rule says not_idle"
    assert check.loc["c", "problem"] == "stored as idle, but the rule says excluded"
    assert "not a yes/no flag" in check.loc["d", "problem"]
    assert set(check["stored_column"]) == {"idle_flag"}  # the empty is_idle is passed over


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1),
                                              max_value=dt.date(2060, 12, 31))),
                min_size=1, max_size=30), st.integers(min_value=1, max_value=3))
def test_add_years_counts_calendar_years_like_pandas_dateoffset(dates, years):
    arr = np.array([np.datetime64(d, "D") if d else np.datetime64("NaT") for d in dates],
                   dtype="M8[D]")
    expected = (pd.Series(arr.astype("M8[ns]")) + pd.DateOffset(years=years)).to_numpy()
    np.testing.assert_array_equal(add_years(arr, years).astype("M8[ns]"), expected)


def test_excluded_delay_reads_arrow_and_pandas_text_alike():
    import pyarrow as pa

    values = [" Government", "force_majeure ", "bank", None, "", "FORCE_MAJEURE"]
    expected = [True, True, False, False, False, True]
    assert excluded_delay(pa.array(values)).tolist() == expected
    assert excluded_delay(pd.Series(values, dtype=object)).tolist() == expected
    assert excluded_delay(pd.Series(values, dtype="str")).tolist() == expected
