"""The release pipeline end to end on a real broker: worker subprocess, topics, table, sinks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from pipeline_helpers import alibaba_lines, comparable, offline_alerts, read_jsonl, read_topic
from streams.demo import wait_processed
from streams.launcher import start_worker, stop_process
from streams.publisher import Message, send_all
from streams.topics import ALERTS, DEADLETTER, RELEASES, all_topics, ensure_topics

pytestmark = pytest.mark.broker

INVALID = {
    "invalid_utf8": b'{"release_id": "x\xff\xfe"}',
    "invalid_json": b'{"release_id": "BABA-broken", "company": ',
    "unknown_company": json.dumps({
        "release_id": "ACME-1", "company": "ACME", "period_end": "2025-06-30",
        "published_at": "2025-08-01T00:00:00Z", "metrics": [{"segment": "group", "metric": "revenue", "value": 1}],
    }).encode(),
    "bad_period": json.dumps({
        "release_id": "BABA-bad-period", "company": "BABA", "period_end": "2025-07-31",
        "published_at": "2025-08-01T00:00:00Z",
        "metrics": [{"segment": "Cloud Intelligence Group", "metric": "revenue", "value": "333.98亿"}],
    }).encode(),
    "bad_value": json.dumps({
        "release_id": "BABA-bad-value", "company": "BABA", "period_end": "2025-06-30",
        "published_at": "2025-08-01T00:00:00Z",
        "metrics": [{"segment": "Cloud Intelligence Group", "metric": "revenue", "value": "about three hundred亿"}],
    }).encode(),
    "schema": json.dumps({"release_id": "BABA-no-metrics", "company": "BABA"}).encode(),
}


def publish(settings, lines: list[bytes]) -> None:
    send_all(settings, settings.topic(RELEASES), [Message(b"BABA", line, None) for line in lines])


def run_worker_until_processed(settings, log: Path, published: int, timeout: float = 90.0):
    proc = start_worker(settings, log)
    if not wait_processed(settings, published, proc, timeout):
        stop_process(proc)
        pytest.fail(f"worker did not finish; log:\n{log.read_text('utf-8', errors='replace')[-3000:]}")
    return proc


async def test_valid_and_invalid_releases(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings, all_topics(settings))
    lines = alibaba_lines()
    bad = list(INVALID.values())
    publish(settings, lines[:3] + bad + lines[3:])

    proc = run_worker_until_processed(settings, tmp_path / "worker.log", len(lines) + len(bad))
    stop_process(proc)

    # Dead letters: one per bad input, original bytes intact, reason named.
    letters = [json.loads(r.value) for r in read_topic(settings, DEADLETTER)]
    by_original = {base64.b64decode(d["original_b64"]): d for d in letters}
    assert len(letters) == len(bad)
    for reason, raw in INVALID.items():
        assert by_original[raw]["reason"] == reason, by_original[raw]
        assert by_original[raw]["source_topic"] == settings.topic(RELEASES)
        assert by_original[raw]["summary"]
    assert "2025-07-31" in by_original[INVALID["bad_period"]]["summary"]

    # Alerts: exactly what the stages compute offline, in the JSONL sink and on the topic.
    expected = {a["alert_id"]: comparable(a) for a in await offline_alerts(lines)}
    assert expected
    sink = read_jsonl(settings.alerts_out)
    assert {a["alert_id"]: comparable(a) for a in sink} == expected
    on_topic = {json.loads(r.value)["alert_id"] for r in read_topic(settings, ALERTS)}
    assert on_topic == set(expected)

    # The headline: FY2026Q2 cloud revenue 398.24亿, +34.5% YoY, +8.5 pp acceleration.
    deltas = read_jsonl(settings.deltas_out)
    cloud = next(d for d in deltas if d["period_end"] == "2025-09-30" and d["segment"] == "cloud"
                 and d["metric"] == "revenue")
    assert cloud["value"] == "39824000000"
    assert round(float(cloud["yoy_pct"]), 1) == 34.5
    assert round(float(cloud["yoy_change_pp"]), 1) == 8.5


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
async def test_restart_mid_stream_keeps_state_and_outputs(make_settings, tmp_path: Path, store: str) -> None:
    """Stop the worker after half the releases; a new worker must pick up the table from its
    changelog (FY2026Q2's acceleration needs quarters seen only by the first worker) and the
    sink must end up with exactly the one-pass alerts, none lost and none twice."""
    settings = make_settings(store=store)
    ensure_topics(settings, all_topics(settings))
    lines = alibaba_lines()
    half = len(lines) // 2 + 1

    publish(settings, lines[:half])
    first = run_worker_until_processed(settings, tmp_path / "worker1.log", half)
    assert stop_process(first) is not None

    publish(settings, lines[half:])
    second = run_worker_until_processed(settings, tmp_path / "worker2.log", len(lines))
    stop_process(second)

    expected = {a["alert_id"]: comparable(a) for a in await offline_alerts(lines)}
    sink_lines = read_jsonl(settings.alerts_out)
    assert len(sink_lines) == len({a["alert_id"] for a in sink_lines}), "an alert was written twice"
    assert {a["alert_id"]: comparable(a) for a in sink_lines} == expected
    log2 = (tmp_path / "worker2.log").read_text("utf-8", errors="replace")
    assert "Traceback" not in log2
