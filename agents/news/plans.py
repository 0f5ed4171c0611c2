"""Spending plans (amount, horizon, start) tracked against reported capex, quarter by quarter.

Plans come from config (``plans_file``, TOML; the bundled default is Alibaba's "more than
RMB 380bn over three years" for cloud and AI infrastructure, from April 2025) and from news
plan facts (``measure="plan_total"``). Progress through a quarter:

- the quarters counted run from the one containing ``start`` to the quarter reported, capped at
  the horizon (``years x 4`` quarters);
- ``cumulative`` is reported group capex summed over them; ``expected`` is the plan's
  straight-line spend for as many quarters (amount x elapsed / (years x 4));
- ``pace_pct`` = cumulative / expected - 1; outside ± ``margin_pct`` the plan is ahead/behind
  and an alert is due. A quarter missing from the history makes the status ``incomplete``:
  a gap is never read as zero spend.

A news plan starts on its stated start if that is the first day of a fiscal quarter; otherwise
(no start, or a mid-quarter date such as the article's own) with the next fiscal quarter: plans
are announced for the years ahead; a plan equal to a configured one
(company, amount, horizon, start) is the same plan, not a second one.

Usage::

    plans = load_plans(settings.plans_file)
    progress = track(plans[0], History(table, "BABA"), company, through=date(2025, 6, 30), margin=Decimal(15))
"""

from __future__ import annotations

import hashlib
import tomllib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.history import History
from schemas.company import Company
from schemas.fiscal import month_end
from schemas.money import parse_amount
from schemas.news import NewsFact
from schemas.news_alert import PlanProgress
from schemas.numbers import Money, Ratio

HUNDRED = Decimal(100)


class Plan(BaseModel):
    """A spending plan: ``amount`` (base units of ``currency``) over ``years`` from ``start``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    plan_id: str
    company: str
    origin: Literal["config", "news"] = "config"
    description_zh: str = ""
    description_en: str = ""
    amount: Money
    currency: str
    years: Ratio = Field(gt=0)
    start: date
    bound: Literal["at_least", "at_most"] | None = None
    source_url: str | None = None

    @property
    def identity(self) -> tuple[str, Decimal, Decimal, date, str]:
        return (self.company, self.amount.normalize(), self.years.normalize(), self.start, self.currency)


def load_plans(path: Path | None = None) -> list[Plan]:
    """Plans from a TOML file; the bundled defaults when no file is given."""
    text = path.read_text("utf-8") if path is not None else (
        resources.files("streams").joinpath("data/plans.toml").read_text("utf-8"))
    document = tomllib.loads(text)
    plans = []
    for plan_id, raw in document.get("plans", {}).items():
        fields: dict[str, Any] = dict(raw)
        # Amounts carry their scale in the text ("3800亿", "US$80 billion"): units stay explicit.
        fields["amount"] = parse_amount(str(fields["amount"]), currency=fields.get("currency")).value
        plans.append(Plan(plan_id=plan_id, origin="config", **fields))
    return plans


def quarter_containing(company: Company, day: date) -> date:
    """The fiscal quarter end whose quarter contains ``day`` (quarters end on month ends)."""
    calendar = company.calendar
    end = month_end(day.year, day.month)
    while not calendar.is_quarter_end(end):
        index = end.year * 12 + end.month  # next month
        end = month_end(index // 12, index % 12 + 1)
    return end


def _quarter_start(company: Company, day: date) -> bool:
    previous = date.fromordinal(day.toordinal() - 1)
    return company.calendar.is_quarter_end(previous)


def plan_from_fact(fact: NewsFact, company: Company, published: date, *, source_url: str | None) -> Plan | None:
    """A plan read from a news plan fact; None when the fact lacks a horizon or currency."""
    if fact.measure != "plan_total" or fact.plan_years is None or fact.currency is None or fact.company != company.id:
        return None
    start = fact.plan_start or published
    if not _quarter_start(company, start):
        # "未来三年" counts from the next fiscal quarter: a mid-quarter date (often just the
        # article's own date) is not when the spending starts.
        start = date.fromordinal(quarter_containing(company, start).toordinal() + 1)
    ident = f"{company.id}|{fact.value.normalize()}|{fact.currency}|{fact.plan_years.normalize()}|{start}"
    return Plan(
        plan_id="news-" + hashlib.sha256(ident.encode()).hexdigest()[:12], company=company.id, origin="news",
        description_zh=fact.evidence.text, description_en="", amount=fact.value, currency=fact.currency,
        years=fact.plan_years, start=start, bound=fact.bound, source_url=source_url,
    )


def _pct(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def track(plan: Plan, history: History, company: Company, *, through: date, margin: Decimal,
          segment: str = "group", metric: str = "capex") -> PlanProgress | None:
    """Progress of ``plan`` through the quarter ending ``through``; None before the plan starts."""
    calendar = company.calendar
    first = quarter_containing(company, plan.start)
    horizon = int((plan.years * 4).to_integral_value(rounding=ROUND_HALF_UP))
    last = calendar.shift(first, horizon - 1)
    if through < first:
        return None
    through = min(through, last)
    quarters = [first]
    while quarters[-1] < through:
        quarters.append(calendar.shift(quarters[-1], 1))
    values = []
    for quarter in quarters:
        value = history.value(segment, metric, quarter)
        if value is not None and value.entry.get("currency") not in (None, plan.currency):
            return None  # reported in another currency: not comparable without an FX assumption
        values.append(value)
    counted = [v for v in values if v is not None]
    if not counted or values[-1] is None:
        return None
    cumulative = sum((v.value for v in counted), Decimal(0))
    expected = plan.amount * len(quarters) / (plan.years * 4)
    pace = _pct((cumulative / expected - 1) * HUNDRED)
    if len(counted) < len(quarters):
        status = "incomplete"
    elif pace > margin:
        status = "ahead"
    elif pace < -margin:
        status = "behind"
    else:
        status = "on_pace"
    latest = values[-1].value
    return PlanProgress(
        plan_id=plan.plan_id, company=plan.company, origin=plan.origin,
        description=plan.description_en or plan.description_zh, amount=plan.amount, currency=plan.currency,
        bound=plan.bound, years=plan.years, start=plan.start, through=through,
        fiscal_period=calendar.label(through), quarters_counted=len(counted), quarters_elapsed=len(quarters),
        cumulative=cumulative, expected=expected.quantize(Decimal(1), rounding=ROUND_HALF_UP), pace_pct=pace,
        latest_quarter=latest, run_rate_annual=latest * 4,
        plan_annual=(plan.amount / plan.years).quantize(Decimal(1), rounding=ROUND_HALF_UP),
        margin_pct=margin, status=status,  # type: ignore[arg-type]
        release_ids=sorted({v.release_id for v in counted}), source_url=plan.source_url,
    )


def latest_quarter(history: History, plan: Plan, company: Company, segment: str = "group", metric: str = "capex") -> date | None:
    """The most recent quarter with a capex figure inside the plan's horizon."""
    first = quarter_containing(company, plan.start)
    last = company.calendar.shift(first, int((plan.years * 4).to_integral_value(rounding=ROUND_HALF_UP)) - 1)
    days = [date.fromisoformat(k) for k in history.series(segment, metric)["points"]]
    inside = [d for d in days if first <= d <= last and history.value(segment, metric, d) is not None]
    return max(inside) if inside else None
