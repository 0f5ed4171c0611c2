from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from streams.cli import main


def commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for name, command in group.commands.items():
        out.append(prefix + (name,))
        if isinstance(command, click.Group):
            out.extend(commands(command, prefix + (name,)))
    return out


@pytest.mark.parametrize("path", [()] + commands(main))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def test_schema_export_writes_json_schema(tmp_path) -> None:
    result = CliRunner().invoke(main, ["schema", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    release = json.loads((tmp_path / "earnings_release.v1.schema.json").read_text("utf-8"))
    assert {"release_id", "company", "period_end", "metrics"} <= set(release["required"])


def test_config_show_masks_the_key(monkeypatch) -> None:
    monkeypatch.setenv("CLOUDPULSE_LLM_API_KEY", "sk-do-not-print")
    result = CliRunner().invoke(main, ["config", "show", "--broker", "kafka://10.1.2.3:9092"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["broker"] == "kafka://10.1.2.3:9092"
    assert shown["llm_api_key"] == "********"
    assert "sk-do-not-print" not in result.output


@pytest.mark.broker
def test_topics_create_and_publish(make_settings, tmp_path) -> None:
    settings = make_settings()
    env = {"CLOUDPULSE_TOPIC_PREFIX": settings.topic_prefix, "CLOUDPULSE_APP_ID": settings.app_id}
    runner = CliRunner(env=env)
    created = runner.invoke(main, ["topics", "create", "--broker", settings.broker])
    assert created.exit_code == 0, created.output
    assert f"{settings.topic_prefix}earnings.releases\t4 partitions" in created.output
    listed = runner.invoke(main, ["topics", "list", "--broker", settings.broker])
    assert "missing" not in listed.output

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"release_id": "x", "company": "NOPE"}\n', encoding="utf-8")
    refused = runner.invoke(main, ["publish", "--topic", "earnings", "--broker", settings.broker, str(bad)])
    assert refused.exit_code == 1
    assert "line 1" in refused.output
    raw = runner.invoke(main, ["publish", "--topic", "earnings", "--raw", "--broker", settings.broker, str(bad)])
    assert raw.exit_code == 0 and "published 1 messages" in raw.output
