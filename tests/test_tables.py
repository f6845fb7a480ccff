"""Tables an analyst opens as they are (issue #15, item 3): the workbook, the CSV, -o formats."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import stat

import openpyxl
import pytest
from click.testing import CliRunner

from conftest import snapshot
from qygeo.cli import main
from qygeo.render.format import display_width

AS_OF = "2026-01-01"


def report(folder, *args):
    return CliRunner().invoke(main, ["report", "--geodata", str(folder), "--as-of", AS_OF, "-q",
                                     *args])


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    from conftest import BUNDLED

    out = tmp_path_factory.mktemp("xlsx") / "r.xlsx"
    res = report(BUNDLED, "-o", str(out))  # the format from the extension
    assert res.exit_code == 0, res.output
    return out, openpyxl.load_workbook(out)


def columns(ws):
    return [c.value for c in ws[2]]


def cell(ws, key, row=3):
    return ws.cell(row, columns(ws).index(key) + 1)


def test_headers_are_chinese_and_english_with_units_over_the_code_names(workbook):
    _, wb = workbook
    parks = wb["parks"]
    top = [c.value for c in parks[1]]
    i = columns(parks).index("intensity_yi_per_km2")
    assert top[i].startswith("投资强度") and "Investment intensity" in top[i]
    assert top[i].endswith("(亿元/km²)")
    plots = wb["plots"]
    assert [c.value for c in plots[1]][columns(plots).index("idle_reason")] == "认定理由 Reason"
    assert all(c.font.bold for c in parks[1])


def test_numbers_have_formats_and_dates_no_time(workbook):
    _, wb = workbook
    parks = wb["parks"]
    guangfo = [c.value for c in parks["A"]].index("guangfo") + 1
    money = cell(parks, "investment_yuan", guangfo)
    assert money.value == 28_000_000_000 and money.number_format == "#,##0"
    assert cell(parks, "intensity_yi_per_km2", guangfo).number_format == "#,##0.00"
    share = cell(parks, "idle_share", guangfo)
    assert 0 < share.value < 1 and share.number_format == "0.0%"
    assert cell(parks, "area_km2", guangfo).number_format == "#,##0.000"
    assert cell(parks, "year", guangfo).number_format == "0"
    plots = wb["plots"]
    agreed = cell(plots, "agreed_start_date")
    assert agreed.is_date and agreed.number_format == "yyyy-mm-dd"
    assert agreed.value.time() == dt.time()  # a date, stored without a time of day


def test_header_frozen_filter_over_the_table_and_widths_that_fit(workbook):
    _, wb = workbook
    for ws in wb.worksheets:
        rows = ws.max_row
        assert ws.freeze_panes in ("A3", "B3"), ws.title
        assert ws.auto_filter.ref == f"A2:{ws.cell(2, ws.max_column).column_letter}{rows}"
    parks = wb["parks"]
    name = columns(parks).index("name_zh") + 1
    letter = parks.cell(1, name).column_letter
    longest = max(display_width(str(c.value)) for c in parks[letter][1:])
    assert parks.column_dimensions[letter].width >= longest  # CJK counted double


def test_sources_sheet_and_no_empty_sheets(workbook):
    _, wb = workbook
    assert "sources" in wb.sheetnames and "config" not in wb.sheetnames
    assert all(ws.max_row > 2 for ws in wb.worksheets)  # every sheet has rows
    rows = {(r[0], r[1]): r[2] for r in wb["sources"].iter_rows(min_row=3, values_only=True)}
    assert rows[("report", "idle_as_of")] == AS_OF and rows[("report", "engine")] == "default"
    assert rows[("report", "qygeo_version")]
    assert "§4.2.3" in rows[("sources.parks", "guangfo")]
    # The figures shown beside the parks' have theirs too: the indicators' Guangdong 2019
    # benchmarks and the growth achieved (they were missing).
    assert "72.92%" in rows[("sources.targets.csv", "guangdong_dev_zone_land_development_rate")]
    assert "§3.1.1" in rows[("sources.city_stats.csv", "biomedical_output_average_annual_growth")]
    left_out = [r[2] for r in wb["sources"].iter_rows(min_row=3, values_only=True)
                if r[1] == "sheet_without_rows"]
    assert left_out and not set(left_out) & set(wb.sheetnames)


def test_workbook_has_the_mode_of_other_outputs(workbook, tmp_path):
    path, _ = workbook
    other = tmp_path / "other.txt"
    other.write_text("x")
    assert stat.S_IMODE(os.stat(path).st_mode) == stat.S_IMODE(os.stat(other).st_mode)


def test_csv_has_a_bom_full_precision_and_chinese_as_excel_reads_it(tiny_geodata, tmp_path):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    text = stats.read_text("utf-8")
    stats.write_text(text.replace("1000000000", "28123456789", 1), encoding="utf-8")
    out = tmp_path / "r.csv"
    res = report(tiny_geodata, "-o", str(out))
    assert res.exit_code == 0, res.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    body = raw.decode("utf-8-sig")  # what Excel does with a BOM
    assert "e+" not in body and "E+" not in body
    rows = list(csv.DictReader(io.StringIO(body)))
    assert "28123456789" in {r["investment_yuan"] for r in rows} | {
        r["output_yuan"] for r in rows}
    assert {r["name_zh"] for r in rows} & {"甲园", "乙园"}
    # to stdout (a pipe into a script) there is no BOM, and the same rows
    piped = report(tiny_geodata, "--format", "csv")
    assert not piped.stdout.startswith("\ufeff")
    assert list(csv.DictReader(io.StringIO(piped.stdout))) == rows


@pytest.mark.parametrize(("name", "check"), [
    ("r.csv", lambda b: b.startswith(b"\xef\xbb\xbfpark_id,")),
    ("r.json", lambda b: b.lstrip().startswith(b"[")),
    ("r.md", lambda b: b.startswith(b"# ")),
    ("r.html", lambda b: b.lstrip().lower().startswith(b"<!doctype html")),
    ("r.xlsx", lambda b: b.startswith(b"PK")),
])
def test_the_extension_of_o_picks_the_format(tiny_geodata, tmp_path, name, check):
    res = report(tiny_geodata, "-o", str(tmp_path / name))
    assert res.exit_code == 0, res.output
    assert check((tmp_path / name).read_bytes())


@pytest.mark.parametrize(("args", "message"), [
    (["-o", "r.gpkg"], "qygeo export"),
    (["-o", "r.foo"], "cannot tell the format from .foo"),
    (["-o", "report"], "cannot tell the format"),
    (["--format", "csv", "-o", "r.xlsx"], "--format csv but -o"),
])
def test_an_unknown_or_contradicting_extension_is_a_usage_error(tiny_geodata, tmp_path, args,
                                                                message):
    before = snapshot(tiny_geodata)
    out = tmp_path / "out"
    out.mkdir()
    args = [a if not a.startswith("r.") and a != "report" else str(out / a) for a in args]
    res = report(tiny_geodata, *args)
    assert res.exit_code == 2
    assert res.stderr.startswith("qygeo: error: ") and message in res.stderr
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.stderr
    assert not list(out.iterdir()) and snapshot(tiny_geodata) == before
