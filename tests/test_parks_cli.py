"""``qygeo park`` refusals: one test each, asserting the one-line message, the exit
code and that every file under geodata/ is byte-for-byte unchanged; plus the
notes that are not refusals (Z/M dropped, --fix), --dry-run, and two concurrent
``park add`` processes.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
import shapely
from filelock import FileLock
from shapely.geometry import LineString, Point, Polygon

from conftest import snapshot
from test_parks import (
    invoke,
    stored,
    truth_polygon,
    write_boundary,
    write_geojson_raw,
    write_polygon_m,
)


def refused(geodata: Path, args, *needles: str) -> str:
    """Run ``qygeo *args``; assert one error line holding *needles*, exit 1, nothing changed."""
    before = snapshot(geodata)
    r = invoke(*args)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 1, (r.exit_code, r.stderr)
    assert len(lines) == 1 and lines[0].startswith("qygeo: error: "), r.stderr
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    assert snapshot(geodata) == before
    return lines[0]


def add_args(geodata: Path, file: Path, park_id: str = "gamma", *extra: str) -> list:
    # Each park its own names: park add refuses another park's.
    zh, en = ("丙园", "Gamma Park") if park_id == "gamma" else (f"丙园-{park_id}",
                                                                f"Gamma Park {park_id}")
    return ["park", "add", file, "--id", park_id, "--name-zh", zh, "--name-en", en,
            "--geodata", geodata, *extra]


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    """A valid boundary in district 441802, clear of every park of tiny_geodata."""
    return write_boundary(tmp_path / "good.geojson", truth_polygon())


# --------------------------------------------------------------------------- the file


def test_refuses_a_self_intersecting_boundary(tiny_geodata, tmp_path):
    bowtie = Polygon([(113.10, 23.68), (113.14, 23.72), (113.14, 23.68), (113.10, 23.72)])
    path = write_geojson_raw(tmp_path / "bowtie.geojson", [bowtie])
    refused(tiny_geodata, add_args(tiny_geodata, path), "bowtie.geojson",
            "invalid geometry (Self-intersection", "--fix")


def test_fix_repairs_and_reports_the_area_change(tiny_geodata, tmp_path):
    bowtie = Polygon([(113.10, 23.68), (113.14, 23.72), (113.14, 23.68), (113.10, 23.72)])
    path = write_geojson_raw(tmp_path / "bowtie.geojson", [bowtie])
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--fix"))
    assert r.exit_code == 0, r.stderr
    assert "qygeo: note:" in r.stderr and "repaired invalid geometry" in r.stderr
    assert "km² as drawn" in r.stderr and "km² repaired" in r.stderr
    _, geom = stored(tiny_geodata, "gamma")
    assert geom.is_valid and geom.geom_type == "MultiPolygon"
    # Both lobes as drawn (their signed areas cancelled: "0.0000 km² as drawn"), as repaired.
    drawn, repaired = (float(r.stderr.split(f" km² {w}")[0].rsplit(" ", 1)[1])
                       for w in ("as drawn", "repaired"))
    assert drawn == repaired == pytest.approx(0.04 * 0.04 / 2 * 101.9 * 110.8, rel=0.01)


@pytest.mark.parametrize("geom", [LineString([(113.10, 23.68), (113.14, 23.72)]),
                                  Point(113.12, 23.70)], ids=["line", "point"])
def test_refuses_a_non_polygon(tiny_geodata, tmp_path, geom):
    path = write_geojson_raw(tmp_path / "notarea.geojson", [geom])
    refused(tiny_geodata, add_args(tiny_geodata, path), "notarea.geojson",
            f"is a {geom.geom_type}, not a Polygon or MultiPolygon")


def test_refuses_an_empty_file(tiny_geodata, tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    refused(tiny_geodata, add_args(tiny_geodata, path), "empty.geojson", "is empty (0 bytes)")


def test_refuses_a_file_without_features(tiny_geodata, tmp_path):
    path = tmp_path / "nothing.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path), "nothing.geojson", "no features")


def test_refuses_malformed_json(tiny_geodata, tmp_path):
    path = tmp_path / "broken.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [\n{"type": "Feature",,}]}',
                    encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path), "broken.geojson",
            "malformed JSON at line 2")


def test_refuses_a_missing_file(tiny_geodata, tmp_path):
    refused(tiny_geodata, add_args(tiny_geodata, tmp_path / "nope.shp"), "nope.shp",
            "file not found")


def test_refuses_an_unsupported_format(tiny_geodata, tmp_path):
    path = tmp_path / "drawing.dxf"
    path.write_text("0\nEOF\n", encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path), "drawing.dxf", "unsupported format")


def test_refuses_a_shapefile_without_its_shx(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "lonely.shp", truth_polygon(), "EPSG:4547")
    path.with_suffix(".shx").unlink()
    refused(tiny_geodata, add_args(tiny_geodata, path), "lonely.shx is missing", ".zip")


def test_refuses_several_features_without_dissolve(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "two.geojson",
                          [truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 500)])
    refused(tiny_geodata, add_args(tiny_geodata, path), "two.geojson",
            "holds 2 features (#1 f0, #2 f1)", "--feature", "--dissolve")


@pytest.mark.slow
def test_feature_picks_one_by_number_or_name(tiny_geodata, tmp_path):
    east, west = truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 700)
    path = tmp_path / "two.geojson"
    feats = [{"type": "Feature", "properties": {"name": n, "code": c},
              "geometry": json.loads(shapely.to_geojson(g))}
             for n, c, g in (("东区", "E", east), ("西区", "W", west))]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--feature", "西区"))
    assert r.exit_code == 0, r.stderr
    assert stored(tiny_geodata, "gamma")[1].equals_exact(west, 1e-6)
    r = invoke(*add_args(tiny_geodata, path, "delta", "--feature", "1"))
    assert r.exit_code == 0, r.stderr
    assert stored(tiny_geodata, "delta")[1].equals_exact(east, 1e-6)
    refused(tiny_geodata, add_args(tiny_geodata, path, "eps", "--feature", "北区"),
            "no feature has an attribute '北区'", "#1 东区, #2 西区")
    refused(tiny_geodata, add_args(tiny_geodata, path, "eps", "--feature", "3"),
            "has no feature #3")
    refused(tiny_geodata, add_args(tiny_geodata, path, "eps", "--feature", "1", "--dissolve"),
            "give one of the two")


def test_a_feature_number_that_is_also_a_name_is_refused_and_the_pick_recorded(tiny_geodata,
                                                                               tmp_path):
    # --feature 2 took feature #2 (named "1") although feature #1 is named "2", and nothing
    # printed or recorded said which feature was taken.
    small, large = truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 900)
    path = write_geojson_raw(tmp_path / "parcels.geojson", [small, large])
    doc = json.loads(path.read_text("utf-8"))
    for f, name in zip(doc["features"], ("2", "1"), strict=True):
        f["properties"] = {"name": name, "code": 10 + int(name)}
    path.write_text(json.dumps(doc), encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--feature", "2"),
            "--feature 2 is ambiguous: feature #2 by number, or #1 by its text '2'",
            "--feature '#2' for the number, or --feature name=2 for the text")
    for pick, park_id, want, label in (("#2", "gamma", large, "feature #2 of 2 (name=1)"),
                                       ("name=2", "delta", small, "feature #1 of 2 (name=2)"),
                                       ("code=11", "eps", large, "feature #2 of 2 (name=1)")):
        r = invoke(*add_args(tiny_geodata, path, park_id, "--feature", pick, "--allow-overlap"))
        assert r.exit_code == 0, r.stderr
        assert f"qygeo: note: parcels.geojson: took {label}" in r.stderr
        props, geom = stored(tiny_geodata, park_id)
        assert geom.equals_exact(want, 1e-6)
        assert props["source"] == f"added by qygeo park add from parcels.geojson, {label}"


def test_a_feature_number_that_is_also_a_numeric_attribute_is_refused(tiny_geodata, tmp_path):
    # Parcel numbers in a numeric field (bh = 2, 3, 4): --feature 2 silently took feature
    # #2 (bh = 3), and neither the note nor the park's source said which parcel it was.
    parcels = [truth_polygon(113.12 + 0.03 * i, 23.70, 400) for i in range(3)]
    path = write_geojson_raw(tmp_path / "parcels.geojson", parcels)
    doc = json.loads(path.read_text("utf-8"))
    for i, f in enumerate(doc["features"]):
        f["properties"] = {"bh": i + 2, "area": 1.5}
    path.write_text(json.dumps(doc), encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--feature", "2"),
            "--feature 2 is ambiguous: feature #2 by number, or #1 by its text '2'",
            "--feature '#2' for the number, or --feature bh=2 for the text",
            "(#1 2, #2 3, #3 4)")
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--feature", "#2", "--allow-overlap"))
    assert r.exit_code == 0, r.stderr
    assert "took feature #2 of 3 (bh=3)" in r.stderr
    props, geom = stored(tiny_geodata, "gamma")
    assert geom.equals_exact(parcels[1], 1e-6)
    assert props["source"].endswith("parcels.geojson, feature #2 of 3 (bh=3)")


@pytest.mark.parametrize("pick", ["#" + "9" * 5000, "9" * 5000, "#1000000"])
def test_a_feature_number_of_many_digits_is_refused_in_one_line(tiny_geodata, tmp_path, pick):
    # --feature "#999…" of 5,000 digits: int() refused it (ValueError traceback; 500 on
    # the web), and a message holding the number would be 5,000 characters long.
    path = write_boundary(tmp_path / "two.geojson", [truth_polygon(113.12, 23.70, 500),
                                                     truth_polygon(113.15, 23.72, 500)])
    line = refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--feature", pick),
                   "has no feature #", "it holds 2 (#1 f0, #2 f1)")
    assert len(line) < 300 and ("(5,000 digits)" in line or "#1000000:" in line), line


@pytest.mark.parametrize("field", ["x'$(touch PWNED)'", "名称 a", "a;b", "$HOME", "-n",
                                   # FIELD=TEXT cannot name these: the text's number instead
                                   "a=b", "k\x1bx"])
def test_the_suggested_feature_argument_is_one_shell_word(tiny_geodata, tmp_path, field):
    # The refusal suggested --feature 'FIELD=2' with the file's field name inside single
    # quotes unescaped: a field named x'$(touch PWNED)' made it a command that runs code.
    path = write_geojson_raw(tmp_path / "parcels.geojson",
                             [truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 500)])
    doc = json.loads(path.read_text("utf-8"))
    for f, name in zip(doc["features"], ("2", "3"), strict=True):
        f["properties"] = {field: name}
    path.write_text(json.dumps(doc), encoding="utf-8")
    line = refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--feature", "2"),
                   "is ambiguous")
    number, by_field = re.search(r"pass --feature (.+) for the number, or --feature (.+) "
                                 r"for the text \(", line).groups()
    assert shlex.split(number) == ["#2"]
    # The suggestion works as given: FIELD=TEXT, or #1 (the feature named 2) where the
    # field's name holds "=" or a character the terminal shows escaped.
    plain = "=" not in field and field.isprintable()
    assert shlex.split(by_field) == [f"{field}=2" if plain else "#1"]


@pytest.mark.slow
def test_points_and_lines_beside_one_area_are_left_out_with_a_note(tiny_geodata, tmp_path):
    area = truth_polygon(113.12, 23.70, 500)
    gate = Point(113.12, 23.695)
    path = write_geojson_raw(tmp_path / "park.geojson", [area, gate, LineString(
        [(113.11, 23.69), (113.13, 23.69)])])
    r = invoke(*add_args(tiny_geodata, path))
    assert r.exit_code == 0, r.stderr
    assert "left out 2 feature(s) that are not areas" in r.stderr
    assert stored(tiny_geodata, "gamma")[1].equals_exact(area, 1e-6)


def test_refuses_a_geopackage_with_several_layers_without_layer(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "multi.gpkg", truth_polygon(), "EPSG:4547")
    refused(tiny_geodata, add_args(tiny_geodata, path), "multi.gpkg", "holds 2 layers",
            "boundary", "decoy", "--layer")


def test_refuses_an_unknown_layer(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "multi.gpkg", truth_polygon(), "EPSG:4547")
    refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--layer", "parcels"),
            "multi.gpkg", "has no layer 'parcels'", "boundary, decoy")


# --------------------------------------------------------------------------- the CRS


@pytest.mark.slow
def test_refuses_an_unknown_crs(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "gamma", "--crs", "wgs99"),
            "unknown CRS 'wgs99'", "4547")


@pytest.mark.slow
def test_refuses_projected_numbers_without_crs_with_a_hint(tiny_geodata, tmp_path):
    drawn = write_boundary(tmp_path / "gk.geojson", truth_polygon(), "EPSG:4547")
    doc = json.loads(drawn.read_text("utf-8"))
    doc.pop("crs", None)  # a CAD export: metres, no CRS; GeoJSON then means WGS84
    drawn.write_text(json.dumps(doc), encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, drawn), "gk.geojson", "projected",
            "--crs 4547")


def test_refuses_zone_prefixed_numbers_without_crs_with_a_hint(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "zone.shp", truth_polygon(), "EPSG:4526", prj=False)
    refused(tiny_geodata, add_args(tiny_geodata, path), "zone.shp", "--crs 4526")


def test_refuses_northing_first_survey_numbers_with_a_hint(tiny_geodata, tmp_path):
    gk = write_boundary(tmp_path / "gk.geojson", truth_polygon(), "EPSG:4547")
    geom = shapely.from_geojson(json.dumps(json.loads(gk.read_text("utf-8"))["features"][0]
                                           ["geometry"]))
    path = write_geojson_raw(tmp_path / "xy_table.geojson",
                             [shapely.transform(geom, lambda c: c[:, ::-1])])
    refused(tiny_geodata, add_args(tiny_geodata, path), "xy_table.geojson", "swap X and Y",
            "--crs 4547")


@pytest.mark.parametrize(("declared", "then"), [
    ("EPSG:4547", "they then land in Qingyuan in its CRS (EPSG:4547)"),
    ("EPSG:4546", "then read them as --crs 4547"),
], ids=["right-prj", "wrong-prj"])
def test_northing_first_numbers_with_a_prj_get_the_swap_hint(tiny_geodata, tmp_path, declared,
                                                             then):
    # With its (right) .prj, a northing-first table was refused as "outside Qingyuan,
    # 3054.6 km away" without a word of the swap the same numbers get without one.
    import geopandas as gpd

    gk = gpd.GeoSeries([truth_polygon()], crs="EPSG:4326").to_crs("EPSG:4547")
    path = tmp_path / "nf.shp"
    gpd.GeoDataFrame(geometry=[shapely.transform(g, lambda c: c[:, ::-1]) for g in gk],
                     crs=declared).to_file(path)
    refused(tiny_geodata, add_args(tiny_geodata, path), "nf.shp", "lies outside Qingyuan",
            "its numbers look northing first (X and Y swapped", "swap the two columns", then)


@pytest.mark.parametrize(("drawn", "extra", "needles"), [
    (2383, (), ("lies outside Qingyuan", "they then land in Qingyuan in its CRS (EPSG:2383)")),
    (4526, (), ("do not convert", "they then land in Qingyuan in its CRS (EPSG:4526)")),
    (4547, ("--crs", "4526"), ("do not convert", "then read them as --crs 4547",
                               "the file itself declares EPSG:4547")),
], ids=["xian1980-prj", "zone-prefixed-prj", "zone-prefixed-crs"])
def test_northing_first_numbers_get_the_swap_hint_in_any_crs(tiny_geodata, tmp_path, drawn,
                                                            extra, needles):
    # A zone-prefixed CRS (EPSG:4526 .prj, or --crs 4526) reads the northing-first numbers
    # as not convertible, with no word of the swap; over a right Xian 1980 .prj the hint
    # named --crs 4547 (another datum) instead of the file's own CRS.
    import geopandas as gpd

    gk = gpd.GeoSeries([truth_polygon()], crs="EPSG:4326").to_crs(f"EPSG:{drawn}")
    path = tmp_path / "nf.shp"
    gpd.GeoDataFrame(geometry=[shapely.transform(g, lambda c: c[:, ::-1]) for g in gk],
                     crs=f"EPSG:{drawn}").to_file(path)
    line = refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", *extra), "nf.shp",
                   "its numbers look northing first (X and Y swapped", "swap the two columns",
                   *needles)
    assert extra or "--crs" not in line, line  # its own CRS fits: no other one named


def test_refuses_swapped_latitude_and_longitude(tiny_geodata, tmp_path):
    swapped = shapely.transform(truth_polygon(), lambda c: c[:, ::-1])
    path = write_geojson_raw(tmp_path / "latlon.geojson", [swapped])
    refused(tiny_geodata, add_args(tiny_geodata, path), "latlon.geojson", "swapped")


def test_refuses_degrees_read_as_a_projected_crs(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "gamma", "--crs", "4547"),
            "good.geojson", "look like degrees", "drop --crs")


def test_refuses_the_wrong_zone_and_names_the_right_one(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "gk.shp", truth_polygon(), "EPSG:4547", prj=False)
    refused(tiny_geodata, add_args(tiny_geodata, path, "gamma", "--crs", "4546"),
            "gk.shp", "outside Qingyuan", "--crs 4547")


# --------------------------------------------------------------------------- the place


def test_refuses_a_boundary_outside_qingyuan(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "guangzhou.geojson", truth_polygon(113.26, 23.13))
    refused(tiny_geodata, add_args(tiny_geodata, path), "guangzhou.geojson",
            "lies outside Qingyuan", "km from the nearest district")


def test_refuses_a_district_mismatch(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "gamma", "--district", "441821"),
            "good.geojson", "lies in 441802", "not in --district 441821")


def test_refuses_an_unknown_district(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "gamma", "--district", "441899"),
            "has no district '441899'", "441802")


def test_refuses_a_boundary_across_two_districts(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "border.geojson", truth_polygon(113.2, 23.7, 2000))
    refused(tiny_geodata, add_args(tiny_geodata, path), "border.geojson",
            "lies outside its district", "at most 0.5%")


def test_refuses_a_boundary_partly_outside_the_city(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "edge.geojson", truth_polygon(112.9, 23.65, 2000))
    refused(tiny_geodata, add_args(tiny_geodata, path), "edge.geojson", "outside Qingyuan)")


def test_refuses_a_too_small_boundary(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "plot.geojson", truth_polygon(113.12, 23.70, 40))
    refused(tiny_geodata, add_args(tiny_geodata, path), "plot.geojson",
            "implausible size", "km²", "0.01–500 km²")


def test_refuses_a_too_large_boundary(tiny_geodata, tmp_path):
    huge = shapely.box(112.9, 23.5, 113.2, 23.8)  # the whole district, ~1000 km²
    path = write_boundary(tmp_path / "county.geojson", huge)
    refused(tiny_geodata, add_args(tiny_geodata, path), "county.geojson", "implausible size")


def test_refuses_an_overlap_and_reports_its_area(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "over.geojson", shapely.box(113.04, 23.60, 113.09, 23.65))
    msg = refused(tiny_geodata, add_args(tiny_geodata, path), "over.geojson",
                  "overlaps park alpha (Alpha Park) by", "--allow-overlap")
    km2 = float(msg.split(" by ")[1].split(" km²")[0])
    assert km2 == pytest.approx(5.655, rel=0.01)  # 0.01° × 0.05° at 23.6°N


def test_allow_overlap_accepts_and_reports(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "over.geojson", shapely.box(113.04, 23.60, 113.09, 23.65))
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--allow-overlap"))
    assert r.exit_code == 0, r.stderr
    assert "overlaps   alpha (Alpha Park) by" in r.stderr and "(allowed)" in r.stderr


@pytest.mark.parametrize(("stray", "lies"), [
    (shapely.box(114.50, 24.80, 114.5005, 24.8005), "lies outside Qingyuan, "),
    (shapely.box(113.45, 23.85, 113.4505, 23.8505), "lies 100% in 441821 佛冈县"),
], ids=["outside-qingyuan", "other-district"])
def test_refuses_a_detached_part_outside_the_district(tiny_geodata, tmp_path, stray, lies):
    # A 2,800 m² part 140 km away (or in the next county) is 0.1% of a 3 km² park: the
    # share outside the district was measured on the whole only, and the park was written.
    main = truth_polygon()
    path = write_boundary(tmp_path / "stray.geojson", shapely.MultiPolygon([main, stray]))
    x, y = stray.bounds[:2]
    refused(tiny_geodata, add_args(tiny_geodata, path), "stray.geojson",
            "its part #2 of 2 (2,8", f"centred at {x:.3f}", f"°E {y:.3f}", f"°N) {lies}",
            "every part of a park lies in its district 441802")


def test_a_detached_part_inside_another_park_is_an_overlap_not_a_sliver(tiny_geodata,
                                                                        tmp_path):
    # A 92 m² part inside alpha was under the 100 m² noise limit and "ignored" as a sliver.
    stray = shapely.box(113.02, 23.62, 113.02009, 23.62009)
    path = write_boundary(tmp_path / "stray.geojson",
                          shapely.MultiPolygon([truth_polygon(), stray]))
    refused(tiny_geodata, add_args(tiny_geodata, path), "stray.geojson",
            "overlaps park alpha (Alpha Park) by 0.0001 km²", "with its part #2 of 2 (92 m²",
            "--allow-overlap")
    # A sliver along a shared edge is still noise: 2 m × 44 m of alpha.
    edge = shapely.box(113.05, 23.60, 113.07, 23.65).union(
        shapely.box(113.04998, 23.62, 113.05, 23.6204))
    path = write_boundary(tmp_path / "edge.geojson", edge)
    r = invoke(*add_args(tiny_geodata, path, "gamma", "-n"))
    assert r.exit_code == 0, r.stderr
    assert "slivers    alpha (Alpha Park) by 0.0001 km²" in r.stdout


def test_a_boundary_drawn_on_a_web_map_is_not_recorded_as_surveyed(tiny_geodata, tmp_path):
    # --crs gcj02 (drawn on Amap) was recorded boundary_quality=surveyed, which
    # geodata/README.md keeps for survey / cadastral files, and the datum nowhere.
    from qygeo.io.crs import shift_geometry

    drawn = write_boundary(tmp_path / "amap.geojson",
                           shift_geometry(truth_polygon(), "wgs84_to_gcj02"))
    r = invoke(*add_args(tiny_geodata, drawn, "gamma", "--crs", "gcj02"))
    assert r.exit_code == 0, r.stderr
    assert ("qygeo: note: amap.geojson was drawn in GCJ-02 (Amap/Tencent map coordinates, "
            "--crs gcj02): recorded boundary_quality=approximate") in r.stderr
    props, _ = stored(tiny_geodata, "gamma")
    assert props["boundary_quality"] == "approximate"
    assert props["source"] == ("added by qygeo park add from amap.geojson, drawn in GCJ-02 "
                               "(Amap/Tencent map coordinates, --crs gcj02)")
    r = invoke("park", "update", "gamma", drawn, "--crs", "bd09", "--force", "--geodata",
               tiny_geodata)
    assert r.exit_code == 0, r.stderr
    props, _ = stored(tiny_geodata, "gamma")
    assert props["boundary_quality"] == "approximate"
    assert props["source"].startswith("boundary from amap.geojson, drawn in BD-09 (Baidu")
    r = invoke(*add_args(tiny_geodata, drawn, "delta", "--crs", "gcj02", "--quality",
                         "surveyed", "--allow-overlap"))
    assert r.exit_code == 0 and "recorded boundary_quality" not in r.stderr, r.stderr
    assert stored(tiny_geodata, "delta")[0]["boundary_quality"] == "surveyed"


# --------------------------------------------------------------------------- the ids


def test_refuses_a_duplicate_id(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "alpha"),
            "park id 'alpha' already exists", "qygeo park update alpha")


def test_refuses_a_new_id_with_an_existing_park_s_names(tiny_geodata, good, tmp_path):
    # An "add instead of update" slip: a second park named 甲园 / Alpha Park was written,
    # and report --park 甲园 was refused as ambiguous from then on.
    args = ["park", "add", good, "--id", "alpha2", "--name-zh", "甲园", "--name-en",
            "alpha park ", "--geodata", tiny_geodata]
    refused(tiny_geodata, args, "--name-zh and --name-en are the names of park alpha "
            "(甲园 / Alpha Park)", "run qygeo park update alpha FILE", "--force")
    refused(tiny_geodata, [*args[:6], "新园", *args[7:]],
            "--name-en is the name of park alpha", "--force")
    r = invoke(*args, "--force")
    assert r.exit_code == 0, r.stderr
    assert "--name-zh and --name-en are the names of park alpha" in r.stderr
    assert "accepted with --force" in r.stderr


def test_refuses_an_invalid_id(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "New Park"),
            "--id 'New Park' is not a valid park id")


def test_update_refuses_an_unknown_id(tiny_geodata, good):
    refused(tiny_geodata, ["park", "update", "omega", good, "--geodata", tiny_geodata],
            "unknown park 'omega'", "alpha, beta, beta_child")


def test_remove_refuses_an_unknown_id(tiny_geodata):
    refused(tiny_geodata, ["park", "remove", "omega", "--geodata", tiny_geodata],
            "unknown park 'omega'")


def test_remove_refuses_a_park_still_named_elsewhere(tiny_geodata):
    refused(tiny_geodata, ["park", "remove", "beta", "--geodata", tiny_geodata],
            "still named by", "nested parks: beta_child", "plots.geojson", "--force")


def test_undo_refuses_like_remove_a_park_still_named_elsewhere(tiny_geodata, good):
    # park remove refused it, but park undo of the add took the park away from under a
    # park_stats row, and qygeo validate failed afterwards.
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text("utf-8") + "gamma,2024,100000000,,,test row\n",
                     encoding="utf-8")
    refused(tiny_geodata, ["park", "remove", "gamma", "--geodata", tiny_geodata],
            "still named by attributes/park_stats.csv")
    refused(tiny_geodata, ["park", "undo", "--geodata", tiny_geodata],
            "undo add gamma refused: qygeo validate would then report 1 new problem",
            "park_id 'gamma' is not a park", "--force")
    r = invoke("park", "undo", "-n", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "undo add gamma refused" in r.stderr
    r = invoke("park", "undo", "--force", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "accepted with --force; qygeo validate will report 1 new problem" in r.stderr
    assert '"gamma"' not in (tiny_geodata / "parks.geojson").read_text("utf-8")


def test_update_refuses_a_boundary_in_another_district(tiny_geodata, good):
    refused(tiny_geodata, ["park", "update", "beta", good, "--geodata", tiny_geodata],
            "lies in 441802", "not in park beta's district 441821", "--district 441802")


@pytest.mark.slow
def test_update_refuses_an_overlap(tiny_geodata, good, tmp_path):
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    path = write_boundary(tmp_path / "big_alpha.geojson", shapely.box(113.0, 23.6, 113.15, 23.7))
    refused(tiny_geodata, ["park", "update", "alpha", path, "--geodata", tiny_geodata],
            "big_alpha.geojson", "overlaps park gamma (Gamma Park)")


def test_refuses_an_unknown_parent(tiny_geodata, good):
    refused(tiny_geodata, add_args(tiny_geodata, good, "gamma", "--parent", "omega"),
            "unknown park 'omega' (--parent)")


# --------------------------------------------------------------------------- notes, dry run


def test_z_coordinates_are_dropped_with_a_note(tiny_geodata, tmp_path):
    z = shapely.force_3d(truth_polygon(), 35.0)
    path = write_boundary(tmp_path / "with_z.shp", z, "EPSG:4547")
    r = invoke(*add_args(tiny_geodata, path))
    assert r.exit_code == 0, r.stderr
    assert "qygeo: note: with_z.shp: dropped Z coordinates" in r.stderr
    _, geom = stored(tiny_geodata, "gamma")
    assert not geom.has_z


@pytest.mark.slow
@pytest.mark.parametrize("with_z", [False, True], ids=["PolygonM", "PolygonZM"])
def test_m_coordinates_are_dropped_with_a_note(tiny_geodata, tmp_path, with_z):
    ring = list(truth_polygon().exterior.coords)[::-1]  # Shapefile rings are clockwise
    path = write_polygon_m(tmp_path / "measured.shp", ring, list(range(len(ring))), with_z=with_z)
    r = invoke(*add_args(tiny_geodata, path))
    assert r.exit_code == 0, r.stderr
    which = "Z and M" if with_z else "M"
    assert f"dropped {which} coordinates" in r.stderr
    _, geom = stored(tiny_geodata, "gamma")
    assert not geom.has_z and not shapely.has_m(geom)


def test_quiet_silences_notes_and_summary(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "with_z.geojson", shapely.force_3d(truth_polygon(), 1.0))
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--quiet"))
    assert r.exit_code == 0 and r.stderr == "" and r.stdout == ""


def test_dry_run_prints_the_change_and_writes_nothing(tiny_geodata, good):
    before = snapshot(tiny_geodata)
    r = invoke(*add_args(tiny_geodata, good, "gamma", "--dry-run"))
    assert r.exit_code == 0, r.stderr
    assert snapshot(tiny_geodata) == before
    out = r.stdout
    assert out.startswith("dry run: add park gamma (丙园 / Gamma Park)")
    assert "km² =" in out and " mu (equal-area)" in out
    assert "441802 清城区 Qingcheng District (derived from the boundary" in out
    assert "overlaps   none" in out and "nothing written" in out


@pytest.mark.slow
def test_dry_run_of_remove_and_update(tiny_geodata, good):
    before = snapshot(tiny_geodata)
    r = invoke("park", "remove", "alpha", "--force", "--dry-run", "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "remove park alpha" in r.stdout
    assert "still named by plots.geojson (2 features)" in r.stderr
    path = write_boundary(good.parent / "a2.geojson", truth_polygon(113.025, 23.625, 2000))
    r = invoke("park", "update", "alpha", path, "--dry-run", "--force",  # -70 % of the area
               "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "replace the boundary of park alpha" in r.stdout
    assert "→" in r.stdout and "centroid moved" in r.stdout
    assert snapshot(tiny_geodata) == before


def test_help_lists_the_subcommands():
    r = invoke("park", "--help")
    assert r.exit_code == 0
    for cmd in ("add", "update", "remove", "list", "undo"):
        assert cmd in r.stdout
    r = invoke("park", "add", "--help")
    for opt in ("--crs", "--layer", "--dissolve", "--fix", "--allow-overlap", "--dry-run",
                "--district", "gcj02"):
        assert opt in r.stdout
    # --force also accepts another park's name on add: the help did not say so.
    force = " ".join(r.stdout.split()).split("--force", 1)[1].split("--source", 1)[0]
    assert "a name another park has" in force and "big change of area" in force


# --------------------------------------------------------------------------- concurrency


def _spawn(geodata: Path, file: Path, park_id: str) -> subprocess.Popen:
    code = "from qygeo.cli import main; main()"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen(
        [sys.executable, "-c", code, "park", "add", str(file), "--id", park_id,
         "--name-zh", park_id, "--name-en", park_id, "--geodata", str(geodata), "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _check_both(geodata: Path, procs) -> None:
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
    doc = json.loads((geodata / "parks.geojson").read_text("utf-8"))
    ids = [f["properties"]["park_id"] for f in doc["features"]]
    assert ids == ["alpha", "beta", "beta_child", "p_one", "p_two"]
    assert invoke("validate", "--geodata", geodata).exit_code == 0
    assert len(list((geodata / ".history").glob("parks-*.geojson"))) == 2


@pytest.fixture()
def two_boundaries(tmp_path):
    return (write_boundary(tmp_path / "one.geojson", truth_polygon(113.12, 23.70, 900)),
            write_boundary(tmp_path / "two.shp", truth_polygon(113.50, 23.90, 900), "EPSG:4547"))


@pytest.mark.slow
def test_two_concurrent_adds_both_land(tiny_geodata, two_boundaries):
    one, two = two_boundaries
    procs = [_spawn(tiny_geodata, one, "p_one"), _spawn(tiny_geodata, two, "p_two")]
    _check_both(tiny_geodata, procs)


@pytest.mark.slow
def test_concurrent_adds_wait_for_the_lock(tiny_geodata, two_boundaries):
    """Both writers are held at the lock, then go one after the other: nothing lost."""
    one, two = two_boundaries
    before = (tiny_geodata / "parks.geojson").read_bytes()
    lock = FileLock(str(tiny_geodata / ".parks.geojson.lock"))
    with lock:
        procs = [_spawn(tiny_geodata, one, "p_one"), _spawn(tiny_geodata, two, "p_two")]
        time.sleep(3.0)  # long enough for both to read, plan and reach the lock
        assert all(p.poll() is None for p in procs), "a writer did not wait for the lock"
        assert (tiny_geodata / "parks.geojson").read_bytes() == before
    _check_both(tiny_geodata, procs)


def test_park_list_takes_quiet_like_every_command(tiny_geodata):
    r = invoke("park", "list", "-q", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "alpha" in r.stdout and r.stderr == ""


@pytest.mark.parametrize("cpg", ["UTF-8", "System", "", "65001", "ANSI 936",
                                 # not text encodings: tracebacks, or base64 misread names
                                 "hex", "rot13", "zlib", "uu", "base64", "bz2", "quopri",
                                 # text encodings whose decoders raise UnicodeError itself
                                 "undefined", "UTF-16",
                                 # single-byte encodings that decode any bytes (the
                                 # attributes were dropped without a word), unknown to GDAL
                                 "mac-roman", "palmos"])
def test_a_gbk_shapefile_whose_cpg_is_wrong_or_vague_names_its_features(tiny_geodata, tmp_path,
                                                                         cpg):
    # A .cpg of UTF-8 over GBK text (or one GDAL does not understand: QGIS's System, empty,
    # 65001, ANSI 936) was trusted: naming the features raised pyarrow's "Wrapping … failed".
    # A .cpg naming a codec that is not a text encoding (hex, base64) was followed too.
    import pyogrio

    from qygeo.io import shapefile

    path = tmp_path / "parcels.shp"
    pyogrio.write_dataframe(
        __import__("geopandas").GeoDataFrame(
            {"名称": ["东区", "西区"]}, crs="EPSG:4326",
            geometry=[truth_polygon(113.12, 23.70, 500), truth_polygon(113.15, 23.72, 500)]),
        path, encoding="GBK")
    assert "东区".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    assert shapefile.encoding(path) == ("gbk" if cpg == "ANSI 936" else "GB18030")
    refused(tiny_geodata, add_args(tiny_geodata, path), "holds 2 features (#1 东区, #2 西区)")
    r = invoke(*add_args(tiny_geodata, path, "gamma", "--feature", "西区"))
    assert r.exit_code == 0, r.stderr
    assert stored(tiny_geodata, "gamma")[1].centroid.x > 113.14


def test_a_cpg_the_text_agrees_with_is_followed(tmp_path):
    # UTF-8 said plainly and true is GDAL's to read; a code page is named for GDAL; a
    # claim the text does not decode in (东区 in UTF-8 is not BIG5) is not followed.
    import geopandas as gpd

    from qygeo.io import shapefile

    path = tmp_path / "p.shp"
    frame = gpd.GeoDataFrame({"名称": ["东区"]}, geometry=[truth_polygon()], crs="EPSG:4326")
    frame.to_file(path, encoding="UTF-8")
    for cpg, want in (("UTF-8", None), ("utf8", None), ("65001", "utf-8"), ("System", "UTF-8"),
                      ("BIG5", "UTF-8")):
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
        assert shapefile.encoding(path) == want, cpg
    frame.to_file(path, encoding="GBK")
    for cpg, want in (("936", "gbk"), ("GBK", "gbk"), ("GB18030", "gb18030")):
        path.with_suffix(".cpg").write_text(cpg, encoding="ascii")
        assert shapefile.encoding(path) == want, cpg


@pytest.mark.parametrize("name", ["nope", "hex", "rot13", "base64", "uu"])
@pytest.mark.parametrize("extra", [("--feature", "f1"), ()], ids=["feature", "one-feature"])
def test_an_unknown_encoding_is_named_as_such(tiny_geodata, tmp_path, extra, name):
    # --encoding nope was reported as the file failing to decode ('utf-8' codec can't
    # decode …), and ignored altogether on a file whose attributes were not read.
    # hex, rot13, base64, uu (codecs, not text encodings) passed: a traceback or misread names.
    two = write_boundary(tmp_path / "two.shp", [truth_polygon(113.12, 23.70, 500),
                                               truth_polygon(113.15, 23.72, 500)])
    one = write_boundary(tmp_path / "one.shp", truth_polygon())
    refused(tiny_geodata, add_args(tiny_geodata, two if extra else one, "gamma",
                                   "--encoding", name, *extra),
            f"unknown text encoding {name!r} (--encoding): try GB18030, GBK")
