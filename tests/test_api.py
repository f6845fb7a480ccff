"""The public Python API: the same report as the CLI, maps from a report, lazy imports."""

from __future__ import annotations

import json
import subprocess
import sys

import folium
import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

import qygeo
from conftest import BUNDLED, snapshot
from qygeo.cli import main
from qygeo.render.text import render
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


@pytest.mark.slow
def test_report_from_python_equals_the_cli(bundled_geodata):
    rep = qygeo.report(qygeo.load(bundled_geodata), as_of=AS_OF)
    cli = CliRunner().invoke(main, ["report", "--geodata", str(bundled_geodata), "--as-of",
                                    AS_OF, "--format", "json", "-q"])
    assert cli.exit_code == 0, cli.stderr
    assert json.loads(render(rep, "json")) == json.loads(cli.stdout)
    by_path = qygeo.report(bundled_geodata, as_of=AS_OF)  # a folder works as well as a Dataset
    assert render(by_path, "json") == render(rep, "json")


@pytest.mark.slow
def test_the_plot_engines_are_reachable_from_python(bundled_geodata, tmp_path):
    plots = tmp_path / "plots.parquet"
    qygeo.load(bundled_geodata).plots.to_parquet(plots)
    folder = qygeo.report(bundled_geodata, as_of=AS_OF)
    engine = qygeo.report(bundled_geodata, as_of=AS_OF, plots=plots, engine="default")
    keys = ["park_id", "plot_count", "plot_investment_yuan", "idle_plot_count"]
    pd.testing.assert_frame_equal(engine.parks[keys], folder.parks[keys], check_dtype=False)
    # the plots read by the engine get their polygons back from the file, by id
    plots = engine.plots.set_index("plot_id")
    own = qygeo.load(bundled_geodata).plots.set_index("plot_id")
    assert plots.crs == "EPSG:4326" and plots.geometry.notna().all()
    assert plots.geometry.loc[own.index].geom_equals(own.geometry).all()


@pytest.mark.slow
def test_report_tables_carry_geometry(bundled_geodata, tmp_path):
    rep = qygeo.report(bundled_geodata, year=2024, as_of=AS_OF)
    parks = rep.parks
    assert isinstance(parks, gpd.GeoDataFrame) and parks.crs == "EPSG:4326"
    assert list(parks.columns[:-1]) == list(rep.park_table.columns)
    assert parks.geometry.notna().all() and parks.geometry.is_valid.all()
    ds = qygeo.load(bundled_geodata)
    gf = ds.parks.set_index("park_id").geometry["guangfo"]
    assert parks.set_index("park_id").geometry["guangfo"].equals(gf)
    out = tmp_path / "parks.gpkg"
    parks.to_file(out)
    back = pyogrio.read_dataframe(out)
    assert len(back) == len(parks) and back.crs == "EPSG:4326"
    assert back["intensity_yuan_per_km2"].tolist() == pytest.approx(
        parks["intensity_yuan_per_km2"].tolist(), nan_ok=True)
    assert isinstance(parks.explore(), folium.Map)
    plots = rep.plots
    assert isinstance(plots, gpd.GeoDataFrame) and len(plots) == len(rep.plot_table)
    assert {"idle_status", "grade", "park_id", "area_mu"} <= set(plots.columns)
    assert plots.geometry.notna().all()


@pytest.mark.slow
def test_the_report_command_loads_no_map_code(bundled_geodata):
    """Nor geoarrow: importing it takes longer than shapely decoding the bundled plots."""
    code = ("import sys; from qygeo.cli import main\n"
            "try:\n    main(['report', '--geodata', sys.argv[1], '--format', 'json', '-q'])\n"
            "except SystemExit as e:\n    assert not e.code, e.code\n"
            "print([m for m in sys.modules if m.startswith(('folium', 'branca',"
            " 'qygeo.render.maps', 'qygeo.render.canvas', 'geoarrow'))])")
    out = subprocess.run([sys.executable, "-c", code, str(bundled_geodata)], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[-1] == "[]"


@pytest.mark.slow
def test_maps_are_drawn_from_a_report(bundled_geodata):
    rep = qygeo.report(bundled_geodata, as_of=AS_OF)
    city = qygeo.city_map(rep, basemap="none")
    park = qygeo.park_map(rep, "guangfo", basemap="none")
    assert isinstance(city, folium.Map) and isinstance(park, folium.Map)
    assert "Guangfo (Fogang) Industrial Park" in city.get_root().render()
    # (each name bidi-isolated in the title: U+2068 … U+2069)
    title = park.get_root().render().replace("\u2068", "").replace("\u2069", "")
    assert "<title>广佛（佛冈）产业园 Guangfo (Fogang) Industrial Park" in title


@pytest.mark.slow
def test_maps_of_a_report_built_from_a_path_draw_the_plots_it_read(bundled_geodata, tmp_path):
    """A report built from a folder or a plots file (not a loaded Dataset) holds no
    polygons in its dataset: the maps take them from rep.plots, the file it read."""
    rep = qygeo.report(bundled_geodata, as_of=AS_OF)
    assert rep.dataset.plots is None
    park = qygeo.park_map(rep, "guangfo", basemap="none").get_root().render()
    assert "No plots of this park" not in park
    plots = qygeo.load(bundled_geodata).plots
    moved = plots.assign(geometry=plots.geometry.translate(0.01, 0))
    moved.to_file(tmp_path / "moved.geojson", driver="GeoJSON")
    rep = qygeo.report(bundled_geodata, as_of=AS_OF, plots=tmp_path / "moved.geojson")
    idle = rep.plot_table.loc[rep.plot_table["idle_status"] == "idle", "plot_id"]
    assert len(idle)
    city = qygeo.city_map(rep, basemap="none").get_root().render()
    for layer, shift in ((moved, True), (plots, False)):
        x, y = layer.set_index("plot_id").geometry[idle.iloc[0]].exterior.coords[0]
        assert (json.dumps([round(x, 6), round(y, 6)]) in city) is shift


@pytest.mark.slow
def test_validate_lists_problems(bundled_geodata):
    assert qygeo.validate(bundled_geodata) == []
    (bundled_geodata / "parks.geojson").write_text("{not json", encoding="utf-8")
    problems = qygeo.validate(bundled_geodata)
    assert problems and "parks.geojson" in problems[0]


@pytest.mark.slow
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


def test_a_report_of_a_dataset_uses_its_plots_and_leaves_it_as_it_was(bundled_geodata):
    # report(ds) read the plots file again: a notebook's edits to ds.plots were undone,
    # and loading with skip_invalid_plots then refused the bad row all the same.
    import qygeo

    path = bundled_geodata / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["invested_yuan"] = -1  # a row that cannot be judged
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    ds = qygeo.load(bundled_geodata, skip_invalid_plots=True)
    assert len(ds.excluded_plots) == 1
    count = qygeo.report(ds).park_table.set_index("park_id")["plot_count"]
    assert count["guangfo"] == 16  # 17 but the one left out
    kept = ds.plots[ds.plots["park_id"] != "guangfo"].copy()
    ds.plots = kept
    count = qygeo.report(ds).park_table.set_index("park_id")["plot_count"]
    # Its stated plots taken out: its nested park's 3 stay, and GF-J-01, placed by location.
    assert count["guangfo"] == 4
    # Reports of other plots files leave the caller's Dataset unchanged.
    before = list(ds.excluded_plots)
    other = path.with_name("other.geojson")
    path.rename(other)
    qygeo.report(ds, plots=other, skip_invalid_plots=True)
    assert ds.excluded_plots == before and ds.plots is kept


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"year": "2024"}, "is not a year"), ({"year": 2024.5}, "is not a year"),
    ({"year": True}, "is not a year"), ({"as_of": 20250101}, "is not a date"),
])
def test_a_notebook_s_wrong_argument_is_one_qygeo_error(kwargs, words):
    import qygeo
    from qygeo.errors import QygeoError

    with pytest.raises(QygeoError, match=words):
        qygeo.report(BUNDLED, **kwargs)


def test_a_notebook_s_natural_arguments_are_taken():
    import datetime as dt

    import qygeo

    one = qygeo.report(BUNDLED, park_ids="guangfo",  # one park, not its letters
                       as_of=dt.datetime(2025, 1, 1, 12))  # a datetime: its day
    assert list(one.park_table["park_id"]) == ["guangfo"] and one.as_of == dt.date(2025, 1, 1)
    from qygeo.errors import QygeoError

    with pytest.raises(QygeoError, match="classes 'jenks'"):
        qygeo.city_map(one, basemap="none", classes="jenks")
