"""The command line: exit codes, one-line errors, data-folder resolution, validate."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import snapshot
from qygeo.cli import main


def invoke(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def one_line_error(result, *needles):
    assert result.exit_code != 0
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("qygeo: error:"), result.stderr
    assert "Traceback" not in result.stderr
    for n in needles:
        assert n in result.stderr
    return lines[-1]


def test_help_explains_the_commands():
    r = invoke("--help")
    assert r.exit_code == 0
    for cmd in ("report", "validate"):
        assert cmd in r.stdout
    r = invoke("report", "--help")
    assert "--park" in r.stdout and "--format" in r.stdout and "investment_yuan" in r.stdout


def test_report_json_to_stdout(tiny_geodata):
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", "json", "--as-of",
               "2025-06-01")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert [d["park_id"] for d in data] == ["alpha", "beta", "beta_child"]


def test_geodata_from_environment_variable(tiny_geodata):
    r = invoke("report", "--format", "csv", env={"QYGEO_GEODATA": str(tiny_geodata)})
    assert r.exit_code == 0 and r.stdout.startswith("park_id,")


def test_geodata_option_beats_environment(tiny_geodata, tmp_path):
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", "csv",
               env={"QYGEO_GEODATA": str(tmp_path / "nowhere")})
    assert r.exit_code == 0


def test_default_is_the_geodata_folder_of_the_working_directory(tiny_geodata, monkeypatch):
    monkeypatch.delenv("QYGEO_GEODATA", raising=False)
    monkeypatch.chdir(tiny_geodata.parent)
    r = invoke("report", "--format", "csv")
    assert r.exit_code == 0 and "alpha" in r.stdout


def test_output_file_is_written_and_stdout_stays_empty(tiny_geodata, tmp_path):
    out = tmp_path / "r.md"
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", "markdown", "-o", str(out))
    assert r.exit_code == 0 and r.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("# ")


def test_quiet_after_the_command_silences_warnings(tiny_geodata):
    loud = invoke("report", "--geodata", str(tiny_geodata), "--format", "csv")
    quiet = invoke("report", "--geodata", str(tiny_geodata), "--format", "csv", "--quiet")
    assert "warning" in loud.stderr and quiet.stderr == ""


def test_unknown_park_is_one_line(tiny_geodata):
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--park", "nope"),
                   "unknown park 'nope'", "alpha")


def test_missing_data_folder_is_one_line(tmp_path):
    one_line_error(invoke("report", "--geodata", str(tmp_path / "missing")), "not found")


def test_missing_layer_file_is_one_line(tiny_geodata):
    (tiny_geodata / "parks.geojson").unlink()
    one_line_error(invoke("report", "--geodata", str(tiny_geodata)), "parks.geojson",
                   "file not found")


def test_malformed_geojson_names_line_and_column(tiny_geodata):
    (tiny_geodata / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [\n{',
                                                encoding="utf-8")
    one_line_error(invoke("report", "--geodata", str(tiny_geodata)), "parks.geojson",
                   "malformed JSON at line 2")


def test_missing_plots_file_given_with_option(tiny_geodata, tmp_path):
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots",
                          str(tmp_path / "no.parquet")), "no.parquet", "not found")


@pytest.mark.parametrize("plots", ["good", "corrupt"])
def test_a_broken_data_folder_is_told_first_while_plots_are_read_beside_it(
        tiny_geodata, tmp_path, plots):
    # The data folder loads on a thread while the plots file is read: its error still wins.
    import synthetic

    from qygeo.io.dataset import load_dataset

    path = tmp_path / "plots.parquet"
    if plots == "good":
        parks = load_dataset(tiny_geodata, load_plots=False).parks
        synthetic.write_geoparquet(synthetic.synthetic_plots(parks, 300, seed=1), path)
    else:
        path.write_bytes(b"PAR1 not a parquet file PAR1")
    (tiny_geodata / "parks.geojson").write_text('{"type": "FeatureCollection", "features": [\n{',
                                                encoding="utf-8")
    before = snapshot(tiny_geodata)
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots", str(path),
                          "--format", "json"), "parks.geojson", "malformed JSON at line 2")
    assert snapshot(tiny_geodata) == before


def test_bad_number_in_stats_names_row(tiny_geodata):
    p = tiny_geodata / "attributes" / "park_stats.csv"
    p.write_text(p.read_text() + "beta,2024,lots,,,x\n", encoding="utf-8")
    one_line_error(invoke("report", "--geodata", str(tiny_geodata)), "park_stats.csv",
                   "row 4", "signed_investment_yuan")


def test_bad_format_is_a_usage_error(tiny_geodata):
    r = invoke("report", "--geodata", str(tiny_geodata), "--format", "pdf")
    assert r.exit_code == 2


@pytest.mark.parametrize("as_of, ok", [("1899-12-31", False), ("1900-01-01", True),
                                        ("2100-12-31", True), ("2101-01-01", False),
                                        ("9999-12-31", False), ("0001-01-01", False)])
def test_as_of_outside_the_range_of_plot_dates_is_a_usage_error(tiny_geodata, as_of, ok):
    """9999-12-31 would make every plot idle for millennia and fine it: a typo, refused."""
    import qygeo
    from qygeo.errors import QygeoError

    res = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--format",
                                    "json", "--as-of", as_of, "-q"])
    if ok:
        assert res.exit_code == 0, res.output
        return
    assert res.exit_code == 2
    assert (f"as-of date {as_of} is outside 1900-01-01 … 2100-12-31, the range of plot dates"
            in res.stderr)
    with pytest.raises(QygeoError, match="is outside 1900-01-01"):  # the Python API too
        qygeo.report(qygeo.load(tiny_geodata), as_of=as_of)


def test_strict_join_fails_on_unknown_stats_park(tiny_geodata):
    p = tiny_geodata / "attributes" / "park_stats.csv"
    p.write_text(p.read_text() + "ghost,2024,1,,,x\n", encoding="utf-8")
    assert invoke("report", "--geodata", str(tiny_geodata)).exit_code == 0
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--strict"), "ghost")


def test_validate_passes_on_good_data_and_leaves_it_unchanged(tiny_geodata):
    before = snapshot(tiny_geodata)
    r = invoke("validate", "--geodata", str(tiny_geodata))
    assert r.exit_code == 0, r.stderr
    assert snapshot(tiny_geodata) == before


def _edit_layer(root, name, fn):
    path = root / name
    doc = json.loads(path.read_text(encoding="utf-8"))
    fn(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("case,needles", [
    ("dup_id", ["parks.geojson [alpha]", "duplicate park_id"]),
    ("bowtie", ["parks.geojson [beta]", "invalid geometry", "Self-intersection"]),
    ("outside_city", ["parks.geojson [beta]", "outside Qingyuan"]),
    ("wrong_district", ["parks.geojson [beta]", "outside its district 441802"]),
    ("plot_outside_park", ["plots.geojson [A2]", "outside its park alpha"]),
    ("unknown_park_in_plots", ["plots.geojson [A2]", "park_id 'zeta'"]),
    ("bad_quality", ["parks.geojson [alpha]", "boundary_quality 'guess'"]),
    ("point", ["parks.geojson [alpha]", "geometry is Point"]),
])
def test_validate_names_file_feature_and_problem(tiny_geodata, case, needles):
    def mutate(doc):
        feats = doc["features"]
        if case == "dup_id":
            feats[1]["properties"]["park_id"] = "alpha"
        elif case == "bowtie":
            feats[1]["geometry"] = {"type": "Polygon", "coordinates": [[
                [113.3, 23.7], [113.4, 23.8], [113.4, 23.7], [113.3, 23.8], [113.3, 23.7]]]}
        elif case == "outside_city":
            feats[1]["geometry"] = {"type": "Polygon", "coordinates": [[
                [110.0, 20.0], [110.1, 20.0], [110.1, 20.1], [110.0, 20.0]]]}
        elif case == "wrong_district":
            feats[1]["properties"]["district_adcode"] = "441802"
        elif case == "plot_outside_park":
            feats[1]["geometry"] = {"type": "Polygon", "coordinates": [[
                [113.1, 23.7], [113.11, 23.7], [113.11, 23.71], [113.1, 23.7]]]}
        elif case == "unknown_park_in_plots":
            feats[1]["properties"]["park_id"] = "zeta"
        elif case == "bad_quality":
            feats[0]["properties"]["boundary_quality"] = "guess"
        elif case == "point":
            feats[0]["geometry"] = {"type": "Point", "coordinates": [113.0, 23.6]}

    layer = "plots.geojson" if case.startswith(("plot", "unknown_park")) else "parks.geojson"
    _edit_layer(tiny_geodata, layer, mutate)
    before = snapshot(tiny_geodata)
    r = invoke("validate", "--geodata", str(tiny_geodata))
    assert r.exit_code == 1
    assert "Traceback" not in r.stderr
    for n in needles:
        assert n in r.stderr, r.stderr
    assert snapshot(tiny_geodata) == before


def test_validate_refuses_a_projected_crs(tiny_geodata):
    import geopandas as gpd

    gdf = gpd.read_file(tiny_geodata / "parks.geojson").to_crs(4547)
    gdf.to_file(tiny_geodata / "parks.geojson", driver="GeoJSON")
    r = invoke("validate", "--geodata", str(tiny_geodata))
    assert r.exit_code == 1 and "must be WGS84" in r.stderr


def test_validate_refuses_unknown_park_in_stats(tiny_geodata):
    p = tiny_geodata / "attributes" / "park_stats.csv"
    p.write_text(p.read_text() + "ghost,2024,1,,,x\n", encoding="utf-8")
    r = invoke("validate", "--geodata", str(tiny_geodata))
    assert r.exit_code == 1 and "park_stats.csv: park_id 'ghost'" in r.stderr


@pytest.mark.slow
def test_console_script_runs_without_traceback(tiny_geodata):
    exe = [sys.executable, "-m", "qygeo.cli", "report", "--geodata", str(tiny_geodata),
           "--park", "nope"]
    p = subprocess.run(exe, capture_output=True, text=True)
    assert p.returncode == 1
    assert p.stderr.strip().splitlines()[-1].startswith("qygeo: error: unknown park")
    assert "Traceback" not in p.stderr


@pytest.mark.slow
def test_plots_in_metres_without_crs_are_refused_with_a_crs_hint(tiny_geodata, tmp_path):
    bad = tmp_path / "metres.geojson"
    bad.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                   '{"plot_id":"m1"},"geometry":{"type":"Polygon","coordinates":[[[500100,'
                   '2620100],[500200,2620100],[500200,2620200],[500100,2620100]]]}}]}',
                   encoding="utf-8")
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots", str(bad)),
                   "metres.geojson", "EPSG:4547", "declare the CRS in the file")
    # No plots command takes a --crs (only a surveyor's boundary has one): not offered.


def test_plots_with_swapped_axes_are_refused(tiny_geodata, tmp_path):
    bad = tmp_path / "swapped.geojson"
    bad.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                   '{"plot_id":"s1"},"geometry":{"type":"Polygon","coordinates":[[[23.60,'
                   '113.00],[23.61,113.00],[23.61,113.01],[23.60,113.00]]]}}]}',
                   encoding="utf-8")
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots", str(bad)),
                   "swapped.geojson", "swapped")


def test_report_on_a_plots_file_shows_progress_on_stderr_only(tiny_geodata):
    plots = str(tiny_geodata / "plots.geojson")
    loud = invoke("report", "--geodata", str(tiny_geodata), "--plots", plots, "--format", "json")
    assert "[1/2] plots" in loud.stderr and "6 plots" in loud.stderr
    assert json.loads(loud.stdout)  # stdout is only the data
    quiet = invoke("report", "--geodata", str(tiny_geodata), "--plots", plots, "--format",
                   "json", "--quiet")
    assert quiet.stderr == "" and quiet.stdout == loud.stdout


def test_json_that_is_not_geojson_is_named_as_such(tiny_geodata, tmp_path):
    bad = tmp_path / "notgeo.geojson"
    bad.write_text('{"a": 1}', encoding="utf-8")
    one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots", str(bad)),
                   "notgeo.geojson", "not GeoJSON")


@pytest.mark.slow
@pytest.mark.parametrize("group_rows", [1000, 300])  # read by one thread / by the workers
def test_geoparquet_corrupt_after_its_first_batches_is_one_line(tiny_geodata, tmp_path,
                                                                monkeypatch, group_rows):
    """GeoParquet is read batch by batch while the work runs: a bad page late in the file
    still ends in one line naming the file, not a traceback from a worker."""
    import pyarrow.parquet as pq
    import synthetic

    from qygeo.io import layers

    monkeypatch.setenv("QYGEO_THREADS", "2")
    parks = layers.read_layer(tiny_geodata / "parks.geojson", layers.PARKS)
    path = tmp_path / "plots.parquet"
    synthetic.synthetic_plots(parks, 3000, seed=2).to_parquet(path, row_group_size=group_rows,
                                                              compression="zstd")
    group = pq.ParquetFile(path).metadata.row_group(2 if group_rows == 1000 else 7)
    start = group.column(group.num_columns - 1).data_page_offset
    data = bytearray(path.read_bytes())
    data[start + 200:start + 600] = b"\xff" * 400
    path.write_bytes(bytes(data))
    line = one_line_error(invoke("report", "--geodata", str(tiny_geodata), "--plots", str(path),
                                 "--format", "json"), "plots.parquet", "cannot be read")
    assert len(line) < 300


@pytest.mark.parametrize("given", [None, "4"])
def test_the_command_line_keeps_blas_to_one_thread_unless_told(given):
    import os

    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given:
        env["OPENBLAS_NUM_THREADS"] = given
    code = ("import os, sys, qygeo.cli; assert 'numpy' not in sys.modules; import numpy; "
            "print(os.environ['OPENBLAS_NUM_THREADS'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == (given or "1")


def test_the_program_exits_fast_with_its_output_flushed_and_its_exit_code(tiny_geodata,
                                                                           tmp_path):
    """``python -m qygeo.cli`` (and the ``qygeo`` script) end without the interpreter's
    teardown: output written before, exit codes as click gives them."""
    base = [sys.executable, "-m", "qygeo.cli"]
    ok = subprocess.run([*base, "report", "--geodata", str(tiny_geodata), "--format", "json",
                         "-q"], capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and json.loads(ok.stdout)[0]["park_id"]
    out = tmp_path / "r.csv"
    to_file = subprocess.run([*base, "report", "--geodata", str(tiny_geodata), "-o", str(out),
                              "-q"], capture_output=True, text=True, timeout=120)
    assert to_file.returncode == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    bad = subprocess.run([*base, "report", "--geodata", str(tmp_path / "none")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0 and bad.stderr.strip().startswith("qygeo: error:")
    usage = subprocess.run([*base, "report", "--no-such-option"], capture_output=True,
                           text=True, timeout=120)
    assert usage.returncode == 2 and "No such option" in usage.stderr
    version = subprocess.run([*base, "--version"], capture_output=True, text=True, timeout=60)
    assert version.returncode == 0 and "qygeo" in version.stdout
    # A reader that stops early: no traceback, whatever the exit code.
    head = subprocess.run(f"{sys.executable} -m qygeo.cli report --geodata {tiny_geodata} "
                          "--format json -q | head -c 10", shell=True, capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in head.stderr


def test_run_exits_as_sys_exit_would(monkeypatch, capsys):
    import os
    import threading

    import qygeo.cli as cli

    codes = []
    monkeypatch.setattr(os, "_exit", codes.append)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    for given, expected in [(None, 0), (3, 3), ("qygeo: error: \x1b[2Jbye", 1),
                            ("qygeo: error: bye", 1)]:
        def fake_main(prog_name, _code=given):
            raise SystemExit(_code)
        monkeypatch.setattr(cli, "main", fake_main)
        cli.run()
        assert codes[-1] == expected
    err = capsys.readouterr().err
    assert "qygeo: error: bye" in err and "\x1b" not in err  # no terminal escape passes
    # A thread still running: the normal exit, which waits for it.
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    with pytest.raises(SystemExit) as stop:
        cli.run()
    assert stop.value.code == "qygeo: error: bye" and len(codes) == 4


@pytest.mark.parametrize(("year", "code"), [(1899, 2), (1985, 0), (2100, 0), (2101, 2)])
def test_year_takes_every_year_the_tables_may_hold(tiny_geodata, year, code):
    # park_stats.csv holds years 1900-2100; --year used to stop at 1990.
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    stats.write_text(stats.read_text(encoding="utf-8") + "alpha,1985,1000000000,,,test row\n",
                     encoding="utf-8")
    res = invoke("report", "--geodata", str(tiny_geodata), "--year", str(year),
                 "--format", "json", "-q")
    assert res.exit_code == code, res.output
    if year == 1985:
        alpha = [p for p in json.loads(res.stdout) if p["park_id"] == "alpha"][0]
        assert alpha["investment_yuan"] == 1e9


def test_output_dash_is_stdout(tiny_geodata, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("report", "--geodata", str(tiny_geodata), "--format", "json", "-o", "-", "-q")
    assert res.exit_code == 0 and json.loads(res.stdout)
    assert not (tmp_path / "-").exists()  # not a file named "-"
    res = invoke("report", "--geodata", str(tiny_geodata), "--format", "xlsx", "-o", "-")
    assert res.exit_code == 2 and "writes a file" in res.stderr


@pytest.mark.parametrize("args", [
    ["report", "-o", "{gd}/attributes/park_stats.csv"],
    ["report", "--plots", "{tmp}/ledger.csv", "-o", "{tmp}/ledger.csv"],
    ["report", "--format", "html", "-o", "{gd}/r.html"],
    ["map", "-o", "{gd}/maps"],
    ["build", "-o", "{gd}"],
    ["export", "{gd}/x.gpkg"]])
def test_no_output_overwrites_what_the_command_reads(tiny_geodata, tmp_path, args):
    # A report over park_stats.csv passed validate and changed the next report's figures;
    # one over --plots destroyed the ledger it was made from.
    (tmp_path / "ledger.csv").write_text("plot_id\n1\n", encoding="utf-8")
    before = snapshot(tiny_geodata)
    ledger = (tmp_path / "ledger.csv").read_bytes()
    args = [a.format(gd=tiny_geodata, tmp=tmp_path) for a in args]
    res = CliRunner().invoke(main, [*args, "--geodata", str(tiny_geodata), "-q"])
    assert res.exit_code == 2, res.output
    assert "write elsewhere" in res.output and len(res.output.strip().splitlines()) == 1
    assert snapshot(tiny_geodata) == before
    assert (tmp_path / "ledger.csv").read_bytes() == ledger


@pytest.mark.slow
def test_a_broken_or_closed_stderr_silences_progress_not_the_command(tiny_geodata, tmp_path):
    # `qygeo map ... 2>&1 | head -1` exited 0 having written one page of four; with
    # `2>&-` a finished report exited 1; `--help >/dev/full` ended in a traceback.
    exe = [sys.executable, "-m", "qygeo.cli"]
    proc = subprocess.Popen([*exe, "map", "--geodata", str(tiny_geodata), "-o",
                             str(tmp_path / "maps"), "--basemap", "none"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    proc.stderr.close()  # the reader went away at once
    assert proc.wait(timeout=120) == 0
    assert len(list((tmp_path / "maps").rglob("*.html"))) == 4
    shell = (f"{' '.join(exe)} report --geodata {tiny_geodata} --format csv "
             f"2>&- >{tmp_path / 'r.csv'}")
    done = subprocess.run(["bash", "-c", shell], capture_output=True, text=True)
    assert done.returncode == 0 and "alpha" in (tmp_path / "r.csv").read_text("utf-8-sig")
    full = subprocess.run(["bash", "-c", f"{' '.join(exe)} --help >/dev/full"],
                          capture_output=True, text=True)
    assert full.returncode == 1 and "Traceback" not in full.stderr
    assert full.stderr.strip() == "qygeo: error: stdout: No space left on device"


@pytest.mark.slow
def test_a_gbk_terminal_gets_every_format_without_a_crash(tiny_geodata):
    # zh_CN.GBK or Windows cp936: "²" crashed every table and --help; json and csv, file
    # formats, stay UTF-8 (the same bytes as on a UTF-8 terminal).
    import os

    exe = [sys.executable, "-m", "qygeo.cli"]
    base = ["report", "--geodata", str(tiny_geodata), "-q", "--as-of", "2025-06-01"]
    utf8 = subprocess.run([*exe, *base, "--format", "json"], capture_output=True,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8"})
    gbk_env = {**os.environ, "PYTHONIOENCODING": "gbk"}
    for args in ([*base, "--format", "table"], ["park", "list", "--geodata",
                                                 str(tiny_geodata)], ["--help"]):
        done = subprocess.run([*exe, *args], capture_output=True, env=gbk_env)
        assert done.returncode == 0 and b"Traceback" not in done.stderr, (args, done.stderr)
    gbk = subprocess.run([*exe, *base, "--format", "json"], capture_output=True, env=gbk_env)
    assert gbk.returncode == 0 and gbk.stdout == utf8.stdout
    for fmt in ("json", "csv"):  # park list's too
        args = [*exe, "park", "list", "--geodata", str(tiny_geodata), "--format", fmt]
        utf8 = subprocess.run(args, capture_output=True,
                              env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        gbk = subprocess.run(args, capture_output=True, env=gbk_env)
        assert gbk.returncode == 0 and gbk.stdout == utf8.stdout, fmt


@pytest.mark.parametrize("as_of", ["20240101", "2024-W01-1", "2024/01/01"])
def test_as_of_takes_only_the_date_form_its_help_gives(tiny_geodata, as_of):
    r = invoke("report", "--geodata", str(tiny_geodata), "--as-of", as_of)
    assert r.exit_code == 2 and "is not a date like 2026-01-31" in r.stderr


def test_an_error_quoting_a_huge_option_stays_a_readable_line(tiny_geodata):
    r = invoke("report", "--geodata", str(tiny_geodata), "--park", "x" * 100_000)
    one_line_error(r, "characters)")
    assert len(r.stderr) < 2500


@pytest.mark.parametrize("value", ["²", "0", "abc"])
def test_a_thread_count_that_is_no_number_is_warned_and_the_cpus_used(tiny_geodata, tmp_path,
                                                                       value):
    import geopandas as gpd

    gpd.read_file(tiny_geodata / "plots.geojson").to_parquet(tmp_path / "p.parquet")
    r = invoke("report", "--geodata", str(tiny_geodata), "--plots", str(tmp_path / "p.parquet"),
               "--format", "json", env={"QYGEO_THREADS": value})
    assert r.exit_code == 0, r.stderr
    assert f"QYGEO_THREADS={value!r} is not a whole number" in r.stderr


def test_serve_refuses_nan_megabytes_and_shows_the_port_it_chose(tiny_geodata):
    r = invoke("serve", "--geodata", str(tiny_geodata), "--max-upload-mb", "nan")
    assert r.exit_code == 2 and "--max-upload-mb nan" in r.stderr
    proc = subprocess.Popen([sys.executable, "-m", "qygeo.cli", "serve", "-q", "--port", "0",
                             "--basemap", "none", "--geodata", str(tiny_geodata)],
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
    finally:
        proc.kill()
        proc.wait(timeout=30)
    port = int(line.split("127.0.0.1:")[1].split("/")[0])
    assert port > 0, line


def test_no_output_reaches_an_input_by_a_link_a_layer_name_or_a_companion(tiny_geodata,
                                                                           tmp_path):
    # Outputs are written through links (so a link into the data folder reached it), export
    # writes OUT-<layer> names, and a Shapefile's .dbf is its input as much as its .shp.
    import geopandas as gpd

    before = snapshot(tiny_geodata)
    (tmp_path / "out" / "reports").mkdir(parents=True)
    (tmp_path / "out" / "reports" / "report.csv").symlink_to(
        tiny_geodata / "attributes" / "park_stats.csv")
    r = invoke("build", "--geodata", str(tiny_geodata), "-o", str(tmp_path / "out"),
               "--basemap", "none", "-q")
    assert r.exit_code == 1 and "would write into" in r.stderr
    ledger = tmp_path / "e-plots.geojson"
    ledger.write_bytes((tiny_geodata / "plots.geojson").read_bytes())
    r = invoke("export", str(tmp_path / "e.geojson"), "--geodata", str(tiny_geodata),
               "--plots", str(ledger), "-q")
    assert r.exit_code == 1 and "would overwrite" in r.stderr
    assert ledger.read_bytes() == (tiny_geodata / "plots.geojson").read_bytes()
    gpd.read_file(tiny_geodata / "plots.geojson").to_file(tmp_path / "s.shp")
    dbf = (tmp_path / "s.dbf").read_bytes()
    r = invoke("report", "--geodata", str(tiny_geodata), "--plots", str(tmp_path / "s.shp"),
               "-o", str(tmp_path / "s.dbf"), "--format", "csv", "-q")
    assert r.exit_code == 1 and (tmp_path / "s.dbf").read_bytes() == dbf
    config = tmp_path / "c.toml"
    config.write_text("[grading]\ncap = 1.5\n", encoding="utf-8")
    r = invoke("report", "--geodata", str(tiny_geodata), "--config", str(config), "-o",
               str(config), "--format", "csv")
    assert r.exit_code == 2 and "--config file" in r.stderr
    # The usual layout (OUT holding the data folder, as `qygeo build` in a checkout) works.
    r = invoke("build", "--geodata", str(tiny_geodata), "-o", str(tiny_geodata.parent),
               "--basemap", "none", "-q")
    assert r.exit_code == 0, r.stderr
    assert snapshot(tiny_geodata) == before


def test_a_data_folder_file_linked_from_elsewhere_is_protected_where_it_lies(tiny_geodata,
                                                                            tmp_path):
    # attributes/park_stats.csv a link to a shared copy: -o that copy passed and changed the
    # figures the next report publishes.
    shared = tmp_path / "shared"
    shared.mkdir()
    stats = tiny_geodata / "attributes" / "park_stats.csv"
    (shared / "park_stats.csv").write_bytes(stats.read_bytes())
    stats.unlink()
    stats.symlink_to(shared / "park_stats.csv")
    before = (shared / "park_stats.csv").read_bytes()
    r = invoke("report", "--geodata", str(tiny_geodata), "-o", str(shared / "park_stats.csv"),
               "--format", "csv", "-q")
    assert r.exit_code == 1 and "would overwrite" in r.stderr
    assert (shared / "park_stats.csv").read_bytes() == before
