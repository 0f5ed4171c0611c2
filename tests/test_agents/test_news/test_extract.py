"""Rule extraction: figure + metric + company + segment + period, with evidence into Article.text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agents.news.evaluate import load_set
from agents.news.reading import NewsReader
from schemas.article import Article
from schemas.company import Registry
from schemas.news import NewsFact

DATA = Path(__file__).parents[2] / "data" / "news"


@pytest.fixture(scope="module")
def reader() -> NewsReader:
    return NewsReader(Registry.load())


def _facts(reader: NewsReader, title: str, body: str, *, published: str = "2025-11-26T08:00:00+08:00",
           language: str | None = None) -> list[NewsFact]:
    article = Article(article_id="t", url="https://example.com/t", source="test",
                      published_at=datetime.fromisoformat(published), language=language, title=title, body=body)
    return list(reader.read(article).facts)


def _key(fact: NewsFact) -> tuple[object, ...]:
    return (fact.company, fact.segment, fact.metric, fact.measure, fact.value, fact.fiscal_period, fact.period_status)


def test_results_sentence_gives_value_growth_and_previous_quarter(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里巴巴公布季度业绩",
                   "截至2025年9月30日止季度，云智能集团收入398.24亿元，同比增长34%，增速较上季度的26%进一步加快。")
    assert {_key(f) for f in facts} == {
        ("BABA", "cloud", "revenue", "value", Decimal(39824000000), "FY2026Q2", "resolved"),
        ("BABA", "cloud", "revenue", "yoy_pct", Decimal(34), "FY2026Q2", "resolved"),
        ("BABA", "cloud", "revenue", "yoy_pct", Decimal(26), "FY2026Q1", "resolved"),
    }
    assert all(f.currency == ("CNY" if f.measure == "value" else None) for f in facts)


def test_traditional_text_with_fiscal_label(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里巴巴2026財年第一季度業績",
                   "集團資本開支達386億元；自由現金流為淨流出188.15億元。", language="zh-Hant")
    assert {_key(f) for f in facts} == {
        ("BABA", "group", "capex", "value", Decimal(38600000000), "FY2026Q1", "resolved"),
        ("BABA", "group", "free_cash_flow", "value", Decimal(-18815000000), "FY2026Q1", "resolved"),
    }


def test_bare_quarter_for_alibaba_is_ambiguous_not_guessed(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里云第二季度收入增长26%", "券商研报指出，阿里云第二季度收入同比增长26%。",
                   published="2025-09-05T08:00:00+08:00")
    assert len(facts) == 1
    fact = facts[0]
    assert (fact.fiscal_period, fact.period_status, fact.period_end) == (None, "ambiguous", None)
    assert "calendar or fiscal" in (fact.period_note or "")


def test_plan_statement_with_implied_start(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里巴巴宣布重大投资", "阿里巴巴集团宣布，未来三年将投入超过三千八百亿元，用于建设云和AI硬件基础设施。",
                   published="2025-02-24T12:00:00+08:00")
    assert len(facts) == 1
    plan = facts[0]
    assert (plan.company, plan.segment, plan.metric, plan.measure) == ("BABA", "group", "ai_investment", "plan_total")
    assert (plan.value, plan.currency, plan.bound, plan.approx) == (Decimal(380000000000), "CNY", "at_least", True)
    assert plan.plan_years == Decimal(3) and plan.plan_start == date(2025, 2, 24)
    assert "implied by the article date" in (plan.period_note or "")
    assert plan.evidence.text == "未来三年将投入超过三千八百亿元"


def test_plan_restated_in_dollars_is_one_plan(reader: NewsReader) -> None:
    facts = _facts(reader, "Alibaba to spend more than $52 billion on AI over three years",
                   "Alibaba said it plans to invest at least 380 billion yuan ($52.4 billion) in cloud and AI "
                   "infrastructure over the next three years.", published="2025-02-24T04:30:00+00:00")
    assert [(f.measure, f.value, f.currency) for f in facts] == [("plan_total", Decimal(380000000000), "CNY")]


def test_a_peers_figure_belongs_to_the_peer(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里云收入增长34%",
                   "截至2025年9月30日止季度，阿里云收入同比增长34%。相比之下，AWS同期收入增长20.2%。")
    by_company = {f.company: f for f in facts}
    assert by_company["BABA"].value == Decimal(34) and by_company["BABA"].fiscal_period == "FY2026Q2"
    peer = by_company["AMZN"]
    assert (peer.segment, peer.value, peer.fiscal_period) == ("cloud", Decimal("20.2"), "FY2025Q3")


def test_percentage_points_are_growth_acceleration_not_growth(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里巴巴2026财年第二季度", "阿里云收入同比增长34%，增速较上季度提升8个百分点。")
    assert {(f.measure, f.value, f.fiscal_period) for f in facts} == {
        ("yoy_pct", Decimal(34), "FY2026Q2"), ("yoy_change_pp", Decimal(8), "FY2026Q2")}


def test_stock_prices_dates_forecasts_and_differences_are_not_facts(reader: NewsReader) -> None:
    facts = _facts(reader, "阿里巴巴2026财年第二季度云收入增长34%",
                   "截至2025年9月30日收盘，阿里巴巴股价报每股165港元，年内累计上涨超过70%。"
                   "市场预期阿里云下季度收入增长36%。资本开支为315亿元，比去年同期多出约140亿元。")
    assert {(f.metric, f.measure, f.value) for f in facts} == {
        ("revenue", "yoy_pct", Decimal(34)), ("capex", "value", Decimal(31500000000))}


def test_a_decline_is_negative_growth(reader: NewsReader) -> None:
    facts = _facts(reader, "騰訊第三季業績", "騰訊2025年第三季資本開支130億元，按年跌24%。",
                   published="2025-11-14T08:00:00+08:00")
    assert {(f.measure, f.value) for f in facts} == {("value", Decimal(13000000000)), ("yoy_pct", Decimal(-24))}


def test_rounded_figure_is_marked_approximate(reader: NewsReader) -> None:
    facts = _facts(reader, "Alibaba's cloud unit grows about 34% in fiscal second quarter", "",
                   published="2025-11-26T05:00:00+00:00")
    assert [(f.value, f.approx, f.fiscal_period) for f in facts] == [(Decimal(34), True, "FY2026Q2")]


def test_evidence_quotes_the_original_text_for_every_fact_in_the_sets(reader: NewsReader) -> None:
    checked = 0
    for path in (DATA / "articles.jsonl", DATA / "articles_holdout.jsonl"):
        for sample in load_set(path):
            for fact in reader.read(sample.article).facts:
                assert sample.article.text[fact.evidence.start : fact.evidence.end] == fact.evidence.text
                assert 0 < fact.confidence <= 1
                checked += 1
    assert checked > 200


def test_fact_ids_are_stable_and_distinct(reader: NewsReader) -> None:
    args = ("阿里巴巴2026财年第二季度", "云智能集团收入398.24亿元，同比增长34%。资本开支315.01亿元。")
    first, again = _facts(reader, *args), _facts(NewsReader(Registry.load()), *args)
    assert [f.fact_id for f in first] == [f.fact_id for f in again]
    assert len({f.fact_id for f in first}) == len(first) == 3
