"""The MLR Order No. 53 idle rule at its boundaries."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qygeo.core.idle import add_years, art8_delay, classify_idle, unrecognised_causes

AREA = 30000.0  # m²


def one(as_of, **cols):
    df = pd.DataFrame({k: [v] for k, v in cols.items()})
    return classify_idle(df, as_of, [AREA]).iloc[0]


def test_not_started_is_idle_from_the_day_after_the_anniversary():
    # Civil Code Arts. 201–202: the start day is not counted, the year ends with
    # 2024-03-01 at 24:00, so the plot is idle from 2024-03-02 (the rule changed:
    # it used to flag the anniversary itself).
    kw = dict(agreed_start_date="2023-03-01", actual_start_date=None)
    assert not one("2024-02-29", **kw)["idle"]  # day before the anniversary
    assert not one("2024-03-01", **kw)["idle"]  # the anniversary: the year's last day
    r = one("2024-03-02", **kw)  # day after
    assert r["idle"] and r["idle_days"] == 0
    assert r["idle_since"] == pd.Timestamp("2024-03-02")
    assert "agreed start 2023-03-01" in r["idle_reason"]
    assert one("2024-03-03", **kw)["idle_days"] == 1


def test_leap_day_start_ends_with_28_february():
    # Art. 202: no corresponding day (2025-02-29) → the month's last day ends the year.
    kw = dict(agreed_start_date="2024-02-29", actual_start_date=None)
    assert not one("2025-02-27", **kw)["idle"]
    assert not one("2025-02-28", **kw)["idle"]
    r = one("2025-03-01", **kw)
    assert r["idle"] and r["idle_since"] == pd.Timestamp("2025-03-01")
    # two full years end with 2026-02-28: recovery from 2026-03-01
    kw["land_price_yuan"] = 1e6
    assert one("2026-02-28", **kw)["idle_consequence"] == "fee"
    assert one("2026-03-01", **kw)["idle_consequence"] == "recovery"


def test_fee_after_one_year_recovery_after_two():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date=None, land_price_yuan=1e7)
    r = one("2021-06-01", **kw)
    assert r["idle_consequence"] == "fee" and r["idle_fee_yuan"] == pytest.approx(2e6)
    assert one("2022-01-01", **kw)["idle_consequence"] == "fee"  # two years end today
    assert one("2022-01-02", **kw)["idle_consequence"] == "recovery"


def test_started_exactly_one_third_developed_is_not_idle():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2021-01-01", agreed_investment_yuan=100.0, invested_yuan=50.0)
    r = one("2023-01-01", developed_area_m2=AREA / 3, **kw)
    assert not r["idle"] and r["idle_reason"] == ""
    r = one("2023-01-01", developed_area_m2=AREA / 3 - 1, **kw)
    assert r["idle"] and "33.3% of the area developed (less than one third)" in r["idle_reason"]


def test_invested_share_boundary_is_25_percent():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2021-01-01", agreed_investment_yuan=1000.0,
              developed_area_m2=AREA)
    r = one("2023-01-01", invested_yuan=250.0, **kw)
    assert not r["idle"] and "less than" not in r["idle_reason"]
    r = one("2023-01-01", invested_yuan=249.0, **kw)
    assert r["idle"] and "24.9% of the investment made (less than 25%)" in r["idle_reason"]
    # 24.99 % must not print as 25.0 %: as many decimals as keep the comparison true
    r = one("2023-01-01", invested_yuan=249.9, **kw)
    assert "24.99% of the investment made (less than 25%)" in r["idle_reason"]


def test_started_and_suspended_less_than_a_year_is_not_idle():
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
              suspended_since="2022-06-01", agreed_investment_yuan=1000.0, invested_yuan=10.0,
              developed_area_m2=0.0)
    assert not one("2023-05-31", **kw)["idle"]
    assert not one("2023-06-01", **kw)["idle"]  # one-year suspension ends with this day
    assert one("2023-06-02", **kw)["idle"]


def test_started_and_not_suspended_is_not_idle_even_if_underdeveloped():
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date="2020-02-01",
            developed_area_m2=0.0, invested_yuan=0.0, agreed_investment_yuan=1e6)
    assert r["idle_status"] == "not_idle"


@pytest.mark.parametrize("cause, kind", [
    ("government", "government"), ("force_majeure", "force majeure"),
    ("政府原因", "government"), ("政府未按期交地", "government"),
    ("规划调整", "government"), ("因文物保护无法动工", "government"),
    ("Land not delivered on time by the government", "government"),
    ("urban planning revised", "government"), ("military control", "government"),
    ("规划审批未完成", "government"), ("archaeological finds on site", "government"),
    ("不可抗力", "force majeure"), ("自然灾害（洪水）", "force majeure"),
    ("Natural disaster", "force majeure"), ("Force Majeure", "force majeure"),
    # The enterprise named as the one affected, or its cause denied: still Art. 8.
    ("政府原因（非企业自身原因）", "government"), ("政府未按期交地，企业无法动工", "government"),
    ("因洪水导致企业停工", "force majeure"), ("government (not the holder)", "government"),
    ("land not delivered by the government, so the company could not start", "government"),
    # Negated delivery or planning: the government's failure, still Art. 8.
    ("政府没有按时交地", "government"), ("政府未能按期交付土地", "government"),
    ("政府原因，与企业无关", "government"), ("因规划调整未完成导致无法开工", "government"),
    ("the land was handed over late by the government", "government"),
    # A denial of the *other* Art. 8 cause leaves this one standing.
    ("政府未按期交地，非不可抗力", "government"), ("政府原因，非不可抗力", "government"),
    ("government delay, not force majeure", "government"),
    ("并非企业原因，是政府未交地", "government"), ("土地未交付", "government"),
    ("政府已经下令停工", "government"), ("台风导致无法施工", "force majeure")])
def test_art8_delay_is_still_idle_without_fee_or_recovery(cause, kind):
    # Order No. 53 Art. 8 (behaviour changed: such plots used to be "excluded" and
    # not idle): idle land all the same, disposed of under Arts. 12–13.
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date=None,
            delay_cause=cause, land_price_yuan=1e7)
    assert r["idle_status"] == "idle_art8" and r["idle"]
    assert r["idle_consequence"] == "arts_12_13_disposal"  # not "recovery", five years on
    assert np.isnan(r["idle_fee_yuan"])
    assert f"delay caused by {kind} (Order No. 53 Art. 8)" in r["idle_reason"]


@pytest.mark.parametrize("cause", ["企业资金不足", "holder's funding", "企业原因", "holder",
                                   "银行贷款未到位", "", None])
def test_holder_or_no_cause_is_plain_idle_without_warning(cause):
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date=None,
            delay_cause=cause, land_price_yuan=1e7)
    assert r["idle_status"] == "idle" and r["idle_fee_yuan"] == pytest.approx(2e6)
    assert unrecognised_causes(pd.DataFrame({"plot_id": ["p"], "delay_cause": [cause]})) is None


@pytest.mark.parametrize("cause", [
    "非因政府原因", "与政府无关，企业未按期开工", "政府已按期交地", "无政府原因",
    "不属于政府原因", "不是政府原因造成", "非自然灾害", "not caused by the government",
    "unrelated to the government", "和政府无关", "跟政府没关系", "不涉及政府原因", "不因政府原因",
    "未发现政府原因", "排除政府原因", "政府原因不成立", "不认定为政府原因", "政府已履行交地义务",
    "已按合同交付土地", "government not at fault", "the government was not responsible",
    "government cause rejected", "land delivered per contract", "land was delivered on time",
    "无不可抗力", "不构成不可抗力", "no force majeure", "neither government nor force majeure",
    "the government delivered the land on time",
    "The government delivered the land on time; the company did not start construction"])
def test_wording_that_denies_an_art8_cause_is_the_holders(cause):
    # Art. 8 needs a delay "属于政府、政府有关部门的行为造成" (or force majeure): a text
    # denying one keeps the fee and the recovery of Art. 14.
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date=None,
            delay_cause=cause, land_price_yuan=1e7)
    assert r["idle_status"] == "idle" and r["idle_fee_yuan"] == pytest.approx(2e6)
    assert r["idle_consequence"] == "recovery"
    # Read from its wording, not a code: named with its reading, for a person to check.
    warning = unrecognised_causes(pd.DataFrame({"plot_id": ["p"], "delay_cause": [cause]}))
    assert "read from its wording" in warning and "→ holder" in warning


@pytest.mark.parametrize("cause", ["规划未调整", "政府否认延误", "企业称政府原因，经核查不属实",
                                   "政府交地后企业未开工", "企业申请调整规划", "企业自行变更规划",
                                   "company requested a zoning change"])
def test_wording_that_may_deny_the_cause_it_names_is_left_for_a_person(cause):
    r = one("2025-01-01", agreed_start_date="2020-01-01", actual_start_date=None,
            delay_cause=cause, land_price_yuan=1e7)
    assert r["idle_status"] == "idle" and r["idle_fee_yuan"] == pytest.approx(2e6)
    assert "p (" in (unrecognised_causes(
        pd.DataFrame({"plot_id": ["p"], "delay_cause": [cause]})) or "")


@pytest.mark.parametrize("cause", ["equipment delivery delayed", "洪总资金问题",
                                   "poor planning by the company", "see attached letter"])
def test_wording_that_only_resembles_art8_is_not_taken_for_it(cause):
    # a supplier's delivery, a person surnamed 洪, the holder's own planning: no Art. 8 cause
    assert not art8_delay(pd.Series([cause])).any()


@pytest.mark.parametrize("cause", ["企业资金不足，政府未催告",
                                   "funding ran out; the government changed the plan later"])
def test_a_cause_naming_both_art8_and_the_holder_is_named_for_a_person(cause):
    df = pd.DataFrame({"plot_id": ["p"], "agreed_start_date": ["2020-01-01"],
                       "delay_cause": [cause]})
    assert list(classify_idle(df, "2025-01-01", [AREA])["idle_status"]) == ["idle"]
    assert "p (" in (unrecognised_causes(df) or "")


def test_unrecognised_cause_is_warned_and_judged_as_no_cause():
    df = pd.DataFrame({"plot_id": ["p1", "p2"], "agreed_start_date": ["2020-01-01"] * 2,
                       "delay_cause": ["see attached letter", "政府原因"]})
    out = classify_idle(df, "2025-01-01", [AREA, AREA])
    assert list(out["idle_status"]) == ["idle", "idle_art8"]
    msg = unrecognised_causes(df)
    assert msg.startswith("1 plot(s)") and "p1 ('see attached letter')" in msg
    assert "no cause" in msg
    assert "p2" not in msg


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


def test_status_and_consequence_are_categoricals_of_their_words():
    # One byte a plot, every word a category even when no plot has it, and the words
    # read as the rule's: a start not yet due, a fee, a recovery, an Art. 8 cause, and a
    # start after the date of the verdict.
    df = pd.DataFrame({"agreed_start_date": ["2025-06-01", "2023-01-01", "2021-01-01",
                                             "2021-01-01", "2026-01-01"],
                       "actual_start_date": [None] * 5,
                       "delay_cause": [None, None, None, "军事管制", None]})
    out = classify_idle(df, "2024-06-01", np.full(5, AREA))
    from qygeo.core.idle import CONSEQUENCES, STATUSES

    for col, words in (("idle_status", STATUSES), ("idle_consequence", CONSEQUENCES)):
        assert isinstance(out[col].dtype, pd.CategoricalDtype)
        assert list(out[col].cat.categories) == list(words)
    assert list(out["idle_consequence"]) == ["", "fee", "recovery", "arts_12_13_disposal", ""]
    assert list(out["idle_status"]) == ["not_idle", "idle", "idle", "idle_art8", "not_idle"]
    assert out["idle_reason"].dtype == "str"  # reasons are written into it later
    assert out["idle_reason"].iloc[1].startswith("not started one full year")


def test_stored_flag_is_checked_not_used():
    from qygeo.core.idle import check_stored_idle

    df = pd.DataFrame({"plot_id": ["a", "b", "c", "d"],
                       "agreed_start_date": ["2020-01-01"] * 4,
                       "actual_start_date": [None, "2020-02-01", None, None],
                       "delay_cause": [None, None, "government", None],
                       "is_idle": [None] * 4,
                       "idle_flag": ["否", "是", "yes", "maybe"]})
    res = classify_idle(df, "2023-01-01", [AREA] * 4)
    # the rule: a idle (not started 3 years on), b not idle (started), c idle (Art. 8), d idle
    assert list(res["idle_status"]) == ["idle", "not_idle", "idle_art8", "idle"]
    check = check_stored_idle(df, res).set_index("plot_id")
    assert check.loc["a", "problem"] == "stored as not idle, but the rule says idle"
    assert check.loc["b", "problem"] == "stored as idle, but the rule says not_idle"
    assert "c" not in check.index  # stored idle, and idle by Art. 8: they agree
    assert "not a yes/no flag" in check.loc["d", "problem"]
    assert set(check["stored_column"]) == {"idle_flag"}  # the empty is_idle is passed over


@pytest.mark.slow
@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.none(), st.dates(min_value=dt.date(1990, 1, 1),
                                              max_value=dt.date(2060, 12, 31))),
                min_size=1, max_size=30), st.integers(min_value=1, max_value=3))
def test_add_years_counts_calendar_years_like_pandas_dateoffset(dates, years):
    arr = np.array([np.datetime64(d, "D") if d else np.datetime64("NaT") for d in dates],
                   dtype="M8[D]")
    expected = (pd.Series(arr.astype("M8[ns]")) + pd.DateOffset(years=years)).to_numpy()
    np.testing.assert_array_equal(add_years(arr, years).astype("M8[ns]"), expected)


def test_art8_delay_reads_arrow_and_pandas_text_alike():
    import pyarrow as pa

    values = [" Government", "force_majeure ", "bank", None, "", "FORCE_MAJEURE", "自然灾害"]
    expected = [True, True, False, False, False, True, True]
    assert art8_delay(pa.array(values)).tolist() == expected
    assert art8_delay(pd.Series(values, dtype=object)).tolist() == expected
    assert art8_delay(pd.Series(values, dtype="str")).tolist() == expected


def test_add_years_by_lookup_equals_the_calendar_on_many_dates():
    """The day-range lookup gives pandas' DateOffset(years=…) on every date, NaT kept."""
    import numpy as np
    import pandas as pd

    from qygeo.core.idle import add_years

    rng = np.random.default_rng(7)
    days = (np.datetime64("1996-01-01") + rng.integers(0, 12_000, 3000).astype("m8[D]"))
    days = days.astype("M8[D]")
    days[::11] = np.datetime64("NaT")
    days[5] = np.datetime64("2024-02-29")
    for years in (1, 2):
        got = add_years(days, years)
        want = [np.datetime64("NaT") if pd.isna(d) else
                np.datetime64((pd.Timestamp(d) + pd.DateOffset(years=years)).date(), "D")
                for d in days]
        assert [str(g) for g in got] == [str(w) for w in want]


@pytest.mark.parametrize(("developed", "invested", "status"), [
    (15000.0, None, "n/a"),        # half developed, investment unknown: cannot be cleared
    (None, 5e5, "n/a"),            # developed area unknown, half invested
    (15000.0, 0.0, "idle"),        # half developed but nothing invested: Art. 2's "or"
    (5000.0, None, "idle"),        # under a third developed decides alone
    (15000.0, 5e5, "not_idle"),    # both shares known and high enough
    (None, None, "n/a"),
])
def test_a_suspended_plot_needs_both_shares_to_be_cleared(developed, invested, status):
    kw = dict(agreed_start_date="2019-06-01", actual_start_date="2020-02-01",
              suspended_since="2022-01-01", developed_area_m2=developed,
              invested_yuan=invested, agreed_investment_yuan=1e6, land_price_yuan=1e7)
    assert one("2024-01-01", **kw)["idle_status"] == status
    # Suspended under a full year: not idle whatever the shares.
    assert one("2022-06-01", **kw)["idle_status"] == "not_idle"


def test_recovery_comes_two_years_after_the_agreed_start_and_its_label_says_so():
    # Order No. 53 Art. 14(2) 未动工开发满两年 (城市房地产管理法 Art. 26: 满二年 from the
    # agreed start): one year after the plot became idle, not two years idle.
    from qygeo.render.labels import VALUE_WORDS

    kw = dict(agreed_start_date="2020-01-01", actual_start_date=None, land_price_yuan=1e7)
    assert one("2022-01-01", **kw)["idle_consequence"] == "fee"
    r = one("2022-01-02", **kw)
    assert r["idle_consequence"] == "recovery" and r["idle_years"] < 1.01
    words = VALUE_WORDS["idle_consequence"]["recovery"]
    assert "≥ 2 years" not in words and "agreed start" in words


def test_a_developed_area_larger_than_the_plot_cannot_be_judged():
    # Art. 2's developed share of 应动工开发建设用地总面积 cannot exceed the whole: three
    # times the plot's area is bad data, not "fully developed".
    kw = dict(agreed_start_date="2020-01-01", actual_start_date="2020-06-01",
              suspended_since="2023-03-01", invested_yuan=9e7, agreed_investment_yuan=1e8)
    r = one("2025-06-01", developed_area_m2=3 * AREA, **kw)
    assert r["idle_status"] == "n/a" and not r["idle"]
    assert "larger than the plot" in r["idle_reason"]
    assert one("2025-06-01", developed_area_m2=1.005 * AREA, **kw)["idle_status"] == "not_idle"
    # Under 25 % invested decides by itself (Art. 2's "or"), whatever the developed area.
    low = one("2025-06-01", developed_area_m2=3 * AREA, **{**kw, "invested_yuan": 1e7})
    assert low["idle_status"] == "idle"


@pytest.mark.parametrize("cause, kind", [
    ("与政府无关", "holder"), ("政府已按期交地", "holder"),
    ("政府未按期交地，企业无法动工", "government"), ("因洪水导致企业停工", "force majeure")])
def test_a_verdict_read_from_wording_is_named_with_its_reading(cause, kind):
    # No reader of free text is always right (a date inside a denial, traditional
    # characters, 政府 in an office's name): a fee waived or kept on wording is named.
    warning = unrecognised_causes(pd.DataFrame({"plot_id": ["p"], "delay_cause": [cause]}))
    assert f"p ({cause!r} → {kind})" in warning


@pytest.mark.parametrize("cause", ["government", "force_majeure", "政府原因", "不可抗力",
                                   "自然灾害", "Force Majeure"])
def test_a_cause_given_as_a_code_or_plain_name_is_not_named(cause):
    assert unrecognised_causes(pd.DataFrame({"plot_id": ["p"], "delay_cause": [cause]})) is None


@pytest.mark.parametrize("cause, kind", [
    ("Delay due to the company's poor internal governance", "unrecognised"),
    ("受市场滑坡影响，企业暂缓建设", "unrecognised"),
    # A missing government approval: not a denial (it was "holder", fee without a word);
    # its negation leaves it for a person.
    ("暂无政府批复文件，项目无法开工", "unrecognised"), ("至今没有政府的规划批复", "unrecognised"),
    ("No government approval has been issued yet", "unrecognised"),
    ("并非企业原因而是政府原因", "government"), ("不能排除政府原因", "unrecognised"),
    ("不排除不可抗力", "unrecognised")])
def test_words_that_only_contain_a_cause_or_a_denial_are_not_read_as_one(cause, kind):
    # governance is not government, a market slump (市场滑坡) not a landslide; 没有政府的批复
    # is the government's missing approval, not "no government cause"; 不排除 is no denial.
    from qygeo.core.idle import CAUSE_NAMES, cause_kinds

    assert CAUSE_NAMES[cause_kinds(pd.Series([cause]))[0]] == kind.replace(" ", "_")
