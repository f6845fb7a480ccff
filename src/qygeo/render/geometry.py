"""What the maps draw of a geometry: simplified below visibility, in the basemap's datum, labelled.

One display geometry for every page: :func:`display_frame` simplifies polygons
by half a pixel at the highest zoom and shifts them to the basemap's datum
(GCJ-02 on Gaode tiles); :func:`label_points` gives the point a label hangs on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qygeo.render.styles import SIMPLIFY_TOLERANCE_DEG

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from qygeo.render.basemaps import Basemap


def display_frame(gdf: gpd.GeoDataFrame, basemap: Basemap, *,
                  tolerance: float = SIMPLIFY_TOLERANCE_DEG,
                  preserve_topology: bool = True) -> gpd.GeoDataFrame:
    """Simplify polygons below visibility and shift to the basemap's datum.

    *preserve_topology* False (Douglas–Peucker without the topology check) is for
    the canvas layer of thousands of plots: at half a pixel at the highest zoom a
    ring touching itself cannot be seen, and the canvas fills even-odd anyway.
    Where a polygon would collapse (empty, or no longer a polygon) it is kept as it is.
    """
    import numpy as np
    import shapely

    from qygeo.io.crs import shift_frame

    out = gdf.copy()
    geoms = np.asarray(out.geometry.values, dtype=object)
    polys = shapely.get_type_id(geoms) >= 3  # polygons, multipolygons
    if polys.any() and tolerance > 0:
        simplified = shapely.simplify(geoms, tolerance, preserve_topology=preserve_topology)
        collapsed = shapely.is_empty(simplified) | ~np.isin(shapely.get_type_id(simplified),
                                                            (3, 6))
        out = out.set_geometry(np.where(polys & ~collapsed, simplified, geoms), crs=gdf.crs)
    if basemap.shift:
        out = shift_frame(out, basemap.shift)
    return out


def feature_collection(gdf: gpd.GeoDataFrame, props: Sequence[dict[str, Any]], basemap: Basemap,
                       *, tolerance: float = SIMPLIFY_TOLERANCE_DEG) -> dict[str, Any]:
    """GeoJSON of *gdf*'s geometries with one properties dict each, ready for the page.

    Geometries are simplified by *tolerance* degrees (polygons only), shifted
    to the basemap's datum and rounded to 6 decimals.
    """
    import geopandas as gpd

    from qygeo.io.layers import to_feature_collection

    shown = display_frame(gdf[[gdf.geometry.name]], basemap, tolerance=tolerance)
    fc = to_feature_collection(gpd.GeoDataFrame(geometry=shown.geometry.values, crs="EPSG:4326"))
    for feat, p in zip(fc["features"], props, strict=True):
        feat["properties"] = p
    return fc


def label_points(gdf: gpd.GeoDataFrame, *, pole_max: int | None = None) -> gpd.GeoDataFrame:
    """Points to hang labels on: each polygon's pole of inaccessibility.

    The centre of the largest circle inside the polygon (its largest part for a
    multipolygon) sits well inside it, where a label is easiest to read. Above
    *pole_max* geometries shapely's point on surface stands in (the pole costs a
    search per polygon).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    geoms = np.asarray(gdf.geometry.values, dtype=object)
    if pole_max is not None and len(geoms) > pole_max:
        return gpd.GeoDataFrame(geometry=shapely.point_on_surface(geoms), crs="EPSG:4326")
    pts = []
    for geom in geoms:
        if geom.geom_type == "MultiPolygon":
            geom = max(geom.geoms, key=lambda g: g.area)
        if geom.geom_type == "Polygon":
            tol = max(1e-6, math.sqrt(geom.area) / 200)
            circle = shapely.maximum_inscribed_circle(geom, tolerance=tol)
            pts.append(shapely.get_point(circle, 0))
        else:
            pts.append(shapely.point_on_surface(geom))
    return gpd.GeoDataFrame(geometry=pts, crs="EPSG:4326")


def east_points(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Points on the east edge of each geometry, level with its label point.

    Callout labels start there and run east, clear of the area they describe
    and of the district name usually placed in the middle.
    """
    import geopandas as gpd
    from shapely.geometry import Point

    mid = label_points(gdf)
    east = gdf.geometry.bounds["maxx"].to_numpy()
    pts = [Point(x, p.y) for x, p in zip(east, mid.geometry.values, strict=True)]
    return gpd.GeoDataFrame(geometry=pts, crs="EPSG:4326")


def bounds_latlon(gdf: gpd.GeoDataFrame, basemap: Basemap) -> list[list[float]]:
    """[[south, west], [north, east]] of *gdf* in the basemap's datum."""
    shown = display_frame(gdf[[gdf.geometry.name]], basemap, tolerance=0)
    w, s, e, n = (float(x) for x in shown.total_bounds)
    return [[round(s, 6), round(w, 6)], [round(n, 6), round(e, 6)]]


