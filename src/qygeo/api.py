"""The public Python API: what a notebook user calls, and what the CLI calls too.

``import qygeo`` exposes every function here lazily (see :mod:`qygeo`), so
importing the package loads neither pandas, geopandas nor folium::

    import qygeo
    ds = qygeo.load("geodata")
    rep = qygeo.report(ds, year=2024, as_of="2026-01-01")
    rep.parks                       # GeoDataFrame: geometry + every report column
    rep.plots                       # GeoDataFrame: plots with status, reason, grade
    m = qygeo.city_map(rep)         # folium.Map: shows inline in Jupyter
    qygeo.park_map(rep, "guangfo")
    qygeo.validate("geodata")       # [] when every check passes
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import folium

    from qygeo.io.dataset import Dataset
    from qygeo.pipeline.report import Report


def load(geodata: str | os.PathLike[str] | None = None, *,
         plots: str | os.PathLike[str] | None = None,
         plots_layer: str | None = None, skip_invalid_plots: bool = False) -> Dataset:
    """Read a data folder (default ``$QYGEO_GEODATA``, else ``./geodata``): every layer and table.

    *plots* replaces the folder's own plots layer. Plot rows that cannot be judged
    are refused (:class:`qygeo.errors.InvalidPlotsError`) unless *skip_invalid_plots*.
    """
    from qygeo.io.dataset import load_dataset

    return load_dataset(geodata, plots=plots, plots_layer=plots_layer,
                        skip_invalid_plots=skip_invalid_plots)


def report(data: Dataset | str | os.PathLike[str] | None = None, **options: Any) -> Report:
    """The per-park report of *data* (a :func:`load` result or a data folder).

    Keywords are those of :func:`qygeo.pipeline.make_report`: ``year``,
    ``as_of`` (a date or ``"2026-01-01"``), ``plots`` (a plots file, read by the
    plot engine), ``engine`` (``"default"`` or ``"dask"``), ``park_ids``,
    ``grading`` … Render it with :func:`qygeo.render.text.render` or write it with
    :func:`qygeo.render.text.write_report`.
    """
    from qygeo.pipeline import make_report

    return make_report(data, **options)


def _dataset_of(rep: Report) -> Dataset:
    from qygeo.errors import QygeoError

    if rep.dataset is None:
        raise QygeoError("this report carries no dataset: build it with qygeo.report()")
    return rep.dataset


def city_map(rep: Report, *, basemap: str = "osm", classes: str = "fixed") -> folium.Map:
    """The city map of *rep*: districts, parks by intensity, planting, idle plots.

    *classes*: ``fixed`` intensity classes (the same on every map) or ``quantile``.
    """
    from qygeo.errors import QygeoError
    from qygeo.render.basemaps import get_basemap
    from qygeo.render.maps import city_map as draw_city
    from qygeo.render.styles import CLASS_METHODS

    if classes not in CLASS_METHODS:
        raise QygeoError(f"classes {classes!r}: one of {', '.join(CLASS_METHODS)}")
    return draw_city(_dataset_of(rep), rep, get_basemap(basemap), classes=classes)


def park_map(rep: Report, park_id: str, *, basemap: str = "osm") -> folium.Map:
    """One park's map: its plots by idle status, acreage labels and its figures."""
    from qygeo.render.basemaps import get_basemap
    from qygeo.render.maps import park_map as draw_park

    return draw_park(_dataset_of(rep), rep, park_id, get_basemap(basemap))


def validate(geodata: str | os.PathLike[str] | None = None) -> list[str]:
    """Every problem ``qygeo validate`` finds in the data folder, one line each ([] when none)."""
    from qygeo.io.layers import geodata_dir
    from qygeo.pipeline.validate import validate_folder

    return list(validate_folder(Path(geodata_dir(geodata))).problems)
