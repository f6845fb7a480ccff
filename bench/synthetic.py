"""Reproducible synthetic plots inside real parks, for the benchmark and tests.

The plots are star-shaped polygons of 10 vertices (always simple and valid):
most are irregular, about a third are strongly concave (alternating radii),
5 % are C-shaped (their centroid lies outside them) and about 5 % are centred on a park
boundary so that they straddle it. All of this is vectorised, so a million
plots take a few seconds. Nothing here is real data: every figure is drawn
from a seeded generator.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

#: Vertices per synthetic plot.
VERTICES = 10
#: Plot "radius" in degrees (about 40–160 m here).
RADIUS_DEG = (0.0004, 0.0015)
#: Share of plots centred on a park boundary (they straddle it).
STRADDLING_SHARE = 0.05
#: Share of plots that are strongly concave.
CONCAVE_SHARE = 0.3
#: Share of plots that are C-shaped (centroid outside the plot).
CRESCENT_SHARE = 0.05
#: Share of plots carrying their park_id (the rest are assigned by location).
GIVEN_PARK_SHARE = 0.1


def _sample_points(rng: np.random.Generator, park: object, n: int) -> np.ndarray:
    import shapely

    minx, miny, maxx, maxy = park.bounds  # type: ignore[attr-defined]
    shapely.prepare(park)
    out = np.empty((0, 2))
    while len(out) < n:
        k = max(64, int((n - len(out)) * 1.6))
        xy = np.column_stack([rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)])
        inside = shapely.contains_xy(park, xy[:, 0], xy[:, 1])
        out = np.vstack([out, xy[inside]])
    return out[:n]


def _boundary_points(rng: np.random.Generator, park: object, n: int) -> np.ndarray:
    import shapely

    ring = shapely.boundary(park)
    pts = shapely.line_interpolate_point(ring, rng.uniform(0, 1, n), normalized=True)
    return shapely.get_coordinates(pts)


def synthetic_plots(parks: gpd.GeoDataFrame, n: int, *, seed: int = 6) -> gpd.GeoDataFrame:
    """Generate *n* plots inside *parks* (WGS84), reproducibly from *seed*.

    Parameters
    ----------
    parks : geopandas.GeoDataFrame
        Parks in EPSG:4326 with ``park_id``; plots are spread over them in
        proportion to the square root of their areas (small parks still get some).
    n : int
        Number of plots.
    seed : int, default 6
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of the plots contract (``geodata/README.md``); dates are
        ``datetime64`` (written to GeoParquet as dates), money whole yuan.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    rng = np.random.default_rng(seed)
    geoms = list(parks.geometry.values)
    weights = np.sqrt(np.array([g.area for g in geoms]))
    weights /= weights.sum()
    per_park = rng.multinomial(n, weights)
    centres, home = [], []
    for i, (g, k) in enumerate(zip(geoms, per_park, strict=True)):
        if k == 0:
            continue
        k_edge = int(round(k * STRADDLING_SHARE))
        centres.append(_sample_points(rng, g, k - k_edge))
        if k_edge:
            centres.append(_boundary_points(rng, g, k_edge))
        home.append(np.full(k, i))
    xy = np.vstack(centres)
    home_idx = np.concatenate(home)
    order = rng.permutation(n)
    xy, home_idx = xy[order], home_idx[order]

    # Star-shaped polygons: sorted angles, positive radii -> always simple.
    step = 2 * np.pi / VERTICES
    angles = (np.arange(VERTICES) + rng.uniform(0.15, 0.85, (n, VERTICES))) * step
    base = rng.uniform(*RADIUS_DEG, n)[:, None]
    radii = base * rng.uniform(0.6, 1.0, (n, VERTICES))
    concave = rng.random(n) < CONCAVE_SHARE
    radii[concave, 1::2] *= 0.35
    # C-shaped plots (270° annular sectors): their centroid lies outside them.
    crescent = rng.random(n) < CRESCENT_SHARE
    half = VERTICES // 2
    turn = rng.uniform(0, 2 * np.pi, int(crescent.sum()))[:, None]
    arc = np.linspace(0, 1.5 * np.pi, half)
    angles[crescent] = np.hstack([turn + arc, turn + arc[::-1]])
    radii[crescent] = base[crescent] * np.r_[np.ones(half), np.full(VERTICES - half, 0.5)]
    coords = np.empty((n, VERTICES + 1, 2))
    coords[:, :VERTICES, 0] = xy[:, :1] + radii * np.cos(angles) / np.cos(np.radians(xy[:, 1:2]))
    coords[:, :VERTICES, 1] = xy[:, 1:2] + radii * np.sin(angles)
    coords[:, :VERTICES] = np.round(coords[:, :VERTICES], 6)  # the closing column is unset
    coords[:, VERTICES] = coords[:, 0]
    polys = shapely.polygons(coords)
    bad = ~shapely.is_valid(polys)  # rounding can fold a tiny notch: use the hull there
    polys[bad] = shapely.convex_hull(polys[bad])

    park_ids = parks["park_id"].to_numpy(dtype=object)
    given = np.where(rng.random(n) < GIVEN_PARK_SHARE, park_ids[home_idx], None)
    agreed_inv = rng.integers(10, 500, n).astype("float64") * 1e6
    share = rng.choice([0.0, 0.1, 0.2, 0.5, 0.9, 1.0], n)
    invested = np.round(agreed_inv * share)
    day0 = np.datetime64("2015-01-01")
    contract = day0 + rng.integers(0, 365 * 9, n).astype("timedelta64[D]")
    agreed = contract + rng.integers(90, 400, n).astype("timedelta64[D]")
    started = rng.random(n) < 0.8
    actual = np.where(started, agreed + rng.integers(0, 500, n).astype("timedelta64[D]"),
                      np.datetime64("NaT"))
    suspended = np.where(started & (rng.random(n) < 0.15),
                         actual + rng.integers(30, 900, n).astype("timedelta64[D]"),
                         np.datetime64("NaT"))
    cause = rng.choice(np.array([None, None, None, None, None, None, "government",
                                 "force_majeure"], dtype=object), n)
    area_m2_rough = np.pi * (base[:, 0] * 111_000 * 0.8) ** 2
    developed = np.round(area_m2_rough * rng.choice([0.0, 0.2, 0.5, 1.0], n))
    price = rng.integers(1, 60, n).astype("float64") * 1e6
    output = np.where(started, np.round(invested * rng.uniform(0, 3, n)), np.nan)
    tax = np.round(output * 0.05)
    ids = np.char.add("SYN", np.char.zfill(np.arange(1, n + 1).astype(str), 8))
    df = pd.DataFrame({
        "plot_id": ids.astype(object),
        "park_id": given,
        "project": np.char.add("project ", ids).astype(object),
        "enterprise": np.char.add("enterprise ", (np.arange(n) % 997).astype(str)).astype(object),
        "land_use": "industrial",
        "contract_date": pd.to_datetime(contract),
        "agreed_start_date": pd.to_datetime(agreed),
        "actual_start_date": pd.to_datetime(actual),
        "suspended_since": pd.to_datetime(suspended),
        "delay_cause": cause,
        "agreed_investment_yuan": agreed_inv,
        "invested_yuan": invested,
        "developed_area_m2": developed,
        "floor_area_m2": np.round(developed * 1.2),
        "land_price_yuan": price,
        "output_yuan": output,
        "tax_yuan": tax,
        "source": "synthetic (bench/synthetic.py, seeded)",
        "boundary_quality": "illustrative",
    })
    return gpd.GeoDataFrame(df, geometry=polys, crs="EPSG:4326")


def write_geoparquet(plots: gpd.GeoDataFrame, path: str | os.PathLike[str]) -> None:
    """Write *plots* as GeoParquet with dates stored as ``date32`` (atomic rename)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    tmp = f"{os.fspath(path)}.tmp"
    plots.to_parquet(tmp, index=False)
    table = pq.read_table(tmp)
    for name in ("contract_date", "agreed_start_date", "actual_start_date", "suspended_since"):
        if name in table.column_names:
            i = table.column_names.index(name)
            table = table.set_column(i, name, table.column(name).cast(pa.date32()))
    pq.write_table(table, tmp, row_group_size=128 * 1024, compression="zstd")
    os.replace(tmp, path)



#: Unit outlines of the city-wide plots, counter-clockwise: an L (the unit square
#: without its top-right corner; the notch's depth is drawn per plot) and a U (a notch
#: cut from the top; no point sees all of a U, so its ring is not star-shaped).
OUTLINES = ("L", "U")


def city_wide_plots(districts: gpd.GeoDataFrame, n: int, *, seed: int = 17,
                    outline: str = "L") -> gpd.GeoDataFrame:
    """*n* concave plots spread over the whole city, most outside every park.

    The other shapes of the benchmark: plots are drawn uniformly over the districts'
    bounding box (so most lie in no park, as in a province's land ledger), each an
    L of 6 vertices or a U of 8 (*outline*, see :data:`OUTLINES`) 80–400 m across,
    turned at random, and the ids are shuffled (not in file order), so no reader can
    rely on sorted ids. The U is the costly case for the plot checks: a ring no
    point sees whole is checked edge pair by edge pair.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = districts.total_bounds
    cx = rng.uniform(minx, maxx, n)
    cy = rng.uniform(miny, maxy, n)
    size = rng.uniform(80.0, 400.0, n) / 111_000.0  # metres to degrees (about)
    notch = rng.uniform(0.3, 0.7, n)
    zero, one = np.zeros(n), np.ones(n)
    if outline == "L":  # the unit square without its top-right corner
        ux = np.stack([zero, one, one, notch, notch, zero], axis=1)
        uy = np.stack([zero, zero, notch, notch, one, one], axis=1)
    elif outline == "U":  # a notch from the top, between x = 0.3 and 0.7, down to *notch*
        # The right arm is the shorter: arm tops on one line would make the pairwise test
        # meet collinear edges, which it leaves to GEOS.
        ux = np.stack([zero, one, one, one - 0.3, one - 0.3, zero + 0.3, zero + 0.3, zero],
                      axis=1)
        uy = np.stack([zero, zero, one - 0.15, one - 0.15, notch, notch, one, one], axis=1)
    else:
        raise ValueError(f"outline {outline!r}: one of {', '.join(OUTLINES)}")
    k = ux.shape[1]  # vertices
    # Scaled, turned and moved.
    turn = rng.uniform(0, 2 * np.pi, n)[:, None]
    x = (ux - 0.5) * np.cos(turn) - (uy - 0.5) * np.sin(turn)
    y = (ux - 0.5) * np.sin(turn) + (uy - 0.5) * np.cos(turn)
    x = cx[:, None] + x * size[:, None] / np.cos(np.radians(cy))[:, None]
    y = cy[:, None] + y * size[:, None]
    coords = np.stack([np.concatenate([x, x[:, :1]], axis=1),
                       np.concatenate([y, y[:, :1]], axis=1)], axis=2).reshape(-1, 2)
    offsets = (np.arange(n + 1) * (k + 1), np.arange(n + 1))
    geoms = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords, offsets)
    ids = np.array([f"CW{i:08d}" for i in rng.permutation(n)], dtype=object)
    invested = rng.integers(1, 500, n) * 1e6
    start = np.datetime64("2016-01-01") + rng.integers(0, 3000, n).astype("timedelta64[D]")
    return gpd.GeoDataFrame({
        "plot_id": ids, "park_id": np.full(n, None, dtype=object),
        "land_use": np.full(n, "industrial", dtype=object),
        "agreed_start_date": start.astype("datetime64[ms]"),
        "invested_yuan": invested, "agreed_investment_yuan": invested * 2,
        "source": np.full(n, "synthetic (bench/synthetic.py, seeded)", dtype=object),
        "boundary_quality": np.full(n, "illustrative", dtype=object),
    }, geometry=geoms, crs="EPSG:4326")
