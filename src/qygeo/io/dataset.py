"""Loading the whole data folder: the four layers and the attribute tables.

This is file I/O only; computations are in :mod:`qygeo.core.metrics`,
:mod:`qygeo.core.idle` and :mod:`qygeo.pipeline.report`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.errors import DataFileError
from qygeo.io import layers
from qygeo.io import plot_rows as pr
from qygeo.io.plot_rows import MAX_VALUE

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

ATTRIBUTES_DIR = "attributes"
PARK_STATS = "park_stats.csv"
PLANTING_FIGURES = "planting_figures.csv"
TARGETS = "targets.csv"
CITY_STATS = "city_stats.csv"

#: What a figure of park_stats.csv / planting_figures.csv / city_stats.csv is: achieved,
#: announced for the future, or estimated. Only ``actual`` and ``estimate`` figures enter
#: the report's intensities and growth needs; ``planned`` ones are shown as plans.
FIGURE_STATUSES = ("actual", "planned", "estimate")
#: What a row of targets.csv is.
TARGET_STATUSES = ("target", "benchmark")

#: Columns of attributes/park_stats.csv, money in yuan, intensities in yuan/km², land in m²
#: (the TD/T 1029 rates' figures, :mod:`qygeo.core.indicators`). Every one is checked at
#: load: a number, finite, not negative.
PARK_STATS_NUMERIC = (
    "signed_investment_yuan", "fixed_asset_investment_yuan", "output_yuan", "tax_yuan",
    "projects_signed", "projects_in_production",
    "reported_investment_intensity_yuan_per_km2", "reported_output_intensity_yuan_per_km2",
    "ready_for_supply_area_m2", "developable_area_m2",
)


@dataclass
class Dataset:
    """Everything ``qygeo`` reads from a data folder, in WGS84.

    ``plots`` is None when the folder has no plots layer and none was given.
    """

    root: Path
    districts: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame
    planting: gpd.GeoDataFrame | None
    plots: gpd.GeoDataFrame | None
    #: rows of attributes/park_stats.csv with status ``actual`` or ``estimate``
    park_stats: pd.DataFrame
    planting_figures: pd.DataFrame
    plots_path: Path | None = None
    #: attributes/targets.csv (None when the folder has none: the paper's 2027 targets apply)
    targets: pd.DataFrame | None = None
    #: rows of attributes/park_stats.csv with status ``planned``: never actual figures
    park_plans: pd.DataFrame | None = None
    #: attributes/city_stats.csv (None when absent)
    city_stats: pd.DataFrame | None = None
    #: plots left out with ``skip_invalid_plots``: (plot_id, problem), see :mod:`qygeo.io.plot_rows`
    excluded_plots: list[tuple[str, str]] = field(default_factory=list)


def read_table(path: Path, *, id_columns: tuple[str, ...], numeric: tuple[str, ...] = (),
               required: tuple[str, ...] = ()) -> pd.DataFrame:
    """Read a CSV attribute table with ids as text and numbers as floats.

    Raises
    ------
    DataFileError
        Missing file, unreadable CSV, missing column or a non-numeric number.
    """
    import pandas as pd

    if not path.exists():
        raise DataFileError(path, "file not found")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataFileError(path, f"cannot be read as CSV ({first})") from exc
    # A header as a spreadsheet leaves it ("Status", "signed_investment_yuan ") names the
    # column qygeo reads: else its figures were passed over without a word.
    names = [str(c).strip().casefold() for c in df.columns]
    twice = next((n for n in names if names.count(n) > 1), None)
    if twice is not None:
        raise DataFileError(path, f"column {twice!r} is given more than once")
    df.columns = names
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataFileError(path, f"missing column(s): {', '.join(missing)}")
    df = df.replace({"": None})
    for c in id_columns:
        if c in df.columns:
            df[c] = df[c].map(lambda v: v.strip() if isinstance(v, str) else v)
    for c in numeric:
        if c in df.columns:
            conv = pd.to_numeric(df[c], errors="coerce")
            bad = conv.isna() & df[c].notna()
            if bad.any():
                i = int(bad.to_numpy().nonzero()[0][0])
                raise DataFileError(path, f"row {i + 2}: {c} is not a number: {df[c].iloc[i]!r}")
            df[c] = conv.astype("float64")
    return df


def check_status(df: pd.DataFrame, path: Path, allowed: tuple[str, ...]) -> pd.DataFrame:
    """*df* with a checked ``status`` column; a table without one is taken as all ``actual``.

    A figure whose status is blank or unknown cannot be told apart from a plan, so the
    table is refused rather than counted.

    An ``actual`` or ``estimate`` figure of a year after this one is a forecast, which the
    reports would otherwise take as the latest figure of what is: it is refused too.

    Raises
    ------
    DataFileError
        A blank or unknown status, or a figure of what is dated in a year to come.
    """
    import pandas as pd

    has_status = "status" in df.columns
    if has_status:
        st = df["status"].map(lambda v: v.strip().lower() if isinstance(v, str) else v)
        bad = ~st.isin(allowed)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise DataFileError(path, f"row {i + 2}: status must be one of "
                                      f"{', '.join(allowed)}, not {df['status'].iloc[i]!r}")
    else:  # every row an actual figure, so a year to come is refused as below
        st = pd.Series(allowed[0], index=df.index, dtype=object)
    if "year" in df.columns:
        import datetime as dt

        this_year = dt.date.today().year
        years = pd.to_numeric(df["year"], errors="coerce")
        future = st.isin(("actual", "estimate")).to_numpy() & (years > this_year).to_numpy()
        if future.any():
            i = int(future.nonzero()[0][0])
            raise DataFileError(path, f"row {i + 2}: a figure of {int(years.iloc[i])} with "
                                      f"status {st.iloc[i]}"
                                      f"{'' if has_status else ' (no status column)'}, a year "
                                      f"to come (this is {this_year}): a figure of the future "
                                      "is planned")
    return df.assign(status=st)


def split_plans(park_stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows of *park_stats* that are figures of what is (actual, estimate), and the plans."""
    planned = park_stats["status"] == "planned"
    return park_stats[~planned].reset_index(drop=True), park_stats[planned].reset_index(drop=True)


def load_park_stats(root: Path) -> pd.DataFrame:
    """Read ``attributes/park_stats.csv`` (empty frame when the file is absent).

    Every row has a ``status`` (:data:`FIGURE_STATUSES`); a file without the column is read
    as all ``actual``. A park may have one row per year and status.
    """
    import pandas as pd

    path = root / ATTRIBUTES_DIR / PARK_STATS
    if not path.exists():
        return pd.DataFrame(columns=["park_id", "year", *PARK_STATS_NUMERIC, "source", "status"])
    df = read_table(path, id_columns=("park_id",), numeric=PARK_STATS_NUMERIC,
                    required=("park_id", "year", "source"))
    blank = df["park_id"].isna().to_numpy()
    if blank.any():  # whose figures they are cannot be told
        raise DataFileError(path, f"row {int(blank.nonzero()[0][0]) + 2}: park_id is empty")
    _check_amounts(df, path, PARK_STATS_NUMERIC)
    df["year"] = _years(df, path)
    df = check_status(df, path, FIGURE_STATUSES)
    # A plan and an actual figure of the same year may stand side by side; two actuals not.
    dup = df[df.assign(_plan=df["status"] == "planned").duplicated(["park_id", "year", "_plan"])]
    if len(dup):
        raise DataFileError(path, f"two rows for park {dup['park_id'].iloc[0]} in "
                                  f"{dup['year'].iloc[0]}")
    return df


def _check_amounts(df: pd.DataFrame, path: Path, columns: tuple[str, ...]) -> None:
    """Refuse an amount (yuan, mu) that is infinite, negative or implausibly large.

    Raises
    ------
    DataFileError
        Naming the row, the column and the value.
    """
    for c in columns:
        if c not in df.columns:
            continue
        v = df[c].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            for bad, problem in ((np.isinf(v), "is not a finite number"),
                                 (v < 0, "is negative"),
                                 (v > MAX_VALUE, "is larger than 1e15 (implausible)")):
                if bad.any():
                    i = int(bad.nonzero()[0][0])
                    raise DataFileError(path, f"row {i + 2}: {c} {problem}: {v[i]:g}")


def load_planting_figures(root: Path) -> pd.DataFrame:
    """Read ``attributes/planting_figures.csv`` (empty frame when absent)."""
    import pandas as pd

    path = root / ATTRIBUTES_DIR / PLANTING_FIGURES
    if not path.exists():
        return pd.DataFrame(columns=["figure_id", "planting_ids", "reported_mu", "year",
                                     "source", "note"])
    df = read_table(path, id_columns=("figure_id",), numeric=("reported_mu", "output_yuan"),
                    required=("figure_id", "planting_ids", "reported_mu", "source"))
    _check_amounts(df, path, ("reported_mu", "output_yuan"))
    if "year" in df.columns:  # a number, as in the other tables (not text in a workbook)
        df["year"] = _years(df, path)
    return check_status(df, path, FIGURE_STATUSES)


def planting_ids_of(value: object) -> list[str]:
    """The planting areas a figure covers: its ``planting_ids`` split at ``;``, blanks and
    repeats dropped (an area named twice is one area, measured once)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    return list(dict.fromkeys(p.strip() for p in str(value).split(";") if p.strip()))


def load_city_stats(root: Path) -> pd.DataFrame | None:
    """Read ``attributes/city_stats.csv`` (indicator, value, unit, year, status, source, note).

    None when the folder has none.
    """
    path = root / ATTRIBUTES_DIR / CITY_STATS
    if not path.exists():
        return None
    df = read_table(path, id_columns=("indicator",), numeric=("value",),
                    required=("indicator", "value", "unit", "year", "status", "source"))
    df["year"] = _years(df, path)
    df = check_status(df, path, FIGURE_STATUSES)
    # One figure of what is per indicator: a second (another year) lost to the first in
    # the report, silently. Plans may stand beside it.
    repeated = df[df["status"] != "planned"]["indicator"].duplicated(keep=False)
    if repeated.any():
        first = str(df.loc[repeated[repeated].index[0], "indicator"])
        raise DataFileError(path, f"{first} is given more than once (one actual or estimated "
                                  "figure per indicator)")
    return df


def city_figure(city_stats: pd.DataFrame | None, indicator: str, *,
                units: tuple[str, ...] = (), root: Path | None = None) -> float:
    """The value of *indicator* in city_stats.csv (an actual or estimated figure), else NaN.

    Raises
    ------
    DataFileError
        The row's unit is not one of *units* (when given): ``8.5`` in ``%`` read as a share
        would be 850 % (the error names *root*'s table).
    """
    if city_stats is None or not len(city_stats):
        return float("nan")
    rows = city_stats[(city_stats["indicator"] == indicator)
                      & (city_stats["status"] != "planned")]
    if not len(rows):
        return float("nan")
    unit = str(rows["unit"].iloc[0]).strip()
    if units and unit not in units:
        raise DataFileError(Path(root or ".") / ATTRIBUTES_DIR / CITY_STATS,
                            f"{indicator} is in {unit!r}, not {' or '.join(map(repr, units))} "
                            "(a share: 0.085 for 8.5 %)")
    return float(rows["value"].iloc[0])


def load_targets(root: Path) -> pd.DataFrame | None:
    """Read ``attributes/targets.csv`` (indicator, value, unit, year, source, status); None
    if absent."""

    path = root / ATTRIBUTES_DIR / TARGETS
    if not path.exists():
        return None
    # status is required: without it a benchmark (a level to reach) would read as a target
    # of its own, passed year.
    df = read_table(path, id_columns=("indicator",), numeric=("value",),
                    required=("indicator", "value", "unit", "year", "source", "status"))
    df["year"] = _years(df, path)
    # A blank target would compare as "not met", with a "nan" level in notes and charts; a
    # negative one (a sign slip) as met by every park.
    values = df["value"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
    if len(bad):
        i = int(bad[0])
        v = values[i]
        what = ("is blank (a target or benchmark needs its figure)" if np.isnan(v)
                else "is not a finite number" if not np.isfinite(v) else "is negative")
        raise DataFileError(path, f"row {i + 2}: value of {df['indicator'].iloc[i]} {what}")
    # One row per target: a second would lose to the first in every comparison, silently
    # (a milestone year is not a target of its own).
    repeated = df["indicator"].duplicated(keep=False).to_numpy()
    if repeated.any():
        first = str(df["indicator"].iloc[int(repeated.nonzero()[0][0])])
        rows = [i + 2 for i in np.flatnonzero((df["indicator"] == first).to_numpy())]
        raise DataFileError(path, f"rows {' and '.join(map(str, rows))}: {first} is given "
                                  "more than once (one row per target)")
    # Units are checked by qygeo.core.trends.check_units, which knows what each row is
    # compared with (the report and validate call it).
    return check_status(df, path, TARGET_STATUSES)


def _years(df: pd.DataFrame, path: Path) -> pd.Series:
    """The ``year`` column as whole years 1900…2100 (``2024.5`` is not a year).

    Raises
    ------
    DataFileError
        Naming the row of the first value that is not such a year.
    """
    import pandas as pd

    years = pd.to_numeric(df["year"], errors="coerce").to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        bad = ~((years == np.round(years)) & (years >= 1900) & (years <= 2100))
    if bad.any():
        i = int(bad.nonzero()[0][0])
        raise DataFileError(path, f"row {i + 2}: year is not a year (1900-2100): "
                                  f"{df['year'].iloc[i]!r}")
    return pd.Series(years.astype("int64"), index=df.index)


def load_dataset(root: str | os.PathLike[str] | None = None, *,
                 plots: str | os.PathLike[str] | None = None,
                 plots_layer: str | None = None, load_plots: bool = True,
                 skip_invalid_plots: bool = False) -> Dataset:
    """Read every layer and table of a data folder.

    Parameters
    ----------
    root : path-like, optional
        The data folder (see :func:`qygeo.io.layers.geodata_dir`).
    plots : path-like, optional
        Another plots layer to use instead of ``root/plots.geojson`` (GeoJSON,
        GeoPackage or GeoParquet).
    plots_layer : str, optional
        Layer name inside *plots* (GeoPackage).
    load_plots : bool, default True
        False leaves ``plots`` None but still sets ``plots_path``, for callers that
        read the plots themselves (:func:`qygeo.pipeline.plots.compute_plot_table`).
    skip_invalid_plots : bool, default False
        Plot rows that cannot be judged (:mod:`qygeo.io.plot_rows`) are refused
        (:class:`qygeo.errors.InvalidPlotsError`); with this they are left out and listed
        in ``excluded_plots``.
    """
    root = layers.geodata_dir(root)
    if not root.is_dir():
        raise DataFileError(root, "data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    districts = _with_geometry(layers.load_layer(root, layers.DISTRICTS), layers.DISTRICTS,
                               root / layers.DISTRICTS.filename)
    parks = _with_geometry(layers.load_layer(root, layers.PARKS), layers.PARKS,
                           root / layers.PARKS.filename)
    planting_path = root / layers.PLANTING.filename
    planting = (_with_geometry(layers.read_layer(planting_path, layers.PLANTING),
                               layers.PLANTING, planting_path)
                if planting_path.exists() else None)
    plots_path = Path(plots) if plots else root / layers.PLOTS.filename
    plot_gdf, excluded = None, []
    if not load_plots:
        if plots and not plots_path.exists():
            raise DataFileError(plots_path, "file not found")
    elif plots or plots_path.exists():
        from qygeo.io import plot_files

        layer = plot_files.plots_layer(plots_path, plots_layer)
        plot_gdf, excluded = screen_frame(layers.read_layer(plots_path, layer=layer),
                                          plots_path, skip=skip_invalid_plots)
    stats, plans = split_plans(load_park_stats(root))
    return Dataset(
        root=root, districts=districts, parks=parks, planting=planting, plots=plot_gdf,
        park_stats=stats, park_plans=plans, city_stats=load_city_stats(root),
        planting_figures=load_planting_figures(root),
        plots_path=plots_path if plot_gdf is not None or (
            not load_plots and plots_path.exists()) else None,
        targets=load_targets(root), excluded_plots=excluded,
    )


def _with_geometry(gdf: gpd.GeoDataFrame, spec: layers.LayerSpec,
                   path: Path) -> gpd.GeoDataFrame:
    """*gdf* itself, once every feature has a valid geometry.

    A district, park or planting area without one has no place to draw or to assign
    plots to, and an invalid one (a bowtie) has no area to divide by (GEOS gives a
    self-crossing ring 0 km²): the first is refused (``qygeo validate`` lists them all,
    and ``qygeo park remove`` can still take such a park out).
    """
    import shapely

    from qygeo.errors import FeatureError

    geoms = np.asarray(gdf.geometry.values)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise FeatureError(path, gdf[spec.id_field].iloc[int(np.argmax(missing))],
                           f"{pr.NO_GEOMETRY} (qygeo validate lists every problem)")
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        i = int(np.argmax(invalid))
        reason = pr.INVALID.format(reason=shapely.is_valid_reason(geoms[i]))
        raise FeatureError(path, gdf[spec.id_field].iloc[i],
                           f"{reason} (qygeo validate lists every problem)")
    return gdf


def screen_frame(gdf: Any, path: object, *, skip: bool) -> tuple[Any, list[tuple[str, str]]]:
    """Conform a plots GeoDataFrame read from *path* and check every row.

    Returns
    -------
    (geopandas.GeoDataFrame, list of (str, str))
        The conformed plots (without the bad rows when *skip*) and the bad rows.

    Raises
    ------
    InvalidPlotsError
        Without *skip*, when a row has a problem.
    """
    problems = pr.RowProblems(len(gdf))
    gdf = layers.conform(gdf, layers.PLOTS, path, problems=problems)
    pr.check_geometries(np.asarray(gdf.geometry.values), np.arange(len(gdf)), problems)
    pr.check_numbers(gdf, layers.PLOTS.numeric, problems)
    pr.check_date_order(gdf, problems)
    bad = problems.bad
    if not bad.any():
        return gdf, []
    rows = problems.listed(gdf["plot_id"])
    if not skip:
        raise pr.Excluded(str(path), rows).error()
    return gdf.loc[~bad], rows
