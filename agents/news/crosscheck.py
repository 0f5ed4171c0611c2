"""Cross-check: a news fact held against the release history of the same series and quarter.

Same figure within the precision both sides were printed with -> ``confirms``; a figure beyond
that -> ``discrepancy``, naming the article (outlet, url) and the release (id, source url).
Only facts whose period is resolved to one quarter are checked: an ambiguous period is never
guessed into a contradiction.

Precision: the article's printed precision is read back from its evidence (``398亿`` is
± 0.5亿, ``398.24亿`` ± 0.005亿, ``26%`` ± 0.5 points), the release's from its stored quantum.
A hedge widens the news side: 约/about by 2 %, and 超过/more than or 近/nearly make the fact a
bound, which the release must only respect.

Usage::

    check = cross_check(fact, History(table, "BABA"), company, outlet="财新", url="https://…")
    if check and check.outcome == "discrepancy": ...
"""

from __future__ import annotations

from decimal import Decimal

from agents.history import History, Value
from agents.llm.numbers import mentions
from schemas.company import Company
from schemas.news import NewsFact
from schemas.news_alert import CrossCheck

HEDGE_ABOUT_REL = Decimal("0.02")
HUNDRED = Decimal(100)
CHECKED_METRICS = frozenset({"revenue", "adjusted_ebita", "operating_income", "capex", "free_cash_flow"})
# Group-level by nature: an article saying "capex" means the company's.
GROUP_METRICS = frozenset({"capex", "free_cash_flow"})


def half_unit(value: Decimal) -> Decimal:
    """Half a unit of the last digit a decimal string carries ("26" -> 0.5, "34.5" -> 0.05)."""
    exponent = value.as_tuple().exponent
    return Decimal(5).scaleb(int(exponent) - 1) if isinstance(exponent, int) else Decimal(0)


def printed_tolerance(fact: NewsFact) -> Decimal:
    """Half a unit of the figure as the article printed it, read back from the evidence."""
    kind = "money" if fact.measure == "value" else "pp" if fact.measure == "yoy_change_pp" else "pct"
    for m in mentions(fact.evidence.text):
        if m.kind == kind and abs(abs(m.value) - abs(fact.value)) <= m.tolerance:
            return m.tolerance
    return half_unit(fact.value)


def _release_figure(fact: NewsFact, history: History, company: Company, segment: str) -> tuple[Decimal, Decimal, Value] | None:
    """The release's figure for the fact's measure, its tolerance, and the value it came from."""
    assert fact.period_end is not None and fact.metric is not None
    current = history.value(segment, fact.metric, fact.period_end)
    if current is None:
        return None
    quantum = Decimal(current.entry.get("quantum") or "0")
    if fact.measure == "value":
        if fact.currency and current.entry.get("currency") and fact.currency != current.entry["currency"]:
            return None  # a converted figure (US$ for an RMB reporter) is not the same number
        return current.value, quantum / 2, current
    if fact.measure == "margin_pct":
        revenue = history.value(segment, "revenue", fact.period_end)
        if revenue is None or revenue.value <= 0:
            return None
        rev_q = Decimal(revenue.entry.get("quantum") or "0")
        margin = current.value / revenue.value * HUNDRED
        return margin, _ratio_error(current.value, quantum, revenue.value, rev_q), current
    shift = {"yoy_pct": -4, "qoq_pct": -1}.get(fact.measure)
    if shift is None:
        return None
    printed = current.entry.get("reported_yoy_pct" if fact.measure == "yoy_pct" else "reported_qoq_pct")
    if printed is not None:
        return Decimal(printed), half_unit(Decimal(printed)), current
    base = history.value(segment, fact.metric, company.calendar.shift(fact.period_end, shift))
    if base is None or base.value <= 0:
        return None
    base_q = Decimal(base.entry.get("quantum") or "0")
    growth = (current.value / base.value - 1) * HUNDRED
    return growth, _ratio_error(current.value, quantum, base.value, base_q), current


def _ratio_error(num: Decimal, num_q: Decimal, den: Decimal, den_q: Decimal) -> Decimal:
    """Worst-case error (in points) of 100 * num/den when both were rounded to their quanta."""
    return HUNDRED * (num_q / 2 + abs(num / den) * den_q / 2) / den


def cross_check(fact: NewsFact, history: History, company: Company, *, outlet: str, url: str) -> CrossCheck | None:
    """Confirm or contradict one fact; None when there is nothing to hold it against."""
    if fact.period_status != "resolved" or fact.period_end is None or fact.company != company.id:
        return None
    if fact.metric not in CHECKED_METRICS or fact.measure == "plan_total":
        return None
    if not company.calendar.is_quarter_end(fact.period_end):
        return None
    segment = fact.segment or ("group" if fact.metric in GROUP_METRICS else None)
    if segment is None:
        return None
    found = _release_figure(fact, history, company, segment)
    if found is None:
        return None
    release_value, release_tol, source = found
    news_tol = printed_tolerance(fact)
    if fact.approx and fact.bound is None:
        news_tol += abs(fact.value) * HEDGE_ABOUT_REL
    tolerance = news_tol + release_tol
    if fact.bound == "at_least":
        same = release_value >= fact.value - tolerance
    elif fact.bound == "at_most":
        same = release_value <= fact.value + tolerance
    else:
        same = abs(release_value - fact.value) <= tolerance
    return CrossCheck(
        fact_id=fact.fact_id, outcome="confirms" if same else "discrepancy",
        company=company.id, segment=segment, metric=fact.metric, measure=fact.measure,  # type: ignore[arg-type]
        fiscal_period=fact.fiscal_period or company.calendar.label(fact.period_end),
        period_end=fact.period_end, news_value=fact.value,
        release_value=release_value.quantize(Decimal("0.01")) if fact.measure != "value" else release_value,
        currency=fact.currency if fact.measure == "value" else None,
        tolerance=tolerance.quantize(Decimal("0.0001")) if fact.measure != "value" else tolerance,
        outlet=outlet, url=url, release_id=source.release_id, release_source_url=source.entry.get("source_url"),
    )
