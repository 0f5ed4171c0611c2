"""Relevance: a score with reasons; irrelevant articles are dropped before tagging and extraction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agents.news.normalise import fold
from agents.news.reading import NewsReader
from agents.news.relevance import RelevanceScorer
from schemas.article import Article
from schemas.company import Registry
from schemas.news import Mention

SUBJECT = (Mention(company="BABA", count=3, role="subject", aliases=("阿里巴巴",)),)


def test_cloud_capex_article_scores_high_with_reasons() -> None:
    text = fold("阿里巴巴资本开支达386亿元，云计算收入同比增长26%，AI基础设施投入加大").text
    relevance = RelevanceScorer().score(text, SUBJECT)
    assert relevance.relevant and relevance.score >= 0.9
    assert {"term:资本开支", "number+metric", "subject:BABA"} <= set(relevance.reasons)


def test_a_company_name_alone_is_not_relevance() -> None:
    text = fold("阿里巴巴志愿者团队参与杭州马拉松补给站服务").text
    relevance = RelevanceScorer().score(text, SUBJECT)
    assert not relevance.relevant and relevance.score == 0


def test_promotion_with_a_percentage_stays_below_the_threshold() -> None:
    text = fold("淘宝天猫双11预售开启，参与商家数量同比增长超过20%").text
    assert not RelevanceScorer().score(text, SUBJECT).relevant


def test_plan_statement_without_a_metric_word_is_relevant() -> None:
    text = fold("阿里巴巴宣布，未来三年将投入超过3800亿元，用于建设云和AI硬件基础设施").text
    relevance = RelevanceScorer().score(text, SUBJECT)
    assert relevance.relevant and "amount+investment" in relevance.reasons


def test_threshold_is_validated() -> None:
    with pytest.raises(ValueError):
        RelevanceScorer(min_relevance=1.5)


def test_reader_counts_dropped_articles_and_skips_extraction() -> None:
    reader = NewsReader(Registry.load())
    when = datetime(2025, 11, 2, tzinfo=UTC)
    sports = Article(article_id="s1", url="u", source="体坛周报", published_at=when,
                     title="杭州马拉松鸣枪", body="阿里巴巴志愿者负责补给站，冠军用时2小时10分。")
    promo = Article(article_id="p1", url="u", source="电商报", published_at=when,
                    title="双11预售开启", body="阿里巴巴表示参与商家同比增长20%，投入数十亿元消费券。")
    for article in (sports, promo):
        reading = reader.read(article)
        assert not reading.relevance.relevant and reading.facts == ()
    assert reader.dropped == 2 and reader.read_count == 2


@pytest.mark.parametrize(
    "raw",
    ["騰訊資本開支按年增長", "ＡＷＳ　ＲＥＶＥＮＵＥ", "Capital  expenditure rose", "雲計算業務", "數據中心", "AI基礎設施"],
)
def test_the_gate_lets_through_every_spelling_the_folded_path_matches(raw: str) -> None:
    assert RelevanceScorer.terms(fold(raw).text)  # the real path sees a term...
    assert RelevanceScorer.may_be_relevant(raw)  # ...so the gate must not drop it


def test_the_gate_drops_text_without_any_term() -> None:
    assert not RelevanceScorer.may_be_relevant("主队在补时阶段打进制胜一球。The home side won 2-1 at the weekend.")
