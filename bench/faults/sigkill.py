"""Fault run: SIGKILL the worker mid-stream, restart it, compare every output with a one-pass run.

    python bench/faults/sigkill.py [--runs 10] [--seed 1] [--out bench/results/sigkill.json] [--keep DIR]

Each run: a fresh app id on one embedded broker; publish the first 10 bundled releases, start
a worker, wait until its first deltas appear, publish the other 20, SIGKILL the worker after a
random delay (0 to --max-delay s: before, during or after it processes them; no commit, no
leave-group), start a second worker and wait (by offsets, 60 s) until every input is processed.
Then compare both JSONL sinks with the outputs of one pass over the same releases, in process:

- alerts and deltas lost (expected id absent) or unexpected (id not in the one-pass run);
- records whose content differs from the one-pass record with the same id;
- duplicate lines (the same id written twice);
- inputs still uncommitted at the end (a stuck commit).

A run is exact when all of these are empty. Measured figures: docs/operations.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import time
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/report.py

from pipeline_helpers import one_pass_outputs, read_jsonl
from report import emit

from streams.broker import EmbeddedBroker
from streams.demo import bundled_releases, wait_processed
from streams.launcher import start_worker, stop_process
from streams.offsets import committed_offsets, end_offsets
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import RELEASES, VALID_RELEASES, all_topics, ensure_topics

Records = dict[str, dict[str, Any]]


def compare(expected: Records, path: Path, id_field: str) -> dict[str, Any]:
    written = read_jsonl(path)
    by_id = {r[id_field]: r for r in written}
    return {
        "expected": len(expected),
        "lost": sorted(set(expected) - set(by_id)),
        "unexpected": sorted(set(by_id) - set(expected)),
        "differing": sorted(i for i in set(expected) & set(by_id) if by_id[i] != expected[i]),
        "duplicate_lines": len(written) - len(by_id),
    }


def stuck_commits(settings: Settings) -> dict[str, list[int]]:
    inputs = [settings.topic(RELEASES), settings.topic(VALID_RELEASES)]
    committed = committed_offsets(settings, settings.app_id, inputs)
    return {f"{tp.topic}:{tp.partition}": [committed.get(tp, 0), end]
            for tp, end in end_offsets(settings, inputs).items() if committed.get(tp, 0) < end}


def one_run(broker: EmbeddedBroker, folder: Path, expected: tuple[Records, Records], delay: float) -> dict:
    run = uuid.uuid4().hex[:6]
    settings = Settings.load(broker=broker.url, dev_broker=True, app_id=f"fault-{run}", topic_prefix=f"f{run}.",
                             data_dir=folder / "data", alerts_out=folder / "alerts.jsonl",
                             deltas_out=folder / "deltas.jsonl", commit_interval=0.2, web_enabled=False,
                             # The release path only: the one-pass reference is computed in process.
                             news_enabled=False)
    ensure_topics(settings, all_topics(settings))
    lines = bundled_releases()
    topic = settings.topic(RELEASES)
    send_all(settings, topic, [Message(b"k", line, None) for line in lines[:10]])
    first = start_worker(settings, folder / "worker1.log")
    deadline = time.monotonic() + 60
    while not read_jsonl(settings.deltas_out) and time.monotonic() < deadline:
        time.sleep(0.05)
    send_all(settings, topic, [Message(b"k", line, None) for line in lines[10:]])
    time.sleep(delay)
    stop_process(first, sig=signal.SIGKILL)
    second = start_worker(settings, folder / "worker2.log")
    try:
        finished = wait_processed(settings, len(lines), second, timeout=60)
        stuck = stuck_commits(settings)
    finally:
        stop_process(second)
    alerts = compare(expected[0], settings.alerts_out, "alert_id")
    deltas = compare(expected[1], settings.deltas_out, "delta_id")
    exact = finished and not stuck and all(not r[k] for r in (alerts, deltas)
                                           for k in ("lost", "unexpected", "differing", "duplicate_lines"))
    return {"exact": exact, "kill_delay_s": round(delay, 3), "finished": finished, "stuck_commits": stuck,
            "alerts": alerts, "deltas": deltas}


def brief(number: int, result: dict) -> dict:
    counts = {f"{kind}_{k}": (len(v) if isinstance(v, list) else v)
              for kind in ("alerts", "deltas") for k, v in result[kind].items() if k != "expected"}
    return {"run": number, "exact": result["exact"], "kill_delay_s": result["kill_delay_s"],
            "stuck": len(result["stuck_commits"]), **{k: v for k, v in counts.items() if v}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1, help="Seeds the kill delays.")
    parser.add_argument("--max-delay", type=float, default=1.5, help="Kill up to this many seconds after publishing.")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="Copy every run's logs and sinks here.")
    args = parser.parse_args()
    lines = bundled_releases()
    expected = asyncio.run(one_pass_outputs(lines))
    delays = random.Random(args.seed)
    results = []
    with EmbeddedBroker() as broker, TemporaryDirectory() as tmp:
        for number in range(1, args.runs + 1):
            folder = Path(tmp) / f"run{number}"
            folder.mkdir()
            result = one_run(broker, folder, expected, delays.uniform(0, args.max_delay))
            results.append(result)
            if args.keep:
                import shutil

                shutil.copytree(folder, args.keep / f"run{number}", ignore=shutil.ignore_patterns("data"))
            print(json.dumps(brief(number, result)), flush=True)
    summary = {
        "runs": len(results),
        "exact": sum(r["exact"] for r in results),
        "stuck": sum(1 for r in results if r["stuck_commits"]),
        "runs_with_lost": sum(1 for r in results if r["alerts"]["lost"] or r["deltas"]["lost"]),
        "runs_with_unexpected_or_differing": sum(1 for r in results for k in ("alerts", "deltas")
                                                 if r[k]["unexpected"] or r[k]["differing"]),
        "duplicate_lines": sum(r[k]["duplicate_lines"] for r in results for k in ("alerts", "deltas")),
        "alerts_expected": len(expected[0]),
        "deltas_expected": len(expected[1]),
        "seed": args.seed,
        "max_delay_s": args.max_delay,
    }
    print(json.dumps(summary))
    emit({"summary": summary, "runs": results}, args.out, show=False)


if __name__ == "__main__":
    main()
