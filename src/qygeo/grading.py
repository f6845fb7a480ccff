"""亩均 (per-mu benefit) grading of plots and enterprises, and entry-threshold checks.

Scoring follows the practice of Zhejiang's 亩均论英雄 reform (浙政发〔2018〕5号,
《关于深化"亩均论英雄"改革的指导意见》) as county offices publish it: each
indicator is divided by a benchmark and multiplied by its weight, and the
weighted ratios are summed. Huangyan district (Taizhou) for example publishes
``得分 = 亩均税收 ÷ 24.097 × 30 + 亩均增加值 ÷ 136.16 × 20 + …`` for large
enterprises and ``亩均税收 ÷ 11.5932 × 50 + …`` for small ones; enterprises are
then put in classes A (优先发展), B (鼓勵提升), C (规范转型) and D (调控帮扶),
and enterprises in their construction period are assessed but not graded
(不定等级). The paper (Chen et al. 2025, §6.2.3) asks Qingyuan for the same:
a "per mu tax revenue" assessment of key parks such as Guangfo.

Here, for a plot (or an enterprise's plots together)::

    value_i = amount_i (yuan) / 1e4 / land (mu)             # 万元/亩
    score   = Σ_i weight_i × min(value_i / benchmark_i, cap)
    grade   = A if score ≥ cutoff_A, B if ≥ cutoff_B, C if ≥ cutoff_C, else D

with the indicators tax (``tax_yuan``), output (``output_yuan``; the plots
contract has no value added) and investment (``invested_yuan``), and the
weights, benchmarks, cap and cut-offs of :class:`qygeo.config.GradingConfig`.
A plot lacking any weighted input is not graded (``grade`` = ``n/a``, with the
reason): a not-yet-producing plot has no output or tax to judge, and qygeo
does not invent one.

Entry thresholds (Guangqing Industrial Park: investment ≥ 330 万元/亩, output
≥ 1000 万元/亩, tax ≥ 33 万元/亩; values from the configuration) are checked
per plot: ``entry_pass`` is True when all three are met, False when any known
one fails, None when none fails but some are unknown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import metrics
from .config import GRADES, GRADING_INDICATORS, INVESTMENT_BASES, GradingConfig

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

NOT_GRADED = "n/a"
ENTRY_KEYS = ("investment_wan_per_mu", "output_wan_per_mu", "tax_wan_per_mu")

#: Output columns of :func:`grade_plots` after the id columns.
GRADE_COLUMNS = [
    "area_mu", *GRADING_INDICATORS, "score", "grade", "grade_reason",
    "entry_investment_wan_per_mu", "entry_investment_ok", "entry_output_ok", "entry_tax_ok",
    "entry_pass", "entry_reason",
]


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    import pandas as pd

    if col not in df.columns:
        return np.full(len(df), np.nan)
    return pd.to_numeric(df[col], errors="coerce").to_numpy(dtype="float64")


def grade_of(score: float, config: GradingConfig) -> str:
    """The grade A/B/C/D of a score (``n/a`` for NaN), by the configured cut-offs."""
    if score != score:
        return NOT_GRADED
    for g in GRADES[:-1]:
        if score >= config.cutoffs[g]:
            return g
    return GRADES[-1]


def score_table(table: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """Per-mu values, score, grade and entry checks for rows holding yuan amounts.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``area_mu`` (mu) and any of ``tax_yuan``, ``output_yuan``,
        ``invested_yuan``, ``agreed_investment_yuan`` (yuan).
    config : GradingConfig
        Weights, benchmarks, cap, cut-offs, entry thresholds.

    Returns
    -------
    pandas.DataFrame
        Same index, columns :data:`GRADE_COLUMNS`. Per-mu values are 万元/亩.
    """
    import pandas as pd

    area_mu = _num(table, "area_mu")
    out = pd.DataFrame(index=table.index)
    out["area_mu"] = area_mu
    for key, (col, _zh, _en) in GRADING_INDICATORS.items():
        out[key] = np.asarray(metrics.wan_yuan_per_mu(_num(table, col), area_mu), dtype=float)
    weighted = [k for k, w in config.weights.items() if w > 0]
    score = np.zeros(len(table))
    for k in weighted:
        ratio = np.minimum(out[k].to_numpy() / config.benchmarks[k], config.cap)
        score = score + config.weights[k] * ratio  # NaN propagates: not graded
    out["score"] = score
    out["grade"] = [grade_of(s, config) for s in score]
    reasons = []
    for i in range(len(table)):
        if not (area_mu[i] > 0):
            reasons.append("land area unknown")
            continue
        missing = [GRADING_INDICATORS[k][0] for k in weighted if np.isnan(out[k].iloc[i])]
        if missing:
            reasons.append(f"not graded (不定等级): no {', '.join(missing)} "
                           "(not producing or not reported)")
        else:
            parts = [f"{k} {out[k].iloc[i]:.1f}/{config.benchmarks[k]:g}×{config.weights[k]:g}"
                     for k in weighted]
            reasons.append(f"score {score[i]:.1f} = " + " + ".join(parts))
    out["grade_reason"] = reasons

    e = config.entry
    basis_col = INVESTMENT_BASES[e["investment_basis"]]
    entry_inv = np.asarray(metrics.wan_yuan_per_mu(_num(table, basis_col), area_mu), dtype=float)
    out["entry_investment_wan_per_mu"] = entry_inv
    checks = {
        "entry_investment_ok": (entry_inv, e["investment_wan_per_mu"], f"{basis_col} per mu"),
        "entry_output_ok": (out["output_wan_per_mu"].to_numpy(), e["output_wan_per_mu"],
                            "output per mu"),
        "entry_tax_ok": (out["tax_wan_per_mu"].to_numpy(), e["tax_wan_per_mu"], "tax per mu"),
    }
    for col, (vals, threshold, _label) in checks.items():
        out[col] = pd.Series([None if np.isnan(v) else bool(v >= threshold) for v in vals],
                             index=out.index, dtype="object")
    passes, reasons = [], []
    for i in range(len(table)):
        oks = [out[c].iloc[i] for c in checks]
        fails = [f"{label} {vals[i]:.1f} < {thr:g}" for (vals, thr, label), ok in
                 zip(checks.values(), oks, strict=True) if ok is False]
        unknown = [label for (vals, thr, label), ok in zip(checks.values(), oks, strict=True)
                   if ok is None]
        if fails:
            passes.append(False)
            reasons.append("below entry threshold: " + "; ".join(fails))
        elif unknown:
            passes.append(None)
            reasons.append("unknown: " + ", ".join(unknown))
        else:
            passes.append(True)
            reasons.append("meets every entry threshold")
    out["entry_pass"] = pd.Series(passes, index=out.index, dtype="object")
    out["entry_reason"] = reasons
    return out


def grade_plots(plots: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """Grade each plot (see the module docstring for the formula).

    Parameters
    ----------
    plots : pandas.DataFrame
        The report's plot table: ``plot_id``, ``area_mu`` and the money
        columns of the plots contract (any may be missing).
    config : GradingConfig

    Returns
    -------
    pandas.DataFrame
        ``plot_id``, ``park_id``, ``enterprise``, then :data:`GRADE_COLUMNS`.
    """
    import pandas as pd

    ids = pd.DataFrame(index=plots.index)
    for c in ("plot_id", "park_id", "enterprise"):
        ids[c] = plots[c] if c in plots.columns else None
    return pd.concat([ids, score_table(plots, config)], axis=1).reset_index(drop=True)


def grade_enterprises(plots: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """Grade each enterprise on all its plots together (amounts and land summed).

    An amount is n/a for the enterprise if any of its plots lacks it (a
    partial sum would understate it). Plots without ``enterprise`` are left out.

    Returns
    -------
    pandas.DataFrame
        ``enterprise``, ``plot_count``, ``plot_ids``, then :data:`GRADE_COLUMNS`.
    """
    import pandas as pd

    if "enterprise" not in plots.columns or not len(plots):
        return pd.DataFrame(columns=["enterprise", "plot_count", "plot_ids", *GRADE_COLUMNS])
    named = plots[plots["enterprise"].notna() & (plots["enterprise"].astype(str).str.strip() != "")]
    cols = ["area_mu", "tax_yuan", "output_yuan", "invested_yuan", "agreed_investment_yuan"]
    rows = []
    for name, grp in named.groupby("enterprise", sort=True):
        row = {"enterprise": name, "plot_count": len(grp),
               "plot_ids": ";".join(grp["plot_id"].astype(str)) if "plot_id" in grp else ""}
        for c in cols:
            v = pd.to_numeric(grp[c], errors="coerce") if c in grp.columns else None
            row[c] = float(v.sum()) if v is not None and v.notna().all() else np.nan
        rows.append(row)
    agg = pd.DataFrame(rows)
    scored = score_table(agg, config)
    return pd.concat([agg[["enterprise", "plot_count", "plot_ids"]], scored], axis=1)


def grade_counts(grades: object) -> dict[str, int]:
    """``{"A": n, "B": n, "C": n, "D": n}`` over an iterable of grades (``n/a`` not counted)."""
    vals = list(grades)
    return {g: sum(1 for v in vals if v == g) for g in GRADES}
