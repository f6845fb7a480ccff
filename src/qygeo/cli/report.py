"""``qygeo report``: the per-park land investment intensity report."""

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
    output_option,
    plots_options,
    quiet_option,
    run,
    strict_option,
    year_option,
)
from qygeo.cli.stdout import echo_result
from qygeo.render import FILE_FORMATS, FORMAT_BY_SUFFIX, FORMATS, GIS_SUFFIXES


@click.command()
@click.option("--park", "park_ids", multiple=True, metavar="ID",
              help="Only this park (repeatable). Default: every park.")
@year_option
@click.option("--format", "fmt",
              type=click.Choice([*FORMATS, *FILE_FORMATS]), default=None,
              help="Output format. Default: from the -o file's extension (.csv .json .md "
                   ".txt .html .xlsx), else table. html (a page with tables and charts) and "
                   "xlsx (one sheet per table) need -o PATH. CSV files get a UTF-8 byte-order "
                   "mark so Excel reads Chinese right.")
@click.option("--config", "config_path", type=click.Path(path_type=Path), default=None,
              metavar="TOML",
              help="Grading configuration (weights, benchmarks, cut-offs, entry thresholds) "
                   "merged over the defaults.")
@plots_options
@as_of_option
@click.option("--engine", type=click.Choice(["default", "dask"]), default="default",
              show_default=True,
              help="default: one process, vectorised (millions of plots in memory). dask: "
                   "dask-geopandas, for plots larger than memory or a partitioned GeoParquet "
                   "dataset; a local cluster unless --scheduler is given.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="With --engine dask: the Dask scheduler to use (e.g. tcp://host:8786).")
@output_option
@strict_option
@geodata_option
@quiet_option
@run
def report(park_ids: tuple[str, ...], year: int | None, fmt: str, config_path: Path | None,
           plots_path: Path | None,
           plots_layer: str | None, skip_invalid_plots: bool, as_of: dt.date | None,
           engine: str, scheduler: str | None,
           output: Path | None, strict: bool, geodata: Path | None, quiet: bool) -> None:
    """Per-park investment and output intensity, land use and idle plots.

    For each park: area (km², ha, mu), investment and its intensity (元/km²,
    亿元/km², 万元/亩) on its basis (signed investment ÷ gross park area, not
    land investment intensity), the paper's reported intensity beside the
    computed one, planned figures apart from actual ones, output intensity,
    plots, and idle plots by the MLR Order No. 53 rule. Then, in the table and
    markdown formats, the South-medicine planting acreage: reported mu beside
    mapped mu (left out with --park: those figures are not a park's).

    investment_yuan is the park's signed investment for the year from
    attributes/park_stats.csv, or the sum of its plots' invested_yuan where the
    table has none; plot_investment_yuan is always the plot sum.

    Each park is also evaluated: TD/T 1029 development-zone indicators, 亩均
    grades A/B/C/D of its plots (grade_counts) with each park's own entry
    thresholds (Guangqing's by default), idle plots by MLR Order No. 53 (those
    with a government or force-majeure cause counted apart too,
    idle_art8_plot_count), and the gap to the 2027 land investment intensity
    target in attributes/targets.csv (fixed-asset investment ÷ industrial land,
    compared with that indicator only) with the yearly growth needed to close it
    (target_gap_yuan_per_km2, required_annual_growth) beside the growth achieved
    (achieved_annual_growth).
    """
    from qygeo.api import report as make_report
    from qygeo.core.config import load_config
    from qygeo.pipeline.plot_table import REPORT_COLUMNS
    from qygeo.render.text import render, write_report

    if output is not None and str(output) == "-":  # the usual name of stdout
        output = None
    fmt = report_format(fmt, output)
    check_output(output, geodata, plots_path, config_path)
    if fmt in FILE_FORMATS and output is None:
        fail(f"--format {fmt} writes a file: give -o PATH", 2)
    con = Console(quiet)
    grading = load_config(config_path)
    if scheduler and engine != "dask":
        fail("--scheduler needs --engine dask", 2)
    # A user's --plots file may hold a province's parcels (and dask shows a progress bar):
    # say what is happening.
    step = con.info if plots_path is not None or engine == "dask" else (lambda _msg: None)
    rep = make_report(
        geodata, plots=plots_path, plots_layer=plots_layer, year=year, park_ids=park_ids,
        as_of=as_of, engine=engine, scheduler=scheduler, strict=strict, grading=grading,
        # Per-park formats need only the columns the figures use, and of the plots in no
        # park only their count and first ids.
        columns=None if fmt in FILE_FORMATS else REPORT_COLUMNS,
        keep_outside=fmt in FILE_FORMATS,
        skip_invalid_plots=skip_invalid_plots,
        progress=None if quiet else step, keep_memory=True)
    for w in rep.warnings:
        con.warn(w)
    if fmt in FILE_FORMATS:
        # These formats list every plot: a province's plots take minutes to write.
        step(f"      writing {output} ({len(rep.plot_table):,} plots listed)")
        write_report(rep, fmt, output)
        con.info(f"wrote {output}")
        return
    if output is None:
        echo_result(render(rep, fmt, planting=not park_ids), fmt)
    else:
        write_report(rep, fmt, output, planting=not park_ids)
        con.info(f"wrote {output}")


def report_format(fmt: str | None, output: Path | None) -> str:
    """The format asked for: ``--format``, else the -o file's extension, else ``table``.

    An extension that is no report format, or one that contradicts ``--format``
    (``--format csv -o r.xlsx`` would write a file Excel cannot open), is a usage
    error.
    """
    suffix = output.suffix.lower() if output is not None else ""
    if output is not None and suffix in GIS_SUFFIXES:
        fail(f"-o {output}: maps with geometry are written by "
             f"`qygeo export {output.name}`, not by qygeo report", 2)
    implied = FORMAT_BY_SUFFIX.get(suffix)
    if fmt is None:
        if output is None:
            return "table"
        if implied is None:
            fail(f"-o {output}: cannot tell the format from "
                 f"{suffix or 'a name without an extension'}; use one of "
                 f"{' '.join(FORMAT_BY_SUFFIX)} or give --format", 2)
        return implied
    if implied is not None and implied != fmt:
        fail(f"--format {fmt} but -o {output} is a {implied} file name: "
             f"drop --format or rename the file", 2)
    return fmt
