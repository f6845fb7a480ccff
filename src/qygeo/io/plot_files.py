"""Reading plots files as Arrow batches, and their WKB polygons as flat coordinate arrays.

The plot engine (:mod:`qygeo.pipeline.plot_table`) reads only the columns the
report needs: GeoParquet batch by batch with pyarrow (memory-mapped; its row
groups can be read by the workers themselves), other formats with pyogrio's
Arrow reader. Single-ring 2-D WKB polygons — nearly every land plot — are decoded
to flat coordinates by geoarrow-c (:func:`decode_polygons`) without a shapely
object each. Files this reader cannot take (not WGS84, GeoArrow encoding) go to
:func:`qygeo.io.layers.read_layer`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.errors import DataFileError, QygeoError
from qygeo.io import crs as crs_mod
from qygeo.io import layers, shapefile
from qygeo.io.gdal_paths import gdal_name
from qygeo.io.gpkg_values import check_gpkg_values
from qygeo.io.plot_rows import Rings
from qygeo.io.sniff import check_content

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

#: Rows per batch handed to a worker thread.
BATCH_ROWS = 131_072


@dataclass
class PlotBatch:
    """Attributes and the WKB geometry of some plots.

    ``attrs`` is an Arrow record batch as read (conformed with
    :func:`qygeo.io.layers.conform_arrow`, no copy to Python objects) or a
    DataFrame (conformed with :func:`qygeo.io.layers.conform`).
    """

    attrs: pd.DataFrame | pa.RecordBatch
    wkb: pa.Array


def _geo_metadata(schema: pa.Schema) -> dict[str, Any] | None:
    import json

    meta = schema.metadata or {}
    raw = meta.get(b"geo")
    return json.loads(raw) if raw else None


@dataclass
class PlotPart:
    """A part of a plots file a worker reads itself: its first row and a reader of its batches."""

    offset: int
    rows: int
    open: Callable[[], Iterator[pa.RecordBatch]]


@dataclass
class PlotSource:
    """Plots as Arrow batches: the batches, their WKB geometry column and the row count.

    A GeoParquet file also gives its row groups as :class:`PlotPart` s, which
    workers read in parallel.
    """

    batches: Iterator[pa.RecordBatch]
    geom: str
    rows: int
    parts: list[PlotPart] | None = None


#: File types that can hold several layers (GeoJSON and GeoParquet hold one).
MULTI_LAYER_SUFFIXES = (".gpkg", ".sqlite", ".gdb", ".kml", ".kmz", ".zip")


def plots_layer(path: Path, layer: str | None) -> str | None:
    """The layer of a plots file to read: *layer* when given, else the file's only layer,
    else its layer named ``plots``.

    GDAL would take the first layer of a GeoPackage with several, which may be last
    year's plots or another layer altogether: the figures would be silently someone
    else's.

    Raises
    ------
    DataFileError
        Several layers, none named ``plots`` and none asked for.
    """
    if layer is not None or path.suffix.lower() not in MULTI_LAYER_SUFFIXES or not path.exists():
        return layer
    import pyogrio

    layers.check_layer_path(path)

    try:
        names = [str(row[0]) for row in pyogrio.list_layers(gdal_name(path))]
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; the user needs one line
        raise layers.read_error(path, exc) from exc
    if len(names) <= 1:
        return layer
    if "plots" in names:
        return "plots"
    shown = ", ".join(repr(n) for n in names[:8]) + (" …" if len(names) > 8 else "")
    raise DataFileError(path, f"has {len(names)} layers ({shown}) and none named 'plots': "
                              "name the plots layer with --plots-layer")


@contextmanager
def wkb_errors(path: object) -> Iterator[None]:
    """Bytes that are not WKB, found while decoding a plots file's geometries, as the one
    line :func:`qygeo.io.layers.read_error` gives (the reference reader's words)."""
    import shapely

    try:
        yield
    except shapely.errors.GEOSException as exc:
        raise layers.read_error(Path(str(path)), exc) from exc


def read_plot_columns(path: str | os.PathLike[str], *, layer: str | None = None,
                      columns: Sequence[str] | None = None,
                      min_parts: int = 1) -> PlotSource | None:
    """Read *columns* (those present; default all) and the WKB geometry as Arrow batches.

    GeoParquet is read batch by batch as the batches are consumed, so that
    reading overlaps the work on the batches already read; other formats are
    read whole by GDAL first.

    Parameters
    ----------
    min_parts : int, default 1
        For GeoParquet, the parts (:attr:`PlotSource.parts`) wanted at least: small
        row groups are read together, in parts of up to :data:`BATCH_ROWS` rows, only
        while that leaves this many (see :func:`_row_group_parts`).

    Returns
    -------
    PlotSource or None
        Batches of at most :data:`BATCH_ROWS` rows, the name of their WKB
        geometry column and the number of rows; None when the file cannot be read so (not
        WGS84, not WKB-encoded), in which case the caller reads it with
        :func:`qygeo.io.layers.read_layer`.

    Raises
    ------
    DataFileError
        Missing or unreadable file, no geometry, or no ``plot_id`` column.
    """
    path = Path(path)
    layers.check_layer_path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".geoparquet"):
            import pyarrow.parquet as pq

            schema = pq.read_schema(path)
            geo = _geo_metadata(schema)
            if geo is None:
                raise DataFileError(path, "cannot be read as a layer (no GeoParquet 'geo' "
                                          "metadata)")
            twice = next((n for n in schema.names if schema.names.count(n) > 1), None)
            if twice is not None:  # which of the two holds the figures cannot be told
                raise DataFileError(path, f"column {twice!r} appears more than once: keep one")
            geom = geo.get("primary_column", "geometry")
            info = geo.get("columns", {}).get(geom, {})
            if (info.get("encoding", "WKB").upper() != "WKB"
                    or not crs_mod.is_wgs84(info.get("crs"))):
                return None
            names = [c for c in (columns or schema.names) if c in schema.names and c != geom]
            if ("plot_id" not in schema.names or geom not in schema.names
                    or not _is_wkb_type(schema.field(geom).type)):
                return None  # let the reference reader name the problem
            # Mapped, not read: the pages come from the page cache without a copy into
            # Arrow buffers.
            file = pq.ParquetFile(path, memory_map=True)
            wanted = [*names, geom]
            # One thread: the pool's workers have the cores (reading overlaps their work).
            batches = file.iter_batches(batch_size=BATCH_ROWS, columns=wanted, use_threads=False)
            return PlotSource(_named_errors(batches, path), geom, file.metadata.num_rows,
                              parts=_row_group_parts(path, file, wanted, min_parts))
        import pyogrio

        if suffix == ".gpkg":
            check_gpkg_values(path, layer, *layers.typed_columns())
        info = pyogrio.read_info(gdal_name(path), layer=layer)
        if info.get("crs") is None or not crs_mod.is_wgs84(info["crs"]):
            return None  # read_layer diagnoses and converts
        fields = list(info["fields"])
        if "plot_id" not in fields or (shapefile.is_shapefile(path)
                                       and shapefile.renames(fields, layers.known_columns())):
            return None  # read_layer names the cut Shapefile fields back
        names = [c for c in (columns or fields) if c in fields]
        encoding = shapefile.encoding(path, layer)  # GBK text without a .cpg
        # Batches of BATCH_ROWS, not GDAL's 65,536: a worker's cost per batch is paid
        # half as often.
        meta, table = pyogrio.read_arrow(gdal_name(path), layer=layer, columns=names,
                                         batch_size=BATCH_ROWS, **layers.open_options(path),
                                         **({"encoding": encoding} if encoding else {}))
        table = _json_booleans_as_text(path, table)
        geom = meta.get("geometry_name") or "wkb_geometry"
        return PlotSource(iter(table.to_batches(max_chunksize=BATCH_ROWS)), geom, table.num_rows)
    except QygeoError:
        raise
    except Exception as exc:  # arrow/GDAL raise many types; the user needs one line
        raise layers.read_error(path, exc) from exc


def _check_converted(path: Path, ddf: Any, crs: Any) -> None:
    """Refuse a projected layer its declared CRS puts far from Qingyuan (a wrong zone),
    as :func:`qygeo.io.layers.read_layer` does: judged on the first partition's first
    rows, and only then, to be sure, on the whole layer's bounds."""
    from qygeo.io.crs import diagnose_converted

    sample = ddf.get_partition(0).head(1000, compute=True)
    if not len(sample):
        return
    raw = tuple(sample.to_crs(crs).total_bounds)
    if diagnose_converted(raw, tuple(sample.total_bounds), crs) is None:
        return
    wgs84 = tuple(ddf.total_bounds.compute())
    raw = tuple(ddf.to_crs(crs).total_bounds.compute())
    hint = diagnose_converted(raw, wgs84, crs)
    if hint:
        raise DataFileError(path, hint)


def _check_wkb_column(path: Path) -> None:
    """Refuse a GeoParquet file or folder whose geometry column cannot hold WKB."""
    import pyarrow.dataset as pads

    schema = pads.dataset(str(path), format="parquet").schema
    geo = _geo_metadata(schema) or {}
    geom = geo.get("primary_column", "geometry") if isinstance(geo, dict) else "geometry"
    if geom in schema.names and not _is_wkb_type(schema.field(geom).type):
        raise DataFileError(path, f"cannot be read as a layer (its geometry column {geom!r} "
                                  f"holds {schema.field(geom).type}, not WKB)")


def _is_wkb_type(t: pa.DataType) -> bool:
    """Whether a GeoParquet geometry column of type *t* can hold WKB (bytes)."""
    import pyarrow as pa

    if isinstance(t, pa.ExtensionType):
        t = t.storage_type
    return bool(pa.types.is_binary(t) or pa.types.is_large_binary(t)
                or pa.types.is_binary_view(t))


def _json_booleans_as_text(path: Path, table: pa.Table) -> pa.Table:
    """*table* with each number column that held a JSON boolean as text (``"true"``), so
    that :func:`qygeo.io.layers.conform` refuses it (see :func:`qygeo.io.layers.json_booleans`)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for col, (rows, values) in layers.json_booleans(path, layers.PLOTS.numeric).items():
        if col not in table.column_names:
            continue
        mask = np.zeros(table.num_rows, dtype=bool)
        mask[rows] = True
        text = np.full(table.num_rows, None, dtype=object)
        text[rows] = ["true" if v else "false" for v in values]
        arr = pc.if_else(pa.array(mask), pa.array(text, pa.string()),
                         pc.cast(table.column(col), pa.string()))
        table = table.set_column(table.column_names.index(col), col, arr)
    return table


def _row_group_parts(path: Path, file: Any, columns: list[str],
                     min_parts: int = 1) -> list[PlotPart]:
    """The row groups of a GeoParquet file as parts the workers read (each with its own
    reader), consecutive small groups together.

    A worker pays a cost per batch whatever its rows, so a file of small row groups
    was slower to read part by part (measured in ``bench/results/history.md``, session
    15). Groups are joined while a part stays within :data:`BATCH_ROWS` rows and the
    file's rows over *min_parts* (every worker keeps parts to take); a larger group is a
    part alone.
    """
    import threading

    import pyarrow.parquet as pq

    local = threading.local()  # one reader per worker thread: a reader is not shared

    def opener(groups: list[int]) -> Callable[[], Iterator[pa.RecordBatch]]:
        def open_batches() -> Iterator[pa.RecordBatch]:
            reader = getattr(local, "reader", None)
            if reader is None:
                reader = local.reader = pq.ParquetFile(path, memory_map=True)
            return _named_errors(reader.iter_batches(
                batch_size=BATCH_ROWS, row_groups=groups, columns=columns, use_threads=False),
                path)
        return open_batches

    meta = file.metadata
    most = min(BATCH_ROWS, max(1, meta.num_rows // max(1, min_parts)))
    spans: list[tuple[int, list[int]]] = []  # (rows, groups) of each part
    for g in range(meta.num_row_groups):
        rows = meta.row_group(g).num_rows
        if spans and spans[-1][0] + rows <= most:
            spans[-1][1].append(g)
            spans[-1] = (spans[-1][0] + rows, spans[-1][1])
        else:
            spans.append((rows, [g]))
    parts, offset = [], 0
    for rows, groups in spans:
        parts.append(PlotPart(offset, rows, opener(groups)))
        offset += rows
    return parts


def _named_errors(batches: Iterator[pa.RecordBatch], path: Path) -> Iterator[pa.RecordBatch]:
    """*batches*, a read error on the way becoming one line naming *path*."""
    try:
        yield from batches
    except Exception as exc:  # noqa: BLE001 - a corrupt page shows only when it is read
        raise layers.read_error(path, exc) from exc


def to_plot_batch(rb: pa.RecordBatch, geom: str) -> PlotBatch:
    """One Arrow record batch as a :class:`PlotBatch`."""
    return PlotBatch(attrs=rb.select([c for c in rb.schema.names if c != geom]),
                     wkb=rb.column(geom))


# --------------------------------------------------------------------------- WKB


def decode_polygons(wkb: pa.Array) -> tuple[Rings, np.ndarray]:
    """Decode the single-ring 2-D WKB polygons of *wkb*.

    geoarrow-c parses the WKB in C (:func:`geoarrow.pyarrow.as_geoarrow`,
    without a Python object per polygon, unlike shapely); when the column mixes geometry types
    it cannot, and :func:`decode_polygons_shapely` does.
    The coordinates are the same doubles either way. Under :data:`GEOARROW_MIN_ROWS`
    rows shapely decodes them first: importing geoarrow takes longer than decoding a
    small file (the bundled plots) with shapely, which is already imported. What shapely
    refuses to parse (an unclosed ring) still goes to geoarrow-c, so that the ring check
    names the plot, as in a large batch.

    Returns
    -------
    (Rings, numpy.ndarray)
        The decoded polygons and the rows left for :func:`shapely.from_wkb`
        (nulls, holes, multipolygons, other dimensions).
    """
    if len(wkb) < GEOARROW_MIN_ROWS:
        import shapely

        try:
            with np.errstate(invalid="ignore"):  # a NaN vertex: check_rings names it
                return decode_polygons_shapely(wkb)
        except shapely.errors.GEOSException:
            pass  # an unclosed ring shapely will not parse: geoarrow-c passes it on to be named
    got = _decode_geoarrow(wkb)
    return got if got is not None else decode_polygons_shapely(wkb)


#: Batches of fewer rows are decoded by shapely (see :func:`decode_polygons`).
GEOARROW_MIN_ROWS = 4096


def _decode_geoarrow(wkb: pa.Array) -> tuple[Rings, np.ndarray] | None:
    """Single-ring polygons through geoarrow-c; None when it is missing or not all polygons."""
    try:
        import geoarrow.pyarrow as ga
    except ImportError:
        return None
    arr = _as_xy_polygons(ga, wkb)
    if arr is None:
        try:
            arr = ga.as_geoarrow(ga.wkb().wrap_array(wkb), coord_type=ga.CoordType.SEPARATED)
        except Exception:  # noqa: BLE001 - anything geoarrow cannot take goes the shapely way
            return None
    if (arr.type.geometry_type != ga.GeometryType.POLYGON
            or arr.type.dimensions != ga.Dimensions.XY):
        return None
    st = arr.storage
    n = len(st)
    poly_off = st.offsets.to_numpy().astype(np.int64)
    ring_off = st.values.offsets.to_numpy().astype(np.int64)
    coords = st.values.values
    x = coords.field("x").to_numpy(zero_copy_only=False)
    y = coords.field("y").to_numpy(zero_copy_only=False)
    ok = np.diff(poly_off) == 1
    if st.null_count:
        ok &= ~st.is_null().to_numpy(zero_copy_only=False)
    ring = poly_off[:-1]
    npts = np.where(ok, ring_off[np.minimum(ring + 1, len(ring_off) - 1)]
                    - ring_off[np.minimum(ring, len(ring_off) - 1)], 0)
    ok &= npts >= 4
    rows = np.flatnonzero(ok)
    rest = np.flatnonzero(~ok)
    first = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(npts[rows], out=first[1:])
    begin = ring_off[ring[rows]]
    if len(rows) == n and len(rows) and begin[0] == 0 and len(x) == first[-1]:
        return Rings(np.ascontiguousarray(x, dtype=np.float64),
                     np.ascontiguousarray(y, dtype=np.float64), first, rows), rest
    take = np.arange(first[-1]) - np.repeat(first[:-1] - begin, npts[rows])
    return Rings(x[take], y[take], first, rows), rest


def _as_xy_polygons(ga: Any, wkb: pa.Array) -> pa.Array | None:
    """*wkb* as GeoArrow 2-D polygons when every value is one, else None.

    Told the type, geoarrow-c skips the pass that infers it (half its time),
    but it would also coerce a point, a one-part multipolygon or a Z polygon
    into a polygon. The sizes tell: a 2-D WKB polygon is exactly
    9 + 4·rings + 16·coordinates bytes (byte order, type, ring count, then per
    ring a point count and x, y doubles), and every other WKB value that could
    come out as that polygon is longer or shorter by its own header or its
    extra ordinates.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        arr = ga.as_geoarrow(ga.wkb().wrap_array(wkb),
                             type=ga.polygon().with_coord_type(ga.CoordType.SEPARATED))
    except Exception:  # noqa: BLE001 - not all polygons: the inferring path decides
        return None
    st = arr.storage
    poly_off = st.offsets.to_numpy().astype(np.int64)
    ring_off = st.values.offsets.to_numpy().astype(np.int64)
    rings = np.diff(poly_off)
    coords = ring_off[poly_off[1:]] - ring_off[poly_off[:-1]]
    size = pc.binary_length(wkb.storage if isinstance(wkb, pa.ExtensionArray) else wkb)
    expected = 9 + 4 * rings + 16 * coords
    got = size.to_numpy(zero_copy_only=False)
    if size.null_count:
        valid = size.is_valid().to_numpy(zero_copy_only=False)
        got, expected = got[valid], expected[valid]
    return arr if np.array_equal(got, expected) else None


def decode_polygons_shapely(wkb: pa.Array) -> tuple[Rings, np.ndarray]:
    """Decode the single-ring 2-D WKB polygons of *wkb* with shapely (the fallback).

    Used when geoarrow-c cannot take the column (mixed geometry types): shapely
    parses every row and :func:`shapely.to_ragged_array` lays the single-ring
    polygons out flat.

    Returns
    -------
    (Rings, numpy.ndarray)
        The decoded polygons and the rows left for :func:`shapely.from_wkb`
        (nulls, holes, multipolygons, other dimensions).
    """
    import shapely

    geoms = shapely.from_wkb(wkb.to_numpy(zero_copy_only=False))
    ok = ((shapely.get_type_id(geoms) == 3) & ~shapely.has_z(geoms)
          & (shapely.get_num_interior_rings(geoms) == 0) & ~shapely.is_empty(geoms))
    rows = np.flatnonzero(ok)
    rest = np.flatnonzero(~ok)
    if len(rows) == 0:
        empty = np.zeros(0)
        return Rings(empty, empty, np.zeros(1, np.int64), rows), rest
    _, coords, (ring_offsets, _poly_offsets) = shapely.to_ragged_array(geoms[rows])
    return Rings(np.ascontiguousarray(coords[:, 0]), np.ascontiguousarray(coords[:, 1]),
                 ring_offsets.astype(np.int64), rows), rest


def read_plots_dask(path: str | os.PathLike[str], *, layer: str | None = None,
                    npartitions: int | None = None):  # type: ignore[no-untyped-def]
    """Open a plots layer (GeoParquet file or folder, or any OGR format) as a dask GeoDataFrame."""
    import dask_geopandas

    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "file not found")
    check_content(path)  # a folder of GeoParquet parts is left as it is
    layer = plots_layer(path, layer)
    try:
        if path.is_dir() or path.suffix.lower() in (".parquet", ".geoparquet"):
            ddf = dask_geopandas.read_parquet(str(path))
            _check_wkb_column(path)  # the partitions decode it later, on the workers
        elif (layers.open_options(path) or shapefile.is_shapefile(path)
              or path.suffix.lower() in (".csv", ".xlsx", ".xlsm")):
            # GeoJSON: GDAL reads it whole anyway; read as the other engine reads it (dates
            # as text, JSON booleans kept), so both engines judge the same values. So are
            # a Shapefile (its encoding and cut field names, which dask's reader leaves) and
            # a CSV or Excel ledger (its WKT or points, which only read_layer makes shapes).
            frame = layers.read_layer(path, layer=layer)
            if not len(frame) and "plot_id" not in frame.columns:
                frame["plot_id"] = None  # no features, so GDAL gave no fields either
            ddf = dask_geopandas.from_geopandas(frame, npartitions=npartitions or 4)
        else:
            if path.suffix.lower() == ".gpkg":
                check_gpkg_values(path, layer, *layers.typed_columns())
            kwargs = {"layer": layer} if layer else {}
            ddf = dask_geopandas.read_file(gdal_name(path),
                                           npartitions=npartitions or 4, **kwargs)
    except QygeoError:
        raise
    except Exception as exc:  # noqa: BLE001 - one readable line for the user
        raise layers.read_error(path, exc) from exc
    if ddf.crs is not None and not ddf.crs.equals("EPSG:4326"):
        layers.warn_ballpark(path, ddf.crs)
        projected = ddf.crs if not ddf.crs.is_geographic else None
        ddf = ddf.to_crs("EPSG:4326")
        if projected is not None:
            _check_converted(path, ddf, projected)
    if "plot_id" not in ddf.columns:
        raise DataFileError(path, "missing required column(s): plot_id")
    return ddf
