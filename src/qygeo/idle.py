"""Idle-land classification by the rule of MLR Order No. 53 (2012).

《闲置土地处置办法》(国土资源部令第53号, 2012), Article 2: land is idle when
development has not started one full year after the start date agreed in the
land contract, or when it has started but the developed area is less than one
third of the total or the investment made is less than 25 % of the total, and
development has been suspended for one full year. Article 8 excludes delays
caused by the government or by force majeure. Article 14: after one full year
idle an idle-land fee of 20 % of the land price is levied; after two full years
the land is recovered without compensation.

This module is the only place those thresholds live. A stored idle flag in
the data (``idle_flag``, ``is_idle``, or a column ``idle`` / ``idle_status``
read as ``stored_idle`` / ``stored_idle_status``) is never used to decide; it
is only checked against the rule by :func:`check_stored_idle`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

DEVELOPED_SHARE_MIN = 1.0 / 3.0
INVESTED_SHARE_MIN = 0.25
IDLE_FEE_SHARE_OF_LAND_PRICE = 0.20
EXCLUDED_DELAY_CAUSES = ("government", "force_majeure")

DAYS_PER_YEAR = 365.2425

STATUS_IDLE = "idle"
STATUS_NOT_IDLE = "not_idle"
STATUS_EXCLUDED = "excluded"
STATUS_UNKNOWN = "n/a"


def _col(plots: pd.DataFrame, name: str, kind: str) -> pd.Series:
    import pandas as pd

    if name in plots.columns:
        s = plots[name]
        if kind == "date":
            return pd.to_datetime(s, errors="coerce")
        if kind == "num":
            return pd.to_numeric(s, errors="coerce")
        return s.astype("object").where(s.notna(), None)
    if kind == "date":
        return pd.Series(pd.NaT, index=plots.index, dtype="datetime64[ns]")
    if kind == "num":
        return pd.Series(np.nan, index=plots.index, dtype="float64")
    return pd.Series(None, index=plots.index, dtype="object")


def classify_idle(plots: pd.DataFrame, as_of: object, plot_area_m2: object, *,
                  reasons: bool = True) -> pd.DataFrame:
    """Classify each plot as idle or not on date *as_of*.

    Parameters
    ----------
    plots : pandas.DataFrame
        Plots with (some of) ``agreed_start_date``, ``actual_start_date``,
        ``suspended_since``, ``delay_cause``, ``developed_area_m2``,
        ``invested_yuan``, ``agreed_investment_yuan``, ``land_price_yuan``.
    as_of : date-like
        The date of the assessment.
    plot_area_m2 : array-like
        Each plot's land area in m² (the total to be developed).
    reasons : bool, default True
        Write ``idle_reason``; False leaves it empty, which saves a Python loop
        over the idle plots when only counts and areas are needed (big reports).

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``idle_status`` (``idle``, ``not_idle``,
        ``excluded``, ``n/a``), ``idle`` (bool), ``idle_clock_start`` (date the
        one-year clock started: agreed start, or suspension), ``idle_since``
        (clock start + 1 year), ``idle_days`` (days since ``idle_since``, 0 if
        not idle), ``idle_years`` (``idle_days`` / 365.2425), ``idle_reason``
        (text), ``idle_fee_yuan`` (20 % of the land
        price once idle, NaN if the price is unknown), ``idle_consequence``
        (``fee``, ``recovery`` or empty).
    """
    import pandas as pd

    as_of = pd.Timestamp(as_of).normalize()
    n = len(plots)
    agreed = _col(plots, "agreed_start_date", "date")
    actual = _col(plots, "actual_start_date", "date")
    suspended = _col(plots, "suspended_since", "date")
    cause = _col(plots, "delay_cause", "text")
    cause = cause.astype("string").str.strip().str.lower().fillna("").astype("object")
    developed = _col(plots, "developed_area_m2", "num")
    invested = _col(plots, "invested_yuan", "num")
    agreed_inv = _col(plots, "agreed_investment_yuan", "num")
    price = _col(plots, "land_price_yuan", "num")
    area = pd.Series(np.asarray(plot_area_m2, dtype="float64"), index=plots.index)

    one_year = pd.DateOffset(years=1)
    two_years = pd.DateOffset(years=2)
    status = np.full(n, STATUS_NOT_IDLE, dtype=object)
    reason = np.full(n, "", dtype=object)
    clock = pd.Series(pd.NaT, index=plots.index, dtype="datetime64[ns]")

    has_start_columns = "agreed_start_date" in plots.columns or "actual_start_date" in plots.columns
    not_started = actual.isna() | (actual > as_of)
    # Case 1: not started one full year after the agreed start date.
    c1 = not_started & agreed.notna()
    clock[c1] = agreed[c1]
    # Case 2: started, under-developed or under-invested, suspended one full year.
    dev_share = developed / area.where(area > 0)
    inv_share = invested / agreed_inv.where(agreed_inv > 0)
    low_dev = dev_share < DEVELOPED_SHARE_MIN
    low_inv = inv_share < INVESTED_SHARE_MIN
    c2 = ~not_started & suspended.notna() & (suspended <= as_of) & (low_dev | low_inv)
    clock[c2] = suspended[c2]

    since = clock + one_year
    idle = (clock.notna() & (since <= as_of)).to_numpy()
    status[idle] = STATUS_IDLE
    for i in np.flatnonzero(idle & c1.to_numpy()) if reasons else ():
        reason[i] = (f"not started one full year after the agreed start "
                     f"{agreed.iloc[i].date().isoformat()}")
    for i in np.flatnonzero(idle & c2.to_numpy()) if reasons else ():
        parts = []
        if bool(low_dev.iloc[i]):
            parts.append(f"{dev_share.iloc[i]:.0%} of the area developed (< 1/3)")
        if bool(low_inv.iloc[i]):
            parts.append(f"{inv_share.iloc[i]:.0%} of the investment made (< 25%)")
        reason[i] = (" and ".join(parts) + ", suspended since "
                     f"{suspended.iloc[i].date().isoformat()}")
    excluded = idle & cause.isin(EXCLUDED_DELAY_CAUSES).to_numpy()
    status[excluded] = STATUS_EXCLUDED
    for i in np.flatnonzero(excluded) if reasons else ():
        reason[i] = f"would be idle ({reason[i]}) but the delay is caused by {cause.iloc[i]}"
    # Nothing to judge by: no start dates at all, or a started plot lacking the shares.
    unknown = ~idle & (
        (not_started & agreed.isna()).to_numpy()
        | (~not_started & suspended.notna() & dev_share.isna() & inv_share.isna()).to_numpy()
    )
    if not has_start_columns:
        unknown[:] = True
    status[unknown] = STATUS_UNKNOWN
    for i in np.flatnonzero(unknown) if reasons else ():
        reason[i] = "no agreed start date" if not has_start_columns or pd.isna(
            agreed.iloc[i]) else "developed area and investment shares unknown"

    is_idle = status == STATUS_IDLE
    days = np.where(is_idle, (as_of - since).dt.days.fillna(0).to_numpy(), 0).astype("int64")
    recovery = is_idle & (clock + two_years <= as_of).to_numpy()
    consequence = np.where(recovery, "recovery", np.where(is_idle, "fee", ""))
    fee = np.where(is_idle, price.to_numpy() * IDLE_FEE_SHARE_OF_LAND_PRICE, np.nan)
    return pd.DataFrame(
        {
            "idle_status": status,
            "idle": is_idle,
            "idle_clock_start": clock.where(clock.notna()),
            "idle_since": since.where(idle),
            "idle_days": days,
            "idle_years": days / DAYS_PER_YEAR,
            "idle_reason": reason,
            "idle_fee_yuan": fee,
            "idle_consequence": consequence,
        },
        index=plots.index,
    )


#: Columns that may hold an idle flag set by hand, in order of preference.
STORED_IDLE_COLUMNS = ("idle_flag", "is_idle", "stored_idle", "stored_idle_status")
_TRUE = {"true", "yes", "y", "1", "idle", "是", "闲置", "t"}
_FALSE = {"false", "no", "n", "0", "not_idle", "否", "f", "", "none"}


def stored_idle_column(plots: pd.DataFrame) -> str | None:
    """The column of *plots* holding a stored idle flag, or None.

    The first of :data:`STORED_IDLE_COLUMNS` that has a value, else the first present.
    """
    present = [c for c in STORED_IDLE_COLUMNS if c in plots.columns]
    filled = [c for c in present if plots[c].notna().any()]
    return (filled or present or [None])[0]


def _as_flag(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def check_stored_idle(plots: pd.DataFrame, classified: pd.DataFrame) -> pd.DataFrame:
    """Plots whose stored idle flag disagrees with the rule's verdict.

    Parameters
    ----------
    plots : pandas.DataFrame
        Plots, possibly with a stored flag column (:func:`stored_idle_column`).
        Values read as true: true/yes/1/idle/是/闲置; false: false/no/0/not_idle/否
        or empty. Anything else is reported as unreadable.
    classified : pandas.DataFrame
        :func:`classify_idle`'s result for the same plots (same index).

    Returns
    -------
    pandas.DataFrame
        ``plot_id``, ``stored_column``, ``stored_value``, ``rule_status``,
        ``rule_reason``, ``problem``; one row per disagreement (a plot the data
        calls idle that the rule does not, or the reverse; an ``excluded`` plot
        flagged idle is a disagreement too). Empty when there is no flag column.
        Plots the rule cannot judge (``n/a``) are not reported.
    """
    import pandas as pd

    cols = ["plot_id", "stored_column", "stored_value", "rule_status", "rule_reason", "problem"]
    col = stored_idle_column(plots)
    if col is None:
        return pd.DataFrame(columns=cols)
    same = classified.index.equals(plots.index)
    verdict = classified[["idle_status", "idle_reason"]]
    verdict = verdict if same else verdict.loc[plots.index]
    status = verdict["idle_status"].to_numpy(dtype=object)
    raw = plots[col].astype(object).to_numpy()
    # Each distinct stored value is read once; missing-like values (code -1) are no flag.
    codes, uniques = pd.factorize(raw)
    flags = np.array([{True: 1, False: 0, None: -1}[_as_flag(u)] for u in uniques] + [-1],
                     dtype=np.int8)[codes]
    unreadable = codes >= 0
    unreadable[unreadable] = flags[unreadable] < 0
    missing = np.flatnonzero(codes < 0)  # None and NaN are empty; pd.NA, NaT are not flags
    unreadable[missing] = [v is not None and not (isinstance(v, float) and np.isnan(v))
                           for v in raw[missing]]
    rule_idle = status == STATUS_IDLE
    disagree = (status != STATUS_UNKNOWN) & (
        unreadable | ((flags >= 0) & ((flags == 1) != rule_idle)))
    ids = plots["plot_id"] if "plot_id" in plots.columns else pd.Series(plots.index, plots.index)
    rows = []
    for i in np.flatnonzero(disagree):
        value, rule = raw[i], status[i]
        if unreadable[i]:
            problem = f"stored value {value!r} is not a yes/no flag"
        elif flags[i] == 1:
            problem = f"stored as idle, but the rule says {rule}"
        else:
            problem = "stored as not idle, but the rule says idle"
        rows.append({"plot_id": ids.iloc[i], "stored_column": col, "stored_value": value,
                     "rule_status": rule, "rule_reason": verdict["idle_reason"].iloc[i],
                     "problem": problem})
    return pd.DataFrame(rows, columns=cols)
