"""The DuckDB side of the whole-process benchmark: per-park plot sums with DuckDB spatial.

Run as its own process, as a user would run a DuckDB script::

    python bench/duckdb_report.py geodata/parks.geojson plots.parquet

It loads the spatial extension, reads the parks GeoJSON (ST_Read) and the plots
GeoParquet (read_parquet), assigns each plot without a park_id to the smallest park
holding ST_PointOnSurface of it, and prints plot count and invested yuan per park.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def main(parks: str, plots: str) -> None:
    import duckdb

    spec = importlib.util.find_spec("duckdb_extension_spatial")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install 'qygeo[bench]' (duckdb, duckdb-extension-spatial)")
    ext = next(Path(spec.origin).parent.rglob("spatial.duckdb_extension"))
    con = duckdb.connect()
    con.execute(f"LOAD '{ext}'")
    con.execute("CREATE TEMP TABLE parks AS SELECT park_id, geom, ST_Area(geom) AS area "
                "FROM ST_Read(?)", [parks])
    rows = con.execute("""
        WITH p AS (SELECT plot_id, NULLIF(TRIM(park_id), '') AS given, invested_yuan,
                          geometry AS geom FROM read_parquet(?)),
        j AS (SELECT p.plot_id, arg_min(k.park_id, k.area) AS park_id FROM p JOIN parks k
              ON ST_Within(ST_PointOnSurface(p.geom), k.geom) WHERE p.given IS NULL
              GROUP BY p.plot_id),
        a AS (SELECT coalesce(p.given, j.park_id) AS park_id, p.invested_yuan
              FROM p LEFT JOIN j USING (plot_id))
        SELECT park_id, count(*), sum(invested_yuan) FROM a GROUP BY 1 ORDER BY 1
    """, [plots]).fetchall()
    for park, count, invested in rows:
        print(park, count, invested)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
