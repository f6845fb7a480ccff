"""The per-plot table, by either engine: the one entry point.

:func:`compute_plot_table` takes a plots file or plots already loaded and gives
each plot's park, areas and idle verdict with the per-park sums, computed by the
default engine (:mod:`qygeo.pipeline.plot_table`: batches on a thread pool) or by
dask (:mod:`qygeo.pipeline.plot_table_dask`: partitions on a cluster, running the
default engine's batch function).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from qygeo.errors import QygeoError
from qygeo.io import plot_rows
from qygeo.pipeline import plot_table as engine_mod

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import geopandas as gpd


def compute_plot_table(
    plots: str | os.PathLike[str] | gpd.GeoDataFrame,
    parks: engine_mod.Parks,
    as_of: dt.date | str,
    *,
    engine: str = "default",
    layer: str | None = None,
    columns: Sequence[str] | None = None,
    skip_invalid: bool = False,
    path: object = None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    keep_outside: bool = True,
) -> engine_mod.PlotResult:
    """The per-plot table (park, areas, idle verdict) and its per-park sums: the one entry point.

    Parameters
    ----------
    plots : path-like or geopandas.GeoDataFrame
        A plots file (GeoParquet, GeoPackage, GeoJSON …, read by the engine, only
        *columns* if given), or plots already loaded in WGS84.
    parks : geopandas.GeoDataFrame or callable
        The parks layer, or a function giving it: the engine reads its first
        batches while the function runs (``qygeo report`` loads the data folder so).
    as_of : datetime.date or str
        The idle-classification date.
    engine : {"default", "dask"}
        ``default``: batches on a thread pool in this process. ``dask``:
        dask-geopandas partitions on a local cluster or *scheduler* (a file only).
    skip_invalid : bool, default False
        Leave out the rows that cannot be judged (:mod:`qygeo.io.plot_rows`) and list
        them in :attr:`PlotResult.excluded`, instead of refusing them.
    path : object, optional
        How to name loaded *plots* in messages.
    workers : int, optional
        Threads of the default engine (default :func:`qygeo.pipeline.plot_table.threads`).
    keep_outside : bool, default True
        False: the default engine, reading a file, may leave the plots that lie in no
        park (and have no problem) out of the table, without their areas and idle
        verdicts; they are still checked, and counted and named in the summary. For
        per-park outputs, which need nothing more of them.

    Returns
    -------
    PlotResult
        ``summary`` is None from the dask engine (the report sums its table).
    """
    as_of = engine_mod.dt_date(as_of)
    if engine == "dask":
        if not isinstance(plots, (str, os.PathLike)):
            raise QygeoError("the dask engine reads a plots file, not plots already loaded")
        from qygeo.pipeline.plot_table_dask import plot_table_dask

        excluded: list[tuple[str, str]] = []
        table = plot_table_dask(plots, engine_mod._parks_of(parks), as_of, layer=layer,
                                scheduler=scheduler, progress=progress,
                                skip_invalid=skip_invalid, excluded=excluded)
        return engine_mod.PlotResult(table, None, excluded)
    if engine != "default":
        raise QygeoError(f"unknown engine {engine!r}; choose default or dask")
    if isinstance(plots, (str, os.PathLike)):
        return engine_mod._read_plots(plots, parks, as_of, layer=layer, columns=columns,
                                      skip_invalid=skip_invalid, workers=workers,
                                      keep_outside=keep_outside)
    parks = engine_mod._parks_of(parks)
    where = path if path is not None else "plots"
    table = engine_mod._from_frame(plots, parks, as_of, path=where)
    table, excluded = plot_rows.split_invalid(table, where, skip=skip_invalid)
    summary = engine_mod.PlotSummary.of(table, list(parks["park_id"]))
    return engine_mod.PlotResult(table, summary, excluded)
