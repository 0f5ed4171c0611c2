"""Fault run: the LLM endpoint down, hanging, failing or talking garbage, for every alert.

    python bench/faults/llm_outage.py [--deadline 2.0] [--out bench/results/llm_outage.json]

Each scenario runs the LLM writer over every alert of the bundled releases (as the write agent
does, concurrency 4) against one kind of failure for *every* request: nothing listening on the
port (down), answers slower than the deadline (hang), HTTP 503 (errors), and malformed, cut or
refused answers (garbage). Every alert must still get text (the template fallback) and no
single alert may take longer than the writer's deadline (plus a small grace for scheduling).
bench/llm_faults.py covers a mixed script of faults, the grounding check and the cache.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/report.py, bench/llm_faults.py

from llm_faults import template_alerts
from report import emit

from agents.llm.budget import LLMStats
from agents.llm.cache import ResponseCache
from agents.llm.client import build_client
from agents.llm.stub import StubLLM
from agents.llm.writer import LLMConfig, LLMWriter
from streams.broker import free_port
from streams.settings import Settings

GRACE = 0.5  # seconds of scheduling slack on a shared machine, beyond the writer's own deadline
GARBAGE = [{"content": "not json at all"}, {"finish_reason": "length", "content": '{"title_zh": "阿里'},
           {"refusal": "I cannot help with that."}, {"content": '{"title_zh": 1}'}]
SCENARIOS = {
    "down": None,  # a closed port: connection refused
    "hang": [{"delay": 5.0}],
    "errors": [{"status": 503}],
    "garbage": GARBAGE,
}


async def scenario(name: str, steps: list[dict] | None, alerts: list, deadline: float, folder: Path) -> dict:
    stub = StubLLM().start() if steps is not None else None
    try:
        base_url = stub.base_url if stub else f"http://127.0.0.1:{free_port()}/v1"
        if stub:
            stub.script([steps[i % len(steps)] for i in range(len(alerts) * 10)])
        settings = Settings.load(llm_base_url=base_url, llm_model="stub", llm_timeout=10)
        config = LLMConfig(model="stub", deadline=deadline, max_retries=2, max_concurrency=4, backoff_base=0.05)
        writer = LLMWriter(build_client(settings), config, cache=ResponseCache(folder / f"{name}.jsonl"), stats=LLMStats())
        slots = asyncio.Semaphore(config.max_concurrency)
        latencies: list[float] = []

        async def one(alert: object) -> object:
            async with slots:
                started = time.perf_counter()
                written = await writer.write_alert(alert)  # type: ignore[arg-type]
                latencies.append(time.perf_counter() - started)
                return written

        started = time.perf_counter()
        written = await asyncio.gather(*(one(a) for a in alerts), return_exceptions=True)
        crashes = sum(isinstance(w, BaseException) for w in written)
        texts = [w for w in written if not isinstance(w, BaseException)]
        delivered = sum(1 for w in texts if w.title_en and w.text_en and w.title_zh and w.text_zh)
        return {
            "inputs": len(alerts), "alerts": len(alerts), "deliveries": delivered,
            "lost": len(alerts) - delivered, "duplicated": 0, "crashes": crashes,
            "template_fallbacks": sum(1 for w in texts if w.generated_by.startswith("template")),
            "generated_by": dict(Counter(w.generated_by for w in texts)),
            "max_alert_seconds": round(max(latencies, default=0.0), 2), "deadline_seconds": deadline,
            "within_deadline": max(latencies, default=0.0) <= deadline + GRACE,
            "wall_seconds": round(time.perf_counter() - started, 2),
            "http_requests": len(stub.requests) if stub else None,
        }
    finally:
        if stub:
            stub.stop()


async def run(deadline: float) -> dict:
    alerts = await template_alerts()
    with TemporaryDirectory() as tmp:
        return {name: await scenario(name, steps, alerts, deadline, Path(tmp)) for name, steps in SCENARIOS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deadline", type=float, default=2.0)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    results = asyncio.run(run(args.deadline))
    emit(results, args.out)
    ok = all(r["lost"] == 0 and r["crashes"] == 0 and r["within_deadline"] for r in results.values())
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
