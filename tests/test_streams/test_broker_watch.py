"""streams.broker_watch: a worker notices its input topics vanish (a reset broker) and says so."""

from __future__ import annotations

from streams.broker_watch import BrokerWatch
from streams.settings import Settings

SETTINGS = Settings.load(topic_prefix="w.")
INPUT = SETTINGS.topic("earnings.releases")


def watch(*answers: set[str] | Exception) -> BrokerWatch:
    replies = list(answers)

    def lister(settings: Settings) -> set[str]:
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return BrokerWatch(SETTINGS, lister=lister)


async def test_a_topic_seen_then_gone_is_a_reset() -> None:
    w = watch({INPUT, "other"}, {"other"})
    assert not await w.check()
    assert await w.check()
    assert w.reset == {INPUT}


async def test_topics_not_created_yet_are_not_a_reset() -> None:
    # A worker started before `cloudpulse topics create` waits, as it always did.
    w = watch(set(), set(), {INPUT})
    assert [await w.check() for _ in range(3)] == [False, False, False]
    assert not w.reset


async def test_an_unreachable_broker_is_not_a_reset() -> None:
    # The client reconnects by itself; /readyz reports the outage (streams/web.py).
    w = watch({INPUT}, OSError("connection refused"), {INPUT})
    assert [await w.check() for _ in range(3)] == [False, False, False]
    assert not w.reset
