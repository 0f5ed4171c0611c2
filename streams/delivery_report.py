"""Waiting for deliveries to settle and summing them up (demo, fault runs).

"Settled" is read from offsets, not sleeps: the worker's group has committed the end of
``cloudpulse.alerts`` and of the retry topic, which it does only once every delivery of those
records is recorded (agents/delivery/acks.py).

Usage::

    if wait_delivered(settings, proc, timeout=60):
        print(delivery_summary(settings))
"""

from __future__ import annotations

from collections import Counter
from subprocess import Popen

from streams.offsets import all_committed, poll_until
from streams.settings import Settings
from streams.topics import ALERTS, DELIVERIES, DELIVERY_RETRY


def wait_delivered(settings: Settings, proc: Popen[bytes], timeout: float) -> bool:
    topics = [settings.topic(ALERTS), settings.topic(DELIVERY_RETRY)]
    return poll_until(lambda: all_committed(settings, topics), proc, timeout, interval=0.3, stable=3)

def delivery_summary(settings: Settings) -> str:
    """One line per receiver: how many deliveries ended in each state."""
    from agents.delivery.history import latest
    from schemas.delivery import DeliveryRecord
    from streams.topic_reader import read_all

    records = latest([DeliveryRecord.model_validate_json(r.value)
                      for r in read_all(settings, settings.topic(DELIVERIES))]).values()
    per_receiver: dict[str, Counter[str]] = {}
    for record in records:
        per_receiver.setdefault(record.receiver, Counter())[record.state] += 1
    return "\n".join(f"{name}: " + ", ".join(f"{state} {n}" for state, n in sorted(states.items()))
                     for name, states in sorted(per_receiver.items())) or "no deliveries recorded"
