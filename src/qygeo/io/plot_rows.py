"""One validation of plot rows, whatever the command and the engine.

A plot row that cannot be judged must never be counted: a bowtie, point,
empty or missing geometry measures 0 mu yet would still be judged idle; a
negative, boolean, infinite or absurd amount would be summed into its park; a
date GDAL rolled over (``2022-02-30`` → 2022-03-02) or a placeholder such as
``9999-12-31`` would move the idle clock. Every reader of plots —
:func:`qygeo.io.layers.conform` (text and booleans in number and date columns),
the plot engine's batches (:mod:`qygeo.pipeline.plot_table`), the data
folder's loader (:func:`qygeo.io.dataset.load_dataset`) and ``qygeo validate`` —
flags rows here, with the same words, and the caller either refuses them
(:class:`qygeo.errors.InvalidPlotsError`, the default) or leaves them out and
lists them (``--skip-invalid-plots``).

The checks are vectorised: a batch of a million plots costs a few numpy passes
(:func:`check_rings` decides most polygons' validity without a shapely object).

Dates must lie in :data:`DATE_MIN` … :data:`DATE_MAX`. ``9999-12-31`` is a common
"open-ended" value, but every plot date column (contract, agreed start, actual
start, suspended since) records when something happened or was agreed; none is
an end date, so an open end is written as an empty cell (no date), never as a
far-future date, which the idle rule would otherwise treat as a real start.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


#: The earliest and latest plot date accepted (Chinese land-use contracts start in the
#: 1980s; plans reach a few decades ahead).
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

#: The largest amount or area accepted in a plot's money or area column: ten times China's
#: yearly GDP in yuan (about 1.3e14); anything larger is a unit or data-entry error, and
#: sums of such values would overflow.
MAX_VALUE = 1e15

#: Words of each problem, shared by every reader (the messages are compared in tests).
NOT_A_NUMBER = "{col} is not a number: {value!r}"
BOOLEAN = "{col} is {value}, a boolean, not a number"
NOT_FINITE = "{col} is not a finite number"
NEGATIVE = "{col} is negative"
TOO_LARGE = "{col} is larger than 1e15 (implausible)"
NOT_A_DATE = "{col} is not a calendar date (YYYY-MM-DD): {value!r}"
DATE_RANGE = ("{col} is outside 1900-01-01 … 2100-12-31 (an open end is an empty cell, "
              "not a far date)")
NO_GEOMETRY = "empty or missing geometry"
NOT_POLYGON = "geometry is {kind}, expected Polygon or MultiPolygon"
HAS_Z = "geometry has Z coordinates (GeoJSON layers here are 2D)"
INVALID = "invalid geometry ({reason})"

#: Geometry type names by shapely type id.
GEOMETRY_NAMES = ("Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                  "MultiLineString", "MultiPolygon", "GeometryCollection")


@dataclass
class Rings:
    """Single-ring polygons as flat coordinates.

    ``x``, ``y`` hold every vertex (rings closed), ``starts`` the index of each
    polygon's first vertex (length n + 1), ``rows`` the row of each polygon.
    """

    x: np.ndarray
    y: np.ndarray
    starts: np.ndarray
    rows: np.ndarray

    @functools.cached_property
    def by_count(self) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """The rings grouped by vertex count: ``(positions, x, y)`` per count, *x* and *y*
        of shape (count, rings): row *j* holds every ring's vertex *j*.

        Most batches hold one shape of plot (every ring of five or seven vertices), and
        laid out so, a formula over a ring's edges is a few numpy passes over whole
        rows, without a per-ring ``reduceat`` or ``repeat``.
        """
        counts = np.diff(self.starts)
        if not len(counts):
            return []
        if (counts == counts[0]).all() and self.starts[0] == 0 and len(self.x) == self.starts[-1]:
            k = int(counts[0])
            return [(np.arange(len(counts)), np.ascontiguousarray(self.x.reshape(-1, k).T),
                     np.ascontiguousarray(self.y.reshape(-1, k).T))]
        per_count = np.bincount(counts)
        ks = np.flatnonzero(per_count)
        # Counts of under 65,536 vertices sort as 16-bit keys: numpy's stable sort of those
        # is a radix sort, a pass per byte, not a comparison sort.
        keys = counts.astype(np.uint16) if ks[-1] < 1 << 16 else counts
        order = np.argsort(keys, kind="stable")
        bounds = np.r_[0, np.cumsum(per_count[ks])]
        out = []
        for i, k in enumerate(ks.tolist()):
            pos = order[bounds[i]:bounds[i + 1]]
            idx = np.arange(k)[:, None] + self.starts[pos]
            out.append((pos, self.x[idx], self.y[idx]))
        return out

    def boxes(self) -> np.ndarray:
        """Each ring's bounding box: rows min x, min y, max x, max y."""
        out = np.empty((4, len(self.rows)))
        for pos, x, y in self.by_count:
            out[0, pos] = x.min(axis=0)
            out[1, pos] = y.min(axis=0)
            out[2, pos] = x.max(axis=0)
            out[3, pos] = y.max(axis=0)
        return out

    def take(self, which: np.ndarray) -> Rings:
        """The rings at positions *which*, their vertices copied end to end."""
        counts = np.diff(self.starts)[which]
        offsets = np.zeros(len(which) + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        take = np.arange(offsets[-1]) - np.repeat(offsets[:-1] - self.starts[which], counts)
        return Rings(self.x[take], self.y[take], offsets, self.rows[which])

    def polygons(self, which: np.ndarray) -> np.ndarray:
        """Shapely polygons of the rings at positions *which*, from the decoded coordinates.

        Cheaper than parsing their WKB again, and the same doubles.
        """
        import shapely

        sub = self.take(which)
        coords = np.column_stack([sub.x, sub.y])
        return shapely.from_ragged_array(shapely.GeometryType.POLYGON, coords,
                                         (sub.starts, np.arange(len(which) + 1)))


class RowProblems:
    """The first problem of each row of a batch (code −1: none).

    Parameters
    ----------
    n : int
        Rows in the batch.
    """

    def __init__(self, n: int) -> None:
        self.code = np.full(n, -1, dtype=np.int32)
        self.messages: list[str] = []
        self._codes: dict[str, int] = {}

    def flag(self, mask: Any, message: str) -> None:
        """Record *message* for the rows of *mask* that have no problem yet."""
        new = np.asarray(mask, dtype=bool) & (self.code < 0)
        if not new.any():
            return
        code = self._codes.get(message)
        if code is None:
            code = self._codes[message] = len(self.messages)
            self.messages.append(message)
        self.code[new] = code

    def flag_rows(self, rows: Any, message: str) -> None:
        """Record *message* for the row positions *rows*."""
        mask = np.zeros(len(self.code), dtype=bool)
        mask[np.asarray(rows, dtype=np.int64)] = True
        self.flag(mask, message)

    @property
    def bad(self) -> np.ndarray:
        """True for rows with a problem."""
        return self.code >= 0

    def column(self) -> Any:
        """The problems as a categorical column (:data:`PROBLEM_COLUMN`)."""
        import pandas as pd

        return pd.Categorical.from_codes(self.code, categories=pd.Index(self.messages,
                                                                        dtype=object))

    def listed(self, ids: Any) -> list[tuple[str, str]]:
        """``(plot_id, problem)`` of each bad row, in row order."""
        rows = np.flatnonzero(self.code >= 0)
        ids = np.asarray(ids, dtype=object)
        return [(str(ids[r]), self.messages[self.code[r]]) for r in rows]


@dataclass
class Excluded:
    """Plots refused by the checks: ``(plot_id, problem)`` in file order."""

    path: str
    rows: list[tuple[str, str]]

    def error(self) -> Exception:
        """The one-line refusal naming the file, the first plot, its problem and the rest."""
        from qygeo.errors import InvalidPlotsError

        return InvalidPlotsError(self.path, self.rows)


def check_numbers(attrs: pd.DataFrame, columns: tuple[str, ...], problems: RowProblems) -> None:
    """Flag non-finite, negative and implausibly large values of conformed float columns."""
    for col in columns:
        if col not in attrs.columns:
            continue
        v = attrs[col].to_numpy(dtype="float64", na_value=np.nan)
        with np.errstate(invalid="ignore"):
            problems.flag(np.isinf(v), NOT_FINITE.format(col=col))
            problems.flag(v < 0, NEGATIVE.format(col=col))
            problems.flag(v > MAX_VALUE, TOO_LARGE.format(col=col))


SUSPENDED_BEFORE_START = ("suspended_since is before actual_start_date (Order No. 53 Art. 2: "
                          "construction is suspended after it started)")


def check_date_order(attrs: pd.DataFrame, problems: RowProblems) -> None:
    """Flag a suspension dated before the plot's start: Art. 2's year of suspension would
    run from before the works began, and the plot be judged idle early."""
    if "suspended_since" not in attrs.columns or "actual_start_date" not in attrs.columns:
        return
    suspended = attrs["suspended_since"].to_numpy(dtype="datetime64[ns]")
    started = attrs["actual_start_date"].to_numpy(dtype="datetime64[ns]")
    problems.flag(~np.isnat(suspended) & ~np.isnat(started) & (suspended < started),
                  SUSPENDED_BEFORE_START)


def check_as_of(as_of: dt.date) -> dt.date:
    """*as_of* when it lies in :data:`DATE_MIN` … :data:`DATE_MAX`, the range of plot dates.

    A date outside it is a typo (9999-12-31 would make every plot idle for millennia,
    and fine it): refused, not judged on.

    Raises
    ------
    QygeoError
        The date is outside the range.
    """
    if not DATE_MIN <= as_of <= DATE_MAX:
        from qygeo.errors import QygeoError

        raise QygeoError(f"as-of date {as_of.isoformat()} is outside "
                         f"{DATE_MIN.isoformat()} … {DATE_MAX.isoformat()}, the range of "
                         "plot dates")
    return as_of


def dates_in_range(values: np.ndarray) -> np.ndarray:
    """True where a datetime64 value is missing or within :data:`DATE_MIN` … :data:`DATE_MAX`."""
    days = values.astype("datetime64[D]")
    lo, hi = np.datetime64(DATE_MIN, "D"), np.datetime64(DATE_MAX, "D")
    return np.isnat(days) | ((days >= lo) & (days <= hi))


def check_geometries(geoms: np.ndarray, rows: np.ndarray, problems: RowProblems) -> None:
    """Flag missing, empty, non-polygonal, 3-D and invalid shapely geometries at *rows*."""
    import shapely

    if not len(rows):
        return
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    problems.flag_rows(rows[missing], NO_GEOMETRY)
    kind = shapely.get_type_id(geoms)
    polygonal = (kind == 3) | (kind == 6)
    for t in np.unique(kind[~polygonal & ~missing]):
        problems.flag_rows(rows[~polygonal & ~missing & (kind == t)],
                           NOT_POLYGON.format(kind=GEOMETRY_NAMES[int(t)]))
    ok = polygonal & ~missing
    problems.flag_rows(rows[ok & shapely.has_z(geoms)], HAS_Z)
    invalid = np.flatnonzero(ok)[~shapely.is_valid(geoms[ok])]
    for i in invalid:
        problems.flag_rows(rows[[i]], INVALID.format(reason=shapely.is_valid_reason(geoms[i])))


def check_rings(rings: Rings, problems: RowProblems) -> None:
    """Flag invalid single-ring polygons, deciding nearly all of them without shapely.

    Seen from a point, a ring whose every edge turns the same way (strictly)
    and whose edges sweep exactly one full turn (±2π) is a simple polygon: each
    edge stays in its own angular sector, so no two edges meet except at a
    shared vertex. Land plots, convex or star-shaped (an L-shaped plot, most
    often), pass this test seen from the centroid of their area; the others are
    tested edge pair by edge pair (:func:`_no_crossings`), and only rings
    neither decides (bowties, spirals, repeated or collinear vertices, unclosed
    rings) are built as shapely polygons and tested with GEOS.

    Rings of the same vertex count are tested together (:attr:`Rings.by_count`).
    """
    for pos, x, y in rings.by_count:
        closed = (x[0] == x[-1]) & (y[0] == y[-1])
        problems.flag_rows(rings.rows[pos[~closed]], INVALID.format(reason="ring is not closed"))
        simple = closed & _star_shaped(x, y, *_area_centroids(x, y))
        unsure = np.flatnonzero(~simple & closed)
        if len(unsure):
            unsure = unsure[~_no_crossings(x, y, unsure)]
        if len(unsure):
            check_geometries(rings.polygons(pos[unsure]), rings.rows[pos[unsure]], problems)


def _star_shaped(x: np.ndarray, y: np.ndarray, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Per ring (column of *x*, *y*: closed rings of one vertex count, see
    :attr:`Rings.by_count`): every edge turns the same way, strictly, seen from
    (*cx*, *cy*), and the edges sweep one full turn (see :func:`check_rings`).
    False for rings of under 3 edges."""
    rx = x - cx
    ry = y - cy
    cross = rx[:-1] * ry[1:]  # edge j: vertex j to j + 1, seen from the centre
    cross -= ry[:-1] * rx[1:]
    turns = np.sign(cross).sum(axis=0)
    # Turning one way, the edges sweep one full turn when exactly one of them crosses the
    # centre's horizontal line upwards (a closed ring crosses it downwards as often).
    below = ry < 0
    ups = (below[:-1] & ~below[1:]).sum(axis=0, dtype=np.int32)
    edges = x.shape[0] - 1
    return (edges >= 3) & (np.abs(turns) == edges) & (ups == 1)


def _area_centroids(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The centroid of each closed ring's area (columns of *x*, *y*; NaN for a ring of no
    area), computed relative to its first vertex for precision."""
    rx = x - x[0]
    ry = y - y[0]
    cross = rx[:-1] * ry[1:]
    cross -= rx[1:] * ry[:-1]
    six_area = 3.0 * cross.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cx = ((rx[:-1] + rx[1:]) * cross).sum(axis=0) / six_area
        cy = ((ry[:-1] + ry[1:]) * cross).sum(axis=0) / six_area
    return x[0] + cx, y[0] + cy


#: Rings with more edges than this are left to GEOS by :func:`_no_crossings`.
PAIRWISE_MAX_EDGES = 32


def _no_crossings(x: np.ndarray, y: np.ndarray, which: np.ndarray) -> np.ndarray:
    """For the rings at columns *which* of *x*, *y* (closed rings of one vertex count): True
    where no two edges meet, tested pairwise.

    Every pair of non-adjacent edges by the signs of four orientations, and every
    vertex for a spike (collinear with its neighbours). Any zero orientation
    (touching, collinear) or a ring of more than :data:`PAIRWISE_MAX_EDGES` edges
    gives False: GEOS decides.
    """
    out = np.zeros(len(which), dtype=bool)
    k = x.shape[0] - 1
    if k < 3 or k > PAIRWISE_MAX_EDGES:
        return out
    # A few thousand rings at a time: the (k, k + 1, rings) temporaries stay small enough
    # to be reused from malloc's heap and the cache, not faulted in afresh per batch.
    step = max(1, PAIRWISE_CELLS // (k * (k + 1)))
    for lo in range(0, len(which), step):
        sel = which[lo:lo + step]
        out[lo:lo + step] = _pairwise_simple(x[:, sel], y[:, sel])
    return out


#: Orientation cells (edges × vertices × rings) :func:`_no_crossings` computes at a time.
PAIRWISE_CELLS = 1 << 18


@functools.cache
def _edge_pairs(k: int) -> tuple[np.ndarray, np.ndarray]:
    """The non-adjacent edge pairs (i, j), i < j, of a closed ring of *k* edges."""
    i, j = np.triu_indices(k, 2)
    keep = ~((i == 0) & (j == k - 1))
    return i[keep], j[keep]


def _pairwise_simple(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`_no_crossings` for the closed rings of the columns of *x*, *y*."""
    k = x.shape[0] - 1
    x = x - x[0]
    y = y - y[0]
    # The side of edge e (vertex e to e + 1) vertex v lies on is the sign of the cross
    # product a − b, every edge against every vertex in one broadcast; a > b and a < b
    # give it without the subtraction (a − b is 0 only when a == b), and NaN in neither.
    with np.errstate(invalid="ignore"):  # a NaN or infinite vertex: GEOS names it
        dx, dy = x[1:] - x[:-1], y[1:] - y[:-1]
        a = np.subtract(y[None, :], y[:-1, None])
        a *= dx[:, None]
        b = np.subtract(x[None, :], x[:-1, None])
        b *= dy[:, None]
        left, right = a > b, a < b
    i, j = _edge_pairs(k)
    l1, r1, l2, r2 = left[i, j], right[i, j], left[i, j + 1], right[i, j + 1]
    l3, r3, l4, r4 = left[j, i], right[j, i], left[j, i + 1], right[j, i + 1]
    cross = ((l1 & r2) | (r1 & l2)) & ((l3 & r4) | (r3 & l4))
    # A vertex on the other edge's line (touching, collinear): not decided here.
    on_line = ~((l1 | r1) & (l2 | r2) & (l3 | r3) & (l4 | r4))
    v = np.arange(k)
    w = (v + k - 1) % k
    spike = ~(left[v, w] | right[v, w])  # vertex v−1 on the line of edge v
    return ~(cross | on_line).any(axis=0) & ~spike.any(axis=0)


#: The per-plot table's column naming each row's problem (missing: the row is fine).
PROBLEM_COLUMN = "plot_problem"


def split_invalid(table: pd.DataFrame, path: object, *,
                  skip: bool) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The per-plot table without its :data:`PROBLEM_COLUMN`, and the plots it names.

    Parameters
    ----------
    table : pandas.DataFrame
        A per-plot table from an engine (:mod:`qygeo.pipeline.plot_table`).
    path : object
        The plots layer, for the message.
    skip : bool
        Leave the bad rows out (and return them) instead of refusing them.

    Raises
    ------
    InvalidPlotsError
        Without *skip*, when a row has a problem.
    """
    if PROBLEM_COLUMN not in table.columns:
        return table, []
    col = table[PROBLEM_COLUMN]
    bad = col.notna().to_numpy(dtype=bool)
    table = table.drop(columns=[PROBLEM_COLUMN])
    if not bad.any():
        return table, []
    rows = [(str(i), str(m)) for i, m in zip(table["plot_id"][bad], col[bad])]
    if not skip:
        raise Excluded(str(path), rows).error()
    return table.loc[~bad].reset_index(drop=True), rows
