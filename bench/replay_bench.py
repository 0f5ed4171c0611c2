"""Replay wall time: ``cloudpulse backfill`` an archive, then ``cloudpulse replay --from-beginning``.

    python bench/replay_bench.py [--releases 5000] [--articles 100000] [--companies 500] [--no-news]
                                 [--no-floor] [--runs 1] [--out bench/results/replay.json]

Generated archives (bench/corpus.py): ``--releases`` releases over ``--companies`` companies
(consecutive quarters, three metrics) and ``--articles`` articles naming those companies, as
JSONL files. Both commands run as a user would run them, as subprocesses of the installed
CLI against one embedded broker, and are timed from start to exit (the replay's worker
start-up and group join are in its figure: that is what a user waits for).

Articles are part of the run only when the news path is an input (``news.articles`` in
streams/topics.INPUTS); otherwise the figure is releases-only and says why.

With ``--runs N`` the same archive is replayed N times and the alert files compared byte for
byte (``identical_runs``): a replay must say the same thing every time, however the worker's
partitions interleave. The time reported is the first run's; every run's is listed.

The Faust floor (bench/floor_app.py: an agent that only decodes and counts, same consumer
settings) is then timed on the same input topics, and the replay rate is reported as a
ratio of it: how far the replay is from what Faust itself can read.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import corpus
from harness import bench_env, new_parser, ratio, recorded
from throughput import floor
from throughput import releases as release_messages

from streams.launcher import die_with_parent, settings_env
from streams.settings import Settings
from streams.topics import INPUTS, NEWS, RELEASES, all_topics, ensure_topics


def cli(settings: Settings, args: list[str], log: Path, timeout: float) -> float:
    """Run ``cloudpulse ARGS`` with ``settings`` in its environment; wall seconds."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPULSE_")}
    env.update(settings_env(settings))
    started = time.perf_counter()
    with log.open("ab") as out:
        # die_with_parent: a benchmark killed mid-replay must not leave the replay behind.
        done = subprocess.run([sys.executable, "-m", "streams", *args], env=env, stdout=out, stderr=subprocess.STDOUT,
                              timeout=timeout, check=False, preexec_fn=die_with_parent)
    if done.returncode != 0:
        raise RuntimeError(f"cloudpulse {' '.join(args)} failed ({done.returncode}): " + log.read_text()[-2000:])
    return time.perf_counter() - started


def write_archives(workdir: Path, args: argparse.Namespace, with_news: bool) -> dict[str, Path]:
    files = {RELEASES: workdir / "releases.jsonl"}
    files[RELEASES].write_bytes(b"".join(m.value + b"\n" for m in release_messages(args.releases, args.companies)))
    if with_news:
        files[NEWS] = workdir / "articles.jsonl"
        with files[NEWS].open("wb") as handle:
            for line in corpus.articles(args.articles, args.companies):
                handle.write(line + b"\n")
    return files


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--releases", type=int, default=5000)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--companies", type=int, default=500)
    parser.add_argument("--no-news", action="store_true", help="releases only, even when news is an input")
    parser.add_argument("--no-floor", action="store_true", help="skip the Faust-floor baseline")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--runs", type=int, default=1, help="replays of the same archive, outputs compared")
    return parser


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    args = arguments().parse_args(argv)
    with_news = NEWS in INPUTS and not args.no_news and args.articles > 0
    with recorded("replay", argv, args.out) as results, bench_env(args.companies, alerts_out=None) as (settings, workdir):
        ensure_topics(settings, all_topics(settings))
        files = write_archives(workdir, args, with_news)
        counts = {name: sum(1 for _ in path.open("rb")) for name, path in files.items()}
        log = workdir / "cli.log"
        backfill = {name: round(cli(settings, ["backfill", "--topic", name, str(path)], log, args.timeout), 1)
                    for name, path in files.items()}
        topics = [a for name in files for a in ("--topics", name)]
        runs: list[tuple[float, bytes]] = []
        for run in range(max(args.runs, 1)):
            alerts_out, summary_out = workdir / f"replay-alerts-{run}.jsonl", workdir / f"replay-summary-{run}.json"
            seconds = cli(settings, ["replay", "--from-beginning", *topics, "--alerts-out", str(alerts_out),
                                     "--summary-out", str(summary_out)], log, args.timeout)
            runs.append((seconds, alerts_out.read_bytes() if alerts_out.exists() else b""))
            if run == 0:
                summary = json.loads(summary_out.read_text("utf-8"))
        seconds, alerts = runs[0]
        inputs = sum(counts.values())
        if len(runs) > 1:
            results["runs_seconds"] = [round(s, 1) for s, _ in runs]
            results["identical_runs"] = all(text == alerts for _, text in runs)
        results.update({
            "inputs": counts, "news": "included" if with_news else (
                "--no-news" if args.no_news else f"{NEWS} is not an input yet (streams/topics.INPUTS)"),
            "backfill_seconds": backfill, "replay_seconds": round(seconds, 1),
            "replay_per_s": round(inputs / seconds, 1),
            "alerts": alerts.count(b"\n"),
            "deadletters": summary["deadletters"], "deltas": summary["deltas"],
        })
        if not args.no_floor:
            # The floor reads each input topic in turn; its time for all of them is the sum.
            floor_seconds = sum(n / floor(settings, settings.topic(name), n, workdir) for name, n in counts.items())
            results["faust_floor_per_s"] = round(inputs / floor_seconds, 1)
            results["replay_vs_floor"] = ratio(inputs / seconds, inputs / floor_seconds, 3)
    return results


if __name__ == "__main__":
    main()
