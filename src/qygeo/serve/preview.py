"""What adding or replacing a park's boundary would do, for the preview page (adapter).

``qygeo park add --dry-run`` stops at the first refusal. A preview must show the
boundary and every check at once, so this reads the file with
:func:`qygeo.pipeline.parks.read_boundary`, measures and places it (districts, overlaps,
accepting overlaps so they can be listed), then plans the change with the user's
own options through :func:`qygeo.pipeline.parks.commit` (``dry_run=True``), the same plan
``Confirm`` commits. Nothing is written.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from qygeo.core.placement import place_boundary
from qygeo.errors import QygeoError
from qygeo.pipeline import parks as park_lib


def read_form_boundary(path: Path, form: dict[str, Any]) -> Any:
    """The boundary of an uploaded file, read with the form's options (preview and edit)."""
    return park_lib.read_boundary(path, crs=form["crs"], layer=form["layer"],
                                  dissolve=form["dissolve"], fix=form["fix"],
                                  feature=form["feature"])


def form_plan(form: dict[str, Any], boundary: Any, action: str, park_id: str,
              attrs: dict[str, Any]) -> Any:
    """The plan of adding (*action* ``add``) or replacing a park's boundary with the form's
    options: one function for the preview and for ``Confirm``, so both judge alike."""
    common = {"quality": form["quality"], "source": form["source"], "notes": form["notes"],
              "allow_overlap": form["allow_overlap"], "district": form["district"]}
    if action == "add":
        return lambda st: park_lib.plan_add(st, boundary, park_id=park_id, force=form["force"],
                                            **attrs, **common)
    return lambda st: park_lib.plan_update(st, park_id, boundary, force=form["force"],
                                           **common)


def _overlaps(items: Any) -> list[dict[str, Any]]:
    return [{"park_id": o.park_id, "name": o.name, "area_m2": round(o.area_m2, 1),
             "share": round(o.share, 6)} for o in items]


def _shift_m(a: Any, b: Any) -> float:
    from pyproj import Geod

    ca, cb = a.centroid, b.centroid
    return float(Geod(ellps="WGS84").inv(ca.x, ca.y, cb.x, cb.y)[2])


def preview_boundary(root: Path, path: Path, *, action: str, park_id: str,
                     attrs: dict[str, Any], form: dict[str, Any]) -> dict[str, Any]:
    """Read, measure, place and plan a boundary file; return JSON-ready results.

    Parameters
    ----------
    root : pathlib.Path
        The data folder.
    path : pathlib.Path
        The uploaded file (already saved and checked).
    action : {"add", "update"}
    park_id : str
        The new park's id (add) or the park to replace (update).
    attrs : dict
        ``name_zh``, ``name_en``, ``kind``, ``parent`` (add only).
    form : dict
        ``crs``, ``layer``, ``dissolve``, ``feature``, ``fix``, ``allow_overlap``,
        ``quality``, ``source``, ``notes``, ``district``, ``force``.

    Returns
    -------
    dict
        ``ok`` (the change would be accepted), ``errors`` (every refusal),
        ``unchanged`` (the park already has this boundary: Confirm writes nothing),
        ``notes`` (the boundary's and the plan's, each once: what Force accepts, the
        quality recorded), ``summary`` (the dry run's lines), ``feature`` (the boundary as
        read, WGS84 GeoJSON, or None), ``as_gcj02`` (the same numbers read as
        GCJ-02 and how far that moves it, for files read as WGS84 degrees),
        ``area_km2``, ``area_mu``, ``district``, ``overlaps``, ``slivers``, ``crs``.
    """
    import shapely

    from qygeo.core.metrics import M2_PER_KM2, M2_PER_MU, area_m2
    from qygeo.io.crs import canonical_datum, shift_geometry

    out: dict[str, Any] = {"ok": False, "unchanged": False, "errors": [], "notes": [],
                           "summary": [],
                           "feature": None, "as_gcj02": None, "area_km2": None,
                           "area_mu": None, "district": None, "overlaps": [], "slivers": [],
                           "crs": None}
    errors: list[str] = out["errors"]
    try:
        boundary = read_form_boundary(path, form)
    except QygeoError as exc:
        errors.append(str(exc))
        return out
    import geopandas as gpd

    geom = boundary.geometry
    m2 = float(area_m2(gpd.GeoSeries([geom], crs="EPSG:4326"))[0])
    out.update(crs=boundary.crs, notes=list(boundary.notes),
               feature={"type": "Feature", "properties": {"park_id": park_id},
                        "geometry": shapely.geometry.mapping(geom)},
               area_km2=m2 / M2_PER_KM2, area_mu=m2 / M2_PER_MU)
    # Read as a shifted datum by any name parse_crs takes (GCJ-02, amap, baidu): no twin.
    datum = canonical_datum(form["crs"]) if form["crs"] else None
    if boundary.projected_epsg is None and datum is None:
        alt = shift_geometry(geom, "gcj02_to_wgs84")
        out["as_gcj02"] = {"geometry": shapely.geometry.mapping(alt),
                           "shift_m": round(_shift_m(geom, alt), 1)}
    try:
        state = park_lib.load_state(root)
        skip: set[str] = set()
        if action == "update" and state.row(park_id) is not None:
            skip = park_lib._ancestors(state, park_id) | park_lib._descendants(state, park_id)
        elif attrs.get("parent") and state.row(attrs["parent"]) is not None:
            skip = park_lib._ancestors(state, attrs["parent"])
        place = place_boundary(geom, state.districts, state.parks, where=path.name,
                                        allow_overlap=True, skip=skip,
                                        crs_hint=boundary.crs_hint)
        out.update(district={"adcode": place.district_adcode, "name": place.district_name,
                             "share": round(place.district_share, 6)},
                   overlaps=_overlaps(place.overlaps), slivers=_overlaps(place.slivers))
    except QygeoError as exc:
        errors.append(str(exc))
    try:
        park_lib.check_park_id(park_id)
        planned = park_lib.commit(root, form_plan(form, boundary, action, park_id, attrs),
                                  dry_run=True, force=form["force"])
        change = planned.change
        # What Confirm would accept and record (Force's overrides, the quality recorded, a
        # name another park has): the plan's notes, which begin with the boundary's own.
        out["notes"] = list(dict.fromkeys([*out["notes"], *change.notes]))
        out["unchanged"] = planned.unchanged  # Confirm would write nothing
        out["summary"] = change.summary()
        out["ok"] = not errors
    except QygeoError as exc:
        # The same refusal may come back from the plan naming the upload by its full
        # path where the placement named it by its name: listed once.
        seen = {e.replace(f"{path.parent}{os.sep}", "") for e in errors}
        if str(exc).replace(f"{path.parent}{os.sep}", "") not in seen:
            errors.append(str(exc))
    return out
