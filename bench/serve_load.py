"""Load test of ``qygeo serve`` on loopback: many report requests, a few at a time.

Run from the repository root::

    .venv/bin/python bench/serve_load.py [--requests 500] [--concurrency 8]

Starts the app on a free loopback port (uvicorn in a thread of this process)
over a copy of the bundled ``geodata/``, warms it with one request per distinct
query, then sends ``--requests`` GET ``/api/report`` requests (JSON, CSV and
Markdown, two as-of dates, all parks or one) from ``--concurrency`` client
threads. Any status other than 200 counts as an error. Latencies (wall time
from send to the last byte) go to ``bench/results/serve.json`` and
``serve.md``: median, p95, max, requests per second.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"

#: The queries sent in turn (the report cache holds each after the warm-up).
QUERIES = [
    {"format": fmt, "as_of": day, **({"park": park} if park else {})}
    for fmt in ("json", "csv", "markdown")
    for day in ("2025-06-30", "2025-12-31")
    for park in (None, "guangfo")
]


def run_load(base_url: str, requests: int, concurrency: int,
             queries: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Send *requests* report requests at *concurrency*; return counts and latencies (ms)."""
    import httpx

    queries = queries or QUERIES
    with httpx.Client(base_url=base_url, timeout=120) as warm:
        for q in queries:
            warm.get("/api/report", params=q).raise_for_status()
    local = {}

    def one(i: int) -> tuple[float, int]:
        import threading

        tid = threading.get_ident()
        if tid not in local:
            local[tid] = httpx.Client(base_url=base_url, timeout=120)
        t0 = time.perf_counter()
        r = local[tid].get("/api/report", params=queries[i % len(queries)])
        _ = r.content
        return (time.perf_counter() - t0) * 1000, r.status_code

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    for c in local.values():
        c.close()
    ms = sorted(r[0] for r in results)
    errors = sum(1 for r in results if r[1] != 200)
    return {"requests": requests, "concurrency": concurrency, "errors": errors,
            "median_ms": round(statistics.median(ms), 2),
            "p95_ms": round(ms[max(0, int(round(0.95 * len(ms))) - 1)], 2),
            "max_ms": round(ms[-1], 2), "wall_s": round(wall, 3),
            "requests_per_s": round(requests / wall, 1), "distinct_queries": len(queries)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=500)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--geodata", type=Path, default=REPO / "geodata")
    ap.add_argument("--out", type=Path, default=RESULTS, help="folder for serve.json/serve.md")
    args = ap.parse_args(argv)

    from qygeo.serve import ServeConfig, create_app
    from qygeo.serve.threaded import running

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "geodata"
        shutil.copytree(args.geodata, root)
        app = create_app(ServeConfig(root=root, basemap="none"))
        with running(app) as url:
            res = run_load(url, args.requests, args.concurrency)
    res.update(date=dt.date.today().isoformat(), python=platform.python_version(),
               machine=f"{platform.machine()}, {os.cpu_count()} cores",
               endpoint="GET /api/report (json, csv, markdown; 2 as-of dates; all parks or one)")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "serve.json").write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
    md = ["# qygeo serve: report requests on loopback", "",
          f"{res['requests']} requests at concurrency {res['concurrency']} to "
          f"{res['endpoint']}, bundled geodata; uvicorn runs in a thread of the process whose "
          "client threads send the requests (they share one interpreter lock, so these times "
          "include the clients' share); one warm-up request per distinct query first (reports "
          "are then cached until the data folder changes).", "",
          "| requests | concurrency | errors | median ms | p95 ms | max ms | req/s |",
          "|---:|---:|---:|---:|---:|---:|---:|",
          f"| {res['requests']} | {res['concurrency']} | {res['errors']} | {res['median_ms']} | "
          f"{res['p95_ms']} | {res['max_ms']} | {res['requests_per_s']} |", "",
          f"Machine: {res['machine']}, Python {res['python']}, {res['date']}.", ""]
    (args.out / "serve.md").write_text("\n".join(md), encoding="utf-8")
    print("\n".join(md))
    return 1 if res["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
