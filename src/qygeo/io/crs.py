"""Coordinate reference systems: WGS84, GCJ-02/BD-09 shifts, detection of the input's CRS.

Everything in ``geodata/`` is WGS84 longitude/latitude (RFC 7946). Chinese web
maps (Amap/Gaode) use GCJ-02, an obfuscated datum about 600 m off WGS84 around
Qingyuan, and Baidu uses BD-09 on top of it. PROJ does not know either, so the
point conversions come from the ``coord-convert`` package; this module only
applies them to whole geometries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qygeo.errors import CRSError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from pyproj import CRS
    from shapely.geometry.base import BaseGeometry

WGS84 = "EPSG:4326"
CGCS2000 = "EPSG:4490"

#: Albers equal-area conic fitted to Qingyuan (22.6°N–25.2°N), nearly conformal in
#: the city: distances in metres (e.g. how far a park lies outside Qingyuan). Areas
#: are not projected: :func:`qygeo.core.metrics.area_m2` computes them on the ellipsoid.
EQUAL_AREA_CRS = (
    "+proj=aea +lat_0=24 +lon_0=113 +lat_1=23.5 +lat_2=24.8 "
    "+x_0=0 +y_0=0 +ellps=WGS84 +units=m +no_defs"
)

#: Names accepted for the non-PROJ datums, by canonical name.
SHIFTED_DATUMS = {"gcj02": ("gcj02", "gcj-02", "gcj", "mars", "amap", "gaode"),
                  "bd09": ("bd09", "bd-09", "baidu")}

#: Rough bounding box of Qingyuan city in WGS84 degrees (lon_min, lat_min, lon_max, lat_max),
#: used to recognise swapped axes and projected numbers, not to validate membership.
QINGYUAN_BBOX = (111.9, 23.4, 113.95, 25.25)


@functools.cache
def wgs84_ellipsoid() -> tuple[float, float]:
    """Semi-major axis (m) and first eccentricity squared of WGS84, from pyproj."""
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    return float(geod.a), float(geod.es)


def canonical_datum(name: str) -> str | None:
    """Return ``"gcj02"`` or ``"bd09"`` if *name* names one of them, else ``None``."""
    key = name.strip().lower()
    for canon, aliases in SHIFTED_DATUMS.items():
        if key in aliases:
            return canon
    return None


def _point_converter(direction: str) -> Callable[[float, float], tuple[float, float]]:
    # Imported lazily: only maps on Gaode tiles and imports of Amap data need it.
    from coord_convert import transform as t

    table = {
        "gcj02_to_wgs84": t.gcj2wgs,
        "wgs84_to_gcj02": t.wgs2gcj,
        "bd09_to_wgs84": t.bd2wgs,
        "wgs84_to_bd09": t.wgs2bd,
    }
    try:
        return table[direction]
    except KeyError:  # pragma: no cover - programming error
        raise ValueError(direction) from None


def shift_coords(coords: np.ndarray, direction: str) -> np.ndarray:
    """Shift an (n, 2) array of lon/lat degrees between WGS84 and GCJ-02/BD-09.

    Parameters
    ----------
    coords : numpy.ndarray
        Shape (n, 2), longitude then latitude, degrees.
    direction : str
        One of ``gcj02_to_wgs84``, ``wgs84_to_gcj02``, ``bd09_to_wgs84``, ``wgs84_to_bd09``.

    Returns
    -------
    numpy.ndarray
        Shape (n, 2), the shifted coordinates, degrees.
    """
    fn = _point_converter(direction)
    coords = np.asarray(coords, dtype="float64")
    if coords.size == 0:
        return coords.reshape(0, 2)
    out = np.empty_like(coords)
    for i, (lon, lat) in enumerate(coords):
        out[i] = fn(lon, lat)
    return out


def shift_geometry(geom: BaseGeometry, direction: str) -> BaseGeometry:
    """Apply :func:`shift_coords` to every vertex of a shapely geometry."""
    import shapely

    return shapely.transform(geom, lambda c: shift_coords(c, direction))


def shift_frame(gdf: gpd.GeoDataFrame, direction: str) -> gpd.GeoDataFrame:
    """Return a copy of *gdf* with every geometry shifted (see :func:`shift_coords`).

    The GeoDataFrame's CRS stays EPSG:4326: GCJ-02 has no EPSG code, so a
    shifted frame is only ever an intermediate for display on Gaode tiles or an
    input being brought back to WGS84.
    """
    import shapely

    out = gdf.copy()
    out.geometry = shapely.transform(
        np.asarray(gdf.geometry.values), lambda c: shift_coords(c, direction)
    )
    return out


#: Projected CRSs surveyors around Qingyuan use, tried by :func:`suggest_crs` on numbers
#: that are not degrees. CGCS2000 Gauss–Krüger: 3-degree zones without the zone number
#: in the easting (4547, 4546), with it (4526 = zone 38, 4525 = zone 37), and the
#: 6-degree zone 19 with its number (4497). The 6-degree CM 111E without the number
#: (4508) is the same projection as 4546.
GAUSS_KRUGER_CANDIDATES: dict[int, str] = {
    4547: "CGCS2000 / 3-degree Gauss-Kruger CM 114E",
    4546: "CGCS2000 / 3-degree Gauss-Kruger CM 111E",
    4526: "CGCS2000 / 3-degree Gauss-Kruger zone 38, CM 114E",
    4525: "CGCS2000 / 3-degree Gauss-Kruger zone 37, CM 111E",
    4497: "CGCS2000 / 6-degree Gauss-Kruger zone 19, CM 111E",
}

#: How far outside :data:`QINGYUAN_BBOX` (degrees) a projected guess may land and
#: still be suggested: a park at the city edge, or the whole file's bounding box.
SUGGEST_MARGIN_DEG = 0.25


def parse_crs(value: str | int) -> str | CRS:
    """Understand a ``--crs`` value.

    Parameters
    ----------
    value : str or int
        An EPSG code (``4547``, ``"EPSG:4490"``), any text pyproj understands, or
        ``"gcj02"`` / ``"bd09"`` (and their aliases, see :data:`SHIFTED_DATUMS`).

    Returns
    -------
    str or pyproj.CRS
        ``"gcj02"`` or ``"bd09"`` for the shifted web-map datums, else the CRS.

    Raises
    ------
    CRSError
        When the value names no CRS.
    """
    from pyproj import CRS
    from pyproj.exceptions import CRSError as ProjCRSError

    datum = canonical_datum(str(value))
    if datum is not None:
        return datum
    text = str(value).strip()
    try:
        return CRS.from_user_input(f"EPSG:{text}" if text.isdigit() else text)
    except ProjCRSError as exc:
        raise CRSError(f"unknown CRS {value!r} (--crs): try an EPSG code such as 4547, or "
                       "gcj02 / bd09") from exc


def to_wgs84(gdf: gpd.GeoDataFrame, source_crs: str | int | None = None) -> gpd.GeoDataFrame:
    """Bring *gdf* to WGS84 longitude/latitude.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The data as read.
    source_crs : str or int, optional
        Overrides the CRS stored with the data: an EPSG code (``4547``,
        ``"EPSG:4490"``), any string pyproj understands, or ``"gcj02"`` / ``"bd09"``.
        Without it the data's own CRS is used, and data without any is taken as WGS84.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326.

    Raises
    ------
    CRSError
        When the CRS is not understood.
    """

    if source_crs is not None:
        parsed = parse_crs(source_crs)
        if isinstance(parsed, str):
            shifted = gdf.set_crs(WGS84, allow_override=True)
            return shift_frame(shifted, f"{parsed}_to_wgs84")
        gdf = gdf.set_crs(parsed, allow_override=True)
    elif gdf.crs is None:
        gdf = gdf.set_crs(WGS84)
    if is_wgs84(gdf.crs):
        return gdf
    return gdf.to_crs(WGS84)


@functools.lru_cache(maxsize=16)
def _transformer_to_wgs84(epsg: int):  # type: ignore[no-untyped-def]
    from pyproj import Transformer

    return Transformer.from_crs(f"EPSG:{epsg}", WGS84, always_xy=True)


def lands_in_qingyuan(bounds: tuple[float, float, float, float], epsg: int) -> bool:
    """Whether *bounds*, read in EPSG:*epsg*, fall in Qingyuan (within
    :data:`SUGGEST_MARGIN_DEG`): the test behind :func:`suggest_crs`, also asked of a
    file's own CRS."""
    minx, miny, maxx, maxy = bounds
    t = _transformer_to_wgs84(epsg)
    xs, ys = t.transform([minx, maxx, minx, maxx], [miny, miny, maxy, maxy])
    lo, m = QINGYUAN_BBOX, SUGGEST_MARGIN_DEG
    return all(np.isfinite(xs)) and all(np.isfinite(ys)) and (
        lo[0] - m <= min(xs) and max(xs) <= lo[2] + m
        and lo[1] - m <= min(ys) and max(ys) <= lo[3] + m)


def suggest_crs(bounds: tuple[float, float, float, float]) -> list[int]:
    """EPSG codes of :data:`GAUSS_KRUGER_CANDIDATES` that put *bounds* in Qingyuan.

    Parameters
    ----------
    bounds : tuple of float
        (minx, miny, maxx, maxy) of coordinates in metres whose CRS is unknown.

    Returns
    -------
    list of int
        The candidates, best first (usually exactly one: the zones do not overlap
        around Qingyuan); empty when none fits.
    """
    if not all(np.isfinite(bounds)):
        return []
    return [code for code in GAUSS_KRUGER_CANDIDATES if lands_in_qingyuan(bounds, code)]


def crs_choices(codes: list[int], *, option: bool) -> str:
    """*codes* (from :func:`suggest_crs`) named for a message: as ``--crs`` values with
    *option* (a boundary file, which takes one), else as EPSG codes to declare."""
    form = "--crs {}" if option else "EPSG:{}"
    return " or ".join(f"{form.format(c)} ({GAUSS_KRUGER_CANDIDATES[c]})" for c in codes)


def _crs_hint(codes: list[int], option: bool) -> str:
    if option:
        return "try " + crs_choices(codes, option=True)
    return f"likely {crs_choices(codes, option=False)}: {DECLARE}"


#: What to do with a layer or plots file whose CRS is wrong: no command takes a CRS
#: for them (only a surveyor's boundary has --crs).
DECLARE = ("declare the CRS in the file (a GeoPackage, or a Shapefile with its .prj) or "
           "convert it to longitude/latitude (WGS84) first")


def diagnose_boxes(boxes: np.ndarray, features: np.ndarray, *,
                   things: str = "features") -> str | None:
    """:func:`diagnose_lonlat` of features' bounding boxes, telling swapped axes in some
    features only.

    When some features have their axes swapped and the rest are degrees, the bounds of
    all of them span both and say neither ("not degrees"); the hint then says so and
    names the first swapped feature.

    Parameters
    ----------
    boxes : numpy.ndarray
        Shape (4, n): rows min x, min y, max x, max y of each feature (NaN: no geometry).
    features : numpy.ndarray
        The 1-based place in the file of each feature (column of *boxes*), for the message.
    things : str
        What the features are, for the message ("plots").
    """
    def bounds(cols: np.ndarray) -> tuple[float, float, float, float]:
        return (float(np.nanmin(cols[0])), float(np.nanmin(cols[1])),
                float(np.nanmax(cols[2])), float(np.nanmax(cols[3])))

    known = ~np.isnan(boxes).any(axis=0)
    if not known.any():
        return None
    boxes, features = boxes[:, known], np.asarray(features)[known]
    hint = diagnose_lonlat(bounds(boxes))
    if hint is None:
        return None
    odd = boxes[3] > 90  # a latitude nothing here has: its y holds a longitude
    if not odd.any() or odd.all() or diagnose_lonlat(bounds(boxes[:, ~odd])) is not None:
        return hint
    swapped = diagnose_lonlat(bounds(boxes[:, odd]))
    if swapped is None or not swapped.startswith("latitude and longitude look swapped"):
        return hint
    return f"{swapped}, in some {things} only (the first: feature #{int(features[np.argmax(odd)])})"


def diagnose_lonlat(bounds: tuple[float, float, float, float], *,
                    option: bool = False) -> str | None:
    """Explain why coordinates that claim to be WGS84 degrees cannot be, or return None.

    Parameters
    ----------
    bounds : tuple of float
        (minx, miny, maxx, maxy) of the data, in the units it claims to be degrees.

    Returns
    -------
    str or None
        A one-line hint naming the CRS to try (as a ``--crs`` with *option*, for a
        boundary file; else as a CRS to declare in the file), or ``None`` when the numbers
        look like longitude/latitude (anywhere: a boundary elsewhere in the world
        is refused later, as outside Qingyuan).

    Notes
    -----
    Projected numbers are recognised by trying each of :data:`GAUSS_KRUGER_CANDIDATES`
    and keeping those that land in Qingyuan, with the easting first and, as in
    Chinese survey tables (X = northing), with the northing first.
    """
    minx, miny, maxx, maxy = bounds
    lo, m = QINGYUAN_BBOX, 1.0
    if (lo[1] - m <= minx and maxx <= lo[3] + m and lo[0] - m <= miny and maxy <= lo[2] + m):
        return ("latitude and longitude look swapped (x holds ~24, y ~113): swap the axes "
                "(x is longitude)")
    if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        return None
    codes = suggest_crs(bounds)
    if codes:
        return f"coordinates look projected (metres), not degrees: {_crs_hint(codes, option)}"
    codes = suggest_crs((miny, minx, maxy, maxx))
    if codes:
        return ("coordinates look projected with the axes swapped (northing first, as in "
                f"Chinese survey tables): swap X and Y, then {_crs_hint(codes, option)}")
    return ("coordinates are not degrees and match no Gauss-Kruger zone around Qingyuan: "
            + ("give the file's CRS with --crs EPSG_CODE" if option else DECLARE))


def diagnose_converted(raw_bounds: tuple[float, float, float, float],
                       wgs84_bounds: tuple[float, float, float, float], crs: object) -> str | None:
    """Explain why a projected layer, converted to WGS84, cannot be Qingyuan's; or None.

    A layer that declares the wrong Gauss-Krüger zone converts without error to a place
    about 300 km away per 3° zone: valid degrees, but none of it near the city. *raw_bounds*
    are the file's own numbers, *wgs84_bounds* where its declared *crs* puts them.
    Returns None when any part lies within :data:`SUGGEST_MARGIN_DEG` of Qingyuan (a
    province-wide file is data; its plots in no park are counted as such).
    """
    minx, miny, maxx, maxy = wgs84_bounds
    lo, m = QINGYUAN_BBOX, SUGGEST_MARGIN_DEG
    if (np.isfinite(wgs84_bounds).all() and minx <= lo[2] + m and maxx >= lo[0] - m
            and miny <= lo[3] + m and maxy >= lo[1] - m):
        return None
    declared = getattr(crs, "to_epsg", lambda: None)()
    codes = [c for c in suggest_crs(raw_bounds) if c != declared]
    fit = "; its numbers fit " + crs_choices(codes, option=False) if codes else ""
    name = getattr(crs, "name", None) or str(crs)
    if not np.isfinite(wgs84_bounds).all():  # outside the projection's domain
        return (f"its numbers do not convert from its declared CRS ({name}) to longitude/"
                f"latitude{fit}: {DECLARE}")
    return (f"its declared CRS ({name}) puts it at {minx:.2f}–{maxx:.2f}°E "
            f"{miny:.2f}–{maxy:.2f}°N, nowhere near Qingyuan{fit}: {DECLARE}")


def is_wgs84(crs: object) -> bool:
    """Whether *crs* (pyproj CRS, PROJJSON dict, text; None: GeoParquet's default) is WGS84."""
    if crs is None:
        return True  # GeoParquet: a missing crs means OGC:CRS84
    # PROJJSON naming itself EPSG:4326 or OGC:CRS84 (what GeoPandas writes) is that CRS;
    # building it in pyproj to compare would delay the first plot.
    ident = crs.get("id") if isinstance(crs, dict) else None
    if isinstance(ident, dict) and (str(ident.get("authority")).upper(),
                                    str(ident.get("code")).upper()) in (("EPSG", "4326"),
                                                                        ("OGC", "CRS84")):
        return True
    from pyproj import CRS

    try:
        c = CRS.from_user_input(crs)
    except Exception:  # noqa: BLE001 - an unreadable CRS is not WGS84
        return False
    return c.equals("EPSG:4326", ignore_axis_order=True) or c.equals(
        "OGC:CRS84", ignore_axis_order=True)


def describe_crs(crs: CRS) -> str:
    code = crs.to_epsg(min_confidence=70)
    return f"EPSG:{code} ({crs.name})" if code else crs.name


@dataclass(frozen=True)
class SourceCRS:
    """How a surveyor's file's coordinates are read: its CRS, checked against its numbers."""

    text: str  # how the coordinates are read, for messages and the summary
    geographic: bool
    epsg: int | None
    notes: tuple[str, ...]


def ballpark_note(crs: CRS) -> str | None:
    """A warning when PROJ knows no datum shift from *crs*'s datum to WGS84 in Qingyuan
    (Xian 1980, Beijing 1954): the coordinates are then carried over as they are, a "ballpark"
    conversion of unknown accuracy. None for WGS84 and
    CGCS2000 (the same to a few centimetres) and for datums PROJ can shift."""
    datum = ballpark_datum(crs)
    if datum is None:
        return None
    return (f"PROJ knows no datum shift from {datum} to WGS84: the coordinates are "
            "taken over as they are (PROJ's \"ballpark\", of unknown accuracy); convert the "
            "file with the surveyors' parameters first, or check the boundary on the map")


def ballpark_datum(crs: CRS) -> str | None:
    """The name of *crs*'s geodetic CRS when PROJ has only a "ballpark" conversion between
    it and WGS84 in Qingyuan (see :func:`ballpark_note`); None otherwise. Intake and
    export both ask.

    The operations are those PROJ would choose for Qingyuan (its bounding box as the area
    of interest): Beijing 1954 has datum shifts for the Tarim basin, Ordos, the Yellow Sea,
    the Pearl River mouth offshore and Tonkin, none of which is used here, so its
    coordinates are carried over as Xian 1980's are.
    """
    from pyproj import CRS
    from pyproj.transformer import AreaOfInterest, TransformerGroup

    geodetic = crs.geodetic_crs
    if geodetic is None or any(geodetic.equals(CRS.from_epsg(c)) for c in (4326, 4490)):
        return None
    try:
        best = TransformerGroup(geodetic, CRS.from_epsg(4326), always_xy=True,
                                area_of_interest=AreaOfInterest(*QINGYUAN_BBOX)).transformers
    except Exception:  # noqa: BLE001 - pyproj raises several types; to_wgs84 names the fault
        return None
    if best and "ballpark" not in best[0].description.lower():
        return None
    return str(geodetic.name)


def resolve_source_crs(path: Path, file_crs: CRS | None, option: str | None,
                 raw_bounds: tuple[float, float, float, float]) -> SourceCRS:
    """Check that the numbers fit the CRS they will be read in; describe it.

    Raises CRSError for numbers that cannot be in that CRS (with a hint naming
    the ``--crs`` to try).
    """
    notes: list[str] = []
    epsg = None
    if option is not None:
        parsed = parse_crs(option)
        if isinstance(parsed, str):
            geographic, text = True, f"{'GCJ-02' if parsed == 'gcj02' else 'BD-09'} (--crs)"
        else:
            geographic, text = parsed.is_geographic, f"{describe_crs(parsed)} (--crs)"
            epsg = parsed.to_epsg(min_confidence=70)
        # GeoJSON always reads as WGS84 (RFC 7946): only a CRS a file chose is worth a note.
        chose = file_crs is not None and (not file_crs.is_geographic or path.suffix.lower()
                                          not in (".geojson", ".json", ".kml", ".kmz"))
        if chose and not (not isinstance(parsed, str) and parsed.equals(file_crs)):
            notes.append(f"{path.name} says its CRS is {describe_crs(file_crs)}; "
                         f"reading it as {text} as told")
    elif file_crs is None:
        geographic, text = True, "none in the file, taken as WGS84"
        if max(abs(v) for v in raw_bounds) <= 180:
            notes.append(f"{path.name} has no CRS (no .prj?): taken as WGS84 "
                         "longitude/latitude; give --crs if it is not")
    else:
        geographic, text = file_crs.is_geographic, describe_crs(file_crs)
        epsg = file_crs.to_epsg(min_confidence=70)
    source = (parsed if option is not None else file_crs)
    if source is not None and not isinstance(source, str):
        note = ballpark_note(source)
        if note:
            notes.append(f"{path.name}: {note}")
    minx, miny, maxx, maxy = raw_bounds
    if geographic:
        hint = diagnose_lonlat(raw_bounds, option=True)
        if hint:
            raise CRSError(f"{path}: {hint}")
    elif max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
        fix = "drop --crs" if option is not None else "its .prj/CRS is wrong: pass --crs 4326"
        raise CRSError(f"{path}: coordinates look like degrees ({minx:.4f}, {miny:.4f}), but "
                       f"they are read as {text}, a projected CRS in metres: {fix}")
    return SourceCRS(text=text, geographic=geographic, epsg=epsg, notes=tuple(notes))
