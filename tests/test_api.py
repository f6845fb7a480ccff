"""The public Python API: the same report as the CLI, maps from a report, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import folium
import pandas as pd
from click.testing import CliRunner

import qygeo
from conftest import snapshot
from qygeo.api import report, validate
from qygeo.cli import main
from qygeo.pipeline.report import render
from test_parks import truth_polygon, write_boundary

AS_OF = "2025-06-01"


def test_import_qygeo_loads_no_heavy_library():
    code = ("import sys, time; t = time.perf_counter(); import qygeo; "
            "print(time.perf_counter() - t); "
            "print([m for m in ('geopandas', 'folium', 'pandas', 'shapely') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[1] == "[]"
    assert float(out[0]) < 0.15


def test_report_from_python_equals_the_cli(bundled_geodata):
    rep = report(qygeo.load(bundled_geodata), as_of=AS_OF)
    cli = CliRunner().invoke(main, ["report", "--geodata", str(bundled_geodata), "--as-of",
                                    AS_OF, "--format", "json", "-q"])
    assert cli.exit_code == 0, cli.stderr
    assert json.loads(render(rep, "json")) == json.loads(cli.stdout)
    by_path = report(bundled_geodata, as_of=AS_OF)  # a folder works as well as a Dataset
    assert render(by_path, "json") == render(rep, "json")


def test_the_plot_engines_are_reachable_from_python(bundled_geodata, tmp_path):
    plots = tmp_path / "plots.parquet"
    qygeo.load(bundled_geodata).plots.to_parquet(plots)
    folder = report(bundled_geodata, as_of=AS_OF)
    engine = report(bundled_geodata, as_of=AS_OF, plots=plots, engine="default")
    keys = ["park_id", "plot_count", "plot_investment_yuan", "idle_plot_count"]
    pd.testing.assert_frame_equal(engine.parks[keys], folder.parks[keys], check_dtype=False)


def test_maps_are_drawn_from_a_report(bundled_geodata):
    rep = report(bundled_geodata, as_of=AS_OF)
    city = qygeo.city_map(rep, basemap="none")
    park = qygeo.park_map(rep, "guangfo", basemap="none")
    assert isinstance(city, folium.Map) and isinstance(park, folium.Map)
    assert "Guangfo (Fogang) Industrial Park" in city.get_root().render()
    assert "<title>广佛（佛冈）产业园 Guangfo (Fogang) Industrial Park" in park.get_root().render()


def test_validate_lists_problems(bundled_geodata):
    assert validate(bundled_geodata) == []
    (bundled_geodata / "parks.geojson").write_text("{not json", encoding="utf-8")
    problems = validate(bundled_geodata)
    assert problems and "parks.geojson" in problems[0]


def test_park_edits_through_the_package(tiny_geodata, tmp_path):
    before = snapshot(tiny_geodata)
    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    qygeo.add_park(tiny_geodata, survey, park_id="gamma", name_zh="丙园", name_en="Gamma Park")
    ids = [f["properties"]["park_id"] for f in json.loads(
        (tiny_geodata / "parks.geojson").read_text("utf-8"))["features"]]
    assert "gamma" in ids
    qygeo.undo(tiny_geodata)
    after = snapshot(tiny_geodata)
    assert after["parks.geojson"] == before["parks.geojson"]
