"""`cloudpulse demo`: the whole pipeline once, on real data, with nothing left running after.

Steps: start the dev broker (unless a broker URL is given) -> create topics -> start a worker
subprocess -> publish releases -> wait until the worker's committed offsets reach the end of
its input topics -> print alerts and per-company quarter tables -> stop what we started.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
import uuid
from collections import Counter
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from subprocess import Popen
from typing import Any

from rich.console import Console

from schemas.company import Registry
from streams.launcher import worker_process
from streams.publisher import prepare, send_all
from streams.report import print_alerts, print_quarter_tables
from streams.settings import Settings
from streams.topics import ALERTS, DRAFTS, RELEASES, VALID_RELEASES

# Quarter tables need ~130 columns; a pipe or a narrow terminal would truncate every cell.
console = Console(highlight=False, width=max(shutil.get_terminal_size((132, 40)).columns, 132))


def bundled_releases() -> list[bytes]:
    """Every bundled release line, in publication order."""
    folder = resources.files("streams").joinpath("data/releases")
    lines = [
        line
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".jsonl")
        for line in entry.read_bytes().splitlines()
        if line.strip()
    ]
    return sorted(lines, key=lambda line: json.loads(line).get("published_at", ""))


def wait_processed(settings: Settings, published: int, proc: Popen[bytes], timeout: float) -> bool:
    """True when the worker has committed past every input and every record forwarded from it.

    Offsets, not sleeps, read hop by hop: first the input topic (all ``published`` records in
    it, all committed), then the internal topics. A commit waits until the records the input
    produced are acknowledged (streams/consumer.py), so once the input is committed, whatever it
    forwarded (a re-keyed release, a draft) is already in the internal topics, and reading those
    afterwards cannot see them "done" merely because nothing reached them yet. A release whose
    key already places it is analysed in place and forwards nothing (streams/placement.py).
    """
    from streams.offsets import all_committed, end_offsets, poll_until

    source = [settings.topic(RELEASES)]
    internal = [settings.topic(VALID_RELEASES), settings.topic(DRAFTS)]

    def done() -> bool:
        if sum(end_offsets(settings, source).values()) < published or not all_committed(settings, source):
            return False
        if not all_committed(settings, internal):
            return False
        if settings.llm_enabled:
            # Every draft must have become an alert (the write agent is the last hop).
            drafts = sum(end_offsets(settings, [settings.topic(DRAFTS)]).values())
            return sum(end_offsets(settings, [settings.topic(ALERTS)]).values()) >= drafts
        return True

    return poll_until(done, proc, timeout)

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def run_demo(
    *, broker: str | None, releases: Path | None, alerts_out: Path | None, deltas_out: Path | None, timeout: float,
    deliver_config: Path | None = None,
) -> int:
    started = time.monotonic()
    with ExitStack() as stack:
        out_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cloudpulse-demo-")))
        run_id = uuid.uuid4().hex[:8]
        if broker is None:
            from streams.broker import EmbeddedBroker

            embedded = stack.enter_context(EmbeddedBroker())
            console.print(f"[dim]dev broker (Tansu) on {embedded.bootstrap}[/]")
            base = {"broker": embedded.url, "dev_broker": True, "app_id": "cloudpulse-demo"}
        else:
            # A shared broker: isolate this run's topics and consumer group.
            base = {"broker": broker, "app_id": f"cloudpulse-demo-{run_id}", "topic_prefix": f"demo-{run_id}."}
        settings = Settings.load(
            **base,
            alerts_out=alerts_out or out_dir / "alerts.jsonl",
            deltas_out=deltas_out or out_dir / "deltas.jsonl",
            commit_interval=0.2,
            log_level="WARNING",
            web_enabled=False,
            delivery_file=deliver_config,  # docs/delivery.md; None: no delivery, as before
        )
        for path in (settings.alerts_out, settings.deltas_out):
            if path is not None and path.exists():
                path.unlink()  # the demo shows this run only; the sinks de-duplicate by id

        from streams.topics import all_topics, ensure_topics

        ensure_topics(settings, all_topics(settings))
        lines = releases.read_bytes().splitlines() if releases else bundled_releases()
        messages, refused = prepare(lines, validate_releases=True, registry=Registry.load(settings.registry_file),
                                    max_bytes=settings.max_payload_bytes)
        for line_no, reason in refused:
            console.print(f"[yellow]line {line_no} refused before publishing: {reason}[/]")

        log_path = out_dir / "worker.log"
        proc = stack.enter_context(worker_process(settings, log_path))
        send_all(settings, settings.topic(RELEASES), messages)
        console.print(f"[dim]published {len(messages)} releases; waiting for the worker…[/]")
        ok = wait_processed(settings, len(messages), proc, timeout)
        if not ok:
            console.print("[red]the worker did not finish processing in time; its log ends with:[/]")
            console.print(log_path.read_text("utf-8", errors="replace")[-4000:])
            return 1
        # News after the releases, so the sample's cross-check finds the quarter it contradicts.
        from streams.news_demo import (
            DEMO_RELEVANT,
            bundled_articles,
            publish_articles,
            wait_news_processed,
        )

        articles = bundled_articles()
        publish_articles(settings, articles)
        console.print(f"[dim]published {len(articles)} news articles; waiting for the news agents…[/]")
        if not wait_news_processed(settings, relevant=DEMO_RELEVANT, proc=proc, timeout=timeout):
            console.print("[red]the worker did not finish the news in time; its log ends with:[/]")
            console.print(log_path.read_text("utf-8", errors="replace")[-4000:])
            return 1
        if deliver_config is not None:
            from streams.delivery_report import delivery_summary, wait_delivered

            if not wait_delivered(settings, proc, timeout):
                console.print("[yellow]deliveries still pending when the demo stopped (see the receivers)[/]")
            console.print("[bold]deliveries[/]\n" + delivery_summary(settings))

        alerts = read_jsonl(settings.alerts_out)  # type: ignore[arg-type]
        deltas = read_jsonl(settings.deltas_out)  # type: ignore[arg-type]
        print_alerts(console, alerts)
        writers = Counter(a["generated_by"] for a in alerts)
        print_quarter_tables(console, deltas, Registry.load(settings.registry_file))
        kept = [p for p in (alerts_out, deltas_out) if p]
        console.print(
            f"\n[bold]{len(messages)} releases + {len(articles)} articles → {len(deltas)} delta records → "
            f"{len(alerts)} alerts[/] "
            f"in {time.monotonic() - started:.1f} s"
            + (f"; written to {', '.join(map(str, kept))}" if kept else "")
        )
        console.print("alert text by: " + ", ".join(f"{name} × {count}" for name, count in sorted(writers.items())))
    return 0
