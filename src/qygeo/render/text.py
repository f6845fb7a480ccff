"""The report as text (terminal table, CSV, JSON, markdown), and written to a file in any format.

Values go through :mod:`qygeo.render.format`; text from data through
:mod:`qygeo.safe_text` for the place it is written to.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from qygeo.errors import QygeoError
from qygeo.pipeline.report import COLUMNS, PLOTS_BASIS, SIGNED_BASIS
from qygeo.render import FILE_FORMATS, FORMATS
from qygeo.render.format import cell_text, records
from qygeo.safe_text import UTF8_BOM, csv_text, for_json, for_markdown, for_terminal

if TYPE_CHECKING:  # pragma: no cover
    from qygeo.pipeline.report import Report


def format_json(report: Report) -> str:
    """A JSON list with one object per park (keys :data:`COLUMN_KEYS`; null = n/a)."""
    return for_json(json.dumps(records(report.park_table), ensure_ascii=False, indent=2)) + "\n"


def format_csv(report: Report) -> str:
    """CSV, one row per park, header = JSON keys, empty cell = n/a."""
    table = report.park_table.copy()
    for c in table.columns:
        if table[c].map(lambda v: isinstance(v, dict)).any():
            table[c] = table[c].map(
                lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else v)
    return csv_text(table)


TABLE_SKIP = ("park_id", "name_zh", "name_en", "district_name_en")


def format_table(report: Report, *, planting: bool = True) -> str:
    """Human-readable text: one two-column table per park, then planting acreage."""
    from tabulate import tabulate

    parts = [f"清远生物医药园区用地报告 / Qingyuan biomedical parks land report — "
             f"year {report.year or 'n/a'}, idle as of {report.as_of.isoformat()}", ""]
    for row in records(report.park_table):
        parts.append(for_terminal(f"== {row['name_zh']} / {row['name_en']} ({row['park_id']}) =="))
        body = []
        for key, zh, en, unit in COLUMNS:
            if key in TABLE_SKIP:
                continue
            value = for_terminal(cell_text(key, row.get(key)))
            if len(value) > 72:  # long citations wrap instead of widening every row
                value = "\n".join(textwrap.wrap(value, 72))
            body.append([f"{zh} / {en}", value, unit])
        parts.append(tabulate(body, headers=["指标 / Indicator", "值 / Value", "单位 / Unit"],
                              tablefmt="simple", disable_numparse=True))
        parts.append("")
    if planting and len(report.planting):
        parts.append("== 南药种植面积 / South-medicine planting acreage ==")
        parts.append(_planting_tabulate(report, "simple"))
        parts.append("")
    if report.excluded_plots:
        parts.append("== 未计入地块 / Plots left out (--skip-invalid-plots) ==")
        parts.append(tabulate([[for_terminal(v) for v in row] for row in report.excluded_plots],
                              headers=["plot_id", "problem"], tablefmt="simple",
                              disable_numparse=True))
        parts.append("")
    return "\n".join(parts)


def _planting_tabulate(report: Report, fmt: str) -> str:
    """The planting table as text (*fmt* ``simple``) or markdown (``github``)."""
    from tabulate import tabulate

    cell = for_markdown if fmt == "github" else for_terminal
    body = []
    for r in records(report.planting):
        body.append([r["figure_id"], r["planting_ids"], r.get("status") or "n/a",
                     cell_text("reported_mu", r["reported_mu"]),
                     cell_text("mapped_mu", r["mapped_mu"]),
                     r.get("mapped_quality") or "n/a",
                     cell_text("difference_mu", r["difference_mu"]),
                     cell_text("difference_share", r["difference_share"]),
                     cell_text("output_yuan", r.get("output_yuan")), r["source"] or ""])
    body = [[cell(v) for v in row] for row in body]
    return tabulate(body, headers=["figure", "planting areas 种植区", "status 性质",
                                   "reported 文献 (mu)", "mapped 图测 (mu)",
                                   "mapped boundaries 图测边界", "mapped − reported",
                                   "diff %", "output 产值 (yuan)", "source"],
                    tablefmt=fmt, disable_numparse=True)


def format_markdown(report: Report, *, planting: bool = True) -> str:
    """Markdown: a summary table of all parks, then the planting acreage table."""
    from tabulate import tabulate

    keys = ["park_id", "name_zh", "name_en", "district_name_zh", "area_km2", "area_mu",
            "investment_yuan", "intensity_yi_per_km2", "intensity_wan_per_mu",
            "reported_intensity_yuan_per_km2", "intensity_difference_yuan_per_km2",
            "output_yuan", "planned_investment_yuan", "planned_output_yuan", "plot_count",
            "plot_investment_yuan", "idle_plot_count", "idle_area_mu", "unjudged_plot_count"]
    labels = {k: (zh, en, unit) for k, zh, en, unit in COLUMNS}
    headers = [f"{labels[k][0]} {labels[k][1]}" + (f" ({labels[k][2]})" if labels[k][2] else "")
               for k in keys]
    body = [[for_markdown(cell_text(k, r.get(k))) for k in keys]
            for r in records(report.park_table)]
    out = [f"# 园区用地报告 / Park land report ({report.year or 'n/a'})", "",
           f"Idle plots classified as of {report.as_of.isoformat()} (MLR Order No. 53).", "",
           f"Intensity basis: {SIGNED_BASIS} (where park_stats has signed investment; else "
           f"{PLOTS_BASIS}). Planned figures are plans, never actual ones.", "",
           tabulate(body, headers=headers, tablefmt="github", disable_numparse=True), ""]
    if planting and len(report.planting):
        out += ["## 南药种植面积 / South-medicine planting acreage", "",
                _planting_tabulate(report, "github"), ""]
    if report.excluded_plots:
        out += ["## 未计入地块 / Plots left out (--skip-invalid-plots)", "",
                tabulate([[for_markdown(v) for v in row] for row in report.excluded_plots],
                         headers=["plot_id", "problem"], tablefmt="github",
                         disable_numparse=True), ""]
    return "\n".join(out)


def write_report(report: Report, fmt: str, path: str | Path, *, planting: bool = True) -> Path:
    """Write *report* to *path* in any format: :data:`FORMATS` or :data:`FILE_FORMATS`.

    ``html`` is one self-contained page (:mod:`qygeo.render.html`), ``xlsx`` a
    workbook with one sheet per table (:mod:`qygeo.render.xlsx`). The file is
    replaced atomically.
    """
    from qygeo.io.atomic import atomic_write_text

    path = Path(path)
    if fmt == "xlsx":
        from qygeo.render.xlsx import write_xlsx

        write_xlsx(report, path)
    elif fmt == "html":
        from qygeo.render.html import render_html

        atomic_write_text(path, render_html(report))
    elif fmt == "csv":
        atomic_write_text(path, UTF8_BOM + render(report, fmt))  # Excel opens it as UTF-8
    else:
        atomic_write_text(path, render(report, fmt, planting=planting))
    return path


def render(report: Report, fmt: str, *, planting: bool = True) -> str:
    """Render *report* in one of :data:`FORMATS`."""
    if fmt == "json":
        return format_json(report)
    if fmt == "csv":
        return format_csv(report)
    if fmt == "markdown":
        return format_markdown(report, planting=planting)
    if fmt == "table":
        return format_table(report, planting=planting)
    if fmt == "html":
        from qygeo.render.html import render_html

        return render_html(report)
    if fmt in FILE_FORMATS:
        raise QygeoError(f"format {fmt} is written to a file only: give -o PATH")
    raise QygeoError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
