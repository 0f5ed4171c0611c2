from __future__ import annotations

import json
from pathlib import Path

from agents.delivery.files import FileReceiver, StdoutReceiver
from agents.delivery.receiver import SendContext

from .conftest import build_alert


async def test_file_receiver_writes_each_delivery_once(tmp_path: Path) -> None:
    path = tmp_path / "out.jsonl"
    receiver = FileReceiver("archive", path)
    ctx = SendContext(idempotency_key="alert-test000000|archive", attempt=1)
    assert (await receiver.send(build_alert(), ctx)).detail == "written"
    await receiver.close()
    again = FileReceiver("archive", path)  # a restarted worker re-sending after a crash
    assert (await again.send(build_alert(), ctx)).detail == "already in file"
    await again.close()
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["alert"]["company"] == "BABA"


async def test_stdout_receiver_prints_chosen_languages() -> None:
    lines: list[str] = []
    receiver = StdoutReceiver("console", languages="zh", write=lines.append)
    await receiver.send(build_alert(revises="alert-x"), SendContext(idempotency_key="k", attempt=1))
    assert "阿里巴巴" in lines[0] and "accelerates" not in lines[0] and "revises alert-x" in lines[0]
