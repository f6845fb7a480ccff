"""One validation of plot rows (issue #12 items 5 and 6): every command, both engines.

Each bad plot value is refused with one line naming file, plot and problem, the
same words whatever the command; with --skip-invalid-plots the figures equal
those of the file without the bad rows, and the left-out plots are listed.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import snapshot, write_tiny
from qygeo.cli import main
from qygeo.errors import QygeoError
from qygeo.io import layers, plot_files
from qygeo.pipeline.plots import compute_plot_table

AS_OF = "2026-01-01"
BOWTIE = {"type": "Polygon", "coordinates": [[[113.001, 23.601], [113.004, 23.604],
                                              [113.004, 23.601], [113.001, 23.604],
                                              [113.001, 23.601]]]}

#: name → (change to plot A1's feature, words of the problem)
BAD = {
    "bowtie": (lambda f: f.update(geometry=BOWTIE), "invalid geometry (Self-intersection"),
    "point": (lambda f: f.update(geometry={"type": "Point", "coordinates": [113.002, 23.602]}),
              "geometry is Point, expected Polygon or MultiPolygon"),
    "null": (lambda f: f.update(geometry=None), "empty or missing geometry"),
    "negative": (lambda f: f["properties"].update(invested_yuan=-3.76e9),
                 "invested_yuan is negative"),
    "boolean": (lambda f: f["properties"].update(invested_yuan=True),
                "invested_yuan is true, a boolean, not a number"),
    "huge": (lambda f: f["properties"].update(invested_yuan=1e308),
             "invested_yuan is larger than 1e15 (implausible)"),
    "text": (lambda f: f["properties"].update(land_price_yuan="lots"),
             "land_price_yuan is not a number: 'lots'"),
    "feb30": (lambda f: f["properties"].update(agreed_start_date="2022-02-30"),
              "agreed_start_date is not a calendar date (YYYY-MM-DD): '2022-02-30'"),
    "open_end": (lambda f: f["properties"].update(agreed_start_date="9999-12-31"),
                 "agreed_start_date is outside 1900-01-01"),
    "year_one": (lambda f: f["properties"].update(suspended_since="0001-01-01"),
                 "suspended_since is outside 1900-01-01"),
    "suspended_early": (lambda f: f["properties"].update(actual_start_date="2022-02-01",
                                                        suspended_since="2021-07-01"),
                        "suspended_since is before actual_start_date"),
    "disposed_never": (lambda f: f["properties"].update(idle_disposed_on="9999-12-31"),
                       "idle_disposed_on is outside 1900-01-01"),
    "disposed_feb30": (lambda f: f["properties"].update(idle_disposed_on="2022-02-30"),
                       "idle_disposed_on is not a calendar date"),
}


def invoke(*args):
    return CliRunner().invoke(main, [*args, "-q"], catch_exceptions=False)


def error_line(result) -> str:
    """The one stderr line of a refused command (exit 1, no traceback)."""
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in result.stderr and "Warning" not in result.stderr
    assert lines and all(ln.startswith("qygeo: error:") for ln in lines), result.stderr
    return lines[0]


def features(root: Path) -> dict:
    return json.loads((root / "plots.geojson").read_text(encoding="utf-8"))


def write_plots(fc: dict, path: Path) -> Path:
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


def bad_file(root: Path, case: str, out: Path) -> Path:
    fc = features(root)
    BAD[case][0](fc["features"][0])
    return write_plots(fc, out)


@pytest.fixture()
def folder(tmp_path):
    return write_tiny(tmp_path / "geodata")


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD))
def test_report_and_map_refuse_a_bad_plot_with_the_same_line(folder, tmp_path, case):
    plots = bad_file(folder, case, tmp_path / "bad.geojson")
    before = snapshot(folder)
    words = BAD[case][1]
    lines = [
        error_line(invoke("report", "--geodata", str(folder), "--plots", str(plots),
                          "--format", "json", "--as-of", AS_OF)),
        error_line(invoke("report", "--geodata", str(folder), "--plots", str(plots),
                          "--format", "xlsx", "-o", str(tmp_path / "r.xlsx"), "--as-of", AS_OF)),
        error_line(invoke("map", "--geodata", str(folder), "--plots", str(plots), "-o",
                          str(tmp_path / "maps"), "--basemap", "none", "--as-of", AS_OF)),
    ]
    assert len(set(lines)) == 1, lines  # same verdict, same words
    assert f"bad.geojson [A1]: {words}" in lines[0]
    assert "--skip-invalid-plots" in lines[0]
    assert snapshot(folder) == before
    assert not (tmp_path / "r.xlsx").exists() and not (tmp_path / "maps").exists()


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(BAD))
def test_validate_and_build_refuse_a_bad_plot_in_the_data_folder(folder, tmp_path, case):
    bad_file(folder, case, folder / "plots.geojson")
    before = snapshot(folder)
    r = CliRunner().invoke(main, ["validate", "--geodata", str(folder)])
    assert r.exit_code == 1
    assert f"plots.geojson [A1]: {BAD[case][1]}" in r.stderr
    assert "Traceback" not in r.stderr
    r = invoke("build", "--geodata", str(folder), "-o", str(tmp_path / "out"),
               "--basemap", "none")
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert f"plots.geojson [A1]: {BAD[case][1]}" in r.stderr
    assert snapshot(folder) == before


def test_the_count_of_other_refused_plots_is_told(folder, tmp_path):
    fc = features(folder)
    for f in fc["features"][:3]:
        f["properties"]["invested_yuan"] = -1
    line = error_line(invoke("report", "--geodata", str(folder), "--plots",
                             str(write_plots(fc, tmp_path / "p.geojson")), "--as-of", AS_OF))
    assert "[A1]: invested_yuan is negative; 2 more plots refused" in line


@pytest.mark.slow
@pytest.mark.parametrize("case", ["bowtie", "null", "negative", "boolean", "feb30", "open_end"])
def test_skipped_plots_leave_the_figures_of_the_file_without_them(folder, tmp_path, case):
    plots = bad_file(folder, case, tmp_path / "bad.geojson")
    fc = features(folder)
    del fc["features"][0]
    clean = write_plots(fc, tmp_path / "clean.geojson")
    want = invoke("report", "--geodata", str(folder), "--plots", str(clean), "--format", "json",
                  "--as-of", AS_OF)
    assert want.exit_code == 0
    for extra in ([], ["--engine", "default"]):
        r = CliRunner().invoke(main, ["report", "--geodata", str(folder), "--plots", str(plots),
                                      "--format", "json", "--as-of", AS_OF,
                                      "--skip-invalid-plots", *extra])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout) == json.loads(want.stdout)
        assert f"plot A1 left out (--skip-invalid-plots): {BAD[case][1]}" in r.stderr
    md = invoke("report", "--geodata", str(folder), "--plots", str(plots), "--format",
                "markdown", "--as-of", AS_OF, "--skip-invalid-plots")
    assert "Plots left out" in md.stdout and "| A1 " in md.stdout
    xlsx = tmp_path / "r.xlsx"
    assert invoke("report", "--geodata", str(folder), "--plots", str(plots), "--format", "xlsx",
                  "-o", str(xlsx), "--as-of", AS_OF, "--skip-invalid-plots").exit_code == 0
    from openpyxl import load_workbook

    wb = load_workbook(xlsx, read_only=True)
    listed = list(wb["excluded_plots"].iter_rows(values_only=True))[1:]  # under the labels
    assert listed == [("plot_id", "problem"), ("A1", BAD[case][1])] or (
        listed[1][0] == "A1" and listed[1][1].startswith(BAD[case][1]))
    plot_ids = [r[0] for r in wb["plots"].iter_rows(min_row=3, values_only=True)]
    assert "A1" not in plot_ids and "A2" in plot_ids
    r = invoke("map", "--geodata", str(folder), "--plots", str(plots), "-o",
               str(tmp_path / "maps"), "--basemap", "none", "--as-of", AS_OF,
               "--skip-invalid-plots")
    assert r.exit_code == 0 and (tmp_path / "maps" / "index.html").exists()


def test_the_negative_plot_is_no_longer_summed_into_its_park(folder, tmp_path):
    plots = bad_file(folder, "negative", tmp_path / "bad.geojson")
    r = invoke("report", "--geodata", str(folder), "--plots", str(plots), "--format", "json",
               "--as-of", AS_OF, "--skip-invalid-plots")
    alpha = next(p for p in json.loads(r.stdout) if p["park_id"] == "alpha")
    assert alpha["plot_investment_yuan"] == 1.5e8  # A2 only (A1's −3.76e9 left out)
    assert alpha["plot_count"] == 1


@pytest.mark.parametrize("case", ["negative", "boolean", "feb30", "bowtie"])
def test_the_dask_engine_gives_the_same_verdict(folder, tmp_path, case):
    pytest.importorskip("dask_geopandas")
    plots = bad_file(folder, case, tmp_path / "bad.geojson")
    default = error_line(invoke("report", "--geodata", str(folder), "--plots", str(plots),
                                "--as-of", AS_OF))
    r = CliRunner().invoke(main, ["report", "--geodata", str(folder), "--plots", str(plots),
                                  "--as-of", AS_OF, "--engine", "dask", "-q"])
    assert error_line(r) == default
    if case != "negative":
        return
    want = invoke("report", "--geodata", str(folder), "--plots", str(plots), "--format", "json",
                  "--as-of", AS_OF, "--skip-invalid-plots")
    got = invoke("report", "--geodata", str(folder), "--plots", str(plots), "--format", "json",
                 "--as-of", AS_OF, "--skip-invalid-plots", "--engine", "dask")
    assert got.exit_code == 0 and json.loads(got.stdout) == json.loads(want.stdout)
    r = invoke("report", "--geodata", str(folder), "--plots", str(plots), "--engine", "dask",
               "--scheduler", "garbage://x")
    assert "--scheduler garbage://x: cannot connect to a Dask scheduler" in error_line(r)


MONEY = "park_id,year,signed_investment_yuan,source\n"
#: The TD/T rates' inputs: text was a traceback, −50000 a rate of −0.05 "ok".
LAND = "park_id,year,ready_for_supply_area_m2,developable_area_m2,source\n"


@pytest.mark.parametrize(("table", "words"), [
    (MONEY + "alpha,2024,-5000000000,x", "row 2: signed_investment_yuan is negative"),
    (MONEY + "alpha,2024.5,5000000000,x", "row 2: year is not a year (1900-2100): '2024.5'"),
    (MONEY + "alpha,2024,inf,x", "row 2: signed_investment_yuan is not a finite number"),
    (MONEY + "alpha,2024,true,x", "row 2: signed_investment_yuan is not a number: 'true'"),
    (LAND + "alpha,2024,10000,abc,x", "row 2: developable_area_m2 is not a number: 'abc'"),
    (LAND + "alpha,2024,10000,-50000,x", "row 2: developable_area_m2 is negative"),
    (LAND + "alpha,2024,10000,inf,x", "row 2: developable_area_m2 is not a finite number"),
])
def test_park_stats_rows_are_checked_by_validate_and_report(folder, table, words):
    (folder / "attributes" / "park_stats.csv").write_text(table + "\n", encoding="utf-8")
    before = snapshot(folder)
    r = CliRunner().invoke(main, ["validate", "--geodata", str(folder)])
    assert r.exit_code == 1 and words in r.stderr
    assert words in error_line(invoke("report", "--geodata", str(folder)))
    assert snapshot(folder) == before


@pytest.mark.parametrize(("value", "words"), [
    ("abc", "developable_area_m2 is not a number: 'abc'"),
    (-50000.0, "developable_area_m2 is negative"),
    # GDAL read a JSON true as 1 m²: a land supply rate of 52,798,588.9 %.
    (True, "developable_area_m2 is true, a boolean, not a number"),
])
def test_parks_layer_land_figures_are_checked_too(folder, value, words):
    path = folder / "parks.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][0]["properties"]["developable_area_m2"] = value
    path.write_text(json.dumps(doc), encoding="utf-8")
    r = CliRunner().invoke(main, ["validate", "--geodata", str(folder)])
    assert r.exit_code == 1 and words in r.stderr
    assert words in error_line(invoke("report", "--geodata", str(folder)))


def test_a_table_without_geometry_names_what_is_needed(folder, tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("plot_id,invested_yuan\nA1,5\n", encoding="utf-8")
    for args in (["report"], ["map", "-o", str(tmp_path / "m")]):
        line = error_line(invoke(*args, "--geodata", str(folder), "--plots", str(csv)))
        # a CSV plots file needs a WKT column (issue #15 item 4 changed the wording)
        assert "x.csv: has no geometry: add a WKT column" in line


@pytest.mark.slow
def test_a_fake_geopackage_is_one_line_without_gdal_warnings(folder, tmp_path):
    fake = tmp_path / "fake.gpkg"
    # A GeoPackage's header (its application id at byte 68), then bytes GDAL cannot read.
    fake.write_bytes(b"SQLite format 3\0" + bytes(52) + b"GPKG" + bytes(range(256)) * 32)
    # A real process: warnings filters and their printing are per interpreter.
    r = subprocess.run([sys.executable, "-m", "qygeo.cli", "report", "--geodata", str(folder),
                        "--plots", str(fake), "-q"], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("qygeo: error: ")
    assert "cannot be read as a layer" in r.stderr


@pytest.mark.slow
def test_a_full_disk_while_writing_xlsx_is_one_line(folder, tmp_path):
    out = tmp_path / "r.xlsx"
    script = (
        "import errno, io, os, sys\n"
        "from qygeo.io import atomic\n"
        "real = os.fdopen\n"
        "class Full(io.RawIOBase):\n"
        "    def writable(self): return True\n"
        "    def write(self, b): raise OSError(errno.ENOSPC, 'No space left on device')\n"
        "def fdopen(fd, mode='r', *a, **k):\n"
        "    return io.BufferedWriter(Full()) if 'w' in mode else real(fd, mode, *a, **k)\n"
        "atomic.os.fdopen = fdopen\n"
        "from qygeo.cli import main\n"
        f"sys.argv = ['qygeo', 'report', '--geodata', {str(folder)!r}, '--format', 'xlsx',\n"
        f"            '-o', {str(out)!r}, '-q']\n"
        "main()\n")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr == f"qygeo: error: {out}: cannot write: No space left on device\n", r.stderr
    assert not out.exists() and not list(tmp_path.glob(".r.xlsx.*"))


# --------------------------------------------------------------------------- properties

NUMBERS = st.one_of(
    st.sampled_from([0.0, -0.0, -1.0, 1e308, -1e308, 1e15, 1e15 + 2, 5e-324]),
    st.floats(allow_nan=False), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
    st.sampled_from(["12", " 7.5 ", "", "lots", "1e400", "-0", "NaN", "inf", "true", "0x10"]),
)
DATES = st.one_of(
    st.sampled_from(["2024-02-29", "2023-02-29", "2022-02-30", "0001-01-01", "9999-12-31",
                     "1900-01-01", "2100-12-31", "1899-12-31", "2022-13-01", "", "soon",
                     "2022-02-28T25:00", "2024-01-01T00:00:00+08:00"]),
    st.dates().map(dt.date.isoformat), st.text(max_size=12),
)

_TINY: dict = {}


def tiny(tmp_path_factory) -> Path:
    if "root" not in _TINY:
        _TINY["root"] = write_tiny(tmp_path_factory.mktemp("prop") / "geodata")
    return _TINY["root"]


def judged(root: Path, fc: dict, tmp: Path):
    """The plots' investment sum by both readers, or a QygeoError (never another error)."""
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import plot_table

    path = write_plots(fc, tmp / "p.geojson")
    parks = layers.read_layer(root / "parks.geojson", layers.PARKS)
    out = []
    for read in (lambda: compute_plot_table(path, parks, dt.date(2026, 1, 1)).table,
                 lambda: plot_table(load_dataset(root, plots=path), dt.date(2026, 1, 1))):
        try:
            table = read()
        except QygeoError as exc:
            assert "\n" not in str(exc)
            out.append(type(exc))
            continue
        out.append(float(table["invested_yuan"].sum()))
    return out


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=NUMBERS)
def test_numbers_at_their_edges_are_refused_or_counted(tmp_path_factory, value):
    root = tiny(tmp_path_factory)
    fc = copy.deepcopy(features(root))
    fc["features"][0]["properties"]["invested_yuan"] = value
    got = judged(root, fc, tmp_path_factory.mktemp("n"))
    want = counted_amount(value)
    if want is None:
        assert all(isinstance(g, type) for g in got), (value, got)
    else:
        rest = sum(f["properties"]["invested_yuan"] for f in fc["features"][1:])
        assert got == [pytest.approx(rest + want)] * 2, (value, got)


def counted_amount(value) -> float | None:
    """What a plot amount should count as (0 when missing), or None when it must be refused."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            v = float(text)
        except ValueError:
            return None
    else:
        v = float(value)
    if math.isnan(v):  # JSON's and pandas' NaN: a missing value
        return 0.0
    return v if math.isfinite(v) and 0 <= v <= 1e15 else None


@pytest.mark.slow
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=DATES)
def test_dates_at_their_edges_are_refused_or_taken_as_they_are(tmp_path_factory, value):
    root = tiny(tmp_path_factory)
    fc = copy.deepcopy(features(root))
    fc["features"][0]["properties"]["agreed_start_date"] = value
    got = judged(root, fc, tmp_path_factory.mktemp("d"))
    assert (got[0] == got[1]) or all(isinstance(g, type) for g in got), got


@pytest.mark.slow
@pytest.mark.parametrize("cells", [None, 200])
def test_ring_validity_without_geos_agrees_with_geos(cells, monkeypatch):
    """The fast engine's validity test (star-shaped, then pairwise) against shapely's GEOS,
    on random rings: simple, self-crossing, twice-wound, collinear, touching, spiked; also
    with the pairwise test taking a few rings at a time."""
    import numpy as np
    import pyarrow as pa
    import shapely

    from qygeo.io import plot_rows

    if cells is not None:
        monkeypatch.setattr(plot_rows, "PAIRWISE_CELLS", cells)

    rng = np.random.default_rng(7)
    polys = []
    for k in range(6000):
        m = int(rng.integers(3, 12))
        pts = rng.uniform(0, 1, (m, 2))
        if k % 7 == 0:
            pts = np.round(pts, 1)  # collinear and touching vertices
        if k % 3 == 0:  # star-shaped, every other one wound twice
            ang = np.sort(rng.uniform(0, 2 * np.pi, m)) * (1 + k % 2)
            pts = np.c_[np.cos(ang), np.sin(ang)] * rng.uniform(0.2, 1, (m, 1))
        if k % 11 == 0:
            pts = np.r_[pts, pts[:1] + [0.5, 0], pts[:1]]  # a spike
        pts = pts * 0.01 + [113.0, 23.0]
        polys.append(shapely.Polygon(pts if k % 5 else pts[::-1]))
    polys = np.array(polys, dtype=object)
    rings, rest = plot_files.decode_polygons(pa.array(shapely.to_wkb(polys), pa.binary()))
    assert len(rest) == 0
    problems = plot_rows.RowProblems(len(polys))
    plot_rows.check_rings(rings, problems)
    truth = ~shapely.is_valid(polys)
    assert 1000 < truth.sum() < len(polys) - 1000  # both kinds well represented
    assert np.array_equal(problems.bad, truth)


def test_concave_plots_are_decided_from_their_area_centroid_and_agree_with_geos(monkeypatch):
    """L-shaped and other concave plots are tried from their area's centroid, which sees
    more of them whole than the mean of their vertices, before the pairwise test; GEOS
    agrees on every ring."""
    import numpy as np
    import pyarrow as pa
    import shapely

    from qygeo.io import plot_rows

    rng = np.random.default_rng(11)
    polys = []
    for k in range(3000):
        w, h = rng.uniform(0.3, 1, 2)
        cut_w, cut_h = rng.uniform(0.2, 0.6, 2) * [w, h]
        ell = np.array([(0, 0), (w, 0), (w, h - cut_h), (w - cut_w, h - cut_h),
                        (w - cut_w, h), (0, h)])
        if k % 4 == 0:  # a concave star: seen whole from near its middle, if at all
            m = int(rng.integers(5, 12))
            ang = np.sort(rng.uniform(0, 2 * np.pi, m))
            r = np.where(np.arange(m) % 2, 0.3, 1.0)
            ell = np.c_[np.cos(ang) * r, np.sin(ang) * r]
        if k % 9 == 0:
            ell = ell[[0, 2, 1, *range(3, len(ell))]]  # two edges crossed
        theta = rng.uniform(0, 2 * np.pi)
        rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
        pts = ell @ rot.T * 0.001 + [113.0, 23.5]
        polys.append(shapely.Polygon(pts if k % 2 else pts[::-1]))
    polys = np.array(polys, dtype=object)
    rings, rest = plot_files.decode_polygons(pa.array(shapely.to_wkb(polys), pa.binary()))
    assert len(rest) == 0
    pairwise = []
    real = plot_rows._no_crossings
    monkeypatch.setattr(plot_rows, "_no_crossings",
                        lambda x, y, which: pairwise.append(len(which)) or real(x, y, which))
    problems = plot_rows.RowProblems(len(polys))
    plot_rows.check_rings(rings, problems)
    truth = ~shapely.is_valid(polys)
    assert 200 < truth.sum() < 1000
    assert np.array_equal(problems.bad, truth)
    # Fewer valid rings are left to the pairwise test than the vertex mean would leave.
    corners = np.diff(rings.starts) - 1
    last = rings.starts[1:] - 1
    mean_x = (np.add.reduceat(rings.x, rings.starts[:-1]) - rings.x[last]) / corners
    mean_y = (np.add.reduceat(rings.y, rings.starts[:-1]) - rings.y[last]) / corners
    by_mean = sum((~plot_rows._star_shaped(x, y, mean_x[pos], mean_y[pos]) & ~truth[pos]).sum()
                  for pos, x, y in rings.by_count)
    by_area = sum(pairwise) - truth.sum()
    assert by_area < 0.6 * by_mean


@pytest.mark.parametrize("longest", [9, 70_000])
def test_rings_by_count_group_every_ring_in_order(longest):
    # Rings of mixed vertex counts (and one past 16-bit counts, sorted the other way):
    # each group holds the rings of one count, in their order, vertex j in row j.
    import numpy as np

    from qygeo.io import plot_rows

    rng = np.random.default_rng(3)
    counts = rng.choice([4, 5, 7, 9], 500)
    counts[123] = longest
    starts = np.r_[0, np.cumsum(counts)]
    x = rng.random(starts[-1])
    y = rng.random(starts[-1])
    rings = plot_rows.Rings(x, y, starts, np.arange(len(counts)) * 2)
    seen = []
    for pos, gx, gy in rings.by_count:
        k = counts[pos[0]]
        assert (counts[pos] == k).all() and (np.diff(pos) > 0).all()
        assert gx.shape == (k, len(pos))
        for c, p in enumerate(pos):
            np.testing.assert_array_equal(gx[:, c], x[starts[p]:starts[p + 1]])
            np.testing.assert_array_equal(gy[:, c], y[starts[p]:starts[p + 1]])
        seen.extend(pos)
    assert sorted(seen) == list(range(len(counts)))
    assert [counts[g[0][0]] for g in rings.by_count] == sorted(set(counts))


def test_a_text_column_of_numbers_and_names_reads_without_a_warning(folder):
    # Parcel numbers 1 and "A-7" (a normal ledger) drew pyogrio's "Could not parse column
    # 'parcel_no' as JSON; leaving as string" on every command: kept as text, as meant.
    data = features(folder)
    for i, f in enumerate(data["features"]):
        f["properties"]["parcel_no"] = i if i % 2 else f"A-{i}"
    write_plots(data, folder / "plots.geojson")
    r = CliRunner().invoke(main, ["validate", "--geodata", str(folder)])
    assert r.exit_code == 0 and "warning" not in r.stderr, r.stderr


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_non_finite_vertex_of_a_ring_no_point_sees_whole_is_left_to_geos(bad):
    """The pairwise test decides nothing from a NaN or infinite vertex (no comparison
    holds): GEOS names the coordinate."""
    import numpy as np
    import pyarrow as pa
    import shapely

    from qygeo.io import plot_rows

    u = [(0, 0), (1, 0), (1, .85), (.7, .85), (.7, .4), (.3, .4), (.3, 1), (0, 1)]
    pts = [(113 + a * 0.001, 24 + b * 0.001) for a, b in u]
    polys = np.array([shapely.Polygon(pts), shapely.Polygon([*pts[:4], (bad, 24.0004),
                                                             *pts[5:]])], dtype=object)
    rings, _ = plot_files.decode_polygons(pa.array(shapely.to_wkb(polys), pa.binary()))
    [(_pos, x, y)] = rings.by_count
    assert list(plot_rows._no_crossings(x, y, np.arange(2))) == [True, False]
    problems = plot_rows.RowProblems(2)
    plot_rows.check_rings(rings, problems)
    assert list(problems.bad) == [False, True]
    assert "Invalid Coordinate" in problems.column().tolist()[1]


@pytest.mark.parametrize("skip", [True, False])
def test_an_unclosed_ring_in_a_small_file_is_named_not_the_whole_file_refused(tiny_geodata,
                                                                              skip):
    """Small batches are decoded by shapely, which will not parse an unclosed ring: the
    whole file was refused as unreadable, --skip-invalid-plots or not, where a large
    batch names the plot ("ring is not closed")."""
    path = tiny_geodata / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    feature = doc["features"][1]
    feature["geometry"]["coordinates"][0].pop()  # the closing vertex
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    pid = feature["properties"]["plot_id"]
    args = ["report", "--geodata", str(tiny_geodata), "--as-of", "2026-06-01",
            "--format", "json", *(["--skip-invalid-plots"] if skip else [])]
    res = CliRunner().invoke(main, args)
    assert "cannot be read" not in res.stderr, res.stderr
    assert pid in res.stderr and "ring is not closed" in res.stderr, res.stderr
    assert res.exit_code == (0 if skip else 1)


def test_a_nan_vertex_in_a_small_file_prints_no_numpy_warning(tiny_geodata):
    path = tiny_geodata / "plots.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"][1]["geometry"]["coordinates"][0][1][0] = math.nan  # GDAL reads NaN
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    res = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--as-of",
                                    "2026-06-01", "--format", "json"])
    assert "invalid value encountered" not in res.stderr, res.stderr
    assert res.stderr.startswith("qygeo: ") and res.exit_code == 1
