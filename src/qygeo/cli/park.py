"""``qygeo park``: add, update, remove and list parks, and undo the last change.

Each subcommand parses its arguments and calls :mod:`qygeo.pipeline.parks`; every check
and every write happens there.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from qygeo.cli.options import Console, geodata_option, quiet_option, run
from qygeo.cli.stdout import echo_result

F = TypeVar("F", bound=Callable[..., Any])

#: Mirrors qygeo.pipeline.parks.PARK_KINDS / qygeo.io.layers.BOUNDARY_QUALITIES (kept literal here
#: so that ``qygeo park --help`` does not import the library).
KINDS = ("high_tech_zone", "industrial_park", "specialised_park", "medicine_park",
         "resource_base")
QUALITIES = ("surveyed", "official", "approximate", "illustrative")


def boundary_options(fn: F) -> F:
    """Options shared by ``add`` and ``update``: reading the file and checking it."""
    options = [
        click.option("--crs", default=None, metavar="CRS",
                     help="The file's CRS when it has none or a wrong one: an EPSG code "
                          "(4490, 4547, 4546, 4526, 4525 …), gcj02 (Amap/Gaode, Tencent) or "
                          "bd09 (Baidu). Default: the file's own; GeoJSON without one is WGS84."),
        click.option("--layer", default=None, metavar="NAME",
                     help="Layer of a GeoPackage or KML with several (Shapefile of a .zip "
                          "with several)."),
        click.option("--dissolve", is_flag=True,
                     help="Merge several area features into one MultiPolygon."),
        click.option("--feature", default=None, metavar="NAME|NUMBER",
                     help="Take one feature of a file with several: its number (1 = first; "
                          "#2 is only a number), a text of its attributes, e.g. its name, "
                          "or FIELD=TEXT. The feature taken is noted and recorded in the "
                          "park's source. Without it, points and lines (a KML's gate marker) "
                          "are left out with a note."),
        click.option("--encoding", default=None, metavar="NAME",
                     help="Text encoding of a Shapefile's attributes (names for --feature), "
                          "e.g. GB18030 or GBK. Default: the .cpg file's, else UTF-8, else "
                          "GB18030 (older ArcGIS and CASS files without a .cpg)."),
        click.option("--fix", is_flag=True,
                     help="Repair invalid geometry (self-intersections) with shapely.make_valid "
                          "and report the area change, instead of refusing it."),
        click.option("--allow-overlap", is_flag=True,
                     help="Accept a boundary overlapping other parks (the overlap is reported)."),
        click.option("--quality", type=click.Choice(QUALITIES), default=None,
                     help="boundary_quality to record (default: surveyed; approximate for "
                          "a boundary drawn on a web map, --crs gcj02|bd09; update keeps it "
                          "when the boundary is unchanged)."),
        click.option("--force", is_flag=True,
                     help="Accept a change qygeo validate would then fail (plots left outside "
                          "their park …); on add, a name another park has; on update, a big "
                          "change of area (> 50 %) or position (> 1 km). What it accepts is "
                          "printed."),
        click.option("--source", default=None, metavar="TEXT",
                     help="Where the boundary comes from (recorded as source). Default: on "
                          "add, 'added by qygeo park add from FILE'; on update, 'boundary from "
                          "FILE (qygeo park update DATE); earlier: ' and the park's first "
                          "recorded source."),
        click.option("--notes", default=None, metavar="TEXT", help="Notes to record."),
        click.option("--dry-run", "-n", is_flag=True,
                     help="Print what would change; write nothing."),
    ]
    for opt in reversed(options):
        fn = opt(fn)
    return fn


#: Said after every change to parks.geojson: the maps and reports were built from the old one.
STALE_OUTPUTS = ("qygeo: the maps and reports are now out of date: run `qygeo build` "
                 "(地图和报告已过期，请运行 qygeo build)")


def _report(con: Console, outcome_lines: list[str], notes: tuple[str, ...], dry_run: bool,
            written: bool) -> None:
    """Print the notes and the summary; data in them (names, file names) never drives the
    terminal: control characters are shown as escapes (safe_text.for_terminal)."""
    from qygeo.safe_text import for_terminal

    outcome_lines = [for_terminal(line) for line in outcome_lines]
    for n in notes:
        con.info(f"qygeo: note: {for_terminal(n)}")
    if dry_run:
        click.echo("dry run: " + outcome_lines[0])
        for line in outcome_lines[1:]:
            click.echo(line)
        click.echo("nothing written (--dry-run)")
    else:
        for line in outcome_lines:
            con.info(line)
        if written:
            con.info(STALE_OUTPUTS)


def _outcome(con: Console, outcome: Any, dry_run: bool) -> None:
    change = outcome.change
    lines = change.summary()
    if outcome.history_file is not None:
        lines.append(f"  previous   kept as {outcome.history_file} (qygeo park undo restores it)")
    if outcome.unchanged:
        lines.append(f"  unchanged  {change.path} would be byte-identical: nothing written, "
                     "no history snapshot")
    _report(con, lines, change.notes, dry_run and not outcome.unchanged, outcome.written)


def _root(geodata: Path | None) -> Path:
    from qygeo.io.layers import geodata_dir

    return geodata_dir(geodata)


@click.group()
def park() -> None:
    """Add, replace, remove and list park boundaries; undo the last change.

    Boundaries come from the files surveyors send: GeoJSON, Shapefile (.shp, or
    a .zip holding one), GeoPackage (--layer) or KML, in their own CRS or the
    one given with --crs (EPSG codes such as 4547 for CGCS2000 Gauss-Kruger CM
    114E, gcj02, bd09). Each is checked (valid polygon, inside Qingyuan and one
    district, 0.01–500 km², no overlap with other parks) and written to
    parks.geojson under a lock, atomically, with the previous version kept in
    .history/ for `qygeo park undo`. A refused boundary changes nothing; so does
    a change after which `qygeo validate` would fail, unless --force. A command
    killed half-way is completed or rolled back by the next park command.

    \b
    Examples:
      qygeo park add survey.zip --id xinqiao --name-zh 新桥园 --name-en "Xinqiao Park" --dry-run
      qygeo park add plan.shp --id xinqiao --name-zh 新桥园 --name-en "Xinqiao Park" --crs 4547
      qygeo park add drawn.kml --id yy --name-zh 药园 --name-en "Yao Park" --crs gcj02
      qygeo park update guangfo guangfo_2025.gpkg --layer boundary
      qygeo park list
      qygeo park undo
    """


@park.command("add")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--id", "park_id", required=True, metavar="ID",
              help="New park id: lower-case letters, digits, _ and -.")
@click.option("--name-zh", required=True, metavar="TEXT", help="Chinese name, e.g. 广佛产业园.")
@click.option("--name-en", required=True, metavar="TEXT", help="English name.")
@click.option("--kind", type=click.Choice(KINDS), default="industrial_park", show_default=True,
              help="Kind of park.")
@click.option("--district", default=None, metavar="ADCODE",
              help="Its district's adcode, checked against the boundary. Default: the district "
                   "holding most of its area.")
@click.option("--parent", default=None, metavar="ID",
              help="The park it lies in (parent_park_id); overlapping that park is allowed.")
@boundary_options
@geodata_option
@quiet_option
@run
def add(file: Path, park_id: str, name_zh: str, name_en: str, kind: str, district: str | None,
        parent: str | None, crs: str | None, layer: str | None, dissolve: bool,
        feature: str | None, encoding: str | None, fix: bool, allow_overlap: bool,
        quality: str | None, force: bool,
        source: str | None, notes: str | None, dry_run: bool, geodata: Path | None,
        quiet: bool) -> None:
    """Add a park from a boundary FILE."""
    from qygeo.pipeline.parks import add_park

    outcome = add_park(_root(geodata), file, crs=crs, layer=layer, dissolve=dissolve, fix=fix,
                       feature=feature, encoding=encoding, dry_run=dry_run, force=force,
                       park_id=park_id,
                       name_zh=name_zh, name_en=name_en, kind=kind, district=district,
                       parent=parent, quality=quality, source=source, notes=notes,
                       allow_overlap=allow_overlap)
    _outcome(Console(quiet), outcome, dry_run)


@park.command("update")
@click.argument("park_id", metavar="ID")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=True))
@click.option("--district", default=None, metavar="ADCODE",
              help="Move the park to this district. Default: keep its district (the boundary "
                   "must lie in it).")
@boundary_options
@geodata_option
@quiet_option
@run
def update(park_id: str, file: Path, district: str | None, crs: str | None, layer: str | None,
           dissolve: bool, feature: str | None, encoding: str | None, fix: bool,
           allow_overlap: bool,
           quality: str | None, force: bool, source: str | None, notes: str | None,
           dry_run: bool, geodata: Path | None, quiet: bool) -> None:
    """Replace park ID's boundary with FILE, keeping its names, kind and figures."""
    from qygeo.pipeline.parks import update_park

    outcome = update_park(_root(geodata), park_id, file, crs=crs, layer=layer, dissolve=dissolve,
                          fix=fix, feature=feature, encoding=encoding, dry_run=dry_run,
                          force=force, district=district,
                          quality=quality, source=source, notes=notes,
                          allow_overlap=allow_overlap)
    _outcome(Console(quiet), outcome, dry_run)


@park.command("remove")
@click.argument("park_id", metavar="ID")
@click.option("--force", is_flag=True,
              help="Remove it even though nested parks, plots, planting areas or statistics "
                   "still name it.")
@click.option("--dry-run", "-n", is_flag=True, help="Print what would change; write nothing.")
@geodata_option
@quiet_option
@run
def remove(park_id: str, force: bool, dry_run: bool, geodata: Path | None, quiet: bool) -> None:
    """Remove park ID (refused while anything else names it, unless --force)."""
    from qygeo.pipeline.parks import remove_park

    outcome = remove_park(_root(geodata), park_id, force=force, dry_run=dry_run)
    _outcome(Console(quiet), outcome, dry_run)


@park.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True, help="Output format.")
@geodata_option
@quiet_option
@run
def list_(fmt: str, geodata: Path | None, quiet: bool) -> None:
    """List the parks: id, names, district, kind, area (km², mu), quality, added_on."""
    from qygeo.pipeline.parks import recover
    from qygeo.render.park_list import format_park_table, park_table

    root = _root(geodata)
    for note in recover(root, read_only=True):
        Console(quiet).info(f"qygeo: note: {note}")
    echo_result(format_park_table(park_table(root), fmt), fmt)


@park.command("undo")
@click.option("--force", is_flag=True,
              help="Restore even though parks.geojson was changed by something else since, "
                   "or qygeo validate would then fail.")
@click.option("--dry-run", "-n", is_flag=True, help="Print what would change; write nothing.")
@geodata_option
@quiet_option
@run
def undo(force: bool, dry_run: bool, geodata: Path | None, quiet: bool) -> None:
    """Restore the version of parks.geojson before the last park command (refused when
    qygeo validate would then fail, unless --force)."""
    from qygeo.pipeline.parks import undo as undo_change

    plan = undo_change(_root(geodata), dry_run=dry_run, force=force)
    _report(Console(quiet), plan.summary(), plan.notes, dry_run, plan.written)
