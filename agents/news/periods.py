"""Period expressions in folded text, resolved to one fiscal quarter with the company's calendar.

Forms read (folded: simplified, half-width, lower case):

- fiscal, with year: 2026财年第一季度, 2026财年q1, fy2026 q1, fy26q1, fiscal 2026 first quarter,
  first quarter of fiscal 2026, fiscal q1 2026
- fiscal, no year: 第三财季, fiscal third quarter, fiscal q3 (the latest such quarter that ended
  before the article was published)
- calendar, with year: 2025年第二季度, 2025年二季度, 2025年q2, q2 2025, 2025 q2, second quarter
  of 2025 (mapped to the company's fiscal label: calendar 2025Q2 is Alibaba's FY2026Q1)
- quarter end date: 截至2025年6月30日止季度, 截至2025年6月30日的三个月, quarter ended june 30, 2025,
  three months ended september 30
- bare quarter: 第二季度, 二季度, q2, second quarter (resolved for calendar-year companies; for
  a company whose fiscal year is not the calendar year it is *ambiguous*, never guessed)
- quarter named by its months: june quarter, september quarter, three months to september,
  the january-march period, 2025年1-3月, 截至九月底止季度; 首季 is the first quarter
- a year before: 去年同期, 上年同期, a year earlier (four quarters before the anchor)
- relative: 本季度/当季/最新一季/this quarter (the article's anchor period, else the latest quarter
  ended before publication), 上季度/上个季度/last quarter (one before the anchor, else the
  latest quarter ended before publication)

Usage::

    mentions = find_periods(folded_text)
    resolved = resolve(mentions[0], company, published_at=article.published_at, anchor=None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from schemas.company import Company
from schemas.fiscal import FiscalPeriodError, month_end

Kind = Literal["fiscal", "fiscal_q", "calendar", "end_date", "quarter", "current", "previous", "year_ago"]

_Q = r"(?:第?(?P<qzh>[一二三四1-4首])(?:季度|财季|季)|q(?P<qen>[1-4])|(?P<qword>first|second|third|fourth|1st|2nd|3rd|4th)[- ]quarter)"
_QWORD = {"首": 1, "first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4,
          "一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"], start=1)}
_ZH_MONTH = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10, "十一": 11,
             "十二": 12}
_MONTH = r"(?P<month_en>january|february|march|april|may|june|july|august|september|october|november|december)"

_FORMS: list[tuple[Kind, re.Pattern[str]]] = [
    ("end_date", re.compile(r"截至(?P<y>\d{4})年(?P<m>\d{1,2})月(?P<d>\d{1,2})日(?:止)?(?:的)?(?:[三3]个月|季度|财季)")),
    ("end_date", re.compile(rf"(?:quarter|three months|period) end(?:ed|ing) {_MONTH} (?P<d>\d{{1,2}})(?:,? (?P<y>\d{{4}}))?")),
    ("end_date", re.compile(rf"(?:quarter|three months|period) end(?:ed|ing) (?P<d>\d{{1,2}}) {_MONTH}(?:,? (?P<y>\d{{4}}))?")),
    ("end_date", re.compile(rf"{_MONTH} quarter")),
    ("end_date", re.compile(r"(?:january|april|july|october)-" + _MONTH + r" (?:period|quarter)")),
    ("end_date", re.compile(r"(?:(?P<y>\d{4})年)?(?:1|4|7|10)\s?[-—至到]\s?(?P<mzh>3|6|9|12)月份?")),
    ("end_date", re.compile(rf"(?:three months|quarter) to {_MONTH}(?: (?P<y>\d{{4}}))?")),
    ("end_date", re.compile(r"截至(?:(?P<y>\d{4})年)?(?P<mzh>\d{1,2}|十[一二]?|[一二三四五六七八九])月(?:底|末)止?(?:的)?(?:[三3]个月|季度|财季)")),
    ("fiscal", re.compile(rf"(?P<y>\d{{4}})\s?财年\s?(?:{_Q})")),
    ("fiscal", re.compile(r"fy\s?'?(?P<y>\d{4}|\d{2})\s?[- ]?q(?P<qen>[1-4])")),
    ("fiscal", re.compile(r"fiscal (?:year )?(?P<y>\d{4}|'\d{2}) (?P<qword>first|second|third|fourth)[- ]quarter")),
    ("fiscal", re.compile(r"(?P<qword>first|second|third|fourth)[- ]quarter of (?:the )?fiscal (?:year )?(?P<y>\d{4})")),
    ("fiscal", re.compile(r"fiscal (?:q(?P<qen>[1-4])|(?P<qword>first|second|third|fourth)[- ]quarter),? (?P<y>\d{4})")),
    ("fiscal_q", re.compile(r"第?(?P<qzh>[一二三四1-4首])财季|财季q(?P<qen>[1-4])|fiscal (?:q(?P<qen2>[1-4])|(?P<qword>first|second|third|fourth)[- ]quarter)")),
    ("calendar", re.compile(rf"(?P<y>\d{{4}})\s?年\s?(?:{_Q})")),
    ("calendar", re.compile(r"q(?P<qen>[1-4])\s?(?P<y>\d{4})|(?P<y2>\d{4})\s?q(?P<qen2>[1-4])")),
    ("calendar", re.compile(r"(?P<qword>first|second|third|fourth)[- ]quarter (?:of )?(?P<y>\d{4})")),
    ("previous", re.compile(r"上个?季度|上一季度|上季|前一季度|previous quarter|prior quarter|preceding quarter|last quarter|prior three months")),
    ("year_ago", re.compile(r"去年同期|上年同期|上年同季|去年同季|a year earlier|a year ago|the year-ago quarter|the same quarter (?:a|last) year")),
    ("current", re.compile(r"本季度|当季|该季度|本财季|最新一季度?|最新季度|最近一个季度|同期|this quarter|the latest quarter|"
                           r"the most recent quarter|the quarter(?! ended| ending)")),
    ("quarter", re.compile(rf"(?<!年)(?<!同期)(?:{_Q})")),
]
# A period right after these words is the base of a comparison ("较上季度提升"), not the
# period the figure belongs to.
_COMPARISON = re.compile(r"(?:较|比|相比|相较|对比|高于|低于|from|than|compared with|versus|vs\.?)\s?(?:the\s)?$")


@dataclass(frozen=True, slots=True)
class PeriodMention:
    start: int
    end: int
    kind: Kind
    year: int | None = None
    quarter: int | None = None
    end_date: date | None = None
    comparison: bool = False


@dataclass(frozen=True, slots=True)
class ResolvedPeriod:
    period_end: date | None
    fiscal_period: str | None
    status: Literal["resolved", "ambiguous", "none"]
    note: str | None


NO_PERIOD = ResolvedPeriod(None, None, "none", None)


def find_periods(text: str) -> list[PeriodMention]:
    """Period mentions, left to right, without overlaps (earlier forms in the list win)."""
    taken: list[tuple[int, int]] = []
    found: list[PeriodMention] = []
    for kind, pattern in _FORMS:
        for match in pattern.finditer(text):
            if any(match.start() < e and s < match.end() for s, e in taken):
                continue
            mention = _mention(kind, match, text)
            if mention is None:
                continue
            taken.append((match.start(), match.end()))
            found.append(mention)
    found.sort(key=lambda m: m.start)
    return found


def _mention(kind: Kind, match: re.Match[str], text: str) -> PeriodMention | None:
    groups = {k: v for k, v in match.groupdict().items() if v}
    quarter_text = groups.get("qzh") or groups.get("qen") or groups.get("qen2") or groups.get("qword")
    quarter = _QWORD.get(quarter_text) if quarter_text else None
    year_text = groups.get("y") or groups.get("y2")
    year = None
    if year_text:
        digits = year_text.strip("'")
        year = int(digits) + (2000 if len(digits) == 2 else 0)
    end_date = None
    if kind == "end_date":
        if "m" in groups:
            month = int(groups["m"])
        elif "mzh" in groups:
            month = int(groups["mzh"]) if groups["mzh"].isdigit() else _ZH_MONTH[groups["mzh"]]
        else:
            month = _MONTHS[groups["month_en"]]
        try:
            end_date = month_end(year or 1, month) if "d" not in groups else date(year or 1, month, int(groups["d"]))
        except ValueError:
            return None
        if year is None:
            end_date = None  # resolved against the article date later
            quarter = month  # carried as the month
    comparison = bool(_COMPARISON.search(text[max(0, match.start() - 16) : match.start()]))
    return PeriodMention(match.start(), match.end(), kind, year, quarter, end_date, comparison)


def last_quarter_end(company: Company, published_at: datetime) -> date:
    """The latest fiscal quarter end strictly before the article's publication date."""
    day = published_at.date()
    year, month = day.year, day.month
    for _ in range(4):
        candidate = month_end(year, month)
        if candidate < day and company.calendar.is_quarter_end(candidate):
            return candidate
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    raise AssertionError("every company has a quarter end within four months")


def resolve(
    mention: PeriodMention, company: Company, *, published_at: datetime, anchor: date | None
) -> ResolvedPeriod:
    """One quarter for the mention, or an ambiguous/none verdict with the reason."""
    cal = company.calendar
    try:
        if mention.kind == "fiscal":
            end = cal.period_end_of(f"FY{mention.year}Q{mention.quarter}")
            return ResolvedPeriod(end, cal.label(end), "resolved", None)
        if mention.kind == "calendar":
            end = month_end(mention.year or 0, 3 * (mention.quarter or 1))
            if not cal.is_quarter_end(end):
                return ResolvedPeriod(None, None, "ambiguous",
                                      f"calendar {mention.year}Q{mention.quarter} is not a {company.id} quarter")
            note = None if company.fiscal_year_end_month == 12 else \
                f"calendar {mention.year}Q{mention.quarter} = fiscal {cal.label(end)}"
            return ResolvedPeriod(end, cal.label(end), "resolved", note)
        if mention.kind == "end_date":
            end = mention.end_date
            if end is None:  # "quarter ended june 30" without a year: the latest such date
                latest = last_quarter_end(company, published_at)
                for back in range(4):
                    end = cal.shift(latest, -back)
                    if end.month == mention.quarter:
                        break
                else:
                    return ResolvedPeriod(None, None, "ambiguous", "quarter end month is not a quarter end")
            cal.check(end)
            return ResolvedPeriod(end, cal.label(end), "resolved", None)
        if mention.kind == "fiscal_q":
            latest = last_quarter_end(company, published_at)
            for back in range(4):
                end = cal.shift(latest, -back)
                if cal.fiscal_year_and_quarter(end)[1] == mention.quarter:
                    return ResolvedPeriod(end, cal.label(end), "resolved",
                                          "fiscal year implied by the article date")
        if mention.kind == "quarter":
            if company.fiscal_year_end_month != 12:
                return ResolvedPeriod(None, None, "ambiguous",
                                      f"Q{mention.quarter} without a year or 财年: calendar or fiscal quarter "
                                      f"({company.id}'s fiscal year ends in month {company.fiscal_year_end_month})")
            latest = last_quarter_end(company, published_at)
            for back in range(4):
                end = cal.shift(latest, -back)
                if cal.fiscal_year_and_quarter(end)[1] == mention.quarter:
                    return ResolvedPeriod(end, cal.label(end), "resolved", "year implied by the article date")
        if mention.kind == "year_ago":
            base = anchor or last_quarter_end(company, published_at)
            end = cal.shift(base, -4)
            return ResolvedPeriod(end, cal.label(end), "resolved", "same quarter a year before the article's period")
        if mention.kind in ("current", "previous"):
            base = anchor or last_quarter_end(company, published_at)
            how = "the article's period" if anchor else "the latest quarter ended before publication"
            if mention.kind == "current":
                return ResolvedPeriod(base, cal.label(base), "resolved", f"this quarter = {how}")
            if anchor is None:
                return ResolvedPeriod(base, cal.label(base), "resolved", f"last quarter = {how}")
            end = cal.shift(base, -1)
            return ResolvedPeriod(end, cal.label(end), "resolved", f"previous quarter = one before {how}")
    except FiscalPeriodError as exc:
        return ResolvedPeriod(None, None, "ambiguous", str(exc))
    return NO_PERIOD
