"""What every benchmark run needs: its own embedded broker and settings, the machine's load,
the worker's memory, and summary statistics.

Usage::

    with bench_env(companies=200, alerts_out=True) as (settings, workdir):
        ensure_topics(settings, all_topics(settings))
        ...
    stats = summary([0.012, 0.020, 0.031])      # {"p50": ..., "p95": ..., "p99": ..., "max": ...}
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from corpus import registry_toml
from report import emit  # bench/report.py (scripts run from bench/)

from streams.broker import EmbeddedBroker
from streams.settings import Settings


@contextmanager
def bench_env(companies: int, *, registry_text: str | None = None, **overrides: Any) -> Iterator[tuple[Settings, Path]]:
    """A fresh broker, a registry of ``companies`` synthetic companies (or ``registry_text``),
    settings for one app."""
    with EmbeddedBroker() as broker, tempfile.TemporaryDirectory(prefix="cloudpulse-bench-") as tmp:
        workdir = Path(tmp)
        registry = workdir / "companies.toml"
        registry.write_text(registry_text or registry_toml(companies), encoding="utf-8")
        run = uuid.uuid4().hex[:6]
        values: dict[str, Any] = {
            "broker": broker.url, "dev_broker": True, "app_id": f"bench-{run}", "topic_prefix": f"b{run}.",
            "registry_file": registry, "data_dir": workdir / "data", "alerts_out": workdir / "alerts.jsonl",
            "deltas_out": None, "web_enabled": False, "log_level": "WARNING",
        }
        values.update(overrides)
        yield Settings.load(**values), workdir


def new_parser(doc: str) -> argparse.ArgumentParser:
    """A benchmark's argument parser: its docstring's first line, and ``--out``."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="also save the results JSON here")
    return parser


@contextmanager
def recorded(name: str, argv: list[str], out: Path | None) -> Iterator[dict[str, Any]]:
    """The results of one run, named, with its command and the machine's load before and
    after; printed and saved to ``out`` when the block ends without an error."""
    script = "replay_bench" if name == "replay" else name
    shown = [a for i, a in enumerate(argv) if a != "--out" and (i == 0 or argv[i - 1] != "--out")]
    results: dict[str, Any] = {"benchmark": name, "command": " ".join([f"python bench/{script}.py", *shown]),
                               "machine_before": machine()}
    yield results
    results["machine_after"] = machine()
    emit(results, out)


def machine() -> dict[str, Any]:
    """How loaded the shared machine was: 1/5/15-minute load averages against the core count."""
    one, five, fifteen = os.getloadavg()
    return {"cpus": os.cpu_count(), "loadavg": [round(one, 2), round(five, 2), round(fifteen, 2)]}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: p99 of 120 samples is the 119th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def summary(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max in milliseconds."""
    if not seconds:
        return {}
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
            "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1)}


def spread(values: list[float], digits: int = 1) -> dict[str, Any]:
    """Median and range of repeated measurements."""
    return {"median": round(statistics.median(values), digits), "min": round(min(values), digits),
            "max": round(max(values), digits), "runs": [round(v, digits) for v in values]}


def ratio(value: float, baseline: float, digits: int = 3) -> float | None:
    return round(value / baseline, digits) if baseline else None


def rss_kib(pid: int) -> dict[str, int]:
    """Current (VmRSS) and peak (VmHWM) resident memory of a process and its children, KiB.

    Read from /proc so it needs no dependency; children are summed because a worker may
    fork helpers (none today, but a peak that silently ignored them would flatter us).
    """
    totals = {"VmRSS": 0, "VmHWM": 0}
    for proc in [pid, *_children(pid)]:
        try:
            text = Path(f"/proc/{proc}/status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            key, _, rest = line.partition(":")
            if key in totals:
                totals[key] += int(rest.split()[0])
    return {"rss_kib": totals["VmRSS"], "peak_kib": totals["VmHWM"]}


def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            children = (task / "children").read_text().split()
            for child in children:
                found += [int(child), *_children(int(child))]
    except OSError:
        pass
    return found
