"""Slack: an incoming-webhook URL, or a bot token + channel (chat.postMessage) via slack-sdk.

Bot mode stamps each message with metadata (``cloudpulse_alert``: alert id and idempotency
key) so that, after a crash left a delivery 'sending', it can look in the channel
(conversations.history) before posting again. A revision updates the earlier message
(chat.update) or replies in its thread (``on_revision = "thread"``); when the earlier message
is gone it posts afresh. Incoming webhooks can do neither: a revision is a new message with a
revision note, and the crash window stays open (docs/delivery.md).

Usage::

    client = AsyncWebClient(token=token, base_url="https://slack.com/api/", retry_handlers=[])
    slack = SlackReceiver("analysts", client=client, channel="C0123")
    slack = SlackReceiver("analysts", webhook=AsyncWebhookClient(url, retry_handlers=[]))
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from agents.delivery.receiver import Outcome, SendContext
from agents.delivery.retry import classify
from agents.delivery.slack_blocks import layout
from schemas.alert import Alert

METADATA_EVENT = "cloudpulse_alert"
# Web API errors worth another try; every other error (invalid_auth, channel_not_found,
# invalid_blocks…) will fail the same way again.
RETRYABLE_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                              "request_timeout", "team_added_to_org"})
GONE_ERRORS = frozenset({"message_not_found", "cant_update_message", "edit_window_closed", "thread_not_found"})


class SlackReceiver:
    def __init__(self, name: str, *, client: AsyncWebClient | None = None, channel: str | None = None,
                 webhook: AsyncWebhookClient | None = None, languages: str = "both",
                 on_revision: Literal["update", "thread"] = "update", lookback: timedelta = timedelta(days=2),
                 clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> None:
        if (client is None) == (webhook is None):
            raise ValueError("a Slack receiver needs either a bot client and channel, or an incoming webhook")
        if client is not None and not channel:
            raise ValueError("bot mode needs a channel")
        self.name = name
        self._client = client
        self._channel = channel
        self._webhook = webhook
        self._languages = languages
        self._on_revision = on_revision
        self._lookback = lookback
        self._clock = clock

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        try:
            if self._webhook is not None:
                return await self._send_webhook(alert)
            return await self._send_bot(alert, context)
        except SlackApiError as exc:
            return _api_outcome(exc)
        except (asyncio.TimeoutError, aiohttp.ClientError) as exc:
            return Outcome.unanswered(exc)

    async def _send_webhook(self, alert: Alert) -> Outcome:
        assert self._webhook is not None
        text, blocks = layout(alert, languages=self._languages, revision=bool(alert.revises))
        response = await self._webhook.send_dict({"text": text, "blocks": blocks})
        return classify(response.status_code, (response.headers or {}).get("Retry-After"), str(response.body)[:200])

    async def _send_bot(self, alert: Alert, context: SendContext) -> Outcome:
        assert self._client is not None and self._channel is not None
        if context.uncertain:
            found = await self._find(context.idempotency_key)
            if found is not None:
                return Outcome.delivered("found in channel after restart; not posted again", ref=found)
        metadata = {"event_type": METADATA_EVENT,
                    "event_payload": {"alert_id": alert.alert_id, "idempotency_key": context.idempotency_key}}
        earlier = context.revises_ref if alert.revises else None
        if earlier and earlier.get("ts") and earlier.get("channel"):
            outcome = await self._revise(alert, earlier, metadata)
            if outcome is not None:
                return outcome
        text, blocks = layout(alert, languages=self._languages, revision=bool(alert.revises))
        response = await self._client.chat_postMessage(channel=self._channel, text=text, blocks=blocks,
                                                       metadata=metadata, unfurl_links=False, unfurl_media=False)
        return Outcome.delivered("posted", ref={"channel": response["channel"], "ts": response["ts"]})

    async def _revise(self, alert: Alert, earlier: dict[str, Any], metadata: dict[str, Any]) -> Outcome | None:
        """Update the earlier message or reply in its thread; None when it is gone (post afresh)."""
        assert self._client is not None
        text, blocks = layout(alert, languages=self._languages, revision=True)
        try:
            if self._on_revision == "update":
                response = await self._client.chat_update(channel=earlier["channel"], ts=earlier["ts"], text=text,
                                                          blocks=blocks, metadata=metadata)
                return Outcome.delivered("updated earlier message",
                                         ref={"channel": response["channel"], "ts": response["ts"], "updated": True})
            response = await self._client.chat_postMessage(channel=earlier["channel"], thread_ts=earlier["ts"],
                                                           text=text, blocks=blocks, metadata=metadata)
            return Outcome.delivered("replied in thread", ref={"channel": response["channel"], "ts": response["ts"],
                                                               "thread_ts": earlier["ts"]})
        except SlackApiError as exc:
            if (exc.response.data or {}).get("error") in GONE_ERRORS:
                return None
            raise

    async def _find(self, idempotency_key: str) -> dict[str, Any] | None:
        """Our message for this delivery in the channel's recent history, if it is there."""
        assert self._client is not None
        oldest = (self._clock() - self._lookback).timestamp()
        cursor: str | None = None
        for _ in range(10):  # 10 pages of 200: far more than one worker posts between crash and restart
            response = await self._client.conversations_history(channel=self._channel, oldest=f"{oldest:.6f}",
                                                                limit=200, include_all_metadata=True, cursor=cursor)
            for message in response.get("messages", []):
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_EVENT and \
                        (meta.get("event_payload") or {}).get("idempotency_key") == idempotency_key:
                    return {"channel": response.get("channel", self._channel), "ts": message["ts"]}
            cursor = (response.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
        return None

    async def close(self) -> None:
        for client in (self._client, self._webhook):
            session = getattr(client, "session", None)
            if session is not None and not session.closed:
                await session.close()


def _api_outcome(exc: SlackApiError) -> Outcome:
    response = exc.response
    status = response.status_code
    error = (response.data or {}).get("error", "") if isinstance(response.data, dict) else ""
    headers = response.headers or {}
    if status == 200:
        if error in RETRYABLE_ERRORS:
            return Outcome.retry(f"slack error: {error}", None)
        return Outcome.final(f"slack error: {error or 'not ok'}")
    return classify(status, headers.get("Retry-After") or headers.get("retry-after"), error)
