"""``qygeo park`` against hostile text and changes that would break the build (issue #12).

Control characters are refused at intake and never printed raw; a change after
which ``qygeo validate`` would fail is refused unless ``--force``; one park id
pattern is checked by validate and ``--park``; the change log survives an
interrupted write (the random kills are in test_parks_crash.py); a symlinked
parks.geojson stays a link; an identical update writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from conftest import snapshot
from qygeo import safe_text
from qygeo.io import atomic
from qygeo.pipeline import parks
from test_parks import invoke, stored, truth_polygon, write_boundary, write_geojson_raw
from test_parks_cli import add_args, refused

ESC = "\x1b"


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    """A boundary in district 441802, clear of every park of tiny_geodata."""
    return write_boundary(tmp_path / "good.geojson", shapely.box(113.10, 23.68, 113.13, 23.71))


# --------------------------------------------------------------------------- control characters


@pytest.mark.parametrize(("option", "value", "codes"), [
    ("--name-en", f"X{ESC}]0;pwned\x07", "U+001B, U+0007"),
    ("--name-zh", "丙园\nalpha  甲园  fake row", "U+000A"),
    ("--name-en", f"Gamma{ESC}[2J", "U+001B"),
    ("--name-en", "Gamma \u202eetirw", "U+202E"),
    ("--name-zh", "A\u200fB", "U+200F"),
    ("--name-zh", "A\u061cB", "U+061C"),  # ARABIC LETTER MARK, a bidi mark like U+200F
    ("--name-en", "Bendi\uffff", "U+FFFF"),  # no XML character: an xlsx could not hold it
    ("--notes", "ok\rfake", "U+000D"),
    ("--source", "\x9bsurvey", "U+009B"),
])
def test_control_characters_in_names_are_refused(tiny_geodata, good, option, value, codes):
    args = add_args(tiny_geodata, good)
    if option in args:
        args[args.index(option) + 1] = value
    else:
        args += [option, value]
    line = refused(tiny_geodata, args, option, codes)
    assert ESC not in line and "\x07" not in line and "\u202e" not in line
    assert not safe_text.has_control_chars(line)


def test_control_characters_in_the_file_name_are_refused(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "b\x1b[2J.geojson", shapely.box(113.10, 23.68, 113.13, 23.71))
    line = refused(tiny_geodata, add_args(tiny_geodata, path), "file name", "U+001B")
    assert ESC not in line


def test_an_id_with_escapes_is_refused_by_the_pattern(tiny_geodata, good):
    line = refused(tiny_geodata, add_args(tiny_geodata, good, f"g{ESC}]0;x\x07"), "--id")
    assert ESC not in line and "\\x1b" in line


def test_update_refuses_control_characters_in_notes(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "a.geojson", shapely.box(113.0, 23.6, 113.05, 23.66))
    refused(tiny_geodata, ["park", "update", "alpha", path, "--notes", f"n{ESC}[2J",
                           "--geodata", tiny_geodata], "--notes", "U+001B")


def _hand_edit_names(geodata: Path, **names: str) -> None:
    path = geodata / "parks.geojson"
    doc = json.loads(path.read_text("utf-8"))
    for f in doc["features"]:
        if f["properties"]["park_id"] == "alpha":
            f["properties"].update(names)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_park_list_never_prints_control_characters(tiny_geodata):
    _hand_edit_names(tiny_geodata, name_en=f"A{ESC}]0;pwned\x07\nbeta  fake", name_zh="甲\u202e园")
    r = invoke("park", "list", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert ESC not in r.stdout and "\x07" not in r.stdout and "\u202e" not in r.stdout
    lines = r.stdout.splitlines()
    assert len(lines) == 2 + 3  # header, rule, three parks: the newline faked no row
    assert "\\x1b]0;pwned\\x07\\nbeta  fake" in lines[2]


def test_park_list_json_escapes_c1_controls_and_keeps_the_value(tiny_geodata):
    name = "A\x9b2J\u202eB 甲"
    _hand_edit_names(tiny_geodata, name_en=name)
    r = invoke("park", "list", "--format", "json", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "\x9b" not in r.stdout and "\u202e" not in r.stdout and "甲" in r.stdout
    assert json.loads(r.stdout)[0]["name_en"] == name


def test_park_list_csv_neutralises_formulas(tiny_geodata):
    _hand_edit_names(tiny_geodata, name_en='=HYPERLINK("http://x","y")', name_zh="@SUM(1)")
    r = invoke("park", "list", "--format", "csv", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    row = next(ln for ln in r.stdout.splitlines() if ln.startswith("alpha,"))
    assert "'@SUM(1)" in row and '"\'=HYPERLINK(""http://x"",""y"")"' in row
    assert ",=" not in r.stdout and ",@" not in r.stdout


@pytest.mark.slow
def test_summary_shows_escapes_of_a_hand_edited_name(tiny_geodata, tmp_path):
    _hand_edit_names(tiny_geodata, name_en=f"A{ESC}[2J")
    path = write_boundary(tmp_path / "a.geojson", shapely.box(113.0, 23.6, 113.05, 23.66))
    r = invoke("park", "update", "alpha", path, "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert ESC not in r.stderr and "A\\x1b[2J" in r.stderr


# --------------------------------------------------------------------------- what breaks the build


@pytest.mark.slow
def test_update_that_leaves_a_plot_outside_is_refused(tiny_geodata, tmp_path):
    # alpha is 113.00–113.05; plot A1 at 113.001–113.004 falls outside; the area only -20 %.
    path = write_boundary(tmp_path / "a.geojson", shapely.box(113.01, 23.60, 113.05, 23.65))
    line = refused(tiny_geodata, ["park", "update", "alpha", path, "--geodata", tiny_geodata],
                   "qygeo validate would then report 1 new problem",
                   "plots.geojson [A1]: 100.0% of the plot lies outside its park alpha",
                   "--force")
    assert "A2" not in line


@pytest.mark.slow
def test_force_accepts_it_and_says_what_breaks(tiny_geodata, tmp_path):
    path = write_boundary(tmp_path / "a.geojson", shapely.box(113.01, 23.60, 113.05, 23.65))
    r = invoke("park", "update", "alpha", path, "--force", "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "accepted with --force" in r.stderr and "[A1]" in r.stderr
    assert invoke("validate", "--geodata", tiny_geodata).exit_code == 1


@pytest.mark.parametrize(("box", "needles"), [
    ((113.12, 23.62, 113.17, 23.67), ("moves its centroid 12,443 m", "-0.0%")),  # 12 km away
    ((113.00, 23.60, 113.05, 23.61), ("-80.0%",)),                              # shrunk
])
def test_update_with_a_big_change_needs_force(tiny_geodata, tmp_path, box, needles):
    path = write_boundary(tmp_path / "a.geojson", shapely.box(*box))
    refused(tiny_geodata, ["park", "update", "alpha", path, "--geodata", tiny_geodata],
            "changes park alpha's area 28.", "more than 50% or 1,000 m", "--force", *needles)


@pytest.mark.slow
def test_issue_scenario_guangqing_moved_away_is_refused(bundled_geodata, tmp_path):
    """issue #12: a small square away from guangqing succeeded (-94 %), then broke the build."""
    path = write_boundary(tmp_path / "sq.geojson", shapely.box(113.0, 23.61, 113.01, 23.62))
    refused(bundled_geodata, ["park", "update", "guangqing", path, "--geodata", bundled_geodata],
            "(-9", "--force")
    r = invoke("park", "update", "guangqing", path, "--force", "--geodata", bundled_geodata)
    assert r.exit_code == 0, r.stderr
    assert "qygeo validate will report 5 new problems" in r.stderr


@pytest.mark.slow
def test_add_into_a_folder_already_failing_validate_is_allowed(tiny_geodata, good):
    """Only new problems refuse a change: an unrelated broken row must not block intake."""
    doc = json.loads((tiny_geodata / "plots.geojson").read_text("utf-8"))
    doc["features"][0]["properties"]["park_id"] = "../../x"
    (tiny_geodata / "plots.geojson").write_text(json.dumps(doc), encoding="utf-8")
    assert invoke("validate", "--geodata", tiny_geodata).exit_code == 1
    r = invoke(*add_args(tiny_geodata, good))
    assert r.exit_code == 0, r.stderr


# --------------------------------------------------------------------------- one id pattern


@pytest.mark.parametrize(("layer", "field"), [("plots.geojson", "park_id"),
                                              ("parks.geojson", "parent_park_id")])
def test_validate_refuses_a_path_like_park_id(tiny_geodata, layer, field):
    path = tiny_geodata / layer
    doc = json.loads(path.read_text("utf-8"))
    doc["features"][0]["properties"][field] = "../../x"
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = invoke("validate", "--geodata", tiny_geodata)
    assert r.exit_code == 1
    assert f"{field} '../../x' is not a valid park id" in r.stderr


def test_validate_refuses_a_bad_park_id_in_park_stats(tiny_geodata):
    path = tiny_geodata / "attributes" / "park_stats.csv"
    path.write_text(path.read_text("utf-8") + "Alpha Park,2022,1,,,row\n", encoding="utf-8")
    r = invoke("validate", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "park_id 'Alpha Park' is not a valid park id" in r.stderr


@pytest.mark.parametrize("command", [["report"], ["map", "-o", "maps_out"]])
def test_park_option_checks_the_pattern(tiny_geodata, tmp_path, command):
    args = [*command, "--park", "../alpha", "--geodata", tiny_geodata]
    if "-o" in args:
        args[args.index("-o") + 1] = str(tmp_path / "maps_out")
    refused(tiny_geodata, args, "--park '../alpha' is not a valid park id")
    assert not (tmp_path / "maps_out").exists()


# --------------------------------------------------------------------------- tracebacks


def test_deeply_nested_json_is_one_line(tiny_geodata, tmp_path):
    path = tmp_path / "deep.geojson"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    refused(tiny_geodata, add_args(tiny_geodata, path), "deep.geojson", "too deeply")


@pytest.mark.slow
@pytest.mark.parametrize("text", ["{bad", "[" * 100_000 + "]" * 100_000, "[1, 2]"])
def test_a_corrupt_history_note_is_one_line(tiny_geodata, good, text):
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    note = parks.history(tiny_geodata)[-1].with_suffix(".json")
    note.write_text(text, encoding="utf-8")
    refused(tiny_geodata, ["park", "undo", "--geodata", tiny_geodata], note.name)


# --------------------------------------------------------------------------- the change log


@pytest.mark.slow
def test_identical_update_makes_no_snapshot(tiny_geodata, tmp_path):
    _, geom = stored(tiny_geodata, "alpha")
    path = write_geojson_raw(tmp_path / "same.geojson", [geom])
    before = snapshot(tiny_geodata)
    r = invoke("park", "update", "alpha", path, "--geodata", tiny_geodata)
    assert r.exit_code == 0, r.stderr
    assert "nothing written, no history snapshot" in r.stderr
    assert snapshot(tiny_geodata) == before and not (tiny_geodata / ".history").exists()


@pytest.mark.slow
def test_symlinked_parks_geojson_stays_a_link(tiny_geodata, good, tmp_path):
    real = tmp_path / "elsewhere" / "parks.geojson"
    real.parent.mkdir()
    (tiny_geodata / "parks.geojson").rename(real)
    (tiny_geodata / "parks.geojson").symlink_to(real)
    original = real.read_bytes()
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    link = tiny_geodata / "parks.geojson"
    assert link.is_symlink() and link.resolve() == real
    assert b'"gamma"' in real.read_bytes()
    assert invoke("park", "undo", "--geodata", tiny_geodata).exit_code == 0
    assert link.is_symlink() and real.read_bytes() == original
    assert not list(real.parent.glob(".*.tmp"))


def test_folders_sharing_a_linked_parks_geojson_share_its_lock(tiny_geodata, good, tmp_path):
    # Two data folders whose parks.geojson links to one file: a per-folder lock let both
    # write at once, and one park was lost.
    from qygeo.errors import GeodataBusyError

    shared = tmp_path / "shared" / "parks.geojson"
    shared.parent.mkdir()
    (tiny_geodata / "parks.geojson").rename(shared)
    other = tmp_path / "other"
    other.mkdir()
    for folder in (tiny_geodata, other):
        (folder / "parks.geojson").symlink_to(shared)
    (other / "districts.geojson").write_bytes((tiny_geodata / "districts.geojson").read_bytes())
    boundary = parks.read_boundary(good)
    before = shared.read_bytes()
    with parks.lock(tiny_geodata):
        with pytest.raises(GeodataBusyError):
            parks.commit(other, lambda st: parks.plan_add(
                st, boundary, park_id="gamma", name_zh="丙", name_en="G"), timeout=0.3)
    assert shared.read_bytes() == before
    assert not (other / parks.LOCK_NAME).exists() and not (tiny_geodata / parks.LOCK_NAME).exists()
    assert parks.lock_path(other) == shared.parent / parks.LOCK_NAME
    parks.commit(other, lambda st: parks.plan_add(
        st, boundary, park_id="gamma", name_zh="丙", name_en="G"))
    r = invoke("park", "undo", "--geodata", other, "--dry-run")
    assert r.exit_code == 0 and "removes park gamma" in r.stdout, r.stderr


def _interrupted_add(geodata: Path, good: Path) -> tuple[bytes, bytes]:
    """The files a kill leaves between the snapshot and parks.geojson, rebuilt by hand."""
    before = (geodata / "parks.geojson").read_bytes()
    assert invoke(*add_args(geodata, good)).exit_code == 0
    after = (geodata / "parks.geojson").read_bytes()
    snap = parks.history(geodata)[-1]
    atomic.atomic_write_bytes(geodata / "parks.geojson", before)
    (geodata / ".history" / parks.JOURNAL_NAME).write_text(json.dumps(
        {"kind": "commit", "action": "add", "park_id": "gamma", "snapshot": snap.name,
         "before": parks._sha(before), "after": parks._sha(after)}), encoding="utf-8")
    (geodata / ".parks.geojson.k1ll3d.tmp").write_bytes(after[:100])
    return before, after


@pytest.mark.slow
def test_an_add_killed_before_parks_geojson_is_rolled_back(tiny_geodata, good):
    before, _ = _interrupted_add(tiny_geodata, good)
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    assert r.exit_code == 1 and "nothing to undo" in r.stderr  # not "edited by hand"
    assert "rolled back the interrupted commit of add gamma" not in r.stderr  # error only
    assert (tiny_geodata / "parks.geojson").read_bytes() == before
    assert parks.history(tiny_geodata) == []
    assert not (tiny_geodata / ".history" / parks.JOURNAL_NAME).exists()
    assert not list(tiny_geodata.glob(".*.tmp"))


def test_park_list_completes_an_add_killed_after_parks_geojson(tiny_geodata, good):
    before, after = _interrupted_add(tiny_geodata, good)
    atomic.atomic_write_bytes(tiny_geodata / "parks.geojson", after)
    r = invoke("park", "list", "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "completed the interrupted commit of add gamma" in r.stderr
    assert not (tiny_geodata / ".history" / parks.JOURNAL_NAME).exists()
    assert not list(tiny_geodata.glob(".*.tmp"))
    assert invoke("park", "undo", "--geodata", tiny_geodata).exit_code == 0
    assert (tiny_geodata / "parks.geojson").read_bytes() == before


def test_a_journal_matching_neither_state_is_refused(tiny_geodata, good):
    _interrupted_add(tiny_geodata, good)
    (tiny_geodata / "parks.geojson").write_bytes(b'{"type":"FeatureCollection","features":[]}')
    refused(tiny_geodata, ["park", "list", "--geodata", tiny_geodata], "neither", "journal.json")


@pytest.mark.parametrize("option", ["--name-zh", "--crs", "--notes"])
def test_a_text_option_that_is_not_utf8_is_a_usage_error(tiny_geodata: Path, tmp_path: Path,
                                                         option: str) -> None:
    # 新桥 in GBK, as a GBK terminal sends it: Python keeps the bytes as lone surrogates.
    gbk = b"\xd0\xc2\xc7\xc5".decode("utf-8", "surrogateescape")
    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    before = snapshot(tiny_geodata)
    args = [*add_args(tiny_geodata, survey), option, gbk]
    r = invoke(*args)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 2 and len(lines) == 1, r.stderr
    assert lines[0] == (f"qygeo: error: {option}: '\\xd0\\xc2\\xc7\\xc5' is not UTF-8 text; "
                        "set the terminal or script to UTF-8")
    assert snapshot(tiny_geodata) == before


def test_a_boundary_file_whose_name_is_not_utf8_is_told_so(tiny_geodata: Path,
                                                           tmp_path: Path) -> None:
    import os

    name = os.fsdecode(b"\xd0\xc2\xc7\xc5.geojson")  # a GBK file name from an old archive
    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    odd = survey.rename(tmp_path / name)
    refused(tiny_geodata, add_args(tiny_geodata, odd), "its name is not UTF-8 text")


def test_a_feature_number_in_other_digits_is_text(tiny_geodata: Path, tmp_path: Path) -> None:
    survey = tmp_path / "two.geojson"
    write_boundary(survey, [truth_polygon(), truth_polygon(cx=113.14)])
    refused(tiny_geodata, [*add_args(tiny_geodata, survey), "--feature", "²"],
            "no feature has an attribute '²'")


@pytest.mark.parametrize("fail_on", ["undone", "parks.geojson"])
def test_an_undo_that_cannot_write_leaves_the_folder_as_it_was(tiny_geodata: Path,
                                                               tmp_path: Path, monkeypatch,
                                                               fail_on: str) -> None:
    import errno

    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    assert invoke(*add_args(tiny_geodata, survey)).exit_code == 0
    before = snapshot(tiny_geodata)
    real = atomic.atomic_write_bytes

    def full_disk(path, data):  # noqa: ANN001, ANN202 - the function it stands in for
        if fail_on in str(path):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", full_disk)
    r = invoke("park", "undo", "--geodata", tiny_geodata)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 1 and len(lines) == 1 and "No space left" in lines[0], r.stderr
    assert snapshot(tiny_geodata) == before
    assert not (tiny_geodata / ".history" / "undone").exists()
    monkeypatch.setattr(atomic, "atomic_write_bytes", real)
    assert invoke("park", "undo", "--geodata", tiny_geodata).exit_code == 0
    assert parks.load_state(tiny_geodata).row("gamma") is None


@pytest.mark.parametrize(("in_the_way", "command"), [
    (".history/undone", ["park", "undo"]),
    (".history", ["park", "remove", "beta"]),
])
def test_a_file_where_a_history_folder_goes_is_named_and_jams_nothing(
        tiny_geodata: Path, good: Path, in_the_way: str, command: list[str]) -> None:
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    if in_the_way == ".history":
        import shutil

        shutil.rmtree(tiny_geodata / ".history")
    (tiny_geodata / in_the_way).write_text("note\n", encoding="utf-8")
    line = refused(tiny_geodata, [*command, "--geodata", tiny_geodata],
                   f"{tiny_geodata / in_the_way} is a file", "move the file away")
    assert "Not a directory" not in line
    r = invoke("park", "list", "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "gamma" in r.stdout, r.stderr


def test_a_rollback_finishes_past_a_file_in_the_way(tiny_geodata: Path, good: Path) -> None:
    # What an undo that failed on a file .history/undone left before: its journal. Every
    # park command then stopped at the rollback, removing undone/<snapshot>.
    assert invoke(*add_args(tiny_geodata, good)).exit_code == 0
    snap = parks.history(tiny_geodata)[-1]
    current = (tiny_geodata / "parks.geojson").read_bytes()
    (tiny_geodata / ".history" / "undone").write_text("note\n", encoding="utf-8")
    (tiny_geodata / ".history" / parks.JOURNAL_NAME).write_text(json.dumps(
        {"kind": "undo", "action": "add", "park_id": "gamma", "snapshot": snap.name,
         "kept_as": snap.name, "before": parks._sha(current),
         "after": parks._sha(snap.read_bytes())}), encoding="utf-8")
    r = invoke("park", "list", "--geodata", tiny_geodata)
    assert r.exit_code == 0 and "rolled back the interrupted undo of add gamma" in r.stderr
    assert not (tiny_geodata / ".history" / parks.JOURNAL_NAME).exists()
    assert (tiny_geodata / ".history" / "undone").read_text(encoding="utf-8") == "note\n"
    assert parks.history(tiny_geodata) == [snap]


def test_a_boundary_of_too_many_vertices_is_refused_before_the_work(tiny_geodata: Path,
                                                                    tmp_path: Path) -> None:
    import numpy as np

    from qygeo.io.boundary import MAX_BOUNDARY_VERTICES

    turn = np.linspace(0, 2 * np.pi, MAX_BOUNDARY_VERTICES + 1, endpoint=False)
    ring = shapely.Polygon(np.c_[113.12 + 0.01 * np.cos(turn), 23.70 + 0.01 * np.sin(turn)])
    assert shapely.get_num_coordinates(ring) > MAX_BOUNDARY_VERTICES
    survey = write_boundary(tmp_path / "survey.geojson", ring)
    refused(tiny_geodata, add_args(tiny_geodata, survey),
            f"more than the {MAX_BOUNDARY_VERTICES:,} a park boundary may have")


@pytest.mark.parametrize(("crs", "datum"), [("EPSG:2383", "Xian 1980"), ("EPSG:4547", None),
                                            ("EPSG:2435", "Beijing 1954"),
                                            ("EPSG:2436", "Beijing 1954")])
def test_a_datum_proj_cannot_shift_is_said_not_silently_taken(tiny_geodata: Path,
                                                              tmp_path: Path, crs: str,
                                                              datum: str | None) -> None:
    # Xian 1980 (2383) has no transformation to WGS84 in PROJ, only its "ballpark";
    # CGCS2000 (4547) is WGS84 to centimetres. Beijing 1954 (2435, 2436) has shifts for
    # the Tarim, Ordos, offshore basins and Tonkin, none for Qingyuan: its ballpark once
    # went unsaid because the first shift of the whole list was not a ballpark.
    survey = write_boundary(tmp_path / "survey.shp", truth_polygon(), crs)
    r = invoke(*add_args(tiny_geodata, survey, "gamma", "--dry-run"))
    assert r.exit_code == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if "knows no datum shift" in ln]
    if datum is None:
        assert notes == [], r.stderr
    else:
        assert len(notes) == 1 and f"from {datum} to WGS84" in notes[0], r.stderr


@pytest.fixture()
def read_only(tiny_geodata: Path, monkeypatch) -> Path:
    """tiny_geodata as on read-only media: every write under it fails with EROFS.

    (The tests may run as root, which chmod does not stop.)
    """
    import errno
    import os

    inside = str(tiny_geodata)
    real_open, real_access = os.open, os.access
    writes = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC

    def ro_open(path, flags, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if flags & writes and os.fspath(path).startswith(inside):
            raise OSError(errno.EROFS, "Read-only file system", os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    def ro_access(path, mode, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if mode & os.W_OK and os.fspath(path).startswith(inside):
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(os, "access", ro_access)
    return tiny_geodata


def test_reading_a_read_only_folder_with_a_stale_temporary_file_works(read_only: Path,
                                                                     good: Path) -> None:
    # Created by the writable copy before it became read-only (the fixture stops os.open).
    stale = read_only / ".parks.geojson.x1y2z3.tmp"
    stale.write_bytes(b"junk")
    before = snapshot(read_only)
    r = invoke("park", "list", "--geodata", read_only)
    notes = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.exit_code == 0 and "alpha" in r.stdout, r.stderr
    assert len(notes) == 1 and f"{stale} is left from an interrupted park command" in notes[0]
    assert "read-only" in notes[0]
    r = invoke(*add_args(read_only, good), "--dry-run")
    assert r.exit_code == 0 and "nothing written" in r.stdout, r.stderr
    r = invoke("park", "remove", "alpha", "--force", "--geodata", read_only)
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert snapshot(read_only) == before


def test_a_read_only_parks_layer_is_refused_and_kept(tiny_geodata, good):
    # os.replace needs only a writable folder: a chmod 444 parks.geojson was replaced
    # (and left 0644) by park add.
    target = tiny_geodata / "parks.geojson"
    target.chmod(0o444)
    refused(tiny_geodata, add_args(tiny_geodata, good), f"{target}: is read-only (mode 0444)")
    assert target.stat().st_mode & 0o777 == 0o444
