from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from click.testing import CliRunner

from agents.delivery.history import history, parse_since
from schemas.delivery import DeliveryRecord
from streams.cli import main
from streams.cli_delivery import render

from test_agents.test_delivery.conftest import T0, build_alert


def test_config_show_never_prints_delivery_secrets(tmp_path, monkeypatch) -> None:
    config = tmp_path / "delivery.toml"
    config.write_text('[receivers.f]\ntype = "webhook"\nurl = "http://x"\nsecret_env = "CP_SECRET_X"\n', "utf-8")
    monkeypatch.setenv("CP_SECRET_X", "do-not-print-me")
    monkeypatch.setenv("CLOUDPULSE_DELIVERY_FILE", str(config))
    result = CliRunner().invoke(main, ["config", "show"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["delivery_file"] == str(config)
    assert "do-not-print-me" not in result.output


def test_silence_add_refuses_unknown_fields_before_touching_kafka() -> None:
    result = CliRunner().invoke(main, ["silence", "add", "--match", "colour=red", "--broker", "kafka://127.0.0.1:1"])
    assert result.exit_code != 0 and "colour" in result.output


def test_deliveries_retry_needs_a_target() -> None:
    result = CliRunner().invoke(main, ["deliveries", "retry", "--broker", "kafka://127.0.0.1:1"])
    assert result.exit_code != 0 and "--alert ID or --all" in result.output


def test_render_languages() -> None:
    alert = build_alert()
    assert "阿里巴巴" in render(alert, "zh") and "accelerates" not in render(alert, "zh")
    assert "accelerates" in render(alert, "en") and "阿里巴巴" not in render(alert, "en")


def test_history_joins_latest_state_and_filters() -> None:
    a, b = build_alert(1), build_alert(2, company="AMZN", created_at=T0 - timedelta(days=30))
    old = DeliveryRecord.first(a, "firm", T0).model_copy(update={"state": "sending", "attempts": 1})
    new = old.model_copy(update={"state": "delivered", "updated_at": T0 + timedelta(seconds=1)})
    rows = history([a, b], [new, old], since=T0 - timedelta(days=7))
    assert [r.alert.alert_id for r in rows] == [a.alert_id]
    assert rows[0].as_dict()["deliveries"][0]["state"] == "delivered"
    assert [r.alert.company for r in history([a, b], [], company="amzn")] == ["AMZN"]
    now = datetime(2025, 11, 25, tzinfo=timezone.utc)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2025-11-01") == datetime(2025, 11, 1, tzinfo=timezone.utc)
