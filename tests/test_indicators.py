"""TD/T 1029-style indicators on hand-made plots, and n/a with a reason when inputs miss."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qygeo.core.indicators import INDICATORS, STATUS_NA, STATUS_OK, STATUS_PARTIAL, park_indicators

NAN = math.nan


def plots(**extra):
    df = pd.DataFrame({
        "plot_id": ["a", "b", "c"],
        "land_use": ["industrial", "logistics", "industrial"],
        "area_m2": [10000.0, 10000.0, 20000.0],
        "developed_area_m2": [5000.0, 10000.0, 0.0],
        "floor_area_m2": [7500.0, 10000.0, 0.0],
        "invested_yuan": [5e7, 3e7, 1e6],
        "tax_yuan": [1e6, NAN, NAN],
        "idle_status": ["not_idle", "not_idle", "idle"],
    })
    for k, v in extra.items():
        df[k] = v
    return df


def test_values_worked_by_hand():
    r = park_indicators(plots(), park_area_m2=100000.0,
                        park_attrs={"ready_for_supply_area_m2": 50000.0,
                                    "developable_area_m2": 80000.0})
    assert list(r) == list(INDICATORS)
    # ready 50000 of 80000 m² developable (not the 100000 m² polygon: issue 13) → 0.625;
    # supplied (plots) 40000 of 50000 ready → 0.8
    assert r["land_development_rate"].value == pytest.approx(0.625)
    assert r["land_supply_rate"].value == pytest.approx(0.8)
    # developed 15000 of 40000 m² of plots
    assert r["land_built_up_rate"].value == pytest.approx(0.375)
    # industrial (not logistics) developed 5000 of 15000 built m²
    assert r["industrial_land_share"].value == pytest.approx(1 / 3)
    # floor 17500 / built 15000
    assert r["floor_area_ratio"].value == pytest.approx(17500 / 15000)
    # built industrial+logistics a, b: 8e7 yuan = 8000 万元 on 1.5 ha → 5333.33 万元/公顷;
    # c (not built, developed 0) is not in it
    assert r["industrial_fai_intensity_wan_per_ha"].value == pytest.approx(8000 / 1.5)
    assert r["industrial_fai_intensity_wan_per_ha"].status == STATUS_OK


def test_built_plot_without_tax_stays_in_the_denominator():
    r = park_indicators(plots(), park_area_m2=100000.0)
    tax = r["industrial_tax_intensity_wan_per_ha"]
    # a: 1e6 yuan = 100 万元; a and b built: 1.5 ha → 66.67 万元/公顷, a lower bound (b reports
    # no tax). It used to divide over a's 0.5 ha only (200), inflating the figure.
    assert tax.status == STATUS_PARTIAL and tax.value == pytest.approx(100 / 1.5)
    assert "not reported by 1 of them (b)" in tax.basis and "lower bound" in tax.basis


def test_plots_lacking_an_input_are_left_out_and_named():
    r = park_indicators(plots(floor_area_m2=[7500.0, NAN, 0.0]), park_area_m2=100000.0)
    far = r["floor_area_ratio"]
    assert far.status == STATUS_PARTIAL and far.value == pytest.approx(7500 / 5000)
    assert "left out" in far.basis and "b" in far.basis.split("left out")[1]


def test_development_rate_needs_the_developable_land():
    r = park_indicators(plots(), park_area_m2=1e5, park_attrs={"ready_for_supply_area_m2": 5e4})
    dev = r["land_development_rate"]
    assert dev.status == STATUS_NA and "developable_area_m2" in dev.basis
    assert "polygon is not the denominator" in dev.basis
    assert r["land_supply_rate"].value == pytest.approx(0.8)  # its own inputs are there


def test_a_zero_denominator_is_na_saying_it_is_zero():
    # 0 was read as absent ("no developable_area_m2") and 0/0 came out NaN with status ok.
    r = park_indicators(plots(), park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": 0.0, "developable_area_m2": 0.0})
    dev, sup = r["land_development_rate"], r["land_supply_rate"]
    assert dev.status == STATUS_NA and dev.basis.startswith("developable_area_m2 is 0")
    assert sup.status == STATUS_NA and sup.basis.startswith("ready_for_supply_area_m2 is 0")
    r = park_indicators(plots(), park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": 0.0, "developable_area_m2": 1e5})
    assert r["land_development_rate"].value == 0.0
    assert r["land_development_rate"].status != STATUS_NA


def test_rates_of_areas_that_hold_one_another_above_one_are_na_saying_why():
    # TD/T 1029 nests them: supplied ⊆ ready for supply ⊆ developable. 200 % and 16,500 %
    # were printed beside Guangdong's benchmarks as figures.
    supplied = 40000.0  # the three test plots' area
    r = park_indicators(plots(), park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": 2e5, "developable_area_m2": 1e5})
    dev = r["land_development_rate"]
    assert dev.status == STATUS_NA and "exceeds developable_area_m2" in dev.basis
    r = park_indicators(plots(), park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": supplied / 2,
                                    "developable_area_m2": 1e5})
    sup = r["land_supply_rate"]
    assert sup.status == STATUS_NA and "exceeds ready_for_supply_area_m2" in sup.basis
    # At the edge (within the survey slack) they are figures.
    r = park_indicators(plots(), park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": supplied,
                                    "developable_area_m2": supplied})
    assert r["land_development_rate"].value == pytest.approx(1.0)
    assert r["land_supply_rate"].value == pytest.approx(1.0)


def test_built_up_land_is_its_own_column_with_an_explicit_fallback():
    # a gives built_up_area_m2 4000 (developed 5000: Art. 2's area under development);
    # b gives none: its developed_area_m2 10000 stands in, and the basis says so.
    r = park_indicators(plots(built_up_area_m2=[4000.0, NAN, 0.0]), park_area_m2=1e5)
    built = r["land_built_up_rate"]
    assert built.value == pytest.approx(14000 / 40000)
    assert "stands in where built_up_area_m2 is not given: 1 plot(s)" in built.basis
    assert r["floor_area_ratio"].value == pytest.approx(17500 / 14000)
    full = park_indicators(plots(built_up_area_m2=[4000.0, 8000.0, 0.0]), park_area_m2=1e5)
    assert full["land_built_up_rate"].value == pytest.approx(12000 / 40000)
    assert "stands in" not in full["land_built_up_rate"].basis
    # industrial only (a): floor 7500 / 4000 built
    assert full["industrial_floor_area_ratio"].value == pytest.approx(7500 / 4000)


def test_missing_inputs_give_na_with_the_reason():
    r = park_indicators(plots(), park_area_m2=100000.0)
    for key, needle in [
        ("land_development_rate", "ready_for_supply_area_m2"),
        ("industrial_building_coverage", "no building_footprint_m2 column"),
        ("land_supply_rate", "ready_for_supply_area_m2"),
        ("building_density", "no building_footprint_m2 column"),
        ("idle_land_disposal_rate", "no idle_disposed_on column"),
    ]:
        assert r[key].status == STATUS_NA and r[key].value is None, key
        assert needle in r[key].basis, key
    bare = park_indicators(pd.DataFrame({"plot_id": ["a"], "area_m2": [1.0]}),
                           park_area_m2=10.0)
    assert bare["land_built_up_rate"].basis == "no developed_area_m2 column in the plots table"
    assert bare["floor_area_ratio"].status == STATUS_NA
    assert "land_use" in bare["industrial_fai_intensity_wan_per_ha"].basis
    assert "idle status unknown" in bare["idle_land_disposal_rate"].basis
    assert all(v.value is None for k, v in bare.items()), "never a made-up number"


def test_every_value_unknown_is_na_not_zero():
    r = park_indicators(plots(tax_yuan=[NAN, NAN, NAN]), park_area_m2=1e5)
    tax = r["industrial_tax_intensity_wan_per_ha"]
    assert tax.status == STATUS_NA and tax.value is None and "unknown" in tax.basis


def test_building_density_and_disposal_rate_when_recorded():
    r = park_indicators(plots(building_footprint_m2=[2500.0, 5000.0, 0.0],
                              idle_disposed_on=[None, "2024-05-01", None]),
                        park_area_m2=1e5)
    assert r["building_density"].value == pytest.approx(7500 / 15000)
    # industrial (a only): footprint 2500 of 5000 built m²
    assert r["industrial_building_coverage"].value == pytest.approx(0.5)
    # idle c (20000 m²) not disposed, b (10000 m²) disposed: 10000 / 30000
    assert r["idle_land_disposal_rate"].value == pytest.approx(1 / 3)


@pytest.mark.parametrize(("as_of", "rate"), [("2024-04-30", 0.0), ("2024-05-01", 1 / 3),
                                            (None, 1 / 3)])
def test_a_disposal_counts_from_its_date(as_of, rate):
    # Disposed of on 2024-05-01: as of the day before, nothing had been disposed of.
    import datetime as dt

    day = dt.date.fromisoformat(as_of) if as_of else None
    r = park_indicators(plots(idle_disposed_on=[None, "2024-05-01", None]), park_area_m2=1e5,
                        as_of=day)
    assert r["idle_land_disposal_rate"].value == pytest.approx(rate)


def test_no_plots():
    r = park_indicators(plots().iloc[0:0], park_area_m2=1e5,
                        park_attrs={"ready_for_supply_area_m2": 5e4,
                                    "developable_area_m2": 1e5})
    assert r["land_development_rate"].value == pytest.approx(0.5)
    assert r["land_supply_rate"].status == STATUS_NA
    assert r["land_built_up_rate"].status == STATUS_NA and "no plots" in r[
        "land_built_up_rate"].basis
    # It said "idle status unknown (no start dates …)" of a park that has no plots at all.
    for table in (plots().iloc[0:0], pd.DataFrame({"plot_id": [], "area_m2": []})):
        disposal = park_indicators(table, park_area_m2=1e5)["idle_land_disposal_rate"]
        assert disposal.status == STATUS_NA
        assert disposal.basis == "no plots (no idle land to dispose of)"


@pytest.mark.parametrize("drop", [None, "land_use", "developed_area_m2", "idle_status"])
def test_two_threads_give_what_one_gives(monkeypatch, drop):
    import numpy as np

    from qygeo.core import indicators
    from qygeo.core.indicators import ParkRows, PlotColumns, park_indicator_sets

    rng = np.random.default_rng(5)
    n = 3000
    table = pd.DataFrame({
        "plot_id": [f"p{i}" for i in range(n)],
        "land_use": rng.choice(["industrial", "logistics", "residential", None], n),
        "area_m2": rng.uniform(1e3, 5e4, n),
        "developed_area_m2": np.where(rng.random(n) < 0.2, NAN, rng.uniform(0, 4e4, n)),
        "floor_area_m2": rng.uniform(0, 8e4, n),
        "building_footprint_m2": np.where(rng.random(n) < 0.1, NAN, rng.uniform(0, 3e4, n)),
        "invested_yuan": rng.uniform(0, 1e9, n),
        "tax_yuan": np.where(rng.random(n) < 0.3, NAN, rng.uniform(0, 1e7, n)),
        "idle_status": rng.choice(["idle", "not_idle", "n/a", "idle_art8"], n),
        "idle_disposed_on": pd.to_datetime(np.where(rng.random(n) < 0.1, "2024-05-01", None)),
    })
    if drop:
        table = table.drop(columns=[drop])
    codes = rng.integers(-1, 4, n)
    members = [[0], [1, 2], [3], [0, 1, 2, 3]]
    attrs = [{"ready_for_supply_area_m2": 1e6}] * 4

    def run(threshold: int) -> list:
        monkeypatch.setattr(indicators, "THREADED_ROWS", threshold)
        return park_indicator_sets(PlotColumns(table), ParkRows.of(codes, members),
                                   park_area_m2=[2e6] * 4, park_attrs=attrs)

    one, two = run(10**9), run(0)
    assert one == two
    if drop is None:  # the data exercise the partial and n/a paths too
        statuses = {v.status for park in one for v in park.values()}
        assert {STATUS_OK, STATUS_PARTIAL} <= statuses


@pytest.mark.parametrize("dtype", ["int8", "int16", "int64"])
def test_park_rows_by_a_pass_per_park_are_the_sorted_rows(monkeypatch, dtype):
    """A few parks take a pass each, many are sorted once: both give each park's rows
    (nested parks' included) in table order, for small and wide codes and plots of no park."""
    import numpy as np

    from qygeo.core import indicators
    from qygeo.core.indicators import ParkRows

    rng = np.random.default_rng(7)
    codes = rng.integers(-1, 6, 5000).astype(dtype)
    members = [[0, 2], [1], [2], [], [3, 4, 5], [5], [0, 1, 2, 3, 4, 5]]
    monkeypatch.setattr(indicators, "MASKED_PARKS", 16)
    passes = ParkRows.of(codes, members)
    monkeypatch.setattr(indicators, "MASKED_PARKS", 0)
    sorted_ = ParkRows.of(codes, members)
    np.testing.assert_array_equal(passes.rows, sorted_.rows)
    np.testing.assert_array_equal(passes.bounds, sorted_.bounds)
    for part, mine in zip(passes.parts(), members, strict=True):
        np.testing.assert_array_equal(passes.rows[part], np.flatnonzero(np.isin(codes, mine)))


def test_guangdong_2019_figures_stand_beside_the_indicators():
    import datetime as dt

    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report

    ind = build_report(load_dataset(), as_of=dt.date(2025, 6, 1)).evaluation.indicators
    gd = ind[ind["park_id"] == "guangfo"].set_index("indicator")["guangdong_2019"]
    assert gd["land_development_rate"] == pytest.approx(0.7292)
    assert gd["land_supply_rate"] == pytest.approx(0.8992)
    assert gd["land_built_up_rate"] == pytest.approx(0.8480)
    assert gd["floor_area_ratio"] == pytest.approx(1.00)
    assert gd["industrial_floor_area_ratio"] == pytest.approx(1.12)
    assert gd["building_density"] == pytest.approx(0.3688)
    assert gd["industrial_building_coverage"] == pytest.approx(0.5646)
    assert gd["industrial_fai_intensity_wan_per_ha"] == pytest.approx(7617.58)
    assert math.isnan(gd["idle_land_disposal_rate"])  # no figure published for it


def test_built_up_land_larger_than_its_plot_is_left_out_and_named():
    # 30,000 m² built on a 10,000 m² plot gave a built-up rate of 480 %: it is bad data,
    # unknown, as the idle rule takes a developed area larger than the plot.
    r = park_indicators(plots(built_up_area_m2=[30000.0, 8000.0, 0.0]), park_area_m2=1e5)
    built = r["land_built_up_rate"]
    assert built.status == STATUS_PARTIAL and "a" in built.basis
    assert built.value == pytest.approx(8000 / 30000)  # b over b and c, a left out
    slack = park_indicators(plots(built_up_area_m2=[10050.0, 8000.0, 0.0]), park_area_m2=1e5)
    assert slack["land_built_up_rate"].status == STATUS_OK
