"""JSONL file sinks that de-duplicate by record id, so at-least-once redelivery and restarts
never write the same alert or delta twice.

Usage::

    sink = JsonlSink(Path("alerts.jsonl"), id_field="alert_id")
    sink.write(alert.model_dump(mode="json"))   # False when that id is already in the file
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class JsonlSink:
    """Append-only JSON lines, one per id; ids already in the file are skipped."""

    def __init__(self, path: Path, *, id_field: str) -> None:
        self.path = Path(path)
        self.id_field = id_field
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._seen = self._load_ids()
        self._file = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size and not _ends_with_newline(self.path):
            self._file.write("\n")  # never glue a new record onto a torn one

    def _load_ids(self) -> set[str]:
        seen: set[str] = set()
        if not self.path.exists():
            return seen
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    seen.add(json.loads(line)[self.id_field])
                except (ValueError, KeyError, TypeError):
                    # A torn last line from a crash mid-write: its record will be re-sent.
                    log.warning("%s:%d is not a complete record; ignored", self.path, number)
        return seen

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._seen

    def write(self, record: dict[str, Any]) -> bool:
        record_id = record[self.id_field]
        if record_id in self._seen:
            return False
        line = json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
        self._file.write(line + "\n")
        self._file.flush()
        # fsync: the consumer offset is committed after this returns; the line must survive
        # a crash of the machine, not just of the process.
        os.fsync(self._file.fileno())
        self._seen.add(record_id)
        return True

    def close(self) -> None:
        self._file.close()


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
