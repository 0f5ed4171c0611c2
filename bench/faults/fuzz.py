"""Fault run: fuzzed input, the full size (>= 10,000 generated payloads over both input topics).

    python bench/faults/fuzz.py [--releases 6000] [--articles 4000] [--seed 1] [--out bench/results/fuzz.json]

The same strategies and harness as tests/test_faults/test_fuzz_inputs.py (which runs a
CI-sized, derandomized share): payloads go through the agents' own per-event functions
in-process (release ingest and analysis; the news ingest and analysis agents when present),
so the run takes about a minute rather than the hours a broker round trip per payload would.
Every failure is kept in the output with the head of its payload; a different --seed gives
a different run.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/report.py

from fuzz_harness import ArticleHarness, FuzzRun, ReleaseHarness, fuzz, news_agent
from fuzz_payloads import articles, releases
from report import emit


def figures(run: FuzzRun, alerts: int, seconds: float) -> dict:
    dead = sum(n for outcome, n in run.outcomes.items() if outcome.startswith("deadletter:"))
    return {
        "inputs": run.examples,
        "accepted": run.outcomes["accepted"],
        "dead_lettered": dead,
        "alerts": alerts,
        "lost": run.outcomes["lost"],
        "duplicated": run.outcomes["duplicated"],
        "crashes": run.outcomes["crash"],
        "internal_errors": run.outcomes["deadletter:internal_error"],
        "failures": len(run.failures),
        "seconds": round(seconds, 1),
        "outcomes": dict(sorted(run.outcomes.items())),
        "families": dict(sorted(run.families.items())),
        "first_failures": run.failures[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--releases", type=int, default=6000)
    parser.add_argument("--articles", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)  # 10,000 refusals would otherwise be 20,000 log lines
    results = {"seed": args.seed, "news_agent": news_agent() is not None}
    for name, strategy, harness, count in (("releases", releases(), ReleaseHarness(), args.releases),
                                          ("articles", articles(), ArticleHarness(), args.articles)):
        started, cpu = time.perf_counter(), time.process_time()
        run = fuzz(strategy, harness, count, seed=args.seed)
        results[name] = figures(run, harness.alerts, time.perf_counter() - started)
        results[name]["cpu_seconds"] = round(time.process_time() - cpu, 1)  # steadier than wall time on a shared box
        print(f"{name}: {run.examples} payloads, {len(run.failures)} failures, {dict(run.outcomes)}", flush=True)
    total = {k: results["releases"][k] + results["articles"][k]
             for k in ("inputs", "accepted", "dead_lettered", "alerts", "lost", "duplicated", "crashes",
                       "internal_errors", "failures", "seconds", "cpu_seconds")}
    results["total"] = total
    print(total)
    emit(results, args.out, show=False)
    sys.exit(1 if total["failures"] else 0)


if __name__ == "__main__":
    main()
