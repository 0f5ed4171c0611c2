"""The numbers an alert may state: named quantities derived from its facts, nothing else.

The same list feeds the prompt (what the model is given, pre-formatted in both languages) and
the grounding check (what a stated number must match). A number the model writes either
matches one of these after unit conversion and rounding, or the text is refused.

Usage::

    quantities = quantities_of(alert)
    payload = prompt_facts(alert, quantities)     # JSON-able, for the model
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from agents.templates import METRIC_EN, METRIC_ZH, money_en, money_zh, pct, signed
from schemas.alert import Alert
from schemas.delta import DeltaRecord

QKind = Literal["money", "pct", "pp"]


@dataclass(frozen=True, slots=True)
class Quantity:
    key: str  # "cloud.revenue.yoy_pct"
    kind: QKind
    value: Decimal  # money in base units, pct/pp in points
    change: bool  # a change (has a direction) rather than a level
    currency: str | None = None

    @property
    def sign(self) -> int:
        return (self.value > 0) - (self.value < 0)


# (field, kind, is a change); money levels and changes, ratios, pp changes.
FIELDS: tuple[tuple[str, QKind, bool], ...] = (
    ("value", "money", False),
    ("qoq_abs", "money", True),
    ("yoy_abs", "money", True),
    ("qoq_pct", "pct", True),
    ("yoy_pct", "pct", True),
    ("prev_yoy_pct", "pct", True),
    ("reported_yoy_pct", "pct", True),
    ("reported_qoq_pct", "pct", True),
    ("margin_pct", "pct", False),
    ("prev_margin_pct", "pct", False),
    ("capex_intensity_pct", "pct", False),
    ("prev_capex_intensity_pct", "pct", False),
    ("yoy_change_pp", "pp", True),
    ("margin_change_pp", "pp", True),
    ("capex_intensity_change_pp", "pp", True),
    ("yoy_mismatch_pp", "pp", True),
)


def _prefix(f: DeltaRecord, alert: Alert) -> str:
    base = f"{f.segment}.{f.metric}"
    return base if f.period_end == alert.period_end else f"{base}@{f.period_end.isoformat()}"


def quantities_of(alert: Alert) -> list[Quantity]:
    out: list[Quantity] = []
    for f in alert.facts:
        prefix = _prefix(f, alert)
        for name, kind, change in FIELDS:
            value = getattr(f, name)
            if value is None:
                continue
            currency = f.currency if kind == "money" else None
            out.append(Quantity(f"{prefix}.{name}", kind, Decimal(value), change, currency))
        for name, prior in (("prior_quarter", f.prior_quarter), ("year_ago", f.year_ago)):
            if prior is not None:
                out.append(Quantity(f"{prefix}.{name}.value", "money", Decimal(prior.value), False, f.currency))
        if f.revision is not None:
            out.append(Quantity(f"{prefix}.revision.previous_value", "money",
                                Decimal(f.revision.previous_value), False, f.currency))
    return out + news_quantities(alert)


NEWS_KIND: dict[str, QKind] = {"value": "money", "plan_total": "money", "yoy_pct": "pct", "qoq_pct": "pct",
                               "margin_pct": "pct", "yoy_change_pp": "pp"}
PLAN_MONEY = ("amount", "cumulative", "expected", "latest_quarter", "run_rate_annual", "plan_annual")


def news_quantities(alert: Alert) -> list[Quantity]:
    """News and plan alerts: every news fact, both sides of each cross-check, plan progress."""
    out: list[Quantity] = []
    if alert.news is not None:
        for n, f in enumerate(alert.news.facts):
            kind = NEWS_KIND[f.measure]
            change = f.measure in ("yoy_pct", "qoq_pct", "yoy_change_pp")
            out.append(Quantity(f"news.{n}.{f.measure}", kind, Decimal(f.value), change,
                                f.currency if kind == "money" else None))
        for n, c in enumerate(alert.news.checks):
            kind = NEWS_KIND[c.measure]
            change = c.measure in ("yoy_pct", "qoq_pct")
            for side in ("news_value", "release_value"):
                out.append(Quantity(f"check.{n}.{side}", kind, Decimal(getattr(c, side)), change, c.currency))
    if alert.plan is not None:
        p = alert.plan
        out += [Quantity(f"plan.{name}", "money", Decimal(getattr(p, name)), False, p.currency) for name in PLAN_MONEY]
        out.append(Quantity("plan.pace_pct", "pct", Decimal(p.pace_pct), True))
        out.append(Quantity("plan.margin_pct", "pct", Decimal(p.margin_pct), False))
    return out


def period_tokens(alert: Alert) -> set[int]:
    """Integers a period label may contain: years, months, days, quarter numbers, fiscal years."""
    days: set[date] = {alert.period_end}
    labels = {alert.fiscal_period}
    for f in alert.facts:
        days.add(f.period_end)
        labels.add(f.fiscal_period)
        for prior in (f.prior_quarter, f.year_ago):
            if prior is not None:
                days.add(prior.period_end)
                labels.add(prior.fiscal_period)
    tokens = {1, 2, 3, 4}
    days |= _news_days(alert, labels, tokens)
    for d in days:
        tokens |= {d.year, d.month, d.day, d.year % 100}
    for label in labels:
        if label.startswith("FY") and "Q" in label:
            year = int(label[2:6])
            tokens |= {year, year % 100, year - 1}
    return tokens


def _news_days(alert: Alert, labels: set[str], tokens: set[int]) -> set[date]:
    """Dates, labels and counts a news or plan alert may name (adds labels and tokens in place)."""
    days: set[date] = set()
    if alert.news is not None:
        tokens |= {len({s.outlet for s in alert.news.sources}), alert.news.more_sources}
        days |= {s.published_at.date() for s in alert.news.sources}
        for f in alert.news.facts:
            if f.period_end is not None:
                days.add(f.period_end)
            if f.fiscal_period:
                labels.add(f.fiscal_period)
            if f.plan_years is not None and f.plan_years == f.plan_years.to_integral_value():
                tokens.add(int(f.plan_years))
        labels |= {c.fiscal_period for c in alert.news.checks}
    if alert.plan is not None:
        p = alert.plan
        days |= {p.start, p.through}
        labels.add(p.fiscal_period)
        tokens |= {p.quarters_counted, p.quarters_elapsed}
        if p.years == p.years.to_integral_value():
            tokens.add(int(p.years))
    return days


def _display(q: Quantity) -> dict[str, str]:
    if q.kind == "money":
        assert q.currency is not None
        return {"zh": money_zh(q.value, q.currency), "en": money_en(q.value, q.currency, signed=q.change)}
    if q.kind == "pct":
        shown = signed(q.value) if q.change else pct(q.value)
        return {"zh": f"{shown}%", "en": f"{shown}%"}
    return {"zh": f"{signed(q.value)}个百分点", "en": f"{signed(q.value)} pp"}


def prompt_facts(alert: Alert, quantities: list[Quantity]) -> dict[str, Any]:
    """What the model sees: the alert's identity, hits and every allowed number, pre-formatted."""
    metrics = {
        _prefix(f, alert): {
            "segment": f.segment, "metric_zh": METRIC_ZH.get(f.metric, f.metric), "metric_en": METRIC_EN.get(f.metric, f.metric),
            "period_end": f.period_end.isoformat(), "fiscal_period": f.fiscal_period,
            "prior_quarter": f.prior_quarter.fiscal_period if f.prior_quarter else None,
            "year_ago": f.year_ago.fiscal_period if f.year_ago else None,
            "yoy_basis": f.yoy_basis, "restated_comparative_used": f.restated_comparative_used,
            "approximate_input": f.approx,
        }
        for f in alert.facts
    }
    return {
        "company": {"id": alert.company, "name_zh": alert.company_name_zh, "name_en": alert.company_name_en},
        "fiscal_period": alert.fiscal_period,
        "period_end": alert.period_end.isoformat(),
        "severity": alert.severity,
        "kinds": alert.kinds,
        "trigger": alert.trigger,
        "rule_hits": [
            {"rule": h.rule, "kind": h.kind, "severity": h.severity, "series": f"{h.segment}.{h.metric}", "measure": h.measure}
            for h in alert.hits
        ],
        "series": metrics,
        "numbers": [{"key": q.key, "kind": q.kind, **_display(q)} for q in quantities],
        **_news_payload(alert),
    }


def _news_payload(alert: Alert) -> dict[str, Any]:
    """For news and plan alerts: sources, facts with the words they were read from, checks, plan."""
    out: dict[str, Any] = {}
    if alert.news is not None:
        out["news"] = {
            "story_id": alert.news.story_id,
            # Outlet names and article words are untrusted text: the model gets counts and
            # series, never the strings (prompt injection), like release ids in the writer.
            "sources": len({s.outlet for s in alert.news.sources}),
            "facts": [{"key": f"news.{n}.{f.measure}", "series": f"{f.segment}.{f.metric}", "measure": f.measure,
                       "fiscal_period": f.fiscal_period, "period_status": f.period_status, "approx": f.approx,
                       "bound": f.bound, "plan_years": None if f.plan_years is None else str(f.plan_years)}
                      for n, f in enumerate(alert.news.facts)],
            "checks": [{"key": f"check.{n}", "outcome": c.outcome, "series": f"{c.segment}.{c.metric}",
                        "measure": c.measure, "fiscal_period": c.fiscal_period}
                       for n, c in enumerate(alert.news.checks)],
        }
    if alert.plan is not None:
        p = alert.plan
        out["plan"] = {"plan_id": p.plan_id, "status": p.status, "start": p.start.isoformat(), "years": str(p.years),
                       "bound": p.bound, "through": p.fiscal_period, "quarters_counted": p.quarters_counted,
                       "quarters_elapsed": p.quarters_elapsed}
    return out
