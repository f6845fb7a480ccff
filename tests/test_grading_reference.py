"""The grading equals the straightforward per-row definition.

The references below are the definitions written as plain loops, one row (or
one enterprise) at a time; the table mixes NaNs, zeros, negative and infinite
amounts, zero and unknown land, values exactly on the thresholds and cut-offs,
blank enterprise names and enterprises of 1 to 150 plots.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qygeo.core import metrics
from qygeo.core.config import GRADES, GRADING_INDICATORS, INVESTMENT_BASES, load_config
from qygeo.core.grading import (
    GRADE_COLUMNS,
    add_reasons,
    grade_counts,
    grade_enterprises,
    grade_plots,
    reasons_pending,
    score_table,
)
from qygeo.pipeline.evaluation import Evaluation


def reference_scores(table: pd.DataFrame, config) -> pd.DataFrame:
    """One row at a time: per-mu values, score, grade, reasons, entry checks."""
    weighted = [k for k, w in config.weights.items() if w > 0]
    e = config.entry
    basis_col = INVESTMENT_BASES[e["investment_basis"]]
    rows = []
    for r in table.to_dict("records"):
        area = float(r.get("area_mu", math.nan))
        per_mu = {k: float(metrics.wan_yuan_per_mu(float(r.get(col, math.nan)), area))
                  for k, (col, _zh, _en) in GRADING_INDICATORS.items()}
        score = 0.0
        for k in weighted:
            score += config.weights[k] * min(per_mu[k] / config.benchmarks[k], config.cap)
        grade = "n/a" if math.isnan(score) else next(
            (g for g in GRADES[:-1] if score >= config.cutoffs[g]), GRADES[-1])
        missing = [GRADING_INDICATORS[k][0] for k in weighted if math.isnan(per_mu[k])]
        if not area > 0:
            reason = "land area unknown"
        elif missing:
            reason = (f"not graded (不定等级): no {', '.join(missing)} "
                      "(not producing or not reported)")
        else:
            reason = f"score {score:.1f} = " + " + ".join(
                f"{k} min({per_mu[k]:.1f}/{config.benchmarks[k]:g}, {config.cap:g})"
                f"×{config.weights[k]:g}" if per_mu[k] / config.benchmarks[k] > config.cap
                else f"{k} {per_mu[k]:.1f}/{config.benchmarks[k]:g}×{config.weights[k]:g}"
                for k in weighted)
        entry_inv = float(metrics.wan_yuan_per_mu(float(r.get(basis_col, math.nan)), area))
        # The plot's park's own thresholds; none (NaN) for a park without them.
        t = e["parks"].get(r.get("park_id"), {})
        lim = {k: float(t.get(k, math.nan))
               for k in ("investment_wan_per_mu", "output_wan_per_mu", "tax_wan_per_mu")}
        checks = [("entry_investment_ok", entry_inv, lim["investment_wan_per_mu"],
                   f"{basis_col} per mu"),
                  ("entry_output_ok", per_mu["output_wan_per_mu"], lim["output_wan_per_mu"],
                   "output per mu"),
                  ("entry_tax_ok", per_mu["tax_wan_per_mu"], lim["tax_wan_per_mu"],
                   "tax per mu")]
        oks = {c: None if math.isnan(v) or math.isnan(t) else bool(v >= t)
               for c, v, t, _l in checks}
        fails = [f"{lab} {v:.1f} < {t:g}" for c, v, t, lab in checks if oks[c] is False]
        unknown = [lab for c, _v, _t, lab in checks if oks[c] is None]
        passed = False if fails else (None if unknown else True)
        entry_reason = ("below entry threshold: " + "; ".join(fails) if fails else
                        "no entry thresholds for this park" if not t else
                        "unknown: " + ", ".join(unknown) if unknown else
                        "meets every entry threshold")
        rows.append({"area_mu": area, **per_mu, "score": score, "grade": grade,
                     "grade_reason": reason, "entry_investment_wan_per_mu": entry_inv,
                     "entry_investment_min_wan_per_mu": lim["investment_wan_per_mu"],
                     "entry_output_min_wan_per_mu": lim["output_wan_per_mu"],
                     "entry_tax_min_wan_per_mu": lim["tax_wan_per_mu"],
                     **oks, "entry_pass": passed, "entry_reason": entry_reason})
    return pd.DataFrame(rows, columns=GRADE_COLUMNS, index=table.index)


def reference_enterprises(plots: pd.DataFrame, config) -> pd.DataFrame:
    """One enterprise at a time: sums (n/a if any plot lacks the amount), then scores."""
    named = plots[plots["enterprise"].notna()
                  & (plots["enterprise"].astype(str).str.strip() != "")]
    rows = []
    for name, grp in named.groupby("enterprise", sort=True):
        row = {"enterprise": name, "plot_count": len(grp),
               "plot_ids": ";".join(grp["plot_id"].astype(str))}
        for c in ["area_mu", "tax_yuan", "output_yuan", "invested_yuan",
                  "agreed_investment_yuan"]:
            v = pd.to_numeric(grp[c], errors="coerce")
            row[c] = float(v.sum()) if v.notna().all() else np.nan
        parks = set(grp["park_id"].tolist())
        row["park_id"] = parks.pop() if len(parks) == 1 else None  # one park: its thresholds
        rows.append(row)
    agg = pd.DataFrame(rows)
    return pd.concat([agg[["enterprise", "plot_count", "plot_ids"]],
                      reference_scores(agg, config)], axis=1)


def edge_table(n: int = 600, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)

    def amounts() -> np.ndarray:
        v = rng.lognormal(16, 2.5, n)
        pick = rng.random(n)
        v[pick < 0.12] = np.nan
        v[(pick >= 0.12) & (pick < 0.2)] = 0.0
        v[(pick >= 0.2) & (pick < 0.23)] = -v[(pick >= 0.2) & (pick < 0.23)]
        v[(pick >= 0.23) & (pick < 0.24)] = np.inf
        return v

    area = rng.lognormal(3, 1.2, n)
    pick = rng.random(n)
    area[pick < 0.04] = 0.0
    area[(pick >= 0.04) & (pick < 0.07)] = np.nan
    area[(pick >= 0.07) & (pick < 0.08)] = -5.0
    sizes = [1, 2, 7, 8, 9, 16, 17, 129, 150]
    names = [f"E{i:03d}" for i, k in enumerate(sizes) for _ in range(k)]
    names += [None, "", "  ", "Zeta", "alpha", "阿尔法"] * ((n - len(names)) // 6 + 1)
    table = pd.DataFrame({
        "plot_id": [f"P{i:04d}" for i in range(n)],
        "park_id": rng.choice(["guangqing", "b", None], n),
        "enterprise": rng.permutation(np.array(names[:n], dtype=object)),
        "area_mu": area,
        "tax_yuan": amounts(), "output_yuan": amounts(),
        "invested_yuan": amounts(), "agreed_investment_yuan": amounts(),
    })
    # Exactly on the entry thresholds (33 / 1000 / 330 万元/亩 on 10 mu) and A's cut-off.
    table.loc[:4, ["area_mu", "tax_yuan", "output_yuan", "invested_yuan",
                   "agreed_investment_yuan"]] = [10.0, 3.3e6, 1e8, 3.3e7, 3.3e7]
    return table


@pytest.fixture(scope="module")
def config():
    return load_config()


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    for c in ("entry_investment_ok", "entry_output_ok", "entry_tax_ok", "entry_pass"):
        assert [type(v) for v in got[c]] == [type(v) for v in want[c]], c


def test_score_table_equals_per_row_definition(config):
    table = edge_table()
    assert_same(score_table(table, config), reference_scores(table, config))


def test_score_table_with_other_weights_and_basis(tmp_path):
    cfg = tmp_path / "g.toml"
    cfg.write_text("[grading.weights]\ntax_wan_per_mu = 100\noutput_wan_per_mu = 0\n"
                   "investment_wan_per_mu = 0\n[entry]\ninvestment_basis = 'invested'\n",
                   encoding="utf-8")
    config = load_config(cfg)
    table = edge_table(seed=11)
    assert_same(score_table(table, config), reference_scores(table, config))


def test_enterprises_equal_per_enterprise_definition(config):
    table = edge_table()
    got = grade_enterprises(table, config)
    assert_same(got, reference_enterprises(table, config))
    assert got["plot_count"].max() == 150
    as_objects = table.astype({"plot_id": object})  # ids joined in Python, not Arrow
    assert_same(grade_enterprises(as_objects, config), reference_enterprises(as_objects, config))


def test_reasons_written_later_are_the_same(config):
    table = edge_table()
    eager = grade_plots(table, config)
    lazy = grade_plots(table, config, reasons=False)
    assert reasons_pending(lazy) and not reasons_pending(eager)
    assert lazy["grade_reason"].isna().all()
    ev = Evaluation(indicators=pd.DataFrame(), grading=lazy,
                    enterprises=grade_enterprises(table, config, reasons=False),
                    targets=pd.DataFrame(), trends=pd.DataFrame(), idle_check=pd.DataFrame(),
                    config=config)
    assert_same(ev.grading, eager)  # completed on first access
    assert_same(ev.enterprises, grade_enterprises(table, config))
    assert_same(add_reasons(grade_plots(table, config, reasons=False), config), eager)


def test_empty_and_unnamed_tables(config):
    empty = pd.DataFrame({"plot_id": [], "area_mu": []})
    assert list(score_table(empty, config).columns) == GRADE_COLUMNS
    assert len(score_table(empty, config)) == 0
    unnamed = pd.DataFrame({"plot_id": ["a", "b"], "enterprise": [None, " "],
                            "area_mu": [1.0, 2.0]})
    assert list(grade_enterprises(unnamed, config).columns) == [
        "enterprise", "plot_count", "plot_ids", *GRADE_COLUMNS]
    assert len(grade_enterprises(unnamed, config)) == 0


def test_grade_counts_equal_counting_by_hand(config):
    grades = score_table(edge_table(), config)["grade"]
    want = {g: sum(1 for v in grades if v == g) for g in GRADES}
    assert grade_counts(grades) == want == grade_counts(list(grades))
    assert grade_counts(iter(grades)) == want
    assert grade_counts([]) == {g: 0 for g in GRADES}
