"""``qygeo export``: the report's layers with their geometry, for QGIS and ArcGIS."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from qygeo.cli.options import (
    Console,
    as_of_option,
    check_output,
    fail,
    geodata_option,
    plots_options,
    quiet_option,
    run,
    year_option,
)


@click.command("export")
@click.argument("out", type=click.Path(path_type=Path), metavar="OUT")
@click.option("--crs", default=None, metavar="EPSG",
              help="CRS of the output: 4326 (WGS84, default), 4490 (CGCS2000) or a "
                   "CGCS2000 Gauss–Krüger zone such as 4547 (3° zone, 114°E) or 4526. "
                   "GeoJSON is WGS84 only.")
@year_option
@as_of_option
@plots_options
@geodata_option
@quiet_option
@run
def export(out: Path, crs: str | None, year: int | None, as_of: dt.date | None,
           plots_path: Path | None, plots_layer: str | None, skip_invalid_plots: bool,
           geodata: Path | None, quiet: bool) -> None:
    """Write districts, parks, planting and plots with every computed figure.

    \b
    OUT.gpkg       one GeoPackage with the four layers and their QGIS styles
                   (parks by the maps' intensity classes, plots by idle status):
                   QGIS opens it looking like the HTML map
    OUT.geojson    one file per layer: OUT-districts.geojson, OUT-parks.geojson …
    OUT.fgb        the same as FlatGeobuf

    parks carry every report column (intensities with their basis, idle counts,
    grades, targets); plots their idle status and reason, idle days and fee, grade
    and areas in m² and mu. Progress goes to stderr (silence with -q).
    """
    from qygeo.api import report
    from qygeo.errors import QygeoError
    from qygeo.render.gis import check_target, crs_note, export_layers

    con = Console(quiet)
    check_output(out, geodata, plots_path, name="OUT")
    try:
        _path, target = check_target(out, crs)  # told before the report is built
    except QygeoError as exc:
        fail(str(exc), 2)
    note = crs_note(target)
    if note:
        con.warn(note)
    rep = report(geodata, plots=plots_path, plots_layer=plots_layer, year=year, as_of=as_of,
                 skip_invalid_plots=skip_invalid_plots)
    for w in rep.warnings:
        con.warn(w)
    for path in export_layers(rep, out, crs=crs):
        con.info(f"wrote {path}")
