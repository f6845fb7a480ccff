"""evaluate gives the same results whatever types the plot table's text columns have.

The per-plot table comes with text as Python objects (bundled data, GeoJSON),
as Arrow-backed strings or as pandas Categoricals (engines); dates as
datetime64 or text. The same plots in each form must give the same
indicators, grades, enterprises and park columns.

The per-plot and per-enterprise tables are built when first read, from the
plots as they were when evaluated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from synthetic import synthetic_plots

from conftest import BUNDLED
from qygeo.core.config import load_config
from qygeo.core.grading import grade_enterprises, grade_plots
from qygeo.io.dataset import load_dataset
from qygeo.pipeline.evaluation import evaluate
from qygeo.pipeline.plots import compute_plot_table
from qygeo.pipeline.report import build_report

AS_OF = dt.date(2026, 6, 30)
TEXT = ["plot_id", "park_id", "enterprise", "land_use", "delay_cause", "idle_status"]
ID_COLUMNS = ["plot_id", "park_id", "enterprise"]


@pytest.fixture(scope="module")
def setting():
    """The bundled parks, and 3000 synthetic plots with every kind of missing text (objects)."""
    ds = load_dataset(BUNDLED, load_plots=False)
    table = compute_plot_table(synthetic_plots(ds.parks, 3000, seed=11), ds.parks,
                                         AS_OF).table
    rng = np.random.default_rng(5)
    n = len(table)
    table = table.astype({c: object for c in TEXT})
    pick = rng.random(n)
    table.loc[pick < 0.05, "park_id"] = None  # plots in no park
    table.loc[(pick >= 0.05) & (pick < 0.08), "enterprise"] = None
    table.loc[(pick >= 0.08) & (pick < 0.1), "enterprise"] = "  "
    uses = np.array(["industrial", " Logistics ", "commercial", "", None], dtype=object)
    table["land_use"] = uses[rng.choice(len(uses), n, p=[0.6, 0.15, 0.1, 0.05, 0.1])]
    table.loc[rng.random(n) < 0.1, "developed_area_m2"] = np.nan
    table.loc[rng.random(n) < 0.05, "floor_area_m2"] = np.nan
    disposed = pd.Series(pd.NaT, index=table.index, dtype="datetime64[ns]")
    some = rng.random(n) < 0.2
    disposed[some] = pd.Timestamp("2025-03-01") + pd.to_timedelta(
        rng.integers(0, 400, some.sum()), unit="D")
    # Text, as a data file gives it: parsed where read (idle_disposed_on is optional).
    table["idle_disposed_on"] = [None if pd.isna(d) else d.date().isoformat() for d in disposed]
    rep = build_report(ds, plots=table, as_of=AS_OF)
    return ds, rep.park_table, rep.year, table


def typed(table: pd.DataFrame, parks: pd.Series, text: str) -> pd.DataFrame:
    """*table* with engine types: categorical park ids, Arrow plot ids, dates as datetime64.

    *text* is the type of the other text columns: ``category`` or ``arrow``.
    """
    out = table.copy()
    out["park_id"] = pd.Categorical(out["park_id"], categories=list(parks))
    out["plot_id"] = out["plot_id"].astype(pd.StringDtype("pyarrow"))
    for c in ("enterprise", "land_use", "delay_cause", "idle_status"):
        out[c] = out[c].astype("category" if text == "category" else pd.StringDtype("pyarrow"))
    out["idle_disposed_on"] = pd.to_datetime(out["idle_disposed_on"])
    return out


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The id columns as Python objects, missing values None."""
    out = frame.copy()
    for c in ID_COLUMNS:
        if c in out.columns:
            s = out[c].astype(object)
            out[c] = s.where(s.notna(), None)
    return out


def same_columns(got: dict, want: dict) -> None:
    assert list(got) == list(want)
    for pid in want:
        assert list(got[pid]) == list(want[pid]), pid
        for k, v in want[pid].items():
            g = got[pid][k]
            assert type(g) is type(v), (pid, k)
            assert g == v or (isinstance(v, float) and math.isnan(v) and math.isnan(g)), (pid, k)


@pytest.mark.slow
@pytest.mark.parametrize("text", ["category", "arrow"])
def test_engine_types_give_the_same_evaluation(setting, text):
    ds, parks, year, table = setting
    config = load_config()
    want = evaluate(ds, parks, table, year=year, as_of_year=AS_OF.year, config=config)
    got = evaluate(ds, parks, typed(table, ds.parks["park_id"], text), year=year,
                   as_of_year=AS_OF.year, config=config)
    # The plots are spread over the parks, nested ones too, with every status.
    assert want.indicators["status"].nunique() == 3
    assert (want.indicators["value"].notna()).sum() > 20
    pd.testing.assert_frame_equal(got.indicators, want.indicators, check_exact=True)
    pd.testing.assert_frame_equal(plain(got.grading), plain(want.grading), check_exact=True)
    pd.testing.assert_frame_equal(got.enterprises, want.enterprises, check_exact=True)
    pd.testing.assert_frame_equal(got.targets, want.targets, check_exact=True)
    same_columns(got.park_columns, want.park_columns)


def test_plot_and_enterprise_tables_are_built_when_read_from_the_plots_as_they_were(setting):
    ds, parks, year, table = setting
    config = load_config()
    plots = table.copy()
    ev = evaluate(ds, parks, plots, year=year, as_of_year=AS_OF.year, config=config)
    assert callable(ev.__dict__["grading"]) and callable(ev.__dict__["enterprises"])
    plots.loc[:, "tax_yuan"] = 0.0  # the caller's table changed in place after evaluate
    plots["enterprise"] = "one"
    pd.testing.assert_frame_equal(ev.grading, grade_plots(table, config), check_exact=True)
    pd.testing.assert_frame_equal(ev.enterprises, grade_enterprises(table, config),
                                  check_exact=True)
    assert not callable(ev.__dict__["grading"])  # built once
    assert ev.grading is ev.grading


@pytest.mark.parametrize(("method", "text"), [("percentile", None), ("cutoffs", None),
                                             ("percentile", "arrow")])
def test_plots_outside_the_parks_change_no_park_figure(setting, monkeypatch, method, text):
    """A city's plots, most in no park: the park figures are evaluated on the parks' plots
    only, and equal those evaluated on the whole table; the per-plot table still has all."""
    import qygeo.pipeline.evaluation as evaluation

    ds, parks, year, table = setting
    config = dataclasses.replace(load_config(), method=method)
    outside = pd.concat([table] * 3, ignore_index=True)
    outside["plot_id"] = [f"OUT{i}" for i in range(len(outside))]
    outside["park_id"] = None
    outside["tax_yuan"] = outside["tax_yuan"] * 7.0  # would move percentiles if ranked in
    city = pd.concat([outside.iloc[: len(table)], table, outside.iloc[len(table):]],
                     ignore_index=True)
    if text:  # the engine's types: Arrow text in chunks, categorical park ids
        city = typed(city, ds.parks["park_id"], text)
        city["plot_id"] = pd.arrays.ArrowStringArray(
            pa.chunked_array(np.array_split(city["plot_id"].to_numpy(object), 5)))
    taken = []
    real = evaluation._report_plots

    def spy(plots, codes, members):
        got = real(plots, codes, members)
        taken.append(len(got[0]))
        return got

    monkeypatch.setattr(evaluation, "_report_plots", spy)
    got = evaluate(ds, parks, city, year=year, as_of_year=AS_OF.year, config=config)
    assert taken == [int(table["park_id"].notna().sum())]  # only the parks' plots
    monkeypatch.setattr(evaluation, "_report_plots", lambda plots, codes, _m: (plots, codes))
    want = evaluate(ds, parks, city, year=year, as_of_year=AS_OF.year, config=config)
    assert sum(c["graded_plot_count"] for c in want.park_columns.values()) > 100
    pd.testing.assert_frame_equal(got.indicators, want.indicators, check_exact=True)
    same_columns(got.park_columns, want.park_columns)
    assert len(got.grading) == len(city)
    pd.testing.assert_frame_equal(got.grading, want.grading, check_exact=True)
