"""The LLM hop in a real worker: slow model, the pipeline keeps consuming; text is grounded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pipeline_helpers import alibaba_lines, read_jsonl

from agents.llm.stub import StubLLM
from streams.demo import wait_processed
from streams.launcher import start_worker, stop_process
from streams.offsets import all_committed, end_offsets
from streams.publisher import Message, send_all
from streams.topics import (
    ALERTS,
    DRAFTS,
    RELEASES,
    VALID_RELEASES,
    all_topics,
    ensure_topics,
)

pytestmark = pytest.mark.broker


def test_slow_llm_does_not_hold_up_analysis(make_settings, tmp_path: Path) -> None:
    with StubLLM(latency=2.0) as llm:
        settings = make_settings(llm_base_url=llm.base_url, llm_model="stub", llm_max_concurrency=2,
                                 llm_deadline=30, llm_cache_file=tmp_path / "cache.jsonl")
        ensure_topics(settings, all_topics(settings))
        lines = alibaba_lines()
        send_all(settings, settings.topic(RELEASES), [Message(b"BABA", line, None) for line in lines])
        proc = start_worker(settings, tmp_path / "worker.log")
        try:
            deadline = time.monotonic() + 60
            analysed = False
            while time.monotonic() < deadline and not analysed:
                # Hop order (streams.demo.wait_processed): the input, then the re-keyed releases
                # (empty here: "BABA"-keyed releases are analysed in place, streams/placement.py).
                analysed = all_committed(settings, [settings.topic(RELEASES)]) and all_committed(
                    settings, [settings.topic(VALID_RELEASES)])
                time.sleep(0.2)
            assert analysed, (tmp_path / "worker.log").read_text()[-3000:]
            drafts = sum(end_offsets(settings, [settings.topic(DRAFTS)]).values())
            written = sum(end_offsets(settings, [settings.topic(ALERTS)]).values())
            # Every release is analysed while the (2 s per call, 2 at a time) model is still writing.
            assert drafts >= 5 and written < drafts

            assert wait_processed(settings, len(lines), proc, timeout=60)
        finally:
            stop_process(proc)
        alerts = read_jsonl(settings.alerts_out)
        assert len(alerts) == drafts
        assert {a["generated_by"] for a in alerts} == {"llm:stub"}
        assert len(llm.requests) == drafts  # one call per grouped alert, not per metric
        log = (tmp_path / "worker.log").read_text("utf-8")
        assert "Traceback" not in log
