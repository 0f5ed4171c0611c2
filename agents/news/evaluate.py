"""Scoring the news readers against the annotated set in tests/data/news/.

Facts: a predicted fact is correct when an expected fact of the same article has the same
company, segment, metric, measure, fiscal_period and period_status, and a value within the
printed precision (amounts within 0.5%: "315亿" and "315.01亿" are one figure; percentages and
points within 0.5). Several predictions of one expected figure (title and body) are all correct;
recall counts each expected fact once. Scores are overall, per metric family and for the *core*
families the targets are set on (cloud revenue, growth, capex, margins, free cash flow).

Stories: articles with the same ``story`` label are one story; the grouper's assignments are
scored by pairwise precision and recall over article pairs.

Usage::

    report = evaluate(load_set(Path("tests/data/news/articles.jsonl")), NewsReader(Registry.load()))
    report.core.precision, report.stories.recall
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from itertools import combinations
from pathlib import Path
from typing import Any

from agents.news.reading import NewsReader
from schemas.article import Article
from schemas.news import NewsFact

CORE_FAMILIES = ("cloud_revenue", "growth", "capex", "margins", "fcf")
FAMILIES = (*CORE_FAMILIES, "plans", "other")
_AMOUNT_TOLERANCE = Decimal("0.005")
_PERCENT_TOLERANCE = Decimal("0.5")
_KEY_FIELDS = ("company", "segment", "metric", "measure", "fiscal_period", "period_status")


@dataclass(frozen=True, slots=True)
class Sample:
    article: Article
    expected: tuple[dict[str, Any], ...]
    story: str


@dataclass(slots=True)
class Score:
    predicted: int = 0
    correct: int = 0
    expected: int = 0
    found: int = 0

    @property
    def precision(self) -> float:
        return self.correct / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass(slots=True)
class StoryScore:
    available: bool
    note: str = ""
    predicted_pairs: int = 0
    true_pairs: int = 0
    correct_pairs: int = 0
    stories: int = 0
    labels: int = 0

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict[str, Any]:
        if not self.available:
            return {"available": False, "note": self.note}
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


@dataclass(slots=True)
class EvalReport:
    articles: int = 0
    relevant_kept: int = 0
    irrelevant_dropped: int = 0
    families: dict[str, Score] = field(default_factory=lambda: {f: Score() for f in FAMILIES})
    misses: list[dict[str, Any]] = field(default_factory=list)
    wrong: list[dict[str, Any]] = field(default_factory=list)
    stories: StoryScore = field(default_factory=lambda: StoryScore(available=False))

    @property
    def overall(self) -> Score:
        return _sum(self.families.values())

    @property
    def core(self) -> Score:
        return _sum(self.families[f] for f in CORE_FAMILIES)

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles, "relevant_kept": self.relevant_kept,
            "irrelevant_dropped": self.irrelevant_dropped,
            "overall": self.overall.as_dict(), "core": self.core.as_dict(),
            "families": {name: score.as_dict() for name, score in self.families.items()},
            "stories": self.stories.as_dict(), "misses": self.misses, "wrong": self.wrong,
        }


def load_set(path: Path) -> list[Sample]:
    samples = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        record = json.loads(line)
        try:
            expected = tuple(record.pop("expected_facts"))
            story = record.pop("story")
            samples.append(Sample(Article.model_validate(record), expected, story))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: not an annotated article: {exc}") from None
    return samples


def family_of(fact: dict[str, Any] | NewsFact) -> str:
    get = fact.get if isinstance(fact, dict) else lambda name: getattr(fact, name)
    measure, metric, segment = get("measure"), get("metric"), get("segment")
    if measure == "plan_total":
        return "plans"
    if measure in ("yoy_pct", "qoq_pct", "yoy_change_pp"):
        return "growth"
    if measure == "margin_pct" or metric in ("adjusted_ebita", "operating_income"):
        return "margins"
    if metric == "capex":
        return "capex"
    if metric == "free_cash_flow":
        return "fcf"
    if metric == "revenue" and segment == "cloud":
        return "cloud_revenue"
    return "other"


def matches(predicted: NewsFact, expected: dict[str, Any]) -> bool:
    if any(getattr(predicted, name) != expected.get(name) for name in _KEY_FIELDS):
        return False
    want = Decimal(str(expected["value"]))
    if predicted.measure in ("value", "plan_total"):
        return abs(predicted.value - want) <= abs(want) * _AMOUNT_TOLERANCE
    return abs(predicted.value - want) <= _PERCENT_TOLERANCE


def evaluate(
    samples: Iterable[Sample], reader: NewsReader, grouper_factory: Callable[[], Any] | None = None
) -> EvalReport:
    report = EvalReport()
    samples = list(samples)
    for sample in samples:
        report.articles += 1
        reading = reader.read(sample.article)
        if reading.relevance.relevant:
            report.relevant_kept += 1
        else:
            report.irrelevant_dropped += 1
        _score_article(report, sample, reading.facts)
    report.stories = score_stories(samples, reader, grouper_factory)
    return report


def _score_article(report: EvalReport, sample: Sample, facts: tuple[NewsFact, ...]) -> None:
    aid = sample.article.article_id
    for expected in sample.expected:
        score = report.families[family_of(expected)]
        score.expected += 1
        if any(matches(p, expected) for p in facts):
            score.found += 1
        else:
            report.misses.append({"article_id": aid, **expected})
    for predicted in facts:
        score = report.families[family_of(predicted)]
        score.predicted += 1
        if any(matches(predicted, e) for e in sample.expected):
            score.correct += 1
        else:
            report.wrong.append({"article_id": aid, **predicted.model_dump(
                mode="json", include={*_KEY_FIELDS, "value", "currency"}), "evidence": predicted.evidence.text})


def score_stories(
    samples: list[Sample], reader: NewsReader, grouper_factory: Callable[[], Any] | None
) -> StoryScore:
    if grouper_factory is None:
        try:
            from agents.news.stories import StoryGrouper
        except ImportError as exc:
            return StoryScore(available=False, note=f"agents.news.stories.StoryGrouper is not available: {exc}")
        grouper_factory = StoryGrouper
    # Imported here, as the grouper is: it needs datasketch.
    from agents.news.storybook import subject_company

    grouper = grouper_factory()
    assigned: dict[str, str] = {}
    for sample in sorted(samples, key=lambda s: s.article.published_at):
        article = sample.article
        # Scoped by subject company, as the worker groups (agents/news/storybook.py).
        scope = subject_company(reader.read(article)) or ""
        assigned[article.article_id] = grouper.assign(
            article.article_id, reader.folded(article).text, article.published_at, scope=scope
        ).story_id
    labels = {s.article.article_id: s.story for s in samples}
    score = StoryScore(available=True, stories=len(set(assigned.values())), labels=len(set(labels.values())))
    for a, b in combinations(sorted(labels), 2):
        same_true = labels[a] == labels[b]
        same_predicted = assigned[a] == assigned[b]
        score.true_pairs += same_true
        score.predicted_pairs += same_predicted
        score.correct_pairs += same_true and same_predicted
    return score


def _sum(scores: Iterable[Score]) -> Score:
    total = Score()
    for s in scores:
        total.predicted += s.predicted
        total.correct += s.correct
        total.expected += s.expected
        total.found += s.found
    return total


def by_language(samples: list[Sample]) -> dict[str, list[Sample]]:
    groups: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        groups[sample.article.language or "unknown"].append(sample)
    return dict(groups)
