"""Delivery in real workers on the session broker: faults, a SIGKILL, silences, routes, revisions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.delivery.local_endpoint import LocalEndpoint
from delivery_helpers import (HOOK_SECRET, HOOK_SECRET_ENV, SLACK_TOKEN, SLACK_TOKEN_ENV, COMPANIES, delivery_toml,
                              fault_run)
from streams.topics import all_topics, ensure_topics

from .conftest import build_alert

pytestmark = pytest.mark.broker


@pytest.fixture
def secrets_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOOK_SECRET_ENV, HOOK_SECRET)
    monkeypatch.setenv(SLACK_TOKEN_ENV, SLACK_TOKEN)


def test_faults_and_a_kill_lose_nothing_and_deliver_once(make_settings, tmp_path: Path, secrets_env) -> None:
    alerts = [build_alert(n, company=COMPANIES[n % 4]) for n in range(40)]
    with LocalEndpoint(secret=HOOK_SECRET, token=SLACK_TOKEN, fail_rate=0.25, seed=7) as endpoint:
        config = tmp_path / "delivery.toml"
        config.write_text(delivery_toml(endpoint, tmp_path / "archive.jsonl"), encoding="utf-8")
        settings = make_settings(delivery_file=config)
        ensure_topics(settings, all_topics(settings))
        report = fault_run(settings, endpoint, alerts, tmp_path / "archive.jsonl", tmp_path, kill_at=12, timeout=90)
    print(json.dumps(report, indent=2))
    assert report["reached_kill_point"] and report["completed"], report
    assert report["lost"] == {"webhook": 0, "slack": 0, "archive": 0}
    assert report["webhook"]["unique_delivered"] == report["slack"]["unique_delivered"] == 40
    assert report["slack"]["duplicate_messages"] == 0  # the channel is checked before re-posting
    assert report["archive"]["lines"] == 40
    assert sum(report["faults_injected"].values()) >= 10
    assert report["webhook"]["bad_signatures"] == 0
    assert report["ledger"]["states"] == {"delivered": 120}
    log2 = (tmp_path / "worker2.log").read_text("utf-8", errors="replace")
    assert "Traceback" not in log2


ROUTES = """
[receivers.strict]
type = "webhook"
url = "{strict}"
secret_env = "CP_TEST_HOOK_SECRET"
max_attempts = 2

[[routes]]
match = {{ company = ["BABA"] }}
receivers = ["analysts", "firm"]

[[routes]]
match = {{ kind = ["capex_shift"] }}
receivers = ["strict"]
"""


def test_routes_silences_revisions_and_retry(make_settings, tmp_path: Path, secrets_env) -> None:
    from click.testing import CliRunner

    from delivery_helpers import ledger_states, publish_alerts, slack_alert_ids, wait_for
    from pipeline_helpers import read_jsonl
    from streams.cli import main
    from streams.launcher import start_worker, stop_process

    first = build_alert(1)
    revision = build_alert(2, revises=first.alert_id, trigger="revision", title_en="Alibaba FY2026Q2: restated 35.1%")
    googl, amzn = build_alert(3, company="GOOGL"), build_alert(4, company="AMZN")
    capex = build_alert(5, company="MSFT", kind="capex_shift", kinds=["capex_shift"])
    archive = tmp_path / "archive.jsonl"
    with LocalEndpoint(secret=HOOK_SECRET, token=SLACK_TOKEN) as endpoint:
        endpoint.script("/hook/strict", [{"status": 400}])
        config = tmp_path / "delivery.toml"
        config.write_text(delivery_toml(endpoint, archive, default='"archive"',
                                        extra=ROUTES.format(strict=endpoint.url("/hook/strict"))), encoding="utf-8")
        settings = make_settings(delivery_file=config)
        ensure_topics(settings, all_topics(settings))
        cli = CliRunner(env={"CLOUDPULSE_TOPIC_PREFIX": settings.topic_prefix, "CLOUDPULSE_APP_ID": settings.app_id})
        broker = ["--broker", settings.broker]
        added = cli.invoke(main, ["silence", "add", *broker, "--match", "company=GOOGL", "--match", "receiver=archive",
                                  "--duration", "1h", "--comment", "earnings call"])
        assert added.exit_code == 0, added.output
        assert "active" in cli.invoke(main, ["silence", "list", *broker]).output

        publish_alerts(settings, [first, googl, amzn, capex])
        proc = start_worker(settings, tmp_path / "worker.log")
        try:
            key = lambda a, r: f"{a.alert_id}|{r}"  # noqa: E731
            assert wait_for(lambda: (ledger_states(settings).get(key(capex, "strict"), {}).get("state") == "dead"
                                     and len(endpoint.channel("C1")) == 1 and read_jsonl(archive)), 60), \
                (tmp_path / "worker.log").read_text()[-3000:]
            publish_alerts(settings, [revision])
            assert wait_for(lambda: endpoint.channel("C1")[0].get("edited") == 1, 30)
            retried = cli.invoke(main, ["deliveries", "retry", *broker, "--alert", capex.alert_id])
            assert retried.exit_code == 0 and "1 deliveries queued" in retried.output, retried.output
            assert wait_for(lambda: len(endpoint.accepted("/hook/strict")) == 1, 30)
            assert wait_for(lambda: ledger_states(settings)[key(capex, "strict")]["state"] == "delivered", 15)
        finally:
            stop_process(proc)

        # Revisions update the earlier Slack message instead of posting a new one.
        [message] = endpoint.channel("C1")
        assert message["text"].startswith("Revised:") and "35.1%" in message["text"]
        assert slack_alert_ids(endpoint) == {revision.alert_id: 1}  # metadata follows the update
        # The webhook gets both, the revision pointing at the delivery it revises.
        hook = endpoint.accepted("/hook/firm")
        assert set(hook) == {key(first, "firm"), key(revision, "firm")}
        assert hook[key(revision, "firm")]["revises_idempotency_key"] == key(first, "firm")
        # Routes and the silence: GOOGL's archive copy silenced, AMZN's written, BABA not archived.
        assert [r["alert"]["alert_id"] for r in read_jsonl(archive)] == [amzn.alert_id]
        states = ledger_states(settings)
        assert states[key(googl, "archive")]["state"] == "silenced"
        assert states[key(revision, "analysts")]["ref"]["ts"] == states[key(first, "analysts")]["ref"]["ts"]
        assert states[key(revision, "analysts")]["revises"] == first.alert_id
        assert {k for k in states if k.startswith(capex.alert_id)} == {key(capex, "strict")}

        history = cli.invoke(main, ["alerts", "history", *broker, "--company", "BABA", "--json"])
        assert history.exit_code == 0, history.output
        rows = [json.loads(line) for line in history.output.splitlines() if line.startswith("{")]
        assert [r["alert_id"] for r in rows] == [first.alert_id, revision.alert_id]
        assert {d["receiver"]: d["state"] for d in rows[1]["deliveries"]} == {"analysts": "delivered",
                                                                              "firm": "delivered"}
        log = (tmp_path / "worker.log").read_text("utf-8", errors="replace")
        assert "Traceback" not in log and HOOK_SECRET not in log and SLACK_TOKEN not in log
