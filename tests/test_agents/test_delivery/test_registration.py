"""With no delivery file, or with deliver=false (replays), the app has no delivery agent."""

from __future__ import annotations

from pathlib import Path

from streams.app import build_app
from streams.settings import Settings


def agents_of(app) -> set[str]:
    return {agent.name for agent in app.agents.values()}


def test_delivery_agents_only_when_configured_and_switched_on(tmp_path: Path) -> None:
    config = tmp_path / "delivery.toml"
    config.write_text('[receivers.console]\ntype = "stdout"\n[default_route]\nreceivers = ["console"]\n', "utf-8")
    base = {"data_dir": tmp_path / "data", "app_id": "cp-reg-test"}
    plain = build_app(Settings.load(**base))
    assert not hasattr(plain, "cloudpulse_delivery")
    assert not {"cloudpulse.deliver", "cloudpulse.redeliver"} & agents_of(plain)
    off = build_app(Settings.load(**base, delivery_file=config, deliver=False))
    assert not hasattr(off, "cloudpulse_delivery")
    on = build_app(Settings.load(**base, delivery_file=config))
    assert {"cloudpulse.deliver", "cloudpulse.redeliver"} <= agents_of(on)
    assert "deliveries" in on.tables
