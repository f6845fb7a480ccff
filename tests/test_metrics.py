"""Formulas pinned against independent figures."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Polygon, box

from qygeo import metrics
from qygeo.crs import shift_coords


def test_area_matches_pyproj_geod_for_a_district_sized_polygon():
    poly = Polygon([(112.6, 23.6), (113.4, 23.55), (113.5, 24.2), (112.9, 24.4), (112.55, 24.0)])
    geod_area, _ = Geod(ellps="WGS84").geometry_area_perimeter(poly)
    ours = metrics.area_m2(gpd.GeoSeries([poly], crs="EPSG:4326"))[0]
    assert ours == pytest.approx(abs(geod_area), rel=1e-4)


def test_area_of_a_small_plot_matches_geod_to_a_square_metre():
    plot = box(113.40, 23.80, 113.402, 23.8015)
    geod_area, _ = Geod(ellps="WGS84").geometry_area_perimeter(plot)
    assert metrics.area_m2(gpd.GeoSeries([plot], crs="EPSG:4326"))[0] == pytest.approx(
        abs(geod_area), abs=1.0)


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
    assert metrics.assign_plots(plots, parks).tolist() == ["p"]


def test_nested_parks_assign_to_the_smallest_and_parent_counts_children():
    parks = gpd.GeoDataFrame(
        {"park_id": ["big", "small"], "parent_park_id": [None, "big"]},
        geometry=[box(113.0, 24.0, 113.1, 24.1), box(113.0, 24.0, 113.02, 24.02)],
        crs="EPSG:4326")
    plots = gpd.GeoDataFrame({"plot_id": ["a", "b", "c"], "park_id": [None, None, "big"]},
                             geometry=[box(113.005, 24.005, 113.006, 24.006),
                                       box(113.05, 24.05, 113.06, 24.06),
                                       box(113.005, 24.005, 113.006, 24.006)], crs="EPSG:4326")
    assert metrics.assign_plots(plots, parks).tolist() == ["small", "big", "big"]
    assert metrics.park_descendants(parks)["big"] == {"big", "small"}
    assert metrics.park_descendants(parks)["small"] == {"small"}


def test_plot_outside_every_park_is_unassigned():
    parks = gpd.GeoDataFrame({"park_id": ["p"]}, geometry=[box(113.0, 24.0, 113.1, 24.1)],
                             crs="EPSG:4326")
    plots = gpd.GeoDataFrame({"plot_id": ["x"]}, geometry=[box(113.5, 24.5, 113.6, 24.6)],
                             crs="EPSG:4326")
    assert metrics.assign_plots(plots, parks).tolist() == [None]
