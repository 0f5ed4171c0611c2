from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from streams.settings import Settings


def test_precedence_arguments_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "cloudpulse.toml"
    config.write_text('broker = "kafka://file:9092"\napp_id = "from-file"\npartitions = 8\n', encoding="utf-8")
    monkeypatch.setenv("CLOUDPULSE_APP_ID", "from-env")
    settings = Settings.load(config_file=config, broker="kafka://arg:9092")
    assert settings.broker == "kafka://arg:9092"
    assert settings.app_id == "from-env"
    assert settings.partitions == 8


def test_frozen_and_strict() -> None:
    settings = Settings.load()
    with pytest.raises(ValidationError):
        settings.app_id = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        Settings.load(no_such_setting=1)
    with pytest.raises(ValidationError):
        Settings.load(partitions=0)


def test_broker_url_forms() -> None:
    assert Settings.load(broker="10.0.0.5:9092").broker == "kafka://10.0.0.5:9092"
    assert Settings.load(broker="kafka://a:1,b:2").bootstrap_servers == ["a:1", "b:2"]
    assert Settings.load(broker="kafka://a:1;b:2/").bootstrap_servers == ["a:1", "b:2"]


def test_secrets_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDPULSE_LLM_API_KEY", "sk-secret-value")
    settings = Settings.load()
    assert settings.llm_api_key is not None and settings.llm_api_key.get_secret_value() == "sk-secret-value"
    shown = settings.masked()
    assert shown["llm_api_key"] == "********"
    assert "sk-secret-value" not in repr(settings) and "sk-secret-value" not in str(shown)
