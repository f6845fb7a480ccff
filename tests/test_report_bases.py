"""Figures by status and basis: plans stay plans, targets meet figures of their own basis."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from qygeo.errors import DataFileError
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render.text import render

AS_OF = dt.date(2025, 6, 1)
#: Report fields that hold achieved (actual or estimated) figures only.
ACTUAL_FIELDS = ("investment_yuan", "intensity_yuan_per_km2", "output_yuan",
                 "output_intensity_yuan_per_km2", "output_target_gap_yuan_per_km2",
                 "output_required_annual_growth", "projects_signed")


def test_a_plan_never_enters_actual_figures(tiny_geodata):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8").replace(
        "source\n", "source,status\n").replace("test row\n", "test row,actual\n")
        + "beta,2024,600000000,3000000000,,planned test row,planned\n", encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    beta = rep.park_table.set_index("park_id").loc["beta"]
    assert beta["planned_investment_yuan"] == 6e8
    assert beta["planned_output_yuan"] == 3e9
    assert beta["planned_year"] == 2024
    assert beta["investment_basis"].startswith("plots")  # not the planned 600 million
    for key in ACTUAL_FIELDS:
        assert beta[key] != 6e8 and beta[key] != 3e9, key
    assert beta["output_yuan"] != beta["output_yuan"]  # NaN: no actual output
    alpha = rep.park_table.set_index("park_id").loc["alpha"]
    assert alpha["figures_status"] == "actual" and alpha["investment_yuan"] == 5e9
    assert "plan: planned test row" in beta["source"]


@pytest.mark.parametrize("status", ["", "expected"])
def test_a_figure_without_a_known_status_is_refused(tiny_geodata, status):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8").replace(
        "source\n", "source,status\n").replace("test row\n", f"test row,{status}\n"),
        encoding="utf-8")
    with pytest.raises(DataFileError, match="status must be one of actual, planned, estimate"):
        load_dataset(tiny_geodata)


@pytest.mark.parametrize("status", ["actual", "estimate"])
def test_a_figure_of_a_year_to_come_is_refused_unless_planned(tiny_geodata, status):
    # It would become the report's latest year and be shown as a figure of what is.
    import datetime as dt

    stats = tiny_geodata / "attributes" / "park_stats.csv"
    base = stats.read_text(encoding="utf-8").replace(
        "source\n", "source,status\n").replace("test row\n", "test row,actual\n")
    next_year = dt.date.today().year + 1
    stats.write_text(base + f"beta,{next_year},1,1,,future row,{status}\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=f"a figure of {next_year} with status {status}"):
        load_dataset(tiny_geodata)
    stats.write_text(base + f"beta,{next_year},1,1,,future row,planned\n", encoding="utf-8")
    assert load_dataset(tiny_geodata).park_plans["year"].max() == next_year


def test_a_table_without_a_status_column_is_refused_a_year_to_come(tiny_geodata):
    # Read as all actual, a 2030 row would become the latest figure of what is.
    import datetime as dt

    next_year = dt.date.today().year + 1
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    base = stats.read_text(encoding="utf-8")
    stats.write_text(base + f"alpha,{next_year},9,9,,future row\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=f"a figure of {next_year} with status actual "
                                            r"\(no status column\)"):
        load_dataset(tiny_geodata)
    stats.write_text(base, encoding="utf-8")
    figures = tiny_geodata / "attributes" / "planting_figures.csv"
    figures.write_text("figure_id,planting_ids,reported_mu,year,source\n"
                       f"f1,alpha_planting,100,{next_year},future row\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=f"planting_figures.csv.*a figure of {next_year}"):
        load_dataset(tiny_geodata)


@pytest.fixture(scope="module")
def bundled():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "geodata"
    return build_report(load_dataset(root), as_of=AS_OF)


def test_bundled_huachuang_plan_is_shown_as_a_plan(bundled):
    hc = bundled.parks.set_index("park_id").loc["huachuang_zhihuigu"]
    assert hc["planned_investment_yuan"] == 6e8 and hc["planned_output_yuan"] == 3e9
    # no 37.5 亿元/km² output intensity, no output growth needed from a plan
    assert hc["output_intensity_yuan_per_km2"] != hc["output_intensity_yuan_per_km2"]
    assert hc["output_required_annual_growth"] != hc["output_required_annual_growth"]
    assert not hc["investment_basis"].startswith("park_stats")


def test_guangfo_check_is_not_circular(bundled):
    gf = bundled.parks.set_index("park_id").loc["guangfo"]
    assert gf["area_km2"] == pytest.approx(25.9, rel=0.001)
    # 28e9 / 25.9 km² = 10.8 亿元/km², against the paper's 2.8
    assert gf["intensity_yi_per_km2"] == pytest.approx(10.81, abs=0.01)
    assert gf["intensity_difference_yuan_per_km2"] == pytest.approx(28e9 / gf["area_km2"] - 2.8e8)


def test_targets_compared_on_their_own_basis_only(bundled):
    parks = bundled.parks.set_index("park_id")
    assert parks["intensity_target_gap_yuan_per_km2"].isna().all()
    # The figures of the note are targets.csv's (5e9 yuan/km², 7617.58 10k_yuan/ha).
    assert (parks["intensity_target_note"] == (
        "n/a: the 2027 target (50 亿元/km² = 333 万元/亩) and Guangdong's 2019 level 7,617.58 "
        "万元/公顷 (attributes/targets.csv) are land investment intensity (fixed-asset "
        "investment ÷ industrial land); this intensity is investment ÷ gross park area, "
        "another basis. The target is compared with the industrial-land fixed-asset "
        "investment intensity (target_gap_yuan_per_km2).")).all()
    tt = bundled.evaluation.targets
    inv = tt[tt["target"] == "key_park_land_investment_intensity_target"]
    assert set(inv["measure"]) == {"industrial_fai_intensity_wan_per_ha"}
    assert set(inv["target_value"]) == {5000.0}  # 5e9 yuan/km² = 5000 万元/公顷
    gf = inv.set_index("park_id").loc["guangfo"]
    ind = parks.loc["guangfo", "industrial_fai_intensity_wan_per_ha"]
    assert gf["current"] == pytest.approx(ind)
    assert parks.loc["guangfo", "target_gap_yuan_per_km2"] == pytest.approx((5000 - ind) * 1e6)
    assert (parks["achieved_annual_growth"] == 0.085).all()


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "json"])
def test_every_format_says_the_basis(bundled, fmt):
    text = render(bundled, fmt)
    assert "gross park area" in text or "gross_park_area" in text
    if fmt == "json":
        row = next(r for r in json.loads(text) if r["park_id"] == "guangfo")
        assert row["intensity_basis"].startswith("cumulative signed investment")


def test_every_target_row_compares_like_with_like(bundled):
    """Land-based targets meet industrial-land indicators (万元/公顷); only the output target
    meets a park-wide figure; signed-investment intensity meets no target."""
    tt = bundled.evaluation.targets
    assert len(tt)
    assert "intensity_yuan_per_km2" not in set(tt["measure"])
    for r in tt.itertuples():
        if r.measure.startswith("industrial_"):
            assert r.unit == "万元/公顷", r.target
        else:
            assert (r.target, r.measure, r.unit) == (
                "key_park_land_output_intensity_target", "output_intensity_yuan_per_km2", "元/km²")


def test_planting_table_carries_status_and_qingxin_output(bundled):
    t = bundled.planting.set_index("figure_id")
    assert t.loc["qingxin_2024", "output_yuan"] == 1.45e9
    assert set(t["status"]) == {"actual"}


def test_a_plan_for_an_unknown_park_is_listed_not_dropped(tiny_geodata):
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8").replace(
        "source\n", "source,status\n").replace("test row\n", "test row,actual\n")
        + "ghost,2024,1,1,,plan,planned\n", encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    assert any("not in parks" in w and "ghost" in w for w in rep.warnings)


def test_targets_table_has_the_achieved_growth_beside(bundled):
    tt = bundled.evaluation.targets
    assert (tt["achieved_annual_growth"] == 0.085).all()


def test_a_past_year_counts_only_the_plots_contracted_by_its_end():
    # --year 2019 showed Guangqing's plots of today, contracted 2019-2023, as 2019's
    # investment (11.55 亿元, the same as 2024's); only GQ-P-04 (2019-07-01) was contracted.
    from pathlib import Path

    ds = load_dataset(Path(__file__).resolve().parent.parent / "geodata")
    past = build_report(ds, year=2019, as_of=dt.date(2019, 12, 31), park_ids=["guangqing"])
    gq = past.parks.iloc[0]
    assert gq["investment_yuan"] == 95e6
    assert gq["investment_basis"].startswith("plots contracted by 2019-12-31")
    assert "4 contracted later left out" in gq["investment_basis"]
    assert "contracted by 2019-12-31" in gq["intensity_basis"]
    assert gq["plot_investment_yuan"] == 1155e6  # the plots' own sum stays what it is
    now = build_report(ds, year=2024, as_of=AS_OF, park_ids=["guangqing"]).parks.iloc[0]
    assert now["investment_yuan"] == 1155e6  # no plot contracted after 2024: unchanged
    assert now["investment_basis"] == "plots: sum of invested_yuan"


def test_a_past_year_with_undated_plots_is_na_saying_why(tiny_geodata):
    path = tiny_geodata / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    park = "beta"  # without park_stats rows: its investment is its and beta_child's plots'
    mine = [f["properties"] for f in doc["features"]
            if f["properties"].get("park_id") in (park, "beta_child")]
    assert len(mine) == 2
    for i, p in enumerate(mine):
        p["invested_yuan"] = 1e6
        p["contract_date"] = None if i == 0 else "2023-05-01"
    path.write_text(json.dumps(doc), encoding="utf-8")
    row = build_report(load_dataset(tiny_geodata), year=2020, as_of=AS_OF,
                       park_ids=[park]).parks.iloc[0]
    assert row["investment_yuan"] != row["investment_yuan"]  # NaN
    assert row["investment_basis"].startswith("n/a for 2020: ")
    assert "plots with invested_yuan have no contract_date" in row["investment_basis"]
    assert row["intensity_basis"] == row["investment_basis"]


def test_a_past_as_of_compares_only_the_plots_contracted_by_then():
    # --as-of 2021-01-01 compared Guangqing's plots of today (contracted 2019-2023, 11.55 亿元)
    # with the 2027 target as "plots as of 2021-01-01"; only GQ-P-04 (2019) and GQ-P-01
    # (2020) were contracted: (0.95 + 3.00) 亿元 over 1.5 + 4.0 ha = 7,181.8 万元/公顷.
    # Huachuang's plots are all of 2023-2024: no figure by then.
    from pathlib import Path

    ds = load_dataset(Path(__file__).resolve().parent.parent / "geodata")
    rep = build_report(ds, as_of=dt.date(2021, 1, 1),
                       park_ids=["guangqing", "huachuang_zhihuigu"])
    tt = rep.evaluation.targets
    fai = tt[tt["target"] == "key_park_land_investment_intensity_target"].set_index("park_id")
    assert fai.loc["guangqing", "current"] == pytest.approx(395e6 / 5.5 / 1e4)
    assert fai.loc["guangqing", "current_as_of"] == "plots contracted by 2021-01-01"
    assert math.isnan(fai.loc["huachuang_zhihuigu", "current"])
    assert fai.loc["huachuang_zhihuigu", "current_status"] == "n/a"
    # The park table's gap is the targets table's.
    gq = rep.parks.set_index("park_id").loc["guangqing"]
    assert gq["target_gap_yuan_per_km2"] == pytest.approx((5000 - 395e6 / 5.5 / 1e4) * 1e6)


def test_an_undated_built_plot_leaves_a_past_as_of_s_figures_unknown_and_says_why(tmp_path):
    # GQ-HR-01 (built industrial land, invested, no tax figure) without a contract date:
    # the investment rows were n/a with no reason, and the tax row dropped its land from
    # the denominator and read "already met" (1,258.8 ≥ 966.19) though with its 5.5 ha,
    # had it been contracted by then, the figure is 764 and not met.
    import shutil
    from pathlib import Path

    root = tmp_path / "geodata"
    shutil.copytree(Path(__file__).resolve().parent.parent / "geodata", root)
    path = root / "plots.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for f in data["features"]:
        p = f["properties"]
        if p["plot_id"] == "GQ-HR-01":
            p["contract_date"] = None
        if p["plot_id"] == "GQ-P-01":
            p["tax_yuan"] = 100_000_000
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rep = build_report(load_dataset(root), as_of=dt.date(2022, 6, 30), park_ids=["guangqing"])
    tt = rep.evaluation.targets.set_index("target")
    for target in ("key_park_land_investment_intensity_target",
                   "guangdong_dev_zone_industrial_land_tax_intensity"):
        row = tt.loc[target]
        assert math.isnan(row["current"]) and row["met"] is None, target
        assert "plot GQ-HR-01 has no contract_date" in row["note"], target


def _set_plot(root, plot_id, key, value):
    path = root / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    hit = [f for f in doc["features"] if f["properties"]["plot_id"] == plot_id]
    hit[0]["properties"][key] = value
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


def test_a_plot_without_invested_yuan_makes_the_plot_sum_a_named_lower_bound(tiny_geodata):
    """beta (no park_stats: its investment rests on the plots B1, B2 and its nested park's
    C1) with B1's invested_yuan missing: the sum of the two others was shown as the park's
    investment and intensity with no word. It is now a lower bound in both bases, and a
    warning names the plot."""
    _set_plot(tiny_geodata, "B1", "invested_yuan", None)
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    beta = rep.park_table.set_index("park_id").loc["beta"]
    assert beta["investment_yuan"] == 4e7 == beta["plot_investment_yuan"]
    lower = "no invested_yuan in 1 of the park's 3 plots, left out: a lower bound"
    assert beta["investment_basis"] == f"plots: sum of invested_yuan; {lower}"
    assert beta["intensity_basis"].endswith(lower)
    said = [w for w in rep.warnings if w.startswith("invested_yuan:")]
    assert said == ["invested_yuan: plots that report none are left out of these parks' plot "
                    "sums (plot_investment_yuan, and the investment and intensity when those "
                    "rest on the plots), which are then lower bounds: beta 1 of 3 "
                    "(plot_id B1)"], rep.warnings
    # alpha's plots all report one: no note, no warning about it.
    alpha = rep.park_table.set_index("park_id").loc["alpha"]
    assert "lower bound" not in alpha["investment_basis"] + str(alpha["intensity_basis"])


def test_a_plot_sum_of_a_past_year_says_it_is_a_lower_bound_too(tiny_geodata):
    _set_plot(tiny_geodata, "B1", "invested_yuan", None)
    _set_plot(tiny_geodata, "A1", "contract_date", "2020-01-01")
    _set_plot(tiny_geodata, "B2", "contract_date", "2020-01-01")
    _set_plot(tiny_geodata, "C1", "contract_date", "2025-01-01")  # after the year
    _set_plot(tiny_geodata, "A2", "contract_date", "2020-01-01")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF, year=2023)
    beta = rep.park_table.set_index("park_id").loc["beta"]
    assert beta["investment_basis"].startswith("plots contracted by 2023-12-31")
    # B1 has no contract date: it may be of 2023, and its figure is missing.
    assert beta["investment_basis"].endswith(
        "no invested_yuan in 1 of the park's 2 plots, left out: a lower bound")
    # Contracted after the year, the plot lacking a figure is not in the year's sum: exact.
    _set_plot(tiny_geodata, "B1", "contract_date", "2025-01-01")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF, year=2023)
    beta = rep.park_table.set_index("park_id").loc["beta"]
    assert beta["investment_basis"].startswith("plots contracted by 2023-12-31")
    assert "lower bound" not in beta["investment_basis"], beta["investment_basis"]


def test_computed_minus_reported_only_on_the_reported_figures_basis(tiny_geodata):
    """The paper's intensity is of signed investment; a park whose intensity rests on its
    plots' investment got "computed − reported" across the two bases."""
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8") + "beta,2024,,,300000000,test row\n",
                     encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    parks = rep.park_table.set_index("park_id")
    assert parks.loc["beta", "reported_intensity_yuan_per_km2"] == 3e8
    assert parks.loc["beta", "intensity_basis"].startswith("investment made on the plots")
    assert math.isnan(parks.loc["beta", "intensity_difference_yuan_per_km2"])
    alpha = parks.loc["alpha"]
    assert alpha["intensity_difference_yuan_per_km2"] == pytest.approx(
        alpha["intensity_yuan_per_km2"] - 2e8)
