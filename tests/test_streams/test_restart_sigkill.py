"""A worker SIGKILLed mid-stream and restarted: no alert lost, none twice, all as in one pass.

Real broker, real worker subprocesses. The first worker processes the first ten releases and
commits them; the other twenty are published and the worker is killed as soon as it has
written something for them (no commit of what is in flight, no leave-group). A second worker
recovers the history table from its changelog, processes what was left uncommitted again, and
must leave the sinks exactly as one pass over the thirty releases would (ids and contents).
The kill lands at a different point each run; the assertions hold at every point, which is
the property under test (bench/faults/sigkill.py runs it many times; docs/operations.md).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from pipeline_helpers import one_pass_outputs, read_jsonl

from streams.demo import bundled_releases, wait_processed
from streams.launcher import start_worker, stop_process
from streams.publisher import Message, send_all
from streams.topics import RELEASES, all_topics, ensure_topics

pytestmark = pytest.mark.broker

FIRST = 10


def size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def kill_when_grown(proc, path: Path, than: int, timeout: float) -> bool:
    """SIGKILL ``proc`` as soon as ``path`` grows past ``than`` bytes; False if it never did."""
    deadline = time.monotonic() + timeout
    while size(path) <= than and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.005)
    grown = size(path) > than
    stop_process(proc, sig=signal.SIGKILL)
    return grown


async def test_sigkill_mid_stream_then_restart_loses_and_duplicates_nothing(make_settings, tmp_path: Path) -> None:
    # The release path: its one-pass reference is computed in process (news has its own tests).
    settings = make_settings(news_enabled=False)
    ensure_topics(settings, all_topics(settings))
    lines = bundled_releases()
    expected_alerts, expected_deltas = await one_pass_outputs(lines)
    topic = settings.topic(RELEASES)

    send_all(settings, topic, [Message(b"k", line, None) for line in lines[:FIRST]])
    first = start_worker(settings, tmp_path / "worker1.log")
    try:
        assert wait_processed(settings, FIRST, first, timeout=60), (tmp_path / "worker1.log").read_text()[-3000:]
        before = size(settings.deltas_out)
        send_all(settings, topic, [Message(b"k", line, None) for line in lines[FIRST:]])
        assert kill_when_grown(first, settings.deltas_out, before, timeout=30), "worker 1 never reached the second batch"
    finally:
        stop_process(first, sig=signal.SIGKILL)
    assert first.returncode == -signal.SIGKILL
    at_kill = {d["delta_id"] for d in read_jsonl(settings.deltas_out)}
    assert at_kill < set(expected_deltas), "killed after the end, not mid-stream"

    second = start_worker(settings, tmp_path / "worker2.log")
    try:
        assert wait_processed(settings, len(lines), second, timeout=60), (tmp_path / "worker2.log").read_text()[-3000:]
    finally:
        # Everything is committed and the sinks are fsynced: a graceful stop adds only time
        # (SIGTERM has its own test in test_worker.py).
        stop_process(second, sig=signal.SIGKILL)

    for path, id_field, expected in ((settings.alerts_out, "alert_id", expected_alerts),
                                     (settings.deltas_out, "delta_id", expected_deltas)):
        written = read_jsonl(path)
        ids = [record[id_field] for record in written]
        assert len(ids) == len(set(ids)), f"{path.name}: an id written twice"
        assert sorted(set(expected) - set(ids)) == [], f"{path.name}: lost"
        assert sorted(set(ids) - set(expected)) == [], f"{path.name}: not in the one-pass run"
        assert {record[id_field]: record for record in written} == expected, f"{path.name}: contents differ"
    log2 = (tmp_path / "worker2.log").read_text("utf-8", errors="replace")
    assert "Traceback" not in log2
    assert os.path.getsize(settings.alerts_out) > 0
