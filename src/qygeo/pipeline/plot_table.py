"""The plot engine: per-plot figures and per-park sums for millions of plots.

The reference computation (:func:`qygeo.core.metrics.with_areas`,
:func:`qygeo.core.metrics.assign_plots`, :func:`qygeo.core.idle.classify_idle`) works on
a GeoDataFrame holding every column of the plots layer. For a province's
plots that costs more in reading and in building shapely objects than in the
arithmetic, so this module computes the same figures from the raw columns:

1. **Read only what the report needs** (:data:`REPORT_COLUMNS`): GeoParquet
   batch by batch with pyarrow while the workers compute, other formats with
   pyogrio's Arrow reader. Attributes stay Arrow (:func:`qygeo.io.layers.conform_arrow`):
   no Python object per plot.
2. **Decode WKB polygons** (:func:`qygeo.io.plot_files.decode_polygons`, geoarrow-c, else
   shapely): single-ring polygons — nearly every land plot —
   become flat coordinate arrays without a shapely object each; anything
   else (holes, multipolygons, Z) goes through :func:`shapely.from_wkb`.
3. **Areas** on the ellipsoid from the flat coordinates
   (:func:`qygeo.core.metrics.ring_areas_m2`, the formula :func:`qygeo.core.metrics.area_m2` uses).
4. **Assignment** by the representative point (``shapely.point_on_surface``),
   without computing it for most plots: each park is covered by a grid whose
   cells are classified once as inside, outside or on its boundary; a plot
   whose bounding box only meets inside (or only outside) cells is inside (or
   outside) that park whatever point of it is chosen. Only plots near a
   boundary get the exact point-on-surface test.
5. **Idle rule** :func:`qygeo.core.idle.judge_idle` on the batch's arrays (no reason texts).
6. **Per-park sums** (:class:`PlotSummary`) from the batch's park codes, exact
   (integer mantissas per binary exponent), so the sums do not depend on the
   order of the plots: batches merge, and the dask engine gives the same bits.

Batches run on a thread pool (numpy, shapely and pyarrow release the GIL), with
Python's garbage collector paused (:func:`qygeo.pipeline.memory.gc_paused`). A
GeoParquet file with at least two row groups per worker is read by the workers
themselves, a row group each (no reading thread competing with them for the
cores); otherwise one thread reads while the workers compute. Duplicate ids
are found from the order of each batch's ids (:func:`id_run`); ids not in order
are hashed by the workers (:func:`id_hashes`) and only those sharing a hash are
compared as text at the end.

:func:`qygeo.pipeline.plots.compute_plot_table` is the one entry point, for a file
or loaded plots and for either engine (this module is the default engine).
Reading the file and decoding its WKB is :mod:`qygeo.io.plot_files`; the
assignment's grids are :mod:`qygeo.core.assign`.

Why over 600 lines: the steps above run per batch in one worker and share its
arrays (decoded rings, park codes, the per-plot table being filled); splitting
them would pass those arrays across module boundaries on the hot path.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Union

import numpy as np

from qygeo.core import metrics
from qygeo.core.assign import ParkIndex, assign_by_grid, interior_points
from qygeo.core.config import GRADING_INDICATORS
from qygeo.errors import DataFileError
from qygeo.io import layers, plot_rows
from qygeo.io.plot_files import (
    PlotBatch,
    PlotPart,
    PlotSource,
    decode_polygons,
    plots_layer,
    read_plot_columns,
    to_plot_batch,
    wkb_errors,
)
from qygeo.io.plot_rows import Rings

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa

    from qygeo.io.plot_rows import RowProblems

#: The plot columns the per-park report reads besides the geometry: the idle rule's
#: (:mod:`qygeo.core.idle`, with a stored flag to check), the grading's
#: (:data:`qygeo.core.config.GRADING_INDICATORS`), the indicators'
#: (:mod:`qygeo.core.indicators`), and every column the plot-row checks read
#: (:data:`qygeo.io.layers.PLOTS` numbers and dates), so that a row one format refuses is
#: refused by all and every format gives the same figures. Formats that list the plots
#: themselves read every column; only they show the per-enterprise table, so
#: ``enterprise`` is not read here (a test checks that the per-park report is the same
#: either way).
REPORT_COLUMNS = tuple(dict.fromkeys((
    "plot_id", "park_id", "land_use", "boundary_quality", "delay_cause",
    *layers.PLOTS.dates, *layers.PLOTS.numeric,
    *(column for column, _zh, _en in GRADING_INDICATORS.values()),
    "idle_flag", "is_idle", "idle", "idle_status")))

#: Columns of the per-plot table this engine returns (plus the idle columns). ``park_id`` is
#: categorical (:func:`park_column`); compare it as text, fill it after ``astype(object)``.
PLOT_TABLE_COLUMNS = ("plot_id", "park_id", "area_m2", "area_km2", "area_ha", "area_mu",
                      "invested_yuan")



def threads() -> int:
    """Worker threads: ``$QYGEO_THREADS``, else the number of CPUs.

    A value that is not a whole number ≥ 1 (``0``, ``abc``, ``²``) is warned about and
    the CPUs are used.
    """
    cpus = max(1, os.cpu_count() or 1)
    env = os.environ.get("QYGEO_THREADS")
    if env is None or not env.strip():
        return cpus
    text = env.strip()
    if text.isascii() and text.isdigit() and int(text) > 0:
        return int(text)
    import warnings

    warnings.warn(f"QYGEO_THREADS={env!r} is not a whole number of threads (1 or more): "
                  f"using {cpus}", stacklevel=2)
    return cpus


# --------------------------------------------------------------------------- areas


def ring_areas_m2(rings: Rings) -> np.ndarray:
    """Area in m² of each single-ring polygon (:func:`qygeo.core.metrics.ring_areas_m2`)."""
    return metrics.ring_areas_m2(rings.x, rings.y, rings.starts)


# --------------------------------------------------------------------------- per batch


def _conformed(attrs: pd.DataFrame | pa.RecordBatch, path: object,
               problems: RowProblems) -> tuple[pd.DataFrame, pa.RecordBatch | None]:
    """Conformed attributes as a DataFrame, and as Arrow when the Arrow reader took them.

    Values that are not numbers or dates are flagged in *problems* (only the
    DataFrame path meets them: the Arrow path takes typed columns only).
    """
    import pyarrow as pa

    if isinstance(attrs, pa.RecordBatch):
        arrow = layers.conform_arrow(attrs, layers.PLOTS, path)
        if arrow is not None:
            return layers.arrow_frame(arrow, layers.PLOTS), arrow
        # The Arrow types alone (see qygeo.io.layers.read_layer on pandas metadata).
        attrs = layers.json_decoded(attrs.to_pandas(date_as_object=False, ignore_metadata=True),
                                    attrs.schema)
    return layers.conform(attrs, layers.PLOTS, path, check_ids=False, problems=problems), None


def _given_parks(attrs: pd.DataFrame, arrow: pa.RecordBatch | None,
                 index: ParkIndex) -> tuple[np.ndarray, np.ndarray]:
    """Each plot's stated park: its index in *index* (−1: none or unknown), and whether stated."""
    n = len(attrs)
    if "park_id" not in attrs.columns:
        return np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool)
    if arrow is not None:
        import pyarrow.compute as pc

        col = arrow.column("park_id")
        codes = pc.fill_null(pc.index_in(col, value_set=index.id_array.cast(col.type)), -1)
        return (codes.to_numpy().astype(np.int64),
                col.is_valid().to_numpy(zero_copy_only=False))
    col = attrs["park_id"]
    given = col.notna().to_numpy()
    codes = np.full(n, -1, dtype=np.int64)
    codes[given] = index.id_index.get_indexer(col[given])
    return codes, given


def _coded_parks(index: ParkIndex, codes: np.ndarray, stray: np.ndarray,
                attrs: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each plot's park code and the park id of each code (code −1: no park).

    A stated park not in the layer (*stray*) keeps its id: such ids get codes
    after the layer's, in the order they first appear.
    """
    import pandas as pd

    names = [str(v) for v in index.ids]
    if stray.any():
        extra_codes, extra = pd.factorize(attrs["park_id"].to_numpy(dtype=object)[stray])
        codes = codes.copy()
        codes[stray] = len(names) + extra_codes
        names += [str(v) for v in extra]
    return codes, names


def park_column(codes: np.ndarray, names: list[str]) -> object:
    """The ``park_id`` column from park codes: categorical (a few parks, a million plots).

    A category per park: 1 byte a plot instead of its text, and the
    evaluation's grouping by park reads the codes without hashing text.
    """
    import pandas as pd

    categories = _park_categories(tuple(names))
    if categories is None:  # a parks layer with a repeated id: plain text
        return pd.array(np.append(np.asarray(names, dtype=object), None)[codes], dtype="str")
    return pd.Categorical.from_codes(codes, categories=categories)


@functools.lru_cache(maxsize=16)
def _park_categories(names: tuple[str, ...]) -> pd.Index | None:
    """*names* as the categories of :func:`park_column`, None when one repeats.

    Made once per parks layer, not per batch: building and checking the index held
    the GIL for about 5 % of a batch's time under it.
    """
    import pandas as pd

    categories = pd.Index(names, dtype="str")
    return categories if categories.is_unique else None


def _batch_table(batch: PlotBatch, index: ParkIndex, as_of: dt.date, *,
                 path: object = "plots") -> pd.DataFrame:
    """The per-plot table (:data:`PLOT_TABLE_COLUMNS` + idle columns) of one batch."""
    import pandas as pd

    cols, _, _ = _batch_columns(batch, index, as_of, path=path)
    # copy=False: one block per column, not a consolidated copy of them all.
    return pd.DataFrame(cols, index=pd.RangeIndex(len(cols["plot_id"])), copy=False)


def _interior_points(rings: Rings, which: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``shapely.point_on_surface`` of the rings at positions *which* (increasing), as x
    and y: in numpy from the vertex columns (:func:`qygeo.core.assign.interior_points`),
    by shapely for the few rings it leaves."""
    want = np.zeros(len(rings.rows), dtype=bool)
    want[which] = True
    px = np.empty(len(rings.rows))
    py = np.empty(len(rings.rows))
    for pos, x, y in rings.by_count:
        sel = np.flatnonzero(want[pos])
        if not len(sel):
            continue
        gx, gy, exact = interior_points(x[:, sel], y[:, sel])
        px[pos[sel]], py[pos[sel]] = gx, gy
        if not exact.all():
            import shapely

            left = np.sort(pos[sel[~exact]])
            pts = shapely.point_on_surface(rings.polygons(left))
            px[left], py[left] = shapely.get_x(pts), shapely.get_y(pts)
    return px[which], py[which]


def _batch_columns(batch: PlotBatch, index: ParkIndex | Callable[[], ParkIndex],
                   as_of: dt.date, *, path: object = "plots", keep_outside: bool = True,
                   first_row: int = 0) -> tuple[dict[str, Any], PlotSummary, pd.Series]:
    """The per-plot columns of one batch (in table order), its :class:`PlotSummary` and
    the conformed ``plot_id`` of every row.

    Rows that cannot be judged (:mod:`qygeo.io.plot_rows`) are named in the
    ``plot_problem`` column (categorical, missing when the row is fine) and left out
    of the summary; :func:`qygeo.io.plot_rows.split_invalid` refuses or drops them.

    With *keep_outside* False, the columns hold only the rows in a park or with a
    problem when those are under half the batch, and the others get no area or idle
    verdict: every row is still checked and assigned, and the summary counts and names
    the plots in no park. Per-park outputs need no more (see :func:`_read_plots`).

    The geometry comes first (numpy only): a worker's first batch gets on with it
    while the data folder, pandas and the parks' *index* (a function giving it, when
    still being built) are loading.

    Raises
    ------
    BlankIdError
        A blank id, named by its place in the file (*first_row*: the batch's first row).
    """
    import shapely

    from qygeo.io import plot_rows

    n = len(batch.wkb)
    problems = plot_rows.RowProblems(n)
    with wkb_errors(path):
        rings, rest = decode_polygons(batch.wkb)
    if len(rings.rows):
        boxes = rings.boxes()  # rows: minx, miny, maxx, maxy
        from qygeo.io.crs import diagnose_boxes

        hint = diagnose_boxes(boxes, first_row + rings.rows + 1, things="plots")
        if hint:
            raise DataFileError(path, hint)
    plot_rows.check_rings(rings, problems)
    with wkb_errors(path):
        geoms = shapely.from_wkb(batch.wkb.take(rest).to_numpy(zero_copy_only=False)) if len(
            rest) else np.zeros(0, dtype=object)
    plot_rows.check_geometries(geoms, rest, problems)

    from qygeo.core import idle as idle_mod

    attrs, arrow = _conformed(batch.attrs, path, problems)
    ids = attrs["plot_id"]
    blank = ids.isna().to_numpy()
    if blank.any():
        from qygeo.errors import BlankIdError

        raise BlankIdError(path, first_row + int(np.argmax(blank)))
    plot_rows.check_numbers(attrs, layers.PLOTS.numeric, problems)
    plot_rows.check_date_order(attrs, problems)
    if callable(index):
        index = index()
    given_code, given = _given_parks(attrs, arrow, index)
    need = ~given
    chosen = np.full(n, -1, dtype=np.int64)

    # Single-ring polygons: their bounding boxes against the grids.
    fast_rows = rings.rows[need[rings.rows]]
    if len(rings.rows):
        sel = need[rings.rows]
        got, unsure = assign_by_grid(index, boxes[:, sel])
        chosen[fast_rows] = got
        if unsure.any():
            chosen[fast_rows[unsure]] = index.smallest_containing_xy(
                *_interior_points(rings, np.flatnonzero(sel)[unsure]))

    # Everything else: shapely all the way (as metrics.assign_plots / area_m2).
    if len(rest):
        r_need = rest[need[rest]]
        if len(r_need):
            g = geoms[need[rest]]
            ok = ~(shapely.is_missing(g) | shapely.is_empty(g))
            pts = shapely.point_on_surface(g[ok])
            chosen[r_need[ok]] = index.smallest_containing(pts)

    stray = given & (given_code < 0)
    codes, names = _coded_parks(index, np.where(given, given_code, chosen), stray, attrs)
    bad = problems.bad
    keep = None  # the rows of the columns, when not all
    if not keep_outside:
        wanted = (codes >= 0) | bad
        if 2 * int(np.count_nonzero(wanted)) < n:
            keep = np.flatnonzero(wanted)

    area = np.zeros(n)
    if keep is None:
        area[rings.rows] = ring_areas_m2(rings)
        rest_kept = np.ones(len(rest), dtype=bool)
    else:
        kept = np.zeros(n, dtype=bool)
        kept[keep] = True
        mine = np.flatnonzero(kept[rings.rows])
        if len(mine):
            area[rings.rows[mine]] = ring_areas_m2(rings.take(mine))
        rest_kept = kept[rest]
    if rest_kept.any():
        import geopandas as gpd

        area[rest[rest_kept]] = metrics.area_m2(gpd.GeoSeries(geoms[rest_kept],
                                                              crs="EPSG:4326"))
    invested_all = (attrs["invested_yuan"].to_numpy(dtype="float64")
                    if "invested_yuan" in attrs.columns else None)
    illustrative_all = illustrative_rows(attrs)

    # The table's rows: all, or those kept.
    rows = keep if keep is not None else slice(None)
    if keep is not None:
        import pyarrow as pa

        attrs = attrs.take(keep).reset_index(drop=True)
        arrow = arrow.take(pa.array(keep)) if arrow is not None else None
    area_mu = area / metrics.M2_PER_MU
    area_k = area[rows]
    m = len(area_k)
    park = park_column(codes[rows], names)
    cols: dict[str, Any] = {
        "plot_id": attrs["plot_id"],
        "park_id": park,
        "area_m2": area_k,
        "area_km2": area_k / metrics.M2_PER_KM2,
        "area_ha": area_k / metrics.M2_PER_HA,
        "area_mu": area_mu[rows],
    }
    if invested_all is not None:
        cols["invested_yuan"] = invested_all[rows]
    art8 = (idle_mod.art8_delay(arrow.column("delay_cause"))
            if arrow is not None and "delay_cause" in arrow.schema.names else None)
    verdict = idle_mod.judge_plots(attrs, as_of, area_k, art8=art8)
    idle = idle_mod.verdict_columns(verdict, attrs["land_price_yuan"].to_numpy(
        dtype="float64", na_value=np.nan) if "land_price_yuan" in attrs.columns
        else np.full(m, np.nan))
    # The layer's other columns follow; a stored flag named like an idle column is kept
    # as stored_<name> beside the rule's (see qygeo.pipeline.report._stored_flags_aside).
    for c in attrs.columns:
        if c not in cols:
            cols[f"stored_{c}" if c in idle else c] = attrs[c]
    cols.update(idle)
    problem = problems.column()
    cols[plot_rows.PROBLEM_COLUMN] = problem if keep is None else problem.take(keep)

    # The summary: every row (those left out lie in no park: counted, not summed).
    judged = np.zeros(n, dtype=bool)
    judged[rows] = verdict.status != idle_mod.CODE_UNKNOWN
    idle_v = np.zeros(n, dtype=bool)
    idle_v[rows] = verdict.idle
    summary_ids, invested, illustrative = ids, invested_all, illustrative_all
    if bad.any():  # the summary counts only the rows that can be judged
        ok = ~bad
        codes, area_mu, judged, idle_v, summary_ids = (codes[ok], area_mu[ok], judged[ok],
                                                       idle_v[ok], ids[ok])
        invested = invested[ok] if invested is not None else None
        illustrative = illustrative[ok] if illustrative is not None else None
    summary = PlotSummary.from_codes(
        codes, names, list(index.ids), ids=summary_ids, area_mu=area_mu,
        invested_yuan=invested, idle=idle_v, judged=judged, illustrative=illustrative)
    return cols, summary, ids


def illustrative_rows(plots: pd.DataFrame) -> np.ndarray | None:
    """Which plots are marked ``boundary_quality = illustrative`` (invented data, as the
    bundled plots are); None without the column."""
    if "boundary_quality" not in plots.columns:
        return None
    text = plots["boundary_quality"].astype("string").str.strip().str.lower()
    return text.eq("illustrative").fillna(False).to_numpy(dtype=bool)


@dataclass
class PlotResult:
    """The per-plot table and its per-park summary, computed batch by batch."""

    table: pd.DataFrame
    #: per-park sums; None from the dask engine
    summary: PlotSummary | None
    #: plots left out by ``skip_invalid``: (plot_id, problem), see :mod:`qygeo.io.plot_rows`
    excluded: list[tuple[str, str]] = field(default_factory=list)


def _fixed_dtypes() -> dict[str, str]:
    """Per-plot columns whose dtype is known whatever the batch (see :class:`_TableSink`)."""
    fixed = {c: "float64" for c in ("area_m2", "area_km2", "area_ha", "area_mu",
                                    "idle_years", "idle_fee_yuan", *layers.PLOTS.numeric)}
    fixed.update({c: "datetime64[ns]" for c in (*layers.PLOTS.dates, "idle_clock_start",
                                                "idle_since")})
    fixed.update({"idle": "bool", "idle_days": "int64"})
    return fixed


class _TableSink:
    """The per-plot table assembled from batches as the workers finish them.

    Columns of a known dtype are written by each worker into full-length
    arrays at the batch's offset, so the pages of a million-row table are
    first touched in parallel and never copied again (a pandas concat of the
    batches' frames would copy every column once more); other columns (text,
    the layer's extra columns) are kept per batch and concatenated by pandas,
    which for Arrow text is without a copy.
    """

    def __init__(self, rows: int) -> None:
        import threading

        self.rows = rows
        self.fixed_dtypes = _fixed_dtypes()
        self.arrays: dict[str, np.ndarray] = {}
        self.pieces: dict[int, dict[str, Any]] = {}
        self.lengths: dict[int, int] = {}  # batch offset -> rows it put
        self.order: list[str] = []
        self.lock = threading.Lock()

    def put(self, offset: int, cols: dict[str, Any]) -> None:
        """Store the columns of the batch starting at row *offset* of the file (its rows, or
        fewer: see :func:`_batch_columns`)."""
        import pandas as pd

        n = len(cols["plot_id"])
        rest: dict[str, Any] = {}
        for name, values in cols.items():
            dtype = self.fixed_dtypes.get(name)
            if dtype is None:
                rest[name] = values if isinstance(values, pd.Series) else pd.Series(values)
                continue
            with self.lock:  # the first batch to come allocates (np.empty touches nothing)
                arr = self.arrays.get(name)
                if arr is None:
                    arr = self.arrays[name] = np.empty(self.rows, dtype=dtype)
            arr[offset:offset + n] = pd.Series(values).to_numpy(dtype=dtype)
        with self.lock:
            self.order = self.order or list(cols)  # every batch has the file's columns
            self.pieces[offset] = rest
            self.lengths[offset] = n

    def table(self) -> pd.DataFrame:
        """The whole table, rows in file order."""
        import pandas as pd

        offsets = sorted(self.pieces)
        parts = [self.pieces[k] for k in offsets]
        rows = sum(self.lengths.values())
        whole = self.arrays
        if rows != self.rows:
            # Batches that kept only some rows: each batch's rows moved down, in file order,
            # onto the rows left out before them (a batch's rows start at or after their
            # place), so the columns are not copied into fresh memory again.
            for arr in self.arrays.values():
                place = 0
                for k in offsets:
                    n = self.lengths[k]
                    if k != place:
                        arr[place:place + n] = arr[k:k + n]  # numpy buffers an overlap
                    place += n
            # The rows are in place now: a second call takes them as they are.
            self.arrays = whole = {name: arr[:rows] for name, arr in self.arrays.items()}
            self.rows = rows
        data = {name: (whole[name] if name in whole else _concat([p[name] for p in parts]))
                for name in self.order}
        return pd.DataFrame(data, index=pd.RangeIndex(rows), copy=False)


def _concat(pieces: list[pd.Series]) -> pd.Series:
    """Batches' pieces of a column, end to end; categorical pieces stay one categorical
    (pandas' concat makes text of categoricals whose categories differ)."""
    import pandas as pd
    from pandas.api.types import union_categoricals

    if len(pieces) > 1 and all(isinstance(p.dtype, pd.CategoricalDtype) for p in pieces):
        first = pieces[0].dtype
        words = first.categories.tolist()
        if all(p.dtype.ordered == first.ordered and p.dtype.categories.tolist() == words
               for p in pieces):
            # The same few words in every batch (idle verdicts; the parks, most often):
            # the codes end to end, without comparing the dtypes' hashes piece by piece.
            codes = np.concatenate([p.array.codes for p in pieces])
            return pd.Series(pd.Categorical.from_codes(codes, dtype=first, validate=False),
                             copy=False)
        return pd.Series(union_categoricals([p.array for p in pieces]), copy=False)
    return pd.concat(pieces, ignore_index=True)


#: The parks layer, or a function giving it (a layer still being loaded by another thread).
Parks = Union["gpd.GeoDataFrame", Callable[[], "gpd.GeoDataFrame"]]


def _parks_of(parks: Parks) -> gpd.GeoDataFrame:
    return parks() if callable(parks) else parks


def _from_batches(source: PlotSource, parks: Parks, as_of: dt.date, *,
                  path: object = "plots", workers: int | None = None,
                  keep_outside: bool = True) -> PlotResult:
    """Per-plot table and summary of Arrow batches of plots (see :func:`read_plot_columns`).

    *parks* may be a function giving the parks layer: the workers read their
    first batches while it runs (``qygeo report`` loads the data folder so).

    Each worker thread turns a batch into its per-plot columns, written into
    the table as they come (:class:`_TableSink`), and the batch's
    :class:`PlotSummary` (exact sums, so merging batches gives the one-pass result).
    The parks' index is built by a worker while the first batch is read. With
    :attr:`PlotSource.parts` (at least two per worker) the workers read the
    parts themselves; otherwise this thread reads the batches for them.

    Duplicate ids: each worker notes whether its batch's ids are in order
    (:func:`id_run`), and hashes them when not (:func:`id_hashes`); ids in order
    across all batches are distinct, and otherwise the hashes are checked once at
    the end (:func:`check_unique_ids`).

    With *keep_outside* False the table leaves out plots in no park (see
    :func:`_batch_columns`); every plot is still checked, assigned and counted.
    """
    from qygeo.pipeline.memory import gc_paused

    with gc_paused():  # see gc_paused: the batches' short-lived objects
        return _from_batches_gc_paused(source, parks, as_of, path=path, workers=workers,
                                       keep_outside=keep_outside)


def _from_batches_gc_paused(source: PlotSource, parks: Parks, as_of: dt.date, *,
                            path: object, workers: int | None,
                            keep_outside: bool) -> PlotResult:
    workers = workers or threads()
    sink = _TableSink(source.rows)
    runs: dict[int, tuple[str, str] | None] = {}  # batch offset -> its id run
    hashes: dict[int, np.ndarray | None] = {}  # batch offset -> its ids' hashes
    # batch offset -> every id of the batch (references: the table's own, or more when it
    # holds fewer rows)
    all_ids: dict[int, pd.Series] = {}

    def one(item: tuple[int, pa.RecordBatch],
            index: ParkIndex | Callable[[], ParkIndex]) -> PlotSummary:
        offset, rb = item
        cols, summary, plot_ids = _batch_columns(to_plot_batch(rb, source.geom), index,
                                                 as_of, path=path, keep_outside=keep_outside,
                                                 first_row=offset)
        sink.put(offset, cols)
        if rb.num_rows:
            all_ids[offset] = plot_ids
            ids = _id_text(plot_ids)  # converted once for both
            runs[offset] = run = id_run(ids) if ids is not None else None
            if run is None:  # not in order: hashed here, in parallel, for the final check
                hashes[offset] = id_hashes(ids) if ids is not None else None
        return summary

    def numbered() -> Iterator[tuple[int, pa.RecordBatch]]:
        offset = 0
        for rb in source.batches:
            yield offset, rb
            offset += rb.num_rows
        if offset != source.rows:
            raise DataFileError(path, f"{offset} plots read where the file says {source.rows}")

    if workers > 1 and source.parts and len(source.parts) >= 2 * workers:
        # Row groups enough to keep every worker busy: each worker reads the row groups it
        # takes (no reading thread competing for the cores).
        def part(p: PlotPart, index: Future[ParkIndex]) -> list[PlotSummary]:
            offset, out = p.offset, []
            for rb in p.open():
                out.append(one((offset, rb), index.result))
                offset += rb.num_rows
            if offset - p.offset != p.rows:
                raise DataFileError(path, f"{offset - p.offset} plots read in a row group "
                                          f"of {p.rows}")
            return out

        # The parks' index is built on a thread of its own (it waits for the parks layer):
        # every worker starts on its first row group at once.
        with ThreadPoolExecutor(1) as builder, ThreadPoolExecutor(workers) as pool:
            index = builder.submit(lambda: ParkIndex.build(_parks_of(parks)))
            futures = [pool.submit(part, p, index) for p in source.parts]
            done = [s for f in futures for s in f.result()]
    elif workers > 1:
        with ThreadPoolExecutor(1) as builder, ThreadPoolExecutor(workers) as pool:
            index = builder.submit(lambda: ParkIndex.build(_parks_of(parks)))
            # map() reads and submits every batch before it returns: reading overlaps the work.
            done = list(pool.map(lambda item: one(item, index.result), numbered()))
    else:
        built = ParkIndex.build(_parks_of(parks))
        done = [one(item, built) for item in numbered()]
    if not done:
        return PlotResult(empty_plot_table(), PlotSummary(leaves={}))

    def check_ids() -> None:
        if runs_distinct([runs[k] for k in sorted(runs)]):
            return
        import pandas as pd

        # Every id, batch by batch (the table may have left plots out).
        ids = pd.concat([all_ids[k] for k in sorted(all_ids)], ignore_index=True)
        pieces = [hashes[k] if k in hashes else id_hashes(ids.iloc[k:k + n])
                  for k, n in _batch_spans(sorted(runs), len(ids))]
        whole = (np.concatenate(pieces) if all(h is not None for h in pieces)
                 else None)  # type: ignore[arg-type]
        check_unique_ids(ids, path, hashes=whole)  # names the first duplicate

    # The final duplicate check and the table's assembly (numpy both, without the GIL
    # most of the time) run side by side.
    with ThreadPoolExecutor(1) as pool:
        checked = pool.submit(check_ids)
        out = sink.table()
        checked.result()
    summary = done[0]
    for other in done[1:]:
        summary = summary.merge(other)
    return PlotResult(out, summary)


def _id_text(ids: object) -> pa.Array | pa.ChunkedArray | None:
    """*ids* as Arrow text (no copy of Arrow-backed ids), or None when they are not all
    text: blanks or other types, which pandas checks instead."""
    import pyarrow as pa

    if isinstance(ids, (pa.Array, pa.ChunkedArray)):
        arr = ids
    else:
        try:
            arr = pa.array(ids)
        except (pa.ArrowException, TypeError, ValueError):
            return None
    if (not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type))
            or arr.null_count):
        return None
    return arr


def id_run(ids: object) -> tuple[str, str] | None:
    """First and last of a batch's conformed ids when they are strictly increasing text.

    Ids exported in order (the usual case) are checked for duplicates this way
    with one comparison each, in the workers, instead of hashing them all.

    Returns
    -------
    tuple of str, or None
        None when not known to be in order: out of order, blank, or not text.
    """
    import pyarrow.compute as pc

    arr = _id_text(ids)
    if arr is None or not len(arr):
        return None
    if len(arr) > 1 and not pc.all(pc.less(arr.slice(0, len(arr) - 1), arr.slice(1))).as_py():
        return None
    return arr[0].as_py(), arr[-1].as_py()


@functools.cache
def _hash_keys(length: int) -> np.ndarray:
    """Random odd 64-bit multipliers, one per byte position (fixed seed: the same in every
    run), for ids of up to *length* bytes (a power of two)."""
    keys = np.random.default_rng(20261128).integers(0, 2**63, length, dtype=np.int64)
    return keys.view(np.uint64) | np.uint64(1)


def id_hashes(ids: object) -> np.ndarray | None:
    """A 64-bit hash of each id's UTF-8 bytes (multilinear: Σ byte × key of its position,
    mixed with the length), or None when the ids are not all text.

    Equal ids hash equal, so ids whose hashes all differ are distinct; the few
    that share a hash are compared as text (:func:`check_unique_ids`). Read from
    the Arrow buffers without a Python object per id, in the workers.
    """
    import pyarrow as pa

    arr = _id_text(ids)
    if arr is None:
        return None
    chunks = arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]
    parts = [_text_hashes(c, pa.types.is_large_string(arr.type)) for c in chunks if len(c)]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint64)


def _text_hashes(arr: pa.Array, large: bool) -> np.ndarray:
    _, off_buf, data_buf = arr.buffers()
    offsets = np.frombuffer(off_buf, dtype=np.int64 if large else np.int32)
    offsets = offsets[arr.offset:arr.offset + len(arr) + 1].astype(np.int64)
    lo, hi = int(offsets[0]), int(offsets[-1])
    data = (np.frombuffer(data_buf, dtype=np.uint8)[lo:hi] if data_buf is not None
            else np.zeros(0, dtype=np.uint8))
    lengths = np.diff(offsets)
    longest = int(lengths.max())
    keys = _hash_keys(1 << max(longest - 1, 0).bit_length())
    if longest and longest == int(lengths.min()):  # ids of one length: a matrix, no offsets
        h = (data.reshape(-1, longest) * keys[:longest]).sum(axis=1, dtype=np.uint64)
    else:
        starts = offsets[:-1] - lo
        terms = data * keys[np.arange(hi - lo) - np.repeat(starts, lengths)]
        h = np.zeros(len(lengths), dtype=np.uint64)
        # Summed from each non-empty id's first byte to the next one's: empty ids have no
        # bytes, and a segment of theirs would cut the id before them short.
        filled = lengths > 0
        if filled.any():
            h[filled] = np.add.reduceat(terms, starts[filled])
    h ^= lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= h >> np.uint64(29)  # spread into the top bits, which repeated_rows splits on
    return h


def repeated_rows(hashes: np.ndarray) -> np.ndarray:
    """Rows (ascending) whose hash occurs more than once.

    The hashes are split on their top bit and each half sorted on its own
    worker thread (numpy sorts without the GIL).
    """
    if len(hashes) < 2:
        return np.zeros(0, dtype=np.int64)
    half = np.uint64(1 << 63)

    def repeated(high: bool) -> np.ndarray:
        # Each thread takes its half itself: the split is not a serial pass of its own.
        h = hashes[hashes >= half] if high else hashes[hashes < half]
        h.sort()  # a fresh array: sorted where it is
        return h[1:][h[1:] == h[:-1]]

    if threads() > 1 and len(hashes) >= 1 << 16:
        with ThreadPoolExecutor(2) as pool:
            found = list(pool.map(repeated, (False, True)))
    else:
        found = [repeated(False), repeated(True)]
    values = np.concatenate(found)
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.isin(hashes, values))


def runs_distinct(runs: Sequence[tuple[str, str] | None]) -> bool:
    """Whether the id runs of the batches, in file order, prove every id distinct.

    True when each batch's ids are in order (:func:`id_run`) and each batch's
    first id comes after the previous batch's last; False means "not known"
    (Python compares text by code point, as Arrow compares UTF-8 bytes).
    """
    if not runs or any(r is None for r in runs):
        return False
    return all(a[1] < b[0] for a, b in zip(runs, runs[1:]))  # type: ignore[index]


def empty_plot_table() -> pd.DataFrame:
    """The per-plot table of no plots."""
    import pandas as pd

    return pd.DataFrame(columns=["plot_id", "park_id", "area_mu", "invested_yuan", "idle"])


def _batch_spans(offsets: list[int], rows: int) -> list[tuple[int, int]]:
    """(first row, row count) of each batch, from the batches' first rows in order."""
    ends = [*offsets[1:], rows]
    return [(a, b - a) for a, b in zip(offsets, ends)]


def check_unique_ids(ids: pd.Series, path: object, *,
                     hashes: np.ndarray | None = None) -> None:
    """Raise FeatureError naming the first duplicated plot id.

    Only ids whose hash (:func:`id_hashes`; *hashes* when the workers made them)
    occurs more than once are compared as text: for distinct ids, none.
    """
    if hashes is None:
        hashes = id_hashes(ids)
    if hashes is not None and len(hashes) == len(ids):
        rows = repeated_rows(hashes)
        if not len(rows):
            return
        ids = ids.iloc[rows]  # in file order: the first duplicate is the one named
    dup = ids[ids.duplicated()]
    if len(dup):
        from qygeo.errors import FeatureError

        raise FeatureError(path, dup.iloc[0], "duplicate plot_id")


def _from_frame(plots: gpd.GeoDataFrame, parks: gpd.GeoDataFrame,
                          as_of: dt.date, *, path: object = "plots") -> pd.DataFrame:
    """Per-plot table of an already loaded (WGS84) plots GeoDataFrame.

    All of the layer's columns are kept, as :func:`qygeo.pipeline.report.plot_table` always did,
    with :data:`qygeo.io.plot_rows.PROBLEM_COLUMN` (see :func:`qygeo.io.plot_rows.split_invalid`).
    """
    import pandas as pd
    import pyarrow as pa
    import shapely

    if not len(plots):
        return empty_plot_table()
    geom = plots.geometry.name
    attrs = pd.DataFrame(plots.drop(columns=geom)).reset_index(drop=True)
    wkb = pa.array(shapely.to_wkb(np.asarray(plots.geometry.values)), type=pa.binary())
    out = _batch_table(PlotBatch(attrs=attrs, wkb=wkb), ParkIndex.build(parks),
                           dt_date(as_of), path=path)
    out.index = plots.index
    return out


def dt_date(value: object) -> dt.date:
    """*value* as a :class:`datetime.date`.

    Dates and datetimes without pandas: the engine's workers start reading while
    another thread still imports it (see :func:`qygeo.pipeline.make_report`).
    """
    import datetime as dt

    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    import pandas as pd

    return pd.Timestamp(value).date()


def _read_plots(path: str | os.PathLike[str], parks: Parks, as_of: dt.date, *,
               layer: str | None = None, columns: Sequence[str] | None = None,
               skip_invalid: bool = False, workers: int | None = None,
               keep_outside: bool = True) -> PlotResult:
    """Per-plot table and summary of a plots layer file (only *columns*, if given).

    Rows that cannot be judged (:mod:`qygeo.io.plot_rows`) are refused
    (:class:`qygeo.errors.InvalidPlotsError`), or with *skip_invalid* left out of the
    table and the summary and listed in :attr:`PlotResult.excluded`.

    Files the Arrow reader cannot take (another CRS, GeoArrow encoding) are read
    with :func:`qygeo.io.layers.read_layer` first; the figures are the same.
    *parks* may be a function giving the layer (see :func:`_from_batches`).
    With *keep_outside* False the table may leave out plots in no park (see
    :func:`_batch_columns`; the Arrow reader's files only).
    """
    layer = plots_layer(Path(path), layer)
    read = read_plot_columns(path, layer=layer, columns=columns,
                             min_parts=2 * (workers or threads()))
    if read is None:
        parks = _parks_of(parks)
        gdf = layers.read_layer(path, layer=layer)  # conformed and checked per batch
        if columns is not None:
            gdf = gdf[[c for c in columns if c in gdf.columns] + [gdf.geometry.name]]
        table = _from_frame(gdf, parks, as_of, path=path).reset_index(drop=True)
        check_unique_ids(table["plot_id"], path)  # as the batches' ids are, once conformed
        table, excluded = plot_rows.split_invalid(table, path, skip=skip_invalid)
        return PlotResult(table, PlotSummary.of(table, list(parks["park_id"])), excluded)
    res = _from_batches(read, parks, as_of, path=Path(path), workers=workers,
                        keep_outside=keep_outside)
    res.table, res.excluded = plot_rows.split_invalid(res.table, path, skip=skip_invalid)
    return res


# --------------------------------------------------------------------------- per park


#: Per-park figures computed from the plots (see :func:`park_sums`).
PARK_SUM_KEYS = ("plot_count", "plot_area_mu", "plot_investment_yuan",
                 "invested_plot_count", "idle_plot_count",
                 "idle_area_mu", "unjudged_plot_count", "judged_area_mu",
                 "illustrative_plot_count")

#: An exact sum: {binary exponent: integer}, the value being Σ integer · 2**(exponent − 53).
Exact = dict[int, int]


def exact_group_sums(values: np.ndarray, codes: np.ndarray, groups: int) -> list[Exact]:
    """Exact sums of finite *values* per group *codes* (0 … groups−1), vectorised.

    Each float is split into its 53-bit integer mantissa (itself split in two
    26/27-bit halves so float64 bincounts of up to 2**26 values stay exact) and
    its exponent; the integers are summed per (group, exponent). Adding such
    sums is exact and order-free, so batches and dask partitions combine to the
    very same result as one pass, which :func:`exact_value` rounds once.
    """
    out: list[Exact] = [{} for _ in range(groups)]
    ok = np.isfinite(values)
    if not ok.all():
        values, codes = values[ok], codes[ok]
    if not len(values):
        return out
    frac, exp = np.frexp(values)
    mant = (frac * 2.0**53).astype(np.int64)
    hi, lo = mant >> 26, mant & ((1 << 26) - 1)
    low, high = int(exp.min()), int(exp.max())
    if groups * (high - low + 1) <= 1 << 20:  # exponents as offsets: no sort
        exps, inv = np.arange(low, high + 1), exp - low
    else:
        exps, inv = np.unique(exp, return_inverse=True)
    key = codes.astype(np.int64) * len(exps) + inv
    size = groups * len(exps)
    s_hi = np.bincount(key, weights=hi.astype(np.float64), minlength=size)
    s_lo = np.bincount(key, weights=lo.astype(np.float64), minlength=size)
    for k in np.flatnonzero((s_hi != 0) | (s_lo != 0)):
        g, u = divmod(int(k), len(exps))
        total = (int(s_hi[k]) << 26) + int(s_lo[k])
        if total:
            e = int(exps[u])
            out[g][e] = out[g].get(e, 0) + total
    return out


def add_exact(a: Exact, b: Exact) -> Exact:
    """a + b, exactly."""
    out = dict(a)
    for e, v in b.items():
        out[e] = out.get(e, 0) + v
    return out


def exact_value(x: Exact) -> float:
    """The float nearest to the exact sum *x* (correctly rounded, like :func:`math.fsum`)."""
    if not x:
        return 0.0
    low = min(x)
    total = sum(v << (e - low) for e, v in x.items())
    shift = 53 - low
    if shift <= 0:
        try:
            return float(total << -shift)
        except OverflowError:  # beyond the largest double, as a float sum would be
            return math.copysign(math.inf, total)
    return total / (1 << shift)  # int / int is correctly rounded in Python


@dataclass
class PlotSummary:
    """What the per-park report needs from the plots, however they were computed.

    ``leaves`` maps each assigned ``park_id`` to its counts and exact sums
    (``count``, ``area_mu``, ``invested``, ``invested_n``, ``idle_count``,
    ``idle_area_mu``, ``judged``, ``judged_area_mu``); ``unassigned_ids`` / ``stray_ids`` hold the
    first five plots in no park / naming a park not in the layer.
    """

    leaves: dict[str, dict[str, Any]]
    plot_count: int = 0
    unassigned_count: int = 0
    unassigned_ids: list[str] | None = None
    stray_count: int = 0
    stray_ids: list[str] | None = None
    has_invested: bool = False
    has_idle: bool = False

    @classmethod
    def of(cls, plots: pd.DataFrame, known: Sequence[str]) -> PlotSummary:
        """Summarise a per-plot table (``plot_id``, ``park_id``, ``area_mu``, …)."""
        import pandas as pd

        if not len(plots):
            return cls(leaves={})
        codes, names = pd.factorize(plots["park_id"], sort=True)  # missing: −1
        return cls.from_codes(
            codes, list(names), known, ids=plots["plot_id"],
            area_mu=plots["area_mu"].to_numpy(dtype="float64"),
            invested_yuan=(plots["invested_yuan"].to_numpy(dtype="float64", na_value=np.nan)
                           if "invested_yuan" in plots.columns else None),
            idle=(plots["idle"].to_numpy(dtype=bool) if "idle" in plots.columns else None),
            judged=((plots["idle_status"] != "n/a").to_numpy(dtype=bool)
                    if "idle_status" in plots.columns else None),
            illustrative=illustrative_rows(plots))

    @classmethod
    def from_codes(cls, codes: np.ndarray, names: Sequence[str], known: Sequence[str], *,
                   ids: pd.Series, area_mu: np.ndarray, invested_yuan: np.ndarray | None,
                   idle: np.ndarray | None, judged: np.ndarray | None,
                   illustrative: np.ndarray | None = None) -> PlotSummary:
        """Summarise plots given as arrays.

        Parameters
        ----------
        codes : numpy.ndarray
            Each plot's park as an index into *names*, −1 for no park.
        names : sequence of str
            Park ids, those of the parks layer (*known*) or not.
        ids : pandas.Series
            Plot ids (the first unassigned and stray ones are named).
        area_mu, invested_yuan : numpy.ndarray
            Per plot; *invested_yuan* None when the layer has no such column.
        idle, judged : numpy.ndarray
            Idle by the rule, and judged by it (status not n/a); None without the rule's columns.
        illustrative : numpy.ndarray, optional
            Marked ``boundary_quality = illustrative`` (:func:`illustrative_rows`).
        """
        n = len(codes)
        unassigned = codes < 0
        known_set = set(known)
        is_known = np.array([nm in known_set for nm in names] + [True], dtype=bool)
        stray = ~is_known[codes]
        return cls(
            leaves=leaf_sums(codes, names, area_mu=area_mu, invested_yuan=invested_yuan,
                             idle=idle if idle is not None else np.zeros(n, bool),
                             judged=judged if judged is not None else np.zeros(n, bool),
                             illustrative=(illustrative if illustrative is not None
                                           else np.zeros(n, bool))),
            plot_count=n,
            unassigned_count=int(unassigned.sum()),
            unassigned_ids=[str(v) for v in ids.iloc[np.flatnonzero(unassigned)[:5]]],
            stray_count=int(stray.sum()),
            stray_ids=[str(v) for v in ids.iloc[np.flatnonzero(stray)[:5]]],
            has_invested=invested_yuan is not None,
            has_idle=judged is not None)

    def merge(self, other: PlotSummary) -> PlotSummary:
        """This summary followed by *other* (a later batch or partition)."""
        leaves = {k: dict(v) for k, v in self.leaves.items()}
        for key, e in other.leaves.items():
            if key not in leaves:
                leaves[key] = dict(e)
                continue
            o = leaves[key]
            for k, v in e.items():
                o[k] = add_exact(o[k], v) if isinstance(v, dict) else o[k] + v
        return PlotSummary(
            leaves=leaves, plot_count=self.plot_count + other.plot_count,
            unassigned_count=self.unassigned_count + other.unassigned_count,
            unassigned_ids=((self.unassigned_ids or []) + (other.unassigned_ids or []))[:5],
            stray_count=self.stray_count + other.stray_count,
            stray_ids=((self.stray_ids or []) + (other.stray_ids or []))[:5],
            has_invested=self.has_invested or other.has_invested,
            has_idle=self.has_idle or other.has_idle)


def leaf_sums(codes: np.ndarray, names: Sequence[str], *, area_mu: np.ndarray | None,
              invested_yuan: np.ndarray | None, idle: np.ndarray,
              judged: np.ndarray, illustrative: np.ndarray | None = None
              ) -> dict[str, dict[str, Any]]:
    """Counts and exact sums per park code (no nesting applied; code −1, no park, skipped).

    *area_mu* None: the areas are not summed (every area sum is 0), for a caller that
    wants only counts and investment.
    """
    out: dict[str, dict[str, Any]] = {}
    known = codes >= 0
    if not known.any():
        return out
    m = len(names)
    codes = codes[known]
    area = area_mu[known] if area_mu is not None else np.zeros(0)
    idle, judged = idle[known], judged[known]
    illustrative = (illustrative[known] if illustrative is not None
                    else np.zeros(len(codes), bool))
    illustrative_n = np.bincount(codes[illustrative], minlength=m)
    count = np.bincount(codes, minlength=m)
    idle_n = np.bincount(codes[idle], minlength=m)
    judged_n = np.bincount(codes[judged], minlength=m)
    if area_mu is not None:
        area_s = exact_group_sums(area, codes, m)
        idle_s = exact_group_sums(area[idle], codes[idle], m)
        judged_s = exact_group_sums(area[judged], codes[judged], m)
    else:
        area_s = idle_s = judged_s = [{} for _ in range(m)]
    if invested_yuan is not None:
        inv = invested_yuan[known]
        inv_s = exact_group_sums(inv, codes, m)
        inv_n = np.bincount(codes[~np.isnan(inv)], minlength=m)
    else:
        inv_s, inv_n = [{} for _ in range(m)], np.zeros(m, np.int64)
    for c in np.flatnonzero(count):
        out[str(names[c])] = {"count": int(count[c]), "area_mu": area_s[c],
                              "idle_count": int(idle_n[c]), "idle_area_mu": idle_s[c],
                              "judged": int(judged_n[c]), "judged_area_mu": judged_s[c],
                              "illustrative": int(illustrative_n[c]),
                              "invested": inv_s[c],
                              "invested_n": int(inv_n[c])}
    return out


def park_sums(summary: PlotSummary, members: dict[str, set[str]],
              park_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Per-park report figures (:data:`PARK_SUM_KEYS`), a parent park including its nested parks.

    The report's conventions: ``plot_investment_yuan`` NaN without invested
    figures; ``idle_plot_count`` None and ``idle_area_mu`` NaN when no plot of
    the park can be judged by the idle rule (0 and 0.0 for a park without plots).
    ``unjudged_plot_count`` counts the plots the rule cannot judge (status n/a) and
    ``judged_area_mu`` is the area of the others, the base of the idle share: a plot
    that cannot be judged is neither idle nor not idle.
    Sums are exact before one final rounding, so they do not depend on the
    order of the plots or on how they were split into batches or partitions.
    """
    out = {}
    for pid in park_ids:
        mine = [summary.leaves[m] for m in sorted(members.get(pid, {pid}))
                if m in summary.leaves]
        count = sum(e["count"] for e in mine)
        total: dict[str, Exact] = {"area_mu": {}, "invested": {}, "idle_area_mu": {},
                                   "judged_area_mu": {}}
        for e in mine:
            for k in total:
                total[k] = add_exact(total[k], e[k])
        inv_n = sum(e["invested_n"] for e in mine)
        judged = sum(e["judged"] for e in mine)
        plot_inv = (exact_value(total["invested"]) if summary.has_invested and count and inv_n
                    else math.nan)
        plot_area = exact_value(total["area_mu"]) if count else 0.0
        if count == 0:
            idle_count, idle_area = 0, 0.0
        elif summary.has_idle and judged:
            idle_count = sum(e["idle_count"] for e in mine)
            idle_area = exact_value(total["idle_area_mu"])
        else:
            idle_count, idle_area = None, math.nan
        out[pid] = {"plot_count": count, "plot_area_mu": plot_area,
                    "plot_investment_yuan": plot_inv, "invested_plot_count": inv_n,
                    "idle_plot_count": idle_count,
                    "idle_area_mu": idle_area,
                    "illustrative_plot_count": sum(e["illustrative"] for e in mine),
                    "unjudged_plot_count": count - judged if summary.has_idle else None,
                    "judged_area_mu": (exact_value(total["judged_area_mu"]) if judged
                                       else (0.0 if count == 0 else math.nan))}
    return out
