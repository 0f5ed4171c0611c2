"""The always-on worker as an operator runs it: health, metrics, JSON logs, signals, crashes."""

from __future__ import annotations

import json
import signal
import time
import urllib.request
from pathlib import Path

import pytest

from streams.broker import free_port
from streams.demo import bundled_releases, wait_processed
from streams.launcher import start_worker, stop_process
from streams.publisher import Message, send_all
from streams.topics import RELEASES, all_topics, ensure_topics

pytestmark = pytest.mark.broker


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def publish(settings, lines: list[bytes]) -> None:
    send_all(settings, settings.topic(RELEASES), [Message(b"k", line, None) for line in lines])


def test_health_metrics_and_json_logs(make_settings, tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(web_enabled=True, web_port=port, log_format="json", llm_api_key="sk-never-in-logs-42")
    ensure_topics(settings, all_topics(settings))
    lines = bundled_releases()[:12]
    publish(settings, lines + [b"{not json"])
    log = tmp_path / "worker.log"
    proc = start_worker(settings, log)
    try:
        assert wait_processed(settings, len(lines) + 1, proc, timeout=90), log.read_text()[-3000:]
        status, body = get(f"http://127.0.0.1:{port}/healthz")
        assert status == 200
        deadline = time.monotonic() + 20
        while (status := get(f"http://127.0.0.1:{port}/readyz")[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
        status, body = get(f"http://127.0.0.1:{port}/readyz")
        assert status == 200, body
        assert json.loads(body)["assigned_partitions"] > 0
        status, metrics = get(f"http://127.0.0.1:{port}/metrics")
        assert status == 200
    finally:
        stop_process(proc)
    releases = settings.topic(RELEASES)
    assert f'cloudpulse_events_total{{direction="in",topic="{releases}"}} 13.0' in metrics
    assert 'cloudpulse_validation_failures_total{reason="invalid_json"} 1.0' in metrics
    assert 'cloudpulse_deadletters_total{reason="invalid_json"} 1.0' in metrics
    assert "cloudpulse_alerts_total{" in metrics and "cloudpulse_deltas_total" in metrics
    assert "cloudpulse_consumer_lag{" in metrics

    records = [json.loads(line) for line in log.read_text("utf-8").splitlines() if line.startswith("{")]
    assert records, "no JSON log lines"
    alert_lines = [r for r in records if r.get("alert_id")]
    assert alert_lines and all(r["company"] and r["release_id"] for r in alert_lines)
    assert any(r.get("reason") == "invalid_json" for r in records)
    assert "sk-never-in-logs-42" not in log.read_text("utf-8")


def test_sigterm_exits_promptly_and_cleanly(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings, all_topics(settings))
    lines = bundled_releases()[:5]
    publish(settings, lines)
    proc = start_worker(settings, tmp_path / "worker.log")
    assert wait_processed(settings, len(lines), proc, timeout=90)
    started = time.monotonic()
    code = stop_process(proc, grace=20, sig=signal.SIGTERM)
    elapsed = time.monotonic() - started
    assert elapsed < 15, elapsed
    assert code == 0, (tmp_path / "worker.log").read_text()[-2000:]
