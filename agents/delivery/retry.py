"""The one retry policy every receiver shares: classify an HTTP answer, and how long to wait.

2xx delivered; 408, 429 and 5xx retried (429's Retry-After honoured); any other status final.
Connection errors and timeouts are retried by the receivers themselves (``Outcome.retry``).

Usage::

    outcome = classify(status, headers.get("Retry-After"))
    delay = policy.delay(attempts, outcome.retry_after)   # seconds, with jitter
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime

from agents.delivery.receiver import Outcome

RETRYABLE_4XX = frozenset({408, 429})


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or datetime.now(timezone.utc)
    return max(0.0, (when - now).total_seconds())


def classify(status: int, retry_after: str | None = None, detail: str = "") -> Outcome:
    label = f"HTTP {status}" + (f": {detail}" if detail else "")
    if 200 <= status < 300:
        return Outcome.delivered(label)
    if status in RETRYABLE_4XX or 500 <= status < 600:
        return Outcome.retry(label, parse_retry_after(retry_after))
    return Outcome.final(label)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter: base * 2^(n-1), capped, then +/- ``jitter`` of it."""

    max_attempts: int = 6
    base: float = 1.0
    cap: float = 300.0
    jitter: float = 0.2
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds before attempt ``attempts + 1``; never less than the receiver asked for."""
        backoff = min(self.cap, self.base * 2 ** max(0, attempts - 1))
        backoff *= 1 + self.jitter * (2 * self.rng.random() - 1)
        if retry_after is not None:
            # The receiver's own wish wins, even over the cap: it knows its limits.
            return max(backoff, retry_after)
        return backoff

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
