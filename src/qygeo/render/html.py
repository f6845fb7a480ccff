"""The report as one self-contained HTML page, with charts drawn as inline SVG.

Charts are SVG elements in the page, not images: Chinese labels are drawn by
the browser with the reader's own fonts (no CJK font needed on the machine that
builds the report) and the page needs no network, scripts or external files.
Every piece of data text is escaped with :func:`html.escape`.

Each park has a section with ``id="park-<park_id>"``, so maps link to
``report.html#park-guangfo``.
"""

from __future__ import annotations

import bisect
import html
import itertools
import math
import re
from typing import TYPE_CHECKING, Any

from qygeo.core.idle import unjudged_empty
from qygeo.core.metrics import YUAN_PER_YI
from qygeo.pipeline.report import COLUMNS, INTENSITY_NUMERATORS, intensity_numerator
from qygeo.render.format import (
    bdi,
    cell_text,
    display_width,
    has_value,
    isolated_names,
    records,
)
from qygeo.render.labels import heading, words
from qygeo.safe_text import for_terminal, has_control_chars
from qygeo.values import json_value

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from qygeo.pipeline.report import Report

GRADE_COLOURS = {"A": "#1a9850", "B": "#91cf60", "C": "#fdae61", "D": "#d73027"}
BAR = "#4575b4"
LABELS = {k: (zh, en, unit) for k, zh, en, unit in COLUMNS}

CSS = """
body{font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;
margin:1.5em auto;max-width:1200px;padding:0 1em;color:#222}
h1{font-size:1.5em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1em;font-size:.88em}
th,td{border:1px solid #ddd;padding:.25em .5em;vertical-align:top}
th{background:#f3f3f3;text-align:left}td.n{text-align:right;white-space:nowrap}
.na{color:#999}.warn{color:#a50026}.note{color:#555;font-size:.9em}
svg{max-width:100%;height:auto;font-family:inherit}
nav a{margin-right:.8em;unicode-bidi:isolate;display:inline-block;max-width:100%;
vertical-align:top;overflow-wrap:anywhere}h1,h2,h3,p,li{overflow-wrap:anywhere}
.table{overflow-x:auto;max-width:100%}.table table{margin:0}
th{min-width:6em}td{overflow-wrap:break-word}td:not(.n){min-width:8em;max-width:28em}
@media print{body{max-width:none;margin:0;font-size:9pt}nav{display:none}
.table{overflow:visible}table{font-size:8pt;page-break-inside:auto}tr{page-break-inside:avoid}
h2{page-break-after:avoid}a{color:inherit;text-decoration:none}}
@page{size:A4 landscape;margin:12mm}
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _cell(key: str, v: Any) -> str:
    text = cell_text(key, words(key, v))
    if isinstance(text, str):
        # An escape or a bidi override from the data shown as escapes, as in the xlsx: a
        # U+202E reversed the rest of its cell on the page.
        text = for_terminal(text)
    cls = ' class="na"' if text == "n/a" else (' class="n"' if isinstance(
        json_value(v), (int, float)) and not isinstance(json_value(v), bool) else "")
    return f"<td{cls}>{_e(text)}</td>"


def html_table(table: pd.DataFrame, keys: list[str] | None = None,
               headers: dict[str, str] | None = None) -> str:
    """An HTML table of *table*'s *keys* (all columns by default), values escaped."""
    keys = keys or [str(c) for c in table.columns]
    headers = headers or {}
    head = "".join(f"<th>{_e(headers.get(k, _label(k)))}</th>" for k in keys)
    body = []
    for r in records(table):
        body.append("<tr>" + "".join(_cell(k, r.get(k)) for k in keys) + "</tr>")
    if not body:
        body.append(f'<tr><td colspan="{len(keys)}" class="na">none</td></tr>')
    # In a box that scrolls sideways: a wide table never widens the page (1,280 px screens).
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>")


def _label(key: str) -> str:
    if key in LABELS:
        zh, en, unit = LABELS[key]
        return f"{zh} {en}" + (f" ({unit})" if unit else "")
    return key


#: Estimated widths of chart text in em (the page's fonts are the reader's): the widest
#: of the common sans fonts (DejaVu, Noto), so that a label estimated to fit does fit.
_EM_WIDE, _EM_WIDEST, _EM_CAPITAL, _EM_NARROW, _EM_OTHER = 1.0, 1.0, 0.8, 0.35, 0.64
_WIDEST = frozenset("MWmw@%")
_CAPITAL = frozenset("ABCDEFGHJKLNOPQRSTUVXYZ")
_NARROW = frozenset(" .,;:!|'()[]{}/ilIjtf-\u2068\u2069")
#: Left margin of the bar charts, for the park names; the bars start there.
CHART_LABEL_PX = 480
#: Height of a bar, and of a chart row whose label is one line or two.
BAR_PX, ROW_PX, ROW_TWO_LINES_PX = 16, 24, 36


def _char_em(ch: str) -> float:
    """Estimated width of one character in em: CJK characters a full em."""
    return (_EM_WIDE if display_width(ch) == 2 else _EM_WIDEST if ch in _WIDEST
            else _EM_CAPITAL if ch in _CAPITAL else _EM_NARROW if ch in _NARROW
            else _EM_OTHER)


def _text_px(text: str, font_px: float = 12) -> float:
    """Estimated width of *text* drawn at *font_px*: CJK characters a full em."""
    return sum(map(_char_em, text), 0.0) * font_px


def _cut(text: str, max_px: float, font_px: float = 12) -> str:
    """*text* cut with an ellipsis to fit *max_px* (isolates it opens closed).

    The longest start of *text* that fits with the ellipsis (and a closing isolate) is
    found on the running widths of its characters in one pass: a park name of thousands
    of characters is cut as fast as a short one.
    """
    if _text_px(text, font_px) <= max_px:
        return text
    tail_em = _char_em("…") + _char_em("\u2069")
    starts = list(itertools.accumulate(map(_char_em, text)))  # em of text[:i + 1]
    keep = bisect.bisect_right(starts, max_px, key=lambda em: (em + tail_em) * font_px)
    text = text[:keep].rstrip() + "…"
    return text + "\u2069" * max(text.count("\u2068") - text.count("\u2069"), 0)


def label_lines(label: str, max_px: float) -> list[str]:
    """A chart label as it fits in *max_px*: one line; else a park's two names (each
    isolated, :func:`~qygeo.render.format.isolated_names`) on two lines; a line still too
    long is cut (:func:`_cut`; the whole label is the element's tooltip)."""
    if _text_px(label) <= max_px:
        return [label]
    names = re.findall("\u2068[^\u2068\u2069]*\u2069", label)
    return names if len(names) == 2 and " ".join(names) == label else [label]


def _row_label(lines: list[str], full: str, *, x: float, y: float, row_h: float) -> str:
    """The label of a chart row, right-aligned at *x*, its lines centred on the row."""
    line_h = 14
    first = y + row_h / 2 + 4 - (len(lines) - 1) * line_h / 2
    spans = "".join(f'<tspan x="{x}" y="{first + i * line_h:.1f}"'
                    f">{_e(_cut(t, CHART_LABEL_PX - 12))}</tspan>" for i, t in enumerate(lines))
    return f'<text font-size="12" text-anchor="end"><title>{_e(full)}</title>{spans}</text>'


def _chart_title(title: str, max_px: float) -> tuple[str, int]:
    """A chart's bold title within *max_px*, on a second line where one is too short, and
    the height that second line adds."""
    def fits(text: str) -> bool:
        return _text_px(text, 15) * 1.1 <= max_px  # bold: a tenth wider

    head = '<text font-size="15" font-weight="bold">'
    if fits(title):
        return f'{head}<tspan x="0" y="18">{_e(title)}</tspan></text>', 0
    spaces = [i for i, ch in enumerate(title) if ch == " " and fits(title[:i])]
    cut = spaces[-1] if spaces else len(title) // 2
    first, second = title[:cut], title[cut:].strip()
    return (f'{head}<tspan x="0" y="18">{_e(first)}</tspan><tspan x="0" y="37"'
            f">{_e(_cut(second, max_px / 1.1, 15))}</tspan></text>", 19)


def _chart_rows(labels: list[str]) -> tuple[list[list[str]], int]:
    """Each label's lines within the charts' left margin, and the row height they need."""
    lines = [label_lines(lab, CHART_LABEL_PX - 12) for lab in labels]
    return lines, ROW_TWO_LINES_PX if any(len(x) > 1 for x in lines) else ROW_PX


def bar_chart(title: str, labels: list[str], values: list[float], *, unit: str = "",
              reference: float | None = None, reference_label: str = "",
              percent: bool = False) -> str:
    """A horizontal bar chart as an ``<svg>`` element; NaN bars are drawn as "n/a"."""
    left, width, right = CHART_LABEL_PX, 1010, 110
    lines, row_h = _chart_rows(labels)
    finite = [v for v in values if v is not None and math.isfinite(v)]
    top = max(finite + ([reference] if reference is not None else []) + [0.0])
    top = top or 1.0
    height = 40 + row_h * len(labels) + 24
    head, extra = _chart_title(title, width + right)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + right} '
             f'{height + extra}" role="img" aria-label="{_e(title)}">',
             head, f'<g transform="translate(0 {extra})">']
    scale = (width - left) / top
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 32 + i * row_h
        bar_y, base = y + (row_h - BAR_PX) / 2, y + row_h / 2 + 4
        parts.append(_row_label(lines[i], lab, x=left - 8, y=y, row_h=row_h))
        if v is None or not math.isfinite(v):
            parts.append(f'<text x="{left + 4}" y="{base}" font-size="12" '
                         f'fill="#999">n/a</text>')
            continue
        w = max(v, 0) * scale
        shown = f"{v:.1%}" if percent else f"{v:,.2f} {unit}".strip()
        parts.append(f'<rect x="{left}" y="{bar_y}" width="{w:.1f}" height="{BAR_PX}" '
                     f'fill="{BAR}"><title>{_e(lab)}: {_e(shown)}</title></rect>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{base}" font-size="11">'
                     f'{_e(shown)}</text>')
    if reference is not None:
        x = left + reference * scale
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="28" y2="{height - 20}" '
                     'stroke="#d73027" stroke-dasharray="5,3" stroke-width="2"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#d73027" '
                     f'text-anchor="middle">{_e(reference_label)}</text>')
    parts.append("</g></svg>")
    return "".join(parts)


def grade_chart(title: str, labels: list[str], counts: list[dict[str, int]]) -> str:
    """Stacked horizontal bars of A/B/C/D plot counts per park, as ``<svg>``."""
    left, width = CHART_LABEL_PX, 1010
    lines, row_h = _chart_rows(labels)
    top = max([sum(c.values()) for c in counts] + [1])
    height = 40 + row_h * len(labels) + 24
    scale = (width - left) / top
    head, extra = _chart_title(title, width + 60)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width + 60} '
             f'{height + extra}" role="img" aria-label="{_e(title)}">',
             head, f'<g transform="translate(0 {extra})">']
    for i, (lab, c) in enumerate(zip(labels, counts, strict=True)):
        y, x = 32 + i * row_h, float(left)
        bar_y, base = y + (row_h - BAR_PX) / 2, y + row_h / 2 + 4
        parts.append(_row_label(lines[i], lab, x=left - 8, y=y, row_h=row_h))
        for g, colour in GRADE_COLOURS.items():
            n = int(c.get(g, 0))
            if not n:
                continue
            w = n * scale
            parts.append(f'<rect x="{x:.1f}" y="{bar_y}" width="{w:.1f}" height="{BAR_PX}" '
                         f'fill="{colour}"><title>{_e(lab)} {g}: {n}</title></rect>'
                         f'<text x="{x + w / 2:.1f}" y="{base}" font-size="11" '
                         f'text-anchor="middle">{g}{n}</text>')
            x += w
        if not sum(c.values()):
            parts.append(f'<text x="{left + 4}" y="{base}" font-size="12" fill="#999">'
                         'no graded plots</text>')
    legend = "".join(f'<rect x="{left + i * 70}" y="{height - 16}" width="12" height="12" '
                     f'fill="{col}"/><text x="{left + i * 70 + 16}" y="{height - 6}" '
                     f'font-size="11">{g}</text>' for i, (g, col) in enumerate(
                         GRADE_COLOURS.items()))
    parts.append(legend + "</g></svg>")
    return "".join(parts)


def line_chart(title: str, series: dict[str, list[tuple[int, float]]], *, unit: str) -> str:
    """Lines of (year, value) per park, as ``<svg>``."""
    left, width, top_pad, height = 90, 760, 30, 300
    pts = [p for s in series.values() for p in s if math.isfinite(p[1])]
    if not pts:
        return ""
    x0, x1 = min(p[0] for p in pts), max(p[0] for p in pts)
    ymax = max(p[1] for p in pts) or 1.0
    x1 = x1 if x1 > x0 else x0 + 1
    def sx(year: float) -> float:
        return left + (year - x0) / (x1 - x0) * (width - left - 150)
    def sy(v: float) -> float:
        return height - 30 - v / ymax * (height - 30 - top_pad - 10)
    colours = ["#4575b4", "#d73027", "#1a9850", "#984ea3", "#ff7f00", "#a65628"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_e(title)}">',
             f'<text x="0" y="18" font-size="15" font-weight="bold">{_e(title)}</text>',
             f'<line x1="{left}" x2="{left}" y1="{top_pad}" y2="{height - 30}" stroke="#999"/>',
             f'<line x1="{left}" x2="{width - 150}" y1="{height - 30}" y2="{height - 30}" '
             'stroke="#999"/>',
             f'<text x="{left - 6}" y="{sy(ymax) + 4:.1f}" font-size="10" text-anchor="end">'
             f'{ymax:,.2f}</text>',
             f'<text x="{left - 6}" y="{height - 30}" font-size="10" text-anchor="end">0</text>',
             f'<text x="{left - 6}" y="{top_pad - 8}" font-size="10" text-anchor="end">'
             f'{_e(unit)}</text>']
    for year in range(int(x0), int(x1) + 1):
        parts.append(f'<text x="{sx(year):.1f}" y="{height - 14}" font-size="10" '
                     f'text-anchor="middle">{year}</text>')
    for i, (name, s) in enumerate(series.items()):
        s = [p for p in s if math.isfinite(p[1])]
        if not s:
            continue
        c = colours[i % len(colours)]
        path = " ".join(f"{sx(y):.1f},{sy(v):.1f}" for y, v in s)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
        for y, v in s:
            parts.append(f'<circle cx="{sx(y):.1f}" cy="{sy(v):.1f}" r="3" fill="{c}">'
                         f'<title>{_e(name)} {y}: {v:,.2f}</title></circle>')
        parts.append(f'<text x="{width - 145}" y="{top_pad + 14 * i + 10}" font-size="11" '
                     f'fill="{c}"><title>{_e(name)}</title>{_e(_cut(name, 140, 11))}</text>')
    parts.append("</svg>")
    return "".join(parts)


PARK_SUMMARY = ["park_id", "name_zh", "name_en", "district_name_zh", "area_km2",
                "investment_yuan", "figures_status", "intensity_basis", "intensity_yi_per_km2",
                "intensity_wan_per_mu", "target_gap_yuan_per_km2", "required_annual_growth",
                "achieved_annual_growth", "output_intensity_yi_per_km2",
                "planned_investment_yuan", "planned_output_yuan",
                "plot_count", "idle_plot_count", "idle_area_mu", "grade_counts",
                "entry_fail_count"]
PLOT_KEYS = ["plot_id", "enterprise", "land_use", "area_mu", "idle_status", "idle_since",
             "idle_days", "idle_reason", "idle_consequence", "idle_fee_yuan"]
GRADE_KEYS = ["plot_id", "tax_wan_per_mu", "output_wan_per_mu", "investment_wan_per_mu",
              "score", "grade", "grade_reason", "entry_investment_wan_per_mu", "entry_pass",
              "entry_reason"]


#: Plots listed per park on the page: a page listing a province's plots would not open.
HTML_MAX_PLOTS = 2_000


def listed_plots(plots: pd.DataFrame) -> pd.DataFrame:
    """The plots a park's section lists: at most :data:`HTML_MAX_PLOTS`, idle and
    Art. 8 idle ones first, otherwise in table order."""
    if len(plots) <= HTML_MAX_PLOTS:
        return plots
    if "idle_status" not in plots.columns:
        return plots.head(HTML_MAX_PLOTS)
    rank = (plots["idle_status"].map({"idle": 0, "idle_art8": 1}).fillna(2)
            .to_numpy(dtype="int8"))
    return plots.iloc[rank.argsort(kind="stable")[:HTML_MAX_PLOTS]]  # stable: table order


def _name(r: dict[str, Any]) -> str:
    """The park's names for a chart label (plain SVG text), each isolated."""
    return isolated_names(r.get("name_zh"), r.get("name_en")) or str(r["park_id"])


def _name_html(r: dict[str, Any]) -> str:
    """The park's names as HTML, each in ``<bdi>``: an override in one stays in it."""
    parts = [bdi(r[k]) for k in ("name_zh", "name_en") if has_value(r.get(k))]
    return " ".join(parts) or _e(r["park_id"])


#: What separates the words of a warning, such as the ids it lists.
_WARNING_GAPS = re.compile(r"([\s,;:()]+)")


def _warning_html(text: str, ids: set[str]) -> str:
    """A warning as HTML in ``<bdi>``, each id in it (one of *ids*: the plots' and parks',
    or any word with a control or bidi character) in its own: a U+202E in a left-out plot's id then
    reverses that id only, not the rest of its line or the lines after it, as on the maps."""
    words = _WARNING_GAPS.split(text)
    return "<bdi>" + "".join(
        bdi(w) if i % 2 == 0 and w and (w in ids or has_control_chars(w)) else _e(w)
        for i, w in enumerate(words)) + "</bdi>"


def render_html(report: Report, *, title: str | None = None) -> str:
    """The whole report page (UTF-8 text).

    Parameters
    ----------
    report : Report
        A built report (with its evaluation).
    title : str, optional
        Page title; default names the year.
    """
    import pandas as pd

    ev = report.evaluation
    rows = records(report.park_table)
    names = [_name(r) for r in rows]
    title = title or (f"清远生物医药园区用地效率报告 / Qingyuan biomedical parks land-use "
                      f"report — {report.year or 'n/a'}")
    out = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>",
           f'<p class="note">Park statistics year {_e(report.year or "n/a")}; idle land classified '
           f"as of {_e(report.as_of.isoformat())} by MLR Order No. 53 (2012). Parks, planting "
           "areas and plots in the bundled data are approximate or illustrative.</p>"]
    if report.warnings:
        ids = ({str(p) for p in report.plot_table["plot_id"]}
               | {str(p) for p, _ in report.excluded_plots} | {str(r["park_id"]) for r in rows})
        out.append('<ul class="warn">' + "".join(f"<li>{_warning_html(w, ids)}</li>"
                                                 for w in report.warnings) + "</ul>")
    out.append("<nav>" + "".join(
        f'<a href="#park-{_e(r["park_id"])}">{_e(r["name_zh"] or r["park_id"])}</a>'
        for r in rows) + "</nav>")
    out.append("<h2>园区汇总 / Parks</h2>")
    parks = report.park_table
    out.append(html_table(parks, [k for k in PARK_SUMMARY if k in parks.columns]))
    out.append("<h2>图表 / Charts</h2>")
    # No target line: the target is fixed-asset investment ÷ industrial land, another basis.
    # Signed investment and the plots' investment are two bases: a chart each, not ranked
    # together.
    for kind, (zh, en) in INTENSITY_NUMERATORS.items():
        mine = [i for i, r in enumerate(rows)
                if intensity_numerator(r.get("intensity_basis")) == kind]
        if mine:
            out.append(bar_chart(
                f"{zh} {en} (亿元/km²; not land investment intensity, so no "
                "target line)", [names[i] for i in mine],
                [rows[i].get("intensity_yi_per_km2") or math.nan for i in mine],
                unit="亿元/km²"))
    from qygeo.core.trends import YUAN_PER_KM2_PER_TARGET_UNIT
    from qygeo.pipeline.evaluation import INVESTMENT_TARGET, OUTPUT_TARGET

    ref = _target_of(report, OUTPUT_TARGET)
    investment = _target_of(report, INVESTMENT_TARGET)
    # The output target is on industrial land, as the investment target beside it in the
    # paper: drawn over the output per industrial land area, not over gross park area.
    per_wan_ha = YUAN_PER_KM2_PER_TARGET_UNIT / YUAN_PER_YI
    out.append(bar_chart("工业用地地均产出 Output per industrial land area (亿元/km²) " + (
                             f"vs {ref[1]} target" if ref else "(no output target)"), names,
                         [_f(r.get("industrial_output_intensity_wan_per_ha")) * per_wan_ha
                          for r in rows],
                         unit="亿元/km²", reference=ref[0] if ref else None,
                         reference_label=f"{ref[1]} 目标 {ref[0]:,.4g} 亿元/km²" if ref else ""))
    achieved = _f(rows[0].get("achieved_annual_growth")) if rows else math.nan
    by = f"{investment[1]}" if investment else ""
    out.append(bar_chart(f"达成{by}土地投资强度目标所需年均增速 Yearly growth needed "
                         f"{'by ' + by + ' ' if by else ''}"
                         "(industrial-land fixed-asset investment intensity); "
                         "achieved 2019–2024: "
                         + ("n/a" if math.isnan(achieved) else f"{achieved:.1%}") + " a year",
                         names, [_f(r.get("required_annual_growth")) for r in rows],
                         percent=True))
    if ev is not None:
        out.append(grade_chart("亩均评价等级 Per-mu grades of plots (A/B/C/D)", names,
                               [r.get("grade_counts") or {} for r in rows]))
        out.append(_trend_section(ev.trends, dict(zip(report.park_table["park_id"], names,
                                                      strict=True))))
    for r in rows:
        out.append(_park_section(report, r))
    if len(report.planting):
        out.append("<h2>南药种植面积 / South-medicine planting acreage</h2>")
        out.append(html_table(report.planting))
    if ev is not None:
        out.append("<h2>闲置标记核对 / Stored idle flags checked against the rule</h2>")
        out.append(html_table(ev.idle_check) if len(ev.idle_check) else
                   '<p class="note">No stored idle flag in the plots table, or every stored '
                   "flag agrees with the rule.</p>")
        out.append("<h2>评价参数 / Grading configuration</h2>")
        out.append(html_table(pd.DataFrame(ev.config.as_rows())))
    out.append("</body></html>\n")
    return "\n".join(out)


def _target_of(report: Report, target: str) -> tuple[float, int] | None:
    """The targets.csv row *target* (its value in 亿元/km² for a yuan/km² measure, and its
    year) as the targets table has it, None when there is none."""
    ev = report.evaluation
    if ev is None or not len(ev.targets):
        return None
    from qygeo.core.trends import YUAN_PER_KM2_PER_TARGET_UNIT

    rows = ev.targets[ev.targets["target"] == target]
    if not len(rows):
        return None
    return (float(rows["target_value"].iloc[0]) * YUAN_PER_KM2_PER_TARGET_UNIT / YUAN_PER_YI,
            int(rows["target_year"].iloc[0]))


def _f(v: Any) -> float:
    v = json_value(v)
    return float(v) if isinstance(v, (int, float)) else math.nan


def _trend_section(trends: pd.DataFrame, names: dict[str, str]) -> str:
    if trends is None or not len(trends):
        return ('<p class="note">趋势 / Trends 2019–2024: the park statistics hold fewer than '
                "two years for every park, so there is no trend to draw.</p>")
    series: dict[str, list[tuple[int, float]]] = {}
    for pid, grp in trends.groupby("park_id"):
        series[names.get(pid, pid)] = [(int(y), v / 1e8) for y, v in zip(
            grp["year"], grp["intensity_yuan_per_km2"], strict=True)]
    return line_chart("投资强度趋势 Investment intensity trend (亿元/km²)", series,
                      unit="亿元/km²") + html_table(trends)


def _park_section(report: Report, r: dict[str, Any]) -> str:
    ev = report.evaluation
    pid = r["park_id"]
    parts = [f'<section id="park-{_e(pid)}"><h2>{_name_html(r)} ({_e(pid)})</h2>']
    body = "".join(f"<tr><th>{_e(_label(k))}</th>{_cell(k, r.get(k))}</tr>"
                   for k, *_ in COLUMNS if k not in ("park_id", "name_zh", "name_en"))
    # In a scroll box, as every table: a long unbroken value (an indicator key) widened
    # the page past a phone's screen.
    parts.append(f'<div class="table"><table><tbody>{body}</tbody></table></div>')
    if ev is not None:
        ind = ev.indicators[ev.indicators["park_id"] == pid]
        parts.append("<h3>开发区土地集约利用指标 / Development-zone indicators (TD/T 1029)</h3>")
        parts.append(html_table(ind, ["name_zh", "name_en", "value", "guangdong_2019", "unit",
                                      "status", "basis"],
                                {"guangdong_2019": "广东省开发区2019年评价 Guangdong 2019 "
                                                   "(2018 data)"}))
        tt = ev.targets[ev.targets["park_id"] == pid]
        parts.append("<h3>目标与标杆 / Targets and benchmarks</h3>")
        keys = ["target_name", "current", "current_as_of", "target_value", "unit",
                "target_year", "base_year", "gap", "met", "needed_annual_growth", "note"]
        # Headed as the xlsx targets sheet is: the growth is each row's figure's.
        parts.append(html_table(tt, keys, {k: heading(k) for k in keys}))
    plots = unjudged_empty(report.explained_plots)  # n/a: idle_days empty, not 0
    if len(plots) and "park_id" in plots.columns:
        mine = plots[plots["park_id"] == pid]  # own plots; a nested park has its own section
        if len(mine):
            shown = listed_plots(mine)
            parts.append("<h3>地块与闲置认定 / Plots and idle status (MLR Order No. 53)</h3>")
            if len(shown) < len(mine):
                parts.append(f'<p class="note">{len(shown):,} of {len(mine):,} plots '
                             f"listed, idle ones first; --format xlsx lists "
                             f"them all. 列出 {len(shown):,} / {len(mine):,} 块地。</p>")
            parts.append(html_table(shown, [k for k in PLOT_KEYS if k in shown.columns]))
            if ev is not None:
                g = ev.grading[ev.grading["park_id"] == pid]
                g = g[g["plot_id"].isin(shown["plot_id"])] if len(shown) < len(mine) else g
                parts.append("<h3>亩均评价 / Per-mu grading and entry thresholds</h3>")
                parts.append(html_table(g, GRADE_KEYS))
    parts.append("</section>")
    return "".join(parts)
