"""Delivery contracts: the ledger record, the retry and dead-letter records, silences, and the
webhook payload v1 (docs/delivery.md).

One delivery is one (alert_id, receiver) pair; ``delivery_key`` names it everywhere (ledger
table key, topic key, webhook ``Idempotency-Key``).

Usage::

    key = delivery_key(alert.alert_id, "firm")          # "alert-…|firm"
    record = DeliveryRecord(alert_id=…, receiver="firm", state="delivered", attempts=1, …)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from schemas.alert import Alert

DeliveryState = Literal["pending", "sending", "delivered", "silenced", "dead"]
# States after which nothing is ever sent again for that delivery (except `deliveries retry`).
TERMINAL: frozenset[str] = frozenset({"delivered", "silenced", "dead"})
PAYLOAD_VERSION = 1


def delivery_key(alert_id: str, receiver: str) -> str:
    return f"{alert_id}|{receiver}"


class DeliveryRecord(BaseModel):
    """The ledger's entry for one (alert, receiver): state, attempts, where it landed."""

    model_config = ConfigDict(frozen=True)

    alert_id: str
    receiver: str
    state: DeliveryState
    attempts: int = Field(ge=0, description="Sends started so far")
    company: str
    fiscal_period: str
    severity: str
    kind: str
    title_en: str
    title_zh: str
    alert_created_at: datetime
    revises: str | None = Field(default=None, description="alert_id of the alert this delivery revises")
    revises_ref: dict[str, Any] | None = Field(default=None, description="ref of the earlier delivery to the same receiver")
    ref: dict[str, Any] | None = Field(default=None, description="Where it landed, e.g. Slack channel and ts")
    detail: str = Field(default="", description="Last outcome in words (status, error)")
    not_before: datetime | None = Field(default=None, description="pending: next try at or after")
    silenced_by: str | None = None
    uncertain_resends: int = Field(default=0, description="Re-sends after a crash left the state 'sending'")
    maybe_sent: bool = Field(default=False, description="The last attempt got no answer: it may have landed")
    updated_at: datetime

    @property
    def key(self) -> str:
        return delivery_key(self.alert_id, self.receiver)

    @classmethod
    def first(cls, alert: Alert, receiver: str, now: datetime) -> DeliveryRecord:
        return cls(
            alert_id=alert.alert_id, receiver=receiver, state="pending", attempts=0, company=alert.company,
            fiscal_period=alert.fiscal_period, severity=alert.severity, kind=alert.kind, title_en=alert.title_en,
            title_zh=alert.title_zh, alert_created_at=alert.created_at, revises=alert.revises, updated_at=now,
        )


class RetryRecord(BaseModel):
    """A parked delivery on ``cloudpulse.deliveries.retry``: the alert and when to try again.

    ``expect_attempts`` is the ledger's attempt count when it was parked; a record whose
    delivery has moved on since (delivered, or re-attempted) is stale and dropped.
    """

    model_config = ConfigDict(frozen=True)

    alert: Alert
    receiver: str
    expect_attempts: int = Field(ge=0)
    not_before: datetime
    reason: str
    reset: bool = Field(default=False, description="`deliveries retry`: a dead delivery starts over")


class DeliveryDeadLetter(BaseModel):
    """A delivery that ran out of attempts or failed finally (``cloudpulse.deliveries.deadletter``)."""

    model_config = ConfigDict(frozen=True)

    alert: Alert
    receiver: str
    partition: int
    attempts: int
    reason: str
    failed_at: datetime


SilenceField = Literal["company", "kind", "severity", "segment", "trigger", "receiver"]


class Silence(BaseModel):
    """Mutes deliveries matching every matcher between ``starts_at`` and ``ends_at``."""

    model_config = ConfigDict(frozen=True)

    id: str
    matchers: dict[SilenceField, list[str]] = Field(description="field -> any of these values; all fields must match")
    starts_at: datetime
    ends_at: datetime
    created_by: str = ""
    comment: str = ""

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at


class WebhookPayload(BaseModel):
    """Body of every webhook POST, version 1. ``idempotency_key`` is stable across re-sends."""

    model_config = ConfigDict(frozen=True)

    payload_version: Literal[1] = PAYLOAD_VERSION
    idempotency_key: str
    receiver: str
    alert_id: str
    revises: str | None = None
    revises_idempotency_key: str | None = Field(default=None, description="Key of the delivery this one revises")
    attempt: int
    sent_at: datetime
    alert: Alert


def secret_env_names(path: Path) -> list[str]:
    """Every ``*_env`` value in a delivery file: the environment variables holding its secrets."""
    with path.open("rb") as handle:
        doc = tomllib.load(handle)
    names: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if isinstance(value, str) and key.endswith("_env"):
                    names.append(value)
                elif isinstance(value, Mapping) and key.endswith("_env"):
                    names.extend(v for v in value.values() if isinstance(v, str))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(doc)
    return sorted(set(names))
