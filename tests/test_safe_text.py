"""qygeo.safe_text: each destination receives text from data as plain text."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from qygeo import safe_text

HOSTILE = st.one_of(
    st.text(),
    st.sampled_from(["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1",
                     "\x1b]0;title\x07", "\x1b[2J", "a\nb", "a|b", "[x](http://e)", "<b>x</b>",
                     "{{ 7*191 }}", "\u202eevil"]),
    st.text(alphabet=st.characters(max_codepoint=0x2100), min_size=1).map(lambda s: "=" + s),
)


@given(HOSTILE)
def test_for_terminal_leaves_no_control_character(text: str) -> None:
    out = safe_text.for_terminal(text)
    assert not safe_text.has_control_chars(out)
    assert len(out.splitlines()) <= 1


@given(HOSTILE)
def test_for_terminal_keeps_printable_text_as_is(text: str) -> None:
    if not safe_text.has_control_chars(text):
        assert safe_text.for_terminal(text) == text


@given(HOSTILE)
def test_for_csv_never_starts_a_cell_with_a_formula_prefix(text: str) -> None:
    cell = safe_text.for_csv(text)
    assert not safe_text.formula_like(cell)
    # the original text is still there, after the neutralising apostrophe
    assert cell in (text, "'" + text)
    buf = io.StringIO()
    csv.writer(buf).writerow([cell])
    assert next(csv.reader(io.StringIO(buf.getvalue()), strict=True)) == [cell]


def test_numbers_are_not_formulas() -> None:
    assert safe_text.for_csv(-5.0) == -5.0
    assert safe_text.for_csv(3) == 3
    assert safe_text.for_csv("-5") == "'-5"


@given(HOSTILE)
def test_markdown_cell_cannot_split_a_row_or_make_markup(text: str) -> None:
    cell = safe_text.for_markdown(text)
    assert "\n" not in cell and "<" not in cell and ">" not in cell
    # every pipe is escaped: no unescaped '|' can end the cell
    unescaped = cell.replace("\\\\", "").replace("\\|", "")
    assert "|" not in unescaped


def test_control_characters_are_named() -> None:
    assert safe_text.describe_control_chars("a\x1b\nb") == "U+001B, U+000A"
    assert not safe_text.has_control_chars("清远 Qingyuan (高新区) – 5%")


def test_bidi_marks_and_characters_xml_forbids_are_caught_and_escaped() -> None:
    # U+061C ARABIC LETTER MARK is a bidi mark as U+200E/U+200F are; U+FFFE, U+FFFF and
    # lone surrogates (a non-UTF-8 argument) are no XML 1.0 characters (an xlsx sheet).
    for c in ("\u061c", "\u200e", "\u200f", "\ufffe", "\uffff", "\ud800", "\udcff"):
        assert safe_text.has_control_chars(f"a{c}b"), ascii(c)
        assert not safe_text.has_control_chars(safe_text.for_terminal(f"a{c}b"))
    assert safe_text.describe_control_chars("A\u061cB\uffff") == "U+061C, U+FFFF"
    assert safe_text.for_terminal("x\uffff\udcff") == "x\\uffff\\udcff"
    for c in ("\ufffd", "\u4e2d", "\U0001f600"):  # allowed in XML
        assert not safe_text.has_control_chars(c)
