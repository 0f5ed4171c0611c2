"""Broker loss: the dev broker dies under a running worker and comes back on the same port, empty.

Documented behaviour (docs/reliability.md): while the broker is away the worker stays up and
the client keeps reconnecting; when the broker returns without the worker's topics (a memory
broker restart is a reset) the worker stops and exits with EXIT_BROKER_RESET (75), so a
supervisor restarts it; once topics are recreated, a new worker processes new input.

Runs its own broker (the session broker is shared). Bounded: every wait has a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from pathlib import Path

import pytest
from pipeline_helpers import read_jsonl

from streams.broker import EmbeddedBroker
from streams.broker_watch import EXIT_BROKER_RESET
from streams.demo import bundled_releases, wait_processed
from streams.launcher import start_worker, stop_process
from streams.offsets import poll_until
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import RELEASES, all_topics, ensure_topics

pytestmark = pytest.mark.broker


def kill_broker(broker: EmbeddedBroker) -> None:
    """SIGKILL, as a crash would: no clean shutdown, no chance to flush anything."""
    assert broker._proc is not None
    os.killpg(broker._proc.pid, signal.SIGKILL)
    broker._proc.wait(timeout=10)
    broker.stop()  # closes the log; the process is already gone


def log_of(path: Path) -> str:
    return path.read_text("utf-8", errors="replace") if path.exists() else ""


def test_worker_exits_for_a_restart_after_a_reset_broker(tmp_path: Path) -> None:
    first = EmbeddedBroker(log_path=tmp_path / "tansu1.log").start()
    run = uuid.uuid4().hex[:6]
    settings = Settings.load(broker=first.url, dev_broker=True, app_id=f"loss-{run}", topic_prefix=f"l{run}.",
                             data_dir=tmp_path / "data", alerts_out=tmp_path / "alerts.jsonl",
                             deltas_out=tmp_path / "deltas.jsonl", commit_interval=0.2, web_enabled=False)
    lines = bundled_releases()
    worker = second = None
    again = None
    try:
        ensure_topics(settings, all_topics(settings))
        worker = start_worker(settings, tmp_path / "worker1.log")
        send_all(settings, settings.topic(RELEASES), [Message(b"k", line, None) for line in lines[:6]])
        assert wait_processed(settings, 6, worker, timeout=90)

        kill_broker(first)
        # The outage lasts until the worker has seen it (a failed connect in its log), bounded.
        assert poll_until(lambda: "Connect call failed" in log_of(tmp_path / "worker1.log"), worker, 60), \
            log_of(tmp_path / "worker1.log")[-3000:]
        assert worker.poll() is None  # still up: the client reconnects rather than dying
        again = EmbeddedBroker(first.port, log_path=tmp_path / "tansu2.log").start()
        try:
            code = worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the worker kept running on a reset broker")
        log = log_of(tmp_path / "worker1.log")
        assert code == EXIT_BROKER_RESET, log[-3000:]
        assert "are gone from the broker" in log

        # What a supervisor and an operator do next: recreate topics, start the worker again.
        ensure_topics(settings, all_topics(settings))
        second = start_worker(settings, tmp_path / "worker2.log")
        before = len(read_jsonl(settings.deltas_out))
        send_all(settings, settings.topic(RELEASES), [Message(b"k", line, None) for line in lines[6:12]])
        assert wait_processed(settings, 6, second, timeout=90)
        assert len(read_jsonl(settings.deltas_out)) > before  # new input, new outputs
    finally:
        for proc in (worker, second):
            if proc is not None:
                stop_process(proc)
        first.stop()
        if again is not None:
            again.stop()
