"""CPU per release of our own release stages, without Kafka: what the worker does per release
besides Faust and aiokafka.

    python bench/analysis_cpu.py [--releases 4000] [--companies 200] [--repeat 5] [--out bench/results/analysis_cpu.json]
    python bench/analysis_cpu.py --digest      # SHA-256 of every output, to prove a change byte-identical

Per release, in one process, with a plain dict as the history table, the stages the worker
runs (agents/pipeline.py ``ingest_event`` then ``analyse_event``):

1. ingest: ``IngestStage.process`` on the raw bytes;
2. rekey: the valid-release payload, ``raw.model_copy(update={"company": ...}).model_dump_json()``;
3. normalise: ``normalise(EarningsRelease.model_validate_json(payload), registry)``;
4. analysis: ``analyse_once`` (history, deltas, rules, template alerts, recorded outputs);
5. serialise: ``model_dump_json()`` of every delta and alert.

Input: the synthetic releases of ``bench/throughput.py``. Each stage is timed with
``time.process_time`` around every call; each repeat runs in a fresh interpreter, so caches
start cold as in a newly started worker, and the median over repeats is reported.

``--digest`` times nothing: it hashes every output (re-keyed payloads, delta and alert JSON,
dead-letter reasons and problems, the final table serialised with sorted keys) over three
inputs: the synthetic releases in order; a varied set (shuffled quarters, so late ones
recompute dependents; re-sends; revisions; restated comparatives; negative figures; invalid
messages); and the bundled demo releases.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from harness import machine
from report import emit  # bench/report.py (scripts run from bench/)
from throughput import registry_toml, releases

from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.ingest import IngestStage, Source, dead_letter, internal_error
from agents.outputs import analyse_once
from agents.rules import RuleSet
from schemas.company import Registry
from schemas.deadletter import DeadLetter
from schemas.errors import InvalidInput
from schemas.release import EarningsRelease, normalise
from streams.demo import bundled_releases
from streams.settings import Settings

STAGES = ("ingest", "rekey", "normalise", "analysis", "serialise")
MAX_BYTES = Settings.model_fields["max_payload_bytes"].default


class Digest:
    """SHA-256 over a stream of outputs; each part is length-prefixed so boundaries count."""

    def __init__(self) -> None:
        self.sha = hashlib.sha256()
        self.counts: dict[str, int] = {}

    def add(self, kind: str, data: bytes) -> None:
        self.sha.update(f"{kind}:{len(data)}:".encode())
        self.sha.update(data)
        self.counts[kind] = self.counts.get(kind, 0) + 1


def _dead(record: DeadLetter) -> bytes:
    # failed_at is the wall clock: everything else of the record is an output.
    return record.model_dump_json(exclude={"failed_at"}).encode()


async def run(messages: list[bytes], registry: Registry, digest: Digest | None = None) -> dict[str, float]:
    """Every stage over ``messages``, one release at a time; CPU seconds per stage."""
    ingest = IngestStage(registry, max_bytes=MAX_BYTES)
    stage = AnalysisStage(DeltaEngine(), RuleSet.load(None))
    table: dict[str, Any] = {}
    spent = dict.fromkeys(STAGES, 0.0)
    clock = time.process_time
    for offset, raw in enumerate(messages):
        source = Source("earnings.releases", 0, offset, None)
        t0 = clock()
        result = ingest.process(raw, source)
        t1 = clock()
        spent["ingest"] += t1 - t0
        if isinstance(result, DeadLetter):
            if digest is not None:
                digest.add("deadletter", _dead(result))
            continue
        assert result.raw is not None
        payload = result.raw.model_copy(update={"company": result.company_id}).model_dump_json().encode()
        t2 = clock()
        spent["rekey"] += t2 - t1
        try:
            release = normalise(EarningsRelease.model_validate_json(payload), registry)
            t3 = clock()
            spent["normalise"] += t3 - t2
            analysis = await analyse_once(stage, release, payload, table)
        except Exception as exc:  # noqa: BLE001 - as analyse_event: dead-lettered, never a crash
            reason = exc if isinstance(exc, InvalidInput) else internal_error(exc)
            if digest is not None:
                digest.add("deadletter", _dead(dead_letter(payload, source, reason)))
            continue
        t4 = clock()
        spent["analysis"] += t4 - t3
        dumps = [d.model_dump_json() for d in analysis.deltas] + [a.model_dump_json() for a in analysis.alerts]
        spent["serialise"] += clock() - t4
        if digest is not None:
            digest.add("payload", payload)
            for text in dumps[: len(analysis.deltas)]:
                digest.add("delta", text.encode())
            for text in dumps[len(analysis.deltas):]:
                digest.add("alert", text.encode())
            digest.add("status", analysis.status.encode())
    if digest is not None:
        digest.add("table", json.dumps(table, sort_keys=True, ensure_ascii=False).encode())
    return spent


def synthetic_registry(companies: int, workdir: Path) -> Registry:
    path = workdir / "companies.toml"
    path.write_text(registry_toml(companies), encoding="utf-8")
    return Registry.load(path)


def synthetic(count: int, companies: int) -> list[bytes]:
    return [m.value for m in releases(count, companies)]


def varied(count: int, companies: int, seed: int = 7) -> list[bytes]:
    """The synthetic releases made awkward: every path of history, deltas and dead letters."""
    rng = random.Random(seed)
    bodies = [json.loads(value) for value in synthetic(count, companies)]
    revenue = {b["release_id"]: (b["period_end"], b["metrics"][0]["value"]) for b in bodies}  # before changes
    for body in bodies:
        roll = rng.random()
        if roll < 0.15:  # losses: sign changes, margins from negative profit
            body["metrics"][1]["value"] = -abs(body["metrics"][1]["value"]) - rng.randint(0, 50)
        elif roll < 0.3:  # a restated comparative for the year-ago quarter
            year_ago = f"{body['company']}-{int(body['period_end'][:4]) - 1}{body['period_end'][4:]}"
            if year_ago in revenue:
                period, value = revenue[year_ago]
                body["comparatives"] = [{"segment": "Cloud", "metric": "revenue", "scale": "million",
                                         "period_end": period, "value": value + rng.randint(1, 40)}]
        elif roll < 0.4:  # growth as printed, as text amounts with their own scale
            body["metrics"][0].update({"value": f"US${body['metrics'][0]['value'] / 1000:.3f} billion",
                                       "reported_yoy_pct": rng.randint(-5, 60)})
            del body["metrics"][0]["scale"]
    out = [json.dumps(b).encode() for b in bodies]
    rng.shuffle(out)  # late quarters: dependents recompute
    resent = rng.sample(out, len(out) // 20)  # at-least-once: identical re-sends
    revised = []
    for raw in rng.sample(out, len(out) // 20):  # same release id, other numbers
        body = json.loads(raw)
        body["metrics"][2]["value"] += 7  # capex: always a plain number with its scale
        revised.append(json.dumps(body).encode())
    invalid = [b"not json", b"[]", json.dumps({"release_id": "x"}).encode(),
               json.dumps({**bodies[0], "currency": "XXX"}).encode(),
               json.dumps({**bodies[0], "company": "NOPE"}).encode(),
               json.dumps({**bodies[0], "period_end": "2020-02-15"}).encode(),
               json.dumps({**bodies[0], "metrics": [{"segment": "Mars", "metric": "revenue", "value": 1}]}).encode()]
    return out + resent + revised + invalid


def digests(count: int, companies: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        registry = synthetic_registry(companies, Path(tmp))
        inputs = {
            "synthetic": (synthetic(count, companies), registry),
            "varied": (varied(count // 4, companies // 4), registry),
            "demo": (bundled_releases(), Registry.load()),
        }
        out: dict[str, Any] = {}
        for name, (messages, reg) in inputs.items():
            digest = Digest()
            asyncio.run(run(messages, reg, digest))
            out[name] = {"sha256": digest.sha.hexdigest(), "counts": digest.counts}
        return out


def one_repeat(count: int, companies: int) -> dict[str, float]:
    """One timed run (in this process): ms of CPU per release, per stage and in total."""
    with tempfile.TemporaryDirectory() as tmp:
        registry = synthetic_registry(companies, Path(tmp))
    messages = synthetic(count, companies)
    spent = asyncio.run(run(messages, registry))
    per = {name: seconds * 1000 / count for name, seconds in spent.items()}
    per["total"] = sum(per.values())
    return per


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, default=4_000)
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--digest", action="store_true", help="hash every output instead of timing")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # one repeat, JSON on stdout
    parser.add_argument("--out", type=Path, default=None, help="also save the results JSON here")
    return parser


def main() -> None:
    args = arguments().parse_args()
    if args.child:
        print(json.dumps(one_repeat(args.releases, args.companies)))
        return
    results: dict[str, Any] = {
        "benchmark": "analysis_cpu", "command": " ".join(["python bench/analysis_cpu.py", *sys.argv[1:]]),
        "machine_before": machine(), "releases": args.releases, "companies": args.companies,
    }
    if args.digest:
        logging.disable(logging.WARNING)  # the invalid messages' refusals: expected, and noise here
        results["digests"] = digests(args.releases, args.companies)
    else:
        runs = []
        for index in range(args.repeat):
            # A fresh interpreter per repeat: memoised answers do not carry over between repeats.
            child = [sys.executable, __file__, "--child", "--releases", str(args.releases),
                     "--companies", str(args.companies)]
            runs.append(json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout))
            print(f"repeat {index + 1}/{args.repeat}: {json.dumps(runs[-1])}", file=sys.stderr, flush=True)
        results["repeats"] = args.repeat
        results["cpu_ms_per_release"] = {
            name: {"median": round(statistics.median(r[name] for r in runs), 4),
                   "min": round(min(r[name] for r in runs), 4), "max": round(max(r[name] for r in runs), 4)}
            for name in (*STAGES, "total")
        }
    results["machine_after"] = machine()
    emit(results, args.out)


if __name__ == "__main__":
    main()
