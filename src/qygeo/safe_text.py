"""Text from data, made safe for each place it is written to.

Names, ids, file names and attributes come from outside (surveyors' files, plot
ledgers, attribute tables). They may hold anything: terminal escape sequences,
spreadsheet formulas, markdown or HTML markup, template syntax. This module is
the one definition of what is dangerous where, and of how each destination
receives such text as plain text:

* :func:`has_control_chars` — what intake refuses in ids and names;
* :func:`for_terminal` — text printed to a terminal (control characters shown
  as escapes, so ``\\x1b]0;…`` cannot retitle the window or fake a row);
  :func:`one_line` the same for an error message, also cut to a readable length;
  :func:`for_json` the same for JSON text (as ``\\uXXXX``, still the same value);
* :func:`formula_like` / :func:`for_csv` — spreadsheet cells (OWASP's
  CSV-injection guidance: a text cell starting with ``= + - @``, tab or
  carriage return is a formula to Excel and LibreOffice);
* :func:`for_markdown` — markdown table cells.

HTML is escaped with :func:`html.escape` where pages are built, and data never
reaches a template engine at all (see :mod:`qygeo.render.maps`).
"""

from __future__ import annotations

import re
from typing import Any

#: Characters no id or name may hold: C0 and C1 controls, DEL, the Unicode line
#: and paragraph separators (a line break to many programs), the bidirectional
#: marks (U+061C, U+200E, U+200F), overrides and isolates, which reorder how a line
#: reads, and the rest of what XML 1.0 forbids (its ``Char`` production): surrogates
#: (a command-line argument that is not UTF-8 arrives as lone ones) and the
#: noncharacters U+FFFE and U+FFFF. Text shown through :func:`for_terminal` is
#: therefore also valid in an XML file such as an xlsx sheet.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069"
                         "\ud800-\udfff\ufffe\uffff]")

#: First characters that make a spreadsheet read a text cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def has_control_chars(text: str) -> bool:
    """True if *text* holds a control, bidirectional or XML-forbidden character.

    Examples
    --------
    >>> has_control_chars("Guangfo Park"), has_control_chars("A\\x1b[2J")
    (False, True)
    """
    return _CONTROL_RE.search(text) is not None


def describe_control_chars(text: str) -> str:
    """The control characters in *text* by code point, e.g. ``U+001B, U+000A``."""
    seen = dict.fromkeys(m.group() for m in _CONTROL_RE.finditer(text))
    return ", ".join(f"U+{ord(c):04X}" for c in seen)


def _escape_control(m: re.Match[str]) -> str:
    c = m.group()
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(c, f"\\x{ord(c):02x}" if ord(c) < 0x100
                                                      else f"\\u{ord(c):04x}")


def for_terminal(value: Any) -> str:
    """*value* as text safe to print: every control character shown as an escape.

    Examples
    --------
    >>> for_terminal("X\\x1b]0;pwned\\x07")
    'X\\\\x1b]0;pwned\\\\x07'
    >>> for_terminal("line\\nbreak")
    'line\\\\nbreak'
    """
    return _CONTROL_RE.sub(_escape_control, str(value))


#: An error line longer than this is cut in its middle (its start and end kept).
MESSAGE_MAX_CHARS = 2000


def one_line(message: Any, max_chars: int = MESSAGE_MAX_CHARS) -> str:
    """*message* as one error line: control characters shown as escapes
    (:func:`for_terminal`) and, beyond *max_chars*, its middle left out and counted.

    A message may echo a value it refuses (a 100,000-character id); its start and end
    say what and why.

    Examples
    --------
    >>> one_line("id " + "a" * 30 + " too long", max_chars=20)
    'id aaaaaaa … (22 characters) … a too long'
    """
    text = for_terminal(message)
    if len(text) > max_chars:
        half = max_chars // 2
        text = f"{text[:half]} … ({len(text) - 2 * half:,} characters) … {text[-half:]}"
    return text


def for_json(text: str) -> str:
    """JSON *text* with every control and bidi character as a ``\\uXXXX`` escape.

    :func:`json.dumps` with ``ensure_ascii=False`` escapes C0 controls but leaves
    C1 controls (``U+009B`` starts a terminal sequence) and bidi overrides raw;
    escaped, the text is the same JSON value and safe to print. C0 characters are
    left: in text from :func:`json.dumps` they can only be its own line breaks and
    indentation (inside strings it has escaped them already).

    Examples
    --------
    >>> for_json('{"name": "A\u009b2J\u202e"}')
    '{"name": "A\\\\u009b2J\\\\u202e"}'
    """
    def escape(m: re.Match[str]) -> str:
        c = m.group()
        return c if c < " " else f"\\u{ord(c):04x}"

    return _CONTROL_RE.sub(escape, text)


def formula_like(value: Any) -> bool:
    """True if *value* is text a spreadsheet would take as a formula.

    Numbers are never formula-like: ``-5`` stays a number; only text such as
    ``"-5"`` or ``"=1+1"`` is.
    """
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def for_csv(value: Any) -> Any:
    """*value* for a CSV cell: formula-like text gets a leading apostrophe.

    The apostrophe is OWASP's recommended neutraliser: Excel and LibreOffice show
    the text instead of evaluating it. Anything else is returned unchanged.

    Examples
    --------
    >>> for_csv("=HYPERLINK(\\"http://x\\")"), for_csv(-5.0), for_csv("Guangfo")
    ('\\'=HYPERLINK("http://x")', -5.0, 'Guangfo')
    """
    return "'" + value if formula_like(value) else value


def csv_text(frame: Any, **to_csv: Any) -> str:
    """*frame* (a pandas DataFrame) as CSV text in which text from data stays text.

    The one way qygeo writes CSV: numbers stay numbers, formula-like text is
    neutralised (:func:`for_csv`) and control characters are shown as escapes
    (:func:`for_terminal`), so no cell spans lines however a program splits them
    (a lone carriage return is left unquoted by Python's csv writer).
    *to_csv* goes to :meth:`pandas.DataFrame.to_csv` (the index is left out and
    lines end in ``\\n`` unless given). Floats are written in full, without an
    exponent (``28123456789``, ``0.00001``): a spreadsheet reads them as the numbers
    they are.
    """
    import numpy as np

    def cell(v: Any) -> Any:
        if isinstance(v, str) and has_control_chars(v):
            v = for_terminal(v)
        return for_csv(v)

    out = frame.copy()
    for c in out.select_dtypes(include=["object", "string", "category"]).columns:
        out[c] = out[c].map(cell)
    def number(x: float) -> str:
        return np.format_float_positional(x, trim="-")

    return out.to_csv(**{"index": False, "lineterminator": "\n", "float_format": number,
                         **to_csv})


#: The byte-order mark that tells Excel a CSV file is UTF-8 (without it, Chinese
#: text is read in the system's code page when the file is double-clicked).
UTF8_BOM = "\ufeff"


#: Inline markdown punctuation: in a table cell (inline content) block syntax
#: such as ``#`` or ``-`` does not apply, so these are all that act.
_MARKDOWN_SPECIAL_RE = re.compile(r"([\\`*_\[\]|~])")


def for_markdown(value: Any) -> str:
    """*value* as literal text in a markdown table cell.

    Inline markdown punctuation is backslash-escaped (a ``|`` cannot split a
    column, ``[x](y)`` is no link, ``**x**`` no emphasis), ``& < >`` become
    entities so no HTML tag is made, control characters are shown as escapes and
    line breaks as spaces, so the row stays one row.

    Examples
    --------
    >>> for_markdown("A|B <b>x</b>")
    'A\\\\|B &lt;b&gt;x&lt;/b&gt;'
    """
    text = _MARKDOWN_SPECIAL_RE.sub(r"\\\1", str(value))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return for_terminal(" ".join(text.splitlines()))
