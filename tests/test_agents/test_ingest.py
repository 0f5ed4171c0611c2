"""agents.ingest: bytes in, a Release or a DeadLetter with the original bytes and the reason."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from decimal import Decimal

import pytest

import agents.ingest as ingest_module
from agents.ingest import IngestStage, Source
from schemas.deadletter import DeadLetter
from schemas.release import Release

from .builders import MAX_BYTES, bundled_lines, line, registry, release_bytes

SOURCE = Source("earnings.releases", 3, 42, b"BABA")


def process(raw, *, max_bytes: int = MAX_BYTES):
    return IngestStage(registry(), max_bytes=max_bytes).process(raw, SOURCE)


def assert_dead(result, raw: bytes, reason: str) -> DeadLetter:
    assert isinstance(result, DeadLetter), result
    assert result.reason == reason
    assert result.original() == raw
    assert base64.b64decode(result.original_b64) == raw
    assert (result.source_topic, result.source_partition, result.source_offset) == ("earnings.releases", 3, 42)
    assert base64.b64decode(result.source_key_b64) == b"BABA"
    assert result.summary.startswith(f"{reason}: ")
    assert isinstance(result.failed_at, datetime) and result.failed_at.tzinfo is not None
    # the record itself must survive the dead-letter topic's JSON
    assert DeadLetter.model_validate_json(result.model_dump_json()).original() == raw
    return result


def test_valid_bundled_release():
    raw = bundled_lines("alibaba.jsonl")[-1]
    result = process(raw)
    assert isinstance(result, Release)
    assert (result.release_id, result.company_id, result.fiscal_period) == ("BABA-FY2026Q2-results", "BABA", "FY2026Q2")
    cloud = result.observations[0]
    assert (cloud.segment, cloud.metric, cloud.value, cloud.currency) == ("cloud", "revenue", Decimal("39824000000"), "CNY")
    assert cloud.quantum == Decimal("1000000")
    assert [(c.segment, c.metric, c.value) for c in result.comparatives] == [("group", "free_cash_flow", Decimal("13735000000"))]


def test_aliases_are_canonicalised():
    raw = release_bytes(company="阿里巴巴", period_end="2025-09-30",
                        metrics=[line("阿里云", "营收", "398.24亿")])
    result = process(raw)
    assert isinstance(result, Release)
    assert (result.company_id, result.observations[0].segment, result.observations[0].metric) == ("BABA", "cloud", "revenue")


def test_invalid_utf8():
    raw = b'{"release_id": "x\xff\xfe"}'
    dead = assert_dead(process(raw), raw, "invalid_utf8")
    assert dead.original_text is None
    assert "not UTF-8" in dead.summary and "at byte 17" in dead.summary


def test_bad_json():
    raw = b'{"release_id": "BABA-broken", "company": '
    dead = assert_dead(process(raw), raw, "invalid_json")
    assert dead.original_text == raw.decode()
    assert "not valid JSON" in dead.summary


def test_unknown_company():
    raw = release_bytes(company="ACME", metrics=[line("group", "revenue", 1)])
    dead = assert_dead(process(raw), raw, "unknown_company")
    assert [p.loc for p in dead.problems] == ["company"]
    assert "'ACME' is not in the registry" in dead.problems[0].message
    assert json.loads(dead.original_text)["company"] == "ACME"


def test_oversize_refused_before_parsing_and_kept_whole():
    raw = release_bytes(metrics=[line("AWS", "revenue", 100)])
    limit = len(raw) - 1
    dead = assert_dead(process(raw, max_bytes=limit), raw, "too_large")
    assert dead.summary == f"too_large: payload is {len(raw)} bytes; the limit is {limit}"
    assert isinstance(process(raw, max_bytes=len(raw)), Release)  # exactly at the limit is fine


def test_oversize_garbage_is_too_large_not_utf8():
    raw = b"\xff" * 300
    dead = assert_dead(process(raw, max_bytes=299), raw, "too_large")
    assert dead.original_text is None


@pytest.mark.parametrize(("raw", "reason", "loc"), [
    (b"[1, 2]", "schema", ""),
    (json.dumps({"release_id": "BABA-no-metrics", "company": "BABA"}).encode(), "schema", "period_end"),
    (release_bytes(company="BABA", period_end="2025-07-31", metrics=[line("Cloud Intelligence Group", "revenue", "333.98亿")]),
     "bad_period", "period_end"),
    (release_bytes(company="BABA", period_end="2025-06-30",
                   metrics=[line("Cloud Intelligence Group", "revenue", "about three hundred亿")]), "bad_value", "metrics.0.value"),
    (release_bytes(company="BABA", period_end="2025-06-30", metrics=[line("Cloud Intelligence Group", "revenue", True)]),
     "schema", "metrics.0.value"),
])
def test_contract_failures(raw, reason, loc):
    dead = assert_dead(process(raw), raw, reason)
    assert loc in [p.loc for p in dead.problems]


def test_tombstone():
    dead = process(None)
    assert isinstance(dead, DeadLetter)
    assert (dead.reason, dead.original(), dead.original_text) == ("schema", b"", "")
    assert "tombstone" in dead.summary


def test_unexpected_error_is_dead_lettered(monkeypatch):
    def boom(raw, registry, *, max_bytes):
        raise KeyError("surprise")

    monkeypatch.setattr(ingest_module, "parse_release", boom)
    raw = release_bytes()
    dead = assert_dead(process(raw), raw, "internal_error")
    assert dead.summary == "internal_error: KeyError: 'surprise'"


def test_no_source_key():
    result = IngestStage(registry(), max_bytes=MAX_BYTES).process(b"nope", Source("t", 0, 7))
    assert isinstance(result, DeadLetter)
    assert (result.source_key_b64, result.source_offset, result.reason) == (None, 7, "invalid_json")


def test_overlong_integer_is_invalid_json_not_internal_error():
    raw = b'{"release_id": ' + b"1" * 5000 + b"}"
    assert_dead(process(raw), raw, "invalid_json")
