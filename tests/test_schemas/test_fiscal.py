"""schemas.fiscal: fiscal calendars, labels and quarter arithmetic."""

from datetime import date

import pytest

from schemas.fiscal import FiscalCalendar, FiscalPeriodError, month_end, quarter_ordinal

ALIBABA = FiscalCalendar(3)
MICROSOFT = FiscalCalendar(6)
ORACLE = FiscalCalendar(5)
CALENDAR_YEAR = FiscalCalendar()  # Amazon, Alphabet, Tencent


@pytest.mark.parametrize(
    ("cal", "day", "label", "quarter"),
    [
        # Alibaba: FY2026 runs April 2025 - March 2026.
        (ALIBABA, date(2025, 6, 30), "FY2026Q1", (2026, 1)),
        (ALIBABA, date(2025, 9, 30), "FY2026Q2", (2026, 2)),
        (ALIBABA, date(2025, 12, 31), "FY2026Q3", (2026, 3)),
        (ALIBABA, date(2026, 3, 31), "FY2026Q4", (2026, 4)),
        (ALIBABA, date(2025, 3, 31), "FY2025Q4", (2025, 4)),  # March quarter ends the FY
        (ALIBABA, date(2024, 6, 30), "FY2025Q1", (2025, 1)),
        # Microsoft: FY2026 runs July 2025 - June 2026.
        (MICROSOFT, date(2025, 9, 30), "FY2026Q1", (2026, 1)),
        (MICROSOFT, date(2025, 12, 31), "FY2026Q2", (2026, 2)),
        (MICROSOFT, date(2026, 3, 31), "FY2026Q3", (2026, 3)),
        (MICROSOFT, date(2026, 6, 30), "FY2026Q4", (2026, 4)),
        (MICROSOFT, date(2025, 6, 30), "FY2025Q4", (2025, 4)),
        # December year end: FY is the calendar year.
        (CALENDAR_YEAR, date(2025, 3, 31), "FY2025Q1", (2025, 1)),
        (CALENDAR_YEAR, date(2025, 6, 30), "FY2025Q2", (2025, 2)),
        (CALENDAR_YEAR, date(2025, 9, 30), "FY2025Q3", (2025, 3)),
        (CALENDAR_YEAR, date(2025, 12, 31), "FY2025Q4", (2025, 4)),
        # Oracle (May year end): quarters end Aug/Nov/Feb/May, including a leap February.
        (ORACLE, date(2025, 8, 31), "FY2026Q1", (2026, 1)),
        (ORACLE, date(2025, 11, 30), "FY2026Q2", (2026, 2)),
        (ORACLE, date(2026, 2, 28), "FY2026Q3", (2026, 3)),
        (ORACLE, date(2024, 2, 29), "FY2024Q3", (2024, 3)),
        (ORACLE, date(2026, 5, 31), "FY2026Q4", (2026, 4)),
    ],
)
def test_label_and_inverse(cal, day, label, quarter):
    assert cal.label(day) == label
    assert cal.fiscal_year_and_quarter(day) == quarter
    assert cal.period_end_of(label) == day


@pytest.mark.parametrize(
    ("cal", "day", "months"),
    [
        (ALIBABA, date(2025, 6, 29), "Mar/Jun/Sep/Dec"),  # not the last day
        (ALIBABA, date(2025, 5, 31), "Mar/Jun/Sep/Dec"),  # not a quarter month
        (MICROSOFT, date(2025, 7, 31), "Mar/Jun/Sep/Dec"),
        (CALENDAR_YEAR, date(2025, 1, 31), "Mar/Jun/Sep/Dec"),
        (ORACLE, date(2025, 6, 30), "Feb/May/Aug/Nov"),
        (ORACLE, date(2024, 2, 28), "Feb/May/Aug/Nov"),  # 2024 is a leap year
    ],
)
def test_non_quarter_ends_are_rejected(cal, day, months):
    expected = (
        f"{day.isoformat()} is not a fiscal quarter end for this company "
        f"(quarters end on the last day of {months})"
    )
    assert not cal.is_quarter_end(day)
    for call in (cal.check, cal.label, cal.fiscal_year_and_quarter, lambda d: cal.shift(d, 1)):
        with pytest.raises(FiscalPeriodError) as info:
            call(day)
        assert str(info.value) == expected


def test_check_returns_the_day_and_error_is_a_value_error():
    assert ALIBABA.check(date(2025, 6, 30)) == date(2025, 6, 30)
    assert issubclass(FiscalPeriodError, ValueError)


@pytest.mark.parametrize(
    "label", ["FY2026Q1", "fy2026q1", "FY 2026 Q1", "FY2026-Q1", "fy2026_q1", "  FY2026Q1  "]
)
def test_label_spellings_accepted(label):
    assert ALIBABA.period_end_of(label) == date(2025, 6, 30)


@pytest.mark.parametrize(
    "label", ["FY26Q1", "FY2026Q5", "FY2026Q0", "2026Q1", "FY2026", "Q1 FY2026", "FY2026Q1x", ""]
)
def test_bad_labels_rejected(label):
    with pytest.raises(FiscalPeriodError) as info:
        ALIBABA.period_end_of(label)
    assert str(info.value) == f"fiscal period {label!r} is not of the form FY2026Q1"


@pytest.mark.parametrize(
    ("cal", "day", "quarters", "expected"),
    [
        (ALIBABA, date(2025, 6, 30), -4, date(2024, 6, 30)),
        (ALIBABA, date(2025, 6, 30), -1, date(2025, 3, 31)),
        (ALIBABA, date(2025, 6, 30), 0, date(2025, 6, 30)),
        (ALIBABA, date(2025, 12, 31), 1, date(2026, 3, 31)),
        (MICROSOFT, date(2025, 9, 30), 3, date(2026, 6, 30)),
        (ORACLE, date(2024, 2, 29), 4, date(2025, 2, 28)),
        (ORACLE, date(2025, 2, 28), -4, date(2024, 2, 29)),
        (ORACLE, date(2025, 11, 30), 1, date(2026, 2, 28)),
    ],
)
def test_shift(cal, day, quarters, expected):
    assert cal.shift(day, quarters) == expected


@pytest.mark.parametrize("year_end_month", range(1, 13))
def test_round_trips_over_ten_years(year_end_month):
    cal = FiscalCalendar(year_end_month)
    ends = [month_end(y, m) for y in range(2018, 2028) for m in range(1, 13)]
    quarter_ends = [d for d in ends if cal.is_quarter_end(d)]
    assert len(quarter_ends) == 40
    for previous, current in zip(quarter_ends, quarter_ends[1:]):
        assert cal.shift(previous, 1) == current
        assert cal.shift(current, -1) == previous
        assert quarter_ordinal(current) == quarter_ordinal(previous) + 1
    for day in quarter_ends:
        assert cal.period_end_of(cal.label(day)) == day
        assert cal.shift(cal.shift(day, 7), -7) == day
        # Same quarter last year has the same quarter number, one fiscal year earlier.
        fy, q = cal.fiscal_year_and_quarter(day)
        assert cal.fiscal_year_and_quarter(cal.shift(day, -4)) == (fy - 1, q)
    # Labels are distinct and cycle Q1 -> Q2 -> Q3 -> Q4 -> Q1 of the next fiscal year.
    labels = [cal.fiscal_year_and_quarter(d) for d in quarter_ends]
    assert len(set(labels)) == 40
    for (fy0, q0), (fy1, q1) in zip(labels, labels[1:]):
        assert (fy1, q1) == ((fy0, q0 + 1) if q0 < 4 else (fy0 + 1, 1))


@pytest.mark.parametrize(
    ("day", "label"),
    [(date(2025, 6, 30), "2025Q2"), (date(2026, 3, 31), "2026Q1"), (date(2024, 2, 29), "2024Q1"), (date(2025, 12, 31), "2025Q4")],
)
def test_calendar_label(day, label):
    assert ALIBABA.calendar_label(day) == label


def test_quarter_ordinal_counts_quarters():
    assert quarter_ordinal(date(2025, 6, 30)) - quarter_ordinal(date(2024, 6, 30)) == 4
    assert quarter_ordinal(date(2025, 3, 31)) + 1 == quarter_ordinal(date(2025, 6, 30))


@pytest.mark.parametrize(("year", "month", "day"), [(2024, 2, 29), (2025, 2, 28), (2025, 6, 30), (2025, 12, 31)])
def test_month_end(year, month, day):
    assert month_end(year, month) == date(year, month, day)


@pytest.mark.parametrize("month", [0, 13, -1])
def test_year_end_month_must_be_a_month(month):
    with pytest.raises(ValueError, match=f"year_end_month must be 1..12, got {month}"):
        FiscalCalendar(month)


def test_out_of_range_label_is_a_fiscal_period_error():
    with pytest.raises(FiscalPeriodError):
        ALIBABA.period_end_of("FY0001Q1")



def test_remembered_answers_belong_to_their_calendar_and_date():
    # Labels and quarter ends are memoised by (calendar, date): asking one calendar first must
    # never answer for another, and a refused date is refused every time (errors are not kept).
    day = date(2025, 6, 30)
    assert (ALIBABA.label(day), MICROSOFT.label(day), CALENDAR_YEAR.label(day)) == ("FY2026Q1", "FY2025Q4", "FY2025Q2")
    assert ALIBABA.label(date(2025, 9, 30)) == "FY2026Q2"
    assert not ORACLE.is_quarter_end(day) and ORACLE.is_quarter_end(date(2025, 5, 31))
    assert ALIBABA.is_quarter_end(day)
    for _ in range(2):
        with pytest.raises(FiscalPeriodError, match="2025-05-31 is not a fiscal quarter end"):
            ALIBABA.label(date(2025, 5, 31))
    assert ORACLE.label(date(2025, 5, 31)) == "FY2025Q4"
    assert ALIBABA.shift(day, 1) == date(2025, 9, 30) and ALIBABA.shift(day, -4) == date(2024, 6, 30)
    with pytest.raises(FiscalPeriodError):
        ORACLE.shift(day, 1)  # the same date and step, but not a quarter end of this calendar
