"""Land-use efficiency evaluation of a built report: indicators, grades, targets, trends.

:func:`evaluate` runs, on the parks and plots of a report, the evaluations the
land and industry administrations use: the TD/T 1029 indicators
(:mod:`qygeo.core.indicators`), the 亩均 grading and entry checks
(:mod:`qygeo.core.grading`), the targets and trends (:mod:`qygeo.core.trends`) and the
check of a stored idle flag against the MLR No. 53 rule (:mod:`qygeo.core.idle`).
It only assembles; every formula is in those modules.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.core import indicators as ind_mod
from qygeo.core import metrics, trends
from qygeo.core.config import GRADES, GradingConfig
from qygeo.core.grading import (
    OUTCOME_COLUMNS,
    add_reasons,
    grade_enterprises,
    grade_plots,
    park_codes,
    park_outcome_counts,
    reasons_pending,
)
from qygeo.core.idle import check_stored_idle

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import pandas as pd

    from qygeo.io.dataset import Dataset

INVESTMENT_TARGET = "key_park_land_investment_intensity_target"
OUTPUT_TARGET = "key_park_land_output_intensity_target"


@dataclass
class Evaluation:
    """The evaluation tables of a report.

    Attributes
    ----------
    indicators : pandas.DataFrame
        Long: ``park_id, indicator, name_zh, name_en, value, guangdong_2019, unit,
        status, basis`` (``guangdong_2019``: Guangdong's 2019 development-zone
        figure from ``attributes/targets.csv``, NaN where none).
    grading : pandas.DataFrame
        One row per plot (:func:`qygeo.core.grading.grade_plots`). Given as a
        callable, the table is built on first access; its reason texts are
        written then when it was built without them
        (:func:`qygeo.core.grading.reasons_pending`): a per-park report of a
        million plots never reads either.
    enterprises : pandas.DataFrame
        One row per enterprise (:func:`qygeo.core.grading.grade_enterprises`), the
        same way.
    targets : pandas.DataFrame
        One row per park and target (:func:`qygeo.core.trends.target_table`).
    trends : pandas.DataFrame
        Yearly park figures (:func:`qygeo.core.trends.trend_table`).
    idle_check : pandas.DataFrame
        Stored idle flags that disagree with the rule.
    park_columns : dict
        park_id → extra report columns (grade counts, gaps, growth, indicators).
    config : GradingConfig
    """

    indicators: pd.DataFrame
    grading: pd.DataFrame
    enterprises: pd.DataFrame
    targets: pd.DataFrame
    trends: pd.DataFrame
    idle_check: pd.DataFrame
    config: GradingConfig
    park_columns: dict[str, dict[str, Any]] = field(default_factory=dict)


def _completed_table(name: str) -> property:
    """A table attribute of :class:`Evaluation` built and given its reason texts when read."""
    def get(self: Evaluation) -> pd.DataFrame:
        table = self.__dict__[name]
        if callable(table):  # a DataFrame is not
            table = self.__dict__[name] = table()
        if reasons_pending(table):
            add_reasons(table, self.config)
        return table

    def set_(self: Evaluation, table: pd.DataFrame) -> None:
        self.__dict__[name] = table

    return property(get, set_)


# After @dataclass (which would take a class-level property for a default value).
Evaluation.grading = _completed_table("grading")  # type: ignore[method-assign,assignment]
Evaluation.enterprises = _completed_table("enterprises")  # type: ignore[method-assign,assignment]


def _park_attrs(ds: Dataset, park_ids: list[str], year: int | None) -> dict[str, dict[str, Any]]:
    """Each park's attributes: parks layer, then the present park_stats figures of *year*.

    A park's first row of each table counts.
    """
    import pandas as pd

    parks = pd.DataFrame(ds.parks.drop(columns=[ds.parks.geometry.name]))
    st = ds.park_stats
    stats = st[st["year"] == year] if year is not None and len(st) else st.iloc[0:0]
    first: dict[str, int] = {}
    first_stats: dict[str, int] = {}
    for pos, pid in enumerate(parks["park_id"]):
        first.setdefault(pid, pos)
    for pos, pid in enumerate(stats["park_id"]):
        first_stats.setdefault(pid, pos)
    out: dict[str, dict[str, Any]] = {}
    for pid in park_ids:
        attrs: dict[str, Any] = {}
        if pid in first:
            attrs.update(parks.iloc[first[pid]].to_dict())
        if pid in first_stats:
            attrs.update({k: v for k, v in stats.iloc[first_stats[pid]].to_dict().items()
                          if v is not None and not (isinstance(v, float) and math.isnan(v))})
        out[pid] = attrs
    return out


def _park_codes(plots: pd.DataFrame, parks: pd.DataFrame, members: dict[str, set[str]]
                ) -> tuple[np.ndarray, pd.Index, list[list[int]]]:
    """Each plot's park code (−1: none), the park ids of the codes, and each report park's
    member codes (itself and its nested parks)."""
    import pandas as pd

    if len(plots) and "park_id" in plots:
        codes, ids = park_codes(plots["park_id"])
        codes, park_ids = codes.astype(np.int64, copy=False), pd.Index(ids, dtype=object)
    else:
        codes, park_ids = np.full(len(plots), -1), pd.Index([])
    code_of = {pid: i for i, pid in enumerate(park_ids)}
    member_codes = [sorted(code_of[i] for i in members.get(pid, {pid}) if i in code_of)
                    for pid in parks["park_id"]]
    return codes, park_ids, member_codes


def _report_plots(plots: pd.DataFrame, codes: np.ndarray, member_codes: list[list[int]]
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """The plots of the report's parks (and their codes), in table order.

    The whole table when they are most of it: taking them out would copy more than it saves.
    """
    if not len(codes):
        return plots, codes
    top = max([int(codes.max()), *(max(mine) for mine in member_codes if mine)])
    wanted = np.zeros(top + 2, dtype=bool)  # slot 0: plots of no park
    for mine in member_codes:
        wanted[np.asarray(mine, dtype=np.intp) + 1] = True
    keep = wanted[codes + 1]
    kept = int(np.count_nonzero(keep))
    if 2 * kept >= len(codes):
        return plots, codes
    if not plots.columns.is_unique:
        return plots.loc[keep].reset_index(drop=True), codes[keep]
    import pandas as pd

    rows = np.flatnonzero(keep)

    def taken(values: Any) -> Any:
        # Arrow text is filtered chunk by chunk with the mask (taking positions from it,
        # as the frame's own indexing does, joins a province's chunks first); numpy-backed
        # columns are taken at the few positions.
        return (values[keep] if isinstance(values, pd.arrays.ArrowExtensionArray)
                else values.take(rows))

    return pd.DataFrame({c: taken(plots[c].array) for c in plots.columns}, copy=False), codes[rows]


def contracted_after(plots: pd.DataFrame, end: dt.date) -> tuple[np.ndarray, np.ndarray] | None:
    """Which plots were contracted after *end* and which have no contract date, or None when
    no plot is contracted after *end*.

    The plots layer is as recorded, not as of a past date: a plot contracted
    (``contract_date``) after it was not yet land of its park then. None means the
    plots all fit the date and every one counts.

    Returns
    -------
    tuple of numpy.ndarray of bool or None
        ``(later, undated)``: contracted after *end*; no (readable) ``contract_date``,
        which might be either.
    """
    import pandas as pd

    if not len(plots) or "contract_date" not in plots.columns:
        return None
    signed = pd.to_datetime(plots["contract_date"], errors="coerce").to_numpy(
        dtype="datetime64[D]")
    later = signed > np.datetime64(end.isoformat(), "D")  # NaT: False
    if not later.any():
        return None
    return later, np.isnat(signed)


#: The indicators compared with targets → the plot column each sums (a plot with a figure
#: and no contract date might be of a past date or not).
_COMPARED_FIGURES = {"industrial_fai_intensity_wan_per_ha": "invested_yuan",
                     "industrial_tax_intensity_wan_per_ha": "tax_yuan",
                     "industrial_output_intensity_wan_per_ha": "output_yuan"}


def _compared_by_date(columns: ind_mod.PlotColumns, codes: np.ndarray,
                      member_codes: list[list[int]], report_ids: list[str],
                      split: tuple[np.ndarray, np.ndarray], as_of: dt.date,
                      **indicator_args: Any) -> pd.DataFrame:
    """The indicators compared with targets over the plots contracted by *as_of* only.

    A park with a plot that has no contract date and would enter the figure (it has the
    summed figure, or its land may be built industrial land, the denominator) gets n/a:
    whether it counts is unknown, and the note names such a plot. Columns ``park_id,
    indicator, value, status, lower_bound, reason``.
    """
    import pandas as pd

    later, undated = split
    keep = ~later & ~undated
    sets = ind_mod.park_indicator_sets(columns.subset(keep),
                                       ind_mod.ParkRows.of(codes[keep], member_codes),
                                       as_of=as_of, **indicator_args)
    size = max([int(codes.max(initial=-1)), *(max(m, default=-1) for m in member_codes)]) + 1
    rows = []
    in_land = ind_mod.may_be_industrial_built(columns)
    ids = columns.plots["plot_id"].to_numpy() if columns.has("plot_id") else None
    for key, col in _COMPARED_FIGURES.items():
        has = (~np.isnan(columns.num(col)) if columns.has(col)
               else np.zeros(len(codes), dtype=bool))
        doubt = undated & (has | in_land) & (codes >= 0)
        counts = np.bincount(codes[doubt], minlength=size)
        for pid, values, mine in zip(report_ids, sets, member_codes, strict=True):
            v = values[key]
            n = int(counts[mine].sum())
            if n:
                first = np.flatnonzero(doubt & np.isin(codes, mine))[0]
                plot = f"plot {ids[first]}" if ids is not None else "a plot"
                rows.append((pid, key, None, ind_mod.STATUS_NA, False,
                             f"{plot} has no contract_date ({n} such): whether it was the "
                             f"park's land by {as_of.isoformat()} is unknown"))
            else:
                rows.append((pid, key, v.value, v.status, v.lower_bound, None))
    return pd.DataFrame(rows, columns=["park_id", "indicator", "value", "status", "lower_bound",
                                       "reason"])


def evaluate(ds: Dataset, parks: pd.DataFrame, plots: pd.DataFrame, *, year: int | None,
             as_of_year: int, config: GradingConfig,
             as_of: dt.date | None = None) -> Evaluation:
    """Evaluate the parks of a report.

    Parameters
    ----------
    ds : Dataset
        The loaded data folder (park attributes, park_stats, targets).
    parks : pandas.DataFrame
        The report's park table (``park_id``, ``area_km2``, intensities).
    plots : pandas.DataFrame
        The report's plot table (``park_id``, ``area_m2``, ``area_mu``, idle
        columns, the plots contract's columns).
    year : int or None
        Report year (park_stats): the base year of the growth needed by the targets
        compared with park_stats figures.
    as_of_year : int
        Year of the idle classification date: the base year of the growth needed by
        the targets compared with plot-based indicators.
    config : GradingConfig
    as_of : datetime.date, optional
        The idle classification date: disposals dated after it are not counted.
    """
    import pandas as pd

    members = metrics.park_descendants(ds.parks)
    # The per-plot and per-enterprise tables (and their reason texts) are built when first
    # read (Evaluation.grading): of the grading, the park columns need the numbers only.
    # They are built from a copy of the table as it is now (pandas copies on write).
    source = (plots.copy(deep=False) if len(plots)
              else pd.DataFrame(columns=["plot_id", "park_id", "area_mu"]))
    # Park ids coded once; each park's plots are those of its own code and its nested parks'.
    codes, park_ids, member_codes = _park_codes(plots, parks, members)
    report_ids = list(parks["park_id"])
    # The park figures read only the plots of the report's parks: when most plots lie
    # elsewhere (a city's plots, most outside every park), they are taken out first.
    in_parks, codes = _report_plots(plots, codes, member_codes)

    def grade() -> tuple[dict[str, np.ndarray] | None, np.ndarray]:
        # Grades are ranked within a park (rank_by_park), so other parks' rows change none.
        return park_outcome_counts(in_parks, config, codes, len(park_ids))  # per park code

    # The grading is counted on a second thread while the indicators are summed (numpy
    # releases the GIL).
    with ThreadPoolExecutor(1) as pool:
        grading = pool.submit(grade)
        attrs = _park_attrs(ds, report_ids, year)
        columns = ind_mod.PlotColumns(in_parks)
        indicator_args = {
            "park_area_m2": [float(a) * metrics.M2_PER_KM2 for a in parks["area_km2"]],
            "park_attrs": [attrs[pid] for pid in report_ids]}
        indicator_sets = ind_mod.park_indicator_sets(
            columns, ind_mod.ParkRows.of(codes, member_codes), as_of=as_of, **indicator_args)
        scores, counts = grading.result()
    # The per-plot table grades every plot: the scores are reused only when they cover them.
    reuse = scores is not None and in_parks is plots
    wanted = metrics.selected_members(ds.parks, report_ids)
    if wanted is not None and len(source) and "park_id" in source.columns:
        # A report of some parks lists their plots and enterprises only: a plot's grade
        # ranks within its park (as in the whole report); enterprises are graded on
        # these parks' plots.
        source = source[source["park_id"].astype(object).isin(wanted).to_numpy()]
        reuse = False
    graded = partial(grade_plots, source, config, reasons=False,
                     values=scores if reuse else None)
    enterprises = partial(grade_enterprises, source, config, reasons=False)
    # Idle plots with an Order No. 53 Art. 8 cause, counted apart (they are in the idle count).
    art8 = (np.bincount(codes[(in_parks["idle_status"] == "idle_art8").to_numpy(
        bool, na_value=False) & (codes >= 0)], minlength=len(park_ids))
            if len(in_parks) and "idle_status" in in_parks.columns
            else np.zeros(len(park_ids), int))
    ind_rows: list[dict[str, Any]] = []
    lower_bound: list[bool] = []  # beside the rows, for the targets only
    extra: dict[str, dict[str, Any]] = {}
    for pid, values, mine in zip(report_ids, indicator_sets, member_codes, strict=True):
        ind_rows += ind_mod.indicator_rows(pid, values)
        lower_bound += [v.lower_bound for v in values.values()]
        cols: dict[str, Any] = {k: (v.value if v.value is not None else math.nan)
                                for k, v in values.items()}
        # A partial value (a lower bound, or over part of the plots) is never shown bare.
        cols["indicator_status"] = "; ".join(
            f"{k}: {v.status}" for k, v in values.items() if v.status == ind_mod.STATUS_PARTIAL)
        count = dict(zip(OUTCOME_COLUMNS, counts[mine].sum(axis=0).tolist(), strict=True))
        cols["grade_counts"] = {g: count[g] for g in GRADES}
        cols["graded_plot_count"] = int(sum(cols["grade_counts"].values()))
        cols["entry_pass_count"] = count["entry_pass"]
        cols["entry_fail_count"] = count["entry_fail"]
        cols["idle_art8_plot_count"] = int(art8[mine].sum()) if mine else 0
        extra[pid] = cols
    indicators = pd.DataFrame(ind_rows, columns=["park_id", "indicator", "name_zh", "name_en",
                                                 "value", "unit", "status", "basis"])
    targets_src = trends.targets_or_default(getattr(ds, "targets", None))
    # Guangdong's 2019 development-zone evaluation beside each indicator it covers.
    guangdong = ind_mod.guangdong_figures(targets_src)
    indicators.insert(indicators.columns.get_loc("value") + 1, "guangdong_2019",
                      [guangdong.get(k, math.nan) for k in indicators["indicator"]])
    # Years left count from the date the plot-based indicators are of (cumulative
    # figures): the as-of date. A past --as-of compares the plots contracted by then
    # (their sums as recorded).
    split = contracted_after(in_parks, as_of) if as_of is not None else None
    compared = (indicators.assign(lower_bound=lower_bound) if split is None else _compared_by_date(
        columns, codes, member_codes, report_ids, split, as_of, **indicator_args))
    tt = trends.target_table(parks, compared, targets_src,
                             as_of=as_of if as_of is not None else as_of_year)
    # targets.csv is the one source of every target figure of the report: the park
    # table's target, gaps and growth all come from this table. The targets' gaps are in
    # 万元/公顷; the park columns are in yuan/km².
    found: dict[tuple[str, str], tuple[float, float, float]] = {}
    factor = trends.YUAN_PER_KM2_PER_TARGET_UNIT
    for pid, tid, gap, growth, value in zip(
            tt["park_id"], tt["target"], tt["gap"], tt["needed_annual_growth"],
            tt["target_value"], strict=True):
        found.setdefault((pid, tid), (float(gap * factor), float(growth), float(value * factor)))
    note = trends.basis_note(targets_src)
    for pid, cols in extra.items():
        cols["intensity_target_note"] = note
        for tid, prefix in ((INVESTMENT_TARGET, ""), (OUTPUT_TARGET, "output_")):
            gap, growth, value = found.get((pid, tid), (math.nan, math.nan, math.nan))
            cols[f"{prefix}target_gap_yuan_per_km2"] = gap
            cols[f"{prefix}required_annual_growth"] = growth
            if not prefix:  # the park's own intensity is on another basis: no gap to it
                cols["target_intensity_yuan_per_km2"] = value
    areas = dict(zip(parks["park_id"], parks["area_km2"].astype(float), strict=True))
    # Up to the report's year: a year of statistics added later joins the trends.
    tr = trends.trend_table(ds.park_stats, areas,
                            last_year=year if year is not None else as_of_year)
    idle_check = (check_stored_idle(plots, plots) if len(plots) and "idle_status" in plots
                  else check_stored_idle(pd.DataFrame(columns=["plot_id"]), pd.DataFrame()))
    return Evaluation(indicators=indicators, grading=graded, enterprises=enterprises,
                      targets=tt, trends=tr, idle_check=idle_check, config=config,
                      park_columns=extra)
