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

with the indicators tax (``tax_yuan``), output (``output_yuan``), value added
(``value_added_yuan``, where the plots give it) and investment
(``invested_yuan``), and the weights, benchmarks, cap and cut-offs of
:class:`qygeo.core.config.GradingConfig`. The default weights are on tax and
output only: 亩均 evaluations judge performance by tax and value added per mu,
and investment per mu is an entry criterion, not a performance indicator.
A plot lacking any weighted input is not graded (``grade`` = ``n/a``, with the
reason): a not-yet-producing plot has no output or tax to judge, and qygeo
does not invent one.

Classes by rank percentile (``method = "percentile"``), as Zhejiang's 亩均
evaluations class firms (one published scheme: top 25 % A, 26–70 % B, 71–95 %
C, bottom 5 % D): within each park, a graded plot's share ranked above is the
number of the park's graded plots with a strictly higher score divided by
their number; ties share that share and so a class. A park with fewer graded
plots than ``percentile_min_ranked`` has none to rank: its plots get ``n/a``,
said in the reason. Enterprises are ranked among all enterprises.

Entry thresholds are a park's own (Guangqing Industrial Park's 330 / 1000 /
33 万元/亩 are checked on Guangqing's plots only, :data:`config` ``[entry.parks]``):
``entry_pass`` is True when all three are met, False when any known one
fails, None when none fails but some are unknown, or the park has no
thresholds.

Why over 600 lines: the scores, the A–D classes (cut-offs or percentiles), the
entry thresholds and the per-park counts read the same per-mu columns and the
same settings; apart, each would recompute them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.core import metrics
from qygeo.core.config import (
    ENTRY_KEYS,
    GRADES,
    GRADING_INDICATORS,
    INVESTMENT_BASES,
    GradingConfig,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

NOT_GRADED = "n/a"
#: Per-row entry threshold columns (万元/亩, NaN where the park has none), by ENTRY_KEYS.
ENTRY_MIN_COLUMNS = {k: f"entry_{k.removesuffix('_wan_per_mu')}_min_wan_per_mu"
                     for k in ENTRY_KEYS}

#: Output columns of :func:`grade_plots` after the id columns.
GRADE_COLUMNS = [
    "area_mu", *GRADING_INDICATORS, "score", "grade", "grade_reason",
    "entry_investment_wan_per_mu", *ENTRY_MIN_COLUMNS.values(),
    "entry_investment_ok", "entry_output_ok", "entry_tax_ok", "entry_pass", "entry_reason",
]


def _num(df: pd.DataFrame, col: str) -> np.ndarray:
    """Column *col* as float64 (unparsable values NaN); a float64 column's own values, read-only."""
    import pandas as pd

    if col not in df.columns:
        return np.full(len(df), np.nan)
    s = df[col]
    if s.dtype == np.float64:
        return s.to_numpy()
    return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64")


def grade_of(score: float, config: GradingConfig) -> str:
    """The grade A/B/C/D of a score (``n/a`` for NaN), by the configured cut-offs."""
    if score != score:
        return NOT_GRADED
    for g in GRADES[:-1]:
        if score >= config.cutoffs[g]:
            return g
    return GRADES[-1]


#: Labels indexed by :func:`grade_codes`.
GRADE_LABELS = (NOT_GRADED, *GRADES)


def grade_codes(scores: np.ndarray, config: GradingConfig) -> np.ndarray:
    """:func:`grade_of` of every score at once, as positions in :data:`GRADE_LABELS` (int8)."""
    scores = np.asarray(scores, dtype="float64")
    codes = np.full(scores.shape, len(GRADES), dtype=np.int8)  # below every cut-off
    # Lowest grade first, so that the first cut-off met in grade_of's order is written
    # last; by arithmetic (code += met × (i − code)), as np.where branches on every row.
    for i in range(len(GRADES) - 1, 0, -1):
        met = (scores >= config.cutoffs[GRADES[i - 1]]).view(np.int8)
        codes += met * (np.int8(i) - codes)
    return codes * ~np.isnan(scores)  # NaN: 0 (n/a)


def percentile_codes(scores: np.ndarray, groups: np.ndarray | None,
                     config: GradingConfig) -> np.ndarray:
    """Classes by rank percentile within each group, as positions in :data:`GRADE_LABELS`.

    A score's share ranked above is (scores of its group strictly higher) /
    (graded scores of its group); it is A below ``percentiles["A"]`` %, B below
    ``["B"]`` %, C below ``["C"]`` %, else D. Ties share a class. A group of
    fewer than ``percentile_min_ranked`` graded scores, and NaN scores, get 0 (n/a).
    """
    scores = np.asarray(scores, dtype="float64")
    n = len(scores)
    groups = np.zeros(n, dtype=np.int64) if groups is None else np.asarray(groups)
    codes = np.zeros(n, dtype=np.int8)
    pct = config.percentiles or {"A": 25.0, "B": 70.0, "C": 95.0}
    graded = ~np.isnan(scores)
    for g in np.unique(groups[graded]):
        rows = np.flatnonzero(graded & (groups == g))
        if len(rows) < config.percentile_min_ranked:
            continue
        mine = scores[rows]
        ordered = np.sort(mine)
        above = len(rows) - np.searchsorted(ordered, mine, side="right")
        share = 100.0 * above / len(rows)
        code = np.full(len(rows), len(GRADES), dtype=np.int8)  # D
        for i in range(len(GRADES) - 1, 0, -1):  # C, B, A: the best class met is written last
            code[share < pct[GRADES[i - 1]]] = i
        codes[rows] = code
    return codes


def class_codes(scores: np.ndarray, config: GradingConfig,
                groups: np.ndarray | None = None) -> np.ndarray:
    """Each score's class (position in :data:`GRADE_LABELS`) by the configured method.

    *groups* are the rows' parks for ``method = "percentile"`` (None: one group).
    """
    if config.method == "percentile":
        return percentile_codes(scores, groups, config)
    return grade_codes(scores, config)


def _weighted(config: GradingConfig) -> list[str]:
    return [k for k, w in config.weights.items() if w > 0]


def _entry_checks(config: GradingConfig) -> list[tuple[str, str, str, str]]:
    """(ok column, per-mu value column, threshold column, label) of each entry check."""
    basis_col = INVESTMENT_BASES[config.entry["investment_basis"]]
    return [
        ("entry_investment_ok", "entry_investment_wan_per_mu",
         ENTRY_MIN_COLUMNS["investment_wan_per_mu"], f"{basis_col} per mu"),
        ("entry_output_ok", "output_wan_per_mu", ENTRY_MIN_COLUMNS["output_wan_per_mu"],
         "output per mu"),
        ("entry_tax_ok", "tax_wan_per_mu", ENTRY_MIN_COLUMNS["tax_wan_per_mu"], "tax per mu"),
    ]


def park_codes(park_ids: object) -> tuple[np.ndarray, list[Any]]:
    """Each row's park as a position in the returned park ids (−1: no park).

    The engine's categorical park column gives its own codes as they are (int8 for a
    few parks: numpy indexes with them without a copy of a province's rows as intp, and
    nothing is factorized again); any other column is factorized.
    """
    import pandas as pd

    if isinstance(getattr(park_ids, "dtype", None), pd.CategoricalDtype):
        cat = pd.Categorical(park_ids)
        return np.asarray(cat.codes), list(cat.categories)
    ids = (park_ids if isinstance(park_ids, pd.Series)
           else pd.Series(park_ids if park_ids is not None else [], dtype=object))
    codes, uniques = pd.factorize(ids)
    return codes, list(uniques)


def entry_thresholds(park_ids: object, config: GradingConfig) -> dict[str, np.ndarray]:
    """Each row's entry thresholds (万元/亩) by its park: ``{threshold column: array}``.

    A park without ``[entry.parks.<park_id>]`` (or a row without a park) has NaN:
    its entry checks are unknown, not failed.
    """
    codes, uniques = park_codes(park_ids)
    parks = config.entry["parks"]
    out = {}
    for k, col in ENTRY_MIN_COLUMNS.items():
        per_park = np.array([parks[u][k] if u in parks else np.nan for u in uniques]
                            + [np.nan], dtype="float64")
        out[col] = per_park[codes]  # code −1 (no park): the trailing NaN
    return out


#: Python values of the entry columns by code: False, True, None (unknown).
_FLAG_VALUES = np.array([False, True, None], dtype=object)
#: Codes of :func:`entry_codes` (positions in ``_FLAG_VALUES``).
ENTRY_FAIL, ENTRY_PASS, ENTRY_UNKNOWN = 0, 1, 2


def _ok_codes(vals: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """``value ≥ threshold`` coded 1 (met) or 0, 2 where value or threshold is NaN (unknown)."""
    # NaN is never ≥, so its code is 0 + 2.
    return ((vals >= threshold).view(np.int8)
            + np.int8(ENTRY_UNKNOWN) * (np.isnan(vals) | np.isnan(threshold)))


def _failed(vals: np.ndarray, threshold: np.ndarray) -> np.ndarray:
    """Known values not meeting a known *threshold* (NaN: unknown, not failed)."""
    return vals < threshold  # False for NaN


def entry_codes(scored: pd.DataFrame | dict[str, np.ndarray],
                config: GradingConfig) -> np.ndarray:
    """``entry_pass`` of each row as a code: :data:`ENTRY_FAIL`, ``_PASS`` or ``_UNKNOWN``.

    Parameters
    ----------
    scored : pandas.DataFrame or dict
        The per-mu value columns of :func:`score_table` (万元/亩).
    config : GradingConfig

    Returns
    -------
    numpy.ndarray of int8
        Fail where a known value is below its threshold, else unknown where a
        value is NaN, else pass.
    """
    fails = unknown = None
    for _ok, val_col, min_col, _label in _entry_checks(config):
        vals = np.asarray(scored[val_col], dtype="float64")
        threshold = np.asarray(scored[min_col], dtype="float64")
        f, u = _failed(vals, threshold), np.isnan(vals) | np.isnan(threshold)
        fails, unknown = (f, u) if fails is None else (fails | f, unknown | u)
    # Arithmetic rather than np.where, which branches on every row: fail 0, else 1 + unknown.
    return (np.int8(1) + unknown.view(np.int8)) * ~fails


def score_values(table: pd.DataFrame, config: GradingConfig, *,
                 rank_by_park: bool = True) -> dict[str, np.ndarray]:
    """The numbers of :func:`score_table`, without the table.

    Parameters
    ----------
    table : pandas.DataFrame
        As for :func:`score_table`.
    config : GradingConfig

    Returns
    -------
    dict
        ``area_mu`` (mu), the per-mu values of :data:`GRADING_INDICATORS`,
        ``score``, ``entry_investment_wan_per_mu`` and the park's entry
        thresholds :data:`ENTRY_MIN_COLUMNS` (万元/亩): float64 arrays in the
        table's row order; ``grade_code``, each row's class
        (:func:`class_codes`, ranked within ``park_id`` when by percentile and
        *rank_by_park*, else among all rows).
    """
    n = len(table)
    area_mu = np.array(_num(table, "area_mu"))  # a copy: the score table's column
    values = {"area_mu": area_mu}
    for key, (col, _zh, _en) in GRADING_INDICATORS.items():
        values[key] = np.asarray(metrics.wan_yuan_per_mu(_num(table, col), area_mu), dtype=float)
    score = np.zeros(n)
    ratio = np.empty(n)  # one buffer for every term: fresh million-row arrays cost page faults
    for k in _weighted(config):
        np.divide(values[k], config.benchmarks[k], out=ratio)
        np.minimum(ratio, config.cap, out=ratio)
        ratio *= config.weights[k]
        score += ratio  # NaN propagates: not graded
    values["score"] = score
    basis_col = INVESTMENT_BASES[config.entry["investment_basis"]]
    values["entry_investment_wan_per_mu"] = np.asarray(
        metrics.wan_yuan_per_mu(_num(table, basis_col), area_mu), dtype=float)
    park = table["park_id"] if "park_id" in table.columns else None
    values.update(entry_thresholds(park if park is not None else [None] * n, config))
    groups = None
    if config.method == "percentile" and park is not None and rank_by_park:
        groups = park_codes(park)[0]  # rows of no park: a group of their own (−1)
    values["grade_code"] = class_codes(score, config, groups)
    return values


def score_table(table: pd.DataFrame, config: GradingConfig, *, reasons: bool = True,
                values: dict[str, np.ndarray] | None = None,
                rank_by_park: bool = True) -> pd.DataFrame:
    """Per-mu values, score, grade and entry checks for rows holding yuan amounts.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows with ``area_mu`` (mu) and any of ``tax_yuan``, ``output_yuan``,
        ``invested_yuan``, ``agreed_investment_yuan`` (yuan).
    config : GradingConfig
        Weights, benchmarks, cap, cut-offs, entry thresholds.
    reasons : bool, default True
        Write the ``grade_reason`` and ``entry_reason`` texts. False leaves them
        None and marks the table (:func:`reasons_pending`) for
        :func:`add_reasons` to fill later: the texts cost more than the grading
        itself on big tables, and per-park reports do not show them.
    values : dict, optional
        :func:`score_values` of *table* and *config*, if already computed; the
        table takes its arrays (no copy).
    rank_by_park : bool, default True
        Percentile classes ranked within each ``park_id`` (else among all rows).

    Returns
    -------
    pandas.DataFrame
        Same index, columns :data:`GRADE_COLUMNS`. Per-mu values are 万元/亩.
    """
    import pandas as pd

    n = len(table)
    values = (score_values(table, config, rank_by_park=rank_by_park) if values is None
              else values)
    cols: dict[str, object] = {k: values[k] for k in ("area_mu", *GRADING_INDICATORS, "score")}
    # The labels' own array taken by code: the column type a list of labels would get.
    cols["grade"] = (pd.Series(list(GRADE_LABELS)).array.take(values["grade_code"])
                     if n else [])
    cols["grade_reason"] = [] if not n else None
    cols["entry_investment_wan_per_mu"] = values["entry_investment_wan_per_mu"]
    for col in ENTRY_MIN_COLUMNS.values():
        cols[col] = values[col]
    for ok_col, val_col, min_col, _label in _entry_checks(config):
        cols[ok_col] = _FLAG_VALUES[_ok_codes(cols[val_col], cols[min_col])]
    cols["entry_pass"] = _FLAG_VALUES[entry_codes(cols, config)]
    cols["entry_reason"] = [] if not n else None
    # One frame of the arrays as they are: setting columns one by one copies each.
    out = pd.DataFrame(cols, index=table.index, copy=False)
    out.attrs[_PENDING] = True
    if reasons:
        add_reasons(out, config)
    return out


#: ``DataFrame.attrs`` key marking a table whose reason texts are still to be written.
_PENDING = "qygeo_grading_reasons_pending"


def reasons_pending(scored: pd.DataFrame) -> bool:
    """Whether *scored* was built with ``reasons=False`` and not yet completed."""
    return bool(scored.attrs.get(_PENDING, False))


def _pct(text: str) -> str:
    """*text* as fixed text of a %-format template."""
    return text.replace("%", "%%")


def add_reasons(scored: pd.DataFrame, config: GradingConfig) -> pd.DataFrame:
    """Write ``grade_reason`` and ``entry_reason`` into a :func:`score_table` result, in place.

    The texts follow from the table's own columns: ``land area unknown`` where
    ``area_mu`` is not > 0; ``not graded (不定等级): no …`` naming the weighted
    inputs that are missing; else the score as the sum of its weighted terms, a term held
    at the cap written ``min(value/benchmark, cap)×weight``.
    Entry: the failed checks with their values, else the unknown ones, else
    ``meets every entry threshold``. Rows sharing a text pattern are formatted
    together; only rows that print numbers are formatted one by one.

    Returns
    -------
    pandas.DataFrame
        *scored*, with the reasons written.
    """
    n = len(scored)
    if not n:
        scored["grade_reason"] = []
        scored["entry_reason"] = []
        scored.attrs.pop(_PENDING, None)
        return scored
    weighted = _weighted(config)
    area_ok = scored["area_mu"].to_numpy() > 0
    vals = {k: scored[k].to_numpy() for k in weighted}
    # Missing weighted inputs as a bit pattern: each pattern has one fixed text.
    pattern = np.zeros(n, dtype=np.int64)
    for bit, k in enumerate(weighted):
        pattern |= np.isnan(vals[k]).astype(np.int64) << bit
    reason = np.empty(n, dtype=object)
    for p in np.unique(pattern[area_ok & (pattern > 0)]):
        missing = [GRADING_INDICATORS[k][0] for bit, k in enumerate(weighted) if p >> bit & 1]
        reason[area_ok & (pattern == p)] = (f"not graded (不定等级): no {', '.join(missing)} "
                                            "(not producing or not reported)")
    scored_rows = np.flatnonzero(area_ok & (pattern == 0))
    if len(scored_rows):
        # The terms held at the cap, as a bit pattern: a capped term reads min(…, cap), so
        # the terms add up to the score.
        capped = np.zeros(len(scored_rows), dtype=np.int64)
        with np.errstate(invalid="ignore"):
            for bit, k in enumerate(weighted):
                capped |= (vals[k][scored_rows] / config.benchmarks[k] > config.cap
                           ).astype(np.int64) << bit
        columns = [scored["score"].to_numpy()[scored_rows]]
        columns += [vals[k][scored_rows] for k in weighted]
        texts = np.empty(len(scored_rows), dtype=object)
        for p in np.unique(capped):
            # "%.1f" % x is format(x, ".1f"), a little faster; fixed text has its % doubled.
            template = "score %.1f = " + " + ".join(
                _pct(f"{k} min(") + "%.1f" + _pct(f"/{config.benchmarks[k]:g}, "
                                                  f"{config.cap:g})×{config.weights[k]:g}")
                if p >> bit & 1 else
                _pct(f"{k} ") + "%.1f" + _pct(f"/{config.benchmarks[k]:g}×{config.weights[k]:g}")
                for bit, k in enumerate(weighted))
            mine = np.flatnonzero(capped == p)
            texts[mine] = [template % row for row in zip(*(c[mine].tolist() for c in columns),
                                                         strict=True)]
        reason[scored_rows] = texts
    unranked = np.flatnonzero(area_ok & (pattern == 0)
                              & (scored["grade"].to_numpy(dtype=object) == NOT_GRADED))
    for i in unranked:  # percentile classes: too few graded plots in the park to rank
        reason[i] += (f"; not classed: fewer than {config.percentile_min_ranked} graded "
                      "plots in the park to rank by percentile")
    reason[~area_ok] = "land area unknown"
    scored["grade_reason"] = reason

    checks = _entry_checks(config)
    values = [scored[val_col].to_numpy() for _ok, val_col, _thr, _label in checks]
    limits = [scored[min_col].to_numpy(dtype="float64") for _ok, _v, min_col, _l in checks]
    failed = [_failed(v, thr) for v, thr in zip(values, limits, strict=True)]
    fail_pattern = np.zeros(n, dtype=np.int64)
    unknown_pattern = np.zeros(n, dtype=np.int64)
    for bit, (v, f, thr) in enumerate(zip(values, failed, limits, strict=True)):
        fail_pattern |= f.astype(np.int64) << bit
        unknown_pattern |= (np.isnan(v) | np.isnan(thr)).astype(np.int64) << bit
    entry = np.empty(n, dtype=object)
    entry[fail_pattern == 0] = "meets every entry threshold"
    for p in np.unique(unknown_pattern[(fail_pattern == 0) & (unknown_pattern > 0)]):
        labels = [label for bit, (_o, _c, _t, label) in enumerate(checks) if p >> bit & 1]
        entry[(fail_pattern == 0) & (unknown_pattern == p)] = "unknown: " + ", ".join(labels)
    no_scheme = np.isnan(limits[0]) & np.isnan(limits[1]) & np.isnan(limits[2])
    entry[no_scheme] = "no entry thresholds for this park"
    for p in np.unique(fail_pattern[fail_pattern > 0]):
        bits = [bit for bit in range(len(checks)) if p >> bit & 1]
        template = "below entry threshold: " + "; ".join(
            _pct(checks[b][3]) + " %.1f < %g" for b in bits)
        rows = np.flatnonzero(fail_pattern == p)
        columns = [c for b in bits for c in (values[b][rows].tolist(), limits[b][rows].tolist())]
        entry[rows] = [template % row for row in zip(*columns, strict=True)]
    scored["entry_reason"] = entry
    scored.attrs.pop(_PENDING, None)
    return scored


def grade_plots(plots: pd.DataFrame, config: GradingConfig, *, reasons: bool = True,
                values: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Grade each plot (see the module docstring for the formula).

    Parameters
    ----------
    plots : pandas.DataFrame
        The report's plot table: ``plot_id``, ``area_mu`` and the money
        columns of the plots contract (any may be missing).
    config : GradingConfig
    reasons : bool, default True
        Write the reason texts now (see :func:`score_table`).
    values : dict, optional
        :func:`score_values` of *plots* and *config*, if already computed.

    Returns
    -------
    pandas.DataFrame
        ``plot_id``, ``park_id``, ``enterprise``, then :data:`GRADE_COLUMNS`.
    """
    import pandas as pd

    ids = pd.DataFrame(index=plots.index)
    for c in ("plot_id", "park_id", "enterprise"):
        ids[c] = plots[c] if c in plots.columns else None
    scored = score_table(plots, config, reasons=reasons, values=values)
    out = pd.concat([ids, scored], axis=1).reset_index(drop=True)
    out.attrs = dict(scored.attrs)
    return out


#: Amounts summed per enterprise by :func:`grade_enterprises` (mu and yuan).
ENTERPRISE_SUMS = ["area_mu", "tax_yuan", "output_yuan", "invested_yuan",
                   "agreed_investment_yuan"]


def _group_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Σ of each group's run ``values[start:start+size]`` (NaN if any is NaN).

    Each group is summed as one row of a C-contiguous matrix, which numpy adds
    exactly as it adds a Series of that group alone (pairwise), so the sums are
    bit for bit those of ``Series.sum`` per group.
    """
    out = np.empty(len(starts), dtype="float64")
    for size in np.unique(sizes):
        g = np.flatnonzero(sizes == size)
        out[g] = values[starts[g, None] + np.arange(size)].sum(axis=1)
    return out


def _joined(ids: pd.Series, rows: np.ndarray, starts: np.ndarray,
            sizes: np.ndarray) -> list[str]:
    """``;``-join of ``ids[rows[start:start+size]]`` for each group (in Arrow when it can)."""
    import pandas as pd

    dtype = ids.dtype
    if (isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"
            and not ids.isna().any()):
        import pyarrow as pa
        import pyarrow.compute as pc

        values = pa.array(ids.array)
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        offsets = pa.array(np.r_[starts, len(rows)].astype(np.int64))
        lists = pa.LargeListArray.from_arrays(offsets, values.take(pa.array(rows)))
        return pc.binary_join(lists, pa.scalar(";", values.type)).to_pylist()
    texts = ids.to_numpy(dtype=object)[rows].tolist()
    return [";".join(texts[a:a + k]) for a, k in zip(starts.tolist(), sizes.tolist(), strict=True)]


def grade_enterprises(plots: pd.DataFrame, config: GradingConfig, *,
                      reasons: bool = True) -> pd.DataFrame:
    """Grade each enterprise on all its plots together (amounts and land summed).

    An amount is n/a for the enterprise if any of its plots lacks it (a
    partial sum would understate it). Plots without ``enterprise`` are left out.

    Parameters
    ----------
    plots : pandas.DataFrame
        The report's plot table: ``enterprise``, ``plot_id`` and the columns
        of :data:`ENTERPRISE_SUMS` (mu, yuan; any may be missing).
    config : GradingConfig
    reasons : bool, default True
        Write the reason texts now (see :func:`score_table`).

    Returns
    -------
    pandas.DataFrame
        ``enterprise``, ``plot_count``, ``plot_ids`` (``;``-joined, in table
        order), then :data:`GRADE_COLUMNS`; one row per enterprise, sorted by
        name.
    """
    import pandas as pd

    empty = pd.DataFrame(columns=["enterprise", "plot_count", "plot_ids", *GRADE_COLUMNS])
    if "enterprise" not in plots.columns or not len(plots):
        return empty
    codes, uniques = pd.factorize(plots["enterprise"], sort=False)  # missing names: -1
    # Names that are blank once stripped are no name either.
    blank = np.array([str(u).strip() == "" for u in uniques], dtype=bool)
    rank = np.empty(len(uniques), dtype=np.int64)
    rank[np.asarray(uniques.argsort())] = np.arange(len(uniques))  # groups sorted by name
    named = codes >= 0
    named[named] = ~blank[codes[named]]
    if not named.any():
        return empty
    rows = np.flatnonzero(named)
    group = rank[codes[rows]]
    # Table order kept within a group; the smallest integer type sorts by radix (fast).
    order = np.argsort(group.astype(np.min_scalar_type(len(uniques))), kind="stable")
    rows, group = rows[order], group[order]
    first = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[first, len(rows)])
    names = np.asarray(uniques, dtype=object)[np.argsort(rank)][group[first]]
    agg = pd.DataFrame({"enterprise": names, "plot_count": sizes.astype("int64")})
    if "plot_id" in plots.columns:
        agg["plot_ids"] = _joined(plots["plot_id"].astype(str), rows, first, sizes)
    else:
        agg["plot_ids"] = ""
    for c in ENTERPRISE_SUMS:
        if c not in plots.columns:
            agg[c] = np.nan
            continue
        v = pd.to_numeric(plots[c], errors="coerce")
        if v.dtype.kind in "iu":  # integers: exact in any order, as pandas sums them
            agg[c] = np.add.reduceat(v.to_numpy()[rows], first).astype("float64")
        else:
            agg[c] = _group_sums(v.to_numpy(dtype="float64")[rows], first, sizes)
    if "park_id" in plots.columns:
        # An enterprise's entry thresholds are its park's when all its plots lie in one park.
        pcodes = pd.factorize(plots["park_id"])[0][rows]
        uniform = np.minimum.reduceat(pcodes, first) == np.maximum.reduceat(pcodes, first)
        agg["park_id"] = np.where(uniform, plots["park_id"].to_numpy(dtype=object)[rows[first]],
                                  None)
    # Percentile classes rank enterprises among all enterprises (they may span parks).
    scored = score_table(agg, config, reasons=reasons, rank_by_park=False)
    out = pd.concat([agg[["enterprise", "plot_count", "plot_ids"]], scored], axis=1)
    out.attrs = dict(scored.attrs)
    return out


def grade_counts(grades: object) -> dict[str, int]:
    """``{"A": n, "B": n, "C": n, "D": n}`` over an iterable of grades (``n/a`` not counted)."""
    import pandas as pd

    if not isinstance(grades, pd.Series):
        vals = grades if isinstance(grades, np.ndarray) else list(grades)
        grades = pd.Series(vals, dtype=object)
    counts = grades.value_counts() if len(grades) else {}
    return {g: int(counts.get(g, 0)) for g in GRADES}


#: Plots graded at a time by :func:`park_outcome_counts`.
GRADED_ROWS = 1 << 18


def park_outcome_counts(table: pd.DataFrame, config: GradingConfig, groups: np.ndarray,
                        n_groups: int) -> tuple[dict[str, np.ndarray] | None, np.ndarray]:
    """:func:`outcome_counts` of the :func:`score_values` of *table*, and those values
    when they were made for the whole table.

    By cut-offs each plot's grade is its own: a province's plots are graded
    :data:`GRADED_ROWS` at a time and only counted (values None), so no column of
    every plot is made: each fresh column of ten million plots is 80 MB the kernel
    faults in, and the counts need none. Ranked by percentile within parks, the
    table is graded whole.
    """
    n = len(table)
    if config.method == "percentile" or n <= GRADED_ROWS:
        values = score_values(table, config)
        return values, outcome_counts(values, config, groups, n_groups)
    counts = np.zeros((n_groups, len(OUTCOME_COLUMNS)), dtype=np.int64)
    for lo in range(0, n, GRADED_ROWS):
        part = slice(lo, lo + GRADED_ROWS)
        counts += outcome_counts(score_values(table.iloc[part], config), config,
                                 np.asarray(groups)[part], n_groups)
    return None, counts


#: Columns of :func:`outcome_counts`: plots of each grade (``n/a`` first), then of each
#: entry outcome (``entry_pass`` False, True, None).
OUTCOME_COLUMNS = (*GRADE_LABELS, "entry_fail", "entry_pass", "entry_unknown")


def _label_codes(grades: object) -> np.ndarray:
    """Grade labels (``A``…``D``, ``n/a``) as positions in :data:`GRADE_LABELS`."""
    import pandas as pd

    return pd.Categorical(np.asarray(grades, dtype=object),
                          categories=list(GRADE_LABELS)).codes.astype(np.int8)


def outcome_counts(graded: pd.DataFrame | dict[str, np.ndarray], config: GradingConfig,
                   groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Plots of each group by grade and by entry outcome, counted in one pass.

    Parameters
    ----------
    graded : pandas.DataFrame or dict
        A :func:`score_table` (or :func:`grade_plots`) result, or the
        :func:`score_values` it is made of.
    config : GradingConfig
        The configuration it was graded with.
    groups : numpy.ndarray of int
        Each row's group, 0 … *n_groups* − 1, or −1 (in no group: not counted).
    n_groups : int

    Returns
    -------
    numpy.ndarray of int64
        Shape ``(n_groups, len(OUTCOME_COLUMNS))``.
    """
    k = len(GRADE_LABELS)
    # One bincount of (group, grade, entry outcome); slot 0: rows of no group, dropped below.
    # In the smallest integer type that holds them (fewer bytes to write).
    combined = np.asarray(groups).astype(np.min_scalar_type(-(n_groups + 1) * k * 3))
    combined += 1
    combined *= k
    codes = (graded["grade_code"] if isinstance(graded, dict) and "grade_code" in graded
             else _label_codes(graded["grade"]) if "grade" in graded
             else grade_codes(graded["score"], config))
    combined += codes
    combined *= 3
    combined += entry_codes(graded, config)
    counts = np.bincount(combined, minlength=(n_groups + 1) * k * 3).reshape(
        n_groups + 1, k, 3)[1:]
    return np.hstack([counts.sum(axis=2), counts.sum(axis=1)])
