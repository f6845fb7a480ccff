"""``qygeo build``: validate, then every report and every map, with progress on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import snapshot
from qygeo.cli import main

ARGS = ["--basemap", "none", "--as-of", "2025-06-01"]


def run_build(geodata: Path, out: Path, *extra: str):
    return CliRunner().invoke(main, ["build", "--geodata", str(geodata), "-o", str(out),
                                     *ARGS, *extra])


@pytest.mark.slow
def test_build_writes_every_report_and_map(tiny_geodata, tmp_path):
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    res = run_build(tiny_geodata, out, "--self-contained")
    assert res.exit_code == 0, res.output
    assert res.stdout == ""
    err = res.stderr
    for step in ("[1/3] validate", "[2/3] reports", "[3/3] maps", "wrote", "built"):
        assert step in err, step
    assert err.index("[1/3]") < err.index("[2/3]") < err.index("[3/3]")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == [
        "maps/index.html", "maps/parks/alpha.html", "maps/parks/beta.html",
        "maps/parks/beta_child.html", "reports/planting.csv", "reports/report.csv",
        "reports/report.html", "reports/report.json", "reports/report.md",
        "reports/report.xlsx"]
    parks = json.loads((out / "reports" / "report.json").read_text(encoding="utf-8"))
    assert [p["park_id"] for p in parks] == ["alpha", "beta", "beta_child"]
    city = (out / "maps" / "index.html").read_text(encoding="utf-8")
    assert "<script src=" not in city  # --self-contained reached the maps
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_build_quiet_prints_nothing(tiny_geodata, tmp_path):
    res = run_build(tiny_geodata, tmp_path / "out", "-q")
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and res.stderr == ""
    assert (tmp_path / "out" / "maps" / "index.html").exists()


def test_build_stops_when_validation_finds_problems(tiny_geodata, tmp_path):
    parks = tiny_geodata / "parks.geojson"
    parks.write_text(parks.read_text(encoding="utf-8").replace(
        '"park_id":"beta","name_zh":"乙园","name_en":"Beta Park","district_adcode":"441821"',
        '"park_id":"beta","name_zh":"乙园","name_en":"Beta Park","district_adcode":"441802"'),
        encoding="utf-8")
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    res = run_build(tiny_geodata, out)
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert any("parks.geojson" in line and "beta" in line for line in lines), res.stderr
    assert lines[-1].startswith("qygeo: error:") and "nothing built" in lines[-1]
    assert "[2/3]" not in res.stderr
    assert not out.exists()
    assert snapshot(tiny_geodata) == before


def test_build_errors_are_one_line(tmp_path, monkeypatch):
    res = run_build(tmp_path / "nowhere", tmp_path / "out")
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "data folder not found" in res.stderr
    monkeypatch.delenv("TIANDITU_KEY", raising=False)
    (tmp_path / "geodata").mkdir()
    res = CliRunner().invoke(main, ["build", "--geodata", str(tmp_path / "geodata"), "-o",
                                    str(tmp_path / "out"), "--basemap", "tianditu"])
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "TIANDITU_KEY" in res.stderr
    assert not (tmp_path / "out").exists()


def test_build_removes_its_pages_of_parks_no_longer_in_the_data(tiny_geodata, tmp_path):
    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q").exit_code == 0
    pages = out / "maps" / "parks"
    own = (pages / "alpha.html").read_bytes()
    # What the first build would have left of a park removed since (park remove, undo).
    (pages / "gone.html").write_bytes(own)
    others = {"notes.html": b"<p>our notes</p>", "Gone.html": own, "gone.html.bak": own,
              "gone.txt": own}
    for name, data in others.items():
        (pages / name).write_bytes(data)
    (pages / "linked.html").symlink_to(pages / "gone.html.bak")
    res = run_build(tiny_geodata, out)
    assert res.exit_code == 0, res.output
    assert f"removed {pages / 'gone.html'}" in res.stderr
    assert not (pages / "gone.html").exists()
    assert {n: (pages / n).read_bytes() for n in others} == others
    assert (pages / "linked.html").is_symlink()
    assert sorted(p.name for p in pages.glob("*.html")) == [
        "Gone.html", "alpha.html", "beta.html", "beta_child.html", "linked.html", "notes.html"]


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file()}


@pytest.mark.parametrize("read_only", ["reports/report.xlsx", "maps/parks/beta.html"])
def test_a_build_refused_for_one_output_leaves_every_output_of_the_last_build(
        tiny_geodata, tmp_path, read_only):
    """A read-only report.xlsx once failed the build (exit 1) after report.md, .csv,
    .json and .html had been replaced: reports of two runs side by side."""
    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q", "--as-of", "2026-11-01").exit_code == 0
    (out / read_only).chmod(0o444)
    before = _outputs(out)
    res = run_build(tiny_geodata, out, "-q")
    assert res.exit_code == 1
    assert res.stderr.startswith("qygeo: error:") and res.stderr.count("\n") == 1
    assert read_only in res.stderr
    assert _outputs(out) == before
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary file left


@pytest.mark.parametrize("a_file", ["maps", "maps/parks"])
def test_a_build_whose_maps_folder_is_a_file_replaces_no_report(tiny_geodata, tmp_path,
                                                                a_file):
    """OUT/maps (or maps/parks) a regular file: the build replaced every report, then
    failed on the maps ("File exists")."""
    import shutil

    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q", "--as-of", "2026-11-01").exit_code == 0
    shutil.rmtree(out / a_file)
    (out / a_file).write_text("not a folder", encoding="utf-8")
    before = _outputs(out)
    res = run_build(tiny_geodata, out, "-q")
    assert res.exit_code == 1
    assert res.stderr.startswith("qygeo: error:") and res.stderr.count("\n") == 1
    assert f"cannot be written: {out / a_file} is not a folder" in res.stderr, res.stderr
    assert _outputs(out) == before


def test_a_build_s_workbook_warning_names_report_xlsx_not_its_temporary_file(tiny_geodata,
                                                                             tmp_path):
    """A plot's text too long for an Excel cell was warned of as in
    ".report.xlsx.<random>.tmp": build writes the reports under temporary names."""
    data = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    data["features"][0]["properties"]["source"] = "长" * 40_000
    (tiny_geodata / "plots.geojson").write_text(json.dumps(data, ensure_ascii=False),
                                                encoding="utf-8")
    res = run_build(tiny_geodata, tmp_path / "out")
    assert res.exit_code == 0, res.output
    cut = [ln for ln in res.stderr.splitlines() if "an Excel cell holds" in ln]
    assert len(cut) == 1 and cut[0].startswith("qygeo: warning: report.xlsx: text longer"), cut


def test_a_report_that_fails_to_render_replaces_no_report(tiny_geodata, tmp_path, monkeypatch):
    from qygeo.errors import QygeoError
    from qygeo.render import xlsx

    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q", "--as-of", "2026-11-01").exit_code == 0
    before = _outputs(out)

    def broken(report, path, **_):  # build names the output: shown=
        raise QygeoError("no workbook today")

    monkeypatch.setattr(xlsx, "write_xlsx", broken)
    res = run_build(tiny_geodata, out, "-q")
    assert res.exit_code == 1 and "no workbook today" in res.stderr
    assert _outputs(out) == before
    assert not [p for p in out.rglob(".*") if p.is_file()]


def test_a_map_that_fails_to_render_replaces_no_report_and_no_map(tiny_geodata, tmp_path,
                                                                  monkeypatch):
    """The reports used to be replaced before the maps were drawn: a park map that failed
    left this run's reports beside the last run's maps."""
    from qygeo.errors import QygeoError
    from qygeo.render import maps

    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q", "--as-of", "2026-11-01").exit_code == 0
    before = _outputs(out)
    drawn = []
    real = maps.park_map

    def broken(ds, rep, pid, *a, **kw):  # the second park's map fails
        drawn.append(pid)
        if len(drawn) == 2:
            raise QygeoError("no map today")
        return real(ds, rep, pid, *a, **kw)

    monkeypatch.setattr(maps, "park_map", broken)
    res = run_build(tiny_geodata, out, "-q")
    assert res.exit_code == 1 and "no map today" in res.stderr
    assert len(drawn) == 2
    assert _outputs(out) == before
    assert not [p for p in out.rglob(".*") if p.is_file()]  # no temporary file left


def test_build_links_each_map_to_the_report_written_with_it(tiny_geodata, tmp_path):
    """On a first build report.html does not exist yet when the maps are drawn: they are
    written together, and each map links to it all the same."""
    out = tmp_path / "out"
    assert run_build(tiny_geodata, out, "-q").exit_code == 0
    assert "../reports/report.html" in (out / "maps" / "index.html").read_text("utf-8")
    park = next((out / "maps" / "parks").glob("*.html"))
    assert "../../reports/report.html" in park.read_text("utf-8")


def test_a_file_a_map_needs_is_named_when_it_cannot_be_read(tiny_geodata, tmp_path,
                                                            monkeypatch):
    """Drawn as they are written, a page whose script could not be read was reported as
    the output that could not be written ("maps/index.html: cannot write")."""
    import errno

    from qygeo.render import maps

    def missing(ds, rep, *a, **kw):
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", "/x/leaflet.js")

    monkeypatch.setattr(maps, "city_map", missing)
    res = run_build(tiny_geodata, tmp_path / "out", "-q")
    assert res.exit_code == 1
    assert res.stderr.count("\n") == 1 and "/x/leaflet.js: No such file or directory" in (
        res.stderr), res.stderr
    assert "cannot write" not in res.stderr
