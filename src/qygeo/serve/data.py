"""What the web app reads from the data folder, cached until the folder changes.

The data folder is the only state: every answer is computed from it by the same
functions as the command line (:func:`qygeo.io.dataset.load_dataset`,
:func:`qygeo.pipeline.report.build_report`, :func:`qygeo.render.maps.render_maps`), and cached
under a fingerprint of the folder's files (path, size, modification time). An
edit through the app, ``qygeo park`` or a text editor changes the fingerprint,
so the next request sees it.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from qygeo.pipeline.parks import HISTORY_DIR, lock_path

#: Reports kept per fingerprint (one per parks/year/as-of asked for).
REPORT_CACHE_SIZE = 32


def fingerprint(root: Path) -> tuple[tuple[str, int, int], ...]:
    """(relative path, size, mtime ns) of every file the layers are read from.

    The history folder and the lock file are left out: they change on every
    edit but hold nothing a page shows.
    """
    out = []
    lock = lock_path(root)
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] == HISTORY_DIR or p == lock or not p.is_file():
            continue
        st = p.stat()
        out.append((str(rel), st.st_size, st.st_mtime_ns))
    return tuple(out)


def default_as_of() -> dt.date:
    """The as-of date of a page that names none (the maps, a report without ``as_of``):
    today, read on every request, so both move on together when the day changes."""
    return dt.date.today()


class DataCache:
    """Dataset, reports and map pages of one data folder, rebuilt when it changes.

    Parameters
    ----------
    root : pathlib.Path
        The data folder.
    basemap : str
        Basemap of the map pages (see :data:`qygeo.render.basemaps.BASEMAP_NAMES`).
    """

    def __init__(self, root: Path, basemap: str = "osm") -> None:
        self.root = root
        self.basemap = basemap
        self._lock = threading.Lock()
        self._key: tuple[Any, ...] | None = None
        self._dataset: Any = None
        self._reports: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._pages: dict[str, str] | None = None
        self._pages_as_of: dt.date | None = None
        self._page_lock = threading.Lock()

    def _current(self) -> tuple[Any, ...]:
        key = fingerprint(self.root)
        if key != self._key:
            self._key, self._dataset, self._pages = key, None, None
            self._reports.clear()
        return key

    def dataset(self) -> Any:
        """The loaded data folder (:class:`qygeo.io.dataset.Dataset`)."""
        from qygeo.io.dataset import load_dataset

        with self._lock:
            self._current()
            if self._dataset is None:
                self._dataset = load_dataset(self.root)
            return self._dataset

    def report(self, park_ids: list[str] | None, year: int | None,
               as_of: dt.date | None) -> Any:
        """The report (:class:`qygeo.pipeline.report.Report`) for these parks, year and date
        (``None``: :func:`default_as_of`)."""
        from qygeo.pipeline.report import build_report

        ds = self.dataset()
        key = (tuple(park_ids or ()), year, as_of or default_as_of())
        with self._lock:
            if key in self._reports:
                self._reports.move_to_end(key)
                return self._reports[key]
        rep = build_report(ds, year=year, park_ids=park_ids or None, as_of=key[2])
        with self._lock:
            if self._dataset is ds:  # not replaced by a newer version meanwhile
                self._reports[key] = rep
                while len(self._reports) > REPORT_CACHE_SIZE:
                    self._reports.popitem(last=False)
        return rep

    def pages(self) -> dict[str, str]:
        """Every map page (relative path → HTML), self-contained, as ``qygeo map`` writes them.

        They show idle verdicts as of :func:`default_as_of`, the report's default date, so
        a server left running past midnight renders them again, as the report is.
        """
        from qygeo.render.basemaps import get_basemap
        from qygeo.render.maps import render_maps

        with self._page_lock:  # one rendering at a time: it is the slowest thing served
            ds = self.dataset()
            as_of = default_as_of()
            with self._lock:
                if (self._pages is not None and self._dataset is ds
                        and self._pages_as_of == as_of):
                    return self._pages
            rep = self.report(None, None, as_of)
            pages = render_maps(ds, rep, get_basemap(self.basemap), self_contained=True)
            with self._lock:
                if self._dataset is ds:
                    self._pages, self._pages_as_of = pages, as_of
            return pages
