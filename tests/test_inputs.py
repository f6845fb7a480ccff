"""Inputs as they arrive (issue #15, item 4): plot ledgers in Excel or CSV, GBK Shapefiles."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod
from shapely.geometry import box

from conftest import snapshot
from qygeo.cli import main
from test_parks import truth_polygon

AS_OF = "2026-01-01"
SQUARE = box(113.020, 23.620, 113.023, 23.623).wkt  # inside the tiny folder's park alpha


def run(*args):
    return CliRunner().invoke(main, [*args])


def ledger(**extra):
    return pd.DataFrame({"plot_id": ["L1", "L2"], "invested_yuan": [1_000_000.0, 2_500_000.0],
                         "agreed_start_date": [dt.date(2022, 3, 1), None], **extra})


def plots_json(folder, path):
    res = run("report", "--geodata", str(folder), "--plots", str(path), "--format", "json",
              "--as-of", AS_OF, "-q")
    assert res.exit_code == 0, res.output
    return {r["park_id"]: r for r in json.loads(res.stdout)}


@pytest.mark.parametrize("column", ["wkt", "WKT", "geometry", "几何"])
def test_an_excel_ledger_with_a_wkt_column(tiny_geodata, tmp_path, column):
    path = tmp_path / "ledger.xlsx"
    ledger(**{column: [SQUARE, SQUARE.replace("113.02", "113.03")]}).to_excel(path, index=False)
    alpha = plots_json(tiny_geodata, path)["alpha"]
    assert alpha["plot_count"] == 2 and alpha["plot_investment_yuan"] == 3_500_000
    square_m2 = abs(Geod(ellps="WGS84").geometry_area_perimeter(shapely.from_wkt(SQUARE))[0])
    assert alpha["plot_area_mu"] == pytest.approx(2 * square_m2 / (10000 / 15), rel=1e-6)


def test_a_csv_ledger_with_a_wkt_column_gives_the_geojson_figures(tiny_geodata, tmp_path):
    import geopandas as gpd
    import shapely

    table = ledger(wkt=[SQUARE, SQUARE])
    table.loc[1, "plot_id"] = "L2"
    csv_path = tmp_path / "ledger.csv"
    table.to_csv(csv_path, index=False)
    gj = tmp_path / "ledger.geojson"
    frame = table.drop(columns="wkt").assign(agreed_start_date=table["agreed_start_date"].map(
        lambda d: d.isoformat() if d else None))
    gpd.GeoDataFrame(frame, geometry=shapely.from_wkt(table["wkt"]), crs="EPSG:4326").to_file(gj)
    assert plots_json(tiny_geodata, csv_path) == plots_json(tiny_geodata, gj)


@pytest.mark.parametrize(("columns", "message"), [
    ({"lon": [113.11, 113.12], "lat": [23.69, 23.70]},
     "longitude/latitude columns (lon, lat) but no area column"),
    ({"经度": [113.11, 113.12], "纬度": [23.69, 23.70]}, "but no area column"),
    ({}, "has no geometry: add a WKT column"),
])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_ledger_without_boundaries_is_refused_in_one_line(tiny_geodata, tmp_path, columns,
                                                            message, suffix):
    before = snapshot(tiny_geodata)
    path = tmp_path / f"ledger{suffix}"
    table = ledger(**columns)
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_excel(path, index=False)
    res = run("report", "--geodata", str(tiny_geodata), "--plots", str(path), "-q")
    assert res.exit_code == 1
    assert res.stderr.startswith(f"qygeo: error: {path}: ") and message in res.stderr
    assert res.stderr.count("\n") == 1 and snapshot(tiny_geodata) == before


def gbk_shapefile(folder, *, cpg: bool = False):
    import geopandas as gpd

    east = truth_polygon()
    west = truth_polygon(cx=113.16)
    frame = gpd.GeoDataFrame({"名称": ["东区", "西区"], "备注": ["测绘", "测绘"]},
                             geometry=[east, west], crs="EPSG:4326")
    path = folder / "parcels.shp"
    pyogrio.write_dataframe(frame, path, encoding="GBK")
    if not cpg:
        (folder / "parcels.cpg").unlink(missing_ok=True)
    assert "东区".encode("gbk") in (folder / "parcels.dbf").read_bytes()
    return path


@pytest.mark.parametrize("encoding", [None, "GBK", "GB18030"])
def test_a_gbk_shapefile_without_cpg_is_read_with_its_chinese_names(tiny_geodata, tmp_path,
                                                                     encoding):
    shp = gbk_shapefile(tmp_path)
    args = ["park", "add", str(shp), "--id", "gamma", "--name-zh", "丙园", "--name-en", "Gamma",
            "--feature", "东区", "--geodata", str(tiny_geodata)]
    res = run(*args, *(["--encoding", encoding] if encoding else []))
    assert res.exit_code == 0, res.output
    parks = json.loads((tiny_geodata / "parks.geojson").read_text("utf-8"))["features"]
    gamma = [f for f in parks if f["properties"]["park_id"] == "gamma"]
    assert len(gamma) == 1


def test_the_features_of_a_gbk_shapefile_are_listed_in_chinese(tiny_geodata, tmp_path):
    shp = gbk_shapefile(tmp_path)
    res = run("park", "add", str(shp), "--id", "gamma", "--name-zh", "丙园", "--name-en",
              "Gamma", "--geodata", str(tiny_geodata), "--dry-run")
    assert res.exit_code == 1
    assert "#1 东区" in res.stderr and "#2 西区" in res.stderr


@pytest.mark.parametrize(("columns", "m2_per_unit"), [
    ({"lon": "lon", "lat": "lat", "area": "area_m2"}, 1.0),
    ({"lon": "经度", "lat": "纬度", "area": "面积（亩）"}, 10000 / 15),
])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_point_ledger_with_areas_gives_illustrative_squares(tiny_geodata, tmp_path, columns,
                                                              m2_per_unit, suffix):
    import geopandas as gpd

    from qygeo.io import layers

    area = [20_000.0 / m2_per_unit, 9_000.0 / m2_per_unit]
    table = ledger(**{columns["lon"]: [113.021, 113.031], columns["lat"]: [23.621, 23.631],
                      columns["area"]: area})
    path = tmp_path / f"points{suffix}"
    table.to_csv(path, index=False) if suffix == ".csv" else table.to_excel(path, index=False)
    alpha = plots_json(tiny_geodata, path)["alpha"]
    assert alpha["plot_count"] == 2  # each in the park that holds its point
    assert alpha["plot_area_mu"] == pytest.approx(29_000.0 / (10000 / 15), rel=1e-5)
    read = layers.read_layer(path)
    assert isinstance(read, gpd.GeoDataFrame) and set(read["boundary_quality"]) == {
        "illustrative"}
    assert all("not a surveyed boundary" in n for n in read["notes"])
    centres = shapely.centroid(read.geometry.values)  # in degrees: the points themselves
    assert [round(x, 6) for x in shapely.get_x(centres)] == [113.021, 113.031]


def test_a_point_ledger_whose_two_area_columns_disagree_is_refused(tiny_geodata, tmp_path):
    """area_m2 and area_mu both given: the first was used and the other dropped without a
    word, 30 mu where the ledger also said 60. Areas that agree to the rounding of 亩 to
    one decimal are read; a row where they differ is refused, naming both."""
    before = snapshot(tiny_geodata)
    agree = ledger(lon=[113.021, 113.031], lat=[23.621, 23.631], area_m2=[20_000.0, 9_000.0],
                   area_mu=[30.0, 13.5])  # 13.5 mu = 9,000 m²; 30 mu = 20,000 m²
    agree.loc[0, "area_mu"] = 30.04  # within the rounding of 亩 to one decimal
    path = tmp_path / "points.csv"
    agree.to_csv(path, index=False)
    assert plots_json(tiny_geodata, path)["alpha"]["plot_area_mu"] == pytest.approx(43.5)
    agree.loc[1, "area_mu"] = 27.0  # twice 9,000 m²
    agree.to_csv(path, index=False)
    res = run("report", "--geodata", str(tiny_geodata), "--plots", str(path), "--as-of", AS_OF)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert ("row 3: area_m2 and area_mu give two areas ('9000.0' and '27.0'): keep one column, "
            "or make them agree") in res.output, res.output
    assert snapshot(tiny_geodata) == before


def test_a_gbk_shapefile_without_cpg_reads_as_chinese(tiny_geodata, tmp_path):
    # ArcGIS/CASS output: GBK text, ASCII field names, no .cpg. GDAL takes it as
    # ISO-8859-1: park add crashed on --feature 东区 ("Wrapping ... failed"), and as
    # plots the html report crashed and the maps showed 香雪制药 as mojibake.
    import os

    import geopandas as gpd

    x, y = 113.05, 23.70  # in the tiny folder's first district, clear of its parks
    parcels = gpd.GeoDataFrame({"NAME": ["东区", "西区"]}, geometry=[
        box(x - .005, y - .005, x, y + .005), box(x, y - .005, x + .005, y + .005)], crs=4326)
    pyogrio.write_dataframe(parcels, tmp_path / "parcels.shp", encoding="GBK")
    os.remove(tmp_path / "parcels.cpg")
    res = run("park", "add", str(tmp_path / "parcels.shp"), "--id", "gamma", "--name-zh", "丙园",
              "--name-en", "Gamma", "--feature", "东区", "--dry-run", "--geodata",
              str(tiny_geodata))
    assert res.exit_code == 0, res.output
    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    plots["enterprise"] = "香雪制药"
    pyogrio.write_dataframe(plots[["plot_id", "park_id", "enterprise", "geometry"]],
                            tmp_path / "plots.shp", encoding="GBK")
    os.remove(tmp_path / "plots.cpg")
    out = tmp_path / "r.html"
    for engine in ("default", "dask"):
        res = run("report", "--geodata", str(tiny_geodata), "--plots",
                  str(tmp_path / "plots.shp"), "--engine", engine, "-o", str(out), "-q")
        assert res.exit_code == 0, res.output
        assert "香雪制药" in out.read_text(encoding="utf-8")


def test_a_utf8_shapefile_with_a_wide_text_field_and_no_cpg_reads_as_utf8(tiny_geodata,
                                                                          tmp_path):
    # A text field 150 wide has the width byte 150 in its descriptor, which is not UTF-8:
    # the whole header was judged with the text, and 香雪制药 read as 棣欓洩鍒惰嵂.
    import os

    import geopandas as gpd

    from qygeo.io import layers, shapefile

    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    plots["enterprise"], plots["notes"] = "香雪制药", "x" * 150
    path = tmp_path / "plots.shp"
    pyogrio.write_dataframe(plots[["plot_id", "park_id", "enterprise", "notes", "geometry"]],
                            path, layer_options={"ENCODING": "UTF-8", "RESIZE": "YES"})
    os.remove(tmp_path / "plots.cpg")
    dbf = (tmp_path / "plots.dbf").read_bytes()
    assert dbf[32 + 3 * 32 + 16] == 150  # the width byte of the fourth field, notes
    assert set(layers.read_layer(path)["enterprise"]) == {"香雪制药"}
    # GDAL cuts a long UTF-8 field name after 10 bytes, inside a character: still UTF-8.
    with pytest.warns(RuntimeWarning):  # GDAL: "Normalized/laundered field name"
        pyogrio.write_dataframe(plots[["plot_id", "geometry"]].assign(面积平方米测试="香雪"),
                                tmp_path / "cut.shp", encoding="UTF-8")
    os.remove(tmp_path / "cut.cpg")
    assert shapefile.encoding(tmp_path / "cut.shp") == "UTF-8"


def test_a_large_dbf_is_judged_without_holding_its_text(tmp_path):
    # The sample (up to 50 MB) was held, copied and decoded whole: three times its size.
    import os
    import tracemalloc

    import geopandas as gpd

    from qygeo.io import shapefile

    gpd.GeoDataFrame({"name": ["清远" * 10]}, geometry=[box(0, 0, 1, 1)],
                     crs=4326).to_file(tmp_path / "p.shp", encoding="UTF-8")
    os.remove(tmp_path / "p.cpg")
    dbf = (tmp_path / "p.dbf").read_bytes()
    header_bytes = int.from_bytes(dbf[8:10], "little")
    record = dbf[header_bytes:-1]
    count = 8_000_000 // len(record)
    for last, want in ((record, "UTF-8"), (record.replace("清远".encode(), "清远".encode("gbk"),
                                                          1), "GB18030")):
        with open(tmp_path / "p.dbf", "wb") as fh:  # GBK text, if any, only at the end
            fh.write(dbf[:4] + count.to_bytes(4, "little") + dbf[8:header_bytes])
            fh.write(record * (count - 1) + last + b"\x1a")
        tracemalloc.start()
        try:
            assert shapefile.encoding(tmp_path / "p.shp") == want
            peak_bytes = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak_bytes < 2_000_000  # a quarter of the file


def zipped(path, folder, order):
    """*folder*'s files zipped into *path*, the files of the stems in *order* first."""
    import zipfile

    files = sorted(folder.iterdir(), key=lambda f: (order.index(f.stem), f.name))
    with zipfile.ZipFile(path, "w") as zf:
        for f in files:
            zf.write(f, f.name)
    return path


def test_each_shapefile_of_a_zip_is_read_in_its_own_encoding(tiny_geodata, tmp_path):
    # The first .dbf of a zip was judged whatever the layer read, and a .cpg of any member
    # turned the judging off for all: the chosen layer's GBK text came out as mojibake.
    import os

    import geopandas as gpd

    from qygeo.io import layers, shapefile

    plots = gpd.read_file(tiny_geodata / "plots.geojson")[["plot_id", "park_id", "geometry"]]
    plots["enterprise"] = "香雪制药"
    other = plots.head(1).assign(enterprise="清远")
    for plots_encoding, other_encoding, other_cpg in [("UTF-8", "GBK", False),
                                                      ("GBK", "UTF-8", True)]:
        folder = tmp_path / f"s{plots_encoding}"
        folder.mkdir()
        pyogrio.write_dataframe(plots, folder / "plots.shp", encoding=plots_encoding)
        pyogrio.write_dataframe(other, folder / "aaa.shp", encoding=other_encoding)
        for f in folder.glob("*.cpg"):
            if f.stem == "plots" or not other_cpg:
                os.remove(f)
        both = zipped(tmp_path / f"{plots_encoding}.zip", folder, ["aaa", "plots"])
        assert set(layers.read_layer(both, layer="plots")["enterprise"]) == {"香雪制药"}
        out = tmp_path / "r.html"
        res = run("report", "--geodata", str(tiny_geodata), "--plots", str(both),
                  "--plots-layer", "plots", "-o", str(out), "-q")
        assert res.exit_code == 0, res.output
        assert "香雪制药" in out.read_text(encoding="utf-8")
        # No layer named: the one GDAL reads, the first in the archive.
        assert shapefile.encoding(both) == (None if other_cpg else "GB18030")
        first = zipped(tmp_path / f"first-{plots_encoding}.zip", folder, ["plots", "aaa"])
        assert shapefile.encoding(first) == ("UTF-8" if plots_encoding == "UTF-8"
                                             else "GB18030")


def test_a_boundary_in_a_zip_of_two_shapefiles_is_read_in_its_encoding(tiny_geodata,
                                                                        tmp_path):
    import geopandas as gpd

    folder = tmp_path / "s"
    folder.mkdir()
    gbk_shapefile(folder)  # parcels, GBK, no .cpg
    pyogrio.write_dataframe(gpd.GeoDataFrame({"名称": ["北区"]}, geometry=[truth_polygon()],
                                             crs="EPSG:4326"), folder / "aaa.shp")
    (folder / "aaa.cpg").unlink(missing_ok=True)  # UTF-8, judged first before
    both = zipped(tmp_path / "both.zip", folder, ["aaa", "parcels"])
    res = run("park", "add", str(both), "--layer", "parcels", "--id", "gamma", "--name-zh",
              "丙园", "--name-en", "Gamma", "--feature", "东区", "--dry-run", "--geodata",
              str(tiny_geodata))
    assert res.exit_code == 0, res.output


def test_a_plots_shapefile_keeps_the_columns_its_format_cut_to_10_characters(
        tiny_geodata, tmp_path):
    # invested_yuan is invested_y in a .dbf, agreed_start_date agreed_sta …: every contract
    # column was lost, and investment and idle figures were n/a without a word.
    import geopandas as gpd

    gpd.read_file(tiny_geodata / "plots.geojson").to_file(tmp_path / "plots.shp")
    args = ["report", "--geodata", str(tiny_geodata), "--format", "json", "--as-of", AS_OF]
    want = json.loads(run(*args, "-q").stdout)
    res = run(*args, "--plots", str(tmp_path / "plots.shp"))
    assert res.exit_code == 0, res.output
    assert "invested_y → invested_yuan" in res.stderr
    got = json.loads(res.stdout)
    for key in ("plot_investment_yuan", "idle_plot_count", "idle_area_mu"):
        assert [p[key] for p in got] == pytest.approx([p[key] for p in want]), key


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".fgb"])
def test_a_file_name_with_a_semicolon_is_read_as_it_is(tiny_geodata, tmp_path, suffix):
    # pyogrio reads a name as a URL, whose ';' starts "parameters" it drops: GDAL was given
    # 'p' for 'p;2024.geojson', and a readable file was refused with "No such file".
    import geopandas as gpd

    from qygeo.io.boundary import read_boundary_file
    from qygeo.serve.uploads import layer_names

    plain = tmp_path / f"plain{suffix}"
    gpd.read_file(tiny_geodata / "plots.geojson").to_file(plain, layer="plots")
    named = tmp_path / f"p;2024{suffix}"
    named.write_bytes(plain.read_bytes())
    assert plots_json(tiny_geodata, named) == plots_json(tiny_geodata, plain)
    assert layer_names(named) == layer_names(plain) != []
    if suffix == ".fgb":
        return  # not a boundary format
    boundary = gpd.GeoDataFrame(geometry=[shapely.from_wkt(SQUARE)], crs="EPSG:4326")
    plain_b, named_b = tmp_path / f"b{suffix}", tmp_path / f"b;1{suffix}"
    boundary.to_file(plain_b, layer="b")
    named_b.write_bytes(plain_b.read_bytes())
    parts = [read_boundary_file(p).parts for p in (named_b, plain_b)]
    assert parts[0] == parts[1] != ()


def test_a_zone_prefix_mismatch_names_the_crs_the_numbers_fit(tiny_geodata, tmp_path):
    # Eastings with the zone-38 prefix (EPSG:4526) declared as EPSG:4547: the boundary got
    # a bare "do not convert", the plots file a false "match no Gauss-Kruger zone".
    import geopandas as gpd

    square = gpd.GeoDataFrame({"name": ["t"]}, geometry=[box(113.094, 23.594, 113.110, 23.607)],
                              crs=4326)
    square.to_crs(4526).set_crs(4547, allow_override=True).to_file(tmp_path / "b.gpkg",
                                                                    layer="b")
    res = run("park", "add", str(tmp_path / "b.gpkg"), "--id", "gamma", "--name-zh", "丙园",
              "--name-en", "Gamma", "--dry-run", "--geodata", str(tiny_geodata))
    assert res.exit_code == 1 and "its numbers fit --crs 4526" in res.stderr
    res = run("park", "add", str(tmp_path / "b.gpkg"), "--id", "gamma", "--name-zh", "丙园",
              "--name-en", "Gamma", "--dry-run", "--crs", "4546", "--geodata",
              str(tiny_geodata))
    assert res.exit_code == 1 and "the file itself declares EPSG:4547" in res.stderr
    plots = gpd.read_file(tiny_geodata / "plots.geojson").to_crs(4526)
    plots.set_crs(4547, allow_override=True).to_file(tmp_path / "p.gpkg", layer="plots")
    res = run("report", "--geodata", str(tiny_geodata), "--plots", str(tmp_path / "p.gpkg"))
    assert res.exit_code == 1 and "its numbers fit EPSG:4526" in res.stderr
    assert "match no Gauss-Kruger zone" not in res.stderr


def test_a_crs_a_file_declares_is_noted_when_crs_overrides_it(tiny_geodata, tmp_path):
    # A GeoPackage in EPSG:4490 read as GCJ-02 moves ~600 m: the file's own CRS is named.
    # GeoJSON, which is always WGS84 by its RFC, gets no such note.
    import geopandas as gpd

    square = gpd.GeoDataFrame(geometry=[box(113.094, 23.594, 113.110, 23.607)], crs=4490)
    square.to_file(tmp_path / "b.gpkg", layer="b")
    square.set_crs(4326, allow_override=True).to_file(tmp_path / "b.geojson")
    args = ["--id", "gamma", "--name-zh", "丙园", "--name-en", "Gamma", "--dry-run", "--crs",
            "gcj02", "--geodata", str(tiny_geodata)]
    res = run("park", "add", str(tmp_path / "b.gpkg"), *args)
    assert res.exit_code == 0 and "b.gpkg says its CRS is EPSG:4490" in res.stderr
    res = run("park", "add", str(tmp_path / "b.geojson"), *args)
    assert res.exit_code == 0 and "says its CRS" not in res.stderr


def test_diagnose_boxes_tells_swapped_features_only_when_the_rest_are_degrees():
    import numpy as np

    from qygeo.io.crs import diagnose_boxes, diagnose_lonlat

    degrees = np.array([[113.0, 23.6, 113.1, 23.7], [112.9, 24.0, 113.0, 24.1]]).T
    swapped = degrees[[1, 0, 3, 2]]
    nan = np.full((4, 1), np.nan)
    places = np.array([5, 6, 7, 8, 9])
    # Degrees only (a NaN box, no geometry, is not a coordinate): nothing to say.
    assert diagnose_boxes(np.hstack([degrees, nan]), places[:3]) is None
    assert diagnose_boxes(nan, places[:1]) is None
    # All swapped: the plain hint, as for the bounds alone.
    assert diagnose_boxes(swapped, places[:2]) == diagnose_lonlat(
        (23.6, 113.0, 24.1, 113.1))
    # Some swapped: named by the first swapped one's place, the NaN box skipped.
    mixed = np.hstack([degrees[:, :1], nan, swapped, degrees[:, 1:]])
    hint = diagnose_boxes(mixed, places, things="plots")
    assert hint.startswith("latitude and longitude look swapped")
    assert hint.endswith("in some plots only (the first: feature #7)")
    # Some in metres: not a swap, the bounds' own hint (no feature named).
    metres = np.array([[38_500_000.0, 2_620_000.0, 38_500_100.0, 2_620_100.0]]).T
    hint = diagnose_boxes(np.hstack([degrees, metres]), places[:3])
    assert hint is not None and "feature #" not in hint
