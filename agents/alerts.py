"""Grouping: all rule hits of one release become one alert draft; a writer adds the words.

A :class:`Draft` has every fact and number; a writer (templates, or the LLM writer) only turns
it into titles and text. ``alert_id`` is derived from the company, quarter, facts and hits
(not the release id), so a redelivered or republished identical release gives the same id.

Usage::

    drafts = compose(release, outcome, rules, history_lookup)
    alert = drafts[0].to_alert(TemplateWriter().write(drafts[0]))
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from agents.deltas import Outcome, content_id
from agents.rules import RuleSet
from schemas.alert import SEVERITY_RANK, Alert, RuleHit
from schemas.company import Company
from schemas.delta import DeltaRecord
from schemas.release import Release


@dataclass(frozen=True, slots=True)
class Written:
    """What a writer produces."""

    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    generated_by: str


class Writer(Protocol):
    """Turns a draft into bilingual text; must never change or add numbers."""

    async def write(self, draft: Draft) -> Written: ...


@dataclass(frozen=True, slots=True)
class Draft:
    """An alert before words: facts, hits, severity, identity."""

    alert_id: str
    kind: str
    kinds: tuple[str, ...]
    severity: str
    company: Company
    fiscal_period: str
    period_end: date
    release_id: str
    trigger: str
    revises: str | None
    facts: tuple[DeltaRecord, ...]
    hits: tuple[RuleHit, ...]
    source_url: str | None
    created_at: datetime

    def to_alert(self, written: Written) -> Alert:
        return Alert(
            alert_id=self.alert_id, kind=self.kind, kinds=list(self.kinds), severity=self.severity,  # type: ignore[arg-type]
            company=self.company.id, company_name_en=self.company.name_en, company_name_zh=self.company.name_zh,
            fiscal_period=self.fiscal_period, period_end=self.period_end, release_id=self.release_id,
            trigger=self.trigger, revises=self.revises,  # type: ignore[arg-type]
            facts=list(self.facts), hits=list(self.hits),
            title_zh=written.title_zh, title_en=written.title_en,
            text_zh=written.text_zh, text_en=written.text_en, generated_by=written.generated_by,
            source_url=self.source_url, created_at=self.created_at,
        )


def compose(
    release: Release,
    outcome: Outcome,
    rules: RuleSet,
    earlier_alert_ids: dict[date, list[str]],
) -> list[Draft]:
    """One draft for the release's quarter (if any rule fires), one per recomputed quarter."""
    drafts: list[Draft] = []
    own = _draft(release, release.period_end, outcome.deltas, rules, earlier_alert_ids, outcome.docs)
    if own is not None:
        drafts.append(own)
    by_period: dict[date, list[DeltaRecord]] = {}
    for record in outcome.recomputed:
        by_period.setdefault(record.period_end, []).append(record)
    for period, records in sorted(by_period.items()):
        draft = _draft(release, period, records, rules, earlier_alert_ids, outcome.docs)
        if draft is not None:
            drafts.append(draft)
    return drafts


def _draft(
    release: Release,
    period: date,
    facts: list[DeltaRecord],
    rules: RuleSet,
    earlier_alert_ids: dict[date, list[str]],
    docs: dict[str, dict[str, Any]],
) -> Draft | None:
    hits = rules.evaluate_all(facts)
    if not hits:
        return None
    hits.sort(key=lambda h: -SEVERITY_RANK[h.severity])  # stable: rule-file order within a severity
    kinds = tuple(dict.fromkeys(h.kind for h in hits))
    triggers = {f.trigger for f in facts}
    trigger = "recompute" if "recompute" in triggers else "revision" if "revision" in triggers else "release"
    identity = {
        "company": release.company_id,
        "period_end": period.isoformat(),
        "trigger": trigger,
        # Release ids are left out at every level (a comparative printed in the release carries
        # the release's own id): a republished identical release is the same news.
        "facts": [_without_release_ids(_doc(f, docs)) for f in facts],
        "hits": [h.model_dump(mode="json") for h in hits],
    }
    alert_id = content_id("alert", identity)
    earlier = [a for a in earlier_alert_ids.get(period, []) if a != alert_id]
    own_release = period == release.period_end
    return Draft(
        alert_id=alert_id,
        kind=kinds[0],
        kinds=kinds,
        severity=hits[0].severity,
        company=release.company,
        fiscal_period=release.company.calendar.label(period),
        period_end=period,
        release_id=release.release_id if own_release else facts[0].release_id,
        trigger=trigger,
        # Alerts for a quarter form a chain: each revises the one before it. The list is read
        # from state, so a redelivery of the same release finds the same predecessor.
        revises=_predecessor(earlier_alert_ids.get(period, []), alert_id) if earlier else None,
        facts=tuple(facts),
        hits=tuple(hits),
        source_url=release.source_url,
        created_at=release.published_at,
    )


RELEASE_ID_KEYS = frozenset({"release_id", "previous_release_id"})


def _doc(record: DeltaRecord, docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The record's JSON form without its id: the one the engine hashed, else dumped now."""
    doc = docs.get(record.delta_id)
    return doc if doc is not None else record.model_dump(mode="json", exclude={"delta_id"})


def _without_release_ids(value: Any) -> Any:
    # Recurses only into containers: a fact has ~40 scalar fields and this runs per fact.
    if isinstance(value, dict):
        return {k: _without_release_ids(v) if isinstance(v, (dict, list)) else v
                for k, v in value.items() if k not in RELEASE_ID_KEYS}
    if isinstance(value, list):
        return [_without_release_ids(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def _predecessor(chain: list[str], alert_id: str) -> str | None:
    if alert_id in chain:
        index = chain.index(alert_id)
        return chain[index - 1] if index > 0 else None
    return chain[-1] if chain else None
