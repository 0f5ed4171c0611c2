from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from agents.delivery.retry import RetryPolicy, classify, parse_retry_after


@pytest.mark.parametrize(("status", "expected"), [
    (200, "delivered"), (204, "delivered"), (408, "retry"), (429, "retry"), (500, "retry"), (503, "retry"),
    (400, "final"), (401, "final"), (404, "final"), (410, "final"), (301, "final"),
])
def test_status_classes(status: int, expected: str) -> None:
    assert classify(status).status == expected


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert classify(429, "12").retry_after == 12.0


def test_backoff_grows_is_capped_and_jittered() -> None:
    policy = RetryPolicy(max_attempts=5, base=1.0, cap=8.0, jitter=0.2, rng=random.Random(1))
    delays = [policy.delay(n) for n in range(1, 7)]
    for n, delay in enumerate(delays, 1):
        nominal = min(8.0, 2 ** (n - 1))
        assert 0.8 * nominal <= delay <= 1.2 * nominal
    assert len({round(d, 6) for d in delays}) == len(delays)  # jitter: no two alike


def test_retry_after_wins_over_backoff_and_cap() -> None:
    policy = RetryPolicy(base=1.0, cap=8.0, jitter=0.0)
    assert policy.delay(1, retry_after=60.0) == 60.0
    assert policy.delay(3, retry_after=0.5) == 4.0
    assert policy.exhausted(6) and not RetryPolicy(max_attempts=6).exhausted(5)
