"""``qygeo validate``: every check on a data folder, collected rather than stopped at.

Each problem is one line naming the file, the feature id and the problem.
Checks: readable files, schema, unique ids, valid polygon geometry, WGS84
(RFC 7946), allowed values, parks inside Qingyuan and inside their district,
plots inside their park, and that attribute tables join to the layers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from qygeo.core import trends
from qygeo.core.idle import unrecognised_causes
from qygeo.core.placement import OUTSIDE_TOLERANCE
from qygeo.errors import QygeoError
from qygeo.io import layers
from qygeo.io.plot_rows import RowProblems, check_date_order, check_geometries, check_numbers

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd
    import pandas as pd

PLOT_OUTSIDE_TOLERANCE = 0.01


@dataclass
class ValidationResult:
    """Problems (errors) and notes (warnings) found, one line each."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def geometry_problems(gdf: gpd.GeoDataFrame, spec: layers.LayerSpec, path: str,
                      problems: RowProblems | None = None) -> list[str]:
    """Invalid, empty, missing or non-polygonal geometries, one line each.

    The checks and their words are :mod:`qygeo.io.plot_rows`' (the same for every
    command); for plots, *problems* already holds the rows' value problems
    (:func:`qygeo.io.layers.conform`) and the amounts are checked too.
    """
    problems = problems if problems is not None else RowProblems(len(gdf))
    check_geometries(np.asarray(gdf.geometry.values), np.arange(len(gdf)), problems)
    if spec is layers.PLOTS:
        check_numbers(gdf, spec.numeric, problems)
        check_date_order(gdf, problems)
    ids = gdf[spec.id_field] if spec.id_field in gdf.columns else [None] * len(gdf)
    return [f"{path} [{fid}]: {problem}" for fid, problem in problems.listed(ids)]


def outside_shares(inners: list[object], outers: list[object]) -> np.ndarray:
    """Share of each inner geometry's area lying outside its outer one (1.0 if no area).

    All pairs are projected once (equal-area, :func:`qygeo.core.metrics.area_m2`),
    not one small GeoSeries per feature.
    """
    import geopandas as gpd
    import shapely

    from qygeo.core.metrics import area_m2

    n = len(inners)
    if n == 0:
        return np.zeros(0)
    inner = np.asarray(inners, dtype=object)
    parts = np.concatenate([inner, shapely.difference(inner, np.asarray(outers, dtype=object))])
    a = area_m2(gpd.GeoSeries(parts, crs="EPSG:4326"))
    total, outside = a[:n], a[n:]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, outside / total, 1.0)


def _nesting_problems(parks: gpd.GeoDataFrame, where: str) -> list[str]:
    """``parent_park_id`` that names no park, goes round in a cycle, or names a park the
    child does not lie in: a parent's figures count its nested parks' plots, so each
    would count plots twice or give them to the wrong park."""
    import shapely

    from qygeo.core.metrics import parent_cycle, park_parents

    if "parent_park_id" not in parks.columns:
        return []
    geoms = {p: g for p, g in zip(parks["park_id"], parks.geometry.values, strict=True)}
    parent = park_parents(parks)
    problems, pairs = [], []
    for child, mother in parent.items():
        if mother not in geoms:
            problems.append(f"{where} [{child}]: parent_park_id {mother!r} is not a park of "
                            "parks.geojson")
            continue
        cycle = parent_cycle(parent, child)
        if cycle:
            problems.append(f"{where} [{child}]: parent_park_id goes round in a cycle "
                            f"({' → '.join(cycle)})")
            continue
        inner, outer = geoms[child], geoms[mother]
        if all(g is not None and not g.is_empty and shapely.is_valid(g) for g in (inner, outer)):
            pairs.append((child, mother, inner, outer))
    shares = outside_shares([p[2] for p in pairs], [p[3] for p in pairs])
    for (child, mother, _, _), share in zip(pairs, shares, strict=True):
        if share > OUTSIDE_TOLERANCE:
            problems.append(f"{where} [{child}]: {share:.1%} of the park lies outside its "
                            f"parent park {mother}")
    return problems


def validate_folder(root: Path, replaced: dict[str, Path] | None = None) -> ValidationResult:
    """Run every check on the data folder *root*.

    Parameters
    ----------
    root : Path
        The data folder.
    replaced : dict, optional
        Layer file name (``"parks.geojson"``) → a file to read instead: how
        ``qygeo park`` checks the folder as it would be after a change, before
        writing it. Messages still name the file in *root*.
    """
    import shapely

    from qygeo.ids import park_id_problem
    from qygeo.io.dataset import (
        load_city_stats,
        load_park_stats,
        load_planting_figures,
        load_targets,
        planting_ids_of,
    )

    res = ValidationResult()
    loaded: dict[str, gpd.GeoDataFrame] = {}
    for spec in (layers.DISTRICTS, layers.PARKS, layers.PLANTING, layers.PLOTS):
        path = (replaced or {}).get(spec.filename, root / spec.filename)
        rel = f"{root.name}/{spec.filename}"
        if not path.exists():
            if spec in (layers.DISTRICTS, layers.PARKS):
                res.problems.append(f"{rel}: file not found")
            continue
        try:
            raw = layers._read_any(path)
        except QygeoError as exc:
            res.problems.append(str(exc))
            continue
        if raw.crs is not None and not raw.crs.equals("EPSG:4326"):
            res.problems.append(f"{rel}: CRS is {raw.crs.to_string()}, geodata/ layers must be "
                                "WGS84 longitude/latitude (RFC 7946)")
            continue
        if len(raw):
            minx, miny, maxx, maxy = raw.total_bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                import numpy as np

                from qygeo.io.crs import diagnose_boxes

                hint = diagnose_boxes(raw.geometry.bounds.to_numpy().T,
                                      np.arange(1, len(raw) + 1))
                res.problems.append(f"{rel}: coordinates are not longitude/latitude degrees "
                                    f"({hint or ''})")
                continue
        rows = RowProblems(len(raw)) if spec is layers.PLOTS else None
        try:
            gdf = layers.conform(raw.set_crs("EPSG:4326", allow_override=True), spec, rel,
                                 problems=rows)
        except QygeoError as exc:
            res.problems.append(str(exc))
            continue
        res.problems += geometry_problems(gdf, spec, rel, rows)
        for col in ("park_id", "parent_park_id"):
            if col in gdf.columns:
                for fid, v in zip(gdf[spec.id_field], gdf[col]):
                    problem = park_id_problem(v, col)
                    if v is not None and v == v and str(v).strip() and problem:
                        res.problems.append(f"{rel} [{fid}]: {problem}")
        if spec is layers.PLOTS:
            # Causes are wording (政府原因, natural disaster …) read by the idle rule;
            # one it cannot read is judged as no cause and named, as the report does.
            unread = unrecognised_causes(gdf)
            if unread:
                res.notes.append(f"{rel}: {unread}")
        for col, allowed in (("boundary_quality", layers.BOUNDARY_QUALITIES),):
            if col in gdf.columns:
                for fid, v in zip(gdf[spec.id_field], gdf[col]):
                    if v is not None and v == v and str(v).strip() and v not in allowed:
                        res.problems.append(f"{rel} [{fid}]: {col} {v!r} is not one of "
                                            f"{', '.join(allowed)}")
        for col in ("source", "boundary_quality"):
            if spec is not layers.PLOTS and col not in gdf.columns:
                res.problems.append(f"{rel}: missing provenance column {col}")
        res.checked[spec.name] = len(gdf)
        loaded[spec.name] = gdf

    districts, parks = loaded.get("districts"), loaded.get("parks")
    valid = shapely.is_valid
    if districts is not None and parks is not None:
        dmap = {a: g for a, g in zip(districts["adcode"], districts.geometry.values)
                if g is not None and valid(g)}
        city = shapely.union_all(list(dmap.values())) if dmap else None
        pairs = []
        for fid, adcode, geom in zip(parks["park_id"], parks["district_adcode"],
                                     parks.geometry.values):
            where = f"{root.name}/parks.geojson [{fid}]"
            if geom is None or geom.is_empty or not valid(geom):
                continue
            if city is not None and not geom.intersects(city):
                res.problems.append(f"{where}: lies outside Qingyuan")
                continue
            if adcode not in dmap:
                res.problems.append(f"{where}: district_adcode {adcode!r} is not a district "
                                    f"of districts.geojson")
                continue
            pairs.append((where, adcode, geom, dmap[adcode]))
        shares = outside_shares([p[2] for p in pairs], [p[3] for p in pairs])
        for (where, adcode, _, _), share in zip(pairs, shares):
            if share > OUTSIDE_TOLERANCE:
                res.problems.append(f"{where}: {share:.1%} of the park lies outside its "
                                    f"district {adcode}")
    if parks is not None:
        res.problems += _nesting_problems(parks, f"{root.name}/parks.geojson")
    plots = loaded.get("plots")
    if plots is not None and parks is not None:
        pmap = {p: g for p, g in zip(parks["park_id"], parks.geometry.values)
                if g is not None and valid(g)}
        from qygeo.core.assign import assign_plots

        # Only the parks listed above as sound take plots: one without a geometry has
        # no place to hold them.
        usable = parks[[p in pmap for p in parks["park_id"]]]
        known_parks = set(parks["park_id"])
        assigned = assign_plots(plots, usable) if pmap else None
        has_pid = "park_id" in plots.columns
        pairs = []
        for i, (fid, geom) in enumerate(zip(plots["plot_id"], plots.geometry.values)):
            where = f"{root.name}/plots.geojson [{fid}]"
            if geom is None or geom.is_empty or not valid(geom):
                continue
            pid = plots["park_id"].iloc[i] if has_pid else None
            if pid is not None and pid == pid and str(pid).strip():
                if pid not in pmap:
                    if pid not in known_parks:  # else the park's own geometry is listed
                        res.problems.append(f"{where}: park_id {pid!r} is not a park of "
                                            "parks.geojson")
                    continue
                pairs.append((where, pid, geom, pmap[pid]))
            elif assigned is not None and assigned.iloc[i] is None:
                res.notes.append(f"{where}: has no park_id and lies in no park")
        shares = outside_shares([p[2] for p in pairs], [p[3] for p in pairs])
        for (where, pid, _, _), share in zip(pairs, shares):
            if share > PLOT_OUTSIDE_TOLERANCE:
                res.problems.append(f"{where}: {share:.1%} of the plot lies outside its "
                                    f"park {pid}")
    # Joins of the attribute tables.
    try:
        stats = load_park_stats(root)
    except QygeoError as exc:
        res.problems.append(str(exc))
        stats = None
    if stats is not None and len(stats):
        for pid in sorted({str(p) for p in stats["park_id"] if park_id_problem(p)}):
            res.problems.append(f"{root.name}/attributes/park_stats.csv: "
                                f"{park_id_problem(pid, 'park_id')}")
    if stats is not None and parks is not None and len(stats):
        unknown = sorted(set(stats["park_id"]) - set(parks["park_id"]))
        for pid in unknown:
            res.problems.append(f"{root.name}/attributes/park_stats.csv: park_id {pid!r} is not "
                                "a park of parks.geojson")
        blank = stats["source"].isna()
        for pid, year in zip(stats.loc[blank, "park_id"], stats.loc[blank, "year"]):
            res.problems.append(f"{root.name}/attributes/park_stats.csv [{pid} {year}]: "
                                "empty source")
    # The other tables every report reads: refused here as the report would refuse them,
    # and every figure row cites its source (geodata/README.md), as park_stats' rows do.
    for load, name, key in ((load_city_stats, "city_stats.csv", "indicator"),
                            (load_targets, "targets.csv", "indicator")):
        try:
            table = load(root)
            if load is load_targets:
                trends.check_units(table, root)
        except QygeoError as exc:
            res.problems.append(str(exc))
            continue
        _blank_sources(res, table, f"{root.name}/attributes/{name}", key)
    try:
        figures = load_planting_figures(root)
    except QygeoError as exc:
        res.problems.append(str(exc))
        figures = None
    _blank_sources(res, figures, f"{root.name}/attributes/planting_figures.csv", "figure_id")
    planting = loaded.get("planting")
    if figures is not None and len(figures):
        known = set(planting["planting_id"]) if planting is not None else set()
        for fid, ids in zip(figures["figure_id"], figures["planting_ids"]):
            where = f"{root.name}/attributes/planting_figures.csv [{fid}]"
            named = planting_ids_of(ids)
            if not named:
                res.problems.append(f"{where}: planting_ids names no planting area")
            for pid in named:
                if pid not in known:
                    res.problems.append(f"{where}: planting_id {pid!r} is not in "
                                        "planting.geojson")
    return res


def _blank_sources(res: ValidationResult, table: pd.DataFrame | None, where: str,
                   key: str) -> None:
    """List each row of *table* without a ``source``, by its *key*."""
    if table is None or not len(table) or "source" not in table.columns:
        return
    blank = table["source"].isna() | (table["source"].astype(str).str.strip() == "")
    for name in table.loc[blank, key]:
        res.problems.append(f"{where} [{name}]: empty source")
