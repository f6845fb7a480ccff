"""Development-zone land-use indicators per park, in the style of TD/T 1029-2013.

《开发区土地集约利用评价规程》(TD/T 1029-2013) is the standard by which the
Ministry of Natural Resources and the provinces evaluate development zones
(Guangdong's yearly 开发区土地集约利用水平速览 reports, e.g. 2019: 工业用地固定
资产投入强度 7617.58 万元/公顷 and 工业用地地均税收 966.19 万元/公顷 over 117 zones;
the ministry's national bulletins report 土地开发率, 土地供应率, 土地建成率,
综合容积率, 建筑密度, 工业用地率, 工业用地固定资产投入强度, 工业用地地均税收). Its
definitions, and how qygeo feeds them from the plots table:

``land_development_rate`` 土地开发率
    TD/T: 已达到供地条件的土地面积 / 可供开发建设的土地面积 (land ready for supply /
    developable construction land, not the whole zone). qygeo: park
    ``ready_for_supply_area_m2`` / park ``developable_area_m2`` (parks layer or
    park_stats; n/a with the reason when either is absent: the park polygon,
    which holds hills and water, is not the denominator).
``land_supply_rate`` 土地供应率
    TD/T: 已供应国有建设用地面积 / 已达到供地条件的土地面积. qygeo: Σ plot area
    (a plot in the layer is supplied land) / ``ready_for_supply_area_m2``.
``land_built_up_rate`` 土地建成率
    TD/T: 已建成城镇建设用地面积 / 已供应国有建设用地面积. qygeo: Σ built-up
    land / Σ plot area.
``industrial_land_share`` 工业用地率
    TD/T: 工业用地面积 / 已建成城镇建设用地面积. qygeo: Σ built-up land of plots
    with ``land_use`` = industrial / Σ built-up land.
``floor_area_ratio`` 综合容积率
    TD/T: 总建筑面积 / 已建成城镇建设用地面积. qygeo: Σ ``floor_area_m2`` / Σ
    built-up land over built plots.
``industrial_floor_area_ratio`` 工业用地综合容积率
    The same over built industrial plots.
``building_density`` 建筑密度
    TD/T: 建筑基底总面积 / 已建成城镇建设用地面积. qygeo: Σ
    ``building_footprint_m2`` (optional column, not in the bundled data) / Σ
    built-up land.
``industrial_building_coverage`` 工业用地建筑系数
    TD/T: 工业用地上建筑物、构筑物基底及露天堆场面积 / 工业用地面积. qygeo: Σ
    ``building_footprint_m2`` / Σ built-up land over built industrial plots.
``industrial_fai_intensity_wan_per_ha`` 工业用地固定资产投入强度 (万元/公顷)
    TD/T: 工业(物流)企业累计固定资产投资总额 / 已建成工业(物流)用地面积. qygeo: Σ
    ``invested_yuan`` / Σ built-up land over built plots whose ``land_use`` is
    industrial or logistics.
``industrial_tax_intensity_wan_per_ha`` 工业用地地均税收 (万元/公顷)
    TD/T: 工业(物流)企业税收总额 / 已建成工业(物流)用地面积. qygeo: Σ ``tax_yuan``
    / Σ built-up land over the same plots. A built plot that reports no tax
    stays in the denominator (its tax is missing, not absent land): the value
    is then ``partial``, a lower bound, and the plots are named. Dividing over
    the reporting plots only would inflate it.
``industrial_output_intensity_wan_per_ha`` 工业用地地均产出 (万元/公顷)
    Not a TD/T 1029 indicator: the paper's 2027 output-intensity target (§6.2.3) is
    given in one sentence with its land investment intensity target, so it is read on
    the same land: Σ ``output_yuan`` / Σ built-up land over the same plots, a built
    plot reporting no output staying in the denominator (partial, a lower bound).
``idle_land_disposal_rate`` 闲置土地处置率
    TD/T: 已处置闲置土地面积 / 闲置土地总面积. qygeo: plots idle by the MLR No. 53
    rule (:mod:`qygeo.core.idle`) plus plots with ``idle_disposed_on`` set (optional
    column); disposed area / that area.

Built-up land (TD/T 已建成城镇建设用地) of a plot is its ``built_up_area_m2``;
where a plot does not give it, its ``developed_area_m2`` (Order No. 53 Art. 2's
area under development, which includes land being built on) stands in, and
the basis says for how many plots. A plot is built when that is > 0. Rates
are fractions (0.25 = 25 %).

Guangdong's 2019 evaluation of its development zones (2018 data) is shown
beside each indicator it covers (:data:`GUANGDONG_2019`, values read from
``attributes/targets.csv``).

Missing inputs. A column absent from the plots table, or no plot to compute
over, gives ``status = "n/a"`` and ``value = None`` with the reason. Where
some plots lack an input, they are left out of numerator and denominator
alike, the value is computed over the others and ``status = "partial"``; the
``basis`` names the plots left out. No value is ever filled in.

Deviations from the standard, because a plots layer is not a land survey: the
zone's roads, green space and public facilities are not plots, so built-up
land here is the plots' developed land only, and ratios over it (industrial
land share, floor-area ratio) are of the plots, not of the whole zone.

Why over 600 lines: each indicator's definition is quoted from the standard
beside its computation, and the indicators share one pass over the plot columns.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.core import metrics
from qygeo.values import present as _present
from qygeo.values import text_kinds

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import pandas as pd
    import pyarrow as pa

STATUS_OK = "ok"
STATUS_PARTIAL = "partial"
STATUS_NA = "n/a"

#: Land uses counted as 工业(物流) land for the investment and tax intensities.
INDUSTRIAL_USES = ("industrial", "logistics")
#: Land uses counted as 工业用地 for the industrial land share.
INDUSTRIAL_SHARE_USES = ("industrial",)

#: key -> (中文, English, unit). Order is the report order.
INDICATORS: dict[str, tuple[str, str, str]] = {
    "land_development_rate": ("土地开发率", "Land development rate", "share"),
    "land_supply_rate": ("土地供应率", "Land supply rate", "share"),
    "land_built_up_rate": ("土地建成率", "Land built-up rate", "share"),
    "industrial_land_share": ("工业用地率", "Industrial land share", "share"),
    "floor_area_ratio": ("综合容积率", "Comprehensive floor-area ratio", "ratio"),
    "industrial_floor_area_ratio": ("工业用地综合容积率", "Industrial land floor-area ratio",
                                    "ratio"),
    "building_density": ("建筑密度", "Building density", "share"),
    "industrial_building_coverage": ("工业用地建筑系数", "Industrial land building coverage",
                                     "share"),
    "industrial_fai_intensity_wan_per_ha": ("工业用地固定资产投入强度",
                                            "Industrial land fixed-asset investment intensity",
                                            "万元/公顷"),
    "industrial_tax_intensity_wan_per_ha": ("工业用地地均税收", "Industrial land tax per area",
                                            "万元/公顷"),
    "industrial_output_intensity_wan_per_ha": ("工业用地地均产出", "Industrial land output per "
                                               "area", "万元/公顷"),
    "idle_land_disposal_rate": ("闲置土地处置率", "Idle land disposal rate", "share"),
}


#: Indicator key → the ``attributes/targets.csv`` row holding Guangdong's 2019
#: development-zone evaluation figure for it (shown beside the park's value).
GUANGDONG_2019: dict[str, str] = {
    "land_development_rate": "guangdong_dev_zone_land_development_rate",
    "land_supply_rate": "guangdong_dev_zone_land_supply_rate",
    "land_built_up_rate": "guangdong_dev_zone_land_built_up_rate",
    "floor_area_ratio": "guangdong_dev_zone_floor_area_ratio",
    "industrial_floor_area_ratio": "guangdong_dev_zone_industrial_floor_area_ratio",
    "building_density": "guangdong_dev_zone_building_density",
    "industrial_building_coverage": "guangdong_dev_zone_industrial_building_coverage",
    "industrial_fai_intensity_wan_per_ha":
        "guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity",
    "industrial_tax_intensity_wan_per_ha": "guangdong_dev_zone_industrial_land_tax_intensity",
}


def _per_indicator_unit(key: str) -> dict[str, float]:
    """The targets.csv units a figure of indicator *key* may be in → the indicator's unit
    in one of it: money per area through :data:`qygeo.core.metrics.YUAN_PER_KM2_PER_UNIT`,
    a share or a ratio only as itself."""
    unit = INDICATORS[key][2]
    if unit == "万元/公顷":
        wan_per_ha = metrics.YUAN_PER_KM2_PER_UNIT["10k_yuan/ha"]
        return {u: f / wan_per_ha for u, f in metrics.YUAN_PER_KM2_PER_UNIT.items()}
    return {unit: 1.0}


def benchmark_unit_problem(name: str, unit: object) -> str | None:
    """Why the targets.csv row *name* in *unit* cannot stand beside its indicator (a
    share benchmark in 万元/公顷, say); None when it can, or *name* is no such figure."""
    key = next((k for k, n in GUANGDONG_2019.items() if n == name), None)
    if key is None or unit in (accepted := _per_indicator_unit(key)):
        return None
    return (f"unit {unit!r} of {name} is not one of its indicator {key} "
            f"({', '.join(accepted)})")


def guangdong_figures(targets: pd.DataFrame | None) -> dict[str, float]:
    """Indicator key → Guangdong's 2019 figure in the indicator's unit, from the targets
    table (absent, or in a unit not of the indicator: left out; load refuses the latter)."""
    if targets is None or not len(targets) or "indicator" not in targets.columns:
        return {}
    units = targets["unit"] if "unit" in targets.columns else [None] * len(targets)
    by_name = {name: (v, u) for name, v, u in zip(targets["indicator"], targets["value"],
                                                  units, strict=True)}
    out = {}
    for key, name in GUANGDONG_2019.items():
        v, unit = by_name.get(name, (None, None))
        factor = _per_indicator_unit(key).get(unit)
        if _present(v) and factor is not None:
            out[key] = float(v) * factor
    return out


@dataclass(frozen=True)
class Indicator:
    """One indicator's result.

    Attributes
    ----------
    key : str
        A key of :data:`INDICATORS`.
    value : float or None
        None when n/a.
    status : str
        ``ok``, ``partial`` (some plots left out, named in *basis*) or ``n/a``.
    basis : str
        What it was computed from, or why it is n/a.
    lower_bound : bool
        A ``partial`` value that is partial only because some plots report no figure of
        the numerator, their land kept in the denominator: the complete value is at
        least it (so it meets a target it reaches). False otherwise.
    """

    key: str
    value: float | None
    status: str
    basis: str
    lower_bound: bool = False


def _na(key: str, reason: str) -> Indicator:
    return Indicator(key, None, STATUS_NA, reason)


class PlotColumns:
    """The plots table's columns as arrays, each converted once and shared by all parks.

    Parameters
    ----------
    plots : pandas.DataFrame
        The report's plot table (see :func:`park_indicators`).
    """

    def __init__(self, plots: pd.DataFrame) -> None:
        self.plots = plots
        self.n = len(plots)
        self._index: np.ndarray | None = None  # rows of the whole table, for a subset
        self._parent: PlotColumns | None = None
        self._num: dict[str, np.ndarray] = {}
        self._known: dict[str, np.ndarray] = {}
        self._uses: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._idle: tuple[np.ndarray, np.ndarray] | None = None

    def subset(self, rows: np.ndarray) -> PlotColumns:
        """The rows *rows* (a boolean mask, or row positions, which may repeat), as a table.

        Columns are converted once, by the whole table, and taken from there.
        """
        rows = np.asarray(rows)
        sub = PlotColumns(self.plots)
        sub._parent = self
        sub._index = np.flatnonzero(rows) if rows.dtype == bool else rows
        sub.n = len(sub._index)
        return sub

    def has(self, col: str) -> bool:
        """Whether the table has column *col*."""
        return col in self.plots.columns

    def column(self, col: str, part: slice | None = None) -> pd.Series:
        """Column *col* as in the table (its rows only, for a subset; rows *part* of those)."""
        s = self.plots[col]
        if self._index is None:
            return s if part is None else s.iloc[part]
        return s.iloc[self._index if part is None else self._index[part]]

    def num(self, col: str) -> np.ndarray:
        """Column *col* as float64 (unparsable values NaN)."""
        if col not in self._num:
            if self._parent is not None:
                self._num[col] = self._parent.num(col)[self._index]
            else:
                import pandas as pd

                s = self.plots[col]
                # Read only, never written: a float64 column is used as it is, not copied.
                self._num[col] = (s.to_numpy() if s.dtype == np.float64 else pd.to_numeric(
                    s, errors="coerce").to_numpy(dtype="float64"))
        return self._num[col]

    def known(self, col: str) -> np.ndarray:
        """Where column *col* has a number."""
        if col not in self._known:
            self._known[col] = ~np.isnan(self.num(col))
        return self._known[col]

    def idle(self) -> tuple[np.ndarray, np.ndarray]:
        """``idle_status``: judged by the rule (not ``n/a``), and ``idle``."""
        if self._idle is None:
            if self._parent is not None:
                judged, idle = self._parent.idle()
                self._idle = (judged[self._index], idle[self._index])
            else:
                status = self.plots["idle_status"]
                self._idle = ((status != "n/a").to_numpy(dtype=bool, na_value=False),
                              status.isin(("idle", "idle_art8")).to_numpy(dtype=bool))
        return self._idle

    def ids(self, mask: np.ndarray, limit: int = 5, *, start: int = 0) -> str:
        """The first *limit* plot ids of the rows in *mask*, and how many more.

        *mask* covers the rows from position *start* on.
        """
        if "plot_id" not in self.plots.columns:
            return ""
        rows = np.flatnonzero(mask)
        first = rows[:limit] + start
        first = first if self._index is None else self._index[first]
        col = self.plots["plot_id"]
        # One by one: taking an array of positions from Arrow text joins its chunks first.
        ids = [str(col.iloc[int(i)]) for i in first]
        more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
        return ", ".join(ids) + more

    def uses(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``land_use`` (stripped, lower case): unknown, in the share uses, in the 工业(物流) uses.

        Each distinct value is read once; all False without a ``land_use`` column.
        """
        if self._uses is None:
            if self._parent is not None:
                self._uses = tuple(a[self._index] for a in self._parent.uses())  # type: ignore[assignment]
                return self._uses  # type: ignore[return-value]
            if "land_use" not in self.plots.columns:
                no = np.zeros(self.n, dtype=bool)
                self._uses = (no, no, no)
                return self._uses
            # A missing use (None, NaN, NA) is unknown; any text is a use, maybe no industry's.
            kinds = text_kinds(self.plots["land_use"], _use_kinds, missing=-1)
            self._uses = (kinds < 0, kinds == 1, kinds >= 1)
        return self._uses


#: Up to this many parks, :meth:`ParkRows.of` finds each park's rows by a pass of its own;
#: more are sorted once.
MASKED_PARKS = 16


def _use_kinds(words: pa.Array) -> np.ndarray:
    """Land uses (stripped, lower case) by kind: 1 industrial (in the share and the 工业(物流)
    uses), 2 only in the 工业(物流) uses, 0 other."""
    norm = [str(v).strip().lower() for v in words.to_pylist()]
    return np.array([1 if u in INDUSTRIAL_SHARE_USES else 2 if u in INDUSTRIAL_USES else 0
                     for u in norm], dtype=np.int8)


@dataclass(frozen=True)
class ParkRows:
    """The plot rows of several parks, end to end: park *i* has ``rows[bounds[i]:bounds[i + 1]]``.

    Each park's rows are in table order, so a sum over them adds the same
    numbers in the same order as a sum over the park's own table would.

    Attributes
    ----------
    rows : numpy.ndarray of int
        Row positions in the plot table; a plot of a nested park is in its
        own park's rows and in its parents'.
    bounds : numpy.ndarray of int
        ``len(parks) + 1`` offsets into *rows*.
    """

    rows: np.ndarray
    bounds: np.ndarray

    @classmethod
    def of(cls, codes: np.ndarray, members: Sequence[Sequence[int]]) -> ParkRows:
        """The rows of parks made of groups of plots.

        Parameters
        ----------
        codes : numpy.ndarray of int
            Each plot's group (its ``park_id`` coded 0, 1, …; −1: none).
        members : sequence of sequences of int
            For each park, the groups it is made of (itself and its nested parks).
        """
        codes = np.asarray(codes)
        size = max([int(codes.max(initial=-1)), *(max(m, default=-1) for m in members)]) + 2
        # Slot 0: plots of no group; code + 1 in the smallest unsigned type (−1 wraps to 0).
        slot = np.add(codes, 1, dtype=np.min_scalar_type(size), casting="unsafe")
        if len(members) <= MASKED_PARKS:
            # A pass per park over small integers, its rows in table order as they come:
            # a few parks take less than the sort below.
            parts = []
            for m in members:
                if len(m) == 1:
                    parts.append(np.flatnonzero(slot == m[0] + 1))
                else:
                    mine = np.zeros(size, dtype=bool)
                    mine[np.asarray(m, dtype=np.intp) + 1] = True
                    parts.append(np.flatnonzero(mine[slot]))
            rows = np.concatenate(parts) if parts else np.zeros(0, dtype=np.intp)
            return cls(rows, np.r_[0, np.cumsum([len(p) for p in parts], dtype=np.int64)])
        # Stable sort of small integers (radix): each group's rows in table order, together.
        order = np.argsort(slot, kind="stable")
        starts = np.r_[0, np.cumsum(np.bincount(slot, minlength=size))]
        parts = []
        for m in members:
            runs = [order[starts[c + 1]:starts[c + 2]] for c in m]
            # A stable sort of sorted runs merges them (timsort): one pass.
            parts.append(runs[0] if len(runs) == 1 else
                         np.sort(np.concatenate(runs or [order[:0]]), kind="stable"))
        rows = np.concatenate(parts) if parts else order[:0]
        return cls(rows, np.r_[0, np.cumsum([len(p) for p in parts], dtype=np.int64)])

    def parts(self) -> list[slice]:
        """Each park's slice of :attr:`rows`."""
        b = self.bounds.tolist()
        return [slice(a, z) for a, z in zip(b[:-1], b[1:], strict=True)]


def _sum_ratios(key: str, cols: PlotColumns, parts: list[slice], num_col: str, den_col: str,
                rows: np.ndarray | None, *, what: str, scale: float = 1.0,
                num: np.ndarray | None = None, den: np.ndarray | None = None,
                den_note: str = "", lower_bound: bool = False) -> list[Indicator]:
    """Σ num / Σ den over *rows* of each park, leaving out (and naming) rows lacking either.

    *cols* holds the parks' rows end to end, park by park as in *parts*;
    *rows* is a mask over them (None: all). *num* / *den* give the values when
    they are not a column of the table (*den_note* is added to the basis).
    With *lower_bound*, a row lacking only the numerator stays in the
    denominator (partial: the value is a lower bound) instead of being left out.
    """
    for col, given in ((num_col, num), (den_col, den)):
        if not (cols.has(col) or given is not None):
            return [_na(key, f"no {col} column in the plots table")] * len(parts)
    known_num = cols.known(num_col) if num is None else ~np.isnan(num)
    num = cols.num(num_col) if num is None else num
    known_den = cols.known(den_col) if den is None else ~np.isnan(den)
    den = cols.num(den_col) if den is None else den
    if lower_bound:
        no_num = known_den & ~known_num
        if rows is not None:
            no_num &= rows
        num = np.where(known_num, num, 0.0)
        known_num = np.ones(len(num), dtype=bool)
    known = known_num & known_den
    if rows is not None:
        known &= rows
    out = []
    for part in parts:
        size = part.stop - part.start
        n_rows = size if rows is None else int(np.count_nonzero(rows[part]))
        if not n_rows:
            out.append(_na(key, f"no {what}"))
            continue
        k = known[part]
        n_known = int(np.count_nonzero(k))
        lacking = None
        if n_known < n_rows:
            lacking = cols.ids(~k if rows is None else rows[part] & ~k, start=part.start)
        if not n_known:
            out.append(_na(key, f"{num_col} or {den_col} unknown for all {what} ({lacking})"))
            continue
        # The known rows' values, in table order (a slice when all are known). Taken by
        # position: numpy's boolean indexing is several times slower.
        pick = slice(None) if n_known == size else np.flatnonzero(k)
        d = float(den[part][pick].sum())
        if d <= 0:
            out.append(_na(key, f"Σ {den_col} is 0 over the {what}"))
            continue
        value = float(num[part][pick].sum()) / d * scale
        basis = f"Σ {num_col} / Σ {den_col}{den_note} over {n_known} {what}"
        partial = lacking is not None
        if partial:
            basis += f"; left out for lacking {den_col}: {lacking}" if lower_bound else (
                f"; left out for lacking {num_col} or {den_col}: {lacking}")
        if lower_bound and no_num[part].any():
            n_no = int(np.count_nonzero(no_num[part]))
            if n_no == n_known:
                out.append(_na(key, f"{num_col} unknown for all {what} "
                                    f"({cols.ids(no_num[part], start=part.start)})"))
                continue
            basis += (f"; {num_col} not reported by {n_no} of them "
                      f"({cols.ids(no_num[part], start=part.start)}), whose land stays in the "
                      "denominator: a lower bound")
            partial = True
        # Plots left out altogether (lacking) could make the complete value lower.
        out.append(Indicator(key, value, STATUS_PARTIAL if partial else STATUS_OK, basis,
                             lower_bound=partial and lacking is None))
    return out


def park_indicators(plots: pd.DataFrame | PlotColumns, *, park_area_m2: float,
                    park_attrs: Mapping[str, Any] | None = None,
                    rows: np.ndarray | None = None,
                    as_of: dt.date | None = None) -> dict[str, Indicator]:
    """Every indicator of :data:`INDICATORS` for one park.

    Parameters
    ----------
    plots : pandas.DataFrame or PlotColumns
        The park's plots (nested parks' plots included) from the report's plot
        table: ``area_m2`` (plot land, m²), ``idle_status`` and any columns of
        the plots contract. With *rows*, the whole plot table (a
        :class:`PlotColumns` of it converts each column once for all parks).
    park_area_m2 : float
        The park polygon's area, m² (not a denominator of any indicator: the
        development rate divides by ``developable_area_m2``).
    park_attrs : mapping, optional
        The park's attributes (parks layer joined with park_stats); only
        ``ready_for_supply_area_m2`` (m² of land ready for supply, 已达到供地条件)
        and ``developable_area_m2`` (m² of developable construction land,
        可供开发建设的土地面积) are used.
    rows : numpy.ndarray of bool, optional
        The park's plots among *plots*; default all.
    as_of : datetime.date, optional
        The report's date: idle land disposed of after it is not yet disposed of.

    Returns
    -------
    dict
        Indicator key → :class:`Indicator`.
    """
    cols = plots if isinstance(plots, PlotColumns) else PlotColumns(plots)
    index = (np.arange(cols.n) if rows is None
             else np.flatnonzero(np.asarray(rows, dtype=bool)))
    return park_indicator_sets(cols, ParkRows(index, np.array([0, len(index)])),
                               park_area_m2=[park_area_m2], park_attrs=[park_attrs],
                               as_of=as_of)[0]


#: Rows from which :func:`park_indicator_sets` computes its two groups of indicators
#: on two threads.
THREADED_ROWS = 50_000


def park_indicator_sets(plots: pd.DataFrame | PlotColumns, parks: ParkRows, *,
                        park_area_m2: Sequence[float],
                        park_attrs: Sequence[Mapping[str, Any] | None],
                        as_of: dt.date | None = None,
                        ) -> list[dict[str, Indicator]]:
    """Every indicator of :data:`INDICATORS` for several parks at once.

    Each column is converted once for all parks and each park's rows of it are
    taken in turn; each park's sums add the same numbers in the same order as
    :func:`park_indicators` on that park alone.

    Parameters
    ----------
    plots : pandas.DataFrame or PlotColumns
        The report's whole plot table (see :func:`park_indicators`).
    parks : ParkRows
        Each park's plots (nested parks' plots included).
    park_area_m2 : sequence of float
        Each park polygon's area, m² (see :func:`park_indicators`).
    park_attrs : sequence of mappings or None
        Each park's attributes (see :func:`park_indicators`).
    as_of : datetime.date, optional
        See :func:`park_indicators`.

    Returns
    -------
    list of dict
        For each park, indicator key → :class:`Indicator`.
    """
    from concurrent.futures import ThreadPoolExecutor

    base = plots if isinstance(plots, PlotColumns) else PlotColumns(plots)
    # For a province's plots a second thread reads the land uses (Arrow text, once for the
    # whole table) while the numbers are converted here, then computes the second group of
    # each park's indicators.
    pool = ThreadPoolExecutor(1) if len(parks.rows) >= THREADED_ROWS else None
    out: list[dict[str, Indicator]] = []
    with pool or nullcontext():
        read = pool.submit(base.uses) if pool else None
        # Park by park: a park's columns are taken, used and freed before the next park's,
        # so each array holds one park's plots. Every park's end to end made arrays of ten
        # million plots, 80 MB each, that the kernel faulted in afresh; a park's are
        # reused by the next from malloc's heap.
        for part, attrs in zip(parks.parts(), park_attrs, strict=True):
            cols = base.subset(parks.rows[part])

            def uses(cols: PlotColumns = cols) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
                if read is not None:
                    read.result()  # the whole table's, then this park's rows of them
                return cols.uses()

            out += _indicator_sets(cols, [slice(0, cols.n)], [attrs],
                                   pool if cols.n >= THREADED_ROWS else None, uses, as_of)
    return out


def built_up_m2(cols: PlotColumns) -> tuple[np.ndarray, np.ndarray, bool]:
    """Each plot's built-up land in m² as the indicators read it: ``built_up_area_m2``,
    else ``developed_area_m2`` (said in the basis); NaN where unknown, or larger than the
    plot itself (bad data, as the idle rule's :data:`DEVELOPED_AREA_SLACK` judges it).

    Returns
    -------
    (built_m2, fallback, has_dev)
        The figures; where ``developed_area_m2`` stood in; whether the table has either
        column at all.
    """
    has_built_col = cols.has("built_up_area_m2")
    has_dev = has_built_col or cols.has("developed_area_m2")
    built_m2 = cols.num("built_up_area_m2") if has_built_col else np.full(cols.n, np.nan)
    fallback = np.isnan(built_m2)
    if cols.has("developed_area_m2") and fallback.any():
        built_m2 = np.where(fallback, cols.num("developed_area_m2"), built_m2)
    else:
        fallback = np.zeros(cols.n, dtype=bool)
    if has_dev and cols.has("area_m2"):
        from qygeo.core.idle import DEVELOPED_AREA_SLACK

        with np.errstate(invalid="ignore", over="ignore"):
            too_large = built_m2 > cols.num("area_m2") * (1.0 + DEVELOPED_AREA_SLACK)
        built_m2 = np.where(too_large, np.nan, built_m2)
    return built_m2, fallback, has_dev


def may_be_industrial_built(cols: PlotColumns) -> np.ndarray:
    """Plots whose land may be in the industrial money indicators' denominator (built
    industrial/logistics land): built-up land not known to be none, and a land use that
    is industrial, logistics or not given."""
    built_m2, _fallback, has_dev = built_up_m2(cols)
    if not has_dev:
        return np.zeros(cols.n, dtype=bool)
    use_unknown, _share, industrial = cols.uses()
    if not cols.has("land_use"):
        use_unknown = np.ones(cols.n, dtype=bool)
    with np.errstate(invalid="ignore"):
        return ~(built_m2 <= 0) & (industrial | use_unknown)


def _area_slack() -> float:
    """The share by which one area may exceed another that holds it (survey rounding):
    the idle rule's :data:`qygeo.core.idle.DEVELOPED_AREA_SLACK`, the one such figure."""
    from qygeo.core.idle import DEVELOPED_AREA_SLACK

    return DEVELOPED_AREA_SLACK


def _indicator_sets(cols: PlotColumns, parts: list[slice],
                    park_attrs: Sequence[Mapping[str, Any] | None], pool: Any,
                    uses: Callable[[], tuple[np.ndarray, np.ndarray, np.ndarray]],
                    as_of: dt.date | None = None) -> list[dict[str, Indicator]]:
    """:func:`park_indicator_sets` of parks whose rows are *parts* of *cols*: the second
    group of indicators on *pool*'s thread (None: all on this one)."""
    out: list[dict[str, Indicator]] = [{} for _ in parts]
    area = cols.num("area_m2") if cols.has("area_m2") else np.full(cols.n, np.nan)

    no_ready = ("no ready_for_supply_area_m2 for the park (land that has reached supply "
                "conditions, 已达到供地条件) in the parks layer or park_stats")
    no_developable = ("no developable_area_m2 for the park (developable construction land, "
                      "可供开发建设的土地面积) in the parks layer or park_stats; the park "
                      "polygon is not the denominator")
    for o, part, attrs in zip(out, parts, park_attrs, strict=True):
        n = part.stop - part.start
        ready = dict(attrs or {}).get("ready_for_supply_area_m2")
        ready = float(ready) if _present(ready) else None
        developable = dict(attrs or {}).get("developable_area_m2")
        developable = float(developable) if _present(developable) else None
        if ready is None:
            o["land_development_rate"] = _na("land_development_rate", no_ready)
            o["land_supply_rate"] = _na("land_supply_rate", no_ready)
            continue
        supplied_m2 = float(area[part].sum()) if n else 0.0
        if math.isnan(supplied_m2):  # Σ with NaN as 0; np.nansum copies the areas to fill them
            supplied_m2 = float(np.nansum(area[part]))
        # A denominator of 0 is a figure given, not one missing: n/a saying so (its
        # loaders refuse negative and infinite figures).
        # TD/T 1029 nests the three: supplied land is part of the land ready for supply,
        # which is part of the developable land. A rate above 1 (beyond the slack the
        # idle rule allows a developed area) says the figures disagree, not a rate.
        limit = 1.0 + _area_slack()
        o["land_development_rate"] = (
            _na("land_development_rate", no_developable) if developable is None
            else _na("land_development_rate", "developable_area_m2 is 0 (no developable "
                     "land to divide by)") if developable == 0
            else _na("land_development_rate", f"ready_for_supply_area_m2 ({ready:,.0f} m²) "
                     f"exceeds developable_area_m2 ({developable:,.0f} m²), which holds it: "
                     "the figures disagree") if ready > developable * limit
            else Indicator("land_development_rate", ready / developable, STATUS_OK,
                           "ready_for_supply_area_m2 / developable_area_m2"))
        o["land_supply_rate"] = (
            _na("land_supply_rate", "no plots (no supplied land recorded)") if not n
            else _na("land_supply_rate", "ready_for_supply_area_m2 is 0 (no land ready for "
                     "supply to divide by)") if ready == 0
            else _na("land_supply_rate", f"the {n} plots' area ({supplied_m2:,.0f} m²) "
                     f"exceeds ready_for_supply_area_m2 ({ready:,.0f} m²), which holds the "
                     "supplied land: the figures disagree") if supplied_m2 > ready * limit
            else Indicator("land_supply_rate", supplied_m2 / ready, STATUS_OK,
                           f"Σ plot area of {n} plots / ready_for_supply_area_m2"))

    def put(key: str, values: list[Indicator]) -> None:
        for o, v in zip(out, values, strict=True):
            o[key] = v

    built_m2, fallback, has_dev = built_up_m2(cols)
    built = built_m2 > 0 if has_dev else np.zeros(cols.n, bool)
    land = "built_up_area_m2" if has_dev else "developed_area_m2"
    notes = []
    for part in parts:
        k = int(np.count_nonzero(fallback[part]))
        notes.append("" if not k else " (developed_area_m2, Order No. 53 Art. 2's area under "
                     f"development, stands in where built_up_area_m2 is not given: {k} plot(s))")

    def ratios(key: str, num_col: str, den_col: str, rows: np.ndarray | None, *, what: str,
               **kw: Any) -> list[Indicator]:
        """:func:`_sum_ratios` with built-up land as the denominator or numerator."""
        if den_col == land:
            kw["den"] = built_m2 if has_dev else None
        if num_col == land:
            kw["num"] = built_m2 if has_dev else None
        res = _sum_ratios(key, cols, parts, num_col, den_col, rows, what=what, **kw)
        return [replace(r, basis=r.basis.replace(
            land, land + notes[i], 1)) if r.value is not None and notes[i] else r
            for i, r in enumerate(res)]

    use_unknown, share_use, industrial_use = uses()

    def land_use_group() -> None:
        put("land_built_up_rate", ratios("land_built_up_rate", land, "area_m2", None,
                                         what="plots"))
        if not has_dev:
            put("industrial_land_share", [_na("industrial_land_share",
                                              "no developed_area_m2 column in the plots table")]
                * len(parts))
        elif not cols.has("land_use"):
            put("industrial_land_share", [_na("industrial_land_share",
                                              "no land_use column in the plots table")]
                * len(parts))
        else:
            industrial_m2 = np.where(share_use, built_m2, np.where(use_unknown, np.nan, 0.0))
            put("industrial_land_share", [
                _rename(v, "_industrial_m2", f"industrial {land}")
                for v in ratios("industrial_land_share", "_industrial_m2", land, built,
                                what="built plots", num=industrial_m2)])
        put("floor_area_ratio", ratios("floor_area_ratio", "floor_area_m2", land, built,
                                       what="built plots"))
        put("building_density", ratios("building_density", "building_footprint_m2", land,
                                       built, what="built plots"))
        for key, num_col in (("industrial_floor_area_ratio", "floor_area_m2"),
                             ("industrial_building_coverage", "building_footprint_m2")):
            put(key, [_na(key, "no land_use column in the plots table")] * len(parts)
                if not cols.has("land_use") else
                ratios(key, num_col, land, built & share_use, what="built industrial plots"))

    def money_and_idle_group() -> None:
        industrial_built = built & industrial_use
        if not cols.has("land_use"):
            for k in ("industrial_fai_intensity_wan_per_ha",
                      "industrial_tax_intensity_wan_per_ha",
                      "industrial_output_intensity_wan_per_ha"):
                put(k, [_na(k, "no land_use column in the plots table")] * len(parts))
        else:
            # yuan/m² → 万元/公顷: × 1e4 m²/ha ÷ 1e4 yuan/万元 = × 1
            per_ha = float(metrics.wan_yuan_per_ha(1.0, 1.0))
            put("industrial_fai_intensity_wan_per_ha", ratios(
                "industrial_fai_intensity_wan_per_ha", "invested_yuan", land, industrial_built,
                what="built industrial/logistics plots", scale=per_ha))
            # A built plot without a tax figure keeps its land in the denominator.
            put("industrial_tax_intensity_wan_per_ha", ratios(
                "industrial_tax_intensity_wan_per_ha", "tax_yuan", land, industrial_built,
                what="built industrial/logistics plots", scale=per_ha, lower_bound=True))
            # The same for output: the paper's output-intensity target on the land basis of
            # its investment half (§6.2.3).
            put("industrial_output_intensity_wan_per_ha", ratios(
                "industrial_output_intensity_wan_per_ha", "output_yuan", land, industrial_built,
                what="built industrial/logistics plots", scale=per_ha, lower_bound=True))
        put("idle_land_disposal_rate", _disposal_rates(cols, parts, area, as_of))

    # The two groups read disjoint columns (the shared ones are converted above) and
    # write different keys: for a province's plots the second runs on another thread
    # (numpy releases the GIL).
    if pool is None:
        land_use_group()
        money_and_idle_group()
    else:
        other = pool.submit(money_and_idle_group)
        land_use_group()
        other.result()
    return [{k: o[k] for k in INDICATORS} for o in out]


def _rename(ind: Indicator, old: str, new: str) -> Indicator:
    return replace(ind, basis=ind.basis.replace(old, new))


def _disposal_rates(cols: PlotColumns, parts: list[slice], area: np.ndarray,
                    as_of: dt.date | None) -> list[Indicator]:
    key = "idle_land_disposal_rate"
    # A park without plots has no land to judge: said so, not "status unknown".
    no_plots = _na(key, "no plots (no idle land to dispose of)")
    if not cols.has("idle_status"):
        return [no_plots if part.stop == part.start else
                _na(key, "idle status unknown (no start dates to apply the MLR No. 53 rule)")
                for part in parts]
    import pandas as pd

    judged, idle_all = cols.idle()
    has_disposed = cols.has("idle_disposed_on")
    # Dates already typed are read once; text is parsed park by park, as pandas infers
    # one date format per call.
    typed = has_disposed and pd.api.types.is_datetime64_any_dtype(cols.plots["idle_disposed_on"])
    # Disposed of by the report's date: a later date is a plan, not a disposal.
    until = pd.Timestamp(as_of) if as_of is not None else pd.Timestamp.max

    def done(dates: Any) -> np.ndarray:
        return (dates.notna() & (dates <= until)).to_numpy(dtype=bool)

    disposed_all = done(cols.column("idle_disposed_on")) if typed else None
    out = []
    for part in parts:
        if part.stop == part.start:
            out.append(no_plots)
            continue
        if not judged[part].any():
            out.append(_na(key, "idle status unknown (no start dates to apply the MLR No. 53 "
                                "rule)"))
            continue
        if not has_disposed:
            out.append(_na(key, "no idle_disposed_on column: disposal of idle land is not "
                                "recorded"))
            continue
        disposed = (disposed_all[part] if disposed_all is not None else done(pd.to_datetime(
            cols.column("idle_disposed_on", part), errors="coerce")))
        total = idle_all[part] | disposed
        if not total.any():
            out.append(_na(key, "no idle land (nothing to dispose of)"))
            continue
        park_area = area[part]
        value = float(np.nansum(park_area[disposed]) / np.nansum(park_area[total]))
        out.append(Indicator(key, value, STATUS_OK,
                             f"disposed area ({int(disposed.sum())} plots) / idle + disposed "
                             f"area ({int(total.sum())} plots)"))
    return out


def indicator_rows(park_id: str, indicators: Mapping[str, Indicator]) -> list[dict[str, Any]]:
    """Long-format rows (one per indicator) for the report's indicators table."""
    rows = []
    for key, ind in indicators.items():
        zh, en, unit = INDICATORS[key]
        rows.append({"park_id": park_id, "indicator": key, "name_zh": zh, "name_en": en,
                     "value": ind.value, "unit": unit, "status": ind.status,
                     "basis": ind.basis})
    return rows
