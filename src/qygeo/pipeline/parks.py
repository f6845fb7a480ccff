"""Adding, replacing and removing park boundaries, from the files surveyors send.

The data flow of ``qygeo park add``::

    surveyor file ──read_boundary──▶ Boundary ──plan_add──▶ ParkChange ──commit──▶ parks.geojson
    (GeoJSON, Shapefile, .zip,     (one WGS84, valid,     (checked against      (lock, history
     GeoPackage, KML; any CRS)      2-D (Multi)Polygon)    districts and parks)  snapshot, atomic)

* :func:`qygeo.io.boundary.read_boundary` reads the file (the I/O layer);
  :func:`qygeo.core.placement.place_boundary` finds the district and checks size and
  overlaps (pure).
* :func:`plan_add`, :func:`plan_update` and :func:`plan_remove` are pure too: from
  a :class:`ParksState` they build the new file's text and a summary
  (:class:`ParkChange`); ``--dry-run`` stops there.
* :func:`commit` takes the lock, re-reads and re-plans (another process may have
  written meanwhile), records the change in a journal, keeps the previous file in
  ``.history/`` and replaces ``parks.geojson`` atomically; :func:`recover` completes
  or rolls back a change a killed process left. :func:`undo` restores the latest
  snapshot.

Every refusal is a :class:`~qygeo.errors.QygeoError` with a one-line message and
happens before anything is written: the lock file and the history folder are
only created by a write.

Unchanged parks are copied through as the JSON objects they were (not re-written
from a data frame), features are sorted by ``park_id`` and written one per line,
so ``git diff geodata/parks.geojson`` shows only the park that changed.

Why over 600 lines: planning, committing, the journal and undo share one state
(:class:`ParksState`) and one lock, and every edit passes through all of them;
split, each part would import the others' internals.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.core.placement import (
    OVERLAP_TOLERANCE_M2,
    Placement,
    areas_km2,
    clean_boundary,
    place_boundary,
)
from qygeo.errors import (
    BoundaryError,
    DataFileError,
    GeodataBusyError,
    GeodataNotWritableError,
    HistoryError,
    ParkExistsError,
    ParksChangedError,
    QygeoError,
    UnknownParkError,
)
from qygeo.ids import check_park_id
from qygeo.io import atomic, layers
from qygeo.io.boundary import WEB_DATUMS, Boundary, first_line, read_boundary_file

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

#: Values of ``kind`` (see geodata/README.md).
PARK_KINDS = ("high_tech_zone", "industrial_park", "specialised_park", "medicine_park",
              "resource_base")

#: Folder (inside the data folder) holding earlier versions of parks.geojson.
HISTORY_DIR = ".history"
#: Sub-folder of :data:`HISTORY_DIR` keeping versions replaced by an undo.
UNDONE_DIR = "undone"
#: Lock file serialising writes to parks.geojson, beside it (see :func:`lock_path`).
LOCK_NAME = ".parks.geojson.lock"
#: Seconds to wait for another qygeo process's write before giving up.
LOCK_TIMEOUT_S = 60.0


# --------------------------------------------------------------------------- reading


def read_boundary(path: str | Path, *, crs: str | None = None, layer: str | None = None,
                  dissolve: bool = False, fix: bool = False,
                  feature: str | int | None = None, encoding: str | None = None) -> Boundary:
    """A surveyor's file as one WGS84 boundary, ready to be placed.

    Reads it (:func:`qygeo.io.boundary.read_boundary_file`: formats, layers,
    ``--feature``, CRS, WGS84) and cleans it
    (:func:`qygeo.core.placement.clean_boundary`: validity, ``--fix`` repairs,
    dissolving, the 1e-6° grid). The parameters are those two functions'.
    """
    return clean_boundary(read_boundary_file(path, crs=crs, layer=layer, dissolve=dissolve,
                                             feature=feature, encoding=encoding), fix=fix)


# --------------------------------------------------------------------------- planning


@dataclass
class ParksState:
    """The data folder as a park change sees it.

    Attributes
    ----------
    root : pathlib.Path
        The data folder.
    raw : bytes or None
        ``parks.geojson`` as it is on disk (None when it does not exist yet).
    features : list of dict
        Its features, as parsed JSON objects (unchanged ones are written back as is).
    parks, districts : geopandas.GeoDataFrame
        The layers, WGS84.
    """

    root: Path
    raw: bytes | None
    features: list[dict[str, Any]]
    parks: gpd.GeoDataFrame
    districts: gpd.GeoDataFrame

    @property
    def path(self) -> Path:
        return self.root / layers.PARKS.filename

    def row(self, park_id: str) -> dict[str, Any] | None:
        for f in self.features:
            if str(f["properties"].get("park_id")) == park_id:
                return f
        return None

    def ids(self) -> list[str]:
        return [str(f["properties"].get("park_id")) for f in self.features]


def load_state(root: str | Path) -> ParksState:
    """Read ``districts.geojson`` and ``parks.geojson`` of the data folder *root*.

    Raises
    ------
    DataFileError
        Missing folder or districts layer, or a malformed parks layer.
    """
    import geopandas as gpd

    root = Path(root)
    if not root.is_dir():
        raise DataFileError(root, "data folder not found (use --geodata DIR or $QYGEO_GEODATA)")
    districts = layers.load_layer(root, layers.DISTRICTS)
    path = root / layers.PARKS.filename
    raw = path.read_bytes() if path.exists() else None
    features: list[dict[str, Any]] = []
    if raw is not None:
        layers._check_json(path)
        doc = json.loads(raw.decode("utf-8"))
        if doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
            raise DataFileError(path, "is not a GeoJSON FeatureCollection")
        features = doc["features"]
        if any(not isinstance(f, dict) or not isinstance(f.get("properties"), dict)
               for f in features):
            raise DataFileError(path, "has a feature without properties")
    if features:
        parks = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    else:
        parks = gpd.GeoDataFrame({c: [] for c in layers.PARKS.columns}, geometry=[],
                                 crs="EPSG:4326")
    parks = layers.conform(parks, layers.PARKS, path)
    return ParksState(root=root, raw=raw, features=features, parks=parks, districts=districts)


@dataclass(frozen=True)
class ParkChange:
    """A planned change of ``parks.geojson``: what it does and the new file's text."""

    action: str  #: "add", "update" or "remove"
    park_id: str
    feature: dict[str, Any] | None  #: the new feature (add, update)
    previous: dict[str, Any] | None  #: the feature replaced or removed
    placement: Placement | None
    boundary: Boundary | None
    text: str  #: the whole new parks.geojson
    parks_before: int
    parks_after: int
    notes: tuple[str, ...] = ()
    path: Path = field(default=Path("parks.geojson"))

    def summary(self) -> list[str]:
        """Lines describing the change (area in km² and mu, district, overlaps)."""
        props = (self.feature or self.previous or {}).get("properties", {})
        names = " / ".join(str(props[k]) for k in ("name_zh", "name_en") if props.get(k))
        verb = {"add": "add park", "update": "replace the boundary of park",
                "remove": "remove park"}[self.action]
        prep = "from" if self.action == "remove" else "in"
        out = [f"{verb} {self.park_id} ({names}) {prep} {self.path}"]
        b, p = self.boundary, self.placement
        if b is not None:
            feats = (f"{b.features} features dissolved" if b.features > 1
                     else b.picked or "1 feature")
            out.append(f"  boundary   {b.file_name}: {feats}, CRS {b.crs} → WGS84, "
                       f"sha256 {b.sha256[:16]}…")
        if p is not None:
            area = f"{p.area_km2:,.4f} km² = {p.area_mu:,.1f} mu (equal-area)"
            if self.action == "update" and self.previous is not None:
                old = _previous_area_m2(self.previous)
                if old:
                    moved = _centroid_shift_m(self.previous, self.feature)
                    area = (f"{old / 1e6:,.4f} → {area} ({(p.area_m2 - old) / old:+.1%}), "
                            f"centroid moved {moved:,.0f} m")
            out.append(f"  area       {area}")
            how = (f"derived from the boundary, {p.district_share:.1%} of its area" if p.derived
                   else f"as given, {p.district_share:.1%} of its area")
            out.append(f"  district   {p.district_adcode} {p.district_name} ({how})")
            ov = "; ".join(o.describe() for o in p.overlaps) or "none"
            out.append(f"  overlaps   {ov}" + (" (allowed)" if p.overlaps else ""))
            if p.slivers:
                out.append("  slivers    " + "; ".join(o.describe() for o in p.slivers)
                           + f" (under {OVERLAP_TOLERANCE_M2:g} m², ignored)")
        elif self.previous is not None:
            old = _previous_area_m2(self.previous)
            pp = self.previous["properties"]
            out.append(f"  was        {old / 1e6:,.4f} km² in district {pp.get('district_adcode')}"
                       f", {pp.get('boundary_quality') or 'quality unknown'}")
        if self.feature is not None:
            fp = self.feature["properties"]
            out.append(f"  recorded   boundary_quality={fp.get('boundary_quality')}, "
                       f"source_file={fp.get('source_file')}, added_on={fp.get('added_on')}")
        out.append(f"  parks      {self.parks_before} → {self.parks_after}")
        return out


def _previous_area_m2(feature: dict[str, Any]) -> float:
    from shapely.geometry import shape

    if not feature.get("geometry"):
        return 0.0
    return areas_km2([shape(feature["geometry"])])[0] * 1e6


def _centroid_shift_m(a: dict[str, Any], b: dict[str, Any] | None) -> float:
    from pyproj import Geod
    from shapely.geometry import shape

    if b is None or not a.get("geometry") or not b.get("geometry"):
        return float("nan")
    ca, cb = shape(a["geometry"]).centroid, shape(b["geometry"]).centroid
    return float(Geod(ellps="WGS84").inv(ca.x, ca.y, cb.x, cb.y)[2])


#: Options whose text is stored in parks.geojson, by keyword of :func:`plan_add`.
TEXT_OPTIONS = {"park_id": "--id", "name_zh": "--name-zh", "name_en": "--name-en",
                "source": "--source", "notes": "--notes", "parent": "--parent",
                "district": "--district"}


def check_text(label: str, value: object) -> None:
    """Refuse text holding control or bidi-override characters (see :mod:`qygeo.safe_text`).

    Such characters in a stored name would drive a terminal (``\\x1b]0;…``),
    fake a row of ``park list`` (a newline) or reorder how a line reads.
    """
    from qygeo.safe_text import describe_control_chars, has_control_chars

    if isinstance(value, str) and has_control_chars(value):
        raise QygeoError(f"{label} holds control characters ({describe_control_chars(value)}): "
                         "ids, names and notes are one line of plain text")


def check_texts(attrs: dict[str, Any]) -> None:
    """:func:`check_text` on every stored text option in *attrs* (keywords of plan_add)."""
    for key, label in TEXT_OPTIONS.items():
        check_text(label, attrs.get(key))


def _ancestors(state: ParksState, park_id: str | None) -> set[str]:
    parent = {str(f["properties"].get("park_id")): f["properties"].get("parent_park_id")
              for f in state.features}
    out: set[str] = set()
    node = park_id
    while node and node not in out:
        out.add(node)
        node = parent.get(node)
    return out


def _descendants(state: ParksState, park_id: str) -> set[str]:
    from qygeo.core.metrics import park_descendants

    return park_descendants(state.parks).get(park_id, {park_id})


def _geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    import geopandas as gpd

    fc = layers.to_feature_collection(gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326"))
    return fc["features"][0]["geometry"]


def _new_feature(state: ParksState, props: dict[str, Any], geom: BaseGeometry) -> dict[str, Any]:
    """A feature with the layer's columns in the layer's order (others null)."""
    import geopandas as gpd

    keys = list(layers.PARKS.columns)
    for f in state.features:
        keys += [k for k in f["properties"] if k not in keys]
    row = {k: [props.get(k)] for k in keys}
    gdf = gpd.GeoDataFrame(row, geometry=[geom], crs="EPSG:4326").astype(
        {k: "object" for k in keys})
    return layers.to_feature_collection(gdf, layers.PARKS)["features"][0]


def _render(features: list[dict[str, Any]]) -> str:
    ordered = sorted(features, key=lambda f: str(f["properties"].get("park_id")))
    return layers.dumps_feature_collection({"type": "FeatureCollection", "features": ordered})


def plan_add(
    state: ParksState,
    boundary: Boundary,
    *,
    park_id: str,
    name_zh: str,
    name_en: str,
    kind: str = "industrial_park",
    district: str | None = None,
    parent: str | None = None,
    quality: str | None = None,
    source: str | None = None,
    notes: str | None = None,
    allow_overlap: bool = False,
    force: bool = False,
    today: dt.date | None = None,
) -> ParkChange:
    """Plan adding a park with *boundary* (nothing is written).

    Parameters
    ----------
    state : ParksState
        The data folder (see :func:`load_state`).
    boundary : Boundary
        From :func:`read_boundary`.
    park_id, name_zh, name_en, kind : str
        The new park's id (see :func:`check_park_id`), names and kind
        (one of :data:`PARK_KINDS`).
    district : str, optional
        Its district's adcode; derived from the boundary when not given.
    parent : str, optional
        The park it lies in (``parent_park_id``); overlapping it is allowed.
    quality : str, optional
        ``boundary_quality`` (one of ``layers.BOUNDARY_QUALITIES``); default
        :attr:`Boundary.default_quality` (``surveyed``; ``approximate`` for a
        boundary drawn on a web map, noted).
    source : str, optional
        ``source``; default ``"added by qygeo park add from <file name>"``.
    notes : str, optional
        ``notes``.
    allow_overlap : bool, default False
        Accept overlaps with other parks.
    force : bool, default False
        Accept names another park has (noted).
    today : datetime.date, optional
        ``added_on``; default today.

    Returns
    -------
    ParkChange

    Raises
    ------
    ParkExistsError
        The id is taken, or, without *force*, another park has one of the names (see
        :func:`_check_names_free`).
    QygeoError, BoundaryError, UnknownParkError, DataFileError
        A bad id, name, kind or quality, unknown parent, or a boundary refused by
        :func:`place_boundary`.
    """
    check_park_id(park_id, "--id")
    check_texts({"name_zh": name_zh, "name_en": name_en, "source": source, "notes": notes,
                 "parent": parent, "district": district})
    check_text("the boundary's file name", boundary.file_name)
    existing = state.row(park_id)
    if existing is not None:
        p = existing["properties"]
        raise ParkExistsError(
            f"park id {park_id!r} already exists in {state.path} ({p.get('name_zh')} / "
            f"{p.get('name_en')}): choose another id, or replace its boundary with "
            f"qygeo park update {park_id} FILE")
    for label, value in (("--name-zh", name_zh), ("--name-en", name_en)):
        if not (value or "").strip():
            raise QygeoError(f"{label} is empty: a park needs both names")
    names_note = _check_names_free(state, park_id, name_zh, name_en, force)
    _check_choice("--kind", kind, PARK_KINDS)
    quality, quality_notes = _quality(boundary, quality)
    skip: set[str] = set()
    if parent:
        if state.row(parent) is None:
            raise UnknownParkError(f"unknown park {parent!r} (--parent); known parks: "
                                   f"{', '.join(sorted(state.ids())) or '(none)'}")
        skip = _ancestors(state, parent)
    placement = place_boundary(boundary.geometry, state.districts, state.parks,
                               where=str(boundary.path), district=district,
                               allow_overlap=allow_overlap, skip=skip,
                               crs_hint=boundary.crs_hint)
    props = {
        "park_id": park_id, "name_zh": name_zh.strip(), "name_en": name_en.strip(),
        "district_adcode": placement.district_adcode, "kind": kind,
        "parent_park_id": parent or None,
        "source": source or f"added by qygeo park add from {boundary.source_label}",
        "boundary_quality": quality, "notes": notes or None,
        "source_file": boundary.file_name, "source_sha256": boundary.sha256,
        "added_on": (today or dt.date.today()).isoformat(),
    }
    feature = _new_feature(state, props, boundary.geometry)
    features = [*state.features, feature]
    return ParkChange(action="add", park_id=park_id, feature=feature, previous=None,
                      placement=placement, boundary=boundary, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=(*boundary.notes, *quality_notes, *names_note), path=state.path)


def _check_names_free(state: ParksState, park_id: str, name_zh: str, name_en: str,
                      force: bool) -> tuple[str, ...]:
    """Refuse a new park with a name another park has, unless *force* (then a note).

    Names are compared as ``report --park NAME`` takes them (stripped, case-folded): a
    shared name could then no longer pick a park, and both names of an existing park
    are most often ``park add`` typed for ``park update``.
    """
    key = {"--name-zh": name_zh.strip().casefold(), "--name-en": name_en.strip().casefold()}
    for f in state.features:
        p = f.get("properties") or {}
        theirs = {str(p.get(k) or "").strip().casefold() for k in ("name_zh", "name_en")}
        same = [label for label, k in key.items() if k in theirs]
        if not same or str(p.get("park_id")) == park_id:
            continue
        what = (f"{' and '.join(same)} {'are' if len(same) > 1 else 'is'} the "
                f"name{'s' if len(same) > 1 else ''} of park {p.get('park_id')} "
                f"({p.get('name_zh')} / {p.get('name_en')})")
        if force:
            return (f"{what} (accepted with --force; a report then picks these parks by id, "
                    "not name)",)
        raise ParkExistsError(f"{what}: to replace its boundary, run qygeo park update "
                              f"{p.get('park_id')} FILE; a new park needs names of its own "
                              "(a report picking parks by name could not tell the two "
                              "apart), or pass "
                              "--force")
    return ()


def _quality(boundary: Boundary, quality: str | None) -> tuple[str, tuple[str, ...]]:
    """The ``boundary_quality`` to record (*quality* checked, else the boundary's
    default) and a note when the default is not ``surveyed``."""
    if quality is not None:
        _check_choice("--quality", quality, layers.BOUNDARY_QUALITIES)
        return quality, ()
    default = boundary.default_quality
    if boundary.web_datum is None:
        return default, ()
    return default, (f"{boundary.file_name} was {WEB_DATUMS[boundary.web_datum]}: recorded "
                     f"boundary_quality={default}, not surveyed (from a survey or cadastral "
                     "file); pass --quality to say otherwise",)


def _check_choice(label: str, value: str, allowed: Sequence[str]) -> None:
    if value not in allowed:
        raise QygeoError(f"{label} {value!r} is not one of {', '.join(allowed)}")


def _require(state: ParksState, park_id: str) -> dict[str, Any]:
    feature = state.row(park_id)
    if feature is None:
        raise UnknownParkError(f"unknown park {park_id!r} in {state.path}; known parks: "
                               f"{', '.join(sorted(state.ids())) or '(none)'}")
    return feature


#: How ``plan_update`` marks the source it writes, to keep only the original after it.
_UPDATE_EARLIER = "; earlier: "


#: ``park update`` needs ``--force`` to change a park's area by more than this share
#: (a different park, or a unit mistake) ...
MAX_UPDATE_AREA_CHANGE = 0.5
#: ... or to move its centroid further than this, in metres (a wrong CRS or park).
MAX_UPDATE_SHIFT_M = 1000.0


def plan_update(
    state: ParksState,
    park_id: str,
    boundary: Boundary,
    *,
    district: str | None = None,
    quality: str | None = None,
    source: str | None = None,
    notes: str | None = None,
    allow_overlap: bool = False,
    force: bool = False,
    today: dt.date | None = None,
) -> ParkChange:
    """Plan replacing park *park_id*'s boundary, keeping its attributes.

    Names, kind, parent and notes stay; ``district_adcode`` stays unless
    *district* is given, and the boundary must lie in it. The boundary's
    provenance is replaced: ``boundary_quality`` (*quality*, default
    :attr:`Boundary.default_quality`), ``source_file``, ``source_sha256``, ``added_on``, and
    ``source`` (*source*, default ``"boundary from <file> (qygeo park update
    <date>); earlier: <old source>"``). Overlap is not tested against the park
    itself, its parents or nested parks.

    A boundary identical to the stored one (on the stored 1e-6° grid) changes
    nothing unless *quality*, *source*, *notes* or *district* say otherwise: the
    plan's text is then the current file, and nothing is written.

    Raises
    ------
    UnknownParkError
        No such park.
    BoundaryError
        The boundary is refused (see :func:`place_boundary`), or, without
        *force*, it changes the area by more than :data:`MAX_UPDATE_AREA_CHANGE`
        or moves the centroid more than :data:`MAX_UPDATE_SHIFT_M`.
    """
    old = _require(state, park_id)
    check_texts({"source": source, "notes": notes, "district": district})
    check_text("the boundary's file name", boundary.file_name)
    if quality is not None:
        _check_choice("--quality", quality, layers.BOUNDARY_QUALITIES)
    op = old["properties"]
    skip = _ancestors(state, park_id) | _descendants(state, park_id)
    placement = place_boundary(boundary.geometry, state.districts, state.parks,
                               where=str(boundary.path),
                               district=district or op.get("district_adcode") or None,
                               allow_overlap=allow_overlap, skip=skip,
                               crs_hint=boundary.crs_hint,
                               district_label="--district" if district else
                               f"park {park_id}'s district")
    geometry = _geometry_json(boundary.geometry)
    same = (geometry == old.get("geometry")
            and placement.district_adcode == op.get("district_adcode")
            and quality in (None, op.get("boundary_quality")) and source is None
            and notes in (None, op.get("notes")))
    if same:
        return ParkChange(action="update", park_id=park_id, feature=old, previous=old,
                          placement=placement, boundary=boundary, text=state.raw.decode("utf-8")
                          if state.raw is not None else _render(state.features),
                          parks_before=len(state.features), parks_after=len(state.features),
                          notes=(*boundary.notes, f"{boundary.file_name} holds the boundary "
                                 f"park {park_id} already has: nothing to change"),
                          path=state.path)
    quality, quality_notes = _quality(boundary, quality)
    notes_out = [*boundary.notes, *quality_notes]
    old_m2 = _previous_area_m2(old)
    if old_m2 > 0:
        change = (placement.area_m2 - old_m2) / old_m2
        moved = _centroid_shift_m(old, {"geometry": geometry})
        if abs(change) > MAX_UPDATE_AREA_CHANGE or moved > MAX_UPDATE_SHIFT_M:
            what = (f"changes park {park_id}'s area {old_m2 / 1e6:,.4f} → "
                    f"{placement.area_km2:,.4f} km² ({change:+.1%}) and moves its centroid "
                    f"{moved:,.0f} m")
            limits = (f"more than {MAX_UPDATE_AREA_CHANGE:.0%} or {MAX_UPDATE_SHIFT_M:,.0f} m "
                      "is a different park or a unit/CRS mistake")
            if not force:
                raise BoundaryError(boundary.path, f"{what}; {limits}: check the file, or pass "
                                                   "--force if it is right")
            notes_out.append(f"{what} (accepted with --force)")
    day = (today or dt.date.today()).isoformat()
    if not source:
        earlier = str(op.get("source") or "").split(_UPDATE_EARLIER)[-1]
        source = f"boundary from {boundary.source_label} (qygeo park update {day})"
        if earlier:
            source += f"{_UPDATE_EARLIER}{earlier}"
    props = dict(op)
    props.update({"district_adcode": placement.district_adcode,
                  "boundary_quality": quality,
                  "source": source, "source_file": boundary.file_name,
                  "source_sha256": boundary.sha256, "added_on": day})
    for k in ("source_file", "source_sha256", "added_on"):
        props.setdefault(k, None)
    if notes is not None:
        props["notes"] = notes or None
    feature = {"type": "Feature", "properties": props, "geometry": geometry}
    features = [feature if f is old else f for f in state.features]
    return ParkChange(action="update", park_id=park_id, feature=feature, previous=old,
                      placement=placement, boundary=boundary, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=tuple(notes_out), path=state.path)


def references(root: Path, park_id: str) -> list[str]:
    """Where else *park_id* is named: nested parks, plots, planting areas, park statistics."""
    from qygeo.io.dataset import load_park_stats

    out = []
    for spec in (layers.PLOTS, layers.PLANTING):
        path = root / spec.filename
        if path.exists():
            gdf = layers.read_layer(path, spec, check_ids=False)
            if "park_id" in gdf.columns:
                n = int((gdf["park_id"] == park_id).sum())
                if n:
                    out.append(f"{spec.filename} ({n} feature{'s' if n != 1 else ''})")
    stats = load_park_stats(root)
    n = int((stats["park_id"] == park_id).sum()) if len(stats) else 0
    if n:
        out.append(f"attributes/park_stats.csv ({n} row{'s' if n != 1 else ''})")
    return out


def plan_remove(state: ParksState, park_id: str, *, force: bool = False) -> ParkChange:
    """Plan removing park *park_id*.

    Refused while other parks nest in it, or plots, planting areas or park
    statistics name it (``qygeo validate`` would then fail), unless *force*.

    Raises
    ------
    UnknownParkError
        No such park.
    QygeoError
        It is still referenced (without *force*).
    """
    old = _require(state, park_id)
    children = sorted(str(f["properties"].get("park_id")) for f in state.features
                      if f["properties"].get("parent_park_id") == park_id)
    refs = ([f"parks.geojson (nested parks: {', '.join(children)})"] if children else [])
    refs += references(state.root, park_id)
    if refs and not force:
        raise QygeoError(f"park {park_id!r} is still named by {'; '.join(refs)}: remove or "
                         "reassign those first, or pass --force (qygeo validate will then "
                         "report them)")
    features = [f for f in state.features if f is not old]
    notes = (f"still named by {'; '.join(refs)} (--force)",) if refs else ()
    return ParkChange(action="remove", park_id=park_id, feature=None, previous=old,
                      placement=None, boundary=None, text=_render(features),
                      parks_before=len(state.features), parks_after=len(features),
                      notes=notes, path=state.path)


# --------------------------------------------------------------------------- writing


def lock_path(root: Path) -> Path:
    """The lock file of *root*'s parks layer: beside the file a write replaces.

    That is :data:`LOCK_NAME` in *root*, unless ``parks.geojson`` is a symbolic
    link: then it is beside the link's target (``.<name>.lock``), so data folders
    sharing one file through links take one lock and no write is lost.
    """
    target = parks_target(root)
    return target.parent / f".{target.name}.lock"


def lock(root: Path, timeout: float = LOCK_TIMEOUT_S) -> Any:
    """The write lock of *root*'s parks layer (a ``filelock.FileLock``, not yet acquired)."""
    from filelock import FileLock

    return FileLock(str(lock_path(root)), timeout=timeout)


class _Locked:
    def __init__(self, root: Path, timeout: float) -> None:
        self.lock = lock(root, timeout)
        self.root = root
        self.timeout = timeout

    def __enter__(self) -> None:
        from filelock import Timeout

        try:
            self.lock.acquire()
        except Timeout:
            raise GeodataBusyError(
                f"{lock_path(self.root)}: another qygeo park command has been writing for over "
                f"{self.timeout:g} s; try again (or remove the lock file if no qygeo runs)"
            ) from None
        except OSError as exc:  # read-only or another user's folder (Timeout is one too)
            raise GeodataNotWritableError(lock_path(self.root),
                                          exc.strerror or str(exc)) from None

    def __exit__(self, *exc: object) -> None:
        self.lock.release()


def _timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")


def _new_history_path(folder: Path) -> Path:
    while True:
        path = folder / f"parks-{_timestamp()}.geojson"
        if not path.exists() and not path.with_suffix(".json").exists():
            return path
        time.sleep(1e-5)


def _check_history_folders(root: Path, *, undone: bool = False) -> None:
    """Refuse, before anything is written, when a file sits where the history folders go.

    Raises
    ------
    HistoryError
        ``.history`` (or, with *undone*, ``.history/undone``) exists and is not a folder.
    """
    folders = [root / HISTORY_DIR] + ([root / HISTORY_DIR / UNDONE_DIR] if undone else [])
    for folder in folders:
        if os.path.lexists(folder) and not folder.is_dir():
            raise HistoryError(f"{folder} is a file, but qygeo keeps earlier versions of "
                               "parks.geojson in a folder of that name: move the file away "
                               "(or delete it), then run the park command again")


def history(root: str | Path) -> list[Path]:
    """Earlier versions of ``parks.geojson`` kept in ``<root>/.history``, oldest first."""
    folder = Path(root) / HISTORY_DIR
    return sorted(folder.glob("parks-*.geojson")) if folder.is_dir() else []


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


#: :func:`parks_sha256` of a data folder without ``parks.geojson``.
NO_PARKS_FILE = "absent"


def parks_sha256(root: str | Path) -> str:
    """The version of *root*'s ``parks.geojson``: the SHA-256 (hex) of its bytes, or
    :data:`NO_PARKS_FILE`.

    A client showing the parks or a planned change to a user (the web app's preview
    and history) reads it *before* what it shows, and gives it back as
    ``expected_sha256`` of :func:`commit` or :func:`undo`, so that a change written by
    someone else in between is refused, not silently overwritten or undone.
    """
    path = Path(root) / layers.PARKS.filename
    return _sha(path.read_bytes()) if path.exists() else NO_PARKS_FILE


def check_parks_sha256(root: Path, expected_sha256: str | None) -> None:
    """Refuse when *root*'s ``parks.geojson`` is not the version *expected_sha256*
    (None: no check). Called before taking the lock (a refusal leaves no lock file) and
    again holding it, so no write can come in between.

    Raises
    ------
    ParksChangedError
        The file changed since its version was read.
    """
    if expected_sha256 is None:
        return
    now = parks_sha256(root)
    if now != expected_sha256:
        raise ParksChangedError(
            f"{root / layers.PARKS.filename} changed since version {expected_sha256[:12]} "
            f"this change was planned against (now {now[:12]}; written by another window, "
            "command or editor): nothing was written; look at it again and retry")


def parks_target(root: Path) -> Path:
    """The file a write of *root*'s ``parks.geojson`` replaces.

    A symbolic link is written through (its target is replaced), so the link
    stays a link.
    """
    path = root / layers.PARKS.filename
    return Path(os.path.realpath(path)) if path.is_symlink() else path


def _unlink(path: Path) -> None:
    """Remove the file *path* if it exists, and make the removal durable (fsync its folder).

    No file is there when a folder is (not ours to remove) or when a parent is a
    file: a rollback then goes on to its journal instead of stopping half-way,
    which would leave every later park command refused.
    """
    try:
        path.unlink()
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return
    atomic._fsync_dir(path.parent)


def _read_json(path: Path) -> Any:
    """*path* parsed as JSON; HistoryError (one line) when it cannot be."""
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError
        raise HistoryError(f"{path}: not readable JSON ({first_line(exc)}); restore it by hand "
                           "or delete it") from None


# Crash consistency. A park write changes up to four files (the snapshot, its note,
# parks.geojson, or the undone copy); each is replaced atomically, but a kill between
# them would leave a history that does not match parks.geojson. So, under the lock,
# the intent is written first to JOURNAL_NAME (atomic): what is done, parks.geojson's
# hash before and after, and the history files involved. The journal is removed last.
# The next park command, under the lock, finds it and completes the change (when
# parks.geojson already has the "after" hash) or rolls it back (when it still has
# the "before" one). A kill inside atomic_write_bytes leaves a temporary file, which
# only a writer holding the lock makes: under the lock every one is stale.

#: Journal of the park write in progress (inside :data:`HISTORY_DIR`).
JOURNAL_NAME = "journal.json"


def _journal_path(root: Path) -> Path:
    return root / HISTORY_DIR / JOURNAL_NAME


def _stale_temporaries(root: Path) -> list[Path]:
    """Temporary files a killed park writer left (``atomic_write_bytes``'s ``.NAME.*.tmp``)."""
    target = parks_target(root)
    out = list(target.parent.glob(f".{target.name}.*.tmp"))
    for folder in (root / HISTORY_DIR, root / HISTORY_DIR / UNDONE_DIR):
        if folder.is_dir():
            out += folder.glob(".*.tmp")
    return sorted(set(out))


def _needs_recovery(root: Path) -> bool:
    return _journal_path(root).exists() or bool(_stale_temporaries(root))


def _journal_ok(j: Any) -> bool:
    """Whether *j* is a journal this module wrote (its file names are plain history names)."""
    names = [j.get("snapshot"), j.get("kept_as") or "parks-.geojson"] if isinstance(j, dict) else []
    return (isinstance(j, dict) and j.get("kind") in ("commit", "undo")
            and all(isinstance(n, str) and re.fullmatch(r"parks-[0-9TZ.]*\.geojson", n)
                    for n in names))


def _recover_locked(root: Path) -> list[str]:
    """Complete or roll back an interrupted park write; remove stale temporaries.

    Must be called holding the lock. Returns notes saying what was done.

    Raises
    ------
    HistoryError
        The journal is unreadable, or parks.geojson matches neither side of the
        interrupted change (then nothing is touched: it needs a person).
    """
    notes = []
    jpath = _journal_path(root)
    j = _read_json(jpath) if jpath.exists() else None
    if j is not None and not _journal_ok(j):
        raise HistoryError(f"{jpath}: not a qygeo park journal; remove it once parks.geojson "
                           "and .history/ are checked")
    target = parks_target(root)
    current = target.read_bytes() if target.exists() else None
    now = _sha(current) if current is not None else None
    if j is not None and now not in (j.get("after"), j.get("before")):  # refused: touch nothing
        raise HistoryError(f"{jpath}: an interrupted {j.get('kind')} of {j.get('action')} "
                           f"{j.get('park_id')} left parks.geojson in neither its state before "
                           "nor after (edited by hand meanwhile?); check git diff and "
                           f".history/, then remove {jpath}")
    for tmp in _stale_temporaries(root):
        _unlink(tmp)
        notes.append(f"removed {tmp}, left by an interrupted park command")
    if j is None:
        return notes
    folder = root / HISTORY_DIR
    snap = folder / str(j.get("snapshot"))
    what = f"{j.get('kind')} of {j.get('action')} {j.get('park_id')}"
    if now == j.get("after"):
        if j.get("kind") == "undo":  # parks.geojson is the snapshot: it leaves the history
            _unlink(snap)
            _unlink(snap.with_suffix(".json"))
        notes.append(f"completed the interrupted {what}")
    else:  # now == before
        if j.get("kind") == "commit":  # the snapshot of a change that never landed
            _unlink(snap)
            _unlink(snap.with_suffix(".json"))
        elif j.get("kept_as"):
            _unlink(folder / UNDONE_DIR / str(j["kept_as"]))
        notes.append(f"rolled back the interrupted {what}")
    _unlink(jpath)
    return notes


def _writable(root: Path) -> bool:
    """Whether recovery could write where it needs to (False on read-only media)."""
    folders = {root, lock_path(root).parent, root / HISTORY_DIR}
    return all(os.access(f, os.W_OK) for f in folders if f.is_dir())


def recover(root: str | Path, timeout: float = LOCK_TIMEOUT_S, *,
            read_only: bool = False) -> list[str]:
    """Finish what a killed park command left: journal and stale temporary files.

    Every park command calls this first. It takes the lock only when there is
    something to do, so a clean data folder is not written to (not even the lock
    file).

    Parameters
    ----------
    root : path-like
        The data folder.
    timeout : float
        Seconds to wait for the lock.
    read_only : bool, default False
        For a command that only reads (``park list``, dry runs): on a folder it
        cannot write (read-only media), recovery is skipped with a note instead of
        failing. Either state a killed write leaves holds a whole parks.geojson.

    Returns
    -------
    list of str
        What was done, one note each (empty when nothing was needed).
    """
    root = Path(root)
    if not root.is_dir() or not _needs_recovery(root):
        return []
    if read_only and not _writable(root):
        left = [p for p in (_journal_path(root),) if p.exists()] + _stale_temporaries(root)
        what = (f"{left[0]} and {len(left) - 1} more files are" if len(left) > 1
                else f"{left[0]} is")
        return [f"{what} left from an interrupted park command, and stay: the folder is "
                "read-only (a park command on a writable copy clears them)"]
    with _Locked(root, timeout):
        return _recover_locked(root)


def _write_journal(root: Path, entry: dict[str, Any]) -> None:
    atomic.atomic_write_text(_journal_path(root), json.dumps(entry, indent=1) + "\n")


@dataclass(frozen=True)
class Outcome:
    """What a park command did (or, with ``dry_run``, would do)."""

    change: ParkChange
    written: bool
    history_file: Path | None = None
    #: The new file would be byte-identical to the current one: nothing written.
    unchanged: bool = False


def validation_breaks(root: Path, text: str) -> list[str]:
    """Problems ``qygeo validate`` would report with *text* as parks.geojson, and not now.

    The folder is checked as it is and as it would be (the new text in a
    temporary file outside the data folder); only the new problems count, so a
    folder already failing validation can still be repaired one park at a time.
    """
    import tempfile

    from qygeo.pipeline.validate import validate_folder

    before = set(validate_folder(root).problems)
    with tempfile.TemporaryDirectory(prefix="qygeo-park-") as tmp:
        candidate = Path(tmp) / layers.PARKS.filename
        candidate.write_text(text, encoding="utf-8")
        after = validate_folder(root, replaced={layers.PARKS.filename: candidate}).problems
    return [p for p in after if p not in before]


def _validation_checked(root: Path, text: str, what: str, force: bool) -> tuple[str, ...]:
    """Refuse writing *text* as ``parks.geojson`` when ``qygeo validate`` would then report
    new problems, unless *force*; the note saying so with *force* (none without problems).

    *what* names the command in the refusal (``remove xinqiao``, ``undo add xinqiao``):
    ``park add``/``update``/``remove`` and ``park undo`` refuse alike.
    """
    breaks = validation_breaks(root, text)
    if not breaks:
        return ()
    n = len(breaks)
    shown = "; ".join(breaks[:3]) + (f"; and {n - 3} more" if n > 3 else "")
    if not force:
        raise QygeoError(f"{what} refused: qygeo validate would then "
                         f"report {n} new problem{'s' if n != 1 else ''}: {shown}; fix them "
                         "first, or pass --force to accept that")
    return (f"accepted with --force; qygeo validate will report {n} new "
            f"problem{'s' if n != 1 else ''}: {shown}",)


def _checked(root: Path, change: ParkChange, force: bool) -> ParkChange:
    """*change*, refused when it would make ``qygeo validate`` fail (noted with *force*)."""
    notes = _validation_checked(root, change.text, f"{change.action} {change.park_id}", force)
    return dataclasses.replace(change, notes=(*change.notes, *notes)) if notes else change


def commit(
    root: str | Path,
    plan: Callable[[ParksState], ParkChange],
    *,
    dry_run: bool = False,
    force: bool = False,
    timeout: float = LOCK_TIMEOUT_S,
    expected_sha256: str | None = None,
) -> Outcome:
    """Plan a change and, unless *dry_run*, write it safely.

    An interrupted earlier write is completed or rolled back first
    (:func:`recover`). The plan is made without the lock, and checked with
    ``qygeo validate``'s checks on the folder as it would be, so a refusal
    writes nothing at all (not even the lock file). A change leaving the file
    byte-identical writes nothing either. Then, holding the lock, the layer is
    re-read (re-planned and re-checked if another process wrote in between), the
    journal written, the current file copied to ``.history/parks-<UTC
    timestamp>.geojson`` (with a ``.json`` note of the change), ``parks.geojson``
    replaced atomically (through a symbolic link) and the journal removed.

    Parameters
    ----------
    root : path-like
        The data folder.
    plan : callable
        ``ParksState -> ParkChange``, e.g. ``functools.partial(plan_add, boundary=..., ...)``.
    dry_run : bool, default False
        Only plan.
    force : bool, default False
        Accept a change after which ``qygeo validate`` reports new problems
        (they are listed in the change's notes).
    timeout : float
        Seconds to wait for the lock.
    expected_sha256 : str, optional
        Write only if ``parks.geojson`` is still this version (:func:`parks_sha256`),
        else raise :class:`~qygeo.errors.ParksChangedError`: what the user saw is what
        is written.

    Returns
    -------
    Outcome
    """
    root = Path(root)
    recovered = tuple(recover(root, timeout, read_only=dry_run))
    _check_history_folders(root)
    first = load_state(root)
    change = _checked(root, plan(first), force)
    change = dataclasses.replace(change, notes=(*recovered, *change.notes))
    if first.raw is not None and change.text.encode("utf-8") == first.raw:
        return Outcome(change=change, written=False, unchanged=True)
    if dry_run:
        return Outcome(change=change, written=False)
    atomic.check_writable(parks_target(root))  # read-only: refused before lock and journal
    check_parks_sha256(root, expected_sha256)  # a stale version: refused before the lock too
    with _Locked(root, timeout):
        _recover_locked(root)
        check_parks_sha256(root, expected_sha256)
        state = load_state(root)
        if state.raw != first.raw:  # another process wrote meanwhile
            change = _checked(root, plan(state), force)
        new = change.text.encode("utf-8")
        if state.raw is not None and new == state.raw:
            return Outcome(change=change, written=False, unchanged=True)
        target = parks_target(root)
        hist = None
        if state.raw is not None:
            hist = _new_history_path(root / HISTORY_DIR)
            _write_journal(root, {"kind": "commit", "action": change.action,
                                  "park_id": change.park_id, "snapshot": hist.name,
                                  "before": _sha(state.raw), "after": _sha(new)})
        try:
            if hist is not None and state.raw is not None:
                meta = {"action": change.action, "park_id": change.park_id,
                        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "previous_sha256": _sha(state.raw), "replaced_by_sha256": _sha(new)}
                atomic.atomic_write_bytes(hist, state.raw)
                atomic.atomic_write_text(hist.with_suffix(".json"),
                                         json.dumps(meta, indent=1) + "\n")
            atomic.atomic_write_bytes(target, new)
        except BaseException:  # e.g. disk full: parks.geojson is unchanged, undo the rest
            if hist is not None and not _holds(target, new):
                _unlink(hist)
                _unlink(hist.with_suffix(".json"))
                _unlink(_journal_path(root))
            raise
        _unlink(_journal_path(root))
    return Outcome(change=change, written=True, history_file=hist)


def _holds(path: Path, data: bytes) -> bool:
    """Whether *path* already holds *data*: a write that failed after its rename (while
    syncing the folder) has happened, and its journal must stay for :func:`recover`."""
    try:
        return path.read_bytes() == data
    except OSError:
        return False


@dataclass(frozen=True)
class UndoPlan:
    """Restoring the latest history snapshot: which file, and what it changes."""

    snapshot: Path
    action: str | None  #: the change being undone, from the snapshot's note
    park_id: str | None
    restores_ids: tuple[str, ...]  #: parks the snapshot has and the current file not
    drops_ids: tuple[str, ...]  #: parks the current file has and the snapshot not
    changes_ids: tuple[str, ...]  #: parks in both, different
    written: bool = False
    kept_as: Path | None = None  #: where the current (undone) version was kept
    notes: tuple[str, ...] = ()  #: what recovering an interrupted command did

    def summary(self) -> list[str]:
        what = f"{self.action} {self.park_id}" if self.action else "the last change"
        out = [f"undo {what}: restore {self.snapshot.name}"]
        for label, ids in (("brings back", self.restores_ids), ("removes", self.drops_ids),
                           ("restores the earlier version of", self.changes_ids)):
            if ids:
                out.append(f"  {label} park{'s' if len(ids) > 1 else ''} {', '.join(ids)}")
        if self.kept_as is not None:
            out.append(f"  the undone version is kept as {self.kept_as}")
        return out


def _features_by_id(data: bytes | None) -> dict[str, str]:
    if not data:
        return {}
    doc = json.loads(data.decode("utf-8"))
    return {str(f["properties"].get("park_id")): json.dumps(f, sort_keys=True)
            for f in doc.get("features", [])}


def undo(root: str | Path, *, dry_run: bool = False, force: bool = False,
         timeout: float = LOCK_TIMEOUT_S, expected_sha256: str | None = None) -> UndoPlan:
    """Restore the latest snapshot in ``.history/`` as ``parks.geojson``.

    The snapshot is removed from the history (so a second undo goes one step
    further back) and the version it replaces is kept in ``.history/undone/``.
    An interrupted earlier write is completed or rolled back first
    (:func:`recover`), and the undo itself is journalled the same way.

    *expected_sha256*, when given, is the version of ``parks.geojson`` the history was
    listed with (:func:`parks_sha256`): the undo then undoes the change shown on top.
    Like ``park remove``, an undo after which ``qygeo validate`` would report new
    problems (statistics or plots naming a park it takes away) is refused unless
    *force* (see :func:`_validation_checked`).

    Raises
    ------
    HistoryError
        No snapshot; an unreadable snapshot or note; or ``parks.geojson`` changed
        since the change being undone (a hand edit would be lost), unless *force*.
    ParksChangedError
        ``parks.geojson`` is not the version *expected_sha256*.
    QygeoError
        ``qygeo validate`` would then report new problems, unless *force*.
    """
    import geopandas as gpd

    root = Path(root)
    path = root / layers.PARKS.filename

    def plan() -> tuple[UndoPlan, bytes, bytes | None]:
        _check_history_folders(root, undone=True)
        snaps = history(root)
        if not snaps:
            raise HistoryError(f"nothing to undo: no earlier version of {path} in "
                               f"{root / HISTORY_DIR}")
        snap = snaps[-1]
        data = snap.read_bytes()
        try:
            feats = json.loads(data.decode("utf-8"))["features"]
            gdf = (gpd.GeoDataFrame.from_features(feats, crs="EPSG:4326") if feats else None)
            if gdf is not None:
                layers.conform(gdf, layers.PARKS, snap)
        except (ValueError, KeyError, TypeError, RecursionError, QygeoError) as exc:
            raise HistoryError(f"{snap}: not a readable parks layer ({first_line(exc)}); "
                               "restore it by hand or delete it") from None
        meta_path = snap.with_suffix(".json")
        meta = _read_json(meta_path) if meta_path.exists() else {}
        if not isinstance(meta, dict):
            raise HistoryError(f"{meta_path}: not a qygeo history note (a JSON object); "
                               "restore it by hand or delete it")
        current = path.read_bytes() if path.exists() else None
        expected = meta.get("replaced_by_sha256")
        if expected and (current is None or _sha(current) != expected) and not force:
            how = (f"through another link to {parks_target(root)}, " if path.is_symlink()
                   else "")
            raise HistoryError(f"{path} changed since the {meta.get('action')} of "
                               f"{meta.get('park_id')} that {snap.name} would undo (edited "
                               f"{how}by hand or another tool?); undoing would lose that "
                               "edit: check what changed (git diff, if it is kept in git), "
                               "then pass --force to restore it anyway")
        try:
            now, then = _features_by_id(current), _features_by_id(data)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise HistoryError(f"{path}: not a readable parks layer ({first_line(exc)})"
                               ) from None
        p = UndoPlan(snapshot=snap, action=meta.get("action"), park_id=meta.get("park_id"),
                     restores_ids=tuple(sorted(set(then) - set(now))),
                     drops_ids=tuple(sorted(set(now) - set(then))),
                     changes_ids=tuple(sorted(k for k in set(now) & set(then)
                                              if now[k] != then[k])))
        return p, data, current

    def checked(p: UndoPlan, data: bytes) -> tuple[str, ...]:
        what = f"undo {p.action} {p.park_id}" if p.action else "undo"
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return ()  # plan() read it as JSON: not reached
        return _validation_checked(root, text, what, force)

    recovered = tuple(recover(root, timeout, read_only=dry_run))
    p, first_data, first_current = plan()
    breaks = checked(p, first_data)
    if dry_run:
        return dataclasses.replace(p, notes=(*recovered, *breaks))
    atomic.check_writable(parks_target(root))  # read-only: refused before lock and journal
    check_parks_sha256(root, expected_sha256)  # a stale version: refused before the lock too
    with _Locked(root, timeout):
        recovered += tuple(_recover_locked(root))
        check_parks_sha256(root, expected_sha256)
        p, data, current = plan()
        if (data, current) != (first_data, first_current):  # another process wrote meanwhile
            breaks = checked(p, data)
        kept = None
        if current is not None:
            kept = root / HISTORY_DIR / UNDONE_DIR / p.snapshot.name
        _write_journal(root, {"kind": "undo", "action": p.action, "park_id": p.park_id,
                              "snapshot": p.snapshot.name,
                              "kept_as": kept.name if kept is not None else None,
                              "before": _sha(current) if current is not None else None,
                              "after": _sha(data)})
        undone_dir = root / HISTORY_DIR / UNDONE_DIR
        made_dir = not undone_dir.exists()
        try:
            if kept is not None and current is not None:
                atomic.atomic_write_bytes(kept, current)
            atomic.atomic_write_bytes(parks_target(root), data)
        except BaseException:  # e.g. disk full: parks.geojson is unchanged, undo the rest
            if not _holds(parks_target(root), data):
                if kept is not None:
                    _unlink(kept)
                if made_dir:
                    with contextlib.suppress(OSError):
                        undone_dir.rmdir()
                _unlink(_journal_path(root))
            raise
        _unlink(p.snapshot)
        _unlink(p.snapshot.with_suffix(".json"))
        _unlink(_journal_path(root))
    return dataclasses.replace(p, written=True, kept_as=kept, notes=(*recovered, *breaks))


# --------------------------------------------------------------------------- high level


def add_park(root: str | Path, file: str | Path, *, crs: str | None = None,
             layer: str | None = None, dissolve: bool = False, fix: bool = False,
             feature: str | int | None = None, encoding: str | None = None,
             dry_run: bool = False, force: bool = False, **attrs: Any) -> Outcome:
    """Read *file* and add it as a park (see :func:`read_boundary`, :func:`plan_add`).

    With *force*, a park after which ``qygeo validate`` reports new problems is
    accepted (and they are noted); see :func:`commit`.
    """
    check_park_id(attrs.get("park_id", ""), "--id")
    check_texts(attrs)
    boundary = read_boundary(file, crs=crs, layer=layer, dissolve=dissolve, fix=fix,
                             feature=feature, encoding=encoding)
    return commit(root, lambda st: plan_add(st, boundary, force=force, **attrs),
                  dry_run=dry_run, force=force)


def update_park(root: str | Path, park_id: str, file: str | Path, *, crs: str | None = None,
                layer: str | None = None, dissolve: bool = False, fix: bool = False,
                feature: str | int | None = None, encoding: str | None = None,
                dry_run: bool = False, force: bool = False, **attrs: Any) -> Outcome:
    """Replace park *park_id*'s boundary with *file* (see :func:`plan_update`).

    *force* accepts a big change of area or position and new ``qygeo validate``
    problems (both are then noted).
    """
    check_texts(attrs)
    recover(root, read_only=dry_run)
    _require(load_state(root), park_id)
    boundary = read_boundary(file, crs=crs, layer=layer, dissolve=dissolve, fix=fix,
                             feature=feature, encoding=encoding)
    return commit(root, lambda st: plan_update(st, park_id, boundary, force=force, **attrs),
                  dry_run=dry_run, force=force)


def remove_park(root: str | Path, park_id: str, *, force: bool = False,
                dry_run: bool = False) -> Outcome:
    """Remove park *park_id* (see :func:`plan_remove`)."""
    return commit(root, lambda st: plan_remove(st, park_id, force=force), dry_run=dry_run,
                  force=force)


