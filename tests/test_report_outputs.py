"""html and xlsx reports written, opened and read back; the new report keys; the CLI."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import geopandas as gpd
import openpyxl
import pytest
from click.testing import CliRunner

from conftest import BUNDLED, snapshot
from qygeo.cli import main
from qygeo.io import layers
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render.text import render, write_report

AS_OF = dt.date(2025, 6, 1)


def invoke(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


class Page(HTMLParser):
    """Collects visible text, element ids and tags of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.ids: set[str] = set()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.ids.update(v for k, v in attrs if k == "id")

    def handle_data(self, data):
        self.text.append(data)


def parse(html_text: str) -> Page:
    p = Page()
    p.feed(html_text)
    p.close()
    return p


@pytest.fixture(scope="module")
def bundled_report():
    return build_report(load_dataset(BUNDLED), as_of=AS_OF)


def test_json_gives_counts_and_years_as_integers_as_csv_does(bundled_report):
    # JSON keys are the CSV's columns: projects_signed read 148.0 and planned_year 2024.0
    # (pandas keeps them as floats beside n/a) where the CSV has 148 and 2024.
    data = {d["park_id"]: d for d in json.loads(render(bundled_report, "json"))}
    assert data["guangfo"]["projects_signed"] == 148
    assert type(data["guangfo"]["projects_signed"]) is int
    assert type(data["huachuang_zhihuigu"]["planned_year"]) is int
    for park in data.values():
        for key, value in park.items():
            if (key == "year" or key.endswith(("_year", "_count"))) and value is not None:
                assert type(value) is int, (key, value)


def test_json_has_the_evaluation_keys(bundled_report):
    data = {d["park_id"]: d for d in json.loads(render(bundled_report, "json"))}
    gf = data["guangfo"]
    # guangfo's producing plots graded by hand-checkable defaults (see test_grading; the
    # weights moved to tax 60 and output 40 in issue 13)
    assert gf["grade_counts"] == {"A": 0, "B": 1, "C": 2, "D": 1}
    # Guangqing's entry thresholds are Guangqing's: none are checked in Guangfo
    assert gf["entry_pass_count"] == 0 and gf["entry_fail_count"] == 0
    # the six Xiangxue/Bendi plots and GF-G-01 (government delay: idle, Art. 8), by the rule
    assert gf["idle_plot_count"] == 7
    # the 2027 target against the industrial-land fixed-asset intensity (same basis; issue 13)
    fai = gf["industrial_fai_intensity_wan_per_ha"]
    assert gf["target_gap_yuan_per_km2"] == pytest.approx((5000 - fai) * 1e6)
    assert gf["required_annual_growth"] == 0.0 and fai >= 5000  # illustrative plots meet it
    assert gf["achieved_annual_growth"] == 0.085  # beside it: the growth achieved 2019–24
    assert gf["intensity_target_gap_yuan_per_km2"] is None  # unlike bases: no gap
    assert gf["building_density"] is None  # n/a: no footprint column
    # Huachuang's three plots now count within Guangfo (issue 13): 0.3876 → 0.3920
    assert gf["land_built_up_rate"] == pytest.approx(0.3920, abs=1e-3)
    # parks without plots or figures: zero grades and n/a growth, never a made-up number
    assert data["yingde_herbs"]["grade_counts"] == {"A": 0, "B": 0, "C": 0, "D": 0}
    assert data["yingde_herbs"]["required_annual_growth"] is None


def test_csv_writes_grade_counts_as_json(bundled_report):
    import csv
    import io

    rows = {r["park_id"]: r for r in csv.DictReader(io.StringIO(render(bundled_report, "csv")))}
    assert json.loads(rows["guangfo"]["grade_counts"])["C"] == 2


def test_html_is_written_and_reads_back(bundled_report, tmp_path):
    out = write_report(bundled_report, "html", tmp_path / "report.html")
    text = out.read_text(encoding="utf-8")
    page = parse(text)
    body = " ".join(page.text)
    assert "park-guangfo" in page.ids and "park-huachuang_zhihuigu" in page.ids
    assert "广佛" in body or "佛冈" in body  # Chinese names as text, not images
    for needle in ("土地建成率", "亩均", "GF-XX-01", "recovery", "2027", "gross park area",
                   "Guangqing Industrial Park entry thresholds"):
        assert needle in body, needle
    assert "<img" not in text and "<script" not in text and "http://" not in text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    svgs = re.findall(r"<svg.*?</svg>", text, flags=re.S)
    assert len(svgs) >= 4
    for svg in svgs:
        ET.fromstring(svg)  # well-formed: the browser draws it
    assert "there is no trend to draw" in body  # bundled stats have one year per park


def test_html_escapes_data_text(tiny_geodata, tmp_path):
    parks = gpd.read_file(tiny_geodata / "parks.geojson")
    parks.loc[0, "name_en"] = '<script>alert("x")</script> & Co'
    layers.write_layer(parks, tiny_geodata / "parks.geojson", layers.PARKS)
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    text = render(rep, "html")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in text
    assert '<script>alert("x")</script> & Co' in " ".join(parse(text).text)


def test_html_draws_trends_where_stats_have_years(tiny_geodata):
    text = render(build_report(load_dataset(tiny_geodata), as_of=AS_OF), "html")
    assert "<polyline" in text and "2023" in text


def test_xlsx_has_one_sheet_per_table_and_reads_back(bundled_report, tmp_path):
    path = write_report(bundled_report, "xlsx", tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    # trends and idle_check have no rows on the bundled data: no empty sheets
    assert wb.sheetnames == ["parks", "plots", "indicators", "grading", "enterprises",
                             "targets", "planting", "sources"]

    def table(name):  # row 1: 中文 English (unit); row 2: the code names
        rows = list(wb[name].iter_rows(values_only=True))
        return [dict(zip(rows[1], r, strict=True)) for r in rows[2:]]

    parks = {r["park_id"]: r for r in table("parks")}
    assert parks["guangfo"]["investment_yuan"] == pytest.approx(28e9)
    assert json.loads(parks["guangfo"]["grade_counts"]) == {"A": 0, "B": 1, "C": 2, "D": 1}
    assert parks["guangfo"]["building_density"] is None  # n/a is an empty cell
    grading = {r["plot_id"]: r for r in table("grading")}
    assert grading["GF-P-01"]["grade"] == "B" and grading["GF-XX-01"]["grade"] == "n/a"
    plots = {r["plot_id"]: r for r in table("plots")}
    assert plots["GF-G-01"]["idle_status"] == "idle_art8"
    ind = [r for r in table("indicators") if r["park_id"] == "guangfo"]
    assert {r["indicator"] for r in ind} >= {"land_built_up_rate", "building_density"}
    config = {(r["section"], r["key"]): r["value"] for r in table("sources")}
    assert ("report", "sheet_without_rows") in config
    assert config[("grading.weights", "tax_wan_per_mu")] == 60
    assert config[("entry.parks.guangqing", "investment_wan_per_mu")] == 330
    assert config[("report", "idle_as_of")] == "2025-06-01"
    targets = table("targets")
    assert any(r["target"].startswith("guangdong_dev_zone") and r["park_id"] == "guangqing"
               for r in targets)


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_cli_file_formats_need_an_output_path(tiny_geodata, fmt):
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", fmt)
    assert r.exit_code == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == [f"qygeo: error: --format {fmt} writes a file: give -o PATH"]
    assert r.stdout == ""


@pytest.mark.parametrize("fmt", ["html", "xlsx"])
def test_cli_writes_file_formats_and_leaves_geodata_unchanged(tiny_geodata, tmp_path, fmt):
    before = snapshot(tiny_geodata)
    out = tmp_path / f"r.{fmt}"
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", fmt, "-o", str(out),
               "--as-of", "2025-06-01")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "" and out.stat().st_size > 1000
    assert snapshot(tiny_geodata) == before


@pytest.mark.slow
def test_cli_config_changes_the_grades(bundled_geodata, tmp_path):
    cfg = tmp_path / "tax_only.toml"
    cfg.write_text("[grading.weights]\ntax_wan_per_mu = 100\noutput_wan_per_mu = 0\n"
                   "investment_wan_per_mu = 0\n[grading.cutoffs]\nA = 50\nB = 30\nC = 10\n",
                   encoding="utf-8")
    r = invoke("report", "--geodata", str(bundled_geodata), "--format", "json", "--as-of",
               "2025-06-01", "--config", str(cfg), "--park", "guangfo", "-q")
    assert r.exit_code == 0, r.stderr
    # tax per mu 16.67, 30.0, 22.86, 8.0 → ×100/33 = 50.5 A, 90.9 A, 69.3 A, 24.2 C
    assert json.loads(r.stdout)[0]["grade_counts"] == {"A": 3, "B": 0, "C": 1, "D": 0}


def test_cli_bad_config_is_one_line(tiny_geodata, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[grading.weights]\ntax = 1\n", encoding="utf-8")
    r = invoke("report", "--geodata", str(tiny_geodata), "--config", str(cfg))
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"qygeo: error: {cfg}: unknown setting 'grading.weights.tax' (known here: "
        "investment_wan_per_mu, output_wan_per_mu, tax_wan_per_mu, value_added_wan_per_mu)"]


@pytest.mark.slow
def test_stored_idle_flag_is_checked_against_the_rule_not_used(tiny_geodata):
    plots = gpd.read_file(tiny_geodata / "plots.geojson")
    base = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    # Flag every plot idle by hand; the rule's count must not change.
    plots["idle"] = True
    plots.to_file(tiny_geodata / "flagged.geojson", driver="GeoJSON")
    rep = build_report(load_dataset(tiny_geodata, plots=tiny_geodata / "flagged.geojson"),
                       as_of=AS_OF)
    assert list(rep.park_table["idle_plot_count"]) == list(base.parks["idle_plot_count"])
    check = rep.evaluation.idle_check.set_index("plot_id")
    rule = base.plots.set_index("plot_id")["idle_status"]
    not_idle = sorted(p for p, s in rule.items() if s == "not_idle")
    assert sorted(check.index) == not_idle and not_idle
    assert "B2" not in not_idle  # government-delayed: idle by Art. 8, so a flag saying idle agrees
    assert any("disagrees with the MLR No. 53 rule" in w for w in rep.warnings)


@pytest.mark.slow
def test_maps_link_to_the_report_page_and_idle_popups_give_the_verdict(bundled_report):
    from qygeo.render import maps
    from qygeo.render.basemaps import get_basemap

    pages = maps.render_maps(load_dataset(BUNDLED), bundled_report, get_basemap("none"))
    # qygeo build: OUT/maps/index.html, OUT/maps/parks/<id>.html, OUT/reports/report.html
    assert "../reports/report.html#park-guangfo" in pages[maps.CITY_PAGE]
    assert "../../reports/report.html#park-guangfo" in pages["parks/guangfo.html"]
    # GF-BD-01: agreed start 2022-03-01, not started: idle from 2023-03-02 (the day after
    # the anniversary, Civil Code Art. 201), 822 days before 2025-06-01; recovery
    assert "822 \\u5929 days (2.3 \\u5e74 years)" in pages[maps.CITY_PAGE]
    assert "recovery without compensation" in pages[maps.CITY_PAGE]


def test_xlsx_table_longer_than_a_sheet_continues_on_numbered_sheets(bundled_report, tmp_path,
                                                                     monkeypatch):
    """Excel stops at 1,048,576 rows: a province's plots continue on "plots (2)"…"""
    from qygeo.render import xlsx as report_xlsx

    monkeypatch.setattr(report_xlsx, "EXCEL_MAX_ROWS", 12)  # 10 rows and two header rows
    path = write_report(bundled_report, "xlsx", tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path, read_only=True)
    n = len(bundled_report.plots)
    parts = [s for s in wb.sheetnames if s == "plots" or s.startswith("plots (")]
    assert len(parts) == -(-n // 10) > 1
    rows = [r for s in parts for r in list(wb[s].iter_rows(values_only=True))[2:]]
    headers = {tuple(wb[s].iter_rows(values_only=True))[:2] for s in parts}
    assert len(headers) == 1  # every part has both header rows
    assert [r[0] for r in rows] == list(bundled_report.plots["plot_id"])


def test_html_lists_a_capped_number_of_plots_idle_ones_first(bundled_report, tmp_path,
                                                             monkeypatch):
    """A page listing a province's plots would not open: idle plots come first."""
    from qygeo.render import html as report_html

    monkeypatch.setattr(report_html, "HTML_MAX_PLOTS", 7)
    mine = bundled_report.plots[bundled_report.plots["park_id"] == "guangfo"]
    assert len(mine) > 7
    shown = report_html.listed_plots(mine)
    assert list(shown["idle_status"]) == ["idle"] * 6 + ["idle_art8"]
    page = write_report(bundled_report, "html", tmp_path / "report.html").read_text("utf-8")
    section = page[page.index('id="park-guangfo"'):]
    section = section[:section.index("</section>")]
    assert f"7 of {len(mine)} plots listed" in section
    not_idle = mine.loc[mine["idle_status"] == "not_idle", "plot_id"]
    assert not any(f">{p}<" in section for p in not_idle)
    assert all(f">{p}<" in section for p in shown["plot_id"])


def test_report_page_lists_dates_as_dates_and_unjudged_plots_without_idle_days(
        bundled_report, tmp_path):
    import dataclasses

    table = bundled_report.plot_table.copy()
    first = table.index[table["park_id"] == "guangfo"][0]
    table.loc[first, "idle_status"] = "n/a"  # as a plot without an agreed start is
    table.loc[first, "idle_reason"] = "no agreed start date"
    rep = dataclasses.replace(bundled_report, plot_table=table)
    page = write_report(rep, "html", tmp_path / "report.html").read_text("utf-8")
    assert "00:00:00" not in page  # idle_since is a date
    assert re.search(r"<td>\d{4}-\d\d-\d\d</td>", page)
    row = page[page.index(f"<td>{table.loc[first, 'plot_id']}</td>"):]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row[:row.index("</tr>")])
    # plot_id, enterprise, land_use, area_mu, idle_status, idle_since, idle_days: n/a, not 0
    assert cells[6] == "n/a", cells


def test_report_page_and_workbook_give_each_idle_plot_its_reason(bundled_report, tmp_path):
    """The engine sums plots without reason texts; what lists plots gets them (issue #15)."""
    idle = bundled_report.plot_table["idle_status"].isin(["idle", "idle_art8"])
    assert idle.sum() >= 6  # the Xiangxue and Bendi plots of Guangfo among them
    explained = bundled_report.explained_plots
    assert explained.loc[idle, "idle_reason"].map(lambda r: isinstance(r, str) and r != "").all()
    wb_path = write_report(bundled_report, "xlsx", tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(wb_path, read_only=True)["plots"]
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[1])
    status, reason = head.index("idle_status"), head.index("idle_reason")
    idle_rows = [r for r in rows[2:] if r[status] in ("idle", "idle_art8")]
    assert len(idle_rows) == idle.sum()
    assert all(r[reason] for r in idle_rows)
    page = (write_report(bundled_report, "html", tmp_path / "r.html")).read_text("utf-8")
    for text in explained.loc[idle, "idle_reason"]:
        assert html.escape(text) in page


@pytest.mark.parametrize("park", ["guangqing", "guangfo"])
def test_xlsx_of_one_park_lists_that_park_s_plots_only(tmp_path, park):
    import pandas as pd

    out = tmp_path / "r.xlsx"
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--park", park,
                                    "-o", str(out), "-q"])
    assert res.exit_code == 0, res.stderr
    sheets = pd.read_excel(out, sheet_name=None, header=1)
    parks = sheets["parks"]
    assert list(parks["park_id"]) == [park]
    # guangfo's figures include its nested park's plots: so does its plots sheet.
    wanted = {park, "huachuang_zhihuigu"} if park == "guangfo" else {park}
    for name in ("plots", "grading"):
        assert set(sheets[name]["park_id"]) == wanted, name
        assert len(sheets[name]) == int(parks["plot_count"].iloc[0]), name
    listed = {i for ids in sheets["enterprises"]["plot_ids"] for i in str(ids).split(";")}
    assert {i.strip() for i in listed} <= set(sheets["plots"]["plot_id"])
    assert "planting" not in sheets  # as in the text formats of one park


def test_xlsx_planting_year_is_a_number(bundled_report, tmp_path):
    out = write_report(bundled_report, "xlsx", tmp_path / "r.xlsx")
    sheet = openpyxl.load_workbook(out)["planting"]
    header = [c.value for c in sheet[2]]
    years = [row[header.index("year")] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert years and all(isinstance(y, int) for y in years), years


def test_xlsx_long_tables_format_each_value_by_its_row_s_unit(bundled_report, tmp_path):
    from qygeo.render.labels import UNIT_FORMATS

    out = write_report(bundled_report, "xlsx", tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(out)
    seen = set()
    for name, keys in (("targets", ("current", "target_value", "gap")),
                       ("indicators", ("value", "guangdong_2019"))):
        ws = wb[name]
        header = [c.value for c in ws[2]]
        for row in ws.iter_rows(min_row=3):
            unit = row[header.index("unit")].value
            for key in keys:
                cell = row[header.index(key)]
                if isinstance(cell.value, (int, float)):
                    assert cell.number_format == UNIT_FORMATS[unit], (name, key, unit)
                    seen.add(unit)
    assert {"share", "ratio", "万元/公顷"} <= seen  # every target is in 万元/公顷


def test_text_table_columns_line_up_on_screen(bundled_report):
    # Chinese takes two columns of a terminal: padded by characters, the values of rows
    # with more Chinese in their label started further right.
    import re

    from qygeo.render.format import display_width

    text = render(bundled_report, "table")
    starts = set()
    for line in text.splitlines()[:40]:
        m = re.search(r"[^\s]\s{2,}(\S)", line)
        if m and " / " in line[:m.start(1)]:
            starts.add(display_width(line[:m.start(1)]))
    assert len(starts) == 1, starts


def test_html_charts_keep_signed_and_plot_investment_apart(tiny_geodata):
    """alpha's intensity is of signed investment (park_stats), beta's and its nested park's of
    their plots' invested_yuan: one chart ranked the three together. Each basis has its
    own chart now, naming its numerator."""
    text = render(build_report(load_dataset(tiny_geodata), as_of=AS_OF), "html")
    svgs = {ET.fromstring(s).get("aria-label"): s
            for s in re.findall(r"<svg.*?</svg>", text, flags=re.S)}
    signed = [s for label, s in svgs.items() if label.startswith("签约投资 ÷ 园区毛面积")]
    on_plots = [s for label, s in svgs.items() if label.startswith("地块已投资 ÷ 园区毛面积")]
    assert len(signed) == len(on_plots) == 1, list(svgs)
    assert "Alpha Park" in signed[0] and "Beta" not in signed[0]
    assert "Beta Park" in on_plots[0] and "Beta Child Park" in on_plots[0]
    assert "Alpha" not in on_plots[0]
    assert not any("Investment ÷ gross park area" in label for label in svgs)


def test_html_shows_escapes_and_bidi_overrides_of_plot_text_as_escapes(tiny_geodata, tmp_path):
    """A plot's enterprise holding an ESC sequence and a U+202E (which reverses the rest of
    its cell as displayed): the xlsx showed them as \\x1b and \\u202e, the html page
    wrote them raw."""
    path = tiny_geodata / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["enterprise"] = "p1\x1b]0;x\x07 \u202eevil"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    text = render(build_report(load_dataset(tiny_geodata), as_of=AS_OF), "html")
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "p1\\x1b]0;x\\x07 \\u202eevil" in text
