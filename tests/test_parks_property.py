"""Property-based tests (hypothesis) of the boundary checks in :mod:`qygeo.pipeline.parks`.

Random simple polygons in Qingyuan are accepted with their area and place kept
(also through EPSG:4547 and the 6-decimal file); random bow-ties are refused;
whatever ``--fix`` returns is valid, also after rounding to the file's
precision; the size rule holds at every size; the district is the one holding
the polygon.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon, shape

from conftest import write_tiny
from qygeo.core import placement as place_mod
from qygeo.core.placement import clean_geometry
from qygeo.errors import BoundaryError
from qygeo.io import layers
from qygeo.pipeline import parks
from test_parks import displacement_m, geodesic_area_m2, write_boundary

SETTINGS = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = write_tiny(tmp_path_factory.mktemp("tiny") / "geodata")
    return (layers.load_layer(root, layers.DISTRICTS), layers.load_layer(root, layers.PARKS))


def _offset(cy: float, east_m: np.ndarray, north_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return east_m / (111_320.0 * math.cos(math.radians(cy))), north_m / 110_900.0


@st.composite
def star_polygons(draw, lon=(112.93, 113.17), lat=(23.53, 23.77), r_m=(400.0, 2500.0)):
    """Simple polygons: vertices at increasing angles around a centre, random radii.

    The angular gaps are random weights in [1, 1.9] scaled to a full turn, so no
    gap reaches half a turn and the polygon is simple and holds its centre.
    """
    n = draw(st.integers(3, 16))
    cx = draw(st.floats(*lon))
    cy = draw(st.floats(*lat))
    r = draw(st.floats(*r_m))
    w = np.array(draw(st.lists(st.floats(1.0, 1.9), min_size=n, max_size=n)))
    start = draw(st.floats(0, 2 * math.pi))
    angles = list(start + 2 * math.pi * np.cumsum(w) / w.sum())
    fr = draw(st.lists(st.floats(0.3, 1.0), min_size=n, max_size=n))
    a, f = np.array(angles), r * np.array(fr)
    dx, dy = _offset(cy, f * np.cos(a), f * np.sin(a))
    poly = Polygon(list(zip(cx + dx, cy + dy, strict=True)))
    assume(poly.is_valid)
    return poly


@st.composite
def bowties(draw):
    """A convex quadrilateral's corners visited p0, p2, p1, p3: two crossing edges."""
    cx = draw(st.floats(112.95, 113.15))
    cy = draw(st.floats(23.55, 23.75))
    r = draw(st.floats(300.0, 2000.0))
    base = draw(st.floats(0, math.pi / 2))
    jitter = draw(st.lists(st.floats(-0.5, 0.5), min_size=4, max_size=4))
    a = np.array([base + k * math.pi / 2 + j for k, j in enumerate(jitter)])
    dx, dy = _offset(cy, r * np.cos(a), r * np.sin(a))
    p = list(zip(cx + dx, cy + dy, strict=True))
    return Polygon([p[0], p[2], p[1], p[3]])


@st.composite
def scribbles(draw):
    """Rings through random points: often self-intersecting, sometimes degenerate."""
    n = draw(st.integers(3, 12))
    cx = draw(st.floats(112.95, 113.15))
    cy = draw(st.floats(23.55, 23.75))
    pts = draw(st.lists(st.tuples(st.floats(-0.02, 0.02), st.floats(-0.02, 0.02)),
                        min_size=n, max_size=n))
    return Polygon([(cx + x, cy + y) for x, y in pts])


def _area(geom) -> float:
    return geodesic_area_m2(geom)


def _as_written(geom):
    """The geometry as parks.geojson will hold it (6 decimals) and read back."""
    fc = layers.to_feature_collection(gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326"))
    return shape(json.loads(json.dumps(fc))["features"][0]["geometry"])


def _clear_of_parks(poly, parks_gdf) -> bool:
    return not any(poly.intersects(g) for g in parks_gdf.geometry.values)


@pytest.mark.slow
@SETTINGS
@given(star_polygons())
def test_valid_polygons_in_qingyuan_are_accepted_with_their_area(tiny, poly):
    districts, parks_gdf = tiny
    assume(_clear_of_parks(poly, parks_gdf))
    assume(_area(poly) > place_mod.MIN_AREA_KM2 * 1e6 * 1.01)
    geom, notes = clean_geometry([poly])
    assert notes == []
    placement = place_mod.place_boundary(geom, districts, parks_gdf)
    assert placement.district_adcode == "441802" and placement.derived
    assert placement.overlaps == ()
    written = _as_written(geom)
    assert written.is_valid
    assert abs(_area(written) / _area(poly) - 1) < 1e-3
    assert abs(placement.area_m2 / _area(poly) - 1) < 1e-3
    assert displacement_m(written, poly) < 0.2


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(star_polygons())
def test_polygons_drawn_in_gauss_kruger_come_back_in_place(tiny, poly):
    with tempfile.TemporaryDirectory() as tmp:
        path = write_boundary(Path(tmp) / "b.shp", poly, "EPSG:4547")
        b = parks.read_boundary(path)
    assert b.crs.startswith("EPSG:4547")
    assert abs(_area(b.geometry) / _area(poly) - 1) < 1e-3
    assert displacement_m(b.geometry, poly) < 0.2


@pytest.mark.slow
@SETTINGS
@given(star_polygons(lon=(113.25, 113.55), lat=(23.85, 23.95), r_m=(400.0, 2000.0)))
def test_the_district_is_the_one_holding_the_boundary(tiny, poly):
    districts, parks_gdf = tiny
    assume(_clear_of_parks(poly, parks_gdf))
    assume(_area(poly) > place_mod.MIN_AREA_KM2 * 1e6 * 1.01)
    geom, _ = clean_geometry([poly])
    assert place_mod.place_boundary(geom, districts, parks_gdf).district_adcode == "441821"
    with pytest.raises(BoundaryError, match="not in --district 441802"):
        place_mod.place_boundary(geom, districts, parks_gdf, district="441802")


@SETTINGS
@given(bowties())
def test_bowties_are_refused(poly):
    assert not poly.is_valid
    with pytest.raises(BoundaryError, match=r"invalid geometry \(Self-intersection.*--fix"):
        clean_geometry([poly])


@SETTINGS
@given(st.one_of(bowties(), scribbles()))
def test_fix_output_is_always_valid(poly):
    try:
        geom, notes = clean_geometry([poly], fix=True)
    except BoundaryError as exc:  # nothing polygonal left (e.g. all points on a line)
        assert "no polygon" in str(exc) or "collapses" in str(exc)
        return
    assert geom.is_valid and geom.geom_type in ("Polygon", "MultiPolygon")
    assert not geom.is_empty
    assert _as_written(geom).is_valid
    if not poly.is_valid:
        assert any("repaired invalid geometry" in n and "km²" in n for n in notes)


@SETTINGS
@given(st.floats(40.0, 25_000.0))
def test_size_rule(tiny, side_m):
    districts, _ = tiny
    no_parks = gpd.GeoDataFrame({"park_id": []}, geometry=[], crs="EPSG:4326")
    cx, cy = 113.05, 23.65
    dx, dy = _offset(cy, np.array([side_m / 2]), np.array([side_m / 2]))
    square = shapely.box(cx - dx[0], cy - dy[0], cx + dx[0], cy + dy[0])
    geom, _ = clean_geometry([square])
    km2 = _area(geom) / 1e6
    assume(abs(km2 - place_mod.MIN_AREA_KM2) / place_mod.MIN_AREA_KM2 > 1e-3)
    assume(abs(km2 - place_mod.MAX_AREA_KM2) / place_mod.MAX_AREA_KM2 > 1e-3)
    if place_mod.MIN_AREA_KM2 <= km2 <= place_mod.MAX_AREA_KM2:
        assert place_mod.place_boundary(geom, districts, no_parks).area_km2 == pytest.approx(
            km2, rel=1e-3)
    else:
        with pytest.raises(BoundaryError, match="implausible size"):
            place_mod.place_boundary(geom, districts, no_parks)
