"""qygeo: Qingyuan biomedical industry geodata, land-use intensity and maps.

The public API (:mod:`qygeo.api` and the park edits of :mod:`qygeo.parks`) is
reached from here by name; each is imported on first use, so that
``import qygeo`` and ``qygeo --help`` load neither geopandas nor folium.
``report`` and ``validate`` are still the names of submodules, so those two
functions are imported from :mod:`qygeo.api` for now.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_PUBLIC = {
    "load": "api", "city_map": "api", "park_map": "api",
    "add_park": "parks", "update_park": "parks", "remove_park": "parks", "undo": "parks",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'qygeo' has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])
