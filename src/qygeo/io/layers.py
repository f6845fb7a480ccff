"""Reading, checking the shape of, and writing qygeo's geodata layers.

Everything it returns is a GeoDataFrame in WGS84 (EPSG:4326) with string ids;
everything it writes is deterministic GeoJSON (stable feature and key order,
fixed precision) written atomically, so a ``git diff`` shows only what changed
and a crash never leaves half a file. Big plots files are read in batches by
:mod:`qygeo.io.plot_files` and surveyors' files by :mod:`qygeo.io.boundary`, with
this module's layer specifications and conforming.

Why over 800 lines: reading, conforming (pandas and Arrow), and writing GeoJSON share
the layer specifications and the rules for ids, dates and booleans (how any file is
written safely is :mod:`qygeo.io.atomic`'s).
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qygeo.errors import DataFileError, FeatureError, QygeoError
from qygeo.io import shapefile
from qygeo.io.atomic import atomic_write_text
from qygeo.io.gdal_paths import gdal_name
from qygeo.io.gpkg_values import check_gpkg_values

if TYPE_CHECKING:  # pragma: no cover

    import geopandas as gpd
    import pandas as pd
    import pyarrow as pa

    from qygeo.io.plot_rows import RowProblems

#: Decimal places kept in written coordinates: 1e-6 degree is about 0.1 m here,
#: finer than any source we have.
COORD_PRECISION = 6

#: Environment variable naming the data folder when ``--geodata`` is not given.
GEODATA_ENV = "QYGEO_GEODATA"


@dataclass(frozen=True)
class LayerSpec:
    """What a layer file must look like.

    Attributes
    ----------
    name : str
        Layer name, also the file stem (``parks`` → ``parks.geojson``).
    id_field : str
        Column holding the unique, stable id.
    required : tuple of str
        Columns every file of this layer must have (besides geometry).
    columns : tuple of str
        The documented columns in their written order; others are kept after them.
    geometry_types : tuple of str
        Allowed geometry types.
    """

    name: str
    id_field: str
    required: tuple[str, ...]
    columns: tuple[str, ...]
    geometry_types: tuple[str, ...] = ("Polygon", "MultiPolygon")
    numeric: tuple[str, ...] = field(default=())
    dates: tuple[str, ...] = field(default=())

    @property
    def filename(self) -> str:
        return f"{self.name}.geojson"


PROVENANCE = ("source", "boundary_quality")

DISTRICTS = LayerSpec(
    name="districts",
    id_field="adcode",
    required=("adcode", "name_zh", "name_en"),
    columns=("adcode", "name_zh", "name_en", "official_area_km2", "official_area_source",
             *PROVENANCE, "license"),
    numeric=("official_area_km2",),
)

PARKS = LayerSpec(
    name="parks",
    id_field="park_id",
    required=("park_id", "name_zh", "name_en", "district_adcode", "kind"),
    columns=("park_id", "name_zh", "name_en", "district_adcode", "kind", "parent_park_id",
             *PROVENANCE, "notes", "source_file", "source_sha256", "added_on"),
    # The TD/T 1029 rates' land figures, which park_stats.csv may give too (same checks).
    numeric=("ready_for_supply_area_m2", "developable_area_m2"),
)

PLANTING = LayerSpec(
    name="planting",
    id_field="planting_id",
    required=("planting_id", "name_zh", "name_en", "district_adcode"),
    columns=("planting_id", "name_zh", "name_en", "district_adcode", "park_id", "crops",
             *PROVENANCE, "notes"),
)

#: The plots contract (see geodata/README.md). Only ``plot_id`` and a geometry
#: are required: whatever needs a missing column reports n/a.
PLOTS = LayerSpec(
    name="plots",
    id_field="plot_id",
    required=("plot_id",),
    columns=("plot_id", "park_id", "project", "enterprise", "land_use", "contract_date",
             "agreed_start_date", "actual_start_date", "suspended_since", "delay_cause",
             "agreed_investment_yuan", "invested_yuan", "developed_area_m2", "floor_area_m2",
             "land_price_yuan", "output_yuan", "tax_yuan", *PROVENANCE, "notes"),
    # Every number a figure reads from a plot, the indicators' and the grading's too: each
    # is checked as a row is (not negative, no boolean, within reason) before it counts.
    numeric=("agreed_investment_yuan", "invested_yuan", "developed_area_m2", "floor_area_m2",
             "land_price_yuan", "output_yuan", "tax_yuan", "built_up_area_m2",
             "building_footprint_m2", "value_added_yuan"),
    dates=("contract_date", "agreed_start_date", "actual_start_date", "suspended_since",
           "idle_disposed_on"),
)

LAYERS: dict[str, LayerSpec] = {s.name: s for s in (DISTRICTS, PARKS, PLANTING, PLOTS)}

#: Values allowed in ``boundary_quality``.
BOUNDARY_QUALITIES = ("surveyed", "official", "approximate", "illustrative")


def geodata_dir(option: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the data folder: ``--geodata``, else ``$QYGEO_GEODATA``, else ``./geodata``."""
    if option:
        return Path(option)
    env = os.environ.get(GEODATA_ENV)
    if env:
        return Path(env)
    return Path("geodata")


def check_name_utf8(path: Path) -> None:
    """Refuse a file whose name is not UTF-8 (a GBK name from an old archive): GDAL opens
    files by UTF-8 names only, and would say something else went wrong."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        raise DataFileError(path, "its name is not UTF-8 text, which GDAL cannot open: "
                                  "rename the file (or its folder)") from None


def check_layer_path(path: Path) -> None:
    """Raise :class:`DataFileError` unless *path* is an existing layer file (or .gdb) whose
    bytes are the format its suffix names (:func:`qygeo.io.sniff.check_content`)."""
    if not path.exists():
        raise DataFileError(path, "file not found")
    check_name_utf8(path)
    if path.is_dir() and path.suffix.lower() != ".gdb":
        raise DataFileError(path, "is a folder, not a layer file")
    from qygeo.io.sniff import check_content

    check_content(path)


def known_columns() -> list[str]:
    """Every column name a layer's contract or the indicators know (to read a Shapefile's
    cut field names back: :func:`qygeo.io.shapefile.renames`)."""
    names = dict.fromkeys(name for spec in LAYERS.values()
                          for name in (*spec.columns, *spec.numeric, *spec.dates))
    return list(names)


def typed_columns() -> tuple[frozenset[str], frozenset[str]]:
    """The columns of every layer qygeo reads as numbers, and as dates."""
    return (frozenset(c for spec in LAYERS.values() for c in spec.numeric),
            frozenset(c for spec in LAYERS.values() for c in spec.dates))


def _read_any(path: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    import geopandas as gpd

    check_layer_path(path)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        check_gpkg_values(path, layer, *typed_columns())
    try:
        if suffix in (".parquet", ".geoparquet"):
            # The Arrow types, not the dtypes pandas metadata restores: a float id column
            # stored by pandas as text would become "nan" text, not a missing id.
            return gpd.read_parquet(path, to_pandas_kwargs={"ignore_metadata": True})
        if suffix in (".xlsx", ".xlsm"):
            import pandas as pd

            # openpyxl, not GDAL: GDAL takes a header row of text over text columns for data.
            return geometry_from_text(pd.read_excel(path, sheet_name=0, engine="openpyxl"), path)
        import pyogrio

        kwargs: dict[str, Any] = dict(open_options(path))
        if layer is not None:
            kwargs["layer"] = layer
        encoding = shapefile.encoding(path, layer)  # GBK text without a .cpg
        if encoding is not None:
            kwargs["encoding"] = encoding
        # pyogrio itself, as geopandas.read_file would call it, with a name GDAL gets whole.
        # A text column whose cells look like JSON only in part (parcel numbers 1 and A-7)
        # is kept as text, which is what a ledger means; pyogrio's note about it would
        # read as a fault (and, raised a level up, escapes the CLI's pyogrio filter).
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Could not parse column .* as JSON")
            gdf = unlisted(pyogrio.read_dataframe(gdal_name(path), **kwargs))
        if not isinstance(gdf, gpd.GeoDataFrame):  # a CSV or a spreadsheet: a WKT column?
            gdf = geometry_from_text(gdf, path)
        renames = (shapefile.renames(list(gdf.columns), known_columns())
                   if shapefile.is_shapefile(path) else {})
        if renames:
            gdf = gdf.rename(columns=renames)
            warnings.warn(f"{path.name}: Shapefile field names cut to {shapefile.DBF_NAME_MAX} "
                          "characters read as " + ", ".join(
                              f"{cut} → {full}" for cut, full in renames.items()), stacklevel=2)
        numeric = tuple(dict.fromkeys(c for spec in LAYERS.values() for c in spec.numeric))
        for col, (rows, values) in json_booleans(path, numeric).items():
            if col in gdf.columns:  # put the booleans GDAL made numbers back, to be refused
                gdf[col] = gdf[col].astype(object)
                gdf.iloc[rows, gdf.columns.get_loc(col)] = values
        return gdf
    except QygeoError:
        raise
    except Exception as exc:  # pyogrio/arrow raise many types; the user needs one line
        raise read_error(path, exc) from exc


#: Column names (compared case-insensitively) holding a plot's boundary as WKT text.
WKT_COLUMNS = ("wkt", "geometry", "geom", "the_geom", "shape", "几何", "边界")
#: Column names of a point's longitude and latitude (a ledger of points, not boundaries).
LON_COLUMNS = ("lon", "lng", "long", "longitude", "x", "经度")
LAT_COLUMNS = ("lat", "latitude", "y", "纬度")
LONLAT_COLUMNS = LON_COLUMNS + LAT_COLUMNS
#: A point ledger's plot area, by column name (casefolded) → square metres per unit.
AREA_COLUMNS = {"area_m2": 1.0, "面积_平方米": 1.0, "面积（平方米）": 1.0, "面积(平方米)": 1.0,
                "area_mu": 10000.0 / 15.0, "面积_亩": 10000.0 / 15.0, "面积（亩）": 10000.0 / 15.0,
                "面积(亩)": 10000.0 / 15.0}


def geometry_from_text(df: Any, path: Path) -> gpd.GeoDataFrame:
    """A table read from CSV or a spreadsheet, with its WKT column as the geometry (WGS84).

    Raises
    ------
    DataFileError
        No WKT column (a table of longitudes and latitudes is a list of points, not of
        plot boundaries: it says so), or text that is not WKT.
    """
    import geopandas as gpd
    import shapely

    by_name = {str(c).strip().casefold(): c for c in df.columns}
    column = next((by_name[n] for n in WKT_COLUMNS if n in by_name), None)
    if column is None:
        lon = next((by_name[n] for n in LON_COLUMNS if n in by_name), None)
        lat = next((by_name[n] for n in LAT_COLUMNS if n in by_name), None)
        area = next((n for n in AREA_COLUMNS if n in by_name), None)
        if lon is not None and lat is not None and area is not None:
            _check_areas_agree(df, path, [(by_name[n], AREA_COLUMNS[n]) for n in AREA_COLUMNS
                                          if n in by_name])
            return _squares_from_points(df, path, lon, lat, by_name[area], AREA_COLUMNS[area])
        lonlat = [c for c in (lon, lat) if c is not None]
        why = (f"longitude/latitude columns ({', '.join(map(str, lonlat))}) but no area "
               f"column ({', '.join(AREA_COLUMNS)}): a plot's area, the park it lies in "
               "and the idle rule need its boundary, or at least its area"
               if lonlat else "no geometry")
        raise DataFileError(path, f"has {why}: add a WKT column (one of "
                                  f"{', '.join(WKT_COLUMNS)}; QGIS writes one with "
                                  "Export → CSV, GEOMETRY=AS_WKT), or give a GeoJSON, "
                                  "GeoPackage, Shapefile, KML or GeoParquet file")
    text = df[column].astype(object).where(df[column].notna(), None)
    try:
        geoms = shapely.from_wkt(text.to_numpy(), on_invalid="raise")
    except Exception as exc:  # noqa: BLE001 - shapely's GEOSException: one line for the user
        raise DataFileError(path, f"column {column!r} is not WKT text ({exc})") from exc
    return gpd.GeoDataFrame(df.drop(columns=[column]), geometry=geoms, crs="EPSG:4326")


#: How far two area columns of a ledger row may differ: the rounding of 亩 to one
#: decimal (0.05 mu, 33 m²), or half a per cent of the area, whichever is more.
AREA_AGREEMENT = (0.05 * 10000.0 / 15.0, 0.005)


def _check_areas_agree(df: Any, path: Path, columns: list[tuple[str, float]]) -> None:
    """Refuse a ledger whose area columns (name, m² per unit; m² and 亩, say) give a row
    two areas: which one is meant cannot be told. Beyond :data:`AREA_AGREEMENT`."""
    import numpy as np
    import pandas as pd

    first, per_unit = columns[0]
    m2 = pd.to_numeric(df[first], errors="coerce").to_numpy(dtype=float) * per_unit
    for other, other_per_unit in columns[1:]:
        number = pd.to_numeric(df[other], errors="coerce")
        text = (number.isna() & df[other].notna()
                & (df[other].astype(str).str.strip() != "")).to_numpy()
        if text.any():  # "1,000" or "60亩": an area that cannot be compared
            row = int(np.argmax(text))
            raise DataFileError(path, f"row {row + 2}: {other} is not a number: "
                                      f"{df[other].iloc[row]!r}")
        m2_other = number.to_numpy(dtype=float) * other_per_unit
        with np.errstate(invalid="ignore"):
            apart = np.abs(m2 - m2_other) > np.maximum(AREA_AGREEMENT[0],
                                                       AREA_AGREEMENT[1] * np.abs(m2))
        if apart.any():  # NaN on either side: not compared (the area column used is checked)
            row = int(np.argmax(apart))
            raise DataFileError(path, f"row {row + 2}: {first} and {other} give two areas "
                                      f"({df[first].iloc[row]!r} and {df[other].iloc[row]!r}): "
                                      f"keep one column, or make them agree")


def _squares_from_points(df: Any, path: Path, lon: str, lat: str, area: str,
                         m2_per_unit: float) -> gpd.GeoDataFrame:
    """A ledger of points (WGS84) with each plot's area, as squares of that area around them.

    The square is no boundary anyone surveyed: its ``boundary_quality`` is
    ``illustrative`` and its ``notes`` say so. It puts the plot in the park that holds
    its point (the square's centre) and carries the ledger's area (on the ellipsoid,
    to a part in 10⁶); the maps draw it as what it is, a placeholder.
    """
    import geopandas as gpd
    import numpy as np
    import pandas as pd
    import shapely

    x = pd.to_numeric(df[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(df[lat], errors="coerce").to_numpy(dtype=float)
    m2 = pd.to_numeric(df[area], errors="coerce").to_numpy(dtype=float) * m2_per_unit
    bad = ~(np.isfinite(x) & np.isfinite(y) & np.isfinite(m2) & (m2 > 0))
    if bad.any():
        row = int(np.argmax(bad))
        raise DataFileError(path, f"row {row + 2}: {lon}/{lat}/{area} must be numbers, the "
                                  f"area above 0 (got {df[lon].iloc[row]!r}, "
                                  f"{df[lat].iloc[row]!r}, {df[area].iloc[row]!r})")
    # Metres per degree on the WGS84 ellipsoid at each latitude (meridian and prime-
    # vertical radii): a square this small has the ledger's area to about a part in 10⁶.
    from qygeo.io.crs import wgs84_ellipsoid

    a, e2 = wgs84_ellipsoid()
    s2 = np.sin(np.radians(y)) ** 2
    per_deg_lat = np.radians(1.0) * a * (1 - e2) / (1 - e2 * s2) ** 1.5
    per_deg_lon = np.radians(1.0) * a / np.sqrt(1 - e2 * s2) * np.cos(np.radians(y))
    half_lat = np.sqrt(m2) / 2 / per_deg_lat
    half_lon = np.sqrt(m2) / 2 / per_deg_lon
    xs = np.stack([x - half_lon, x + half_lon, x + half_lon, x - half_lon, x - half_lon], 1)
    ys = np.stack([y - half_lat, y - half_lat, y + half_lat, y + half_lat, y - half_lat], 1)
    coords = np.stack([xs.ravel(), ys.ravel()], axis=1)
    geoms = shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords,
                                      (np.arange(len(x) + 1) * 5, np.arange(len(x) + 1)))
    out = df.drop(columns=[lon, lat]).copy()
    out["boundary_quality"] = "illustrative"
    note = (f"square of the ledger's {area} around its {lon}/{lat} point, not a surveyed "
            "boundary")
    out["notes"] = [f"{n}; {note}" if isinstance(n, str) and n else note
                    for n in (out["notes"] if "notes" in out.columns else [None] * len(out))]
    return gpd.GeoDataFrame(out, geometry=geoms, crs="EPSG:4326")


def open_options(path: Path) -> dict[str, str]:
    """GDAL open options for reading *path*: GeoJSON dates as text.

    GDAL's GeoJSON driver types a column of date-like text as dates and rolls
    impossible ones over (``2022-02-30`` becomes 2022-03-02); read as text, they are
    parsed and checked by :func:`conform`.
    """
    return {"DATE_AS_STRING": "YES"} if path.suffix.lower() in (".geojson", ".json") else {}


def json_booleans(path: Path, columns: tuple[str, ...]) -> dict[str, tuple[np.ndarray, list[bool]]]:
    """Features of a GeoJSON file whose *columns* hold a JSON ``true``/``false``.

    GDAL reads a boolean in a number column as 1 or 0, so a stated ``true`` would be
    counted as 1 yuan; the file's text is searched for one first (one regular
    expression pass), and only a file that has one is parsed as JSON.

    Returns
    -------
    dict
        Column → (feature positions, their booleans); empty for other formats.
    """

    if path.suffix.lower() not in (".geojson", ".json") or not columns:
        return {}
    data = path.read_bytes()
    names = b"|".join(re.escape(c.encode()) for c in columns)
    if not re.search(rb'"(?:' + names + rb')"\s*:\s*(?:true|false)\b', data):
        return {}
    try:
        feats = json.loads(data).get("features") or []
    except (ValueError, AttributeError):
        return {}  # the layer reader names the fault
    found: dict[str, tuple[list[int], list[bool]]] = {}
    for i, feat in enumerate(feats):
        props = feat.get("properties") if isinstance(feat, dict) else None
        for c in columns:
            v = props.get(c) if isinstance(props, dict) else None
            if isinstance(v, bool):
                found.setdefault(c, ([], []))[0].append(i)
                found[c][1].append(v)
    return {c: (np.asarray(rows, dtype=np.int64), vals) for c, (rows, vals) in found.items()}


def read_error(path: Path, exc: BaseException) -> DataFileError:
    """The one-line error for a layer file GDAL or Arrow could not read.

    A GeoJSON file is then parsed as JSON to name the line and column of the
    fault (only on failure: parsing a big file twice would double its read time).
    """
    if path.suffix.lower() in (".geojson", ".json"):
        _check_json(path)  # raises the precise DataFileError when the JSON is at fault
    if isinstance(exc, UnicodeDecodeError):  # GDAL's text, decoded by pyogrio
        return DataFileError(path, "is not UTF-8 text: save it as UTF-8")
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return DataFileError(path, f"cannot be read as a layer ({msg})")


def _check_json(path: Path) -> None:
    """Fail with line and column when a GeoJSON file is not valid JSON."""
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except UnicodeDecodeError as exc:
        raise DataFileError(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise DataFileError(
            path, f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except RecursionError:
        raise DataFileError(path, "nests JSON arrays or objects too deeply to be GeoJSON") from None
    if not isinstance(doc, dict) or doc.get("type") not in (
        "FeatureCollection", "Feature", "Polygon", "MultiPolygon", "Point", "LineString",
        "MultiPoint", "MultiLineString", "GeometryCollection",
    ):
        raise DataFileError(path, "is JSON but not GeoJSON (no FeatureCollection or geometry type)")


def read_layer(
    path: str | os.PathLike[str],
    spec: LayerSpec | None = None,
    *,
    layer: str | None = None,
    check_ids: bool = True,
) -> gpd.GeoDataFrame:
    """Read a layer file into a WGS84 GeoDataFrame with string ids.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile, KML or GeoParquet.
    spec : LayerSpec, optional
        When given, required columns are checked, ids normalised to ``str`` and
        checked for blanks and duplicates, numeric columns coerced to float
        (blank → NaN) and date columns parsed (blank → NaT).
    layer : str, optional
        Layer name inside a multi-layer file (GeoPackage).
    check_ids : bool, default True
        Refuse blank or duplicate ids.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.

    Raises
    ------
    DataFileError
        Missing, unreadable or malformed file, or a missing required column.
    FeatureError
        A blank or duplicate id, or a non-numeric value in a numeric column.
    """
    from qygeo.io.crs import to_wgs84

    path = Path(path)
    gdf = _read_any(path, layer)
    if len(gdf) and (gdf.crs is None or gdf.crs.is_geographic):
        # GeoJSON always claims WGS84, so metres or swapped axes are caught by their values.
        from qygeo.io.crs import diagnose_boxes

        hint = diagnose_boxes(gdf.geometry.bounds.to_numpy().T, np.arange(1, len(gdf) + 1))
        if hint:
            raise DataFileError(path, hint)
    projected = gdf.crs if len(gdf) and gdf.crs is not None and not gdf.crs.is_geographic \
        else None
    raw_bounds = tuple(gdf.total_bounds) if projected is not None else None
    warn_ballpark(path, gdf.crs)
    gdf = to_wgs84(gdf)
    if projected is not None:
        from qygeo.io.crs import diagnose_converted

        hint = diagnose_converted(raw_bounds, tuple(gdf.total_bounds), projected)
        if hint:
            raise DataFileError(path, hint)
    if spec is not None:
        gdf = conform(gdf, spec, path, check_ids=check_ids)
    return gdf


def warn_ballpark(path: Path, crs: Any) -> None:
    """Warn when *path*'s CRS reaches WGS84 only by PROJ's "ballpark" (Xian 1980, Beijing
    1954 in Qingyuan): its numbers are carried over as they are, as a park boundary's are
    with the same note (:func:`qygeo.io.crs.ballpark_note`)."""
    from qygeo.io.crs import ballpark_note, is_wgs84

    if crs is None or is_wgs84(crs):
        return
    note = ballpark_note(crs)
    if note:
        warnings.warn(f"{path.name}: {note}", stacklevel=3)


def conform(
    gdf: gpd.GeoDataFrame, spec: LayerSpec, path: object, *, check_ids: bool = True,
    problems: RowProblems | None = None,
) -> gpd.GeoDataFrame:
    """Check required columns and normalise types of a layer read from *path*.

    A value that is not a number (text, a boolean) in a numeric column (outside the plots
    layer also one that is infinite, negative or above 1e15), or not a
    calendar date within :data:`qygeo.io.plot_rows.DATE_MIN` … ``DATE_MAX`` in a date
    column, raises :class:`FeatureError`; with *problems* given (plot rows, see
    :mod:`qygeo.io.plot_rows`) the row is flagged there instead and the value made missing.
    """
    import pandas as pd

    missing = [c for c in spec.required if c not in gdf.columns]
    if missing and len(gdf):
        raise DataFileError(path, f"missing required column(s): {', '.join(missing)}")
    gdf = gdf.copy()
    for col in missing:  # a layer of no features (GeoJSON's empty collection) has no fields
        gdf[col] = pd.Series(dtype=object)
    geom_name = getattr(gdf, "_geometry_column_name", None)  # None for a plain DataFrame
    for col in gdf.columns:
        if col == geom_name:
            continue
        if _is_id_column(spec, col):
            gdf[col] = ids_text(gdf[col])
    if check_ids:
        ids = gdf[spec.id_field]
        blank = ids.isna() | (ids == "")
        if blank.any():
            pos = int(blank.to_numpy().nonzero()[0][0])
            raise FeatureError(path, f"feature #{pos + 1}", f"empty {spec.id_field}")
        dup = ids[ids.duplicated()]
        if len(dup):
            raise FeatureError(path, dup.iloc[0], f"duplicate {spec.id_field}")

    def bad_rows(mask: Any, messages: pd.Series) -> None:
        """Flag (or, without *problems*, raise for the first of) the rows of *mask*."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        if problems is None:
            i = int(mask.nonzero()[0][0])
            raise FeatureError(path, gdf[spec.id_field].iloc[i], messages.iloc[i])
        for message in pd.unique(messages[mask]):
            problems.flag(mask & (messages == message).to_numpy(dtype=bool), message)

    from qygeo.io import plot_rows as pr

    for col in spec.numeric:
        if col not in gdf.columns:
            continue
        raw = gdf[col]
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(
                raw.dtype):
            gdf[col] = raw.astype("float64")  # numbers already: checked by their values
        else:
            is_bool = raw.map(_is_boolean).to_numpy(dtype=bool)
            text = raw.where(~is_bool, None)
            converted = pd.to_numeric(text.replace("", None), errors="coerce")
            bad = converted.isna() & text.notna() & (text.astype(str).str.strip() != "")
            if bad.any() or is_bool.any():
                bad_rows(is_bool | bad.to_numpy(dtype=bool), pd.Series(
                    [pr.BOOLEAN.format(col=col, value=str(v).strip().lower()) if b
                     else pr.NOT_A_NUMBER.format(col=col, value=v) if m else ""
                     for v, b, m in zip(raw, is_bool, bad)], index=raw.index))
            gdf[col] = converted.astype("float64").where(~is_bool, np.nan)
        if spec is not PLOTS:  # a plot row's values: pr.check_numbers, with the row's others
            v = gdf[col].to_numpy(dtype="float64", na_value=np.nan)
            with np.errstate(invalid="ignore"):
                for flagged, message in ((np.isinf(v), pr.NOT_FINITE), (v < 0, pr.NEGATIVE),
                                         (v > pr.MAX_VALUE, pr.TOO_LARGE)):
                    bad_rows(flagged, pd.Series(message.format(col=col), index=gdf.index))
    for col in spec.dates:
        if col in gdf.columns:
            gdf[col] = _parse_dates(gdf, col, bad_rows)
    return gdf


def _is_boolean(v: Any) -> bool:
    """A boolean, or the text of a JSON boolean (:func:`json_booleans`)."""
    return isinstance(v, (bool, np.bool_)) or (isinstance(v, str)
                                                and v.strip().lower() in ("true", "false"))


def _is_id_column(spec: LayerSpec, col: str) -> bool:
    return col == spec.id_field or col.endswith("_id") or col in ("adcode", "district_adcode")


def conform_arrow(batch: pa.RecordBatch, spec: LayerSpec, path: object) -> pa.RecordBatch | None:
    """:func:`conform` on Arrow columns whose types need no checking (plots files read as Arrow).

    Ids become trimmed text (blank: null), numbers float64, dates stay dates.
    Text in a numeric or date column, or an id of another type, must be parsed
    and its errors named per feature: None is returned and the caller uses
    :func:`conform` on a DataFrame.

    Raises
    ------
    DataFileError
        A required column is missing.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    missing = [c for c in spec.required if c not in batch.schema.names]
    if missing:
        raise DataFileError(path, f"missing required column(s): {', '.join(missing)}")
    out = []
    for name, arr in zip(batch.schema.names, batch.columns, strict=True):
        t = arr.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            check_utf8(arr, name, path)
        if pa.types.is_null(t):  # all missing: the type the column would have
            arr = arr.cast(pa.large_string() if _is_id_column(spec, name) else pa.float64()
                           if name in spec.numeric else pa.date32() if name in spec.dates
                           else t)
        elif _is_id_column(spec, name):
            if pa.types.is_integer(t):
                arr = arr.cast(pa.large_string())
            elif not (pa.types.is_string(t) or pa.types.is_large_string(t)):
                return None
            arr = pc.utf8_trim_whitespace(arr)
            arr = pc.if_else(pc.equal(arr, ""), pa.scalar(None, arr.type), arr)
        elif name in spec.numeric:
            if not (pa.types.is_integer(t) or pa.types.is_floating(t)):
                return None
            # Not a safe cast: an integer past 2**53 would stop it, where check_numbers
            # refuses it as too large (every integer up to its 1e15 converts exactly).
            arr = arr.cast(pa.float64(), safe=False)
        elif name in spec.dates:
            if not (pa.types.is_date(t) or (pa.types.is_timestamp(t) and t.tz is None)):
                return None
            if not _dates_in_range(arr):
                return None  # conform names the rows
        out.append(arr)
    return pa.RecordBatch.from_arrays(out, names=batch.schema.names)


def check_utf8(arr: pa.Array, name: str, path: object) -> None:
    """Refuse a text column holding bytes that are not UTF-8 (GDAL passes them on as
    they are, and they broke the pages and spreadsheets written from them).

    Raises
    ------
    DataFileError
        Naming the column.
    """
    import pyarrow as pa

    try:
        arr.validate(full=True)
    except pa.ArrowInvalid:
        raise DataFileError(path, f"is not UTF-8 text (column {name!r}): save it as UTF-8"
                            ) from None


def _dates_in_range(arr: pa.Array) -> bool:
    """Whether every date of an Arrow date/timestamp column is within the accepted range."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from qygeo.io.plot_rows import DATE_MAX, DATE_MIN

    if arr.null_count == len(arr):
        return True
    lo, hi = pc.min_max(arr.cast(pa.date32()) if pa.types.is_timestamp(arr.type)
                        else arr).values()
    return DATE_MIN <= lo.as_py() and hi.as_py() <= DATE_MAX


def json_decoded(df: pd.DataFrame, schema: pa.Schema) -> pd.DataFrame:
    """*df* with its GDAL JSON columns (``arrow.json``: a GeoJSON column of mixed types)
    parsed as :func:`geopandas.read_file` parses them, so both readers see the same values."""
    for name, t in zip(schema.names, schema.types, strict=True):
        if getattr(t, "extension_name", None) == "arrow.json" and name in df.columns:
            try:
                df[name] = df[name].map(json.loads, na_action="ignore")
            except ValueError:
                pass  # left as text, as geopandas leaves it; conform names bad values
    return unlisted(df)


def unlisted(df: pd.DataFrame) -> pd.DataFrame:
    """*df* with the lists GDAL makes of a GeoJSON property put back, in place.

    One JSON array in a property makes GDAL read the whole column as lists: every
    other feature's ``"b"`` becomes ``["b"]``. A list of one value is that value
    again; any other list becomes its JSON text, which a number or date column
    refuses for that feature alone, and a text column shows as it is.
    """
    import numpy as np

    for name in df.columns:
        if df[name].dtype != object:
            continue
        values = df[name].to_numpy()
        listed = [i for i, v in enumerate(values) if isinstance(v, (list, tuple, np.ndarray))]
        if not listed:
            continue
        fixed = values.copy()
        for i in listed:
            items = [v.item() if isinstance(v, np.generic) else v for v in values[i]]
            fixed[i] = items[0] if len(items) == 1 else json.dumps(
                items, ensure_ascii=False, default=str)
        df[name] = fixed
    return df


def arrow_frame(batch: pa.RecordBatch, spec: LayerSpec) -> pd.DataFrame:
    """A batch from :func:`conform_arrow` as the DataFrame :func:`conform` would give.

    Text stays Arrow-backed (pandas' ``str``, no copy); the layer's date columns
    become datetime64[ns], as :func:`conform` makes them. Other columns are
    left as Arrow converts them, as :func:`conform` leaves them: a date of the
    year 3000 or a time with a zone in a column qygeo does not read is data to
    carry, not an error.
    """
    import pyarrow as pa

    # Cast by Arrow (without the GIL), not by pandas after the conversion; conform_arrow
    # has checked that these dates lie within DATE_MIN … DATE_MAX, so none overflows.
    columns = [c.cast(pa.timestamp("ns")) if name in spec.dates else c
               for name, c in zip(batch.schema.names, batch.columns, strict=True)]
    return pa.RecordBatch.from_arrays(columns, names=batch.schema.names).to_pandas(
        date_as_object=False)


def ids_text(col: pd.Series) -> pd.Series:
    """Ids as stripped text (object dtype, None for blank; 1001.0 is "1001"), as every
    layer's id columns are conformed: the one form ids are compared in."""
    import pandas as pd

    if pd.api.types.is_string_dtype(col.dtype) and not pd.api.types.is_object_dtype(col.dtype):
        text = col.str.strip()
        text = text.where(text.notna() & (text != ""), None)
        return text.astype("object").where(text.notna(), None)
    return col.map(_id_text).astype("object")


def _id_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _parse_dates(gdf: gpd.GeoDataFrame, col: str,
                 bad_rows: Callable[[Any, pd.Series], None]) -> pd.Series:
    """Column *col* as datetime64[ns]: real calendar dates within the accepted range.

    Text must be an ISO 8601 date that exists (``2022-02-30`` does not); a date
    outside :data:`qygeo.io.plot_rows.DATE_MIN` … ``DATE_MAX`` (``0001-01-01``,
    ``9999-12-31``) is refused too. Bad rows go to *bad_rows* and become NaT.
    """
    import pandas as pd

    from qygeo.io import plot_rows as pr

    raw = gdf[col]
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):  # a GeoParquet date/timestamp column
        parsed = raw.dt.tz_localize(None) if raw.dt.tz is not None else raw
        text = None
    else:
        text = raw.astype("string").str.strip().replace("", pd.NA)
        try:
            parsed = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except ValueError:  # mixed UTC offsets: each date as written (its wall-clock day)
            parsed = pd.Series([_wall_clock(v) for v in text], index=text.index,
                               dtype="datetime64[us]")
        if parsed.dt.tz is not None:
            parsed = parsed.dt.tz_localize(None)
        bad = (parsed.isna() & text.notna()).to_numpy(dtype=bool)
        if bad.any():
            bad_rows(bad, pd.Series([pr.NOT_A_DATE.format(col=col, value=v) for v in raw],
                                    index=raw.index))
    values = parsed.to_numpy()
    outside = ~pr.dates_in_range(values)
    if outside.any():
        bad_rows(outside, pd.Series(pr.DATE_RANGE.format(col=col), index=raw.index))
        values = values.copy()
        values[outside] = np.datetime64("NaT")
    return pd.Series(values.astype("datetime64[ns]"), index=raw.index, name=col)


def _wall_clock(value: Any) -> Any:
    """One ISO 8601 text as a naive timestamp of its own wall clock (NaT if it is none)."""
    import pandas as pd

    if value is None or value is pd.NA:
        return pd.NaT
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return pd.NaT
    return ts.tz_localize(None) if ts.tzinfo is not None else ts


def load_layer(geodata: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read ``geodata/<spec.filename>`` (see :func:`read_layer`)."""
    return read_layer(geodata / spec.filename, spec)


# --------------------------------------------------------------------------- writing


def _round_coords(obj: Any, ndigits: int) -> Any:
    if isinstance(obj, float):
        r = round(obj, ndigits)
        return 0.0 if r == 0 else r
    if isinstance(obj, (list, tuple)):
        return [_round_coords(v, ndigits) for v in obj]
    return obj


def _json_value(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if value is None:
        return None
    if isinstance(value, (pd.Timestamp,)):
        return None if pd.isna(value) else value.date().isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, np.generic):
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    if value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def to_feature_collection(
    gdf: gpd.GeoDataFrame,
    spec: LayerSpec | None = None,
    *,
    precision: int = COORD_PRECISION,
    sort: bool = True,
) -> dict[str, Any]:
    """Build a deterministic GeoJSON FeatureCollection dict from WGS84 *gdf*.

    Features are sorted by id (when *spec* is given and *sort* is true);
    properties follow ``spec.columns`` and then the remaining columns in
    alphabetical order; coordinates are rounded to *precision* decimals;
    whole floats are written as integers and NaN/NaT as null.
    """
    import shapely

    from qygeo.io.crs import WGS84

    if gdf.crs is not None and not gdf.crs.equals(WGS84):
        gdf = gdf.to_crs(WGS84)
    geom_col = gdf.geometry.name
    props = [c for c in gdf.columns if c != geom_col]
    if spec is not None:
        ordered = [c for c in spec.columns if c in props]
        ordered += sorted(c for c in props if c not in ordered)
        props = ordered
        if sort and spec.id_field in gdf.columns:
            gdf = gdf.sort_values(spec.id_field, kind="stable")
    features = []
    for row, geom in zip(gdf[props].itertuples(index=False, name=None), gdf.geometry.values):
        geometry = None
        if geom is not None and not geom.is_empty:
            # RFC 7946 §3.1.6: exterior rings counter-clockwise, holes clockwise.
            geometry = json.loads(shapely.to_geojson(shapely.orient_polygons(geom)))
            geometry["coordinates"] = _round_coords(geometry["coordinates"], precision)
        features.append({
            "type": "Feature",
            "properties": {k: _json_value(v) for k, v in zip(props, row)},
            "geometry": geometry,
        })
    return {"type": "FeatureCollection", "features": features}


def dumps_feature_collection(fc: dict[str, Any]) -> str:
    """Serialise a FeatureCollection one feature per line (diff-friendly, compact)."""
    lines = ['{"type": "FeatureCollection", "features": [']
    feats = fc["features"]
    for i, feat in enumerate(feats):
        sep = "," if i < len(feats) - 1 else ""
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")) + sep)
    lines.append("]}")
    return "\n".join(lines) + "\n"


def write_layer(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    spec: LayerSpec | None = None,
    *,
    precision: int = COORD_PRECISION,
) -> None:
    """Write *gdf* as deterministic GeoJSON to *path*, atomically.

    See :func:`to_feature_collection` for the ordering and rounding rules.
    """
    fc = to_feature_collection(gdf, spec, precision=precision)
    atomic_write_text(path, dumps_feature_collection(fc))
