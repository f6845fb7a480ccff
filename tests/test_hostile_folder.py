"""A data folder broken by hand: what every command does with it.

A feature without a geometry (``"geometry": null``, or one GDAL drops because a
coordinate is text) in districts or parks: ``validate`` lists it, the commands
that read the folder refuse it in one line and leave the folder as it was, and
``park remove`` can still take such a park out.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import snapshot
from qygeo.cli import main


def _run(*args: object):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.stderr
    return res


def _drop_geometry(path: Path, feature_id: str, id_field: str) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    hit = [f for f in doc["features"] if f["properties"][id_field] == feature_id]
    assert hit, feature_id
    hit[0]["geometry"] = None
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(("layer", "id_field", "feature_id"), [
    ("parks.geojson", "park_id", "alpha"),
    ("districts.geojson", "adcode", "441802"),
])
@pytest.mark.parametrize("command", [["report", "--format", "csv"], ["map", "-o", "{out}"],
                                     ["export", "{out}/x.gpkg"]])
def test_a_feature_without_geometry_is_refused_in_one_line(
        tiny_geodata: Path, tmp_path: Path, layer: str, id_field: str, feature_id: str,
        command: list[str]) -> None:
    _drop_geometry(tiny_geodata / layer, feature_id, id_field)
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    out.mkdir()
    res = _run(*[c.format(out=out) for c in command], "--geodata", tiny_geodata)
    assert res.exit_code == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("qygeo: error:")]
    assert lines == [f"qygeo: error: {tiny_geodata / layer} [{feature_id}]: empty or missing "
                     "geometry (qygeo validate lists every problem)"], res.stderr
    assert snapshot(tiny_geodata) == before
    assert not list(out.iterdir())


def test_validate_lists_a_park_without_geometry_and_only_that(tiny_geodata: Path) -> None:
    _drop_geometry(tiny_geodata / "parks.geojson", "alpha", "park_id")
    res = _run("validate", "--geodata", tiny_geodata)
    assert res.exit_code == 1
    problems = [ln for ln in res.stderr.splitlines()
                if ln.startswith("qygeo: error:") and "problem" not in ln.split(":")[-1]]
    # Its plots name a park that exists: not listed as naming an unknown one.
    assert problems == ["qygeo: error: geodata/parks.geojson [alpha]: empty or missing "
                        "geometry"], res.stderr


def test_park_remove_takes_out_a_park_without_geometry(tiny_geodata: Path) -> None:
    _drop_geometry(tiny_geodata / "parks.geojson", "alpha", "park_id")
    res = _run("park", "remove", "alpha", "--force", "--geodata", tiny_geodata)
    assert res.exit_code == 0, res.stderr
    doc = json.loads((tiny_geodata / "parks.geojson").read_text(encoding="utf-8"))
    assert [f["properties"]["park_id"] for f in doc["features"]] == ["beta", "beta_child"]


@pytest.mark.parametrize(("name", "text", "words"), [
    ("city_stats.csv", "indicator,value,unit,year,status,source,note\n"
                       "achieved_annual_growth,abc,%,2024,actual,test,\n", "not a number: 'abc'"),
    ("targets.csv", "indicator,value\nx,1\n", "missing column(s)"),
])
def test_validate_refuses_the_tables_a_report_would_refuse(tiny_geodata: Path, tmp_path: Path,
                                                           name: str, text: str,
                                                           words: str) -> None:
    (tiny_geodata / "attributes" / name).write_text(text, encoding="utf-8")
    res = _run("validate", "--geodata", tiny_geodata)
    assert res.exit_code == 1
    assert any(name in ln and words in ln for ln in res.stderr.splitlines()), res.stderr
    out = tmp_path / "out"
    res = _run("build", "--geodata", tiny_geodata, "-o", out, "--basemap", "none")
    assert res.exit_code == 1 and "nothing built" in res.stderr, res.stderr


def _set_parent(root: Path, park_id: str, parent: str | None) -> None:
    path = root / "parks.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    for f in doc["features"]:
        if f["properties"]["park_id"] == park_id:
            f["properties"]["parent_park_id"] = parent
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(("park", "parent", "words"), [
    ("beta", "beta_child", "goes round in a cycle (beta → beta_child → beta)"),
    ("beta_child", "nosuch", "parent_park_id 'nosuch' is not a park of parks.geojson"),
    ("beta_child", "alpha", "100.0% of the park lies outside its parent park alpha"),
])
def test_validate_names_a_parent_that_cannot_hold_the_park(tiny_geodata: Path, park: str,
                                                           parent: str, words: str) -> None:
    _set_parent(tiny_geodata, park, parent)
    res = _run("validate", "--geodata", tiny_geodata)
    assert res.exit_code == 1
    assert any(words in ln for ln in res.stderr.splitlines()), res.stderr


@pytest.mark.parametrize(("park", "parent", "chain"), [
    ("beta", "beta_child", "beta → beta_child → beta"),
    # A park its own parent, above a nested park: following beta_child's parents went
    # round for ever (report, map and export hung at 100 % CPU).
    ("beta", "beta", "beta → beta"),
])
@pytest.mark.parametrize("command", [["report", "--format", "json"], ["map", "-o", "{out}"],
                                     ["export", "{out}/x.gpkg"],
                                     ["report", "--plots", "{plots}", "--format", "json"]])
def test_a_parent_cycle_is_refused_in_one_line(tiny_geodata: Path, tmp_path: Path, park: str,
                                               parent: str, chain: str,
                                               command: list[str]) -> None:
    """Which park's figures hold which plots cannot be told: refused as validate and build
    refuse it (the report used to count each park's own plots, without a word)."""
    _set_parent(tiny_geodata, park, parent)
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    out.mkdir()
    plots = tmp_path / "plots.geojson"
    plots.write_bytes((tiny_geodata / "plots.geojson").read_bytes())
    args = [c.format(out=out, plots=plots) for c in command]
    res = _run(*args, "--geodata", tiny_geodata, "-q")
    assert res.exit_code == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("qygeo: error:")]
    first = chain.split(" → ")[0]
    assert lines == [f"qygeo: error: {tiny_geodata / 'parks.geojson'} [{first}]: "
                     f"parent_park_id goes round in a cycle ({chain}): qygeo validate lists "
                     "every problem"], res.stderr
    assert snapshot(tiny_geodata) == before
    assert not list(out.iterdir())


def test_nesting_ends_at_a_cycle_above_a_park() -> None:
    import pandas as pd

    from qygeo.core.metrics import first_parent_cycle, park_descendants

    parks = pd.DataFrame({"park_id": ["a", "b", "c"], "parent_park_id": ["a", "a", "b"]})
    members = park_descendants(parks)  # returned: it looped for ever
    assert members == {"a": {"a", "b", "c"}, "b": {"b", "c"}, "c": {"c"}}
    assert first_parent_cycle(parks) == ["a", "a"]
    assert first_parent_cycle(parks.assign(parent_park_id=[None, "a", "b"])) is None


def test_park_remove_takes_a_park_out_of_a_cycle(tiny_geodata: Path) -> None:
    _set_parent(tiny_geodata, "beta", "beta_child")
    res = _run("park", "remove", "beta_child", "--force", "--geodata", tiny_geodata, "-q")
    assert res.exit_code == 0, res.stderr


def test_a_planting_figure_naming_no_area_or_one_twice(bundled_geodata: Path) -> None:
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import planting_table

    path = bundled_geodata / "attributes" / "planting_figures.csv"
    header = path.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("figure_id,planting_ids,reported_mu,year,source")
    path.write_text(header + "\n"
                    "no_area,;,1000,2024,test,,,actual\n"
                    "twice,qingxin_nanyao_planting;qingxin_nanyao_planting,57500,2024,test,,,"
                    "actual\n",
                    encoding="utf-8")
    rows = planting_table(load_dataset(bundled_geodata)).set_index("figure_id")
    assert math.isnan(rows.loc["no_area", "mapped_mu"])  # n/a, not 0 mu and −100 %
    once = rows.loc["twice", "mapped_mu"]
    assert 50_000 < once < 65_000  # the area measured once (about 57,500 mu), not twice
    res = _run("validate", "--geodata", bundled_geodata)
    assert "[no_area]: planting_ids names no planting area" in res.stderr, res.stderr


def test_an_empty_plots_collection_is_no_plots_for_every_command(tiny_geodata: Path,
                                                                tmp_path: Path) -> None:
    (tiny_geodata / "plots.geojson").write_text('{"type": "FeatureCollection", "features": []}',
                                                encoding="utf-8")
    assert _run("validate", "--geodata", tiny_geodata).exit_code == 0
    assert _run("map", "--geodata", tiny_geodata, "-o", tmp_path / "m", "--basemap", "none",
                "-q").exit_code == 0
    res = _run("report", "--geodata", tiny_geodata, "--format", "json", "-q")
    assert res.exit_code == 0 and all(p["plot_count"] == 0 for p in json.loads(res.stdout))


def _swap_axes(path: Path, feature_id: str, id_field: str) -> int:
    """Swap x and y of one feature's coordinates; its 1-based place in the file."""
    doc = json.loads(path.read_text(encoding="utf-8"))

    def swap(c):
        return [c[1], c[0], *c[2:]] if isinstance(c[0], (int, float)) else [swap(d) for d in c]

    for place, f in enumerate(doc["features"], start=1):
        if f["properties"][id_field] == feature_id:
            f["geometry"]["coordinates"] = swap(f["geometry"]["coordinates"])
            path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
            return place
    raise AssertionError(feature_id)


def test_a_district_with_swapped_axes_among_others_is_told_as_swapped(
        tiny_geodata: Path) -> None:
    """One feature of a reference layer in (lat, lon): the layer's bounds then span both
    and looked like no coordinates at all ("not degrees, no Gauss-Kruger zone"). The
    report and validate now say the axes look swapped and name the feature."""
    place = _swap_axes(tiny_geodata / "districts.geojson", "441802", "adcode")
    before = snapshot(tiny_geodata)
    res = _run("report", "--format", "csv", "--geodata", tiny_geodata)
    assert res.exit_code == 1
    assert (f"latitude and longitude look swapped (x holds ~24, y ~113): swap the axes "
            f"(x is longitude), in some features only (the first: feature #{place})"
            in res.stderr), res.stderr
    assert "Gauss-Kruger" not in res.stderr
    res = _run("validate", "--geodata", tiny_geodata)
    assert res.exit_code == 1
    assert f"in some features only (the first: feature #{place})" in res.output, res.output
    assert snapshot(tiny_geodata) == before


def _bowtie(path: Path, feature_id: str, id_field: str) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    hit = [f for f in doc["features"] if f["properties"][id_field] == feature_id]
    x0, y0, x1, y1 = 113.00, 23.60, 113.05, 23.65
    hit[0]["geometry"] = {"type": "Polygon", "coordinates": [
        [[x0, y0], [x1, y1], [x1, y0], [x0, y1], [x0, y0]]]}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize("command", [["report", "--format", "json"], ["map", "-o", "{out}"],
                                     ["export", "{out}/x.gpkg"]])
def test_a_park_with_a_self_crossing_boundary_is_refused_in_one_line(
        tiny_geodata: Path, tmp_path: Path, command: list[str]) -> None:
    """A bowtie park: GEOS measures it 0 km², and the report printed area 0 and an n/a
    intensity beside its plots, exit 0. It is refused as a park without a geometry is."""
    _bowtie(tiny_geodata / "parks.geojson", "alpha", "park_id")
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    out.mkdir()
    res = _run(*[c.format(out=out) for c in command], "--geodata", tiny_geodata, "-q")
    assert res.exit_code == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("qygeo: error:")]
    assert len(lines) == 1 and lines[0].startswith(
        f"qygeo: error: {tiny_geodata / 'parks.geojson'} [alpha]: invalid geometry "
        "(Self-intersection"), res.stderr
    assert lines[0].endswith("(qygeo validate lists every problem)")
    assert snapshot(tiny_geodata) == before
    assert not list(out.iterdir())
    assert _run("park", "remove", "alpha", "--force", "--geodata", tiny_geodata,
                "-q").exit_code == 0


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("header", "park", "investment", "status"), [
    # "Status" was not the status column: the planned 600 million read as an actual figure
    ("status", "huachuang_zhihuigu", 2.5e8, None),
    # a trailing space hid the column: Guangfo's 28 billion fell to its plots' sum
    ("signed_investment_yuan", "guangfo", 28e9, "estimate"),
])
def test_a_park_stats_header_as_a_spreadsheet_leaves_it_names_its_column(
        bundled_geodata: Path, header: str, park: str, investment: float,
        status: str | None) -> None:
    path = bundled_geodata / "attributes" / "park_stats.csv"
    first = path.read_text(encoding="utf-8").splitlines()[0]
    _edit(path, first, first.replace(header, f" {header.title()} "))
    res = _run("report", "--geodata", bundled_geodata, "--park", park, "--format", "json",
               "--as-of", "2025-06-30", "-q")
    assert res.exit_code == 0, res.stderr
    row = json.loads(res.stdout)[0]
    assert row["investment_yuan"] == investment and row["figures_status"] == status, row


@pytest.mark.parametrize(("table", "old", "new", "words"), [
    ("park_stats.csv", "\nguangfo,2024,", "\n,2024,", "row 2: park_id is empty"),
    ("planting_figures.csv", ",57500,", ",-57500,", "reported_mu is negative: -57500"),
    ("city_stats.csv", "0.085,share per year,2024", "8.5,%,2024",
     "biomedical_output_average_annual_growth is in '%', not 'share per year' or 'share'"),
    ("city_stats.csv", "0.137,share per year,2024,actual", "0.137,share per year,2030年,actual",
     "year is not a year (1900-2100): '2030年'"),
    ("city_stats.csv", "guangdong_biomedical_average_annual_growth,",
     "biomedical_output_average_annual_growth,",
     "biomedical_output_average_annual_growth is given more than once"),
])
def test_attribute_tables_refuse_what_would_reach_the_report_wrong(
        bundled_geodata: Path, table: str, old: str, new: str, words: str) -> None:
    """A row of no park, a negative acreage, a growth in per cent (shown as 850 %), a year
    written 2030年 and a second figure for one indicator: each was read without a word."""
    _edit(bundled_geodata / "attributes" / table, old, new)
    before = snapshot(bundled_geodata)
    res = _run("report", "--geodata", bundled_geodata, "--format", "json", "-q")
    assert res.exit_code == 1
    lines = [ln for ln in res.stderr.splitlines() if ln.startswith("qygeo: error:")]
    assert len(lines) == 1 and words in lines[0], res.stderr
    assert snapshot(bundled_geodata) == before


def test_a_misspelt_target_name_is_told(bundled_geodata: Path) -> None:
    _edit(bundled_geodata / "attributes" / "targets.csv",
          "key_park_land_investment_intensity_target,",
          "key_park_land_investment_intensity_targt,")
    res = _run("report", "--geodata", bundled_geodata, "--format", "json")
    assert res.exit_code == 0
    assert ("attributes/targets.csv has no row key_park_land_investment_intensity_target (is "
            "'key_park_land_investment_intensity_targt' meant?): no park is compared with it"
            ) in res.stderr, res.stderr


@pytest.mark.parametrize(("table", "key"), [
    ("city_stats.csv", "biomedical_output_share_of_gdp"),
    ("targets.csv", "key_park_land_investment_intensity_target"),
    ("planting_figures.csv", "qingxin_2024"),
])
def test_validate_lists_a_figure_row_without_a_source(bundled_geodata: Path, table: str,
                                                      key: str) -> None:
    """Every figure row cites its source (geodata/README.md); validate checked it in
    park_stats.csv only."""
    import csv
    import io

    path = bundled_geodata / "attributes" / table
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    first = next(iter(rows[0]))
    hit = next(r for r in rows if r[first] == key)
    hit["source"] = ""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    res = _run("validate", "--geodata", bundled_geodata)
    assert res.exit_code == 1
    assert f"{bundled_geodata.name}/attributes/{table} [{key}]: empty source" in (
        res.stdout + res.stderr), res.stdout + res.stderr
