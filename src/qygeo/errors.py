"""Named exceptions raised by qygeo's library code.

The CLI turns every :class:`QygeoError` into one readable line on stderr and a
non-zero exit code; library code never prints.
"""

from __future__ import annotations

from typing import Any


class QygeoError(Exception):
    """Base class of every error a user can cause (bad file, bad value)."""

    exit_code = 1


class DataFileError(QygeoError):
    """A file is missing, unreadable or malformed.

    Parameters
    ----------
    path : str
        The file concerned.
    problem : str
        What is wrong with it, in one short sentence.
    """

    def __init__(self, path: object, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


class FeatureError(QygeoError):
    """One feature of a layer is invalid (geometry, id, attribute).

    Parameters
    ----------
    path : str
        The layer file.
    feature_id : str or None
        The feature's id, when it has one.
    problem : str
        What is wrong, in one short sentence.
    """

    def __init__(self, path: object, feature_id: object, problem: str) -> None:
        self.path = str(path)
        self.feature_id = None if feature_id is None else str(feature_id)
        self.problem = problem
        where = self.path if self.feature_id is None else f"{self.path} [{self.feature_id}]"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised on a Dask worker, it reaches the report's process pickled.
        return (type(self), (self.path, self.feature_id, self.problem))


class BlankIdError(FeatureError):
    """A feature without an id, at *row* (0-based) of the file or of the part read."""

    def __init__(self, path: object, row: int, id_field: str = "plot_id") -> None:
        self.row = row
        self.id_field = id_field
        super().__init__(path, f"feature #{row + 1}", f"empty {id_field}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.row, self.id_field))


class InvalidPlotsError(FeatureError):
    """Plot rows that cannot be judged (see :mod:`qygeo.io.plot_rows`); refused by default.

    The message names the file, the first plot and its problem, and how many more
    plots were refused.

    Parameters
    ----------
    path : str
        The plots layer.
    rows : list of (str, str)
        ``(plot_id, problem)`` of every refused plot, in file order.
    """

    def __init__(self, path: object, rows: list[tuple[str, str]]) -> None:
        self.rows = list(rows)
        pid, problem = self.rows[0]
        more = len(self.rows) - 1
        tail = f"; {more} more plot{'s' if more != 1 else ''} refused" if more else ""
        super().__init__(path, pid, f"{problem}{tail} (--skip-invalid-plots leaves such "
                                    "plots out and lists them)")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.rows))


class SchedulerError(QygeoError):
    """The Dask scheduler given with ``--scheduler`` is malformed or not reachable."""


class CRSError(QygeoError):
    """A coordinate reference system is missing, unknown or inconsistent."""


class JoinError(QygeoError):
    """Attribute rows and layer features do not match (raised in strict mode)."""


class UnknownParkError(QygeoError):
    """A park id asked for does not exist in the parks layer."""


class ConfigError(QygeoError):
    """A grading configuration file (TOML) is unreadable or holds a bad value."""


class BoundaryError(DataFileError):
    """A boundary file cannot become a park: invalid or non-polygonal geometry, outside
    Qingyuan or its district, implausible size, or overlapping another park."""


class ParkExistsError(QygeoError):
    """``park add`` was given an id the parks layer already has."""


class GeodataBusyError(QygeoError):
    """Another process holds the data folder's write lock for too long."""


class GeodataNotWritableError(DataFileError):
    """The data folder's write lock cannot be made (a read-only file system, a folder of
    another user): no edit can start, and the operating system's reason is the problem."""


class HistoryError(QygeoError):
    """There is no earlier version to restore, or restoring it would lose an edit."""


class ParksChangedError(QygeoError):
    """``parks.geojson`` is no longer the version a change was previewed or listed against
    (another window, command or editor wrote it since): the change may no longer be the
    one the user saw, so nothing is written."""
