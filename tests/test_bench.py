"""The benchmark script runs end to end at a tiny size and its sums check passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb  # noqa: F401 - a hard dependency of this test (the test extra installs it)
import duckdb_extension_spatial  # noqa: F401

REPO = Path(__file__).resolve().parents[1]


def test_bench_runs_tiny(tmp_path):
    env = dict(os.environ, QYGEO_BENCH_DATA=str(tmp_path / "data"))
    res = subprocess.run(
        [sys.executable, str(REPO / "bench" / "run.py"), "--sizes", "500", "--runs", "1",
         "--skip-browser", "--map-sizes", "300", "--dask-sizes", "500",
         "--out", str(tmp_path / "out")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    data = json.loads((tmp_path / "out" / "latest.json").read_text(encoding="utf-8"))
    assert data["report"][0]["sums_match"] is True
    assert data["report"][0]["dask report identical"] is True
    assert "| plots |" in res.stdout and "Machine:" in res.stdout
    assert "report 500 plots" in res.stderr  # progress on stderr


def test_whole_process_growth_is_per_shape_and_tenfold_step():
    import run

    rows = [{"shape": s, "plots": n, "qygeo report s": q, "duckdb script s": d}
            for s, n, q, d in [("city-wide", 1000, 1.0, 2.0), ("city-wide", 10000, 9.0, 10.0),
                               ("inside-parks", 1000, 1.0, 1.0),
                               ("inside-parks", 5000, 3.0, 3.0)]]
    assert run.whole_scaling(rows) == ["city-wide 1,000 → 10,000: qygeo 9.00×, DuckDB 5.00×"]


def test_u_shaped_plots_are_valid_and_each_takes_the_pairwise_test():
    """The city-wide-u shape is what its name says: valid plots, none star-shaped from its
    area's centroid, so every ring is checked edge pair by edge pair (and passes there)."""
    import numpy as np
    import pyarrow as pa
    import shapely
    import synthetic

    from qygeo.io import layers, plot_files, plot_rows

    districts = layers.read_layer(REPO / "geodata" / "districts.geojson", layers.DISTRICTS)
    plots = synthetic.city_wide_plots(districts, 2000, outline="U")
    geoms = np.asarray(plots.geometry.values)
    assert shapely.is_valid(geoms).all() and (shapely.get_num_coordinates(geoms) == 9).all()
    rings, rest = plot_files.decode_polygons(pa.array(shapely.to_wkb(geoms), pa.binary()))
    [(_pos, x, y)] = rings.by_count
    assert not len(rest)
    assert not plot_rows._star_shaped(x, y, *plot_rows._area_centroids(x, y)).any()
    assert plot_rows._no_crossings(x, y, np.arange(x.shape[1])).all()
    ells = synthetic.city_wide_plots(districts, 500)
    assert (shapely.get_num_coordinates(np.asarray(ells.geometry.values)) == 7).all()
