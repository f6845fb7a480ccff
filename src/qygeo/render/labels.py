"""Column headings in Chinese and English with units, and the number format of each column.

The report's park columns are labelled in :data:`qygeo.pipeline.report.COLUMNS`;
the columns of the other tables (plots, grading, indicators, targets, planting …)
here. A spreadsheet reader sees ``中文 English (unit)``; scripts keep the code
names (JSON keys, CSV headers).
"""

from __future__ import annotations

import html

from qygeo.render.format import is_percent, is_whole_number, is_year
from qygeo.render.styles import PLOT_STATUS

#: key → (中文, English, unit) for the columns of the tables other than the park table.
FIELD_LABELS: dict[str, tuple[str, str, str]] = {
    "plot_id": ("地块编号", "Plot id", ""),
    "park_id": ("园区编号", "Park id", ""),
    "project": ("项目", "Project", ""),
    "enterprise": ("企业", "Enterprise", ""),
    "land_use": ("用途", "Land use", ""),
    "area_m2": ("面积", "Area", "m²"),
    "contract_date": ("合同日期", "Contract date", ""),
    "agreed_start_date": ("约定开工日期", "Agreed start", ""),
    "actual_start_date": ("实际开工日期", "Actual start", ""),
    "suspended_since": ("停工日期", "Suspended since", ""),
    "delay_cause": ("延误原因", "Delay cause", ""),
    "agreed_investment_yuan": ("约定投资额", "Agreed investment", "元 yuan"),
    "invested_yuan": ("已投资额", "Invested", "元 yuan"),
    "developed_area_m2": ("已开发面积", "Developed area", "m²"),
    "floor_area_m2": ("建筑面积", "Floor area", "m²"),
    "land_price_yuan": ("土地价款", "Land price", "元 yuan"),
    "idle_status": ("闲置认定", "Idle status", ""),
    "idle": ("是否闲置", "Idle", ""),
    "idle_clock_start": ("闲置起算日", "Idle clock start", ""),
    "idle_since": ("闲置起始日", "Idle since", ""),
    "idle_days": ("闲置天数", "Idle days", "天 days"),
    "idle_years": ("闲置年数", "Idle years", "年 years"),
    "idle_reason": ("认定理由", "Reason", ""),
    "idle_fee_yuan": ("闲置费", "Idle-land fee", "元 yuan"),
    "idle_consequence": ("处置", "Consequence (Order No. 53)", ""),
    "tax_wan_per_mu": ("亩均税收", "Tax per mu", "万元/亩"),
    "output_wan_per_mu": ("亩均产值", "Output per mu", "万元/亩"),
    "value_added_wan_per_mu": ("亩均增加值", "Value added per mu", "万元/亩"),
    "investment_wan_per_mu": ("亩均投资", "Investment per mu", "万元/亩"),
    "score": ("得分", "Score", ""),
    "grade": ("等级", "Grade", ""),
    "grade_reason": ("等级说明", "Grade reason", ""),
    "entry_investment_wan_per_mu": ("准入投资强度", "Entry investment per mu", "万元/亩"),
    "entry_investment_min_wan_per_mu": ("准入投资门槛", "Entry investment threshold",
                                        "万元/亩"),
    "entry_output_min_wan_per_mu": ("准入产值门槛", "Entry output threshold", "万元/亩"),
    "entry_tax_min_wan_per_mu": ("准入税收门槛", "Entry tax threshold", "万元/亩"),
    "entry_investment_ok": ("投资达标", "Investment meets entry", ""),
    "entry_output_ok": ("产值达标", "Output meets entry", ""),
    "entry_tax_ok": ("税收达标", "Tax meets entry", ""),
    "entry_pass": ("达准入标准", "Meets entry thresholds", ""),
    "entry_reason": ("准入说明", "Entry reason", ""),
    "plot_ids": ("地块", "Plots", ""),
    "indicator": ("指标代码", "Indicator", ""),
    "value": ("值", "Value", ""),
    "guangdong_2019": ("广东省2019年评价", "Guangdong 2019 evaluation", ""),
    "unit": ("单位", "Unit", ""),
    "status": ("性质", "Status", ""),
    "basis": ("口径", "Basis", ""),
    "target": ("目标代码", "Target", ""),
    "target_name": ("目标", "Target name", ""),
    "measure": ("度量", "Measure", ""),
    "current": ("现值", "Current", ""),
    "current_status": ("现值性质", "Current figure's status (ok, partial, n/a)", ""),
    "current_as_of": ("现值时点", "Current figure as of (base year of the growth)", ""),
    "target_value": ("目标值", "Target value", ""),
    "target_year": ("目标年份", "Target year", ""),
    "base_year": ("基准年份", "Base year", ""),
    "years_left": ("剩余年数", "Years left", ""),
    "gap": ("差距", "Gap", ""),
    "met": ("已达标", "Met", ""),
    # The row's own figure (measure) and target: not the park table's required_annual_growth.
    "needed_annual_growth": ("所需年均增速", "Yearly growth needed by the target year "
                             "(of the row's figure)", ""),
    "note": ("说明", "Note", ""),
    "signed_investment_yuan": ("签约投资额", "Signed investment", "元 yuan"),
    "figure_id": ("数据编号", "Figure id", ""),
    "planting_ids": ("种植区", "Planting areas", ""),
    "reported_mu": ("文献面积", "Reported", "亩 mu"),
    "mapped_mu": ("图测面积", "Mapped", "亩 mu"),
    "mapped_quality": ("图测边界性质", "Mapped boundaries' quality", ""),
    "difference_mu": ("图测−文献", "Mapped − reported", "亩 mu"),
    "difference_share": ("差异比例", "Difference", ""),
    "stored_column": ("存储字段", "Stored column", ""),
    "stored_value": ("存储值", "Stored value", ""),
    "rule_status": ("规则认定", "Rule's status", ""),
    "rule_reason": ("规则理由", "Rule's reason", ""),
    "problem": ("问题", "Problem", ""),
    "section": ("类别", "Section", ""),
    "key": ("项目", "Key", ""),
}

def labels_of(key: str) -> tuple[str, str, str] | None:
    """(中文, English, unit) of a column, or None when it has no label."""
    from qygeo.pipeline.report import COLUMNS

    for k, zh, en, unit in COLUMNS:
        if k == key:
            return zh, en, unit
    return FIELD_LABELS.get(key)


def heading(key: str) -> str:
    """``中文 English (unit)`` of a column; its code name when it has no label."""
    found = labels_of(key)
    if found is None:
        return key
    zh, en, unit = found
    return f"{zh} {en}" + (f" ({unit})" if unit else "")


def number_format(key: str) -> str | None:
    """Excel number format of a numeric column, by what its name says it holds.

    Money and per-km² figures in whole yuan with thousands separators; 亿元 and
    万元 rates with two decimals; areas by unit; fractions as percentages; years
    without separators; counts as whole numbers. None: leave Excel's General.
    """
    if is_year(key):
        return "0"
    if is_percent(key):
        return "0.0%"
    if key.endswith(("_yi_per_km2", "_wan_per_mu", "_wan_per_ha")):
        return "#,##0.00"
    if key.endswith(("_yuan", "_yuan_per_km2", "_m2")):
        return "#,##0"
    if key.endswith("_km2"):
        return "#,##0.000"
    if key.endswith("_mu"):
        return "#,##0.0"
    if key.endswith("_ha"):
        return "#,##0.00"
    if is_whole_number(key) or key.endswith("_days"):  # counts (years are matched above)
        return "#,##0"
    if key == "years_left":  # to the end of the target year, in fractions of a year
        return "0.00"
    return None


#: Columns of the long tables (indicators, targets) whose unit is each row's ``unit``,
#: and the Excel format of each unit there.
ROW_UNIT_KEYS = ("value", "guangdong_2019", "current", "target_value", "gap")
UNIT_FORMATS = {"share": "0.0%", "ratio": "0.00", "万元/公顷": "#,##0.00", "万元/亩": "#,##0.00",
                "亿元/km²": "#,##0.00", "元/km²": "#,##0", "yuan/km2": "#,##0",
                "10k_yuan/ha": "#,##0.00"}


#: Code words of the data and the rule, as a reader sees them (中文 English).
VALUE_WORDS: dict[str, dict[str, str]] = {
    "kind": {"high_tech_zone": "高新区 High-tech zone", "industrial_park": "产业园 Industrial park",
             "specialised_park": "专业园区 Specialised park",
             "medicine_park": "医药产业园 Medicine park",
             "resource_base": "药材资源基地 Medicinal-resource base"},
    "boundary_quality": {"surveyed": "实测 surveyed", "official": "官方 official",
                         "approximate": "近似 approximate", "illustrative": "示意 illustrative"},
    # the maps' words for each status (render/styles.py), the same on every output
    "idle_status": {status: words for status, (words, _) in PLOT_STATUS.items()},
    "idle_consequence": {
        "fee": "闲置费 idle fee (20% of land price)",
        "recovery": "无偿收回 recovery without compensation (未动工开发满两年: two full years "
                    "past the agreed start or the suspension)",
        "arts_12_13_disposal": "按第十二、十三条处置，不征闲置费 disposal under Arts. 12–13 "
                               "(government/force-majeure cause), no idle fee"},
    "figures_status": {"actual": "实际 actual", "estimate": "估计 estimate",
                       "planned": "计划 planned"},
    "status": {"actual": "实际 actual", "estimate": "估计 estimate", "planned": "计划 planned",
               "target": "目标 target", "benchmark": "标杆 benchmark"},
    "investment_basis": {"plots: sum of invested_yuan":
                         "地块已投资额合计 sum of the plots' investment made"},
}


def words(key: str, value: object) -> object:
    """*value* of column *key* in words, when it is one of the code words; else as it is."""
    table = VALUE_WORDS.get(key)
    if table is None or not isinstance(value, str):
        return value
    return table.get(value, value)


#: How the maps flag a plot marked ``boundary_quality = illustrative``: its status,
#: dates, fee and colour are computed from invented figures, and a page must not show
#: them as fact (the report counts such plots per park and warns).
ILLUSTRATIVE_PLOT = "示意地块，数据虚构 Illustrative plot: invented data"


def illustrative_mark(flag: bool) -> str:
    """The HTML flag after an illustrative plot's name in tooltips and popups; "" if not."""
    if not flag:
        return ""
    return f' <span class="qygeo-ill">{html.escape(ILLUSTRATIVE_PLOT)}</span>'
