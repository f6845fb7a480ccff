"""Plot values and column names from outside, as GDAL reads them, stay data.

A list in one feature's text property makes GDAL read the whole column as lists; a
column name can carry terminal escapes. Neither may end a command in a traceback or
reach the terminal as anything but text.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from conftest import BUNDLED
from qygeo.cli import main

ESC = "\x1b[31mEVIL\x1b[0m"


def _plots_with(tmp_path: Path, change) -> Path:
    doc = json.loads((BUNDLED / "plots.geojson").read_text(encoding="utf-8"))
    for i, feature in enumerate(doc["features"]):
        change(i, feature["properties"])
    path = tmp_path / "plots.geojson"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_list_in_a_text_property_is_shown_as_text_on_the_map(tmp_path):
    def change(i, props):
        if i == 0:
            props["delay_cause"] = ["<b>a</b>", "b"]
            props["land_use"] = ["工业用地"]

    plots = _plots_with(tmp_path, change)
    out = tmp_path / "maps"
    res = CliRunner().invoke(main, ["map", "--geodata", str(BUNDLED), "--plots", str(plots),
                                    "-o", str(out), "-q"])
    assert res.exit_code == 0 and res.exception is None, res.exception
    page = (out / "parks" / "guangfo.html").read_text(encoding="utf-8")
    # The list is one escaped text value of the popup's delay-cause column.
    column = page[page.index('"k":"delay_cause"'):]
    values, _ = json.JSONDecoder().raw_decode(column, column.index('"v":') + 4)
    assert any("&lt;b&gt;a&lt;/b&gt;" in v for v in values)
    assert "<b>a</b>" not in page


def test_a_library_warning_quoting_a_column_name_is_one_escaped_line(tmp_path):
    def change(i, props):
        # An object in the first feature, text elsewhere: geopandas warns that it
        # cannot parse the column as JSON, naming it.
        props[ESC] = {"k": 1} if i == 0 else "text{"

    plots = _plots_with(tmp_path, change)
    args = ["map", "--geodata", str(BUNDLED), "--plots", str(plots), "-o", str(tmp_path / "m")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.exception
    assert "\x1b" not in res.stderr
    # pyogrio's note that the column stays text is not shown at all now (the column is
    # read as text, as meant); the escape codes of its name never reach the terminal.
    assert not [ln for ln in res.stderr.splitlines() if "as JSON" in ln]
    assert "UserWarning" not in res.stderr and "read_dataframe" not in res.stderr
    quiet = CliRunner().invoke(main, [*args, "-q"])
    assert quiet.exit_code == 0 and quiet.stderr == ""


def test_a_geopackage_with_several_layers_is_read_by_name_or_refused(tmp_path):
    """GDAL takes the first layer: last year's plots, or the districts, would be counted."""
    import geopandas as gpd

    plots = gpd.read_file(BUNDLED / "plots.geojson")
    more = plots.assign(invested_yuan=plots["invested_yuan"] * 10)
    named = tmp_path / "named.gpkg"
    gpd.read_file(BUNDLED / "districts.geojson").to_file(named, layer="zones")
    plots.to_file(named, layer="plots", mode="a")
    unnamed = tmp_path / "years.gpkg"
    more.to_file(unnamed, layer="plots_2023")
    plots.to_file(unnamed, layer="plots_2024", mode="a")
    runner = CliRunner()

    def report(*args):
        return runner.invoke(main, ["report", "--geodata", str(BUNDLED), "--format", "json",
                                    "--as-of", "2026-01-01", "-q", *args])

    base = report()
    assert base.exit_code == 0
    assert report("--plots", str(named)).stdout == base.stdout  # the layer named plots
    for args in (["report", "--format", "json"], ["map", "-o", str(tmp_path / "m")]):
        res = runner.invoke(main, [*args, "--geodata", str(BUNDLED), "--plots", str(unnamed),
                                   "-q"])
        assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
        assert res.stderr == (f"qygeo: error: {unnamed}: has 2 layers ('plots_2023', "
                              "'plots_2024') and none named 'plots': name the plots layer "
                              "with --plots-layer\n")
    chosen = report("--plots", str(unnamed), "--plots-layer", "plots_2024")
    assert chosen.exit_code == 0 and chosen.stdout == base.stdout


def test_a_list_in_one_feature_leaves_the_other_features_values_as_they_are(tmp_path):
    # GDAL reads the whole column as lists: every other id would become "['GF-…']".
    from qygeo.io import layers

    original = [f["properties"]["plot_id"] for f in json.loads(
        (BUNDLED / "plots.geojson").read_text(encoding="utf-8"))["features"]]

    def change(i, props):
        if i == 0:
            props["plot_id"] = ["x-1"]
            props["agreed_start_date"] = [props["agreed_start_date"]]

    plots = _plots_with(tmp_path, change)
    gdf = layers.read_layer(plots, layers.PLOTS)
    assert list(gdf["plot_id"]) == ["x-1", *original[1:]]
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", str(plots),
                                    "--format", "json", "-q"])
    assert res.exit_code == 0, res.stderr
    assert "['" not in res.stdout


def test_a_list_of_two_numbers_refuses_that_plot_alone(tmp_path):
    def change(i, props):
        if i == 0:
            props["invested_yuan"] = [1, 2]

    plots = _plots_with(tmp_path, change)
    first = json.loads(plots.read_text(encoding="utf-8"))["features"][0]["properties"]["plot_id"]
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", str(plots),
                                    "--format", "json", "-q"])
    assert res.exit_code == 1 and "Traceback" not in res.stderr
    assert res.stderr.startswith(f"qygeo: error: {plots} [{first}]: invested_yuan is not a "
                                 "number: '[1, 2]'"), res.stderr
    assert "more plots" not in res.stderr
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", str(plots),
                                    "--format", "json", "--skip-invalid-plots"])
    assert res.exit_code == 0, res.stderr
    left_out = [ln for ln in res.stderr.splitlines() if "left out" in ln]
    assert len(left_out) == 1 and f"plot {first} left out" in left_out[0], res.stderr


def test_a_value_too_large_to_judge_is_refused_without_numpy_s_words(tmp_path):
    # The idle rule's 4·invested and 3·developed overflow to inf: not a warning to show
    # beside the refusal (it read "qygeo: warning: overflow encountered in multiply").
    from conftest import write_tiny

    folder = write_tiny(tmp_path / "geodata")
    doc = json.loads((folder / "plots.geojson").read_text(encoding="utf-8"))
    doc["features"][0]["properties"].update(invested_yuan=1e308, developed_area_m2=1e308)
    plots = tmp_path / "huge.geojson"
    plots.write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(main, ["report", "--geodata", str(folder), "--plots", str(plots),
                                    "--format", "json"])
    assert res.exit_code == 1 and "larger than 1e15" in res.stderr, res.stderr
    assert "overflow" not in res.stderr and "qygeo: warning" not in res.stderr, res.stderr
