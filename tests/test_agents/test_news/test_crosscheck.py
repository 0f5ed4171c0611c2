from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from agents.history import History
from agents.news.crosscheck import cross_check, half_unit, printed_tolerance
from tests.test_agents.builders import registry
from tests.test_agents.test_news.news_builders import alibaba_history, fact

BABA = registry().get("BABA")


@pytest.fixture(scope="module")
def history() -> History:
    return History(alibaba_history(), "BABA")


def check(history: History, f):
    return cross_check(f, history, BABA, outlet="财新", url="https://news.example/a-1")


def test_same_figure_at_coarser_precision_confirms(history: History) -> None:
    # Release: 398.24亿; the article printed 398亿 (± 0.5亿).
    result = check(history, fact("云智能集团收入398亿元", "39800000000"))
    assert result is not None and result.outcome == "confirms"
    assert result.release_id == "BABA-FY2026Q2-results" and result.fiscal_period == "FY2026Q2"
    assert result.release_value == Decimal(39824000000)


def test_different_figure_is_a_discrepancy_naming_both_sources(history: History) -> None:
    result = check(history, fact("云智能集团收入388.24亿元", "38824000000"))
    assert result is not None and result.outcome == "discrepancy"
    assert (result.outlet, result.url, result.release_id) == ("财新", "https://news.example/a-1", "BABA-FY2026Q2-results")
    assert result.news_value == Decimal(38824000000) and result.release_value == Decimal(39824000000)


def test_just_outside_the_printed_precision_is_a_discrepancy(history: History) -> None:
    # 398.3亿 is ± 0.05亿; the release's 398.24亿 is 0.06亿 away (plus its own ± 0.005亿).
    assert check(history, fact("收入398.3亿元", "39830000000")).outcome == "discrepancy"
    assert check(history, fact("收入398.2亿元", "39820000000")).outcome == "confirms"


def test_growth_uses_the_printed_rate(history: History) -> None:
    assert check(history, fact("同比增长34%", 34, measure="yoy_pct")).outcome == "confirms"
    assert check(history, fact("同比增长34.4%", "34.4", measure="yoy_pct")).outcome == "confirms"  # release printed 34
    assert check(history, fact("同比增长30%", 30, measure="yoy_pct")).outcome == "discrepancy"


def test_growth_without_a_printed_rate_is_computed_from_history(history: History) -> None:
    # Adjusted EBITA 36.04亿 vs 26.65亿 a year earlier: +35.2%; reported 35, so the printed one wins.
    result = check(history, fact("经调整EBITA同比增长35%", 35, metric="adjusted_ebita", measure="yoy_pct"))
    assert result.outcome == "confirms"


def test_margin_is_computed_from_both_series(history: History) -> None:
    # 36.04 / 398.24 = 9.05%
    assert check(history, fact("利润率9.1%", "9.1", metric="adjusted_ebita", measure="margin_pct")).outcome == "confirms"
    assert check(history, fact("利润率12%", 12, metric="adjusted_ebita", measure="margin_pct")).outcome == "discrepancy"


def test_capex_without_a_segment_is_the_groups_and_hedges_widen(history: History) -> None:
    q1 = date(2025, 6, 30)
    about = fact("资本开支约380亿元", "38000000000", segment=None, metric="capex", period_end=q1,
                 fiscal_period="FY2026Q1", approx=True)
    assert check(history, about).outcome == "confirms"  # 386 within 2% + rounding of 380
    bound = fact("资本开支超过350亿元", "35000000000", segment=None, metric="capex", period_end=q1,
                 fiscal_period="FY2026Q1", approx=True, bound="at_least")
    assert check(history, bound).outcome == "confirms"
    wrong_bound = fact("资本开支超过400亿元", "40000000000", segment=None, metric="capex", period_end=q1,
                       fiscal_period="FY2026Q1", approx=True, bound="at_least")
    assert check(history, wrong_bound).outcome == "discrepancy"


def test_unresolved_unknown_or_incomparable_facts_are_not_checked(history: History) -> None:
    assert check(history, fact("收入300亿元", "30000000000", status="ambiguous")) is None
    assert check(history, fact("收入300亿元", "30000000000", period_end=None)) is None
    assert check(history, fact("收入300亿元", "30000000000", period_end=date(2026, 9, 30), fiscal_period="FY2027Q2")) is None
    assert check(history, fact("收入300亿元", "30000000000", segment=None)) is None  # whose revenue?
    assert check(history, fact("收入4.2 billion美元", "4200000000", currency="USD")) is None
    assert check(history, fact("投入3800亿元", "380000000000", metric="ai_investment")) is None
    assert check(history, fact("收入300亿元", "30000000000", company="AMZN")) is None


def test_printed_tolerance_reads_the_evidence() -> None:
    assert printed_tolerance(fact("收入398.24亿元", "39824000000")) == Decimal(500000)
    assert printed_tolerance(fact("revenue of RMB 39.8 billion", "39800000000")) == Decimal(50000000)
    assert printed_tolerance(fact("同比增长34%", 34, measure="yoy_pct")) == Decimal("0.5")
    assert half_unit(Decimal("34.5")) == Decimal("0.05")
