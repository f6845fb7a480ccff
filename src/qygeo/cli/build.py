"""``qygeo build``: validate the data, then write every report and every map."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

import click

from qygeo.cli.map_cmd import basemap_option, classes_option, self_contained_option
from qygeo.cli.options import (
    Console,
    as_of_option,
    check_folder,
    check_output,
    fail,
    geodata_option,
    quiet_option,
    run,
    year_option,
)

#: Report files written under ``OUT/reports/``: (file name, report format). The maps
#: link each park to its section of report.html.
REPORT_FILES = (("report.md", "markdown"), ("report.csv", "csv"), ("report.json", "json"),
                ("report.html", "html"), ("report.xlsx", "xlsx"))
PLANTING_FILE = "planting.csv"


@click.command()
@click.option("-o", "--output", "out_root", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True,
              help="Root folder: reports go to OUT/reports/, maps to OUT/maps/.")
@basemap_option
@self_contained_option
@classes_option
@year_option
@as_of_option
@geodata_option
@quiet_option
@run
def build(out_root: Path, basemap: str, self_contained: bool, classes: str, year: int | None,
          as_of: dt.date | None, geodata: Path | None, quiet: bool) -> None:
    """Validate the data folder, then write every report and every map.

    \b
    1. validate   as `qygeo validate`; any problem stops the build (exit 1)
    2. reports    OUT/reports/report.md, .csv, .json, .html, .xlsx (one row
                  per park) and planting.csv (reported beside mapped acreage)
    3. maps       OUT/maps/index.html and OUT/maps/parks/<park_id>.html;
                  pages an earlier build wrote there for parks no longer in
                  the data are removed (only <park_id>.html pages qygeo wrote)

    Progress goes to stderr (silence with -q); nothing is written to stdout.
    """
    import os

    from qygeo.io.atomic import atomic_write_files, atomic_write_text, check_writable
    from qygeo.io.dataset import load_dataset
    from qygeo.io.layers import geodata_dir
    from qygeo.pipeline.report import build_report
    from qygeo.render.basemaps import get_basemap
    from qygeo.render.maps import (
        CITY_PAGE,
        PARKS_DIR,
        page_writers,
        park_filename,
        remove_stale_park_pages,
    )
    from qygeo.render.text import write_report
    from qygeo.render.xlsx import write_xlsx
    from qygeo.safe_text import UTF8_BOM, csv_text

    start = time.perf_counter()
    con = Console(quiet)
    root = geodata_dir(geodata)
    if not root.is_dir():
        fail(f"{root}: data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    check_output(out_root, geodata)
    bm = get_basemap(basemap)  # a missing Tianditu key fails before any work
    reports, maps = out_root / "reports", out_root / "maps"
    report_paths = [reports / name for name, _fmt in REPORT_FILES] + [reports / PLANTING_FILE]
    for path in report_paths + [maps / CITY_PAGE]:
        check_writable(path)  # a read-only report.xlsx is told before any work

    con.info(f"[1/3] validate {root}")
    checked = check_folder(con, root, refused="; nothing built")
    con.info("      ok: " + ", ".join(f"{k} {v}" for k, v in checked.items()))

    con.info("[2/3] reports")
    ds = load_dataset(root)
    rep = build_report(ds, year=year, as_of=as_of)
    for w in rep.warnings:
        con.warn(w)
    for pid in rep.park_table["park_id"]:  # the park maps too, before any report is replaced
        check_writable(maps / PARKS_DIR / park_filename(str(pid)))
    # All or none: the reports and maps of one run, never some of this run's beside the
    # last's. Each writer writes its file under the temporary name it is given; the maps
    # are rendered one at a time as they are written.
    def writer(fmt: str, path: Path) -> Callable[[Path], object]:
        if fmt == "xlsx":  # its warning (text cut to a cell) names the output, not tmp
            return lambda tmp: write_xlsx(rep, tmp, shown=path)
        return lambda tmp: write_report(rep, fmt, tmp)

    writers = {reports / name: writer(fmt, reports / name) for name, fmt in REPORT_FILES}
    writers[reports / PLANTING_FILE] = lambda tmp: atomic_write_text(
        tmp, UTF8_BOM + csv_text(rep.planting))
    con.info(f"[3/3] maps (basemap {bm.name}{', self-contained' if self_contained else ''})")
    map_writers, pages = page_writers(
        ds, rep, bm, maps, self_contained=self_contained, classes=classes,
        report_page=os.path.relpath(reports / "report.html", maps),  # written with them
        progress=lambda m: con.info(f"      {m}"))
    atomic_write_files({**writers, **map_writers})
    for path in [*report_paths, *(page.path for page in pages)]:
        con.info(f"      wrote {path}")
    for path in remove_stale_park_pages(maps, [page.path.name for page in pages]):
        con.info(f"      removed {path} (its park is no longer in the data)")
    con.info(f"built {len(REPORT_FILES) + 1} reports and {len(pages)} maps in "
             f"{time.perf_counter() - start:.1f} s")
