"""Adding, replacing and removing park boundaries, from the files surveyors send.

The data flow of ``qygeo park add``::

    surveyor file ──read_boundary──▶ Boundary ──plan_add──▶ ParkChange ──commit──▶ parks.geojson
    (GeoJSON, Shapefile, .zip,     (one WGS84, valid,     (checked against      (lock, history
     GeoPackage, KML; any CRS)      2-D (Multi)Polygon)    districts and parks)  snapshot, atomic)

* :func:`read_boundary` reads one polygonal feature (or dissolves several), drops
  Z/M coordinates, works out the CRS (the file's own, or ``--crs``: EPSG codes,
  ``gcj02``, ``bd09``), refuses numbers that cannot be what the CRS says
  (metres read as degrees, swapped axes) with a hint, converts to WGS84, refuses
  or repairs invalid geometry and snaps it to the 1e-6° grid that
  ``parks.geojson`` stores.
* :func:`place_boundary` is pure: it finds the district, checks the size and the
  overlaps with other parks, and refuses what would make ``qygeo validate`` fail.
* :func:`plan_add`, :func:`plan_update` and :func:`plan_remove` are pure too: from
  a :class:`ParksState` they build the new file's text and a summary
  (:class:`ParkChange`); ``--dry-run`` stops there.
* :func:`commit` takes the lock, re-reads and re-plans (another process may have
  written meanwhile), keeps the previous file in ``.history/`` and replaces
  ``parks.geojson`` atomically. :func:`undo` restores the latest snapshot.

Every refusal is a :class:`~qygeo.errors.QygeoError` with a one-line message and
happens before anything is written: the lock file and the history folder are
only created by a write.

Unchanged parks are copied through as the JSON objects they were (not re-written
from a data frame), features are sorted by ``park_id`` and written one per line,
so ``git diff geodata/parks.geojson`` shows only the park that changed.

Why one module: reading a boundary, planning a change and committing it share
one state (:class:`ParksState`), one journal and one set of refusals, and every
edit (add, update, remove, undo) passes through all three. Issue #14's layering
splits them (file reading to the I/O layer, the plans to the formulas, commit and
journal to the pipeline).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import time
import warnings
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.errors import (
    BoundaryError,
    CRSError,
    DataFileError,
    GeodataBusyError,
    HistoryError,
    ParkExistsError,
    QygeoError,
    UnknownParkError,
)
from qygeo.ids import PARK_ID_RE, check_park_id  # noqa: F401 - PARK_ID_RE re-exported for callers
from qygeo.io import layers

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry.base import BaseGeometry

#: Plausible park size, km² (equal-area). Smaller is a plot or a unit mistake;
#: larger is a district or a unit mistake.
MIN_AREA_KM2 = 0.01
MAX_AREA_KM2 = 500.0
#: Overlaps with another park up to this area (m²) are boundary noise between
#: independently surveyed neighbours: reported as a note, not refused.
OVERLAP_TOLERANCE_M2 = 100.0
#: Coordinates are stored to this many decimals (see :data:`qygeo.io.layers.COORD_PRECISION`).
GRID_DEG = 10.0 ** -layers.COORD_PRECISION

#: Values of ``kind`` (see geodata/README.md).
PARK_KINDS = ("high_tech_zone", "industrial_park", "specialised_park", "medicine_park",
              "resource_base")

#: Input formats by file suffix.
INPUT_FORMATS = {
    ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
    ".zip": "zipped Shapefile", ".gpkg": "GeoPackage", ".kml": "KML", ".kmz": "KMZ",
}

#: Folder (inside the data folder) holding earlier versions of parks.geojson.
HISTORY_DIR = ".history"
#: Sub-folder of :data:`HISTORY_DIR` keeping versions replaced by an undo.
UNDONE_DIR = "undone"
#: Lock file (inside the data folder) serialising writes to parks.geojson.
LOCK_NAME = ".parks.geojson.lock"
#: Seconds to wait for another qygeo process's write before giving up.
LOCK_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Boundary:
    """A surveyor's boundary, read, converted and cleaned, ready to be placed.

    Attributes
    ----------
    geometry : shapely Polygon or MultiPolygon
        WGS84 longitude/latitude, 2-D, valid, on the 1e-6° grid, exterior rings
        counter-clockwise (RFC 7946).
    path : pathlib.Path
        The file given.
    sha256 : str
        Hex SHA-256 of the file's bytes (of the ``.shp`` or the ``.zip`` given).
    crs : str
        How the coordinates were read, e.g. ``EPSG:4547 (CGCS2000 / ...)``.
    features : int
        Features read (more than one only with ``dissolve``).
    raw_bounds : tuple of float
        Bounds of the coordinates as stored in the file.
    notes : tuple of str
        Things the user should know (Z dropped, geometry repaired, ...).
    projected_epsg : int or None
        The EPSG code of the projected CRS the coordinates were read in (0 when
        it has none), None when they were degrees.
    """

    geometry: BaseGeometry
    path: Path
    sha256: str
    crs: str
    features: int
    raw_bounds: tuple[float, float, float, float]
    notes: tuple[str, ...] = ()
    projected_epsg: int | None = None

    def crs_hint(self) -> str | None:
        """A ``--crs`` that would put the file's numbers in Qingyuan, when they were read
        in a projected CRS that does not (used when the boundary lands outside)."""
        from qygeo.io.crs import GAUSS_KRUGER_CANDIDATES, suggest_crs

        if self.projected_epsg is None:
            return None
        codes = suggest_crs(self.raw_bounds)
        if not codes or self.projected_epsg in codes:
            return None
        return (f"its numbers would land in Qingyuan read as --crs {codes[0]} "
                f"({GAUSS_KRUGER_CANDIDATES[codes[0]]})")

    @property
    def file_name(self) -> str:
        """The input file's name (what ``source_file`` records)."""
        return self.path.name


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of the bytes of *path*."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _sidecar(path: Path, ext: str) -> Path | None:
    for cand in (path.with_suffix(ext), path.with_suffix(ext.upper())):
        if cand.exists():
            return cand
    return None


def _dataset_name(path: Path, layer: str | None) -> tuple[str, str | None]:
    """GDAL dataset name to open for *path*, and the layer it implies (zip member)."""
    if not path.exists():
        raise DataFileError(path, "file not found")
    if path.is_dir():
        raise DataFileError(path, "is a folder, not a boundary file")
    suffix = path.suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise DataFileError(path, f"unsupported format {suffix or '(no suffix)'!r}: send GeoJSON, "
                                  "a Shapefile (.shp or .zip), a GeoPackage (.gpkg) or KML")
    if path.stat().st_size == 0:
        raise DataFileError(path, "is empty (0 bytes)")
    if suffix in (".geojson", ".json"):
        layers._check_json(path)
    if suffix == ".shp":
        if _sidecar(path, ".shx") is None:
            raise DataFileError(path, f"{path.stem}.shx is missing next to it: a Shapefile is "
                                      ".shp + .shx + .dbf (+ .prj); send all of them, or a .zip")
        return str(path), None
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.startswith("__MACOSX/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise DataFileError(path, f"is not a readable zip archive ({exc})") from None
        shps = sorted(n for n in names if n.lower().endswith(".shp"))
        if not shps:
            raise DataFileError(path, "holds no .shp file (expected a zipped Shapefile)")
        if len(shps) > 1:
            stems = [Path(n).stem for n in shps]
            chosen = [n for n in shps if layer is not None and Path(n).stem == layer]
            if not chosen:
                raise DataFileError(path, f"holds {len(shps)} Shapefiles ({', '.join(stems)}): "
                                          "choose one with --layer")
            shps = chosen
        member = shps[0]
        lower = {n.lower() for n in names}
        if member[:-4].lower() + ".shx" not in lower:
            raise DataFileError(path, f"{member[:-4]}.shx is missing in the archive")
        return f"/vsizip/{path.resolve()}/{member}", Path(member).stem
    return str(path), None


def _choose_layer(path: Path, dataset: str, layer: str | None, implied: str | None) -> str | None:
    import pyogrio

    if implied is not None:
        return implied
    try:
        with warnings.catch_warnings():
            # "Measured (M) geometry types are not supported": M is read and noted later.
            warnings.simplefilter("ignore", UserWarning)
            listed = pyogrio.list_layers(dataset)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types; one line for the user
        raise DataFileError(path, f"cannot be read as {INPUT_FORMATS[path.suffix.lower()]} "
                                  f"({_first_line(exc)})") from exc
    names = [str(row[0]) for row in listed]
    if layer is not None:
        if layer not in names:
            raise DataFileError(path, f"has no layer {layer!r}; its layers: "
                                      f"{', '.join(names) or '(none)'}")
        return layer
    if not names:
        raise BoundaryError(path, "contains no features (no layers)")
    if len(names) == 1:
        return names[0]
    counts = {}
    for n in names:
        try:
            counts[n] = pyogrio.read_info(dataset, layer=n)["features"]
        except Exception:  # noqa: BLE001 - an unreadable layer is not a candidate
            counts[n] = 0
    nonempty = [n for n in names if counts[n] != 0]
    if len(nonempty) == 1:
        return nonempty[0]
    raise DataFileError(path, f"holds {len(names)} layers ({', '.join(names)}): choose one with "
                              "--layer")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read_frame(path: Path, dataset: str, layer: str | None, *,
                attributes: bool = False) -> gpd.GeoDataFrame:
    """The file's features; their attributes only with *attributes* (to name features).

    Geometry alone is read otherwise: attribute text (a Shapefile's encoding, odd
    field types) then cannot stop a boundary from being read.
    """
    import pyogrio

    try:
        with warnings.catch_warnings():
            # GDAL warns about M values (and a 4th member in GeoJSON positions): they are
            # read through arrow and reported as a note below.
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            # Arrow keeps M values (the classic path drops them silently), so they can be noted.
            return pyogrio.read_dataframe(dataset, layer=layer, use_arrow=True,
                                          **({} if attributes else {"columns": []}))
    except Exception as exc:  # noqa: BLE001 - GDAL/arrow raise several types
        raise DataFileError(path, f"cannot be read as {INPUT_FORMATS[path.suffix.lower()]} "
                                  f"({_first_line(exc)})") from exc


def _polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
    """The polygonal part of *geom* (Polygon/MultiPolygon), or None when it has none."""
    import shapely
    from shapely.geometry import MultiPolygon

    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    if geom.geom_type == "GeometryCollection":
        parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
        polys = [p for g in parts for p in shapely.get_parts(g) if not p.is_empty]
        if not polys:
            return None
        return polys[0] if len(polys) == 1 else MultiPolygon(polys)
    return None


def read_boundary(
    path: str | Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    dissolve: bool = False,
    fix: bool = False,
    feature: str | int | None = None,
) -> Boundary:
    """Read a surveyor's file into one WGS84 polygonal boundary.

    Parameters
    ----------
    path : path-like
        GeoJSON, Shapefile (``.shp`` with its ``.shx``/``.dbf``/``.prj``, or a
        ``.zip`` holding one), GeoPackage or KML/KMZ.
    crs : str, optional
        Overrides the file's CRS: an EPSG code (``4547``, ``"EPSG:4526"``), any text
        pyproj understands, ``"gcj02"`` or ``"bd09"``. Without it the file's own CRS
        is used; a file without one (GeoJSON always has one) is taken as WGS84.
    layer : str, optional
        Layer of a GeoPackage/KML with several, or Shapefile of a zip with several.
    dissolve : bool, default False
        Merge several polygon features into one (Multi)Polygon; without it (and
        without *feature*) a file with more than one is refused.
    fix : bool, default False
        Repair invalid geometry with ``shapely.make_valid`` (and note the area
        change) instead of refusing it.
    feature : str or int, optional
        Take only this feature: its 1-based number in the file (``3``, ``"3"``) or
        the text of one of its attributes (a name such as ``"东区"``), which must
        match exactly one feature. Without it, in a file with several features the
        ones that are not areas (a KML's gate marker, a road line) are left out
        with a note.

    Returns
    -------
    Boundary

    Raises
    ------
    DataFileError
        Missing, empty, unreadable or malformed file; several layers without ``layer``.
    BoundaryError
        No features, several without ``dissolve``, a missing or non-polygonal
        geometry, invalid geometry without ``fix``.
    CRSError
        Unknown ``crs``; numbers that cannot be in the CRS (metres read as degrees,
        swapped axes), with a hint naming the ``--crs`` to try.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from qygeo.io.crs import to_wgs84

    path = Path(path)
    if crs is not None:
        from qygeo.io.crs import parse_crs

        parse_crs(crs)  # an unknown --crs is refused before the file is read
    dataset, implied = _dataset_name(path, layer)
    sha = file_sha256(path)
    chosen = _choose_layer(path, dataset, layer, implied)
    gdf = _read_frame(path, dataset, chosen)
    if len(gdf) == 0:
        raise BoundaryError(path, "contains no features (empty)")
    notes: list[str] = []
    if feature is not None or len(gdf) > 1:  # features are told apart by their attributes
        gdf = _with_attributes(path, dataset, chosen, gdf)
    if feature is not None:
        if dissolve:
            raise BoundaryError(path, "--feature takes one feature, --dissolve merges them: "
                                      "give one of the two")
        gdf = _pick_feature(gdf, feature, path)
    elif len(gdf) > 1:
        gdf, dropped = _areas_only(gdf)
        if dropped:
            notes.append(f"{path.name}: left out {dropped} feature(s) that are not areas "
                         "(points or lines, e.g. a gate marker)")
    n = len(gdf)
    if n > 1 and not dissolve:
        raise BoundaryError(path, f"holds {n} features ({_feature_names(gdf)}), a park is "
                                  "one boundary: pick one with --feature NAME|NUMBER, or merge "
                                  "them into one MultiPolygon with --dissolve")
    geoms = list(gdf.geometry.values)
    for i, g in enumerate(geoms):
        where = "" if n == 1 else f"feature #{i + 1}: "
        if g is None or g.is_empty:
            raise BoundaryError(path, f"{where}has no geometry")
        if _polygonal(g) is None or g.geom_type == "GeometryCollection":
            raise BoundaryError(path, f"{where}geometry is a {g.geom_type}, not a Polygon or "
                                      "MultiPolygon (a park boundary is an area)")
    has_z = any(shapely.has_z(g) for g in geoms)
    has_m = any(shapely.has_m(g) for g in geoms)
    if has_z or has_m:
        which = " and ".join(w for w, f in (("Z", has_z), ("M", has_m)) if f)
        notes.append(f"{path.name}: dropped {which} coordinates (parks.geojson is 2-D)")
        geoms = [shapely.force_2d(g) for g in geoms]
    raw_bounds = tuple(float(v) for v in shapely.total_bounds(geoms))
    from qygeo.io.crs import resolve_source_crs

    src = resolve_source_crs(path, gdf.crs, crs, raw_bounds)  # type: ignore[arg-type]
    notes += src.notes
    try:
        frame = to_wgs84(gpd.GeoDataFrame(geometry=geoms, crs=gdf.crs), crs)
    except QygeoError:
        raise
    except Exception as exc:  # noqa: BLE001 - pyproj raises several types
        raise CRSError(f"{path}: cannot convert from {src.text} to WGS84 "
                       f"({_first_line(exc)})") from exc
    wgs = list(frame.geometry.values)
    if not np.isfinite(shapely.get_coordinates(wgs)).all():
        raise CRSError(f"{path}: coordinates do not convert from {src.text} to longitude/latitude")
    geometry, clean_notes = clean_geometry(wgs, fix=fix, where=str(path))
    notes += clean_notes
    return Boundary(geometry=geometry, path=path, sha256=sha, crs=src.text, features=n,
                    raw_bounds=raw_bounds, notes=tuple(notes),
                    projected_epsg=None if src.geographic else (src.epsg or 0))


def list_features(path: str | Path, *, layer: str | None = None) -> list[str]:
    """Labels of the features of a boundary file (``#1 东区``), to pick one with *feature*.

    The numbers are what :func:`read_boundary`'s *feature* takes; the text is each
    feature's first text attribute, if it has one.
    """
    path = Path(path)
    dataset, implied = _dataset_name(path, layer)
    chosen = _choose_layer(path, dataset, layer, implied)
    gdf = _with_attributes(path, dataset, chosen, _read_frame(path, dataset, chosen))
    return [_feature_label(row, i + 1) for i, (_, row) in enumerate(gdf.iterrows())]


def _with_attributes(path: Path, dataset: str, layer: str | None,
                     geometry_only: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The features again with their attributes; as they were if those cannot be read."""
    try:
        gdf = _read_frame(path, dataset, layer, attributes=True)
    except DataFileError:
        return geometry_only
    return gdf if len(gdf) == len(geometry_only) else geometry_only


def _areas_only(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """The features of *gdf* whose geometry is polygonal, and how many were not.

    A file with no area at all is returned whole, so that its geometry type is
    what the refusal names.
    """
    keep = [g is not None and not g.is_empty and _polygonal(g) is not None
            and g.geom_type != "GeometryCollection" for g in gdf.geometry.values]
    if not any(keep) or all(keep):
        return gdf, 0
    return gdf[keep], keep.count(False)


def _feature_label(row: Any, number: int) -> str:
    """``#3 东区``: a feature's number and the first text attribute it has."""
    texts = [str(v) for k, v in row.items() if k != "geometry" and isinstance(v, str)
             and v.strip()]
    return f"#{number}" + (f" {texts[0][:40]}" if texts else "")


def _feature_names(gdf: gpd.GeoDataFrame, most: int = 8) -> str:
    labels = [_feature_label(row, i + 1) for i, (_, row) in enumerate(gdf.iterrows())]
    more = f", … {len(labels) - most} more" if len(labels) > most else ""
    return ", ".join(labels[:most]) + more


def _pick_feature(gdf: gpd.GeoDataFrame, feature: str | int, path: Path) -> gpd.GeoDataFrame:
    """The one feature *feature* names: a 1-based number, or an attribute's exact text."""
    text = str(feature).strip()
    if text.isdigit():
        number = int(text)
        if not 1 <= number <= len(gdf):
            raise BoundaryError(path, f"has no feature #{number}: it holds {len(gdf)} "
                                      f"({_feature_names(gdf)})")
        return gdf.iloc[[number - 1]]
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    hits = [i for i, (_, row) in enumerate(gdf[columns].iterrows())
            if any(isinstance(v, str) and v.strip() == text for v in row.values)]
    if len(hits) != 1:
        how = "no feature has" if not hits else f"{len(hits)} features have"
        raise BoundaryError(path, f"{how} an attribute {text!r}: give a feature's number or "
                                  f"a text only one has ({_feature_names(gdf)})")
    return gdf.iloc[hits]


def _km2(geoms: Sequence[BaseGeometry]) -> list[float]:
    import geopandas as gpd

    from qygeo.core.metrics import M2_PER_KM2, area_m2

    return [float(a) / M2_PER_KM2 for a in area_m2(gpd.GeoSeries(list(geoms), crs="EPSG:4326"))]


def clean_geometry(
    geoms: Sequence[BaseGeometry], *, fix: bool = False, where: str = "boundary"
) -> tuple[BaseGeometry, list[str]]:
    """Make WGS84 polygons what ``parks.geojson`` stores: one valid 2-D (Multi)Polygon.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygonal, 2-D, WGS84; several are dissolved (unioned) into one.
    fix : bool, default False
        Repair invalid polygons with ``shapely.make_valid`` (keeping the polygonal
        part) instead of refusing them.
    where : str
        The file, for messages.

    Returns
    -------
    geometry, notes
        The geometry on the 1e-6° grid (``layers.COORD_PRECISION``), valid
        after that rounding, exterior rings counter-clockwise (RFC 7946); and
        notes (repairs with their area change, in km²).

    Raises
    ------
    BoundaryError
        Invalid geometry without *fix*, or nothing polygonal left.
    """
    import shapely

    notes: list[str] = []
    fixed = []
    for i, g in enumerate(geoms):
        label = "" if len(geoms) == 1 else f"feature #{i + 1}: "
        if g.is_valid:
            fixed.append(g)
            continue
        reason = shapely.is_valid_reason(g)
        if not fix:
            raise BoundaryError(where, f"{label}invalid geometry ({reason}): pass --fix to "
                                       "repair it with shapely.make_valid")
        repaired = _polygonal(shapely.make_valid(g))
        if repaired is None:
            raise BoundaryError(where, f"{label}invalid geometry ({reason}); repairing it left "
                                       "no polygon")
        before, after = _km2([g, repaired])
        notes.append(f"{label}repaired invalid geometry ({reason}) with make_valid: area "
                     f"{before:.4f} km² as drawn → {after:.4f} km² repaired "
                     f"({after - before:+.4f} km²)")
        fixed.append(repaired)
    geom = fixed[0] if len(fixed) == 1 else _polygonal(shapely.union_all(fixed))
    if geom is None:
        raise BoundaryError(where, "no polygon left after dissolving")
    if len(fixed) > 1:
        notes.append(f"dissolved {len(fixed)} features into one {geom.geom_type}")
    stored = shapely.set_precision(geom, GRID_DEG, mode="pointwise")
    if not stored.is_valid or _polygonal(stored) is None:
        snapped = _polygonal(shapely.set_precision(geom, GRID_DEG))
        if snapped is None:
            raise BoundaryError(where, "collapses to nothing on the 1e-6° grid of parks.geojson")
        before, after = _km2([geom, snapped])
        notes.append(f"rounding to 6 decimals made the geometry invalid; snapped it to the "
                     f"1e-6° grid instead (area {before:.4f} → {after:.4f} km²)")
        stored = snapped
    return shapely.orient_polygons(stored), notes


# --------------------------------------------------------------------------- placing


@dataclass(frozen=True)
class Overlap:
    """Another park a boundary overlaps: its id, names and the shared area (m²)."""

    park_id: str
    name: str
    area_m2: float
    share: float  #: of the new boundary's area

    def describe(self) -> str:
        return (f"{self.park_id} ({self.name}) by {self.area_m2 / 1e6:.4f} km² "
                f"({self.share:.1%} of the boundary)")


@dataclass(frozen=True)
class Placement:
    """Where a boundary lies: its area, district and overlaps with other parks."""

    area_m2: float
    district_adcode: str
    district_name: str
    district_share: float  #: share of the area inside that district
    derived: bool  #: the district was worked out from the boundary (no --district)
    overlaps: tuple[Overlap, ...] = ()
    slivers: tuple[Overlap, ...] = ()  #: overlaps below OVERLAP_TOLERANCE_M2

    @property
    def area_km2(self) -> float:
        from qygeo.core.metrics import M2_PER_KM2

        return self.area_m2 / M2_PER_KM2

    @property
    def area_mu(self) -> float:
        from qygeo.core.metrics import M2_PER_MU

        return self.area_m2 / M2_PER_MU


def _label(row: dict[str, Any], id_field: str) -> str:
    names = [str(row[k]) for k in ("name_zh", "name_en") if row.get(k)]
    return f"{row[id_field]} {' '.join(names)}".strip()


def place_boundary(
    geom: BaseGeometry,
    districts: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    where: str = "boundary",
    district: str | None = None,
    allow_overlap: bool = False,
    skip: Iterable[str] = (),
    crs_hint: Callable[[], str | None] | None = None,
    district_label: str = "--district",
) -> Placement:
    """Check a WGS84 boundary against the districts and the other parks.

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        Valid, WGS84.
    districts, parks : geopandas.GeoDataFrame
        The data folder's layers (WGS84; ``adcode`` / ``park_id``).
    where : str
        The boundary's file, for messages.
    district : str, optional
        The adcode the user says; checked against the boundary. Without it the
        district holding most of the area is taken.
    allow_overlap : bool, default False
        Accept overlaps with other parks (they are still reported).
    skip : iterable of str
        Park ids not to test for overlap (the park itself on update, its parent
        parks, its nested parks).
    crs_hint : callable, optional
        Returns a hint added to the "outside Qingyuan" refusal (see
        :meth:`Boundary.crs_hint`); called only then, as it tries several CRSs.
    district_label : str, default "--district"
        Where *district* came from, for the mismatch message.

    Returns
    -------
    Placement

    Raises
    ------
    BoundaryError
        Outside Qingyuan, implausible size (below :data:`MIN_AREA_KM2` or above
        :data:`MAX_AREA_KM2`, equal-area), not in ``district``, more than
        ``validate.OUTSIDE_TOLERANCE`` of it outside its district, or overlapping
        another park by more than :data:`OVERLAP_TOLERANCE_M2` without
        ``allow_overlap``.
    DataFileError
        ``district`` is not an adcode of the districts layer.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from qygeo.core.metrics import M2_PER_KM2, M2_PER_MU, area_m2
    from qygeo.io.crs import EQUAL_AREA_CRS
    from qygeo.pipeline.validate import OUTSIDE_TOLERANCE

    def areas(gs: Sequence[BaseGeometry]) -> np.ndarray:
        return area_m2(gpd.GeoSeries(list(gs), crs="EPSG:4326"))

    def usable(g: BaseGeometry | None) -> BaseGeometry | None:
        # A hand-edited layer may hold an invalid polygon; qygeo validate reports it,
        # here it must not stop the overlap test with a GEOS exception.
        if g is None or g.is_empty:
            return None
        return g if g.is_valid else _polygonal(shapely.make_valid(g))

    adcodes = [str(a) for a in districts["adcode"]]
    dgeoms = [usable(g) or shapely.Polygon() for g in districts.geometry.values]
    dlabel = {a: _label(r, "adcode") for a, r in zip(adcodes, districts.to_dict("records"),
                                                    strict=True)}
    if district is not None and district not in adcodes:
        raise DataFileError("districts.geojson", f"has no district {district!r} (--district); "
                                                 f"districts: {', '.join(dlabel.values())}")
    total = float(areas([geom])[0])
    city = shapely.union_all(dgeoms)
    if not geom.intersects(city):
        proj = gpd.GeoSeries([geom, *dgeoms], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
        dist = [proj.iloc[0].distance(g) for g in proj.iloc[1:]]
        k = int(np.argmin(dist))
        c = geom.centroid
        msg = (f"lies outside Qingyuan: centred at {c.x:.4f}°E {c.y:.4f}°N, "
               f"{dist[k] / 1000:.1f} km from the nearest district ({dlabel[adcodes[k]]})")
        hint = crs_hint() if crs_hint is not None else None
        if hint:
            msg += f"; {hint}"
        raise BoundaryError(where, msg)
    km2 = total / M2_PER_KM2
    if not MIN_AREA_KM2 <= km2 <= MAX_AREA_KM2:
        raise BoundaryError(where, f"implausible size for a park: {km2:,.4g} km² "
                                   f"({total / M2_PER_MU:,.1f} mu, equal-area); a park is "
                                   f"{MIN_AREA_KM2}–{MAX_AREA_KM2:g} km² (wrong units or CRS?)")
    inside = areas([geom.intersection(g) for g in dgeoms])
    best = int(np.argmax(inside))
    chosen = adcodes.index(district) if district is not None else best
    if chosen != best:
        msg = (f"lies in {dlabel[adcodes[best]]} ({inside[best] / total:.1%} of its area), "
               f"not in {district_label} {dlabel[adcodes[chosen]]} "
               f"({inside[chosen] / total:.1%})")
        if district_label != "--district":
            msg += f"; pass --district {adcodes[best]} to move the park"
        raise BoundaryError(where, msg)
    outside = float(areas([geom.difference(dgeoms[chosen])])[0]) / total
    if outside > OUTSIDE_TOLERANCE:
        outside_city = float(areas([geom.difference(city)])[0]) / total
        others = [f"{inside[i] / total:.1%} in {dlabel[a]}" for i, a in enumerate(adcodes)
                  if i != chosen and inside[i] / total >= 0.0005]
        if outside_city >= 0.0005:
            others.append(f"{outside_city:.1%} outside Qingyuan")
        raise BoundaryError(where, f"{outside:.1%} of the boundary lies outside its district "
                                   f"{dlabel[adcodes[chosen]]} ({'; '.join(others)}); a park "
                                   f"lies in one district (at most {OUTSIDE_TOLERANCE:.1%} "
                                   "outside, as qygeo validate checks)")
    skip = set(skip)
    others_ = [(r, usable(g)) for r, g in zip(parks.to_dict("records"), parks.geometry.values,
                                              strict=True) if str(r["park_id"]) not in skip]
    others_ = [(r, g) for r, g in others_ if g is not None and geom.intersects(g)]
    shared = areas([geom.intersection(g) for _, g in others_]) if others_ else []
    overlaps, slivers = [], []
    for (r, _), a in zip(others_, shared, strict=True):
        if a <= 0:
            continue
        o = Overlap(str(r["park_id"]), r.get("name_en") or r.get("name_zh") or "", float(a),
                    float(a) / total)
        (overlaps if a > OVERLAP_TOLERANCE_M2 else slivers).append(o)
    if overlaps and not allow_overlap:
        raise BoundaryError(where, f"overlaps park {'; park '.join(o.describe() for o in overlaps)}"
                                   ": pass --allow-overlap if that is intended (or --parent "
                                   "for a park inside another)")
    a = adcodes[chosen]
    return Placement(area_m2=total, district_adcode=a, district_name=dlabel[a].split(" ", 1)[-1],
                     district_share=1.0 - outside, derived=district is None,
                     overlaps=tuple(overlaps), slivers=tuple(slivers))


# --------------------------------------------------------------------------- planning


@dataclass
class ParksState:
    """The data folder as a park change sees it.

    Attributes
    ----------
    root : pathlib.Path
        The data folder.
    raw : bytes or None
        ``parks.geojson`` as it is on disk (None when it does not exist yet).
    features : list of dict
        Its features, as parsed JSON objects (unchanged ones are written back as is).
    parks, districts : geopandas.GeoDataFrame
        The layers, WGS84.
    """

    root: Path
    raw: bytes | None
    features: list[dict[str, Any]]
    parks: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame

    @property
    def path(self) -> Path:
        return self.root / layers.PARKS.filename

    def row(self, park_id: str) -> dict[str, Any] | None:
        for f in self.features:
            if str(f["properties"].get("park_id")) == park_id:
                return f
        return None

    def ids(self) -> list[str]:
        return [str(f["properties"].get("park_id")) for f in self.features]


def load_state(root: str | Path) -> ParksState:
    """Read ``districts.geojson`` and ``parks.geojson`` of the data folder *root*.

    Raises
    ------
    DataFileError
        Missing folder or districts layer, or a malformed parks layer.
    """
    import geopandas as gpd

    root = Path(root)
    if not root.is_dir():
        raise DataFileError(root, "data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    districts = layers.load_layer(root, layers.DISTRICTS)
    path = root / layers.PARKS.filename
    raw = path.read_bytes() if path.exists() else None
    features: list[dict[str, Any]] = []
    if raw is not None:
        layers._check_json(path)
        doc = json.loads(raw.decode("utf-8"))
        if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
            raise DataFileError(path, "is not a GeoJSON FeatureCollection")
        features = doc["features"]
        if any(not isinstance(f, dict) or not isinstance(f.get("properties"), dict)
               for f in features):
            raise DataFileError(path, "has a feature without properties")
    if features:
        parks = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    else:
        parks = gpd.GeoDataFrame({c: [] for c in layers.PARKS.columns}, geometry=[],
                                 crs="EPSG:4326")
    parks = layers.conform(parks, layers.PARKS, path)
    return ParksState(root=root, raw=raw, features=features, parks=parks, districts=districts)


@dataclass(frozen=True)
class ParkChange:
    """A planned change of ``parks.geojson``: what it does and the new file's text."""

    action: str  #: "add", "update" or "remove"
    park_id: str
    feature: dict[str, Any] | None  #: the new feature (add, update)
    previous: dict[str, Any] | None  #: the feature replaced or removed
    placement: Placement | None
    boundary: Boundary | None
    text: str  #: the whole new parks.geojson
    parks_before: int
    parks_after: int
    notes: tuple[str, ...] = ()
    path: Path = field(default=Path("parks.geojson"))

    def summary(self) -> list[str]:
        """Lines describing the change (area in km² and mu, district, overlaps)."""
        props = (self.feature or self.previous or {}).get("properties", {})
        names = " / ".join(str(props[k]) for k in ("name_zh", "name_en") if props.get(k))
        verb = {"add": "add park", "update": "replace the boundary of park",
                "remove": "remove park"}[self.action]
        prep = "from" if self.action == "remove" else "in"
        out = [f"{verb} {self.park_id} ({names}) {prep} {self.path}"]
        b, p = self.boundary, self.placement
        if b is not None:
            feats = f"{b.features} features dissolved" if b.features > 1 else "1 feature"
            out.append(f"  boundary   {b.file_name}: {feats}, CRS {b.crs} → WGS84, "
                       f"sha256 {b.sha256[:16]}…")
        if p is not None:
            area = f"{p.area_km2:,.4f} km² = {p.area_mu:,.1f} mu (equal-area)"
            if self.action == "update" and self.previous is not None:
                old = _previous_area_m2(self.previous)
                if old:
                    moved = _centroid_shift_m(self.previous, self.feature)
                    area = (f"{old / 1e6:,.4f} → {area} ({(p.area_m2 - old) / old:+.1%}), "
                            f"centroid moved {moved:,.0f} m")
            out.append(f"  area       {area}")
            how = (f"derived from the boundary, {p.district_share:.1%} of its area" if p.derived
                   else f"as given, {p.district_share:.1%} of its area")
            out.append(f"  district   {p.district_adcode} {p.district_name} ({how})")
            ov = "; ".join(o.describe() for o in p.overlaps) or "none"
            out.append(f"  overlaps   {ov}" + (" (allowed)" if p.overlaps else ""))
            if p.slivers:
                out.append("  slivers    " + "; ".join(o.describe() for o in p.slivers)
                           + f" (under {OVERLAP_TOLERANCE_M2:g} m², ignored)")
        elif self.previous is not None:
            old = _previous_area_m2(self.previous)
            pp = self.previous["properties"]
            out.append(f"  was        {old / 1e6:,.4f} km² in district {pp.get('district_adcode')}"
                       f", {pp.get('boundary_quality') or 'quality unknown'}")
        if self.feature is not None:
            fp = self.feature["properties"]
            out.append(f"  recorded   boundary_quality={fp.get('boundary_quality')}, "
                       f"source_file={fp.get('source_file')}, added_on={fp.get('added_on')}")
        out.append(f"  parks      {self.parks_before} → {self.parks_after}")
        return out


def _previous_area_m2(feature: dict[str, Any]) -> float:
    from shapely.geometry import shape

    if not feature.get("geometry"):
        return 0.0
    return _km2([shape(feature["geometry"])])[0] * 1e6


def _centroid_shift_m(a: dict[str, Any], b: dict[str, Any] | None) -> float:
    from pyproj import Geod
    from shapely.geometry import shape

    if b is None or not a.get("geometry") or not b.get("geometry"):
        return float("nan")
    ca, cb = shape(a["geometry"]).centroid, shape(b["geometry"]).centroid
    return float(Geod(ellps="WGS84").inv(ca.x, ca.y, cb.x, cb.y)[2])


#: Options whose text is stored in parks.geojson, by keyword of :func:`plan_add`.
TEXT_OPTIONS = {"park_id": "--id", "name_zh": "--name-zh", "name_en": "--name-en",
                "source": "--source", "notes": "--notes", "parent": "--parent",
                "district": "--district"}


def check_text(label: str, value: object) -> None:
    """Refuse text holding control or bidi-override characters (see :mod:`qygeo.safe_text`).

    Such characters in a stored name would drive a terminal (``\\x1b]0;…``),
    fake a row of ``park list`` (a newline) or reorder how a line reads.
    """
    from qygeo.safe_text import describe_control_chars, has_control_chars

    if isinstance(value, str) and has_control_chars(value):
        raise QygeoError(f"{label} holds control characters ({describe_control_chars(value)}): "
                         "ids, names and notes are one line of plain text")


def check_texts(attrs: dict[str, Any]) -> None:
    """:func:`check_text` on every stored text option in *attrs* (keywords of plan_add)."""
    for key, label in TEXT_OPTIONS.items():
        check_text(label, attrs.get(key))


def _ancestors(state: ParksState, park_id: str | None) -> set[str]:
    parent = {str(f["properties"].get("park_id")): f["properties"].get("parent_park_id")
              for f in state.features}
    out: set[str] = set()
    node = park_id
    while node and node not in out:
        out.add(node)
        node = parent.get(node)
    return out


def _descendants(state: ParksState, park_id: str) -> set[str]:
    from qygeo.core.metrics import park_descendants

    return park_descendants(state.parks).get(park_id, {park_id})


def _geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    import geopandas as gpd

    fc = layers.to_feature_collection(gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326"))
    return fc["features"][0]["geometry"]


def _new_feature(state: ParksState, props: dict[str, Any], geom: BaseGeometry) -> dict[str, Any]:
    """A feature with the layer's columns in the layer's order (others null)."""
    import geopandas as gpd

    keys = list(layers.PARKS.columns)
    for f in state.features:
        keys += [k for k in f["properties"] if k not in keys]
    row = {k: [props.get(k)] for k in keys}
    gdf = gpd.GeoDataFrame(row, geometry=[geom], crs="EPSG:4326").astype(
        {k: "object" for k in keys})
    return layers.to_feature_collection(gdf, layers.PARKS)["features"][0]


def _render(features: list[dict[str, Any]]) -> str:
    ordered = sorted(features, key=lambda f: str(f["properties"].get("park_id")))
    return layers.dumps_feature_collection({"type": "FeatureCollection", "features": ordered})


def plan_add(
    state: ParksState,
    boundary: Boundary,
    *,
    park_id: str,
    name_zh: str,
    name_en: str,
    kind: str = "industrial_park",
    district: str | None = None,
    parent: str | None = None,
    quality: str = "surveyed",
    source: str | None = None,
    notes: str | None = None,
    allow_overlap: bool = False,
    today: dt.date | None = None,
) -> ParkChange:
    """Plan adding a park with *boundary* (nothing is written).

    Parameters
    ----------
    state : ParksState
        The data folder (see :func:`load_state`).
    boundary : Boundary
        From :func:`read_boundary`.
    park_id, name_zh, name_en, kind : str
        The new park's id (see :func:`check_park_id`), names and kind
        (one of :data:`PARK_KINDS`).
    district : str, optional
        Its district's adcode; derived from the boundary when not given.
    parent : str, optional
        The park it lies in (``parent_park_id``); overlapping it is allowed.
    quality : str, default "surveyed"
        ``boundary_quality`` (one of ``layers.BOUNDARY_QUALITIES``).
    source : str, optional
        ``source``; default ``"added by qygeo park add from <file name>"``.
    notes : str, optional
        ``notes``.
    allow_overlap : bool, default False
        Accept overlaps with other parks.
    today : datetime.date, optional
        ``added_on``; default today.

    Returns
    -------
    ParkChange

    Raises
    ------
    ParkExistsError
        The id is taken.
    QygeoError, BoundaryError, UnknownParkError, DataFileError
        A bad id, name, kind or quality, unknown parent, or a boundary refused by
        :func:`place_boundary`.
    """
    check_park_id(park_id, "--id")
    check_texts({"name_zh": name_zh, "name_en": name_en, "source": source, "notes": notes,
                 "parent": parent, "district": district})
    check_text("the boundary's file name", boundary.file_name)
    existing = state.row(park_id)
    if existing is not None:
        p = existing["properties"]
        raise ParkExistsError(
            f"park id {park_id!r} already exists in {state.path} ({p.get('name_zh')} / "
            f"{p.get('name_en')}): choose another id, or replace its boundary with "
            f"qygeo park update {park_id} FILE")
    for label, value in (("--name-zh", name_zh), ("--name-en", name_en)):
        if not (value or "").strip():
            raise QygeoError(f"{label} is empty: a park needs both names")
    _check_choice("--kind", kind, PARK_KINDS)
    _check_choice("--quality", quality, layers.BOUNDARY_QUALITIES)
    skip: set[str] = set()
    if parent:
        if state.row(parent) is None:
            raise UnknownParkError(f"unknown park {parent!r} (--parent); known parks: "
                                   f"{', '.join(sorted(state.ids())) or '(none)'}")
        skip = _ancestors(state, parent)
    placement = place_boundary(boundary.geometry, state.districts, state.parks,
                               where=str(boundary.path), district=district,
                               allow_overlap=allow_overlap, skip=skip,
                               crs_hint=boundary.crs_hint)
    props = {
        "park_id": park_id, "name_zh": name_zh.strip(), "name_en": name_en.strip(),
        "district_adcode": placement.district_adcode, "kind": kind,
        "parent_park_id": parent or None,
        "source": source or f"added by qygeo park add from {boundary.file_name}",
        "boundary_quality": quality, "notes": notes or None,
        "source_file": boundary.file_name, "source_sha256": boundary.sha256,
        "added_on": (today or dt.date.today()).isoformat(),
    }
    feature = _new_feature(state, props, boundary.geometry)
    features = [*state.features, feature]
    return ParkChange(action="add", park_id=park_id, feature=feature, previous=None,
                      placement=placement, boundary=boundary, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=boundary.notes, path=state.path)


def _check_choice(label: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise QygeoError(f"{label} {value!r} is not one of {', '.join(allowed)}")


def _require(state: ParksState, park_id: str) -> dict[str, Any]:
    feature = state.row(park_id)
    if feature is None:
        raise UnknownParkError(f"unknown park {park_id!r} in {state.path}; known parks: "
                               f"{', '.join(sorted(state.ids())) or '(none)'}")
    return feature


#: How ``plan_update`` marks the source it writes, to keep only the original after it.
_UPDATE_EARLIER = "; earlier: "


#: ``park update`` needs ``--force`` to change a park's area by more than this share
#: (a different park, or a unit mistake) ...
MAX_UPDATE_AREA_CHANGE = 0.5
#: ... or to move its centroid further than this, in metres (a wrong CRS or park).
MAX_UPDATE_SHIFT_M = 1000.0


def plan_update(
    state: ParksState,
    park_id: str,
    boundary: Boundary,
    *,
    district: str | None = None,
    quality: str | None = None,
    source: str | None = None,
    notes: str | None = None,
    allow_overlap: bool = False,
    force: bool = False,
    today: dt.date | None = None,
) -> ParkChange:
    """Plan replacing park *park_id*'s boundary, keeping its attributes.

    Names, kind, parent and notes stay; ``district_adcode`` stays unless
    *district* is given, and the boundary must lie in it. The boundary's
    provenance is replaced: ``boundary_quality`` (*quality*, default
    ``"surveyed"``), ``source_file``, ``source_sha256``, ``added_on``, and
    ``source`` (*source*, default ``"boundary from <file> (qygeo park update
    <date>); earlier: <old source>"``). Overlap is not tested against the park
    itself, its parents or nested parks.

    A boundary identical to the stored one (on the stored 1e-6° grid) changes
    nothing unless *quality*, *source*, *notes* or *district* say otherwise: the
    plan's text is then the current file, and nothing is written.

    Raises
    ------
    UnknownParkError
        No such park.
    BoundaryError
        The boundary is refused (see :func:`place_boundary`), or, without
        *force*, it changes the area by more than :data:`MAX_UPDATE_AREA_CHANGE`
        or moves the centroid more than :data:`MAX_UPDATE_SHIFT_M`.
    """
    old = _require(state, park_id)
    check_texts({"source": source, "notes": notes, "district": district})
    check_text("the boundary's file name", boundary.file_name)
    if quality is not None:
        _check_choice("--quality", quality, layers.BOUNDARY_QUALITIES)
    op = old["properties"]
    skip = _ancestors(state, park_id) | _descendants(state, park_id)
    placement = place_boundary(boundary.geometry, state.districts, state.parks,
                               where=str(boundary.path),
                               district=district or op.get("district_adcode") or None,
                               allow_overlap=allow_overlap, skip=skip,
                               crs_hint=boundary.crs_hint,
                               district_label="--district" if district else
                               f"park {park_id}'s district")
    geometry = _geometry_json(boundary.geometry)
    same = (geometry == old.get("geometry")
            and placement.district_adcode == op.get("district_adcode")
            and quality in (None, op.get("boundary_quality")) and source is None
            and notes in (None, op.get("notes")))
    if same:
        return ParkChange(action="update", park_id=park_id, feature=old, previous=old,
                          placement=placement, boundary=boundary, text=state.raw.decode("utf-8")
                          if state.raw is not None else _render(state.features),
                          parks_before=len(state.features), parks_after=len(state.features),
                          notes=(*boundary.notes, f"{boundary.file_name} holds the boundary "
                                 f"park {park_id} already has: nothing to change"),
                          path=state.path)
    notes_out = list(boundary.notes)
    old_m2 = _previous_area_m2(old)
    if old_m2 > 0:
        change = (placement.area_m2 - old_m2) / old_m2
        moved = _centroid_shift_m(old, {"geometry": geometry})
        if abs(change) > MAX_UPDATE_AREA_CHANGE or moved > MAX_UPDATE_SHIFT_M:
            what = (f"changes park {park_id}'s area {old_m2 / 1e6:,.4f} → "
                    f"{placement.area_km2:,.4f} km² ({change:+.1%}) and moves its centroid "
                    f"{moved:,.0f} m")
            limits = (f"more than {MAX_UPDATE_AREA_CHANGE:.0%} or {MAX_UPDATE_SHIFT_M:,.0f} m "
                      "is a different park or a unit/CRS mistake")
            if not force:
                raise BoundaryError(boundary.path, f"{what}; {limits}: check the file, or pass "
                                                   "--force if it is right")
            notes_out.append(f"{what} (accepted with --force)")
    day = (today or dt.date.today()).isoformat()
    if not source:
        earlier = str(op.get("source") or "").split(_UPDATE_EARLIER)[-1]
        source = f"boundary from {boundary.file_name} (qygeo park update {day})"
        if earlier:
            source += f"{_UPDATE_EARLIER}{earlier}"
    props = dict(op)
    props.update({"district_adcode": placement.district_adcode,
                  "boundary_quality": quality or "surveyed",
                  "source": source, "source_file": boundary.file_name,
                  "source_sha256": boundary.sha256, "added_on": day})
    for k in ("source_file", "source_sha256", "added_on"):
        props.setdefault(k, None)
    if notes is not None:
        props["notes"] = notes or None
    feature = {"type": "Feature", "properties": props, "geometry": geometry}
    features = [feature if f is old else f for f in state.features]
    return ParkChange(action="update", park_id=park_id, feature=feature, previous=old,
                      placement=placement, boundary=boundary, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=tuple(notes_out), path=state.path)


def references(root: Path, park_id: str) -> list[str]:
    """Where else *park_id* is named: nested parks, plots, planting areas, park statistics."""
    from qygeo.io.dataset import load_park_stats

    out = []
    for spec in (layers.PLOTS, layers.PLANTING):
        path = root / spec.filename
        if path.exists():
            gdf = layers.read_layer(path, spec, check_ids=False)
            if "park_id" in gdf.columns:
                n = int((gdf["park_id"] == park_id).sum())
                if n:
                    out.append(f"{spec.filename} ({n} feature{'s' if n != 1 else ''})")
    stats = load_park_stats(root)
    n = int((stats["park_id"] == park_id).sum()) if len(stats) else 0
    if n:
        out.append(f"attributes/park_stats.csv ({n} row{'s' if n != 1 else ''})")
    return out


def plan_remove(state: ParksState, park_id: str, *, force: bool = False) -> ParkChange:
    """Plan removing park *park_id*.

    Refused while other parks nest in it, or plots, planting areas or park
    statistics name it (``qygeo validate`` would then fail), unless *force*.

    Raises
    ------
    UnknownParkError
        No such park.
    QygeoError
        It is still referenced (without *force*).
    """
    old = _require(state, park_id)
    children = sorted(str(f["properties"].get("park_id")) for f in state.features
                      if f["properties"].get("parent_park_id") == park_id)
    refs = ([f"parks.geojson (nested parks: {', '.join(children)})"] if children else [])
    refs += references(state.root, park_id)
    if refs and not force:
        raise QygeoError(f"park {park_id!r} is still named by {'; '.join(refs)}: remove or "
                         "reassign those first, or pass --force (qygeo validate will then "
                         "report them)")
    features = [f for f in state.features if f is not old]
    notes = (f"still named by {'; '.join(refs)} (--force)",) if refs else ()
    return ParkChange(action="remove", park_id=park_id, feature=None, previous=old,
                      placement=None, boundary=None, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=notes, path=state.path)


# --------------------------------------------------------------------------- writing


def lock(root: Path, timeout: float = LOCK_TIMEOUT_S) -> Any:
    """The write lock of *root*'s parks layer (a ``filelock.FileLock``, not yet acquired)."""
    from filelock import FileLock

    return FileLock(str(root / LOCK_NAME), timeout=timeout)


class _Locked:
    def __init__(self, root: Path, timeout: float) -> None:
        self.lock = lock(root, timeout)
        self.root = root
        self.timeout = timeout

    def __enter__(self) -> None:
        from filelock import Timeout

        try:
            self.lock.acquire()
        except Timeout:
            raise GeodataBusyError(
                f"{self.root / LOCK_NAME}: another qygeo park command has been writing for over "
                f"{self.timeout:g} s; try again (or remove the lock file if no qygeo runs)"
            ) from None

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def _timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _new_history_path(folder: Path) -> Path:
    while True:
        path = folder / f"parks-{_timestamp()}.geojson"
        if not path.exists() and not path.with_suffix(".json").exists():
            return path
        time.sleep(1e-5)


def history(root: str | Path) -> list[Path]:
    """Earlier versions of ``parks.geojson`` kept in ``<root>/.history``, oldest first."""
    folder = Path(root) / HISTORY_DIR
    return sorted(folder.glob("parks-*.geojson")) if folder.is_dir() else []


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parks_target(root: Path) -> Path:
    """The file a write of *root*'s ``parks.geojson`` replaces.

    A symbolic link is written through (its target is replaced), so the link
    stays a link.
    """
    path = root / layers.PARKS.filename
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _unlink(path: Path) -> None:
    """Remove *path* if it exists, and make the removal durable (fsync its folder)."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    layers._fsync_dir(path.parent)


def _read_json(path: Path) -> Any:
    """*path* parsed as JSON; HistoryError (one line) when it cannot be."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise HistoryError(f"{path}: not readable JSON ({_first_line(exc)}); restore it by hand "
                           "or delete it") from None


# Crash consistency. A park write changes up to four files (the snapshot, its note,
# parks.geojson, or the undone copy); each is replaced atomically, but a kill between
# them would leave a history that does not match parks.geojson. So, under the lock,
# the intent is written first to JOURNAL_NAME (atomic): what is done, parks.geojson's
# hash before and after, and the history files involved. The journal is removed last.
# The next park command, under the lock, finds it and completes the change (when
# parks.geojson already has the "after" hash) or rolls it back (when it still has
# the "before" one). A kill inside atomic_write_bytes leaves a temporary file, which
# only a writer holding the lock makes: under the lock every one is stale.

#: Journal of the park write in progress (inside :data:`HISTORY_DIR`).
JOURNAL_NAME = "journal.json"


def _journal_path(root: Path) -> Path:
    return root / HISTORY_DIR / JOURNAL_NAME


def _stale_temporaries(root: Path) -> list[Path]:
    """Temporary files a killed park writer left (``atomic_write_bytes``'s ``.NAME.*.tmp``)."""
    target = parks_target(root)
    out = list(target.parent.glob(f".{target.name}.*.tmp"))
    for folder in (root / HISTORY_DIR, root / HISTORY_DIR / UNDONE_DIR):
        if folder.is_dir():
            out += folder.glob(".*.tmp")
    return sorted(set(out))


def _needs_recovery(root: Path) -> bool:
    return _journal_path(root).exists() or bool(_stale_temporaries(root))


def _journal_ok(j: Any) -> bool:
    """Whether *j* is a journal this module wrote (its file names are plain history names)."""
    names = [j.get("snapshot"), j.get("kept_as") or "parks-.geojson"] if isinstance(j, dict) else []
    return (isinstance(j, dict) and j.get("kind") in ("commit", "undo")
            and all(isinstance(n, str) and re.fullmatch(r"parks-[0-9TZ.]*\.geojson", n)
                    for n in names))


def _recover_locked(root: Path) -> list[str]:
    """Complete or roll back an interrupted park write; remove stale temporaries.

    Must be called holding the lock. Returns notes saying what was done.

    Raises
    ------
    HistoryError
        The journal is unreadable, or parks.geojson matches neither side of the
        interrupted change (then nothing is touched: it needs a person).
    """
    notes = []
    jpath = _journal_path(root)
    j = _read_json(jpath) if jpath.exists() else None
    if j is not None and not _journal_ok(j):
        raise HistoryError(f"{jpath}: not a qygeo park journal; remove it once parks.geojson "
                           "and .history/ are checked")
    target = parks_target(root)
    current = target.read_bytes() if target.exists() else None
    now = _sha(current) if current is not None else None
    if j is not None and now not in (j.get("after"), j.get("before")):  # refused: touch nothing
        raise HistoryError(f"{jpath}: an interrupted {j.get('kind')} of {j.get('action')} "
                           f"{j.get('park_id')} left parks.geojson in neither its state before "
                           "nor after (edited by hand meanwhile?); check git diff and "
                           f".history/, then remove {jpath}")
    for tmp in _stale_temporaries(root):
        _unlink(tmp)
        notes.append(f"removed {tmp}, left by an interrupted park command")
    if j is None:
        return notes
    folder = root / HISTORY_DIR
    snap = folder / str(j.get("snapshot"))
    what = f"{j.get('kind')} of {j.get('action')} {j.get('park_id')}"
    if now == j.get("after"):
        if j.get("kind") == "undo":  # parks.geojson is the snapshot: it leaves the history
            _unlink(snap)
            _unlink(snap.with_suffix(".json"))
        notes.append(f"completed the interrupted {what}")
    else:  # now == before
        if j.get("kind") == "commit":  # the snapshot of a change that never landed
            _unlink(snap)
            _unlink(snap.with_suffix(".json"))
        elif j.get("kept_as"):
            _unlink(folder / UNDONE_DIR / str(j["kept_as"]))
        notes.append(f"rolled back the interrupted {what}")
    _unlink(jpath)
    return notes


def recover(root: str | Path, timeout: float = LOCK_TIMEOUT_S) -> list[str]:
    """Finish what a killed park command left: journal and stale temporary files.

    Every park command calls this first. It takes the lock only when there is
    something to do, so a clean data folder is not written to (not even the lock
    file).

    Returns
    -------
    list of str
        What was done, one note each (empty when nothing was needed).
    """
    root = Path(root)
    if not root.is_dir() or not _needs_recovery(root):
        return []
    with _Locked(root, timeout):
        return _recover_locked(root)


def _write_journal(root: Path, entry: dict[str, Any]) -> None:
    layers.atomic_write_text(_journal_path(root), json.dumps(entry, indent=1) + "\n")


@dataclass(frozen=True)
class Outcome:
    """What a park command did (or, with ``dry_run``, would do)."""

    change: ParkChange
    written: bool
    history_file: Path | None = None
    #: The new file would be byte-identical to the current one: nothing written.
    unchanged: bool = False


def validation_breaks(root: Path, text: str) -> list[str]:
    """Problems ``qygeo validate`` would report with *text* as parks.geojson, and not now.

    The folder is checked as it is and as it would be (the new text in a
    temporary file outside the data folder); only the new problems count, so a
    folder already failing validation can still be repaired one park at a time.
    """
    import tempfile

    from qygeo.pipeline.validate import validate_folder

    before = set(validate_folder(root).problems)
    with tempfile.TemporaryDirectory(prefix="qygeo-park-") as tmp:
        candidate = Path(tmp) / layers.PARKS.filename
        candidate.write_text(text, encoding="utf-8")
        after = validate_folder(root, replaced={layers.PARKS.filename: candidate}).problems
    return [p for p in after if p not in before]


def _checked(root: Path, change: ParkChange, force: bool) -> ParkChange:
    """*change*, refused when it would make ``qygeo validate`` fail (noted with *force*)."""
    breaks = validation_breaks(root, change.text)
    if not breaks:
        return change
    n = len(breaks)
    shown = "; ".join(breaks[:3]) + (f"; and {n - 3} more" if n > 3 else "")
    if not force:
        raise QygeoError(f"{change.action} {change.park_id} refused: qygeo validate would then "
                         f"report {n} new problem{'s' if n != 1 else ''}: {shown}; fix them "
                         "first, or pass --force to accept that")
    return dataclasses.replace(change, notes=(
        *change.notes, f"accepted with --force; qygeo validate will report {n} new "
                       f"problem{'s' if n != 1 else ''}: {shown}"))


def commit(
    root: str | Path,
    plan: Callable[[ParksState], ParkChange],
    *,
    dry_run: bool = False,
    force: bool = False,
    timeout: float = LOCK_TIMEOUT_S,
) -> Outcome:
    """Plan a change and, unless *dry_run*, write it safely.

    An interrupted earlier write is completed or rolled back first
    (:func:`recover`). The plan is made without the lock, and checked with
    ``qygeo validate``'s checks on the folder as it would be, so a refusal
    writes nothing at all (not even the lock file). A change leaving the file
    byte-identical writes nothing either. Then, holding the lock, the layer is
    re-read (re-planned and re-checked if another process wrote in between), the
    journal written, the current file copied to ``.history/parks-<UTC
    timestamp>.geojson`` (with a ``.json`` note of the change), ``parks.geojson``
    replaced atomically (through a symbolic link) and the journal removed.

    Parameters
    ----------
    root : path-like
        The data folder.
    plan : callable
        ``ParksState -> ParkChange``, e.g. ``functools.partial(plan_add, boundary=..., ...)``.
    dry_run : bool, default False
        Only plan.
    force : bool, default False
        Accept a change after which ``qygeo validate`` reports new problems
        (they are listed in the change's notes).
    timeout : float
        Seconds to wait for the lock.

    Returns
    -------
    Outcome
    """
    root = Path(root)
    recovered = tuple(recover(root, timeout))
    first = load_state(root)
    change = _checked(root, plan(first), force)
    change = dataclasses.replace(change, notes=(*recovered, *change.notes))
    if first.raw is not None and change.text.encode("utf-8") == first.raw:
        return Outcome(change=change, written=False, unchanged=True)
    if dry_run:
        return Outcome(change=change, written=False)
    with _Locked(root, timeout):
        _recover_locked(root)
        state = load_state(root)
        if state.raw != first.raw:  # another process wrote meanwhile
            change = _checked(root, plan(state), force)
        new = change.text.encode("utf-8")
        if state.raw is not None and new == state.raw:
            return Outcome(change=change, written=False, unchanged=True)
        target = parks_target(root)
        hist = None
        if state.raw is not None:
            hist = _new_history_path(root / HISTORY_DIR)
            _write_journal(root, {"kind": "commit", "action": change.action,
                                  "park_id": change.park_id, "snapshot": hist.name,
                                  "before": _sha(state.raw), "after": _sha(new)})
        try:
            if hist is not None and state.raw is not None:
                meta = {"action": change.action, "park_id": change.park_id,
                        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "previous_sha256": _sha(state.raw), "replaced_by_sha256": _sha(new)}
                layers.atomic_write_bytes(hist, state.raw)
                layers.atomic_write_text(hist.with_suffix(".json"),
                                         json.dumps(meta, indent=1) + "\n")
            layers.atomic_write_bytes(target, new)
        except BaseException:  # e.g. disk full: parks.geojson is unchanged, undo the rest
            if hist is not None:
                _unlink(hist)
                _unlink(hist.with_suffix(".json"))
                _unlink(_journal_path(root))
            raise
        _unlink(_journal_path(root))
    return Outcome(change=change, written=True, history_file=hist)


@dataclass(frozen=True)
class UndoPlan:
    """Restoring the latest history snapshot: which file, and what it changes."""

    snapshot: Path
    action: str | None  #: the change being undone, from the snapshot's note
    park_id: str | None
    restores_ids: tuple[str, ...]  #: parks the snapshot has and the current file not
    drops_ids: tuple[str, ...]  #: parks the current file has and the snapshot not
    changes_ids: tuple[str, ...]  #: parks in both, different
    written: bool = False
    kept_as: Path | None = None  #: where the current (undone) version was kept
    notes: tuple[str, ...] = ()  #: what recovering an interrupted command did

    def summary(self) -> list[str]:
        what = f"{self.action} {self.park_id}" if self.action else "the last change"
        out = [f"undo {what}: restore {self.snapshot.name}"]
        for label, ids in (("brings back", self.restores_ids), ("removes", self.drops_ids),
                           ("restores the earlier version of", self.changes_ids)):
            if ids:
                out.append(f"  {label} park{'s' if len(ids) > 1 else ''} {', '.join(ids)}")
        if self.kept_as is not None:
            out.append(f"  the undone version is kept as {self.kept_as}")
        return out


def _features_by_id(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    doc = json.loads(data.decode("utf-8"))
    return {str(f["properties"].get("park_id")): json.dumps(f, sort_keys=True)
            for f in doc.get("features", [])}


def undo(root: str | Path, *, dry_run: bool = False, force: bool = False,
         timeout: float = LOCK_TIMEOUT_S) -> UndoPlan:
    """Restore the latest snapshot in ``.history/`` as ``parks.geojson``.

    The snapshot is removed from the history (so a second undo goes one step
    further back) and the version it replaces is kept in ``.history/undone/``.
    An interrupted earlier write is completed or rolled back first
    (:func:`recover`), and the undo itself is journalled the same way.

    Raises
    ------
    HistoryError
        No snapshot; an unreadable snapshot or note; or ``parks.geojson`` changed
        since the change being undone (a hand edit would be lost), unless *force*.
    """
    import geopandas as gpd

    root = Path(root)
    path = root / layers.PARKS.filename

    def plan() -> tuple[UndoPlan, bytes, bytes | None]:
        snaps = history(root)
        if not snaps:
            raise HistoryError(f"nothing to undo: no earlier version of {path} in "
                               f"{root / HISTORY_DIR}")
        snap = snaps[-1]
        data = snap.read_bytes()
        try:
            feats = json.loads(data.decode("utf-8"))["features"]
            gdf = (gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326") if feats else None)
            if gdf is not None:
                layers.conform(gdf, layers.PARKS, snap)
        except (ValueError, KeyError, TypeError, RecursionError, QygeoError) as exc:
            raise HistoryError(f"{snap}: not a readable parks layer ({_first_line(exc)}); "
                               "restore it by hand or delete it") from None
        meta_path = snap.with_suffix(".json")
        meta = _read_json(meta_path) if meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise HistoryError(f"{meta_path}: not a qygeo history note (a JSON object); "
                               "restore it by hand or delete it")
        current = path.read_bytes() if path.exists() else None
        expected = meta.get("replaced_by_sha256")
        if expected and (current is None or _sha(current) != expected) and not force:
            raise HistoryError(f"{path} changed since the {meta.get('action')} of "
                               f"{meta.get('park_id')} that {snap.name} would undo (edited by "
                               "hand or another tool?); undoing would lose that edit: check "
                               "git diff, then pass --force to restore it anyway")
        try:
            now, then = _features_by_id(current), _features_by_id(data)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise HistoryError(f"{path}: not a readable parks layer ({_first_line(exc)})"
                               ) from None
        p = UndoPlan(snapshot=snap, action=meta.get("action"), park_id=meta.get("park_id"),
                     restores_ids=tuple(sorted(set(then) - set(now))),
                     drops_ids=tuple(sorted(set(now) - set(then))),
                     changes_ids=tuple(sorted(k for k in set(now) & set(then)
                                              if now[k] != then[k])))
        return p, data, current

    recovered = tuple(recover(root, timeout))
    p, _, _ = plan()
    if dry_run:
        return dataclasses.replace(p, notes=recovered)
    with _Locked(root, timeout):
        recovered += tuple(_recover_locked(root))
        p, data, current = plan()
        kept = None
        if current is not None:
            kept = root / HISTORY_DIR / UNDONE_DIR / p.snapshot.name
        _write_journal(root, {"kind": "undo", "action": p.action, "park_id": p.park_id,
                              "snapshot": p.snapshot.name,
                              "kept_as": kept.name if kept is not None else None,
                              "before": _sha(current) if current is not None else None,
                              "after": _sha(data)})
        if kept is not None and current is not None:
            layers.atomic_write_bytes(kept, current)
        layers.atomic_write_bytes(parks_target(root), data)
        _unlink(p.snapshot)
        _unlink(p.snapshot.with_suffix(".json"))
        _unlink(_journal_path(root))
    return dataclasses.replace(p, written=True, kept_as=kept, notes=recovered)


# --------------------------------------------------------------------------- high level


def add_park(root: str | Path, file: str | Path, *, crs: str | None = None,
             layer: str | None = None, dissolve: bool = False, fix: bool = False,
             feature: str | int | None = None, dry_run: bool = False, force: bool = False,
             **attrs: Any) -> Outcome:
    """Read *file* and add it as a park (see :func:`read_boundary`, :func:`plan_add`).

    With *force*, a park after which ``qygeo validate`` reports new problems is
    accepted (and they are noted); see :func:`commit`.
    """
    check_park_id(attrs.get("park_id", ""), "--id")
    check_texts(attrs)
    boundary = read_boundary(file, crs=crs, layer=layer, dissolve=dissolve, fix=fix,
                             feature=feature)
    return commit(root, lambda st: plan_add(st, boundary, **attrs), dry_run=dry_run,
                  force=force)


def update_park(root: str | Path, park_id: str, file: str | Path, *, crs: str | None = None,
                layer: str | None = None, dissolve: bool = False, fix: bool = False,
                feature: str | int | None = None, dry_run: bool = False, force: bool = False,
                **attrs: Any) -> Outcome:
    """Replace park *park_id*'s boundary with *file* (see :func:`plan_update`).

    *force* accepts a big change of area or position and new ``qygeo validate``
    problems (both are then noted).
    """
    check_texts(attrs)
    recover(root)
    _require(load_state(root), park_id)
    boundary = read_boundary(file, crs=crs, layer=layer, dissolve=dissolve, fix=fix,
                             feature=feature)
    return commit(root, lambda st: plan_update(st, park_id, boundary, force=force, **attrs),
                  dry_run=dry_run, force=force)


def remove_park(root: str | Path, park_id: str, *, force: bool = False,
                dry_run: bool = False) -> Outcome:
    """Remove park *park_id* (see :func:`plan_remove`)."""
    return commit(root, lambda st: plan_remove(st, park_id, force=force), dry_run=dry_run,
                  force=force)


# --------------------------------------------------------------------------- listing


#: Columns of :func:`park_table`.
TABLE_COLUMNS = ("park_id", "name_zh", "name_en", "district_adcode", "district_name_zh", "kind",
                 "parent_park_id", "area_km2", "area_mu", "boundary_quality", "added_on",
                 "source_file")


def park_table(root: str | Path) -> pd.DataFrame:
    """One row per park: ids, names, district, kind, area (km², mu), quality, added_on."""
    import pandas as pd

    from qygeo.core.metrics import with_areas

    state = load_state(root)
    parks = with_areas(state.parks)
    names = dict(zip(state.districts["adcode"], state.districts["name_zh"], strict=True))
    parks["district_name_zh"] = parks["district_adcode"].map(names)
    for c in TABLE_COLUMNS:
        if c not in parks.columns:
            parks[c] = None
    out = pd.DataFrame(parks[list(TABLE_COLUMNS)]).sort_values("park_id", kind="stable")
    return out.reset_index(drop=True)


def format_park_table(table: pd.DataFrame, fmt: str = "table") -> str:
    """Render :func:`park_table` as ``table`` (plain text), ``csv`` or ``json``.

    Text from the data is made safe for where it goes: control characters are
    shown as escapes in the table (:func:`~qygeo.safe_text.for_terminal`), and
    formula-like CSV cells are neutralised (:func:`~qygeo.safe_text.for_csv`).
    """
    import math

    from qygeo.safe_text import csv_text, for_json, for_terminal

    def clean(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.item() if hasattr(v, "item") else v

    rows = [{k: clean(v) for k, v in r.items()} for r in table.to_dict("records")]
    if fmt == "json":
        for r in rows:
            r["area_km2"] = round(r["area_km2"], 6) if r["area_km2"] is not None else None
            r["area_mu"] = round(r["area_mu"], 2) if r["area_mu"] is not None else None
        return for_json(json.dumps(rows, ensure_ascii=False, indent=2)) + "\n"
    if fmt == "csv":
        # Names are data: a cell such as "=HYPERLINK(…)" must stay text in a spreadsheet.
        return csv_text(table, float_format="%.6g")
    body = [[for_terminal(c) for c in row] for row in _table_body(rows)]
    headers = ["id", "名称", "name", "district 区县", "kind", "km²", "亩 mu", "quality",
               "added_on"]
    return _text_table(headers, body, right=(5, 6))


def _table_body(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[r["park_id"], r["name_zh"] or "", r["name_en"] or "",
             f"{r['district_adcode']} {r['district_name_zh'] or ''}".strip(), r["kind"] or "",
             f"{r['area_km2']:,.3f}", f"{r['area_mu']:,.0f}", r["boundary_quality"] or "",
             r["added_on"] or ""] for r in rows]


def _display_width(text: str) -> int:
    """Terminal columns *text* takes: East Asian wide and full-width characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _text_table(headers: Sequence[str], body: Sequence[Sequence[str]], *,
                right: Sequence[int] = ()) -> str:
    """A plain-text table aligned by display width (Chinese names take two columns each)."""
    rows = [list(headers), *[[str(c) for c in r] for r in body]]
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - _display_width(c))
            out.append(pad + c if i in right else c + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])]) + "\n"
