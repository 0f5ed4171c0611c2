"""The receiver protocol: send one alert, say whether it landed, or whether to try again.

Usage::

    class Pager:
        name = "pager"
        async def send(self, alert: Alert, context: SendContext) -> Outcome:
            ...
            return Outcome.delivered(ref={"id": "42"})
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import aiohttp

from schemas.alert import Alert

Status = Literal["delivered", "retry", "final"]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one send achieved. ``retry_after`` (seconds) is the receiver's own wish (429);
    ``maybe_sent`` says the request may have been processed although no answer came back
    (timeout, dropped connection), so the next attempt should check before posting."""

    status: Status
    detail: str = ""
    retry_after: float | None = None
    ref: dict[str, Any] | None = None
    maybe_sent: bool = False

    @classmethod
    def delivered(cls, detail: str = "ok", ref: dict[str, Any] | None = None) -> Outcome:
        return cls("delivered", detail, ref=ref)

    @classmethod
    def retry(cls, detail: str, retry_after: float | None = None, *, maybe_sent: bool = False) -> Outcome:
        return cls("retry", detail, retry_after=retry_after, maybe_sent=maybe_sent)

    @classmethod
    def unanswered(cls, exc: BaseException) -> Outcome:
        """A timeout or connection error: retried, and marked maybe-sent unless it never connected."""
        if isinstance(exc, asyncio.TimeoutError):
            return cls.retry("timeout", maybe_sent=True)
        # The error's text may carry the URL (and a token in it): name its type only.
        return cls.retry(f"connection error: {type(exc).__name__}",
                         maybe_sent=not isinstance(exc, aiohttp.ClientConnectorError))

    @classmethod
    def final(cls, detail: str) -> Outcome:
        return cls("final", detail)


@dataclass(frozen=True, slots=True)
class SendContext:
    """What a receiver may need beyond the alert.

    ``idempotency_key`` is the same on every attempt; ``revises_ref`` is the earlier alert's
    ``ref`` at this receiver (a Slack message to update); ``uncertain`` means an earlier
    attempt may have landed (a crash mid-send, or no answer to it), so check before posting
    if you can.
    """

    idempotency_key: str
    attempt: int
    revises_ref: dict[str, Any] | None = None
    revises_key: str | None = None
    uncertain: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class Receiver(Protocol):
    name: str

    async def send(self, alert: Alert, context: SendContext) -> Outcome: ...

    async def close(self) -> None: ...
