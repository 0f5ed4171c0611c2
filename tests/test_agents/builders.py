"""Builders for release bytes and parsed releases used by the agents tests."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from schemas.company import Registry
from schemas.release import Release, parse_release

MAX_BYTES = 262144


@lru_cache(maxsize=1)
def registry() -> Registry:
    return Registry.load(None)


def line(segment: str, metric: str, value: Any, **extra: Any) -> dict[str, Any]:
    """One metric line (or, with period_end=..., one comparative line)."""
    return {"segment": segment, "metric": metric, "value": value, **extra}


def release_bytes(
    *,
    release_id: str | None = None,
    company: str = "AMZN",
    period_end: str = "2025-09-30",
    metrics: list[dict[str, Any]] | None = None,
    comparatives: list[dict[str, Any]] | None = None,
    published_at: str | None = None,
    **extra: Any,
) -> bytes:
    """JSON bytes of a release; defaults give a valid one-line AMZN release."""
    body: dict[str, Any] = {
        "release_id": release_id or f"{company}-{period_end}",
        "company": company,
        "period_end": period_end,
        "published_at": published_at or f"{period_end}T12:00:00Z",
        "metrics": metrics if metrics is not None else [line("AWS", "revenue", 100)],
        **extra,
    }
    if comparatives:
        body["comparatives"] = comparatives
    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


def release(**kwargs: Any) -> Release:
    return parse_release(release_bytes(**kwargs), registry(), max_bytes=MAX_BYTES)


def parse(raw: bytes) -> Release:
    return parse_release(raw, registry(), max_bytes=MAX_BYTES)


def revenue_release(period_end: str, value: Any, *, company: str = "AMZN", segment: str = "AWS",
                    release_id: str | None = None, **line_extra: Any) -> Release:
    """A release with one cloud revenue line."""
    return release(company=company, period_end=period_end, release_id=release_id,
                   metrics=[line(segment, "revenue", value, **line_extra)])


def bundled_lines(name: str) -> list[bytes]:
    """Raw lines of a bundled release file (streams/data/releases/<name>)."""
    data = resources.files("streams").joinpath(f"data/releases/{name}").read_bytes()
    return [raw for raw in data.splitlines() if raw.strip()]


def bundled_releases(name: str) -> list[Release]:
    return [parse(raw) for raw in bundled_lines(name)]


def D(text: str | int) -> Decimal:  # noqa: N802 - short on purpose in tables of expectations
    return Decimal(str(text))
