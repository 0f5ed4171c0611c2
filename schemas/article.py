"""News article input contract v1 (topic ``news.articles``).

An article arrives as JSON bytes. :func:`parse_article` returns a validated :class:`Article`
or raises :class:`InvalidInput` (dead-lettered by the ingest stage like a bad release).

``language`` is optional: the news stage detects zh-Hans, zh-Hant or en when it is absent.
``companies`` is an optional hint from the producer (registry ids or aliases); tagging still
runs on the text, the hint only adds companies the text names in a way the registry misses.

Usage::

    article = parse_article(raw_bytes, max_bytes=512 * 1024)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.errors import InputProblem, InvalidInput, problems_of
from schemas.release import decode_json

SCHEMA_VERSION = 1
Language = Literal["zh-Hans", "zh-Hant", "en"]


class Article(BaseModel):
    """One news article, as published by one outlet."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = 1
    article_id: str = Field(min_length=1, max_length=200, description="Producer's id; unique per outlet and article")
    url: str = Field(min_length=1, max_length=2000)
    source: str = Field(min_length=1, max_length=200, description="Outlet name, e.g. 财新, Reuters, 經濟日報")
    published_at: datetime = Field(description="ISO 8601 with a UTC offset; naive times are refused")
    language: Language | None = Field(default=None, description="Detected when absent")
    title: str = Field(min_length=1, max_length=1000)
    body: str = Field(default="", max_length=200_000)
    companies: tuple[str, ...] = Field(default=(), max_length=50, description="Optional hint: registry ids or aliases")

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("published_at needs a UTC offset (e.g. 2025-08-29T09:30:00+08:00)")
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-23:59 is past datetime.max in UTC
            raise ValueError("published_at is out of range once converted to UTC") from None

    @field_validator("article_id", "url", "source", "title", "body", "companies")
    @classmethod
    def _encodable(cls, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
        # JSON may escape a lone surrogate ("\ud800"): valid JSON, but no UTF-8 text, so the
        # article could never be written onward. Refused here, where the producer hears why.
        for text in (value,) if isinstance(value, str) else value:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"contains a lone surrogate at character {exc.start} (not encodable as UTF-8)") from None
        return value

    @property
    def text(self) -> str:
        """Title and body as one text; fact evidence offsets index into this string."""
        return f"{self.title}\n{self.body}" if self.body else self.title


def parse_article(raw: bytes, *, max_bytes: int) -> Article:
    """Validate raw bytes as an article; every failure is an :class:`InvalidInput`."""
    document = decode_json(raw, max_bytes=max_bytes)
    if not isinstance(document, dict):
        raise InvalidInput("schema", [InputProblem("", f"expected a JSON object, got {type(document).__name__}")])
    try:
        return Article.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput("schema", problems_of(exc)) from None
