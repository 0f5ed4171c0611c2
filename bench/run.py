"""All benchmarks, one command; then the results table in docs/benchmarks.md.

    python bench/run.py                       # every benchmark, full size (about an hour here)
    python bench/run.py --only latency,scaling
    python bench/run.py --quick               # small sizes: does everything still run? (minutes)
    python bench/run.py --render-only         # re-render the doc from bench/results/*.json

Each benchmark is its own script run as a subprocess (own broker, own workers), writing
``bench/results/<name>.json``; a failing one is reported and the rest still run. Full runs
then rewrite the generated section of docs/benchmarks.md from the results files, so a
figure in the doc always comes from a file. ``--quick`` writes to bench/results/quick/ and
leaves the doc alone: smoke-sized figures are not figures to publish.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from render import render, update_doc

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DOC = BENCH.parent / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Benchmark:
    name: str
    script: str
    full: tuple[str, ...]
    quick: tuple[str, ...]
    timeout: float = 3600.0


BENCHMARKS = (
    Benchmark("throughput", "throughput.py", ("--releases", "4000", "--companies", "200"),
              ("--releases", "300", "--companies", "30")),
    Benchmark("latency", "latency.py", ("--news-rate", "1"),
              ("--releases", "10", "--rate", "5", "--companies", "3", "--news-rate", "10")),
    # A feed the news path cannot keep up with (today): what that does to release alerts.
    Benchmark("latency_news5", "latency.py", ("--news-rate", "5"),
              ("--releases", "5", "--rate", "5", "--companies", "3", "--news-rate", "20")),
    Benchmark("scaling", "scaling.py", (), ("--releases", "300", "--companies", "30", "--repeat", "1")),
    Benchmark("memory", "memory.py", (), ("--companies", "40", "--quarters", "8", "--stores", "memory", "--probe", "3"),
              timeout=7200.0),
    Benchmark("llm_economy", "llm_economy.py", (), ("--releases", "5", "--rate", "5", "--companies", "3")),
    Benchmark("llm_economy_digit_names", "llm_economy.py", ("--releases", "16", "--digit-names"),
              ("--releases", "5", "--rate", "5", "--companies", "3", "--digit-names")),
    Benchmark("llm_faults", "llm_faults.py", (), ("--rounds", "1", "--latency", "0.01")),
    Benchmark("replay", "replay_bench.py", ("--no-news",), ("--releases", "200", "--no-news", "--no-floor")),
    # The size: 5,000 releases and 100,000 articles (about half an hour here).
    Benchmark("replay_100k", "replay_bench.py", ("--releases", "5000", "--articles", "100000"),
              ("--releases", "200", "--articles", "300", "--companies", "20", "--no-floor"), timeout=7200.0),
    # The same archive replayed three times: identical alerts, however partitions interleave.
    Benchmark("replay_determinism", "replay_bench.py",
              ("--releases", "200", "--articles", "4000", "--companies", "200", "--runs", "3", "--no-floor"),
              ("--releases", "50", "--articles", "300", "--companies", "20", "--runs", "2", "--no-floor")),
    # Where the worker's CPU per record goes: Faust's send and table paths against ours, and
    # our own stages without Kafka.
    Benchmark("send_cost", "send_cost.py", (), ("--events", "300", "--repeat", "1")),
    Benchmark("analysis_cpu", "analysis_cpu.py", (), ("--releases", "300", "--repeat", "1")),
    # Written by the news engineers; run when present.
    Benchmark("news_throughput", "news_throughput.py", (), ("--articles", "200")),
)
BY_NAME = {b.name: b for b in BENCHMARKS}


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help=f"comma-separated subset of: {', '.join(BY_NAME)}")
    parser.add_argument("--quick", action="store_true", help="small sizes, results to bench/results/quick/, doc untouched")
    parser.add_argument("--render-only", action="store_true", help="run nothing; re-render the doc from the results")
    parser.add_argument("--no-render", action="store_true", help="do not touch the doc")
    parser.add_argument("--results", type=Path, default=None, help="results directory (default bench/results[/quick])")
    parser.add_argument("--doc", type=Path, default=DOC)
    return parser


def selected(only: str) -> list[Benchmark]:
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in BY_NAME]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)} (known: {', '.join(BY_NAME)})")
    return [BY_NAME[n] for n in names] if names else list(BENCHMARKS)


def run_one(bench: Benchmark, quick: bool, results: Path) -> str:
    """Run one script; its outcome as a word for the summary."""
    script = BENCH / bench.script
    if not script.exists():
        return "missing"
    out = results / f"{bench.name}.json"
    command = [sys.executable, str(script), *(bench.quick if quick else bench.full), "--out", str(out)]
    started = time.monotonic()
    print(f"== {bench.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    try:
        # stdout (the JSON, also in the file) is dropped; stderr streams through for progress.
        done = subprocess.run(command, cwd=BENCH, stdout=subprocess.DEVNULL, timeout=bench.timeout, check=False)
    except subprocess.TimeoutExpired:
        return f"timed out after {bench.timeout:.0f} s"
    took = time.monotonic() - started
    return f"ok in {took:.0f} s" if done.returncode == 0 else f"failed (exit {done.returncode}) after {took:.0f} s"


def main(argv: list[str] | None = None) -> int:
    args = arguments().parse_args(argv)
    benches = selected(args.only)
    results = args.results or (RESULTS / "quick" if args.quick else RESULTS)
    results.mkdir(parents=True, exist_ok=True)
    outcomes = {} if args.render_only else {b.name: run_one(b, args.quick, results) for b in benches}
    for name, outcome in outcomes.items():
        print(f"{name:16} {outcome}", file=sys.stderr)
    if not (args.quick or args.no_render):
        # The whole table, not only what ran now: the other rows come from their last files.
        update_doc(args.doc, render(results))
        print(f"rendered {args.doc}", file=sys.stderr)
    return 0 if all(o.startswith("ok") or o == "missing" for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
