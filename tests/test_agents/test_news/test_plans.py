from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from agents.history import History
from agents.news.plans import load_plans, plan_from_fact, quarter_containing, track
from tests.test_agents.builders import registry
from tests.test_agents.test_news.news_builders import alibaba_history, fact

BABA = registry().get("BABA")
MSFT = registry().get("MSFT")
MARGIN = Decimal(15)
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def history() -> History:
    return History(alibaba_history(), "BABA")


def test_bundled_default_is_alibabas_three_year_plan() -> None:
    (plan,) = load_plans()
    assert (plan.company, plan.amount, plan.currency, plan.years, plan.start, plan.bound) == (
        "BABA", Decimal(380000000000), "CNY", Decimal(3), date(2025, 4, 1), "at_least")
    assert load_plans(REPO / "deploy" / "plans.example.toml") == [plan]


def test_first_quarter_ahead_of_pace(history: History) -> None:
    (plan,) = load_plans()
    progress = track(plan, history, BABA, through=date(2025, 6, 30), margin=MARGIN)
    # 386亿 against 3800亿 / 12 quarters = 316.67亿: 21.9% ahead.
    assert progress.cumulative == Decimal(38600000000) and progress.expected == Decimal(31666666667)
    assert progress.pace_pct == Decimal("21.9") and progress.status == "ahead"
    assert progress.run_rate_annual == Decimal(154400000000) and progress.plan_annual == Decimal(126666666667)
    assert progress.fiscal_period == "FY2026Q1" and progress.release_ids == ["BABA-FY2026Q1-results"]


def test_second_quarter_back_within_margin(history: History) -> None:
    (plan,) = load_plans()
    progress = track(plan, history, BABA, through=date(2025, 9, 30), margin=MARGIN)
    # 386 + 315.01 = 701.01亿 against 633.33亿: 10.7% ahead, inside 15%.
    assert progress.cumulative == Decimal(70101000000) and progress.pace_pct == Decimal("10.7")
    assert progress.status == "on_pace" and (progress.quarters_counted, progress.quarters_elapsed) == (2, 2)
    assert track(plan, history, BABA, through=date(2025, 9, 30), margin=Decimal(10)).status == "ahead"


def test_before_the_plan_or_without_the_quarter_there_is_no_progress(history: History) -> None:
    (plan,) = load_plans()
    assert track(plan, history, BABA, through=date(2025, 3, 31), margin=MARGIN) is None
    assert track(plan, history, BABA, through=date(2025, 12, 31), margin=MARGIN) is None


def test_a_missing_quarter_makes_progress_incomplete() -> None:
    store = alibaba_history()
    del store["BABA|group|capex"]["points"]["2025-06-30"]
    (plan,) = load_plans()
    progress = track(plan, History(store, "BABA"), BABA, through=date(2025, 9, 30), margin=MARGIN)
    assert progress.status == "incomplete" and progress.quarters_counted == 1 and progress.quarters_elapsed == 2


def test_plan_from_a_news_fact_starts_with_the_next_fiscal_quarter() -> None:
    f = fact("未来三年投入超过3800亿元", "380000000000", segment="group", metric="ai_investment",
             measure="plan_total", period_end=None, approx=True, bound="at_least", plan_years=3)
    plan = plan_from_fact(f, BABA, date(2025, 2, 24), source_url="https://news.example/a-1")
    (configured,) = load_plans()
    assert plan.start == date(2025, 4, 1) and plan.identity == configured.identity
    assert plan.origin == "news" and plan.plan_id.startswith("news-")
    stated = f.model_copy(update={"plan_start": date(2025, 7, 1)})
    assert plan_from_fact(f.model_copy(update={"plan_start": date(2025, 2, 24)}), BABA, date(2025, 2, 24),
                          source_url=None).start == date(2025, 4, 1)
    assert plan_from_fact(stated, BABA, date(2025, 2, 24), source_url=None).start == date(2025, 7, 1)
    assert plan_from_fact(f.model_copy(update={"plan_years": None}), BABA, date(2025, 2, 24), source_url=None) is None


def test_quarter_containing_follows_the_fiscal_calendar() -> None:
    assert quarter_containing(BABA, date(2025, 4, 1)) == date(2025, 6, 30)
    assert quarter_containing(MSFT, date(2025, 2, 10)) == date(2025, 3, 31)
    assert quarter_containing(BABA, date(2025, 3, 31)) == date(2025, 3, 31)
