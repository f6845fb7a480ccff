"""Pure computations: areas on the ellipsoid, units, intensities, targets and growth.

Every formula in qygeo's reports lives here (idle rules live in
:mod:`qygeo.core.idle`). Nothing in this module reads or writes files. Units are in
the names: ``_m2``, ``_km2``, ``_mu``, ``_yuan``, ``_yuan_per_km2``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from qygeo.io.crs import wgs84_ellipsoid

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Sequence

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
#: Money-per-area units a targets.csv row may be in → yuan/km² in one of the unit:
#: 1 万元/公顷 = 1e4 yuan per 0.01 km² = 1e6 yuan/km².
YUAN_PER_KM2_PER_UNIT = {"yuan/km2": 1.0,
                         "10k_yuan/ha": YUAN_PER_WAN * M2_PER_KM2 / M2_PER_HA}

#: 2027 targets for key parks (Chen et al. 2025, §6.2.3): land investment
#: intensity over 5 billion yuan/km² and output intensity 10 billion yuan/km².
TARGET_YEAR = 2027
TARGET_INVESTMENT_INTENSITY_YUAN_PER_KM2 = 5e9
TARGET_OUTPUT_INTENSITY_YUAN_PER_KM2 = 1e10


def ring_areas_m2(lon_deg: np.ndarray, lat_deg: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Area on the WGS84 ellipsoid, in m², of closed rings given as flat coordinates.

    This is qygeo's one area formula: :func:`area_m2` (shapely geometries) and
    the plot engine (:mod:`qygeo.pipeline.plot_table`, flat arrays) both
    call it.

    Parameters
    ----------
    lon_deg, lat_deg : numpy.ndarray
        Every ring's vertices in WGS84 degrees, one ring after the other, each
        ring closed (its first vertex repeated at its end, as in WKB and shapely).
    starts : numpy.ndarray
        Index of each ring's first vertex, followed by the number of vertices
        (length: rings + 1).

    Returns
    -------
    numpy.ndarray
        Unsigned area of each ring in m² (0 for a ring without vertices).

    Notes
    -----
    The area of a region of the ellipsoid is ∮ G(φ) dλ, with G the integral of
    the area element M(φ)·N(φ)·cos φ from the equator (Green's theorem). For
    the WGS84 ellipsoid (semi-major axis *a*, eccentricity *e*)

        G(φ) = a²(1 − e²)/2 · q(φ),   q(φ) = sin φ / (1 − e² sin²φ) + artanh(e sin φ) / e,

    which is also the northing of Lambert's cylindrical equal-area projection
    (Snyder 1987, eq. 3-12), so each ring's area is the trapezoid sum

        A = a²(1 − e²)/4 · |Σᵢ (λᵢ₊₁ − λᵢ) · (qᵢ + qᵢ₊₁)|   (λ in radians),

    the exact area of the ring whose edges are straight in that projection:
    the same figure as pyproj's ``+proj=cea +ellps=WGS84`` and a planar area
    (a test pins it to 1e-9), without projecting the points one by one, which
    for a province's plots cost three times as long. Edges between vertices a
    few hundred metres apart differ from geodesics by far less than a survey's
    precision: plot areas agree with ``pyproj.Geod`` to about 1e-6, the
    bundled district boundaries to 1e-6; only edges tens of kilometres long
    (a sketch, not a boundary) differ by 1e-4.
    """
    counts = np.diff(starts)
    n = len(lon_deg)
    if n == 0 or len(counts) == 0:
        return np.zeros(len(counts))
    a, e2 = wgs84_ellipsoid()
    e = math.sqrt(e2)
    # Three vertex-length buffers, reused (fresh 10-MB temporaries cost page faults).
    sin_lat = np.radians(lat_deg, dtype=np.float64)
    np.sin(sin_lat, out=sin_lat)
    q = np.multiply(sin_lat, e)
    np.arctanh(q, out=q)
    q /= e
    buf = np.multiply(sin_lat, sin_lat)
    buf *= -e2
    buf += 1.0
    np.divide(sin_lat, buf, out=buf)
    q += buf
    # Relative to each ring's first vertex, for precision (the sum over a closed ring
    # does not change when a constant is subtracted from q), and so that a ring's area
    # depends on its own vertices only: the same bits however the plots are batched.
    first = np.minimum(starts[:-1], n - 1)
    q -= np.repeat(q[first], counts)
    terms = buf
    np.subtract(lon_deg[1:], lon_deg[:-1], out=terms[:-1])
    terms[-1] = 0.0
    terms[:-1] *= np.add(q[1:], q[:-1], out=sin_lat[:-1])
    cross = starts[1:-1] - 1  # from a ring's last vertex to the next ring's first: no edge
    terms[cross[cross >= 0]] = 0.0
    sums = np.add.reduceat(terms, first)
    sums[counts == 0] = 0.0
    return np.abs(sums) * (math.pi / 180.0 * a * a * (1.0 - e2) / 4.0)


def area_m2(geoms: gpd.GeoSeries) -> np.ndarray:
    """Area of each geometry in m², on the WGS84 ellipsoid (:func:`ring_areas_m2`).

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons in EPSG:4326 (a series without CRS is taken as EPSG:4326; one
        in another CRS is transformed to it first).

    Returns
    -------
    numpy.ndarray
        Float areas in square metres: a polygon's exterior less its holes,
        summed over the parts of a multi-part geometry; 0 for empty, missing
        or non-polygonal geometries.
    """
    import shapely

    from qygeo.io.crs import WGS84

    if len(geoms) == 0:
        return np.zeros(0)
    if geoms.crs is not None and not geoms.crs.equals(WGS84):
        geoms = geoms.to_crs(WGS84)
    values = np.asarray(geoms.values)
    parts, owner = shapely.get_parts(values, return_index=True)
    # Collections inside collections: open them until only simple parts are left.
    while len(parts) and (multi := np.isin(shapely.get_type_id(parts), (4, 5, 6, 7))).any():
        inner, at = shapely.get_parts(parts[multi], return_index=True)
        owner = np.concatenate([owner[~multi], owner[multi][at]])
        parts = np.concatenate([parts[~multi], inner])
    polygon = shapely.get_type_id(parts) == 3
    parts, owner = parts[polygon], owner[polygon]
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, vertex_ring = shapely.get_coordinates(rings, return_index=True)
    starts = np.searchsorted(vertex_ring, np.arange(len(rings) + 1))
    areas = ring_areas_m2(coords[:, 0], coords[:, 1], starts)
    exterior = np.r_[True, ring_of[1:] != ring_of[:-1]] if len(ring_of) else ring_of
    signed = np.where(exterior, areas, -areas)  # holes subtract
    return np.bincount(owner[ring_of], weights=signed, minlength=len(values))


def with_areas(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a copy of *gdf* with ``area_m2``, ``area_km2``, ``area_ha`` and ``area_mu``."""
    out = gdf.copy()
    m2 = area_m2(gdf.geometry)
    out["area_m2"] = m2
    out["area_km2"] = m2 / M2_PER_KM2
    out["area_ha"] = m2 / M2_PER_HA
    out["area_mu"] = m2 / M2_PER_MU
    return out


def safe_divide(numerator: object, denominator: object, *,
                in_place: bool = False) -> object:
    """``numerator / denominator`` with NaN where either is missing or the denominator is 0.

    *in_place* writes the quotient over *numerator* (a float64 array of the result's
    shape that the caller made for it): no second array of a province's plots.
    """
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        if in_place and num.ndim and num.shape == np.broadcast_shapes(num.shape, den.shape):
            out = np.divide(num, den, out=num)
        else:
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


def park_parents(parks: pd.DataFrame) -> dict[str, str]:
    """park id → its ``parent_park_id``, for the parks that name one."""
    if "parent_park_id" not in parks.columns:
        return {}
    # NaN (a missing parent read through pandas) is truthy: test for text instead.
    return {p: q for p, q in zip(parks["park_id"], parks["parent_park_id"])
            if isinstance(q, str) and q.strip()}


def park_descendants(parks: pd.DataFrame) -> dict[str, set[str]]:
    """Map each park id to itself plus every park nested in it via ``parent_park_id``.

    A park in a cycle (a → b → a) is held by none of its chain (``qygeo validate`` and
    :func:`first_parent_cycle` name it); a cycle above a park (c → a → b → a) ends its
    chain there.
    """
    parent = park_parents(parks)
    out: dict[str, set[str]] = {p: {p} for p in parks["park_id"]}
    for child in parent:
        if parent_cycle(parent, child):
            continue  # a → b → a: neither holds the other
        seen = {child}
        node = parent.get(child)
        while node and node not in seen:
            seen.add(node)
            out.setdefault(node, {node}).add(child)
            node = parent.get(node)
    return out


def first_parent_cycle(parks: pd.DataFrame) -> list[str] | None:
    """The first park whose ``parent_park_id`` chain comes back to it, as that chain
    (``[a, b, a]``; a park its own parent: ``[a, a]``), or None."""
    parent = park_parents(parks)
    for child in parent:
        cycle = parent_cycle(parent, child)
        if cycle:
            return cycle
    return None


def parent_cycle(parent: dict[str, str], park_id: str) -> list[str] | None:
    """The chain of parents from *park_id* back to itself (``[a, b, a]``), or None when
    following ``parent_park_id`` from it ends (at a park with no parent, or one not
    in *parent*)."""
    chain = [park_id]
    node = parent.get(park_id)
    while node:
        if node == park_id:
            return [*chain, node]
        if node in chain:
            return None  # a cycle above this park, not through it
        chain.append(node)
        node = parent.get(node)
    return None


def selected_members(parks: pd.DataFrame, park_ids: Sequence[str]) -> set[str] | None:
    """The parks whose plots a report of *park_ids* covers: those parks and the parks
    nested in them; None when *park_ids* is every park of *parks* (a whole report, which
    also lists the plots in no park)."""
    if set(park_ids) >= set(parks["park_id"]):
        return None
    members = park_descendants(parks)
    return set().union(*(members.get(p, {p}) for p in park_ids)) if park_ids else set()


def wan_yuan_per_mu(amount_yuan: object, area_mu: object) -> object:
    """Per-mu figure (亩均) in 万元/亩: ``amount_yuan / 1e4 / area_mu``; NaN where area ≤ 0."""
    return safe_divide(np.divide(np.asarray(amount_yuan, dtype="float64"), YUAN_PER_WAN),
                       area_mu, in_place=True)


def wan_yuan_per_ha(amount_yuan: object, area_m2: object) -> object:
    """Per-hectare figure (万元/公顷): ``(yuan / 1e4) / (m² / 1e4)``; NaN where area ≤ 0."""
    return safe_divide(np.asarray(amount_yuan, dtype="float64") / YUAN_PER_WAN,
                       np.asarray(area_m2, dtype="float64") / M2_PER_HA)
