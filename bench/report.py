"""Writing a benchmark's results: printed, and saved as JSON when asked (``--out``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def emit(results: Any, out: Path | None, *, show: bool = True) -> None:
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if show:
        print(text)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text + "\n", encoding="utf-8")
