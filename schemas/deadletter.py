"""Dead-letter record: an input we could not process, with its original bytes and the reason."""

from __future__ import annotations

import base64
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class DeadLetterProblem(BaseModel):
    model_config = ConfigDict(frozen=True)

    loc: str
    message: str


class DeadLetter(BaseModel):
    """Written to ``cloudpulse.deadletter``; ``original_b64`` round-trips the exact bytes."""

    model_config = ConfigDict(frozen=True)

    source_topic: str
    source_partition: int
    source_offset: int
    source_key_b64: str | None = None
    reason: str = Field(description="A kind from schemas.errors.REASONS")
    summary: str
    problems: list[DeadLetterProblem]
    original_b64: str
    original_text: str | None = Field(default=None, description="The original as text when it was valid UTF-8 (truncated)")
    failed_at: datetime

    def original(self) -> bytes:
        return base64.b64decode(self.original_b64)
