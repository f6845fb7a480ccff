"""Targets, required growth (worked by hand) and trends."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from qygeo.core.trends import gap_and_growth, observed_growth, target_table, trend_table
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report


def refused_by_validate_and_report(root, message: str) -> None:
    """`validate` and `report` both refuse the data folder in one line holding *message*,
    write nothing to stdout and change no file."""
    from click.testing import CliRunner

    from qygeo.cli import main

    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    for args in (["validate"], ["report", "-q", "--format", "json"]):
        r = CliRunner().invoke(main, [*args, "--geodata", str(root)])
        assert r.exit_code == 1 and "Traceback" not in r.stderr and not r.stdout.strip()
        assert message in r.stderr, r.stderr
    assert before == {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}

def test_required_growth_worked_by_hand():
    # 6.25e8 → 5e9 is ×8 in 3 years (2024 → 2027): cube root of 8 = 2, so +100 % a year.
    gap, met, growth, years, note = gap_and_growth(6.25e8, 5e9, 2024, 2027)
    assert gap == pytest.approx(4.375e9) and met is False and years == 3
    assert growth == pytest.approx(1.0)
    # ×4 in 2 years → +100 %; ×1.21 in 2 years → +10 %
    assert gap_and_growth(1.25e9, 5e9, 2025, 2027)[2] == pytest.approx(1.0)
    assert gap_and_growth(100.0, 121.0, 2025, 2027)[2] == pytest.approx(0.10)


def test_growth_edge_cases():
    assert gap_and_growth(6e9, 5e9, 2024, 2027)[1:3] == (True, 0.0)  # met: no growth needed
    g = gap_and_growth(0.0, 5e9, 2024, 2027)
    assert math.isnan(g[2]) and "0" in g[4]
    g = gap_and_growth(1e9, 5e9, 2027, 2027)
    assert math.isnan(g[2]) and "no year left" in g[4]
    g = gap_and_growth(math.nan, 5e9, 2024, 2027)
    assert g[1] is None and "n/a" in g[4]


def test_target_table_compares_benchmarks_with_the_matching_indicator():
    parks = pd.DataFrame({"park_id": ["p"], "intensity_yuan_per_km2": [6.25e8],
                          "output_intensity_yuan_per_km2": [math.nan]})
    indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
        "industrial_fai_intensity_wan_per_ha"], "value": [7617.58 / 4]})
    targets = pd.DataFrame({
        "indicator": ["key_park_land_investment_intensity_target",
                      "key_park_land_output_intensity_target",
                      "guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity",
                      "something_else"],
        "value": [5e9, 1e10, 7617.58, 1.0], "unit": ["yuan/km2", "yuan/km2", "10k_yuan/ha", "x"],
        "year": [2027, 2027, 2019, 2027], "source": ["s1", "s2", "s3", "s4"],
        "status": ["target", "target", "benchmark", "target"]})
    t = target_table(parks, indicators, targets,
                     as_of=2025).set_index("target")
    assert len(t) == 3  # the unknown indicator is skipped
    inv = t.loc["key_park_land_investment_intensity_target"]
    # Land investment intensity is fixed-asset investment ÷ industrial land: compared with that
    # indicator (5e9 yuan/km² = 5000 万元/公顷), not with the park-wide 6.25e8 yuan/km².
    assert inv["measure"] == "industrial_fai_intensity_wan_per_ha" and inv["unit"] == "万元/公顷"
    assert inv["target_value"] == pytest.approx(5000.0)
    assert inv["needed_annual_growth"] == pytest.approx((5000 / (7617.58 / 4)) ** 0.5 - 1)
    gd = t.loc["guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity"]
    # a 2019 level, to reach by 2027: ×4 in 2 years → +100 %
    assert gd["target_year"] == 2027 and gd["needed_annual_growth"] == pytest.approx(1.0)
    assert gd["unit"] == "万元/公顷" and "2019 level" in gd["note"]
    out = t.loc["key_park_land_output_intensity_target"]
    assert out["met"] is None and math.isnan(out["needed_annual_growth"])


def test_trends_need_two_years(tiny_geodata):
    ds = load_dataset(tiny_geodata)
    tr = trend_table(ds.park_stats, {"alpha": 2.0, "beta": 1.0})
    assert list(tr["year"]) == [2023, 2024] and set(tr["park_id"]) == {"alpha"}
    assert list(tr["intensity_yuan_per_km2"]) == pytest.approx([2e9, 2.5e9])
    # 4e9 → 5e9 in one year: +25 %
    assert observed_growth(tr, "signed_investment_yuan")["alpha"] == pytest.approx(0.25)


def test_a_year_of_statistics_added_later_joins_the_trends(tiny_geodata):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8")
                     + "alpha,2025,6000000000,,,test row\n", encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=dt.date(2026, 1, 1))
    assert rep.year == 2025
    tr = rep.evaluation.trends
    assert list(tr.loc[tr["park_id"] == "alpha", "year"]) == [2023, 2024, 2025]
    # A report of 2024 draws its trends up to 2024.
    rep = build_report(load_dataset(tiny_geodata), year=2024, as_of=dt.date(2026, 1, 1))
    assert list(rep.evaluation.trends["year"]) == [2023, 2024]


def test_bundled_guangfo_targets_on_their_own_basis():
    """Changed by issue 13: Guangfo is drawn at 25.9 km² (was 100 km², sized from the paper's
    own 2.8e8), and the 2027 land-investment target meets the industrial-land fixed-asset
    intensity, not signed investment ÷ gross area (which gave the old 161.4 % a year)."""
    rep = build_report(load_dataset(), as_of=dt.date(2025, 6, 1))
    g = rep.park_table.set_index("park_id").loc["guangfo"]
    assert g["intensity_yuan_per_km2"] == pytest.approx(28e9 / 25.9, rel=1e-3)
    assert math.isnan(g["intensity_target_gap_yuan_per_km2"])
    fai = g["industrial_fai_intensity_wan_per_ha"]
    assert g["target_gap_yuan_per_km2"] == pytest.approx((5000 - fai) * 1e6)
    assert g["required_annual_growth"] == (0.0 if fai >= 5000 else pytest.approx(
        (5000 / fai) ** (1 / 3) - 1))
    # bundled park_stats hold one year per park: no trend, said so (empty table)
    assert rep.evaluation.trends.empty


@pytest.mark.slow
def test_targets_csv_is_the_one_source_of_every_target_gap(bundled_geodata):
    # Issue 13 item 5: with the investment target at 6e9 in targets.csv, the park table's
    # target, its gap and the evaluation's gap all follow (they used to disagree).
    path = bundled_geodata / "attributes" / "targets.csv"
    targets = pd.read_csv(path)
    inv = targets["indicator"] == "key_park_land_investment_intensity_target"
    out = targets["indicator"] == "key_park_land_output_intensity_target"
    targets.loc[inv, "value"] = 6e9
    targets.loc[out, "value"] = 2e10
    targets.to_csv(path, index=False)
    rep = build_report(load_dataset(bundled_geodata), as_of=dt.date(2025, 6, 1))
    g = rep.park_table.set_index("park_id").loc["guangfo"]
    assert g["target_intensity_yuan_per_km2"] == 6e9
    # the target is compared with the fixed-asset intensity of industrial land only (its
    # basis), never with the signed investment over the gross park area
    assert math.isnan(g["intensity_target_gap_yuan_per_km2"])
    fai_wan_per_ha = g["industrial_fai_intensity_wan_per_ha"]
    assert g["target_gap_yuan_per_km2"] == pytest.approx((6000 - fai_wan_per_ha) * 1e6)
    row = rep.evaluation.targets.set_index(["park_id", "target"]).loc[
        ("guangfo", "key_park_land_investment_intensity_target")]
    assert row["target_value"] == pytest.approx(6000)  # 万元/公顷
    assert row["gap"] * 1e6 == pytest.approx(g["target_gap_yuan_per_km2"])
    # The output target on the same land: output per industrial land area, never output ÷
    # gross park area (the paper gives both targets in one sentence, §6.2.3).
    compared = 0
    for _pid, p in rep.park_table.iterrows():
        per_ha = p["industrial_output_intensity_wan_per_ha"]
        if per_ha is not None and not math.isnan(per_ha):
            assert p["output_target_gap_yuan_per_km2"] == pytest.approx((2e4 - per_ha) * 1e6)
            compared += 1
        else:
            assert math.isnan(p["output_target_gap_yuan_per_km2"])
    assert compared >= 3


def test_both_target_units_converted_by_hand():
    # 1 万元/公顷 = 1e4 yuan / 0.01 km² = 1e6 yuan/km². Output target 10,000 万元/公顷 = 1e10
    # yuan/km² against 2,500 万元/公顷: gap 7,500, ×4 in 2 years → +100 % a year. The same
    # target in yuan/km² gives the same row.
    parks = pd.DataFrame({"park_id": ["p"], "output_intensity_yuan_per_km2": [9e9]})
    indicators = pd.DataFrame({"park_id": ["p", "p", "p"], "indicator": [
        "industrial_fai_intensity_wan_per_ha", "industrial_tax_intensity_wan_per_ha",
        "industrial_output_intensity_wan_per_ha"],
        "value": [1250.0, 500.0, 2500.0], "status": ["ok", "ok", "ok"]})
    rows = []
    for out_value, out_unit, inv_value, inv_unit in ((1e4, "10k_yuan/ha", 5e9, "yuan/km2"),
                                                     (1e10, "yuan/km2", 5000.0, "10k_yuan/ha")):
        targets = pd.DataFrame({
            "indicator": ["key_park_land_output_intensity_target",
                          "key_park_land_investment_intensity_target",
                          "guangdong_dev_zone_industrial_land_tax_intensity"],
            "value": [out_value, inv_value, 966.19],
            "unit": [out_unit, inv_unit, "10k_yuan/ha"], "year": [2027, 2027, 2027],
            "source": ["s", "s", "s"]})
        rows.append(target_table(parks, indicators, targets,
                                 as_of=2025).set_index("target"))
    for t in rows:
        # Output on industrial land (2,500 万元/公顷 = 2.5e9 yuan/km²), not the park
        # column's 9e9 on gross park area.
        out = t.loc["key_park_land_output_intensity_target"]
        assert out["measure"] == "industrial_output_intensity_wan_per_ha"
        assert out["unit"] == "万元/公顷" and out["target_value"] == pytest.approx(1e4)
        assert out["gap"] == pytest.approx(7500.0) and out["met"] is not None and not out["met"]
        assert out["needed_annual_growth"] == pytest.approx(1.0)
        # 5e9 yuan/km² = 5,000 万元/公顷 against 1,250: ×4 in 2 years → +100 %
        inv = t.loc["key_park_land_investment_intensity_target"]
        assert inv["unit"] == "万元/公顷" and inv["target_value"] == pytest.approx(5000.0)
        assert inv["gap"] == pytest.approx(3750.0)
        assert inv["needed_annual_growth"] == pytest.approx(1.0)
        tax = t.loc["guangdong_dev_zone_industrial_land_tax_intensity"]
        assert tax["target_value"] == pytest.approx(966.19)
        assert tax["gap"] == pytest.approx(466.19)


def test_output_target_in_wan_per_ha_reaches_the_park_table(bundled_geodata):
    path = bundled_geodata / "attributes" / "targets.csv"
    before = build_report(load_dataset(bundled_geodata), as_of=dt.date(2025, 6, 1))
    text = path.read_text(encoding="utf-8")
    old = "key_park_land_output_intensity_target,10000000000,yuan/km2"
    assert old in text
    path.write_text(text.replace(old, "key_park_land_output_intensity_target,10000,10k_yuan/ha"),
                    encoding="utf-8")
    after = build_report(load_dataset(bundled_geodata), as_of=dt.date(2025, 6, 1))
    for key in ("output_target_gap_yuan_per_km2", "output_required_annual_growth"):
        a, b = (r.park_table.set_index("park_id").loc["guangfo", key] for r in (before, after))
        assert b == pytest.approx(a) and b > 0


def test_years_left_count_from_the_plots_date_whatever_the_park_stats_year():
    # The plot-based indicators are of --as-of (2026-11-29): 1,250 → 5,000 万元/公顷 and
    # 2,500 → 10,000 are ×4 by the end of 2027, whatever year the report's park_stats
    # figures are of (the output target was compared with park_stats' output ÷ gross area,
    # counted from its year).
    parks = pd.DataFrame({"park_id": ["p"], "output_intensity_yuan_per_km2": [2.5e9]})
    indicators = pd.DataFrame({"park_id": ["p", "p"], "indicator": [
        "industrial_fai_intensity_wan_per_ha", "industrial_output_intensity_wan_per_ha"],
        "value": [1250.0, 2500.0], "status": ["ok", "ok"]})
    targets = pd.DataFrame({
        "indicator": ["key_park_land_investment_intensity_target",
                      "key_park_land_output_intensity_target"],
        "value": [5e9, 1e10], "unit": ["yuan/km2", "yuan/km2"], "year": [2027, 2027],
        "source": ["s", "s"]})
    t = target_table(parks, indicators, targets,
                     as_of=dt.date(2026, 11, 29)).set_index("target")
    # 2026-11-29 to 2027-12-31: 1 year and 32 days of 2026's 365.
    years = 1 + 32 / 365
    for target in targets["indicator"]:
        row = t.loc[target]
        assert row["base_year"] == 2026 and row["years_left"] == pytest.approx(years)
        assert row["current_as_of"] == "plots contracted by 2026-11-29"
        assert row["needed_annual_growth"] == pytest.approx(4 ** (1 / years) - 1)


def test_a_partial_indicator_is_compared_as_partial():
    # Tax 500 万元/公顷 over some plots only (a lower bound): below the benchmark 966.19 the
    # row cannot say "not met"; above a benchmark of 400 it says the partial figure meets it,
    # still leaving met undecided. Gap and growth are those of the partial figure.
    parks = pd.DataFrame({"park_id": ["p"]})
    indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
        "industrial_tax_intensity_wan_per_ha"], "value": [500.0], "status": ["partial"]})
    for level, gap in ((966.19, 466.19), (400.0, -100.0)):
        targets = pd.DataFrame({"indicator": ["guangdong_dev_zone_industrial_land_tax_intensity"],
                                "value": [level], "unit": ["10k_yuan/ha"], "year": [2027],
                                "source": ["s"]})
        row = target_table(parks, indicators, targets,
                           as_of=2025).iloc[0]
        assert row["current_status"] == "partial" and row["met"] is None
        assert row["note"].startswith("current figure partial") and "not exact" in row["note"]
        assert row["gap"] == pytest.approx(gap)
    assert "partial figure meets the target" in row["note"]
    indicators["status"] = "ok"
    row = target_table(parks, indicators, targets, as_of=2025).iloc[0]
    assert row["current_status"] == "ok" and row["met"] and row["note"] == "already met"


def test_the_park_table_carries_the_partial_status():
    import io
    import json

    from qygeo.render.text import format_csv, format_json

    rep = build_report(load_dataset(), park_ids=["guangfo"], as_of=dt.date(2026, 11, 29))
    ind = rep.evaluation.indicators.set_index(["park_id", "indicator"])
    assert ind.loc[("guangfo", "industrial_tax_intensity_wan_per_ha"), "status"] == "partial"
    status = "industrial_tax_intensity_wan_per_ha: partial"
    assert status in json.loads(format_json(rep))[0]["indicator_status"].split("; ")
    assert status in pd.read_csv(io.StringIO(format_csv(rep)))["indicator_status"][0]


def test_a_passed_target_keeps_its_year_and_a_benchmark_is_a_level_to_reach():
    # A target of 2024 against a 2025 figure: shown as 2024, no growth, the note says why
    # (it used to be re-dated to 2027 and given a growth rate). A benchmark of 2019 is a
    # level to reach by 2027: ×4 in 2 years → +100 %.
    parks = pd.DataFrame({"park_id": ["p"]})
    indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
        "industrial_output_intensity_wan_per_ha"], "value": [2500.0], "status": ["ok"]})
    targets = pd.DataFrame({"indicator": ["key_park_land_output_intensity_target"] * 2,
                            "value": [1e10, 1e10], "unit": ["yuan/km2"] * 2,
                            "year": [2024, 2019], "source": ["s", "s"],
                            "status": ["target", "benchmark"]})
    t = target_table(parks, indicators, targets, as_of=2025)
    passed, level = t.iloc[0], t.iloc[1]
    assert passed["target_year"] == 2024 and passed["years_left"] == -1
    assert math.isnan(passed["needed_annual_growth"]) and passed["met"] is not None
    assert passed["note"] == ("target year 2024 is not after 2025, the year of the current "
                              "figure: no year left to grow in")
    assert level["target_year"] == 2027 and level["needed_annual_growth"] == pytest.approx(1.0)
    assert level["note"] == "2019 level, to reach by 2027"


def test_a_target_in_an_unknown_unit_is_refused(tiny_geodata):
    from qygeo.core.trends import check_units
    from qygeo.errors import DataFileError
    from qygeo.io.dataset import load_targets

    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source,status\n"
                    "key_park_land_output_intensity_target,100,yuan/km2,2027,s,target\n"
                    "key_park_land_investment_intensity_target,50,yi_yuan/km2,2027,s,target\n",
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="row 3: unit 'yi_yuan/km2' of "
                                            "key_park_land_investment_intensity_target"):
        check_units(load_targets(tiny_geodata), tiny_geodata)
    refused_by_validate_and_report(tiny_geodata, "targets.csv: row 3: unit 'yi_yuan/km2'")
    # A row qygeo does not compare is read in any unit.
    path.write_text("indicator,value,unit,year,source,status\n"
                    "south_medicine_standardised_planting_base_mu,50000,mu,2027,s,target\n",
                    encoding="utf-8")
    check_units(load_targets(tiny_geodata), tiny_geodata)
    assert len(load_targets(tiny_geodata)) == 1


def test_the_targets_table_labels_its_growth_by_the_row_not_by_one_figure():
    import html
    import re

    from qygeo.render.html import render_html
    from qygeo.render.labels import heading
    from qygeo.render.xlsx import sheet_tables

    rep = build_report(load_dataset(), park_ids=["guangfo"], as_of=dt.date(2026, 11, 29))
    sheet = sheet_tables(rep)["targets"]
    # the park table's growth is the fixed-asset intensity's; the targets table's is each row's
    assert "required_annual_growth" not in sheet.columns
    assert set(sheet["measure"]) >= {"industrial_output_intensity_wan_per_ha",
                                     "industrial_tax_intensity_wan_per_ha"}
    label = heading("needed_annual_growth")
    assert "fixed-asset" not in label and "row's figure" in label
    assert "fixed-asset" in heading("required_annual_growth")
    section = render_html(rep).split('<section id="park-guangfo">')[1]
    targets_table = section.split("Targets and benchmarks")[1].split("</thead>")[0]
    heads = [html.unescape(h) for h in re.findall(r"<th>([^<]*)</th>", targets_table)]
    assert label in heads and not any("fixed-asset" in h for h in heads)


def test_the_chart_line_and_the_basis_note_follow_targets_csv(bundled_geodata):
    from qygeo.render.html import render_html

    path = bundled_geodata / "attributes" / "targets.csv"
    text = path.read_text(encoding="utf-8")
    for old, new in (("key_park_land_investment_intensity_target,5000000000,",
                      "key_park_land_investment_intensity_target,6000000000,"),
                     ("key_park_land_output_intensity_target,10000000000,yuan/km2,2027",
                      "key_park_land_output_intensity_target,8000000000,yuan/km2,2028")):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    rep = build_report(load_dataset(bundled_geodata), park_ids=["guangfo"],
                       as_of=dt.date(2025, 6, 1))
    # 6e9 yuan/km² = 60 亿元/km² = 6e9 / 1e4 / 1500 = 400 万元/亩
    note = rep.park_table["intensity_target_note"].iloc[0]
    assert note.startswith("n/a: the 2027 target (60 亿元/km² = 400 万元/亩) and Guangdong's "
                           "2019 level 7,617.58 万元/公顷")
    page = render_html(rep)
    assert "2028 目标 80 亿元/km²" in page and "vs 2028 target" in page
    assert "100 亿元/km²" not in page and "50 亿元/km²" not in page


def test_the_report_docstring_names_the_figure_the_target_gap_is_of():
    import qygeo.pipeline.report as report_mod

    doc = " ".join(report_mod.__doc__.split())
    entry = doc.split("``grade_counts``, ``target_gap_yuan_per_km2``")[1]
    assert "gap of the industrial-land fixed-asset investment intensity" in entry
    assert "gap of ``intensity_yuan_per_km2``" not in entry


def test_a_partial_figure_keeps_its_note_when_no_year_is_left():
    # A partial 7,037 万元/公顷 against a 5,000 target of 2025, as of 2026: it used to lose
    # its partial note and say "no year left" though the figure meets the target.
    parks = pd.DataFrame({"park_id": ["p"]})
    targets = pd.DataFrame({"indicator": ["key_park_land_investment_intensity_target"],
                            "value": [5e9], "unit": ["yuan/km2"], "year": [2025],
                            "source": ["s"], "status": ["target"]})
    for value, said in ((7036.9, "the partial figure meets the target"),
                        (1000.0, "no year left to grow in")):
        indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
            "industrial_fai_intensity_wan_per_ha"], "value": [value], "status": ["partial"]})
        row = target_table(parks, indicators, targets,
                           as_of=dt.date(2026, 11, 29)).iloc[0]
        assert row["note"].startswith("current figure partial") and said in row["note"]
        assert (said == "no year left to grow in") == ("no year left" in row["note"])


def test_guangdong_figures_beside_the_indicators_follow_their_unit(tiny_geodata):
    # Guangdong's fixed-asset level given as 7,617,580,000 yuan/km2 showed as 7.6e9 beside
    # 7,055 万元/公顷 (the unit was read for the targets table only); a share benchmark in
    # a money unit would be shown as a share.
    from qygeo.core.indicators import guangdong_figures
    from qygeo.core.trends import check_units
    from qygeo.errors import DataFileError
    from qygeo.io.dataset import load_targets

    targets = pd.DataFrame({
        "indicator": ["guangdong_dev_zone_industrial_land_fixed_asset_investment_intensity",
                      "guangdong_dev_zone_land_supply_rate"],
        "value": [7617580000.0, 0.8992], "unit": ["yuan/km2", "share"]})
    assert guangdong_figures(targets) == pytest.approx({
        "industrial_fai_intensity_wan_per_ha": 7617.58, "land_supply_rate": 0.8992})
    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source,status\n"
                    "key_park_land_output_intensity_target,100,yuan/km2,2027,s,target\n"
                    "guangdong_dev_zone_land_supply_rate,89.92,10k_yuan/ha,2019,s,benchmark\n",
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="row 3: unit '10k_yuan/ha' of "
                                            "guangdong_dev_zone_land_supply_rate is not one "
                                            "of its indicator land_supply_rate \\(share\\)"):
        check_units(load_targets(tiny_geodata), tiny_geodata)
    refused_by_validate_and_report(tiny_geodata, "row 3: unit '10k_yuan/ha' of "
                                                 "guangdong_dev_zone_land_supply_rate")


@pytest.mark.parametrize(("value", "what"), [
    # A blank value passed validate and gave "not met", a "nan 亿元/km²" note and an html
    # chart line at x="nan"; a negative one (a sign slip) read "the 2027 target (-50
    # 亿元/km²)", met by every park; 1e400 was called blank.
    ("", "is blank"), ("-5000000000", "is negative"), ("1e400", "is not a finite number"),
])
def test_a_target_value_that_is_no_level_is_refused_naming_the_row(tiny_geodata, value, what):
    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source,status\n"
                    "key_park_land_output_intensity_target,100,yuan/km2,2027,s,target\n"
                    f"key_park_land_investment_intensity_target,{value},yuan/km2,2027,s,"
                    "target\n", encoding="utf-8")
    refused_by_validate_and_report(tiny_geodata, "targets.csv: row 3: value of key_park_land_"
                                                 f"investment_intensity_target {what}")


def test_a_target_given_twice_is_refused_naming_both_rows(tiny_geodata):
    # A 2025 milestone row above the 2027 output target: the first row in file order won
    # silently (the park table's gap and the html chart line were the milestone's).
    from qygeo.errors import DataFileError
    from qygeo.io.dataset import load_targets

    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source,status\n"
                    "key_park_land_output_intensity_target,50,yuan/km2,2025,s,target\n"
                    "key_park_land_investment_intensity_target,50,yuan/km2,2027,s,target\n"
                    "key_park_land_output_intensity_target,100,yuan/km2,2027,s,target\n",
                    encoding="utf-8")
    with pytest.raises(DataFileError, match="rows 2 and 4: key_park_land_output_intensity_"
                                            "target is given more than once"):
        load_targets(tiny_geodata)


def test_targets_csv_without_status_is_refused(tiny_geodata):
    # Without a status column every row read as a target: Guangdong's 2019 benchmarks
    # became passed 2019 targets ("no year left") instead of levels to reach.

    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source\n"
                    "guangdong_dev_zone_industrial_land_tax_intensity,966.19,10k_yuan/ha,2019,s\n",
                    encoding="utf-8")
    refused_by_validate_and_report(tiny_geodata, "targets.csv: missing column(s): status")


def test_a_lower_bound_at_the_target_is_met():
    # Guangqing's tax per area ×100 (9,964 万元/公顷, two plots reporting no tax: a lower
    # bound) against Guangdong's 966.19 said met n/a; the complete figure is at least it.
    # A figure partial over part of the plots (not a lower bound) stays undecided.
    parks = pd.DataFrame({"park_id": ["p"]})
    targets = pd.DataFrame({"indicator": ["guangdong_dev_zone_industrial_land_tax_intensity"],
                            "value": [966.19], "unit": ["10k_yuan/ha"], "year": [2019],
                            "source": ["s"], "status": ["benchmark"]})
    for value, lower, met in ((9963.6, True, True), (9963.6, False, None),
                              (500.0, True, None)):
        indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
            "industrial_tax_intensity_wan_per_ha"], "value": [value], "status": ["partial"],
            "lower_bound": [lower]})
        row = target_table(parks, indicators, targets,
                           as_of=dt.date(2026, 11, 29)).iloc[0]
        assert (row["met"] is None if met is None else row["met"] == met)
        assert row["current_status"] == "partial"
        assert ("lower bound" in row["note"]) and (
            row["note"].startswith("already met") == bool(met))
    # The flag comes from the indicators themselves: the bundled Guangqing tax is one.
    rep = build_report(load_dataset(), park_ids=["guangqing"], as_of=dt.date(2026, 11, 29))
    tax = rep.evaluation.targets.query("target.str.contains('tax')").iloc[0]
    assert tax["current_status"] == "partial" and tax["met"] is None  # 601 < 966.19


def test_the_indicators_flag_a_lower_bound_only_where_it_is_one():
    from qygeo.core.indicators import park_indicators

    plots = pd.DataFrame({"plot_id": ["a", "b"], "land_use": ["industrial"] * 2,
                          "area_m2": [1e4, 1e4], "developed_area_m2": [1e4, 1e4],
                          "invested_yuan": [1e8, 1e8], "tax_yuan": [1e6, None]})
    tax = park_indicators(plots, park_area_m2=1e5)["industrial_tax_intensity_wan_per_ha"]
    assert tax.status == "partial" and tax.lower_bound
    # b without invested_yuan is left out of both sums: the fixed-asset figure is no bound.
    plots["invested_yuan"] = [1e8, None]
    fai = park_indicators(plots, park_area_m2=1e5)["industrial_fai_intensity_wan_per_ha"]
    assert fai.status == "partial" and not fai.lower_bound


@pytest.mark.parametrize(("as_of", "years", "note"), [
    (dt.date(2026, 12, 31), 1.0, ""), (dt.date(2027, 1, 1), 364 / 365, ""),
    (dt.date(2027, 6, 30), 184 / 365, ""), (dt.date(2027, 12, 31), 0.0, "no year left")])
def test_years_left_run_to_the_end_of_the_target_year(as_of, years, note):
    # "By 2027" is by 2027-12-31: from 2027-01-01 every unmet target said "no year left".
    parks = pd.DataFrame({"park_id": ["p"]})
    indicators = pd.DataFrame({"park_id": ["p"], "indicator": [
        "industrial_fai_intensity_wan_per_ha"], "value": [2500.0], "status": ["ok"]})
    targets = pd.DataFrame({"indicator": ["key_park_land_investment_intensity_target"],
                            "value": [5e9], "unit": ["yuan/km2"], "year": [2027],
                            "source": ["s"], "status": ["target"]})
    row = target_table(parks, indicators, targets, as_of=as_of).iloc[0]
    assert row["years_left"] == pytest.approx(years, abs=0)
    assert row["met"] == False  # noqa: E712 (a numpy bool)
    assert (note in row["note"]) if note else row["note"] == ""
    growth = row["needed_annual_growth"]
    assert math.isnan(growth) if not years else growth == pytest.approx(2 ** (1 / years) - 1)


def test_labels_take_the_target_year_from_targets_csv(tiny_geodata):
    # Targets of 2030 in targets.csv: the park columns said "2027 target", the html growth
    # chart "达成2027…" and the targets rows "2027 target: …".
    from qygeo.pipeline.report import COLUMNS
    from qygeo.render.html import render_html

    path = tiny_geodata / "attributes" / "targets.csv"
    path.write_text("indicator,value,unit,year,source,status\n"
                    "key_park_land_output_intensity_target,8e9,yuan/km2,2030,s,target\n"
                    "key_park_land_investment_intensity_target,6e9,yuan/km2,2030,s,target\n",
                    encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=dt.date(2026, 11, 29))
    names = set(rep.evaluation.targets["target_name"])
    assert names == {"2030 target: output intensity, output ÷ industrial land (paper §6.2.3, "
                     "read on the land of its investment target)",
                     "2030 target: land investment intensity, fixed-asset investment ÷ "
                     "industrial land (paper §6.2.3)"}
    page = render_html(rep)
    assert "2027" not in page.replace("2027-", "")  # no year but the data's own dates
    assert "达成2030土地投资强度目标所需年均增速" in page and "vs 2030 target" in page
    assert not any("2027" in part for c in COLUMNS for part in c[1:3])


def test_years_left_read_to_two_decimals_in_the_workbook(tmp_path):
    # Years left run to the end of the target year in fractions of a year: the workbook
    # shows them as 1.09, not 1.0876712.
    import openpyxl

    from qygeo.render.text import write_report

    rep = build_report(load_dataset(), park_ids=["guangfo"], as_of=dt.date(2026, 11, 29))
    path = write_report(rep, "xlsx", tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["targets"]
    keys = [c.value for c in ws[1]]
    if "years_left" not in keys:  # a bilingual header row first: keys on the second
        keys = [c.value for c in ws[2]]
    col = next(i for i, k in enumerate(keys) if k == "years_left")
    cells = [r[col] for r in ws.iter_rows(min_row=3) if isinstance(r[col].value, float)]
    assert cells and any(c.value != int(c.value) for c in cells)
    assert {c.number_format for c in cells} == {"0.00"}
