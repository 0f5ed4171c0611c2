"""Releases/s with 1 worker against 2 workers in one consumer group, on the same input.

    python bench/scaling.py [--releases 3000] [--companies 200] [--repeat 2] [--out bench/results/scaling.json]

Each arm gets fresh topics (4 partitions) and a fresh consumer group holding the same N
synthetic releases (bench/throughput.py's generator). The workers are started first, on empty
topics, and the releases are published only once every worker has reported ready (/readyz)
for 3 s in a row: the group has settled, so no rebalance falls inside the measurement. The
clock runs from the group's first commit to every input and every re-keyed release committed
(both ends are commits, so the commit interval cancels out). Afterwards each worker's
/metrics says how many releases it ingested: a "2 workers" figure where one did all the work
would be a 1-worker figure, and the share shows it.

Arms alternate (1, 2, 1, 2, ...) so a change in the machine's load hits both alike. The
machine has 2 cores shared with the broker and other users: a ratio under 2 is expected.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from harness import bench_env, new_parser, ratio, recorded, spread
from throughput import releases

from streams.broker import free_port
from streams.launcher import start_worker, stop_process
from streams.offsets import all_committed, committed_offsets, poll_until
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import RELEASES, VALID_RELEASES, all_topics, ensure_topics


def get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except OSError:
        return 0, ""


def ingested(port: int, topic: str) -> int:
    """Releases this worker consumed, from its /metrics (cloudpulse_events_total, direction in)."""
    _, text = get(port, "/metrics")
    pattern = rf'cloudpulse_events_total\{{(?=[^}}]*direction="in")(?=[^}}]*topic="{re.escape(topic)}")[^}}]*\}} ([0-9.e+]+)'
    return sum(int(float(v)) for v in re.findall(pattern, text))


def arm(base: Settings, workers: int, messages: list[Message], workdir: Path) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    settings = base.model_copy(update={"app_id": f"scale{workers}-{run}", "topic_prefix": f"s{run}."})
    ensure_topics(settings, all_topics(settings))
    ports = [free_port() for _ in range(workers)]
    procs = [start_worker(settings.model_copy(update={"web_enabled": True, "web_port": port,
                                                      "data_dir": workdir / f"data-{run}-{i}"}),
                          workdir / f"worker-{run}-{i}.log")
             for i, port in enumerate(ports)]
    inputs = [settings.topic(RELEASES), settings.topic(VALID_RELEASES)]
    try:
        everyone_ready = lambda: all(get(port, "/readyz")[0] == 200 for port in ports)
        if not poll_until(everyone_ready, None, timeout=120, interval=0.5, stable=6):
            raise RuntimeError("workers never settled: " + _logs(workdir, run))
        send_all(settings, settings.topic(RELEASES), messages)
        started = lambda: sum(committed_offsets(settings, settings.app_id, inputs[:1]).values()) > 0
        if not poll_until(started, None, timeout=120, interval=0.05, stable=1):
            raise RuntimeError("nothing committed: " + _logs(workdir, run))
        first = time.perf_counter()
        if not poll_until(lambda: all_committed(settings, inputs), None, timeout=1800, interval=0.2, stable=2):
            raise RuntimeError("workers did not finish: " + _logs(workdir, run))
        elapsed = time.perf_counter() - first
        shares = [ingested(port, settings.topic(RELEASES)) for port in ports]
        dead = [i for i, proc in enumerate(procs) if proc.poll() is not None]
    finally:
        for proc in procs:
            stop_process(proc)
    if dead:
        raise RuntimeError(f"workers {dead} died: " + _logs(workdir, run))
    return {"workers": workers, "seconds": round(elapsed, 2), "per_s": len(messages) / elapsed,
            "ingested_per_worker": shares}


def _logs(workdir: Path, run: str) -> str:
    return "\n".join(p.read_text(errors="replace")[-1500:] for p in sorted(workdir.glob(f"worker-{run}-*.log")))


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--releases", type=int, default=3000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each arm, alternating")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments().parse_args(argv)
    messages = releases(args.releases, args.companies)
    runs: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
    with recorded("scaling", argv, args.out) as results, bench_env(args.companies) as (settings, workdir):
        for _ in range(args.repeat):
            for workers in (1, 2):
                runs[workers].append(arm(settings, workers, messages, workdir))
        one = spread([r["per_s"] for r in runs[1]])
        two = spread([r["per_s"] for r in runs[2]])
        results.update({
            "releases": args.releases, "companies": args.companies, "partitions": settings.partitions,
            "one_worker_per_s": one, "two_workers_per_s": two, "two_vs_one": ratio(two["median"], one["median"], 2),
            "ingested_per_worker_two": [r["ingested_per_worker"] for r in runs[2]],
        })
    return results


if __name__ == "__main__":
    main()
