"""Fixtures for the delivery tests: alerts, a local endpoint, a ready-made dispatcher."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from agents.delivery.local_endpoint import LocalEndpoint
from schemas.alert import Alert, RuleHit

T0 = datetime(2025, 11, 25, 9, 30, tzinfo=timezone.utc)


def build_alert(n: int = 0, **overrides: Any) -> Alert:
    """A small, valid alert; ``n`` makes a distinct id."""
    hit = RuleHit(rule="growth_acceleration", kind="growth_acceleration", severity="warning", segment="cloud",
                  metric="revenue", measure="yoy_change_pp", observed="8.5", threshold="2",
                  period_end=datetime(2025, 9, 30).date())
    values: dict[str, Any] = dict(
        alert_id=f"alert-test{n:06d}", kind="growth_acceleration", kinds=["growth_acceleration"], severity="warning",
        company="BABA", company_name_en="Alibaba", company_name_zh="阿里巴巴", fiscal_period="FY2026Q2",
        period_end=datetime(2025, 9, 30).date(), release_id="BABA-2025-09-30", trigger="release", revises=None,
        facts=[], hits=[hit], title_zh="阿里巴巴 FY2026Q2：云智能集团收入增速加快至34.5%",
        title_en="Alibaba FY2026Q2: Cloud Intelligence Group revenue growth accelerates to 34.5% YoY",
        text_zh="云智能集团收入398.24亿元，同比增长34.5%。", text_en="Cloud revenue RMB 39.82 billion, +34.5% YoY.",
        generated_by="template", source_url="https://www.alibabagroup.com/en-US/ir", created_at=T0,
    )
    values.update(overrides)
    return Alert(**values)


@pytest.fixture
def make_alert() -> Callable[..., Alert]:
    return build_alert


@pytest.fixture
def endpoint() -> Iterator[LocalEndpoint]:
    with LocalEndpoint(secret="s3cret", token="xoxb-test") as server:
        yield server
