"""The NewsReader contract the story and alert stages rely on."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.news.reading import NewsReader
from schemas.article import Article
from schemas.company import Registry


def _article(article_id: str = "a1", **overrides: object) -> Article:
    values: dict[str, object] = {
        "article_id": article_id, "url": "https://example.com/a", "source": "經濟日報",
        "published_at": datetime(2025, 11, 25, 13, tzinfo=UTC),
        "title": "阿里雲收入按年增長34%", "body": "阿里巴巴截至2025年9月30日止季度，雲智能集團收入398.24億元。",
    }
    values.update(overrides)
    return Article(**values)  # type: ignore[arg-type]


def test_read_fills_the_reading_and_detects_the_language() -> None:
    reading = NewsReader(Registry.load()).read(_article())
    assert (reading.article_id, reading.source, reading.language) == ("a1", "經濟日報", "zh-Hant")
    assert reading.relevance.relevant
    assert [m.company for m in reading.mentions] == ["BABA"] and reading.mentions[0].role == "subject"
    assert {f.fiscal_period for f in reading.facts} == {"FY2026Q2"}


def test_the_producers_language_is_kept() -> None:
    reading = NewsReader(Registry.load()).read(_article(language="zh-Hans"))
    assert reading.language == "zh-Hans"


def test_folded_is_computed_once_per_article_object() -> None:
    reader = NewsReader(Registry.load())
    article = _article()
    first = reader.folded(article)
    reader.read(article)
    assert reader.folded(article) is first
    assert reader.folded(_article()) is not first  # an equal but different object is folded anew
    assert first.text.startswith("阿里云收入按年增长34%\n")


def test_min_relevance_one_drops_everything_before_extraction() -> None:
    reader = NewsReader(Registry.load(), min_relevance=1.0)
    reading = reader.read(_article(body="云计算"))
    assert not reading.relevance.relevant and reading.facts == ()
    assert reader.dropped == 1
