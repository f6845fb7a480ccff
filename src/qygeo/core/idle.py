"""Idle-land classification by the rule of MLR Order No. 53 (2012).

《闲置土地处置办法》(国土资源部令第53号, 2012):

* Article 2: land is idle when development has not started one full year
  after the start date agreed in the land contract (or allocation decision),
  or when it has started but the developed area is less than one third of the
  total, or the investment made is less than 25 % of the total investment, and
  development has been suspended for one full year.
* Article 8: a delay caused by the government or its departments (land not
  delivered on the agreed terms, planning revised, state policy changed,
  petitions, military control, cultural-relic protection, other government
  acts) or by force majeure such as a natural disaster does **not** make the
  land "not idle": it is still idle land, disposed of under Articles 12–13
  (extension of up to one year, change of use, temporary use, exchange,
  compensated recovery, …), without the idle-land fee and without
  uncompensated recovery; the holder must prove the cause. Such plots are
  counted as idle, with their own status :data:`STATUS_IDLE_ART8`.
* Article 14: land idle one full year (未动工开发满一年) pays an idle-land fee of
  20 % of the land price; two full years (未动工开发满两年) after the agreed start
  date, that is one year after it became idle, it is recovered without
  compensation (as 城市房地产管理法 Art. 26 counts: 满二年未动工开发 from the
  agreed start date). Article 14 disposes of "idle land", which Article 2 makes
  of a suspended plot too: its two periods are counted from the suspension.
* Article 30: "start of development" (动工开发) means, with a construction
  permit, the foundation pit dug for a project that needs one, all foundation
  piles driven for a piled project, or one third of the foundation work done
  for any other; "amount invested" and "total investment" (已投资额、总投资额)
  exclude the land price (出让价款、划拨价款) and the taxes and fees paid to
  the state. The data's ``actual_start_date``, ``invested_yuan`` and
  ``agreed_investment_yuan`` are read with these meanings (geodata/README.md).

Periods are counted as Civil Code Articles 201–203 (2020) count them: the
start day is not counted (Art. 201); a period of years ends on the
corresponding day of its last year, or on the last day of that month when it
has none (29 February → 28 February; Art. 202); it ends at 24:00 of that day
(Art. 203). So "one full year" after 2023-03-01 ends at the end of 2024-03-01
and the land is idle from 2024-03-02; after 2024-02-29 it ends with 2025-02-28
and the land is idle from 2025-03-01. Art. 203's moving of a last day that is
a public holiday to the next working day concerns acts due by a deadline and
is not applied to a state of the land.

This module is the only place those thresholds live. A stored idle flag in
the data (``idle_flag``, ``is_idle``, or a column ``idle`` / ``idle_status``
read as ``stored_idle`` / ``stored_idle_status``) is never used to decide; it
is only checked against the rule by :func:`check_stored_idle`.

Why about 800 lines: the rule's text is quoted beside each step, and the
verdict, its reasons, the reader of Art. 8 delay causes and the stored-flag
check share the period counting and the statuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from qygeo.values import arrow_text, text_kinds

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

#: Article 2's shares: developed area ≥ 1/3 of the total, investment ≥ 25 % of the total.
#: Compared as ``3 * developed < area`` and ``4 * invested < total`` (no rounded 1/3).
DEVELOPED_SHARE_MIN = 1.0 / 3.0
INVESTED_SHARE_MIN = 0.25
IDLE_FEE_SHARE_OF_LAND_PRICE = 0.20
#: A developed area larger than the plot's own by more than this share (a surveyed figure
#: beside an ellipsoidal area) is impossible: Art. 2's share of 应动工开发建设用地总面积
#: cannot exceed the whole, so the developed share is unknown rather than over 1.
DEVELOPED_AREA_SLACK = 0.01

DAYS_PER_YEAR = 365.2425

STATUS_IDLE = "idle"
STATUS_NOT_IDLE = "not_idle"
#: Idle, but caused by the government or force majeure (Art. 8): disposed of
#: under Arts. 12–13, no idle-land fee, no uncompensated recovery. Counted as idle.
STATUS_IDLE_ART8 = "idle_art8"
STATUS_UNKNOWN = "n/a"
#: How the Art. 8 status reads in reports and maps.
IDLE_ART8_LABEL = "idle, government/force-majeure cause: Arts. 12–13 disposal, no fee"

#: Delay-cause kinds (:func:`cause_kinds`).
CAUSE_NONE, CAUSE_GOVERNMENT, CAUSE_FORCE_MAJEURE, CAUSE_HOLDER, CAUSE_UNRECOGNISED = range(5)
CAUSE_NAMES = ("", "government", "force_majeure", "holder", "unrecognised")

# Wording read as each kind, matched in the trimmed lower-case text (Order No. 53
# Art. 8's list, in Chinese and English). Checked in this order: a text that
# denies a government cause ("非政府原因") is the holder's.
_NO_CAUSE = r"^(|none|no|n/a|na|-|无|否|没有)$"
#: Wording that denies a government cause: 与政府无关, 政府原因不成立, 政府已按期交地, "not
#: caused by the government", "land delivered per contract".
_NOT_GOV = (r"非因?政府|(与|和|跟|同)政府.{0,6}(无关|没关系|没有关系)|政府.{0,4}无关|"
            r"(不|非)(属于|是|涉及|因|由于|因为)?(为)?政府|并非(因为?|由于)?政府|"
            r"(无|没有|不存在|未发现|未见)(任何)?政府(方面)?的?(原因|责任|行为|因素)|(^|[^不能])排除(任何)?政府|"
            r"政府(方面)?(原因|责任)?(不成立|不属实|被否定|已排除)|不认定为?政府|"
            r"政府已(经)?((按期|按时|如期|依约|按约定|按合同)(履行|完成)?(了)?(交地|交付土地|交付"
            r"|移交土地)?|(履行|完成)(了)?(交地|交付土地|交付)|交地|交付土地|交付)(义务)?|"
            r"已(经)?(按期|按时|如期|按合同|依约|按约定)?(交地|交付土地|交付)|"
            r"not (caused by|due to|because of|attributable to|the fault of) (the )?government|"
            r"not (the )?government|non-government|neither (the )?government|"
            r"no government (cause|fault|responsibility|involvement|delay)|"
            r"(unrelated|nothing to do) (to|with) (the )?government|"
            r"government (was |is )?not (at fault|responsible|to blame)|"
            r"government cause (was )?(rejected|denied|unfounded|not (established|proven))|"
            r"(land|site) (was |were |had been |has been )?delivered (on time|as agreed|"
            r"per (the )?contract|as scheduled|on schedule)|"
            r"government delivered (the )?(land|site)( on time| as agreed| per (the )?contract)?")
#: Wording that denies force majeure: 非不可抗力, 不构成不可抗力, "no force majeure".
_NOT_FM = (r"非因?(不可抗力|自然灾害)|(无|没有|不存在|(^|[^不能])排除|不构成|不属于|不是|并非)"
           r"(任何)?"
           r"(不可抗力|自然灾害)|not (a |due to |caused by )?(force majeure|natural disaster)|"
           r"no (force majeure|natural disaster)|nor force majeure")
#: Negations that tell the government's failure or what it caused (政府未按期交地，企业无法
#: 动工; 规划审批未完成; "land not delivered", "could not start"): they support an Art. 8
#: cause, and are set aside before the text is searched for any other negation.
_GOV_FAILURE = (r"(未能?|没有?|不能|无法|迟迟未|尚未)(按期|按时|如期|及时|按约定|按合同)?"
                r"(交地|交付土地|交付|提供土地|移交土地)|(交地|交付)(延迟|推迟|滞后|延误)|"
                r"(规划|审批|报批|手续|许可|批复|调整|修改|变更|征地|拆迁)(尚)?(未|没有?)(能)?"
                r"(批|获批|批准|完成|办结|到位|审批|落实|下达)|"
                r"(未|没有?|尚未)(能)?(取得|获得|办理|完成|办结)[^，,；;。]{0,8}"
                r"(审批|许可|批复|手续|证)|"
                r"(企业|公司|项目)?(无法|不能|未能|没能)(动工|开工|施工|建设|进场)|"
                r"(land|site) (was |had |has |have )?(not|never) (yet )?(been )?"
                r"(delivered|handed over|provided|made available)( on time| as agreed| on "
                r"schedule| as scheduled)?|"
                r"(not|never) (yet )?(been )?(delivered|handed over)( on time| as agreed| on "
                r"schedule| as scheduled)?|"
                r"failed to (deliver|hand over|approve|issue)|"
                r"(did not|didn't|could not|couldn't|was unable to|were unable to) "
                r"(deliver|hand over|approve|issue)|not (yet )?(approved|granted|issued)|"
                r"(could not|couldn't|unable to|cannot) (start|begin|proceed|commence)|"
                r"delivered late|late delivery")
#: Any other negation or the holder's own act beside an Art. 8 cause (政府交地后企业未开工,
#: 经核查不属实, 企业申请调整规划, "company requested a zoning change"): the holder, who must
#: prove the cause (Art. 8), has not; such a text is left for a person.
_DOUBT = (r"不|非|无|没|未|否|排除|拒绝|驳回|申请|自行|\bnot\b|n't\b|\bno\b|\bnever\b|"
          r"\bneither\b|\bnor\b|\bwithout\b|reject|\bden(y|ied|ies|ial)\b|unfounded|"
          r"\bfalse\b|request|applied for|own initiative|on time|on schedule|as agreed")
#: Wording that puts the cause with the holder (its funds, its own reasons). A mention of
#: the enterprise as the one affected (政府未按期交地，企业无法动工) is not one.
_HOLDER = (r"自身|企业原因|公司原因|企业方原因|用地单位原因|使用权人原因|资金|贷款|融资|"
           r"^(holder|enterprise|company|developer)$|own cause|own reason|funding|financ|"
           r"loan|(holder|enterprise|company|developer)'s (own |fault|cause|reason)")
#: Wording that denies the holder's cause (政府原因（非企业自身原因）).
_NOT_HOLDER = (r"非企业|非用地单位|非使用权人|非.{0,4}自身|(与|和|跟)(企业|公司|用地单位|使用权人)"
               r".{0,4}(无关|没关系)|不是(企业|公司).{0,4}(原因|责任)|not (the )?(holder|"
               r"enterprise|company|developer)('s)?|no fault of the")
_GOVERNMENT = (r"^gov$|government|政府|有关部门|交地|交付土地|土地交付|未按.*交付|"
               r"(未能?|没有?|不能|无法)(按期|按时|如期|及时)?交付|"
               r"规划.{0,4}(修改|调整|变更|修编|审批|未批)|(修改|调整|变更).{0,4}规划|"
               r"planning (change|revision|revised|adjust|approval|permit)|"
               r"plan(ning)? (was |were )?(changed|revised|adjusted|not approved)|zoning|"
               r"land (was |has |had )?(not |never )?(been )?delivered|land delivery|"
               r"deliver(y|ed|ing)? (of )?(the )?land|"
               r"国家.*政策|政策.*(调整|变化|出台)|state policy|policy change|"
               r"信访|petition|军事|military|文物|考古|heritage|cultural relic|archaeolog|"
               r"拆迁|征地|relocation of residents|expropriation")
_FORCE_MAJEURE = (r"force.?majeure|不可抗力|自然灾害|natural disaster|地震|earthquake|洪水|洪涝|"
                  r"flood|台风|typhoon|泥石流|landslide|山体滑坡|滑坡灾害")


def _col(plots: pd.DataFrame, name: str, kind: str) -> np.ndarray:
    """Column *name* of *plots* as a numpy array: datetime64[D] (NaT), float64 (NaN) or text."""
    import pandas as pd

    n = len(plots)
    if name not in plots.columns:
        return {"date": np.full(n, np.datetime64("NaT"), dtype="M8[D]"),
                "num": np.full(n, np.nan)}.get(kind, np.full(n, None, dtype=object))
    s = plots[name]
    if kind == "date":
        return pd.to_datetime(s, errors="coerce").to_numpy(dtype="M8[ns]").astype("M8[D]")
    if kind == "num":
        return pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    return s


def add_years(dates: np.ndarray, years: int) -> np.ndarray:
    """*dates* (datetime64[D]) plus whole calendar *years*; 29 February becomes the 28th.

    The same day and month *years* later, as :class:`pandas.DateOffset`
    (``years=…``) counts: a day the target month lacks is its last day. NaT stays NaT.
    """
    dates = np.asarray(dates, dtype="M8[D]")
    days = dates.astype(np.int64)
    valid = ~np.isnat(dates)
    if not valid.any():
        return dates.copy()
    lo, hi = int(days[valid].min()), int(days[valid].max())
    if hi - lo + 1 > 4 * len(dates):
        return _add_years_each(dates, years)
    # A province's plots share a few thousand distinct days: the calendar arithmetic
    # (slow in numpy's month units) is done once per day of their range, then looked up.
    table = _add_years_each(np.arange(lo, hi + 1).astype("M8[D]"), years)
    out = np.full(dates.shape, np.datetime64("NaT"), dtype="M8[D]")
    out[valid] = table[days[valid] - lo]
    return out


def _add_years_each(dates: np.ndarray, years: int) -> np.ndarray:
    """:func:`add_years` computed date by date (vectorised month arithmetic)."""
    month = dates.astype("M8[M]")
    day = dates - month.astype("M8[D]")
    target = month + 12 * years
    start = target.astype("M8[D]")
    length = (target + 1).astype("M8[D]") - start
    return start + np.minimum(day, length - np.timedelta64(1, "D"))


def delay_causes(cause: object) -> pa.Array | pa.ChunkedArray:
    """Delay causes as compared and shown: trimmed, lower case, null where missing.

    *cause* is text per plot: a pandas Series (object, str or Arrow-backed),
    a numpy array or a pyarrow array.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.utf8_lower(pc.utf8_trim_whitespace(arrow_text(cause).cast(pa.large_string())))


def cause_kinds(cause: object) -> np.ndarray:
    """Each delay cause's kind (:data:`CAUSE_NAMES` codes), read from its wording.

    Order No. 53 Art. 8 names the causes that make an idle plot one disposed
    of under Arts. 12–13: the government or its departments (land not
    delivered on the agreed terms or date, planning approvals not completed,
    land-use or urban planning revised, state policy changed, petitions,
    military control, cultural-relic protection, other government acts) and
    force majeure such as a natural disaster. They are recognised in Chinese
    and English (``政府原因``, ``规划调整``, ``不可抗力``, ``自然灾害``,
    ``government``, ``natural disaster``, …, and the tokens ``government`` /
    ``force_majeure``), also when they name the enterprise as the one affected
    (``政府未按期交地，企业无法动工``, ``政府原因（非企业自身原因）``). Missing,
    empty or ``none`` is no cause; wording that puts the cause with the holder
    (``企业自身原因``, ``funding``) or denies an Art. 8 cause (``非政府原因``,
    ``与政府无关``, ``政府已按期交地``, ``not caused by the government``) is the
    holder's cause. Anything else, a text naming both an Art. 8 cause and the
    holder's, and one whose wording may deny the cause it names (``规划未调整``,
    ``the government delivered the land on time``) is :data:`CAUSE_UNRECOGNISED`:
    the rule judges it as no cause (Art. 8 puts the proof on the holder), and
    :func:`unrecognised_causes` names it.
    """
    return text_kinds(cause, lambda words: _distinct_cause_kinds(delay_causes(words)),
                      missing=CAUSE_NONE)


#: Delay causes read without judging wording: the codes and the plain names of the causes.
#: Any other text is read from its wording, which no reader of free text gets always
#: right (a date inside a denial, traditional characters, 政府 in an office's name), so
#: a verdict that rests on it is named for a person (:func:`unrecognised_causes`).
CANONICAL_CAUSES = {
    "government": CAUSE_GOVERNMENT, "政府原因": CAUSE_GOVERNMENT,
    "force_majeure": CAUSE_FORCE_MAJEURE, "force majeure": CAUSE_FORCE_MAJEURE,
    "不可抗力": CAUSE_FORCE_MAJEURE, "自然灾害": CAUSE_FORCE_MAJEURE,
    "holder": CAUSE_HOLDER, "企业原因": CAUSE_HOLDER, "企业自身原因": CAUSE_HOLDER,
}


def _distinct_cause_kinds(text: pa.Array) -> np.ndarray:
    """:func:`cause_kinds` of non-null texts, each read against the wording lists."""
    import pyarrow as pa
    import pyarrow.compute as pc

    hits = pc_hits

    def hit(pattern: str) -> np.ndarray:
        return hits(text, pattern)

    kinds = np.full(len(text), CAUSE_UNRECOGNISED, dtype=np.int8)
    if not len(text):
        return kinds
    # The denials are read first and set aside, so that 非不可抗力 in "政府原因，非不可抗力"
    # denies force majeure only, and the government cause stands.
    not_gov, not_fm = hit(_NOT_GOV), hit(_NOT_FM)
    rest = pc.replace_substring_regex(text, f"{_NOT_GOV}|{_NOT_FM}", " ")
    fm = hits(rest, _FORCE_MAJEURE)
    gov = hits(rest, _GOVERNMENT) & ~fm
    holder = hits(rest, _HOLDER) & ~hit(_NOT_HOLDER)
    kinds[fm] = CAUSE_FORCE_MAJEURE
    kinds[gov] = CAUSE_GOVERNMENT
    kinds[holder] = CAUSE_HOLDER
    # Both an Art. 8 cause and the holder's (企业资金不足，政府未催告): not read either way;
    # judged as no cause and named (unrecognised_causes), for a person to decide.
    kinds[(fm | gov) & holder] = CAUSE_UNRECOGNISED
    # Any negation left once the government's own failures and the denials of the holder's
    # cause are set aside (政府交地后企业未开工, 经核查不属实, 企业申请调整规划, "on time"):
    # the holder has not shown an Art. 8 cause; named for a person.
    bare = pc.replace_substring_regex(rest, f"{_GOV_FAILURE}|{_NOT_HOLDER}|{_FORCE_MAJEURE}",
                                      " ")  # 不可抗力 holds a 不 of its own
    kinds[(fm | gov) & hits(bare, _DOUBT)] = CAUSE_UNRECOGNISED
    # A text that denies an Art. 8 cause and states none is the holder's.
    kinds[(not_gov | not_fm) & ~(fm | gov)] = CAUSE_HOLDER
    kinds[hit(_NO_CAUSE)] = CAUSE_NONE
    # A code or a plain name is read as it is, whatever the wording lists say.
    names = list(CANONICAL_CAUSES)
    at = pc.index_in(text, value_set=pa.array(names, text.type)).to_numpy(
        zero_copy_only=False)
    known = ~np.isnan(at.astype("float64"))
    kinds[known] = [CANONICAL_CAUSES[names[int(i)]] for i in at[known]]
    return kinds


def art8_delay(cause: object) -> np.ndarray:
    """Whether each delay cause is one of Order No. 53 Art. 8's (see :func:`cause_kinds`)."""
    kinds = cause_kinds(cause)
    return (kinds == CAUSE_GOVERNMENT) | (kinds == CAUSE_FORCE_MAJEURE)


def unrecognised_causes(plots: pd.DataFrame, limit: int = 5) -> str | None:
    """A warning naming plots whose ``delay_cause`` a person must read, or None.

    Two kinds: a cause not recognised (judged as no cause: the holder must prove an
    Art. 8 cause), and a verdict that rests on free wording rather than a code or a
    plain name (:data:`CANONICAL_CAUSES`): an Art. 8 cause read from it (no fee, no
    uncompensated recovery), or a denial of one read from text that names one. The
    first *limit* plots of each are named with their text and reading.
    """
    if "delay_cause" not in plots.columns or not len(plots):
        return None
    import pandas as pd

    kinds = cause_kinds(plots["delay_cause"])
    # Read once per distinct wording, as cause_kinds reads them.
    worded = text_kinds(plots["delay_cause"], _worded, missing=0).astype(bool)
    ids = (plots["plot_id"] if "plot_id" in plots.columns
           else pd.Series(plots.index, index=plots.index))
    parts = []
    for mask, what in (
            (kinds == CAUSE_UNRECOGNISED, "give a delay cause that is neither an Order No. 53 "
                                          "Art. 8 cause nor the holder's, judged as no cause"),
            (worded, "have a delay cause read from its wording, not a code: check each "
                     "reading, or write government, force_majeure or holder")):
        rows = np.flatnonzero(mask)
        if not len(rows):
            continue
        named = ", ".join(
            f"{i} ({str(t)!r}" + ("" if what.startswith("give") else
                                  f" → {CAUSE_NAMES[k].replace('_', ' ')}") + ")"
            for i, t, k in zip(ids.iloc[rows[:limit]].tolist(),
                               plots["delay_cause"].iloc[rows[:limit]].tolist(),
                               kinds[rows[:limit]].tolist()))
        parts.append(f"{len(rows)} plot(s) {what}: {named}")
    return "; ".join(parts) or None


def _worded(cause: pa.Array) -> np.ndarray:
    """Whether each (non-null) cause's verdict rests on its wording: an Art. 8 cause read
    from text that is no code or plain name, or a denial of one from text naming one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = delay_causes(cause)
    kinds = _distinct_cause_kinds(text)
    canonical = pc.is_in(text, value_set=pa.array(list(CANONICAL_CAUSES), text.type)
                         ).to_numpy(zero_copy_only=False)
    art8 = (kinds == CAUSE_GOVERNMENT) | (kinds == CAUSE_FORCE_MAJEURE)
    names_art8 = pc_hits(text, f"{_GOVERNMENT}|{_FORCE_MAJEURE}")
    return (~canonical & (art8 | ((kinds == CAUSE_HOLDER) & names_art8))).astype(np.int8)


def pc_hits(values: pa.Array | pa.ChunkedArray, pattern: str) -> np.ndarray:
    """Whether each text of *values* holds *pattern* (RE2, as Arrow matches); a missing
    text holds nothing."""
    import pyarrow.compute as pc

    return pc.fill_null(pc.match_substring_regex(values, pattern), False).to_numpy(
        zero_copy_only=False).astype(bool)


#: Status codes of :func:`judge_idle` (index into :data:`STATUSES`).
STATUSES = (STATUS_NOT_IDLE, STATUS_IDLE, STATUS_IDLE_ART8, STATUS_UNKNOWN)
CODE_NOT_IDLE, CODE_IDLE, CODE_IDLE_ART8, CODE_UNKNOWN = range(4)
#: ``idle_consequence`` by code: none, the idle-land fee, recovery without compensation,
#: disposal under Arts. 12–13 (an Art. 8 cause).
CONSEQUENCES = ("", "fee", "recovery", "arts_12_13_disposal")


def period_end(start: np.ndarray, years: int) -> np.ndarray:
    """The last day of a period of *years* years counted from *start* (Civil Code Arts. 201–202).

    The start day is not counted; the period ends with the corresponding day
    *years* later, or with the last day of that month when it has none
    (2024-02-29 + 1 year ends with 2025-02-28). The period runs to 24:00 of
    that day (Art. 203), so the state it defines holds from the day after.
    """
    return add_years(start, years)


def day_after_period(start: np.ndarray, years: int) -> np.ndarray:
    """The first day after *years* full years from *start*: idle from, recovery from."""
    return period_end(start, years) + np.timedelta64(1, "D")


@dataclass
class IdleVerdict:
    """The rule's verdict on each plot (numpy arrays, one entry per plot).

    ``status`` codes index :data:`STATUSES`; ``clock`` is the date the
    one-year clock started (agreed start, or suspension; NaT when none),
    ``since`` the day after one full year from ``clock`` (:func:`day_after_period`)
    where idle (else NaT), ``days`` the days
    since ``since`` (0 unless idle); ``not_started_case`` / ``suspended_case``
    say which case of Article 2 started the clock; ``developed_share`` and
    ``invested_share`` are the shares the second case compares; ``developed_too_large``
    marks a developed area over the plot's own (:data:`DEVELOPED_AREA_SLACK`), whose
    share is unknown.
    """

    status: np.ndarray
    clock: np.ndarray
    since: np.ndarray
    days: np.ndarray
    recovery: np.ndarray
    not_started_case: np.ndarray
    suspended_case: np.ndarray
    developed_share: np.ndarray
    invested_share: np.ndarray
    developed_too_large: np.ndarray | None = None

    @property
    def idle(self) -> np.ndarray:
        """Idle, whatever the cause (Art. 8's plots are idle land too)."""
        return (self.status == CODE_IDLE) | (self.status == CODE_IDLE_ART8)


def judge_idle(as_of: np.datetime64, *, area_m2: np.ndarray, agreed_start: np.ndarray,
               actual_start: np.ndarray, suspended_since: np.ndarray,
               developed_area_m2: np.ndarray, invested_yuan: np.ndarray,
               agreed_investment_yuan: np.ndarray, art8: np.ndarray,
               has_start_columns: bool = True) -> IdleVerdict:
    """The MLR No. 53 rule on plain arrays: the one implementation of the rule.

    Parameters
    ----------
    as_of : numpy.datetime64
        Date of the assessment (day precision).
    area_m2 : numpy.ndarray
        Each plot's land area in m² (the total to be developed).
    agreed_start, actual_start, suspended_since : numpy.ndarray
        datetime64[D], NaT where unknown.
    developed_area_m2, invested_yuan, agreed_investment_yuan : numpy.ndarray
        float64, NaN where unknown.
    art8 : numpy.ndarray
        bool, the delay is caused by the government or force majeure
        (:func:`art8_delay`): idle all the same, with status ``idle_art8``.
    has_start_columns : bool
        False when the data has neither start-date column: nothing can be judged.
    """
    as_of = np.datetime64(as_of, "D")
    area_m2 = np.asarray(area_m2, dtype="float64")
    n = len(area_m2)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        developed_area_m2 = np.asarray(developed_area_m2, dtype="float64")
        too_large = developed_area_m2 > area_m2 * (1.0 + DEVELOPED_AREA_SLACK)
        developed_area_m2 = np.where(too_large, np.nan, developed_area_m2)
    with np.errstate(invalid="ignore", divide="ignore"):
        not_started = np.isnat(actual_start) | (actual_start > as_of)
        # Case 1: not started one full year after the agreed start date.
        c1 = not_started & ~np.isnat(agreed_start)
        # Case 2: started, under-developed or under-invested, suspended one full year.
        dev_share = developed_area_m2 / np.where(area_m2 > 0, area_m2, np.nan)
        inv_share = invested_yuan / np.where(agreed_investment_yuan > 0, agreed_investment_yuan,
                                             np.nan)
        low = (low_developed(developed_area_m2, area_m2)
               | low_invested(invested_yuan, agreed_investment_yuan))
    c2 = ~not_started & ~np.isnat(suspended_since) & (suspended_since <= as_of) & low
    clock = np.where(c1, agreed_start, np.where(c2, suspended_since, np.datetime64("NaT")))
    clock = clock.astype("M8[D]")
    running = np.flatnonzero(~np.isnat(clock))
    since = np.full(n, np.datetime64("NaT"), dtype="M8[D]")
    since[running] = day_after_period(clock[running], 1)
    idle = ~np.isnat(since) & (since <= as_of)
    status = np.full(n, CODE_NOT_IDLE, dtype=np.int8)
    status[idle] = CODE_IDLE
    status[idle & np.asarray(art8, dtype=bool)] = CODE_IDLE_ART8
    # Nothing to judge by: no start dates at all, or a plot suspended a full year whose
    # shares cannot clear it. Art. 2 makes it idle under 1/3 developed *or* under 25 %
    # invested, so with one share unknown the other, however high, decides nothing.
    suspended = np.flatnonzero(~not_started & ~np.isnat(suspended_since)
                               & (suspended_since <= as_of))
    year_on = np.zeros(n, dtype=bool)
    year_on[suspended] = day_after_period(
        np.asarray(suspended_since, dtype="M8[D]")[suspended], 1) <= as_of
    shares_unknown = year_on & ~low & (np.isnan(dev_share) | np.isnan(inv_share))
    unknown = ~idle & ((not_started & np.isnat(agreed_start)) | shares_unknown)
    if not has_start_columns:
        unknown[:] = True
    status[unknown] = CODE_UNKNOWN
    is_idle = (status == CODE_IDLE) | (status == CODE_IDLE_ART8)
    days = np.where(is_idle, (as_of - since).astype("timedelta64[D]").astype("int64"), 0)
    # Art. 14: uncompensated recovery two full years after the clock's start (the agreed
    # start or the suspension), never for Art. 8's plots.
    recovery = np.zeros(n, dtype=bool)
    idle_rows = np.flatnonzero(status == CODE_IDLE)
    recovery[idle_rows] = day_after_period(clock[idle_rows], 2) <= as_of
    return IdleVerdict(status=status, clock=clock,
                       since=np.where(idle, since, np.datetime64("NaT")).astype("M8[D]"),
                       days=days, recovery=recovery, not_started_case=c1, suspended_case=c2,
                       developed_share=dev_share, invested_share=inv_share,
                       developed_too_large=too_large)


def low_developed(developed_area_m2: np.ndarray, area_m2: np.ndarray) -> np.ndarray:
    """Developed area less than one third of the total (Art. 2), exactly: ``3·developed < area``."""
    # A value too large to judge (refused as implausible) overflows to inf: not low, and
    # no warning for the user beside the refusal.
    with np.errstate(invalid="ignore", over="ignore"):
        return (3.0 * np.asarray(developed_area_m2, dtype="float64")
                < np.asarray(area_m2, dtype="float64"))


def low_invested(invested_yuan: np.ndarray, total_yuan: np.ndarray) -> np.ndarray:
    """Investment made less than 25 % of the total (Art. 2; both without land price
    and taxes, Art. 30), exactly: ``4·invested < total``."""
    with np.errstate(invalid="ignore", over="ignore"):  # see low_developed
        total = np.asarray(total_yuan, dtype="float64")
        return (4.0 * np.asarray(invested_yuan, dtype="float64") < total) & (total > 0)


def share_below(share: float, limit: float) -> str:
    """*share* as a percentage with as many decimals as make it read less than *limit*.

    ``0.249`` against 25 % prints ``24.9%``, never ``25%``; ``0.33332`` against
    one third prints ``33.33%``.
    """
    pct = share * 100.0
    for digits in range(1, 7):
        text = f"{pct:.{digits}f}"
        if float(text) < limit * 100.0:
            return f"{text}%"
    return f"{pct!r}%"


def verdict_columns(v: IdleVerdict, land_price_yuan: np.ndarray,
                    reason: np.ndarray | None = None) -> dict[str, object]:
    """The idle columns of the per-plot table (see :func:`classify_idle`) from a verdict.

    ``idle_status`` and ``idle_consequence`` are categoricals of their few words (one
    byte a plot: a province's plots as text took a third of a gigabyte and the time
    to fill it); ``idle_reason`` is ``str``, as reasons are written into it later
    (:func:`qygeo.pipeline.report.with_idle_reasons`), taken from one Arrow string
    by code: a million Python strings would cost more than the whole rule.
    """
    import pandas as pd
    import pyarrow as pa

    def words(values: list[str], codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=pd.Index(values, dtype="str"),
                                         validate=False)

    def text(values: list[str], codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
        return pd.array(pa.array(values, pa.large_string()).take(codes), dtype="str")

    is_idle = v.idle
    fee_due = v.status == CODE_IDLE  # Art. 8's plots pay no idle-land fee
    n = len(v.status)
    return {
        "idle_status": words(list(STATUSES), v.status),
        "idle": is_idle,
        "idle_clock_start": v.clock.astype("M8[ns]"),
        "idle_since": v.since.astype("M8[ns]"),
        "idle_days": v.days,
        "idle_years": v.days / DAYS_PER_YEAR,
        "idle_reason": (text([""], np.zeros(n, np.int8)) if reason is None
                        else pd.array(reason, dtype="str")),
        "idle_fee_yuan": np.where(fee_due, land_price_yuan * IDLE_FEE_SHARE_OF_LAND_PRICE,
                                  np.nan),
        "idle_consequence": words(list(CONSEQUENCES),
                                  np.where(v.status == CODE_IDLE_ART8, 3,
                                           fee_due.astype(np.int8)
                                           + v.recovery.astype(np.int8)).astype(np.int8)),
    }


def verdict_reasons(v: IdleVerdict, agreed_start: np.ndarray, cause: object,
                    has_start_columns: bool) -> np.ndarray:
    """The reason text of each plot's verdict (a Python loop over the idle and n/a plots)."""
    n = len(v.status)
    reason = np.full(n, "", dtype=object)
    was_idle = v.idle
    with np.errstate(invalid="ignore"):
        # The shares are each plot's comparison of Art. 2, as judge_idle made it.
        low_dev = 3.0 * v.developed_share < 1.0
        low_inv = 4.0 * v.invested_share < 1.0
    for i in np.flatnonzero(was_idle):
        if v.not_started_case[i]:
            reason[i] = (f"not started one full year after the agreed start "
                         f"{v.clock[i].astype(object).isoformat()}")
        else:
            parts = []
            if low_dev[i]:
                parts.append(f"{share_below(v.developed_share[i], DEVELOPED_SHARE_MIN)} of the "
                             "area developed (less than one third)")
            if low_inv[i]:
                parts.append(f"{share_below(v.invested_share[i], INVESTED_SHARE_MIN)} of the "
                             "investment made (less than 25%)")
            reason[i] = (" and ".join(parts) + ", suspended since "
                         f"{v.clock[i].astype(object).isoformat()}")
    art8 = np.flatnonzero(v.status == CODE_IDLE_ART8)
    if len(art8):
        kinds = cause_kinds(cause)
        for i in art8:
            reason[i] = (f"{reason[i]}; delay caused by "
                         f"{CAUSE_NAMES[kinds[i]].replace('_', ' ')} (Order No. 53 Art. 8): "
                         "still idle, disposed of under Arts. 12–13, no idle-land fee, "
                         "no uncompensated recovery; the holder must prove the cause")
    for i in np.flatnonzero(v.status == CODE_UNKNOWN):
        reason[i] = ("no agreed start date" if not has_start_columns or np.isnat(agreed_start[i])
                     else "developed area larger than the plot itself: the developed share "
                     "cannot be judged" if v.developed_too_large is not None
                     and v.developed_too_large[i]
                     else "developed area and investment shares unknown")
    return reason


def classify_idle(plots: pd.DataFrame, as_of: object, plot_area_m2: object, *,
                  reasons: bool = True) -> pd.DataFrame:
    """Classify each plot as idle or not on date *as_of* (:func:`judge_idle` on a DataFrame).

    Parameters
    ----------
    plots : pandas.DataFrame
        Plots with (some of) ``agreed_start_date``, ``actual_start_date``,
        ``suspended_since``, ``delay_cause``, ``developed_area_m2``,
        ``invested_yuan``, ``agreed_investment_yuan``, ``land_price_yuan``.
    as_of : date-like
        The date of the assessment.
    plot_area_m2 : array-like
        Each plot's land area in m² (the total to be developed).
    reasons : bool, default True
        Write ``idle_reason``; False leaves it empty, which saves a Python loop
        over the idle plots when only counts and areas are needed (big reports).

    Returns
    -------
    pandas.DataFrame
        Same index, columns ``idle_status`` (``idle``, ``not_idle``,
        ``idle_art8`` — idle with an Art. 8 cause, ``n/a``), ``idle`` (bool,
        true for both idle statuses), ``idle_clock_start`` (date the
        one-year clock started: agreed start, or suspension), ``idle_since``
        (the day after one full year from the clock start), ``idle_days`` (days
        since ``idle_since``, 0 if not idle), ``idle_years`` (``idle_days`` /
        365.2425), ``idle_reason`` (text), ``idle_fee_yuan`` (20 % of the land
        price once idle, NaN if the price is unknown or the cause is Art. 8's),
        ``idle_consequence`` (``fee``, ``recovery``, ``arts_12_13_disposal`` or empty).
    """
    import pandas as pd

    v = judge_plots(plots, as_of, plot_area_m2)
    has_start = "agreed_start_date" in plots.columns or "actual_start_date" in plots.columns
    reason = (verdict_reasons(v, _col(plots, "agreed_start_date", "date"),
                              _col(plots, "delay_cause", "text"), has_start)
              if reasons else None)
    return pd.DataFrame(verdict_columns(v, _col(plots, "land_price_yuan", "num"), reason),
                        index=plots.index)


#: Verdict columns of :func:`classify_idle` that hold a value for every plot, also one
#: the rule cannot judge (``idle_status`` n/a): false, 0 days, 0 years.
UNJUDGED_EMPTY_COLUMNS = ("idle", "idle_days", "idle_years")


def unjudged_empty(plots: pd.DataFrame) -> pd.DataFrame:
    """*plots* with ``idle``, ``idle_days`` and ``idle_years`` empty where ``idle_status``
    is n/a, for tables others read (the GIS layers, the xlsx plots sheet).

    Inside qygeo a plot the rule cannot judge is counted apart (``unjudged_plot_count``),
    so false and 0 keep the sums simple; written out, they would tell a reader or a GIS
    filter (``idle = false``) that the plot was judged not idle. ``idle`` becomes a
    nullable boolean and ``idle_days`` a nullable integer, so the formats keep their
    types (``idle_years`` NaN).
    """
    if "idle_status" not in plots.columns:
        return plots
    unjudged = (plots["idle_status"] == STATUS_UNKNOWN).to_numpy(dtype=bool, na_value=False)
    if not unjudged.any():
        return plots
    out = plots.copy()
    for col, dtype in zip(UNJUDGED_EMPTY_COLUMNS, ("boolean", "Int64", "float64"), strict=True):
        if col in out.columns:
            out[col] = out[col].astype(dtype).mask(unjudged)
    return out


def judge_plots(plots: pd.DataFrame, as_of: object, plot_area_m2: object, *,
                art8: np.ndarray | None = None) -> IdleVerdict:
    """:func:`judge_idle` on the columns of *plots* (missing columns: unknown values).

    *art8* may be given when already computed (from Arrow text, faster);
    default :func:`art8_delay` of ``delay_cause``.
    """
    import pandas as pd

    if art8 is None:
        art8 = (art8_delay(plots["delay_cause"]) if "delay_cause" in plots.columns
                else np.zeros(len(plots), dtype=bool))  # no column: no cause to read
    return judge_idle(
        np.datetime64(pd.Timestamp(as_of).date(), "D"),
        area_m2=np.asarray(plot_area_m2, dtype="float64"),
        agreed_start=_col(plots, "agreed_start_date", "date"),
        actual_start=_col(plots, "actual_start_date", "date"),
        suspended_since=_col(plots, "suspended_since", "date"),
        developed_area_m2=_col(plots, "developed_area_m2", "num"),
        invested_yuan=_col(plots, "invested_yuan", "num"),
        agreed_investment_yuan=_col(plots, "agreed_investment_yuan", "num"),
        art8=art8,
        has_start_columns="agreed_start_date" in plots.columns
        or "actual_start_date" in plots.columns)


#: Columns that may hold an idle flag set by hand, in order of preference.
STORED_IDLE_COLUMNS = ("idle_flag", "is_idle", "stored_idle", "stored_idle_status")
_TRUE = {"true", "yes", "y", "1", "idle", "是", "闲置", "t"}
_FALSE = {"false", "no", "n", "0", "not_idle", "否", "f", "", "none"}


def stored_idle_column(plots: pd.DataFrame) -> str | None:
    """The column of *plots* holding a stored idle flag, or None.

    The first of :data:`STORED_IDLE_COLUMNS` that has a value, else the first present.
    """
    present = [c for c in STORED_IDLE_COLUMNS if c in plots.columns]
    # A filled column nearly always shows a value in its first rows; the rest
    # (a slow scan for object columns) is read only when those are all empty.
    filled = [c for c in present if plots[c].iloc[:1024].notna().any()
              or plots[c].iloc[1024:].notna().any()]
    return (filled or present or [None])[0]


def _as_flag(v: object) -> bool | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return bool(v)
    s = str(v).strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def check_stored_idle(plots: pd.DataFrame, classified: pd.DataFrame) -> pd.DataFrame:
    """Plots whose stored idle flag disagrees with the rule's verdict.

    Parameters
    ----------
    plots : pandas.DataFrame
        Plots, possibly with a stored flag column (:func:`stored_idle_column`).
        Values read as true: true/yes/1/idle/是/闲置; false: false/no/0/not_idle/否
        or empty. Anything else is reported as unreadable.
    classified : pandas.DataFrame
        :func:`classify_idle`'s result for the same plots (same index).

    Returns
    -------
    pandas.DataFrame
        ``plot_id``, ``stored_column``, ``stored_value``, ``rule_status``,
        ``rule_reason``, ``problem``; one row per disagreement (a plot the data
        calls idle that the rule does not, or the reverse; an ``idle_art8``
        plot is idle). Empty when there is no flag column.
        Plots the rule cannot judge (``n/a``) are not reported. Every column
        holds Python objects (``stored_value`` as stored, whatever its type).
    """
    import pandas as pd

    cols = ["plot_id", "stored_column", "stored_value", "rule_status", "rule_reason", "problem"]
    col = stored_idle_column(plots)
    if col is None:
        return pd.DataFrame(columns=cols)
    same = classified.index.equals(plots.index)
    verdict = classified[["idle_status", "idle_reason"]]
    verdict = verdict if same else verdict.loc[plots.index]
    status = verdict["idle_status"]
    stored = plots[col]
    # Each distinct stored value is read once, in the column's own dtype.
    codes, uniques = pd.factorize(stored)
    read = [_as_flag(u) for u in uniques]
    flags = np.array([{True: 1, False: 0, None: -1}[f] for f in read] + [-1], dtype=np.int8)[codes]
    # A NaN can be a value of its own here (Arrow floats); as a Python object it is no flag.
    unreadable = np.array([f is None and not (u is None or (isinstance(u, float) and np.isnan(u)))
                           for f, u in zip(read, uniques)] + [False], dtype=bool)[codes]
    # Missing values: None and NaN are no flag; pd.NA, NaT and the like are not flags.
    # Only the missing rows become Python objects, and are judged by type (a
    # float there is NaN).
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        tcodes, types = pd.factorize(np.frompyfunc(type, 1, 1)(
            stored.iloc[missing].astype(object).to_numpy()))
        unreadable[missing] = np.array(
            [not (t is type(None) or issubclass(t, float)) for t in types], dtype=bool)[tcodes]
    rule_idle = status.isin((STATUS_IDLE, STATUS_IDLE_ART8)).to_numpy(bool, na_value=False)
    judged = ~(status == STATUS_UNKNOWN).to_numpy(bool, na_value=False)
    rows = np.flatnonzero(judged & (unreadable | ((flags >= 0) & ((flags == 1) != rule_idle))))
    if not len(rows):
        return pd.DataFrame(columns=cols)

    values = stored.iloc[rows].astype(object).to_numpy()
    rule = status.iloc[rows].to_numpy(dtype=object)
    problem = [f"stored value {v!r} is not a yes/no flag" if bad
               else f"stored as idle, but the rule says {r}" if flag == 1
               else "stored as not idle, but the rule says idle"
               for v, bad, flag, r in zip(values, unreadable[rows], flags[rows], rule, strict=True)]
    ids = plots["plot_id"] if "plot_id" in plots.columns else pd.Series(plots.index, plots.index)
    return pd.DataFrame({"plot_id": ids.iloc[rows].to_numpy(dtype=object),
                         "stored_column": np.full(len(rows), col, dtype=object),
                         "stored_value": values, "rule_status": rule,
                         "rule_reason": verdict["idle_reason"].iloc[rows].to_numpy(dtype=object),
                         "problem": np.array(problem, dtype=object)}, columns=cols)
