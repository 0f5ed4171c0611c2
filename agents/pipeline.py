"""The Faust agents: the release pipeline wired onto an app.

    earnings.releases --ingest--> cloudpulse.releases.valid (keyed by company)
                         \\--> cloudpulse.deadletter
                         \\--(already keyed and placed by company: analysed in place)
    cloudpulse.releases.valid --analyse (history table)--> cloudpulse.deltas, cloudpulse.alerts
                                                            (+ optional JSONL sinks)
    with an LLM configured, analyse sends its template-written alerts to
    cloudpulse.alerts.drafts --write (LLM, concurrency N)--> cloudpulse.alerts

The LLM hop is its own agent so a slow or failing endpoint never holds up ingest and analysis:
they keep consuming while drafts wait for words.

Both agents run with concurrency 1 and catch per event: an exception that escaped an agent
would lose the message, so every failure becomes a dead-letter record instead. Re-keying by
company makes the history table co-partitioned with its source, whatever key the producer of
``earnings.releases`` used; a record that already has the canonical key on the right partition
skips that hop (streams/placement.py) and is analysed by the ingest agent itself. One lock
serialises the analyses of both agents, so history is never read and written by two at once.

Records leave through streams/outbox.py (straight to the producer) and table writes through
streams/changelog.py (one ordered batch per release): Faust's per-record wrappers were most
of the worker's time (docs/benchmarks.md). JSONL sink lines are written per event and fsynced
once per commit (a commit barrier), before the offsets that cover them.

Usage::

    register(app, settings)                      # defaults: bundled registry and rules, templates
    register(app, settings, writer=my_writer)    # any object with async write(draft)
    register(app, settings, llm=llm_writer)      # agents.llm.writer.LLMWriter (build_writer(settings))
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import faust

from agents.alerts import Writer
from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.ingest import IngestStage, Source, dead_letter, internal_error
from agents.llm.writer import LLMWriter
from agents.outputs import analyse_recorded
from agents.rules import RuleSet
from agents.sinks import JsonlSink
from schemas.alert import Alert
from schemas.company import Registry
from schemas.deadletter import DeadLetter
from schemas.errors import InvalidInput
from schemas.release import EarningsRelease, Release, normalise
from streams.changelog import TableWriter
from streams.consumer import add_commit_barrier, fresh_events
from streams.outbox import Outbox
from streams.placement import Placement
from streams.settings import Settings
from streams.topics import (
    ALERTS,
    DEADLETTER,
    DELTAS,
    DRAFTS,
    HISTORY_TABLE,
    RELEASES,
    VALID_RELEASES,
)

log = logging.getLogger("cloudpulse.pipeline")



@dataclass(slots=True)
class Pipeline:
    """Handles the agents share: stages, topics, table, sinks, counters."""

    settings: Settings
    ingest: IngestStage
    analysis: AnalysisStage
    registry: Registry
    counters: Counter[str] = field(default_factory=Counter)
    alerts_sink: JsonlSink | None = None
    deltas_sink: JsonlSink | None = None
    llm: LLMWriter | None = None
    topics: dict[str, Any] = field(default_factory=dict)
    table: Any = None
    news: Any = None  # agents.news.agent.NewsPath when the news agents run
    outbox: Outbox | None = None  # None: records go through the topic objects' send (tests)
    table_writer: TableWriter | None = None  # None: table writes are plain assignments (tests)
    placement: Placement | None = None  # None: every valid release takes the re-key hop
    analysis_lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def register(
    app: faust.App,
    settings: Settings,
    *,
    writer: Writer | None = None,
    registry: Registry | None = None,
    rules: RuleSet | None = None,
    llm: LLMWriter | None = None,
) -> Pipeline:
    registry = registry or Registry.load(settings.registry_file)
    rules = rules or RuleSet.load(settings.rules_file)
    pipe = Pipeline(
        settings=settings,
        ingest=IngestStage(registry, max_bytes=settings.max_payload_bytes),
        analysis=AnalysisStage(DeltaEngine(), rules, writer),
        registry=registry,
        llm=llm,
    )
    topic = lambda name: app.topic(settings.topic(name), key_type=bytes, value_type=bytes,  # noqa: E731
                                   partitions=settings.partitions)
    pipe.topics = {name: topic(name) for name in (RELEASES, VALID_RELEASES, DEADLETTER, DRAFTS, ALERTS, DELTAS)}
    pipe.table = app.Table(
        HISTORY_TABLE, default=None, partitions=settings.partitions,
        # The app's default codec is raw bytes (topics carry JSON we validate ourselves);
        # the table stores JSON-able dicts, so its changelog needs the json codec.
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
    )
    app.cloudpulse = pipe  # type: ignore[attr-defined]  # for the CLI, web views and tests
    pipe.outbox = Outbox(app)
    pipe.table_writer = TableWriter(pipe.table, pipe.outbox)
    pipe.placement = Placement(app, settings.partitions)

    # Opened here, not in an app task: agents may receive events before app tasks have run,
    # and an event handled with no sink open would be committed without its line (seen after
    # restarts in bench/faults/sigkill.py).
    if settings.alerts_out:
        pipe.alerts_sink = JsonlSink(settings.alerts_out, id_field="alert_id")
    if settings.deltas_out:
        pipe.deltas_sink = JsonlSink(settings.deltas_out, id_field="delta_id")
    for sink in (pipe.alerts_sink, pipe.deltas_sink):
        if sink is not None:
            add_commit_barrier(app, sink.barrier)

    if settings.reads(RELEASES):  # a replay phase may read only news (streams/replay.py)
        @app.agent(pipe.topics[RELEASES], name="cloudpulse.ingest", concurrency=1)
        async def ingest(stream: faust.StreamT) -> None:
            async for event in fresh_events(stream):
                await ingest_event(pipe, event)

    @app.agent(pipe.topics[VALID_RELEASES], name="cloudpulse.analyse", concurrency=1)
    async def analyse(stream: faust.StreamT) -> None:
        async for event in fresh_events(stream):
            await analyse_event(pipe, event)

    if llm is not None:
        @app.agent(pipe.topics[DRAFTS], name="cloudpulse.write", concurrency=settings.llm_max_concurrency)
        async def write(stream: faust.StreamT) -> None:
            async for event in fresh_events(stream):
                await write_event(pipe, event)

    if settings.news_enabled:  # docs/news.md
        from agents.news.agent import register_news

        pipe.news = register_news(app, pipe, settings)

    if settings.delivery_file and settings.deliver:  # docs/delivery.md; without a file, no delivery agent
        from agents.delivery.agent import register_delivery

        register_delivery(app, pipe, settings)
    return pipe


def _source(event: Any) -> Source:
    message = event.message
    return Source(message.topic, message.partition, message.offset, message.key)


async def send(pipe: Pipeline, name: str, key: bytes, value: bytes) -> None:
    topic = pipe.topics[name]
    if pipe.outbox is not None:
        await pipe.outbox.send(topic.get_topic_name(), key, value)
    else:  # a pipeline without an app (tests): the topic object's own send
        await topic.send(key=key, value=value)
    pipe.counters[f"out.{topic.get_topic_name()}"] += 1


async def send_deadletter(pipe: Pipeline, record: DeadLetter) -> None:
    pipe.counters[f"deadletter.{record.reason}"] += 1
    log.warning("dead letter from %s[%d]@%d: %s", record.source_topic, record.source_partition, record.source_offset,
                record.summary, extra={"reason": record.reason})
    await send(pipe, DEADLETTER, record.source_topic.encode(), record.model_dump_json().encode())


def in_window(pipe: Pipeline, event: Any) -> bool:
    """Replay bounds: offsets captured at start, and the --since/--until time window.

    Record time is checked here, on every record, because a broker's time index can only be
    trusted to find a starting point (and Tansu's cannot be trusted at all, see BROKER notes in
    streams/tansu_workarounds.py).
    """
    settings = pipe.settings
    message = event.message
    end = settings.replay_end_offsets.get(f"{message.topic}:{message.partition}") if settings.replay_end_offsets else None
    if end is not None and message.offset >= end:
        pipe.counters["skipped.after_end"] += 1
        return False
    stamp = message.timestamp  # seconds since the epoch (Faust); record CreateTime as produced
    if settings.replay_since is not None and stamp < settings.replay_since.timestamp():
        pipe.counters["skipped.before_since"] += 1
        return False
    if settings.replay_until is not None and stamp > settings.replay_until.timestamp():
        pipe.counters["skipped.after_until"] += 1
        return False
    return True


async def ingest_event(pipe: Pipeline, event: Any) -> None:
    source = _source(event)
    pipe.counters[f"in.{source.topic}"] += 1
    if not in_window(pipe, event):
        return
    result = pipe.ingest.process(event.value, source)
    if isinstance(result, DeadLetter):
        pipe.counters[f"invalid.{result.reason}"] += 1
        await send_deadletter(pipe, result)
        return
    key, payload = rekeyed(result)
    if pipe.placement is not None and pipe.placement.in_place(event.message, key):
        pipe.counters["analysis.in_place"] += 1
        # ``result`` is what validating ``payload`` again would give (tests/test_agents/test_rekey.py).
        await analyse_payload(pipe, payload, source, original=event.value or b"", release=result)
        return
    await send(pipe, VALID_RELEASES, key, payload)


def rekeyed(release: Release) -> tuple[bytes, bytes]:
    """The canonical company id and the validated payload of an accepted release.

    The analysis agent's table is partitioned by that key; the payload is what the analysis
    reads and what its recorded outputs are keyed by (agents/outputs.py), on either path.
    """
    assert release.raw is not None
    payload = release.raw.model_copy(update={"company": release.company_id}).model_dump_json().encode()
    return release.company_id.encode(), payload


async def analyse_event(pipe: Pipeline, event: Any) -> None:
    source = _source(event)
    pipe.counters[f"in.{source.topic}"] += 1
    await analyse_payload(pipe, event.value or b"", source)


async def analyse_payload(pipe: Pipeline, raw: bytes, source: Source, *, original: bytes | None = None,
                          release: Release | None = None) -> None:
    """Analyse one validated, re-keyed release (``raw``, or already read: ``release``);
    ``original`` is what a dead letter keeps."""
    try:
        if release is None:
            release = normalise(EarningsRelease.model_validate_json(raw), pipe.registry)
        write = pipe.table_writer.put_all if pipe.table_writer is not None else None
        async with pipe.analysis_lock:
            # Recorded outputs: a release analysed again (at-least-once) re-emits its first outputs.
            outputs = await analyse_recorded(pipe.analysis, release, raw, pipe.table, write)
    except Exception as exc:  # dead-letter, never crash: the agent must keep consuming
        log.exception("analysis failed on %s[%d]@%d", source.topic, source.partition, source.offset)
        reason = exc if isinstance(exc, InvalidInput) else internal_error(exc)
        await send_deadletter(pipe, dead_letter(raw if original is None else original, source, reason))
        return
    result = outputs.analysis
    key = release.company_id.encode()
    for delta, text in zip(result.deltas, outputs.deltas_json, strict=True):
        await send(pipe, DELTAS, key, text.encode())
        if pipe.deltas_sink is not None:
            pipe.deltas_sink.write_json(delta.delta_id, text)  # fsync: commit barrier
    for alert, text in zip(result.alerts, outputs.alerts_json, strict=True):
        if pipe.llm is not None:
            await send(pipe, DRAFTS, key, text.encode())
        else:
            await publish_alert(pipe, alert, text)
    if pipe.news is not None:  # spending-plan pace when the release reports capex (docs/news.md)
        from agents.news.agent import after_release

        await after_release(pipe, release)
    pipe.counters["analysis.releases"] += 1
    pipe.counters["analysis.deltas"] += len(result.deltas)
    log.info("release %s %s %s: %s, %d deltas, %d alerts", release.release_id, release.company_id,
             release.fiscal_period, result.status, len(result.deltas), len(result.alerts),
             extra={"company": release.company_id, "release_id": release.release_id})


async def publish_alert(pipe: Pipeline, alert: Alert, text: str | None = None) -> None:
    """Send ``alert`` (``text``: its JSON, if already made) to the alerts topic and sink."""
    text = alert.model_dump_json() if text is None else text
    await send(pipe, ALERTS, alert.company.encode(), text.encode())
    if pipe.alerts_sink is not None:
        pipe.alerts_sink.write_json(alert.alert_id, text)  # fsync: commit barrier
    writer = alert.generated_by.split(":")[0]
    pipe.counters[f"alert.{alert.kind}.{alert.severity}.{writer}"] += 1
    log.info("alert %s %s %s %s [%s]", alert.alert_id, alert.company, alert.fiscal_period, alert.title_en,
             alert.generated_by,
             extra={"company": alert.company, "release_id": alert.release_id, "alert_id": alert.alert_id})


async def write_event(pipe: Pipeline, event: Any) -> None:
    """Words from the LLM for one draft; the draft's template text if anything goes wrong."""
    assert pipe.llm is not None
    source = _source(event)
    pipe.counters[f"in.{source.topic}"] += 1
    raw = event.value or b""
    try:
        draft = Alert.model_validate_json(raw)
    except Exception as exc:  # only our own analyse agent writes here; still, never crash
        await send_deadletter(pipe, dead_letter(raw, source, internal_error(exc)))
        return
    try:
        # Company-supplied strings go to the model only as delimited data (prompt injection).
        untrusted = {"release_id": draft.release_id, "source_url": draft.source_url or ""}
        written = await pipe.llm.write_alert(draft, untrusted)
        alert = draft.model_copy(update={
            "title_zh": written.title_zh, "title_en": written.title_en,
            "text_zh": written.text_zh, "text_en": written.text_en, "generated_by": written.generated_by,
        })
    except Exception:
        log.exception("writer failed on %s; delivering the template text", draft.alert_id)
        alert = draft.model_copy(update={"generated_by": "template:fallback:internal_error"})
    await publish_alert(pipe, alert)
