"""qygeo's benchmark: the report against DuckDB spatial, layer formats, big map pages.

Run from the repository root::

    .venv/bin/python bench/run.py [--sizes 10000,100000,1000000] [--runs 3]

The headline is whole processes: ``qygeo report`` and a DuckDB spatial script
(``bench/duckdb_report.py``), each started fresh, alternating, on two data shapes
(plots inside the parks; plots spread over the city, most in no park, L-shaped,
ids shuffled), with each process's peak memory; ``--whole-sizes 10000000`` adds
10M plots. In-process figures follow. Synthetic plots (``bench/synthetic.py``,
seeded) are cached as GeoParquet in ``bench/data/``; medians are reported.
Results go to ``bench/results/latest.json`` and ``bench/results/latest.md``; the
table is printed. Progress goes to stderr
(``--quiet`` silences it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("QYGEO_BENCH_DATA", REPO / "bench" / "data"))
RESULTS = REPO / "bench" / "results"
AS_OF = dt.date(2025, 6, 30)
QUIET = False


def say(msg: str) -> None:
    if not QUIET:
        print(msg, file=sys.stderr, flush=True)


def parks():  # type: ignore[no-untyped-def]
    from qygeo.io import layers

    return layers.read_layer(REPO / "geodata" / "parks.geojson", layers.PARKS)


def plots_file(n: int) -> Path:
    """The cached synthetic GeoParquet of *n* plots (generated on first use)."""
    import synthetic

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"plots_{n}.parquet"
    if not path.exists():
        say(f"generating {n:,} plots → {path}")
        synthetic.write_geoparquet(synthetic.synthetic_plots(parks(), n), path)
    return path


def citywide_file(n: int, outline: str = "L") -> Path:
    """*n* L- or U-shaped plots spread over the whole city, most in no park, ids shuffled
    (cached)."""
    import synthetic

    from qygeo.io import layers

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"citywide_{n}{'' if outline == 'L' else '_' + outline}.parquet"
    if not path.exists():
        say(f"generating {n:,} city-wide {outline}-shaped plots → {path}")
        districts = layers.read_layer(REPO / "geodata" / "districts.geojson", layers.DISTRICTS)
        synthetic.write_geoparquet(synthetic.city_wide_plots(districts, n, outline=outline),
                                   path)
    return path


#: The data shapes of the whole-process benchmark: plots inside the parks (the engine's
#: grids decide nearly all of them), plots spread over the city with shuffled ids, and
#: the same spread of U-shaped plots (no ring star-shaped: each takes the pairwise test).
SHAPES = {"inside-parks": plots_file, "city-wide": citywide_file,
          "city-wide-u": lambda n: citywide_file(n, "U")}


def other_format(n: int, ext: str) -> Path:
    """The same plots as GeoJSON or GeoPackage (cached)."""
    import geopandas as gpd

    path = DATA / f"plots_{n}.{ext}"
    if not path.exists():
        say(f"writing {path}")
        gdf = gpd.read_parquet(plots_file(n))
        tmp = path.with_suffix(f".tmp.{ext}")
        gdf.to_file(tmp, driver="GeoJSON" if ext == "geojson" else "GPKG", engine="pyogrio")
        os.replace(tmp, path)
    return path


# --------------------------------------------------------------------------- engines


def report_json(path: Path, *extra: str) -> str:
    """``qygeo report --plots PATH --format json [EXTRA]`` in-process; the JSON text."""
    from qygeo.cli import main

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        main(["report", "--geodata", str(REPO / "geodata"), "--plots", str(path), "--format",
              "json", "-o", str(out), "--as-of", AS_OF.isoformat(), "--quiet", *extra],
             standalone_mode=False)
        return out.read_text(encoding="utf-8")


def _sums_of(text: str) -> dict[str, tuple[int, float]]:
    rows = json.loads(text)
    return {r["park_id"]: (r["plot_count"], r["plot_investment_yuan"] or 0.0) for r in rows}


def run_qygeo_report(path: Path) -> dict[str, tuple[int, float]]:
    """``qygeo report --plots PATH --format json`` in-process; per park (count, invested)."""
    return _sums_of(report_json(path))


def run_qygeo_dask(path: Path) -> dict[str, tuple[int, float]]:
    """``qygeo report --engine dask`` (a LocalCluster of worker processes); per park sums."""
    text = report_json(path, "--engine", "dask")
    LAST_JSON["qygeo report --engine dask"] = text
    return _sums_of(text)


#: The last JSON report of each engine that keeps it (to check dask == default).
LAST_JSON: dict[str, str] = {}


def run_qygeo_engine(path: Path) -> dict[str, tuple[int, float]]:
    """The engine part of the report: read (the report's columns only), areas, assignment,
    idle rule and per-park sums."""
    from qygeo.core import metrics
    from qygeo.pipeline import memory
    from qygeo.pipeline import plot_table as engine
    from qygeo.pipeline.plots import compute_plot_table

    memory.keep_freed_memory()  # as `qygeo report` does
    p = parks()
    result = compute_plot_table(path, p, AS_OF, columns=engine.REPORT_COLUMNS)
    sums = engine.park_sums(result.summary, metrics.park_descendants(p), list(p["park_id"]))
    return {k: (v["plot_count"], v["plot_investment_yuan"]) for k, v in sums.items()}


def spatial_extension() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("duckdb_extension_spatial")
    if spec is None or spec.origin is None:
        raise SystemExit("pip install 'qygeo[bench]' (duckdb, duckdb-extension-spatial)")
    return next(Path(spec.origin).parent.rglob("spatial.duckdb_extension"))


def run_duckdb(path: Path) -> dict[str, tuple[int, float]]:
    """DuckDB spatial: read + ST_PointOnSurface join (smallest park wins) + aggregation."""
    import duckdb
    import pandas as pd
    import shapely

    from qygeo.core import metrics

    p = parks()
    members = metrics.park_descendants(p)
    mem = pd.DataFrame([(a, m) for a, ms in members.items() for m in ms],
                       columns=["ancestor", "member"])
    pk = pd.DataFrame({"park_id": p["park_id"].astype(object),
                       "wkb": shapely.to_wkb(p.geometry.values)})
    con = duckdb.connect()
    con.execute(f"LOAD '{spatial_extension()}'")
    con.register("parks_df", pk)
    con.register("members", mem)
    con.execute("CREATE TEMP TABLE parks AS SELECT park_id, ST_GeomFromWKB(wkb) AS geom, "
                "ST_Area(ST_GeomFromWKB(wkb)) AS area FROM parks_df")
    q = f"""
    WITH p AS (SELECT plot_id, NULLIF(TRIM(park_id), '') AS given, invested_yuan,
                      geometry AS geom FROM read_parquet('{path}')),
    j AS (SELECT p.plot_id, arg_min(k.park_id, k.area) AS park_id FROM p JOIN parks k
          ON ST_Contains(k.geom, ST_PointOnSurface(p.geom)) WHERE p.given IS NULL
          GROUP BY p.plot_id),
    a AS (SELECT coalesce(p.given, j.park_id) AS park_id, p.invested_yuan
          FROM p LEFT JOIN j USING (plot_id))
    SELECT m.ancestor, count(*), coalesce(sum(a.invested_yuan), 0)
    FROM a JOIN members m ON a.park_id = m.member GROUP BY 1"""
    rows = con.execute(q).fetchall()
    con.close()
    return {r[0]: (int(r[1]), float(r[2])) for r in rows}


ENGINES = {"qygeo report": run_qygeo_report, "qygeo engine": run_qygeo_engine,
           "duckdb spatial": run_duckdb, "qygeo report --engine dask": run_qygeo_dask}
#: Engines timed only at the sizes given by --dask-sizes.
DASK = "qygeo report --engine dask"


def same_sums(a: dict[str, tuple[int, float]], b: dict[str, tuple[int, float]]) -> bool:
    keys = set(a) | set(b)
    return all(a.get(k, (0, 0.0))[0] == b.get(k, (0, 0.0))[0]
               and round(a.get(k, (0, 0.0))[1]) == round(b.get(k, (0, 0.0))[1]) for k in keys)


def peak_memory_mb(engine: str, path: Path) -> float:
    """Peak resident memory of a fresh process running *engine* on *path* (MB)."""
    # VmHWM of the child's own address space: ru_maxrss would carry over this (big)
    # process's high-water mark through fork and exec.
    here = str(Path(__file__).parent)
    code = (f"import sys; sys.path.insert(0, {here!r}); import run; "
            f"run.ENGINES[{engine!r}](run.Path({str(path)!r})); "
            "print([l for l in open('/proc/self/status') if l.startswith('VmHWM')][0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=REPO)
    return int(out.stdout.strip().splitlines()[-1].split()[1]) / 1024


def whole_process(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MB of *cmd* started as a fresh process.

    A small runner process starts *cmd* as its only child, so its RUSAGE_CHILDREN
    high-water mark is that command's peak memory (the benchmark's own big process
    never counts).
    """
    code = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
            "w = time.perf_counter() - t\n"
            "print(r.returncode, w, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", code, *cmd], capture_output=True, text=True,
                         check=True, cwd=REPO)
    rc, wall, peak_kb = out.stdout.split()
    if rc != "0":
        raise SystemExit(f"{' '.join(cmd)} exited with {rc}")
    return float(wall), int(peak_kb) / 1024


def bench_whole(sizes: list[int], shapes: list[str], runs: int) -> list[dict[str, Any]]:
    """``qygeo report --plots F --format json`` against the DuckDB script, each a fresh
    process, alternating, after one warm-up run each (the file in the page cache)."""
    # As installed: qygeo's modules byte-compiled, as pip compiles its dependencies.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "src" / "qygeo")],
                   check=False, capture_output=True)
    out = []
    for shape in shapes:
        for n in sizes:
            path = SHAPES[shape](n)
            qygeo = [sys.executable, "-m", "qygeo.cli", "report", "--geodata",
                     str(REPO / "geodata"), "--plots", str(path), "--format", "json",
                     "--as-of", AS_OF.isoformat(), "-q"]
            duck = [sys.executable, str(REPO / "bench" / "duckdb_report.py"),
                    str(REPO / "geodata" / "parks.geojson"), str(path)]
            say(f"whole process, {shape}, {n:,} plots: warm-up")
            whole_process(qygeo)
            whole_process(duck)
            times: dict[str, list[float]] = {"qygeo": [], "duckdb": []}
            peaks: dict[str, list[float]] = {"qygeo": [], "duckdb": []}
            for r in range(runs):
                for name, cmd in (("qygeo", qygeo), ("duckdb", duck)):
                    say(f"whole process, {shape}, {n:,} plots: {name} run {r + 1}/{runs}")
                    t, peak = whole_process(cmd)
                    times[name].append(t)
                    peaks[name].append(peak)
            out.append({
                "shape": shape, "plots": n,
                "qygeo report s": statistics.median(times["qygeo"]),
                "duckdb script s": statistics.median(times["duckdb"]),
                "qygeo / duckdb": statistics.median(
                    [a / b for a, b in zip(times["qygeo"], times["duckdb"], strict=True)]),
                "qygeo peak MB": max(peaks["qygeo"]), "duckdb peak MB": max(peaks["duckdb"]),
            })
    return out


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


# --------------------------------------------------------------------------- sections


def bench_report(sizes: list[int], runs: int, report_max: int,
                 dask_sizes: tuple[int, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        path = plots_file(n)
        engines = [e for e in ENGINES
                   if (e != "qygeo report" or n <= report_max or n in dask_sizes)
                   and (e != DASK or n in dask_sizes)]
        times: dict[str, list[float]] = {e: [] for e in engines}
        results: dict[str, Any] = {}
        for r in range(runs):
            for e in engines:  # alternating, one run of each per round
                say(f"report {n:,} plots: {e} run {r + 1}/{runs}")
                t, res = timed(ENGINES[e], path)
                times[e].append(t)
                results[e] = res
        ok = all(same_sums(results[e], results["duckdb spatial"]) for e in engines)
        row: dict[str, Any] = {"plots": n, "sums_match": ok}
        if DASK in engines:
            # The rule: exactly the default engine's report, not just the same sums.
            row["dask report identical"] = LAST_JSON[DASK] == report_json(path)
        duck = statistics.median(times["duckdb spatial"])
        for e in engines:
            row[f"{e} s"] = statistics.median(times[e])
            row[f"{e} / duckdb"] = statistics.median(times[e]) / duck
            if e != DASK:  # dask's work happens in its worker processes
                say(f"peak memory {n:,}: {e}")
                row[f"{e} peak MB"] = peak_memory_mb(e, path)
        out.append(row)
    return out


def bench_formats(sizes: list[int], runs: int) -> list[dict[str, Any]]:
    import geopandas as gpd

    out = []
    for n in sizes:
        files = {"GeoJSON": other_format(n, "geojson"), "GeoPackage": other_format(n, "gpkg"),
                 "GeoParquet": plots_file(n)}
        times: dict[str, list[float]] = {k: [] for k in files}
        for r in range(runs):
            for k, f in files.items():
                say(f"read {n:,} plots: {k} run {r + 1}/{runs}")
                if k == "GeoParquet":
                    t, _ = timed(gpd.read_parquet, f)
                else:
                    t, _ = timed(lambda f=f: gpd.read_file(f, engine="pyogrio", use_arrow=True))
                times[k].append(t)
        row = {"plots": n}
        for k, f in files.items():
            row[f"{k} s"] = statistics.median(times[k])
            row[f"{k} MB"] = f.stat().st_size / 1e6
        out.append(row)
    return out


#: The park whose page is timed (the largest bundled park); the plots are all put in it.
MAP_PARK = "guangfo"


def map_inputs(n: int):  # type: ignore[no-untyped-def]
    """The bundled data with *n* synthetic plots (seeded) in :data:`MAP_PARK`, and its report."""
    import dataclasses

    import synthetic

    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report

    ds = load_dataset(REPO / "geodata")
    plots = synthetic.synthetic_plots(ds.parks[ds.parks["park_id"] == MAP_PARK], n)
    plots["park_id"] = MAP_PARK
    ds = dataclasses.replace(ds, plots=plots)
    return ds, build_report(ds, as_of=AS_OF, park_ids=[MAP_PARK])


def folium_page(gdf) -> str:  # type: ignore[no-untyped-def]
    """Plain folium: one GeoJson layer with a style function (the reference)."""
    import folium

    colours = {"idle": "#d7301f", "idle_art8": "#fdae61", "not_idle": "#1a9850", "n/a": "#999999"}
    b = gdf.total_bounds
    m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=13, tiles=None)
    folium.GeoJson(gdf[["plot_id", "idle_status", "geometry"]],
                   style_function=lambda f: {"color": colours[f["properties"]["idle_status"]],
                                             "weight": 1, "fillOpacity": 0.5}).add_to(m)
    return m.get_root().render()


def qygeo_page(ds, rep) -> str:  # type: ignore[no-untyped-def]
    """qygeo's page of the park: plots, labels, outlines, figures panel, controls."""
    from qygeo.render import maps
    from qygeo.render.basemaps import get_basemap

    return maps.park_map(ds, rep, MAP_PARK, get_basemap("none")).get_root().render()


def browser_paint_s(page: Path) -> float | None:
    """Seconds from navigation to first paint after load in headless Chromium.

    The page should be self-contained: every request that is not a local file
    is aborted (the machine has no network; a CDN link would only stall).
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 860})
            pg.route("**/*", lambda r: r.continue_() if r.request.url.startswith(
                ("file:", "data:", "blob:")) else r.abort())
            t = time.perf_counter()
            pg.goto(page.as_uri(), wait_until="load", timeout=120_000)
            pg.evaluate("() => new Promise(r => requestAnimationFrame(() => "
                        "requestAnimationFrame(r)))")
            return time.perf_counter() - t
        finally:
            browser.close()


def bench_maps(counts: list[int], runs: int, browser: bool) -> list[dict[str, Any]]:
    """One park's page with *counts* plots: plain folium vs qygeo, alternating.

    Build time is page object to HTML text (not self-contained, as folium's
    ``save``); the report the page shows is built beforehand. Size is that HTML.
    First paint is measured on self-contained copies of both pages (assets
    inlined by :mod:`qygeo.render.assets`, untimed), the median of *runs* loads.
    """
    import gc

    import geopandas as gpd

    from qygeo.render.assets import inline_assets

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in counts:
            say(f"map {n:,} plots: generating the park's plots and report")
            ds, rep = map_inputs(n)
            gdf = gpd.GeoDataFrame(
                {"plot_id": rep.plot_table["plot_id"].to_numpy(),
                 "idle_status": rep.plot_table["idle_status"].fillna("n/a").to_numpy()},
                geometry=ds.plots.set_index("plot_id").geometry.loc[rep.plot_table["plot_id"]].values,
                crs="EPSG:4326")
            builders = {"folium": lambda gdf=gdf: folium_page(gdf),
                        "qygeo": lambda ds=ds, rep=rep: qygeo_page(ds, rep)}
            times: dict[str, list[float]] = {k: [] for k in builders}
            html: dict[str, str] = {}
            for r in range(runs):
                for k, build in builders.items():
                    say(f"map {n:,} plots: {k} build run {r + 1}/{runs}")
                    gc.collect()  # each run starts from a collected heap, not the other's garbage
                    t, html[k] = timed(build)
                    times[k].append(t)
            row: dict[str, Any] = {"plots": n}
            for k in builders:
                row[f"{k} build s"] = statistics.median(times[k])
                row[f"{k} HTML MB"] = len(html[k].encode("utf-8")) / 1e6
            paint: dict[str, float | None] = {k: None for k in builders}
            if browser:
                for k in builders:
                    page = Path(tmp) / f"{k}_{n}.html"
                    page.write_text(inline_assets(html[k]), encoding="utf-8")
                    ps = []
                    for r in range(runs):
                        say(f"map {n:,} plots: {k} first paint run {r + 1}/{runs}")
                        ps.append(browser_paint_s(page))
                    paint[k] = None if None in ps else statistics.median(ps)  # type: ignore
            for k in builders:
                row[f"{k} paint s"] = paint[k]
            row["build ×faster"] = row["folium build s"] / row["qygeo build s"]
            row["size ratio"] = row["qygeo HTML MB"] / row["folium HTML MB"]
            if paint["folium"] and paint["qygeo"]:
                row["paint ×faster"] = paint["folium"] / paint["qygeo"]
            out.append(row)
    return out


def command_times(runs: int) -> dict[str, float]:
    exe = str(Path(sys.executable).with_name("qygeo"))
    out = {}
    for name, args in (("qygeo --help", [exe, "--help"]),
                       ("qygeo report (bundled)", [exe, "report", "--quiet"])):
        # One run not counted: after the 10M-plot runs the libraries' files may have left
        # the page cache, and a user's second command finds them there.
        subprocess.run(args, cwd=REPO, capture_output=True, check=True)
        ts = []
        for _ in range(max(3, runs)):
            t = time.perf_counter()
            subprocess.run(args, cwd=REPO, capture_output=True, check=True)
            ts.append(time.perf_counter() - t)
        out[name] = statistics.median(ts)
    return out


# --------------------------------------------------------------------------- output


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {}
    for pkg in ("qygeo", "geopandas", "shapely", "pyarrow", "pyogrio", "pyproj", "numpy",
                "pandas", "duckdb", "duckdb-extension-spatial", "folium", "dask-geopandas"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "NO"
    if isinstance(v, float):
        return f"{v:,.3g}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def md_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(_cell(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def whole_scaling(rows: list[dict[str, Any]]) -> list[str]:
    """Per shape and size step, how much longer each side took for 10× the plots."""
    out = []
    by = {(r["shape"], r["plots"]): r for r in rows}
    for (shape, n), r in sorted(by.items()):
        big = by.get((shape, n * 10))
        if big is None:
            continue
        q = big["qygeo report s"] / r["qygeo report s"]
        d = big["duckdb script s"] / r["duckdb script s"]
        out.append(f"{shape} {n:,} → {n * 10:,}: qygeo {q:.2f}×, DuckDB {d:.2f}×")
    return out


def markdown(res: dict[str, Any]) -> str:
    parts = [f"# qygeo benchmark ({res['date']})", "", f"Machine: {res['machine']}", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in res["versions"].items()), "",
             f"Median of {res['runs']} alternating runs per cell.", ""]
    if res.get("whole"):
        parts += ["## Headline: whole processes, as a user meets them", "",
                  md_table(res["whole"]), "",
                  "`python -m qygeo.cli report --plots F --format json` against "
                  "`python bench/duckdb_report.py parks.geojson F` (load the spatial extension, "
                  "read the parks GeoJSON and the plots GeoParquet, ST_PointOnSurface within "
                  "the smallest park, SUM), each started fresh, alternating, after one warm-up "
                  "run each; the ratio is the median of the pairs. Peak memory is each "
                  "process's own high-water mark.", ""]
        growth = whole_scaling(res["whole"])
        if growth:
            parts += ["Whole-process growth for 10× the plots (target ≤ 10.5× from 1M to "
                      "10M): " + "; ".join(growth), ""]
    parts += ["## In-process: report vs DuckDB spatial (read + point-on-surface join + "
              "per-park sums)", "",
             md_table(res["report"]), "",
             "`qygeo engine` is the report's plot part (read, areas, assignment, idle rule, "
             "per-park sums); `qygeo report` adds the evaluation (indicators, 亩均 grading) "
             "and formatting, timed only up to --report-max plots.", ""]
    if res.get("scaling"):
        parts += ["Scaling (time ratio for 10× the plots): " + ", ".join(
            f"{k}: {v:.2f}×" for k, v in res["scaling"].items()), ""]
    parts += ["## Reading a plots layer (geopandas)", "", md_table(res["formats"]), ""]
    if res.get("maps"):
        parts += ["## One park's map page", "", md_table(res["maps"]), "",
                  "Plain folium (one `GeoJson` with a style function) against qygeo's park page "
                  "(plots as one compact blob on a canvas, plus outlines, labels, panel and "
                  "controls). Targets at 50k plots: build ≥ 5× faster, HTML ≤ ½ the size, "
                  "first paint < 2 s.", ""]
    parts += ["## Commands", "", md_table([{k: v for k, v in res["commands"].items()}]), ""]
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    global QUIET
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000,1000000",
                    help="plot counts to generate (seeded, cached in bench/data) and time")
    ap.add_argument("--runs", type=int, default=3,
                    help="alternating runs per cell; the tables show medians")
    ap.add_argument("--shapes", default=",".join(SHAPES),
                    help="data shapes of the whole-process headline (comma-separated): "
                         + ", ".join(SHAPES))
    ap.add_argument("--whole-sizes", default=None,
                    help="plot counts of the whole-process headline (default: --sizes); "
                         "10000000 is opt-in (about 3 GB of GeoParquet)")
    ap.add_argument("--report-max", type=int, default=1_000_000,
                    help="time the full `qygeo report` only up to this many plots")
    ap.add_argument("--dask-sizes", default="100000",
                    help="also time `qygeo report --engine dask` (LocalCluster) at these sizes "
                         "and check its report is identical to the default engine's")
    ap.add_argument("--map-sizes", default="10000,50000",
                    help="plots in the one-park map page, against plain folium")
    ap.add_argument("--skip-browser", action="store_true",
                    help="do not time first paint in headless Chromium")
    ap.add_argument("--skip-maps", action="store_true", help="skip the map pages")
    ap.add_argument("--out", type=Path, default=RESULTS,
                    help="results folder (latest.md and latest.json)")
    ap.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    a = ap.parse_args(argv)
    QUIET = a.quiet
    sizes = [int(s) for s in a.sizes.split(",") if s]
    res: dict[str, Any] = {"date": dt.date.today().isoformat(), "machine": machine(),
                           "versions": versions(), "runs": a.runs}
    dask_sizes = tuple(int(s) for s in a.dask_sizes.split(",") if s)
    whole_sizes = [int(s) for s in (a.whole_sizes or a.sizes).split(",") if s]
    res["load_at_start"] = os.getloadavg()[0]
    res["whole"] = bench_whole(whole_sizes, [s for s in a.shapes.split(",") if s], a.runs)
    res["report"] = bench_report(sizes, a.runs, a.report_max, dask_sizes)
    res["scaling"] = {}
    for e in ("qygeo engine", "duckdb spatial"):
        by = {r["plots"]: r.get(f"{e} s") for r in res["report"]}
        pairs = [(n, n * 10) for n in by if n * 10 in by and by[n] and by[n * 10]]
        if pairs:
            res["scaling"][e] = max(by[m] / by[n] for n, m in pairs)
    res["formats"] = bench_formats(sizes, a.runs)
    res["maps"] = [] if a.skip_maps else bench_maps(
        [int(s) for s in a.map_sizes.split(",") if s], a.runs, not a.skip_browser)
    res["commands"] = command_times(a.runs)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "latest.json").write_text(json.dumps(res, indent=2, ensure_ascii=False) + "\n",
                                       encoding="utf-8")
    text = markdown(res)
    (a.out / "latest.md").write_text(text, encoding="utf-8")
    print(text)
    return 0 if all(r["sums_match"] and r.get("dask report identical", True)
                    for r in res["report"]) else 1


if __name__ == "__main__":
    sys.exit(main())
