"""Formulas pinned against independent figures."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import GeometryCollection, LineString, MultiPolygon, Point, Polygon, box

from qygeo.core import metrics
from qygeo.core.assign import assign_plots
from qygeo.io.crs import shift_coords

GEOD = Geod(ellps="WGS84")
GEODATA = Path(__file__).resolve().parents[1] / "geodata"


def geod_area_m2(geom) -> float:  # type: ignore[no-untyped-def]
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def test_area_is_pyprojs_cylindrical_equal_area_figure_even_for_long_edges():
    # The formula's definition: the ring whose edges are straight in Lambert's
    # cylindrical equal-area projection, as pyproj projects it (an independent path).
    poly = Polygon([(112.6, 23.6), (113.4, 23.55), (113.5, 24.2), (112.9, 24.4), (112.55, 24.0)])
    cea = gpd.GeoSeries([poly], crs="EPSG:4326").to_crs("+proj=cea +ellps=WGS84").area[0]
    ours = metrics.area_m2(gpd.GeoSeries([poly], crs="EPSG:4326"))[0]
    assert ours == pytest.approx(cea, rel=1e-9)
    # With edges 80 km long the edge's shape shows: geodesic edges enclose 1e-4 less.
    assert ours == pytest.approx(geod_area_m2(poly), rel=2e-4)


def test_area_of_real_district_boundaries_matches_pyproj_geod():
    districts = gpd.read_file(GEODATA / "districts.geojson", engine="pyogrio")
    ours = metrics.area_m2(districts.geometry)
    geod = np.array([geod_area_m2(g) for g in districts.geometry])
    assert len(ours) >= 8
    np.testing.assert_allclose(ours, geod, rtol=2e-6)


def test_area_subtracts_holes_and_adds_parts_in_any_orientation():
    outer = box(113.0, 24.0, 113.01, 24.01)
    hole = box(113.002, 24.002, 113.004, 24.004)
    with_hole = Polygon(outer.exterior.coords[::-1], [hole.exterior.coords])  # clockwise shell
    far = box(113.1, 24.1, 113.105, 24.105)
    a_outer, a_hole, a_far = metrics.area_m2(gpd.GeoSeries([outer, hole, far]))
    got = metrics.area_m2(gpd.GeoSeries([with_hole, MultiPolygon([with_hole, far]),
                                         GeometryCollection([MultiPolygon([far]), Point(0, 0)])],
                                        crs="EPSG:4326"))
    assert got[0] == pytest.approx(a_outer - a_hole, rel=1e-12)
    assert got[1] == pytest.approx(a_outer - a_hole + a_far, rel=1e-12)
    assert got[2] == pytest.approx(a_far, rel=1e-12)
    assert got[0] == pytest.approx(geod_area_m2(with_hole), rel=1e-6)


def test_area_is_zero_for_missing_empty_and_non_polygonal_geometries():
    got = metrics.area_m2(gpd.GeoSeries([None, Polygon(), Point(113, 24),
                                         LineString([(113, 24), (113.1, 24.1)]),
                                         box(113.0, 24.0, 113.01, 24.01)], crs="EPSG:4326"))
    assert got[:4].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert got[4] > 1e6


def test_area_of_a_layer_in_another_crs_is_taken_after_transforming_it():
    plot = box(113.40, 23.80, 113.402, 23.8015)
    wgs = gpd.GeoSeries([plot], crs="EPSG:4326")
    gk = wgs.to_crs("EPSG:4547")  # CGCS2000 / 3-degree Gauss-Kruger CM 114E
    assert metrics.area_m2(gk)[0] == pytest.approx(metrics.area_m2(wgs)[0], rel=1e-7)


def test_ring_areas_of_flat_rings_equal_the_geometry_areas():
    rng = np.random.default_rng(3)
    polys = [box(x, y, x + w, y + h) for x, y, w, h in zip(
        rng.uniform(112, 113.9, 50), rng.uniform(23.5, 25, 50), rng.uniform(1e-4, 0.02, 50),
        rng.uniform(1e-4, 0.02, 50), strict=True)]
    coords = [np.asarray(p.exterior.coords) for p in polys]
    starts = np.r_[0, np.cumsum([len(c) for c in coords])]
    flat = np.concatenate(coords)
    rings = metrics.ring_areas_m2(flat[:, 0], flat[:, 1], starts)
    np.testing.assert_allclose(rings, metrics.area_m2(gpd.GeoSeries(polys)), rtol=1e-12)
    np.testing.assert_allclose(rings, [geod_area_m2(p) for p in polys], rtol=2e-6)
    # A ring without vertices, between others, has no area and moves nothing.
    starts2 = np.r_[starts[:1], starts[1], starts[1:]]
    again = metrics.ring_areas_m2(flat[:, 0], flat[:, 1], starts2)
    assert again[1] == 0.0
    np.testing.assert_allclose(np.delete(again, 1), rings, rtol=1e-12)


def test_area_of_a_small_plot_matches_geod_to_a_square_metre():
    plot = box(113.40, 23.80, 113.402, 23.8015)
    assert metrics.area_m2(gpd.GeoSeries([plot], crs="EPSG:4326"))[0] == pytest.approx(
        geod_area_m2(plot), abs=1.0)


def test_area_is_not_computed_in_degrees():
    # 0.01° x 0.01° at 24°N is about 1.017 km x 1.107 km, not 1e-4 "square degrees".
    a = metrics.area_m2(gpd.GeoSeries([box(113.0, 24.0, 113.01, 24.01)], crs="EPSG:4326"))[0]
    assert 1.10e6 < a < 1.15e6


def test_mu_conversion_is_the_statutory_one():
    assert metrics.M2_PER_MU == pytest.approx(666.6667, rel=1e-6)
    assert metrics.MU_PER_KM2 == pytest.approx(1500)
    gdf = metrics.with_areas(gpd.GeoDataFrame(geometry=[box(113.0, 24.0, 113.01, 24.01)],
                                              crs="EPSG:4326"))
    assert gdf["area_mu"].iloc[0] == pytest.approx(gdf["area_m2"].iloc[0] * 15 / 10000)
    assert gdf["area_km2"].iloc[0] * 100 == pytest.approx(gdf["area_ha"].iloc[0])


def test_paper_guangfo_intensity_implies_about_100_km2():
    # §4.2.3: over 28 billion yuan signed; §3.2.2: about 280 million yuan/km².
    assert metrics.intensity_yuan_per_km2(28e9, 100.0) == pytest.approx(2.8e8)
    assert metrics.yuan_per_km2_to_yi_per_km2(2.8e8) == pytest.approx(2.8)
    # 2.8e8 yuan/km² = 2.8e8 / 1500 yuan/mu = 18.67 万元/亩
    assert metrics.yuan_per_km2_to_wan_per_mu(2.8e8) == pytest.approx(18.6667, rel=1e-4)
    assert metrics.yuan_per_km2_to_wan_per_ha(2.8e8) == pytest.approx(280.0)


def test_intensity_is_nan_without_area_or_amount():
    assert np.isnan(metrics.intensity_yuan_per_km2(1e9, 0.0))
    assert np.isnan(metrics.intensity_yuan_per_km2(np.nan, 10.0))


def test_required_growth_to_reach_the_2027_target():
    g = metrics.required_annual_growth(2.8e8, metrics.TARGET_INVESTMENT_INTENSITY_YUAN_PER_KM2, 3)
    assert (1 + g) ** 3 * 2.8e8 == pytest.approx(5e9)
    assert np.isnan(metrics.required_annual_growth(0.0, 5e9, 3))


def test_gcj02_shift_matches_an_independent_implementation():
    import eviltransform

    wgs = np.array([[113.0560, 23.6820], [112.4, 24.78], [113.54, 23.88]])
    gcj = shift_coords(wgs, "wgs84_to_gcj02")
    for (lon, lat), (glon, glat) in zip(wgs, gcj):
        elat, elon = eviltransform.wgs2gcj(lat, lon)
        assert glon == pytest.approx(elon, abs=1e-6)
        assert glat == pytest.approx(elat, abs=1e-6)


def test_gcj02_offset_around_qingyuan_is_several_hundred_metres_and_inverts():
    wgs = np.array([[113.0560, 23.6820]])
    gcj = shift_coords(wgs, "wgs84_to_gcj02")
    _, _, dist = Geod(ellps="WGS84").inv(wgs[0, 0], wgs[0, 1], gcj[0, 0], gcj[0, 1])
    assert 400 < dist < 800
    back = shift_coords(gcj, "gcj02_to_wgs84")
    _, _, err = Geod(ellps="WGS84").inv(wgs[0, 0], wgs[0, 1], back[0, 0], back[0, 1])
    assert err < 0.5


def test_known_gcj02_point_pair():
    # Tiananmen flagpole: WGS84 (116.391248, 39.907500) is shown by Amap at about
    # (116.397491, 39.908897) GCJ-02 — the textbook pair, ~6 decimals.
    gcj = shift_coords(np.array([[116.391248, 39.907500]]), "wgs84_to_gcj02")[0]
    assert gcj[0] == pytest.approx(116.397491, abs=2e-5)
    assert gcj[1] == pytest.approx(39.908897, abs=2e-5)


def test_representative_point_assigns_concave_plot_to_the_park_it_lies_in():
    # A U-shaped plot whose centroid falls in the gap, outside both parks.
    u = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    u = gpd.GeoSeries([u]).affine_transform([0.001, 0, 0, 0.001, 113.0, 24.0]).iloc[0]
    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[u.buffer(0.0001)], crs="EPSG:4326")
    plots = gpd.GeoDataFrame({"plot_id": ["x"]}, geometry=[u], crs="EPSG:4326")
    assert not parks.geometry.iloc[0].contains(u.centroid)  # the centroid would miss it
    assert assign_plots(plots, parks).tolist() == ["p"]


def test_nested_parks_assign_to_the_smallest_and_parent_counts_children():
    parks = gpd.GeoDataFrame(
        {"park_id": ["big", "small"], "parent_park_id": [None, "big"]},
        geometry=[box(113.0, 24.0, 113.1, 24.1), box(113.0, 24.0, 113.02, 24.02)],
        crs="EPSG:4326")
    plots = gpd.GeoDataFrame({"plot_id": ["a", "b", "c"], "park_id": [None, None, "big"]},
                             geometry=[box(113.005, 24.005, 113.006, 24.006),
                                       box(113.05, 24.05, 113.06, 24.06),
                                       box(113.005, 24.005, 113.006, 24.006)], crs="EPSG:4326")
    assert assign_plots(plots, parks).tolist() == ["small", "big", "big"]
    assert metrics.park_descendants(parks)["big"] == {"big", "small"}
    assert metrics.park_descendants(parks)["small"] == {"small"}


def test_plot_outside_every_park_is_unassigned():
    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(113.0, 24.0, 113.1, 24.1)],
                             crs="EPSG:4326")
    plots = gpd.GeoDataFrame({"plot_id": ["x"]}, geometry=[box(113.5, 24.5, 113.6, 24.6)],
                             crs="EPSG:4326")
    assert assign_plots(plots, parks).tolist() == [None]
