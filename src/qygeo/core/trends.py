"""Targets, benchmarks and trends: how far each park is, and how fast it must grow.

Targets and benchmarks come from ``attributes/targets.csv``
(``indicator, value, unit, year, source``):

- the paper's 2027 targets for key parks (Chen et al. 2025, §6.2.3): land
  investment intensity over 5 billion yuan/km², output intensity 10 billion
  yuan/km²; the first is land investment intensity (fixed-asset investment ÷
  industrial land), so it is compared with the industrial-land fixed-asset
  investment intensity indicator, never with the report's
  ``intensity_yuan_per_km2`` (signed investment ÷ gross park area); the second,
  given in the same sentence, is read on the same land: it is compared with the
  output per industrial land area indicator, never with ``output_intensity_yuan_per_km2``
  (output ÷ gross park area);
- Guangdong's 2019 development-zone averages (广东省自然资源厅,
  《2019年度广东省开发区土地集约利用水平速览》): industrial-land fixed-asset
  investment intensity 7617.58 万元/公顷 and industrial-land tax 966.19 万元/公顷;
  compared with the TD/T 1029 indicators of :mod:`qygeo.core.indicators`, which
  measure the same thing (industrial land only), not with the park-wide
  intensity.

For each park and target: the gap (target − current, in the compared indicator's unit,
万元/公顷, whichever unit targets.csv gives) and
the compound yearly growth that closes it by the end of the target year
(:func:`qygeo.core.metrics.required_annual_growth`, over fractional years from the date
the figure is of, :func:`years_to_target`; benchmarks without a future
year are taken as to be reached by :data:`qygeo.core.metrics.TARGET_YEAR`, a target
keeps its own year even when it has passed). Growth is 0 where the target is already
met and n/a where the current value is unknown or 0, or no year is left (a passed
target: the note says so). A compared row in a unit other than ``yuan/km2`` or
``10k_yuan/ha`` is refused when targets.csv is read.

An indicator of status ``partial`` (computed over part of the plots, or a lower bound
where plots report no tax) is compared as it is, but its row says so
(``current_status``, the note) and leaves ``met`` undecided (None): whether the
complete figure meets the target is not known from part of it, and gap and growth
are those of the partial figure, not exact. A lower bound (the indicators' own
``lower_bound`` flag, passed as a column of *indicators*) at or above the target is
met (True), the note says why.

Trends are the park_stats rows of each park over the years, as intensities on
the park's current area, for parks with at least two years.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.core import metrics
from qygeo.core.indicators import (
    STATUS_NA,
    STATUS_OK,
    STATUS_PARTIAL,
    benchmark_unit_problem,
)
from qygeo.errors import DataFileError

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import pandas as pd

#: targets.csv indicator -> (indicator key it is compared with, label; ``{year}`` in the
#: label is the targets.csv row's year). Every target is compared with a plot indicator on
#: industrial land: no park column of the report (investment or output ÷ gross park area)
#: is on a target's basis.
TARGET_MEASURES: dict[str, tuple[str, str]] = {
    # Land investment intensity = fixed-asset investment ÷ industrial land: compared with the
    # indicator on that basis, never with signed investment ÷ gross park area.
    "key_park_land_investment_intensity_target": (
        "industrial_fai_intensity_wan_per_ha",
        "{year} target: land investment intensity, fixed-asset investment ÷ industrial land "
        "(paper §6.2.3)"),
    # Output intensity, in the same sentence of the paper: on the same land (industrial),
    # never output ÷ gross park area.
    "key_park_land_output_intensity_target": (
        "industrial_output_intensity_wan_per_ha",
        "{year} target: output intensity, output ÷ industrial land (paper §6.2.3, read on "
        "the land of its investment target)"),
    "guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity": (
        "industrial_fai_intensity_wan_per_ha",
        "Guangdong dev-zone average {year}: industrial land fixed-asset investment intensity"),
    "guangdong_dev_zone_industrial_land_tax_intensity": (
        "industrial_tax_intensity_wan_per_ha",
        "Guangdong dev-zone average {year}: industrial land tax per area"),
}
#: Units a compared targets.csv row may be in (:mod:`qygeo.core.metrics`, below the
#: indicators that read Guangdong's figures in them too).
YUAN_PER_KM2_PER_UNIT = metrics.YUAN_PER_KM2_PER_UNIT
#: The unit of the compared indicators, as shown, and yuan/km² in one of it.
TARGET_UNIT = "万元/公顷"
YUAN_PER_KM2_PER_TARGET_UNIT = YUAN_PER_KM2_PER_UNIT["10k_yuan/ha"]

#: What a target row says of a partial current figure.
PARTIAL_NOTE = ("current figure partial (a lower bound, or over part of the plots: see the "
                "indicator's basis): met not decided, gap and growth not exact")

#: What a target row says of a lower-bound figure at or above the target: met, proven.
LOWER_BOUND_MET_NOTE = ("already met: the current figure is a lower bound (partial, see the "
                        "indicator's basis), and the complete figure is at least it")

TARGET_COLUMNS = ["park_id", "target", "target_name", "measure", "current", "current_status",
                  "current_as_of",
                  "target_value", "unit", "target_year", "base_year", "years_left", "gap", "met",
                  "needed_annual_growth", "note", "source"]


def unit_problem(targets: pd.DataFrame) -> tuple[int, str] | None:
    """The first row of *targets* compared with a park figure, or shown beside an
    indicator, whose unit qygeo cannot convert to that figure's, as (row position,
    problem); None when every such row's unit is known.

    Such a row would otherwise drop out of every comparison without a word.
    """
    if not len(targets) or not {"indicator", "unit"} <= set(targets.columns):
        return None
    for i, (name, unit) in enumerate(zip(targets["indicator"], targets["unit"], strict=True)):
        if name in TARGET_MEASURES and unit not in YUAN_PER_KM2_PER_UNIT:
            return i, (f"unit {unit!r} of {name} is not one qygeo converts "
                       f"({', '.join(YUAN_PER_KM2_PER_UNIT)})")
        problem = benchmark_unit_problem(name, unit)  # a Guangdong figure beside an indicator
        if problem is not None:
            return i, problem
    return None


def check_units(targets: pd.DataFrame | None, root: Path | None = None) -> None:
    """Refuse *targets* (targets.csv of the data folder *root*, when known) when
    :func:`unit_problem` finds a row in a unit qygeo cannot convert.

    Raises
    ------
    DataFileError
        Naming the row and its unit.
    """
    from qygeo.io.dataset import ATTRIBUTES_DIR, TARGETS

    bad = unit_problem(targets) if targets is not None else None
    if bad is not None:  # a target in another unit would drop out of every comparison
        where = Path(ATTRIBUTES_DIR) / TARGETS
        raise DataFileError(where if root is None else Path(root) / where,
                            f"row {bad[0] + 2}: {bad[1]}")


def targets_or_default(targets: pd.DataFrame | None) -> pd.DataFrame:
    """*targets* (a data folder's targets.csv), else the paper's two 2027 targets."""
    return targets if targets is not None else default_targets()


#: targets.csv row of Guangdong's industrial-land fixed-asset investment intensity.
GUANGDONG_FAI = "guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity"


def basis_note(targets: pd.DataFrame) -> str:
    """Why the park-wide investment intensity gets no gap to the land investment intensity
    target, with the target and Guangdong's level as *targets* gives them.

    The report's intensity is investment ÷ gross park area; the target and the
    benchmark are fixed-asset investment ÷ industrial land, another basis.
    """
    said = []
    for t in targets.itertuples():
        if t.indicator not in ("key_park_land_investment_intensity_target", GUANGDONG_FAI):
            continue
        yuan_per_km2 = float(t.value) * YUAN_PER_KM2_PER_UNIT.get(t.unit, math.nan)
        if t.indicator == GUANGDONG_FAI:
            wan_per_ha = float(metrics.yuan_per_km2_to_wan_per_ha(yuan_per_km2))
            said.append(f"Guangdong's {int(t.year)} level {wan_per_ha:,.2f} 万元/公顷")
        else:
            yi = float(metrics.yuan_per_km2_to_yi_per_km2(yuan_per_km2))
            wan_per_mu = float(metrics.yuan_per_km2_to_wan_per_mu(yuan_per_km2))
            said.insert(0, f"the {int(t.year)} target ({yi:,.4g} 亿元/km² = "
                           f"{wan_per_mu:,.0f} 万元/亩)")
    if not said:
        return ("n/a: attributes/targets.csv holds no land investment intensity target; this "
                "intensity is investment ÷ gross park area, not land investment intensity.")
    return (f"n/a: {' and '.join(said)} (attributes/targets.csv) "
            f"{'are' if len(said) > 1 else 'is'} land investment intensity (fixed-asset "
            "investment ÷ industrial land); this intensity is investment ÷ gross park area, "
            "another basis. The target is compared with the industrial-land fixed-asset "
            "investment intensity (target_gap_yuan_per_km2).")


def default_targets() -> pd.DataFrame:
    """The two 2027 targets of the paper, for data folders without targets.csv."""
    import pandas as pd

    return pd.DataFrame([
        {"indicator": "key_park_land_investment_intensity_target",
         "value": metrics.TARGET_INVESTMENT_INTENSITY_YUAN_PER_KM2, "unit": "yuan/km2",
         "year": metrics.TARGET_YEAR, "source": "Chen et al. 2025, §6.2.3"},
        {"indicator": "key_park_land_output_intensity_target",
         "value": metrics.TARGET_OUTPUT_INTENSITY_YUAN_PER_KM2, "unit": "yuan/km2",
         "year": metrics.TARGET_YEAR, "source": "Chen et al. 2025, §6.2.3"},
    ])


def years_to_target(figure_date: dt.date, target_year: int) -> float:
    """Years from *figure_date* to the end of *target_year*: "by 2027" is by 2027-12-31.

    Whole calendar years after the figure's year, plus what is left of its year as a
    fraction of that year's days: a figure of a year's end (park_stats' yearly figures)
    has whole years, one of 2027-01-01 has 364/365 of a year to reach a 2027 target and
    one of 2027-12-31 none.
    """
    import datetime as dt

    year_days = (dt.date(figure_date.year + 1, 1, 1) - dt.date(figure_date.year, 1, 1)).days
    rest_days = (dt.date(figure_date.year, 12, 31) - figure_date).days
    return float(int(target_year) - figure_date.year) + rest_days / year_days


def gap_and_growth(current: float, target: float, base: int | dt.date | None,
                   target_year: int) -> tuple[float, bool | None, float, float | None, str]:
    """Gap, whether met, required yearly growth, years left and a note.

    *base* is the date the current figure is of, or its year (a yearly figure, of the
    year's end); years left count to the end of *target_year* (:func:`years_to_target`).

    Returns
    -------
    tuple
        ``(gap, met, growth, years_left, note)``: gap = target − current
        (NaN when current is unknown), met = current ≥ target (None when
        unknown), growth = ``(target/current) ** (1/years_left) − 1``, 0 when
        met, NaN when it cannot be computed (note says why).
    """
    import datetime as dt

    if current is None or (isinstance(current, float) and math.isnan(current)):
        return math.nan, None, math.nan, None, "current value n/a"
    gap = float(metrics.target_gap(current, target))
    met = bool(current >= target)
    years = (None if base is None else years_to_target(
        base if isinstance(base, dt.date) else dt.date(int(base), 12, 31), target_year))
    if met:
        return gap, met, 0.0, years, "already met"
    if years is None or years <= 0:
        return gap, met, math.nan, years, "no year left before the target year"
    if current <= 0:
        return gap, met, math.nan, years, "current value is 0: no growth rate reaches the target"
    return gap, met, float(metrics.required_annual_growth(current, target, years)), years, ""


def target_table(parks: pd.DataFrame, indicators: pd.DataFrame | None, targets: pd.DataFrame,
                 *, as_of: dt.date | int) -> pd.DataFrame:
    """Every park against every known target and benchmark.

    Years left count from the date the current figures are of (``base_year``, said in
    ``current_as_of``) to the end of the target year, in fractions of a year
    (:func:`years_to_target`): the indicators are sums over the plots contracted by
    *as_of* (their figures as recorded: the caller leaves out plots contracted later, see
    :func:`qygeo.pipeline.evaluation.contracted_after`), whatever year the park_stats
    figures are of.

    Parameters
    ----------
    parks : pandas.DataFrame
        The report's park table (its ``park_id``).
    indicators : pandas.DataFrame or None
        The report's long indicators table (``park_id, indicator, value``).
    targets : pandas.DataFrame
        ``attributes/targets.csv``; rows of unknown indicators are skipped. A
        ``benchmark`` row (``status``) of a year not after the base year is a level to
        reach by :data:`qygeo.core.metrics.TARGET_YEAR`; a target keeps its own year,
        passed or not (the note says when it has passed).
    as_of : datetime.date or int
        The date (or year) the plot-based indicators are of (the report's ``--as-of``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TARGET_COLUMNS`, one row per park and target.

    Raises
    ------
    DataFileError
        A compared row in a unit qygeo cannot convert (:func:`unit_problem`).
    """
    import pandas as pd

    check_units(targets)  # where the units are converted (callers check earlier, by path)

    plots_year = as_of if isinstance(as_of, int) else as_of.year
    plots_date = as_of if isinstance(as_of, int) else as_of.isoformat()
    current_as_of = f"plots contracted by {plots_date}"
    ind: dict[tuple[str, str], tuple[Any, str, bool]] = {}
    if indicators is not None and len(indicators):
        statuses = (indicators["status"] if "status" in indicators.columns
                    else pd.Series(STATUS_OK, index=indicators.index))
        lower = (indicators["lower_bound"] if "lower_bound" in indicators.columns
                 else pd.Series(False, index=indicators.index))
        # Why a figure is n/a, where the caller knows (a plot of unknown contract date).
        why = (indicators["reason"] if "reason" in indicators.columns
               else pd.Series(None, index=indicators.index, dtype=object))
        ind = {(pid, key): (value, status, bool(low), r if isinstance(r, str) else None)
               for pid, key, value, status, low, r in zip(
                   indicators["park_id"], indicators["indicator"], indicators["value"],
                   statuses, lower, why, strict=True)}
    park_ids = list(parks["park_id"])
    rows: list[dict[str, Any]] = []
    for t in targets.itertuples():
        spec = TARGET_MEASURES.get(t.indicator)
        if spec is None:
            continue
        measure, label = spec
        value = float(t.value) * YUAN_PER_KM2_PER_UNIT[t.unit] / YUAN_PER_KM2_PER_TARGET_UNIT
        benchmark = getattr(t, "status", "target") == "benchmark"
        # A benchmark of a past year is a level to reach; a target keeps its own year.
        t_year = (metrics.TARGET_YEAR if benchmark and int(t.year) <= plots_year
                  else int(t.year))
        for park_id in park_ids:
            cur, status, lower_bound, why_na = ind.get((park_id, measure),
                                                       (None, STATUS_NA, False, None))
            cur = math.nan if cur is None or pd.isna(cur) else float(cur)
            status = STATUS_NA if math.isnan(cur) else status
            gap, met, growth, years, note = gap_and_growth(cur, value, as_of, t_year)
            if why_na and math.isnan(cur):
                note = f"{note}: {why_na}"
            # Decided on the figure itself (met is True, False or None for n/a), before a
            # partial figure's met is left undecided: a figure at the target has no year
            # to lack.
            if int(t.year) < t_year:
                note = (note + "; " if note else "") + f"{int(t.year)} level, to reach by {t_year}"
            elif years is not None and years <= 0 and met is False:
                note = (f"target year {t_year} is not after {plots_year}, the year of the "
                        "current figure: no year left to grow in")
            if status == STATUS_PARTIAL and met and lower_bound:
                note = LOWER_BOUND_MET_NOTE  # the complete figure is at least this one
            elif status == STATUS_PARTIAL:
                said = "the partial figure meets the target" if met else note
                met, note = None, "; ".join(filter(None, (PARTIAL_NOTE, said)))
            rows.append({"park_id": park_id, "target": t.indicator,
                         "target_name": label.format(year=int(t.year)),
                         "measure": measure, "current": cur, "current_status": status,
                         "current_as_of": current_as_of,
                         "target_value": value,
                         "unit": TARGET_UNIT,
                         "target_year": t_year, "base_year": plots_year, "years_left": years,
                         "gap": gap, "met": met, "needed_annual_growth": growth,
                         "note": note, "source": t.source})
    return pd.DataFrame(rows, columns=TARGET_COLUMNS)


TREND_COLUMNS = ["park_id", "year", "signed_investment_yuan", "intensity_yuan_per_km2",
                 "output_yuan", "output_intensity_yuan_per_km2", "tax_yuan", "source"]


def trend_table(park_stats: pd.DataFrame, park_area_km2: dict[str, float], *,
                first_year: int = 2019, last_year: int | None = None) -> pd.DataFrame:
    """Yearly figures of parks with at least two years in *first_year*..*last_year*
    (default: every year from *first_year* on; a report passes its own year).

    Intensities divide each year's figure by the park's current polygon area
    (a boundary history is not recorded), in yuan/km².

    Returns
    -------
    pandas.DataFrame
        Columns :data:`TREND_COLUMNS`, sorted by park and year; empty when no
        park has two years.
    """
    import pandas as pd

    if park_stats is None or not len(park_stats):
        return pd.DataFrame(columns=TREND_COLUMNS)
    s = park_stats[park_stats["year"] >= first_year]
    if last_year is not None:
        s = s[s["year"] <= last_year]
    s = s[s["park_id"].isin(park_area_km2)]
    counts = s.groupby("park_id")["year"].nunique()
    s = s[s["park_id"].isin(counts[counts >= 2].index)].copy()
    if not len(s):
        return pd.DataFrame(columns=TREND_COLUMNS)
    area = s["park_id"].map(park_area_km2).to_numpy(dtype="float64")
    for c in ("signed_investment_yuan", "output_yuan", "tax_yuan"):
        if c not in s.columns:
            s[c] = np.nan
    s["intensity_yuan_per_km2"] = metrics.intensity_yuan_per_km2(s["signed_investment_yuan"], area)
    s["output_intensity_yuan_per_km2"] = metrics.intensity_yuan_per_km2(s["output_yuan"], area)
    if "source" not in s.columns:
        s["source"] = None
    return s[TREND_COLUMNS].sort_values(["park_id", "year"]).reset_index(drop=True)


def observed_growth(trends: pd.DataFrame, column: str) -> dict[str, float]:
    """Compound yearly growth of *column* per park between its first and last known year."""
    out = {}
    for pid, grp in trends.groupby("park_id"):
        g = grp.dropna(subset=[column])
        if len(g) < 2:
            continue
        first, last = g.iloc[0], g.iloc[-1]
        years = int(last["year"]) - int(first["year"])
        if years > 0 and first[column] > 0:
            out[pid] = float((last[column] / first[column]) ** (1 / years) - 1)
    return out
