"""Fuzzed input through a running worker on the real (embedded) broker.

A few hundred generated release payloads, published as a producer would: every invalid one
must reach the dead-letter topic with its original bytes and the reason the in-process
harness predicts, every valid one must be analysed (no dead letter from the analysis; the
history changelog holds one recorded-outputs entry per distinct accepted release, whether it
was forwarded to the analysis agent or analysed in place), and the worker must still be running
afterwards.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from fuzz_harness import ReleaseHarness
from fuzz_payloads import draw_cases, releases
from pipeline_helpers import read_topic, read_topic_named

from agents.ingest import IngestStage, Source
from agents.outputs import outputs_key
from agents.pipeline import rekeyed
from schemas.company import Registry
from schemas.deadletter import DeadLetter
from streams.demo import wait_processed
from streams.launcher import worker_process
from streams.publisher import Message, send_all
from streams.topics import (
    DEADLETTER,
    HISTORY_TABLE,
    RELEASES,
    VALID_RELEASES,
    all_topics,
    ensure_topics,
)

pytestmark = pytest.mark.broker
COUNT = 250


def test_fuzzed_releases_through_a_running_worker(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings, all_topics(settings))
    # Empty values left out: a tombstone and b"" share the same original bytes, so the dead
    # letter cannot say which it was (both are dead-lettered; tests/test_agents/test_ingest.py).
    cases = [case for case in draw_cases(releases(), COUNT, seed=20251125) if case.raw]
    harness = ReleaseHarness()
    expected = {case.raw: harness.check(case).outcome for case in cases}
    assert "crash" not in expected.values()
    messages = [Message(str(i % 7).encode(), case.raw, None) for i, case in enumerate(cases)]

    with worker_process(settings, tmp_path / "worker.log") as proc:
        send_all(settings, settings.topic(RELEASES), messages)
        done = wait_processed(settings, len(messages), proc, timeout=120)
        log = (tmp_path / "worker.log").read_text("utf-8", errors="replace")
        assert done, log[-3000:]
        assert proc.poll() is None, log[-3000:]  # no agent crash took the worker down

    dead = [DeadLetter.model_validate_json(r.value) for r in read_topic(settings, DEADLETTER)]
    from_ingest = [d for d in dead if d.source_topic == settings.topic(RELEASES)]
    assert [d.summary for d in dead if d.source_topic != settings.topic(RELEASES)] == []  # analysis refused none
    assert len({(d.source_partition, d.source_offset) for d in from_ingest}) == len(from_ingest)  # once each
    for record in from_ingest:
        assert f"deadletter:{record.reason}" == expected[record.original()], record.summary

    want = Counter(expected[case.raw] for case in cases)
    got = Counter(f"deadletter:{d.reason}" for d in from_ingest)
    got["accepted"] = want["accepted"]  # checked one by one below
    assert got == want
    # Every accepted release was analysed: its recorded outputs are in the history changelog.
    stage = IngestStage(Registry.load(settings.registry_file), max_bytes=settings.max_payload_bytes)
    accepted = [stage.process(case.raw, Source(RELEASES, 0, 0)) for case in cases if expected[case.raw] == "accepted"]
    recorded = {json.loads(r.key) for r in read_topic_named(settings, f"{settings.app_id}-{HISTORY_TABLE}-changelog")
                if b"|@outputs|" in r.key}
    assert recorded == {outputs_key(release.company_id, rekeyed(release)[1]) for release in accepted}
    forwarded = len(read_topic(settings, VALID_RELEASES))
    assert 0 < forwarded < want["accepted"]  # both paths ran (keys "0".."6" sit on the company's partition or not)
    assert want["accepted"] > 20 and len(want) >= 5, want  # the run covered both outcomes and many reasons
