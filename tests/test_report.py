"""The per-park report: figures, joins and every output format."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json

import pandas as pd
import pytest

from qygeo.core.metrics import area_m2
from qygeo.errors import JoinError, UnknownParkError
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.report import build_report
from qygeo.render.text import render

AS_OF = dt.date(2025, 6, 1)
REQUIRED_KEYS = {"park_id", "name_zh", "name_en", "district_adcode", "area_km2", "area_mu",
                 "investment_yuan", "intensity_yuan_per_km2", "output_yuan", "plot_count",
                 "plot_investment_yuan", "idle_plot_count", "idle_area_mu"}


@pytest.fixture()
def rep(tiny_geodata):
    return build_report(load_dataset(tiny_geodata), as_of=AS_OF)


def row(rep, pid):
    return rep.park_table.set_index("park_id").loc[pid]


def test_investment_comes_from_park_stats_for_the_year(rep, tiny_geodata):
    alpha = row(rep, "alpha")
    assert rep.year == 2024
    assert alpha["investment_yuan"] == 5e9
    ds = load_dataset(tiny_geodata)
    area_km2 = area_m2(ds.parks.set_index("park_id").geometry[["alpha"]])[0] / 1e6
    assert alpha["area_km2"] == pytest.approx(area_km2)
    assert alpha["intensity_yuan_per_km2"] == pytest.approx(5e9 / area_km2)
    assert alpha["intensity_difference_yuan_per_km2"] == pytest.approx(5e9 / area_km2 - 2e8)


def test_other_year_uses_that_years_row(tiny_geodata):
    rep = build_report(load_dataset(tiny_geodata), year=2023, as_of=AS_OF)
    assert row(rep, "alpha")["investment_yuan"] == 4e9


def test_investment_falls_back_to_plot_sum_where_stats_have_none(rep):
    beta = row(rep, "beta")
    # beta's own plots B1 (3e7) and B2 (0, assigned by location) plus its child's C1 (4e7)
    assert beta["investment_yuan"] == pytest.approx(7e7)
    assert beta["investment_basis"].startswith("plots")
    assert beta["plot_investment_yuan"] == pytest.approx(7e7)
    assert beta["plot_count"] == 3
    assert row(rep, "beta_child")["plot_count"] == 1


def test_plot_investment_is_always_the_plot_sum(rep):
    alpha = row(rep, "alpha")
    assert alpha["plot_investment_yuan"] == pytest.approx(1.5e8)
    assert alpha["investment_yuan"] != alpha["plot_investment_yuan"]


def test_idle_plots_follow_the_rule(rep):
    # A1 not started since 2020 → idle; B1 suspended since 2022 with 10% invested → idle;
    # B2 government delay → idle all the same (Order No. 53 Art. 8; it used to be left
    # out); A2, C1 started and running; X1 (in no park) idle.
    idle = set(rep.plot_table.loc[rep.plot_table["idle"], "plot_id"])
    assert idle == {"A1", "B1", "B2", "X1"}
    assert rep.plot_table.set_index("plot_id").loc["B2", "idle_status"] == "idle_art8"
    assert row(rep, "alpha")["idle_plot_count"] == 1
    assert row(rep, "beta")["idle_plot_count"] == 2
    assert row(rep, "beta")["idle_art8_plot_count"] == 1  # B2, counted apart as well
    assert row(rep, "alpha")["idle_art8_plot_count"] == 0
    a1 = rep.plot_table.set_index("plot_id").loc["A1"]
    assert row(rep, "alpha")["idle_area_mu"] == pytest.approx(a1["area_mu"])


def test_a_plot_the_idle_rule_cannot_judge_is_not_in_the_idle_share(tiny_geodata):
    # A2 without an agreed start date: n/a, neither idle nor not idle. Alpha's idle share
    # is A1's area over A1's (the judged plots'), and the plot is counted and warned.
    ds = load_dataset(tiny_geodata)
    ds.plots.loc[ds.plots["plot_id"] == "A2", ["agreed_start_date", "actual_start_date"]] = None
    rep = build_report(ds, as_of=AS_OF)
    plots = rep.plot_table.set_index("plot_id")
    assert plots.loc["A2", "idle_status"] == "n/a"
    alpha = row(rep, "alpha")
    assert alpha["plot_count"] == 2 and alpha["unjudged_plot_count"] == 1
    assert alpha["idle_share"] == pytest.approx(1.0)
    assert row(rep, "beta")["unjudged_plot_count"] == 0
    assert row(rep, "beta")["idle_share"] == pytest.approx(
        row(rep, "beta")["idle_area_mu"] / row(rep, "beta")["plot_area_mu"])
    assert any("cannot judge" in w and "alpha 1 of 2 (plot_id A2)" in w for w in rep.warnings)
    assert not any("beta " in w for w in rep.warnings if "cannot judge" in w)
    # Seen where the idle figures are: report.md's column, and the map popup, whose share
    # says it is of the judged plots.
    md = render(rep, "markdown").splitlines()
    header = next(line for line in md if line.startswith("| 园区编号"))
    alpha_line = next(line for line in md if line.startswith("| alpha "))
    col = [c.strip() for c in header.split("|")].index(
        "无法判定闲置的地块数 Plots the idle rule cannot judge (n/a)")
    assert [c.strip() for c in alpha_line.split("|")][col] == "1"
    from qygeo.render.maps import _park_figures

    idle = dict(_park_figures(alpha))["闲置地块 Idle plots"]
    assert idle.endswith("100.0% 占已判定地块面积 of the judged plots' area · "
                         "1 无法判定 not judged (n/a)")
    beta = dict(_park_figures(row(rep, "beta")))["闲置地块 Idle plots"]
    assert "not judged" not in beta


def test_the_unjudged_warning_names_five_plots_at_most(tiny_geodata):
    ds = load_dataset(tiny_geodata)
    ds.plots["agreed_start_date"] = None
    ds.plots["actual_start_date"] = None
    extra = ds.plots[ds.plots["plot_id"] == "A1"].assign(plot_id="A9")  # a sixth in a park
    ds = dataclasses.replace(ds, plots=pd.concat([ds.plots, extra], ignore_index=True))
    rep = build_report(ds, as_of=AS_OF)
    (w,) = [w for w in rep.warnings if "cannot judge" in w]
    named = w.split("(plot_id ")[1]
    assert named.endswith(" …)") and len(named.split(", ")) == 5
    assert "X1" not in named  # in no park: the warning counts parks' plots
    only_beta = build_report(ds, as_of=AS_OF, park_ids=["beta"])
    (w,) = [w for w in only_beta.warnings if "cannot judge" in w]
    assert "(plot_id B" in w and "A1" not in w


@pytest.mark.slow
def test_plot_without_park_id_is_assigned_by_location(rep):
    plots = rep.plot_table.set_index("plot_id")
    assert plots.loc["B2", "park_id"] == "beta"
    assert pd.isna(plots.loc["X1", "park_id"])
    assert any("X1" in w for w in rep.warnings)


def test_park_filter_keeps_order_and_rejects_unknown(tiny_geodata):
    ds = load_dataset(tiny_geodata)
    rep = build_report(ds, park_ids=["beta", "alpha"], as_of=AS_OF)
    assert list(rep.park_table["park_id"]) == ["beta", "alpha"]
    # Named twice (repeated, or by id and name): one row, or sums count it twice.
    rep = build_report(ds, park_ids=["beta", "alpha", "beta", "甲园"], as_of=AS_OF)
    assert list(rep.park_table["park_id"]) == ["beta", "alpha"]
    with pytest.raises(UnknownParkError, match="nope"):
        build_report(ds, park_ids=["nope"])


def test_unmatched_stats_keys_warn_or_fail_when_strict(tiny_geodata):
    p = tiny_geodata / "attributes" / "park_stats.csv"
    p.write_text(p.read_text() + "ghost,2024,1,,,row for a park that does not exist\n")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    assert any("ghost" in w for w in rep.warnings)
    assert "beta" in rep.joins[0].only_in_layer
    with pytest.raises(JoinError, match="ghost") as refused:
        build_report(load_dataset(tiny_geodata), as_of=AS_OF, strict=True)
    # The refusal names the stray row only, not the parks that merely lack figures.
    assert "beta" not in str(refused.value)


def test_json_has_one_object_per_park_with_the_documented_keys(rep):
    data = json.loads(render(rep, "json"))
    assert [d["park_id"] for d in data] == ["alpha", "beta", "beta_child"]
    for d in data:
        assert REQUIRED_KEYS <= set(d)
    assert data[0]["investment_yuan"] == 5e9
    assert data[2]["investment_yuan"] == pytest.approx(4e7)
    # n/a is null, never NaN (which is not JSON)
    assert data[1]["reported_intensity_yuan_per_km2"] is None


def test_csv_round_trips(rep):
    rows = list(csv.DictReader(io.StringIO(render(rep, "csv"))))
    assert len(rows) == 3 and rows[0]["park_id"] == "alpha"
    assert float(rows[0]["investment_yuan"]) == pytest.approx(5e9)
    assert rows[1]["reported_intensity_yuan_per_km2"] == ""


def test_table_has_a_block_per_park_with_bilingual_labels(rep):
    text = render(rep, "table")
    assert text.count("== ") >= 3
    assert "投资强度（园区毛面积） / Investment intensity on gross park area (not land" in text
    assert "亿元/km²" in text and "万元/亩" in text
    assert "n/a" in text


def test_markdown_is_a_github_table(rep):
    text = render(rep, "markdown")
    lines = [ln for ln in text.splitlines() if ln.startswith("|")]
    assert len(lines) == 2 + 3  # header, rule, three parks
    assert lines[1].startswith("|--") or lines[1].startswith("|:-")


def test_planting_reports_both_figures_and_the_discrepancy(tmp_path, tiny_geodata):
    import geopandas as gpd
    from shapely.geometry import box

    from qygeo.io import layers

    planting = gpd.GeoDataFrame(
        {"planting_id": ["q", "l"], "name_zh": ["清新", "连南"], "name_en": ["Q", "L"],
         "district_adcode": ["441802", "441802"], "source": ["t", "t"],
         "boundary_quality": ["approximate", "illustrative"]},
        geometry=[box(113.0, 23.70, 113.05, 23.75), box(113.1, 23.70, 113.11, 23.71)],
        crs="EPSG:4326")
    layers.write_layer(planting, tiny_geodata / "planting.geojson", layers.PLANTING)
    (tiny_geodata / "attributes" / "planting_figures.csv").write_text(
        "figure_id,planting_ids,reported_mu,year,source,note\n"
        "both,q;l,48200,2024,§3.1.1,\nq_only,q,57500,2024,§5.3,\n", encoding="utf-8")
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    t = rep.planting.set_index("figure_id")
    assert t.loc["both", "reported_mu"] == 48200 and t.loc["q_only", "reported_mu"] == 57500
    assert t.loc["both", "mapped_mu"] > t.loc["q_only", "mapped_mu"]
    assert t.loc["q_only", "difference_mu"] == pytest.approx(
        t.loc["q_only", "mapped_mu"] - 57500)
    # An illustrative placeholder in a mapped sum says so beside it.
    assert t.loc["both", "mapped_quality"] == "q: approximate; l: illustrative"
    assert t.loc["q_only", "mapped_quality"] == "q: approximate"
    text = render(rep, "table")
    assert "48,200" in text and "57,500" in text and "l: illustrative" in text


def test_a_user_plots_table_with_only_id_and_geometry_still_reports(tiny_geodata, tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    plots = gpd.GeoDataFrame({"plot_id": ["u1", "u2"]},
                             geometry=[box(113.001, 23.601, 113.002, 23.602),
                                       box(113.31, 23.75, 113.311, 23.751)], crs="EPSG:4326")
    path = tmp_path / "mine.gpkg"
    plots.to_file(path, layer="plots", engine="pyogrio")
    rep = build_report(load_dataset(tiny_geodata, plots=path), as_of=AS_OF)
    alpha, beta = row(rep, "alpha"), row(rep, "beta")
    assert alpha["plot_count"] == 1 and beta["plot_count"] == 1
    assert alpha["plot_investment_yuan"] != alpha["plot_investment_yuan"]  # NaN: n/a
    assert pd.isna(alpha["idle_plot_count"])  # no dates: n/a, not 0
    assert alpha["investment_yuan"] == 5e9  # the stats still work
    data = json.loads(render(rep, "json"))
    assert data[0]["idle_plot_count"] is None and data[0]["plot_investment_yuan"] is None


@pytest.mark.slow
def test_geoparquet_plots_give_the_same_report_as_geojson(tiny_geodata, tmp_path):
    import geopandas as gpd

    gdf = gpd.read_file(tiny_geodata / "plots.geojson")
    pq = tmp_path / "plots.parquet"
    gdf.to_parquet(pq)
    a = render(build_report(load_dataset(tiny_geodata), as_of=AS_OF), "json")
    b = render(build_report(load_dataset(tiny_geodata, plots=pq), as_of=AS_OF), "json")
    assert a == b


def test_a_folder_without_planting_or_park_stats_says_so(tiny_geodata):
    # The planting section silently vanished, and the figures' warning read "of None".
    (tiny_geodata / "attributes" / "park_stats.csv").unlink()
    (tiny_geodata / "planting.geojson").unlink(missing_ok=True)
    rep = build_report(load_dataset(tiny_geodata), as_of=AS_OF)
    assert rep.year is None
    assert any("no planting.geojson" in w for w in rep.warnings)
    assert not any("None" in w for w in rep.warnings)
    assert any(w.startswith("parks: no actual or estimated figures in") for w in rep.warnings)


def test_plots_marked_illustrative_are_counted_per_park_and_warned(tiny_geodata, tmp_path):
    # A target 'already met' from invented plots said nothing in json/csv/markdown/table:
    # the parks whose plot figures rest on illustrative plots are counted and named.
    from qygeo.pipeline.plots import compute_plot_table

    ds = load_dataset(tiny_geodata)
    ds.plots["boundary_quality"] = ["illustrative" if p in ("A1", "A2") else "surveyed"
                                    for p in ds.plots["plot_id"]]
    rep = build_report(ds, as_of=AS_OF)
    assert row(rep, "alpha")["illustrative_plot_count"] == 2
    assert row(rep, "beta")["illustrative_plot_count"] == 0
    warning = next(w for w in rep.warnings if "marked illustrative" in w)
    assert "alpha 2 of 2" in warning and "beta" not in warning
    # The batch engine (a GeoParquet file, only the report's columns) counts the same.
    ds.plots.to_parquet(tmp_path / "p.parquet")
    from qygeo.pipeline.plot_table import REPORT_COLUMNS

    got = compute_plot_table(tmp_path / "p.parquet", ds.parks, AS_OF, columns=REPORT_COLUMNS)
    batch = build_report(ds, as_of=AS_OF, plots=got.table, summary=got.summary)
    assert row(batch, "alpha")["illustrative_plot_count"] == 2


def test_the_unjudged_plots_named_are_parks_plots_not_those_in_no_park():
    """The warning counts each park's plots the idle rule cannot judge, then named the
    first such plots of the table: with plots in no park first, it named only those (and
    which of them the per-park formats kept depended on how the file was batched)."""
    import pandas as pd

    from qygeo.pipeline.report import _plot_ids_where, _unjudged

    plots = pd.DataFrame({
        "plot_id": ["OUT1", "OUT2", "A1", "A2", "B1"],
        "park_id": pd.Categorical([None, None, "alpha", "alpha", "beta"]),
        "idle_status": ["n/a", "n/a", "n/a", "idle", "n/a"]})
    assert _plot_ids_where(plots, _unjudged(plots), None) == (["A1", "B1"], 2)
    assert _plot_ids_where(plots, _unjudged(plots), {"beta"}) == (["B1"], 1)
