"""`cloudpulse replay`: what would the monitor have said? The same agents over history.

A replay reads production's input topics with a fresh app id (so a fresh consumer group and
fresh table state) and writes every internal and output topic under its own prefix, so live
consumers never see it. It is bounded: the input end offsets are captured at start and the
worker ignores anything after them, so it terminates even while live data keeps arriving.
Delivery stays off unless asked for. The alert and delta files it writes are sorted, so the
same input gives byte-identical output; with an LLM configured the response cache makes the
text identical too, and free.

Releases and news are replayed in two phases, releases first, under one app id (the second
worker recovers the tables the first one wrote). Run together, the two topics are consumed
concurrently and a story could be analysed before or after the release it is about, depending
on scheduling: its alerts (a check now, or a revision later) would differ between runs. In
phases, every story is checked against every release in the window, the same on every run.
A topic not asked for is not read at all: no worker subscribes to it.

Usage::

    code = run_replay(settings, ReplayOptions(since=datetime(2025, 1, 1, tzinfo=UTC)))
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

from kafka.admin import KafkaAdminClient
from kafka.structs import OffsetAndMetadata
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from agents.sinks import read_records
from streams import tansu_workarounds
from streams.launcher import start_worker, stop_process
from streams.offsets import committed_offsets, end_offsets, offsets_at
from streams.settings import Settings
from streams.topics import (
    DEADLETTER,
    DRAFTS,
    INPUTS,
    NEWS,
    NEWS_RELEVANT,
    VALID_RELEASES,
    all_topics,
    delete_topics,
    ensure_topics,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReplayOptions:
    since: datetime | None = None
    until: datetime | None = None
    topics: tuple[str, ...] = INPUTS
    alerts_out: Path | None = None
    deltas_out: Path | None = None
    deliver: bool = False
    compare_with: Path | None = None
    keep_topics: bool = False
    timeout: float = 3600.0


@dataclass
class ReplayResult:
    inputs: int = 0
    deadletters: int = 0
    alerts: list[dict[str, Any]] = field(default_factory=list)
    deltas: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0


def alert_order(alert: dict[str, Any]) -> tuple[str, str, str, str]:
    """Deterministic order: event time, company, quarter, id (arrival order varies by partition)."""
    return (alert["created_at"], alert["company"], alert["period_end"], alert["alert_id"])


def delta_order(delta: dict[str, Any]) -> tuple[str, ...]:
    return (delta["company"], delta["segment"], delta["metric"], delta["period_end"], delta["delta_id"])


def write_sorted(path: Path, records: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n" for r in records)
    path.write_text(text, encoding="utf-8")


def replay_settings(base: Settings, options: ReplayOptions, workdir: Path, end_offsets_: dict[str, int]) -> Settings:
    run = uuid.uuid4().hex[:8]
    return base.model_copy(update={
        "app_id": f"{base.app_id}-replay-{run}",
        "topic_prefix": f"{base.topic_prefix}replay-{run}.",
        "input_topic_prefix": base.topic_prefix if base.input_topic_prefix is None else base.input_topic_prefix,
        "store": "memory",
        "data_dir": workdir / "data",
        # The live worker's LLM cache: replays reuse its texts instead of paying for new ones.
        "llm_cache_file": base.llm_cache_file or base.data_dir / "llm-cache.jsonl",
        "alerts_out": workdir / "alerts.jsonl",
        "deltas_out": workdir / "deltas.jsonl",
        "replay_since": options.since,
        "replay_until": options.until,
        "replay_end_offsets": end_offsets_,
        "deliver": options.deliver,
        "web_enabled": False,
    })


def set_group_offsets(settings: Settings, starts: dict[Any, int], timeout: float = 30.0) -> None:
    """Point the replay's new consumer group at the start offsets before its worker joins.

    kafka-python returns the broker's refusals per partition instead of raising, so they are
    checked here. Real Kafka accepts a commit for a group with no members; Tansu answers
    UNKNOWN_MEMBER_ID to every commit outside a generation (see streams/tansu_workarounds.py),
    so on the dev broker the group starts from the beginning and the worker's per-record window
    (``replay_since`` and the end offsets, agents/pipeline.py ``in_window``) skips what is outside.
    """
    if not starts:
        return
    client = KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-replay")
    deadline = time.monotonic() + timeout
    try:
        while True:
            results = client.alter_group_offsets(settings.app_id, {tp: OffsetAndMetadata(offset, "", -1)
                                                                   for tp, offset in starts.items()})
            refused = {tp: error for tp, error in (results or {}).items() if getattr(error, "errno", 0)}
            if not refused:
                return
            if settings.dev_broker and tansu_workarounds.refuses_admin_offset_commit(refused.values()):
                log.info("dev broker refused the replay group's start offsets; filtering by record time instead")
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not set the replay group's start offsets: {refused}")
            time.sleep(1.0)
    finally:
        client.close()


@contextmanager
def replay_topics(settings: Settings, keep: bool) -> Iterator[None]:
    internal = [spec for spec in all_topics(settings) if spec.name not in {settings.topic(i) for i in INPUTS}]
    ensure_topics(settings, internal)
    try:
        yield
    finally:
        if not keep:
            delete_topics(settings, [spec.name for spec in internal])


def phases(topics: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The input topics each replay worker reads, in order: releases before news (module doc)."""
    first = tuple(t for t in topics if t != NEWS)
    second = tuple(t for t in topics if t == NEWS)
    return [phase for phase in (first, second) if phase]


def run_replay(base: Settings, options: ReplayOptions, console: Console | None = None) -> ReplayResult:
    console = console or Console(stderr=True)
    started = time.monotonic()
    every = [base.topic(name) for name in INPUTS]
    starts, ends = offsets_at(base, every, options.since)
    selected = {base.topic(name) for name in options.topics}
    total = sum(max(ends[tp] - starts.get(tp, 0), 0) for tp in ends if tp.topic in selected)
    with TemporaryDirectory(prefix="cloudpulse-replay-") as tmp:
        workdir = Path(tmp)
        settings = replay_settings(base, options, workdir, {f"{tp.topic}:{tp.partition}": end for tp, end in ends.items()})
        with replay_topics(settings, options.keep_topics):
            for number, phase in enumerate(phases(options.topics), 1):
                reading = {base.topic(name) for name in phase}
                # Each phase's worker subscribes to its own inputs only; a topic's offsets are set
                # once, before the one phase that reads it.
                phase_settings = settings.model_copy(update={"replay_inputs": phase})
                set_group_offsets(phase_settings, {tp: o for tp, o in starts.items() if tp.topic in reading})
                proc = start_worker(phase_settings, workdir / f"worker-{number}.log")
                try:
                    _follow(phase_settings, proc, {tp: o for tp, o in starts.items() if tp.topic in reading},
                            {tp: e for tp, e in ends.items() if tp.topic in reading},
                            options.timeout, console, workdir / f"worker-{number}.log", label="+".join(phase))
                finally:
                    stop_process(proc)
            deadletters = sum(end_offsets(settings, [settings.topic(DEADLETTER)]).values())
        result = ReplayResult(
            inputs=total,
            deadletters=deadletters,
            alerts=sorted(read_records(settings.alerts_out, "alert_id"), key=alert_order),  # type: ignore[arg-type]
            deltas=sorted(read_records(settings.deltas_out, "delta_id"), key=delta_order),  # type: ignore[arg-type]
            seconds=time.monotonic() - started,
        )
    if options.alerts_out:
        write_sorted(options.alerts_out, result.alerts)
    if options.deltas_out:
        write_sorted(options.deltas_out, result.deltas)
    return result


def _follow(settings: Settings, proc: Any, starts: dict[Any, int], ends: dict[Any, int],
            timeout: float, console: Console, log_path: Path, label: str = "replay") -> None:
    """Progress until the group has committed every input up to the captured ends and drained
    the internal topics (valid releases, drafts, relevant news) behind them."""
    internal = [settings.topic(VALID_RELEASES), settings.topic(DRAFTS), settings.topic(NEWS_RELEVANT)]
    deadline = time.monotonic() + timeout
    total = sum(max(end - starts.get(tp, 0), 0) for tp, end in ends.items())
    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]} msg/s"),
               TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("replay", total=max(total, 1), rate="–")
        began, stable = time.monotonic(), 0
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"replay worker exited ({proc.returncode}): "
                                   + log_path.read_text("utf-8", errors="replace")[-2000:])
            if time.monotonic() > deadline:
                raise TimeoutError(f"replay did not finish in {timeout:.0f} s")
            committed = committed_offsets(settings, settings.app_id, [tp.topic for tp in ends] + internal)
            done_inputs = sum(min(committed.get(tp, starts.get(tp, 0)), end) - starts.get(tp, 0) for tp, end in ends.items())
            elapsed = max(time.monotonic() - began, 1e-6)
            progress.update(task, completed=max(done_inputs, 0), rate=f"{done_inputs / elapsed:,.0f}")
            inputs_done = all(committed.get(tp, starts.get(tp, 0)) >= end for tp, end in ends.items())
            internal_ends = end_offsets(settings, internal)
            internal_done = all(committed.get(tp, 0) >= end for tp, end in internal_ends.items())
            stable = stable + 1 if inputs_done and internal_done else 0
            if stable >= 2:
                progress.update(task, completed=max(total, 1))
                return
            time.sleep(0.25)


def summary(result: ReplayResult) -> dict[str, Any]:
    """The counts of :func:`print_summary`, as JSON for scripts (``replay --summary-out``)."""
    kinds = Counter(kind for alert in result.alerts for kind in alert["kinds"])
    return {"inputs": result.inputs, "deadletters": result.deadletters, "deltas": len(result.deltas),
            "alerts": len(result.alerts), "alert_kinds": dict(sorted(kinds.items())),
            "seconds": round(result.seconds, 1)}


def print_summary(console: Console, result: ReplayResult) -> None:
    kinds = Counter(kind for alert in result.alerts for kind in alert["kinds"])
    table = Table(title=f"replay: {result.inputs} inputs in {result.seconds:.1f} s", show_header=True)
    table.add_column("")
    table.add_column("count", justify="right")
    table.add_row("inputs", str(result.inputs))
    table.add_row("dead letters", str(result.deadletters))
    table.add_row("delta records", str(len(result.deltas)))
    table.add_row("alerts", str(len(result.alerts)))
    for kind, count in sorted(kinds.items()):
        table.add_row(f"  {kind}", str(count))
    console.print(table)


def compare(previous: Path, alerts: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Alerts added, removed and changed against a previous run's JSONL (by alert_id, then by
    company and quarter, so a changed rule that changes ids still pairs the alerts up)."""
    old = {a["alert_id"]: a for a in read_records(previous, "alert_id")}
    new = {a["alert_id"]: a for a in alerts}
    same_ids = set(old) & set(new)
    changed = [(old[i], new[i]) for i in sorted(same_ids) if _content(old[i]) != _content(new[i])]
    by_quarter_old = {(a["company"], a["period_end"], a["trigger"]): a for i, a in old.items() if i not in new}
    by_quarter_new = {(a["company"], a["period_end"], a["trigger"]): a for i, a in new.items() if i not in old}
    for key in sorted(set(by_quarter_old) & set(by_quarter_new)):
        changed.append((by_quarter_old.pop(key), by_quarter_new.pop(key)))
    return {"added": list(by_quarter_new.values()), "removed": list(by_quarter_old.values()), "changed": changed}


def _content(alert: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in alert.items() if k not in ("created_at",)}


def print_comparison(console: Console, diff: dict[str, list[Any]]) -> None:
    table = Table(title="compared with the previous run", show_header=True)
    for column in ("change", "company", "quarter", "was", "now"):
        table.add_column(column)
    for alert in diff["added"]:
        table.add_row("added", alert["company"], alert["fiscal_period"], "", f"{alert['severity']} {','.join(alert['kinds'])}")
    for alert in diff["removed"]:
        table.add_row("removed", alert["company"], alert["fiscal_period"], f"{alert['severity']} {','.join(alert['kinds'])}", "")
    for before, after in diff["changed"]:
        fields = sorted(k for k in set(before) | set(after) if k != "created_at" and before.get(k) != after.get(k))
        table.add_row("changed", after["company"], after["fiscal_period"],
                      f"{before['severity']} {','.join(before['kinds'])}",
                      f"{after['severity']} {','.join(after['kinds'])} ({', '.join(fields)})")
    console.print(table)
    console.print(f"{len(diff['added'])} added, {len(diff['removed'])} removed, {len(diff['changed'])} changed")
