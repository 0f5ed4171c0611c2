"""The news part of an alert: story sources, news facts, cross-checks and plan progress.

An :class:`~schemas.alert.Alert` with ``trigger="news"`` carries a :class:`NewsBlock`; one with
``trigger="plan"`` carries a :class:`PlanProgress`. Every number in such an alert's text is a
field here (or of a :class:`~schemas.news.NewsFact` with its evidence span), so it can be traced
to the article words or the release it came from.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.news import NewsFact
from schemas.numbers import Money, Ratio


class NewsSource(BaseModel):
    """One article of a story: the outlet and where to read it."""

    model_config = ConfigDict(frozen=True)

    article_id: str
    outlet: str
    url: str
    published_at: datetime
    language: str


class CrossCheck(BaseModel):
    """A news fact held against the release history: confirmed, or a discrepancy."""

    model_config = ConfigDict(frozen=True)

    fact_id: str
    outcome: Literal["confirms", "discrepancy"]
    company: str
    segment: str
    metric: str
    measure: str
    fiscal_period: str
    period_end: date
    news_value: Money
    release_value: Money
    currency: str | None = Field(description="For amounts; None for percentages")
    tolerance: Money = Field(description="Largest difference still read as the same figure (both roundings)")
    outlet: str
    url: str
    release_id: str
    release_source_url: str | None = None


class PlanProgress(BaseModel):
    """A spending plan against reported capex, through the latest reported quarter."""

    model_config = ConfigDict(frozen=True)

    plan_id: str
    company: str
    origin: Literal["config", "news"]
    description: str = ""
    amount: Money
    currency: str
    bound: Literal["at_least", "at_most"] | None = None
    years: Ratio
    start: date
    through: date = Field(description="period_end of the latest quarter counted")
    fiscal_period: str = Field(description="Fiscal label of `through`")
    quarters_counted: int
    quarters_elapsed: int
    cumulative: Money = Field(description="Reported capex summed over the counted quarters")
    expected: Money = Field(description="The plan's straight-line spend over the elapsed quarters")
    pace_pct: Ratio = Field(description="cumulative / expected - 1, in percent")
    latest_quarter: Money
    run_rate_annual: Money = Field(description="Latest quarter x 4")
    plan_annual: Money = Field(description="amount / years")
    margin_pct: Ratio
    status: Literal["ahead", "behind", "on_pace", "incomplete"]
    release_ids: list[str]
    source_url: str | None = Field(default=None, description="Article url for a plan read from news")


class NewsBlock(BaseModel):
    """What a news alert is about: one story, its sources and facts, and their cross-checks."""

    model_config = ConfigDict(frozen=True)

    story_id: str
    sources: list[NewsSource]
    facts: list[NewsFact]
    checks: list[CrossCheck] = Field(default_factory=list)
    new_fact_ids: list[str] = Field(default_factory=list, description="Facts this alert adds to the story's last one")
    more_sources: int = Field(default=0, ge=0, description="Copies beyond the sources kept (a widely copied story)")
