"""Throughput of the release pipeline against baselines measured in the same run.

    python bench/throughput.py [--releases 4000] [--companies 200] [--repeat 3] [--out bench/results/throughput.json]

On one embedded broker, one 4-partition input topic holding the same N synthetic releases
(``--companies`` companies x consecutive quarters, revenue + capex + operating income each),
read in turn by:

1. raw: aiokafka consume + ``json.loads`` of every message (the client and broker limit);
2. floor: a Faust agent that only decodes and counts, with Faust's defaults (the framework's
   own per-event cost), and again with our settings' batching knobs (``streams.app.tuning_config``;
   while those equal Faust's, the two floors differ only by noise, which this shows);
3. pipeline: ``cloudpulse worker`` (validation, history table, recorded outputs, deltas, rules,
   template alerts; LLM off) with our settings and the JSONL files; with our settings and no
   files; and with a candidate batching (``BATCHED``: 5 ms linger, 256 KiB batches) and no files.

Each consumer starts on a topic that is already full and is timed from its first processed
record to its last, so start-up and group joins are not counted; every pipeline run has its
own group, table and output topics, and the order of the runs rotates from repeat to repeat. Besides records/s, the CPU time of the consuming process
per record is reported: on a shared machine it moves much less than wall time. Everything is
repeated ``--repeat`` times; ratios are taken within a repeat, then the median and range are
reported. Top-level figures are medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

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


FAUST_BATCHING_DEFAULTS: dict[str, Any] = {
    # Faust 0.15's own values for the knobs streams.app.tuning_config sets.
    "producer_linger_ms": 0.0, "producer_max_batch_size": 16384, "max_poll_records": None, "stream_buffer_maxsize": 4096,
}
# The candidate docs/benchmarks.md reports on: fewer, larger produce requests.
BATCHED: dict[str, Any] = {"producer_linger_ms": 5.0, "producer_max_batch_size": 256 * 1024}


def tuned_overrides(settings: Settings) -> dict[str, Any]:
    """Our batching settings, as overrides a child process can rebuild its settings from."""
    return {name: getattr(settings, name) for name in FAUST_BATCHING_DEFAULTS}


def floor_run(settings: Settings, topic: str, expected: int, workdir: Path,
              tuning: dict[str, Any] | None = None) -> dict[str, float]:
    """The floor app over ``topic``: {"per_second", "cpu_ms_per_event"}; tuned if ``tuning`` is given."""
    run = uuid.uuid4().hex[:6]
    result, log_path = workdir / f"floor-{run}.json", workdir / f"floor-{run}.log"
    argv = [sys.executable, str(FLOOR_APP), settings.broker, topic, str(expected), str(result), str(workdir / f"floor-{run}")]
    if tuning is not None:
        argv.append(json.dumps(tuning))
    proc = subprocess.Popen(argv, stdout=log_path.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=die_with_parent)  # noqa: PLW1509 - no threads in this process yet
    try:
        # The app exits as soon as it has written its figure: the file, not the process, decides.
        if not poll_until(result.exists, proc, timeout=600, interval=0.2, stable=1) and not result.exists():
            raise RuntimeError("floor app failed: " + log_path.read_text()[-2000:])
    finally:
        stop_process(proc)
    return json.loads(result.read_text())


def floor(settings: Settings, topic: str, expected: int, workdir: Path) -> float:
    """Records/s of the floor app with Faust's defaults (kept for bench/replay_bench.py)."""
    return floor_run(settings, topic, expected, workdir)["per_second"]


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process so far (Linux); None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pipeline_run(settings: Settings, expected: int, workdir: Path) -> dict[str, float | None]:
    """Worker on a full input topic, timed from its first commit to all inputs committed:
    {"per_second", "cpu_ms_per_release"}."""
    log_path = workdir / f"worker-{settings.app_id}.log"
    proc = start_worker(settings, log_path)
    inputs = [settings.topic(RELEASES), settings.topic(VALID_RELEASES)]
    try:
        started = lambda: sum(committed_offsets(settings, settings.app_id, inputs[:1]).values()) > 0
        if not poll_until(started, proc, timeout=120, interval=0.05, stable=1):
            raise RuntimeError("worker produced nothing: " + log_path.read_text()[-2000:])
        first, cpu_first = time.perf_counter(), _cpu_seconds(proc.pid)
        if not poll_until(lambda: all_committed(settings, inputs), proc, timeout=1800, interval=0.2, stable=1):
            raise RuntimeError("worker did not finish: " + log_path.read_text()[-2000:])
        # The last commit lands up to one commit interval after the last record is processed.
        # Both ends are commits, so the commit interval cancels out (to within one poll).
        elapsed, cpu_last = time.perf_counter() - first, _cpu_seconds(proc.pid)
    finally:
        stop_process(proc)
    cpu = None if cpu_first is None or cpu_last is None else (cpu_last - cpu_first) * 1000 / expected
    return {"per_second": expected / max(elapsed, 1e-9), "cpu_ms_per_release": cpu}


def pipeline(settings: Settings, expected: int, workdir: Path) -> float:
    return float(pipeline_run(settings, expected, workdir)["per_second"])  # type: ignore[arg-type]


def variant(base: Settings, workdir: Path, name: str, **overrides: Any) -> Settings:
    """Settings for one pipeline run: its own group, table and output topics over the shared input."""
    run = uuid.uuid4().hex[:6]
    settings = base.model_copy(update={
        "app_id": f"{base.app_id}-{name}-{run}", "topic_prefix": f"{base.topic_prefix}{name}-{run}.",
        "input_topic_prefix": base.topic_prefix, "data_dir": workdir / f"data-{name}-{run}",
        "alerts_out": workdir / f"alerts-{name}-{run}.jsonl" if base.alerts_out else None,
        "deltas_out": workdir / f"deltas-{name}-{run}.jsonl" if base.deltas_out else None,
        **overrides,
    })
    ensure_topics(settings, all_topics(settings))
    return settings


def rotated(runs: dict[str, Any], start: int) -> dict[str, Any]:
    """Run the callables of ``runs`` starting at index ``start``; results by name.

    Order matters on this machine: in one repeat, identical configurations measured 1.5-2x
    apart by position alone (load from others moves within minutes). Rotating the order
    across repeats spreads that over every variant instead of favouring the last one.
    """
    names = list(runs)
    order = names[start % len(names):] + names[:start % len(names)]
    return {name: runs[name]() for name in order}


def one_repeat(settings: Settings, topic: str, count: int, workdir: Path, index: int = 0) -> dict[str, Any]:
    """Every reader once over the same topic; ratios within this repeat."""
    raw = asyncio.run(raw_consume(settings, topic, count))
    floors = rotated({
        "default": lambda: floor_run(settings, topic, count, workdir),
        "tuned": lambda: floor_run(settings, topic, count, workdir, tuned_overrides(settings)),
    }, index)
    floor_default, floor_tuned = floors["default"], floors["tuned"]
    with_files = variant(settings, workdir, "files")
    pipes = rotated({
        "files": lambda: pipeline_run(with_files, count, workdir),
        "bare": lambda: pipeline_run(variant(settings, workdir, "bare", alerts_out=None, deltas_out=None), count, workdir),
        "batched": lambda: pipeline_run(
            variant(settings, workdir, "batched", alerts_out=None, deltas_out=None, **BATCHED), count, workdir),
    }, index)
    piped, bare, batched = pipes["files"], pipes["bare"], pipes["batched"]
    alerts = sum(1 for _ in with_files.alerts_out.open()) if with_files.alerts_out and with_files.alerts_out.exists() else 0
    per_s = lambda r: r["per_second"]
    return {
        "raw_aiokafka_per_s": raw, "faust_floor_per_s": per_s(floor_default), "faust_floor_tuned_per_s": per_s(floor_tuned),
        "pipeline_per_s": per_s(piped), "pipeline_without_files_per_s": per_s(bare),
        "pipeline_batched_per_s": per_s(batched),
        "pipeline_vs_floor": per_s(piped) / per_s(floor_default), "pipeline_vs_tuned_floor": per_s(piped) / per_s(floor_tuned),
        "without_files_vs_floor": per_s(bare) / per_s(floor_default),
        "tuned_floor_vs_floor": per_s(floor_tuned) / per_s(floor_default),
        "batched_vs_ours_pipeline": per_s(batched) / per_s(bare),
        "floor_vs_raw": per_s(floor_default) / raw, "pipeline_vs_raw": per_s(piped) / raw,
        "floor_cpu_ms_per_event": floor_default["cpu_ms_per_event"],
        "floor_tuned_cpu_ms_per_event": floor_tuned["cpu_ms_per_event"],
        "pipeline_cpu_ms_per_release": piped["cpu_ms_per_release"],
        "pipeline_without_files_cpu_ms_per_release": bare["cpu_ms_per_release"],
        "pipeline_batched_cpu_ms_per_release": batched["cpu_ms_per_release"],
        "alerts": alerts,
    }


def main() -> None:
    from harness import (  # bench/harness.py imports this module (via corpus): import late
        machine,
        spread,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, default=4_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "benchmark": "throughput", "command": " ".join(["python bench/throughput.py", *sys.argv[1:]]),
        "machine_before": machine(),
    }
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
        repeats = []
        for index in range(args.repeat):
            repeats.append(one_repeat(settings, topic, len(messages), workdir, index))
            print(f"repeat {index + 1}/{args.repeat}: {json.dumps(repeats[-1])}", file=sys.stderr, flush=True)
    results.update({
        "releases": len(messages), "companies": args.companies, "partitions": settings.partitions,
        "repeats": args.repeat, "publish_per_s": round(publish_rate),
        "settings": {"ours": tuned_overrides(settings), "faust_defaults": FAUST_BATCHING_DEFAULTS, "batched": BATCHED},
    })
    for key in repeats[0]:
        values = [r[key] for r in repeats if r[key] is not None]
        if not values:
            continue
        digits = 0 if key.endswith("_per_s") or key == "alerts" else 3
        stats = spread(values, digits)
        results[key] = int(stats["median"]) if digits == 0 else stats["median"]
        if len(values) > 1:
            results[f"{key}_spread"] = stats
    results["machine_after"] = machine()
    emit(results, args.out)


if __name__ == "__main__":
    main()
