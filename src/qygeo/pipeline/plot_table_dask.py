"""The dask engine: the per-plot table computed partition by partition with dask-geopandas.

``qygeo report --engine dask`` reads the plots (:func:`qygeo.io.plot_files.read_plots_dask`:
a file or a partitioned GeoParquet folder, or any OGR format),
and computes each partition's per-plot table (areas, park assignment, idle
rule: :func:`qygeo.pipeline.plot_table._batch_table`, the very code of the default
engine) on a Dask cluster — a :class:`distributed.LocalCluster` unless a
scheduler address is given. Only the geometry-free per-plot table comes back to
this process, where the report is built exactly as with the default engine, so
both give the same report.

Use it when the plots' geometries do not fit in memory, or when a cluster is at
hand; on one machine with the data in memory the default engine is faster (no
task overhead, no serialisation between processes).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import datetime as dt

    import geopandas as gpd
    import pandas as pd


def _partition_table(part: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, as_of: dt.date,
                     path: str) -> pd.DataFrame:
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import shapely

    from qygeo.core.assign import ParkIndex
    from qygeo.io.plot_files import PlotBatch
    from qygeo.pipeline import plot_table as engine

    geom = part.geometry.name
    attrs = pd.DataFrame(part.drop(columns=geom)).reset_index(drop=True)
    wkb = pa.array(shapely.to_wkb(np.asarray(part.geometry.values)), type=pa.binary())
    return engine._batch_table(PlotBatch(attrs=attrs, wkb=wkb), ParkIndex.build(parks), as_of,
                               path=path)


def _quiet_task_failures() -> None:
    """On a worker of qygeo's own cluster: no log of a failed task, and no warning of
    GDAL's about the file.

    A partition that fails (bytes that are not WKB) is told once, as one
    ``qygeo: error:`` line; the worker's own log of it is a traceback. GDAL's warnings
    quote the file's own text (a column type with escape codes) and pyogrio's path:
    the command line leaves them out in its own process, and so do its workers.
    """
    import logging
    import warnings

    logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)
    warnings.filterwarnings("ignore", module="pyogrio")


def connect(scheduler: str):  # type: ignore[no-untyped-def]
    """A :class:`distributed.Client` of the scheduler at *scheduler*.

    Raises
    ------
    SchedulerError
        A malformed address (unknown scheme) or no scheduler answering there.
    """
    from distributed import Client

    from qygeo.errors import SchedulerError

    try:
        return Client(scheduler, timeout="10s")
    except (ValueError, TypeError, OSError) as exc:  # bad scheme/address; refused; timed out
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SchedulerError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler "
                             f"({first})") from exc


def plot_table_dask(path: str | os.PathLike[str], parks: gpd.GeoDataFrame, as_of: dt.date, *,
                    layer: str | None = None, scheduler: str | None = None,
                    progress: bool = True, n_workers: int | None = None,
                    processes: bool = True, skip_invalid: bool = False,
                    excluded: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    """The per-plot table of a plots layer, computed on a Dask cluster.

    Parameters
    ----------
    path : path-like
        GeoParquet file, partitioned GeoParquet folder, or a GeoJSON/GeoPackage file.
    parks : geopandas.GeoDataFrame
        WGS84 parks with ``park_id``.
    as_of : datetime.date
        Idle-classification date.
    scheduler : str, optional
        Address of a running Dask scheduler; default a LocalCluster on this machine.
    progress : bool, default True
        Show a progress bar on stderr.
    n_workers, processes
        LocalCluster settings (default: one worker process per CPU).
    skip_invalid : bool, default False
        Leave out plots that cannot be judged (:mod:`qygeo.io.plot_rows`) instead of
        refusing them; they are appended to *excluded* as ``(plot_id, problem)``.

    Returns
    -------
    pandas.DataFrame
        The same table as :func:`qygeo.pipeline.plots.compute_plot_table`,
        rows in file order.
    """
    import dask
    import pandas as pd
    from distributed import Client, LocalCluster

    from qygeo.errors import BlankIdError, DataFileError
    from qygeo.io.plot_files import read_plots_dask, wkb_errors
    from qygeo.pipeline import plot_table as engine

    ddf = read_plots_dask(path, layer=layer)
    parts = ddf.to_delayed()
    task = dask.delayed(_partition_table)
    futures_in = [task(p, parks, as_of, str(path)) for p in parts]
    cluster = None
    if scheduler:
        client = connect(scheduler)
    else:
        cluster = LocalCluster(n_workers=n_workers or engine.threads(), threads_per_worker=1,
                               processes=processes, dashboard_address=None)
        client = Client(cluster)
        client.run(_quiet_task_failures)
    try:
        futures = client.compute(futures_in)
        if progress:
            import sys

            from distributed import progress as dask_progress

            stdout = sys.stdout
            sys.stdout = sys.stderr  # the progress bar writes to stdout; data goes there
            try:
                dask_progress(futures, notebook=False)
                print(file=sys.stderr)
            except (OSError, ValueError, AttributeError):
                # A closed or broken stderr (`2>&1 | head -1`, `2>&-`): progress is a
                # courtesy, the work goes on and the futures are waited for below.
                pass
            finally:
                sys.stdout = stdout
        with wkb_errors(path):  # bytes that are not WKB, found by a worker
            tables = []
            for future in futures:  # in file order: a part's rows follow the parts before it
                try:
                    tables.append(future.result())
                except BlankIdError as exc:  # its row within the part: now within the file
                    raise BlankIdError(path, sum(map(len, tables)) + exc.row) from None
                except UnicodeDecodeError:  # GDAL's text, decoded as a worker read its part
                    raise DataFileError(path, "is not UTF-8 text: save it as UTF-8") from None
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    if not tables:
        return engine.empty_plot_table()
    out = pd.concat(tables, ignore_index=True)
    engine.check_unique_ids(out["plot_id"], Path(path))
    from qygeo.io.plot_rows import split_invalid

    out, bad = split_invalid(out, path, skip=skip_invalid)
    if excluded is not None:
        excluded += bad
    return out
