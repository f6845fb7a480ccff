"""check_stored_idle (vectorised) equals the per-row definition on every kind of stored value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from qygeo.idle import _as_flag, check_stored_idle


def reference(plots: pd.DataFrame, classified: pd.DataFrame, col: str) -> pd.DataFrame:
    cols = ["plot_id", "stored_column", "stored_value", "rule_status", "rule_reason", "problem"]
    rows = []
    for i, raw in plots[col].items():
        status = classified.at[i, "idle_status"]
        if status == "n/a":
            continue
        flag = _as_flag(raw)
        if flag is None and raw is not None and not (isinstance(raw, float) and np.isnan(raw)):
            problem = f"stored value {raw!r} is not a yes/no flag"
        elif flag is None or flag == (status == "idle"):
            continue
        elif flag:
            problem = f"stored as idle, but the rule says {status}"
        else:
            problem = "stored as not idle, but the rule says idle"
        rows.append({"plot_id": plots.at[i, "plot_id"], "stored_column": col,
                     "stored_value": raw, "rule_status": status,
                     "rule_reason": classified.at[i, "idle_reason"], "problem": problem})
    return pd.DataFrame(rows, columns=cols)


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
        "idle_status": rng.choice(["idle", "not_idle", "excluded", "n/a"], n),
        "idle_reason": [f"reason {i}" for i in range(n)]}, index=plots.index)
    got = check_stored_idle(plots, classified)
    assert len(got) > 50
    pd.testing.assert_frame_equal(got, reference(plots, classified, "idle_flag"))
    # Typed columns: bool, str (with missing), float.
    for series in (pd.Series(rng.random(n) < 0.5), pd.Series(rng.choice(["yes", "no", None], n)),
                   pd.Series(rng.choice([0.0, 1.0, np.nan], n))):
        typed = plots.assign(idle_flag=series.to_numpy())
        pd.testing.assert_frame_equal(check_stored_idle(typed, classified),
                                      reference(typed, classified, "idle_flag"))
