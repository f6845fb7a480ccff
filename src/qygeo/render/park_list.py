"""``qygeo park list``: the parks as a text table, CSV or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.pipeline.parks import load_state
from qygeo.render.format import display_width

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# --------------------------------------------------------------------------- listing


#: Columns of :func:`park_table`.
TABLE_COLUMNS = ("park_id", "name_zh", "name_en", "district_adcode", "district_name_zh", "kind",
                 "parent_park_id", "area_km2", "area_mu", "boundary_quality", "added_on",
                 "source_file")


def park_table(root: str | Path) -> pd.DataFrame:
    """One row per park: ids, names, district, kind, area (km², mu), quality, added_on."""
    import pandas as pd

    from qygeo.core.metrics import with_areas

    state = load_state(root)
    parks = with_areas(state.parks)
    names = dict(zip(state.districts["adcode"], state.districts["name_zh"], strict=True))
    parks["district_name_zh"] = parks["district_adcode"].map(names)
    for c in TABLE_COLUMNS:
        if c not in parks.columns:
            parks[c] = None
    out = pd.DataFrame(parks[list(TABLE_COLUMNS)]).sort_values("park_id", kind="stable")
    return out.reset_index(drop=True)


def format_park_table(table: pd.DataFrame, fmt: str = "table") -> str:
    """Render :func:`park_table` as ``table`` (plain text), ``csv`` or ``json``.

    Text from the data is made safe for where it goes: control characters are
    shown as escapes in the table (:func:`~qygeo.safe_text.for_terminal`), and
    formula-like CSV cells are neutralised (:func:`~qygeo.safe_text.for_csv`).
    """
    import math

    from qygeo.safe_text import csv_text, for_json, for_terminal

    def clean(v: Any) -> Any:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        return v.item() if hasattr(v, "item") else v

    rows = [{k: clean(v) for k, v in r.items()} for r in table.to_dict("records")]
    if fmt == "json":
        for r in rows:
            r["area_km2"] = round(r["area_km2"], 6) if r["area_km2"] is not None else None
            r["area_mu"] = round(r["area_mu"], 2) if r["area_mu"] is not None else None
        return for_json(json.dumps(rows, ensure_ascii=False, indent=2)) + "\n"
    if fmt == "csv":
        # Names are data: a cell such as "=HYPERLINK(…)" must stay text in a spreadsheet.
        return csv_text(table)
    body = [[for_terminal(c) for c in row] for row in _table_body(rows)]
    headers = ["id", "名称", "name", "district 区县", "kind", "km²", "亩 mu", "quality",
               "added_on"]
    return _text_table(headers, body, right=(5, 6))


def _table_body(rows: list[dict[str, Any]]) -> list[list[str]]:
    return [[r["park_id"], r["name_zh"] or "", r["name_en"] or "",
             f"{r['district_adcode']} {r['district_name_zh'] or ''}".strip(), r["kind"] or "",
             f"{r['area_km2']:,.3f}", f"{r['area_mu']:,.0f}", r["boundary_quality"] or "",
             r["added_on"] or ""] for r in rows]


def _text_table(headers: Sequence[str], body: Sequence[Sequence[str]], *,
                right: Sequence[int] = ()) -> str:
    """A plain-text table aligned by display width (Chinese names take two columns each)."""
    rows = [list(headers), *[[str(c) for c in r] for r in body]]
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(headers))]

    def line(cells: Sequence[str]) -> str:
        out = []
        for i, c in enumerate(cells):
            pad = " " * (widths[i] - display_width(c))
            out.append(pad + c if i in right else c + pad)
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(rows[0]), rule, *(line(r) for r in rows[1:])]) + "\n"
