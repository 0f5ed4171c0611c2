"""Period expressions resolved with the company's fiscal calendar and the article date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from agents.news.normalise import fold
from agents.news.periods import find_periods, last_quarter_end, resolve
from schemas.company import Registry

REGISTRY = Registry.load()
PUBLISHED = datetime(2025, 11, 26, 2, 0, tzinfo=UTC)


def _resolve(expression: str, company: str, *, anchor: date | None = None, published: datetime = PUBLISHED):
    mentions = find_periods(fold(expression).text)
    assert len(mentions) == 1, mentions
    return resolve(mentions[0], REGISTRY.get(company), published_at=published, anchor=anchor)


@pytest.mark.parametrize(
    ("expression", "company", "label"),
    [
        ("2026财年第一季度", "BABA", "FY2026Q1"),
        ("2026財年第一季", "BABA", "FY2026Q1"),
        ("2026财年Q1", "BABA", "FY2026Q1"),
        ("FY2026 Q1", "MSFT", "FY2026Q1"),
        ("FY26Q1", "MSFT", "FY2026Q1"),
        ("fiscal 2026 first quarter", "MSFT", "FY2026Q1"),
        ("the first quarter of fiscal 2026", "MSFT", "FY2026Q1"),
        ("截至2025年6月30日止季度", "BABA", "FY2026Q1"),
        ("截至2025年6月30日的三个月", "MSFT", "FY2025Q4"),
        ("the quarter ended June 30, 2025", "BABA", "FY2026Q1"),
        ("2025年Q2", "BABA", "FY2026Q1"),
        ("2025年第二季度", "AMZN", "FY2025Q2"),
        ("Q2 2025", "BABA", "FY2026Q1"),
        ("second quarter of 2025", "MSFT", "FY2025Q4"),
        ("2025年三季度", "GOOGL", "FY2025Q3"),
    ],
)
def test_explicit_periods(expression: str, company: str, label: str) -> None:
    resolved = _resolve(expression, company)
    assert (resolved.fiscal_period, resolved.status) == (label, "resolved")


@pytest.mark.parametrize(
    ("expression", "company", "label"),
    [
        ("第三财季", "BABA", "FY2025Q3"),  # the latest fiscal Q3 that ended before 2025-11-26
        ("第二財季", "BABA", "FY2026Q2"),
        ("the quarter ended June 30", "BABA", "FY2026Q1"),
        ("the September quarter", "BABA", "FY2026Q2"),
        ("the three months to September", "MSFT", "FY2026Q1"),
        ("截至九月底止季度", "BABA", "FY2026Q2"),
        ("首财季", "BABA", "FY2026Q1"),
        ("the January-March period", "MSFT", "FY2025Q3"),
        ("2025年7-9月", "BABA", "FY2026Q2"),
        ("首季", "AMZN", "FY2025Q1"),
        ("第三季度", "AMZN", "FY2025Q3"),  # calendar-year company: no ambiguity
    ],
)
def test_periods_completed_by_the_article_date(expression: str, company: str, label: str) -> None:
    resolved = _resolve(expression, company)
    assert (resolved.fiscal_period, resolved.status) == (label, "resolved")
    assert resolved.note is None or resolved.note


@pytest.mark.parametrize(("expression", "company"), [("第二季度", "BABA"), ("二季度", "MSFT"), ("Q2", "BABA"),
                                                     ("the second quarter", "MSFT")])
def test_bare_quarter_of_a_non_calendar_company_is_ambiguous(expression: str, company: str) -> None:
    resolved = _resolve(expression, company)
    assert (resolved.fiscal_period, resolved.status) == (None, "ambiguous")
    assert "fiscal" in (resolved.note or "")


def test_relative_quarters_without_an_anchor_use_the_last_ended_quarter() -> None:
    published = datetime(2025, 10, 15, tzinfo=UTC)
    assert _resolve("上个季度", "BABA", published=published).fiscal_period == "FY2026Q2"  # ended 2025-09-30
    assert _resolve("本季度", "BABA", published=published).fiscal_period == "FY2026Q2"
    assert _resolve("last quarter", "AMZN", published=published).fiscal_period == "FY2025Q3"


def test_relative_quarters_follow_the_articles_own_period() -> None:
    anchor = date(2025, 9, 30)
    assert _resolve("上季度", "BABA", anchor=anchor).fiscal_period == "FY2026Q1"
    assert _resolve("本季度", "BABA", anchor=anchor).fiscal_period == "FY2026Q2"
    assert _resolve("去年同期", "BABA", anchor=anchor).fiscal_period == "FY2025Q2"
    assert _resolve("a year earlier", "GOOGL", anchor=anchor).fiscal_period == "FY2024Q3"


def test_comparison_bases_are_marked() -> None:
    mentions = find_periods(fold("增速较上季度提升8个百分点").text)
    assert [m.comparison for m in mentions] == [True]


def test_a_calendar_quarter_that_is_not_a_company_quarter_is_ambiguous() -> None:
    resolved = _resolve("2025年第二季度", "ORCL")  # Oracle's quarters end Feb/May/Aug/Nov
    assert resolved.status == "ambiguous"


def test_last_quarter_end_is_strictly_before_publication() -> None:
    assert last_quarter_end(REGISTRY.get("BABA"), datetime(2025, 10, 1, tzinfo=UTC)) == date(2025, 9, 30)
    assert last_quarter_end(REGISTRY.get("BABA"), datetime(2025, 9, 30, tzinfo=UTC)) == date(2025, 6, 30)
