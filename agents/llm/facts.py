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
    for d in days:
        tokens |= {d.year, d.month, d.day, d.year % 100}
    for label in labels:
        if label.startswith("FY") and "Q" in label:
            year = int(label[2:6])
            tokens |= {year, year % 100, year - 1}
    return tokens


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
    }
