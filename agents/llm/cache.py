"""Response cache: the same facts, model and prompt never cost a second call.

Keyed by a hash of (prompt version, model, facts). Kept in memory and appended to a JSONL file,
so a worker restart or a replay re-uses what was written before. Only grounded answers are
stored; a fallback is never cached (the next run may succeed).

Usage::

    cache = ResponseCache(Path("data/llm-cache.jsonl"))
    key = cache_key(PROMPT_VERSION, "qwen-plus", facts)
    hit = cache.get(key)                    # dict or None
    cache.put(key, {"title_zh": ...})
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from agents.sinks import JsonlSink, read_records


def cache_key(prompt_version: str, model: str, facts: dict[str, Any]) -> str:
    canonical = json.dumps([prompt_version, model, facts], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: Path | None = None) -> None:
        self._entries: dict[str, dict[str, Any]] = {}
        self._file: JsonlSink | None = None
        if path is not None:
            self._entries = {r["key"]: r["value"] for r in read_records(path, "key")}
            self._file = JsonlSink(path, id_field="key")

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict[str, Any] | None:
        return self._entries.get(key)

    def put(self, key: str, value: dict[str, Any]) -> None:
        self._entries.setdefault(key, value)
        if self._file is not None:
            self._file.write({"key": key, "value": value})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
