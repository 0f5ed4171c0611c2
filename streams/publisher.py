"""Publishing JSONL files to topics (kafka-python), validating releases first.

Usage::

    report = publish_file(settings, "earnings.releases", Path("releases.jsonl"))
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from kafka import KafkaProducer

from schemas.company import Registry
from schemas.errors import InvalidInput
from schemas.release import parse_release
from streams.settings import Settings


@dataclass(slots=True)
class PublishReport:
    sent: int = 0
    refused: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Message:
    key: bytes | None
    value: bytes
    timestamp_ms: int | None


def prepare(lines: list[bytes], *, validate_releases: bool, registry: Registry | None, max_bytes: int) -> tuple[list[Message], list[tuple[int, str]]]:
    """Key each release by company and stamp it with its publish time; refuse invalid lines."""
    messages: list[Message] = []
    refused: list[tuple[int, str]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        key, ts = None, None
        if validate_releases:
            assert registry is not None
            try:
                release = parse_release(line, registry, max_bytes=max_bytes)
            except InvalidInput as exc:
                refused.append((number, exc.summary))
                continue
            key, ts = release.company_id.encode(), int(release.published_at.timestamp() * 1000)
        else:
            key, ts = _best_effort_key(line)
        messages.append(Message(key, line, ts))
    return messages, refused


def refused_articles(lines: list[bytes], *, max_bytes: int) -> list[tuple[int, str]]:
    """Lines of a news archive that break the article contract (docs/news.md), with why."""
    from schemas.article import parse_article

    refused = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                parse_article(line, max_bytes=max_bytes)
            except InvalidInput as exc:
                refused.append((number, exc.summary))
    return refused


def _best_effort_key(line: bytes) -> tuple[bytes | None, int | None]:
    try:
        doc = json.loads(line)
        key = doc.get("company") or doc.get("article_id")
        ts = datetime.fromisoformat(doc["published_at"]).timestamp() * 1000 if doc.get("published_at") else None
        return (str(key).encode() if key else None), (int(ts) if ts else None)
    except Exception:  # --raw publishes anything, including bytes meant to be refused downstream
        return None, None


def producer_for(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_request_size=max(1_048_576, settings.max_payload_bytes * 4),
    )


def send_all(settings: Settings, topic: str, messages: list[Message]) -> int:
    producer = producer_for(settings)
    try:
        futures = [producer.send(topic, key=m.key, value=m.value, timestamp_ms=m.timestamp_ms) for m in messages]
        producer.flush(timeout=60)
        for future in futures:
            future.get(timeout=60)  # surface any delivery error instead of losing it
    finally:
        producer.close(timeout=10)
    return len(messages)


def publish_file(settings: Settings, topic: str, path: Path, *, validate: bool = True,
                 in_time_order: bool = False) -> PublishReport:
    lines = path.read_bytes().splitlines()
    is_release_topic = topic.endswith("earnings.releases")
    registry = Registry.load(settings.registry_file) if validate and is_release_topic else None
    messages, refused = prepare(lines, validate_releases=validate and is_release_topic, registry=registry,
                                max_bytes=settings.max_payload_bytes)
    if topic.endswith("news.articles"):
        if validate:
            refused = [*refused, *refused_articles(lines, max_bytes=settings.max_payload_bytes)]
        # One key, so one partition: read back in publish-time order, stories group the same
        # way on every replay (across partitions a late copy could miss its expired story).
        messages = [Message(b"news-archive", m.value, m.timestamp_ms) for m in messages]
    report = PublishReport(refused=refused)
    if refused and validate:
        return report  # all or nothing: a half-published archive is worse than none
    if in_time_order:
        # Stable: records without a publish time keep their file order, at the end.
        messages.sort(key=lambda m: (m.timestamp_ms is None, m.timestamp_ms or 0))
    report.sent = send_all(settings, topic, messages)
    return report
