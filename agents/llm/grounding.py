"""Grounding: every number in a written alert must be one of its facts, in both languages.

A stated number is grounded when it matches a :class:`Quantity` of the alert: same kind
(money / percent / percentage points), same currency, equal after unit conversion within the
precision it was printed with (a hedge such as 约/about, 超过/more than or 近/nearly widens
that in the stated direction only), and, for changes, the same direction. Period labels may
only name the alert's own quarters. The Chinese and English texts must state the same
quantities with the same directions.

Usage::

    problems = check(written, quantities_of(alert), period_tokens(alert), skip=(alert.company,))
    if problems: ...   # each a human-readable violation, fed back to the model on retry
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from agents.llm.facts import Quantity
from agents.llm.numbers import Mention, mentions, normalise, periods, word_numbers

HEDGE_ABOUT_REL = Decimal("0.02")  # "约386亿": within 2%
HEDGE_RANGE_REL = Decimal("0.10")  # "超过3800亿" / "近400亿": the fact within 10% on the stated side


@dataclass(frozen=True, slots=True)
class Violation:
    field: str  # title_zh, text_en, ...
    text: str  # the number as written
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.text!r} {self.reason}"


def matches(m: Mention, q: Quantity) -> bool:
    if m.kind != q.kind:
        return False
    if q.kind == "money" and m.currency is not None and q.currency is not None and m.currency != q.currency:
        return False
    stated, actual = abs(m.value), abs(q.value)
    if not _close(stated, actual, m):
        return False
    # A fact that rounds to zero at the printed precision has no direction to get wrong.
    if abs(q.value) <= m.tolerance:
        return True
    if m.explicit_sign:
        return (m.value < 0) == (q.value < 0)
    if q.change and m.direction:
        return m.direction == q.sign
    return True


def _close(stated: Decimal, actual: Decimal, m: Mention) -> bool:
    tol = m.tolerance + Decimal("1e-9")
    if m.hedge == "about":
        return abs(actual - stated) <= max(tol, stated * HEDGE_ABOUT_REL)
    if m.hedge == "over":
        return stated - tol <= actual <= stated * (1 + HEDGE_RANGE_REL) + tol
    if m.hedge == "under":
        return stated * (1 - HEDGE_RANGE_REL) - tol <= actual <= stated + tol
    return abs(actual - stated) <= tol


def ground(text: str, field: str, quantities: list[Quantity], allowed_plain: set[int],
           skip: tuple[str, ...]) -> tuple[list[tuple[Mention, frozenset[str]]], list[Violation]]:
    """Match each stated number to the quantity keys it can be; violations for the rest."""
    grounded: list[tuple[Mention, frozenset[str]]] = []
    problems: list[Violation] = []
    for m in mentions(text, skip=skip):
        if m.kind == "plain":
            if m.value == m.value.to_integral_value() and int(m.value) in allowed_plain:
                continue
            problems.append(Violation(field, m.text, "is a number that is not among the facts"))
            continue
        if m.kind == "multiple":
            problems.append(Violation(field, m.text, "is a multiple; state the percentage given in the facts instead"))
            continue
        keys = frozenset(q.key for q in quantities if matches(m, q))
        if keys:
            grounded.append((m, keys))
            continue
        near = [q for q in quantities if q.kind == m.kind and _close(abs(m.value), abs(q.value), m)]
        reason = (
            f"has the wrong direction or sign (facts: {', '.join(q.key for q in near)})" if near
            else f"matches no {m.kind} fact"
        )
        problems.append(Violation(field, m.text, reason))
    problems += _periods(text, field, allowed_plain)
    for word, _ in word_numbers(text):
        problems.append(Violation(field, word, "is a spelled-out number; use the figures given in the facts"))
    return grounded, problems


def _periods(text: str, field: str, allowed: set[int]) -> list[Violation]:
    out = []
    for p in periods(normalise(text)):
        numbers = [int(n) for n in re.findall(r"\d+", p.text)]
        if any(n not in allowed for n in numbers):
            out.append(Violation(field, p.text, "names a period that is not in the facts"))
    return out


def check(written: object, quantities: list[Quantity], allowed_plain: set[int],
          skip: Iterable[str] = ()) -> list[Violation]:
    """All violations in ``written`` (anything with title_zh/title_en/text_zh/text_en)."""
    skip = tuple(skip)
    problems: list[Violation] = []
    found: dict[str, list[tuple[Mention, frozenset[str]]]] = {}
    for field in ("title_zh", "title_en", "text_zh", "text_en"):
        grounded, bad = ground(getattr(written, field), field, quantities, allowed_plain, skip)
        found[field] = grounded
        problems += bad
    problems += _cross_language(found["title_zh"] + found["text_zh"], found["title_en"] + found["text_en"])
    return problems


def _cross_language(zh: list[tuple[Mention, frozenset[str]]], en: list[tuple[Mention, frozenset[str]]]) -> list[Violation]:
    """Each language must state the same quantities (a number in one must have a counterpart)."""
    out = []
    for field, ours, theirs in (("text_zh", zh, en), ("text_en", en, zh)):
        for mention, keys in ours:
            counterpart = [k for m, k in theirs if k & keys]
            if not counterpart:
                other = "English" if field == "text_zh" else "Chinese"
                out.append(Violation(field, mention.text, f"is not stated in the {other} text"))
    return out
