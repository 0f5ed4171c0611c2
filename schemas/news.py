"""What the news path reads out of one article: mentions, relevance, facts and plan statements.

Every fact carries its evidence: character offsets into ``Article.text`` (title, newline, body)
and the exact text there, so any number in a news alert can be traced to the words it came from.
Amounts are exact Decimals in base units (亿 already multiplied out), percentages are in percent.

A period that cannot be pinned to one quarter is kept as ``period_status="ambiguous"`` with a
note saying why, never guessed.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.article import Language
from schemas.numbers import Money, Ratio

Role = Literal["subject", "mentioned"]

#: What a fact's value measures.
#: value: an amount of money; yoy_pct / qoq_pct: growth in percent; yoy_change_pp: growth
#: acceleration in percentage points; margin_pct: a margin in percent; plan_total: the total of
#: a spending plan (see ``plan_years``).
Measure = Literal["value", "yoy_pct", "qoq_pct", "yoy_change_pp", "margin_pct", "plan_total"]

#: revenue, adjusted_ebita, operating_income, capex, free_cash_flow are the registry's metric
#: ids (the same series releases report); ai_investment is spending news names without a
#: reporting line (chips, data centres, "AI infrastructure").
NewsMetric = Literal["revenue", "adjusted_ebita", "operating_income", "capex", "free_cash_flow", "ai_investment"]

PeriodStatus = Literal["resolved", "ambiguous", "none"]


class Mention(BaseModel):
    """A registry company named in the article."""

    model_config = ConfigDict(frozen=True)

    company: str = Field(description="Registry id")
    count: int = Field(ge=1, description="Alias matches in the folded text")
    role: Role = Field(description="subject: the article is about it (title, lead or most mentions)")
    aliases: tuple[str, ...] = Field(description="Which aliases matched, as written in the registry")


class Relevance(BaseModel):
    """How much the article is about cloud growth, capex or AI infrastructure, and why."""

    model_config = ConfigDict(frozen=True)

    score: float = Field(ge=0, le=1)
    relevant: bool
    reasons: tuple[str, ...] = Field(description="Matched terms and rules, e.g. 'term:资本开支', 'number+metric'")


class Evidence(BaseModel):
    """Where a fact was read: ``Article.text[start:end] == text``."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str


class NewsFact(BaseModel):
    """One figure stated in an article, tied to a company, series and period when the text allows."""

    model_config = ConfigDict(frozen=True)

    fact_id: str = Field(description="Hash of article_id, measure, series, period and value")
    company: str | None
    segment: str | None = Field(description="'cloud', 'group' or None when the text does not say")
    metric: NewsMetric | None
    measure: Measure
    value: Money = Field(description="Base units of `currency` for amounts; percent or pp otherwise")
    currency: str | None = None
    approx: bool = Field(default=False, description="约/超过/nearly/more than: a bound or rounded figure")
    bound: Literal["at_least", "at_most"] | None = None
    period_end: date | None = None
    fiscal_period: str | None = None
    period_status: PeriodStatus = "none"
    period_note: str | None = Field(default=None, description="Why a period is ambiguous, or how it was resolved")
    plan_years: Ratio | None = Field(default=None, description="Horizon of a plan_total, in years")
    plan_start: date | None = Field(default=None, description="First day the plan covers, when stated or implied")
    evidence: Evidence
    confidence: float = Field(ge=0, le=1)
    extracted_by: str = Field(default="rules", description="'rules' or 'llm:<model>'")


class ArticleReading(BaseModel):
    """Everything the news stages read out of one article (before story grouping)."""

    model_config = ConfigDict(frozen=True)

    article_id: str
    source: str
    url: str
    published_at: datetime
    language: Language
    mentions: tuple[Mention, ...]
    relevance: Relevance
    facts: tuple[NewsFact, ...]
