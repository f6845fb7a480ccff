"""Hostile names through park intake, park list and validate (issue #12, items 4 and 8).

Generated names, sources and notes — template syntax, formula prefixes, markup,
control characters, very long text — are given to ``park add``. A name with a
control character is refused in one line with the data folder unchanged; any other
is stored exactly, listed as text (no control character on the terminal, no live
formula in the CSV, the exact text in the JSON) and accepted by ``validate``.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from conftest import snapshot, write_tiny
from qygeo import safe_text
from qygeo.cli import main
from test_output_safety import CHARS, CONTROL, PIECES
from test_parks import truth_polygon, write_boundary

#: Printable: no control, format (bidi marks, overrides), line/paragraph separator or
#: U+FFFE/U+FFFF (no XML characters).
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Zl", "Zp"),
                          blacklist_characters="\ufffe\uffff")
TEXT = st.builds(lambda a, p, b: a + p + b, st.text(PRINTABLE, max_size=4),
                 st.sampled_from([p for p in PIECES if not safe_text.has_control_chars(p)]),
                 st.text(PRINTABLE, max_size=4)) | st.text(PRINTABLE, min_size=300, max_size=600)
#: With at least one control character somewhere.
CONTROLLED = st.builds(lambda a, p, b: a + p + b, st.text(CHARS, max_size=4),
                       st.sampled_from(CONTROL), st.text(CHARS, max_size=4))
FIELDS = {"--name-zh": "name_zh", "--name-en": "name_en", "--source": "source",
          "--notes": "notes"}


def _run(*args: object):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    return res


SETTINGS = settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                    phases=[Phase.explicit, Phase.reuse, Phase.generate])


def _add(tmp: str, texts: dict[str, str]):
    root = write_tiny(Path(tmp) / "geodata")
    survey = write_boundary(Path(tmp) / "survey.geojson", truth_polygon())
    before = snapshot(root)
    options = [x for opt, text in texts.items() for x in (opt, text)]
    res = _run("park", "add", survey, "--id", "gamma", "--geodata", root, *options)
    assert "Traceback" not in res.stderr
    return root, before, res


@pytest.mark.slow
@SETTINGS
@given(st.fixed_dictionaries({opt: TEXT for opt in FIELDS}), st.sampled_from(list(FIELDS)),
       CONTROLLED)
def test_a_control_character_in_any_park_text_is_refused_in_one_line(texts, spoilt, control):
    with tempfile.TemporaryDirectory() as tmp:
        root, before, res = _add(tmp, {**texts, spoilt: control})
        assert res.exit_code == 1
        lines = res.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("qygeo: error: ") and "U+" in lines[0]
        assert snapshot(root) == before


@pytest.mark.slow
@SETTINGS
@given(st.fixed_dictionaries({opt: TEXT for opt in FIELDS}))
def test_hostile_printable_park_texts_are_stored_and_listed_as_text(texts):
    with tempfile.TemporaryDirectory() as tmp:
        root, _before, res = _add(tmp, texts)
        assert res.exit_code == 0, res.stderr
        table = _run("park", "list", "--geodata", root)
        assert table.exit_code == 0
        assert not safe_text.has_control_chars(table.stdout.replace("\n", ""))
        rows = json.loads(_run("park", "list", "--geodata", root, "--format", "json").stdout)
        gamma = next(r for r in rows if r["park_id"] == "gamma")
        assert gamma["name_zh"] == texts["--name-zh"].strip()
        assert gamma["name_en"] == texts["--name-en"].strip()
        out = _run("park", "list", "--geodata", root, "--format", "csv").stdout
        for row in csv.reader(io.StringIO(out)):
            for cell in row:
                assert not safe_text.formula_like(cell) or cell.lstrip("-").replace(
                    ".", "", 1).isdigit(), cell
        check = _run("validate", "--geodata", root)
        assert check.exit_code == 0, check.stderr
        assert not safe_text.has_control_chars(check.stderr.replace("\n", ""))
