"""Tabular and text outputs take data as text (issue #12 items 2, 3, 4, 9).

Hostile names, enterprises, projects, plot ids and sources — formula prefixes,
markdown and HTML markup, pipes, line breaks, control characters, template syntax,
very long text — go into a copy of the tiny data folder, and every report format
is read back with the program that would open it: openpyxl (no formula cell),
the csv module (no cell starts a formula; numbers are numbers), a markdown table
(every row keeps its columns), the terminal (no control character), an HTML parser
(no element or attribute from the data).
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import snapshot, write_tiny
from qygeo import safe_text
from qygeo.cli import main
from qygeo.io import layers

FORMULAS = ["=1+1", '=HYPERLINK("http://evil.example/x","click")', "+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "=cmd|' /C calc'!A0"]
MARKUP = ["a|b", "**bold**", "[link](http://e.example)", "<b>x</b>", "<script>alert(1)</script>",
          "`code`", "~~s~~", "_x_", "\\|"]
CONTROL = ["\x1b]0;pwned\x07", "\x1b[2J", "line\nbreak", "cr\rret", "\x9b2J", "\u202eevil",
           "sep\u2028line", "non\uffffchar", "\ufffeBOM", "alm\u061c"]
TEMPLATE = ["{{ 7*191 }}", "{% if 1 %}T{% endif %}", "{#"]
PIECES = FORMULAS + MARKUP + CONTROL + TEMPLATE

#: Any character but NUL (GDAL ends a string there) and lone surrogates (not UTF-8).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
HOSTILE = st.builds(lambda a, p, b: a + p + b, st.text(CHARS, max_size=4),
                    st.sampled_from(PIECES), st.text(CHARS, max_size=4)) | st.text(
    CHARS, min_size=200, max_size=400)


def _hostile_folder(root: Path, texts: list[str]) -> Path:
    write_tiny(root)
    parks = layers.read_layer(root / "parks.geojson", layers.PARKS)
    parks["name_zh"] = [texts[i % len(texts)] for i in range(len(parks))]
    parks["name_en"] = [texts[(i + 1) % len(texts)] for i in range(len(parks))]
    parks["source"] = texts[0]
    layers.write_layer(parks, root / "parks.geojson", layers.PARKS)
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    plots["project"] = [texts[i % len(texts)] for i in range(len(plots))]
    plots["enterprise"] = [texts[(i + 2) % len(texts)] for i in range(len(plots))]
    plots["land_use"] = texts[-1]
    plots["plot_id"] = [f"{texts[i % len(texts)]}#{i}" for i in range(len(plots))]
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    return root


def _report(root: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(main, ["report", "--geodata", str(root), "--as-of", "2025-06-01",
                                    *args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res.exit_code, res.stdout, res.stderr


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def _check_xlsx(path: Path) -> None:
    wb = load_workbook(path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if safe_text.formula_like(cell.value):
                    assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)


def _check_csv(text: str) -> None:
    rows = list(csv.reader(io.StringIO(text)))
    width = len(rows[0])
    for row in rows:
        assert len(row) == width
        for cell in row:
            assert not safe_text.formula_like(cell) or re.fullmatch(r"-?[0-9.e+-]+", cell), cell


def _check_markdown(text: str) -> None:
    for table in re.split(r"\n\s*\n", text):
        lines = [ln for ln in table.splitlines() if ln.startswith("|")]
        if not lines:
            continue
        widths = {len(re.findall(r"(?<!\\)\|", ln.replace("\\\\", ""))) for ln in lines}
        assert len(widths) == 1, table
    assert "<" not in text.replace("<br>", "")


def _check_terminal(text: str) -> None:
    assert not safe_text.has_control_chars(text.replace("\n", "")), repr(text[:200])


@pytest.mark.slow
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(st.lists(HOSTILE, min_size=2, max_size=5))
def test_hostile_text_stays_text_in_every_format(texts):
    with tempfile.TemporaryDirectory() as tmp:
        root = _hostile_folder(Path(tmp) / "geodata", texts)
        before = snapshot(root)
        code, out, err = _report(root, "--format", "csv")
        assert code == 0, err
        _check_csv(out)
        _check_terminal(err)
        code, out, err = _report(root, "--format", "markdown")
        assert code == 0, err
        _check_markdown(out)
        code, out, err = _report(root, "--format", "table")
        assert code == 0, err
        _check_terminal(out)
        code, out, err = _report(root, "--format", "json")
        assert code == 0, err
        _check_terminal(out)
        parks = {p["park_id"]: p for p in json.loads(out)}
        names = layers.read_layer(root / "parks.geojson", layers.PARKS)
        for pid, name in zip(names["park_id"], names["name_en"], strict=True):
            assert parks[pid]["name_en"] == name  # JSON keeps the exact text
        xlsx = Path(tmp) / "r.xlsx"
        code, _out, err = _report(root, "--format", "xlsx", "-o", str(xlsx))
        assert code == 0, err
        _check_xlsx(xlsx)
        page = Path(tmp) / "r.html"
        code, _out, err = _report(root, "--format", "html", "-o", str(page))
        assert code == 0, err
        parser = _Tags()
        parser.feed(page.read_text(encoding="utf-8"))
        assert not [t for t, _a in parser.tags if t in ("script", "b", "img", "a")
                    and t != "a"], "markup from data became an element"
        assert snapshot(root) == before


@pytest.mark.parametrize("plot_id", MARKUP + CONTROL)
def test_plots_left_out_are_listed_as_text(tmp_path, plot_id):
    # The "Plots left out" table names each row's id and problem, both from the data.
    root = write_tiny(tmp_path / "geodata")
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    plots["plot_id"] = plots["plot_id"].astype(object)
    plots.loc[0, "plot_id"] = plot_id
    plots["invested_yuan"] = plots["invested_yuan"].astype(object)
    plots.loc[0, "invested_yuan"] = f"x{plot_id}"
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    code, out, err = _report(root, "--format", "markdown", "--skip-invalid-plots")
    assert code == 0, err
    assert "Plots left out" in out
    _check_markdown(out)
    code, out, err = _report(root, "--format", "table", "--skip-invalid-plots")
    assert code == 0, err
    assert "Plots left out" in out
    _check_terminal(out)


@pytest.mark.parametrize("text", ["Bendi\uffff", "\ufffeBendi", "a\x0bb"])
def test_text_xml_cannot_hold_is_shown_as_escapes_in_xlsx(tmp_path, text):
    """U+FFFF and U+FFFE are no XML characters: a sheet holding one raw was not
    well-formed, and the workbook could not be opened (Excel offered a repair)."""
    root = write_tiny(tmp_path / "geodata")
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    plots["enterprise"] = text
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    xlsx = tmp_path / "r.xlsx"
    code, _out, err = _report(root, "--format", "xlsx", "-o", str(xlsx))
    assert code == 0, err
    values = {c.value for row in load_workbook(xlsx)["plots"].iter_rows() for c in row}
    assert safe_text.for_terminal(text) in values


def test_text_longer_than_a_cell_ends_in_an_ellipsis_with_a_warning(tmp_path):
    """openpyxl cut a string at Excel's 32,767 characters without a word."""
    root = write_tiny(tmp_path / "geodata")
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    plots["project"] = plots["project"].astype(object)
    plots.loc[0, "project"] = "x" * 40_000 + "END"
    plots.loc[1, "project"] = "y" * 32_767  # fits: kept whole
    layers.write_layer(plots, root / "plots.geojson", layers.PLOTS)
    xlsx = tmp_path / "r.xlsx"
    code, _out, err = _report(root, "--format", "xlsx", "-o", str(xlsx))
    assert code == 0, err
    values = {c.value for row in load_workbook(xlsx)["plots"].iter_rows() for c in row}
    assert "x" * 32_766 + "…" in values and "y" * 32_767 in values
    assert err.count("qygeo: warning: r.xlsx: text longer than the 32,767 characters an Excel "
                     'cell holds is cut there and ends in "…" (plots sheet, column project: '
                     "1 cell)") == 1, err


@pytest.mark.slow
def test_formula_cells_read_back_as_text_with_their_value(tmp_path):
    root = _hostile_folder(tmp_path / "geodata", FORMULAS)
    xlsx = tmp_path / "r.xlsx"
    code, _out, err = _report(root, "--format", "xlsx", "-o", str(xlsx))
    assert code == 0, err
    values = {c.value for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows()
              for c in row}
    assert '=HYPERLINK("http://evil.example/x","click")' in values  # the text, kept whole
    _check_xlsx(xlsx)
    code, out, err = _report(root, "--format", "csv")
    assert code == 0, err
    cells = {c for row in csv.reader(io.StringIO(out)) for c in row}
    assert "'=1+1" in cells and "=1+1" not in cells
    numbers = next(r for r in csv.DictReader(io.StringIO(out)) if r["park_id"] == "alpha")
    assert float(numbers["area_km2"]) > 0  # numbers stay numbers


@pytest.mark.slow
def test_hostile_column_names_of_a_plots_file_stay_text(tmp_path):
    """A plots file's own column names are data: a control character in one once made
    the xlsx report end in openpyxl's IllegalCharacterError traceback."""
    root = write_tiny(tmp_path / "geodata")
    plots = layers.read_layer(root / "plots.geojson", layers.PLOTS)
    names = ['=HYPERLINK("http://evil.example/x","click")', "@SUM(A1:A2)",
             "<img src=x onerror=alert(1)>", "col\x1b]0;pwned\x07", "tab\tname"]
    for i, name in enumerate(names):
        plots[name] = f"v{i}"
    path = tmp_path / "plots.parquet"
    plots.to_parquet(path)  # GeoParquet keeps the names exactly (GDAL would not)
    before = snapshot(root)
    xlsx, page = tmp_path / "r.xlsx", tmp_path / "r.html"
    for fmt, out in (("xlsx", xlsx), ("html", page)):
        code, _out, err = _report(root, "--plots", str(path), "--format", fmt, "-o", str(out))
        assert code == 0, err
        _check_terminal(err)
    _check_xlsx(xlsx)
    header = [c.value for row in load_workbook(xlsx)["plots"].iter_rows(max_row=2)
              for c in row]
    assert names[0] in header and "col\\x1b]0;pwned\\x07" in header
    parser = _Tags()
    parser.feed(page.read_text(encoding="utf-8"))
    assert "img" not in [t for t, _a in parser.tags]
    assert snapshot(root) == before


@pytest.mark.slow
@pytest.mark.parametrize("target", ["folder", "device", "missing_parent"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_output_errors_name_the_output_path_and_leave_no_temporary_file(tmp_path, target, fmt):
    root = write_tiny(tmp_path / "geodata")
    out = {"folder": tmp_path / "adir", "device": Path("/dev/null"),
           "missing_parent": tmp_path / "no" / "such" / "r.out"}[target]
    if target == "folder":
        out.mkdir()
    res = CliRunner().invoke(main, ["report", "--geodata", str(root), "--format", fmt, "-o",
                                    str(out), "-q"])
    if target == "missing_parent":  # created, as mkdir -p would
        assert res.exit_code == 0, res.stderr
        assert out.is_file()
        return
    assert res.exit_code == 1
    assert res.stderr.startswith(f"qygeo: error: {out}: ")
    assert ".tmp" not in res.stderr and "Traceback" not in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()
    assert not list(out.parent.glob(f".{out.name}.*.tmp"))


def test_output_linked_to_a_pipe_is_refused_as_not_a_file(tmp_path):
    # -o /dev/stdout into a pipe: the link resolves to /proc/PID/fd/pipe:[N], a name that
    # does not exist; the output given is a pipe, no file, and is told so.
    import os

    root = write_tiny(tmp_path / "geodata")
    read_end, write_end = os.pipe()
    try:
        out = tmp_path / "stdout"
        out.symlink_to(f"/proc/self/fd/{write_end}")
        res = CliRunner().invoke(main, ["report", "--geodata", str(root), "--format", "csv",
                                        "-o", str(out), "-q"])
    finally:
        os.close(read_end)
        os.close(write_end)
    assert res.exit_code == 1
    assert res.stderr == f"qygeo: error: {out}: is not a regular file: give a file name\n"


def test_disk_full_is_one_line_and_leaves_nothing(tmp_path, monkeypatch):
    import os

    root = write_tiny(tmp_path / "geodata")
    out = tmp_path / "r.xlsx"

    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    res = CliRunner().invoke(main, ["report", "--geodata", str(root), "--format", "xlsx", "-o",
                                    str(out), "-q"])
    assert res.exit_code == 1
    assert res.stderr == f"qygeo: error: {out}: cannot write: No space left on device\n"
    assert not out.exists() and not list(tmp_path.glob(".r.xlsx.*"))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_read_only_output_is_refused_and_a_writable_one_keeps_its_mode(tmp_path, fmt):
    # A rename needs only a writable folder: a chmod 444 -o was replaced, and left 0644.
    root = write_tiny(tmp_path / "geodata")
    out = tmp_path / f"r.{fmt}"
    out.write_text("frozen")
    out.chmod(0o444)
    args = ["report", "--geodata", str(root), "--format", fmt, "-o", str(out), "-q"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1
    assert res.stderr == (f"qygeo: error: {out}: is read-only (mode 0444): make it writable "
                          "or give another name\n")
    assert out.read_text() == "frozen" and out.stat().st_mode & 0o777 == 0o444
    out.chmod(0o640)
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.stderr
    assert out.read_text(errors="replace") != "frozen" and out.stat().st_mode & 0o777 == 0o640


def test_an_output_that_is_a_symbolic_link_is_written_through(tmp_path):
    # -o latest.csv → 2026/report.csv: the link was replaced by a file and the target
    # left stale. It is written through, as parks.geojson is.
    root = write_tiny(tmp_path / "geodata")
    (tmp_path / "2026").mkdir()
    target = tmp_path / "2026" / "report.csv"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    code, _out, err = _report(root, "-o", str(link), "-q")
    assert code == 0, err
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert "alpha" in target.read_text(encoding="utf-8-sig")


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    """A write killed between its temporary file and the rename (kill -9) left
    .NAME.XXXXXXXX.tmp beside the output for good; the next write of that output now
    removes it, and keeps another live process's and files not of this form."""
    import signal
    import subprocess
    import sys
    import textwrap

    from qygeo.io.atomic import atomic_write_text

    out = tmp_path / "report.csv"
    atomic_write_text(out, "old\n")
    killed = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from qygeo.io.atomic import atomic_write_files
        def write(tmp):
            tmp.write_text("half", encoding="utf-8")
            tmp.with_name(tmp.name + "-journal").write_text("j", encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
        atomic_write_files({{Path({str(out)!r}): write}})
    """)
    res = subprocess.run([sys.executable, "-c", killed], capture_output=True)
    assert res.returncode == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir() if p.name != "report.csv")
    assert len(left) == 2 and left[0].startswith(".report.csv.") and left[1].endswith(
        ".tmp-journal"), left
    assert out.read_text(encoding="utf-8") == "old\n"  # the output as it was
    live = tmp_path / f".report.csv.{os.getppid()}.abcd1234.tmp"  # a running process's
    other = tmp_path / ".report.csv.backup.tmp"
    for p in (live, other):
        p.write_text("keep", encoding="utf-8")
    atomic_write_text(out, "new\n")
    assert out.read_text(encoding="utf-8") == "new\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["report.csv", live.name, other.name])


def test_a_writer_that_writes_atomically_itself_makes_no_second_temporary_file(tmp_path):
    """build's report writers write their temporary file with an atomic write of their
    own: a second temporary name (..NAME.PID.X.tmp.PID.Y.tmp) that a kill left for good,
    no write of that output ever removing it. It is now written in place."""
    from qygeo.io.atomic import atomic_write_files, atomic_write_text

    out = tmp_path / "report.md"
    seen: list[list[str]] = []

    def write(tmp: Path) -> None:
        atomic_write_text(tmp, "inner\n")
        seen.append(sorted(p.name for p in tmp_path.iterdir()))

    atomic_write_files({out: write})
    assert len(seen[0]) == 1 and seen[0][0].startswith(".report.md.")  # the one temporary
    assert out.read_text(encoding="utf-8") == "inner\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]


@pytest.mark.parametrize("length", [214, 236, 241, 250])
def test_long_output_names_get_temporary_names_within_255_bytes(tmp_path, length):
    """The process id in a temporary name made outputs of 236–241 bytes fail ("File name
    too long"); the name is now cut in the temporary name, and a killed write's file of
    such a name is still found."""
    from qygeo.io import atomic

    name = "报" * ((length - 4) // 3) + "r" * ((length - 4) % 3) + ".csv"
    assert len(name.encode("utf-8")) == length
    out = tmp_path / name
    atomic.atomic_write_text(out, "a\n")
    left = tmp_path / f".{atomic._temp_part(name)}.999999999.abcdefgh.tmp"
    left.write_text("half", encoding="utf-8")
    atomic.atomic_write_text(out, "b\n")
    assert out.read_text(encoding="utf-8") == "b\n"
    assert [p.name for p in tmp_path.iterdir()] == [name]


def test_a_killed_writers_temporary_file_is_removed_while_it_is_a_zombie(tmp_path):
    """A process killed and not yet reaped is a zombie: signal 0 still reaches it, so its
    temporary files were kept as "another run writing now" by a write that came at once."""
    from qygeo.io.atomic import atomic_write_text

    out = tmp_path / "report.csv"
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child ends at once
        os._exit(0)
    try:
        for _ in range(200):  # until it has exited (a zombie: its parent has not waited)
            if Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1][1:2] == b"Z":
                break
            time.sleep(0.01)
        left = tmp_path / f".report.csv.{pid}.abcd1234.tmp"
        left.write_text("half", encoding="utf-8")
        atomic_write_text(out, "new\n")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report.csv"]
    finally:
        os.waitpid(pid, 0)


def test_a_read_only_output_folder_is_refused_even_for_root(tmp_path, tiny_geodata):
    """chmod 555 on the output folder: root renamed into it and replaced the report, where
    a chmod 444 file is refused."""
    folder = tmp_path / "kept"
    folder.mkdir()
    (folder / "r.csv").write_text("old\n", encoding="utf-8")
    folder.chmod(0o555)
    try:
        for args in (["report", "-o", str(folder / "r.csv")],
                     ["build", "-o", str(folder / "site")]):
            res = CliRunner().invoke(main, [*args, "--geodata", str(tiny_geodata), "-q"])
            assert res.exit_code == 1 and "Traceback" not in res.stderr
            assert (f"its folder {folder} is read-only (mode 0555): make it writable or give "
                    "another name") in res.stderr, res.stderr
        assert sorted(p.name for p in folder.iterdir()) == ["r.csv"]
        assert (folder / "r.csv").read_text(encoding="utf-8") == "old\n"
    finally:
        folder.chmod(0o755)
