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
    written as a ``\\uXXXX`` escape, as JSON allows and GDAL decodes."""
    return b'"' + b"".join(b"(?:%s|\\\\u%04x)" % (re.escape(c.encode()), ord(c))
                           for c in word) + b'"'


_CRS_LINK = re.compile(_json_word("type") + rb"\s*:\s*" + _json_word("link"), re.I)
_CRS_MEMBER = re.compile(_json_word("crs") + rb"\s*:")
#: The forms of a GeoJSON 2008 ``crs`` name GDAL reads (others it takes as WGS84 without a
#: word): EPSG codes, as a URN (with or without a version) or ``EPSG:n``, and OGC's CRS84.
_GDAL_CRS_NAME = re.compile(r"(?:urn:ogc:def:crs:EPSG:[\d.]*:\d+|EPSG:\d+|"
                            r"urn:ogc:def:crs:OGC:1\.3:CRS84|OGC:CRS84)", re.I)


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
        _check_crs_link(path)


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


def _check_crs_link(path: Path) -> None:
    """Refuse a GeoJSON file whose ``crs`` is a link (GDAL would fetch it), or names a
    CRS that cannot be read (GDAL takes the coordinates as WGS84 then, without a word:
    ``"GCJ02"`` put Amap coordinates 600 m off).

    The text is searched first; only a file that holds ``"type": "link"`` or a ``"crs"``
    member somewhere is parsed, to tell a ``crs`` from a property of that name.
    """
    data = path.read_bytes()
    link, named = _CRS_LINK.search(data), _CRS_MEMBER.search(data)
    if not (link or named):
        return
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return  # the reader names the fault; GDAL cannot read it either
    if link and _has_crs_link(doc):
        raise DataFileError(path, "gives its CRS as a link, which qygeo does not fetch: "
                                  "remove the \"crs\" member and give the CRS with --crs")
    name = doc.get("crs", {}).get("properties", {}).get("name") if isinstance(
        doc, dict) and isinstance(doc.get("crs"), dict) and isinstance(
        doc["crs"].get("properties"), dict) else None
    if name is not None and not _readable_crs(name):
        raise DataFileError(path, f"names its CRS {str(name)[:80]!r}, which is not a CRS "
                                  "qygeo can read (GDAL would take the coordinates as WGS84): "
                                  "remove the \"crs\" member and give the CRS with --crs "
                                  "(gcj02 for Amap coordinates), or convert the file to WGS84")


def _readable_crs(name: object) -> bool:
    """Whether a GeoJSON ``crs`` name is one GDAL reads (:data:`_GDAL_CRS_NAME`) and PROJ
    knows: a name PROJ finds by itself (``Beijing 1954``) GDAL does not look up."""
    if not isinstance(name, str) or not _GDAL_CRS_NAME.fullmatch(name.strip()):
        return False
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(name)
    except CRSError:
        return False
    return True


def _has_crs_link(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    crs = doc.get("crs")
    if isinstance(crs, dict) and str(crs.get("type", "")).lower() == "link":
        return True
    features = doc.get("features")
    parts = [doc.get("geometry")] + (features if isinstance(features, list) else [])
    return any(isinstance(p, dict) and (_has_crs_link(p) or _has_crs_link(p.get("geometry")))
               for p in parts)
