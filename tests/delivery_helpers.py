"""Running delivery against real workers: config files, alerts on the topic, a fault run.

Used by tests/test_agents/test_delivery/test_delivery_pipeline.py and bench/delivery_faults.py.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.delivery.local_endpoint import LocalEndpoint
from pipeline_helpers import read_jsonl, read_topic
from schemas.alert import Alert
from streams.launcher import start_worker, stop_process
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import ALERTS, DELIVERIES, DELIVERY_DEADLETTER

HOOK_SECRET_ENV = "CP_TEST_HOOK_SECRET"
SLACK_TOKEN_ENV = "CP_TEST_SLACK_TOKEN"
HOOK_SECRET = "hook-secret-for-tests"
SLACK_TOKEN = "xoxb-test-token"
COMPANIES = ("BABA", "AMZN", "GOOGL", "MSFT")


def delivery_toml(endpoint: LocalEndpoint, archive: Path, *, routes: str = "", default: str = '"firm", "analysts", "archive"',
                  extra: str = "", timeout: float = 1.0, deadline: float = 2.0, max_attempts: int = 12) -> str:
    return f"""
[defaults]
timeout = {timeout}
deadline = {deadline}
max_attempts = {max_attempts}
backoff_base = 0.2
backoff_cap = 2.0

[receivers.firm]
type = "webhook"
url = "{endpoint.url('/hook/firm')}"
secret_env = "{HOOK_SECRET_ENV}"

[receivers.analysts]
type = "slack"
token_env = "{SLACK_TOKEN_ENV}"
channel = "C1"
base_url = "{endpoint.url('/api/')}"

[receivers.archive]
type = "file"
path = "{archive}"
{extra}
{routes}

[default_route]
receivers = [{default}]
"""


def publish_alerts(settings: Settings, alerts: list[Alert]) -> None:
    send_all(settings, settings.topic(ALERTS),
             [Message(a.company.encode(), a.model_dump_json().encode(), None) for a in alerts])


def wait_for(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()


def slack_alert_ids(endpoint: LocalEndpoint, channel: str = "C1") -> Counter[str]:
    return Counter((m.get("metadata") or {}).get("event_payload", {}).get("alert_id") for m in endpoint.channel(channel))


def ledger_states(settings: Settings) -> dict[str, dict[str, Any]]:
    """The latest exported ledger record per delivery key."""
    latest: dict[str, dict[str, Any]] = {}
    for record in read_topic(settings, DELIVERIES):
        latest[record.key.decode()] = json.loads(record.value)
    return latest


def fault_run(settings: Settings, endpoint: LocalEndpoint, alerts: list[Alert], archive: Path, workdir: Path,
              *, kill_at: int, timeout: float = 120.0) -> dict[str, Any]:
    """Publish, start a worker, SIGKILL it after ``kill_at`` webhook deliveries, restart, wait
    until every receiver has every alert (or ``timeout``), and report what each one saw."""
    n = len(alerts)
    ids = {a.alert_id for a in alerts}
    publish_alerts(settings, alerts)
    started = time.monotonic()
    first = start_worker(settings, workdir / "worker1.log")
    try:
        reached = wait_for(lambda: len(endpoint.accepted("/hook/firm")) >= kill_at or first.poll() is not None, 90)
        killed_at = {"webhook": len(endpoint.accepted("/hook/firm")), "slack": len(slack_alert_ids(endpoint)),
                     "archive": len(read_jsonl(archive))}
    finally:
        stop_process(first, sig=signal.SIGKILL)
    second = start_worker(settings, workdir / "worker2.log")
    try:
        def complete() -> bool:
            return (set(endpoint.accepted("/hook/firm")) >= {f"{i}|firm" for i in ids}
                    and set(slack_alert_ids(endpoint)) >= ids
                    and {r["alert"]["alert_id"] for r in read_jsonl(archive)} >= ids)

        def settled() -> bool:
            # A receiver can hold an alert before the worker knows it does (an answer lost or
            # timed out): that delivery stays 'sending' until its retry confirms it. Done is
            # when the ledger, not only the receivers, has caught up.
            states = ledger_states(settings)
            return len(states) >= 3 * n and all(s["state"] in ("delivered", "dead", "silenced") for s in states.values())

        done = wait_for(lambda: complete() and settled(), timeout, interval=0.5)
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # anything still in flight would show up as a duplicate now
    finally:
        stop_process(second)
    states = ledger_states(settings)
    slack = slack_alert_ids(endpoint)
    archive_ids = Counter(r["alert"]["alert_id"] for r in read_jsonl(archive))
    hook = endpoint.accepted("/hook/firm")
    summary = endpoint.summary()
    return {
        "alerts": n, "receivers": 3, "reached_kill_point": reached, "completed": done,
        "seconds": round(elapsed, 1), "killed_after": killed_at,
        "faults_injected": summary["faults_injected"], "raw_requests": summary["raw_requests"],
        "webhook": {"unique_delivered": len({k for k in hook if k.split('|')[0] in ids}),
                    "raw_duplicates_deduplicated": summary["duplicates_deduplicated"].get("/hook/firm", 0),
                    "bad_signatures": summary["bad_signatures"]},
        "slack": {"unique_delivered": len(set(slack) & ids), "messages": sum(slack.values()),
                  "duplicate_messages": sum(c - 1 for c in slack.values() if c > 1)},
        "archive": {"unique_delivered": len(set(archive_ids) & ids), "lines": sum(archive_ids.values())},
        "lost": {"webhook": len(ids - {k.split('|')[0] for k in hook}), "slack": len(ids - set(slack)),
                 "archive": len(ids - set(archive_ids))},
        "ledger": {"states": dict(Counter(s["state"] for s in states.values())),
                   "uncertain_resends_after_kill": sum(s.get("uncertain_resends", 0) for s in states.values()),
                   "attempts": sum(s["attempts"] for s in states.values())},
        "dead_letters": len(read_topic(settings, DELIVERY_DEADLETTER)),
    }
