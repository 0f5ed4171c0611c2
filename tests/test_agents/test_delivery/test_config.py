from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.delivery.config import DeliveryConfig, MissingSecret, build_policies, build_receivers, build_router
from agents.delivery.files import FileReceiver
from agents.delivery.slack import SlackReceiver
from agents.delivery.webhook import WebhookReceiver

from .conftest import build_alert

EXAMPLE = Path(__file__).resolve().parents[3] / "deploy" / "delivery.example.toml"

CONFIG = """
[defaults]
timeout = 3
max_attempts = 4

[receivers.analysts]
type = "slack"
token_env = "SLACK_BOT_TOKEN"
channel = "C0CLOUD"
languages = "zh"
rate_limit = { per_minute = 30, burst = 2 }
quiet_hours = { start = "22:00", end = "07:00", timezone = "Asia/Shanghai", except_severity = ["critical"] }

[receivers.firm]
type = "webhook"
url_env = "FIRM_URL"
secret_env = "FIRM_SECRET"
headers = { "X-Team" = "research" }
headers_env = { Authorization = "FIRM_AUTH" }
max_attempts = 8

[receivers.archive]
type = "file"
path = "deliveries.jsonl"

[[routes]]
match = { company = ["BABA"] }
min_severity = "warning"
receivers = ["analysts", "firm"]
continue = true

[default_route]
receivers = ["archive"]
"""

SECRETS = {"SLACK_BOT_TOKEN": "xoxb-1", "FIRM_URL": "https://firm.example/hook?t=abc", "FIRM_SECRET": "k",
           "FIRM_AUTH": "Bearer z"}


def load(tmp_path: Path, text: str = CONFIG) -> DeliveryConfig:
    path = tmp_path / "delivery.toml"
    path.write_text(text, encoding="utf-8")
    return DeliveryConfig.load(path)


def test_full_config_builds_receivers_routes_and_policies(tmp_path: Path) -> None:
    config = load(tmp_path)
    receivers = build_receivers(config, SECRETS)
    assert isinstance(receivers["analysts"], SlackReceiver) and isinstance(receivers["firm"], WebhookReceiver)
    assert isinstance(receivers["archive"], FileReceiver) and receivers["archive"]._path == tmp_path / "deliveries.jsonl"
    policies = build_policies(config)
    assert policies["firm"].retry.max_attempts == 8 and policies["analysts"].retry.max_attempts == 4
    assert policies["analysts"].timeout == 3 and policies["analysts"].bucket.burst == 2
    assert policies["analysts"].quiet.except_severity == ("critical",)
    router = build_router(config)
    assert router.receivers_for(build_alert()) == ("analysts", "firm")
    assert router.receivers_for(build_alert(company="AMZN")) == ("archive",)


def test_missing_secret_names_the_variable_not_a_value(tmp_path: Path) -> None:
    with pytest.raises(MissingSecret, match="FIRM_SECRET"):
        build_receivers(load(tmp_path), {k: v for k, v in SECRETS.items() if k != "FIRM_SECRET"})


@pytest.mark.parametrize(("bad", "message"), [
    ('[receivers.x]\ntype = "pager"\n', "pager"),
    ('[receivers.x]\ntype = "webhook"\n', "url"),
    ('[receivers.x]\ntype = "slack"\ntoken_env = "T"\n', "channel"),
    ('[receivers.x]\ntype = "stdout"\n[[routes]]\nreceivers = ["y"]\n', "unknown receiver"),
    ('[receivers.x]\ntype = "stdout"\n[[routes]]\nreceivers = ["x"]\nmatch = { colour = ["red"] }\n', "colour"),
    ('[receivers.x]\ntype = "stdout"\ntimeout = 0\n', "greater than 0"),
    ('[receivers.x]\ntype = "stdout"\nlanguage = "zh"\n', "language"),
])
def test_mistakes_are_refused_with_a_reason(tmp_path: Path, bad: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        load(tmp_path, bad)


def test_shipped_example_is_valid() -> None:
    config = DeliveryConfig.load(EXAMPLE)
    assert config.receivers and build_router(config)
