"""The webhook receiver against a real HTTP endpoint on 127.0.0.1, faults included."""

from __future__ import annotations

import json
import time

import pytest

from agents.delivery.receiver import SendContext
from agents.delivery.webhook import WebhookReceiver
from schemas.delivery import WebhookPayload


def ctx(key: str = "alert-test000000|firm", attempt: int = 1) -> SendContext:
    return SendContext(idempotency_key=key, attempt=attempt)


async def test_accepts_signed_versioned_payload(endpoint, make_alert) -> None:
    hook = WebhookReceiver("firm", endpoint.url("/hook/firm"), secret="s3cret", headers={"X-Team": "research"})
    try:
        outcome = await hook.send(make_alert(), ctx())
    finally:
        await hook.close()
    assert outcome.status == "delivered"
    payload = WebhookPayload.model_validate(endpoint.accepted("/hook/firm")["alert-test000000|firm"])
    assert payload.payload_version == 1 and payload.alert.alert_id == "alert-test000000"
    assert endpoint.bad_signatures == 0


async def test_wrong_secret_is_refused_finally(endpoint, make_alert) -> None:
    hook = WebhookReceiver("firm", endpoint.url("/hook/firm"), secret="wrong")
    try:
        outcome = await hook.send(make_alert(), ctx())
    finally:
        await hook.close()
    assert outcome.status == "final" and "401" in outcome.detail
    assert endpoint.bad_signatures == 1 and not endpoint.accepted("/hook/firm")


@pytest.mark.parametrize(("step", "status", "retry_after"), [
    ({"status": 500}, "retry", None),
    ({"status": 503}, "retry", None),
    ({"status": 429, "headers": {"Retry-After": "3"}}, "retry", 3.0),
    ({"status": 408}, "retry", None),
    ({"status": 404}, "final", None),
    ({"close": True}, "retry", None),
])
async def test_failures_are_classified(endpoint, make_alert, step, status, retry_after) -> None:
    endpoint.script("/hook", [step])
    hook = WebhookReceiver("firm", endpoint.url("/hook/firm"), secret="s3cret", timeout=2)
    try:
        outcome = await hook.send(make_alert(), ctx())
    finally:
        await hook.close()
    assert outcome.status == status, outcome
    assert outcome.retry_after == retry_after


async def test_hanging_receiver_times_out(endpoint, make_alert) -> None:
    endpoint.script("/hook", [{"hang": 3}])
    hook = WebhookReceiver("firm", endpoint.url("/hook/firm"), secret="s3cret", timeout=0.5)
    started = time.monotonic()
    try:
        outcome = await hook.send(make_alert(), ctx())
    finally:
        await hook.close()
    assert outcome.status == "retry" and outcome.detail == "timeout"
    assert time.monotonic() - started < 2


async def test_resend_after_lost_response_is_deduplicated_by_key(endpoint, make_alert) -> None:
    endpoint.script("/hook", [{"lost_response": True}])
    hook = WebhookReceiver("firm", endpoint.url("/hook/firm"), secret="s3cret")
    try:
        first = await hook.send(make_alert(), ctx(attempt=1))
        second = await hook.send(make_alert(), ctx(attempt=2))
    finally:
        await hook.close()
    assert first.status == "retry" and second.status == "delivered"
    assert endpoint.raw["/hook/firm"] == 2
    assert endpoint.duplicates["/hook/firm"] == 1 and len(endpoint.accepted("/hook/firm")) == 1


async def test_error_detail_never_contains_the_url(make_alert) -> None:
    hook = WebhookReceiver("firm", "http://127.0.0.1:9/hook?token=SECRET-IN-URL", timeout=1)
    try:
        outcome = await hook.send(make_alert(), ctx())
    finally:
        await hook.close()
    assert outcome.status == "retry" and "SECRET" not in outcome.detail
    assert json.dumps(outcome.detail)
