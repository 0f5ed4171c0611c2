"""Signed JSON webhooks: POST the v1 payload, ``alert_id|receiver`` as the idempotency key.

Every attempt of one delivery carries the same ``Idempotency-Key`` header (and
``idempotency_key`` field): a receiver must de-duplicate on it, because a crash between a
send and its ledger record makes cloudpulse send again (docs/delivery.md, at-most-once).

Usage::

    async with aiohttp.ClientSession() as session:
        hook = WebhookReceiver("firm", "https://example.com/hook", secret="…", session=session)
        outcome = await hook.send(alert, SendContext(idempotency_key=key, attempt=1))
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timezone

import aiohttp

from agents.delivery.receiver import Outcome, SendContext
from agents.delivery.retry import classify
from agents.delivery.signing import signature_headers
from schemas.alert import Alert
from schemas.delivery import WebhookPayload

USER_AGENT = "cloudpulse-webhook/1"


class WebhookReceiver:
    """POSTs alerts as JSON, signed when a secret is configured."""

    def __init__(self, name: str, url: str, *, secret: str | None = None, headers: dict[str, str] | None = None,
                 timeout: float = 10.0, session: aiohttp.ClientSession | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        self.name = name
        self._url = url
        self._secret = secret
        self._headers = dict(headers or {})
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session = session
        self._own_session = session is None
        self._clock = clock

    def body(self, alert: Alert, context: SendContext) -> bytes:
        payload = WebhookPayload(
            idempotency_key=context.idempotency_key, receiver=self.name, alert_id=alert.alert_id,
            revises=alert.revises, revises_idempotency_key=context.revises_key, attempt=context.attempt,
            sent_at=self._clock(), alert=alert,
        )
        return payload.model_dump_json().encode()

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        body = self.body(alert, context)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT,
                   "Idempotency-Key": context.idempotency_key, **self._headers}
        if self._secret:
            headers.update(signature_headers(self._secret, body, self._clock().timestamp()))
        if self._session is None:
            self._session = aiohttp.ClientSession()
        try:
            async with self._session.post(self._url, data=body, headers=headers, timeout=self._timeout,
                                          allow_redirects=False) as response:
                text = (await response.text(errors="replace"))[:200]
                return classify(response.status, response.headers.get("Retry-After"), text.strip())
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            return Outcome.unanswered(exc)

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
