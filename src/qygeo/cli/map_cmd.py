"""``qygeo map``: the interactive HTML city map and one map per park."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from qygeo.cli.options import (
    Console,
    as_of_option,
    check_output,
    geodata_option,
    plots_options,
    quiet_option,
    run,
    year_option,
)
from qygeo.render.basemaps import BASEMAP_NAMES


def basemap_option(fn):  # type: ignore[no-untyped-def]
    """``--basemap``: the tiles under the maps (shared with ``qygeo build``)."""
    return click.option(
        "--basemap", type=click.Choice(BASEMAP_NAMES, case_sensitive=False), default="osm",
        show_default=True,
        help="Tiles under the maps. gaode tiles are GCJ-02 and every overlay is shifted to "
             "match; tianditu reads its key from $TIANDITU_KEY; none draws no tiles.",
    )(fn)


def self_contained_option(fn):  # type: ignore[no-untyped-def]
    """``--self-contained`` (the default) or ``--cdn``: where the pages' scripts come from."""
    # Inlined by default: on an intranet, and often in mainland China, pages that load
    # Leaflet from public CDNs stay blank.
    return click.option(
        "--self-contained/--cdn", default=True, show_default=True,
        help="Inline every script and stylesheet (from installed packages), so the pages "
             "need no network apart from basemap tiles (with --basemap none, none at all); "
             "--cdn links them from public CDNs instead (smaller pages, need the internet).",
    )(fn)


def classes_option(fn):  # type: ignore[no-untyped-def]
    """``--classes``: how the parks' intensity colours are classed (shared with build)."""
    return click.option(
        "--classes", type=click.Choice(["fixed", "quantile"]), default="fixed",
        show_default=True,
        help="Intensity classes of the city map: fixed breaks (1, 2.5, 5, 10, 25, 50 "
             "亿元/km², the same on every map and year) or quantiles of the parks shown "
             "(tells them apart; the legend says so).",
    )(fn)


@click.command("map")
@click.option("-o", "--output", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path("maps"), show_default=True,
              help="Folder to write index.html and parks/<park_id>.html into.")
@basemap_option
@self_contained_option
@classes_option
@click.option("--park", "park_ids", multiple=True, metavar="ID",
              help="Only this park (repeatable): the city map shows only these parks and "
                   "only their pages are written. Default: every park.")
@year_option
@as_of_option
@plots_options
@geodata_option
@quiet_option
@run
def map_cmd(out_dir: Path, basemap: str, self_contained: bool, classes: str,
            park_ids: tuple[str, ...],
            year: int | None, as_of: dt.date | None, plots_path: Path | None,
            plots_layer: str | None, skip_invalid_plots: bool, geodata: Path | None,
            quiet: bool) -> None:
    """Write interactive HTML maps: the city map and one map per park.

    \b
    maps/index.html          districts, parks coloured by investment intensity
                             on the gross park area (亿元/km², fixed classes), South-medicine
                             planting with acreage, idle plots (red, hatched)
    maps/parks/<id>.html     a park's plots by idle status with acreage (亩),
                             and the park's report figures

    Progress goes to stderr (silence with -q).
    """
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report
    from qygeo.render.basemaps import get_basemap
    from qygeo.render.maps import write_maps

    con = Console(quiet)
    check_output(out_dir, geodata, plots_path)
    bm = get_basemap(basemap)  # a missing Tianditu key fails before any work
    ds = load_dataset(geodata, plots=plots_path, plots_layer=plots_layer,
                      skip_invalid_plots=skip_invalid_plots)
    rep = build_report(ds, year=year, park_ids=list(park_ids) or None, as_of=as_of)
    for w in rep.warnings:
        con.warn(w)
    pages = write_maps(ds, out_dir, report=rep, basemap=bm, self_contained=self_contained,
                       progress=con.info, classes=classes)
    con.info(f"{len(pages)} map page(s) in {out_dir} (basemap {bm.name}"
             f"{', self-contained' if self_contained else ''})")
