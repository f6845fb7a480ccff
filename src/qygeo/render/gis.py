"""The report with its geometry, for QGIS and ArcGIS: GeoPackage (with styles), GeoJSON, FlatGeobuf.

:func:`export_layers` writes four layers — ``districts``, ``parks`` (every report
column: intensities with their basis, idle counts, grades, targets), ``planting``
(each area's mapped acreage) and ``plots`` (idle status, reason, days, fee, grade,
areas in m² and mu) — from one built report.

A GeoPackage holds all four, and QGIS styles in its ``layer_styles`` table (the
table QGIS itself writes when a style is saved to the database): parks by the same
intensity classes and colours as the HTML maps (:mod:`qygeo.render.styles`), plots
by idle status, so QGIS opens the file looking like the HTML map. GeoJSON and
FlatGeobuf hold one layer per file: ``OUT.geojson`` becomes ``OUT-parks.geojson``,
``OUT-plots.geojson`` …

The CRS is WGS84 (EPSG:4326) unless ``crs`` names another, such as CGCS2000
(EPSG:4490) or one of its Gauss–Krüger zones (EPSG:4547, 3-degree zone on 114°E, for
Qingyuan); GeoJSON is WGS84 only (RFC 7946). Every file is written under a temporary
name in its folder, fsynced and read back whole, and only when all are good are they
renamed (:func:`qygeo.io.atomic.atomic_write_files`): a failed or interrupted export
(a full disk) leaves every old file as it was and no half file.
"""

from __future__ import annotations

import json
import os
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.errors import QygeoError
from qygeo.render import styles
from qygeo.values import is_missing

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

    from qygeo.pipeline.report import Report

#: Output formats by suffix: (GDAL driver, layers per file).
GIS_FORMATS = {".gpkg": ("GPKG", "all"), ".geojson": ("GeoJSON", "one"),
               ".fgb": ("FlatGeobuf", "one")}
#: Layer names, in the order they are written (and listed by QGIS).
LAYERS = ("districts", "parks", "planting", "plots")


class ExportError(QygeoError):
    """The export cannot be written as asked (format, CRS)."""


def export_layers(rep: Report, path: str | os.PathLike[str], *,
                  crs: str | int | None = None) -> list[Path]:
    """Write the report's layers with their geometry to *path*; return the files written.

    Parameters
    ----------
    rep : Report
        A report built with its data set (:func:`qygeo.report`).
    path : path-like
        ``.gpkg`` (all layers and their QGIS styles), ``.geojson`` or ``.fgb`` (one file
        per layer beside *path*).
    crs : str or int, optional
        An EPSG code (``4490``, ``"EPSG:4547"``) for the output; default WGS84.

    Raises
    ------
    ExportError
        Unknown extension, a CRS that is no EPSG CRS (``gcj02`` is a shift, not a CRS),
        or a GeoJSON asked for in another CRS than WGS84; a layer that does not read
        back whole (a full disk).
    DataFileError
        An output that cannot be written (a folder, no permission, disk full).
    """
    from qygeo.io.atomic import atomic_write_files

    path, target = check_target(path, crs)
    frames = {name: frame.to_crs(target) for name, frame in layer_frames(rep).items()}
    suffix = path.suffix.lower()
    driver, per_file = GIS_FORMATS[suffix]
    if per_file == "all":
        writers = {path: lambda tmp: _write_geopackage(tmp, frames, path)}
    else:
        outs = {name: path.with_name(f"{path.stem}-{name}{suffix}") for name in frames}
        writers = {outs[name]: (lambda tmp, f=frame, n=name: _write_layer(tmp, f, n, driver,
                                                                          outs[n]))
                   for name, frame in frames.items()}
    # All or none: every file is written and read back under a temporary name first,
    # so a full disk or a bad layer leaves each old file as it was.
    atomic_write_files(writers, suffix=suffix)
    return list(writers)


def check_target(path: str | os.PathLike[str], crs: str | int | None) -> tuple[Path, Any]:
    """*path* and the pyproj CRS to write, checked before any work (see :func:`export_layers`).

    Raises
    ------
    ExportError
        As :func:`export_layers`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GIS_FORMATS:
        raise ExportError(f"{path}: cannot tell the format from "
                          f"{suffix or 'a name without an extension'}; use "
                          f"{', '.join(GIS_FORMATS)}")
    target = _target_crs(crs)
    if suffix == ".geojson" and target.to_epsg() != 4326:
        raise ExportError(f"{path}: GeoJSON is WGS84 longitude/latitude (RFC 7946); for "
                          f"{_crs_name(target)} write .gpkg or .fgb")
    if path.is_dir():
        raise ExportError(f"{path}: is a folder; give a file name")
    if not path.parent.is_dir():
        raise ExportError(f"{path.parent}: folder not found")
    from qygeo.errors import DataFileError
    from qygeo.io.gdal_paths import gdal_name, gdal_safe_name

    try:  # the temporary files are named without the name's ';' or '!', but in its folder
        gdal_name(path.with_name(gdal_safe_name(path.name)))
    except DataFileError as exc:
        raise ExportError(f"{path}: {exc.problem}") from None
    return path, target


def crs_note(target: Any) -> str | None:
    """A warning for an output CRS PROJ reaches from WGS84 only by a "ballpark"
    conversion in Qingyuan (Xian 1980, EPSG:2383 or 4610; Beijing 1954, EPSG:2435 or
    4214): the numbers are then WGS84's, relabelled, of unknown accuracy. Intake reads
    such a file with the same note (:func:`qygeo.io.crs.ballpark_note`); None for every
    other CRS."""
    from qygeo.io.crs import ballpark_datum

    datum = ballpark_datum(target)
    if datum is None:
        return None
    return (f"PROJ knows no datum shift from WGS84 to {datum}: {_crs_name(target)} is "
            f"written taking WGS84 longitudes and latitudes for {datum}'s (PROJ's "
            "\"ballpark\", of unknown accuracy); for exact coordinates use 4490 (CGCS2000) "
            "or a zone such as 4547")


def layer_frames(rep: Report) -> dict[str, gpd.GeoDataFrame]:
    """The four layers of :func:`export_layers`, in WGS84, with columns GIS can store."""
    import geopandas as gpd

    from qygeo.core.idle import unjudged_empty
    from qygeo.core.metrics import M2_PER_MU, area_m2

    ds = rep.dataset
    if ds is None:
        raise ExportError("this report carries no data set: build it with qygeo.report()")
    parks = _storable(rep.parks, "parks")
    # Every plot the parks' figures count is drawn: one without its polygon is refused,
    # not left out of the layer while parks.plot_count still counts it.
    lost = rep.plots.geometry.isna() | rep.plots.geometry.is_empty
    if lost.any():
        ids = ", ".join(str(v) for v in rep.plots.loc[lost, "plot_id"].head(5))
        raise ExportError(f"{int(lost.sum())} plot(s) of the report have no polygon to "
                          f"export: {ids}")
    plots = _storable(unjudged_empty(rep.plots), "plots")  # n/a: idle, idle_days empty
    planting = ds.planting if ds.planting is not None else gpd.GeoDataFrame(
        {"planting_id": []}, geometry=[], crs="EPSG:4326")
    planting = planting.assign(mapped_mu=area_m2(planting.geometry) / M2_PER_MU)
    return {"districts": _storable(ds.districts, "districts"), "parks": parks,
            "planting": _storable(planting, "planting"), "plots": plots}


#: Column names a GeoPackage layer keeps for itself: its feature id and its geometry.
GPKG_RESERVED_COLUMNS = ("fid", "geom")


def _name_key(name: str) -> str:
    """*name* as GDAL and SQLite compare field names: ASCII letters without case."""
    return "".join(c.lower() if c.isascii() else c for c in name)


def distinct_columns(columns: list[str], geometry: str) -> dict[str, str]:
    """New names for the columns that a GIS format would take for another: ``{old: new}``.

    GDAL and SQLite tell field names apart regardless of case, so a plots file's own
    ``IDLE`` or ``Idle_Status`` cannot stand beside qygeo's ``idle`` and ``idle_status``
    in a GeoPackage (the export failed: "Error adding field"), and ``fid`` and ``geom``
    are the GeoPackage's own. qygeo's names (lower case) and the geometry keep theirs; a
    data column that clashes gets ``_2`` (``_3`` …), the same in every format, so one
    layer reads alike as .gpkg, .geojson and .fgb.
    """
    keys = {_name_key(c) for c in columns}
    # geometry first, then lower-case names (qygeo's own), then the rest in their order
    order = sorted(columns, key=lambda c: (c != geometry, c != c.lower()))
    taken = set(GPKG_RESERVED_COLUMNS)
    renames = {}
    for name in order:
        if _name_key(name) not in taken:
            taken.add(_name_key(name))
            continue
        n = 2
        while _name_key(new := f"{name}_{n}") in taken | keys:
            n += 1
        taken.add(_name_key(new))
        renames[name] = new
    return {c: renames[c] for c in columns if c in renames}


def _storable(frame: gpd.GeoDataFrame, layer: str) -> gpd.GeoDataFrame:
    """Columns a GeoPackage can hold: dicts and lists as JSON text, categories as text,
    dates (midnight timestamps) as dates, names told apart regardless of case
    (:func:`distinct_columns`, with a warning). Written through Arrow, which alone
    gives GDAL a date field."""
    import warnings

    import pandas as pd
    import pyarrow as pa

    out = frame.copy()
    for col in out.columns:
        series = out[col]
        if col != out.geometry.name and series.dtype.kind == "M" and series.dt.tz is None \
                and (series.dropna() == series.dropna().dt.normalize()).all():
            # a date is a date (DATE in a GeoPackage, 2021-04-20 in GeoJSON), as in xlsx
            out[col] = pd.Series(series.dt.date.where(series.notna(), None),
                                 dtype=pd.ArrowDtype(pa.date32()), index=out.index)
    renames = distinct_columns([str(c) for c in out.columns], str(out.geometry.name))
    if renames:
        out = out.rename(columns=renames)
        warnings.warn(f"{layer} layer: " + ", ".join(f"column {old} is written as {new}"
                                                     for old, new in renames.items())
                      + " (GIS formats tell column names apart regardless of case; fid and "
                      "geom are the GeoPackage's own)", stacklevel=2)
    for col in out.columns:
        if col == out.geometry.name:
            continue
        series = out[col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            out[col] = series.astype(object).where(series.notna(), None)
        elif series.dtype == object and series.map(
                lambda v: isinstance(v, (dict, list, tuple, set))).any():
            out[col] = series.map(lambda v: json.dumps(sorted(v) if isinstance(v, set) else v,
                                                       ensure_ascii=False, default=str)
                                  if isinstance(v, (dict, list, tuple, set)) else v)
        elif series.dtype == object and not _one_arrow_type(series):
            # A ledger's column of numbers and text (parcel 1, "A-7"): a GIS field has one
            # type, so each value is written as its text (an empty cell stays empty).
            out[col] = series.map(lambda v: None if is_missing(v) else str(v))
    return out


def _one_arrow_type(series: pd.Series) -> bool:
    """Whether Arrow, which writes the layers, finds one type for *series*' values (all
    numbers, all text …); a mix of numbers and text it refuses ("Expected bytes, got a
    'int' object")."""
    import pyarrow as pa

    try:
        pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return False
    return True


def _target_crs(crs: str | int | None) -> Any:
    from pyproj import CRS

    from qygeo.io.crs import parse_crs

    if crs is None:
        return CRS.from_epsg(4326)
    parsed = parse_crs(crs)
    if isinstance(parsed, str):
        raise ExportError(f"--crs {crs}: {parsed.upper()} is a shift of web maps, not a "
                          "coordinate reference system to store; use 4326 (WGS84), 4490 "
                          "(CGCS2000) or a Gauss–Krüger zone such as 4547")
    if parsed.to_epsg() is None:
        raise ExportError(f"--crs {crs}: give an EPSG code, such as 4490 or 4547")
    use = "use 4326 (WGS84), 4490 (CGCS2000) or a Gauss–Krüger zone such as 4547"
    if not (parsed.is_geographic or parsed.is_projected) or len(parsed.axis_info) != 2:
        # A height (EPSG:5773), Earth-centred XYZ (4978) or 3-D CRS would be written as
        # if its numbers were a map's: latitude as x, or metres from the Earth's centre.
        raise ExportError(f"--crs {crs}: {_crs_name(parsed)} is not a 2-D map coordinate "
                          f"system; {use}")
    area = parsed.area_of_use
    if area is not None:
        from qygeo.io.crs import QINGYUAN_BBOX

        west, south, east, north = QINGYUAN_BBOX
        if area.east < west or area.west > east or area.north < south or area.south > north:
            raise ExportError(f"--crs {crs}: {_crs_name(parsed)} is for {area.name}, which "
                              f"does not include Qingyuan; {use}")
    return parsed


def _crs_name(crs: Any) -> str:
    return f"EPSG:{crs.to_epsg()} ({crs.name})"


def _failed(out: Path, what: str, exc: BaseException, tmp: Path) -> ExportError:
    """One line for a failed write: *out* named, GDAL's or SQLite's message cut to what
    went wrong (GDAL may quote a whole SQL script) and to one short line, the temporary
    name replaced by *out*'s."""
    text = str(exc).strip()
    if ") failed: " in text:  # "sqlite3_exec(<the SQL script>) failed: database or disk is full"
        text = text.rsplit(") failed: ", 1)[1]
    text = text.splitlines()[0] if text else type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror
    text = text.replace(str(tmp), out.name)
    if len(text) > MESSAGE_CHARS:
        text = text[:MESSAGE_CHARS].rsplit(" ", 1)[0] + " …"
    return ExportError(f"{out}: cannot write {what} ({text})")


#: Characters of a GDAL or SQLite message kept in an error line.
MESSAGE_CHARS = 160


def _write_layer(path: Path, frame: gpd.GeoDataFrame, name: str, driver: str,
                 out: Path) -> None:
    import pyogrio

    from qygeo.io.gdal_paths import gdal_name

    # GeoJSON as RFC 7946 says (no "crs" member, exterior rings counter-clockwise), as
    # geodata/ holds it; GDAL's default writes the 2008 form.
    options = {"RFC7946": "YES"} if driver == "GeoJSON" else {}
    try:
        pyogrio.write_dataframe(frame, gdal_name(path), layer=name, driver=driver,
                                layer_options=options, use_arrow=True)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types; one line for the user
        raise _failed(out, f"the {name} layer", exc, path) from exc
    _check_written(path, {name: len(frame)}, out)


def _check_written(path: Path, counts: dict[str, int], out: Path) -> None:
    """Read *path* back whole: every layer there with its number of features.

    GDAL may report success for a file cut short (on a full disk, GeoJSON's and
    FlatGeobuf's writers do not report every failed write, and FlatGeobuf's header
    still counts every feature): every feature is read, not the count the header says.
    """
    import pyogrio

    for name, count in counts.items():
        try:
            found = pyogrio.read_arrow(path, layer=name)[1].num_rows
        except Exception as exc:  # noqa: BLE001 - GDAL raises several types
            raise _failed(out, f"the {name} layer: it cannot be read back", exc, path) from exc
        if found != count:
            raise ExportError(f"{out}: cannot write the {name} layer: {found} of {count} "
                              "features read back (disk full?)")


def _write_geopackage(path: Path, frames: dict[str, gpd.GeoDataFrame], out: Path) -> None:
    for name, frame in frames.items():
        _write_layer_append(path, frame, name, out)
    try:
        write_styles(path, {name: layer_qml(name) for name in frames})
    except sqlite3.Error as exc:  # a full disk while the styles are written
        raise _failed(out, "the QGIS styles", exc, path) from exc
    _check_written(path, {name: len(frame) for name, frame in frames.items()}, out)
    _check_styles(path, frames, out)


def _check_styles(path: Path, frames: dict[str, gpd.GeoDataFrame], out: Path) -> None:
    """The written GeoPackage holds a style per layer (SQLite's own integrity check too)."""
    try:
        con = sqlite3.connect(path)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
            styled = {r[0] for r in con.execute("SELECT f_table_name FROM layer_styles")}
        finally:
            con.close()
    except sqlite3.Error as exc:
        raise _failed(out, "the QGIS styles: they cannot be read back", exc, path) from exc
    if ok != "ok" or styled != set(frames):
        raise ExportError(f"{out}: cannot write the GeoPackage: it does not read back whole "
                          f"({ok})")


def _write_layer_append(path: Path, frame: gpd.GeoDataFrame, name: str, out: Path) -> None:
    import pyogrio

    from qygeo.io.gdal_paths import gdal_name

    try:
        pyogrio.write_dataframe(frame, gdal_name(path), layer=name, driver="GPKG",
                                append=path.exists(), use_arrow=True)
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types; one line for the user
        raise _failed(out, f"the {name} layer", exc, path) from exc


# --------------------------------------------------------------------------- QGIS styles


def write_styles(path: Path, qml: dict[str, str]) -> None:
    """Store *qml* (layer → QML text) as each layer's default style in ``layer_styles``.

    The table has the columns QGIS gives it when it saves a style to a GeoPackage,
    and is registered in ``gpkg_contents`` as an attribute table.
    """
    con = sqlite3.connect(path)
    try:
        geometry_columns = dict(con.execute(
            "SELECT table_name, column_name FROM gpkg_geometry_columns").fetchall())
        con.execute(
            "CREATE TABLE IF NOT EXISTS layer_styles ("
            "id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), "
            "f_table_schema TEXT(256), f_table_name TEXT(256), f_geometry_column TEXT(256), "
            "styleName TEXT(30), styleQML TEXT, styleSLD TEXT, useAsDefault BOOLEAN, "
            "description TEXT, owner TEXT(30), ui TEXT(30), "
            "update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
        con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
                    "description) VALUES ('layer_styles', 'attributes', 'layer_styles', "
                    "'QGIS layer styles')")
        for layer, text in qml.items():
            con.execute("INSERT INTO layer_styles (f_table_catalog, f_table_schema, "
                        "f_table_name, f_geometry_column, styleName, styleQML, styleSLD, "
                        "useAsDefault, description, owner, ui) VALUES "
                        "('', '', ?, ?, ?, ?, '', 1, ?, '', '')",
                        (layer, geometry_columns[layer], f"qygeo {layer}", text,
                         f"qygeo: {layer} as on the HTML maps"))
        con.commit()
    finally:
        con.close()


def _rgba(hex_colour: str, alpha: int = 255) -> str:
    h = hex_colour.lstrip("#")
    if len(h) == 3:  # "#333"
        h = "".join(c * 2 for c in h)
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _fill_symbol(name: str, fill: str, *, outline: str = "#555555", width: float = 0.4,
                 alpha: int = 255, style: str = "solid") -> ET.Element:
    symbol = ET.Element("symbol", {"type": "fill", "name": name, "alpha": "1",
                                   "clip_to_extent": "1", "force_rhr": "0"})
    layer = ET.SubElement(symbol, "layer", {"class": "SimpleFill", "enabled": "1",
                                            "pass": "0", "locked": "0"})
    options = ET.SubElement(layer, "Option", {"type": "Map"})
    for key, value in (("color", _rgba(fill, alpha)), ("outline_color", _rgba(outline)),
                       ("outline_width", str(width)), ("outline_width_unit", "MM"),
                       ("style", style), ("outline_style", "solid")):
        ET.SubElement(options, "Option", {"name": key, "type": "QString", "value": value})
    return symbol


def _qgis(renderer: ET.Element, label_field: str | None = None) -> str:
    root = ET.Element("qgis", {"version": "3.28.0", "styleCategories": "Symbology|Labeling"})
    root.append(renderer)
    if label_field is not None:
        labeling = ET.SubElement(root, "labeling", {"type": "simple"})
        settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
        ET.SubElement(settings, "text-style", {
            "fieldName": label_field, "isExpression": "0", "fontSize": "9",
            "fontFamily": "Noto Sans CJK SC", "textColor": "0,0,0,255"})
        ET.SubElement(settings, "placement", {"placement": "1"})
        root.set("labelsEnabled", "1")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode"))


def parks_qml() -> str:
    """Parks by investment intensity (亿元/km²): the HTML maps' classes, colours and labels."""
    # Classed on the value as the maps show and class it (rounded), so 9.996 is 10–25 here too.
    field = f'round("intensity_yi_per_km2", {styles.INTENSITY_DECIMALS})'
    breaks = styles.INTENSITY_BREAKS_YI_PER_KM2
    renderer = ET.Element("renderer-v2", {"type": "RuleRenderer", "symbollevels": "0",
                                          "enableorderby": "0", "forceraster": "0"})
    rules = ET.SubElement(renderer, "rules", {"key": "root"})
    symbols = ET.SubElement(renderer, "symbols")
    legend = styles.intensity_legend()
    for i, (label, colour) in enumerate(legend[:-1]):
        lower = f"{field} >= {breaks[i - 1]}" if i > 0 else None
        upper = f"{field} < {breaks[i]}" if i < len(breaks) else None
        condition = " AND ".join(c for c in (lower, upper) if c)
        ET.SubElement(rules, "rule", {"key": f"class{i}", "symbol": str(i),
                                      "label": f"{label} 亿元/km²", "filter": condition})
        symbols.append(_fill_symbol(str(i), colour, alpha=217))
    na_label, na_colour = legend[-1]
    n = len(legend) - 1
    ET.SubElement(rules, "rule", {"key": "na", "symbol": str(n), "label": na_label,
                                  "filter": "ELSE"})
    symbols.append(_fill_symbol(str(n), na_colour, alpha=217))
    return _qgis(renderer, "name_zh")


def plots_qml() -> str:
    """Plots by idle status: the HTML maps' words and colours."""
    renderer = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": "idle_status",
                                          "symbollevels": "0", "enableorderby": "0",
                                          "forceraster": "0"})
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (status, (label, _colour)) in enumerate(styles.PLOT_STATUS.items()):
        style = styles.plot_style(status)
        ET.SubElement(categories, "category", {"value": status, "label": label,
                                               "symbol": str(i), "render": "true"})
        symbols.append(_fill_symbol(str(i), style["fillColor"], outline=style["color"],
                                    alpha=round(255 * style["fillOpacity"]),
                                    width=0.6 if status == "idle" else 0.26))
    return _qgis(renderer, "plot_id")


def outline_qml(fill: str | None, label_field: str) -> str:
    """One symbol for every feature: an outline (districts), or a light fill (planting)."""
    renderer = ET.Element("renderer-v2", {"type": "singleSymbol", "symbollevels": "0",
                                          "enableorderby": "0", "forceraster": "0"})
    symbols = ET.SubElement(renderer, "symbols")
    if fill is None:
        symbols.append(_fill_symbol("0", "#ffffff", outline="#444444", width=0.6,
                                    style="no"))
    else:
        symbols.append(_fill_symbol("0", fill, outline=fill, alpha=90))
    return _qgis(renderer, label_field)


def layer_qml(layer: str) -> str:
    """The QML of one exported layer."""
    if layer == "parks":
        return parks_qml()
    if layer == "plots":
        return plots_qml()
    if layer == "planting":
        return outline_qml(styles.PLANTING_COLOUR, "name_zh")
    return outline_qml(None, "name_zh")
