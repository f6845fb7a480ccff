"""``qygeo serve``'s JSON API and pages through FastAPI's test client.

Every endpoint, every error status, and hostile uploads (zip bombs, oversize
bodies, path-traversal member names, non-geo files, markup and template names).
Each test's app puts its upload folders under a folder of its own, which must
be empty afterwards: uploads are always removed.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from shapely.geometry import box

from conftest import snapshot
from qygeo.cli import main
from qygeo.pipeline import parks as park_lib
from qygeo.render import park_list
from qygeo.render.assets import external_references
from qygeo.serve import Limits, ServeConfig, create_app
from test_maps import TEMPLATE, XSS
from test_parks import geodesic_area_m2, truth_polygon, write_boundary

BASE = "http://127.0.0.1:8765"
EDIT = {"X-Qygeo-Client": "test"}
NEW = {"park_id": "gamma", "name_zh": "丙园", "name_en": "Gamma Park"}


@pytest.fixture()
def make_client(tiny_geodata, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()

    def make(**cfg):
        cfg.setdefault("basemap", "none")
        app = create_app(ServeConfig(root=tiny_geodata, tmp_dir=uploads, **cfg))
        return TestClient(app, base_url=BASE, raise_server_exceptions=False)

    yield make
    assert list(uploads.iterdir()) == []  # every upload folder was removed


@pytest.fixture()
def client(make_client):
    return make_client()


def geojson_bytes(geom=None, **props) -> bytes:
    geom = geom if geom is not None else truth_polygon()
    feat = {"type": "Feature", "properties": props,
            "geometry": json.loads(__import__("shapely").to_geojson(geom))}
    return json.dumps({"type": "FeatureCollection", "features": [feat]}).encode()


def upload(name: str = "survey.geojson", data: bytes | None = None):
    return {"file": (name, data if data is not None else geojson_bytes())}


def ids(client) -> list[str]:
    return [f["properties"]["park_id"] for f in client.get("/api/parks").json()["features"]]


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


# --------------------------------------------------------------------------- reading


def test_parks_are_geojson_with_areas(client, tiny_geodata):
    doc = client.get("/api/parks").json()
    assert doc["type"] == "FeatureCollection"
    table = park_list.park_table(tiny_geodata).set_index("park_id")
    assert [f["properties"]["park_id"] for f in doc["features"]] == list(table.index)
    for f in doc["features"]:
        p = f["properties"]
        assert p["area_km2"] == pytest.approx(table.loc[p["park_id"], "area_km2"])
        assert p["area_mu"] == pytest.approx(p["area_km2"] * 1500)
    assert client.get("/api/districts").json()["features"][0]["properties"]["adcode"] == "441802"


@pytest.mark.slow
def _with_nan(root: Path) -> None:
    """A property NaN and one Infinity in parks.geojson (Python's json and GDAL read them)."""
    parks = root / "parks.geojson"
    parks.write_text(parks.read_text(encoding="utf-8").replace(
        '"kind":', '"survey_score": NaN, "survey_area": -Infinity, "kind":', 1),
        encoding="utf-8")


def test_an_error_names_the_data_folders_files_not_where_the_server_keeps_them(
        client, tiny_geodata):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text("park_id,year,signed_investment_yuan\nalpha,2024,lots\n",
                     encoding="utf-8")
    r = client.get("/api/report")
    assert r.status_code == 422, r.text
    assert "attributes/park_stats.csv" in r.json()["error"]
    assert str(tiny_geodata) not in r.text


def test_parks_with_nan_properties_are_valid_json(client, tiny_geodata):
    _with_nan(tiny_geodata)
    r = client.get("/api/parks")
    assert r.status_code == 200

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    doc = json.loads(r.text, parse_constant=refuse)  # as strict as a browser's JSON.parse
    alpha = next(f["properties"] for f in doc["features"]
                 if f["properties"]["park_id"] == "alpha")
    assert alpha["survey_score"] is None and alpha["survey_area"] is None


def test_an_error_echoing_a_huge_value_is_one_short_line(client, tiny_geodata):
    # The command line cuts such a line at 2,000 characters; the API echoed it whole.
    long_id = "a" * 200_000
    r = client.post("/api/parks", files=upload(), data={**NEW, "park_id": long_id},
                    headers=EDIT)
    error = r.json()["error"]
    assert r.status_code == 422 and len(error) < 2100 and "\n" not in error
    assert "characters) …" in error
    p = client.post("/api/parks/preview", files=upload(), data={**NEW, "park_id": long_id},
                    headers=EDIT).json()
    assert p["errors"] and all(len(e) < 2100 for e in p["errors"])


def test_report_in_every_format(client):
    doc = client.get("/api/report", params={"format": "json", "year": 2024,
                                            "as_of": "2025-06-01"}).json()
    parks = doc["parks"] if isinstance(doc, dict) else doc
    assert {r["park_id"] for r in parks} == {"alpha", "beta", "beta_child"}
    one = client.get("/api/report", params={"park": "beta", "format": "csv"})
    assert one.headers["content-disposition"] == 'attachment; filename="qygeo-report.csv"'
    lines = one.content.decode("utf-8-sig").strip().splitlines()  # after the BOM
    assert lines[0].startswith("park_id,") and len(lines) == 2 and lines[1].startswith("beta,")
    xlsx = client.get("/api/report", params={"format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    html = client.get("/api/report", params={"format": "html"})
    assert "script-src" not in html.headers["content-security-policy"]  # no script runs
    assert "Beta Park" in html.text
    assert "Alpha Park" in client.get("/reports/report.html").text
    md = client.get("/api/report", params={"format": "markdown"})
    assert md.headers["content-type"].startswith("text/markdown")


@pytest.mark.parametrize("params, status, words", [
    ({"park": "nope"}, 404, "unknown park 'nope'"),
    ({"format": "pdf"}, 400, "unknown format 'pdf'"),
    ({"year": "soon"}, 422, "year"),
    ({"as_of": "2025-13-01"}, 422, "as_of"),
    ({"as_of": "9999-12-31"}, 422, "as-of date 9999-12-31 is outside 1900-01-01"),
])
def test_report_errors_are_one_json_message(client, params, status, words):
    r = client.get("/api/report", params=params)
    assert r.status_code == status
    assert list(r.json()) == ["error"] and words in r.json()["error"]


def test_the_csv_download_is_the_file_qygeo_report_writes(client, tiny_geodata, tmp_path):
    # Without the byte-order mark Excel on Windows reads the Chinese names in the system's
    # code page: the download must be the file `qygeo report -o r.csv` writes, BOM included.
    query = {"year": 2024, "as_of": "2025-06-01"}
    got = client.get("/api/report", params={**query, "format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"] == "text/csv; charset=utf-8"
    out = tmp_path / "r.csv"
    r = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--year", "2024",
                                  "--as-of", "2025-06-01", "-o", str(out), "-q"])
    assert r.exit_code == 0, r.output
    assert got.content.startswith("\ufeffpark_id,".encode()) and got.content == out.read_bytes()


@pytest.mark.slow
def test_map_pages_are_self_contained_and_current(client):
    city = client.get("/maps/index.html")
    assert city.status_code == 200 and "Beta Park" in city.text
    assert external_references(city.text) == []
    assert client.get("/maps/parks/alpha.html").status_code == 200
    assert client.get("/maps/parks/nope.html").json() == {"error": "no such map page"}
    r = client.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert r.status_code == 201, r.text
    assert "Gamma Park" in client.get("/maps/index.html").text  # not the cached page
    assert client.get("/maps/parks/gamma.html").status_code == 200


@pytest.mark.slow
def test_map_pages_move_on_with_the_day_as_the_report_does(client, monkeypatch):
    # A server left running: the same data folder, a later day. The maps' idle verdicts
    # are as of the day the report uses, not the day the pages were first rendered.
    import datetime as real_dt
    import types

    from qygeo.serve import data as serve_data

    today = real_dt.date.today()
    assert f"idle as of {today.isoformat()}" in client.get("/maps/index.html").text

    class Later(real_dt.date):
        @classmethod
        def today(cls):
            return today + real_dt.timedelta(days=400)

    monkeypatch.setattr(serve_data, "dt", types.SimpleNamespace(date=Later))
    later = Later.today().isoformat()
    assert f"idle as of {later}" in client.get("/api/report?format=table").text
    city = client.get("/maps/index.html").text
    assert f"idle as of {later}" in city and f"idle as of {today.isoformat()}" not in city
    assert f"idle as of {later}" in client.get("/maps/parks/alpha.html").text


def test_shell_and_assets_are_served_offline(client):
    page = client.get("/")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert external_references(page.text) == []
    assert "L.version" in client.get("/static/leaflet.js").text or \
        "Leaflet" in client.get("/static/leaflet.js").text
    assert "url(http" not in client.get("/static/leaflet.css").text
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/nope.js").json() == {"error": "not found"}


def test_openapi_documents_every_endpoint_and_no_cdn_docs(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert set(paths) >= {"/api/parks", "/api/report", "/api/parks/preview",
                          "/api/parks/{park_id}", "/api/undo", "/api/history"}
    assert set(paths["/api/parks/{park_id}"]) == {"put", "delete"}
    assert client.get("/docs").status_code == 404
    assert client.get("/api/nothing").json() == {"error": "no such API endpoint"}


# --------------------------------------------------------------------------- preview


@pytest.mark.slow
def test_preview_shows_figures_and_writes_nothing(client, tiny_geodata):
    before = snapshot(tiny_geodata)
    r = client.post("/api/parks/preview", files=upload(), data=NEW, headers=EDIT)
    p = r.json()
    assert r.status_code == 200 and p["ok"] and p["errors"] == []
    assert p["area_km2"] == pytest.approx(geodesic_area_m2(truth_polygon()) / 1e6, rel=1e-3)
    assert p["area_mu"] == pytest.approx(p["area_km2"] * 1500)
    assert p["district"]["adcode"] == "441802" and p["overlaps"] == []
    assert p["feature"]["geometry"]["type"] == "Polygon"
    assert 400 < p["as_gcj02"]["shift_m"] < 800  # the GCJ-02 question at a glance
    assert any("parks      3 → 4" in s for s in p["summary"])
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_preview_lists_every_problem(client, tiny_geodata):
    over_alpha = box(113.04, 23.64, 113.06, 23.66)
    data = {**NEW, "park_id": "Bad Id", "kind": "castle"}
    p = client.post("/api/parks/preview", files=upload(data=geojson_bytes(over_alpha)),
                    data=data, headers=EDIT).json()
    assert not p["ok"]
    assert p["overlaps"][0]["park_id"] == "alpha"
    assert any("is not a valid park id" in e for e in p["errors"])
    assert p["feature"] is not None  # still drawn
    p = client.post("/api/parks/preview", files=upload(data=geojson_bytes(over_alpha)),
                    data=NEW, headers=EDIT).json()
    assert any("overlaps park alpha" in e for e in p["errors"])
    far = box(116.0, 23.0, 116.02, 23.02)
    p = client.post("/api/parks/preview", files=upload(data=geojson_bytes(far)), data=NEW,
                    headers=EDIT).json()
    assert any("outside Qingyuan" in e for e in p["errors"]) and p["district"] is None
    assert all("qygeo-upload-" not in e for e in p["errors"])  # no temporary paths


@pytest.mark.slow
def test_preview_offers_the_layers_of_a_geopackage(client, tmp_path):
    gpkg = write_boundary(tmp_path / "survey.gpkg", truth_polygon(), layer="boundary")
    # a second non-empty layer makes the choice necessary
    import geopandas as gpd
    import pyogrio

    pyogrio.write_dataframe(gpd.GeoDataFrame({"n": [1]}, geometry=[box(113.1, 23.7, 113.11, 23.71)],
                                             crs=4326), gpkg, layer="other", append=True)
    p = client.post("/api/parks/preview", files=upload("survey.gpkg", gpkg.read_bytes()),
                    data=NEW, headers=EDIT).json()
    assert p["layers"] == ["boundary", "decoy", "other"] and "choose one" in p["errors"][0]
    p = client.post("/api/parks/preview", files=upload("survey.gpkg", gpkg.read_bytes()),
                    data={**NEW, "layer": "boundary"}, headers=EDIT).json()
    assert p["ok"], p["errors"]


@pytest.mark.slow
def test_preview_reads_a_zipped_shapefile_in_a_projected_crs(client, tmp_path):
    z = write_boundary(tmp_path / "plan.zip", truth_polygon(), "EPSG:4547")
    p = client.post("/api/parks/preview", files=upload("plan.zip", z.read_bytes()), data=NEW,
                    headers=EDIT).json()
    assert p["ok"], p["errors"]
    assert "4547" in p["crs"] and p["as_gcj02"] is None  # metres: GCJ-02 is not the question


@pytest.mark.slow
@pytest.mark.parametrize("name", ["s.geojson", "s.json", "s.zip", "s.gpkg", "s.kml", "s.kmz"])
def test_preview_reads_every_format(client, tmp_path, name):
    f = write_boundary(tmp_path / name, truth_polygon(), layer="boundary")
    data = {**NEW, "layer": "boundary"} if name.endswith(".gpkg") else NEW
    p = client.post("/api/parks/preview", files=upload(name, f.read_bytes()), data=data,
                    headers=EDIT).json()
    assert p["ok"], p["errors"]
    assert p["area_km2"] == pytest.approx(geodesic_area_m2(truth_polygon()) / 1e6, rel=1e-3)


@pytest.mark.slow
def test_crs_choice_gcj02_moves_the_boundary(client):
    plain = client.post("/api/parks/preview", files=upload(), data=NEW, headers=EDIT).json()
    gcj = client.post("/api/parks/preview", files=upload(), data={**NEW, "crs": "gcj02"},
                      headers=EDIT).json()
    a = plain["as_gcj02"]["geometry"]["coordinates"][0][0]
    b = gcj["feature"]["geometry"]["coordinates"][0][0]
    assert a == pytest.approx(b, abs=2e-6)
    bad = client.post("/api/parks/preview", files=upload(), data={**NEW, "crs": "EPSG:999999"},
                      headers=EDIT).json()
    assert not bad["ok"] and bad["errors"]


@pytest.mark.parametrize("crs, twin", [("gcj02", False), ("GCJ-02", False), ("amap", False),
                                       ("Baidu", False), ("wgs84", True), ("4326", True)])
def test_no_gcj02_twin_for_a_file_read_as_a_shifted_datum(client, crs, twin):
    # crs=GCJ-02 or amap is read as GCJ-02 (parse_crs's aliases): a "what if GCJ-02" twin
    # would be shifted twice and drawn some 600 m off the true place.
    p = client.post("/api/parks/preview", files=upload(), data={**NEW, "crs": crs},
                    headers=EDIT).json()
    assert p["ok"], p["errors"]
    assert (p["as_gcj02"] is not None) is twin, p["crs"]


# --------------------------------------------------------------------------- editing


@pytest.mark.slow
def test_add_update_remove_undo(client, tiny_geodata):
    r = client.post("/api/parks", files=upload("../../etc/survey.geojson"), data=NEW,
                    headers=EDIT)
    assert r.status_code == 201, r.text
    assert r.json()["history_file"].startswith("parks-")
    gamma = park_lib.load_state(tiny_geodata).row("gamma")["properties"]
    assert gamma["source_file"] == "survey.geojson"  # the name's last component only
    assert not (tiny_geodata.parent / "etc").exists()
    again = client.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert again.status_code == 409 and "already exists" in again.json()["error"]
    # The file by its name, not where the server keeps it.
    assert str(tiny_geodata) not in again.text and "in parks.geojson" in again.json()["error"]
    bigger = truth_polygon(r_m=1500)
    r = client.put("/api/parks/gamma", files=upload(data=geojson_bytes(bigger)), headers=EDIT)
    assert r.status_code == 422 and "--force" in r.json()["error"]  # +125 %: as qygeo park
    r = client.put("/api/parks/gamma", files=upload(data=geojson_bytes(bigger)),
                   data={"force": "true"}, headers=EDIT)
    assert r.status_code == 200 and r.json()["action"] == "update"
    assert client.put("/api/parks/nope", files=upload(), headers=EDIT).status_code == 404
    r = client.delete("/api/parks/alpha", headers=EDIT)
    assert r.status_code == 422 and "still named by" in r.json()["error"]
    assert client.delete("/api/parks/gamma", headers=EDIT).status_code == 200
    hist = client.get("/api/history").json()["history"]
    assert [(h["action"], h["park_id"]) for h in hist] == [
        ("remove", "gamma"), ("update", "gamma"), ("add", "gamma")]
    for expect in (True, True, False):
        r = client.post("/api/undo", headers=EDIT)
        assert r.status_code == 200
        assert ("gamma" in ids(client)) is expect
        # "the undone version is kept as .history/undone/…", not as the server's path
        assert str(tiny_geodata) not in r.text and ".history/undone/" in r.text
    assert client.post("/api/undo", headers=EDIT).status_code == 409


@pytest.mark.slow
def test_a_change_chosen_on_a_stale_page_is_refused_with_409(client, tiny_geodata):
    # Two tabs preview an update of one park; the second Confirm must not overwrite the
    # first tab's change, and an Undo chosen from a history listed before another tab's
    # add must not undo that add.
    assert client.post("/api/parks", files=upload(), data=NEW, headers=EDIT).status_code == 201
    form = {"park_id": "gamma", "update": "true"}
    tab_a, tab_b = (client.post("/api/parks/preview", headers=EDIT, data=form,
                                files=upload(f"{n}.geojson", geojson_bytes(truth_polygon(
                                    r_m=r)))).json() for n, r in (("a", 1300), ("b", 1100)))
    assert tab_a["ok"] and tab_b["ok"]
    assert tab_a["parks_sha256"] == park_lib.parks_sha256(tiny_geodata)
    r = client.put("/api/parks/gamma", headers=EDIT, data={"parks_sha256": tab_a["parks_sha256"]},
                   files=upload("a.geojson", geojson_bytes(truth_polygon(r_m=1300))))
    assert r.status_code == 200, r.text
    before = snapshot(tiny_geodata)
    r = client.put("/api/parks/gamma", headers=EDIT, data={"parks_sha256": tab_b["parks_sha256"]},
                   files=upload("b.geojson", geojson_bytes(truth_polygon(r_m=1100))))
    assert r.status_code == 409 and "changed since this preview" in r.json()["error"]
    assert "“预览 Preview”" in r.json()["error"]  # the page's control, not a command
    r = client.delete("/api/parks/gamma", headers=EDIT,
                      params={"parks_sha256": tab_b["parks_sha256"]})
    assert r.status_code == 409
    assert snapshot(tiny_geodata) == before
    gamma = park_lib.load_state(tiny_geodata).row("gamma")["properties"]
    assert gamma["source_file"] == "a.geojson"
    # Tab A lists the history (its update on top); tab C adds a park; tab A's Undo.
    listed = client.get("/api/history").json()
    assert listed["parks_sha256"] == park_lib.parks_sha256(tiny_geodata)
    assert (listed["history"][0]["action"], listed["history"][0]["park_id"]) == (
        "update", "gamma")
    delta = {**NEW, "park_id": "delta", "name_zh": "丁园", "name_en": "Delta Park",
             "allow_overlap": "true"}
    assert client.post("/api/parks", files=upload(), data=delta, headers=EDIT).status_code == 201
    before = snapshot(tiny_geodata)
    r = client.post("/api/undo", headers=EDIT, params={"parks_sha256": listed["parks_sha256"]})
    assert r.status_code == 409 and "listed its history" in r.json()["error"]
    assert snapshot(tiny_geodata) == before and "delta" in ids(client)
    # Listed again, the add is on top, and Undo undoes it.
    listed = client.get("/api/history").json()
    r = client.post("/api/undo", headers=EDIT, params={"parks_sha256": listed["parks_sha256"]})
    assert r.status_code == 200 and r.json()["drops"] == ["delta"]


def test_an_update_that_changes_nothing_says_so(client, tiny_geodata):
    r = client.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert r.status_code == 201 and r.json()["written"] is True
    assert r.json()["unchanged"] is False
    before = snapshot(tiny_geodata)
    # The preview says so before Confirm: the same boundary again writes nothing.
    p = client.post("/api/parks/preview", files=upload(),
                    data={"park_id": "gamma", "update": "true"}, headers=EDIT).json()
    assert p["ok"] and p["unchanged"] is True, p
    p = client.post("/api/parks/preview", files=upload(data=geojson_bytes(truth_polygon(
        r_m=1300))), data={"park_id": "gamma", "update": "true"}, headers=EDIT).json()
    assert p["ok"] and p["unchanged"] is False, p
    r = client.put("/api/parks/gamma", files=upload(), headers=EDIT)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["written"] is False and got["unchanged"] is True and got["history_file"] is None
    assert snapshot(tiny_geodata) == before


def test_an_upload_takes_the_quality_and_name_rules_of_park_add(client, tiny_geodata):
    # A new id with another park's names is refused, and Force accepts it, as in the CLI.
    twin = {"park_id": "delta", "name_zh": "甲园", "name_en": "Alpha Park"}
    r = client.post("/api/parks", files=upload(), data=twin, headers=EDIT)
    assert r.status_code == 409 and "alpha" in r.json()["error"], r.text
    r = client.post("/api/parks", files=upload(), data={**twin, "force": "true"},
                    headers=EDIT)
    assert r.status_code == 201, r.text
    assert client.post("/api/undo", headers=EDIT).status_code == 200
    # No quality chosen: as `park add`, a boundary read as GCJ-02 (drawn on Amap) is
    # approximate, not surveyed.
    r = client.post("/api/parks", files=upload(), data={**NEW, "crs": "gcj02", "quality": ""},
                    headers=EDIT)
    assert r.status_code == 201, r.text
    gamma = park_lib.load_state(tiny_geodata).row("gamma")["properties"]
    assert gamma["boundary_quality"] == "approximate"


def test_force_means_what_it_means_in_qygeo_park(client, tiny_geodata):
    assert client.post("/api/parks", files=upload(), data=NEW, headers=EDIT).status_code == 201
    bigger = geojson_bytes(truth_polygon(r_m=1500))
    form = {"park_id": "gamma", "update": "true"}
    p = client.post("/api/parks/preview", files=upload(data=bigger), data=form,
                    headers=EDIT).json()
    assert not p["ok"] and any("--force" in e for e in p["errors"])
    # The preview with force judges as Confirm with force does: both accept.
    p = client.post("/api/parks/preview", files=upload(data=bigger),
                    data={**form, "force": "true"}, headers=EDIT).json()
    assert p["ok"] and p["errors"] == [], p["errors"]
    r = client.put("/api/parks/gamma", files=upload(data=bigger), data={"force": "true"},
                   headers=EDIT)
    assert r.status_code == 200
    # Removing a park its plots still name: refused, then accepted with force.
    assert client.delete("/api/parks/alpha", headers=EDIT).status_code == 422
    r = client.delete("/api/parks/alpha", params={"force": "true"}, headers=EDIT)
    assert r.status_code == 200, r.text
    assert "alpha" not in ids(client)


def test_the_preview_lists_what_force_accepts_and_what_would_be_recorded(client, tiny_geodata):
    # The preview showed the boundary's notes only: not what Force accepts (the area
    # change, a name another park has) nor the quality recorded for a GCJ-02 file.
    from qygeo.io.crs import shift_geometry

    assert client.post("/api/parks", files=upload(), data=NEW, headers=EDIT).status_code == 201
    bigger = geojson_bytes(truth_polygon(r_m=1500))
    p = client.post("/api/parks/preview", files=upload(data=bigger),
                    data={"park_id": "gamma", "update": "true", "force": "true"},
                    headers=EDIT).json()
    assert p["ok"], p["errors"]
    assert [n for n in p["notes"] if "accepted with --force" in n] == [
        next(n for n in p["notes"] if n.startswith("changes park gamma's area"))]
    drawn = geojson_bytes(shift_geometry(truth_polygon(113.15, 23.72, 500), "wgs84_to_gcj02"))
    p = client.post("/api/parks/preview", files=upload(data=drawn),
                    data={**NEW, "park_id": "delta", "name_en": "Alpha Park", "crs": "gcj02",
                          "force": "true"}, headers=EDIT).json()
    assert p["ok"], p["errors"]
    assert sum("--name-en is the name of park alpha" in n for n in p["notes"]) == 1, p["notes"]
    assert sum("recorded boundary_quality=approximate" in n for n in p["notes"]) == 1
    assert len(p["notes"]) == len(set(p["notes"]))


@pytest.mark.slow
def test_edits_refuse_cross_site_requests(client, tiny_geodata):
    before = snapshot(tiny_geodata)
    r = client.post("/api/parks", files=upload(), data=NEW)
    assert r.status_code == 403 and "X-Qygeo-Client" in r.json()["error"]
    r = client.post("/api/parks", files=upload(), data=NEW,
                    headers={**EDIT, "Origin": "https://evil.example"})
    assert r.status_code == 403 and "cross-site" in r.json()["error"]
    assert client.delete("/api/parks/beta_child").status_code == 403
    assert client.post("/api/undo").status_code == 403
    r = client.get("/api/parks", headers={"Host": "rebound.example:8765"})
    assert r.status_code == 400 and "loopback" in r.json()["error"]
    assert snapshot(tiny_geodata) == before
    ok = client.post("/api/parks", files=upload(), data=NEW, headers={**EDIT, "Origin": BASE})
    assert ok.status_code == 201


@pytest.mark.parametrize(("host", "status"), [
    ("127.0.0.1:8765", 200), ("127.0.0.2:8765", 200), ("localhost:8765", 200),
    ("[::1]:8765", 200), ("[0:0:0:0:0:0:0:1]:8765", 200),
    ("rebound.example:8765", 400), ("127.0.0.1.nip.io", 400), ("localhost.", 400),
    ("10.0.0.1:8765", 400), ("", 400),
])
def test_a_loopback_server_answers_at_every_loopback_address(client, host, status):
    # `qygeo serve --host 127.0.0.2` binds there and prints it: it must answer there.
    assert client.get("/api/config", headers={"Host": host}).status_code == status


@pytest.mark.parametrize("path", ["/", "/api/config", "/api/parks", "/maps/index.html",
                                  "/api/report?format=csv", "/no/such/page"])
def test_head_answers_as_get_without_a_body(client, path):
    got, head = client.get(path), client.head(path)
    assert head.status_code == got.status_code and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


def test_a_method_not_allowed_says_which_are(client):
    r = client.request("PATCH", "/api/config", headers=EDIT)
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    assert list(r.json()) == ["error"]


@pytest.mark.slow
def test_token_is_needed_when_configured(make_client):
    c = make_client(token="s3cret", loopback_only=False)
    assert c.get("/api/config").json()["edits_need_token"] is True
    r = c.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert r.status_code == 401 and "token" in r.json()["error"]
    r = c.post("/api/parks", files=upload(), data=NEW, headers={**EDIT, "X-Qygeo-Token": "x"})
    assert r.status_code == 401
    r = c.post("/api/parks", files=upload(), data=NEW,
               headers={**EDIT, "X-Qygeo-Token": "s3cret", "Host": "10.0.0.5:8765"})
    assert r.status_code == 201


@pytest.mark.slow
@pytest.mark.parametrize("token", ["清远密码2026", "two words", "tab\there", " "])
def test_a_token_no_request_can_send_is_refused_at_start(make_client, tiny_geodata, token,
                                                         monkeypatch):
    # Accepted, a non-ASCII token answered every edit with 401: browsers send only
    # ISO-8859-1 in a header, and the server compared its UTF-8 bytes with the header's.
    import uvicorn

    from qygeo.errors import QygeoError

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)  # accepted: no server runs
    r = CliRunner().invoke(main, ["serve", "--token", token, "--geodata", str(tiny_geodata)])
    assert r.exit_code == 2, r.output
    lines = r.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qygeo: error: --token ")
    with pytest.raises(QygeoError, match="token"):
        make_client(token=token)


def test_the_printed_address_carries_the_token_as_it_is(tiny_geodata, monkeypatch):
    # The page reads #token=… with URLSearchParams, which takes '+' for a space and
    # '&' for the next parameter: such a token, printed raw, never matched.
    from urllib.parse import parse_qs, urlsplit

    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: None)
    token = "a+b/c=&d%2F"
    r = CliRunner().invoke(main, ["serve", "--token", token, "--port", "0",
                                  "--geodata", str(tiny_geodata)])
    assert r.exit_code == 0, r.output
    address = r.output.split(" at ", 1)[1].split()[0]
    assert parse_qs(urlsplit(address).fragment) == {"token": [token]}


def test_a_held_lock_gives_409_and_changes_nothing(make_client, tiny_geodata):
    c = make_client(lock_timeout_s=0.3)
    before = snapshot(tiny_geodata)
    held = park_lib.lock(tiny_geodata)
    with held:
        r = c.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert r.status_code == 409 and "another qygeo park command" in r.json()["error"]
    after = snapshot(tiny_geodata)
    after.pop(park_lib.LOCK_NAME, None)
    assert after == before


def test_a_folder_whose_lock_cannot_be_made_gives_one_line(client, tiny_geodata):
    # A read-only or another user's folder: filelock's OSError was a 500 "internal error
    # (OSError)" and a traceback. Now it is the line `qygeo park` prints. A directory in the
    # lock file's place makes the same OSError for any user, root included.
    lock_path = tiny_geodata / park_lib.LOCK_NAME
    lock_path.mkdir()
    before = snapshot(tiny_geodata)
    cli = CliRunner().invoke(main, ["park", "remove", "alpha", "--force", "--geodata",
                                    str(tiny_geodata), "-q"])
    assert cli.exit_code == 1
    line = f"{lock_path}: Is a directory"
    assert cli.output.strip() == f"qygeo: error: {line}"
    # The page is told the file in the data folder, not the server's path to it.
    for r in (client.delete("/api/parks/alpha", params={"force": "true"}, headers=EDIT),
              client.post("/api/parks", files=upload(), data=NEW, headers=EDIT)):
        assert (r.status_code, r.json()) == (500, {"error": f"{lock_path.name}: Is a directory"})
    assert snapshot(tiny_geodata) == before


def _killed_remove(client, root: Path) -> None:
    """Add gamma, then leave what a remove of beta_child killed before parks.geojson leaves
    (its snapshot and journal; parks.geojson unchanged), rebuilt by hand."""
    assert client.post("/api/parks", files=upload(), data=NEW, headers=EDIT).status_code == 201
    before = (root / "parks.geojson").read_bytes()
    r = client.delete("/api/parks/beta_child", params={"force": "true"}, headers=EDIT)
    assert r.status_code == 200
    after = (root / "parks.geojson").read_bytes()
    (root / "parks.geojson").write_bytes(before)
    (root / ".history" / park_lib.JOURNAL_NAME).write_text(json.dumps(
        {"kind": "commit", "action": "remove", "park_id": "beta_child",
         "snapshot": park_lib.history(root)[-1].name, "before": park_lib._sha(before),
         "after": park_lib._sha(after)}), encoding="utf-8")


def test_history_lists_what_recovery_leaves(client, tiny_geodata):
    # The page listed the remove that never landed as the last change, and its Undo then
    # undid the add before it.
    _killed_remove(client, tiny_geodata)
    doc = client.get("/api/history").json()
    assert [(h["action"], h["park_id"]) for h in doc["history"]] == [("add", "gamma")]
    assert doc["notes"] == ["rolled back the interrupted commit of remove beta_child"]
    undo = client.post("/api/undo", headers=EDIT).json()
    assert (undo["action"], undo["park_id"]) == ("add", "gamma")


def test_undo_says_what_recovery_did(client, tiny_geodata):
    _killed_remove(client, tiny_geodata)
    undo = client.post("/api/undo", headers=EDIT).json()
    assert (undo["action"], undo["park_id"]) == ("add", "gamma")
    assert undo["notes"] == ["rolled back the interrupted commit of remove beta_child"]


def test_history_of_a_folder_that_cannot_be_written_still_lists(client, tiny_geodata):
    _killed_remove(client, tiny_geodata)
    (tiny_geodata / park_lib.LOCK_NAME).unlink(missing_ok=True)
    (tiny_geodata / park_lib.LOCK_NAME).mkdir()  # the lock cannot be made (see above)
    before = snapshot(tiny_geodata)
    r = client.get("/api/history")
    assert r.status_code == 200 and len(r.json()["history"]) == 2
    assert "could not be finished" in r.json()["notes"][0]
    assert str(tiny_geodata) not in r.text and park_lib.LOCK_NAME in r.text
    assert snapshot(tiny_geodata) == before


def test_a_missing_data_folder_is_named_without_the_servers_path(client, tiny_geodata):
    gone = tiny_geodata.with_name("elsewhere")
    tiny_geodata.rename(gone)
    try:
        r = client.get("/api/report")
        assert r.status_code >= 400 and "data folder not found" in r.json()["error"]
        assert str(tiny_geodata) not in r.text and str(tiny_geodata.parent) not in r.text
    finally:
        gone.rename(tiny_geodata)


@pytest.mark.slow
def test_two_clients_adding_the_same_park_one_is_told(make_client, tiny_geodata):
    results: list[int] = []
    barrier = threading.Barrier(2)

    def go():
        c = make_client()
        barrier.wait()
        results.append(c.post("/api/parks", files=upload(), data=NEW, headers=EDIT).status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 409]
    assert len(park_lib.history(tiny_geodata)) == 1


# --------------------------------------------------------------------------- hostile input


@pytest.mark.slow
def test_markup_and_template_names_stay_text(client, tiny_geodata):
    data = {**NEW, "name_zh": XSS, "name_en": TEMPLATE}
    r = client.post("/api/parks", files=upload(f"{XSS}.geojson"), data=data, headers=EDIT)
    assert r.status_code == 201, r.text
    props = next(f["properties"] for f in client.get("/api/parks").json()["features"]
                 if f["properties"]["park_id"] == "gamma")
    assert props["name_zh"] == XSS and props["name_en"] == TEMPLATE
    assert props["source_file"] == f"{XSS}.geojson"
    for page in (client.get("/maps/index.html").text, client.get("/maps/parks/gamma.html").text,
                 client.get("/api/report", params={"format": "html"}).text):
        assert XSS not in page and "1337" not in page


#: GDAL's virtual format, which would read the file it names (refused before GDAL opens it).
VRT = (b"<OGRVRTDataSource><OGRVRTLayer name='x'><SrcDataSource>CSV:/etc/passwd"
       b"</SrcDataSource></OGRVRTLayer></OGRVRTDataSource>")


@pytest.mark.parametrize("name, data, status, words", [
    ("plan.exe", b"MZ", 400, "unsupported file type"),
    ("noext", b"{}", 400, "unsupported file type"),
    ("bad\x1b[2J.geojson", b"{}", 400, "control characters"),
    ("..", b"{}", 400, "no file name"),
    ("empty.geojson", b"", 400, "empty"),
    ("photo.geojson", bytes(range(256)) * 4, 422, "photo.geojson"),
    ("table.gpkg", b"not a database at all" * 10, 422, "table.gpkg"),
    ("notzip.zip", b"PK nothing", 400, "not a readable zip"),
    ("nothing.zip", zip_bytes({"readme.txt": b"hello"}), 422, "no .shp"),
    ("evil.zip", zip_bytes({"../../evil.shp": b"x", "../../evil.shx": b"x"}), 400,
     "outside the archive"),
    ("abs.kmz", zip_bytes({"/etc/doc.kml": b"x"}), 400, "outside the archive"),
    ("vrt.kml", VRT, 422, "GDAL virtual file"),
    ("vrt.gpkg", VRT, 422, "GDAL virtual file"),
    ("vrt.zip", zip_bytes({"a.shp": VRT, "a.shx": b"x", "a.dbf": b"x"}), 422,
     "GDAL virtual file"),
])
def test_hostile_uploads_are_refused_with_one_message(client, tiny_geodata, name, data, status,
                                                      words):
    before = snapshot(tiny_geodata)
    r = client.post("/api/parks", files=upload(name, data), data=NEW, headers=EDIT)
    assert r.status_code == status, r.text
    assert list(r.json()) == ["error"] and words in r.json()["error"]
    assert "Traceback" not in r.text and "\n" not in r.json()["error"]
    assert snapshot(tiny_geodata) == before


def test_zip_bombs_and_crowded_archives_are_refused(make_client, tiny_geodata):
    c = make_client(limits=Limits(max_upload_bytes=1_000_000, max_members=20,
                                  max_expanded_bytes=2_000_000))
    bomb = zip_bytes({"a.shp": b"\0" * 3_000_000, "a.shx": b"\0" * 100})
    assert len(bomb) < 20_000
    r = c.post("/api/parks/preview", files=upload("bomb.zip", bomb), data=NEW, headers=EDIT)
    assert r.status_code == 413 and "expands to more than 2 MB" in r.json()["error"]
    crowd = zip_bytes({f"f{i}.txt": b"x" for i in range(21)})
    r = c.post("/api/parks", files=upload("crowd.zip", crowd), data=NEW, headers=EDIT)
    assert r.status_code == 413 and "21 members" in r.json()["error"]
    assert park_lib.history(tiny_geodata) == []


def test_oversize_uploads_are_refused(make_client, tiny_geodata):
    c = make_client(limits=Limits(max_upload_bytes=50_000))
    padded = geojson_bytes(description="x" * 60_000)
    r = c.post("/api/parks", files=upload(data=padded), data=NEW, headers=EDIT)
    assert r.status_code == 413 and "larger than 0.05 MB" in r.json()["error"]
    huge = b"x" * 1_200_000  # beyond limit + form room: refused before it is parsed
    r = c.post("/api/parks", files=upload(data=huge), data=NEW, headers=EDIT)
    assert r.status_code == 413

    def chunks():  # no Content-Length: counted as it arrives
        yield (b'--zz\r\nContent-Disposition: form-data; name="file"; filename="a.geojson"'
               b"\r\nContent-Type: application/json\r\n\r\n")
        for _ in range(30):
            yield b"y" * 100_000

    r = c.post("/api/parks/preview", content=chunks(), headers={
        **EDIT, "Content-Type": "multipart/form-data; boundary=zz"})
    assert r.status_code == 413 and r.json() == {"error": "the upload is larger than 0.05 MB"}


def test_a_crash_is_a_json_500_without_traceback(client, monkeypatch):
    def boom(root):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(park_list, "park_table", boom)
    r = client.get("/api/parks")
    assert r.status_code == 500
    assert r.json() == {"error": "internal error (RuntimeError); the server's log has the "
                                 "details"}


# --------------------------------------------------------------------------- command


def test_serve_command_help_and_a_busy_port():
    import socket

    runner = CliRunner()
    r = runner.invoke(main, ["serve", "--help"])
    assert r.exit_code == 0 and "--max-upload-mb" in r.output
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        r = runner.invoke(main, ["serve", "--port", str(port), "--geodata", str(Path.cwd())])
    assert r.exit_code == 1 and "qygeo: error: cannot listen on 127.0.0.1" in r.output
    r = runner.invoke(main, ["serve", "--geodata", "/nonexistent/folder"])
    assert r.exit_code == 1 and "data folder not found" in r.output


@pytest.mark.parametrize("field", ["name_zh", "name_en", "source", "notes"])
def test_control_characters_are_refused_as_by_park_add(client, tiny_geodata, field):
    before = snapshot(tiny_geodata)
    data = {**NEW, field: "Gamma\x1b]0;pwned\x07 Park"}
    r = client.post("/api/parks", files=upload(), data=data, headers=EDIT)
    assert 400 <= r.status_code < 500 and "U+001B" in r.json()["error"]
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_a_file_with_several_features_offers_them_and_takes_one(client, tiny_geodata):
    east, west = truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 700)
    feats = [{"type": "Feature", "properties": {"name": n},
              "geometry": json.loads(__import__("shapely").to_geojson(g))}
             for n, g in (("东区", east), ("西区", west))]
    data = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    p = client.post("/api/parks/preview", files=upload(data=data), data=NEW,
                    headers=EDIT).json()
    assert not p["ok"] and p["features"] == ["#1 东区", "#2 西区"]
    assert any("--feature" in e for e in p["errors"])
    p = client.post("/api/parks/preview", files=upload(data=data),
                    data={**NEW, "feature": "2"}, headers=EDIT).json()
    assert p["ok"], p["errors"]
    r = client.post("/api/parks", files=upload(data=data), data={**NEW, "feature": "西区"},
                    headers=EDIT)
    assert r.status_code == 201, r.text
    from shapely.geometry import shape

    stored = shape(park_lib.load_state(tiny_geodata).row("gamma")["geometry"])
    assert stored.equals_exact(west, 1e-6)


def test_a_zipped_shapefile_whose_cpg_names_no_text_encoding_is_read(client, tmp_path):
    # A .cpg of "hex" (a codec from bytes to bytes) was followed: the preview answered 500.
    import geopandas as gpd

    shp = tmp_path / "parcels.shp"
    gpd.GeoDataFrame({"名称": ["东区", "西区"]}, crs="EPSG:4326",
                     geometry=[truth_polygon(113.12, 23.70, 500),
                               truth_polygon(113.15, 23.72, 500)]).to_file(shp, encoding="GBK")
    data = zip_bytes({**{f"parcels{ext}": shp.with_suffix(ext).read_bytes()
                         for ext in (".shp", ".shx", ".dbf", ".prj")}, "parcels.cpg": b"hex"})
    r = client.post("/api/parks/preview", files=upload("parcels.zip", data), data=NEW,
                    headers=EDIT)
    assert r.status_code == 200 and r.json()["features"] == ["#1 东区", "#2 西区"], r.text
    p = client.post("/api/parks/preview", files=upload("parcels.zip", data),
                    data={**NEW, "feature": "西区"}, headers=EDIT).json()
    assert p["ok"], p["errors"]


def test_a_feature_number_of_many_digits_is_refused_not_a_server_error(client):
    # int() refuses 4,300 digits and more: the preview answered 500.
    two = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": n},
         "geometry": json.loads(__import__("shapely").to_geojson(g))}
        for n, g in (("东区", truth_polygon(113.12, 23.70, 500)),
                     ("西区", truth_polygon(113.15, 23.72, 500)))]}
    r = client.post("/api/parks/preview", files=upload(data=json.dumps(two).encode()),
                    data={**NEW, "feature": "#" + "9" * 5000}, headers=EDIT)
    assert r.status_code == 200, r.text
    assert any("(5,000 digits)" in e and len(e) < 300 for e in r.json()["errors"])


def test_a_refusal_is_listed_once_in_the_preview(client):
    # Metres read as EPSG:4547 land ~30 km outside Qingyuan: the placement and the plan
    # both refuse it, naming the upload differently; the preview listed it twice.
    square = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
              "geometry": {"type": "Polygon", "coordinates": [[[500000, 2620000],
              [500800, 2620000], [500800, 2620800], [500000, 2620800], [500000, 2620000]]]}}]}
    r = client.post("/api/parks/preview", files=upload("metres.geojson",
                                                       json.dumps(square).encode()),
                    data={**NEW, "crs": "4547"}, headers=EDIT)
    errors = r.json()["errors"]
    assert sum("lies outside Qingyuan" in e for e in errors) == 1, errors


def test_an_attribute_table_layer_is_refused_in_words_not_a_500(client, tiny_geodata, tmp_path):
    """A GeoPackage holding an attribute-only table beside its polygons: the preview lists
    both layers, and picking the table (or a GeoPackage holding only such a table) was a
    500 AttributeError. It is now the refusal ``park add`` prints, naming the layer."""
    import pandas as pd
    import pyogrio

    gpkg = write_boundary(tmp_path / "survey.gpkg", truth_polygon(), layer="poly")
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), gpkg, driver="GPKG", layer="attrs",
                            append=True)
    only = tmp_path / "table.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"a": [1]}), only, driver="GPKG", layer="attrs")
    before = snapshot(tiny_geodata)
    refusal = "layer 'attrs' has no geometry (a table of attributes only)"
    for name, path, layer in (("survey.gpkg", gpkg, "attrs"), ("table.gpkg", only, "")):
        data = {**NEW, **({"layer": layer} if layer else {})}
        p = client.post("/api/parks/preview", files=upload(name, path.read_bytes()),
                        data=data, headers=EDIT)
        assert p.status_code == 200 and not p.json()["ok"], p.text
        assert any(refusal in e for e in p.json()["errors"]), p.json()["errors"]
        r = client.post("/api/parks", files=upload(name, path.read_bytes()), data=data,
                        headers=EDIT)
        assert r.status_code == 422 and refusal in r.json()["error"], r.text
    assert snapshot(tiny_geodata) == before
    cli = CliRunner().invoke(main, ["park", "add", str(gpkg), "--layer", "attrs", "--id", "g",
                                    "--name-zh", "丙", "--name-en", "G", "--geodata",
                                    str(tiny_geodata), "--dry-run"])
    assert cli.exit_code == 1 and refusal in cli.output and "Traceback" not in cli.output


def test_a_zipped_shapefile_made_on_a_mac_is_read(client, tmp_path):
    """macOS's Compress adds __MACOSX/._g.shp (a resource fork, not a Shapefile): the
    archive was refused as holding a .shp whose first bytes are not a Shapefile's."""
    z = write_boundary(tmp_path / "plan.zip", truth_polygon())
    members = {}
    with zipfile.ZipFile(z) as zf:
        for name in zf.namelist():
            members[name] = zf.read(name)
            members[f"__MACOSX/._{name}"] = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "
    p = client.post("/api/parks/preview", files=upload("plan.zip", zip_bytes(members)),
                    data=NEW, headers=EDIT).json()
    assert p["ok"], p["errors"]
    # A GDAL virtual file hidden there is still refused.
    members["__MACOSX/._x.vrt"] = b"<OGRVRTDataSource></OGRVRTDataSource>"
    p = client.post("/api/parks/preview", files=upload("plan.zip", zip_bytes(members)),
                    data=NEW, headers=EDIT).json()
    assert not p["ok"] and "GDAL virtual file" in " ".join(p["errors"])


def test_a_stale_version_is_refused_without_leaving_a_lock_file(client, tiny_geodata):
    """A 409 for a stale parks_sha256 said "nothing was written" but had made the lock
    file, in a folder that had none."""
    assert not (tiny_geodata / park_lib.LOCK_NAME).exists()
    before = snapshot(tiny_geodata)
    stale = {"parks_sha256": "0" * 64}
    for r in (client.post("/api/parks", files=upload(), data={**NEW, **stale}, headers=EDIT),
              client.put("/api/parks/alpha", files=upload(), data={"force": "true", **stale},
                         headers=EDIT),
              client.delete("/api/parks/alpha", params={"force": "true", **stale},
                            headers=EDIT),
              client.post("/api/undo", params=stale, headers=EDIT)):
        assert r.status_code == 409, r.text
    assert snapshot(tiny_geodata) == before


def test_messages_hide_the_folder_a_linked_parks_file_lives_in(make_client, tiny_geodata,
                                                                tmp_path):
    """parks.geojson as a link to a shared folder: its lock and temporary files are beside
    the link's target, and messages named them by the server's absolute path."""
    shared = tmp_path / "shared"
    shared.mkdir()
    (tiny_geodata / "parks.geojson").rename(shared / "parks.geojson")
    (tiny_geodata / "parks.geojson").symlink_to(shared / "parks.geojson")
    c = make_client(lock_timeout_s=0.3)
    with park_lib.lock(tiny_geodata):
        r = c.post("/api/parks", files=upload(), data=NEW, headers=EDIT)
    assert r.status_code == 409 and "another qygeo park command" in r.json()["error"]
    assert str(tmp_path) not in r.text and ".parks.geojson.lock" in r.text
