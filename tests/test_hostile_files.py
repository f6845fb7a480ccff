"""Files whose bytes are not what their names say, and files that name other places.

GDAL picks a driver by a file's content. A GDAL virtual file (OGR VRT XML) sent as
``survey.kml``, ``survey.gpkg`` or as the ``.shp`` of a zip would read any local file
it names and fetch any URL; a GeoJSON ``crs`` link would be fetched. Each is refused
in one line before GDAL opens it (:mod:`qygeo.io.sniff`), by the CLI, the web app and
the plots readers; genuine files of every format still read.
"""

from __future__ import annotations

import http.server
import io
import json
import sqlite3
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import BUNDLED, snapshot
from qygeo.cli import main
from qygeo.errors import DataFileError
from qygeo.io import sniff
from test_parks import truth_polygon, write_boundary

SECRET = "SECRET=hunter2-canary"


def _vrt(source: Path) -> bytes:
    """An OGR VRT that reads *source* (a CSV) as a layer with a fixed polygon."""
    return f"""<OGRVRTDataSource><OGRVRTLayer name="x">
  <SrcDataSource>CSV:{source}</SrcDataSource>
  <GeometryType>wkbPolygon</GeometryType>
  <GeometryField encoding="WKT" field="wkt"/>
</OGRVRTLayer></OGRVRTDataSource>""".encode()


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.fixture()
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "secret.csv"
    path.write_text(f"wkt,line\n\"POLYGON((113 23.6,113.01 23.6,113.01 23.61,113 23.6))\","
                    f"{SECRET}\n", encoding="utf-8")
    return path


def _disguised(tmp_path: Path, secret: Path) -> dict[str, Path]:
    vrt = _vrt(secret)
    files = {
        "survey.kml": vrt,
        "survey.gpkg": vrt,
        "survey.geojson": vrt,
        "survey.zip": _zip({"a.shp": vrt, "a.shx": b"x", "a.dbf": b"x"}),
        "lead.kml": b"<?xml version='1.0'?>\n<!-- a comment -->\n" + vrt,
    }
    out = {}
    for name, data in files.items():
        out[name] = tmp_path / name
        out[name].write_bytes(data)
    return out


def test_a_virtual_file_under_any_name_is_refused_by_park_add(tiny_geodata, tmp_path, secret):
    before = snapshot(tiny_geodata)
    for name, path in _disguised(tmp_path, secret).items():
        res = CliRunner().invoke(main, ["park", "add", str(path), "--id", "gamma",
                                        "--name-zh", "丙园", "--name-en", "Gamma Park",
                                        "--geodata", str(tiny_geodata)])
        assert res.exit_code == 1, (name, res.stderr)
        assert "Traceback" not in res.stderr and SECRET not in res.stderr + res.stdout
        errors = [ln for ln in res.stderr.splitlines() if ln.startswith("qygeo: error:")]
        # GeoJSON is parsed as JSON first, which names the fault's line and column.
        words = "malformed JSON" if name.endswith(".geojson") else "GDAL virtual file"
        assert len(errors) == 1 and words in errors[0], (name, res.stderr)
    assert snapshot(tiny_geodata) == before


@pytest.mark.parametrize("name", ["plots.gpkg", "plots.geojson", "plots.zip"])
def test_a_virtual_file_as_plots_is_refused_by_report_and_map(tmp_path, secret, name):
    path = _disguised(tmp_path, secret)[name.replace("plots", "survey")]
    for command in (["report", "--format", "json"], ["map", "-o", str(tmp_path / "m")]):
        res = CliRunner().invoke(main, [*command, "--geodata", str(BUNDLED), "--plots", str(path)])
        assert res.exit_code == 1 and "GDAL virtual file" in res.stderr, res.stderr
        assert SECRET not in res.stderr + res.stdout


def test_an_sqlite_database_is_not_taken_for_a_geopackage(tmp_path):
    path = tmp_path / "plots.gpkg"
    with sqlite3.connect(path) as con:
        con.execute("create table t (a)")
    with pytest.raises(DataFileError, match="not a GeoPackage"):
        sniff.check_content(path)


@pytest.mark.parametrize(("name", "data", "words"), [
    ("a.shp", b"<kml/>", "not a .shp file"),
    ("a.gpkg", b"{}", "not a .gpkg file"),
    ("a.fgb", b"fgb", "not a .fgb file"),
    ("a.geojson", b"[1, 2]", "not GeoJSON"),
    ("a.kml", b"<?xml version='1.0'?><html></html>", "not KML"),
    ("a.kml", b"<!DOCTYPE kml [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><kml/>", "DOCTYPE"),
    ("a.csv", b"<OGRVRTDataSource/>", "GDAL virtual file"),
    ("a.csv", b"<table/>", "not CSV"),
    ("a.vrt", b"anything", "GDAL virtual file"),
    ("a.gml", b"\xef\xbb\xbf  <OGRVRTDataSource/>", "GDAL virtual file"),
    ("a.gml", b"<!DOCTYPE x>\n<OGRVRTDataSource/>", "GDAL virtual file"),  # GDAL finds it
    ("a.xml", b"<OGRWFSDataSource><URL>http://127.0.0.1/wfs</URL></OGRWFSDataSource>",
     "GDAL virtual file"),
])
def test_first_bytes_must_be_the_format_the_name_says(tmp_path, name, data, words):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(DataFileError, match=words):
        sniff.check_content(path)


def test_genuine_files_of_every_format_pass(tmp_path):
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"name": ["a"]}, geometry=[truth_polygon()], crs="EPSG:4326")
    for name in ("a.gpkg", "a.fgb", "a.shp", "a.geojson", "a.kml"):
        gdf.to_file(tmp_path / name, engine="pyogrio")
        sniff.check_content(tmp_path / name)
    shp = {p.name: p.read_bytes() for p in tmp_path.glob("a.*")
           if p.suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg")}
    (tmp_path / "b.zip").write_bytes(_zip(shp))
    sniff.check_content(tmp_path / "b.zip")
    kml = tmp_path / "c.kml"  # a BOM, a declaration, a comment and a prefixed root
    kml.write_bytes(b"\xef\xbb\xbf<?xml version='1.0' encoding='UTF-8'?>\n<!-- exported -->\n"
                    b"<kml:kml xmlns:kml='http://www.opengis.net/kml/2.2'/>")
    sniff.check_content(kml)
    geojson = tmp_path / "named.geojson"  # a "crs" by name is not a link
    doc = json.loads((tmp_path / "a.geojson").read_text(encoding="utf-8"))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    doc["features"][0]["properties"]["type"] = "link"
    geojson.write_text(json.dumps(doc), encoding="utf-8")
    sniff.check_content(geojson)


@pytest.fixture()
def listener():
    """A local HTTP server that records the paths it is asked for."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_a_geojson_crs_link_is_refused_and_never_fetched(tiny_geodata, tmp_path, listener):
    url, hits = listener
    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    doc = json.loads(survey.read_text(encoding="utf-8"))
    doc["crs"] = {"type": "link", "properties": {"href": f"{url}/track", "type": "proj4"}}
    survey.write_text(json.dumps(doc), encoding="utf-8")
    before = snapshot(tiny_geodata)
    res = CliRunner().invoke(main, ["park", "add", str(survey), "--id", "gamma", "--name-zh",
                                    "丙园", "--name-en", "Gamma Park", "--geodata",
                                    str(tiny_geodata)])
    assert res.exit_code == 1 and "gives its CRS as a link" in res.stderr, res.stderr
    plots = json.loads((BUNDLED / "plots.geojson").read_text(encoding="utf-8"))
    plots["crs"] = doc["crs"]
    plots_path = tmp_path / "plots.geojson"
    plots_path.write_text(json.dumps(plots, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots",
                                    str(plots_path), "--format", "json"])
    assert res.exit_code == 1 and "gives its CRS as a link" in res.stderr, res.stderr
    assert hits == [] and snapshot(tiny_geodata) == before


@pytest.mark.parametrize("option", ["--plots", "--config"])
def test_a_pipe_or_device_given_as_a_file_is_refused_not_waited_on(tiny_geodata, tmp_path,
                                                                  option):
    # A FIFO hung the reader for good; /dev/zero as --config read 2.6 GB, then crashed.
    import os
    import subprocess
    import sys

    fifo = tmp_path / ("fifo.geojson" if option == "--plots" else "fifo.toml")
    os.mkfifo(fifo)
    for target in (fifo, "/dev/zero"):
        done = subprocess.run([sys.executable, "-m", "qygeo.cli", "report", "--geodata",
                               str(tiny_geodata), "-q", option, str(target)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert "not a regular file" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(("part", "kind"), [("plots.dbf", "fifo"), ("plots.dbf", "zero"),
                                            ("plots.CPG", "fifo"), ("plots.shx", "zero")])
def test_a_shapefile_whose_other_file_is_a_pipe_or_device_is_refused(tiny_geodata, tmp_path,
                                                                      part, kind):
    # Only the .shp was checked: a FIFO .dbf hung GDAL (and qygeo) for good, a .dbf linked
    # to /dev/zero filled the memory.
    import os
    import subprocess
    import sys

    import geopandas as gpd

    folder = tmp_path / "s"
    folder.mkdir()
    plots = gpd.read_file(tiny_geodata / "plots.geojson")[["plot_id", "park_id", "geometry"]]
    plots.to_file(folder / "plots.shp")
    for f in folder.glob("plots.*"):
        if f.name.lower() == part.lower():
            f.unlink()
    os.mkfifo(folder / part) if kind == "fifo" else os.symlink("/dev/zero", folder / part)
    before = snapshot(tiny_geodata)
    commands = [["report", "-q", "--plots"]]
    if part == "plots.dbf" and kind == "fifo":
        commands.append(["park", "add", "--id", "gamma", "--name-zh", "丙园", "--name-en",
                         "Gamma", "--feature", "1"])
    for command in commands:
        done = subprocess.run([sys.executable, "-m", "qygeo.cli", *command,
                               str(folder / "plots.shp"), "--geodata", str(tiny_geodata)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 1, done.stderr
        assert done.stderr == (f"qygeo: error: {folder / 'plots.shp'}: {part} beside it is not "
                               "a regular file (a pipe or a device): give the Shapefile's "
                               "files\n")
    assert snapshot(tiny_geodata) == before


def test_a_file_name_never_makes_gdal_open_another_file_or_a_url(tmp_path, listener,
                                                                monkeypatch):
    # pyogrio reads a name as a URL: a relative 'http:/host/x' was fetched, a tab was
    # dropped (opening the VRT beside the checked file), '//' named a host, and a ';'
    # name behind a symlink and '..' was resolved by text to another folder.
    import os

    url, hits = listener
    host = url.removeprefix("http://")
    vrt = ("<OGRVRTDataSource><OGRVRTLayer name='p'><SrcDataSource>/vsicurl/"
           f"{url}/FETCHED.csv</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")
    plots = (BUNDLED / "plots.geojson").read_bytes()
    monkeypatch.chdir(tmp_path)
    (tmp_path / f"http:/{host}").mkdir(parents=True)
    (tmp_path / f"http:/{host}/plots.geojson").write_bytes(plots)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "p\t.geojson").write_bytes(plots)
    (tmp_path / "t" / "p.geojson").write_text(vrt, encoding="utf-8")
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "p;x.geojson").write_bytes(plots)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "p;x.geojson").write_text(vrt, encoding="utf-8")
    (tmp_path / "d" / "w").mkdir()
    os.symlink(tmp_path / "real" / "sub", tmp_path / "d" / "w" / "L")
    (tmp_path / "real" / "sub").mkdir()
    want = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--format", "csv",
                                     "-q"]).stdout
    for name in (f"http:/{host}/plots.geojson", "d/w/L/../p;x.geojson",
                 "/" + str(tmp_path / "real" / "p;x.geojson")):
        res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", name,
                                        "--format", "csv", "-q"])
        assert res.exit_code == 0 and res.stdout == want, (name, res.output)
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots",
                                    "t/p\t.geojson", "-q"])
    assert res.exit_code == 1 and "a tab or a line break" in res.stderr
    assert hits == []


def test_a_geoparquet_with_a_column_twice_is_refused_in_one_line(tiny_geodata, tmp_path):
    """Two columns named plot_id: the fast reader's column selection raised a KeyError
    traceback (the other readers gave a line)."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    path = tmp_path / "dup.parquet"
    gpd.read_file(tiny_geodata / "plots.geojson").to_parquet(path, index=False)
    table = pq.read_table(path)
    table = table.append_column("plot_id", table.column("plot_id"))
    pq.write_table(table, path)
    before = snapshot(tiny_geodata)
    for args in (["report", "--format", "json"], ["export", str(tmp_path / "x.gpkg")]):
        res = CliRunner().invoke(main, [*args, "--geodata", str(tiny_geodata), "--plots",
                                        str(path), "-q"])
        assert res.exit_code == 1 and "Traceback" not in res.output
        assert res.output.strip().endswith(
            "dup.parquet: column 'plot_id' appears more than once: keep one"), res.output
    assert snapshot(tiny_geodata) == before


@pytest.mark.parametrize("threads", ["1", "2"])
def test_a_geoparquet_id_missing_as_nan_is_a_blank_id(tiny_geodata, tmp_path, monkeypatch,
                                                      threads):
    """A float plot_id column with a NaN, written by pandas whose metadata calls it text:
    reading through that metadata made the NaN the id "nan", accepted. It is a blank id,
    refused as in GeoJSON."""
    import geopandas as gpd
    import pyarrow as pa
    import pyarrow.parquet as pq

    monkeypatch.setenv("QYGEO_THREADS", threads)
    path = tmp_path / "ids.parquet"
    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    plots.to_parquet(path, index=False)  # pandas metadata: plot_id is text
    table = pq.read_table(path)
    ids = pa.array([float(i) for i in range(len(plots) - 1)] + [float("nan")])
    table = table.set_column(table.schema.get_field_index("plot_id"), "plot_id", ids)
    pq.write_table(table, path)
    res = CliRunner().invoke(main, ["report", "--format", "json", "-q", "--geodata",
                                    str(tiny_geodata), "--plots", str(path)])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip().endswith(f"ids.parquet [feature #{len(plots)}]: empty plot_id"), \
        res.output


@pytest.mark.parametrize("suffix", [".html", ".xlsx"])
def test_plots_text_that_is_not_utf8_is_refused_in_one_line(tiny_geodata, tmp_path, suffix):
    """A byte 0xE9 (Latin-1 é) in a plot's project: GDAL passes it on, and the html and
    xlsx reports, which read every column, ended in a UnicodeDecodeError or an
    ArrowException traceback."""
    text = (tiny_geodata / "plots.geojson").read_text(encoding="utf-8")
    assert '"p1"' in text
    bad = tmp_path / "latin1.geojson"
    bad.write_bytes(text.replace('"p1"', '"Bendi\\u00e9"').encode("utf-8").replace(
        b"Bendi\\u00e9", b"Bendi\xe9"))
    out = tmp_path / f"r{suffix}"
    res = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--plots",
                                    str(bad), "-o", str(out), "-q"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip() == (f"qygeo: error: {bad}: is not UTF-8 text (column "
                                  "'project'): save it as UTF-8"), res.output
    assert not out.exists() and not list(tmp_path.glob(".r*"))


@pytest.mark.parametrize(("column", "value", "words"), [
    ("invested_yuan", "5,000,000", "invested_yuan is not a number: '5,000,000'"),
    ("agreed_start_date", "TBD",
     "agreed_start_date is not a calendar date (YYYY-MM-DD): 'TBD'"),
    ("agreed_start_date", "2024-02-30",
     "agreed_start_date is not a calendar date (YYYY-MM-DD): '2024-02-30'"),
])
@pytest.mark.parametrize("command", [["report", "--format", "json"],
                                     ["export", "{out}/x.gpkg"],
                                     ["report", "--format", "json", "--engine", "dask"]])
def test_a_geopackage_value_gdal_would_change_is_refused(tiny_geodata, tmp_path, column,
                                                         value, words, command):
    """SQLite keeps text in a REAL or DATE column: GDAL read '5,000,000' as 5 yuan, 'TBD'
    as 1970-01-01 (the plot idle since 1971) and 2024-02-30 as 2024-03-01, exit 0."""
    import geopandas as gpd

    gpkg = tmp_path / "plots.gpkg"
    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    plots["agreed_start_date"] = pd_dates(plots["agreed_start_date"])
    plots.to_file(gpkg, layer="plots", driver="GPKG")
    with sqlite3.connect(gpkg) as con:
        # GDAL's R-tree triggers name SpatiaLite functions; they do not run (no geometry
        # changes), but SQLite wants them defined.
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(fn, 1, lambda _geom: 0)
        declared = {r[1]: r[2] for r in con.execute('PRAGMA table_info("plots")')}
        assert declared[column] in ("REAL", "DATE", "DATETIME", "MEDIUMINT", "INTEGER"), declared
        con.execute(f'UPDATE plots SET "{column}" = ? WHERE plot_id = ?', (value, "B1"))
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(main, [*[c.format(out=out) for c in command], "--geodata",
                                    str(tiny_geodata), "--plots", str(gpkg), "-q"])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip() == (f"qygeo: error: {gpkg}: feature with fid 3: {words}, in a "
                                  "column GDAL would read otherwise: correct it in the file"), \
        res.output
    assert not list(out.iterdir())


def pd_dates(col):
    import pandas as pd

    return pd.to_datetime(col)  # written as a DATETIME column


def _with_crs(src: Path, dst: Path, name: str) -> Path:
    doc = json.loads(src.read_text(encoding="utf-8"))
    doc["crs"] = {"type": "name", "properties": {"name": name}}
    dst.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return dst


@pytest.mark.parametrize("name", ["GCJ02", "BD09", "EPSG:99999",
                                  # PROJ finds these by name, GDAL does not look them up
                                  "Beijing 1954", "4214", "CGCS2000"])
def test_a_geojson_naming_a_crs_no_one_can_read_is_refused(tiny_geodata, tmp_path, name):
    """GDAL takes the coordinates of a GeoJSON whose crs it cannot parse as WGS84, without
    a word: a file saying it is GCJ-02 (Amap) was placed 600 m off, as a boundary, as
    plots and as the data folder's parks."""
    words = (f"names its CRS {name!r}, which is not a CRS qygeo can read (GDAL would take "
             "the coordinates as WGS84)")
    boundary = tmp_path / "survey.geojson"
    boundary.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {},
        "geometry": json.loads(__import__("shapely").to_geojson(truth_polygon()))}]}),
        encoding="utf-8")
    before = snapshot(tiny_geodata)
    cases = [
        ["park", "add", str(_with_crs(boundary, tmp_path / "b.geojson", name)), "--id", "g",
         "--name-zh", "丙", "--name-en", "G", "--dry-run"],
        ["report", "--format", "json", "--plots",
         str(_with_crs(tiny_geodata / "plots.geojson", tmp_path / "p.geojson", name))],
    ]
    for args in cases:
        res = CliRunner().invoke(main, [*args, "--geodata", str(tiny_geodata), "-q"])
        assert res.exit_code == 1 and words in res.output and "Traceback" not in res.output, (
            args, res.output)
    assert snapshot(tiny_geodata) == before
    _with_crs(tiny_geodata / "parks.geojson", tiny_geodata / "parks.geojson", name)
    res = CliRunner().invoke(main, ["report", "--format", "json", "--geodata",
                                    str(tiny_geodata), "-q"])
    assert res.exit_code == 1 and words in res.output


def test_a_crs_member_written_with_json_escapes_is_checked_too(tiny_geodata, tmp_path,
                                                                listener):
    """The checks searched the raw bytes for "crs" and "link": "\\u0063rs" or
    "\\u006cink", which GDAL decodes, got past them (GDAL fetched the link, and read a
    GCJ02 file as WGS84)."""
    src = (tiny_geodata / "plots.geojson").read_text(encoding="utf-8")
    doc = json.loads(src)
    doc.pop("crs", None)
    body = json.dumps(doc, ensure_ascii=False)[1:]
    named = tmp_path / "named.geojson"
    named.write_text('{"\\u0063rs": {"type": "name", "properties": {"name": "GCJ02"}}, '
                     + body, encoding="utf-8")
    linked = tmp_path / "linked.geojson"
    url, hits = listener
    linked.write_text('{"crs": {"type": "\\u006cink", "properties": {"href": "'
                      + url + '/track"}}, ' + body, encoding="utf-8")
    for path, words in ((named, "names its CRS 'GCJ02'"), (linked, "gives its CRS as a link")):
        res = CliRunner().invoke(main, ["report", "--format", "json", "--plots", str(path),
                                        "--geodata", str(tiny_geodata), "-q"])
        assert res.exit_code == 1 and words in res.output, res.output
    assert hits == []


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"])
def test_a_geojson_naming_wgs84_is_read(tiny_geodata, tmp_path, name):
    plots = _with_crs(tiny_geodata / "plots.geojson", tmp_path / "p.geojson", name)
    res = CliRunner().invoke(main, ["report", "--format", "json", "--plots", str(plots),
                                    "--geodata", str(tiny_geodata), "-q"])
    assert res.exit_code == 0, res.output


def _plots_gpkg(tiny_geodata, path, edit=None):
    """The tiny plots as a GeoPackage (invested_yuan a 32-bit integer column, MEDIUMINT, as
    GDAL writes one), then *edit*(sqlite connection) applied."""
    import geopandas as gpd

    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    plots["invested_yuan"] = plots["invested_yuan"].astype("int32")
    plots["agreed_start_date"] = pd_dates(plots["agreed_start_date"])
    plots.to_file(path, layer="plots", driver="GPKG")
    with sqlite3.connect(path) as con:
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(fn, 1, lambda _geom: 0)
        assert {r[1]: r[2] for r in con.execute('PRAGMA table_info("plots")')}[
            "invested_yuan"] == "MEDIUMINT"
        if edit is not None:
            edit(con)
    return path


@pytest.mark.parametrize(("value", "shown"), [(5_000_000_000, "5000000000"), (2.5, "2.5")])
@pytest.mark.parametrize("layer", [None, "PLOTS"])
def test_a_geopackage_number_its_integer_column_cannot_hold_is_refused(
        tiny_geodata, tmp_path, value, shown, layer):
    """GDAL reads a MEDIUMINT as a 32-bit integer: 5,000,000,000 came out 705,032,704 and
    2.5 as 2, exit 0. And --plots-layer PLOTS (GDAL takes layer names in any case) skipped
    the check."""
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg", lambda con: con.execute(
        "UPDATE plots SET invested_yuan = ? WHERE plot_id = 'B1'", (value,)))
    res = CliRunner().invoke(main, ["report", "--format", "json", "--geodata", str(tiny_geodata),
                                    "--plots", str(gpkg), "-q",
                                    *(["--plots-layer", layer] if layer else [])])
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output.strip() == (f"qygeo: error: {gpkg}: feature with fid 3: invested_yuan "
                                  f"{shown} does not fit its MEDIUMINT column (GDAL would read "
                                  "another number): correct it in the file"), res.output


def test_a_geopackage_datetime_with_a_zone_is_read(tiny_geodata, tmp_path):
    """GDAL writes 2021-04-20T07:00:00+08:00; SQLite's date() of it is the UTC day
    (2021-04-19), and such a date was refused as not a calendar date."""
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg", lambda con: con.execute(
        "UPDATE plots SET agreed_start_date = '2021-04-20T07:00:00+08:00' WHERE plot_id = 'B1'"))
    res = CliRunner().invoke(main, ["report", "--format", "json", "--geodata", str(tiny_geodata),
                                    "--plots", str(gpkg), "-q"])
    assert res.exit_code == 0, res.output


def test_plots_text_that_is_not_utf8_is_one_line_in_the_dask_engine_too(tiny_geodata,
                                                                        tmp_path):
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg", lambda con: con.execute(
        "UPDATE plots SET enterprise = CAST(X'C4E3BAC3FF' AS TEXT) WHERE plot_id = 'B1'"))
    for engine in ("default", "dask"):
        res = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--plots",
                                        str(gpkg), "--engine", engine, "-q", "-o",
                                        str(tmp_path / "r.html")])
        assert res.exit_code == 1 and "Traceback" not in res.output, (engine, res.output)
        assert res.output.startswith(f"qygeo: error: {gpkg}: is not UTF-8 text"), res.output
        assert res.output.count("\n") == 1


def _retype(gpkg, column, old, new):
    """Declare *column* of the GeoPackage's plots table as SQLite type *new* (was *old*)."""
    with sqlite3.connect(gpkg) as con:
        sql = con.execute("SELECT sql FROM sqlite_master WHERE name = 'plots' AND "
                          "type = 'table'").fetchone()[0]
        assert f'"{column}" {old}' in sql, sql
        con.execute("PRAGMA writable_schema = ON")
        con.execute("UPDATE sqlite_master SET sql = ? WHERE name = 'plots' AND type = 'table'",
                    (sql.replace(f'"{column}" {old}', f'"{column}" {new}'),))


def _report(tiny_geodata, plots, *extra):
    return CliRunner().invoke(main, ["report", "--format", "json", "--geodata",
                                     str(tiny_geodata), "--plots", str(plots), "-q", *extra])


@pytest.mark.parametrize("declared", ["NUMERIC", "INT8", "INTEGER64"])
def test_a_geopackage_number_column_of_any_declared_type_is_checked(tiny_geodata, tmp_path,
                                                                    declared):
    """GDAL reads a NUMERIC, INT8 or INTEGER64 column as numbers too (SQLite's affinity):
    '5,000,000' in one was read as 5."""
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg")
    _retype(gpkg, "invested_yuan", "MEDIUMINT", declared)
    with sqlite3.connect(gpkg) as con:
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(fn, 1, lambda _geom: 0)
        con.execute("UPDATE plots SET invested_yuan = '5,000,000' WHERE plot_id = 'B1'")
    res = _report(tiny_geodata, gpkg)
    assert res.exit_code == 1 and "invested_yuan is not a number: '5,000,000'" in res.output


@pytest.mark.parametrize(("declared", "value", "fits"), [
    ("TINYINT", 200, True), ("SMALLINT", 30_000, True), ("SMALLINT", 40_000, False)])
def test_a_geopackage_small_integer_type_holds_what_gdal_reads_as_it_is(
        tiny_geodata, tmp_path, declared, value, fits):
    """GDAL reads TINYINT and SMALLINT as 16-bit integers: 200 was refused as not fitting a
    TINYINT, and 40,000 in a SMALLINT is read as −25,536."""
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg")
    _retype(gpkg, "invested_yuan", "MEDIUMINT", declared)
    with sqlite3.connect(gpkg) as con:
        for fn in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
            con.create_function(fn, 1, lambda _geom: 0)
        con.execute("UPDATE plots SET invested_yuan = 7")  # every other plot's fits
        con.execute("UPDATE plots SET invested_yuan = ? WHERE plot_id = 'A1'", (value,))
    res = _report(tiny_geodata, gpkg)
    if not fits:
        assert res.exit_code == 1 and (f"invested_yuan {value} does not fit its {declared} "
                                       "column") in res.output, res.output
        return
    assert res.exit_code == 0, res.output
    alpha = next(r for r in json.loads(res.output) if r["park_id"] == "alpha")
    assert alpha["plot_investment_yuan"] == value + 7  # A1 and A2, as stored


@pytest.mark.parametrize("value", ["2021-4-20", "2021/04/20", "2021-04-20 07:00:00"])
def test_a_geopackage_date_gdal_reads_is_read(tiny_geodata, tmp_path, value):
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg", lambda con: con.execute(
        "UPDATE plots SET agreed_start_date = ? WHERE plot_id = 'B1'", (value,)))
    res = _report(tiny_geodata, gpkg)
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("crs", [
    '{"type": "link", "properties": {"href": "URL"}}',
    '{"Type": "link", "properties": {"href": "URL"}}',
    '{"type": "url", "properties": {"href": "URL"}}',
    '{"type": "linkx", "properties": {"href": "URL"}}',
    '{"type": "link", "properties": {"href": "URL"},}',  # GDAL takes the trailing comma
    '{"type": "link", "properties": {"href": "URL", "x": "a\tb"}}',  # and a raw tab
])
@pytest.mark.parametrize("key", ["crs", "CRS", "\\u0043RS"])
def test_no_spelling_of_a_crs_link_reaches_gdal(tiny_geodata, tmp_path, listener, crs, key):
    """GDAL reads crs, type and properties in any case, any type starting with link or url,
    and JSON Python refuses: each of these made it fetch the URL."""
    url, hits = listener
    doc = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    doc.pop("crs", None)
    path = tmp_path / "p.geojson"
    path.write_text('{"' + key + '": ' + crs.replace("URL", url + "/track") + ", "
                    + json.dumps(doc)[1:], encoding="utf-8")
    res = _report(tiny_geodata, path)
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert ("gives its CRS as a link" in res.output
            or "has a crs member qygeo cannot check" in res.output), res.output
    assert hits == []


@pytest.mark.parametrize(("crs", "words"), [
    ('{"type": "name", "Properties": {"Name": "GCJ02"}}', "names its CRS 'GCJ02'"),
    ('{"type": "EPSG", "properties": {"code": 999999}}', "gives its CRS as 'epsg'"),
    ('{"type": "OGC", "properties": {"urn": "GCJ02"}}', "gives its CRS as 'ogc'"),
])
def test_every_form_of_a_crs_gdal_would_ignore_is_refused(tiny_geodata, tmp_path, crs, words):
    doc = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    doc.pop("crs", None)
    path = tmp_path / "p.geojson"
    path.write_text('{"CRS": ' + crs + ", " + json.dumps(doc)[1:], encoding="utf-8")
    res = _report(tiny_geodata, path)
    assert res.exit_code == 1 and words in res.output, res.output


@pytest.mark.parametrize("name", ["urn:ogc:def:crs:EPSG:4326",
                                  "http://www.opengis.net/def/crs/EPSG/0/4326",
                                  "urn:x-ogc:def:crs:EPSG:4326", "urn:ogc:def:crs:OGC::CRS84",
                                  "CRS:84", "WGS84"])
def test_crs_names_gdal_reads_as_wgs84_are_read(tiny_geodata, tmp_path, name):
    plots = _with_crs(tiny_geodata / "plots.geojson", tmp_path / "p.geojson", name)
    res = _report(tiny_geodata, plots)
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("value", ["1,000", "60亩"])
def test_a_ledger_area_column_of_text_is_refused(tiny_geodata, tmp_path, value):
    path = tmp_path / "points.csv"
    path.write_text("plot_id,lon,lat,area_m2,area_mu\n"
                    f'L1,113.021,23.621,20000,"{value}"\n', encoding="utf-8")
    res = _report(tiny_geodata, path)
    assert res.exit_code == 1
    assert f"row 2: area_mu is not a number: {value!r}" in res.output, res.output


def test_gdal_warnings_on_dask_workers_do_not_reach_the_terminal(tiny_geodata, tmp_path):
    """A column type holding escape codes: GDAL's warning quoting it (and pyogrio's path)
    went to the terminal from every dask worker, -q or not."""
    gpkg = _plots_gpkg(tiny_geodata, tmp_path / "plots.gpkg")
    _retype(gpkg, "invested_yuan", "MEDIUMINT", '"INT\x1b[31mRED"')
    res = _report(tiny_geodata, gpkg, "--engine", "dask")
    assert "\x1b" not in res.output and "raw.py" not in res.output, res.output
