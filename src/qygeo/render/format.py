"""The one formatter of values: n/a, numbers, yuan, dates, percentages, HTML escaping.

Every text output (table, markdown, the HTML report) writes a report value through
:func:`cell_text`, so one figure reads the same everywhere; JSON and CSV take
:func:`records`, where n/a is null or an empty cell. The map popups format with
:func:`esc`, :func:`num`, :func:`yi`, :func:`date_text` … (escaped HTML text).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING, Any

from qygeo.core import metrics
from qygeo.values import date_of, json_value, present

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Fractions shown as percentages (besides keys ending in _share, _rate, _growth).
PERCENT_KEYS = ("idle_share", "building_density")


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN/None become None, numpy scalars Python ones, years
    and counts integers (:func:`is_whole_number`)."""
    whole = {k for k in table.columns if is_whole_number(str(k))}
    out = []
    for row in table.to_dict("records"):
        rec = {k: json_value(v) for k, v in row.items()}
        for k in whole:
            v = rec.get(k)
            if isinstance(v, float) and v.is_integer():
                rec[k] = int(v)
        out.append(rec)
    return out


def cell_text(key: str, v: Any) -> str:
    """A report value as text for a reader: n/a, yes/no, percentages, thousands separators."""
    v = json_value(v)
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, dict):
        return " ".join(f"{k}:{n}" for k, n in v.items())
    if isinstance(v, float):
        if is_percent(key):
            return f"{v:.1%}"
        if is_year(key):
            return str(int(v))
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        if v == int(v):
            return f"{int(v):,}"
        return f"{v:,.2f}"
    if isinstance(v, int):
        return str(v) if is_year(key) else f"{v:,}"
    return str(date_of(v))  # a date held as a timestamp (pandas): no 00:00:00


# --------------------------------------------------------------------------- HTML text (maps)


def has_value(v: Any) -> bool:
    return present(v, blank=True)


def isolated_names(*names: Any) -> str:
    """The names present, each between U+2068 FIRST STRONG ISOLATE and U+2069 POP
    DIRECTIONAL ISOLATE, joined by a space; ``""`` when none is.

    For plain text (SVG ``<text>``, a page's ``<title>``), where ``<bdi>`` cannot be: a bidi
    override in one name (U+202E) then reorders that name only, not the names and words
    after it.
    """
    return " ".join(f"\u2068{v}\u2069" for v in names if has_value(v))


def esc(v: Any) -> str:
    """Escape any value for HTML text or a quoted attribute; missing → ``n/a``."""
    if not has_value(v):
        return "n/a"
    return html.escape(str(v), quote=True)


def bdi(v: Any) -> str:
    """*v* escaped (:func:`esc`) and isolated in ``<bdi>``: a bidi override in it (U+202E)
    reorders only itself, not the words after it on the same line (HTML; for plain text
    see :func:`isolated_names`)."""
    return f"<bdi>{esc(v)}</bdi>"


def num(v: Any, digits: int = 2) -> str:
    if not has_value(v):
        return "n/a"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return esc(v)
    if not math.isfinite(f):
        return "n/a"
    return f"{f:,.{digits}f}"


def integer(v: Any) -> str:
    return num(v, 0)


def date_text(v: Any) -> str:
    if not has_value(v):
        return "n/a"
    if hasattr(v, "date"):
        return v.date().isoformat() if callable(v.date) else str(v.date)
    return esc(str(v)[:10])


def yi(v_yuan: Any) -> str:
    """Yuan shown as 亿元 with the exact yuan figure beside it."""
    if not has_value(v_yuan):
        return "n/a"
    f = float(v_yuan)
    return f"{f / metrics.YUAN_PER_YI:,.2f} 亿元 ({f:,.0f} 元)"


def yi_per_km2(v_yuan_per_km2: Any) -> str:
    if not has_value(v_yuan_per_km2):
        return "n/a"
    return f"{float(metrics.yuan_per_km2_to_yi_per_km2(v_yuan_per_km2)):,.2f} 亿元/km²"


def share(v: Any) -> str:
    if not has_value(v):
        return "n/a"
    return f"{float(v):.1%}"


def idle_for(days: Any) -> str:
    """How long a plot has been idle (MLR No. 53: from one year after the clock start)."""
    if not has_value(days):
        return "—"
    d = int(days)
    return f"{d:,} 天 days ({d / 365.2425:.1f} 年 years)"


def display_width(text: str) -> int:
    """Columns *text* takes in a terminal or a spreadsheet: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


#: Columns of whole numbers besides years and ``*_count``: counts of projects.
COUNT_KEYS = ("projects_signed", "projects_in_production", "graded_plot_count")


def is_year(key: str) -> bool:
    """Whether column *key* holds a calendar year."""
    return key == "year" or key.endswith("_year")


def is_whole_number(key: str) -> bool:
    """Whether column *key* holds a year or a count: written as an integer (``148``, not
    ``148.0``) in every output, though pandas keeps it as a float beside n/a."""
    return is_year(key) or key.endswith("_count") or key in COUNT_KEYS


def is_percent(key: str) -> bool:
    """Whether column *key* holds a fraction to show as a percentage (every output agrees)."""
    return key in PERCENT_KEYS or key.endswith(("_share", "_rate", "_growth"))
