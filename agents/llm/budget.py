"""Token budget per hour and per day (rolling windows), and usage/latency accounting per model.

When a window is spent the writer falls back to templates and says so once per window in the
log; it never waits for the budget to refill (an alert late is worse than an alert plain).

Usage::

    budget = TokenBudget(per_hour=200_000, per_day=2_000_000)
    if budget.allows():  ...call...;  budget.spend(usage.total_tokens)
"""

from __future__ import annotations

import logging
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

HOUR, DAY = 3600.0, 86400.0


class TokenBudget:
    def __init__(self, per_hour: int, per_day: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits = {HOUR: per_hour, DAY: per_day}
        self.clock = clock
        self._spent: deque[tuple[float, int]] = deque()
        self._warned: dict[float, float] = {}

    def used(self, window: float) -> int:
        now = self.clock()
        while self._spent and now - self._spent[0][0] > DAY:
            self._spent.popleft()
        return sum(tokens for at, tokens in self._spent if now - at <= window)

    def allows(self) -> bool:
        for window, limit in self.limits.items():
            if limit and self.used(window) >= limit:
                now = self.clock()
                if now - self._warned.get(window, -DAY) > window:
                    name = "hourly" if window == HOUR else "daily"
                    log.warning("LLM %s token budget of %d exhausted; alerts use templates until it frees up",
                                name, limit)
                    self._warned[window] = now
                return False
        return True

    def spend(self, tokens: int) -> None:
        if tokens > 0:
            self._spent.append((self.clock(), tokens))


@dataclass(slots=True)
class LLMStats:
    """Counters for metrics and the closing figures: what was called, cached, fallen back."""

    alerts: int = 0
    calls: int = 0
    retries: int = 0
    cache_hits: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)  # llm, llm+retry, fallback:<reason>
    prompt_tokens: Counter[str] = field(default_factory=Counter)  # by model
    completion_tokens: Counter[str] = field(default_factory=Counter)
    latency_seconds: dict[str, list[float]] = field(default_factory=dict)  # by model, per call

    def observe_call(self, model: str, seconds: float, prompt: int, completion: int) -> None:
        """A call that got an HTTP 200 answer (``calls`` counts every attempt, failed ones too)."""
        self.prompt_tokens[model] += prompt
        self.completion_tokens[model] += completion
        samples = self.latency_seconds.setdefault(model, [])
        samples.append(seconds)
        if len(samples) > 10_000:  # bounded: enough for percentiles, never a leak
            del samples[: len(samples) - 10_000]

    def summary(self) -> dict[str, object]:
        return {
            "alerts": self.alerts, "calls": self.calls, "retries": self.retries, "cache_hits": self.cache_hits,
            "calls_per_alert": round(self.calls / self.alerts, 3) if self.alerts else 0.0,
            "outcomes": dict(self.outcomes),
            "tokens": {m: self.prompt_tokens[m] + self.completion_tokens[m] for m in self.prompt_tokens},
        }
