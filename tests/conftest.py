"""Shared fixtures: one embedded Tansu broker per test session, isolated names per test.

Each test gets its own app id (so its own consumer group, table changelog and Faust group
state on the broker) and its own topic prefix, so tests never see each other's data and the
broker never needs a restart.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from streams.broker import EmbeddedBroker
from streams.settings import Settings


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    log_path = tmp_path_factory.mktemp("tansu") / "tansu.log"
    with EmbeddedBroker(log_path=log_path) as running:
        yield running


@pytest.fixture
def make_settings(broker: EmbeddedBroker, tmp_path: Path) -> Callable[..., Settings]:
    """Settings on the session broker with a unique app id and topic prefix."""
    run = uuid.uuid4().hex[:8]

    def build(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "broker": broker.url,
            "dev_broker": True,
            "app_id": f"cp-test-{run}",
            "topic_prefix": f"t{run}.",
            "data_dir": tmp_path / "data",
            "alerts_out": tmp_path / "alerts.jsonl",
            "deltas_out": tmp_path / "deltas.jsonl",
            "commit_interval": 0.2,
            "log_level": "INFO",
            "web_enabled": False,  # many workers at once: no shared port
        }
        values.update(overrides)
        return Settings.load(**values)

    return build
