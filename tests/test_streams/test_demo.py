"""`cloudpulse demo` as a user runs it: its own broker, real data, nothing left running."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

import pytest

from streams.broker import port_open

pytestmark = pytest.mark.broker


def test_demo_runs_and_cleans_up(tmp_path: Path) -> None:
    alerts, deltas = tmp_path / "alerts.jsonl", tmp_path / "deltas.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPULSE_")}
    proc = subprocess.run(
        [sys.executable, "-m", "streams", "demo", "--alerts-out", str(alerts), "--deltas-out", str(deltas)],
        capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    assert "云智能集团收入398.24亿元" in out
    assert "RMB 39.82bn" in out and "+34.5% YoY" in out
    assert "Alibaba 阿里巴巴" in out and "Alphabet" in out and "Amazon" in out
    records = [json.loads(line) for line in alerts.read_text("utf-8").splitlines()]
    assert len(records) == len({r["alert_id"] for r in records}) > 0
    assert {"alert_id", "kind", "severity", "company", "fiscal_period", "period_end", "facts", "title_zh", "title_en",
            "text_zh", "text_en", "generated_by", "source_url", "created_at"} <= set(records[0])
    assert deltas.stat().st_size > 0
    # No broker or worker outlives the command.
    port = int(re.search(r"dev broker \(Tansu\) on 127\.0\.0\.1:(\d+)", out).group(1))
    assert not port_open("127.0.0.1", port)
    assert demo_workers() == []


def demo_workers() -> list[int]:
    """Worker processes started by a demo (its app id is in their environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if b"streams" in cmdline and b"CLOUDPULSE_APP_ID=cloudpulse-demo" in environ:
            found.append(int(entry.name))
    return found
