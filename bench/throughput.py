"""Throughput of the release pipeline against two baselines measured in the same run.

    python bench/throughput.py [--releases 20000] [--companies 1000] [--out bench/results/throughput.json]

On one embedded broker, one 4-partition input topic holding the same N synthetic releases
(``--companies`` companies x consecutive quarters, revenue + capex + operating income each):

1. raw: aiokafka consume + ``json.loads`` of every message (the client and broker limit);
2. floor: a Faust agent that only decodes and counts (the framework's own per-event cost);
3. pipeline: ``cloudpulse worker`` (validation, history table, deltas, rules, template
   alerts, JSONL sinks; LLM off), and again without the JSONL files (topics only).

Each consumer starts on a topic that is already full and is timed from its first processed
record to its last, so start-up and group joins are not counted. Figures are records/s and
the two ratios (pipeline / floor, pipeline / raw). The machine is shared and noisy: compare
ratios, not absolute numbers, and run it twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from report import emit  # bench/report.py (scripts run from bench/)
from streams.broker import EmbeddedBroker
from streams.launcher import die_with_parent, start_worker, stop_process
from streams.offsets import all_committed, committed_offsets, poll_until
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import RELEASES, VALID_RELEASES, all_topics, ensure_topics

FLOOR_APP = Path(__file__).with_name("floor_app.py")


def registry_toml(companies: int) -> str:
    blocks = []
    for i in range(companies):
        blocks.append(
            f'[companies.C{i:05d}]\nname_en = "Company {i}"\nname_zh = "公司{i}"\naliases = []\n'
            f'fiscal_year_end_month = 12\ncurrency = "USD"\n[companies.C{i:05d}.segments]\n'
            f'cloud = ["Cloud"]\ngroup = ["Group"]\n'
        )
    return "\n".join(blocks)


def quarter_ends(count: int, start: date = date(2016, 3, 31)) -> list[date]:
    ends, year, month = [], start.year, start.month
    for _ in range(count):
        ends.append(date(year, month, 31 if month in (3, 12) else 30))
        month += 3
        if month > 12:
            month, year = month - 12, year + 1
    return ends


def releases(count: int, companies: int) -> list[Message]:
    quarters = quarter_ends(count // companies + 1)
    out = []
    for n in range(count):
        company, q = n % companies, n // companies
        revenue = 1000 + (company * 37 + q * 53) % 900 + q * 40
        body = {
            "release_id": f"C{company:05d}-{quarters[q].isoformat()}", "company": f"C{company:05d}",
            "period_end": quarters[q].isoformat(),
            "published_at": (date(2020, 1, 1) + timedelta(minutes=n)).isoformat() + "T00:00:00Z",
            "currency": "USD",
            "metrics": [
                {"segment": "Cloud", "metric": "revenue", "value": revenue, "scale": "million"},
                {"segment": "Cloud", "metric": "operating_income", "value": revenue // 5 + q % 7, "scale": "million"},
                {"segment": "Group", "metric": "capex", "value": 300 + (q * 97 + company) % 400, "scale": "million"},
            ],
        }
        out.append(Message(f"C{company:05d}".encode(), json.dumps(body).encode(), None))
    return out


async def raw_consume(settings: Settings, topic: str, expected: int) -> float:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=settings.bootstrap_servers, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False, fetch_max_wait_ms=100)
    await consumer.start()
    try:
        seen, first = 0, None
        while seen < expected:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            if batches and first is None:
                first = time.perf_counter()  # the clock starts when the first records arrive
            for records in batches.values():
                for record in records:
                    json.loads(record.value)
                    seen += 1
        assert first is not None
        return expected / max(time.perf_counter() - first, 1e-9)
    finally:
        await consumer.stop()


def floor(settings: Settings, topic: str, expected: int, workdir: Path) -> float:
    result = workdir / "floor.json"
    proc = subprocess.Popen(
        [sys.executable, str(FLOOR_APP), settings.broker, topic, str(expected), str(result), str(workdir / "floor-data")],
        stdout=(workdir / "floor.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=die_with_parent,
    )
    try:
        # The app exits as soon as it has written its figure: the file, not the process, decides.
        if not poll_until(result.exists, proc, timeout=600, interval=0.2, stable=1) and not result.exists():
            raise RuntimeError("floor app failed: " + (workdir / "floor.log").read_text()[-2000:])
    finally:
        stop_process(proc)
    return json.loads(result.read_text())["per_second"]


def pipeline(settings: Settings, expected: int, workdir: Path) -> float:
    """Worker on a full input topic: timed from its first commit to all inputs committed."""
    proc = start_worker(settings, workdir / f"worker-{settings.app_id}.log")
    inputs = [settings.topic(RELEASES), settings.topic(VALID_RELEASES)]
    try:
        started = lambda: sum(committed_offsets(settings, settings.app_id, inputs[:1]).values()) > 0  # noqa: E731
        if not poll_until(started, proc, timeout=120, interval=0.05, stable=1):
            raise RuntimeError("worker produced nothing: " + (workdir / "worker.log").read_text()[-2000:])
        first = time.perf_counter()
        if not poll_until(lambda: all_committed(settings, inputs), proc, timeout=1800, interval=0.2, stable=1):
            raise RuntimeError("worker did not finish: " + (workdir / "worker.log").read_text()[-2000:])
        # The last commit lands up to one commit interval after the last record is processed.
        # Both ends are commits, so the commit interval cancels out (to within one poll).
        elapsed = time.perf_counter() - first
    finally:
        stop_process(proc)
    return expected / max(elapsed, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, default=20_000)
    parser.add_argument("--companies", type=int, default=1_000)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        registry = workdir / "companies.toml"
        registry.write_text(registry_toml(args.companies), encoding="utf-8")
        run = uuid.uuid4().hex[:6]
        settings = Settings.load(
            broker=broker.url, dev_broker=True, app_id=f"bench-{run}", topic_prefix=f"b{run}.",
            registry_file=registry, data_dir=workdir / "data", alerts_out=workdir / "alerts.jsonl",
            deltas_out=workdir / "deltas.jsonl", web_enabled=False, log_level="WARNING",
        )
        ensure_topics(settings, all_topics(settings))
        topic = settings.topic(RELEASES)
        messages = releases(args.releases, args.companies)
        started = time.perf_counter()
        send_all(settings, topic, messages)
        publish_rate = len(messages) / (time.perf_counter() - started)

        raw = asyncio.run(raw_consume(settings, topic, len(messages)))
        floor_rate = floor(settings, topic, len(messages), workdir)
        pipe_rate = pipeline(settings, len(messages), workdir)
        alerts = sum(1 for _ in settings.alerts_out.open()) if settings.alerts_out.exists() else 0  # type: ignore[union-attr]
        # The same pipeline without the JSONL files (topics only): what per-line fsync costs.
        bare = settings.model_copy(update={"app_id": f"{settings.app_id}-bare", "alerts_out": None, "deltas_out": None})
        ensure_topics(bare, all_topics(bare))
        bare_rate = pipeline(bare, len(messages), workdir)
    results = {
        "releases": len(messages), "companies": args.companies, "partitions": settings.partitions,
        "publish_per_s": round(publish_rate), "raw_aiokafka_per_s": round(raw), "faust_floor_per_s": round(floor_rate),
        "pipeline_per_s": round(pipe_rate), "pipeline_vs_floor": round(pipe_rate / floor_rate, 3),
        "pipeline_without_files_per_s": round(bare_rate), "without_files_vs_floor": round(bare_rate / floor_rate, 3),
        "pipeline_vs_raw": round(pipe_rate / raw, 4), "floor_vs_raw": round(floor_rate / raw, 4), "alerts": alerts,
    }
    emit(results, args.out)


if __name__ == "__main__":
    main()
