"""The notification history: sent alerts joined with their delivery states (`alerts history`).

Usage::

    rows = history(alerts, deliveries, company="BABA", since=datetime(2025, 1, 1, tzinfo=timezone.utc))
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from schemas.alert import Alert
from schemas.delivery import DeliveryRecord


@dataclass(slots=True)
class HistoryRow:
    alert: Alert
    deliveries: list[DeliveryRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"alert_id": self.alert.alert_id, "company": self.alert.company,
                "fiscal_period": self.alert.fiscal_period, "severity": self.alert.severity,
                "created_at": self.alert.created_at.isoformat(), "title_en": self.alert.title_en,
                "title_zh": self.alert.title_zh, "revises": self.alert.revises,
                "deliveries": [{"receiver": d.receiver, "state": d.state, "attempts": d.attempts, "detail": d.detail,
                                "updated_at": d.updated_at.isoformat(), "ref": d.ref} for d in self.deliveries]}


def latest(records: list[DeliveryRecord]) -> dict[str, DeliveryRecord]:
    out: dict[str, DeliveryRecord] = {}
    for record in records:
        current = out.get(record.key)
        if current is None or record.updated_at >= current.updated_at:
            out[record.key] = record
    return out


def history(alerts: list[Alert], deliveries: list[DeliveryRecord], *, company: str | None = None,
            since: datetime | None = None) -> list[HistoryRow]:
    by_alert: dict[str, list[DeliveryRecord]] = {}
    for record in latest(deliveries).values():
        by_alert.setdefault(record.alert_id, []).append(record)
    rows: dict[str, HistoryRow] = {}
    for alert in alerts:
        if company and alert.company != company.upper():
            continue
        if since and alert.created_at < since:
            continue
        rows[alert.alert_id] = HistoryRow(alert, sorted(by_alert.get(alert.alert_id, []), key=lambda d: d.receiver))
    return sorted(rows.values(), key=lambda r: (r.alert.created_at, r.alert.alert_id))


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """``7d``, ``12h``, ``30m``, or an ISO date/datetime (UTC if no zone)."""
    now = now or datetime.now(timezone.utc)
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if value[-1:] in units and value[:-1].isdigit():
        return now - timedelta(**{units[value[-1]]: int(value[:-1])})
    when = datetime.fromisoformat(value)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
