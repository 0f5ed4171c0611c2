"""The Slack receiver against a local Slack-compatible endpoint: Web API and incoming webhooks."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from agents.delivery.receiver import SendContext
from agents.delivery.slack import METADATA_EVENT, SlackReceiver


def bot(endpoint, token: str = "xoxb-test", **options) -> SlackReceiver:
    client = AsyncWebClient(token=token, base_url=endpoint.url("/api/"), timeout=2, retry_handlers=[])
    return SlackReceiver("analysts", client=client, channel="C1", **options)


def ctx(alert, **extra) -> SendContext:
    return SendContext(idempotency_key=f"{alert.alert_id}|analysts", attempt=1, **extra)


async def test_bot_posts_blocks_with_metadata(endpoint, make_alert) -> None:
    alert = make_alert()
    outcome = await bot(endpoint).send(alert, ctx(alert))
    assert outcome.status == "delivered" and outcome.ref["channel"] == "C1"
    [message] = endpoint.channel("C1")
    assert message["ts"] == outcome.ref["ts"] and message["blocks"][0]["type"] == "header"
    assert message["metadata"]["event_type"] == METADATA_EVENT
    assert message["metadata"]["event_payload"]["idempotency_key"] == f"{alert.alert_id}|analysts"


async def test_revision_updates_the_earlier_message(endpoint, make_alert) -> None:
    slack = bot(endpoint)
    first = make_alert(1)
    posted = await slack.send(first, ctx(first))
    revision = make_alert(2, revises=first.alert_id, trigger="revision", title_en="Restated: 35.1% YoY")
    outcome = await slack.send(revision, ctx(revision, revises_ref=posted.ref))
    assert outcome.status == "delivered" and outcome.ref["ts"] == posted.ref["ts"] and outcome.ref["updated"]
    [message] = endpoint.channel("C1")  # no second message
    assert message["edited"] == 1 and message["text"].startswith("Revised:") and "35.1%" in message["text"]


async def test_revision_in_thread_mode_replies_in_thread(endpoint, make_alert) -> None:
    slack = bot(endpoint, on_revision="thread")
    first = make_alert(1)
    posted = await slack.send(first, ctx(first))
    revision = make_alert(2, revises=first.alert_id)
    outcome = await slack.send(revision, ctx(revision, revises_ref=posted.ref))
    messages = endpoint.channel("C1")
    assert len(messages) == 2 and messages[1]["thread_ts"] == posted.ref["ts"] == outcome.ref["thread_ts"]


async def test_revision_of_a_vanished_message_posts_afresh(endpoint, make_alert) -> None:
    revision = make_alert(2, revises="alert-gone")
    outcome = await bot(endpoint).send(revision, ctx(revision, revises_ref={"channel": "C1", "ts": "1.000001"}))
    assert outcome.status == "delivered" and len(endpoint.channel("C1")) == 1


async def test_uncertain_send_finds_the_message_instead_of_posting_again(endpoint, make_alert) -> None:
    slack = bot(endpoint)
    alert = make_alert()
    first = await slack.send(alert, ctx(alert))
    again = await slack.send(alert, ctx(alert, uncertain=True))
    assert again.status == "delivered" and again.ref["ts"] == first.ref["ts"] and "found" in again.detail
    assert len(endpoint.channel("C1")) == 1
    other = make_alert(5)
    fresh = await slack.send(other, ctx(other, uncertain=True))  # not there: posted
    assert fresh.status == "delivered" and len(endpoint.channel("C1")) == 2


@pytest.mark.parametrize(("step", "status"), [
    ({"status": 429, "headers": {"Retry-After": "2"}}, "retry"),
    ({"status": 500}, "retry"),
    ({"status": 503}, "retry"),
    ({"close": True}, "retry"),
    ({"status": 404}, "final"),
])
async def test_bot_failures(endpoint, make_alert, step, status) -> None:
    endpoint.script("/api/chat.postMessage", [step])
    alert = make_alert()
    outcome = await bot(endpoint).send(alert, ctx(alert))
    assert outcome.status == status, outcome
    if "headers" in step:
        assert outcome.retry_after == 2.0


async def test_bad_token_is_final_and_not_echoed(endpoint, make_alert) -> None:
    alert = make_alert()
    outcome = await bot(endpoint, token="xoxb-WRONG").send(alert, ctx(alert))
    assert outcome.status == "final" and "invalid_auth" in outcome.detail and "WRONG" not in outcome.detail


async def test_incoming_webhook_mode(endpoint, make_alert) -> None:
    hook = SlackReceiver("analysts", webhook=AsyncWebhookClient(endpoint.url("/slack/webhook/T1"), retry_handlers=[]),
                         languages="zh")
    alert = make_alert()
    assert (await hook.send(alert, ctx(alert))).status == "delivered"
    revision = make_alert(2, revises=alert.alert_id)
    assert (await hook.send(revision, ctx(revision))).status == "delivered"
    first, second = endpoint.channel("/slack/webhook/T1")
    assert "阿里巴巴" in first["blocks"][1]["text"]["text"]
    assert second["text"].startswith("Revised:")  # cannot update: a new message that says so
    endpoint.script("/slack/webhook", [{"status": 429, "headers": {"Retry-After": "1"}}])
    limited = await hook.send(alert, ctx(alert))
    assert limited.status == "retry" and limited.retry_after == 1.0


def test_needs_exactly_one_mode() -> None:
    with pytest.raises(ValueError):
        SlackReceiver("x")
    with pytest.raises(ValueError):
        SlackReceiver("x", client=AsyncWebClient(token="t"))  # no channel


async def test_lost_response_is_not_posted_twice(endpoint, make_alert) -> None:
    """The API posted but the answer was lost: the retry looks in the channel first."""
    endpoint.script("/api/chat.postMessage", [{"lost_response": True}])
    slack = bot(endpoint)
    alert = make_alert()
    first = await slack.send(alert, ctx(alert))
    assert first.status == "retry" and first.maybe_sent
    second = await slack.send(alert, ctx(alert, uncertain=first.maybe_sent))
    assert second.status == "delivered" and "found" in second.detail
    assert len(endpoint.channel("C1")) == 1
