"""The report as an Excel workbook (.xlsx): one sheet per table.

Sheets: ``parks`` (the report's park table, JSON keys as headers), ``plots``
(per-plot areas and idle classification), ``indicators`` (TD/T 1029, long),
``grading`` (亩均 per plot), ``enterprises``, ``targets``, ``trends``,
``planting``, ``idle_check`` (stored flags that disagree with the rule) and
``config`` (grading settings in use, report year and idle date). n/a is an
empty cell; dicts (``grade_counts``) are JSON text. Written with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.io.layers import atomic_write_bytes
from qygeo.safe_text import for_terminal, formula_like, has_control_chars

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qygeo.pipeline.report import Report

#: Plot columns left out of the plots sheet (long provenance text is in the layer).
PLOT_SKIP = ("geometry", "notes")


def _cell(v: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(v, np.generic):
        v = v.item()
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (dict, list, tuple, set)):
        return json.dumps(v if not isinstance(v, set) else sorted(v), ensure_ascii=False,
                          default=str)
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime().replace(tzinfo=None)
    if isinstance(v, str):
        # XML (so xlsx) cannot hold most control characters: shown as escapes instead.
        return for_terminal(v) if has_control_chars(v) else v
    if isinstance(v, (int, float, bool, dt.date, dt.datetime)):
        return v
    return str(v)


def _text_cell(ws: Any, text: str) -> Any:
    """A cell that stays *text* in Excel: a string cell with the quote-prefix style.

    openpyxl would store a string starting with ``=`` as a formula; Excel's
    quotePrefix keeps ``+ - @`` text as text too when the cell is edited.
    """
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=text)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def sheet_tables(report: Report) -> dict[str, pd.DataFrame]:
    """The tables of *report*, by sheet name (see the module docstring)."""
    import pandas as pd

    ev = report.evaluation
    plots = report.explained_plots
    plots = plots.drop(columns=[c for c in PLOT_SKIP if c in plots.columns])
    meta = pd.DataFrame([
        {"section": "report", "key": "year", "value": report.year, "unit": ""},
        {"section": "report", "key": "idle_as_of", "value": report.as_of.isoformat(),
         "unit": ""},
        {"section": "report", "key": "idle_rule", "unit": "",
         "value": "MLR Order No. 53 (2012), Art. 2, 8, 14"},
    ] + (ev.config.as_rows() if ev is not None else []))
    empty = pd.DataFrame()
    return {
        "parks": report.park_table, "plots": plots,
        "indicators": ev.indicators if ev is not None else empty,
        "grading": ev.grading if ev is not None else empty,
        "enterprises": ev.enterprises if ev is not None else empty,
        "targets": ev.targets if ev is not None else empty,
        "trends": ev.trends if ev is not None else empty,
        "planting": report.planting,
        "idle_check": ev.idle_check if ev is not None else empty,
        "config": meta,
        # Only with --skip-invalid-plots: the plots left out of every figure, and why.
        **({"excluded_plots": pd.DataFrame(report.excluded_plots, columns=["plot_id", "problem"])}
           if report.excluded_plots else {}),
    }


#: Rows of an Excel sheet (the header included); longer tables continue on "name (2)"…
EXCEL_MAX_ROWS = 1_048_576


def _column_values(col: pd.Series) -> list[Any]:
    """A column as the Python values :func:`_cell` gives, converted once per column."""
    import pandas as pd

    kind = col.dtype.kind if hasattr(col.dtype, "kind") else "O"
    if kind == "f":
        return [None if v != v or v in (math.inf, -math.inf) else v
                for v in col.to_numpy(dtype="float64").tolist()]
    if kind in "iub":
        return col.to_numpy().tolist()
    if kind == "M" and getattr(col.dtype, "tz", None) is None:
        return [None if v is pd.NaT else v.to_pydatetime()
                for v in pd.Series(col).tolist()]
    return [_cell(v) for v in col.tolist()]


def _widths(table: pd.DataFrame, values: list[list[Any]]) -> list[int]:
    """Column widths from the header and the first 50 values (capped at 60)."""
    out = []
    for name, vals in zip(table.columns, values, strict=True):
        width = max([len(str(name))] + [len(str(v)) for v in vals[:50] if v is not None])
        out.append(min(max(width + 2, 8), 60))
    return out


def write_xlsx(report: Report, path: str | os.PathLike[str]) -> Path:
    """Write *report* as a workbook at *path* (replaced atomically).

    openpyxl's write-only mode streams the rows (a full workbook of a million
    plots would hold every cell as an object); a table longer than a sheet
    continues on sheets named ``plots (2)``, ``plots (3)``….
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    per_sheet = EXCEL_MAX_ROWS - 1
    for name, table in sheet_tables(report).items():
        values = [_column_values(table[c]) for c in table.columns]
        # Columns holding formula-like text (data such as "=HYPERLINK(…)"): those cells
        # are written as text cells, so no row of a clean column pays for the check.
        text_columns = [i for i, col in enumerate(values) if any(map(formula_like, col))]
        widths = _widths(table, values)
        rows = list(zip(*values, strict=True)) if values else []
        for part, start in enumerate(range(0, max(len(rows), 1), per_sheet)):
            ws = wb.create_sheet(name if part == 0 else f"{name} ({part + 1})")
            for i, w in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(i)].width = w
            ws.freeze_panes = "B2" if name in ("parks", "plots", "grading") else "A2"
            header = []
            for c in table.columns:  # a plots file's own column names are data too
                cell = _text_cell(ws, str(c)) if formula_like(str(c)) else WriteOnlyCell(
                    ws, value=str(c))
                cell.font = bold
                header.append(cell)
            ws.append(header)
            for row in rows[start:start + per_sheet]:
                if text_columns:
                    row = list(row)
                    for i in text_columns:
                        if formula_like(row[i]):
                            row[i] = _text_cell(ws, row[i])
                ws.append(row)
    # Zipped in memory, then written atomically: a full disk fails in one place
    # (atomic_write_bytes), with no half-written archive left to finalise.
    buf = io.BytesIO()
    try:
        wb.save(buf)
    except BaseException:
        _abandon(wb)
        raise
    atomic_write_bytes(path, buf.getvalue())
    return path


def _abandon(wb: Any) -> None:
    """Close the row streams of a write-only workbook whose save failed (a full disk).

    Each unsaved sheet holds a generator writing to its own stream; left to the
    garbage collector, each would print an "Exception ignored" traceback. Their
    errors follow from the one being raised, so they are dropped here.
    """
    for ws in wb.worksheets:
        for gen in (getattr(ws, "_rows", None), getattr(getattr(ws, "_writer", None), "xf", None)):
            if gen is not None:
                try:
                    gen.close()
                except Exception:  # noqa: BLE001, S110 - the save's own error is raised
                    pass
