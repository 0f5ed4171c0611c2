"""What producer batching buys in isolation: CPU per send through aiokafka, Faust's defaults
against a 5 ms linger with 256 KiB batches, on the embedded broker.

    python bench/producer_batching.py [--sends 20000] [--repeat 3] [--out bench/results/producer_batching.json]

The pipeline's produce path is one ``await producer.send()`` per output record (deltas, alerts,
valid releases, table changelog); each send returns once the record is in aiokafka's
accumulator, and Faust flushes before committing. This isolates that path: ``--sends`` keyed
700-byte records to a 4-partition topic, then one flush, timed in process CPU (steadier than
wall time on a shared machine) and in sends/s. Configurations alternate within each repeat.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from report import emit  # bench/report.py (scripts run from bench/)

from streams.broker import EmbeddedBroker
from streams.settings import Settings
from streams.topics import TopicSpec, ensure_topics

CONFIGS = {
    "faust_defaults": {"linger_ms": 0, "max_batch_size": 16384},
    "batched": {"linger_ms": 5, "max_batch_size": 256 * 1024},  # bench/throughput.py's BATCHED
}


async def sends(bootstrap: list[str], topic: str, count: int, config: dict[str, Any]) -> dict[str, float]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **config)
    await producer.start()
    try:
        value = b"x" * 700
        cpu, wall = time.process_time(), time.perf_counter()
        for n in range(count):
            await producer.send(topic, value, key=f"C{n % 200:05d}".encode())
        await producer.flush()
        return {"cpu_us_per_send": (time.process_time() - cpu) / count * 1e6,
                "sends_per_s": count / (time.perf_counter() - wall)}
    finally:
        await producer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sends", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in CONFIGS}
    with EmbeddedBroker() as broker:
        settings = Settings.load(broker=broker.url, dev_broker=True)
        topic = f"producer-batching-{uuid.uuid4().hex[:6]}"
        ensure_topics(settings, [TopicSpec(topic, settings.partitions)])
        for _ in range(args.repeat):
            for name, config in CONFIGS.items():
                runs[name].append(asyncio.run(sends(settings.bootstrap_servers, topic, args.sends, config)))
    results: dict[str, Any] = {"benchmark": "producer_batching", "command": " ".join(["python bench/producer_batching.py", *sys.argv[1:]]),
                               "sends": args.sends, "repeats": args.repeat, "configs": CONFIGS}
    for name, measured in runs.items():
        for key in ("cpu_us_per_send", "sends_per_s"):
            values = [m[key] for m in measured]
            results[f"{name}_{key}"] = {"median": round(statistics.median(values), 1),
                                        "min": round(min(values), 1), "max": round(max(values), 1)}
    results["batched_vs_defaults_cpu_per_send"] = round(
        results["batched_cpu_us_per_send"]["median"] / results["faust_defaults_cpu_us_per_send"]["median"], 3)
    emit(results, args.out)


if __name__ == "__main__":
    main()
