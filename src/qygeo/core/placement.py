"""Placing a park boundary among the districts and the other parks: pure checks.

:func:`place_boundary` finds the district, checks the size and the overlaps with
other parks, and refuses what would make ``qygeo validate`` fail; nothing is read
or written here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qygeo.errors import (
    BoundaryError,
    DataFileError,
)
from qygeo.io.boundary import GRID_DEG, Boundary, polygonal

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

#: Share of a park's (plot's) area allowed outside its district (park), for
#: boundary noise between independently drawn layers.
OUTSIDE_TOLERANCE = 0.005
#: Plausible park size, km² (equal-area). Smaller is a plot or a unit mistake;
#: larger is a district or a unit mistake.
MIN_AREA_KM2 = 0.01
MAX_AREA_KM2 = 500.0
#: Overlaps with another park up to this area (m²) are boundary noise between
#: independently surveyed neighbours: reported as a note, not refused.
OVERLAP_TOLERANCE_M2 = 100.0
#: ... as long as it is at most this share of the boundary's part it lies in: a small
#: detached part lying (mostly) inside another park is no noise along a shared edge.
SLIVER_MAX_PART_SHARE = 0.1


# --------------------------------------------------------------------------- cleaning


def areas_km2(geoms: Sequence[BaseGeometry]) -> list[float]:
    import geopandas as gpd

    from qygeo.core.metrics import M2_PER_KM2, area_m2

    return [float(a) / M2_PER_KM2 for a in area_m2(gpd.GeoSeries(list(geoms), crs="EPSG:4326"))]


def drawn_area(geom: BaseGeometry) -> BaseGeometry:
    """The area an invalid polygon's lines enclose, as a valid geometry to measure.

    The area of a self-intersecting ring is signed per lobe: a bow-tie's two lobes
    cancel, and its area "as drawn" read 0.0000 km². Here every face the noded rings
    enclose counts once: each exterior's faces, less its holes' faces.
    """
    import shapely

    def enclosed(ring: BaseGeometry) -> BaseGeometry:
        return shapely.union_all(shapely.get_parts(
            shapely.polygonize(shapely.get_parts(shapely.node(ring)))))

    return shapely.union_all([
        enclosed(p.exterior).difference(shapely.union_all([enclosed(h) for h in p.interiors]))
        for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and not p.is_empty])


def clean_geometry(
    geoms: Sequence[BaseGeometry], *, fix: bool = False, where: str = "boundary"
) -> tuple[BaseGeometry, list[str]]:
    """Make WGS84 polygons what ``parks.geojson`` stores: one valid 2-D (Multi)Polygon.

    Parameters
    ----------
    geoms : sequence of shapely geometries
        Polygonal, 2-D, WGS84; several are dissolved (unioned) into one.
    fix : bool, default False
        Repair invalid polygons with ``shapely.make_valid`` (keeping the polygonal
        part) instead of refusing them.
    where : str
        The file, for messages.

    Returns
    -------
    geometry, notes
        The geometry on the 1e-6° grid (``layers.COORD_PRECISION``), valid
        after that rounding, exterior rings counter-clockwise (RFC 7946); and
        notes (repairs with their area change, in km²).

    Raises
    ------
    BoundaryError
        Invalid geometry without *fix*, or nothing polygonal left.
    """
    import shapely

    notes: list[str] = []
    fixed = []
    for i, g in enumerate(geoms):
        label = "" if len(geoms) == 1 else f"feature #{i + 1}: "
        if g.is_valid:
            fixed.append(g)
            continue
        reason = shapely.is_valid_reason(g)
        if not fix:
            raise BoundaryError(where, f"{label}invalid geometry ({reason}): pass --fix to "
                                       "repair it with shapely.make_valid")
        repaired = polygonal(shapely.make_valid(g))
        if repaired is None:
            raise BoundaryError(where, f"{label}invalid geometry ({reason}); repairing it left "
                                       "no polygon")
        before, after = areas_km2([drawn_area(g), repaired])
        notes.append(f"{label}repaired invalid geometry ({reason}) with make_valid: area "
                     f"{before:.4f} km² as drawn → {after:.4f} km² repaired "
                     f"({after - before:+.4f} km²)")
        fixed.append(repaired)
    geom = fixed[0] if len(fixed) == 1 else polygonal(shapely.union_all(fixed))
    if geom is None:
        raise BoundaryError(where, "no polygon left after dissolving")
    if len(fixed) > 1:
        notes.append(f"dissolved {len(fixed)} features into one {geom.geom_type}")
    stored = shapely.set_precision(geom, GRID_DEG, mode="pointwise")
    if not stored.is_valid or polygonal(stored) is None:
        snapped = polygonal(shapely.set_precision(geom, GRID_DEG))
        if snapped is None:
            raise BoundaryError(where, "collapses to nothing on the 1e-6° grid of parks.geojson")
        before, after = areas_km2([geom, snapped])
        notes.append(f"rounding to 6 decimals made the geometry invalid; snapped it to the "
                     f"1e-6° grid instead (area {before:.4f} → {after:.4f} km²)")
        stored = snapped
    return shapely.orient_polygons(stored), notes


def clean_boundary(boundary: Boundary, *, fix: bool = False) -> Boundary:
    """*boundary* as read, with its parts made the one geometry ``parks.geojson`` stores.

    See :func:`clean_geometry`; its notes are added to the boundary's.
    """
    geometry, notes = clean_geometry(boundary.parts, fix=fix, where=str(boundary.path))
    return dataclasses.replace(boundary, geometry=geometry, parts=(),
                               notes=boundary.notes + tuple(notes))


# --------------------------------------------------------------------------- placing


@dataclass(frozen=True)
class Overlap:
    """Another park a boundary overlaps: its id, names and the shared area (m²)."""

    park_id: str
    name: str
    area_m2: float
    share: float  #: of the new boundary's area
    part: str = ""  #: the boundary's part that overlaps, in one of several parts

    def describe(self) -> str:
        return (f"{self.park_id} ({self.name}) by {self.area_m2 / 1e6:.4f} km² "
                f"({self.share:.1%} of the boundary)"
                + (f" with its {self.part}" if self.part else ""))


@dataclass(frozen=True)
class Placement:
    """Where a boundary lies: its area, district and overlaps with other parks."""

    area_m2: float
    district_adcode: str
    district_name: str
    district_share: float  #: share of the area inside that district
    derived: bool  #: the district was worked out from the boundary (no --district)
    overlaps: tuple[Overlap, ...] = ()
    slivers: tuple[Overlap, ...] = ()  #: overlaps below OVERLAP_TOLERANCE_M2

    @property
    def area_km2(self) -> float:
        from qygeo.core.metrics import M2_PER_KM2

        return self.area_m2 / M2_PER_KM2

    @property
    def area_mu(self) -> float:
        from qygeo.core.metrics import M2_PER_MU

        return self.area_m2 / M2_PER_MU


def _label(row: dict[str, Any], id_field: str) -> str:
    names = [str(row[k]) for k in ("name_zh", "name_en") if row.get(k)]
    return f"{row[id_field]} {' '.join(names)}".strip()


def _part_label(number: int, count: int, part: BaseGeometry, area_m2: float) -> str:
    """``part #2 of 3 (2,500 m², centred at 114.5003°E 24.8003°N)``: a polygon of a
    MultiPolygon, told apart by its size and place (its number is after cleaning)."""
    c = part.centroid
    return (f"part #{number} of {count} ({area_m2:,.0f} m², centred at {c.x:.4f}°E "
            f"{c.y:.4f}°N)")


def place_boundary(
    geom: BaseGeometry,
    districts: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    *,
    where: str = "boundary",
    district: str | None = None,
    allow_overlap: bool = False,
    skip: Iterable[str] = (),
    crs_hint: Callable[[], str | None] | None = None,
    district_label: str = "--district",
) -> Placement:
    """Check a WGS84 boundary against the districts and the other parks.

    Parameters
    ----------
    geom : shapely Polygon or MultiPolygon
        Valid, WGS84.
    districts, parks : geopandas.GeoDataFrame
        The data folder's layers (WGS84; ``adcode`` / ``park_id``).
    where : str
        The boundary's file, for messages.
    district : str, optional
        The adcode the user says; checked against the boundary. Without it the
        district holding most of the area is taken.
    allow_overlap : bool, default False
        Accept overlaps with other parks (they are still reported).
    skip : iterable of str
        Park ids not to test for overlap (the park itself on update, its parent
        parks, its nested parks).
    crs_hint : callable, optional
        Returns a hint added to the "outside Qingyuan" refusal (see
        :meth:`Boundary.crs_hint`); called only then, as it tries several CRSs.
    district_label : str, default "--district"
        Where *district* came from, for the mismatch message.

    Returns
    -------
    Placement

    Raises
    ------
    BoundaryError
        Outside Qingyuan, implausible size (below :data:`MIN_AREA_KM2` or above
        :data:`MAX_AREA_KM2`, equal-area), not in ``district``, more than
        ``OUTSIDE_TOLERANCE`` of it (or of any of its parts) outside its district,
        or overlapping another park without ``allow_overlap`` by more than
        :data:`OVERLAP_TOLERANCE_M2`, or by more than :data:`SLIVER_MAX_PART_SHARE`
        of the part that overlaps (each part is tested on its own).
    DataFileError
        ``district`` is not an adcode of the districts layer.
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    from qygeo.core.metrics import M2_PER_KM2, M2_PER_MU, area_m2
    from qygeo.io.crs import EQUAL_AREA_CRS

    def areas(gs: Sequence[BaseGeometry]) -> np.ndarray:
        return area_m2(gpd.GeoSeries(list(gs), crs="EPSG:4326"))

    def usable(g: BaseGeometry | None) -> BaseGeometry | None:
        # A hand-edited layer may hold an invalid polygon; qygeo validate reports it,
        # here it must not stop the overlap test with a GEOS exception.
        if g is None or g.is_empty:
            return None
        return g if g.is_valid else polygonal(shapely.make_valid(g))

    adcodes = [str(a) for a in districts["adcode"]]
    dgeoms = [usable(g) or shapely.Polygon() for g in districts.geometry.values]
    dlabel = {a: _label(r, "adcode") for a, r in zip(adcodes, districts.to_dict("records"),
                                                    strict=True)}
    if district is not None and district not in adcodes:
        raise DataFileError("districts.geojson", f"has no district {district!r} (--district); "
                                                 f"districts: {', '.join(dlabel.values())}")
    def nearest(g: BaseGeometry) -> str:
        proj = gpd.GeoSeries([g, *dgeoms], crs="EPSG:4326").to_crs(EQUAL_AREA_CRS)
        dist = [proj.iloc[0].distance(d) for d in proj.iloc[1:]]
        k = int(np.argmin(dist))
        return f"{dist[k] / 1000:.1f} km from the nearest district ({dlabel[adcodes[k]]})"

    total = float(areas([geom])[0])
    city = shapely.union_all(dgeoms)
    if not geom.intersects(city):
        c = geom.centroid
        msg = f"lies outside Qingyuan: centred at {c.x:.4f}°E {c.y:.4f}°N, {nearest(geom)}"
        hint = crs_hint() if crs_hint is not None else None
        if hint:
            msg += f"; {hint}"
        raise BoundaryError(where, msg)
    km2 = total / M2_PER_KM2
    if not MIN_AREA_KM2 <= km2 <= MAX_AREA_KM2:
        raise BoundaryError(where, f"implausible size for a park: {km2:,.4g} km² "
                                   f"({total / M2_PER_MU:,.1f} mu, equal-area); a park is "
                                   f"{MIN_AREA_KM2}–{MAX_AREA_KM2:g} km² (wrong units or CRS?)")
    inside = areas([geom.intersection(g) for g in dgeoms])
    best = int(np.argmax(inside))
    chosen = adcodes.index(district) if district is not None else best
    if chosen != best:
        msg = (f"lies in {dlabel[adcodes[best]]} ({inside[best] / total:.1%} of its area), "
               f"not in {district_label} {dlabel[adcodes[chosen]]} "
               f"({inside[chosen] / total:.1%})")
        if district_label != "--district":
            msg += f"; pass --district {adcodes[best]} to move the park"
        raise BoundaryError(where, msg)
    outside = float(areas([geom.difference(dgeoms[chosen])])[0]) / total
    if outside > OUTSIDE_TOLERANCE:
        outside_city = float(areas([geom.difference(city)])[0]) / total
        others = [f"{inside[i] / total:.1%} in {dlabel[a]}" for i, a in enumerate(adcodes)
                  if i != chosen and inside[i] / total >= 0.0005]
        if outside_city >= 0.0005:
            others.append(f"{outside_city:.1%} outside Qingyuan")
        raise BoundaryError(where, f"{outside:.1%} of the boundary lies outside its district "
                                   f"{dlabel[adcodes[chosen]]} ({'; '.join(others)}); a park "
                                   f"lies in one district (at most {OUTSIDE_TOLERANCE:.1%} "
                                   "outside, as qygeo validate checks)")
    # Each part on its own: a detached part in another district or outside Qingyuan is
    # too small a share of the whole for the test above to see it.
    parts = list(shapely.get_parts(geom))
    part_m2 = areas(parts) if len(parts) > 1 else np.array([total])
    labels = [_part_label(i + 1, len(parts), p, float(a)) if len(parts) > 1 else ""
              for i, (p, a) in enumerate(zip(parts, part_m2, strict=True))]
    if len(parts) > 1:
        astray = areas([p.difference(dgeoms[chosen]) for p in parts])
        for p, a, out_m2, label in zip(parts, part_m2, astray, labels, strict=True):
            if out_m2 <= OUTSIDE_TOLERANCE * a:
                continue
            if not p.intersects(city):
                lies = f"lies outside Qingyuan, {nearest(p)}"
            else:
                held = areas([p.intersection(g) for g in dgeoms])
                k = int(np.argmax(held))
                lies = (f"lies {held[k] / a:.0%} in {dlabel[adcodes[k]]}" if k != chosen else
                        f"lies {out_m2 / a:.0%} outside its district")
            raise BoundaryError(where, f"its {label} {lies}; every part of a park lies in its "
                                       f"district {dlabel[adcodes[chosen]]}: remove that part "
                                       "from the file (or add it as a park of its own)")
    skip = set(skip)
    others_ = [(r, usable(g)) for r, g in zip(parks.to_dict("records"), parks.geometry.values,
                                              strict=True) if str(r["park_id"]) not in skip]
    others_ = [(r, g) for r, g in others_ if g is not None and geom.intersects(g)]
    pairs = [(r, g, i) for r, g in others_ for i, p in enumerate(parts) if p.intersects(g)]
    shared = areas([parts[i].intersection(g) for _, g, i in pairs]) if pairs else []
    overlaps, slivers = [], []
    for (r, _, i), a in zip(pairs, shared, strict=True):
        if a <= 0:
            continue
        o = Overlap(str(r["park_id"]), r.get("name_en") or r.get("name_zh") or "", float(a),
                    float(a) / total, labels[i])
        noise = a <= OVERLAP_TOLERANCE_M2 and a <= SLIVER_MAX_PART_SHARE * part_m2[i]
        (slivers if noise else overlaps).append(o)
    if overlaps and not allow_overlap:
        raise BoundaryError(where, f"overlaps park {'; park '.join(o.describe() for o in overlaps)}"
                                   ": pass --allow-overlap if that is intended (or --parent "
                                   "for a park inside another)")
    a = adcodes[chosen]
    return Placement(area_m2=total, district_adcode=a, district_name=dlabel[a].split(" ", 1)[-1],
                     district_share=1.0 - outside, derived=district is None,
                     overlaps=tuple(overlaps), slivers=tuple(slivers))


