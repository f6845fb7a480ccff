"""Building a report from a data folder and a plots file: the one pipeline.

``qygeo report`` and :func:`qygeo.pipeline.report` both call :func:`make_report`, so the
fast plot engine (GeoParquet read by the workers while the data folder loads on
a thread) and the dask engine are reachable from Python as from the command line.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from qygeo.io.dataset import Dataset
    from qygeo.pipeline.report import Report

ENGINES = ("default", "dask")


def make_report(
    data: Dataset | str | os.PathLike[str] | None = None,
    *,
    plots: str | os.PathLike[str] | None = None,
    plots_layer: str | None = None,
    year: int | None = None,
    park_ids: Sequence[str] | None = None,
    as_of: dt.date | str | None = None,
    engine: str = "default",
    scheduler: str | None = None,
    strict: bool = False,
    grading: Any = None,
    columns: Sequence[str] | None = None,
    skip_invalid_plots: bool = False,
    progress: Callable[[str], None] | None = None,
    keep_memory: bool = False,
    keep_outside: bool = True,
) -> Report:
    """Build the report of a data folder (or a loaded :class:`~qygeo.io.dataset.Dataset`).

    Parameters
    ----------
    data : Dataset or path-like, optional
        A loaded dataset, or the data folder (``--geodata``; default as the CLI:
        ``$QYGEO_GEODATA``, else ``./geodata``).
    plots : path-like, optional
        A plots file (GeoParquet, GeoPackage, GeoJSON …) instead of the folder's own.
    engine : {"default", "dask"}
        ``default``: vectorised, both cores, plots in memory. ``dask``:
        dask-geopandas on a local cluster or *scheduler*.
    columns : sequence of str, optional
        Plot columns to read (None: all); per-park figures need only
        :data:`qygeo.pipeline.plot_table.REPORT_COLUMNS`.
    progress : callable, optional
        Called with one line of progress text at each step.
    keep_memory : bool, default False
        Keep freed memory for the next batch (process-wide glibc settings: the CLI
        turns it on; see :mod:`qygeo.pipeline.memory`).
    keep_outside : bool, default True
        False: ``plot_table`` may leave out the plots that lie in no park (the default
        engine, reading a plots file): they get no area or idle verdict, but are still
        checked, and counted and named in the warnings. The per-park figures are the
        same; warnings about delay causes and stored idle flags then name only plots in
        a park. The CLI's per-park formats ask for this.

    Returns
    -------
    Report
    """
    from qygeo.errors import QygeoError
    from qygeo.io.dataset import Dataset, load_dataset
    from qygeo.io.plot_rows import check_as_of
    from qygeo.pipeline.plots import compute_plot_table
    from qygeo.pipeline.report import build_report

    if engine not in ENGINES:
        raise QygeoError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    # The arguments a notebook passes, checked here in words rather than deep in pandas.
    if isinstance(as_of, dt.datetime):  # a datetime or a pandas Timestamp: its day
        as_of = as_of.date()
    if isinstance(as_of, str):
        try:
            as_of = dt.date.fromisoformat(as_of)
        except ValueError as exc:
            raise QygeoError(f"as_of {as_of!r} is not a date like 2026-01-31") from exc
    if as_of is not None and not isinstance(as_of, dt.date):
        raise QygeoError(f"as_of {as_of!r} is not a date (datetime.date or '2026-01-31')")
    as_of = check_as_of(as_of or dt.date.today())
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)
                             or not 1900 <= year <= 2100):
        raise QygeoError(f"year {year!r} is not a year (a whole number 1900-2100)")
    if isinstance(park_ids, str):  # one park, not its letters
        park_ids = [park_ids]
    if isinstance(columns, str):
        columns = [columns]
    if isinstance(grading, (str, os.PathLike)):  # a TOML file, as --config takes
        from qygeo.core.config import load_config

        grading = load_config(grading)
    step = progress or (lambda _msg: None)
    loaded = data if isinstance(data, Dataset) else None

    def load() -> Dataset:
        if loaded is not None:
            return loaded
        # Plots are read straight from the file by the engine, only the columns it needs.
        ds = load_dataset(data, plots=plots, plots_layer=plots_layer, load_plots=False,
                          skip_invalid_plots=skip_invalid_plots)
        from qygeo.core.trends import check_units

        check_units(ds.targets, ds.root)  # refused now, not after the plots are read
        from qygeo.pipeline.report import check_parent_cycles

        check_parent_cycles(ds)
        # The evaluation's modules (its grading config's TOML reader among them), imported
        # here while the workers read the plots, not after them.
        from qygeo.pipeline import evaluation  # noqa: F401
        return ds

    plot_table = summary = source = None
    started = time.perf_counter()
    if plots is not None and engine == "default":
        if keep_memory:
            from qygeo.pipeline.memory import keep_freed_memory

            keep_freed_memory()  # the batches reuse their memory (see qygeo.pipeline.memory)
        source = Path(plots)
        step(f"[1/2] plots: reading {plots} ({engine} engine)")
        # The data folder loads on a thread while the workers read their first plots.
        with ThreadPoolExecutor(1) as loader:
            loading = loader.submit(load)
            try:
                result = compute_plot_table(Path(plots), lambda: loading.result().parks, as_of,
                                            layer=plots_layer, columns=columns,
                                            skip_invalid=skip_invalid_plots,
                                            keep_outside=keep_outside)
            except Exception:
                loading.result()  # a data-folder error is told first, as without the thread
                raise
            ds = loading.result()
        plot_table, summary = result.table, result.summary
        # A copy: a Dataset the caller passed in is not changed by the report.
        ds = dataclasses.replace(ds, excluded_plots=list(result.excluded))
    else:
        ds = load()
        path = Path(plots) if plots is not None else ds.plots_path
        if plots is None and loaded is not None and loaded.plots is not None \
                and engine == "default":
            # The Dataset's own plots, as loaded (and maybe edited in a notebook): not the
            # file read again, which would undo the caller's changes and --skip-invalid.
            step("[1/2] plots: the dataset's plots")
            result = compute_plot_table(loaded.plots, ds.parks, as_of, path=path or "plots",
                                        skip_invalid=skip_invalid_plots,
                                        keep_outside=keep_outside)
            plot_table, summary = result.table, result.summary
            ds = dataclasses.replace(ds, excluded_plots=[*loaded.excluded_plots,
                                                         *result.excluded])
        elif path is not None:
            source = path
            step(f"[1/2] plots: reading {path} ({engine} engine)")
            result = compute_plot_table(path, ds.parks, as_of, engine=engine, layer=plots_layer,
                                        columns=columns, skip_invalid=skip_invalid_plots,
                                        scheduler=scheduler, progress=progress is not None,
                                        keep_outside=keep_outside)
            plot_table, summary = result.table, result.summary
            ds = dataclasses.replace(ds, excluded_plots=list(result.excluded))
    if plot_table is not None:
        took = f"{time.perf_counter() - started:.1f} s"
        read = (summary.plot_count + len(ds.excluded_plots) if summary is not None
                else len(plot_table))
        if len(plot_table) < read:  # keep_outside=False left (most) plots in no park out
            # The plots in a park from the summary: the table may keep some in no park (a
            # batch mostly in parks keeps all its rows).
            in_park = summary.plot_count - summary.unassigned_count
            step(f"      {read:,} plots checked and assigned to parks, the "
                 f"{in_park:,} in a park measured and judged, in {took}")
        else:
            step(f"      {read:,} plots: areas, parks and idle status in {took}")
    step("[2/2] per-park figures and evaluation")
    rep = build_report(ds, year=year, park_ids=list(park_ids) if park_ids else None,
                       as_of=as_of, strict=strict, grading=grading, plots=plot_table,
                       summary=summary)
    if source is not None and ds.plots is None:
        rep.plots_source = (source, plots_layer)  # rep.plots reads the polygons from there
    rep.engine = engine
    step(f"      done in {time.perf_counter() - started:.1f} s")
    return rep
