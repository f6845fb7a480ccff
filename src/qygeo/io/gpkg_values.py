"""What GDAL would change in a GeoPackage's values, refused before it reads them.

SQLite keeps any value in any column: text ``5,000,000`` in a REAL column, which GDAL
reads as 5, ``TBD`` in a DATE column, which it reads as 1970-01-01 (and 2024-02-30 as
2024-03-01), a fraction in an integer column (cut) or 5e9 in a MEDIUMINT (wrapped round),
with no word. :func:`check_gpkg_values` reads the columns qygeo takes as numbers or dates
(:func:`qygeo.io.layers.typed_columns`, which its callers pass) with SQLite itself and names
the first such value, in the words the text readers use. Every reader of a GeoPackage
calls it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sqlite3
from pathlib import Path

from qygeo.errors import DataFileError
from qygeo.io import plot_rows

#: Whole-number SQLite column types GDAL reads in a GeoPackage as 16-bit integers (40,000
#: wraps round to −25,536) and as 32-bit ones (5e9 wraps round); any other type naming INT
#: it reads as a 64-bit integer.
GPKG_INT_RANGES = {"TINYINT": (-(2**15), 2**15 - 1), "SMALLINT": (-(2**15), 2**15 - 1),
                   "MEDIUMINT": (-(2**31), 2**31 - 1)}
INT64_RANGE = (-(2**63), 2**63 - 1)
GPKG_DATE_TYPES = ("DATE", "DATETIME")
#: A date as GDAL reads one (``2021-04-20``, ``2021-4-20``, ``2021/04/20``, a time after a T
#: or a space): year, month, day.
_GDAL_DATE = re.compile(r"\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ].*)?\s*", re.S)


def _gpkg_kind(declared: object) -> str | None:
    """How GDAL reads a GeoPackage column of SQLite type *declared*: a key of
    :data:`GPKG_INT_RANGES`, ``"int64"``, ``"number"``, ``"date"``, or None (text, a blob:
    qygeo parses it)."""
    kind = str(declared or "").upper().split("(")[0].strip()
    if kind in GPKG_DATE_TYPES:
        return "date"
    if kind in GPKG_INT_RANGES:
        return kind
    if "INT" in kind:  # SQLite's affinity rules, which GDAL follows for other names
        return "int64"
    if not kind or any(t in kind for t in ("CHAR", "CLOB", "TEXT", "BLOB")):
        return None
    return "number"  # REAL, FLOAT, DOUBLE, NUMERIC, DECIMAL, …


def _gdal_date_ok(value: object) -> bool:
    """Whether GDAL reads *value* of a DATE column as the date it says."""
    m = _GDAL_DATE.fullmatch(value) if isinstance(value, str) else None
    if m is None:
        return False
    try:
        dt.date(*map(int, m.groups()))
    except ValueError:
        return False
    return True


def _quoted(name: str) -> str:
    """*name* as an SQLite identifier."""
    return '"' + name.replace('"', '""') + '"'


def check_gpkg_values(path: Path, layer: str | None, numeric: frozenset[str],
                      dates: frozenset[str]) -> None:
    """Refuse a GeoPackage whose number or date column holds a value GDAL would change.

    The columns named in *numeric* and *dates* are checked. Numbers are checked in one
    pass of the table, dates by each date column's distinct
    values. A file already checked as it is now (same size and time) is not read again:
    the plot engine and a format that lists the plots both open it.

    Raises
    ------
    DataFileError
        Naming the feature, the column and the value.
    """
    try:
        st = path.stat()
    except OSError:
        return  # the reader names a file it cannot open
    _check(str(path.resolve()), st.st_mtime_ns, st.st_size, layer, numeric, dates, path)


@functools.lru_cache(maxsize=8)
def _check(real: str, _mtime_ns: int, _size: int, layer: str | None, numeric: frozenset[str],
           dates: frozenset[str], path: Path) -> None:
    try:
        con = sqlite3.connect(f"{Path(real).as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # GDAL names what it cannot open
    try:
        tables = [r[0] for r in con.execute("SELECT table_name FROM gpkg_contents")]
        if layer is None:
            table = tables[0] if len(tables) == 1 else None
        else:  # GDAL takes a layer name in any case
            table = layer if layer in tables else next(
                (t for t in tables if t.casefold() == layer.casefold()), None)
        if table is None:
            return  # GDAL chooses and names the layer
        quoted = _quoted(table)

        def refuse(rowid: object, words: str) -> None:
            raise DataFileError(path, f"feature with fid {rowid}: {words}: correct it in the "
                                      "file")

        checks: list[tuple[str, str, str]] = []  # (column, SQL true when bad, kind)
        date_columns = []
        for _cid, name, declared, *_ in con.execute(f"PRAGMA table_info({quoted})"):
            col, kind = _quoted(name), _gpkg_kind(declared)
            if name in dates and kind == "date":
                date_columns.append((name, col))
            elif name in numeric and kind not in (None, "date"):
                checks.append((name, f"typeof({col}) IN ('text', 'blob')", "number"))
                if kind != "number":  # a fraction is cut, a large number wraps
                    lo, hi = GPKG_INT_RANGES.get(kind, INT64_RANGE)
                    checks.append((name, f"(typeof({col}) = 'real' OR {col} < {lo} OR "
                                         f"{col} > {hi})", str(declared).upper()))
        if checks:
            row = con.execute(f"SELECT rowid, {', '.join(c[1] for c in checks)} FROM {quoted} "
                              f"WHERE {' OR '.join(c[1] for c in checks)} LIMIT 1").fetchone()
            if row is not None:
                name, _sql, kind = next(c for c, bad in zip(checks, row[1:], strict=True)
                                        if bad)
                value = con.execute(f"SELECT {_quoted(name)} FROM {quoted} WHERE rowid = ?",
                                    (row[0],)).fetchone()[0]
                refuse(row[0], plot_rows.NOT_A_NUMBER.format(col=name, value=value)
                       + ", in a column GDAL would read otherwise" if kind == "number" else
                       f"{name} {value!r} does not fit its {kind} column (GDAL would read "
                       "another number)")
        for name, col in date_columns:
            for (value,) in con.execute(f"SELECT DISTINCT {col} FROM {quoted} "
                                        f"WHERE {col} IS NOT NULL"):
                if not _gdal_date_ok(value):
                    row = con.execute(f"SELECT rowid FROM {quoted} WHERE {col} = ? LIMIT 1",
                                      (value,)).fetchone()
                    refuse(row[0] if row else "?",
                           plot_rows.NOT_A_DATE.format(col=name, value=value)
                           + ", in a column GDAL would read otherwise")
    except sqlite3.Error:
        return  # not SQLite as GeoPackage means it: GDAL names the fault
    finally:
        con.close()
