"""Shared fixtures: a tiny generated data folder and the bundled one, copied.

``tiny_geodata`` is small enough to reason about by hand: two square-ish
districts, three parks (one nested), six plots, one stats row per park.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from qygeo.io import layers

REPO = Path(__file__).resolve().parents[1]
BUNDLED = REPO / "geodata"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under *root* with its bytes (to assert nothing changed)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def write_tiny(root: Path) -> Path:
    """Write the tiny data folder into *root* and return it."""
    root.mkdir(parents=True, exist_ok=True)
    districts = gpd.GeoDataFrame(
        {"adcode": ["441802", "441821"], "name_zh": ["清城区", "佛冈县"],
         "name_en": ["Qingcheng District", "Fogang County"],
         "official_area_km2": [None, None], "source": ["test", "test"],
         "boundary_quality": ["illustrative", "illustrative"]},
        geometry=[box(112.9, 23.5, 113.2, 23.8), box(113.2, 23.6, 113.6, 24.0)], crs="EPSG:4326")
    parks = gpd.GeoDataFrame(
        {"park_id": ["alpha", "beta", "beta_child"], "name_zh": ["甲园", "乙园", "乙园分园"],
         "name_en": ["Alpha Park", "Beta Park", "Beta Child Park"],
         "district_adcode": ["441802", "441821", "441821"],
         "kind": ["industrial_park", "industrial_park", "specialised_park"],
         "parent_park_id": [None, None, "beta"],
         "source": ["test"] * 3, "boundary_quality": ["approximate"] * 3},
        geometry=[box(113.00, 23.60, 113.05, 23.65), box(113.30, 23.70, 113.40, 23.80),
                  box(113.31, 23.71, 113.33, 23.73)], crs="EPSG:4326")
    plots = gpd.GeoDataFrame(
        {"plot_id": ["A1", "A2", "B1", "B2", "C1", "X1"],
         "park_id": ["alpha", "alpha", "beta", None, "beta_child", None],
         "project": ["p1", "p2", "p3", "p4", "p5", "p6"],
         "enterprise": ["e1", "e2", "e3", "e4", "e5", "e6"],
         "agreed_start_date": ["2020-01-01", "2023-01-01", "2021-06-01", "2022-01-01",
                               "2021-01-01", "2021-01-01"],
         "actual_start_date": [None, "2023-02-01", "2021-07-01", None, "2021-02-01", None],
         "suspended_since": [None, None, "2022-01-01", None, None, None],
         "delay_cause": [None, None, None, "government", None, None],
         "agreed_investment_yuan": [1e8, 2e8, 3e8, 1e8, 5e7, 1e7],
         "invested_yuan": [0.0, 1.5e8, 3e7, 0.0, 4e7, 0.0],
         "developed_area_m2": [0.0, 2e4, 1e3, 0.0, 1e4, 0.0],
         "land_price_yuan": [1e7, 2e7, 3e7, 1e7, 5e6, 1e6],
         "output_yuan": [0.0, 3e8, 0.0, 0.0, 1e8, 0.0]},
        geometry=[box(113.001, 23.601, 113.004, 23.604), box(113.010, 23.610, 113.013, 23.613),
                  box(113.350, 23.750, 113.353, 23.753), box(113.360, 23.760, 113.363, 23.763),
                  box(113.315, 23.715, 113.318, 23.718), box(113.100, 23.700, 113.101, 23.701)],
        crs="EPSG:4326")
    layers.write_layer(districts, root / "districts.geojson", layers.DISTRICTS)
    layers.write_layer(parks, root / "parks.geojson", layers.PARKS)
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    attrs = root / "attributes"
    attrs.mkdir(exist_ok=True)
    (attrs / "park_stats.csv").write_text(
        "park_id,year,signed_investment_yuan,output_yuan,reported_investment_intensity_yuan_per_km2,source\n"
        "alpha,2024,5000000000,1000000000,200000000,test row\n"
        "alpha,2023,4000000000,,,test row\n", encoding="utf-8")
    return root


@pytest.fixture()
def tiny_geodata(tmp_path: Path) -> Path:
    """A fresh copy of the tiny generated data folder."""
    return write_tiny(tmp_path / "geodata")


@pytest.fixture()
def bundled_geodata(tmp_path: Path) -> Path:
    """A fresh copy of the repository's bundled geodata/ folder."""
    dst = tmp_path / "geodata"
    shutil.copytree(BUNDLED, dst)
    return dst


# --------------------------------------------------------------------------- groups
#
# Every test is in one group, chosen here so that a new test file needs no bookkeeping:
#   browser      opens pages in headless Chromium (uses the ``browser`` fixture)
#   bench        runs the benchmark (tests/test_bench.py)
#   integration  runs commands or writes data folders (CliRunner, tmp_path, a data folder)
#   unit         everything else: functions on small in-memory data
# ``slow`` is added to browser and bench tests, to property tests (hypothesis), to the
# kill -9 and dask tests, and to tests marked so after measuring (``--durations``);
# ``pytest -m "not slow"`` is the quick check while working.

#: Fixtures that make a test an integration test.
INTEGRATION_FIXTURES = {"tmp_path", "tiny_geodata", "bundled_geodata", "client", "server"}
#: Files whose every test is slow: processes killed at random, a dask cluster, a server
#: under load, whole builds looked at in a browser.
SLOW_FILES = {"test_parks_crash.py", "test_engine_dask.py", "test_serve_browser.py",
              "test_map_readability.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        name = item.path.name
        if "browser" in fixtures:
            groups = ["browser", "slow"]
        elif name == "test_bench.py":
            groups = ["bench", "slow"]
        elif fixtures & INTEGRATION_FIXTURES or "CliRunner" in item.module.__dict__:
            groups = ["integration"]
        else:
            groups = ["unit"]
        if name in SLOW_FILES or "dask" in item.name:
            groups.append("slow")
        if getattr(getattr(item, "obj", None), "is_hypothesis_test", False):
            groups.append("slow")
        for group in groups:
            item.add_marker(group)
