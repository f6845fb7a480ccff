"""qygeo: Qingyuan biomedical industry geodata, land-use intensity and maps.

The public API is reached from here by name; each function is imported on
first use, so that ``import qygeo`` and ``qygeo --help`` load neither pandas,
geopandas nor folium::

    import qygeo
    ds = qygeo.load("geodata")
    rep = qygeo.report(ds, year=2024, as_of="2026-01-01")
    rep.parks                       # GeoDataFrame: geometry + every report column
    m = qygeo.city_map(rep)         # folium.Map
    qygeo.validate("geodata")       # [] when every check passes

The package is layered, each layer using only those below it: :mod:`qygeo.io`
(files), :mod:`qygeo.core` (formulas), :mod:`qygeo.pipeline` (reports, park
edits), :mod:`qygeo.render` (tables, pages, maps), then :mod:`qygeo.api`,
:mod:`qygeo.cli` and :mod:`qygeo.serve` on top. ``docs/design.md`` draws it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_PUBLIC = {
    "load": "api", "report": "api", "validate": "api", "city_map": "api", "park_map": "api",
    "add_park": "pipeline.parks", "update_park": "pipeline.parks",
    "remove_park": "pipeline.parks", "undo": "pipeline.parks",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'qygeo' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
