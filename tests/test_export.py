"""qygeo export: the report's layers with geometry, read back with GDAL (issue #15, item 2)."""

from __future__ import annotations

import json
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path

import pyogrio
import pytest
from click.testing import CliRunner

from conftest import BUNDLED, snapshot
from qygeo.cli import main
from qygeo.render import styles

AS_OF = "2026-01-01"


def export(*args, geodata=BUNDLED):
    return CliRunner().invoke(main, ["export", *args, "--geodata", str(geodata), "--as-of",
                                     AS_OF, "-q"])


@pytest.fixture(scope="module")
def gpkg(tmp_path_factory):
    out = tmp_path_factory.mktemp("gis") / "qingyuan.gpkg"
    res = export(str(out))
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="module")
def bundled_report():
    import qygeo

    return qygeo.report(BUNDLED, as_of=AS_OF)


def test_geopackage_has_the_four_layers_with_the_report_figures(gpkg, bundled_report):
    names = [n for n, _ in pyogrio.list_layers(gpkg)]
    assert names[:4] == ["districts", "parks", "planting", "plots"]
    parks = pyogrio.read_dataframe(gpkg, layer="parks")
    assert parks.crs == "EPSG:4326" and len(parks) == len(bundled_report.park_table)
    assert set(bundled_report.park_table.columns) <= set(parks.columns)
    gf = parks.set_index("park_id").loc["guangfo"]
    want = bundled_report.park_table.set_index("park_id").loc["guangfo"]
    assert gf["intensity_yi_per_km2"] == pytest.approx(want["intensity_yi_per_km2"])
    assert gf["intensity_basis"] == want["intensity_basis"]
    assert json.loads(gf["grade_counts"]) == want["grade_counts"]
    plots = pyogrio.read_dataframe(gpkg, layer="plots").set_index("plot_id")
    assert len(plots) == len(bundled_report.plot_table)
    idle = plots[plots["idle_status"].isin(["idle", "idle_art8"])]
    assert len(idle) >= 6 and idle["idle_reason"].str.len().gt(0).all()
    assert {"grade", "idle_days", "idle_fee_yuan", "area_m2", "area_mu"} <= set(plots.columns)
    info = pyogrio.read_info(gpkg, layer="plots")
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["area_mu"] == "float64"
    planting = pyogrio.read_dataframe(gpkg, layer="planting")
    assert (planting["mapped_mu"] > 0).all()


def test_layer_styles_hold_a_default_qgis_style_per_layer(gpkg):
    con = sqlite3.connect(gpkg)
    rows = con.execute("SELECT f_table_name, f_geometry_column, useAsDefault, styleQML "
                       "FROM layer_styles").fetchall()
    contents = con.execute("SELECT data_type FROM gpkg_contents WHERE table_name = "
                           "'layer_styles'").fetchone()
    con.close()
    assert contents == ("attributes",)
    assert sorted(r[0] for r in rows) == ["districts", "parks", "planting", "plots"]
    assert all(r[1] == "geom" and r[2] == 1 for r in rows)
    qml = {r[0]: ET.fromstring(r[3].split("\n", 1)[1]) for r in rows}
    assert all(q.tag == "qgis" and q.find("renderer-v2") is not None for q in qml.values())
    # parks: the HTML maps' intensity classes and colours, and n/a
    rules = qml["parks"].find("renderer-v2/rules").findall("rule")
    legend = styles.intensity_legend()
    assert len(rules) == len(legend) and rules[-1].get("filter") == "ELSE"
    colours = [s.find("layer/Option/Option[@name='color']").get("value")
               for s in qml["parks"].find("renderer-v2/symbols")]
    for (_, hex_colour), rgba in zip(legend, colours, strict=True):
        assert rgba.startswith(",".join(str(int(hex_colour[i:i + 2], 16)) for i in (1, 3, 5)))
    shown = f'round("intensity_yi_per_km2", {styles.INTENSITY_DECIMALS})'
    assert rules[1].get("filter") == (f"{shown} >= {styles.INTENSITY_BREAKS_YI_PER_KM2[0]} "
                                      f"AND {shown} < {styles.INTENSITY_BREAKS_YI_PER_KM2[1]}")
    # QGIS puts a park in the class the maps give it, also next to a break (9.996 reads 10.00).
    for value in (0.5, 4.999, 9.996, 10.0, 24.994, 60.0):
        held = [i for i, r in enumerate(rules[:-1]) if eval(  # noqa: S307 - our own filters
            r.get("filter").replace(shown, repr(round(value, styles.INTENSITY_DECIMALS)))
            .replace(" AND ", " and "))]
        assert held == [styles.intensity_class(value)], value
    # plots: one category per idle status, with the maps' words
    cats = qml["plots"].find("renderer-v2/categories").findall("category")
    assert [c.get("value") for c in cats] == list(styles.PLOT_STATUS)
    assert [c.get("label") for c in cats] == [v[0] for v in styles.PLOT_STATUS.values()]


@pytest.mark.slow
@pytest.mark.parametrize(("crs", "epsg", "x_range"), [
    ("4490", 4490, (111.9, 114.0)),           # CGCS2000 degrees
    ("4547", 4547, (280_000, 520_000)),       # CGCS2000 3° GK zone CM 114°E, metres
])
def test_cgcs2000_output(tmp_path, crs, epsg, x_range, bundled_report):
    out = tmp_path / "q.gpkg"
    assert export(str(out), "--crs", crs).exit_code == 0
    parks = pyogrio.read_dataframe(out, layer="parks")
    assert parks.crs.to_epsg() == epsg
    minx, miny, maxx, maxy = parks.total_bounds
    assert x_range[0] < minx < maxx < x_range[1]
    if epsg == 4547:  # metres: the areas agree with the ellipsoidal ones to 0.5 %
        gf = parks.set_index("park_id").geometry["guangfo"]
        want = bundled_report.park_table.set_index("park_id")["area_km2"]["guangfo"]
        assert gf.area / 1e6 == pytest.approx(want, rel=5e-3)
        assert 2_600_000 < miny < maxy < 2_800_000


@pytest.mark.parametrize("suffix", [".geojson", ".fgb"])
def test_one_file_per_layer_for_single_layer_formats(tmp_path, suffix):
    out = tmp_path / f"q{suffix}"
    res = export(str(out))
    assert res.exit_code == 0, res.output
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [f"q-{n}{suffix}" for n in ("districts", "parks", "planting", "plots")]
    plots = pyogrio.read_dataframe(tmp_path / f"q-plots{suffix}")
    assert plots.crs == "EPSG:4326" and "idle_status" in plots.columns


@pytest.mark.parametrize(("args", "message"), [
    (["q.shp"], "cannot tell the format from .shp"),
    (["q.gpkg", "--crs", "gcj02"], "not a coordinate reference system"),
    (["q.geojson", "--crs", "4547"], "RFC 7946"),
    (["q.gpkg", "--crs", "5773"], "EGM96 height) is not a 2-D map coordinate system"),
    (["q.gpkg", "--crs", "4978"], "is not a 2-D map coordinate system"),
    (["q.gpkg", "--crs", "9518"], "is not a 2-D map coordinate system"),
    (["q.gpkg", "--crs", "27700"], "British National Grid) is for United Kingdom"),
])
def test_bad_names_and_crs_are_one_line_and_write_nothing(tiny_geodata, tmp_path, args, message):
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    out.mkdir()
    res = export(str(out / args[0]), *args[1:], geodata=tiny_geodata)
    assert res.exit_code == 2
    assert res.stderr.startswith("qygeo: error: ") and message in res.stderr
    assert res.stderr.count("\n") == 1
    assert not list(out.iterdir()) and snapshot(tiny_geodata) == before


def _rfc7946_problems(doc: dict) -> list[str]:
    """What in a GeoJSON document breaks RFC 7946: a crs member, or ring orientation."""
    import shapely

    found = ["a crs member"] if "crs" in doc else []
    for f in doc["features"]:
        if f["geometry"] is None:
            continue
        for part in shapely.get_parts(shapely.geometry.shape(f["geometry"])):
            if not part.exterior.is_ccw:
                found.append("a clockwise exterior ring")
            if any(ring.is_ccw for ring in part.interiors):
                found.append("a counter-clockwise hole")
    return found


def test_geojson_export_follows_rfc_7946(tmp_path):
    import json

    res = export(str(tmp_path / "q.geojson"))
    assert res.exit_code == 0, res.output
    for name in ("districts", "parks", "planting", "plots"):
        doc = json.loads((tmp_path / f"q-{name}.geojson").read_text(encoding="utf-8"))
        assert _rfc7946_problems(doc) == [], name


@pytest.mark.parametrize("name", ["districts", "parks", "planting", "plots"])
def test_geodata_layers_follow_rfc_7946(name):
    import json

    doc = json.loads((BUNDLED / f"{name}.geojson").read_text(encoding="utf-8"))
    assert _rfc7946_problems(doc) == []


def test_every_plot_is_exported_whatever_form_its_id_had_in_the_file(tmp_path):
    # The loader conforms ids (1001.0 → "1001", "GF-BD-01 " → "GF-BD-01"); the polygons,
    # read again from the file, are joined on the same form, so no plot is lost.
    import geopandas as gpd

    plots = gpd.read_file(BUNDLED / "plots.geojson")
    plots["plot_id"] = [float(1001 + i) for i in range(len(plots))]  # a QGIS decimal field
    plots.to_file(tmp_path / "floatids.gpkg", layer="plots", driver="GPKG")
    res = CliRunner().invoke(main, ["export", str(tmp_path / "f.gpkg"), "--geodata",
                                    str(BUNDLED), "--plots", str(tmp_path / "floatids.gpkg"),
                                    "--as-of", AS_OF, "-q"])
    assert res.exit_code == 0, res.output
    out = pyogrio.read_dataframe(tmp_path / "f.gpkg", layer="plots")
    assert len(out) == len(plots) and out.geometry.notna().all()
    assert set(out["plot_id"]) == {str(1001 + i) for i in range(len(plots))}
    import shutil

    folder = tmp_path / "gd"
    shutil.copytree(BUNDLED, folder)
    text = (folder / "plots.geojson").read_text(encoding="utf-8")
    assert '"plot_id":"GF-BD-01"' in text
    (folder / "plots.geojson").write_text(text.replace('"plot_id":"GF-BD-01"',
                                                       '"plot_id":"GF-BD-01 "'), encoding="utf-8")
    res = export(str(tmp_path / "e.gpkg"), geodata=folder)
    assert res.exit_code == 0, res.output
    out = pyogrio.read_dataframe(tmp_path / "e.gpkg", layer="plots")
    assert len(out) == len(plots) and "GF-BD-01" in set(out["plot_id"])


LAYER_NAMES = ("districts", "parks", "planting", "plots")


def _gdal_file(name: str) -> Path:
    return Path(str(name).removeprefix("file://"))


@pytest.mark.parametrize("suffix", [".geojson", ".fgb"])
def test_a_layer_cut_short_fails_the_export_and_keeps_every_old_file(tmp_path, monkeypatch,
                                                                      suffix):
    # On a full disk GDAL's GeoJSON and FlatGeobuf writers may report success for a file
    # cut short: the export read it back, said "wrote" and exited 0, and the layers
    # written before a failing one had already replaced the old files.
    real = pyogrio.write_dataframe

    def cut_short(df, path, **kwargs):
        real(df, path, **kwargs)
        if kwargs.get("layer") == "plots":
            f = _gdal_file(path)
            f.write_bytes(f.read_bytes()[: f.stat().st_size // 2])

    monkeypatch.setattr(pyogrio, "write_dataframe", cut_short)
    old = {tmp_path / f"q-{n}{suffix}": f"old {n}".encode() for n in LAYER_NAMES}
    for path, data in old.items():
        path.write_bytes(data)
    res = export(str(tmp_path / f"q{suffix}"))
    assert res.exit_code == 1
    assert res.stderr.startswith(f"qygeo: error: {tmp_path / f'q-plots{suffix}'}: cannot "
                                 "write the plots layer")
    assert res.stderr.count("\n") == 1 and ".tmp" not in res.stderr
    assert {p: p.read_bytes() for p in tmp_path.iterdir()} == old  # no temporary file either




def _sql_failed(df, path, **kwargs):
    script = "CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL);\n" * 100
    raise pyogrio.errors.DataSourceError(f"sqlite3_exec({script} -- {path}) failed: "
                                         "database or disk is full")


def _styles_failed(path, qml):
    raise sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize(("target", "fake", "what"), [
    ("pyogrio.write_dataframe", _sql_failed, "the districts layer"),
    ("qygeo.render.gis.write_styles", _styles_failed, "the QGIS styles"),
])
def test_a_full_disk_while_writing_a_geopackage_is_one_short_line_naming_it(
        tmp_path, monkeypatch, target, fake, what):
    # GDAL quotes its whole SQL script (5,758 bytes) and names the temporary file; the
    # styles' sqlite3.OperationalError was a 37-line traceback.
    monkeypatch.setattr(target, fake)
    out = tmp_path / "q.gpkg"
    res = export(str(out))
    assert res.exit_code == 1
    assert res.stderr == f"qygeo: error: {out}: cannot write {what} (database or disk is full)\n"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["qy;2024.gpkg", "q;r.fgb"])
def test_an_output_name_with_a_semicolon_is_written_as_given(tmp_path, name):
    # pyogrio cut the temporary name at ';' (a traceback, or one error, and a stray '.qy')
    out = tmp_path / name
    res = export(str(out))
    assert res.exit_code == 0, res.output
    if out.suffix == ".gpkg":
        assert sorted(p.name for p in tmp_path.iterdir()) == [name]
        from qygeo.io.gdal_paths import gdal_name

        assert len(pyogrio.read_dataframe(gdal_name(out), layer="plots")) == 26
    else:
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            f"q;r-{n}.fgb" for n in LAYER_NAMES]


def test_an_output_folder_with_an_exclamation_mark_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "a!b"
    folder.mkdir()
    res = export(str(folder / "q.gpkg"))
    assert res.exit_code == 2
    assert res.stderr == (f"qygeo: error: {folder / 'q.gpkg'}: a path with '!' cannot be "
                          "opened by GDAL (pyogrio takes it for an archive's member): rename "
                          "the file or folder\n")
    assert list(folder.iterdir()) == []


def test_a_read_only_export_is_refused_and_a_writable_one_keeps_its_mode(tmp_path):
    out = tmp_path / "q.gpkg"
    out.write_bytes(b"frozen")
    out.chmod(0o444)
    res = export(str(out))
    assert res.exit_code == 1
    assert res.stderr == (f"qygeo: error: {out}: is read-only (mode 0444): make it writable "
                          "or give another name\n")
    assert out.read_bytes() == b"frozen" and list(tmp_path.iterdir()) == [out]
    out.chmod(0o640)
    assert export(str(out)).exit_code == 0
    assert out.stat().st_mode & 0o777 == 0o640 and len(pyogrio.list_layers(out)) == 5


@pytest.mark.parametrize(("crs", "datum"), [("2383", "Xian 1980"), ("4610", "Xian 1980"),
                                           ("4214", "Beijing 1954"), ("2435", "Beijing 1954"),
                                           ("4547", None), ("4490", None)])
def test_an_output_crs_reached_by_a_ballpark_conversion_is_warned_of(tmp_path, crs, datum):
    # Xian 1980 (2383, 4610): PROJ has no datum shift from WGS84, so the numbers are
    # WGS84's relabelled, of unknown accuracy; the export said nothing. Beijing 1954's
    # shifts cover other regions (Tarim, Ordos, offshore basins, Tonkin), not Qingyuan.
    res = CliRunner().invoke(main, ["export", str(tmp_path / "q.gpkg"), "--crs", crs,
                                    "--geodata", str(BUNDLED), "--as-of", AS_OF])
    assert res.exit_code == 0, res.output
    notes = [ln for ln in res.stderr.splitlines() if "ballpark" in ln]
    if datum is not None:
        assert len(notes) == 1 and notes[0].startswith(
            f"qygeo: warning: PROJ knows no datum shift from WGS84 to {datum}: "
            f"EPSG:{crs} ({datum}")
    else:
        assert notes == []


@pytest.mark.parametrize("suffix", [".gpkg", ".fgb", ".geojson"])
def test_a_plots_column_named_like_another_but_for_case_is_renamed_with_a_warning(
        tiny_geodata, tmp_path, suffix):
    # SQLite and GDAL tell names apart regardless of case: a plots file's own IDLE beside
    # qygeo's idle failed the GeoPackage ("Error adding field 'idle'"); fid and geom are
    # the GeoPackage's own columns.
    data = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    own = {"IDLE": "N", "Idle_Status": "x", "GRADE": "A", "FID": "7", "geom": "g", "Note": "a",
           "NOTE": "b", "IDLE_2": "taken"}
    for feature in data["features"]:
        feature["properties"].update(own)
    plots_file = tmp_path / "plots.geojson"
    plots_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / f"q{suffix}"
    res = CliRunner().invoke(main, ["export", str(out), "--plots", str(plots_file),
                                    "--geodata", str(tiny_geodata), "--as-of", AS_OF])
    assert res.exit_code == 0, res.output
    notes = [ln for ln in res.stderr.splitlines() if "is written as" in ln]
    assert len(notes) == 1 and notes[0].startswith(
        "qygeo: warning: plots layer: column IDLE is written as IDLE_3, column Idle_Status is "
        "written as Idle_Status_2, column GRADE is written as GRADE_2, column FID is written "
        "as FID_2, column geom is written as geom_2, column NOTE is written as NOTE_2"), notes
    layer = out if suffix == ".gpkg" else out.with_name(f"q-plots{suffix}")
    plots = pyogrio.read_dataframe(layer, layer="plots")
    renamed = {"IDLE_3": "N", "Idle_Status_2": "x", "GRADE_2": "A", "FID_2": "7",
               "geom_2": "g", "Note": "a", "NOTE_2": "b", "IDLE_2": "taken"}
    for column, value in renamed.items():
        assert (plots[column] == value).all(), column
    assert plots["idle_status"].isin(list(styles.PLOT_STATUS)).all()  # qygeo's own kept
    assert set(plots["grade"].dropna()) <= {"A", "B", "C", "D", "n/a"}


@pytest.mark.parametrize(("crs", "engine", "noted"), [("2383", "default", True),
                                                      ("2383", "dask", True),
                                                      ("4547", "default", False)])
def test_an_exported_ballpark_file_read_back_as_plots_is_noted(tiny_geodata, tmp_path, crs,
                                                              engine, noted):
    # The export warns that Xian 1980 is PROJ's ballpark; reading that file back as
    # --plots said nothing, though the same numbers are carried over the same way.
    out = tmp_path / "q.gpkg"
    assert export(str(out), "--crs", crs, geodata=tiny_geodata).exit_code == 0
    res = CliRunner().invoke(main, ["report", "--plots", str(out), "--plots-layer", "plots",
                                    "--geodata", str(tiny_geodata), "--as-of", AS_OF,
                                    "--engine", engine, "--format", "json"])
    assert res.exit_code == 0, res.output
    notes = [ln for ln in res.stderr.splitlines() if "datum shift" in ln]
    assert notes == (["qygeo: warning: q.gpkg: PROJ knows no datum shift from Xian 1980 to "
                      "WGS84: the coordinates are taken over as they are (PROJ's \"ballpark\", "
                      "of unknown accuracy); convert the file with the surveyors' parameters "
                      "first, or check the boundary on the map"] if noted else [])


def test_a_plot_the_idle_rule_cannot_judge_is_exported_with_idle_empty(tiny_geodata, tmp_path):
    # idle_status n/a (no agreed start date): the layers and the xlsx plots sheet said
    # idle = false and idle_days = 0, which a GIS filter reads as "judged not idle".
    import openpyxl

    data = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    unjudged = data["features"][0]["properties"]
    unjudged["agreed_start_date"] = unjudged["contract_date"] = None
    plots_file = tmp_path / "plots.geojson"
    plots_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    pid = unjudged["plot_id"]
    rows = {}
    for name in ("q.gpkg", "q.geojson"):
        res = CliRunner().invoke(main, ["export", str(tmp_path / name), "--plots",
                                        str(plots_file), "--geodata", str(tiny_geodata),
                                        "--as-of", AS_OF, "-q"])
        assert res.exit_code == 0, res.output
        layer = tmp_path / ("q.gpkg" if name == "q.gpkg" else "q-plots.geojson")
        frame = pyogrio.read_dataframe(layer, layer="plots").set_index("plot_id")
        rows[name] = frame
        info = pyogrio.read_info(layer, layer="plots")
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        assert types["idle"] == "bool" and types["idle_days"] in ("int32", "int64")
    res = CliRunner().invoke(main, ["report", "--plots", str(plots_file), "--geodata",
                                    str(tiny_geodata), "--as-of", AS_OF, "-q", "-o",
                                    str(tmp_path / "r.xlsx")])
    assert res.exit_code == 0, res.output
    sheet = list(openpyxl.load_workbook(tmp_path / "r.xlsx")["plots"].iter_rows(values_only=True))
    keys = sheet[1]
    rows["xlsx"] = {r[keys.index("plot_id")]: dict(zip(keys, r, strict=True)) for r in sheet[2:]}
    for name, frame in rows.items():
        row = frame.loc[pid] if name != "xlsx" else frame[pid]
        assert row["idle_status"] == "n/a", name
        for col in ("idle", "idle_days", "idle_years"):
            assert row[col] is None or row[col] != row[col], (name, col, row[col])  # None/NaN
        judged = [r for k, r in (frame.iterrows() if name != "xlsx" else frame.items())
                  if k != pid and r["idle_status"] == "not_idle"]
        assert judged and all(r["idle"] == 0 and r["idle_days"] == 0 for r in judged), name


def test_dates_are_written_as_dates(gpkg, tmp_path):
    # Plot dates (2021-04-20 in the data) were written as DATETIME 2021-04-20T00:00:00.
    con = sqlite3.connect(gpkg)
    types = {r[1]: r[2] for r in con.execute("PRAGMA table_info(plots)")}
    values = con.execute("SELECT contract_date, idle_since FROM plots WHERE idle_since "
                         "IS NOT NULL LIMIT 1").fetchone()
    con.close()
    for col in ("contract_date", "agreed_start_date", "actual_start_date", "suspended_since",
                "idle_clock_start", "idle_since"):
        assert types[col] == "DATE", (col, types[col])
    assert all(len(v) == 10 for v in values), values  # YYYY-MM-DD
    assert export(str(tmp_path / "q.geojson")).exit_code == 0
    data = json.loads((tmp_path / "q-plots.geojson").read_text(encoding="utf-8"))
    source = json.loads((BUNDLED / "plots.geojson").read_text(encoding="utf-8"))
    want = {f["properties"]["plot_id"]: f["properties"]["contract_date"]
            for f in source["features"]}
    got = {f["properties"]["plot_id"]: f["properties"]["contract_date"] for f in data["features"]}
    assert got == want and any(got.values())


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".fgb"])
def test_a_ledger_column_of_numbers_and_text_is_exported_as_text(tiny_geodata, tmp_path,
                                                                 suffix):
    # An Excel ledger's parcel numbers 1 and "A-7" failed every format: "cannot write the
    # plots layer (Expected bytes, got a 'int' object)".
    import datetime as dt

    import pandas as pd
    from shapely.geometry import box

    square = box(113.020, 23.620, 113.023, 23.623).wkt  # inside the tiny park alpha
    ledger = tmp_path / "ledger.xlsx"
    pd.DataFrame({"plot_id": ["L1", "L2", "L3"], "invested_yuan": [1e6, 2.5e6, 3e6],
                  "agreed_start_date": [dt.date(2022, 3, 1), None, None],
                  "parcel_no": [1, "A-7", None], "lot_m": [3, 4.5, 7], "wkt": [square] * 3},
                 ).to_excel(ledger, index=False)
    out = tmp_path / f"q{suffix}"
    res = CliRunner().invoke(main, ["export", str(out), "--plots", str(ledger), "--geodata",
                                    str(tiny_geodata), "--as-of", AS_OF, "-q"])
    assert res.exit_code == 0, res.output
    layer = out if suffix == ".gpkg" else out.with_name(f"q-plots{suffix}")
    plots = pyogrio.read_dataframe(layer, layer="plots").set_index("plot_id")
    parcel = plots["parcel_no"]
    assert parcel[["L1", "L2"]].tolist() == ["1", "A-7"] and parcel.isna()["L3"]
    assert plots["lot_m"].to_dict() == {"L1": 3.0, "L2": 4.5, "L3": 7.0}  # numbers stay numbers
