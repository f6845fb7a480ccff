"""What a Shapefile does to text, which every reader of one must undo the same way.

Surveyors' and ArcGIS/CASS Shapefiles often hold GBK text with no ``.cpg`` saying so
(GDAL then takes it as ISO-8859-1), and a ``.dbf`` keeps field names of at most ten
characters (``invested_yuan`` arrives as ``invested_y``). The readers of layers, plots
and boundaries (:mod:`qygeo.io.layers`, :mod:`qygeo.io.plot_files`,
:mod:`qygeo.io.boundary`) ask this module, so that a file reads alike everywhere.
"""

from __future__ import annotations

import glob
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

#: Text encoding of a Shapefile whose attributes are not UTF-8 and that has no ``.cpg``:
#: older ArcGIS and CASS write Chinese in GBK, which GB18030 contains.
FALLBACK_ENCODING = "GB18030"
#: Bytes of a zipped Shapefile's ``.dbf`` read to judge its encoding (beyond: GB18030 is
#: judged on these).
DBF_SAMPLE_BYTES = 50_000_000
#: A .dbf field name holds at most this many characters: GDAL cuts longer ones.
DBF_NAME_MAX = 10


def is_shapefile(path: Path) -> bool:
    """A ``.shp``/``.dbf``, or a ``.zip`` holding one (as GDAL reads it)."""
    suffix = path.suffix.lower()
    if suffix in (".shp", ".dbf"):
        return True
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                return any(n.lower().endswith(".shp") for n in z.namelist())
        except (zipfile.BadZipFile, OSError):
            return False
    return False


def encoding(path: Path) -> str | None:
    """The text encoding of a Shapefile (``.shp``/``.dbf``, or a ``.zip`` holding one)
    without a ``.cpg``: UTF-8 when its ``.dbf`` decodes as UTF-8, else
    :data:`FALLBACK_ENCODING`. None for any other file, or one whose ``.cpg`` says.

    GDAL takes such a file as ISO-8859-1: GBK names came out as mojibake (香雪制药 as
    ``ÏãÑ©ÖÆÒ©``), or, through Arrow, as invalid text that failed later.
    """
    suffix = path.suffix.lower()
    data = None
    if suffix in (".shp", ".dbf"):
        siblings = {p.name.lower(): p for p in path.parent.glob(f"{glob.escape(path.stem)}.*")}
        dbf = siblings.get(f"{path.stem.lower()}.dbf")
        if dbf is None or f"{path.stem.lower()}.cpg" in siblings:
            return None
        with open(dbf, "rb") as fh:
            data = fh.read(DBF_SAMPLE_BYTES)
    elif suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                names = [n.lower() for n in z.namelist()]
                dbfs = [n for n in z.namelist() if n.lower().endswith(".dbf")]
                if not dbfs or any(n.endswith(".cpg") for n in names):
                    return None
                with z.open(dbfs[0]) as fh:
                    data = fh.read(DBF_SAMPLE_BYTES)
        except (zipfile.BadZipFile, OSError):
            return None  # the reader names the problem
    if data is None or len(data) < 32:
        return None
    try:
        data[32:].decode("utf-8")  # field names and records alike
    except UnicodeDecodeError as exc:
        # A sample cut inside a character is still UTF-8.
        if not (len(data) == DBF_SAMPLE_BYTES and exc.start >= len(data) - 4):
            return FALLBACK_ENCODING
    return "UTF-8"


def renames(columns: Sequence[str], known: Iterable[str]) -> dict[str, str]:
    """The fields among *columns* whose names GDAL cut to :data:`DBF_NAME_MAX`
    characters, each mapped to the *known* column it was (``invested_y`` →
    ``invested_yuan``).

    Only a cut that one known column gives, and whose full name is not there too, is
    mapped: otherwise a plots Shapefile lost every contract column silently
    (investment and idle figures n/a).
    """
    by_cut: dict[str, list[str]] = {}
    for name in dict.fromkeys(known):
        if len(name) > DBF_NAME_MAX:
            by_cut.setdefault(name[:DBF_NAME_MAX], []).append(name)
    present = set(columns)
    return {cut: names[0] for cut, names in by_cut.items()
            if len(names) == 1 and cut in present and names[0] not in present}
