"""The one formatter of report values: n/a, numbers, percentages, yes/no, rows as JSON values.

Every text output (table, markdown, the HTML report) writes a value through
:func:`cell_text`, so one figure reads the same everywhere; JSON and CSV take
:func:`records`, where n/a is null or an empty cell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from qygeo.values import json_value

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Fractions shown as percentages (besides keys ending in _share, _rate, _growth).
PERCENT_KEYS = ("idle_share", "building_density")


def records(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: NaN/None become None, numpy scalars Python ones."""
    return [{k: json_value(v) for k, v in row.items()} for row in table.to_dict("records")]


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
        if key in PERCENT_KEYS or key.endswith(("_share", "_rate", "_growth")):
            return f"{v:.1%}"
        if key == "year" or key.endswith("_year"):
            return str(int(v))
        if abs(v) >= 1e4:
            return f"{v:,.0f}"
        if v == int(v):
            return f"{int(v):,}"
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}" if key != "year" and not key.endswith("_year") else str(v)
    return str(v)
