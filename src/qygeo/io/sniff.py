"""A file is read only as the format its name says, and never makes qygeo fetch anything.

GDAL chooses a driver by what a file holds, not by its name. An XML document of
GDAL's virtual format (OGR VRT) sent as ``survey.kml``, ``survey.gpkg`` or a
``.shp`` in a zip would make GDAL read any file it names (``/etc/passwd``) and
fetch any URL it names, and a plain SQLite file sent as ``.gpkg`` would be
opened by GDAL's generic SQLite driver. So before GDAL sees a file, its first
bytes must be those of the format of its suffix (:func:`check_content`).

A GeoJSON ``"crs"`` given as a link (GeoJSON 2008) makes GDAL fetch the link: such
a file is refused too (RFC 7946 GeoJSON has no ``crs``; ``--crs`` says it).
"""

from __future__ import annotations

import glob
import json
import re
import zipfile
from pathlib import Path

from qygeo.errors import DataFileError

#: The first bytes of each binary format, by suffix.
MAGIC = {
    ".shp": (b"\x00\x00\x27\x0a",),
    ".gpkg": (b"SQLite format 3\x00",),
    ".sqlite": (b"SQLite format 3\x00",),
    ".fgb": (b"fgb\x03",),
    ".zip": (b"PK\x03\x04", b"PK\x05\x06"),
    ".kmz": (b"PK\x03\x04",),
}
#: A GeoPackage's SQLite ``application_id`` (header bytes 68–71): GeoPackage 1.2+ and
#: the two before it.
GPKG_IDS = (b"GPKG", b"GP10", b"GP11")
#: Formats that GDAL reads from text, whose first character is checked.
TEXT_FIRST = {".geojson": b"{", ".json": b"{"}
#: GDAL's virtual and service formats: a file that names other files or URLs to read
#: (OGR VRT, raster VRT, a WFS or WMS service description).
VIRTUAL = (b"<ogrvrtdatasource", b"<vrtdataset", b"<ogrwfsdatasource", b"<gdal_wms")
#: The files of a Shapefile GDAL opens beside the one it is given (any case).
SHAPEFILE_PARTS = (".shp", ".dbf", ".shx", ".prj", ".cpg")
#: Bytes read from the start of a file (and of each archive member) to check it.
HEAD_BYTES = 4096
#: Members of an archive checked, at most (a Shapefile archive holds a handful).
MAX_MEMBERS = 1000

_XML_PROLOGUE = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|\s)*", re.S)


def _json_word(word: str) -> bytes:
    """A regular expression for the JSON string *word* (ASCII) with any of its letters
    written as a ``\\uXXXX`` escape of either case, as JSON allows and GDAL decodes."""
    return b'"' + b"".join(b"(?:%s|\\\\u%04x|\\\\u%04x)" % (re.escape(c.encode()),
                                                         ord(c.lower()), ord(c.upper()))
                           for c in word) + b'"'


_CRS_MEMBER = re.compile(_json_word("crs") + rb"\s*:", re.I)
#: The forms of a GeoJSON 2008 ``crs`` name GDAL reads (others it takes as WGS84 without a
#: word): an authority's code as a URN, an OpenGIS URL or ``AUTH:code``, and WGS84.
_GDAL_CRS_NAME = re.compile(
    r"(?:urn:(?:x-)?ogc:def:crs:(?:EPSG|OGC|ESRI):(?:[\d.]*:)?\w+"
    r"|https?://www\.opengis\.net/def/crs/(?:EPSG|OGC)/[\d.]+/\w+"
    r"|(?:EPSG|ESRI|OGC|CRS):\w+|WGS ?84)", re.I)


def check_content(path: Path) -> None:
    """Raise :class:`DataFileError` unless *path*'s bytes are the format its suffix names.

    A folder (FileGDB) and suffixes GDAL does not pick by content (GeoParquet and
    xlsx, read by pyarrow and openpyxl) are left as they are; any other file that is
    one of GDAL's virtual formats is refused whatever its name.
    """
    if path.is_dir() or not path.exists():
        return
    if not path.is_file():  # a FIFO would hang the reader, /dev/zero never end
        raise DataFileError(path, "is not a regular file (a pipe or a device): give a file")
    suffix = path.suffix.lower()
    if suffix in SHAPEFILE_PARTS:
        _check_companions(path)
    if suffix in (".parquet", ".geoparquet", ".xlsx", ".xlsm"):
        return
    with open(path, "rb") as fh:
        head = fh.read(HEAD_BYTES)
    _check_head(path, suffix, head)
    if suffix in (".zip", ".kmz"):
        _check_members(path)
    if suffix in TEXT_FIRST:
        _check_crs_members(path)


def _check_companions(path: Path) -> None:
    """Refuse a Shapefile one of whose other files (:data:`SHAPEFILE_PARTS`) is there but
    not a regular file: GDAL opens them too, and a FIFO ``.dbf`` hung it for good, a
    ``.dbf`` linked to ``/dev/zero`` filled the memory."""
    for other in path.parent.glob(f"{glob.escape(path.stem)}.*"):
        if (other.stem == path.stem and other.suffix.lower() in SHAPEFILE_PARTS
                and other.exists() and not other.is_file()):
            raise DataFileError(path, f"{other.name} beside it is not a regular file (a pipe "
                                      "or a device): give the Shapefile's files")


def _check_head(path: object, suffix: str, head: bytes, *, member: str | None = None) -> None:
    where = f"{member} in it" if member else "it"
    text = head.removeprefix(b"\xef\xbb\xbf")
    start = text[_XML_PROLOGUE.match(text).end():] if text.lstrip()[:1] == b"<" else text
    # GDAL's VRT driver looks for its root element anywhere in a file's first kilobyte
    # (after a DOCTYPE, for one), so the whole head is searched.
    if any(tag in head.lower() for tag in VIRTUAL) or suffix == ".vrt":
        raise DataFileError(path, f"{where} is a GDAL virtual file, which names other files "
                                  "or URLs to read: send the data itself")
    if suffix in MAGIC and not head.startswith(MAGIC[suffix]):
        raise DataFileError(path, f"{where} is not a {suffix} file (its first bytes are not "
                                  "those of the format its name says)")
    if suffix == ".gpkg" and head[68:72] not in GPKG_IDS:
        raise DataFileError(path, f"{where} is an SQLite database but not a GeoPackage")
    if suffix in TEXT_FIRST and text.lstrip()[:1] != TEXT_FIRST[suffix]:
        raise DataFileError(path, f"{where} is not GeoJSON (a GeoJSON file is one JSON object)")
    if suffix == ".kml":
        if start.lower().startswith(b"<!doctype"):
            raise DataFileError(path, f"{where}: a KML file with a DOCTYPE is not read "
                                      "(a DOCTYPE can name other files to read)")
        if not re.match(rb"<(?:[\w.-]+:)?kml[\s>/]", start):
            raise DataFileError(path, f"{where} is not KML (its first element is not <kml>)")
    if suffix == ".csv" and text.lstrip()[:1] == b"<":
        raise DataFileError(path, f"{where} is not CSV text (it starts with markup)")


#: The folder macOS's "Compress" adds to a zip, of AppleDouble files (``._g.shp``: the
#: resource fork of ``g.shp``, not a Shapefile), which no reader opens.
MAC_FORKS = "__MACOSX/"


def _check_members(path: Path) -> None:
    """Each member of a zip (zipped Shapefile) or KMZ, by its own suffix (macOS's
    :data:`MAC_FORKS` only for GDAL's virtual formats)."""
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist()[:MAX_MEMBERS]:
                if info.is_dir():
                    continue
                with zf.open(info) as fh:
                    head = fh.read(HEAD_BYTES)
                suffix = Path(info.filename).suffix.lower()
                if info.filename.startswith(MAC_FORKS):
                    suffix = ".bin"  # named like its file, not of its format
                _check_head(path, suffix, head, member=info.filename)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
        raise DataFileError(path, f"is not a readable zip archive ({exc})") from None


def _check_crs_members(path: Path) -> None:
    """Refuse a GeoJSON file with a ``crs`` member GDAL would act on wrongly: a link (GDAL
    fetches it), or a name GDAL cannot read (it takes the coordinates as WGS84 then,
    without a word: ``"GCJ02"`` put Amap coordinates 600 m off).

    GDAL reads the member's keys in any case, tolerates what strict JSON refuses (a
    trailing comma, a raw tab) and decodes escapes, so every ``crs`` key the bytes hold
    (:data:`_CRS_MEMBER`, escaped letters and any case) is decoded on its own, from a window
    after it; only a plain ``{"type": "name", "properties": {"name": …}}`` naming a CRS
    GDAL reads passes (a ``crs`` that is not an object, a property's text, is no CRS).
    The file is never parsed whole: GDAL and QGIS write a ``crs`` member in every file.
    """
    data = path.read_bytes()
    decoder = json.JSONDecoder()
    for m in _CRS_MEMBER.finditer(data):
        window = data[m.end():m.end() + CRS_WINDOW_BYTES].decode("utf-8", errors="replace")
        start = len(window) - len(window.lstrip())
        if window[start:start + 1] != "{":
            continue  # text or a number: no CRS to GDAL
        try:
            crs, _end = decoder.raw_decode(window, start)
        except (ValueError, RecursionError):
            raise DataFileError(path, "has a crs member qygeo cannot check (not strict JSON, "
                                      "or over 64 KB): remove the \"crs\" member and give "
                                      "the CRS with --crs") from None
        _check_crs_member(path, crs)


#: Bytes after a ``crs`` key read to decode its value (a CRS member is some hundred bytes).
CRS_WINDOW_BYTES = 1 << 16


def _ci(obj: dict[str, object], key: str) -> object:
    """*obj*'s member *key* in any case, as GDAL reads GeoJSON's CRS keys."""
    return next((v for k, v in obj.items() if isinstance(k, str) and k.lower() == key), None)


def _check_crs_member(path: Path, crs: object) -> None:
    if not isinstance(crs, dict):
        return
    kind = str(_ci(crs, "type") or "").strip().lower()
    if kind.startswith(("link", "url")):  # GDAL fetches what these name
        raise DataFileError(path, "gives its CRS as a link, which qygeo does not fetch: "
                                  "remove the \"crs\" member and give the CRS with --crs")
    if kind != "name":
        raise DataFileError(path, f"gives its CRS as {kind[:40] or 'a member of no type'!r}, "
                                  "not a name qygeo can read: remove the \"crs\" member and "
                                  "give the CRS with --crs")
    props = _ci(crs, "properties")
    name = _ci(props, "name") if isinstance(props, dict) else None
    if not _readable_crs(name):
        raise DataFileError(path, f"names its CRS {str(name)[:80]!r}, which is not a CRS "
                                  "qygeo can read (GDAL would take the coordinates as WGS84): "
                                  "remove the \"crs\" member and give the CRS with --crs "
                                  "(gcj02 for Amap coordinates), or convert the file to WGS84")


def _readable_crs(name: object) -> bool:
    """Whether a GeoJSON ``crs`` name is one GDAL reads (:data:`_GDAL_CRS_NAME`) and PROJ
    knows: a name PROJ finds by itself (``Beijing 1954``) GDAL does not look up."""
    if not isinstance(name, str) or not _GDAL_CRS_NAME.fullmatch(name.strip()):
        return False
    if name.strip().upper() == "CRS:84":  # GDAL's name of OGC:CRS84, which PROJ lacks
        return True
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(name.strip())
    except CRSError:
        return False
    return True
