"""Plot → park assignment: the park whose interior holds a plot's representative point.

A plot keeps the ``park_id`` it states; otherwise it belongs to the smallest park
containing its representative point (``shapely.point_on_surface``, inside even a
concave plot), so among nested parks the most specific wins and parent parks count
their children's plots (:func:`qygeo.core.metrics.park_descendants`).

Most plots never need that point: each park is covered by a grid whose cells are
classified once as inside, outside or on its boundary, and a plot whose bounding
box meets only inside (or only outside) cells is inside (or outside) that park
whatever point of it is chosen (:func:`assign_by_grid`). Only plots near a
boundary get the exact test (:meth:`ParkIndex.smallest_containing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.core import metrics

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa

#: Grid cells per side of a park's bounding box for the inside/outside/boundary test.
GRID_CELLS = 64
#: Up to this many parks :meth:`ParkIndex.smallest_containing_xy` tests park by park.
LOOPED_PARKS = 32


@dataclass
class ParkIndex:
    """Parks prepared for assigning plots: geometries, smallest-first order and grids."""

    ids: np.ndarray
    geoms: np.ndarray
    area_m2: np.ndarray
    tree: Any
    grids: list[tuple[float, float, float, float, np.ndarray]]

    @classmethod
    def build(cls, parks: gpd.GeoDataFrame, *, cells: int = GRID_CELLS) -> ParkIndex:
        """Prepare *parks* (WGS84, ``park_id``)."""
        import shapely

        if cells < 1 or cells & (cells - 1):
            raise ValueError(f"cells must be a power of two, not {cells}")
        geoms = np.asarray(parks.geometry.values)
        shapely.prepare(geoms)
        grids = []
        for g in geoms:
            minx, miny, maxx, maxy = g.bounds
            dx = (maxx - minx) / cells or 1e-9
            dy = (maxy - miny) / cells or 1e-9
            on_edge = _edge_cells(g, minx, miny, dx, dy, cells)
            i, j = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
            inside = ~on_edge & shapely.contains_xy(g, minx + (i + 0.5) * dx,
                                                     miny + (j + 0.5) * dy)
            grids.append((minx, miny, dx, dy, _summed(inside, on_edge)))
        return cls(ids=parks["park_id"].to_numpy(dtype=object), geoms=geoms,
                   area_m2=metrics.area_m2(parks.geometry), tree=shapely.STRtree(geoms),
                   grids=grids)

    @property
    def id_array(self) -> pa.Array:
        """Park ids as an Arrow array (to look up stated parks in Arrow text)."""
        import pyarrow as pa

        return pa.array(list(self.ids), type=pa.large_string())

    @property
    def id_index(self) -> pd.Index:
        """Park ids as a pandas Index (to look up stated parks in pandas text)."""
        import pandas as pd

        return pd.Index(list(self.ids), dtype=object)

    def smallest_containing(self, pts: np.ndarray) -> np.ndarray:
        """Index of the smallest park whose interior holds each point, −1 for none."""
        import shapely

        return self._smallest(pts, shapely.get_x(pts), shapely.get_y(pts))

    def smallest_containing_xy(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """:meth:`smallest_containing` of the points (*x*, *y*).

        Up to :data:`LOOPED_PARKS` parks, each park (smallest first) takes the points in
        its bounding box not yet placed, without a point geometry per plot; more parks
        go through the tree.
        """
        import shapely

        if len(self.geoms) > LOOPED_PARKS:
            return self._smallest(shapely.points(x, y), x, y)
        chosen = np.full(len(x), -1, dtype=np.int64)
        bounds = shapely.bounds(self.geoms)
        for k in np.argsort(self.area_m2, kind="stable").tolist():
            minx, miny, maxx, maxy = bounds[k]
            near = chosen < 0
            near &= x >= minx
            near &= x <= maxx
            near &= y >= miny
            near &= y <= maxy
            rows = np.flatnonzero(near)
            if len(rows):
                chosen[rows[shapely.contains_xy(self.geoms[k], x[rows], y[rows])]] = k
        return chosen

    def _smallest(self, pts: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        import shapely

        # Candidates by bounding box from the tree, then the prepared parks' contains_xy
        # on coordinates: a fifth of the time of the tree's own "within" predicate.
        pt_idx, park_idx = self.tree.query(pts)
        inside = shapely.contains_xy(self.geoms[park_idx], x[pt_idx], y[pt_idx])
        pt_idx, park_idx = pt_idx[inside], park_idx[inside]
        chosen = np.full(len(pts), -1, dtype=np.int64)
        if len(pt_idx):
            # Smallest park first, the first in the layer among equals.
            order = np.lexsort((park_idx, self.area_m2[park_idx], pt_idx))
            pt_sorted, park_sorted = pt_idx[order], park_idx[order]
            first = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]]
            chosen[pt_sorted[first]] = park_sorted[first]
        return chosen


def _edge_cells(park: Any, minx: float, miny: float, dx: float, dy: float,
                cells: int) -> np.ndarray:
    """The grid cells (*cells* × *cells*, a power of two) whose closed box meets *park*'s
    boundary.

    Blocks of cells are tested from the whole grid down, each split in four only where
    the boundary meets it: a block it misses holds no cell it meets. Cell (i, j) spans
    ``minx + i·dx`` … ``minx + (i + 1)·dx`` (and so in y), the same numbers at every level.
    """
    import shapely

    boundary = shapely.boundary(park)
    shapely.prepare(boundary)
    blocks = np.zeros((1, 2), dtype=np.int64)  # (i, j) of each block's first cell
    size = cells
    quarter = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
    while True:
        i, j = blocks[:, 0], blocks[:, 1]
        meets = shapely.intersects(boundary, shapely.box(
            minx + i * dx, miny + j * dy, minx + (i + size) * dx, miny + (j + size) * dy))
        blocks = blocks[meets]
        if size == 1:
            break
        size //= 2
        blocks = (blocks[:, None, :] + size * quarter).reshape(-1, 2)
    out = np.zeros((cells, cells), dtype=bool)
    out[blocks[:, 0], blocks[:, 1]] = True
    return out


def _summed(inside: np.ndarray, on_edge: np.ndarray) -> np.ndarray:
    """One summed-area table of both cell grids: inside counts + on-edge counts · 2³².

    Box sums of it hold both counts at once (each below 2³²), so one lookup
    gives both.
    """
    cells = inside.astype(np.int64) + (on_edge.astype(np.int64) << 32)
    out = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=np.int64)
    out[1:, 1:] = cells.cumsum(0).cumsum(1)
    return out


def assign_by_grid(index: ParkIndex, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Parks of plots whose bounding boxes decide it, from the parks' cell grids.

    Parameters
    ----------
    boxes : numpy.ndarray
        (4, n) plot bounding boxes, rows minx, miny, maxx, maxy (degrees).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Index of the smallest park holding each plot (−1 none) and a mask of
        the plots the grids cannot decide (near a park boundary).
    """
    x0, y0, x1, y1 = boxes
    n = boxes.shape[1]
    chosen = np.full(n, -1, dtype=np.int64)
    chosen_area = np.full(n, np.inf)
    unsure = np.zeros(n, dtype=bool)
    eps = 1e-9
    low32 = np.int64(0xFFFFFFFF)
    for k, (minx, miny, dx, dy, table) in enumerate(index.grids):
        cells = table.shape[0] - 1
        near = x1 >= minx
        near &= x0 <= minx + dx * cells
        near &= y1 >= miny
        near &= y0 <= miny + dy * cells
        hit = np.flatnonzero(near)
        if not len(hit):
            continue
        i0 = np.floor((x0[hit] - minx) / dx - eps).astype(np.int64)
        i1 = np.floor((x1[hit] - minx) / dx + eps).astype(np.int64)
        j0 = np.floor((y0[hit] - miny) / dy - eps).astype(np.int64)
        j1 = np.floor((y1[hit] - miny) / dy + eps).astype(np.int64)
        # Parts of the box beyond the grid are outside the park.
        beyond = (i0 < 0) | (j0 < 0) | (i1 >= cells) | (j1 >= cells)
        np.clip(i0, 0, cells - 1, out=i0)
        np.clip(j0, 0, cells - 1, out=j0)
        np.clip(i1, 0, cells - 1, out=i1)
        np.clip(j1, 0, cells - 1, out=j1)
        total = (i1 - i0 + 1) * (j1 - j0 + 1)
        # Cells [i0, i1] × [j0, j1] of the summed-area table, on its flat array.
        flat, w = table.ravel(), cells + 1
        i0 *= w
        i1 += 1
        i1 *= w
        j1 += 1
        both = flat[i1 + j1] - flat[i0 + j1] - flat[i1 + j0] + flat[i0 + j0]
        edge = both >> 32
        inside = both & low32
        within = (edge == 0) & (inside == total) & ~beyond
        outside = (edge == 0) & (inside == 0)
        unsure[hit[~within & ~outside]] = True
        rows = hit[within]
        smaller = index.area_m2[k] < chosen_area[rows]
        chosen[rows[smaller]] = k
        chosen_area[rows[smaller]] = index.area_m2[k]
    return chosen, unsure




def interior_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``shapely.point_on_surface`` of single-ring polygons, in numpy, to the last bit.

    GEOS's InteriorPointArea (unchanged since GEOS 3.9): the scan line runs
    halfway between the two vertex heights nearest the middle of the ring's
    height; the point is the middle of the widest stretch of the line inside the
    ring (the first of equals), or the first vertex when no stretch has width.
    The same operations in the same order give the same doubles, so a plot near
    a park's edge falls in the same park as by shapely (and DuckDB's
    ST_PointOnSurface), without building a polygon per plot.

    Parameters
    ----------
    x, y : numpy.ndarray
        (vertices, rings): column *i* holds ring *i*'s vertices, first repeated last.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, numpy.ndarray)
        The points' x and y, and where they are GEOS's: False for a ring that is
        not closed (GEOS closes it first), that crosses the scan line an odd
        number of times, that has under four vertices (not a ring to GEOS) or a
        coordinate that is not finite; those rings are left to shapely.
    """
    if x.shape[0] < 4:
        nan = np.full(x.shape[1], np.nan)
        return nan, nan.copy(), np.zeros(x.shape[1], dtype=bool)
    lo, hi = y.min(axis=0), y.max(axis=0)
    centre = (lo + hi) / 2.0
    above = y > centre
    scan_hi = np.minimum(np.where(above, y, np.inf).min(axis=0), hi)
    scan_lo = np.maximum(np.where(above, -np.inf, y).max(axis=0), lo)
    scan = (scan_hi + scan_lo) / 2.0
    x0, x1, y0, y1 = x[:-1], x[1:], y[:-1], y[1:]
    # An edge crossing the line, counted as GEOS counts it: not horizontal, a downward
    # edge without its start on the line, an upward edge without its end on it.
    crosses = ~((y0 > scan) & (y1 > scan)) & ~((y0 < scan) & (y1 < scan)) & (y0 != y1)
    crosses &= ~((y0 == scan) & (y1 < scan)) & ~((y1 == scan) & (y0 < scan))
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = (y1 - y0) / (x1 - x0)
        # A vertical edge: its slope is ±inf and this gives its x, as GEOS's own case does.
        at = x0 + (scan - y0) / slope
    at = np.where(crosses, at, np.inf)  # after every crossing once sorted
    at.sort(axis=0)
    count = crosses.sum(axis=0)
    pairs = at.shape[0] // 2
    left, right = at[0:2 * pairs:2], at[1:2 * pairs:2]
    with np.errstate(invalid="ignore"):
        width = np.where(2 * np.arange(pairs)[:, None] + 1 < count, right - left, -np.inf)
    cols = np.arange(x.shape[1])
    best = width.argmax(axis=0)
    found = width[best, cols] > 0
    px = np.where(found, (left[best, cols] + right[best, cols]) / 2.0, x[0])
    py = np.where(found, scan, y[0])
    exact = (count % 2 == 0) & (x[0] == x[-1]) & (y[0] == y[-1]) & np.isfinite(scan)
    return px, py, exact


def assign_geometries(index: ParkIndex, geoms: np.ndarray) -> np.ndarray:
    """Index (in *index*) of the smallest park holding each geometry's representative point.

    −1 where no park does, or the geometry is missing or empty.
    """
    import shapely

    chosen = np.full(len(geoms), -1, dtype=np.int64)
    ok = np.flatnonzero(~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if not len(ok):
        return chosen
    got, unsure = assign_by_grid(index, shapely.bounds(geoms[ok]).T)
    chosen[ok] = got
    if unsure.any():
        chosen[ok[unsure]] = index.smallest_containing(shapely.point_on_surface(geoms[ok[unsure]]))
    return chosen


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
    """
    import pandas as pd

    if "park_id" in plots.columns:
        given = plots["park_id"].astype("object").where(plots["park_id"].notna(), None)
        given = given.map(lambda v: v if (v is not None and str(v).strip()) else None)
    else:
        given = pd.Series([None] * len(plots), index=plots.index, dtype="object")
    need = given.isna().to_numpy()
    if need.any() and len(parks):
        index = ParkIndex.build(parks)
        chosen = assign_geometries(index, np.asarray(plots.geometry.values)[need])
        ids = np.asarray(index.ids, dtype=object)
        given = given.copy()
        given.iloc[np.flatnonzero(need)] = np.where(chosen >= 0, ids[np.maximum(chosen, 0)], None)
    return given
