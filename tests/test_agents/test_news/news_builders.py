"""Hand-made news readings for the NEWS-STREAM tests (independent of the reading stage)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from agents.deltas import DeltaEngine
from schemas.news import ArticleReading, Evidence, Mention, NewsFact, Relevance
from tests.test_agents.builders import bundled_releases

T0 = datetime(2025, 10, 1, 2, 0, tzinfo=UTC)


def fact(evidence: str, value: str | int, *, company: str | None = "BABA", segment: str | None = "cloud",
         metric: str | None = "revenue", measure: str = "value", currency: str | None = "CNY",
         period_end: date | None = date(2025, 9, 30), fiscal_period: str | None = "FY2026Q2",
         status: str = "resolved", article_id: str = "a-1", **extra: Any) -> NewsFact:
    """A fact whose evidence is ``evidence`` at offset 0 (a one-line article text)."""
    if period_end is None:
        fiscal_period, status = None, "none" if status == "resolved" else status
    ident = f"{article_id}|{company}|{segment}|{metric}|{measure}|{fiscal_period}|{value}"
    return NewsFact(
        fact_id="fact-" + hashlib.sha256(ident.encode()).hexdigest()[:12], company=company, segment=segment,
        metric=metric, measure=measure, value=Decimal(str(value)), currency=currency if measure in ("value", "plan_total") else None,
        period_end=period_end, fiscal_period=fiscal_period, period_status=status,
        evidence=Evidence(start=0, end=len(evidence), text=evidence), confidence=0.9, **extra,
    )


def reading(article_id: str, facts: list[NewsFact] = (), *, outlet: str = "财新", company: str = "BABA",
            published_at: datetime = T0, language: str = "zh-Hans", url: str | None = None) -> ArticleReading:
    return ArticleReading(
        article_id=article_id, source=outlet, url=url or f"https://news.example/{article_id}",
        published_at=published_at, language=language,
        mentions=(Mention(company=company, count=3, role="subject", aliases=("阿里巴巴",)),),
        relevance=Relevance(score=0.9, relevant=True, reasons=("term:资本开支",)),
        facts=tuple(facts),
    )


def alibaba_history(through: str = "2025-09-30") -> dict[str, Any]:
    """The history store after the bundled Alibaba releases up to ``through``."""
    store: dict[str, Any] = {}
    engine = DeltaEngine()
    for release in bundled_releases("alibaba.jsonl"):
        if release.period_end.isoformat() <= through:
            engine.apply(release, store)
    return store
