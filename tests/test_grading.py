"""亩均 grading and entry thresholds on a small table worked out by hand.

Default configuration: weights tax 50, output 30, investment 20; benchmarks
33, 1000, 330 万元/亩; cap 1.5; cut-offs A ≥ 100, B ≥ 70, C ≥ 40, else D.
1 万元 = 1e4 yuan, so X yuan on M mu is X / 1e4 / M 万元/亩.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qygeo.config import load_config
from qygeo.errors import ConfigError
from qygeo.grading import grade_enterprises, grade_plots

NAN = math.nan

PLOTS = pd.DataFrame({
    "plot_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "park_id": ["x"] * 6,
    "enterprise": ["E0", "E2", "E1", "E1", "E5", "E6"],
    "area_mu": [10.0, 20.0, 10.0, 10.0, 10.0, 10.0],
    "tax_yuan": [3.3e6, 3.3e6, 0.66e6, 1.32e6, NAN, 3.29e6],
    "output_yuan": [1e8, 2e8, 2e7, 4e7, NAN, 1e8],
    "invested_yuan": [3.3e7, 1.32e8, 1.65e7, 2.64e7, 1e7, 3.3e7],
    "agreed_investment_yuan": [3.3e7, 1.32e8, 1.65e7, 2.64e7, 5e7, 3.3e7],
})


@pytest.fixture(scope="module")
def graded():
    return grade_plots(PLOTS, load_config()).set_index("plot_id")


def test_scores_and_grades_worked_by_hand(graded):
    # P1: 33/33×50 + 1000/1000×30 + 330/330×20 = 50 + 30 + 20 = 100 → A (A's cut-off exactly)
    # P2: tax 330万/20 mu = 16.5 → 0.5×50 = 25; output 20000万/20 = 1000 → 30;
    #     investment 13200万/20 = 660 → ratio 2, capped at 1.5 → 30; total 85 → B
    # P3: 6.6/33×50 = 10; 200/1000×30 = 6; 165/330×20 = 10; total 26 → D
    # P4: 13.2/33×50 = 20; 400/1000×30 = 12; 264/330×20 = 16; total 48 → C
    # P6: 32.9/33×50 = 49.848…; + 30 + 20 = 99.848… → B (just under A)
    expected = {"P1": (100.0, "A"), "P2": (85.0, "B"), "P3": (26.0, "D"), "P4": (48.0, "C"),
                "P6": (99.84848, "B")}
    for pid, (score, grade) in expected.items():
        assert graded.loc[pid, "score"] == pytest.approx(score, abs=1e-4), pid
        assert graded.loc[pid, "grade"] == grade, pid
    assert graded.loc["P2", "tax_wan_per_mu"] == pytest.approx(16.5)
    assert graded.loc["P2", "investment_wan_per_mu"] == pytest.approx(660.0)


def test_plot_without_output_or_tax_is_not_graded(graded):
    assert graded.loc["P5", "grade"] == "n/a"
    assert math.isnan(graded.loc["P5", "score"])
    assert "tax_yuan" in graded.loc["P5", "grade_reason"]
    assert "output_yuan" in graded.loc["P5", "grade_reason"]


def test_entry_thresholds_checked_per_plot(graded):
    # P1 sits exactly on every Guangqing threshold (330 / 1000 / 33 万元/亩): passes.
    assert graded.loc["P1", "entry_pass"] is True
    # P6: tax 32.9 < 33 fails although investment and output pass.
    assert graded.loc["P6", "entry_pass"] is False
    assert graded.loc["P6", "entry_investment_ok"] is True
    assert "tax per mu 32.9 < 33" in graded.loc["P6", "entry_reason"]
    # P5: agreed investment 5000万/10 mu = 500 ≥ 330, output and tax unknown → undetermined.
    assert graded.loc["P5", "entry_pass"] is None
    assert graded.loc["P5", "entry_investment_wan_per_mu"] == pytest.approx(500.0)


def test_enterprise_grade_sums_its_plots():
    ent = grade_enterprises(PLOTS, load_config()).set_index("enterprise")
    # E1 = P3 + P4: 20 mu, tax 198万 → 9.9 → 0.3×50 = 15; output 6000万 → 300 → 0.3×30 = 9;
    # investment 4290万 → 214.5 → 0.65×20 = 13; total 37 → D
    assert ent.loc["E1", "plot_count"] == 2
    assert ent.loc["E1", "score"] == pytest.approx(37.0)
    assert ent.loc["E1", "grade"] == "D"


def test_config_file_changes_weights_and_cutoffs(tmp_path):
    cfg = tmp_path / "g.toml"
    cfg.write_text("[grading.weights]\ntax_wan_per_mu = 100\noutput_wan_per_mu = 0\n"
                   "investment_wan_per_mu = 0\n[grading.cutoffs]\nA = 90\nB = 50\nC = 20\n",
                   encoding="utf-8")
    config = load_config(cfg)
    g = grade_plots(PLOTS, config).set_index("plot_id")
    # tax only: P2 0.5×100 = 50 → B; P3 0.2×100 = 20 → C; P6 32.9/33×100 = 99.7 → A
    assert g.loc["P2", "score"] == pytest.approx(50.0) and g.loc["P2", "grade"] == "B"
    assert g.loc["P3", "grade"] == "C" and g.loc["P6", "grade"] == "A"
    assert str(cfg) in config.source
    assert {"section": "grading.weights", "key": "tax_wan_per_mu", "value": 100.0,
            "unit": ""} in config.as_rows()


@pytest.mark.parametrize("text, needle", [
    ("[grading.weights]\ntax_per_mu = 1\n", "unknown setting 'grading.weights.tax_per_mu'"),
    ("[grading.weights]\ntax_wan_per_mu = -1\n", "must be ≥ 0"),
    ("[grading.cutoffs]\nA = 10\nB = 50\n", "A ≥ B ≥ C"),
    ("[grading.benchmarks]\ntax_wan_per_mu = 0\n", "must be > 0"),
    ("[grading\n", "not valid TOML"),
    ("[entry]\ninvestment_basis = 'planned'\n", "investment_basis"),
])
def test_bad_config_is_one_clear_error(tmp_path, text, needle):
    cfg = tmp_path / "bad.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(cfg)
    assert needle in str(exc.value) and str(cfg) in str(exc.value)


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
