"""Alert output contract v1: one alert per release (all rule hits grouped), bilingual text.

This is what lands on ``cloudpulse.alerts``, in ``--alerts-out`` JSONL and in webhooks.
``alert_id`` is a hash of the company, quarter and facts, so a re-run, a redelivery or a
republished identical release gives the same id and receivers can de-duplicate on it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.delta import DeltaRecord
from schemas.memo import DumpedOnce
from schemas.news_alert import NewsBlock, PlanProgress

Severity = Literal["info", "warning", "critical"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "critical": 2}


def _absent(value: object) -> bool:
    # Release alerts serialise exactly as before the news fields existed (receivers, hashes).
    return value is None


class RuleHit(BaseModel):
    """One threshold crossed: which rule, on which measure, by how much."""

    model_config = ConfigDict(frozen=True)

    rule: str
    kind: str
    severity: Severity
    segment: str
    metric: str
    measure: str
    observed: str = Field(description="The measured value, as a decimal string (or a word for sign changes)")
    threshold: str
    period_end: date


class Alert(DumpedOnce):
    """A grouped, written alert about one company's quarter (dumped once per instance: schemas/memo.py)."""

    model_config = ConfigDict(frozen=True)

    schema_version: int = 1
    alert_id: str
    kind: str
    kinds: list[str]
    severity: Severity
    company: str
    company_name_en: str
    company_name_zh: str
    fiscal_period: str
    period_end: date
    release_id: str
    # "news": a story's facts (see `news`); "plan": a spending plan's pace (see `plan`).
    trigger: Literal["release", "revision", "recompute", "news", "plan"]
    revises: str | None = Field(default=None, description="alert_id of the alert this one revises")
    facts: list[DeltaRecord] = Field(description="Release deltas; empty for news and plan alerts")
    hits: list[RuleHit]
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    generated_by: str
    source_url: str | None
    created_at: datetime = Field(description="Event time: the release's published_at (deterministic on replay)")
    news: NewsBlock | None = Field(default=None, exclude_if=_absent, description="trigger news: story, sources, news facts, cross-checks")
    plan: PlanProgress | None = Field(default=None, exclude_if=_absent, description="trigger plan (or a news plan fact): pace of a spending plan")
