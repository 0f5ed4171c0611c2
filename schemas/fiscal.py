"""Fiscal calendars: which dates end a quarter for a company, and what the quarter is called.

A company's fiscal year is named after the calendar year in which it ends (Alibaba's FY2026
runs April 2025 - March 2026, so the quarter ending 2025-06-30 is FY2026Q1; Microsoft's runs
July - June, so 2025-09-30 is FY2026Q1). Quarters are sequenced by an ordinal so that
"previous quarter" and "same quarter last year" are plain subtraction and a gap is visible.

Usage::

    cal = FiscalCalendar(year_end_month=3)
    cal.label(date(2025, 6, 30))          # 'FY2026Q1'
    cal.shift(date(2025, 6, 30), -4)      # date(2024, 6, 30)
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

_LABEL = re.compile(r"^\s*FY\s*(\d{4})\s*[-_ ]?\s*Q([1-4])\s*$", re.IGNORECASE)


class FiscalPeriodError(ValueError):
    """A date or label that does not fit the company's fiscal calendar."""


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def quarter_ordinal(period_end: date) -> int:
    """A number that grows by one per calendar quarter-month step (month index // 3)."""
    return (period_end.year * 12 + period_end.month - 1) // 3


@dataclass(frozen=True, slots=True)
class FiscalCalendar:
    """Quarter ends on the last day of the fiscal year-end month and every third month from it."""

    year_end_month: int = 12

    def __post_init__(self) -> None:
        if not 1 <= self.year_end_month <= 12:
            raise ValueError(f"year_end_month must be 1..12, got {self.year_end_month}")

    def is_quarter_end(self, day: date) -> bool:
        return _is_quarter_end(self.year_end_month, day)

    def check(self, day: date) -> date:
        if not self.is_quarter_end(day):
            months = sorted({(self.year_end_month + 3 * k - 1) % 12 + 1 for k in range(4)})
            names = "/".join(calendar.month_abbr[m] for m in months)
            raise FiscalPeriodError(
                f"{day.isoformat()} is not a fiscal quarter end for this company "
                f"(quarters end on the last day of {names})"
            )
        return day

    def fiscal_year_and_quarter(self, period_end: date) -> tuple[int, int]:
        self.check(period_end)
        months_after_ye = (period_end.month - self.year_end_month) % 12  # 3, 6, 9 or 0
        quarter = 4 if months_after_ye == 0 else months_after_ye // 3
        fiscal_year = period_end.year + (1 if period_end.month > self.year_end_month else 0)
        return fiscal_year, quarter

    def label(self, period_end: date) -> str:
        return _label(self.year_end_month, period_end)

    def _label(self, period_end: date) -> str:
        fiscal_year, quarter = self.fiscal_year_and_quarter(period_end)
        return f"FY{fiscal_year}Q{quarter}"

    def period_end_of(self, label: str) -> date:
        """Inverse of :meth:`label`: 'FY2026Q1' -> the quarter's last day."""
        match = _LABEL.match(label)
        if not match:
            raise FiscalPeriodError(f"fiscal period {label!r} is not of the form FY2026Q1")
        fiscal_year, quarter = int(match.group(1)), int(match.group(2))
        # Month index (0-based, absolute) of the fiscal year's end, then step back.
        end_index = fiscal_year * 12 + self.year_end_month - 1 - 3 * (4 - quarter)
        year = end_index // 12
        if not 1 <= year <= 9999:
            raise FiscalPeriodError(f"fiscal period {label!r} falls outside the calendar (year {year})")
        return month_end(year, end_index % 12 + 1)

    def shift(self, period_end: date, quarters: int) -> date:
        """The quarter end ``quarters`` quarters after (negative: before) ``period_end``."""
        return _shift(self.year_end_month, period_end, quarters)

    def _shift(self, period_end: date, quarters: int) -> date:
        self.check(period_end)
        index = period_end.year * 12 + period_end.month - 1 + 3 * quarters
        return month_end(index // 12, index % 12 + 1)

    def calendar_label(self, period_end: date) -> str:
        return f"{period_end.year}Q{(period_end.month - 1) // 3 + 1}"


# Memoised: the delta engine alone asks for about forty quarter steps and labels per release,
# over a few hundred distinct quarter ends, and each answer is a pure function of the fiscal
# year-end month and the date. Keyed by the month (an int) rather than the calendar: hashing
# the dataclass is a Python call per lookup. A date that is not a quarter end raises, and
# exceptions are never cached.
@lru_cache(maxsize=1 << 14)
def _is_quarter_end(year_end_month: int, day: date) -> bool:
    return (day.month - year_end_month) % 3 == 0 and day.day == calendar.monthrange(day.year, day.month)[1]


@lru_cache(maxsize=1 << 16)
def _shift(year_end_month: int, period_end: date, quarters: int) -> date:
    return FiscalCalendar(year_end_month)._shift(period_end, quarters)


@lru_cache(maxsize=1 << 14)
def _label(year_end_month: int, period_end: date) -> str:
    return FiscalCalendar(year_end_month)._label(period_end)
