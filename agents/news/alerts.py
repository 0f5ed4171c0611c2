"""News and plan alerts: which story states and plan paces deserve an alert, and their identity.

A story alert is derived from the story's whole state (its significant facts, their
cross-checks, whether enough outlets carry it), never from the one article that just arrived:

- a new story with a significant fact -> an alert;
- a later article that adds a significant fact -> a new alert that ``revises`` the last one;
- a republication with nothing new -> no alert; its outlet is added to the story's sources
  (stories table), and the next alert of the story lists it. Once ``corroboration`` outlets
  carry the story, one revision says so ("reported by 3 outlets"): a desk reads a single-source
  story and a widely carried one differently, but does not want a ping per copy.

``alert_id`` is a hash of that state, so a redelivered article finds its alert already in the
story's chain and sends nothing, and a crash between the table write and the send is repaired
by the redelivery (the alert is not in the chain yet, so it is sent).

A plan alert is due when a plan's cumulative capex departs from its straight-line pace by more
than the margin, and once more when it comes back within it.

Usage::

    alert = compose_story(update.record, company, checks, plan, corroboration=3, new_fact_ids=[...])
    alert = compose_plan(progress, company, release_id=..., source_url=..., created_at=..., chain=[...], last_status=None)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from agents.deltas import content_id
from agents.news.plans import quarter_containing
from agents.news.storybook import Record, fact_key, facts_of, sources_of
from agents.news.templates import NewsTemplateWriter
from schemas.alert import Alert
from schemas.company import Company
from schemas.news import NewsFact
from schemas.news_alert import CrossCheck, NewsBlock, PlanProgress

MIN_CONFIDENCE = 0.6
GROUP_METRICS = frozenset({"capex", "ai_investment", "free_cash_flow"})
KIND_ORDER = ("news_discrepancy", "news_plan", "news_capex", "news_cloud_growth", "news_ai_investment", "news_figures")
_WRITER = NewsTemplateWriter()


def significant(fact: NewsFact) -> bool:
    """Capex and plans, cloud figures, AI investment, FCF: what the desk tracks; confident only."""
    if fact.company is None or fact.metric is None or fact.confidence < MIN_CONFIDENCE:
        return False
    return fact.measure == "plan_total" or fact.metric in GROUP_METRICS or fact.segment == "cloud"


def kinds_of(facts: list[NewsFact], checks: list[CrossCheck]) -> list[str]:
    found = set()
    if any(c.outcome == "discrepancy" for c in checks):
        found.add("news_discrepancy")
    for f in facts:
        if f.measure == "plan_total":
            found.add("news_plan")
        elif f.metric == "capex":
            found.add("news_capex")
        elif f.metric == "ai_investment":
            found.add("news_ai_investment")
        elif f.segment == "cloud" and f.metric == "revenue":
            found.add("news_cloud_growth")
        else:
            found.add("news_figures")
    return [k for k in KIND_ORDER if k in found]


def _check_identity(check: CrossCheck, facts: dict[str, NewsFact]) -> list[Any]:
    return [fact_key(facts[check.fact_id]), check.outcome, check.release_id, str(check.release_value)]


def compose_story(record: Record, company: Company, checks: list[CrossCheck], plan: PlanProgress | None, *,
                  corroboration: int, new_fact_ids: list[str]) -> Alert | None:
    """The alert the story's state calls for, or None (nothing significant, or already sent)."""
    facts = [f for f in facts_of(record) if significant(f) and f.company == company.id]
    if not facts:
        return None
    by_id = {f.fact_id: f for f in facts}
    checks = [c for c in checks if c.fact_id in by_id]
    sources = sources_of(record)
    outlets = len({s.outlet for s in sources})
    identity = {
        "story": record["story_id"],
        "facts": sorted(fact_key(f) for f in facts),
        "checks": sorted(_check_identity(c, by_id) for c in checks),
        "corroborated": outlets >= corroboration,
        "plan": None if plan is None else [plan.plan_id, plan.through.isoformat(), plan.status],
    }
    alert_id = content_id("alert", identity)
    chain: list[str] = list(record.get("alert_ids", []))
    if alert_id in chain:
        return None
    resolved = [f.period_end for f in facts if f.period_status == "resolved" and f.period_end is not None]
    # The quarter the news is about; with no stated period, the quarter in which the story broke.
    period_end = max(resolved) if resolved else quarter_containing(company, sources[0].published_at.date())
    kinds = kinds_of(facts, checks)
    warning = any(c.outcome == "discrepancy" for c in checks) or (plan is not None and plan.status in ("ahead", "behind"))
    draft = Alert(
        alert_id=alert_id, kind=kinds[0], kinds=kinds, severity="warning" if warning else "info",
        company=company.id, company_name_en=company.name_en, company_name_zh=company.name_zh,
        fiscal_period=company.calendar.label(period_end), period_end=period_end,
        release_id=record["story_id"], trigger="news", revises=chain[-1] if chain else None,
        facts=[], hits=[], title_zh="", title_en="", text_zh="", text_en="", generated_by="template",
        source_url=sources[0].url, created_at=max(s.published_at for s in sources),
        news=NewsBlock(story_id=record["story_id"], sources=sources, facts=facts, checks=checks,
                       new_fact_ids=[i for i in new_fact_ids if i in by_id],
                       more_sources=record.get("more_members", 0)),
        plan=plan,
    )
    return _written(draft)


def compose_plan(progress: PlanProgress, company: Company, *, release_id: str, source_url: str | None,
                 created_at: datetime, chain: list[str], last_status: str | None) -> Alert | None:
    """A plan-pace alert when the pace is outside the margin, or back inside after being out."""
    out = progress.status in ("ahead", "behind")
    back = progress.status == "on_pace" and last_status in ("ahead", "behind")
    if not (out or back):
        return None
    identity = {"plan": progress.plan_id, "through": progress.through.isoformat(), "status": progress.status,
                "cumulative": str(progress.cumulative), "expected": str(progress.expected)}
    alert_id = content_id("alert", identity)
    if alert_id in chain:
        return None
    draft = Alert(
        alert_id=alert_id, kind="plan_pace", kinds=["plan_pace"], severity="warning" if out else "info",
        company=company.id, company_name_en=company.name_en, company_name_zh=company.name_zh,
        fiscal_period=progress.fiscal_period, period_end=progress.through, release_id=release_id,
        trigger="plan", revises=chain[-1] if chain else None, facts=[], hits=[],
        title_zh="", title_en="", text_zh="", text_en="", generated_by="template",
        source_url=source_url, created_at=created_at, plan=progress,
    )
    return _written(draft)


def _written(draft: Alert) -> Alert:
    written = _WRITER.write(draft)
    return draft.model_copy(update={"title_zh": written.title_zh, "title_en": written.title_en,
                                    "text_zh": written.text_zh, "text_en": written.text_en,
                                    "generated_by": written.generated_by})
