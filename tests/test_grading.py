"""亩均 grading and entry thresholds on a small table worked out by hand.

Default configuration: weights tax 60, output 40 (investment 0: an entry criterion,
not a performance indicator); benchmarks 33, 1000 万元/亩; cap 1.5; cut-offs A ≥ 100,
B ≥ 70, C ≥ 40, else D; entry thresholds 330 / 1000 / 33 万元/亩 for Guangqing only.
1 万元 = 1e4 yuan, so X yuan on M mu is X / 1e4 / M 万元/亩.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from qygeo.core.config import load_config
from qygeo.core.grading import grade_enterprises, grade_plots
from qygeo.errors import ConfigError

NAN = math.nan

PLOTS = pd.DataFrame({
    "plot_id": ["P1", "P2", "P3", "P4", "P5", "P6"],
    "park_id": ["guangqing"] * 6,
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
    # (weights moved to tax and output: the issue-13 defaults; investment no longer scores)
    # P1: 33/33×60 + 1000/1000×40 = 100 → A (A's cut-off exactly)
    # P2: tax 330万/20 mu = 16.5 → 0.5×60 = 30; output 20000万/20 = 1000 → 40; 70 → B (exactly)
    # P3: 6.6/33×60 = 12; 200/1000×40 = 8; total 20 → D
    # P4: 13.2/33×60 = 24; 400/1000×40 = 16; total 40 → C (exactly)
    # P6: 32.9/33×60 = 59.818…; + 40 = 99.818… → B (just under A)
    expected = {"P1": (100.0, "A"), "P2": (70.0, "B"), "P3": (20.0, "D"), "P4": (40.0, "C"),
                "P6": (99.81818, "B")}
    for pid, (score, grade) in expected.items():
        assert graded.loc[pid, "score"] == pytest.approx(score, abs=1e-4), pid
        assert graded.loc[pid, "grade"] == grade, pid
    assert graded.loc["P2", "tax_wan_per_mu"] == pytest.approx(16.5)
    assert graded.loc["P2", "investment_wan_per_mu"] == pytest.approx(660.0)


def test_a_term_held_at_the_cap_says_so_in_the_reason():
    # The reason read "110.0 = tax 100.0/33×60 + output 500.0/1000×40", terms adding to 201.8.
    t = pd.DataFrame({"plot_id": ["a"], "park_id": ["x"], "area_mu": [10.0],
                      "tax_yuan": [10e6], "output_yuan": [50e6]})
    row = grade_plots(t, load_config()).iloc[0]
    assert row["score"] == pytest.approx(110.0)
    assert row["grade_reason"] == ("score 110.0 = tax_wan_per_mu min(100.0/33, 1.5)×60 + "
                                   "output_wan_per_mu 500.0/1000×40")


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
    # E1 = P3 + P4: 20 mu, tax 198万 → 9.9 → 0.3×60 = 18; output 6000万 → 300 → 0.3×40 = 12;
    # total 30 → D
    assert ent.loc["E1", "plot_count"] == 2
    assert ent.loc["E1", "score"] == pytest.approx(30.0)
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
    ("[grading.weights]\ntax_wan_per_mu = 1e400\n",  # TOML reads it as inf
     "grading.weights.tax_wan_per_mu must be a finite number, not inf"),
    ("[grading]\ncap = inf\n", "grading.cap must be a finite number"),
    ("[grading.cutoffs]\nA = inf\n", "grading.cutoffs.A must be a finite number"),
    ("[grading]\npercentile_min_ranked = 2.5\n", "must be a whole number of plots, not 2.5"),
    # Weights as fractions against the 100-point cut-offs: every plot would be D.
    ("[grading.weights]\ntax_wan_per_mu = 0.6\noutput_wan_per_mu = 0.4\n",
     "no plot can reach grade A: the best score is 1.5"),
    # Hostile files: a tomllib RecursionError, a float() OverflowError, an int() ValueError.
    ("x = " + "[" * 2000 + "]" * 2000 + "\n", "nested too deep"),
    ("[grading]\ncap = 1" + "0" * 900 + "\n",
     "grading.cap must be a finite number, not an integer of 901 digits"),
    ("[grading.weights]\ntax_wan_per_mu = 1" + "0" * 900_000 + "\n", "not a grading config"),
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


def test_entry_thresholds_are_guangqings_only_by_default():
    plots = PLOTS.assign(park_id=["guangfo"] * 6)
    g = grade_plots(plots, load_config()).set_index("plot_id")
    # P6 fails Guangqing's tax threshold, but in Guangfo there is none to fail.
    assert g.loc["P6", "entry_pass"] is None and g.loc["P3", "entry_pass"] is None
    assert g.loc["P6", "entry_reason"] == "no entry thresholds for this park"
    assert math.isnan(g.loc["P6", "entry_tax_min_wan_per_mu"])
    guangqing = grade_plots(PLOTS, load_config()).set_index("plot_id")
    assert guangqing.loc["P6", "entry_tax_min_wan_per_mu"] == 33.0


def test_a_park_gets_its_own_thresholds_from_the_config(tmp_path):
    cfg = tmp_path / "g.toml"
    cfg.write_text("[entry.parks.guangfo]\nname = 'Guangfo test'\nsource = 'test'\n"
                   "investment_wan_per_mu = 100\noutput_wan_per_mu = 100\n"
                   "tax_wan_per_mu = 10\n", encoding="utf-8")
    config = load_config(cfg)
    assert set(config.entry["parks"]) == {"guangqing", "guangfo"}
    mixed = PLOTS.assign(park_id=["guangfo", "guangfo", "guangfo", "guangqing", "x", "x"])
    g = grade_plots(mixed, config).set_index("plot_id")
    # P3 in Guangfo: tax 6.6 < 10 fails Guangfo's own threshold
    assert "tax per mu 6.6 < 10" in g.loc["P3", "entry_reason"]
    assert g.loc["P2", "entry_pass"] is True  # 16.5 ≥ 10, 1000 ≥ 100, 660 ≥ 100
    # P4 in Guangqing: 13.2 < 33 fails Guangqing's
    assert "tax per mu 13.2 < 33" in g.loc["P4", "entry_reason"]
    assert g.loc["P6", "entry_pass"] is None  # park x: none
    assert {"section": "entry.parks.guangfo", "key": "tax_wan_per_mu", "value": 10.0,
            "unit": "万元/亩"} in config.as_rows()


def _percentile_config(tmp_path, min_ranked=1):
    cfg = tmp_path / "p.toml"
    cfg.write_text(f"[grading]\nmethod = 'percentile'\npercentile_min_ranked = {min_ranked}\n",
                   encoding="utf-8")
    return load_config(cfg)


def test_a_config_naming_no_park_of_the_data_is_refused(tiny_geodata, tmp_path):
    # [entry.parks.guangqnig] (a typo) checked no plot and the report said nothing.
    from click.testing import CliRunner

    from conftest import snapshot
    from qygeo.cli import main
    from qygeo.io.dataset import load_dataset
    from qygeo.pipeline.report import build_report

    cfg = tmp_path / "typo.toml"
    thresholds = "investment_wan_per_mu = 1\noutput_wan_per_mu = 1\ntax_wan_per_mu = 1\n"
    cfg.write_text(f"[entry.parks.alpah]\n{thresholds}", encoding="utf-8")
    ds = load_dataset(tiny_geodata)
    with pytest.raises(ConfigError, match=r"typo.toml: \[entry.parks.alpah\]: 'alpah' is no "
                                          r"park of the parks layer; did you mean alpha\?"):
        build_report(ds, grading=load_config(cfg))
    before = snapshot(tiny_geodata)
    r = CliRunner().invoke(main, ["report", "--geodata", str(tiny_geodata), "--config",
                                  str(cfg), "-q", "-o", str(tmp_path / "r.json")])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert r.stderr.startswith("qygeo: error: ") and "'alpah' is no park" in r.stderr
    assert snapshot(tiny_geodata) == before and not (tmp_path / "r.json").exists()
    # The park's real id is taken; the defaults' Guangqing, absent here, is no error.
    cfg.write_text(f"[entry.parks.alpha]\n{thresholds}", encoding="utf-8")
    build_report(ds, grading=load_config(cfg))


def test_percentile_classes_with_ties(tmp_path):
    from qygeo.core.grading import percentile_codes

    config = _percentile_config(tmp_path)
    # 20 scores 20, 19, …, 1: share ranked above 0 %, 5 %, …, 95 %
    scores = np.arange(20, 0, -1, dtype=float)
    labels = np.array(["n/a", "A", "B", "C", "D"])[percentile_codes(scores, None, config)]
    # top 25 % (shares 0–20 %: 5 plots) A, below 70 % B (9), below 95 % C (5), bottom 5 % D (1)
    assert list(labels) == ["A"] * 5 + ["B"] * 9 + ["C"] * 5 + ["D"]
    # ties share the better class: the 5th and 6th plots tied
    tied = scores.copy()
    tied[5] = tied[4]
    labels = np.array(["n/a", "A", "B", "C", "D"])[percentile_codes(tied, None, config)]
    assert list(labels[:7]) == ["A"] * 6 + ["B"]
    # all equal: nobody ranked above anyone, all A
    same = percentile_codes(np.full(8, 3.0), None, config)
    assert set(same.tolist()) == {1}


def test_percentile_classes_per_park_and_tiny_parks(tmp_path):
    config = _percentile_config(tmp_path, min_ranked=3)
    plots = PLOTS.assign(park_id=["big", "big", "big", "big", "small", "small"])
    g = grade_plots(plots, config).set_index("plot_id")
    # big: P1 100, P2 70, P4 40, P3 20 → shares above 0, 25, 50, 75 % → A, B, B, C
    assert [g.loc[p, "grade"] for p in ("P1", "P2", "P4", "P3")] == ["A", "B", "B", "C"]
    # small: P6 graded alone (P5 lacks tax): fewer than 3 graded plots, no class
    assert g.loc["P6", "grade"] == "n/a" and g.loc["P6", "score"] == pytest.approx(99.81818)
    assert "fewer than 3 graded plots in the park" in g.loc["P6", "grade_reason"]
    # the counts the report shows follow the same classes
    from qygeo.core.grading import outcome_counts, score_values
    codes = pd.factorize(plots["park_id"])[0]
    counts = outcome_counts(score_values(plots, config), config, codes, 2)
    assert counts[0, 1:5].tolist() == [1, 2, 1, 0]  # big: A, B, C, D
    assert counts[1, 0] == 2  # small: both n/a


def test_bad_percentile_settings(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[grading]\nmethod = 'rank'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="grading.method"):
        load_config(cfg)
    cfg.write_text("[grading.percentiles]\nA = 80\nB = 70\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="0 < A ≤ B ≤ C ≤ 100"):
        load_config(cfg)


def test_percentile_classes_rank_enterprises_among_all(tmp_path):
    config = _percentile_config(tmp_path, min_ranked=3)
    # one enterprise per plot, each plot in a park of its own: by park none could be ranked
    plots = PLOTS.assign(park_id=["p1", "p2", "p3", "p4", "p5", "p6"])
    ent = grade_enterprises(plots, config).set_index("enterprise")
    # graded: E0 (P1, 100), E1 (P3+P4, 30), E2 (P2, 70), E6 (P6, 99.8): shares above
    # 0, 75, 50, 25 % → A, C, B, B
    assert [ent.loc[e, "grade"] for e in ("E0", "E6", "E2", "E1")] == ["A", "B", "B", "C"]


def test_entry_thresholds_of_a_categorical_park_column_are_those_of_its_text():
    from qygeo.core.grading import entry_thresholds

    ids = ["guangqing", None, "guangfo", "guangqing", "x"]
    # The engine's park column: categorical, with an unused category and a missing row.
    cat = pd.Series(pd.Categorical(ids, categories=["x", "guangqing", "unused", "guangfo"]))
    as_cat, as_text = entry_thresholds(cat, load_config()), entry_thresholds(ids, load_config())
    assert set(as_cat) == set(as_text)
    for col, values in as_text.items():
        np.testing.assert_array_equal(as_cat[col], values)
    assert as_cat["entry_tax_min_wan_per_mu"][0] == 33.0
    assert np.isnan(as_cat["entry_tax_min_wan_per_mu"][[1, 2, 4]]).all()


@pytest.mark.parametrize("method", ["cutoffs", "percentile"])
def test_park_counts_graded_block_by_block_are_the_whole_tables(monkeypatch, tmp_path, method):
    """By cut-offs a province's plots are graded a block at a time and only counted: the
    counts are those of the whole table graded at once, for plots of no park too. Ranked
    by percentile the table is graded whole, and its values are given back."""
    from qygeo.core import grading
    from qygeo.core.grading import outcome_counts, park_outcome_counts, score_values

    config = load_config() if method == "cutoffs" else _percentile_config(tmp_path)
    rng = np.random.default_rng(11)
    n = 1000
    plots = pd.DataFrame({
        "park_id": pd.Categorical(rng.choice(["guangqing", "guangfo", "x", None], n)),
        "area_mu": rng.uniform(1, 50, n),
        "tax_yuan": np.where(rng.random(n) < 0.1, NAN, rng.uniform(0, 4e6, n)),
        "output_yuan": rng.uniform(0, 3e8, n),
        "invested_yuan": rng.uniform(0, 2e8, n),
        "agreed_investment_yuan": np.where(rng.random(n) < 0.1, NAN, rng.uniform(0, 2e8, n)),
    })
    codes = plots["park_id"].cat.codes.to_numpy()
    whole = outcome_counts(score_values(plots, config), config, codes, 3)
    monkeypatch.setattr(grading, "GRADED_ROWS", 64)
    values, counts = park_outcome_counts(plots, config, codes, 3)
    np.testing.assert_array_equal(counts, whole)
    assert counts.sum() == 2 * int((codes >= 0).sum())  # each plot once by grade, once by entry
    assert (values is None) == (method == "cutoffs")
    assert len(set(counts[:, 1:5].sum(axis=0).tolist())) > 1  # several grades met
