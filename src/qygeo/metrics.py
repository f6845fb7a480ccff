"""Pure computations on GeoDataFrames: areas, intensities, plot assignment.

Every formula in qygeo's reports lives here (idle rules live in
:mod:`qygeo.idle`). Nothing in this module reads or writes files. Units are in
the names: ``_m2``, ``_km2``, ``_mu``, ``_yuan``, ``_yuan_per_km2``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

#: 1 mu (亩) = 10000/15 m² (the statutory 市亩).
M2_PER_MU = 10000.0 / 15.0
M2_PER_KM2 = 1_000_000.0
M2_PER_HA = 10_000.0
MU_PER_KM2 = M2_PER_KM2 / M2_PER_MU  # 1500
#: 1 亿元 = 1e8 yuan; 1 万元 = 1e4 yuan.
YUAN_PER_YI = 1e8
YUAN_PER_WAN = 1e4

#: 2027 targets for key parks (Chen et al. 2025, §6.2.3): land investment
#: intensity over 5 billion yuan/km² and output intensity 10 billion yuan/km².
TARGET_YEAR = 2027
TARGET_INVESTMENT_INTENSITY_YUAN_PER_KM2 = 5e9
TARGET_OUTPUT_INTENSITY_YUAN_PER_KM2 = 1e10


def area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Area of each WGS84 geometry in m², computed in an equal-area projection.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons in EPSG:4326 (a series without CRS is taken as EPSG:4326).

    Returns
    -------
    numpy.ndarray
        Float areas in square metres; 0 for empty or missing geometries.

    Notes
    -----
    Uses :data:`qygeo.crs.EQUAL_AREA_CRS` (Albers on the WGS84 ellipsoid), which
    agrees with ``pyproj.Geod.geometry_area_perimeter`` to well under 0.01 % for
    polygons the size of a district, and is vectorised for millions of plots.
    """
    from .crs import equal_area

    if len(geoms) == 0:
        return np.zeros(0)
    projected = equal_area(geoms)
    out = projected.area.to_numpy(dtype="float64", na_value=0.0)
    return np.nan_to_num(out, nan=0.0)


def with_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of *gdf* with ``area_m2``, ``area_km2``, ``area_ha`` and ``area_mu``."""
    out = gdf.copy()
    m2 = area_m2(gdf.geometry)
    out["area_m2"] = m2
    out["area_km2"] = m2 / M2_PER_KM2
    out["area_ha"] = m2 / M2_PER_HA
    out["area_mu"] = m2 / M2_PER_MU
    return out


def safe_divide(numerator: object, denominator: object) -> object:
    """``numerator / denominator`` with NaN where either is missing or the denominator is 0."""
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(num / den)
    # NaN written over the quotient, not chosen into a second array (million-row columns).
    unusable = ~((den > 0) & np.isfinite(den))
    if unusable.any():
        out[np.broadcast_to(unusable, out.shape)] = np.nan
    return out if out.ndim else float(out)


def intensity_yuan_per_km2(amount_yuan: object, area_km2: object) -> object:
    """Land intensity: an amount (investment, output, tax) per km² of land, yuan/km²."""
    return safe_divide(amount_yuan, area_km2)


def yuan_per_km2_to_yi_per_km2(value: object) -> object:
    """yuan/km² → 亿元/km² (hundred-million yuan per km²)."""
    return np.asarray(value, dtype="float64") / YUAN_PER_YI


def yuan_per_km2_to_wan_per_mu(value: object) -> object:
    """yuan/km² → 万元/亩 (ten-thousand yuan per mu); 1 km² = 1500 mu."""
    return np.asarray(value, dtype="float64") / YUAN_PER_WAN / MU_PER_KM2


def yuan_per_km2_to_wan_per_ha(value: object) -> object:
    """yuan/km² → 万元/公顷 (ten-thousand yuan per hectare); 1 km² = 100 ha."""
    return np.asarray(value, dtype="float64") / YUAN_PER_WAN / 100.0


def target_gap(value: object, target: float) -> object:
    """How far *value* is below *target* (target − value; negative when exceeded)."""
    return target - np.asarray(value, dtype="float64")


def required_annual_growth(value: object, target: float, years: object) -> object:
    """Compound yearly growth rate that takes *value* to *target* in *years* years.

    ``(target / value) ** (1 / years) − 1``; NaN when value ≤ 0 or years ≤ 0.
    """
    v = np.asarray(value, dtype="float64")
    y = np.asarray(years, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where((v > 0) & (y > 0), np.power(target / v, 1.0 / y) - 1.0, np.nan)
    return out if out.ndim else float(out)


def park_descendants(parks: pd.DataFrame) -> dict[str, set[str]]:
    """Map each park id to itself plus every park nested in it via ``parent_park_id``."""
    parent = {}
    if "parent_park_id" in parks.columns:
        # NaN (a missing parent read through pandas) is truthy: test for text instead.
        parent = {p: q for p, q in zip(parks["park_id"], parks["parent_park_id"])
                  if isinstance(q, str) and q.strip()}
    out: dict[str, set[str]] = {p: {p} for p in parks["park_id"]}
    for child in parent:
        seen = set()
        node = parent.get(child)
        while node and node not in seen:
            seen.add(node)
            out.setdefault(node, {node}).add(child)
            node = parent.get(node)
    return out


def assign_plots(plots: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> pd.Series:
    """Park of each plot: its own ``park_id``, else the park containing its representative point.

    Parameters
    ----------
    plots : geopandas.GeoDataFrame
        WGS84 plots; ``park_id`` may be missing, empty or null.
    parks : geopandas.GeoDataFrame
        WGS84 parks with ``park_id``.

    Returns
    -------
    pandas.Series
        Park id per plot (index of *plots*), ``None`` where no park contains it.

    Notes
    -----
    The representative point (``shapely.point_on_surface``) always lies inside
    the plot, unlike a concave plot's centroid. Where nested parks both contain
    it (Huacun Zhihui Gu inside the High-tech Zone) the smallest park wins, so a
    plot belongs to the most specific park; parent parks count their children's
    plots through :func:`park_descendants`.
    """
    import pandas as pd
    import shapely

    if "park_id" in plots.columns:
        given = plots["park_id"].astype("object").where(plots["park_id"].notna(), None)
        given = given.map(lambda v: v if (v is not None and str(v).strip()) else None)
    else:
        given = pd.Series([None] * len(plots), index=plots.index, dtype="object")
    need = given.isna().to_numpy()
    if need.any() and len(parks):
        pts = shapely.point_on_surface(np.asarray(plots.geometry.values)[need])
        park_geoms = np.asarray(parks.geometry.values)
        tree = shapely.STRtree(park_geoms)
        pt_idx, park_idx = tree.query(pts, predicate="within")
        chosen = np.full(len(pts), -1, dtype="int64")
        if len(pt_idx):
            park_area = area_m2(parks.geometry)
            order = np.lexsort((park_area[park_idx], pt_idx))  # per point, smallest park first
            pt_sorted, park_sorted = pt_idx[order], park_idx[order]
            first = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]]
            chosen[pt_sorted[first]] = park_sorted[first]
        ids = parks["park_id"].to_numpy(dtype="object")
        filled = np.where(chosen >= 0, ids[np.maximum(chosen, 0)], None)
        given = given.copy()
        given.iloc[np.flatnonzero(need)] = filled
    return given


def wan_yuan_per_mu(amount_yuan: object, area_mu: object) -> object:
    """Per-mu figure (亩均) in 万元/亩: ``amount_yuan / 1e4 / area_mu``; NaN where area ≤ 0."""
    return safe_divide(np.asarray(amount_yuan, dtype="float64") / YUAN_PER_WAN, area_mu)


def wan_yuan_per_ha(amount_yuan: object, area_m2: object) -> object:
    """Per-hectare figure (万元/公顷): ``(yuan / 1e4) / (m² / 1e4)``; NaN where area ≤ 0."""
    return safe_divide(np.asarray(amount_yuan, dtype="float64") / YUAN_PER_WAN,
                       np.asarray(area_m2, dtype="float64") / M2_PER_HA)
