"""Logging: one JSON object per line for machines, or a readable console format; secrets redacted.

Events of interest carry ``company``, ``release_id``, ``alert_id`` (and ``reason``) as
``extra=`` fields; the JSON format emits them as keys. Redaction runs on the final text of
every record, Faust's and the SDKs' included: known secret values (from settings) and
anything shaped like an API key or bearer token are replaced before a line is written.

Usage::

    logging_config(settings)      # a dictConfig for mode/Faust's Worker(logging_config=...)
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Any

from streams.settings import Settings

EXTRA_FIELDS = ("company", "release_id", "alert_id", "reason", "receiver")
SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|xox[abposr]-[A-Za-z0-9\-]{8,}|(?i:bearer)\s+[A-Za-z0-9._\-]{8,}"
    r"|hooks\.slack\.com/services/[A-Za-z0-9/]+)"
)
MASK = "***"


class Redactor:
    def __init__(self, secrets: list[str]) -> None:
        # Longest first, so a secret containing another is masked whole.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return SECRET_SHAPES.sub(MASK, text)


class JsonFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, tz=timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                payload[name] = value
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return self.redact(json.dumps(payload, ensure_ascii=False, default=str))


class ConsoleFormatter(logging.Formatter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", datefmt="%H:%M:%S")
        self.redact = redact

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the settings hold (SecretStr fields)."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if hasattr(value, "get_secret_value"):
            values.append(value.get_secret_value())
    return values


def logging_config(settings: Settings, extra_secrets: list[str] | None = None) -> dict[str, Any]:
    formatter = JsonFormatter if settings.log_format == "json" else ConsoleFormatter
    redact = Redactor(secrets_of(settings) + (extra_secrets or []))
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"main": {"()": formatter, "redact": redact}},
        "handlers": {"main": {"class": "logging.StreamHandler", "formatter": "main", "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["main"], "level": settings.log_level.upper()},
        "loggers": {
            # Quiet, chatty libraries: their INFO is noise in a months-long log.
            "aiokafka": {"level": "WARNING"},
            "kafka": {"level": "WARNING"},
            "httpx": {"level": "WARNING"},
            "httpx2": {"level": "WARNING"},
            "openai": {"level": "WARNING"},
        },
    }
