"""The per-park land-use report: assembling figures and formatting them.

:func:`build_report` puts together, per park, the areas and intensities from
:mod:`qygeo.core.metrics`, the idle plots from :mod:`qygeo.core.idle` and the figures of
``attributes/park_stats.csv``; the ``format_*`` functions only present them.

Which figure is which
---------------------
``investment_yuan``
    The park's ``signed_investment_yuan`` for the report year in
    ``attributes/park_stats.csv`` (cumulative signed investment, the figure the
    paper's intensity is based on); where the table has none, the sum of
    ``invested_yuan`` over the park's plots (``investment_basis`` says which).
``plot_investment_yuan``
    Always the sum of ``invested_yuan`` over the park's plots in the plots layer
    in use (a parent park includes its nested parks' plots).
``intensity_yuan_per_km2``
    ``investment_yuan / area_km2``, the park polygon's equal-area area.
``idle_plot_count``
    Plots idle by the MLR Order No. 53 rule (:mod:`qygeo.core.idle`), never by a
    flag stored in the data; a stored flag is only checked against the rule
    (``Report.idle_check``, and a warning).
``grade_counts``, ``target_gap_yuan_per_km2``, ``required_annual_growth``, indicators
    From :mod:`qygeo.pipeline.evaluation`: 亩均 grades A/B/C/D of the park's plots
    (:mod:`qygeo.core.grading`), the gap of the industrial-land fixed-asset investment
    intensity (``industrial_fai_intensity_wan_per_ha``, in yuan/km²) to the land
    investment intensity target of ``attributes/targets.csv`` and the yearly growth that
    closes it (:mod:`qygeo.core.trends`), and the TD/T 1029 indicators
    (:mod:`qygeo.core.indicators`). ``intensity_yuan_per_km2`` is investment ÷ gross
    park area, another basis: it gets no gap (``intensity_target_note`` says why).

Why over 800 lines: :data:`COLUMNS`, every report figure with its Chinese and English
label and unit (some 130 lines), sits beside the code that computes the figures, so
that a figure and its label change together; the rest is one pass over the parks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.core import metrics
from qygeo.errors import UnknownParkError
from qygeo.io.dataset import city_figure, planting_ids_of
from qygeo.io.layers import PARKS
from qygeo.values import present as _present

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from qygeo.core.config import GradingConfig
    from qygeo.core.join import JoinReport
    from qygeo.io.dataset import Dataset
    from qygeo.pipeline.evaluation import Evaluation
    from qygeo.pipeline.plot_table import PlotSummary

#: What the report's investment intensity is, by where its investment comes from.
SIGNED_BASIS = ("cumulative signed investment (签约投资, park_stats) ÷ gross park area; "
                "not land investment intensity")
PLOTS_BASIS = ("investment made on the plots (invested_yuan) ÷ gross park area; "
               "not land investment intensity")
#: The two numerators of an investment ÷ gross park area, as charts and maps name them.
INTENSITY_NUMERATORS = {
    "signed": ("签约投资 ÷ 园区毛面积", "Signed investment (park_stats) ÷ gross park area"),
    "plots": ("地块已投资 ÷ 园区毛面积",
              "Investment made on the plots (invested_yuan) ÷ gross park area"),
}


def intensity_numerator(basis: object) -> str | None:
    """Which investment a park's ``intensity_basis`` divides by its gross area: ``"signed"``
    (park_stats), ``"plots"`` (the plots' invested_yuan) or None (n/a). The two are other
    bases: a chart or a colour scale that ranks parks keeps them apart or says which."""
    text = str(basis) if isinstance(basis, str) else ""
    if text.startswith(SIGNED_BASIS):
        return "signed"
    if text.startswith(PLOTS_BASIS):
        return "plots"
    return None


#: city_stats.csv indicator of the growth actually achieved, shown beside growth needed.
ACHIEVED_GROWTH_INDICATOR = "biomedical_output_average_annual_growth"

#: Report columns in order: (key, 中文, English, unit). JSON uses the keys.
COLUMNS: list[tuple[str, str, str, str]] = [
    ("park_id", "园区编号", "Park id", ""),
    ("name_zh", "园区名称", "Name (Chinese)", ""),
    ("name_en", "英文名称", "Name (English)", ""),
    ("district_adcode", "行政区划代码", "District adcode", ""),
    ("district_name_zh", "所在区县", "District", ""),
    ("district_name_en", "所在区县（英）", "District (English)", ""),
    ("kind", "类型", "Kind", ""),
    ("boundary_quality", "边界质量", "Boundary quality", ""),
    ("year", "年份", "Year", ""),
    ("area_km2", "面积", "Area", "km²"),
    ("area_ha", "面积", "Area", "ha"),
    ("area_mu", "面积", "Area", "亩 mu"),
    ("investment_yuan", "投资额", "Investment", "元 yuan"),
    ("investment_basis", "投资额口径", "Investment basis", ""),
    ("figures_status", "数据性质", "Figures status (actual/estimate)", ""),
    ("intensity_basis", "强度口径", "Intensity basis", ""),
    ("intensity_yuan_per_km2", "投资强度（园区毛面积）",
     "Investment intensity on gross park area (not land investment intensity)", "元/km²"),
    ("intensity_yi_per_km2", "投资强度（园区毛面积）",
     "Investment intensity on gross park area (not land investment intensity)", "亿元/km²"),
    ("intensity_wan_per_mu", "投资强度（园区毛面积）",
     "Investment intensity on gross park area (not land investment intensity)", "万元/亩"),
    ("reported_intensity_yuan_per_km2", "文献投资强度", "Reported intensity (paper)", "元/km²"),
    ("intensity_difference_yuan_per_km2", "计算−文献", "Computed − reported", "元/km²"),
    # Labels name no target year: targets.csv gives it (the targets table's target_year).
    ("target_intensity_yuan_per_km2", "土地投资强度目标",
     "Land investment intensity target (fixed-asset investment ÷ industrial land)", "元/km²"),
    ("intensity_target_gap_yuan_per_km2", "距目标差距", "Gap to target (same basis only)",
     "元/km²"),
    ("intensity_target_note", "目标比较说明", "Target comparison", ""),
    ("output_yuan", "产值", "Output value", "元 yuan"),
    ("output_intensity_yuan_per_km2", "产出强度（园区毛面积）",
     "Output intensity on gross park area",
     "元/km²"),
    ("output_intensity_yi_per_km2", "产出强度（园区毛面积）",
     "Output intensity on gross park area",
     "亿元/km²"),
    ("output_target_gap_yuan_per_km2", "工业用地地均产出距目标差距",
     "Output gap to target (industrial-land output per area, the land of the investment "
     "target)", "元/km²"),
    ("tax_yuan", "税收", "Tax", "元 yuan"),
    ("projects_signed", "签约项目数", "Projects signed", ""),
    ("projects_in_production", "投产项目数", "Projects in production", ""),
    ("planned_investment_yuan", "计划投资额", "Planned investment (plan, not actual)", "元 yuan"),
    ("planned_output_yuan", "计划产值", "Planned output (plan, not actual)", "元 yuan"),
    ("planned_year", "计划公布年份", "Year the plan was announced", ""),
    ("plot_count", "地块数", "Plots", ""),
    ("plot_area_mu", "地块面积", "Plot area", "亩 mu"),
    ("plot_investment_yuan", "地块已投资额", "Invested on plots", "元 yuan"),
    ("idle_plot_count", "闲置地块数", "Idle plots", ""),
    ("idle_art8_plot_count", "其中政府/不可抗力原因", "of which government/force-majeure "
     "cause: Arts. 12–13 disposal, no fee", ""),
    ("idle_area_mu", "闲置面积", "Idle area", "亩 mu"),
    ("idle_share", "闲置占比（已判定地块）", "Idle share of the judged plots' area", ""),
    ("unjudged_plot_count", "无法判定闲置的地块数", "Plots the idle rule cannot judge (n/a)", ""),
    ("illustrative_plot_count", "示意地块数",
     "Plots marked illustrative (invented data): the plot-based figures rest on them", ""),
    ("target_gap_yuan_per_km2", "工业用地固定资产投入强度距目标差距",
     "Gap to target (industrial-land fixed-asset investment intensity)", "元/km²"),
    ("required_annual_growth", "所需年均增速",
     "Yearly growth needed by the target year (industrial-land fixed-asset investment "
     "intensity)", ""),
    ("output_required_annual_growth", "产出所需年均增速",
     "Yearly growth needed by the target year (industrial-land output per area)", ""),
    ("achieved_annual_growth", "2019–2024实际年均增速",
     "Growth achieved 2019–2024 (city biomedical output, per year)", ""),
    ("grade_counts", "亩均评价等级分布", "Per-mu grades (A/B/C/D plots)", ""),
    ("graded_plot_count", "参评地块数", "Graded plots", ""),
    ("entry_pass_count", "达准入标准地块", "Plots meeting entry thresholds", ""),
    ("entry_fail_count", "未达准入标准地块", "Plots below entry thresholds", ""),
    ("land_development_rate", "土地开发率", "Land development rate", ""),
    ("land_supply_rate", "土地供应率", "Land supply rate", ""),
    ("land_built_up_rate", "土地建成率", "Land built-up rate", ""),
    ("industrial_land_share", "工业用地率", "Industrial land share", ""),
    ("floor_area_ratio", "综合容积率", "Comprehensive floor-area ratio", ""),
    ("building_density", "建筑密度", "Building density", ""),
    ("industrial_fai_intensity_wan_per_ha", "工业用地固定资产投入强度",
     "Industrial land fixed-asset investment intensity", "万元/公顷"),
    ("industrial_tax_intensity_wan_per_ha", "工业用地地均税收", "Industrial land tax per area",
     "万元/公顷"),
    ("industrial_output_intensity_wan_per_ha", "工业用地地均产出",
     "Industrial land output per area", "万元/公顷"),
    ("idle_land_disposal_rate", "闲置土地处置率", "Idle land disposal rate", ""),
    ("indicator_status", "不完整指标", "Indicators computed on part of the data (status "
     "partial: a lower bound, or over some plots; basis in the indicators table)", ""),
    ("source", "数据来源", "Source", ""),
]
COLUMN_KEYS = [c[0] for c in COLUMNS]


@dataclass
class Report:
    """A built report.

    Attributes
    ----------
    park_table : pandas.DataFrame
        One row per park, columns :data:`COLUMN_KEYS`, NaN/None for n/a: what every
        output format writes.
    planting : pandas.DataFrame
        One row per reported planting figure: reported mu beside mapped mu.
    plot_table : pandas.DataFrame
        One row per plot with its park, area and idle classification (no geometry:
        a million plots are summed without building shapes).
    year : int or None
        The report year (figures of ``park_stats`` for that year).
    as_of : datetime.date
        The idle-classification date.
    warnings : list of str
        Unmatched keys and other things the user should know.
    parks, plots : geopandas.GeoDataFrame
        The two tables above with their geometry (EPSG:4326), built on first use:
        ``rep.parks.explore()``, ``rep.plots.to_file("plots.gpkg")``.
    """

    park_table: pd.DataFrame
    planting: pd.DataFrame
    plot_table: pd.DataFrame
    year: int | None
    as_of: dt.date
    warnings: list[str] = field(default_factory=list)
    joins: list[JoinReport] = field(default_factory=list)
    #: indicators, grading, enterprises, targets, trends, idle_check, config
    #: (:class:`qygeo.pipeline.evaluation.Evaluation`); None for a report built without it.
    evaluation: Evaluation | None = None
    #: plots left out with ``--skip-invalid-plots``: (plot_id, problem)
    excluded_plots: list[tuple[str, str]] = field(default_factory=list)
    #: the data the report was built from (the maps draw its layers)
    dataset: Dataset | None = field(default=None, repr=False)
    #: the plots file and layer the plot table was read from, when not the dataset's
    plots_source: tuple[Path, str | None] | None = None
    #: the plot engine that computed the plot table ("default" or "dask")
    engine: str = "default"

    @cached_property
    def parks(self) -> gpd.GeoDataFrame:
        """Every report column of every park, with the park's boundary."""
        parks = self.dataset.parks if self.dataset is not None else None
        return _with_geometry(self.park_table, "park_id", parks)

    @cached_property
    def explained_plots(self) -> pd.DataFrame:
        """:attr:`plot_table` with ``idle_reason`` written for every plot not plainly not idle.

        The plot engine sums a province's plots without the reason texts; they are
        written here, once, for what lists plots (report.html, the workbook, the
        maps' popups, :attr:`plots`).
        """
        return with_idle_reasons(self.plot_table, self.as_of)

    @cached_property
    def plots(self) -> gpd.GeoDataFrame:
        """Every plot's row (park, areas, idle status and reason, grade), with its polygon.

        The geometry comes from the data set's plots, or is read again from the
        plots file the report was built from (only its id and geometry columns).
        """
        table = self.explained_plots
        grading = self.evaluation.grading if self.evaluation is not None else None
        if grading is not None and len(grading) and "grade" in grading.columns:
            grades = grading.drop_duplicates("plot_id").set_index("plot_id")["grade"]
            table = table.assign(grade=table["plot_id"].map(grades))
        plots = self.dataset.plots if self.dataset is not None else None
        if plots is None and self.plots_source is not None:
            from qygeo.io.layers import read_layer
            from qygeo.io.plot_files import plots_layer

            path, layer = self.plots_source
            plots = read_layer(path, layer=plots_layer(Path(path), layer))
        return _with_geometry(table, "plot_id", plots)


def with_idle_reasons(plots: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """*plots* (a per-plot table) with ``idle_reason`` filled where the engine left it empty.

    :func:`qygeo.core.idle.classify_idle` (the one home of the rule) is run again
    on the plots that are not plainly "not idle"; the others keep their row as it is.
    """
    from qygeo.core.idle import classify_idle

    if not len(plots) or "idle_status" not in plots.columns:
        return plots
    reason = plots["idle_reason"] if "idle_reason" in plots.columns else None
    empty = (reason.isna() | (reason.astype(str) == "")) if reason is not None else \
        plots["idle_status"].notna()
    need = (empty & (plots["idle_status"] != "not_idle")).to_numpy(bool, na_value=False)
    if not need.any():
        return plots
    out = plots.copy()
    sub = out[need]
    reasons = classify_idle(sub, as_of, sub["area_m2"])["idle_reason"].to_numpy()
    out.loc[need, "idle_reason"] = reasons
    return out


def _with_geometry(table: pd.DataFrame, key: str, shapes: Any) -> gpd.GeoDataFrame:
    """*table* as a GeoDataFrame in EPSG:4326, geometry taken from *shapes* by *key*."""
    import geopandas as gpd

    geometry = None
    if shapes is not None and len(shapes):
        from qygeo.io.layers import ids_text

        # Keys as the loader conforms them (" GF-1 " is "GF-1", 1001.0 is "1001"): the
        # plots file read again for its polygons gives them raw.
        by_key = dict(zip(ids_text(shapes[key]).astype(str), shapes.geometry.values,
                          strict=False))
        geometry = [by_key.get(str(k)) for k in table[key]]
    else:
        geometry = [None] * len(table)
    return gpd.GeoDataFrame(table.reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def resolve_parks(asked: Sequence[str], parks: pd.DataFrame) -> list[str]:
    """Park ids of *asked*: each an id, or a park's Chinese or English name.

    Raises
    ------
    UnknownParkError
        A name that is no park (with the closest ids and names), or that names several.
    """
    import difflib

    from qygeo.ids import check_park_id

    ids = [str(p) for p in parks["park_id"]]
    by_name: dict[str, set[str]] = {}
    for pid, zh, en in zip(ids, parks["name_zh"], parks["name_en"], strict=True):
        for name in (zh, en):
            if isinstance(name, str) and name.strip():
                by_name.setdefault(name.strip().casefold(), set()).add(pid)
    out = []
    for asked_one in asked:
        text = str(asked_one).strip()
        if text in ids:
            out.append(text)
            continue
        found = by_name.get(text.casefold(), set())
        if len(found) == 1:
            out.append(found.pop())
            continue
        if len(found) > 1:
            raise UnknownParkError(f"--park {text!r} names several parks: "
                                   f"{', '.join(sorted(found))}; give the id")
        names = [n for n in [*ids, *(str(x) for x in parks["name_zh"]),
                             *(str(x) for x in parks["name_en"])] if n]
        # Names holding the text first (广佛 → 广佛（佛冈）产业园), then the closest spellings.
        holding = [n for n in names if text.casefold() in n.casefold()]
        close = list(dict.fromkeys([*holding, *difflib.get_close_matches(
            text, names, n=3, cutoff=0.4)]))[:3]
        if text.isascii() and (" " not in text or not close):
            check_park_id(text, "--park")  # an id (one word) that cannot be one is told so
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownParkError(f"unknown park {text!r}{hint} (known ids: "
                               f"{', '.join(sorted(ids))})")
    # A park named twice (its id and its name, or --park repeated) is one row, not two
    # that a sum over the table would count twice.
    return list(dict.fromkeys(out))


def _years_with_investment(stats: pd.DataFrame) -> dict[str, list[int]]:
    """Years in which each park has a signed investment figure in park_stats."""
    if stats is None or not len(stats) or "signed_investment_yuan" not in stats.columns:
        return {}
    has = stats[stats["signed_investment_yuan"].map(_present)]
    return {str(pid): sorted(int(y) for y in group["year"])
            for pid, group in has.groupby("park_id")}


def _plot_sums_by_year_end(plots: pd.DataFrame, year: int | None,
                           members: dict[str, set[str]], known: Sequence[str]
                           ) -> dict[str, dict[str, Any]] | None:
    """Each park's plot investment at the end of *year*, when the plots are of a later date.

    The plots are as recorded, not as of *year*: a plot contracted (``contract_date``)
    after the year was not yet the park's land then, and its investment is not the
    year's. When some plot is contracted after *year*, the year's plot sum counts only
    those contracted by its end; a plot without a contract date might be either, so
    its park's sum is unknown. None when no plot is contracted after *year*: the plots
    then fit the year, and the sums are all the plots'.

    Returns
    -------
    dict or None
        park_id → ``investment_yuan`` (NaN without figures), ``later`` (plots contracted
        after the year), ``undated`` (plots with an invested_yuan and no contract date),
        and ``plot_count`` and ``invested_plot_count`` of the plots the sum is over, a park
        counting its nested parks' plots.
    """
    import numpy as np
    import pandas as pd

    from qygeo.pipeline.evaluation import contracted_after
    from qygeo.pipeline.plot_table import PlotSummary, leaf_sums, park_sums

    split = None if year is None else contracted_after(plots, dt.date(year, 12, 31))
    if split is None:
        return None
    later, undated = split
    invested = (plots["invested_yuan"].to_numpy(dtype="float64", na_value=np.nan)
                if "invested_yuan" in plots.columns else None)
    if invested is not None:  # a plot without a figure adds nothing either way
        undated &= ~np.isnan(invested)
    # The parks coded once, and each group's sums from the arrays: three copies of the
    # table were a large share of the report's serial time at millions of plots.
    codes, names = pd.factorize(plots["park_id"], sort=True)  # missing: −1
    none = np.zeros(len(plots), dtype=bool)

    def sums(mask: np.ndarray) -> dict[str, dict[str, Any]]:  # counts and investment only
        leaves = leaf_sums(codes[mask], list(names), area_mu=None,
                           invested_yuan=invested[mask] if invested is not None else None,
                           idle=none[mask], judged=none[mask])
        return park_sums(PlotSummary(leaves=leaves, has_invested=invested is not None),
                         members, known)

    by_end, after, no_date = sums(~later & ~undated), sums(later), sums(undated)
    return {pid: {"investment_yuan": by_end[pid]["plot_investment_yuan"],
                  "later": after[pid]["plot_count"], "undated": no_date[pid]["plot_count"],
                  # the plots counted by the year's end, and those of them with a figure
                  "plot_count": by_end[pid]["plot_count"],
                  "invested_plot_count": by_end[pid]["invested_plot_count"]}
            for pid in known}


def default_year(park_stats: pd.DataFrame) -> int | None:
    """The latest year in the park statistics, or None when there are none."""
    if park_stats is None or not len(park_stats):
        return None
    return int(park_stats["year"].max())


def plot_table(ds: Dataset, as_of: dt.date) -> pd.DataFrame:
    """The data set's plots with assigned ``park_id``, areas and idle classification (no geometry).

    :func:`qygeo.pipeline.plots.compute_plot_table` of ``ds.plots`` (already
    screened when loaded, so nothing is refused here).
    """
    from qygeo.pipeline.plot_table import empty_plot_table
    from qygeo.pipeline.plots import compute_plot_table

    if ds.plots is None or not len(ds.plots):
        return empty_plot_table()
    return compute_plot_table(ds.plots, ds.parks, as_of, path=ds.plots_path).table


def check_parent_cycles(ds: Dataset) -> None:
    """Refuse parks whose ``parent_park_id`` chain goes round (a → b → a): which park's
    figures hold which plots cannot be told (``qygeo validate`` and ``build`` refuse it too).

    Raises
    ------
    FeatureError
        Naming the first such park and its chain.
    """
    from qygeo.errors import FeatureError

    cycle = metrics.first_parent_cycle(ds.parks)
    if cycle:
        where = Path(ds.root) / PARKS.filename if ds.root is not None else "parks"
        raise FeatureError(where, cycle[0], "parent_park_id goes round in a cycle ("
                           + " → ".join(cycle) + "): qygeo validate lists every problem")


def build_report(
    ds: Dataset,
    *,
    year: int | None = None,
    park_ids: list[str] | None = None,
    as_of: dt.date | None = None,
    strict: bool = False,
    grading: GradingConfig | None = None,
    plots: pd.DataFrame | None = None,
    summary: PlotSummary | None = None,
) -> Report:
    """Compute the per-park report.

    Parameters
    ----------
    ds : Dataset
        Loaded data folder.
    year : int, optional
        Year of the park statistics to use; default the latest in the table.
    park_ids : list of str, optional
        Only these parks (in this order); default all, sorted by id.
    as_of : datetime.date, optional
        Date for the idle classification; default today.
    strict : bool, default False
        Unmatched join keys raise :class:`qygeo.errors.JoinError`.
    grading : GradingConfig, optional
        亩均 grading settings; default :func:`qygeo.core.config.load_config` ().
    plots : pandas.DataFrame, optional
        The per-plot table already computed by an engine
        (:func:`qygeo.pipeline.plots.compute_plot_table`);
        default :func:`plot_table` of ``ds.plots``.
    summary : qygeo.pipeline.plot_table.PlotSummary, optional
        The per-park sums of *plots*, when the engine computed them batch by
        batch; default computed from *plots*.

    Raises
    ------
    UnknownParkError
        A requested park id is not in the parks layer.
    """
    import pandas as pd

    from qygeo.core.join import join_attributes, match_keys
    from qygeo.io.plot_rows import check_as_of

    as_of = check_as_of(as_of or dt.date.today())
    check_parent_cycles(ds)
    warnings: list[str] = []
    joins = []
    parks = metrics.with_areas(ds.parks)
    known = list(parks["park_id"])
    if grading is not None:  # a typo of a park id in [entry.parks] would check no plot
        from qygeo.core.config import check_entry_parks

        check_entry_parks(grading, known)
    if park_ids:
        park_ids = resolve_parks(park_ids, ds.parks)
    year = year if year is not None else default_year(ds.park_stats)
    stats_all = ds.park_stats
    # Parks with park_stats investment in some year: in a year without it their intensity
    # is n/a (and says why), not the plot sums, which are another basis.
    stats_years = _years_with_investment(stats_all)
    if year is not None and len(stats_all) and year not in set(stats_all["year"]):
        years = ", ".join(str(y) for y in sorted(set(stats_all["year"])))
        warnings.append(f"no park statistics for {year} (years in the table: {years}); "
                        "parks with statistics in other years have no intensity for it")
    stats = stats_all[stats_all["year"] == year] if year is not None else stats_all.iloc[0:0]
    stats = stats.drop(columns=["year"]).rename(columns={"source": "stats_source",
                                                         "status": "stats_status"})
    parks, jr = join_attributes(parks, stats, "park_id",
                                table_name="attributes/park_stats.csv", layer_name="parks")
    # Rows of every year, not only the report year's, and the plans must name real parks.
    plan_rows = getattr(ds, "park_plans", None)
    all_ids = (stats_all["park_id"] if plan_rows is None or not len(plan_rows)
               else pd.concat([stats_all["park_id"], plan_rows["park_id"]]))
    jr.only_in_table = match_keys(ds.parks["park_id"], all_ids,
                                  table="attributes/park_stats.csv", layer="parks",
                                  key="park_id").only_in_table
    if strict and jr.only_in_table:
        from qygeo.errors import JoinError

        # Only what refuses: parks without figures of the year (a plan-only park among
        # them) are a warning, not the reason for the refusal.
        raise JoinError(jr.messages()[0])
    joins.append(jr)
    # Both sides: stray table rows, and parks without figures of the year (plans are not
    # figures of a year, so a park with only a plan is named here too, and why).
    warnings += [m for m in jr.messages() if not m.startswith(f"{jr.layer}: ")]
    # Only the report's parks: a report of two parks says nothing of the other six.
    missing = [p for p in jr.only_in_layer if not park_ids or p in park_ids]
    if missing:
        of_year = f" of {year}" if year is not None else ""
        warnings.append(f"parks: no actual or estimated figures{of_year} in "
                        f"attributes/park_stats.csv for park_id {', '.join(missing)}")
    if ds.planting is None:
        warnings.append("no planting.geojson in the data folder: the report has no "
                        "planting acreage (mapped beside reported)")

    districts = ds.districts[["adcode", "name_zh", "name_en"]].rename(
        columns={"adcode": "district_adcode", "name_zh": "district_name_zh",
                 "name_en": "district_name_en"})
    parks = parks.merge(districts, on="district_adcode", how="left")

    from qygeo.pipeline.plot_table import PlotSummary, park_sums

    if plots is None:
        plots = plot_table(_stored_flags_aside(ds), as_of)
    for pid, problem in ds.excluded_plots:
        warnings.append(f"plot {pid} left out (--skip-invalid-plots): {problem}")
    if summary is None:
        summary = PlotSummary.of(plots, known)
    from concurrent.futures import ThreadPoolExecutor

    from qygeo.core.idle import unrecognised_causes

    # Every plot's delay cause is read on a thread of its own (Arrow compute, without the
    # GIL) while the parks and the evaluation are computed; its warning goes here.
    pool = ThreadPoolExecutor(1)
    causes = pool.submit(unrecognised_causes, plots)
    pool.shutdown(wait=False)  # the thread ends with its one task
    causes_at = len(warnings)
    if summary.unassigned_count:
        warnings.append(f"{summary.unassigned_count} plot(s) lie in no park: "
                        f"{', '.join(summary.unassigned_ids or [])}")
    if summary.stray_count:
        msg = f"plots name parks not in the parks layer: {', '.join(summary.stray_ids or [])}"
        if strict:
            from qygeo.errors import JoinError

            raise JoinError(msg)
        warnings.append(msg)

    plans = _latest_plans(getattr(ds, "park_plans", None))
    achieved = city_figure(getattr(ds, "city_stats", None), ACHIEVED_GROWTH_INDICATOR,
                           units=("share per year", "share"), root=ds.root)
    rows = []
    # Plot count and exact sums per park, over the park and its nested parks.
    members = metrics.park_descendants(parks)
    sums = park_sums(summary, members, known)
    # A year before the plots' date: only the plots contracted by its end count.
    year_end_sums = _plot_sums_by_year_end(plots, year, members, known)
    for _, park in parks.iterrows():
        pid = park["park_id"]
        mine = sums[pid]
        plot_inv = mine["plot_investment_yuan"]
        signed = park.get("signed_investment_yuan", math.nan)
        if _present(signed):
            investment, basis = float(signed), f"park_stats {year}: signed_investment_yuan"
            int_basis = SIGNED_BASIS
        elif stats_years.get(pid):
            # Another basis in another year would read as a jump between years.
            others = ", ".join(str(y) for y in stats_years[pid])
            investment, basis = math.nan, (f"n/a: no park_stats figures of {year} (they are "
                                           f"of {others}); plot sums: plot_investment_yuan")
            int_basis = (f"n/a for {year}: park_stats has this park's signed investment for "
                         f"{others} only; the plot sums are another basis")
        elif _present(plot_inv) and year_end_sums is not None:
            by_end = year_end_sums[pid]
            end = f"{year}-12-31"
            if by_end["undated"]:
                investment = math.nan
                basis = int_basis = (f"n/a for {year}: {by_end['undated']} of the park's plots "
                                     "with invested_yuan have no contract_date, and some plots "
                                     f"are contracted after {end}: which count is unknown")
            elif _present(by_end["investment_yuan"]):
                later = (f"; {by_end['later']} contracted later left out"
                         if by_end["later"] else "")
                investment, lacking = by_end["investment_yuan"], _lacking_investment(by_end)
                basis = (f"plots contracted by {end}: sum of invested_yuan (as recorded, "
                         f"not as of {end}){later}{lacking}")
                int_basis = f"{PLOTS_BASIS} (plots contracted by {end}){lacking}"
            else:
                investment = math.nan
                basis = int_basis = (f"n/a for {year}: no plot with invested_yuan contracted "
                                     f"by {end} ({by_end['later']} contracted later)")
        elif _present(plot_inv):
            investment, lacking = plot_inv, _lacking_investment(mine)
            basis = f"plots: sum of invested_yuan{lacking}"
            int_basis = f"{PLOTS_BASIS}{lacking}"
        else:
            investment, basis, int_basis = math.nan, "n/a", "n/a"
        plan = plans.get(pid, {})
        area_km2 = float(park["area_km2"])
        intensity = metrics.intensity_yuan_per_km2(investment, area_km2)
        output = park.get("output_yuan", math.nan)
        output = float(output) if _present(output) else math.nan
        out_int = metrics.intensity_yuan_per_km2(output, area_km2)
        reported = park.get("reported_investment_intensity_yuan_per_km2", math.nan)
        reported = float(reported) if _present(reported) else math.nan
        idle_count, idle_area = mine["idle_plot_count"], mine["idle_area_mu"]
        plot_area = mine["plot_area_mu"]
        rows.append({
            "park_id": pid,
            "name_zh": park.get("name_zh"),
            "name_en": park.get("name_en"),
            "district_adcode": park.get("district_adcode"),
            "district_name_zh": park.get("district_name_zh"),
            "district_name_en": park.get("district_name_en"),
            "kind": park.get("kind"),
            "boundary_quality": park.get("boundary_quality"),
            "year": year,
            "area_km2": area_km2,
            "area_ha": float(park["area_ha"]),
            "area_mu": float(park["area_mu"]),
            "investment_yuan": investment,
            "investment_basis": basis,
            "figures_status": park.get("stats_status") if _present(
                park.get("stats_status")) else None,
            "intensity_basis": int_basis,
            "intensity_yuan_per_km2": intensity,
            "intensity_yi_per_km2": float(metrics.yuan_per_km2_to_yi_per_km2(intensity)),
            "intensity_wan_per_mu": float(metrics.yuan_per_km2_to_wan_per_mu(intensity)),
            "reported_intensity_yuan_per_km2": reported,
            # The paper's intensity is of signed investment: a difference only on that basis.
            "intensity_difference_yuan_per_km2": (intensity - reported
                                                  if int_basis == SIGNED_BASIS else math.nan),
            # The target is on another basis: no gap to this intensity (the evaluation
            # below says why in intensity_target_note, from attributes/targets.csv).
            "intensity_target_gap_yuan_per_km2": math.nan,
            "output_yuan": output,
            "output_intensity_yuan_per_km2": out_int,
            "output_intensity_yi_per_km2": float(metrics.yuan_per_km2_to_yi_per_km2(out_int)),
            "tax_yuan": _num(park.get("tax_yuan")),
            "projects_signed": _num(park.get("projects_signed")),
            "projects_in_production": _num(park.get("projects_in_production")),
            "planned_investment_yuan": _num(plan.get("signed_investment_yuan")),
            "planned_output_yuan": _num(plan.get("output_yuan")),
            "planned_year": int(plan["year"]) if "year" in plan else None,
            "plot_count": mine["plot_count"],
            "plot_area_mu": plot_area,
            "plot_investment_yuan": plot_inv,
            "idle_plot_count": idle_count,
            "idle_area_mu": idle_area,
            # Over the plots the rule judged: one it cannot judge is neither idle nor not.
            "idle_share": metrics.safe_divide(idle_area, mine["judged_area_mu"]),
            "unjudged_plot_count": mine["unjudged_plot_count"],
            "illustrative_plot_count": mine["illustrative_plot_count"],
            "achieved_annual_growth": achieved,
            "source": _join_sources(park.get("stats_source"), park.get("source"),
                                    plan.get("source")),
        })
    table = pd.DataFrame(rows, columns=COLUMN_KEYS)
    if park_ids:
        table = table.set_index("park_id").loc[park_ids].reset_index()
    else:
        table = table.sort_values("park_id", kind="stable").reset_index(drop=True)
    def some_of(count: str) -> list[str]:
        """``park n of m`` for each park with plots counted in *count*."""
        return [f"{r['park_id']} {int(r[count])} of {int(r['plot_count'])}"
                for r in table.to_dict("records") if _present(r[count]) and r[count] > 0]

    selected = metrics.selected_members(parks, list(table["park_id"]))

    def named(mask: Any) -> str:
        """`` (plot_id A, B …)``: the first plots of the report's parks where *mask*."""
        ids, n = _plot_ids_where(plots, mask, selected)
        return f" (plot_id {', '.join(ids)}{' …' if n > len(ids) else ''})" if ids else ""

    unjudged, invented = some_of("unjudged_plot_count"), some_of("illustrative_plot_count")
    lacking = [f"{pid} {_plots_lacking(sums[pid])} of {sums[pid]['plot_count']}"
               for pid in table["park_id"] if _plots_lacking(sums[pid])]
    if lacking:
        warnings.append("invested_yuan: plots that report none are left out of these parks' "
                        "plot sums (plot_investment_yuan, and the investment and intensity "
                        "when those rest on the plots), which are then lower bounds: "
                        + "; ".join(lacking) + named(_no_investment(plots)))
    if invented:
        warnings.append("plots marked illustrative (boundary_quality; invented data): the "
                        "plot-based figures of these parks (plot sums, idle counts, indicators, "
                        "grades, target gaps) rest on them: " + "; ".join(invented))
    if unjudged:
        warnings.append("idle rule: plots it cannot judge (status n/a: no agreed start date, "
                        "or a suspended plot's shares unknown) are neither idle nor not idle, "
                        "and idle_share is of the judged plots' area: " + "; ".join(unjudged)
                        + named(_unjudged(plots)))
    from qygeo.core.config import load_config
    from qygeo.pipeline.evaluation import evaluate
    from qygeo.pipeline.memory import gc_paused

    with gc_paused():  # a province's plots: no collections stalling the evaluation's threads
        ev = evaluate(ds, table, plots, year=year, as_of_year=as_of.year,
                      config=grading or load_config(), as_of=as_of)
    for key in ev.park_columns.get(table["park_id"].iloc[0], {}) if len(table) else ():
        table[key] = [ev.park_columns[p][key] for p in table["park_id"]]
    # Every growth needed has the growth achieved beside it.
    ev.targets = ev.targets.assign(achieved_annual_growth=achieved)
    table = table.reindex(columns=COLUMN_KEYS)
    if causes.result():
        warnings.insert(causes_at, causes.result())
    missing_targets = _missing_targets(getattr(ds, "targets", None))
    if missing_targets:
        warnings.append(missing_targets)
    if len(ev.idle_check):
        ids = ", ".join(ev.idle_check["plot_id"].astype(str).head(5))
        warnings.append(f"{len(ev.idle_check)} plot(s) have a stored idle flag that disagrees "
                        f"with the MLR No. 53 rule (the rule is used): {ids}")
    return Report(park_table=table, planting=planting_table(ds), plot_table=plots, year=year,
                  as_of=as_of, warnings=warnings, joins=joins, evaluation=ev,
                  excluded_plots=list(ds.excluded_plots), dataset=ds)


def _missing_targets(targets: pd.DataFrame | None) -> str | None:
    """The warning for a targets.csv without a row of a target every park is compared
    with (a misspelt name is read as another figure, and the comparison vanished without
    a word), naming a row whose name is close; None when every one is there or the file
    is absent (the paper's targets apply then)."""
    import difflib

    from qygeo.core.trends import TARGET_MEASURES

    if targets is None or "indicator" not in targets.columns:
        return None
    names = [str(n) for n in targets["indicator"] if isinstance(n, str)]
    absent = [t for t in TARGET_MEASURES if t not in names]
    if not absent:
        return None
    said = []
    for t in absent:
        close = difflib.get_close_matches(t, [n for n in names if n not in TARGET_MEASURES],
                                          n=1, cutoff=0.9)
        said.append(t + (f" (is {close[0]!r} meant?)" if close else ""))
    return ("attributes/targets.csv has no row " + "; ".join(said) + ": no park is compared "
            "with it")


#: How many plots a warning names (the rest are in the report's plot table).
PLOT_IDS_NAMED = 5


def _plots_lacking(sums: dict[str, Any]) -> int:
    """How many of the plots summed over (``plot_count``) report no ``invested_yuan`` while
    some do (0 when all lack it: the sum is n/a already)."""
    n, k = sums["plot_count"], sums["invested_plot_count"]
    return n - k if 0 < k < n else 0


def _lacking_investment(sums: dict[str, Any]) -> str:
    """What a park's plot investment sum leaves out, for its basis (:func:`_plots_lacking`)."""
    lacking = _plots_lacking(sums)
    if not lacking:
        return ""
    return (f"; no invested_yuan in {lacking} of the park's {sums['plot_count']} plots, left "
            "out: a lower bound")


def _unjudged(plots: pd.DataFrame) -> Any:
    """True for the plots whose idle status is n/a (None: no such column)."""
    if "idle_status" not in plots.columns:
        return None
    return (plots["idle_status"] == "n/a").to_numpy(dtype=bool, na_value=False)


def _no_investment(plots: pd.DataFrame) -> Any:
    """True for the plots that report no ``invested_yuan`` (None: no such column)."""
    if "invested_yuan" not in plots.columns:
        return None
    return plots["invested_yuan"].isna().to_numpy(dtype=bool)


def _plot_ids_where(plots: pd.DataFrame, mask: Any, parks: set[str] | None
                    ) -> tuple[list[str], int]:
    """The first :data:`PLOT_IDS_NAMED` ids of *plots* where *mask*, in *parks* (None: in
    any park), and how many such plots there are: a warning that counts them per park
    then says where to look. Plots in no park are not named: the warning counts parks'
    plots, and the per-park formats keep only some of those plots.

    One vectorised comparison over the column, then only the first few rows are read.
    """
    import numpy as np

    if mask is None or "plot_id" not in plots.columns:
        return [], 0
    if "park_id" in plots.columns:
        where = plots["park_id"]
        in_parks = where.notna() if parks is None else where.isin(parks)
        mask = mask & in_parks.to_numpy(dtype=bool, na_value=False)
    rows = np.flatnonzero(mask)
    return ([str(v) for v in plots["plot_id"].iloc[rows[:PLOT_IDS_NAMED]]], int(len(rows)))


def _stored_flags_aside(ds: Dataset) -> Dataset:
    """*ds* with stored ``idle``/``idle_status``/… plot columns renamed ``stored_…``.

    The idle classification adds those columns; a stored flag of the same name
    is kept beside it, to be checked (:func:`qygeo.core.idle.check_stored_idle`).
    """
    import dataclasses

    from qygeo.core.idle import classify_idle

    if ds.plots is None:
        return ds
    produced = set(classify_idle(ds.plots.iloc[0:0], dt.date.today(), []).columns)
    clash = {c: f"stored_{c}" for c in ds.plots.columns if c in produced}
    if not clash:
        return ds
    return dataclasses.replace(ds, plots=ds.plots.rename(columns=clash))


def planting_table(ds: Dataset) -> pd.DataFrame:
    """Reported planting acreage beside the acreage the mapped polygons measure.

    One row per figure of ``attributes/planting_figures.csv``: ``reported_mu``,
    ``mapped_mu`` (equal-area sum over the planting areas the figure covers),
    ``difference_mu`` = mapped − reported and ``difference_share`` relative to
    reported; ``mapped_quality`` the ``boundary_quality`` of those areas (an
    illustrative placeholder in the mapped sum says so beside it).
    """
    import pandas as pd

    cols = ["figure_id", "planting_ids", "year", "status", "reported_mu", "mapped_mu",
            "mapped_quality", "difference_mu", "difference_share", "output_yuan", "source",
            "note"]
    if ds.planting is None or ds.planting_figures is None or not len(ds.planting_figures):
        return pd.DataFrame(columns=cols)
    planting = metrics.with_areas(ds.planting)
    mapped = dict(zip(planting["planting_id"], planting["area_mu"]))
    quality = dict(zip(planting["planting_id"], planting["boundary_quality"])) \
        if "boundary_quality" in planting.columns else {}
    rows = []
    for _, fig in ds.planting_figures.iterrows():
        ids = planting_ids_of(fig["planting_ids"])
        missing = [p for p in ids if p not in mapped]
        # No area named: nothing was mapped to compare with (n/a, not 0 mu).
        mapped_mu = math.nan if missing or not ids else float(sum(mapped[p] for p in ids))
        reported = float(fig["reported_mu"])
        rows.append({
            "figure_id": fig["figure_id"], "planting_ids": ";".join(ids),
            "year": fig.get("year"), "status": fig.get("status", "actual"),
            "reported_mu": reported, "mapped_mu": mapped_mu,
            "mapped_quality": "; ".join(f"{p}: {quality[p]}" for p in ids
                                        if _present(quality.get(p))) or None,
            "output_yuan": _num(fig.get("output_yuan")),
            "difference_mu": mapped_mu - reported,
            "difference_share": metrics.safe_divide(mapped_mu - reported, reported),
            "source": fig.get("source"), "note": fig.get("note") or (
                f"planting areas not mapped: {', '.join(missing)}" if missing
                else None if ids else "names no planting area"),
        })
    return pd.DataFrame(rows, columns=cols)


def _join_sources(stats_source: Any, boundary_source: Any, plan_source: Any = None) -> str:
    parts = []
    if _present(stats_source):
        parts.append(f"figures: {stats_source}")
    if _present(plan_source):
        parts.append(f"plan: {plan_source}")
    if _present(boundary_source):
        parts.append(f"boundary: {boundary_source}")
    return "; ".join(parts)


def _latest_plans(plans: pd.DataFrame | None) -> dict[str, dict[str, Any]]:
    """Each park's latest planned row of park_stats.csv (status ``planned``), as a dict."""
    if plans is None or not len(plans):
        return {}
    latest = plans.sort_values("year", kind="stable").groupby("park_id").tail(1)
    return {r["park_id"]: r for r in latest.to_dict("records")}


def _num(v: Any) -> float:
    return float(v) if _present(v) else math.nan
