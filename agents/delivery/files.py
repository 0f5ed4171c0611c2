"""File and stdout receivers, for local use and replays.

``FileReceiver`` appends one JSON line per delivery (de-duplicated by ``delivery_id``, so
re-sends after a crash write nothing twice); ``StdoutReceiver`` prints a short bilingual line.

Usage::

    FileReceiver("archive", Path("deliveries.jsonl"))
    StdoutReceiver("console", languages="both", write=print)
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from agents.delivery.receiver import Outcome, SendContext
from agents.sinks import JsonlSink
from schemas.alert import Alert


class FileReceiver:
    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self._path = Path(path)
        self._sink: JsonlSink | None = None

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        if self._sink is None:
            self._sink = JsonlSink(self._path, id_field="delivery_id")
        try:
            record = {"delivery_id": context.idempotency_key, "receiver": self.name, "attempt": context.attempt,
                      "alert": alert.model_dump(mode="json")}
            written = self._sink.write(record)
        except OSError as exc:  # a full disk may clear up; a bad path will exhaust the attempts
            return Outcome.retry(f"write failed: {exc.strerror}")
        return Outcome.delivered("written" if written else "already in file", ref={"path": str(self._path)})

    async def close(self) -> None:
        if self._sink is not None:
            self._sink.close()


def render_line(alert: Alert, languages: str = "both") -> str:
    parts = []
    if languages in ("both", "zh"):
        parts.append(alert.title_zh)
    if languages in ("both", "en"):
        parts.append(alert.title_en)
    revision = f" (revises {alert.revises})" if alert.revises else ""
    return f"[{alert.severity.upper()}] {alert.company} {alert.fiscal_period}: " + " | ".join(parts) + revision


class StdoutReceiver:
    def __init__(self, name: str, *, languages: str = "both", write: Callable[[str], None] | None = None) -> None:
        self.name = name
        self._languages = languages
        self._write = write or (lambda line: print(line, file=sys.stdout, flush=True))

    async def send(self, alert: Alert, context: SendContext) -> Outcome:
        self._write(render_line(alert, self._languages))
        return Outcome.delivered("printed")

    async def close(self) -> None:
        return None
