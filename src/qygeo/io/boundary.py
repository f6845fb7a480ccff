"""Reading one park boundary from the files surveyors send.

:func:`read_boundary` reads one polygonal feature (or dissolves several, or picks one
with ``--feature``), drops Z/M coordinates, works out the CRS (the file's own, or
``--crs``: EPSG codes, ``gcj02``, ``bd09``; see :func:`qygeo.io.crs.resolve_source_crs`),
refuses numbers that cannot be what the CRS says with a hint, converts to WGS84,
refuses or repairs invalid geometry and snaps it to the 1e-6° grid that
``parks.geojson`` stores. Formats: GeoJSON, Shapefile (also zipped), GeoPackage,
KML/KMZ.
"""

from __future__ import annotations

import hashlib
import shlex
import warnings
import zipfile
from dataclasses import dataclass
from numbers import Real
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.errors import (
    BoundaryError,
    CRSError,
    DataFileError,
    QygeoError,
)
from qygeo.io import layers, shapefile
from qygeo.io.gdal_paths import gdal_name
from qygeo.io.sniff import MAC_FORKS

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

#: Coordinates are stored to this many decimals (see :data:`qygeo.io.layers.COORD_PRECISION`).
GRID_DEG = 10.0 ** -layers.COORD_PRECISION

#: How a boundary read in a web map's shifted datum is recorded (see Boundary.web_datum).
WEB_DATUMS = {"gcj02": "drawn in GCJ-02 (Amap/Tencent map coordinates, --crs gcj02)",
              "bd09": "drawn in BD-09 (Baidu map coordinates, --crs bd09)"}

#: Input formats by file suffix.
INPUT_FORMATS = {
    ".geojson": "GeoJSON", ".json": "GeoJSON", ".shp": "Shapefile",
    ".zip": "zipped Shapefile", ".gpkg": "GeoPackage", ".kml": "KML", ".kmz": "KMZ",
}


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Boundary:
    """A surveyor's boundary, read, converted and cleaned, ready to be placed.

    Attributes
    ----------
    geometry : shapely Polygon or MultiPolygon, or None
        WGS84 longitude/latitude, 2-D, valid, on the 1e-6° grid, exterior rings
        counter-clockwise (RFC 7946); None in a boundary as read, before
        :func:`qygeo.core.placement.clean_boundary`.
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
    parts : tuple of shapely geometries
        The features as read, converted to WGS84 (before cleaning and dissolving).
    picked : str
        The feature ``feature`` took (``feature #2 of 3 (name=东区)``), empty
        without it: shown as a note and recorded in the park's ``source``.
    web_datum : str or None
        ``"gcj02"`` or ``"bd09"`` when the coordinates were read in a web map's
        shifted datum (``--crs``): drawn on Amap or Baidu, not surveyed.
    """

    geometry: BaseGeometry | None
    path: Path
    sha256: str
    crs: str
    features: int
    raw_bounds: tuple[float, float, float, float]
    notes: tuple[str, ...] = ()
    projected_epsg: int | None = None
    parts: tuple[BaseGeometry, ...] = ()
    picked: str = ""
    web_datum: str | None = None

    def crs_hint(self) -> str | None:
        """A ``--crs`` that would put the file's numbers in Qingyuan, when they were read
        in a projected CRS that does not (used when the boundary lands outside); or,
        when they land there only northing first (a Chinese survey table's X and Y, its
        ``.prj`` right or not), that the axes are swapped."""
        from qygeo.io.crs import crs_choices

        if self.projected_epsg is None:
            return None
        codes = _fitting_crs(self.raw_bounds, self.projected_epsg)
        if codes:
            if self.projected_epsg in codes:
                return None
            return ("its numbers would land in Qingyuan read as "
                    f"{crs_choices(codes[:1], option=True)}")
        return northing_first_hint(self.raw_bounds, self.projected_epsg)

    @property
    def file_name(self) -> str:
        """The input file's name (what ``source_file`` records)."""
        return self.path.name

    @property
    def source_label(self) -> str:
        """The file's name, the web map it was drawn on and the feature taken from it,
        for a park's ``source``."""
        return ", ".join([self.file_name, *([WEB_DATUMS[self.web_datum]] if self.web_datum
                                            else []), *([self.picked] if self.picked else [])])

    @property
    def default_quality(self) -> str:
        """The ``boundary_quality`` to record when none is given: ``approximate`` for a
        boundary drawn on a web map (geodata/README.md: ``surveyed`` is from a survey or
        cadastral file, which no web map is), else ``surveyed``."""
        return "approximate" if self.web_datum else "surveyed"


def _fitting_crs(bounds: tuple[float, float, float, float], own: int | None) -> list[int]:
    """EPSG codes that put *bounds* (metres) in Qingyuan: the CRS they are read in
    (*own*, of any datum: Xian 1980, Beijing 1954) first when it does, then the
    CGCS2000 candidates of :func:`qygeo.io.crs.suggest_crs`. A file's own CRS that fits
    is never traded for another datum's."""
    import math

    from pyproj.exceptions import ProjError

    from qygeo.io.crs import lands_in_qingyuan, suggest_crs

    codes = suggest_crs(bounds)
    if own and own not in codes and all(math.isfinite(v) for v in bounds):
        try:
            fits = lands_in_qingyuan(bounds, own)
        except ProjError:  # no transformation to WGS84 known: not a candidate
            fits = False
        if fits:
            codes = [own, *codes]
    return codes


def northing_first_hint(raw_bounds: tuple[float, float, float, float],
                        own: int | None) -> str | None:
    """That numbers read in the projected CRS *own* (EPSG, 0 or None: unknown) land in
    Qingyuan only northing first (a Chinese survey table's X and Y), and in which CRS;
    None when they do not. For a boundary outside Qingyuan and for numbers that do not
    convert at all (a zone-prefixed CRS, EPSG:4526, reads 38,500,000 as the northing)."""
    from qygeo.io.crs import crs_choices

    minx, miny, maxx, maxy = raw_bounds
    swapped = _fitting_crs((miny, minx, maxy, maxx), own)
    if not swapped:
        return None
    then = (f"they then land in Qingyuan in its CRS (EPSG:{own})" if own in swapped else
            f"then read them as {crs_choices(swapped[:1], option=True)}")
    return ("its numbers look northing first (X and Y swapped, as in Chinese survey "
            f"tables): swap the two columns; {then}")


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
    layers.check_name_utf8(path)
    if path.is_dir():
        raise DataFileError(path, "is a folder, not a boundary file")
    suffix = path.suffix.lower()
    if suffix not in INPUT_FORMATS:
        raise DataFileError(path, f"unsupported format {suffix or '(no suffix)'!r}: send GeoJSON, "
                                  "a Shapefile (.shp or .zip), a GeoPackage (.gpkg) or KML")
    if path.stat().st_size == 0:
        raise DataFileError(path, "is empty (0 bytes)")
    if suffix in (".geojson", ".json"):
        layers._check_json(path)  # first: it names the line and column of a fault
    from qygeo.io.sniff import check_content

    check_content(path)
    if suffix == ".shp":
        if _sidecar(path, ".shx") is None:
            raise DataFileError(path, f"{path.stem}.shx is missing next to it: a Shapefile is "
                                      ".shp + .shx + .dbf (+ .prj); send all of them, or a .zip")
        return gdal_name(path), None
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [n for n in zf.namelist() if not n.startswith(MAC_FORKS)]
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
    return gdal_name(path), None


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
                                  f"({first_line(exc)})") from exc
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


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: Text encoding tried for a Shapefile whose attributes are not UTF-8 and that has no
#: ``.cpg`` (see :func:`qygeo.io.shapefile.encoding`).
FALLBACK_ENCODING = shapefile.FALLBACK_ENCODING


def _read_frame(path: Path, dataset: str, layer: str | None, *,
                attributes: bool = False, encoding: str | None = None) -> gpd.GeoDataFrame:
    """The file's features; their attributes only with *attributes* (to name features).

    Geometry alone is read otherwise: attribute text (a Shapefile's encoding, odd
    field types) then cannot stop a boundary from being read. Attribute text is
    read as *encoding* when given; a Shapefile whose text is not UTF-8 is read as
    :data:`FALLBACK_ENCODING`.
    """
    gdf = _read_any_frame(path, dataset, layer, attributes=attributes, encoding=encoding)
    if not hasattr(gdf, "geometry"):  # pyogrio reads a table without geometry as a DataFrame
        raise BoundaryError(path, f"layer {layer!r} has no geometry (a table of attributes "
                                  "only): choose a layer of polygons")
    return gdf


def _read_any_frame(path: Path, dataset: str, layer: str | None, *,
                    attributes: bool, encoding: str | None) -> gpd.GeoDataFrame:
    import pyogrio

    if attributes and encoding is None:
        encoding = shapefile.encoding(path, layer)  # GBK text without a true .cpg
    if attributes and encoding is not None:
        return _read_encoded(path, dataset, layer, encoding)
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
        # pyogrio's Arrow reader: text (field names too) is not UTF-8, whatever a .cpg said
        if "not encoded in UTF-8" in str(exc) or isinstance(exc, UnicodeDecodeError):
            return _read_encoded(path, dataset, layer,
                                 encoding or shapefile.encoding(path, layer) or FALLBACK_ENCODING,
                                 columns=None if attributes else [])
        raise DataFileError(path, f"cannot be read as {INPUT_FORMATS[path.suffix.lower()]} "
                                  f"({first_line(exc)})") from exc


def _read_encoded(path: Path, dataset: str, layer: str | None, encoding: str, *,
                  columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """The features with their attribute text decoded as *encoding* (GDAL's own decoding)."""
    import pyogrio

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)
            return pyogrio.read_dataframe(dataset, layer=layer, encoding=encoding,
                                          columns=columns)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types
        raise DataFileError(path, f"cannot be read as {INPUT_FORMATS[path.suffix.lower()]} "
                                  f"in {encoding} ({first_line(exc)})") from exc


def check_encoding(encoding: str | None) -> None:
    """Refuse an ``--encoding`` that names no text encoding, before any file is read.

    GDAL does not say so itself: an unknown name was reported as the file failing to
    decode in it (``'utf-8' codec can't decode ...``), and not at all when the
    attributes were not read (a file of one feature); a codec that is not a text
    encoding (``hex``, ``base64``: see :func:`qygeo.io.shapefile.text_codec`) gave a
    traceback or misread names.
    """
    if encoding is None or shapefile.text_codec(encoding) is not None:
        return
    raise QygeoError(f"unknown text encoding {encoding!r} (--encoding): try GB18030, GBK, "
                     "UTF-8 or BIG5")


def polygonal(geom: BaseGeometry | None) -> BaseGeometry | None:
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


def read_boundary_file(
    path: str | Path,
    *,
    crs: str | None = None,
    layer: str | None = None,
    dissolve: bool = False,
    feature: str | int | None = None,
    encoding: str | None = None,
) -> Boundary:
    """Read a surveyor's file: its polygonal features in WGS84, not yet cleaned.

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
    feature : str or int, optional
        Take only this feature (see :func:`_pick_feature`): its 1-based number in
        the file (``3``, ``"#3"``), the text of one of its attributes (a name such as
        ``"东区"``) or ``FIELD=TEXT``, which must match exactly one feature; a
        number that is also a feature's text or whole-number attribute is refused as
        ambiguous. Without it, in a file with several features the ones that are not
        areas (a KML's gate marker, a road line) are left out with a note.

    Returns
    -------
    Boundary
        With ``parts`` and no ``geometry`` yet (see
        :func:`qygeo.core.placement.clean_boundary`).

    Raises
    ------
    DataFileError
        Missing, empty, unreadable or malformed file; several layers without ``layer``.
    BoundaryError
        No features, several without ``dissolve``, a missing or non-polygonal
        geometry.
    CRSError
        Unknown ``crs``; numbers that cannot be in the CRS (metres read as degrees,
        swapped axes), with a hint naming the ``--crs`` to try.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from qygeo.io.crs import to_wgs84

    path = Path(path)
    check_encoding(encoding)  # an unknown --encoding or --crs is refused before the file is read
    if crs is not None:
        from qygeo.io.crs import parse_crs

        parse_crs(crs)
    dataset, implied = _dataset_name(path, layer)
    sha = file_sha256(path)
    chosen = _choose_layer(path, dataset, layer, implied)
    gdf = _read_frame(path, dataset, chosen)
    if len(gdf) == 0:
        raise BoundaryError(path, "contains no features (empty)")
    _check_vertices(path, gdf)
    notes: list[str] = []
    picked = ""
    if feature is not None or len(gdf) > 1:  # features are told apart by their attributes
        gdf = _with_attributes(path, dataset, chosen, gdf, encoding=encoding)
    if feature is not None:
        if dissolve:
            raise BoundaryError(path, "--feature takes one feature, --dissolve merges them: "
                                      "give one of the two")
        gdf, picked = _pick_feature(gdf, feature, path)
        notes.append(f"{path.name}: took {picked}")
    elif len(gdf) > 1:
        gdf, dropped = _areas_only(gdf)
        if dropped:
            notes.append(f"{path.name}: left out {dropped} feature(s) that are not areas "
                         "(points or lines, e.g. a gate marker)")
    n = len(gdf)
    if n > 1 and not dissolve:
        raise BoundaryError(path, f"holds {n} features ({_feature_names(gdf)}), a park is "
                                  "one boundary: pick one by name or number with --feature, or "
                                  "merge "
                                  "them into one MultiPolygon with --dissolve")
    geoms = list(gdf.geometry.values)
    for i, g in enumerate(geoms):
        where = "" if n == 1 else f"feature #{i + 1}: "
        if g is None or g.is_empty:
            raise BoundaryError(path, f"{where}has no geometry")
        if polygonal(g) is None or g.geom_type == "GeometryCollection":
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
                       f"({first_line(exc)})") from exc
    wgs = list(frame.geometry.values)
    if not np.isfinite(shapely.get_coordinates(wgs)).all():
        # Most often a zone-number prefix the CRS does not expect (or lacks): name the CRS
        # the numbers fit, and what the file itself declares when --crs overrode it.
        from qygeo.io.crs import crs_choices, suggest_crs

        codes = [c for c in suggest_crs(raw_bounds) if c != src.epsg]
        swap = None if codes else northing_first_hint(raw_bounds, src.epsg)
        hint = ("; its numbers fit " + crs_choices(codes, option=True) if codes else
                f"; {swap}" if swap else "")
        own = gdf.crs.to_epsg() if gdf.crs is not None and crs is not None else None
        if own is not None and own != src.epsg:
            hint += f"; the file itself declares EPSG:{own}"
        raise CRSError(f"{path}: coordinates do not convert from {src.text} to "
                       f"longitude/latitude{hint}")
    from qygeo.io.crs import canonical_datum

    return Boundary(geometry=None, parts=tuple(wgs), path=path, sha256=sha, crs=src.text,
                    features=n, picked=picked,
                    web_datum=canonical_datum(str(crs)) if crs is not None else None,
                    raw_bounds=raw_bounds, notes=tuple(notes),
                    projected_epsg=None if src.geographic else (src.epsg or 0))


def list_features(path: str | Path, *, layer: str | None = None,
                  encoding: str | None = None) -> list[str]:
    """Labels of the features of a boundary file (``#1 东区``), to pick one with *feature*.

    The numbers are what :func:`read_boundary`'s *feature* takes; the text is each
    feature's first text attribute, if it has one.
    """
    path = Path(path)
    check_encoding(encoding)
    dataset, implied = _dataset_name(path, layer)
    chosen = _choose_layer(path, dataset, layer, implied)
    gdf = _read_frame(path, dataset, chosen)
    _check_vertices(path, gdf)
    gdf = _with_attributes(path, dataset, chosen, gdf, encoding=encoding)
    return [_feature_label(row, i + 1) for i, (_, row) in enumerate(gdf.iterrows())]


#: Vertices a boundary file may hold. A park's boundary surveyed every metre along a
#: 50-km edge has 50,000; a million took 40 s and 1.6 GB to preview, and every map
#: would draw them.
MAX_BOUNDARY_VERTICES = 200_000


#: Digits a ``--feature`` number may have: a file holds fewer than a million features
#: (each has at least 4 of the :data:`MAX_BOUNDARY_VERTICES` vertices).
FEATURE_NUMBER_MAX_DIGITS = 6


def _check_vertices(path: Path, gdf: gpd.GeoDataFrame) -> None:
    import shapely

    count = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    if count > MAX_BOUNDARY_VERTICES:
        raise BoundaryError(path, f"holds {count:,} vertices, more than the "
                                  f"{MAX_BOUNDARY_VERTICES:,} a park boundary may have: "
                                  "simplify it first (QGIS: Vector › Geometry Tools › Simplify)")


def _with_attributes(path: Path, dataset: str, layer: str | None,
                     geometry_only: gpd.GeoDataFrame, *,
                     encoding: str | None = None) -> gpd.GeoDataFrame:
    """The features again with their attributes; as they were if those cannot be read."""
    try:
        gdf = _read_frame(path, dataset, layer, attributes=True, encoding=encoding)
    except DataFileError:
        if encoding is not None:
            raise  # asked for: a wrong --encoding is told, not ignored
        return geometry_only
    return gdf if len(gdf) == len(geometry_only) else geometry_only


def _areas_only(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """The features of *gdf* whose geometry is polygonal, and how many were not.

    A file with no area at all is returned whole, so that its geometry type is
    what the refusal names.
    """
    keep = [g is not None and not g.is_empty and polygonal(g) is not None
            and g.geom_type != "GeometryCollection" for g in gdf.geometry.values]
    if not any(keep) or all(keep):
        return gdf, 0
    return gdf[keep], keep.count(False)


def _naming_attribute(items: Any) -> tuple[str, str] | None:
    """The attribute that names a feature, of its ``(field, value)`` *items*: the first
    non-empty text, else the first whole number (parcel numbers are often numeric
    fields), as ``(field, text)``; None when it has neither."""
    items = [(k, v) for k, v in items if k != "geometry"]
    for numbers in (False, True):
        for k, v in items:
            if text := _text_of(v, numbers=numbers):
                return str(k), text
    return None


def _feature_label(row: Any, number: int) -> str:
    """``#3 东区``: a feature's number and what names it (:func:`_naming_attribute`)."""
    named = _naming_attribute(row.items())
    return f"#{number}" + (f" {named[1][:40]}" if named else "")


def _feature_names(gdf: gpd.GeoDataFrame, most: int = 8) -> str:
    labels = [_feature_label(row, i + 1) for i, (_, row) in enumerate(gdf.iterrows())]
    more = f", … {len(labels) - most} more" if len(labels) > most else ""
    return ", ".join(labels[:most]) + more


def _text_of(value: Any, *, numbers: bool = False) -> str | None:
    """An attribute as the text ``--feature`` matches: a string stripped (with *numbers*,
    a whole number too, ``2`` for 2 or 2.0); None for anything else."""
    import numpy as np

    if isinstance(value, str):
        return value.strip()
    if numbers and isinstance(value, Real) and not isinstance(value, bool | np.bool_):
        return str(int(value)) if float(value).is_integer() else None
    return None


def _pick_feature(gdf: gpd.GeoDataFrame, feature: str | int,
                  path: Path) -> tuple[gpd.GeoDataFrame, str]:
    """The one feature *feature* names, and how to record it (``feature #2 of 3
    (name=东区)``).

    *feature* is a 1-based number (``2``, or ``#2``: only a number), ``FIELD=TEXT``
    (that attribute's text or whole number) or a text one attribute of exactly one
    feature has. A plain number that is also a text or whole-number attribute of another
    feature (parcels named or numbered ``1`` and ``2``) is refused: which was meant
    cannot be known, and taking the wrong parcel goes unseen.
    """
    from qygeo.safe_text import for_terminal

    text = str(feature).strip()
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    rows = list(gdf[columns].itertuples(index=False, name=None))
    pick = text

    def recorded(i: int) -> str:
        named = _naming_attribute(zip(columns, rows[i], strict=True))
        label = f"feature #{i + 1} of {len(gdf)}"
        if named:
            label += f" ({for_terminal(named[0])}={for_terminal(named[1])[:40]})"
        return label

    def by_text(wanted: str, *, numbers: bool = False) -> list[int]:
        return [i for i, row in enumerate(rows)
                if any(_text_of(v, numbers=numbers) == wanted for v in row)]

    digits = text.removeprefix("#")
    if digits.isascii() and digits.isdigit():  # not "²" or "٣": str.isdigit takes them
        # A number of more digits than any file's count of features is none of them (and
        # int() refuses 4,300 digits and more): named in one readable line.
        long = len(digits.lstrip("0")) > FEATURE_NUMBER_MAX_DIGITS
        number = 0 if long else int(digits)
        shown = f"{digits[:12]}… ({len(digits):,} digits)" if len(digits) > 20 else digits
        # A parcel number is text or a numeric field alike: either makes "2" ambiguous.
        named = ([] if text.startswith("#") else
                 [i for i in by_text(text, numbers=True) if i != number - 1])
        if not 1 <= number <= len(gdf):
            if len(named) == 1:  # no feature of that number: the text is meant
                return gdf.iloc[named], recorded(named[0])
            raise BoundaryError(path, f"has no feature #{shown}: it holds {len(gdf)} "
                                      f"({_feature_names(gdf)})")
        if named:
            field = next(c for c, v in zip(columns, rows[named[0]], strict=True)
                         if _text_of(v, numbers=True) == text)
            # Quoted for a shell: a field name is the file's text ("x'$(rm …)'"). A name
            # FIELD=TEXT cannot give (an "=", or a character the terminal shows escaped)
            # gets the feature's number instead.
            by_text_form = (f"--feature {shlex.quote(f'{field}={text}')} for the text"
                            if "=" not in field and for_terminal(field) == field
                            else f"--feature {shlex.quote(f'#{named[0] + 1}')} for the text")
            raise BoundaryError(path, f"--feature {text} is ambiguous: feature #{number} by "
                                      f"number, or {'; '.join(f'#{i + 1}' for i in named)} "
                                      f"by its text {text!r}: pass --feature "
                                      f"{shlex.quote(f'#{number}')} for the number, or "
                                      f"{by_text_form} ({_feature_names(gdf)})")
        return gdf.iloc[[number - 1]], recorded(number - 1)
    field, eq, value = text.partition("=")
    if eq and field.strip() in columns:
        at = columns.index(field.strip())
        hits = [i for i, row in enumerate(rows)
                if _text_of(row[at], numbers=True) == value.strip()]
        pick = f"{field.strip()}={value.strip()}"
    else:
        hits = by_text(text)
    if len(hits) != 1:
        how = "no feature has" if not hits else f"{len(hits)} features have"
        raise BoundaryError(path, f"{how} an attribute {pick!r}: give a feature's number or "
                                  f"a text only one has ({_feature_names(gdf)})")
    return gdf.iloc[hits], recorded(hits[0])
