"""Facts out of one article's folded text, by rules: figure + metric + company + segment + period.

Each quantity (see :mod:`agents.news.quantities`) becomes a fact when a metric word governs
it in the same sentence (nearest before it, or right after it: "$24bn in capex"), or when it
is growth of a named cloud business ("阿里云增长34%"). Company, segment and period are read
from the same sentence, nearest first; a sentence that names none inherits them from the
sentences before (news writes "该季度", "its cloud unit" and means the one just named).

Usage::

    extractor = FactExtractor(registry)
    facts = extractor.extract(article, folded, tagged)
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Generic, TypeVar

from agents.news.lexicon import (
    BLOCK_WORDS,
    AZURE_WORDS,
    CLOUD_WORDS,
    DECLINE_WORDS,
    DIFFERENCE_WORDS,
    FORECAST_WORDS,
    GROUP_WORDS,
    GROWTH_WORDS,
    MARGIN_WORDS,
    METRIC_WORDS,
    PLAN_WORDS,
    QOQ_WORDS,
    YOY_WORDS,
    compile_terms,
)
from agents.news.normalise import Folded
from agents.news.periods import (
    NO_PERIOD,
    PeriodMention,
    ResolvedPeriod,
    find_periods,
    resolve,
)
from agents.news.quantities import Quantity, find_quantities
from agents.news.tagging import Hit, Tagged
from schemas.article import Article
from schemas.company import Company, Registry
from schemas.news import Evidence, NewsFact

_SENTENCE_END = re.compile(r"[。!?;！？；]|\.(?=\s|$)|\n")
_METRICS = compile_terms(METRIC_WORDS)
_CLOUD = compile_terms(CLOUD_WORDS)
_AZURE = compile_terms(AZURE_WORDS)
_GROUP = compile_terms(GROUP_WORDS)
_BLOCK = compile_terms(BLOCK_WORDS)
_FORECAST = compile_terms(FORECAST_WORDS)
_DIFFERENCE = compile_terms(DIFFERENCE_WORDS)
_DECLINE = compile_terms(DECLINE_WORDS)
_GROWTH = compile_terms(GROWTH_WORDS)
_HORIZON = re.compile(
    r"(?:未来|今后|接下来的?)(?P<zh>\d+)年|(?<!\d)(?P<zh2>\d{1,2})年(?:内|(?=\d))"
    r"|over (?:the )?(?:next |coming )?(?P<en>\w+) years|(?P<en2>\w+)-year"
)
_EN_COUNT = {"two": 2, "three": 3, "four": 4, "five": 5, "ten": 10}
# Characters a metric word may sit before its figure (English takes more letters to say it),
# or after it ("$24bn in capital expenditures").
_FIGURE_GAP_ZH = 30
_FIGURE_GAP_EN = 80
_FIGURE_AFTER = 12
_FORECAST_REACH = 200  # a forecast word further back than this is another clause's
# What may sit between a period and its figure: "上季度的26%", "26% in the previous quarter".
# A comparison base ("较上季度的26%") owns a figure only through a linking word; any other
# period owns a figure a few words later ("上年同期为净流入173.72亿元").
_COMPARISON_GAP = re.compile(r"\s?(?:的|为|是)\s?(?:约|超过|近)?\s?")
_BEFORE_GAP = re.compile(r"[^\d,.;:。!?，；：、]{0,6}")
_AFTER_GAP = re.compile(r"\s?(?:growth|increase|rise|gain|growth rate)?\s?(?:in|during|for|at)?\s?(?:the\s)?")
_ADJACENT_REACH = 64  # longer than any period expression plus its linking words
T = TypeVar("T")
_ALWAYS_GROUP = frozenset({"capex", "free_cash_flow", "ai_investment"})


@dataclass(frozen=True, slots=True)
class _Sentence:
    start: int
    end: int


@dataclass(slots=True)
class _Context:
    """What one article's earlier sentences established, and its company hits by position."""

    anchor: date | None
    hits: _Ordered[Hit]
    last_period: dict[str, ResolvedPeriod] = field(default_factory=dict)


class FactExtractor:
    """Rule-based extraction; build once per registry (patterns are compiled once)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def extract(self, article: Article, folded: Folded, tagged: Tagged) -> tuple[NewsFact, ...]:
        text = folded.text
        # Everything below is looked up by position (bisect), so the work per figure does not
        # grow with the article: extraction stays linear in its length.
        periods = _Ordered(find_periods(text))
        quantities = [q for q in find_quantities(text) if periods.covering(q.start) is None]
        if not quantities:
            return ()
        default_company = self._default_company(tagged)
        anchor = self._article_anchor(periods.items, default_company, article)
        context = _Context(anchor=anchor, hits=_Ordered(tagged.hits))
        sentences = _Sentences(text)
        facts: dict[tuple[object, ...], NewsFact] = {}
        previous: Quantity | None = None
        for quantity in quantities:
            sentence = sentences.of(quantity.start)
            if not _conversion(text, previous, quantity):
                fact = self._fact(article, folded, periods, quantity, sentence, default_company, context)
                if fact is not None:
                    key = (fact.company, fact.segment, fact.metric, fact.measure, fact.value, fact.fiscal_period)
                    facts.setdefault(key, fact)
            previous = quantity
        return _drop_plan_conversions(tuple(facts.values()), self._registry)

    def _article_anchor(self, periods: list[PeriodMention], company_id: str | None, article: Article) -> date | None:
        """The article's own quarter end: its first explicit period, read with the subject's calendar."""
        if company_id is None:
            return None
        return _anchor(periods, self._registry.get(company_id), article)

    def _default_company(self, tagged: Tagged) -> str | None:
        subjects = tagged.subjects
        return subjects[0] if subjects else (tagged.mentions[0].company if tagged.mentions else None)

    def _fact(
        self, article: Article, folded: Folded, periods: _Ordered[PeriodMention],
        quantity: Quantity, sentence: _Sentence, default_company: str | None, context: _Context,
    ) -> NewsFact | None:
        text = folded.text
        before = text[sentence.start : quantity.start]
        # A forecast word before the figure makes it an expectation ("市场预期的30%", "expects $91bn");
        # the reported figure earlier in the same sentence stays.
        if _FORECAST.search(text, max(sentence.start, quantity.start - _FORECAST_REACH), quantity.start):
            return None
        if quantity.kind == "amount" and _DIFFERENCE.search(text, max(sentence.start, quantity.start - 5), quantity.start):
            return None
        metric_match = _nearest_metric(text, sentence, quantity)
        plan = _plan(text, sentence, quantity)
        if quantity.kind == "amount" and plan is not None:
            metric = "capex" if metric_match and METRIC_WORDS[metric_match.group()] == "capex" else "ai_investment"
            measure = "plan_total"
        elif metric_match is not None:
            metric = METRIC_WORDS[metric_match.group()]
            measure = _measure(text, quantity, metric_match.start(), sentence)
        elif quantity.kind != "amount" and (_CLOUD.search(before) or _AZURE.search(before)) and _has(before, GROWTH_WORDS):
            metric, measure = "revenue", _measure(text, quantity, sentence.start, sentence)
        else:
            return None
        if measure is None:
            return None
        window_start = metric_match.start() if metric_match and metric_match.start() < quantity.start \
            else max(sentence.start, quantity.start - 20)
        if _BLOCK.search(text[min(window_start, quantity.start) : quantity.start]) or _BLOCK.search(
            text[quantity.end : min(sentence.end, quantity.end + 4)]
        ):
            return None
        company_id, company_explicit = self._company(context.hits, sentence, quantity, default_company)
        if company_id is None:
            return None
        company = self._registry.get(company_id)
        segment = "group" if metric in _ALWAYS_GROUP else _segment(text, sentence, quantity, context.hits)
        resolved = self._period(text, periods, sentence, quantity, company, article, context)
        if measure == "plan_total":
            resolved = NO_PERIOD
        value = quantity.value
        if measure in ("yoy_pct", "qoq_pct") and value > 0 and _declines(text, window_start, quantity):
            value = -value
        currency = quantity.currency if quantity.kind == "amount" else None
        if quantity.kind == "amount" and currency is None:
            currency = company.currency
        plan_years, plan_start, note = None, None, resolved.note
        if measure == "plan_total" and plan is not None:
            plan_years = Decimal(plan)
            plan_start = article.published_at.date()
            note = "plan start not stated: implied by the article date"
        # Evidence: from the metric word (or the plan's horizon, or the clause start) to the figure.
        if metric_match is not None and metric_match.start() < quantity.start:
            start = metric_match.start()
        else:
            start = _clause_start(text, sentence, quantity)
        if measure == "plan_total":
            horizon = _HORIZON.search(text, sentence.start, quantity.start)
            start = horizon.start() if horizon else start
        original_start, original_end = folded.original_span(start, quantity.end)
        evidence_text = article.text[original_start:original_end]
        confidence = 0.55 + 0.15 * bool(metric_match) + 0.1 * company_explicit + 0.1 * (
            resolved.status == "resolved") + 0.1 * (quantity.kind != "amount" or quantity.currency is not None)
        fact_key = "|".join(str(x) for x in (article.article_id, company_id, segment, metric, measure, value,
                                             resolved.fiscal_period, original_start))
        return NewsFact(
            fact_id=hashlib.sha1(fact_key.encode()).hexdigest()[:16],
            company=company_id, segment=segment, metric=metric, measure=measure, value=value, currency=currency,
            approx=quantity.approx, bound=quantity.bound, period_end=resolved.period_end,
            fiscal_period=resolved.fiscal_period, period_status=resolved.status, period_note=note,
            plan_years=plan_years, plan_start=plan_start,
            evidence=Evidence(start=original_start, end=original_end, text=evidence_text),
            confidence=round(min(confidence, 1.0), 2),
        )

    @staticmethod
    def _company(
        hits: _Ordered[Hit], sentence: _Sentence, quantity: Quantity, default: str | None
    ) -> tuple[str | None, bool]:
        in_sentence = hits.between(sentence.start, quantity.start)
        if in_sentence:
            return in_sentence[-1].company, True
        earlier = hits.between(0, sentence.start)
        if earlier:
            return earlier[-1].company, False
        return default, False

    def _period(
        self, folded_text: str, periods: _Ordered[PeriodMention], sentence: _Sentence, quantity: Quantity,
        company: Company, article: Article, context: _Context,
    ) -> ResolvedPeriod:
        chosen = _adjacent_period(folded_text, periods, quantity)
        if chosen is None:
            in_sentence = [p for p in periods.between(sentence.start, sentence.end) if not p.comparison
                           and p.kind not in ("previous", "year_ago")]
            # Relative mentions ("上年同期", "a year earlier") own only the figure they are written
            # next to (see _adjacent_period).
            before = [p for p in in_sentence if p.start < quantity.start]
            # A period later in the sentence ("... in the quarter ended June 30") owns the figure,
            # unless it is relative: "上年同期为..." after a figure introduces another figure.
            after = [p for p in in_sentence if p.start > quantity.start]
            chosen = before[-1] if before else (after[0] if after else None)
        if chosen is None and company.id in context.last_period:
            # A later sentence about the same company speaks of the same quarter.
            return context.last_period[company.id]
        if chosen is None:
            # Relative mentions ("the previous quarter") belong to their own sentence.
            chosen = next((p for p in reversed(periods.between(0, sentence.start)) if p.end <= sentence.start
                           and not p.comparison and p.kind not in ("previous", "year_ago")), None)
        if chosen is None:
            if context.anchor is None or not company.calendar.is_quarter_end(context.anchor):
                return NO_PERIOD
            resolved = ResolvedPeriod(context.anchor, company.calendar.label(context.anchor), "resolved",
                                      "the article's period (stated elsewhere in the article)")
        else:
            resolved = resolve(chosen, company, published_at=article.published_at, anchor=context.anchor)
        if chosen is None or chosen.kind not in ("previous", "year_ago"):
            context.last_period[company.id] = resolved
        return resolved


class _Sentences:
    """Sentence bounds by position: one scan of the text, then a bisect per lookup."""

    def __init__(self, text: str) -> None:
        marks = [(m.start(), m.end()) for m in _SENTENCE_END.finditer(text)]
        self._starts = [start for start, _ in marks]
        self._ends = [end for _, end in marks]
        self._length = len(text)

    def of(self, position: int) -> _Sentence:
        index = bisect.bisect_left(self._starts, position)  # first mark at or after position
        start = self._ends[index - 1] if index > 0 else 0
        end = self._starts[index] if index < len(self._starts) else self._length
        return _Sentence(start, end)


class _Ordered(Generic[T]):
    """Items with a ``start`` (hits, periods), sorted, sliced by position with bisect."""

    def __init__(self, items: Sequence[T]) -> None:
        self.items = sorted(items, key=lambda item: item.start)  # type: ignore[attr-defined]
        self._starts = [item.start for item in self.items]  # type: ignore[attr-defined]

    def between(self, lo: int, hi: int) -> list[T]:
        """Items starting in [lo, hi)."""
        return self.items[bisect.bisect_left(self._starts, lo) : bisect.bisect_left(self._starts, hi)]

    def covering(self, position: int) -> T | None:
        index = bisect.bisect_right(self._starts, position) - 1
        if index >= 0 and position < self.items[index].end:  # type: ignore[attr-defined]
            return self.items[index]
        return None


def _nearest_metric(text: str, sentence: _Sentence, quantity: Quantity) -> re.Match[str] | None:
    probe = text[max(0, quantity.start - _FIGURE_GAP_EN) : quantity.start]
    ascii_chars = len(probe.encode("ascii", "ignore"))
    gap = _FIGURE_GAP_EN if ascii_chars > 0.7 * len(probe) else _FIGURE_GAP_ZH
    lo = max(sentence.start, quantity.start - gap)
    before = list(_METRICS.finditer(text, lo, quantity.start))
    if before:
        return before[-1]
    after = _METRICS.search(text, quantity.end, sentence.end)
    if after is None or after.start() - quantity.end > _FIGURE_AFTER:
        return None
    # "1260亿元,远高于...资本开支": a metric in the next clause is not this figure's.
    return None if re.search(r"[,;:]", text[quantity.end : after.start()]) else after


def _measure(text: str, quantity: Quantity, metric_start: int, sentence: _Sentence) -> str | None:
    if quantity.kind == "amount":
        return "value"
    lo = min(metric_start, quantity.start)
    window = text[lo : quantity.start]
    after = text[quantity.end : min(sentence.end, quantity.end + 14)]
    if quantity.kind == "points":
        return None if _has(window, MARGIN_WORDS) else "yoy_change_pp"
    if _has(window, MARGIN_WORDS):
        return "margin_pct"
    if _has(window, QOQ_WORDS) or _has(after, QOQ_WORDS):
        return "qoq_pct"
    if _has(window, YOY_WORDS) or _has(after, YOY_WORDS) or _has(window, GROWTH_WORDS) or _has(after, GROWTH_WORDS):
        return "yoy_pct"
    return None


def _plan(text: str, sentence: _Sentence, quantity: Quantity) -> int | None:
    """The plan horizon in years when the figure is a spending plan, else None."""
    clause = text[sentence.start : sentence.end]
    if not _has(clause, PLAN_WORDS):
        return None
    horizon = _HORIZON.search(clause)
    if horizon is None:
        return None
    years = horizon.group("zh") or horizon.group("zh2") or horizon.group("en") or horizon.group("en2")
    return int(years) if years.isdigit() else _EN_COUNT.get(years)


def _segment(text: str, sentence: _Sentence, quantity: Quantity, hits: _Ordered[Hit]) -> str:
    """The nearest segment word before the figure in its sentence; a company name means group."""
    candidates: list[tuple[int, str]] = []
    unit_spans: list[tuple[int, int]] = []
    for match in _AZURE.finditer(text, sentence.start, quantity.start):
        candidates.append((match.start(), "azure"))
        unit_spans.append((match.start(), match.end()))
    azure_spans = list(unit_spans)
    for match in _CLOUD.finditer(text, sentence.start, quantity.start):
        # "cloud services" inside "Azure and other cloud services" is still Azure.
        if not any(s <= match.start() < e for s, e in azure_spans):
            candidates.append((match.start(), "cloud"))
            unit_spans.append((match.start(), match.end()))
    for match in _GROUP.finditer(text, sentence.start, quantity.start):
        # 集团 in 云智能集团 and "group" in "cloud intelligence group" name the cloud unit.
        if not any(s <= match.start() <= e + 1 for s, e in unit_spans):
            candidates.append((match.start(), "group"))
    for hit in hits.between(sentence.start, quantity.start):
        named = text[hit.start : hit.end]
        if not any(s == hit.start for s, _ in candidates) and not (_CLOUD.fullmatch(named) or _AZURE.fullmatch(named)):
            candidates.append((hit.start, "group"))
    if candidates:
        return max(candidates)[1]
    window = max(0, sentence.start - 200)
    earlier = sorted([(m.start(), "cloud") for m in _CLOUD.finditer(text, window, sentence.start)]
                     + [(m.start(), "azure") for m in _AZURE.finditer(text, window, sentence.start)])
    return earlier[-1][1] if earlier else "group"


def _adjacent_period(text: str, periods: _Ordered[PeriodMention], quantity: Quantity) -> PeriodMention | None:
    """A period written right before ("上季度的26%") or after ("26% in the previous quarter")."""
    for period in periods.between(quantity.start - _ADJACENT_REACH, quantity.end + _ADJACENT_REACH):
        gap_before = text[period.end : quantity.start] if period.end <= quantity.start else None
        linked = _COMPARISON_GAP if period.comparison else _BEFORE_GAP
        if gap_before is not None and linked.fullmatch(gap_before):
            return period
        gap_after = text[quantity.end : period.start] if quantity.end <= period.start else None
        if gap_after is not None and not period.comparison and _AFTER_GAP.fullmatch(gap_after):
            return period
    return None


def _anchor(periods: list[PeriodMention], company: Company, article: Article) -> date | None:
    """The article's own period: its first explicit, resolvable period expression."""
    for period in periods:
        if period.kind in ("fiscal", "calendar", "end_date", "fiscal_q", "quarter") and not period.comparison:
            resolved = resolve(period, company, published_at=article.published_at, anchor=None)
            if resolved.period_end is not None:
                return resolved.period_end
    return None


def _clause_start(text: str, sentence: _Sentence, quantity: Quantity) -> int:
    commas = [m.end() for m in re.finditer(r"[,;:]\s?", text[sentence.start : quantity.start])]
    return sentence.start + (commas[-1] if commas else 0)


def _declines(text: str, window_start: int, quantity: Quantity) -> bool:
    """The growth word nearest before the figure says it fell ("按年跌24%", "fell 5%")."""
    words = list(_GROWTH.finditer(text, min(window_start, quantity.start), quantity.start))
    return bool(words) and _DECLINE.fullmatch(words[-1].group()) is not None


def _conversion(text: str, previous: Quantity | None, quantity: Quantity) -> bool:
    """'380 billion yuan ($52.4 billion)': the bracketed amount restates the one before it."""
    if previous is None or previous.kind != "amount" or quantity.kind != "amount":
        return False
    return bool(re.fullmatch(r"\s?[(（]\s?(?:约|about|around)?\s?", text[previous.end : quantity.start]))


def _drop_plan_conversions(facts: tuple[NewsFact, ...], registry: Registry) -> tuple[NewsFact, ...]:
    """A plan restated in another currency ("$52 billion" for a 380bn-yuan plan) is one plan."""
    home = {f.company for f in facts if f.measure == "plan_total" and f.company
            and f.currency == registry.get(f.company).currency}
    return tuple(
        f for f in facts
        if not (f.measure == "plan_total" and f.company in home and f.currency != registry.get(f.company).currency)
    )


def _has(window: str, words: tuple[str, ...]) -> bool:
    return any(word in window for word in words)
