"""LLM economy: calls per alert, latency added over templates, cache hits on a replay.

    python bench/llm_economy.py [--releases 40] [--rate 1] [--llm-latency 0.3] [--out bench/results/llm_economy.json]

Against the local OpenAI-compatible stub (agents/llm/stub.py) answering after a fixed
``--llm-latency`` (300 ms: a fast hosted model), a well-behaved model: no faults (those are
bench/llm_faults.py's business). In one run, on one broker:

1. template arm: a worker with the LLM off; publish-to-alert latency of N releases at
   ``--rate`` per second, each yielding one alert (bench/latency.py's method and clock);
2. LLM arm: the same releases, on fresh topics, to a worker with the stub configured (fresh
   response cache); same latency figures, plus HTTP calls received by the stub per alert;
3. replay: ``cloudpulse replay`` (streams.replay.run_replay) of the LLM arm's input, with
   its response cache. Target: 0 new calls and every alert's text identical to the live
   run's. An alert missed the cache when the stub was asked about it during the replay (its
   prompt names the company and quarter); the hit rate is 1 - missed alerts / alerts.

Token budgets are lifted (0 = no limit) so the budget never turns an LLM alert into a
template one here; the budget has its own unit tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import throughput
from harness import bench_env, new_parser, ratio, recorded
from latency import running, timed_phase, warm_up

from agents.llm.stub import StubLLM, facts_from
from streams.replay import ReplayOptions, run_replay
from streams.settings import Settings
from streams.topics import RELEASES, all_topics, ensure_topics

TEXT_FIELDS = ("title_zh", "title_en", "text_zh", "text_en", "generated_by")


async def arm(settings: Settings, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    ensure_topics(settings, all_topics(settings))
    async with running(settings, workdir) as (proc, producer, tail):
        await warm_up(settings, producer, tail, proc, args.companies, workdir / f"worker-{settings.app_id}.log")
        return await timed_phase(settings, producer, tail, first=2 * args.companies, count=args.releases,
                                 rate=args.rate, companies=args.companies, news_rate=None)


def alerts_in(path: Path) -> dict[str, dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return {record["alert_id"]: record for record in map(json.loads, filter(str.strip, lines))}


def fresh(base: Settings, name: str, workdir: Path, **updates: Any) -> Settings:
    run = uuid.uuid4().hex[:6]
    return base.model_copy(update={"app_id": f"{name}-{run}", "topic_prefix": f"{name}{run}.",
                                   "alerts_out": workdir / f"alerts-{name}.jsonl",
                                   "data_dir": workdir / f"data-{name}", **updates})


async def run(base: Settings, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    template = await arm(fresh(base, "tmpl", workdir), workdir, args)
    with StubLLM(latency=args.llm_latency) as stub:
        settings = fresh(base, "llm", workdir, llm_base_url=stub.base_url, llm_model="stub",
                         llm_cache_file=workdir / "llm-cache.jsonl", llm_tokens_per_hour=0, llm_tokens_per_day=0)
        llm = await arm(settings, workdir, args)
        live_calls = len(stub.requests)
        live = alerts_in(settings.alerts_out)  # type: ignore[arg-type]
        # Releases only: this run has no articles. (Replaying all inputs once failed here under
        # load, in the start-offset lookup of the empty news topic: docs/benchmarks.md.)
        replayed = await asyncio.to_thread(run_replay, settings, ReplayOptions(topics=(RELEASES,), timeout=600))
        replay_requests = stub.requests[live_calls:]
        replay_calls = len(replay_requests)
    # An alert missed the cache if the stub was asked about it during the replay (the prompt's
    # FACTS name the company and quarter); hit rate = 1 - missed alerts / alerts.
    missed = {(f.get("company", {}).get("id"), f.get("fiscal_period"))
              for f in (facts_from(r.get("messages", [])) for r in replay_requests)}
    same_text = sum(1 for a in replayed.alerts
                    if a["alert_id"] in live and all(a[f] == live[a["alert_id"]][f] for f in TEXT_FIELDS))
    llm_written = sum(1 for a in live.values() if a["generated_by"].startswith("llm:"))
    result: dict[str, Any] = {
        "template": template, "llm": llm,
        "live": {"alerts": len(live), "llm_written": llm_written, "http_calls": live_calls,
                 "calls_per_alert": ratio(live_calls, len(live), 2)},
        "replay": {"inputs": replayed.inputs, "alerts": len(replayed.alerts), "new_http_calls": replay_calls,
                   "identical_texts": f"{same_text}/{len(replayed.alerts)}",
                   "alerts_missing_the_cache": len(missed),
                   "cache_hit_rate": round(1 - len(missed) / len(replayed.alerts), 3) if replayed.alerts else None,
                   "seconds": round(replayed.seconds, 1)},
    }
    if template.get("pipeline") and llm.get("pipeline"):
        for q in ("p50_ms", "p99_ms"):
            result[f"added_{q}"] = round(llm["pipeline"][q] - template["pipeline"][q], 1)
            result[f"{q.split('_')[0]}_vs_template"] = ratio(llm["pipeline"][q], template["pipeline"][q], 2)
    return result


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--releases", type=int, default=40, help="timed releases per arm")
    parser.add_argument("--rate", type=float, default=1.0, help="releases per second")
    parser.add_argument("--companies", type=int, default=8)
    parser.add_argument("--llm-latency", type=float, default=0.3, help="seconds before each stub answer")
    parser.add_argument("--digit-names", action="store_true",
                        help='companies named "Company 0", "公司0"… (digits in names: see docs/benchmarks.md)')
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments().parse_args(argv)
    registry = throughput.registry_toml(args.companies) if args.digit_names else None
    with recorded("llm_economy", argv, args.out) as results, \
            bench_env(args.companies, registry_text=registry) as (settings, workdir):
        results["llm_latency_s"] = args.llm_latency
        results["company_names"] = "with digits" if args.digit_names else "letters only"
        results.update(asyncio.run(run(settings, workdir, args)))
    return results


if __name__ == "__main__":
    main()
