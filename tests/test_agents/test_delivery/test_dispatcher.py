"""One delivery's life: ledger decisions, retries, dead letters, silences, quiet hours, revisions."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest

from agents.delivery.dispatcher import decide
from agents.delivery.policy import ReceiverPolicy
from agents.delivery.queues import Job
from agents.delivery.quiet import QuietHours
from agents.delivery.receiver import Outcome
from agents.delivery.retry import RetryPolicy
from agents.delivery.silences import SilenceBook
from schemas.delivery import DeliveryRecord, RetryRecord, Silence

from .conftest import T0, build_alert
from .fakes import Scripted, rig


def entry(state: str, attempts: int) -> DeliveryRecord:
    return DeliveryRecord.first(build_alert(), "firm", T0).model_copy(update={"state": state, "attempts": attempts})


@pytest.mark.parametrize(("state", "attempts", "expect", "reset", "verdict"), [
    (None, 0, 0, False, "send"),
    ("delivered", 1, 0, False, "skip"),
    ("silenced", 0, 0, False, "skip"),
    ("dead", 6, 6, False, "skip"),
    ("dead", 6, 6, True, "send"),
    ("sending", 1, 0, False, "check"),   # a crash interrupted attempt 1
    ("sending", 3, 1, False, "check"),   # whatever the record expected
    ("pending", 2, 2, False, "send"),
    ("pending", 3, 2, False, "skip"),    # stale record: attempt 3 has its own
])
async def test_decide(state, attempts, expect, reset, verdict) -> None:
    job = Job(build_alert(), "firm", 0, expect_attempts=expect, reset=reset)
    assert decide(None if state is None else entry(state, attempts), job) == verdict


async def test_delivered_once_even_when_the_alert_comes_again() -> None:
    firm = Scripted("firm")
    r = rig([firm])
    alert = build_alert()
    await r.alert(alert, 0)
    await r.alert(alert, 1)  # redelivery after a restart, or a replay
    await r.settle()
    assert len(firm.sends) == 1 and r.acked == [(0, 0), (0, 1)]
    states = [w.state for w in r.ledger.writes]
    assert states == ["sending", "delivered"]
    assert r.ledger.get(alert.alert_id, "firm").ref == {"n": 1}


async def test_retryable_failure_parks_with_backoff_then_dead_letters() -> None:
    firm = Scripted("firm", [Outcome.retry("HTTP 503"), Outcome.retry("HTTP 429", retry_after=30), Outcome.retry("HTTP 500")])
    r = rig([firm], now=T0)
    alert = build_alert()
    await r.alert(alert)
    await r.settle()
    (record, partition), = r.parked
    assert record.expect_attempts == 1 and record.not_before == T0 + timedelta(seconds=1) and partition == 0
    assert r.ledger.get(alert.alert_id, "firm").state == "pending"
    # The retry agent brings it back: attempt 2 (429 asks for 30 s), then attempt 3, the last.
    for _ in range(2):
        record, partition = r.parked[-1]
        r.clock.now = record.not_before
        await r.service.on_retry(record.model_dump_json().encode(), partition=partition, ack=lambda: None)
        await r.settle()
    assert r.parked[1][0].not_before == T0 + timedelta(seconds=1 + 30)  # retried at T0+1 s, then 30 s
    assert [b.attempts for b in r.buried] == [3] and r.buried[0].reason == "HTTP 500"
    assert r.ledger.get(alert.alert_id, "firm").state == "dead"
    # A stale copy of an earlier retry record changes nothing.
    await r.service.on_retry(r.parked[0][0].model_dump_json().encode(), partition=0, ack=lambda: None)
    await r.settle()
    assert len(firm.sends) == 3


async def test_final_failure_dead_letters_at_once_and_reset_retries_it() -> None:
    firm = Scripted("firm", [Outcome.final("HTTP 400")])
    r = rig([firm])
    alert = build_alert()
    await r.alert(alert)
    await r.settle()
    assert r.ledger.get(alert.alert_id, "firm").state == "dead" and len(r.buried) == 1 and not r.parked
    reset = RetryRecord(alert=alert, receiver="firm", expect_attempts=1, not_before=T0, reason="operator", reset=True)
    await r.service.on_retry(reset.model_dump_json().encode(), partition=0, ack=lambda: None)
    await r.settle()
    assert r.ledger.get(alert.alert_id, "firm").state == "delivered" and len(firm.sends) == 2


async def test_uncertain_send_after_a_crash_reuses_the_key() -> None:
    firm = Scripted("firm")
    r = rig([firm])
    alert = build_alert()
    crashed = DeliveryRecord.first(alert, "firm", T0).model_copy(update={"state": "sending", "attempts": 1})
    await r.ledger.put(crashed, partition=0)
    await r.alert(alert)
    await r.settle()
    (_, context), = firm.sends
    assert context.uncertain and context.attempt == 2 and context.idempotency_key == f"{alert.alert_id}|firm"
    final = r.ledger.get(alert.alert_id, "firm")
    assert final.state == "delivered" and final.uncertain_resends == 1
    assert r.dispatcher.counters["delivery.firm.uncertain"] == 1


async def test_silence_records_and_sends_nothing() -> None:
    firm, slack = Scripted("firm"), Scripted("analysts")
    book = SilenceBook()
    book.apply(Silence(id="s1", matchers={"company": ["BABA"], "receiver": ["analysts"]},
                       starts_at=T0 - timedelta(hours=1), ends_at=T0 + timedelta(hours=1)))
    r = rig([firm, slack], now=T0, silences=book)
    alert = build_alert()
    await r.alert(alert)
    await r.settle()
    assert not slack.sends and len(firm.sends) == 1
    silenced = r.ledger.get(alert.alert_id, "analysts")
    assert silenced.state == "silenced" and silenced.silenced_by == "s1"


async def test_quiet_hours_defer_to_the_window_end() -> None:
    night = datetime(2025, 11, 10, 23, 0, tzinfo=timezone.utc)
    quiet = QuietHours(time(22), time(7), timezone.utc, except_severity=("critical",))
    firm = Scripted("firm")
    r = rig([firm], now=night, policy=ReceiverPolicy(retry=RetryPolicy(jitter=0), deadline=0.3, quiet=quiet))
    await r.alert(build_alert(1))
    await r.alert(build_alert(2, severity="critical"), 1)
    await r.settle()
    assert [aid for aid, _ in firm.sends] == ["alert-test000002"]
    (record, _), = r.parked
    assert record.not_before == datetime(2025, 11, 11, 7, tzinfo=timezone.utc) and record.expect_attempts == 0
    assert r.ledger.get("alert-test000001", "firm").state == "pending"


async def test_revision_gets_the_earlier_ref() -> None:
    slack = Scripted("analysts")
    r = rig([slack])
    first = build_alert(1)
    await r.alert(first)
    await r.alert(build_alert(2, revises=first.alert_id, trigger="revision"), 1)
    await r.settle()
    assert slack.sends[1][1].revises_ref == {"n": 1}
    assert slack.sends[1][1].revises_key == f"{first.alert_id}|analysts"
    revision = r.ledger.get("alert-test000002", "analysts")
    assert revision.revises == first.alert_id and revision.revises_ref == {"n": 1}


async def test_receiver_exceptions_are_retried_not_lost() -> None:
    class Broken(Scripted):
        async def send(self, alert, context):
            raise RuntimeError("bug")

    r = rig([Broken("firm")])
    await r.alert(build_alert())
    await r.settle()
    assert r.parked and "RuntimeError" in r.parked[0][0].reason


async def test_unanswered_attempt_makes_the_next_one_check_first() -> None:
    firm = Scripted("firm", [Outcome.retry("timeout", maybe_sent=True)])
    r = rig([firm], now=T0)
    await r.alert(build_alert())
    await r.settle()
    record, partition = r.parked[0]
    assert r.ledger.get(record.alert.alert_id, "firm").maybe_sent
    r.clock.now = record.not_before
    await r.service.on_retry(record.model_dump_json().encode(), partition=partition, ack=lambda: None)
    await r.settle()
    assert [c.uncertain for _, c in firm.sends] == [False, True]
    assert r.dispatcher.counters["delivery.firm.uncertain"] == 0  # not a crash window
