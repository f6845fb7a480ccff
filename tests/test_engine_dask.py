"""The dask engine gives exactly the default engine's report."""

from __future__ import annotations

import datetime as dt
import json

import dask_geopandas  # noqa: F401 - hard dependencies (the test extra installs them)
import distributed  # noqa: F401
import pytest
import synthetic

from qygeo.io import layers
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.plot_table_dask import plot_table_dask
from qygeo.pipeline.plots import compute_plot_table
from qygeo.pipeline.report import build_report
from qygeo.render.text import render

AS_OF = dt.date(2025, 6, 30)


@pytest.fixture(scope="module")
def plots_file(tmp_path_factory):
    from conftest import BUNDLED

    parks = layers.read_layer(BUNDLED / "parks.geojson", layers.PARKS)
    path = tmp_path_factory.mktemp("dask") / "plots.parquet"
    synthetic.write_geoparquet(synthetic.synthetic_plots(parks, 6000, seed=21), path)
    return path


def test_dask_report_equals_default_report(plots_file, bundled_geodata):
    ds = load_dataset(bundled_geodata, plots=plots_file, load_plots=False)
    default = compute_plot_table(plots_file, ds.parks, AS_OF).table
    dasked = plot_table_dask(plots_file, ds.parks, AS_OF, progress=False, n_workers=1,
                             processes=False)
    assert list(dasked["plot_id"]) == list(default["plot_id"])
    a = render(build_report(ds, as_of=AS_OF, plots=default), "json")
    b = render(build_report(ds, as_of=AS_OF, plots=dasked), "json")
    assert a == b


def test_cli_engine_dask_shows_progress_and_quiet_silences_it(plots_file, bundled_geodata,
                                                             monkeypatch):
    from click.testing import CliRunner

    from qygeo.cli import main

    monkeypatch.setenv("QYGEO_THREADS", "1")
    args = ["report", "--geodata", str(bundled_geodata), "--plots", str(plots_file),
            "--format", "json", "--as-of", AS_OF.isoformat()]
    base = CliRunner().invoke(main, args)
    assert base.exit_code == 0, base.output
    res = CliRunner().invoke(main, [*args, "--engine", "dask"])
    assert res.exit_code == 0, res.output
    assert res.stdout == base.stdout
    assert "[" in res.stderr  # the progress bar
    quiet = CliRunner().invoke(main, [*args, "--engine", "dask", "--quiet"])
    assert quiet.exit_code == 0 and quiet.stdout == base.stdout and quiet.stderr == ""


def test_scheduler_without_dask_engine_is_a_usage_error(bundled_geodata):
    from click.testing import CliRunner

    from qygeo.cli import main

    res = CliRunner().invoke(main, ["report", "--geodata", str(bundled_geodata),
                                    "--scheduler", "tcp://127.0.0.1:1"])
    assert res.exit_code == 2 and "--engine dask" in res.stderr


def test_dask_report_equals_default_report_on_the_100k_set(tmp_path, bundled_geodata):
    """The issue's check: the benchmark's 100k set (seed 6), ``--engine dask`` on a
    LocalCluster (worker processes) against the default engine, JSON byte for byte."""
    from click.testing import CliRunner

    from qygeo.cli import main

    parks = layers.read_layer(bundled_geodata / "parks.geojson", layers.PARKS)
    path = tmp_path / "plots_100000.parquet"
    synthetic.write_geoparquet(synthetic.synthetic_plots(parks, 100_000), path)
    args = ["report", "--geodata", str(bundled_geodata), "--plots", str(path),
            "--format", "json", "--as-of", AS_OF.isoformat(), "--quiet"]
    base = CliRunner().invoke(main, args)
    assert base.exit_code == 0, base.output
    rows = json.loads(base.stdout)
    assert sum(r["plot_count"] or 0 for r in rows) > 0
    res = CliRunner().invoke(main, [*args, "--engine", "dask"])
    assert res.exit_code == 0, res.output
    assert res.stdout == base.stdout


@pytest.mark.parametrize("geometry, words", [
    ("garbage", "cannot be read as a layer (ParseException"),  # found by a worker
    ("integers", "cannot be read as a layer (its geometry column 'geometry' holds int64"),
])
def test_a_geometry_column_that_is_not_wkb_is_one_line_on_the_dask_engine(
        plots_file, bundled_geodata, tmp_path, geometry, words):
    """As a user runs it (worker processes): one error line, no worker's log of a traceback."""
    import os
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(plots_file).slice(0, 50)
    values = ([b"\x01\x03garbage"] * 50 if geometry == "garbage" else list(range(50)))
    table = table.set_column(table.column_names.index("geometry"), "geometry", pa.array(values))
    path = tmp_path / "bad.parquet"
    pq.write_table(table, path)
    env = {**os.environ, "QYGEO_THREADS": "1"}
    res = subprocess.run([sys.executable, "-m", "qygeo.cli", "report", "--engine", "dask",
                          "--geodata", str(bundled_geodata), "--plots", str(path), "-q"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 1
    assert res.stderr.strip().splitlines() == [res.stderr.strip()], res.stderr
    assert res.stderr.startswith(f"qygeo: error: {path}: ") and words in res.stderr


def test_an_empty_plots_collection_is_no_plots_for_both_engines(tiny_geodata, tmp_path):
    # GDAL gives an empty FeatureCollection no fields: the default engine read it as no
    # plots while the dask engine refused it for a missing plot_id.
    empty = tmp_path / "plots.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    assert_same_report_on_both_engines(tiny_geodata, empty, "json")


def test_a_blank_id_is_named_by_its_place_in_the_file_by_both_engines(bundled_geodata,
                                                                       tmp_path):
    # The dask engine counted from the start of its partition ("row 1" for feature 16).
    from click.testing import CliRunner

    from qygeo.cli import main

    doc = json.loads((bundled_geodata / "plots.geojson").read_text(encoding="utf-8"))
    doc["features"][15]["properties"]["plot_id"] = None
    plots = tmp_path / "plots.geojson"
    plots.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    args = ["report", "--geodata", str(bundled_geodata), "--plots", str(plots), "-q",
            "--format", "json"]
    for extra in ([], ["--engine", "dask"]):
        res = CliRunner().invoke(main, [*args, *extra])
        assert res.exit_code == 1
        assert res.stderr == f"qygeo: error: {plots} [feature #16]: empty plot_id\n", extra


@pytest.mark.parametrize("engine", ["default", "dask"])
def test_plots_whose_file_declares_the_wrong_zone_are_refused_naming_the_right_one(
        bundled_geodata, tmp_path, engine):
    # CM 114E numbers declared as CM 111E convert without error to Guangxi, ~305 km west:
    # every plot in no park, or counted in its park_id's park 300 km away, with exit 0.
    import geopandas as gpd
    from click.testing import CliRunner

    from qygeo.cli import main

    plots = gpd.read_file(bundled_geodata / "plots.geojson").to_crs(4547)
    plots.set_crs(4546, allow_override=True).to_file(tmp_path / "wrong.gpkg", layer="plots")
    plots.to_file(tmp_path / "right.gpkg", layer="plots")
    args = ["report", "--geodata", str(bundled_geodata), "--format", "json", "-q",
            "--as-of", AS_OF.isoformat(), "--engine", engine, "--plots"]
    bad = CliRunner().invoke(main, [*args, str(tmp_path / "wrong.gpkg")])
    assert bad.exit_code == 1, bad.output
    assert "nowhere near Qingyuan" in bad.stderr and "EPSG:4547" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    good = CliRunner().invoke(main, [*args, str(tmp_path / "right.gpkg")])
    assert good.exit_code == 0, good.output


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".shp"])
def test_ledgers_and_shapefiles_give_the_same_report_on_both_engines(bundled_geodata,
                                                                    tmp_path, suffix):
    # An Excel ledger ended in a traceback on the dask engine ('DataFrame' has no 'crs'),
    # and dask's own reader would lose a Shapefile's cut field names.
    import geopandas as gpd

    plots = gpd.read_file(bundled_geodata / "plots.geojson")
    path = tmp_path / f"plots{suffix}"
    table = plots.assign(wkt=plots.geometry.to_wkt()).drop(columns="geometry")
    if suffix == ".xlsx":
        table.to_excel(path, index=False)
    elif suffix == ".csv":
        table.to_csv(path, index=False)
    else:
        plots.to_file(path)
    assert_same_report_on_both_engines(bundled_geodata, path, "csv")


def assert_same_report_on_both_engines(geodata, plots, fmt):
    """``qygeo report --plots PLOTS`` succeeds on both engines with the same output."""
    from click.testing import CliRunner

    from qygeo.cli import main

    args = ["report", "--geodata", str(geodata), "--plots", str(plots), "--format", fmt,
            "-q", "--as-of", AS_OF.isoformat()]
    base = CliRunner().invoke(main, args)
    dask = CliRunner().invoke(main, [*args, "--engine", "dask"])
    assert base.exit_code == 0 and dask.exit_code == 0, (base.output, dask.output)
    assert dask.stdout == base.stdout


@pytest.mark.slow
def test_a_broken_stderr_silences_the_dask_progress_bar_not_the_report(bundled_geodata,
                                                                      tmp_path):
    # `--engine dask -o d.csv 2>&1 | head -1` exited 0 with no d.csv: the progress bar's
    # BrokenPipeError ended the command.
    import subprocess
    import sys

    out = tmp_path / "d.csv"
    proc = subprocess.Popen([sys.executable, "-m", "qygeo.cli", "report", "--geodata",
                             str(bundled_geodata), "--engine", "dask", "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc.stderr.close()
    assert proc.wait(timeout=300) == 0
    assert "guangfo" in out.read_text(encoding="utf-8-sig")
