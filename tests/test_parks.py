"""``qygeo park``: round trips through every input format and CRS, the written file,
history and undo, and the new park showing up in validate and report.

The helpers at the top (writing a boundary in a given format and CRS, measuring
geodesic area and displacement) are shared with test_parks_cli.py and
test_parks_property.py. Every input is generated in tmp_path; nothing comes
from the network.
"""

from __future__ import annotations

import json
import math
import struct
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely
from click.testing import CliRunner
from pyproj import Geod, Transformer
from shapely.geometry import Polygon, shape

from conftest import snapshot
from qygeo.cli import main
from qygeo.io.crs import shift_geometry
from qygeo.pipeline import parks

GEOD = Geod(ellps="WGS84")
#: UTM zone 49N (108°E–114°E) for displacements in metres.
UTM49 = Transformer.from_crs("EPSG:4326", "EPSG:32649", always_xy=True)

ADD = ("--name-zh", "丙园", "--name-en", "Gamma Park")


# --------------------------------------------------------------------------- helpers


def truth_polygon(cx: float = 113.12, cy: float = 23.70, r_m: float = 1200.0, n: int = 9,
                  seed: int = 4) -> Polygon:
    """An irregular star-shaped WGS84 polygon around (cx, cy), radii r_m·[0.6, 1.0]."""
    rng = np.random.default_rng(seed)
    ang = np.sort(rng.uniform(0, 2 * np.pi, n))
    rad = r_m * rng.uniform(0.6, 1.0, n)
    dlat = rad * np.sin(ang) / 110_900.0
    dlon = rad * np.cos(ang) / (111_320.0 * math.cos(math.radians(cy)))
    return Polygon(list(zip(cx + dlon, cy + dlat, strict=True)))


def geodesic_area_m2(geom) -> float:
    return abs(GEOD.geometry_area_perimeter(geom)[0])


def displacement_m(a, b) -> float:
    """Hausdorff distance between two WGS84 geometries, metres (UTM 49N)."""
    return shapely.transform(a, lambda c: np.column_stack(UTM49.transform(c[:, 0], c[:, 1]))) \
        .hausdorff_distance(
            shapely.transform(b, lambda c: np.column_stack(UTM49.transform(c[:, 0], c[:, 1]))))


def in_crs(geom, crs):
    """*geom* (WGS84) drawn in *crs*: an EPSG code/string, "gcj02" or "bd09"."""
    if crs in ("gcj02", "bd09"):
        return shift_geometry(geom, f"wgs84_to_{crs}")
    return gpd.GeoSeries([geom], crs="EPSG:4326").to_crs(crs).iloc[0]


def write_geojson_raw(path: Path, geoms, props=None) -> Path:
    """A GeoJSON FeatureCollection without a crs member, numbers as given."""
    feats = [{"type": "Feature", "properties": props or {"name": f"f{i}"},
              "geometry": json.loads(shapely.to_geojson(g))} for i, g in enumerate(geoms)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


def write_boundary(path: Path, geoms, crs="EPSG:4326", *, prj: bool = True,
                   layer: str | None = None) -> Path:
    """Write WGS84 *geoms* drawn in *crs* to *path*; the format follows the suffix.

    ``.geojson`` keeps the CRS (GDAL writes a crs member unless WGS84), ``.shp``
    writes a .prj unless ``prj=False``, ``.zip`` zips a Shapefile, ``.gpkg``
    writes *layer* plus a decoy layer, ``.kml`` claims WGS84 whatever the numbers.
    For gcj02/bd09 the numbers are shifted and the file says WGS84.
    """
    if not isinstance(geoms, (list, tuple)):
        geoms = [geoms]
    drawn = [in_crs(g, crs) for g in geoms]
    file_crs = "EPSG:4326" if crs in ("gcj02", "bd09") else crs
    gdf = gpd.GeoDataFrame({"name": [f"f{i}" for i in range(len(drawn))]}, geometry=drawn,
                           crs=file_crs)
    suffix = path.suffix.lower()
    if suffix == ".zip":
        inner = path.parent / f"{path.stem}_shp"
        inner.mkdir()
        shp = write_boundary(inner / f"{path.stem}.shp", geoms, crs, prj=prj)
        with zipfile.ZipFile(path, "w") as zf:
            for part in sorted(inner.iterdir()):
                zf.write(part, part.name)
        del shp
        return path
    if suffix == ".kmz":  # a zipped KML, as Google Earth and Ovi/2bulu export it
        kml = write_boundary(path.with_suffix(".kml"), geoms, crs)
        with zipfile.ZipFile(path, "w") as zf:
            zf.write(kml, "doc.kml")
        kml.unlink()
        return path
    if suffix == ".gpkg":
        pyogrio.write_dataframe(gdf, path, layer=layer or "boundary", driver="GPKG")
        decoy = gpd.GeoDataFrame({"name": ["decoy"]}, geometry=[drawn[0].buffer(-1e-9)],
                                 crs=file_crs)
        pyogrio.write_dataframe(decoy, path, layer="decoy", driver="GPKG", append=True)
        return path
    driver = {".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "ESRI Shapefile",
              ".kml": "KML"}[suffix]
    pyogrio.write_dataframe(gdf, path, driver=driver)
    if suffix == ".shp" and not prj:
        path.with_suffix(".prj").unlink()
    return path


def write_polygon_m(path: Path, ring, ms, *, with_z: bool = False) -> Path:
    """A one-record Shapefile of type PolygonM (25) or PolygonZ with M (15), WGS84.

    pyogrio cannot write M values, so the .shp/.shx are written by hand (ESRI
    Shapefile Technical Description, 1998); the .dbf/.prj come from pyogrio.
    """
    gpd.GeoDataFrame({"name": ["m"]}, geometry=[Polygon(ring)], crs="EPSG:4326").to_file(path)
    xs, ys = [p[0] for p in ring], [p[1] for p in ring]
    n = len(ring)
    stype = 15 if with_z else 25
    box = struct.pack("<4d", min(xs), min(ys), max(xs), max(ys))
    body = struct.pack("<i", stype) + box + struct.pack("<2i", 1, n) + struct.pack("<i", 0)
    body += b"".join(struct.pack("<2d", x, y) for x, y in zip(xs, ys, strict=True))
    if with_z:
        body += struct.pack("<2d", 0, 0) + struct.pack(f"<{n}d", *([0.0] * n))
    body += struct.pack("<2d", min(ms), max(ms)) + struct.pack(f"<{n}d", *ms)
    rec = struct.pack(">2i", 1, len(body) // 2) + body

    def header(words: int) -> bytes:
        return (struct.pack(">7i", 9994, 0, 0, 0, 0, 0, words) + struct.pack("<2i", 1000, stype)
                + box + struct.pack("<4d", 0, 0, min(ms), max(ms)))

    path.write_bytes(header((100 + len(rec)) // 2) + rec)
    path.with_suffix(".shx").write_bytes(header(54) + struct.pack(">2i", 50, len(body) // 2))
    return path


def invoke(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def add(geodata: Path, file: Path, park_id: str = "gamma", *extra: str):
    return invoke("park", "add", file, "--id", park_id, *ADD, "--geodata", geodata, *extra)


def stored(geodata: Path, park_id: str):
    """(properties, shapely geometry) of *park_id* in geodata/parks.geojson."""
    doc = json.loads((geodata / "parks.geojson").read_text("utf-8"))
    for f in doc["features"]:
        if f["properties"]["park_id"] == park_id:
            return f["properties"], shape(f["geometry"])
    raise AssertionError(f"{park_id} not in parks.geojson")


# --------------------------------------------------------------------------- round trips

CASES = [
    # (file name, CRS the boundary is drawn in, --crs given, other options)
    ("wgs84.geojson", "EPSG:4326", None, ()),
    ("cgcs2000.geojson", "EPSG:4490", None, ()),
    ("gk114_crs_member.geojson", "EPSG:4547", None, ()),
    ("gk114.shp", "EPSG:4547", None, ()),
    ("gk114_noprj.shp", "EPSG:4547", "4547", ()),
    ("gk111.shp", "EPSG:4546", None, ()),
    ("zone38.zip", "EPSG:4526", None, ()),
    ("zone38_noprj.zip", "EPSG:4526", "EPSG:4526", ()),
    ("gk114.gpkg", "EPSG:4547", None, ("--layer", "boundary")),
    ("cgcs2000.gpkg", "EPSG:4490", None, ("--layer", "boundary")),
    ("drawn.kml", "EPSG:4326", None, ()),
    ("drawn.kmz", "EPSG:4326", None, ()),
    ("amap.kml", "gcj02", "gcj02", ()),
    ("amap.geojson", "gcj02", "gcj02", ()),
    ("baidu.geojson", "bd09", "bd09", ()),
]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "drawn_in", "crs", "extra"), CASES,
                         ids=[c[0] for c in CASES])
def test_round_trip_keeps_area_and_place(tiny_geodata, tmp_path, name, drawn_in, crs, extra):
    truth = truth_polygon()
    path = write_boundary(tmp_path / name, truth, drawn_in, prj="noprj" not in name)
    args = [*extra] + (["--crs", crs] if crs else [])
    r = add(tiny_geodata, path, "gamma", *args)
    assert r.exit_code == 0, r.stderr
    props, geom = stored(tiny_geodata, "gamma")
    assert geom.is_valid and geom.geom_type == "Polygon"
    err = geodesic_area_m2(geom) / geodesic_area_m2(truth) - 1
    assert abs(err) < 0.001, f"area off by {err:.4%}"
    assert displacement_m(geom, truth) < 3.0
    assert props["district_adcode"] == "441802"
    assert props["source_file"] == path.name
    web = {"gcj02": "GCJ-02", "bd09": "BD-09"}.get(crs or "")  # drawn on a web map
    assert props["boundary_quality"] == ("approximate" if web else "surveyed")
    source = f"added by qygeo park add from {path.name}"
    assert props["source"].startswith(f"{source}, drawn in {web} (") if web else (
        props["source"] == source)
    assert len(props["source_sha256"]) == 64


def test_round_trip_errors_are_tiny_per_crs(tmp_path):
    """Library level, no rounding to disk: the conversion itself is exact to centimetres."""
    truth = truth_polygon()
    for crs, opt in (("EPSG:4547", None), ("EPSG:4526", None), ("EPSG:4490", None),
                     ("gcj02", "gcj02"), ("bd09", "bd09")):
        path = write_boundary(tmp_path / f"{crs.replace(':', '')}.geojson", truth, crs)
        b = parks.read_boundary(path, crs=opt)
        area_err = geodesic_area_m2(b.geometry) / geodesic_area_m2(truth) - 1
        assert abs(area_err) < 1e-4, (crs, area_err)
        assert displacement_m(b.geometry, truth) < 1.0, crs


@pytest.mark.slow
def test_source_sha256_is_the_hash_of_the_file_given(tiny_geodata, tmp_path):
    import hashlib

    path = write_boundary(tmp_path / "b.zip", truth_polygon(), "EPSG:4547")
    assert add(tiny_geodata, path).exit_code == 0
    props, _ = stored(tiny_geodata, "gamma")
    assert props["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert props["source_file"] == "b.zip"


@pytest.mark.slow
def test_shapefile_hash_is_of_the_shp(tiny_geodata, tmp_path):
    import hashlib

    path = write_boundary(tmp_path / "b.shp", truth_polygon(), "EPSG:4547")
    assert add(tiny_geodata, path).exit_code == 0
    props, _ = stored(tiny_geodata, "gamma")
    assert props["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_dissolve_makes_one_multipolygon(tiny_geodata, tmp_path):
    a, b = truth_polygon(113.12, 23.70, 600), truth_polygon(113.15, 23.72, 600, seed=7)
    path = write_boundary(tmp_path / "two.gpkg", [a, b], "EPSG:4547")
    r = add(tiny_geodata, path, "gamma", "--dissolve", "--layer", "boundary")
    assert r.exit_code == 0, r.stderr
    assert "dissolved 2 features" in r.stderr
    _, geom = stored(tiny_geodata, "gamma")
    assert geom.geom_type == "MultiPolygon" and len(geom.geoms) == 2
    assert geodesic_area_m2(geom) == pytest.approx(geodesic_area_m2(a) + geodesic_area_m2(b),
                                                   rel=1e-3)


@pytest.mark.slow
def test_options_are_recorded(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "b.geojson", truth_polygon())
    r = add(tiny_geodata, path, "gamma", "--kind", "medicine_park", "--quality", "official",
            "--source", "Qingyuan NRB plan 2025", "--notes", "phase 1", "--district", "441802")
    assert r.exit_code == 0, r.stderr
    props, _ = stored(tiny_geodata, "gamma")
    assert props["kind"] == "medicine_park" and props["boundary_quality"] == "official"
    assert props["source"] == "Qingyuan NRB plan 2025" and props["notes"] == "phase 1"
    import datetime as dt

    assert props["added_on"] == dt.date.today().isoformat()


@pytest.mark.slow
def test_exterior_rings_are_counter_clockwise(tiny_geodata, tmp_path):
    # Shapefiles store exterior rings clockwise; RFC 7946 wants them counter-clockwise.
    path = write_boundary(tmp_path / "b.shp", truth_polygon(), "EPSG:4547")
    assert add(tiny_geodata, path).exit_code == 0
    _, geom = stored(tiny_geodata, "gamma")
    assert geom.exterior.is_ccw


# --------------------------------------------------------------------------- the file written


def test_git_diff_shows_only_the_new_park(tiny_geodata, tmp_path):
    before = (tiny_geodata / "parks.geojson").read_text("utf-8").splitlines()
    path = write_boundary(tmp_path / "b.geojson", truth_polygon())
    assert add(tiny_geodata, path, "aardvark").exit_code == 0  # sorts first: no comma churn
    after = (tiny_geodata / "parks.geojson").read_text("utf-8").splitlines()
    added_lines = [ln for ln in after if ln not in before]
    assert len(after) == len(before) + 1
    assert len(added_lines) == 1 and '"park_id":"aardvark"' in added_lines[0]


@pytest.mark.slow
def test_unchanged_parks_are_copied_byte_for_byte(bundled_geodata, tmp_path):
    before = (bundled_geodata / "parks.geojson").read_text("utf-8").splitlines()
    boundary = free_boundary(bundled_geodata, "441802")
    path = write_boundary(tmp_path / "b.geojson", boundary)
    assert add(bundled_geodata, path, "zz_new").exit_code == 0
    after = (bundled_geodata / "parks.geojson").read_text("utf-8").splitlines()
    strip = [ln.rstrip(",") for ln in after]
    assert all(ln.rstrip(",") in strip for ln in before)
    assert len(after) == len(before) + 1


@pytest.mark.slow
def test_add_then_remove_restores_the_same_bytes(tiny_geodata, tmp_path):
    original = (tiny_geodata / "parks.geojson").read_bytes()
    path = write_boundary(tmp_path / "b.geojson", truth_polygon())
    assert add(tiny_geodata, path).exit_code == 0
    assert invoke("park", "remove", "gamma", "--geodata", tiny_geodata).exit_code == 0
    assert (tiny_geodata / "parks.geojson").read_bytes() == original


@pytest.mark.slow
def test_output_is_deterministic(tmp_path):
    from conftest import write_tiny

    texts = []
    for i in range(2):
        gd = write_tiny(tmp_path / f"g{i}")
        path = write_boundary(tmp_path / f"b{i}.shp", truth_polygon(), "EPSG:4547")
        path = path.rename(tmp_path / f"b{i}.shp")
        assert add(gd, path).exit_code == 0
        texts.append((gd / "parks.geojson").read_text("utf-8").replace(f"b{i}.shp", "B"))
    assert texts[0] == texts[1]


def test_lock_file_is_ignored_by_git():
    import subprocess

    from conftest import REPO

    for rel in ("geodata/.parks.geojson.lock", "geodata/.history/parks-x.geojson",
                "geodata/.parks.geojson.x1y2z3.tmp", "shared/.parks.geojson.lock"):
        p = subprocess.run(["git", "check-ignore", "-q", rel], cwd=REPO)
        assert p.returncode == 0, f"{rel} is not ignored by git"


# --------------------------------------------------------------------------- update, remove, undo


@pytest.mark.slow
def test_update_replaces_the_boundary_and_keeps_the_attributes(tiny_geodata, tmp_path):
    new = truth_polygon(113.025, 23.625, 2500)  # alpha sits at 113.00–113.05, 23.60–23.65
    path = write_boundary(tmp_path / "alpha2025.shp", new, "EPSG:4547")
    # -54 % of alpha's area, and plot A1 left outside: only with --force, which says so.
    r = invoke("park", "update", "alpha", path, "--geodata", tiny_geodata, "--force")
    assert r.exit_code == 0, r.stderr
    assert "-53.6%" in r.stderr and "[A1]: 100.0% of the plot lies outside its park" in r.stderr
    props, geom = stored(tiny_geodata, "alpha")
    assert (props["name_zh"], props["name_en"], props["kind"]) == ("甲园", "Alpha Park",
                                                                   "industrial_park")
    assert props["district_adcode"] == "441802"
    assert props["source_file"] == "alpha2025.shp" and props["boundary_quality"] == "surveyed"
    assert props["source"].startswith("boundary from alpha2025.shp (qygeo park update ")
    assert props["source"].endswith("; earlier: test")
    assert displacement_m(geom, new) < 3
    assert "centroid moved" in r.stderr


@pytest.mark.slow
def test_update_twice_keeps_only_the_original_source(tiny_geodata, tmp_path):
    for i in (1, 2):
        path = write_boundary(tmp_path / f"a{i}.geojson", truth_polygon(113.025, 23.625, 2000 + i))
        # -70 % of alpha's area, plot A1 left outside: --force
        assert invoke("park", "update", "alpha", path, "--force",
                      "--geodata", tiny_geodata).exit_code == 0
    props, _ = stored(tiny_geodata, "alpha")
    assert props["source"].count("earlier") == 1 and props["source"].endswith("earlier: test")


@pytest.mark.slow
def test_update_of_a_parent_may_contain_its_nested_park(tiny_geodata, tmp_path):
    # beta_child (113.31–113.33, 23.71–23.73) lies in beta; beta's new boundary still holds it.
    new = shapely.box(113.295, 23.695, 113.405, 23.805)  # +21 % (more needs --force)
    path = write_boundary(tmp_path / "beta.geojson", new)
    r = invoke("park", "update", "beta", path, "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr


def test_parent_allows_a_park_inside_another(tiny_geodata, tmp_path):
    inner = truth_polygon(113.35, 23.76, 500)  # inside beta, clear of beta_child
    path = write_boundary(tmp_path / "inner.geojson", inner)
    r = add(tiny_geodata, path, "beta_two", "--parent", "beta")
    assert r.exit_code == 0, r.stderr
    props, _ = stored(tiny_geodata, "beta_two")
    assert props["parent_park_id"] == "beta" and props["district_adcode"] == "441821"


@pytest.mark.slow
def test_remove_with_force_even_when_referenced(tiny_geodata):
    r = invoke("park", "remove", "beta_child", "--force", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "beta_child" not in (tiny_geodata / "parks.geojson").read_text("utf-8")


@pytest.mark.slow
def test_undo_restores_the_previous_version_step_by_step(tiny_geodata, tmp_path):
    v0 = (tiny_geodata / "parks.geojson").read_bytes()
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    v1 = (tiny_geodata / "parks.geojson").read_bytes()
    r = invoke("park", "remove", "gamma", "--geodata", tiny_geodata)
    assert r.exit_code == 0
    assert len(parks.history(tiny_geodata)) == 2
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "brings back park gamma" in r.stderr
    assert (tiny_geodata / "parks.geojson").read_bytes() == v1
    assert invoke("park", "undo", "--geodata", tiny_geodata).exit_code == 0
    assert (tiny_geodata / "parks.geojson").read_bytes() == v0
    # The undone versions are kept, not lost.
    kept = (tiny_geodata / ".history" / "undone").glob("parks-*.geojson")
    assert sorted(k.read_bytes() for k in kept) == sorted([v1, v0])
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "nothing to undo" in r.stderr


@pytest.mark.slow
def test_undo_refuses_to_lose_a_hand_edit(tiny_geodata, tmp_path):
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    path = tiny_geodata / "parks.geojson"
    path.write_text(path.read_text("utf-8").replace("Alpha Park", "Alpha Park (edited)"), "utf-8")
    before = snapshot(tiny_geodata)
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "changed since" in r.stderr and "--force" in r.stderr
    assert snapshot(tiny_geodata) == before
    assert invoke("park", "undo", "--force", "--geodata", tiny_geodata).exit_code == 0


@pytest.mark.slow
def test_undo_dry_run_writes_nothing(tiny_geodata, tmp_path):
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    before = snapshot(tiny_geodata)
    r = invoke("park", "undo", "--dry-run", "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "removes park gamma" in r.stdout
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_history_snapshot_holds_the_previous_bytes(tiny_geodata, tmp_path):
    v0 = (tiny_geodata / "parks.geojson").read_bytes()
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    (snap,) = parks.history(tiny_geodata)
    assert snap.read_bytes() == v0
    assert snap.name.startswith("parks-") and snap.name.endswith("Z.geojson")
    meta = json.loads(snap.with_suffix(".json").read_text("utf-8"))
    assert meta["action"] == "add" and meta["park_id"] == "gamma"


@pytest.mark.slow
def test_a_held_lock_makes_a_writer_wait_then_give_up(tiny_geodata, tmp_path):
    from qygeo.errors import GeodataBusyError

    boundary = parks.read_boundary(write_boundary(tmp_path / "a.geojson", truth_polygon()))
    before = (tiny_geodata / "parks.geojson").read_bytes()
    with parks.lock(tiny_geodata):
        with pytest.raises(GeodataBusyError, match="another qygeo park command"):
            parks.commit(tiny_geodata, lambda st: parks.plan_add(
                st, boundary, park_id="gamma", name_zh="丙", name_en="G"), timeout=0.3)
    assert (tiny_geodata / "parks.geojson").read_bytes() == before


@pytest.mark.slow
def test_commit_replans_on_what_is_on_disk(tiny_geodata, tmp_path):
    """A change planned on an older state is re-planned under the lock: nothing lost."""
    b1 = parks.read_boundary(write_boundary(tmp_path / "a.geojson", truth_polygon()))
    b2 = parks.read_boundary(write_boundary(tmp_path / "b.geojson",
                                            truth_polygon(113.5, 23.9, 800)))
    calls = []

    def plan(st):
        calls.append(len(st.features))
        if len(calls) == 1:  # between the preview and the write, someone else adds a park
            parks.commit(tiny_geodata, lambda s: parks.plan_add(
                s, b2, park_id="other", name_zh="他", name_en="Other"))
        return parks.plan_add(st, b1, park_id="gamma", name_zh="丙", name_en="G")

    parks.commit(tiny_geodata, plan)
    ids = [f["properties"]["park_id"] for f in
           json.loads((tiny_geodata / "parks.geojson").read_text("utf-8"))["features"]]
    assert ids == ["alpha", "beta", "beta_child", "gamma", "other"]
    assert calls == [3, 4]


# --------------------------------------------------------------------------- list, validate, report


@pytest.mark.slow
def test_list_shows_the_parks(tiny_geodata, tmp_path):
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    r = invoke("park", "list", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    for text in ("alpha", "beta_child", "gamma", "丙园", "441802 清城区", "surveyed", "km²", "mu"):
        assert text in r.stdout
    rows = json.loads(invoke("park", "list", "--format", "json", "--geodata",
                             tiny_geodata).stdout)
    gamma = next(r for r in rows if r["park_id"] == "gamma")
    assert gamma["area_km2"] == pytest.approx(geodesic_area_m2(truth_polygon()) / 1e6, rel=1e-3)
    assert gamma["area_mu"] == pytest.approx(gamma["area_km2"] * 1500, rel=1e-6)
    assert gamma["added_on"] and gamma["boundary_quality"] == "surveyed"
    csv = invoke("park", "list", "--format", "csv", "--geodata", tiny_geodata).stdout
    assert csv.startswith("park_id,name_zh,name_en,district_adcode")


@pytest.mark.slow
def test_validate_and_report_include_the_new_park(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "a.shp", truth_polygon(), "EPSG:4547")
    assert add(tiny_geodata, path).exit_code == 0
    r = invoke("validate", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "parks 4" in r.stderr
    r = invoke("report", "--geodata", tiny_geodata, "--format", "json", "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    gamma = next(p for p in json.loads(r.stdout) if p["park_id"] == "gamma")
    assert gamma["district_adcode"] == "441802"
    assert gamma["area_km2"] == pytest.approx(geodesic_area_m2(truth_polygon()) / 1e6, rel=1e-3)
    assert gamma["investment_yuan"] is None and gamma["plot_count"] == 0
    assert gamma["intensity_yuan_per_km2"] is None


# --------------------------------------------------------------------------- bundled data


def free_boundary(geodata: Path, adcode: str, half_m: float = 600.0):
    """A square of side 2·half_m inside district *adcode* and clear of every park."""
    from qygeo.io import layers

    d = layers.load_layer(geodata, layers.DISTRICTS)
    p = layers.load_layer(geodata, layers.PARKS)
    district = d.loc[d["adcode"] == adcode].geometry.iloc[0]
    taken = shapely.union_all(list(p.geometry.values)).buffer(0.01)
    minx, miny, maxx, maxy = district.bounds
    dy = half_m / 110_900.0
    for y in np.linspace(miny, maxy, 25)[1:-1]:
        dx = half_m / (111_320.0 * math.cos(math.radians(y)))
        for x in np.linspace(minx, maxx, 25)[1:-1]:
            sq = shapely.box(x - dx, y - dy, x + dx, y + dy)
            if district.buffer(-0.01).contains(sq) and not sq.intersects(taken):
                return sq
    raise AssertionError("no free spot")


@pytest.mark.slow
def test_bundled_add_validate_report(bundled_geodata, tmp_path):
    boundary = free_boundary(bundled_geodata, "441803")
    path = write_boundary(tmp_path / "qingxin_new.shp", boundary, "EPSG:4547")
    r = add(bundled_geodata, path, "qingxin_new", "--kind", "medicine_park")
    assert r.exit_code == 0, r.stderr
    assert "441803" in r.stderr
    r = invoke("validate", "--geodata", bundled_geodata)
    assert r.exit_code == 0, r.stderr
    r = invoke("report", "--geodata", bundled_geodata, "--park", "qingxin_new", "--format",
               "json")
    assert r.exit_code == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert row["district_adcode"] == "441803" and row["plot_count"] == 0


def test_bundled_overlap_names_the_park(bundled_geodata, tmp_path):
    from qygeo.io import layers

    p = layers.load_layer(bundled_geodata, layers.PARKS)
    guangfo = p.loc[p["park_id"] == "guangfo"].geometry.iloc[0]
    c = guangfo.representative_point()
    path = write_boundary(tmp_path / "inside.geojson", truth_polygon(c.x, c.y, 800))
    before = snapshot(bundled_geodata)
    r = add(bundled_geodata, path, "gf_inner")
    assert r.exit_code == 1 and "overlaps park guangfo" in r.stderr and "km²" in r.stderr
    assert snapshot(bundled_geodata) == before


@pytest.mark.slow
def test_map_includes_the_new_park(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "a.kml", truth_polygon())
    assert add(tiny_geodata, path).exit_code == 0
    out = tmp_path / "maps"
    r = invoke("map", "--geodata", tiny_geodata, "-o", out, "--basemap", "none", "--as-of",
               "2025-06-01", "-q")
    assert r.exit_code == 0, r.stderr
    assert (out / "parks" / "gamma.html").exists()
    city = (out / "index.html").read_text("utf-8")
    assert '"id": "gamma"' in city or '"id":"gamma"' in city


def test_first_park_of_an_empty_folder(tiny_geodata, tmp_path):
    (tiny_geodata / "parks.geojson").unlink()
    (tiny_geodata / "plots.geojson").unlink()
    (tiny_geodata / "attributes" / "park_stats.csv").unlink()
    assert add(tiny_geodata, write_boundary(tmp_path / "a.geojson", truth_polygon())).exit_code == 0
    props, _ = stored(tiny_geodata, "gamma")
    assert props["district_adcode"] == "441802"
    assert invoke("validate", "--geodata", tiny_geodata).exit_code == 0
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "nothing to undo" in r.stderr


def test_list_table_aligns_chinese_names(tiny_geodata):
    from qygeo.render.format import display_width as _display_width

    out = invoke("park", "list", "--geodata", tiny_geodata).stdout.splitlines()
    header, rows = out[0], out[2:]
    col = _display_width(header[:header.index("name ")])
    for row, name in zip(rows, ("Alpha Park", "Beta Park", "Beta Child Park"), strict=True):
        assert _display_width(row[:row.index(name)]) == col
