"""How one receiver is treated: retries, timeout, deadline, quiet hours, rate limit, queue.

Usage::

    ReceiverPolicy(retry=RetryPolicy(max_attempts=5), timeout=5.0, deadline=10.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.delivery.quiet import QuietHours
from agents.delivery.ratelimit import TokenBucket
from agents.delivery.retry import RetryPolicy


@dataclass(slots=True)
class ReceiverPolicy:
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 10.0  # seconds per send (the receiver's own HTTP timeout; a guard adds slack)
    deadline: float = 10.0  # seconds an alert waits for this receiver before the delivery is parked
    queue_size: int = 100
    workers: int = 1
    quiet: QuietHours | None = None
    bucket: TokenBucket | None = None
