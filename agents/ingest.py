"""Ingest stage: raw bytes from a topic -> a validated release, or a dead-letter record.

Never raises for bad input: every failure, expected or not, becomes a :class:`DeadLetter` that
carries the original bytes, where they came from, and why they were refused.

Usage::

    stage = IngestStage(registry, max_bytes=settings.max_payload_bytes)
    result = stage.process(raw, Source("earnings.releases", 0, 42, key))
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from schemas.company import Registry
from schemas.deadletter import DeadLetter, DeadLetterProblem
from schemas.errors import InputProblem, InvalidInput
from schemas.release import Release, parse_release

log = logging.getLogger(__name__)
TEXT_PREVIEW = 4000


@dataclass(frozen=True, slots=True)
class Source:
    """Where a message was read from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None = None


def dead_letter(raw: bytes, source: Source, error: InvalidInput, *, now: datetime | None = None) -> DeadLetter:
    try:
        text: str | None = raw[: TEXT_PREVIEW * 4].decode("utf-8")[:TEXT_PREVIEW]
    except UnicodeDecodeError:
        text = None
    return DeadLetter(
        source_topic=source.topic,
        source_partition=source.partition,
        source_offset=source.offset,
        source_key_b64=None if source.key is None else base64.b64encode(source.key).decode(),
        reason=error.kind,
        summary=error.summary,
        problems=[DeadLetterProblem(loc=p.loc, message=p.message) for p in error.problems],
        original_b64=base64.b64encode(raw).decode(),
        original_text=text,
        failed_at=now or datetime.now(timezone.utc),
    )


def internal_error(exc: BaseException) -> InvalidInput:
    """An unexpected failure while processing: still dead-lettered, never a crashed agent."""
    return InvalidInput("internal_error", [InputProblem("", f"{type(exc).__name__}: {exc}"[:2000])])


class IngestStage:
    """Validation and normalisation of earnings releases."""

    def __init__(self, registry: Registry, *, max_bytes: int) -> None:
        self.registry = registry
        self.max_bytes = max_bytes

    def process(self, raw: bytes | None, source: Source) -> Release | DeadLetter:
        try:
            if raw is None:
                raise InvalidInput("schema", [InputProblem("", "message has no value (tombstone)")])
            return parse_release(raw, self.registry, max_bytes=self.max_bytes)
        except InvalidInput as exc:
            log.warning("refused %s[%d]@%d: %s", source.topic, source.partition, source.offset, exc.summary)
            return dead_letter(raw or b"", source, exc)
        except Exception as exc:  # a bug must not lose the message: dead-letter it and go on
            log.exception("ingest failed on %s[%d]@%d", source.topic, source.partition, source.offset)
            return dead_letter(raw or b"", source, internal_error(exc))
