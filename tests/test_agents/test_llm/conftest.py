from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from agents.llm.stub import StubLLM
from pipeline_helpers import alibaba_lines, offline_alerts
from schemas.alert import Alert


@pytest.fixture(scope="session")
def alerts() -> list[Alert]:
    """The template-written alerts of the bundled Alibaba data (the writer's input)."""
    return [Alert.model_validate(a) for a in asyncio.run(offline_alerts(alibaba_lines()))]


@pytest.fixture
def headline(alerts: list[Alert]) -> Alert:
    """FY2026Q2: cloud revenue 398.24亿, +34.5% YoY, acceleration, capex shift."""
    return next(a for a in alerts if a.fiscal_period == "FY2026Q2")


@pytest.fixture
def stub() -> Iterator[StubLLM]:
    with StubLLM() as server:
        yield server

