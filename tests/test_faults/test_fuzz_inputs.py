"""Fuzzed input, in-process: thousands of hostile payloads through the agents' own per-event code.

Every payload must be forwarded or dead-lettered, exactly once, with no exception escaping;
every dead-letter record must carry a reason from REASONS (never ``internal_error``, which
means a bug was caught by the safety net) and the original bytes. Derandomized, so CI sees
the same examples every run; the full >= 10,000 run is ``python bench/faults/fuzz.py``.
"""

from __future__ import annotations

from collections import Counter

import pytest
from fuzz_harness import (
    ArticleHarness,
    Case,
    ReleaseHarness,
    judge_deadletter,
)
from fuzz_payloads import articles, releases
from hypothesis import HealthCheck, given, settings

from schemas.article import parse_article


def ci(examples: int) -> settings:
    return settings(max_examples=examples, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))

def test_release_payloads() -> None:
    harness = ReleaseHarness()
    seen: Counter[tuple[str, str]] = Counter()

    @ci(1000)
    @given(releases())
    def check(case: Case) -> None:
        verdict = harness.check(case)
        seen[case.family, verdict.outcome] += 1
        assert not verdict.problems, (verdict, case.raw[:300] if case.raw else None)

    check()
    outcomes = Counter(outcome for _, outcome in seen.elements())
    # The generator reaches every kind of refusal and still produces accepted releases.
    for outcome in ("accepted", "deadletter:invalid_utf8", "deadletter:invalid_json", "deadletter:too_large",
                    "deadletter:schema", "deadletter:bad_value"):
        assert outcomes[outcome] > 0, outcomes
    assert seen["valid", "accepted"] > 100, seen


def test_article_payloads() -> None:
    harness = ArticleHarness()
    seen: Counter[str] = Counter()

    @ci(1200)
    @given(articles())
    def check(case: Case) -> None:
        verdict = harness.check(case)
        seen[verdict.outcome] += 1
        assert not verdict.problems, (verdict, case.raw[:300] if case.raw else None)

    check()
    for outcome in ("accepted", "deadletter:invalid_utf8", "deadletter:invalid_json", "deadletter:too_large",
                    "deadletter:schema"):
        assert seen[outcome] > 0, seen


# --- the harness itself must be able to fail ----------------------------------------------

def test_judge_flags_a_lost_original_and_an_internal_error() -> None:
    from agents.ingest import Source, dead_letter, internal_error

    record = dead_letter(b"abc", Source("t", 0, 1), internal_error(RuntimeError("boom")))
    outcome, problems = judge_deadletter(record.model_dump_json().encode(), b"abd")
    assert outcome == "deadletter:internal_error"
    assert any("internal_error" in p for p in problems) and "original bytes do not round-trip" in problems


def test_harness_flags_an_exception_escaping_ingest(monkeypatch: pytest.MonkeyPatch) -> None:
    harness = ReleaseHarness()

    def explode(*args: object) -> None:
        raise RuntimeError("send failed")

    monkeypatch.setattr("fuzz_harness.ingest_event", explode)
    verdict = harness.check(Case("test", b"{}"))
    assert verdict.outcome == "crash" and "send failed" in verdict.problems[0]


def test_harness_flags_an_expectation_not_met() -> None:
    verdict = ReleaseHarness().check(Case("test", b"\xff", "valid"))
    assert verdict.problems == ["expected accepted, got deadletter:invalid_utf8"]


# --- defects found in schemas/article.py, reported to its owners --------------------------

ARTICLE = (b'{"article_id": "a", "url": "u", "source": "s", "title": "t", '
           b'"published_at": "2025-08-29T09:30:00+08:00"')


def test_article_with_a_lone_surrogate_in_companies_is_refused() -> None:
    from schemas.errors import InvalidInput

    with pytest.raises(InvalidInput):
        parse_article(ARTICLE + b', "companies": ["\\ud800"]}', max_bytes=1 << 20)


def test_article_with_an_unrepresentable_utc_time_is_refused() -> None:
    from schemas.errors import InvalidInput

    raw = ARTICLE.replace(b"2025-08-29T09:30:00+08:00", b"9999-12-31T23:59:59-23:59") + b"}"
    with pytest.raises(InvalidInput):
        parse_article(raw, max_bytes=1 << 20)
