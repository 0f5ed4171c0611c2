"""Worker memory with a large history table, against an idle worker with empty tables.

    python bench/memory.py [--companies 5000] [--quarters 40] [--stores memory,rocksdb]
                           [--load changelog|pipeline] [--out bench/results/memory.json]

History: ``companies`` x ``quarters`` releases of 5 metrics each (bench/corpus.py).

How the history gets into the worker (``--load``):
- ``changelog`` (default): the releases go through the real analysis stage in this process
  (AnalysisStage over a dict: the same code the analyse agent runs, minus Kafka), and the
  resulting table entries are written to the history table's changelog topic, on the
  partition the worker would have written them to (murmur2 of the company id, as the
  re-keyed releases). The worker then starts and recovers its table from that changelog,
  which is what a restarted production worker does. 200k releases through a live worker
  would take about half an hour here (see docs/benchmarks.md, throughput); this takes
  minutes and the computed table is cached between runs (``--cache``).
- ``pipeline``: publish the releases and let the worker process them (slow; for checking
  the shortcut at a smaller scale: both should give about the same RSS).

After loading, a new quarter with a 10x capex jump is published for ``--probe`` companies:
each must alert (capex QoQ needs the previous quarter from the recovered table), so the
figure is taken on a worker whose history really is loaded and readable.

Memory is VmRSS and VmHWM (peak) from /proc/PID/status of the worker process (and any
children), in MiB. Baseline: the same kind of worker, started on empty topics and tables.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import corpus
from harness import bench_env, new_parser, ratio, recorded, rss_kib
from kafka.partitioner.default import murmur2
from scaling import get

from streams.broker import free_port
from streams.launcher import start_worker, stop_process
from streams.offsets import all_committed, poll_until
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import (
    HISTORY_TABLE,
    RELEASES,
    VALID_RELEASES,
    all_topics,
    changelog_topic,
    ensure_topics,
)

DEFAULT_CACHE = Path("/tmp/cloudpulse-bench-cache")


def partition_of(company: str, partitions: int) -> int:
    """Kafka's default partitioner (murmur2 of the key), as the ingest agent's re-keyed send."""
    return (murmur2(company.encode()) & 0x7FFFFFFF) % partitions


async def _analyse(settings: Settings, companies: int, quarters: int) -> dict[str, Any]:
    from agents.analysis import AnalysisStage
    from agents.deltas import DeltaEngine
    from agents.rules import RuleSet
    from schemas.company import Registry
    from schemas.release import parse_release

    registry = Registry.load(settings.registry_file)
    stage = AnalysisStage(DeltaEngine(), RuleSet.load(None))
    table: dict[str, Any] = {}
    for line in corpus.history_releases(companies, quarters):
        await stage.process(parse_release(line, registry, max_bytes=settings.max_payload_bytes), table)
    return table


def code_version() -> str:
    import agents

    root = Path(agents.__file__).parent
    digest = hashlib.sha256()
    for name in ("analysis.py", "deltas.py", "history.py", "alerts.py", "rules.py"):
        digest.update((root / name).read_bytes())
    digest.update(Path(corpus.__file__).read_bytes())
    return digest.hexdigest()[:12]


def table_entries(settings: Settings, companies: int, quarters: int, cache: Path) -> Path:
    """The history table after all releases, as JSONL [key, value]; computed once per shape
    and per version of the code that writes the table (a changed format must not be served
    from an old cache)."""
    path = cache / f"history-{companies}x{quarters}x5-{code_version()}.jsonl"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        table = asyncio.run(_analyse(settings, companies, quarters))
        partial = path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as handle:
            for key, value in table.items():
                handle.write(json.dumps([key, value], separators=(",", ":")) + "\n")
        partial.rename(path)
    return path


def load_changelog(settings: Settings, entries: Path) -> dict[str, int]:
    """Write the table entries to its changelog, JSON key and value (the table's codec)."""
    topic = changelog_topic(settings, HISTORY_TABLE)
    messages: list[Message] = []
    size = 0
    for line in entries.open(encoding="utf-8"):
        key, value = json.loads(line)
        encoded = json.dumps(value, separators=(",", ":")).encode()
        size += len(encoded)
        messages.append(Message(json.dumps(key).encode(), encoded, None))
    # Partition by the company (the first part of every key), as the worker writes them.
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=settings.bootstrap_servers, acks="all", linger_ms=20,
                             max_request_size=16 * 1024 * 1024)
    try:
        futures = [producer.send(topic, key=m.key, value=m.value,
                                 partition=partition_of(json.loads(m.key).split("|")[0], settings.partitions))
                   for m in messages]
        producer.flush(timeout=600)
        for future in futures:
            future.get(timeout=60)
    finally:
        producer.close(timeout=10)
    return {"changelog_records": len(messages), "changelog_mib": round(size / 2**20, 1)}


def load_pipeline(settings: Settings, companies: int, quarters: int, proc: Any) -> dict[str, int]:
    messages = [Message(json.loads(line)["company"].encode(), line, None)
                for line in corpus.history_releases(companies, quarters)]
    send_all(settings, settings.topic(RELEASES), messages)
    inputs = [settings.topic(RELEASES), settings.topic(VALID_RELEASES)]
    if not poll_until(lambda: all_committed(settings, inputs), proc, timeout=7200, interval=1, stable=2):
        raise RuntimeError("worker did not finish loading")
    return {"releases_processed": len(messages)}


def probe(settings: Settings, companies: int, quarters: int, count: int, proc: Any) -> int:
    """Alerts from a 10x capex jump in quarter ``quarters`` for ``count`` companies."""
    picks = [n * companies // count for n in range(count)]
    messages = [Message(corpus.company_id(c).encode(), json.dumps(corpus.release(c, quarters, capex=10_000, metrics=5)).encode(), None)
                for c in picks]
    send_all(settings, settings.topic(RELEASES), messages)
    wanted = {json.loads(m.value)["release_id"] for m in messages}

    def alerted() -> set[str]:
        if not settings.alerts_out or not settings.alerts_out.exists():
            return set()
        lines = settings.alerts_out.read_text(encoding="utf-8").splitlines()
        return {json.loads(line)["release_id"] for line in lines if line.strip()} & wanted

    poll_until(lambda: alerted() == wanted, proc, timeout=180, interval=0.5, stable=1)
    return len(alerted())


def wait_ready(port: int, proc: Any, timeout: float) -> None:
    if not poll_until(lambda: get(port, "/readyz")[0] == 200, proc, timeout=timeout, interval=0.5, stable=4):
        raise RuntimeError("worker never became ready")


def mib(kib: dict[str, int]) -> dict[str, float]:
    return {"rss_mib": round(kib["rss_kib"] / 1024, 1), "peak_mib": round(kib["peak_kib"] / 1024, 1)}


def one_worker(base: Settings, workdir: Path, store: str, args: argparse.Namespace, loaded: bool) -> dict[str, Any]:
    run = uuid.uuid4().hex[:6]
    port = free_port()
    settings = base.model_copy(update={
        "app_id": f"mem-{run}", "topic_prefix": f"m{run}.", "store": store, "data_dir": workdir / f"data-{run}",
        "alerts_out": workdir / f"alerts-{run}.jsonl", "web_enabled": True, "web_port": port})
    ensure_topics(settings, all_topics(settings))
    out: dict[str, Any] = {"store": store, "loaded": loaded}
    if loaded and args.load == "changelog":
        out.update(load_changelog(settings, table_entries(settings, args.companies, args.quarters, args.cache)))
    started = time.perf_counter()
    proc = start_worker(settings, workdir / f"worker-{run}.log")
    try:
        wait_ready(port, proc, timeout=1800)
        out["ready_seconds"] = round(time.perf_counter() - started, 1)
        if loaded and args.load == "pipeline":
            out.update(load_pipeline(settings, args.companies, args.quarters, proc))
        time.sleep(2)  # let the allocator settle after recovery before the steady reading
        out["after_load"] = mib(rss_kib(proc.pid))
        if loaded:
            out["probe_alerts"] = f"{probe(settings, args.companies, args.quarters, args.probe, proc)}/{args.probe}"
        out["end"] = mib(rss_kib(proc.pid))
        if proc.poll() is not None:
            raise RuntimeError("worker died: " + (workdir / f"worker-{run}.log").read_text()[-2000:])
    finally:
        stop_process(proc)
    return out


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--companies", type=int, default=5000)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--stores", default="memory,rocksdb", help="comma-separated: memory, rocksdb")
    parser.add_argument("--load", choices=("changelog", "pipeline"), default="changelog")
    parser.add_argument("--probe", type=int, default=20, help="companies probed for a working history")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where the computed table is kept")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments().parse_args(argv)
    with recorded("memory", argv, args.out) as results, bench_env(args.companies) as (settings, workdir):
        results.update({"companies": args.companies, "quarters": args.quarters, "metrics": 5,
                        "releases": args.companies * args.quarters, "load": args.load})
        for store in args.stores.split(","):
            idle = one_worker(settings, workdir, store, args, loaded=False)
            full = one_worker(settings, workdir, store, args, loaded=True)
            results[store] = {"idle": idle, "loaded": full,
                              "peak_vs_idle": ratio(full["end"]["peak_mib"], idle["end"]["peak_mib"], 2),
                              "added_peak_mib": round(full["end"]["peak_mib"] - idle["end"]["peak_mib"], 1)}
    return results


if __name__ == "__main__":
    main()
