"""The report as an Excel workbook (.xlsx) that opens ready to read: one sheet per table.

Sheets: ``parks`` (the report's park table), ``plots`` (per-plot areas and idle
classification, with the reason), ``indicators`` (TD/T 1029, long), ``grading``
(亩均 per plot), ``enterprises``, ``targets``, ``trends``, ``planting``,
``idle_check`` (stored flags that disagree with the rule), ``excluded_plots`` (only
with ``--skip-invalid-plots``) and ``sources`` (来源与设置: the settings used, the
source of every figure, qygeo's version). A table without rows gets no sheet; the
sources sheet says which were left out.

Each sheet has two header rows: ``中文 English (unit)`` (:mod:`qygeo.render.labels`)
and the code name (the JSON key, for scripts: ``pandas.read_excel(header=1)``),
frozen, with a filter over the table; columns are as wide as their text (CJK
counted double); money has thousands separators, 亿元 and 万元 rates two decimals,
fractions are percentages and dates have no time. n/a is an empty cell; dicts
(``grade_counts``) are JSON text. Written with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qygeo.io.atomic import atomic_write_bytes
from qygeo.render.format import display_width
from qygeo.render.labels import ROW_UNIT_KEYS, UNIT_FORMATS, heading, number_format
from qygeo.safe_text import for_terminal, formula_like, has_control_chars
from qygeo.values import date_of

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
        return date_of(v.to_pydatetime().replace(tzinfo=None))
    if isinstance(v, str):
        # XML (so xlsx) cannot hold most control characters, U+FFFE, U+FFFF or lone
        # surrogates: shown as escapes instead.
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
    """The tables of *report* with rows, by sheet name (see the module docstring)."""
    import pandas as pd

    from qygeo.core.idle import unjudged_empty
    from qygeo.core.metrics import selected_members

    ev = report.evaluation
    plots = unjudged_empty(report.explained_plots)  # n/a: idle and idle_days empty
    plots = plots.drop(columns=[c for c in PLOT_SKIP if c in plots.columns])
    # A report of some parks (--park): their plots, as the html report lists them, and no
    # planting sheet, as the text formats have none.
    wanted = (selected_members(report.dataset.parks, list(report.park_table["park_id"]))
              if report.dataset is not None else None)
    if wanted is not None and "park_id" in plots.columns:
        plots = plots[plots["park_id"].astype(object).isin(wanted).to_numpy()]
    empty = pd.DataFrame()
    tables = {
        "parks": report.park_table, "plots": plots,
        "indicators": ev.indicators if ev is not None else empty,
        "grading": ev.grading if ev is not None else empty,
        "enterprises": ev.enterprises if ev is not None else empty,
        "targets": ev.targets if ev is not None else empty,
        "trends": ev.trends if ev is not None else empty,
        "planting": report.planting if wanted is None else empty,
        "idle_check": ev.idle_check if ev is not None else empty,
        # Only with --skip-invalid-plots: the plots left out of every figure, and why.
        "excluded_plots": pd.DataFrame(report.excluded_plots, columns=["plot_id", "problem"]),
    }
    kept = {name: t for name, t in tables.items() if len(t)}
    left_out = [name for name in tables if name not in kept and name != "excluded_plots"]
    kept["sources"] = sources_table(report, left_out)
    return kept


def sources_table(report: Report, left_out: list[str]) -> pd.DataFrame:
    """来源与设置: the settings of the run, the sheets without rows, and every figure's source."""
    import pandas as pd

    from qygeo import __version__

    def row(section: str, key: str, value: Any, unit: str = "") -> dict[str, Any]:
        return {"section": section, "key": key, "value": value, "unit": unit}

    ev = report.evaluation
    source = report.plots_source
    rows = [
        row("report", "year", report.year),
        row("report", "idle_as_of", report.as_of.isoformat()),
        row("report", "idle_rule", "MLR Order No. 53 (2012), Arts. 2, 8, 12–14; Civil Code "
                                   "Arts. 201–203 (periods)"),
        row("report", "plots", str(source[0]) if source else "the data folder's plots.geojson"),
        row("report", "engine", report.engine),
        row("report", "generated_at", dt.datetime.now().astimezone().isoformat(timespec="seconds")),
        row("report", "qygeo_version", __version__),
        *[row("report", "sheet_without_rows", name) for name in left_out],
    ]
    rows += ev.config.as_rows() if ev is not None else []
    for table, frame, key in (("parks", report.park_table, "park_id"),
                              ("planting", report.planting, "figure_id"),
                              ("targets", ev.targets if ev is not None else None, "target")):
        if frame is None or "source" not in frame.columns:
            continue
        seen = set()
        for ident, text in zip(frame[key], frame["source"], strict=True):
            if isinstance(text, str) and text and (ident, text) not in seen:
                seen.add((ident, text))
                rows.append(row(f"sources.{table}", str(ident), text))
    # The tables whose figures the sheets show beside the parks' (the indicators sheet's
    # Guangdong 2019 benchmarks, the growth achieved): every row, with its source.
    ds = report.dataset
    for table in ("targets", "city_stats"):
        frame = getattr(ds, table, None) if ds is not None else None
        if frame is None or not {"indicator", "source"} <= set(frame.columns):
            continue
        for ident, text in zip(frame["indicator"], frame["source"], strict=True):
            if isinstance(text, str) and text:
                rows.append(row(f"sources.{table}.csv", str(ident), text))
    return pd.DataFrame(rows, columns=["section", "key", "value", "unit"])


#: Rows of an Excel sheet (the header included); longer tables continue on "name (2)"…
EXCEL_MAX_ROWS = 1_048_576
#: Characters an Excel cell holds; openpyxl cuts longer text without a word.
EXCEL_CELL_CHARS = 32_767


def _cut_long_text(values: list[Any]) -> int:
    """Cut the text in *values* longer than a cell holds, ending it with "…"; how many.

    Excel shows at most :data:`EXCEL_CELL_CHARS` characters and openpyxl would cut
    the rest silently: the "…" says the text goes on (in the data).
    """
    cut = 0
    for i, v in enumerate(values):
        if isinstance(v, str) and len(v) > EXCEL_CELL_CHARS:
            values[i] = v[:EXCEL_CELL_CHARS - 1] + "…"
            cut += 1
    return cut


def _column_values(col: pd.Series) -> list[Any]:
    """A column as the Python values :func:`_cell` gives, converted once per column."""
    import pandas as pd

    kind = col.dtype.kind if hasattr(col.dtype, "kind") else "O"
    if kind == "f":
        return [None if v != v or v in (math.inf, -math.inf) else v
                for v in col.to_numpy(dtype="float64").tolist()]
    if kind in "iub" and not col.hasnans:  # a nullable one with <NA> goes through _cell
        return col.to_numpy().tolist()
    if kind == "M" and getattr(col.dtype, "tz", None) is None:
        # A date is a date: midnight timestamps are written as dates, shown without a time.
        return [None if v is pd.NaT else _cell(v) for v in pd.Series(col).tolist()]
    return [_cell(v) for v in col.tolist()]


def _widths(headings: list[str], keys: list[str], values: list[list[Any]]) -> list[int]:
    """Column widths from both header rows and the first 50 values (CJK counted double)."""
    out = []
    for head, key, vals in zip(headings, keys, values, strict=True):
        texts = [head, key] + [_shown(v) for v in vals[:50] if v is not None]
        out.append(min(max(max(display_width(t) for t in texts) + 2, 8), 60))
    return out


def _shown(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    return str(v)


def _numeric(values: list[Any]) -> bool:
    """Whether a column holds numbers (and missing values) only."""
    return all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool))
               for v in values)


def write_xlsx(report: Report, path: str | os.PathLike[str], *,
               shown: str | os.PathLike[str] | None = None) -> Path:
    """Write *report* as a workbook at *path* (replaced atomically).

    openpyxl's write-only mode streams the rows (a full workbook of a million
    plots would hold every cell as an object); a table longer than a sheet
    continues on sheets named ``plots (2)``, ``plots (3)``….

    *shown* is the output the warnings name when *path* is a temporary name (``qygeo
    build`` writes its reports under such names, then renames them); default *path*.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    grey = Font(color="808080", size=9)
    wrap = Alignment(wrap_text=True, vertical="top")
    per_sheet = EXCEL_MAX_ROWS - 2
    cut_cells = []
    for name, table in sheet_tables(report).items():
        keys = [str(c) for c in table.columns]
        values = [_column_values(table[c]) for c in table.columns]
        for key, col in zip(keys, values, strict=True):
            if n := _cut_long_text(col):
                cut_cells.append(f"{name} sheet, column {key}: {n:,} cell{'s' * (n > 1)}")
        # Columns holding formula-like text (data such as "=HYPERLINK(…)"): those cells
        # are written as text cells, so no row of a clean column pays for the check.
        text_columns = [i for i, col in enumerate(values) if any(map(formula_like, col))]
        headings = [heading(k) for k in keys]
        widths = _widths(headings, keys, values)
        formats = {i: f for i, k in enumerate(keys)
                   if (f := number_format(k)) is not None and _numeric(values[i])}
        # A long table (indicators, targets): a value's format is its row's unit's.
        unit_at = keys.index("unit") if "unit" in keys else None
        by_unit = ([i for i, k in enumerate(keys) if k in ROW_UNIT_KEYS and i not in formats]
                   if unit_at is not None else [])
        rows = list(zip(*values, strict=True)) if values else []
        last = get_column_letter(max(len(keys), 1))
        for part, start in enumerate(range(0, max(len(rows), 1), per_sheet)):
            ws = wb.create_sheet(name if part == 0 else f"{name} ({part + 1})")
            for i, w in enumerate(widths, start=1):
                ws.column_dimensions[get_column_letter(i)].width = w
            ws.freeze_panes = "B3" if name in ("parks", "plots", "grading") else "A3"
            chunk = rows[start:start + per_sheet]
            ws.auto_filter.ref = f"A2:{last}{len(chunk) + 2}"
            # a plots file's own column names are data too: both header rows stay text
            top = []
            for text in map(_cell, headings):  # control characters shown as escapes
                cell = _text_cell(ws, text) if formula_like(text) else WriteOnlyCell(ws, text)
                cell.font, cell.alignment = bold, wrap
                top.append(cell)
            ws.append(top)
            codes = []
            for text in map(_cell, keys):
                cell = _text_cell(ws, text) if formula_like(text) else WriteOnlyCell(ws, text)
                cell.font = grey
                codes.append(cell)
            ws.append(codes)
            for row in chunk:
                if text_columns or formats or by_unit:
                    row = list(row)
                    unit_format = UNIT_FORMATS.get(row[unit_at]) if by_unit else None
                    for i in by_unit if unit_format else ():
                        v = row[i]
                        if isinstance(v, (int, float)) and not isinstance(v, bool):
                            row[i] = WriteOnlyCell(ws, v)
                            row[i].number_format = unit_format
                    for i in text_columns:
                        if formula_like(row[i]):
                            row[i] = _text_cell(ws, row[i])
                    for i, fmt in formats.items():
                        v = row[i]
                        if isinstance(v, (int, float)) and not isinstance(v, bool):
                            cell = WriteOnlyCell(ws, v)
                            cell.number_format = fmt
                            row[i] = cell
                ws.append(row)
    if cut_cells:
        import warnings

        warnings.warn(f"{Path(shown or path).name}: text longer than the "
                      f"{EXCEL_CELL_CHARS:,} characters an Excel cell holds is cut there and "
                      "ends in \"…\" ("
                      + "; ".join(cut_cells) + ")", stacklevel=2)
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
