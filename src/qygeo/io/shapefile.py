"""What a Shapefile does to text, which every reader of one must undo the same way.

Surveyors' and ArcGIS/CASS Shapefiles often hold GBK text with no ``.cpg`` saying so
(GDAL then takes it as ISO-8859-1), and a ``.dbf`` keeps field names of at most ten
characters (``invested_yuan`` arrives as ``invested_y``). The readers of layers, plots
and boundaries (:mod:`qygeo.io.layers`, :mod:`qygeo.io.plot_files`,
:mod:`qygeo.io.boundary`) ask this module, so that a file reads alike everywhere.
"""

from __future__ import annotations

import codecs
import glob
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from qygeo.io.sniff import MAC_FORKS

#: Text encoding of a Shapefile whose attributes are not UTF-8 and that has no ``.cpg``:
#: older ArcGIS and CASS write Chinese in GBK, which GB18030 contains.
FALLBACK_ENCODING = "GB18030"
#: Bytes of a Shapefile's ``.dbf`` read to judge its encoding (text beyond them is
#: taken to be as these are).
DBF_SAMPLE_BYTES = 50_000_000
#: Bytes of records decoded at a time (the sample is never held whole).
CHUNK_BYTES = 1 << 18
#: A .dbf field name holds at most this many characters: GDAL cuts longer ones.
DBF_NAME_MAX = 10
#: Bytes of a ``.cpg`` read: it names an encoding (``UTF-8``, ``936``, ``GBK``).
CPG_MAX_BYTES = 64


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


def encoding(path: Path, layer: str | None = None) -> str | None:
    """The text encoding to read a Shapefile (``.shp``/``.dbf``, or a ``.zip`` holding
    one) in, or None to let GDAL read it as its ``.cpg`` says (any other file).

    GDAL takes a Shapefile without a ``.cpg`` as ISO-8859-1: GBK names came out as
    mojibake (香雪制药 as ``ÏãÑ©ÖÆÒ©``), or, through Arrow, as invalid text that failed
    later. A ``.cpg`` is not always right either: QGIS writes ``System``, other tools
    write nothing, ``ANSI 936`` or ``65001`` (which GDAL does not understand, and reads
    as ISO-8859-1 too), or ``UTF-8`` over GBK text (a Python traceback when the
    features were named). So the ``.dbf``'s text is judged whenever the ``.cpg`` does
    not plainly name an encoding the text decodes in:

    * a ``.cpg`` of ``UTF-8`` whose text is UTF-8: None (GDAL's own reading);
    * a ``.cpg`` naming another encoding the text decodes in (``GBK``, ``936``,
      ``ANSI 936``, ``65001``): that encoding, by its Python name (``gbk``);
    * no ``.cpg``, one naming none (``System``, empty), or one whose encoding the text
      does not decode in: ``UTF-8`` when it decodes as UTF-8, else
      :data:`FALLBACK_ENCODING`.

    In a zip, the Shapefile judged is *layer* (the member of that stem), with its own
    ``.cpg``: the one the reader reads. Without *layer*, it is the layer GDAL reads when
    none is named (its first). Each Shapefile of a zip may have its own encoding.
    """
    suffix = path.suffix.lower()
    if suffix in (".shp", ".dbf"):
        siblings = {p.name.lower(): p for p in path.parent.glob(f"{glob.escape(path.stem)}.*")}
        dbf = siblings.get(f"{path.stem.lower()}.dbf")
        if dbf is None:
            return None
        cpg = siblings.get(f"{path.stem.lower()}.cpg")
        try:
            claim = cpg.read_bytes()[:CPG_MAX_BYTES] if cpg is not None else None
            with open(dbf, "rb") as fh:
                return _judge(fh, claim)
        except OSError:
            return None  # the reader names the problem
    elif suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as z:
                members = _zip_member(path, z.namelist(), layer)
                if members is None:
                    return None
                dbf_member, cpg_member = members
                claim = None
                if cpg_member is not None:
                    with z.open(cpg_member) as fh:
                        claim = fh.read(CPG_MAX_BYTES)
                with z.open(dbf_member) as fh:
                    return _judge(fh, claim)
        except (zipfile.BadZipFile, OSError, zlib.error):
            return None  # the reader names the problem
    return None


def text_codec(name: str) -> str | None:
    """The Python name of the text encoding *name* names (``gbk`` for ``CP936``), or None
    when Python knows none of that name or it is not a text encoding.

    ``codecs.lookup`` also knows bytes-to-bytes codecs (``hex``, ``base64``, ``zlib``,
    ``uu``, ``bz2``, ``quopri``) and ``rot13`` (str to str): named by a ``.cpg`` or
    ``--encoding``, they failed with a traceback deep in the reader, or read the
    attributes as other text (``base64``) so that no feature had its name.
    """
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    return info.name if getattr(info, "_is_text_encoding", True) else None


#: Encodings a ``.cpg`` is followed in (Python's names): those of Chinese and Western
#: survey files that GDAL also reads. Another named encoding (``mac-roman``, ``palmos``)
#: is judged as a missing ``.cpg`` is: a single-byte one decodes any bytes, so its text
#: decoding is no sign the claim is right, and GDAL may not know its name.
CPG_ENCODINGS = ("utf-8", "gbk", "gb2312", "gb18030", "big5", "cp950", "cp1252",
                 "iso8859-1", "ascii")


def cpg_codec(claim: bytes) -> str | None:
    """The Python codec a ``.cpg``'s text names (``gbk`` for ``936``, ``ANSI 936`` or
    ``CP936``; ``utf-8`` for ``65001``), or None when it names none of
    :data:`CPG_ENCODINGS` (``System``, empty, unknown, not a text encoding: see
    :func:`text_codec`)."""
    text = claim.decode("ascii", "replace").strip()
    number = re.fullmatch(r"(?:ANSI|CP)?\s*(\d+)", text, re.IGNORECASE)
    if number is not None:  # a Windows code page, as GDAL reads a number
        text = "utf-8" if number[1] == "65001" else f"cp{number[1]}"
    codec = text_codec(text) if text else None
    return codec if codec in CPG_ENCODINGS else None


def _zip_member(path: Path, names: list[str],
                layer: str | None) -> tuple[str, str | None] | None:
    """The ``.dbf`` member of a zip read as *layer* (None: as GDAL's first layer) and
    its ``.cpg`` member (None without one), or None when there is no such ``.dbf``."""
    by_stem: dict[str, dict[str, str]] = {}  # "dir/stem" → lower suffix → member
    for name in names:
        if name.startswith(MAC_FORKS) or name.endswith("/"):
            continue  # macOS's resource forks (._x.dbf) are not layers
        stem, dot, ext = name.rpartition(".")
        if dot:
            by_stem.setdefault(stem, {})[f".{ext.lower()}"] = name
    tables = {stem: files for stem, files in by_stem.items() if ".dbf" in files}
    if layer is None and len(tables) > 1:
        layer = _first_layer(path)
    if layer is not None:
        tables = {stem: files for stem, files in tables.items()
                  if stem.rpartition("/")[2] == layer}
    if len(tables) != 1:
        return None  # no such layer (the reader says so), or several of one name
    (files,) = tables.values()
    return files[".dbf"], files.get(".cpg")


def _first_layer(path: Path) -> str | None:
    """The layer GDAL reads from *path* when none is named (it follows the archive's
    order, not the names'), or None when GDAL cannot list them (the reader says why)."""
    import pyogrio

    from qygeo.io.gdal_paths import gdal_name

    try:
        listed = pyogrio.list_layers(gdal_name(path))
    except Exception:  # noqa: BLE001 - GDAL raises several types; the reader names it
        return None
    return str(listed[0][0]) if len(listed) else None


def _judge(fh: BinaryIO, claim: bytes | None = None) -> str | None:
    """The encoding to read the ``.dbf`` open as *fh* in, its ``.cpg`` holding *claim*
    (None without one), as :func:`encoding` says; None also for a file too short to be
    a ``.dbf``. Judged on its first :data:`DBF_SAMPLE_BYTES`.

    Only text is judged, per the dBASE layout: each field name (the first 11 bytes of a
    32-byte field descriptor from byte 32 on, up to the 0x0D that ends them) and the
    records (from the header length, bytes 8–9, on). The rest of the header is binary:
    a field's width byte of 128 or more (ArcGIS writes 254) is not UTF-8, and a UTF-8
    file was read as GB18030 (香雪制药 as 棣欓洩鍒惰嵂). The records are decoded a
    chunk at a time and the text dropped: only whether it decodes is wanted.
    """
    claimed = cpg_codec(claim) if claim is not None else None
    head = fh.read(32)
    if len(head) < 32:
        return None
    descriptors = fh.read(max(int.from_bytes(head[8:10], "little") - 32, 0))
    # One pass decodes the text in each candidate; a candidate that fails is dropped.
    decoders = {name: codecs.getincrementaldecoder(name)()
                for name in dict.fromkeys(n for n in (claimed, "utf-8") if n is not None)}

    def feed(data: bytes, *, final: bool, fresh: bool = False) -> None:
        for name in list(decoders):
            try:
                if fresh:  # a field name: GDAL cuts a long one inside a character
                    codecs.getincrementaldecoder(name)().decode(data, final=False)
                else:
                    decoders[name].decode(data, final=final)
            except UnicodeError:  # also "undefined", UTF-16 without a byte-order mark
                del decoders[name]

    for start in range(0, len(descriptors), 32):
        if descriptors[start] == 0x0D:
            break
        feed(descriptors[start:start + 11].split(b"\0", 1)[0], final=False, fresh=True)
    left = DBF_SAMPLE_BYTES - len(head) - len(descriptors)
    while decoders and left > 0 and (chunk := fh.read(min(CHUNK_BYTES, left))):
        feed(chunk, final=False)
        left -= len(chunk)
    feed(b"", final=left > 0)  # a sample cut inside a character decodes
    if claimed is not None and claimed in decoders:
        return None if claimed == "utf-8" and _plain_utf8(claim) else claimed
    return "UTF-8" if "utf-8" in decoders else FALLBACK_ENCODING


def _plain_utf8(claim: bytes | None) -> bool:
    """Whether a ``.cpg`` says UTF-8 the way GDAL understands (``UTF-8``, ``UTF8``)."""
    return claim is not None and claim.strip().upper() in (b"UTF-8", b"UTF8")


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
