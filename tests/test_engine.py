"""The plot engine gives the reference computation's figures (concave and straddling plots)."""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import TYPE_CHECKING

import geoarrow.pyarrow  # noqa: F401 - the fast WKB decoder (test extra)
import numpy as np
import pandas as pd
import pytest
import synthetic

from conftest import BUNDLED
from qygeo.core import metrics
from qygeo.core.idle import classify_idle
from qygeo.io import layers, plot_files
from qygeo.io.crs import is_wgs84
from qygeo.pipeline import plot_table as engine
from qygeo.pipeline.plots import compute_plot_table

if TYPE_CHECKING:
    import geopandas as gpd

AS_OF = dt.date(2025, 6, 30)


def reference_assign(plots: gpd.GeoDataFrame, parks: gpd.GeoDataFrame) -> pd.Series:
    """The assignment rule written plainly (an STRtree "within" query, smallest park first):
    the reference :mod:`qygeo.core.assign`'s grids must agree with.

    Parameters
    ----------
    plots : geopandas.GeoDataFrame
        WGS84 plots; ``park_id`` may be missing, empty or null.
    parks : geopandas.GeoDataFrame
        WGS84 parks with ``park_id``.

    Returns
    -------
    pandas.Series
        Park id per plot (index of *plots*), ``None`` where no park contains it.

    Notes
    -----
    The representative point (``shapely.point_on_surface``) always lies inside
    the plot, unlike a concave plot's centroid. Where nested parks both contain
    it (Huachuang Zhihui Gu inside Guangfo) the smallest park wins, so a
    plot belongs to the most specific park; parent parks count their children's
    plots through :func:`park_descendants`.
    """
    import pandas as pd
    import shapely

    if "park_id" in plots.columns:
        given = plots["park_id"].astype("object").where(plots["park_id"].notna(), None)
        given = given.map(lambda v: v if (v is not None and str(v).strip()) else None)
    else:
        given = pd.Series([None] * len(plots), index=plots.index, dtype="object")
    need = given.isna().to_numpy()
    if need.any() and len(parks):
        pts = shapely.point_on_surface(np.asarray(plots.geometry.values)[need])
        park_geoms = np.asarray(parks.geometry.values)
        tree = shapely.STRtree(park_geoms)
        pt_idx, park_idx = tree.query(pts, predicate="within")
        chosen = np.full(len(pts), -1, dtype="int64")
        if len(pt_idx):
            park_area = metrics.area_m2(parks.geometry)
            order = np.lexsort((park_area[park_idx], pt_idx))  # per point, smallest park first
            pt_sorted, park_sorted = pt_idx[order], park_idx[order]
            first = np.r_[True, pt_sorted[1:] != pt_sorted[:-1]]
            chosen[pt_sorted[first]] = park_sorted[first]
        ids = parks["park_id"].to_numpy(dtype="object")
        filled = np.where(chosen >= 0, ids[np.maximum(chosen, 0)], None)
        given = given.copy()
        given.iloc[np.flatnonzero(need)] = filled
    return given

@pytest.fixture(scope="module")
def parks():
    return layers.read_layer(BUNDLED / "parks.geojson", layers.PARKS)


@pytest.fixture(scope="module")
def plots(parks):
    return synthetic.synthetic_plots(parks, 4000, seed=11)


def reference(plots, parks):
    """The per-plot figures the way qygeo computed them before the engine."""
    out = metrics.with_areas(plots)
    out["park_id"] = reference_assign(out, parks)
    idle = classify_idle(out, AS_OF, out["area_m2"].to_numpy())
    return pd.concat([pd.DataFrame(out.drop(columns="geometry")), idle], axis=1)


def test_synthetic_plots_are_valid_concave_and_straddling(plots, parks):
    import shapely

    geoms = np.asarray(plots.geometry.values)
    assert shapely.is_valid(geoms).all()
    hull = shapely.area(shapely.convex_hull(geoms))
    assert (shapely.area(geoms) < 0.8 * hull).mean() > 0.2  # many strongly concave
    union = shapely.union_all(np.asarray(parks.geometry.values))
    assert (~shapely.within(geoms, union)).sum() > 50  # some cross a park boundary
    outside_centroid = ~shapely.contains(geoms, shapely.centroid(geoms))
    assert outside_centroid.any()  # the reason point_on_surface is used


def test_fast_plot_table_equals_reference(plots, parks):
    conformed = layers.conform(plots, layers.PLOTS, "synthetic")
    ref = reference(conformed, parks).set_index("plot_id")
    fast = compute_plot_table(conformed, parks, AS_OF).table.set_index("plot_id")
    assert list(fast.index) == list(ref.index)
    # park_id is categorical (a category per park): compared as text
    assert (fast["park_id"].astype(object).fillna("-") == ref["park_id"].fillna("-")).all()
    np.testing.assert_allclose(fast["area_m2"], ref["area_m2"], rtol=1e-9)
    for col in ("idle", "idle_status", "idle_days", "idle_consequence"):
        assert (fast[col] == ref[col]).all(), col


def test_fast_file_path_equals_frame_path(plots, parks, tmp_path):
    path = tmp_path / "plots.parquet"
    synthetic.write_geoparquet(plots, path)
    from_file = compute_plot_table(path, parks, AS_OF).table
    conformed = layers.conform(plots, layers.PLOTS, "synthetic")
    from_frame = compute_plot_table(conformed, parks, AS_OF).table
    for col in ("plot_id", "park_id", "area_m2", "idle_status", "invested_yuan"):
        a, b = from_file[col].reset_index(drop=True), from_frame[col].reset_index(drop=True)
        assert list(a.astype(object).where(a.notna(), None)) == list(
            b.astype(object).where(b.notna(), None)), col


@pytest.mark.slow
def test_holes_and_multipolygons_take_the_shapely_path(parks):
    from shapely.geometry import MultiPolygon, Polygon

    g = parks.geometry.iloc[0]
    x, y = g.representative_point().x, g.representative_point().y
    d = 0.001
    outer = [(x - d, y - d), (x + d, y - d), (x + d, y + d), (x - d, y + d)]
    hole = [(x - d / 2, y - d / 2), (x + d / 2, y - d / 2), (x + d / 2, y + d / 2),
            (x - d / 2, y + d / 2)]
    import geopandas as gpd

    gdf = gpd.GeoDataFrame({"plot_id": ["h", "m", "s"], "invested_yuan": [1.0, 2.0, 3.0]},
                           geometry=[Polygon(outer, [hole]),
                                     MultiPolygon([Polygon(hole), Polygon(
                                         [(a + 3 * d, b) for a, b in outer])]),
                                     Polygon(outer)], crs="EPSG:4326")
    gdf = layers.conform(gdf, layers.PLOTS, "t")
    fast = compute_plot_table(gdf, parks, AS_OF).table
    ref = reference(gdf, parks)
    np.testing.assert_allclose(fast["area_m2"], ref["area_m2"], rtol=1e-9)
    assert list(fast["park_id"]) == list(ref["park_id"])


def test_exact_sums_do_not_depend_on_batches():
    rng = np.random.default_rng(3)
    v = rng.uniform(0, 1, 20_000) * rng.choice([1e-3, 1.0, 1e7], 20_000)
    codes = rng.integers(0, 4, 20_000)
    whole = engine.exact_group_sums(v, codes, 4)
    halves = [engine.exact_group_sums(v[s], codes[s], 4)
              for s in (slice(0, 7_001), slice(7_001, None))]
    for g in range(4):
        expected = math.fsum(v[codes == g].tolist())
        assert engine.exact_value(whole[g]) == expected
        assert engine.exact_value(engine.add_exact(halves[0][g], halves[1][g])) == expected


def test_duplicate_plot_ids_are_refused(plots, parks, tmp_path):
    from qygeo.errors import FeatureError

    dup = plots.head(10).copy()
    dup.loc[dup.index[3], "plot_id"] = dup["plot_id"].iloc[0]
    path = tmp_path / "dup.parquet"
    synthetic.write_geoparquet(dup, path)
    with pytest.raises(FeatureError, match="duplicate plot_id"):
        compute_plot_table(path, parks, AS_OF)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_duplicate_in_another_batch_or_after_trimming_is_named(plots, parks, tmp_path,
                                                                 monkeypatch, workers):
    from qygeo.errors import FeatureError

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 7)
    dup = plots.head(30).copy()
    dup["plot_id"] = [f"q{i}" for i in range(30)]
    dup.loc[dup.index[25], "plot_id"] = "  q2 "  # the same id as row 2 once trimmed
    path = tmp_path / "dup.parquet"
    synthetic.write_geoparquet(dup, path)
    read = plot_files.read_plot_columns(path)
    assert read is not None
    with pytest.raises(FeatureError, match="duplicate plot_id") as err:
        engine._from_batches(read, parks, AS_OF, path=path, workers=workers)
    assert "q2" in str(err.value)


@pytest.mark.slow
def test_workers_reading_row_groups_give_the_one_thread_result(plots, parks, tmp_path,
                                                               monkeypatch):
    import pyarrow.parquet as pq

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 150)  # row groups of 400: batches within them
    path = tmp_path / "groups.parquet"
    plots.to_parquet(path, row_group_size=400, index=False)
    assert pq.ParquetFile(path).metadata.num_row_groups == 10
    opened = []
    read = plot_files.read_plot_columns(path)
    assert read is not None and read.parts is not None
    for part in read.parts:
        part.open = (lambda f: lambda: (opened.append(1), f())[1])(part.open)
    parallel = engine._from_batches(read, parks, AS_OF, path=path, workers=2)
    assert len(opened) == 10  # the workers read the row groups
    serial = engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF,
                                            path=path, workers=1)
    pd.testing.assert_frame_equal(parallel.table, serial.table)
    assert parallel.summary == serial.summary

    dup = plots.copy()
    dup.loc[dup.index[3900], "plot_id"] = dup["plot_id"].iloc[5]  # rows 5 and 3900: groups 0, 9
    dup.to_parquet(path, row_group_size=400, index=False)
    from qygeo.errors import FeatureError

    with pytest.raises(FeatureError, match="duplicate plot_id"):
        engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF,
                                       path=path, workers=2)


@pytest.mark.slow
def test_small_row_groups_are_read_together_and_give_the_same_figures(plots, parks, tmp_path,
                                                                       monkeypatch):
    """Row groups of 100 are joined into parts of up to BATCH_ROWS rows, each read as one
    batch, while every worker keeps two parts; the figures are those of one thread."""
    import pyarrow.parquet as pq

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 350)
    path = tmp_path / "small_groups.parquet"
    plots.iloc[:4000].to_parquet(path, row_group_size=100, index=False)
    assert pq.ParquetFile(path).metadata.num_row_groups == 40
    read = plot_files.read_plot_columns(path, min_parts=4)
    sizes = [p.rows for p in read.parts]
    assert sizes == [300] * 13 + [100] and sum(sizes) == 4000  # 3 groups: within 350 rows
    assert [p.offset for p in read.parts] == [300 * i for i in range(14)]
    batches = [[b.num_rows for b in p.open()] for p in read.parts]
    assert batches == [[300]] * 13 + [[100]]  # a part's groups in one batch
    # Few rows for the workers: parts stay small enough that each worker gets two.
    few = plot_files.read_plot_columns(path, min_parts=20)
    assert len(few.parts) >= 20 and max(p.rows for p in few.parts) <= 200
    joined = engine._from_batches(read, parks, AS_OF, path=path, workers=2)
    serial = engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF,
                                  path=path, workers=1)
    pd.testing.assert_frame_equal(joined.table, serial.table)
    assert joined.summary == serial.summary


@pytest.mark.slow
def test_gdal_formats_come_in_batches_of_batch_rows_not_gdals_65536(tmp_path):
    import geopandas as gpd
    import shapely

    n = 70_000
    x = 113.0 + np.arange(n) % 300 * 0.001
    y = 23.7 + np.arange(n) // 300 * 0.001
    gdf = gpd.GeoDataFrame({"plot_id": [f"B{i}" for i in range(n)]},
                           geometry=shapely.box(x, y, x + 0.0005, y + 0.0005), crs="EPSG:4326")
    path = tmp_path / "many.fgb"
    gdf.to_file(path, engine="pyogrio")
    assert plot_files.BATCH_ROWS > n
    read = plot_files.read_plot_columns(path)
    assert [b.num_rows for b in read.batches] == [n]  # one batch, not 65,536 and 4,464


def test_ids_in_order_prove_distinct_and_anything_else_is_left_to_the_full_check():
    import pandas as pd
    import pyarrow as pa

    run, distinct = engine.id_run, engine.runs_distinct
    assert run(pd.Series(["P1", "P2", "P3"], dtype="str")) == ("P1", "P3")
    assert run(pa.array(["only"])) == ("only", "only")
    assert run(pa.array(["P1", "P1"])) is None  # equal: not strictly increasing
    assert run(pa.array(["P2", "P1"])) is None
    assert run(pa.array(["P1", None])) is None  # a blank
    assert run(pa.array([1, 2, 3])) is None  # not text (conformed ids are)
    assert run(pa.array([], pa.string())) is None
    assert distinct([("P1", "P3"), ("P4", "P9")])
    assert not distinct([("P1", "P4"), ("P4", "P9")])  # the same id ends one, starts the next
    assert not distinct([("P5", "P9"), ("P1", "P3")])  # batches out of order
    assert not distinct([("P1", "P3"), None])
    assert not distinct([])


@pytest.mark.slow
def test_ids_out_of_order_are_still_checked_for_duplicates(plots, parks, tmp_path):
    path = tmp_path / "shuffled.parquet"
    shuffled = plots.iloc[::-1].reset_index(drop=True)
    shuffled.to_parquet(path, row_group_size=500, index=False)
    got = engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF,
                                         path=path, workers=2)
    assert len(got.table) == len(plots)
    dup = shuffled.copy()
    dup.loc[dup.index[-1], "plot_id"] = dup["plot_id"].iloc[0]
    dup.to_parquet(path, row_group_size=500, index=False)
    from qygeo.errors import FeatureError

    with pytest.raises(FeatureError, match="duplicate plot_id"):
        engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF,
                                       path=path, workers=2)


def test_geoarrow_decode_gives_the_shapely_decoders_doubles(plots):
    """Both WKB decoders give the same coordinates and leave the same rows to shapely."""
    import pyarrow as pa
    import shapely

    geoms = np.asarray(plots.geometry.values[:300]).copy()
    holed = shapely.Polygon([(113.0, 23.7), (113.01, 23.7), (113.01, 23.71), (113.0, 23.71)],
                            [[(113.002, 23.702), (113.004, 23.702), (113.004, 23.704)]])
    geoms[5], geoms[17] = holed, None
    wkb = pa.array(shapely.to_wkb(geoms), type=pa.binary())
    fast = plot_files._decode_geoarrow(wkb)
    assert fast is not None
    slow = plot_files.decode_polygons_shapely(wkb)
    for a, b in ((fast[0].x, slow[0].x), (fast[0].y, slow[0].y),
                 (fast[0].starts, slow[0].starts), (fast[0].rows, slow[0].rows),
                 (fast[1], slow[1])):
        assert np.array_equal(a, b)
    assert list(fast[1]) == [5, 17]
    multi = geoms.copy()
    multi[9] = shapely.MultiPolygon([geoms[0], geoms[1]])
    assert plot_files._decode_geoarrow(pa.array(shapely.to_wkb(multi), type=pa.binary())) is None


@pytest.mark.parametrize("geoarrow_from", [0, 10**9], ids=["geoarrow", "shapely"])
def test_rings_rebuild_the_very_polygons_their_wkb_holds(plots, monkeypatch, geoarrow_from):
    import pyarrow as pa
    import shapely

    monkeypatch.setattr(plot_files, "GEOARROW_MIN_ROWS", geoarrow_from)

    geoms = np.asarray(plots.geometry.values[:200]).copy()
    geoms[7] = None  # a row left to shapely: positions are rings', not rows'
    rings, rest = plot_files.decode_polygons(pa.array(shapely.to_wkb(geoms), type=pa.binary()))
    which = np.array([0, 5, 6, 7, 150, 198])
    rebuilt = rings.polygons(which)
    assert shapely.equals_exact(rebuilt, geoms[rings.rows[which]], tolerance=0).all()
    assert list(rest) == [7] and rings.rows[7] == 8


@pytest.mark.parametrize("other", [
    "POINT (113 24)", "LINESTRING (113 24, 113.1 24.1)", "POLYGON Z ((0 0 1, 1 0 1, 1 1 1, 0 0 1))",
    "MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)))", "GEOMETRYCOLLECTION (POLYGON ((0 0, 1 0, 1 1, 0 0)))",
])
@pytest.mark.parametrize("byte_order", [0, 1])
def test_typed_decode_is_taken_only_when_every_value_is_a_2d_polygon(other, byte_order,
                                                                     monkeypatch):
    import geoarrow.pyarrow as ga
    import pyarrow as pa
    import shapely

    monkeypatch.setattr(plot_files, "GEOARROW_MIN_ROWS", 0)  # geoarrow, however few rows

    plain = [shapely.box(113, 24, 113.01, 24.01), None, shapely.Polygon(),
             shapely.Polygon([(0, 0), (9, 0), (9, 9), (0, 9)], [[(1, 1), (2, 1), (2, 2)]])]

    def wkb(geoms):  # type: ignore[no-untyped-def]
        return ga.wkb().wrap_array(pa.array(shapely.to_wkb(np.array(geoms, dtype=object),
                                                           byte_order=byte_order), pa.binary()))

    assert plot_files._as_xy_polygons(ga, wkb(plain)) is not None
    # geoarrow-c would coerce these into polygons when told the type: the sizes refuse them.
    assert plot_files._as_xy_polygons(ga, wkb([*plain, shapely.from_wkt(other)])) is None
    rings, rest = plot_files.decode_polygons(wkb([*plain, shapely.from_wkt(other)]))
    assert list(rings.rows) == [0] and list(rest) == [1, 2, 3, 4]


def _missing_as_none(s: pd.Series) -> list:
    return [None if v is None or (not isinstance(v, str) and pd.isna(v)) else v
            for v in s.astype(object)]


def test_arrow_conform_gives_what_pandas_conform_gives():
    import pyarrow as pa

    batch = pa.RecordBatch.from_pydict({
        "plot_id": pa.array([" a1", "a2 ", "a3", "a4"]),
        "park_id": pa.array(["guangfo", "  ", None, " x "], pa.large_string()),
        "district_adcode": pa.array([441802, None, 441821, 441802], pa.int64()),
        "invested_yuan": pa.array([1, None, 3, 4], pa.int32()),
        "tax_yuan": pa.array([0.5, None, 2.5, float("nan")]),
        "agreed_start_date": pa.array([dt.date(2020, 2, 29), None, dt.date(2021, 1, 1),
                                       dt.date(2022, 12, 31)], pa.date32()),
        "suspended_since": pa.array([None, None, None, None], pa.null()),
        "actual_start_date": pa.array([None, dt.datetime(2021, 5, 1, 12), None, None],
                                      pa.timestamp("us")),
        "enterprise": pa.array(["E1", None, "", "E2"]),
    })
    fast = layers.arrow_frame(layers.conform_arrow(batch, layers.PLOTS, "t"), layers.PLOTS)
    ref = layers.conform(batch.to_pandas(date_as_object=False), layers.PLOTS, "t")
    assert list(fast.columns) == list(ref.columns)
    for col in ref.columns:
        assert _missing_as_none(fast[col]) == _missing_as_none(ref[col]), col
        if (col in layers.PLOTS.numeric or col in layers.PLOTS.dates) and ref[col].notna().any():
            assert fast[col].dtype == ref[col].dtype, col  # (pandas types all-NaT as [s])
    assert _missing_as_none(fast["park_id"]) == ["guangfo", None, None, "x"]


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns", "date"])
def test_arrow_dates_of_every_unit_become_the_same_datetime64_ns(unit):
    import pyarrow as pa

    days = [dt.datetime(1900, 1, 1), None, dt.datetime(2020, 2, 29, 13, 5, 7),
            dt.datetime(2100, 12, 31, 23, 59, 59)]
    arr = (pa.array([d.date() if d else None for d in days], pa.date32()) if unit == "date"
           else pa.array(days, pa.timestamp(unit)))
    batch = pa.RecordBatch.from_pydict({"plot_id": ["a", "b", "c", "d"],
                                        "agreed_start_date": arr})
    got = layers.arrow_frame(layers.conform_arrow(batch, layers.PLOTS, "t"), layers.PLOTS)
    # What pandas makes of the same column: its datetime64 conversion, then [ns].
    want = batch.to_pandas(date_as_object=False)["agreed_start_date"].astype("datetime64[ns]")
    assert got["agreed_start_date"].dtype == np.dtype("datetime64[ns]")
    pd.testing.assert_series_equal(got["agreed_start_date"], want)
    assert got["agreed_start_date"].isna().tolist() == [False, True, False, False]


def test_park_column_categories_are_made_once_and_a_repeated_id_stays_text():
    first = engine.park_column(np.array([0, 1, -1]), ["guangfo", "qingxin"])
    again = engine.park_column(np.array([1, 1]), ["guangfo", "qingxin"])
    assert first.categories is again.categories  # one index for every batch
    assert list(first.astype(object)[:2]) == ["guangfo", "qingxin"] and pd.isna(first[2])
    repeated = engine.park_column(np.array([0, 1, -1]), ["guangfo", "guangfo"])
    assert not isinstance(repeated.dtype, pd.CategoricalDtype)
    assert list(repeated[:2]) == ["guangfo", "guangfo"] and pd.isna(repeated[2])


def test_extra_date_columns_beyond_nanoseconds_or_with_a_zone_are_carried(plots, parks,
                                                                         tmp_path):
    """A column qygeo does not read is data to carry: a year-3000 date or a zoned time in
    it once made the xlsx report end in a traceback (pandas' cast to nanoseconds)."""
    from click.testing import CliRunner

    from qygeo.cli import main

    some = plots.head(40).copy()
    some["survey_date"] = [dt.date(3000, 1, 1)] * len(some)  # date32, past 2262
    some["survey_time"] = pd.Series(pd.Timestamp("2020-01-01 08:00", tz="Asia/Shanghai"),
                                    index=some.index)
    some["archived_at"] = [dt.datetime(2500, 6, 1)] * len(some)  # timestamp[us]
    path = tmp_path / "extra.parquet"
    synthetic.write_geoparquet(some, path)
    table = compute_plot_table(path, parks, AS_OF).table
    assert (table["survey_date"] == pd.Timestamp("3000-01-01")).all()
    assert (table["archived_at"] == pd.Timestamp("2500-06-01")).all()
    assert str(table["survey_time"].dt.tz) == "Asia/Shanghai"
    assert table["survey_time"].iloc[0] == pd.Timestamp("2020-01-01 08:00", tz="Asia/Shanghai")
    # The layer's own dates are still nanoseconds, as conform makes them.
    assert table["agreed_start_date"].dtype == np.dtype("datetime64[ns]")
    runner = CliRunner()
    for fmt in ("json", "csv", "html", "xlsx"):
        out = tmp_path / f"r.{fmt}"
        res = runner.invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", str(path),
                                   "--format", fmt, "-o", str(out), "-q"])
        assert res.exit_code == 0 and res.exception is None, (fmt, res.output)
        assert out.stat().st_size > 0
    import openpyxl

    sheet = openpyxl.load_workbook(tmp_path / "r.xlsx")["plots"]
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert dt.datetime(3000, 1, 1) in values and dt.datetime(2500, 6, 1) in values


@pytest.mark.parametrize("arrow_type, huge", [("uint64", 2**64 - 1), ("int64", 2**62 + 1)])
def test_integers_past_float_precision_are_refused_as_too_large_not_a_traceback(
        plots, parks, tmp_path, arrow_type, huge):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from qygeo.cli import main

    some = plots.head(30).copy()
    path = tmp_path / "ints.parquet"
    synthetic.write_geoparquet(some, path)
    table = pq.read_table(path)
    values = [10**15] + [huge] + [7] * (len(some) - 2)  # the largest accepted, then too large
    i = table.column_names.index("invested_yuan")
    table = table.set_column(i, "invested_yuan", pa.array(values, getattr(pa, arrow_type)()))
    pq.write_table(table, path)
    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--plots", str(path),
                                    "--format", "json", "-q"])
    assert res.exit_code == 1 and isinstance(res.exception, SystemExit), res.exception
    assert f"[{some['plot_id'].iloc[1]}]: invested_yuan is larger than 1e15" in res.stderr
    kept = compute_plot_table(path, parks, AS_OF, skip_invalid=True)
    assert [pid for pid, _ in kept.excluded] == [some["plot_id"].iloc[1]]
    first = kept.table[kept.table["plot_id"] == some["plot_id"].iloc[0]]
    assert first["invested_yuan"].iloc[0] == 1e15  # exact: every integer up to 1e15 is


def _geometry_replaced(table, values):
    import pyarrow as pa

    i = table.column_names.index("geometry")
    return table.set_column(i, "geometry", pa.array(values))


#: name → (change to the GeoParquet table, words of the one error line)
NOT_WKB = {
    "geometry column missing": (
        lambda t: t.replace_schema_metadata({
            **t.schema.metadata, b"geo": b'{"primary_column": "shape", "columns": {}}'}),
        "cannot be read as a layer"),
    "integers": (lambda t: _geometry_replaced(t, list(range(t.num_rows))),
                 "cannot be read as a layer (Expected bytes or string, got int)"),
    "bytes that are not WKB": (lambda t: _geometry_replaced(t, [b"\x01\x03garbage"] * t.num_rows),
                               "cannot be read as a layer (ParseException"),
    "text": (lambda t: _geometry_replaced(t, ["POLYGON((0 0, 1 0, 1 1, 0 0))"] * t.num_rows),
             "cannot be read as a layer (ParseException"),
}


@pytest.mark.parametrize("case", list(NOT_WKB))
def test_a_geometry_column_that_is_not_wkb_is_one_line_for_report_and_map(plots, tmp_path,
                                                                          case):
    import pyarrow.parquet as pq
    from click.testing import CliRunner

    from qygeo.cli import main

    change, words = NOT_WKB[case]
    path = tmp_path / "plots.parquet"
    synthetic.write_geoparquet(plots.head(20), path)
    table = pq.read_table(path)
    pq.write_table(change(table), path)
    runner = CliRunner()
    for args in (["report", "--format", "json"], ["map", "-o", str(tmp_path / "m.html")]):
        res = runner.invoke(main, [*args, "--geodata", str(BUNDLED), "--plots", str(path), "-q"])
        assert res.exit_code == 1 and isinstance(res.exception, SystemExit), (args, res.exception)
        line = res.stderr.strip().splitlines()[-1]
        assert line.startswith(f"qygeo: error: {path}: ") and words in line, (args, line)


def test_text_in_a_number_column_leaves_the_arrow_path_and_is_named(plots, parks, tmp_path):
    import pyarrow as pa

    from qygeo.errors import FeatureError

    batch = pa.RecordBatch.from_pydict({"plot_id": ["p1", "p2"],
                                        "invested_yuan": ["12", "lots"]})
    assert layers.conform_arrow(batch, layers.PLOTS, "t") is None
    bad = plots.head(20).copy()
    bad["invested_yuan"] = [None if pd.isna(v) else f"{v:.2f}" for v in bad["invested_yuan"]]
    bad.loc[bad.index[7], "invested_yuan"] = "lots"
    path = tmp_path / "bad.parquet"
    synthetic.write_geoparquet(bad, path)
    with pytest.raises(FeatureError, match=r"invested_yuan is not a number: 'lots'") as err:
        compute_plot_table(path, parks, AS_OF)
    assert bad["plot_id"].iloc[7] in str(err.value)


def test_stated_parks_blank_and_unknown_read_alike_from_arrow_and_pandas(plots, parks, tmp_path):
    some = plots.head(600).copy()
    some["park_id"] = some["park_id"].astype(object)
    some.loc[some.index[:50], "park_id"] = " guangfo "
    some.loc[some.index[50:60], "park_id"] = "no_such_park"
    some.loc[some.index[60:70], "park_id"] = "   "
    path = tmp_path / "stated.parquet"
    synthetic.write_geoparquet(some, path)
    result = compute_plot_table(path, parks, AS_OF)
    frame = compute_plot_table(layers.conform(some, layers.PLOTS, "t"), parks, AS_OF).table
    assert _missing_as_none(result.table["park_id"]) == _missing_as_none(frame["park_id"])
    assert set(result.table["park_id"].iloc[:50]) == {"guangfo"}
    assert set(result.table["park_id"].iloc[50:60]) == {"no_such_park"}
    # The summary the worker threads merged is the summary of the whole table.
    whole = engine.PlotSummary.of(frame, list(parks["park_id"]))
    assert result.summary.stray_count == whole.stray_count == 10
    assert result.summary.unassigned_count == whole.unassigned_count
    assert result.summary.leaves == whole.leaves


def test_park_column_is_one_categorical_across_batches_with_different_stray_parks(
        plots, parks, tmp_path, monkeypatch):
    import pandas as pd

    some = plots.head(900).copy()
    some["park_id"] = some["park_id"].astype(object)
    some.loc[some.index[10:20], "park_id"] = "stray_a"  # only in the first batch
    some.loc[some.index[700:710], "park_id"] = "stray_b"  # only in the last
    some.loc[some.index[800:805], "park_id"] = "stray_a"
    path = tmp_path / "strays.parquet"
    some.to_parquet(path, row_group_size=300, index=False)
    monkeypatch.setattr(plot_files, "BATCH_ROWS", 300)
    table = compute_plot_table(path, parks, AS_OF).table
    col = table["park_id"]
    assert isinstance(col.dtype, pd.CategoricalDtype)
    assert set(col.cat.categories) == {*parks["park_id"], "stray_a", "stray_b"}
    frame = compute_plot_table(layers.conform(some, layers.PLOTS, "t"), parks, AS_OF).table
    assert _missing_as_none(col) == _missing_as_none(frame["park_id"])
    assert col.iloc[700] == "stray_b" and col.iloc[803] == "stray_a"


@pytest.mark.slow
def test_batches_merge_to_the_one_pass_summary(plots, parks, tmp_path, monkeypatch):
    path = tmp_path / "plots.parquet"
    synthetic.write_geoparquet(plots, path)
    one = compute_plot_table(path, parks, AS_OF)
    monkeypatch.setattr(plot_files, "BATCH_ROWS", 333)
    many = compute_plot_table(path, parks, AS_OF)
    assert many.summary.leaves == one.summary.leaves
    assert many.summary.unassigned_ids == one.summary.unassigned_ids
    pd.testing.assert_frame_equal(many.table, one.table)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["bundled", "synthetic"])
def test_report_columns_are_all_the_per_park_report_reads(which, plots, parks, tmp_path):
    """`qygeo report` reads only REPORT_COLUMNS for per-park formats: nothing may change."""
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report
    from qygeo.render.text import format_json

    ds = load_dataset(BUNDLED, load_plots=False)
    if which == "bundled":
        path = BUNDLED / "plots.geojson"
    else:
        path = tmp_path / "plots.parquet"
        synthetic.write_geoparquet(plots, path)
    reports = []
    for columns in (None, engine.REPORT_COLUMNS):
        got = compute_plot_table(path, ds.parks, AS_OF, columns=columns)
        reports.append(build_report(ds, as_of=AS_OF, plots=got.table, summary=got.summary))
    full, lean = reports
    assert format_json(lean) == format_json(full)
    assert lean.warnings == full.warnings
    assert len(lean.plots.columns) < len(full.plots.columns)


def test_every_format_checks_the_same_plot_columns(tiny_geodata):
    """A row one format refuses (an impossible contract date) is refused by all."""
    from click.testing import CliRunner

    from qygeo.cli import main

    assert set(layers.PLOTS.numeric) | set(layers.PLOTS.dates) <= set(engine.REPORT_COLUMNS)
    text = (tiny_geodata / "plots.geojson").read_text(encoding="utf-8")
    data = json.loads(text)
    data["features"][0]["properties"]["contract_date"] = "2021-02-30"
    (tiny_geodata / "plots.geojson").write_text(json.dumps(data), encoding="utf-8")
    for fmt in ("json", "csv", "html"):
        args = ["report", "--geodata", str(tiny_geodata), "--format", fmt, "-q"]
        if fmt == "html":
            args += ["-o", str(tiny_geodata.parent / "r.html")]
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 1 and "contract_date" in res.output, (fmt, res.output)


def test_geoparquet_crs_is_recognised_as_wgs84_by_its_id_or_by_pyproj():
    from pyproj import CRS

    wgs84 = CRS.from_epsg(4326).to_json_dict()
    assert wgs84["id"] == {"authority": "EPSG", "code": 4326}
    assert is_wgs84(wgs84)
    assert is_wgs84(CRS.from_user_input("OGC:CRS84").to_json_dict())
    assert is_wgs84(None)  # GeoParquet's default
    unnamed = dict(wgs84)
    del unnamed["id"]  # no id: pyproj compares the definitions
    assert is_wgs84(unnamed)
    assert not is_wgs84(CRS.from_epsg(4547).to_json_dict())  # CGCS2000 / GK
    assert not is_wgs84({"id": {"authority": "EPSG", "code": 4490}, "type": "x"})


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_paused_during_the_batches_and_left_as_it_was(
        plots, parks, tmp_path, monkeypatch, enabled):
    import gc

    path = tmp_path / "plots.parquet"
    plots.head(600).to_parquet(path, row_group_size=200, index=False)
    seen = []
    real = engine._batch_columns

    def spy(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "_batch_columns", spy)
    monkeypatch.setattr(plot_files, "BATCH_ROWS", 200)
    (gc.enable if enabled else gc.disable)()
    try:
        got = compute_plot_table(path, parks, AS_OF)
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
    assert len(got.table) == 600
    assert seen == [False, False, False]


def test_id_hashes_are_equal_for_equal_ids_whatever_the_arrow_layout():
    import pyarrow as pa

    ids = ["P1", "P10", "", "园区-甲-001", "P1", "x" * 300, "P01"]
    h = engine.id_hashes(pa.array(ids))
    assert h.dtype == np.uint64 and len(h) == len(ids)
    assert h[0] == h[4]  # the same id
    assert len(set(h.tolist())) == 6  # every other id differs, the empty one included
    # Large strings, chunked, sliced and one-length ids (the matrix path) hash the same.
    large = engine.id_hashes(pa.array(ids, pa.large_string()))
    chunked = engine.id_hashes(pa.chunked_array([ids[:3], ids[3:]]))
    sliced = engine.id_hashes(pa.array(["zz", *ids]).slice(1))
    assert (large == h).all() and (chunked == h).all() and (sliced == h).all()
    # An empty id after another leaves that id's hash as it is.
    assert (engine.id_hashes(pa.array(["P1", "P10", ""]))[:2]
            == engine.id_hashes(pa.array(["P1", "P10"]))).all()
    same_length = ["AB1", "AB2", "AB1"]
    mixed = engine.id_hashes(pa.array([*same_length, "longer"]))[:3]
    assert (engine.id_hashes(pa.array(same_length)) == mixed).all()
    assert engine.id_hashes(pa.array(["P1", None])) is None  # a blank: pandas decides
    assert engine.id_hashes(pa.array([1, 2])) is None


def test_repeated_rows_finds_every_row_of_a_shared_hash_on_both_halves():
    rng = np.random.default_rng(7)
    h = rng.integers(0, 2**63, 200_000, dtype=np.int64).view(np.uint64).copy()
    h[150_000:] |= np.uint64(1 << 63)  # both halves of the split are used
    assert len(engine.repeated_rows(h)) == 0
    h[[10, 120_000]] = h[5]
    h[[199_999]] = h[160_000]
    assert engine.repeated_rows(h).tolist() == [5, 10, 120_000, 160_000, 199_999]


def test_a_hash_collision_is_no_duplicate_and_the_first_duplicate_is_named(monkeypatch):
    import pandas as pd

    from qygeo.errors import FeatureError

    ids = pd.Series([f"id{i}" for i in range(100_000)], dtype="str").sample(
        frac=1.0, random_state=3).reset_index(drop=True)
    engine.check_unique_ids(ids, "plots.parquet")
    # Every id sharing one hash: compared as text, still distinct.
    engine.check_unique_ids(ids, "plots.parquet", hashes=np.zeros(len(ids), np.uint64))
    dup = ids.copy()
    dup.iloc[70_000] = dup.iloc[500]
    dup.iloc[90_000] = dup.iloc[20]
    with pytest.raises(FeatureError, match="duplicate plot_id") as err:
        engine.check_unique_ids(dup, "plots.parquet")
    assert str(dup.iloc[500]) in str(err.value)  # row 70,000 is the first repeat


def test_dt_date_takes_dates_datetimes_and_text():
    import datetime as dt

    import pandas as pd

    day = dt.date(2026, 1, 31)
    assert engine.dt_date(day) is day
    assert engine.dt_date(dt.datetime(2026, 1, 31, 23, 59)) == day
    assert engine.dt_date(pd.Timestamp("2026-01-31 08:00")) == day
    assert engine.dt_date("2026-01-31") == day
    assert engine.dt_date(np.datetime64("2026-01-31")) == day


def test_a_batch_waits_for_the_parks_index_only_to_assign(plots, parks):
    """The engine's workers pass a function giving the index: it is called once per batch,
    after the geometry, and the figures are those of the index itself."""
    import pyarrow as pa
    import shapely

    from qygeo.core.assign import ParkIndex

    sample = plots.head(300)
    attrs = pa.RecordBatch.from_pandas(
        sample.drop(columns=[sample.geometry.name]).reset_index(drop=True),
        preserve_index=False)
    batch = plot_files.PlotBatch(attrs=attrs, wkb=pa.array(
        shapely.to_wkb(np.asarray(sample.geometry.values)), pa.binary()))
    index = ParkIndex.build(parks)
    calls = []

    def later():
        calls.append(1)
        return index

    got, _, _ = engine._batch_columns(batch, later, AS_OF)
    want, _, _ = engine._batch_columns(batch, index, AS_OF)
    assert calls == [1]
    assert list(got["park_id"].astype(object)) == list(want["park_id"].astype(object))
    np.testing.assert_array_equal(got["area_m2"], want["area_m2"])


def _closed_rings(kind, k, m, rng):
    """*m* rings of *k* vertices (closed: k + 1 rows) of one kind, as (vertices, rings)."""
    if kind == "grid":  # small integers: vertices on the scan line, ties, horizontal edges
        x = rng.integers(0, 5, (k, m)).astype(float)
        y = rng.integers(0, 5, (k, m)).astype(float)
    elif kind == "star":  # simple, most of them concave
        ang = np.sort(rng.uniform(0, 2 * np.pi, (k, m)), axis=0)
        r = rng.uniform(0.2, 1, (k, m))
        x, y = 113.05 + r * np.cos(ang) * 1e-3, 23.7 + r * np.sin(ang) * 1e-3
    elif kind == "ulp":  # heights a bit apart: the scan line, halfway, rounds onto a vertex
        x = rng.integers(0, 5, (k, m)).astype(float)
        y = rng.choice([0.0, 1.0, np.nextafter(1.0, 2.0), 2.0], (k, m))
    elif kind == "tangled":  # self-crossing, as in a bad ledger
        x, y = rng.uniform(112, 113, (k, m)), rng.uniform(23, 24, (k, m))
    else:  # no area: on a line, or all at one height
        t = rng.integers(0, 3, (k, m)).astype(float)
        x, y = 113 + t * 1e-4, (np.full((k, m), 24.0) if kind == "flat" else 24 + t * 2e-4)
    return np.vstack([x, x[:1]]), np.vstack([y, y[:1]])


def _geos_points(x, y):
    import shapely

    m, v = x.shape[1], x.shape[0]
    polys = shapely.from_ragged_array(
        shapely.GeometryType.POLYGON, np.column_stack([x.T.ravel(), y.T.ravel()]),
        (np.arange(m + 1) * v, np.arange(m + 1)))
    pts = shapely.point_on_surface(polys)
    return shapely.get_x(pts), shapely.get_y(pts)


@pytest.mark.parametrize("kind", ["grid", "ulp", "star", "tangled", "line", "flat"])
def test_interior_points_are_shapelys_points_on_surface_to_the_bit(kind):
    """The numpy interior point is GEOS's (shapely.point_on_surface, DuckDB's
    ST_PointOnSurface) to the last bit, on rings with vertices on the scan line, ties
    of width, self-crossings and no area: a plot on a park's edge falls in the same park.
    Each rule of GEOS's is needed: dropping any one of them fails here."""
    from qygeo.core.assign import interior_points

    rng = np.random.default_rng(len(kind))
    for k in (3, 4, 5, 8, 13):
        x, y = _closed_rings(kind, k, 3000, rng)
        px, py, exact = interior_points(x, y)
        assert exact.all()  # closed rings cross the scan line an even number of times
        gx, gy = _geos_points(x, y)
        np.testing.assert_array_equal(px, gx)
        np.testing.assert_array_equal(py, gy)


def test_rings_numpy_cannot_follow_are_left_to_shapely(parks):
    """An unclosed ring (GEOS closes it first) and a ring of three vertices are flagged
    not exact; the engine's interior points take shapely's for them and numpy's for the
    others, ring by ring in any order of vertex counts, and assign the same parks as
    shapely's points."""
    import shapely

    from qygeo.core.assign import ParkIndex, interior_points
    from qygeo.io.plot_rows import Rings

    square = ([0.0, 1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0, 0.0])
    unclosed = ([0.0, 4.0, 4.0, 1.0], [0.0, 0.0, 3.0, 2.0])
    _, _, exact = interior_points(np.array(unclosed[0])[:, None], np.array(unclosed[1])[:, None])
    assert not exact.any()
    _, _, exact = interior_points(np.array([[0.0], [1.0], [0.0]]), np.array([[0.0], [1.0], [0.0]]))
    assert not exact.any()
    # Around a park's edge: the rings' points land on both sides of it.
    minx, miny, maxx, maxy = parks.geometry.iloc[0].bounds
    rng = np.random.default_rng(3)
    xs, ys, starts = [], [], [0]
    for i in range(400):
        cx, cy = minx + rng.uniform(-0.002, 0.002), rng.uniform(miny, maxy)
        ring = [square, unclosed][i % 7 == 3]
        scale = rng.uniform(1e-4, 1e-3)
        xs += [cx + scale * v for v in ring[0]]
        ys += [cy + scale * v for v in ring[1]]
        starts.append(starts[-1] + len(ring[0]))
    rings = Rings(np.array(xs), np.array(ys), np.array(starts), np.arange(400))
    which = np.flatnonzero(rng.random(400) < 0.6)
    px, py = engine._interior_points(rings, which)
    pts = shapely.point_on_surface(rings.polygons(which))
    np.testing.assert_array_equal(px, shapely.get_x(pts))
    np.testing.assert_array_equal(py, shapely.get_y(pts))
    index = ParkIndex.build(parks)
    chosen = index.smallest_containing_xy(px, py)
    np.testing.assert_array_equal(chosen, index.smallest_containing(pts))
    assert {-1, 0} <= set(chosen.tolist())


@pytest.mark.parametrize("looped", [32, 0])
def test_points_placed_park_by_park_are_the_trees(parks, monkeypatch, looped):
    """A few parks test the points in their boxes park by park, many go through the tree:
    both give each point its smallest park (a nested park over its parent, the first of
    two equal parks), on points all over the parks, on their edges and outside."""
    import geopandas as gpd
    import shapely

    from qygeo.core import assign

    twin = parks.iloc[[0]].assign(park_id="twin")  # the same polygon again: equal areas
    every = gpd.GeoDataFrame(pd.concat([parks, twin], ignore_index=True), crs="EPSG:4326")
    index = assign.ParkIndex.build(every)
    rng = np.random.default_rng(2)
    minx, miny, maxx, maxy = every.total_bounds
    x, y = rng.uniform(minx, maxx, 20000), rng.uniform(miny, maxy, 20000)
    # and the parks' own vertices (on an edge), and a point that is not a number
    vx, vy = shapely.get_coordinates(shapely.boundary(index.geoms)).T
    x, y = np.r_[x, vx, np.nan], np.r_[y, vy, 23.0]
    monkeypatch.setattr(assign, "LOOPED_PARKS", looped)
    got = index.smallest_containing_xy(x, y)
    np.testing.assert_array_equal(got, index.smallest_containing(shapely.points(x, y)))
    assert len(set(got.tolist())) >= len(parks)  # every park won some points, and none
    assert len(every) - 1 not in set(got.tolist())  # the twin loses to the first


def test_categorical_pieces_join_as_one_categorical_with_the_same_or_other_words():
    """Pieces with the same words keep them (codes end to end, missing values too); pieces
    with other words are united; the values read the same either way."""
    same = [pd.Series(pd.Categorical(v, categories=["idle", "not_idle"]))
            for v in (["idle", None], ["not_idle", "idle"], [])]
    joined = engine._concat(same)
    assert list(joined.cat.categories) == ["idle", "not_idle"]
    assert joined.isna().tolist() == [False, True, False, False]
    assert joined.dropna().tolist() == ["idle", "not_idle", "idle"]
    other = same + [pd.Series(pd.Categorical(["stray"], categories=["stray"]))]
    united = engine._concat(other)
    assert set(united.cat.categories) == {"idle", "not_idle", "stray"}
    assert united.isna().tolist() == [False, True, False, False, False]
    assert united.dropna().tolist() == ["idle", "not_idle", "idle", "stray"]


def test_table_of_batches_that_kept_some_rows_is_theirs_in_file_order():
    """Batches put out of order, one keeping a few rows, one keeping every row (moved down
    onto the rows left out before it: source and place overlap), one keeping none and one
    a single row: the table holds each batch's rows, end to end in file order."""
    sink = engine._TableSink(20)
    kept = {0: [1.0, 2.0], 5: [10.0, 11.0, 12.0, 13.0, 14.0], 10: [], 15: [30.0]}
    for offset in (15, 5, 0, 10):
        values = np.array(kept[offset])
        sink.put(offset, {"plot_id": pd.Series([f"p{offset}-{i}" for i in range(len(values))],
                                               dtype=object),
                          "area_m2": values, "idle_days": values.astype(np.int64)})
    table = sink.table()
    want = [v for k in sorted(kept) for v in kept[k]]
    assert table["area_m2"].tolist() == want
    assert table["idle_days"].tolist() == [int(v) for v in want]
    assert table["plot_id"].tolist() == [f"p{k}-{i}" for k in sorted(kept)
                                         for i in range(len(kept[k]))]
    assert sink.table()["area_m2"].tolist() == want  # the rows stay in place


@pytest.mark.parametrize("cells", [1, 8, 64])
def test_park_grids_match_every_cell_tested_on_its_own(parks, cells):
    """The grids refined block by block classify every cell as testing each cell's box
    against the boundary would: the bundled parks, a concave park with a hole and a
    two-part park."""
    import geopandas as gpd
    import shapely

    from qygeo.core import assign

    ring = [(113.0, 23.0), (113.02, 23.0), (113.02, 23.01), (113.005, 23.012),
            (113.02, 23.02), (113.0, 23.02)]
    hole = [(113.002, 23.002), (113.006, 23.002), (113.006, 23.006), (113.002, 23.006)]
    extra = gpd.GeoDataFrame(
        {"park_id": ["concave", "two_parts"]},
        geometry=[shapely.Polygon(ring, [hole]),
                  shapely.MultiPolygon([shapely.box(113.1, 23.1, 113.11, 23.11),
                                        shapely.box(113.13, 23.12, 113.135, 23.125)])],
        crs="EPSG:4326")
    every = gpd.GeoDataFrame(pd.concat([parks[["park_id", "geometry"]], extra],
                                       ignore_index=True), crs="EPSG:4326")
    index = assign.ParkIndex.build(every, cells=cells)
    i, j = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
    edges = 0
    for g, (minx, miny, dx, dy, table) in zip(index.geoms, index.grids, strict=True):
        boxes = shapely.box(minx + i * dx, miny + j * dy, minx + (i + 1) * dx,
                            miny + (j + 1) * dy)
        on_edge = shapely.intersects(shapely.boundary(g), boxes)
        inside = ~on_edge & shapely.contains_xy(g, minx + (i + 0.5) * dx,
                                                 miny + (j + 0.5) * dy)
        np.testing.assert_array_equal(table, assign._summed(inside, on_edge))
        edges += int(on_edge.sum())
    assert edges >= len(every)
    with pytest.raises(ValueError, match="power of two"):
        assign.ParkIndex.build(every, cells=48)


@pytest.fixture(scope="module")
def city(parks):
    """Plots spread over the city (most in no park) mixed with plots in the parks, in an
    order that puts both in every batch, ids unique and shuffled."""
    import geopandas as gpd

    districts = layers.read_layer(BUNDLED / "districts.geojson", layers.DISTRICTS)
    wide = synthetic.city_wide_plots(districts, 1500, seed=5)
    inside = synthetic.synthetic_plots(parks, 150, seed=5)[list(wide.columns)]
    inside["plot_id"] = [f"IN{i:05d}" for i in range(len(inside))]
    both = pd.concat([wide, inside], ignore_index=True)
    both = both.iloc[np.random.default_rng(5).permutation(len(both))].reset_index(drop=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")


def _both_ways(path, parks, workers, **kw):
    full = engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF, path=path,
                                workers=workers, **kw)
    short = engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF, path=path,
                                 workers=workers, keep_outside=False, **kw)
    return full, short


@pytest.mark.parametrize("workers, row_groups", [(1, False), (2, False), (2, True)])
def test_plots_in_no_park_left_out_change_no_figure(city, parks, tmp_path, monkeypatch,
                                                   workers, row_groups):
    from qygeo.io.plot_rows import PROBLEM_COLUMN

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 200)
    path = tmp_path / "city.parquet"
    if row_groups:  # the workers read the row groups themselves
        city.to_parquet(path, row_group_size=200, index=False)
        assert len(plot_files.read_plot_columns(path).parts) >= 2 * workers
    else:
        synthetic.write_geoparquet(city, path)
    full, short = _both_ways(path, parks, workers)
    # The summary (per-park sums, the count and first ids of the plots in no park) is the
    # same; the table holds the plots in a park, each row as the whole table has it.
    assert short.summary == full.summary
    assert 0 < short.summary.unassigned_count == len(full.table) - len(short.table)
    kept = full.table["park_id"].notna() | full.table[PROBLEM_COLUMN].notna()
    assert kept.sum() < len(full.table) / 2
    pd.testing.assert_frame_equal(short.table, full.table[kept].reset_index(drop=True))


@pytest.mark.parametrize("ids_in_order", [True, False])
def test_plots_left_out_are_still_checked_for_duplicates_and_problems(
        city, parks, tmp_path, monkeypatch, ids_in_order):
    from qygeo.errors import FeatureError, InvalidPlotsError

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 200)
    plots = city.copy()
    if ids_in_order:  # each batch in order: the runs, not the hashes, would prove them distinct
        plots["plot_id"] = [f"P{i:05d}" for i in range(len(plots))]
    outside = np.flatnonzero(plots["plot_id"].str.startswith(("CW", "P")).to_numpy()
                             & plots["park_id"].isna().to_numpy())
    table = compute_plot_table(plots, parks, AS_OF).table
    outside = [i for i in outside if pd.isna(table["park_id"].iloc[i])]
    first, later = outside[3], outside[-3]  # in different batches
    dup = plots.copy()
    dup.loc[later, "plot_id"] = dup.loc[first, "plot_id"]
    path = tmp_path / "dup.parquet"
    synthetic.write_geoparquet(dup, path)
    for keep_outside in (True, False):
        with pytest.raises(FeatureError, match="duplicate plot_id") as err:
            engine._from_batches(plot_files.read_plot_columns(path), parks, AS_OF, path=path,
                                 workers=2, keep_outside=keep_outside)
        assert str(dup.loc[first, "plot_id"]) in str(err.value)

    import shapely

    bad = plots.copy()
    x0, y0, x1, y1 = bad.geometry.iloc[later].bounds  # a bowtie where the plot was
    bad.loc[later, "geometry"] = shapely.Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    path = tmp_path / "bowtie.parquet"
    synthetic.write_geoparquet(bad, path)
    messages = []
    for keep_outside in (True, False):
        with pytest.raises(InvalidPlotsError) as err:
            compute_plot_table(path, parks, AS_OF, keep_outside=keep_outside)
        messages.append(str(err.value))
    assert messages[0] == messages[1] and str(bad.loc[later, "plot_id"]) in messages[0]
    full = compute_plot_table(path, parks, AS_OF, skip_invalid=True)
    short = compute_plot_table(path, parks, AS_OF, skip_invalid=True, keep_outside=False)
    assert short.excluded == full.excluded != []
    assert short.summary == full.summary


def test_the_per_park_report_reads_the_same_without_the_plots_in_no_park(city, tmp_path,
                                                                          monkeypatch):
    from qygeo.pipeline import make_report
    from qygeo.render.text import render

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 200)
    path = tmp_path / "city.parquet"
    synthetic.write_geoparquet(city, path)
    said: dict[bool, list[str]] = {True: [], False: []}
    full, short = (make_report(BUNDLED, plots=path, as_of=AS_OF, keep_outside=keep,
                               progress=said[keep].append) for keep in (True, False))
    assert len(short.plot_table) < len(full.plot_table) / 2
    # The progress line counts every plot read, and says which were measured and judged.
    assert f"{len(city):,} plots: areas, parks and idle status in" in "".join(said[True])
    in_park = int(full.plot_table["park_id"].notna().sum())  # the table of every plot
    assert (f"{len(city):,} plots checked and assigned to parks, the "
            f"{in_park:,} in a park measured and judged") in "".join(said[False])
    assert short.warnings == full.warnings
    assert any("lie in no park" in w for w in short.warnings)
    for fmt in ("json", "csv", "markdown"):
        assert render(short, fmt) == render(full, fmt)


def test_the_progress_line_counts_the_plots_in_a_park_not_the_rows_kept(plots, city,
                                                                        tmp_path, monkeypatch):
    """A batch mostly in parks keeps all its rows, some in no park: the progress line
    counted those as "in a park", and by how the file happened to be batched."""
    import geopandas as gpd
    import pandas as pd

    from qygeo.pipeline import make_report

    monkeypatch.setattr(plot_files, "BATCH_ROWS", 200)
    outside = city[city.geometry.bounds["minx"] < 112.5].iloc[:400]  # west of every park
    mostly_in = pd.concat([plots.iloc[:300], outside.iloc[:100]]).sample(frac=1,
                                                                         random_state=2)
    path = tmp_path / "mixed.parquet"
    synthetic.write_geoparquet(gpd.GeoDataFrame(pd.concat([mostly_in, outside.iloc[100:]]),
                                                crs="EPSG:4326"), path)
    said: list[str] = []
    short = make_report(BUNDLED, plots=path, as_of=AS_OF, keep_outside=False,
                        progress=said.append)
    in_park = int(make_report(BUNDLED, plots=path, as_of=AS_OF).plot_table["park_id"]
                  .notna().sum())
    assert in_park < len(short.plot_table) < 700  # some rows in no park were kept
    assert f"700 plots checked and assigned to parks, the {in_park:,} in a park" in "".join(
        said), said


@pytest.mark.parametrize("threads", [1, 2])
def test_plots_with_their_axes_swapped_among_others_are_told_as_swapped(plots, parks,
                                                                       tmp_path, threads):
    """A batch mixing plots in degrees with plots whose x and y are swapped has bounds
    that are neither ("not degrees, no Gauss-Kruger zone"); with small row groups read
    together such batches became more common. The swapped plots are now named."""
    import shapely

    from qygeo.errors import QygeoError
    from qygeo.pipeline.plots import compute_plot_table

    mixed = plots.iloc[:600].copy()
    swap = np.zeros(len(mixed), dtype=bool)
    swap[[40, 41, 300]] = True
    mixed.loc[swap, "geometry"] = shapely.transform(
        mixed.geometry.values[swap], lambda xy: xy[:, ::-1])
    path = tmp_path / "swapped.parquet"
    mixed.to_parquet(path, row_group_size=100, index=False)
    with pytest.raises(QygeoError, match=r"look swapped .* in some plots only "
                                         r"\(the first: feature #41\)"):
        compute_plot_table(path, parks, AS_OF, workers=threads)


@pytest.mark.parametrize("kind", ["gpkg_4547", "csv"])
def test_a_duplicate_id_is_refused_whichever_reader_takes_the_file(parks, tmp_path, kind):
    # Files the Arrow reader does not take (another CRS, a CSV ledger) are read whole by
    # read_layer: their ids were never checked, so plot A counted twice, with exit 0.
    import geopandas as gpd
    from shapely.geometry import box

    from qygeo.errors import FeatureError

    p = parks.set_index("park_id").geometry["guangfo"].representative_point()
    g = gpd.GeoDataFrame({"plot_id": ["A", "A"], "invested_yuan": [100.0, 100.0]},
                         geometry=[box(p.x, p.y, p.x + .001, p.y + .001)] * 2, crs=4326)
    if kind == "csv":
        path = tmp_path / "dup.csv"
        g.assign(wkt=g.geometry.to_wkt()).drop(columns="geometry").to_csv(path, index=False)
    else:
        path = tmp_path / "dup.gpkg"
        g.to_crs(4547).to_file(path, layer="plots")
    with pytest.raises(FeatureError, match="duplicate plot_id"):
        compute_plot_table(path, parks, AS_OF)


def test_the_indicator_and_grading_columns_give_the_same_figures_in_every_format(
        tiny_geodata, tmp_path):
    # built_up_area_m2 and value_added_yuan were not among the per-park formats' columns:
    # json gave a built-up rate of 0.392 and no A grade where xlsx, dask and build gave
    # 0.032 and 17 A's. And negative or boolean values of them were counted unchecked.
    from click.testing import CliRunner

    import qygeo
    from qygeo.cli import main
    from qygeo.render.text import format_json

    assert {"built_up_area_m2", "building_footprint_m2", "value_added_yuan"} <= set(
        layers.PLOTS.numeric) <= set(engine.REPORT_COLUMNS)
    data = json.loads((tiny_geodata / "plots.geojson").read_text(encoding="utf-8"))
    for f in data["features"]:
        f["properties"].update(built_up_area_m2=1000, value_added_yuan=5e9)
    (tiny_geodata / "plots.geojson").write_text(json.dumps(data), encoding="utf-8")
    config = tmp_path / "va.toml"
    config.write_text("[grading.weights]\ntax_wan_per_mu = 0\noutput_wan_per_mu = 0\n"
                      "value_added_wan_per_mu = 100\n", encoding="utf-8")
    lean, full = (qygeo.report(tiny_geodata, grading=config, as_of=AS_OF, columns=columns)
                  for columns in (engine.REPORT_COLUMNS, None))
    assert format_json(lean) == format_json(full)
    assert "'A': 0" not in str(lean.park_table["grade_counts"].tolist())
    data["features"][0]["properties"]["building_footprint_m2"] = -50000
    (tiny_geodata / "plots.geojson").write_text(json.dumps(data), encoding="utf-8")
    bad = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "-q",
                                    "--format", "json"])
    assert bad.exit_code == 1 and "building_footprint_m2" in bad.stderr


def test_leaf_sums_without_areas_give_the_same_counts_and_investment():
    codes = np.array([0, 1, 0, -1, 2, 1])
    inv = np.array([1.5, np.nan, 2.25, 9.0, 1e9, 3.0])
    idle = np.array([True, False, False, True, False, True])
    judged = np.ones(6, dtype=bool)
    names = ["a", "b", "c"]
    full = engine.leaf_sums(codes, names, area_mu=np.arange(6.0), invested_yuan=inv,
                            idle=idle, judged=judged)
    lean = engine.leaf_sums(codes, names, area_mu=None, invested_yuan=inv, idle=idle,
                            judged=judged)
    assert full.keys() == lean.keys() == {"a", "b", "c"}
    for k in full:
        for key in ("count", "idle_count", "judged", "invested", "invested_n"):
            assert lean[k][key] == full[k][key]
        assert lean[k]["area_mu"] == lean[k]["idle_area_mu"] == {}
    assert full["a"]["area_mu"] != {}
