"""Fault run: the dev broker dies under a running worker and comes back on the same port, empty.

    python bench/faults/broker_loss.py [--outage 30] [--out bench/results/broker_loss.json]

Measures what docs/reliability.md describes: while the broker is away, is the worker alive,
how soon does /readyz say 503, how much CPU and how many log lines does the reconnecting
client spend; once the broker is back (a memory broker restart is a reset), how soon does the
worker exit, with which code; and after `topics create` and a new worker, is new input processed.
tests/test_faults/test_broker_loss.py asserts the same behaviour with a short outage.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/report.py

from pipeline_helpers import read_jsonl
from report import emit

from streams.broker import EmbeddedBroker, free_port
from streams.demo import bundled_releases, wait_processed
from streams.launcher import start_worker, stop_process
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import RELEASES, all_topics, ensure_topics


def readyz(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return answer.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def error_lines(path: Path) -> int:
    return sum(1 for line in path.read_text("utf-8", errors="replace").splitlines() if " ERROR " in line)


def one_run(folder: Path, outage: float) -> dict:
    broker = EmbeddedBroker(log_path=folder / "tansu1.log").start()
    web = free_port()
    run = uuid.uuid4().hex[:6]
    settings = Settings.load(broker=broker.url, dev_broker=True, app_id=f"loss-{run}", topic_prefix=f"l{run}.",
                             data_dir=folder / "data", alerts_out=folder / "alerts.jsonl",
                             deltas_out=folder / "deltas.jsonl", commit_interval=0.2, web_enabled=True, web_port=web)
    lines = bundled_releases()
    before, after = lines[:15], lines[15:]
    log1, log2 = folder / "worker1.log", folder / "worker2.log"
    result: dict = {"outage_seconds": outage}
    worker = start_worker(settings, log1)
    again = second = None
    try:
        ensure_topics(settings, all_topics(settings))
        send_all(settings, settings.topic(RELEASES), [Message(b"k", line, None) for line in before])
        result["processed_before"] = wait_processed(settings, len(before), worker, timeout=120)
        result["readyz_before"] = readyz(web)

        os.killpg(broker.pid, signal.SIGKILL)  # type: ignore[arg-type]
        broker.stop()
        killed, cpu0, errors0 = time.monotonic(), cpu_seconds(worker.pid), error_lines(log1)
        not_ready_after = None
        while time.monotonic() - killed < outage:
            if not_ready_after is None and readyz(web) == 503:
                not_ready_after = round(time.monotonic() - killed, 1)
            time.sleep(0.5)
        spent = time.monotonic() - killed
        result.update({
            "alive_during_outage": worker.poll() is None,
            "readyz_503_after_seconds": not_ready_after,
            "worker_cpu_share_during_outage": round((cpu_seconds(worker.pid) - cpu0) / spent, 3),
            "error_log_lines_per_second": round((error_lines(log1) - errors0) / spent, 1),
        })

        again = EmbeddedBroker(broker.port, log_path=folder / "tansu2.log").start()
        back = time.monotonic()
        try:
            result["exit_code"] = worker.wait(timeout=120)
            result["exit_after_seconds"] = round(time.monotonic() - back, 1)
        except subprocess.TimeoutExpired:
            result["exit_code"] = None  # kept running on a reset broker

        ensure_topics(settings, all_topics(settings))  # what the operator (or an init step) does
        second = start_worker(settings, log2)
        alerts_before = len(read_jsonl(settings.alerts_out))  # type: ignore[arg-type]
        send_all(settings, settings.topic(RELEASES), [Message(b"k", line, None) for line in after])
        result["processed_after_restart"] = wait_processed(settings, len(after), second, timeout=120)
        written = read_jsonl(settings.alerts_out)  # type: ignore[arg-type]
        ids = [a["alert_id"] for a in written]
        result.update({
            "inputs": len(lines),
            "alerts": len(set(ids)),
            "alerts_after_restart": len(written) - alerts_before,
            "lost": 0 if result["processed_before"] and result["processed_after_restart"] else None,
            "duplicated": len(ids) - len(set(ids)),
            "crashes": int(not result["alive_during_outage"]) + int(result["exit_code"] not in (75,)),
        })
    finally:
        for proc in (worker, second):
            if proc is not None:
                stop_process(proc)
        broker.stop()
        if again is not None:
            again.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--outage", type=float, default=30.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with TemporaryDirectory(prefix="cloudpulse-broker-loss-") as tmp:
        result = one_run(Path(tmp), args.outage)
    print(json.dumps(result))
    emit(result, args.out, show=False)


if __name__ == "__main__":
    main()
