"""Years without statistics, parks by name, the build hint after park edits (#15 item 6)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qygeo.cli import main
from test_parks import truth_polygon, write_boundary

AS_OF = "2026-01-01"


def run(*args):
    return CliRunner().invoke(main, [*args])


def guangfo(folder, year, fmt="json"):
    res = run("report", "--geodata", str(folder), "--year", str(year), "--park", "guangfo",
              "--format", fmt, "--as-of", AS_OF, "-q")
    assert res.exit_code == 0, res.output
    return res.stdout


def test_a_year_without_statistics_is_not_switched_to_plot_sums(bundled_geodata):
    with_stats = json.loads(guangfo(bundled_geodata, 2024))[0]
    assert with_stats["intensity_yi_per_km2"] == pytest.approx(10.81, abs=0.01)
    without = json.loads(guangfo(bundled_geodata, 2023))[0]
    assert without["intensity_yi_per_km2"] is None and without["investment_yuan"] is None
    assert "no park_stats figures of 2023" in without["investment_basis"]
    assert "2024" in without["intensity_basis"]
    assert without["plot_investment_yuan"] > 0  # the plot sums stay, under their own key


@pytest.mark.slow
def test_the_map_popup_says_the_year_has_no_statistics(bundled_geodata, tmp_path):
    out = tmp_path / "maps"
    res = run("map", "--geodata", str(bundled_geodata), "--year", "2023", "--park", "guangfo",
              "-o", str(out), "--basemap", "none", "--as-of", AS_OF, "-q")
    assert res.exit_code == 0, res.output
    page = (out / "parks" / "guangfo.html").read_text("utf-8")
    assert "no park_stats figures of 2023" in page


@pytest.mark.parametrize("name", ["广佛（佛冈）产业园", "Guangfo (Fogang) Industrial Park",
                                  "guangfo (fogang) industrial park"])
def test_park_by_chinese_or_english_name(bundled_geodata, name):
    res = run("report", "--geodata", str(bundled_geodata), "--park", name, "--format", "json",
              "--as-of", AS_OF, "-q")
    assert res.exit_code == 0, res.output
    assert [r["park_id"] for r in json.loads(res.stdout)] == ["guangfo"]


def test_an_unknown_park_name_suggests_the_close_ones(bundled_geodata):
    res = run("report", "--geodata", str(bundled_geodata), "--park", "广佛产业园", "-q")
    assert res.exit_code == 1
    assert res.stderr.startswith("qygeo: error: unknown park")
    assert "广佛（佛冈）产业园" in res.stderr


@pytest.mark.slow
def test_park_edits_say_the_maps_need_a_build(tiny_geodata, tmp_path):
    survey = write_boundary(tmp_path / "survey.geojson", truth_polygon())
    dry = run("park", "add", str(survey), "--id", "gamma", "--name-zh", "丙园", "--name-en",
              "Gamma Park", "--geodata", str(tiny_geodata), "--dry-run")
    assert dry.exit_code == 0 and "qygeo build" not in dry.output
    for args in (["park", "add", str(survey), "--id", "gamma", "--name-zh", "丙园",
                  "--name-en", "Gamma Park"], ["park", "undo"]):
        res = run(*args, "--geodata", str(tiny_geodata))
        assert res.exit_code == 0, res.output
        assert "run `qygeo build`" in res.stderr and "地图和报告已过期" in res.stderr


@pytest.mark.parametrize(("asked", "offered"), [
    ("Guangfo Industrial Park", "Guangfo (Fogang) Industrial Park"),  # not an id: a name
    ("广佛", "广佛（佛冈）产业园"),  # part of a name
    ("gaungfo", "guangfo"),
])
def test_an_unknown_park_is_refused_with_the_closest_names(asked, offered):
    from conftest import BUNDLED

    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--park", asked, "-q"])
    assert res.exit_code == 1
    assert "did you mean" in res.stderr and offered in res.stderr, res.stderr


def test_a_report_of_some_parks_warns_only_about_them():
    from conftest import BUNDLED

    res = CliRunner().invoke(main, ["report", "--geodata", str(BUNDLED), "--park", "guangqing",
                                    "--park", "guangfo"])
    assert res.exit_code == 0, res.stderr
    warned = [ln for ln in res.stderr.splitlines() if "no actual or estimated figures" in ln]
    # guangfo has 2024 figures; guangqing has none: named alone, not the parks left out.
    assert len(warned) == 1 and warned[0].endswith("for park_id guangqing"), warned
