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
from collections.abc import Iterator
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
        self._unsynced = False
        self._file = self.path.open("a", encoding="utf-8")
        if self.path.stat().st_size and not _ends_with_newline(self.path):
            self._file.write("\n")  # never glue a new record onto a torn one

    def _load_ids(self) -> set[str]:
        return {record[self.id_field] for record in read_records(self.path, self.id_field)}

    def __contains__(self, record_id: str) -> bool:
        return record_id in self._seen

    def write(self, record: dict[str, Any], *, sync: bool = True) -> bool:
        """Append ``record`` unless its id is in the file. The line is handed to the OS at once
        (readers of the file see it); ``sync=False`` leaves the fsync to a later :meth:`sync`,
        which must run before the input offset covering it is committed (:meth:`barrier`)."""
        record_id = record[self.id_field]
        if record_id in self._seen:
            return False
        line = json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
        self._file.write(line + "\n")
        self._unsynced = True
        if sync:
            self.sync()
        else:
            self._file.flush()
        self._seen.add(record_id)
        return True

    def sync(self) -> None:
        """Flush and fsync what was written. The consumer offset is committed after the event
        is handled; its lines must survive a crash of the machine, not just of the process."""
        if self._unsynced:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._unsynced = False

    def write_json(self, record_id: str, line: str) -> bool:
        """:meth:`write` for a record already serialised to one line of compact JSON (pydantic's
        ``model_dump_json``, the same bytes as ``write`` makes of ``model_dump(mode="json")``:
        tests/test_agents/test_sinks.py). Handed to the OS at once; fsynced at :meth:`barrier`."""
        if record_id in self._seen:
            return False
        self._file.write(line + "\n")
        self._file.flush()
        self._unsynced = True
        self._seen.add(record_id)
        return True

    async def barrier(self) -> None:
        """A commit barrier (streams.consumer.add_commit_barrier): one fsync per commit, not per
        event: the lines only have to be durable before the offsets covering them are committed."""
        self.sync()

    def close(self) -> None:
        self._file.close()


def read_records(path: Path, id_field: str) -> Iterator[dict[str, Any]]:
    """The complete records of a JSONL file; a torn line (a crash mid-write) is skipped."""
    if not path.exists():
        return
    # Bytes, decoded line by line: a write torn inside a multi-byte character must cost only
    # that line, not the whole file.
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.strip()
            if not line:
                continue
            try:
                record = json.loads(line.decode("utf-8"))
                record[id_field]
            except (ValueError, KeyError, TypeError):
                # Its record is re-sent (at-least-once) and written again on a later line.
                log.warning("%s:%d is not a complete record; ignored", path, number)
                continue
            yield record


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
