"""check_stored_idle equals the per-row definition on every kind of stored value."""

from __future__ import annotations

import decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qygeo.core.idle import _as_flag, check_stored_idle, stored_idle_column


def reference(plots: pd.DataFrame, classified: pd.DataFrame, col: str) -> pd.DataFrame:
    """The check written plainly: one plot at a time, one record per disagreement."""
    cols = ["plot_id", "stored_column", "stored_value", "rule_status", "rule_reason", "problem"]
    ids = plots["plot_id"] if "plot_id" in plots.columns else pd.Series(plots.index, plots.index)
    raws = plots[col].astype(object).to_numpy()
    rows = []
    for pos, i in enumerate(plots.index):
        raw, status = raws[pos], classified.at[i, "idle_status"]
        if status == "n/a":
            continue
        flag = _as_flag(raw)
        if flag is None and raw is not None and not (isinstance(raw, float) and np.isnan(raw)):
            problem = f"stored value {raw!r} is not a yes/no flag"
        elif flag is None or flag == (status in ("idle", "idle_art8")):  # Art. 8: idle too
            continue
        elif flag:
            problem = f"stored as idle, but the rule says {status}"
        else:
            problem = "stored as not idle, but the rule says idle"
        rows.append({"plot_id": ids.iloc[pos], "stored_column": col,
                     "stored_value": raw, "rule_status": status,
                     "rule_reason": classified.at[i, "idle_reason"], "problem": problem})
    return pd.DataFrame(rows, columns=cols)


def assert_same(got: pd.DataFrame, expected: pd.DataFrame, obj: str = "check") -> None:
    """Equal rows and values, whatever dtype pandas gives each column."""
    pd.testing.assert_frame_equal(got.astype(object).reset_index(drop=True),
                                  expected.astype(object).reset_index(drop=True),
                                  check_exact=True, obj=obj)


def test_matches_per_row_definition():
    values = [True, False, 1, 0, 1.0, 0.0, 2.5, "yes", " No ", "是", "闲置", "否", "maybe", "",
              None, np.nan, pd.NA, pd.NaT, "IDLE", "not_idle", "t", "none", "1", "0"]
    n = 400
    rng = np.random.default_rng(3)
    stored = [values[i] for i in rng.integers(0, len(values), n)]
    plots = pd.DataFrame({"plot_id": [f"P{i}" for i in range(n)],
                          "idle_flag": np.array(stored + [None], dtype=object)[:-1]},
                         index=rng.permutation(n) + 1000)
    classified = pd.DataFrame({
        "idle_status": rng.choice(["idle", "not_idle", "idle_art8", "n/a"], n),
        "idle_reason": [f"reason {i}" for i in range(n)]}, index=plots.index)
    got = check_stored_idle(plots, classified)
    assert len(got) > 50
    assert_same(got, reference(plots, classified, "idle_flag"))
    # Typed columns: bool, str (with missing), float.
    for series in (pd.Series(rng.random(n) < 0.5), pd.Series(rng.choice(["yes", "no", None], n)),
                   pd.Series(rng.choice([0.0, 1.0, np.nan], n))):
        typed = plots.assign(idle_flag=series.to_numpy())
        assert_same(check_stored_idle(typed, classified), reference(typed, classified, "idle_flag"))


# Every kind of stored value: flags as bools, numbers and Chinese/English text,
# no flag (None, NaN), values that are not flags (pd.NA, NaT, other text), and
# values that are equal but print differently ("x" / np.str_("x"), Decimals, one instant
# in two time zones). Left out: a Decimal equal to 1 (read as the 1 or True it
# equals, one reading per distinct value) and a float32 NaN (reported as not a
# flag, where _as_flag alone says True) -- there the check has always differed
# from the per-row definition.
MIXED = [True, False, np.True_, np.False_, 1, 0, np.int64(1), 2, -1, 1.0, 0.0, 2.5, np.float32(0.0),
         np.nan, None, pd.NA, pd.NaT, np.datetime64("NaT"),
         "yes", "no", " Yes ", "TRUE", "false", "y", "n", "t", "f", "1", "0", "", "none",
         "idle", "not_idle", "IDLE", "是", "否", "闲置", " 否 ", "maybe", "unknown", "未知", "2",
         np.str_("maybe"), np.str_("yes"), b"yes", decimal.Decimal("0.5"), decimal.Decimal("0.50"),
         pd.Timestamp("2024-01-01", tz="UTC"), pd.Timestamp("2024-01-01 08:00", tz="Asia/Shanghai")]
TEXTS = ["yes", "no", "Yes", "是", "否", "闲置", "not_idle", "", "maybe", "未知", None]


def _flag_columns(n: int, rng: np.random.Generator) -> dict[str, object]:
    mixed = np.empty(n, dtype=object)
    mixed[:] = [MIXED[i] for i in rng.integers(0, len(MIXED), n)]
    texts = rng.choice(np.array(TEXTS, dtype=object), n)
    floats = rng.choice([0.0, 1.0, 2.0, np.nan], n)
    return {
        "mixed objects": mixed,
        "object text": texts,
        "str": pd.array(texts, dtype="str"),
        "string (pd.NA)": pd.array(texts, dtype="string"),
        "category": pd.Categorical(texts),
        "bool": rng.random(n) < 0.5,
        "int": rng.choice([0, 1, 2], n),
        "float": floats,
        "float32": floats.astype("float32"),
        "boolean": pd.array(rng.choice([True, False, None], n), dtype="boolean"),
        "Int64": pd.array(rng.choice([0, 1, None], n), dtype="Int64"),
        # Arrow keeps NaN apart from null; both mean "no flag".
        "arrow double": pd.arrays.ArrowExtensionArray(pa.array(floats, mask=rng.random(n) < 0.2)),
        "datetime": pd.to_datetime(rng.choice(["2020-01-01", None], n)),
        "all NaT": np.full(n, np.datetime64("NaT"), dtype="M8[ns]"),
        "only unreadable text": pd.array(rng.choice(["maybe", "未知"], n), dtype="str"),
    }


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["object", "str", "category"])
def test_matches_per_row_definition_every_value_and_dtype(flavour):
    n = 600
    rng = np.random.default_rng(53)
    status = rng.choice(["idle", "not_idle", "idle_art8", "n/a"], n).astype(object)
    reason = np.array([f"原因 {i % 9}" for i in range(n)], dtype=object)
    reason[rng.random(n) < 0.2] = None
    table = pd.DataFrame({"plot_id": [f"P{i}" for i in range(n)], "idle_status": status,
                          "idle_reason": reason}, index=rng.permutation(n) + 1000)
    table = table.astype(flavour)
    for name, flag in _flag_columns(n, rng).items():
        plots = table.assign(idle_flag=flag)
        expected = reference(plots, plots, "idle_flag")
        assert len(expected), name
        assert_same(check_stored_idle(plots, plots), expected, name)
    # Verdict in its own frame, in another order; plot ids as int32 or from the index.
    plots = table.drop(columns=["idle_status", "idle_reason"]).assign(
        idle_flag=_flag_columns(n, rng)["mixed objects"])
    classified = table[["idle_status", "idle_reason"]].sample(frac=1.0, random_state=1)
    for variant in (plots, plots.assign(plot_id=np.arange(n, dtype=np.int32)),
                    plots.drop(columns="plot_id")):
        assert_same(check_stored_idle(variant, classified),
                    reference(variant, classified, "idle_flag"))


def test_no_disagreement_or_no_flag_gives_empty_frame():
    plots = pd.DataFrame({"plot_id": ["a", "b", "c"], "idle_status": ["idle", "not_idle", "n/a"],
                          "idle_reason": ["r", "r", "r"], "is_idle": ["是", "否", "maybe"]})
    for frame in (plots, plots.drop(columns="is_idle"), plots.assign(is_idle=None)):
        got = check_stored_idle(frame, frame)
        pd.testing.assert_frame_equal(got, reference(frame, frame, "is_idle")
                                      if "is_idle" in frame else got.iloc[:0])
        assert got.empty and list(got.dtypes) == [np.dtype(object)] * 6


def test_stored_idle_column_looks_past_an_empty_start():
    n = 3000
    plots = pd.DataFrame({"idle_flag": [None] * (n - 1) + [True], "is_idle": [False] * n})
    assert stored_idle_column(plots) == "idle_flag"
    assert stored_idle_column(plots.assign(idle_flag=None)) == "is_idle"
    assert stored_idle_column(plots.assign(idle_flag=None, is_idle=np.nan)) == "idle_flag"
    assert stored_idle_column(plots[[]]) is None
