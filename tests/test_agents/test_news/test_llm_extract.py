"""LLM fact extraction against the local stub server (never the internet)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.llm.cache import ResponseCache
from agents.llm.client import build_client
from agents.llm.stub import StubLLM
from agents.news.llm_extract import LLMExtractor, build_extractor, merge
from agents.news.reading import NewsReader
from schemas.article import parse_article
from streams.news_demo import bundled_articles
from streams.settings import Settings
from tests.test_agents.builders import registry

YICAI = bundled_articles()[3]  # 阿里云智能集团收入388亿元，同比增长34% (截至2025年9月30日止季度)


@pytest.fixture
def stub() -> Iterator[StubLLM]:
    with StubLLM() as server:
        yield server


def extractor(stub: StubLLM, cache: ResponseCache | None = None) -> LLMExtractor:
    client = build_client(Settings.load(llm_base_url=stub.base_url, llm_model="stub", llm_timeout=5))
    return LLMExtractor(client, model="stub", registry=registry(), cache=cache if cache is not None else ResponseCache(), deadline=10)


def answer(*facts: dict) -> dict:
    return {"content": {"facts": list(facts)}}


def fact(quote: str, value: str, **extra) -> dict:
    base = {"company": "BABA", "segment": "cloud", "metric": "revenue", "measure": "value", "value": value,
            "currency": "CNY", "quote": quote, "fiscal_period": "FY2026Q2", "plan_years": None}
    return {**base, **extra}


def read(raw: bytes):
    article = parse_article(raw, max_bytes=1 << 20)
    return article, NewsReader(registry()).read(article)


def test_only_facts_grounded_in_the_article_survive(stub: StubLLM) -> None:
    article, reading = read(YICAI)
    stub.script([answer(
        fact("阿里云智能集团收入388亿元", "38800000000"),  # grounded
        fact("收入388亿元", "39800000000"),  # value not the one quoted
        fact("云收入400亿元", "40000000000"),  # quote not in the article
        fact("AI相关产品收入连续九个季度实现三位数增长", "9", measure="yoy_pct"),  # no percentage in the quote
        fact("同比增长34%", "34", measure="yoy_pct", company="AMZN"),  # company not in the article
    )])
    ex = extractor(stub)
    (grounded,) = asyncio.run(ex.extract(article, reading))
    assert article.text[grounded.evidence.start:grounded.evidence.end] == "阿里云智能集团收入388亿元"
    assert grounded.extracted_by == "llm:stub" and grounded.period_status == "resolved"  # the rules resolved FY2026Q2
    assert ex.outcomes["dropped:number_not_in_quote"] == 2 and ex.outcomes["dropped:quote_not_in_article"] == 1
    assert ex.outcomes["dropped:company_not_tagged"] == 1
    # The article reached the model only inside its delimiters.
    user = stub.requests[0]["messages"][1]["content"]
    assert user.count("<article>") == 1 and "阿里云智能集团收入388亿元" in user


def test_a_period_the_rules_did_not_resolve_is_ambiguous(stub: StubLLM) -> None:
    article, reading = read(YICAI)
    stub.script([answer(fact("阿里云智能集团收入388亿元", "38800000000", fiscal_period="FY2026Q1"))])
    (only,) = asyncio.run(extractor(stub).extract(article, reading))
    assert only.period_status == "ambiguous" and only.period_end is None and "FY2026Q1" in only.period_note


def test_answers_are_cached_by_article_text(stub: StubLLM, tmp_path: Path) -> None:
    article, reading = read(YICAI)
    stub.script([answer(fact("阿里云智能集团收入388亿元", "38800000000"))])
    cache = ResponseCache(tmp_path / "cache.jsonl")
    first = asyncio.run(extractor(stub, cache).extract(article, reading))
    cache.close()  # a restarted worker reads what the last one wrote
    again = asyncio.run(extractor(stub, ResponseCache(tmp_path / "cache.jsonl")).extract(article, reading))
    assert first == again and len(stub.requests) == 1


@pytest.mark.parametrize("step", [{"status": 500}, {"content": "not json"}, {"content": {"facts": [{"company": 1}]}}])
def test_failures_give_no_facts_never_an_error(stub: StubLLM, step: dict) -> None:
    article, reading = read(YICAI)
    stub.script([step])
    ex = extractor(stub)
    assert asyncio.run(ex.extract(article, reading)) == ()
    assert any(k.startswith("failed:") for k in ex.outcomes)


def test_merge_keeps_rule_facts_and_adds_only_new_ones(stub: StubLLM) -> None:
    article, reading = read(YICAI)
    stub.script([answer(fact("阿里云智能集团收入388亿元", "38800000000"),
                        fact("同比增长34%", "34", measure="yoy_pct"),
                        fact("阿里云智能集团收入388亿元", "38800000000", segment="group"))])
    llm = asyncio.run(extractor(stub).extract(article, reading))
    merged = merge(reading.facts, llm)
    assert merged[: len(reading.facts)] == reading.facts
    assert [f.segment for f in merged[len(reading.facts):]] == ["group"]  # the other two the rules had


def test_built_only_when_enabled_and_configured() -> None:
    assert build_extractor(Settings.load(news_llm_extract=True), registry()) is None
    assert build_extractor(Settings.load(llm_base_url="http://127.0.0.1:9/v1", llm_model="m"), registry()) is None
    built = build_extractor(Settings.load(llm_base_url="http://127.0.0.1:9/v1", llm_model="m", news_llm_extract=True,
                                          llm_cache_file=Path("/tmp/cp-never-written.jsonl")), registry())
    assert isinstance(built, LLMExtractor)
