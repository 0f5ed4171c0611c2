"""Publish-to-alert latency at a steady release rate, against a raw-consumer baseline.

    python bench/latency.py [--releases 120] [--rate 1] [--news-rate 20] [--out bench/results/latency.json]

One worker (LLM off: template writer; alerts to a JSONL file sink) on the embedded broker.
Each timed release is a new quarter whose capex moved +100 % or -50 % QoQ, so each yields
exactly one alert (checked: missing alerts are counted, not ignored).

What is measured, per release, on one monotonic clock in this process:
- **pipeline**: from just before the producer's ``send`` to the moment the alert's line is
  complete in the sink file. The file, not ``cloudpulse.alerts``, because it is where a user
  sees the alert, and the worker writes it (flushed per event, fsynced per commit) after
  sending to the topic, so it is the later and stricter end. The file is tailed every 1 ms: that much is in the figure.
- **raw baseline** (same run, same messages, same broker): from the same send to the moment a
  plain aiokafka consumer (fetch wait 100 ms, as the worker) has the record. The timed
  releases are keyed by company, so the pipeline has one such hop (analysed in place,
  streams/placement.py) plus its own work.

Phases, on the same worker: ``quiet`` (releases only), then ``news`` (articles on
``news.articles`` at ``--news-rate`` per second until the last timed release; the backlog may
then drain for ``--drain`` seconds before a missing alert counts). The news phase runs only when the
news path is wired (``news.articles`` in streams/topics.INPUTS); otherwise it is reported as
skipped with the reason. Warm-up (first two quarters of every company, the second alerting)
is not timed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import corpus
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import TopicPartition
from harness import bench_env, new_parser, ratio, recorded, summary

from streams.launcher import start_worker, stop_process
from streams.offsets import committed_offsets, poll_until
from streams.settings import Settings
from streams.topics import INPUTS, RELEASES, all_topics, ensure_topics

NEWS = "news.articles"
TARGET_P99_MS = 250


class SinkTail(threading.Thread):
    """Stamps each alert line when it is complete in the sink file (polled every 1 ms)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path, self.seen, self._halt = path, {}, threading.Event()
        self._offset, self._partial = 0, b""

    def run(self) -> None:
        while not self._halt.is_set():
            self.poll()
            time.sleep(0.001)

    def poll(self) -> None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except FileNotFoundError:
            return
        if not chunk:
            return
        now = time.perf_counter()
        self._offset += len(chunk)
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for line in lines:
            if line.strip():
                self.seen.setdefault(json.loads(line)["release_id"], now)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=2)


async def raw_baseline(settings: Settings, stamps: dict[str, float], ready: asyncio.Event) -> None:
    """Stamp each release as a plain consumer gets it; positioned at the end before any send."""
    topic = settings.topic(RELEASES)
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                enable_auto_commit=False, fetch_max_wait_ms=settings.fetch_max_wait_ms)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or range(settings.partitions))]
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)  # resolve the end now, not after the first send
        ready.set()
        while True:
            batches = await consumer.getmany(timeout_ms=500)
            now = time.perf_counter()
            for records in batches.values():
                for record in records:
                    stamps.setdefault(json.loads(record.value)["release_id"], now)
    finally:
        await consumer.stop()


async def news_background(producer: AIOKafkaProducer, topic: str, rate: float, companies: int,
                          stop: asyncio.Event, counter: dict[str, int]) -> None:
    """Articles at a steady rate until ``stop``; on a schedule, so a slow send does not lower the rate."""
    started, n = time.perf_counter(), 0
    while not stop.is_set():
        body = json.dumps(corpus.article(n, companies), ensure_ascii=False).encode()
        await producer.send(topic, key=corpus.company_id(n % companies).encode(), value=body)
        n += 1
        counter["articles"] = n
        await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))


async def timed_phase(settings: Settings, producer: AIOKafkaProducer, tail: SinkTail, *, first: int, count: int,
                      rate: float, companies: int, news_rate: float | None, drain: float = 30) -> dict[str, Any]:
    raw_stamps: dict[str, float] = {}
    ready = asyncio.Event()
    raw_task = asyncio.create_task(raw_baseline(settings, raw_stamps, ready))
    await asyncio.wait_for(ready.wait(), 30)
    stop_news, news_counter = asyncio.Event(), {"articles": 0}
    news_task = None
    if news_rate:
        news_task = asyncio.create_task(news_background(producer, settings.topic(NEWS), news_rate, companies,
                                                        stop_news, news_counter))
        await asyncio.sleep(5)  # the news path busy before the first timed release
    sent: dict[str, float] = {}
    started = time.perf_counter()
    for i in range(count):
        n = first + i
        company, quarter = n % companies, n // companies
        body = corpus.release(company, quarter, capex=corpus.alerting_capex(quarter))
        await asyncio.sleep(max(0.0, started + i / rate - time.perf_counter()))
        sent[body["release_id"]] = time.perf_counter()
        await producer.send(settings.topic(RELEASES), key=body["company"].encode(), value=json.dumps(body).encode())
    # Background news stops with the last release; then the backlog may drain for ``drain`` s.
    # An alert still missing after that is reported as missing, never silently left out.
    stop_news.set()
    if news_task:
        await news_task
    deadline = time.perf_counter() + drain
    while time.perf_counter() < deadline and not (set(sent) <= set(tail.seen) and set(sent) <= set(raw_stamps)):
        await asyncio.sleep(0.05)
    raw_task.cancel()
    await asyncio.gather(raw_task, return_exceptions=True)
    pipeline = [tail.seen[r] - t for r, t in sent.items() if r in tail.seen]
    raw = [raw_stamps[r] - t for r, t in sent.items() if r in raw_stamps]
    result: dict[str, Any] = {
        "releases": count, "rate_per_s": rate, "alerts_missing": count - len(pipeline),
        "pipeline": summary(pipeline), "raw_consumer": summary(raw),
    }
    if pipeline and raw:
        result["p50_vs_raw"] = ratio(result["pipeline"]["p50_ms"], result["raw_consumer"]["p50_ms"], 2)
        result["p99_vs_raw"] = ratio(result["pipeline"]["p99_ms"], result["raw_consumer"]["p99_ms"], 2)
        result["p99_under_target"] = result["pipeline"]["p99_ms"] < TARGET_P99_MS
    if news_rate:
        # Articles the worker's group committed: proof the background load reached a news agent
        # (topics can exist before any agent reads them).
        consumed = await asyncio.to_thread(committed_offsets, settings, settings.app_id, [settings.topic(NEWS)])
        result["news_articles_sent"] = news_counter["articles"]
        result["news_articles_consumed"] = sum(consumed.values())
        result["news_rate_per_s"] = news_rate
    return result


def news_wired() -> str | None:
    """None when the news path can run; else why not."""
    if NEWS not in INPUTS:
        return f"{NEWS} is not in streams/topics.INPUTS yet (the news agent is not wired)"
    return None


async def warm_up(settings: Settings, producer: AIOKafkaProducer, tail: SinkTail, proc: Any, companies: int,
                  log: Path) -> None:
    """Quarters 0 and 1 of every company, untimed; waits for quarter 1's alerts."""
    for n in range(2 * companies):
        quarter = n // companies
        body = corpus.release(n % companies, quarter, capex=corpus.alerting_capex(quarter))
        await producer.send(settings.topic(RELEASES), key=body["company"].encode(), value=json.dumps(body).encode())
    await producer.flush()
    warm = await asyncio.to_thread(poll_until, lambda: len(tail.seen) >= companies, proc, 180, interval=0.1, stable=1)
    if not warm:
        raise RuntimeError("no warm-up alerts: " + log.read_text()[-2000:])


@asynccontextmanager
async def running(settings: Settings, workdir: Path) -> AsyncIterator[tuple[Any, AIOKafkaProducer, SinkTail]]:
    """A worker, a tail on its alert file and a producer; all stopped on exit."""
    proc = start_worker(settings, workdir / f"worker-{settings.app_id}.log")
    tail = SinkTail(settings.alerts_out)  # type: ignore[arg-type]
    tail.start()
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=0, acks=1)
    await producer.start()
    try:
        yield proc, producer, tail
        if proc.poll() is not None:
            raise RuntimeError("worker died: " + (workdir / f"worker-{settings.app_id}.log").read_text()[-2000:])
    finally:
        await producer.stop()
        tail.stop()
        stop_process(proc)


async def run(settings: Settings, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    async with running(settings, workdir) as (proc, producer, tail):
        await warm_up(settings, producer, tail, proc, args.companies, workdir / f"worker-{settings.app_id}.log")
        phases: dict[str, Any] = {}
        first = 2 * args.companies
        phases["quiet"] = await timed_phase(settings, producer, tail, first=first, count=args.releases,
                                            rate=args.rate, companies=args.companies, news_rate=None)
        why_not = news_wired() if not args.skip_news else "--skip-news"
        if why_not:
            phases["news"] = {"skipped": why_not}
        else:
            phases["news"] = await timed_phase(settings, producer, tail, first=first + args.releases,
                                               count=args.releases, rate=args.rate, companies=args.companies,
                                               news_rate=args.news_rate, drain=args.drain)
            if "pipeline" in phases["news"] and phases["quiet"]["pipeline"]:
                phases["news"]["p99_vs_quiet"] = ratio(phases["news"]["pipeline"]["p99_ms"],
                                                       phases["quiet"]["pipeline"]["p99_ms"], 2)
    return phases


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--releases", type=int, default=120, help="timed releases per phase")
    parser.add_argument("--rate", type=float, default=1.0, help="releases per second")
    parser.add_argument("--companies", type=int, default=8, help="companies the releases rotate over")
    parser.add_argument("--news-rate", type=float, default=5.0, help="background articles per second (news phase)")
    parser.add_argument("--skip-news", action="store_true", help="quiet phase only")
    parser.add_argument("--drain", type=float, default=120, help="seconds the news phase may take to catch up")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments().parse_args(argv)
    with recorded("latency", argv, args.out) as results, bench_env(args.companies) as (settings, workdir):
        ensure_topics(settings, all_topics(settings))
        results.update({"target_p99_ms": TARGET_P99_MS, "writer": "template", "sink": "jsonl file (written per event, fsync per commit)",
                        "fetch_max_wait_ms": settings.fetch_max_wait_ms})
        results.update(asyncio.run(run(settings, workdir, args)))
    return results


if __name__ == "__main__":
    main()
