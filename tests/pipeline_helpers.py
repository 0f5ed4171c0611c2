"""Helpers for tests that run real workers against the session broker."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from kafka import KafkaConsumer

from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.news.agent import build_news, plan_alerts
from agents.rules import RuleSet
from schemas.company import Registry
from schemas.release import parse_release
from streams.demo import bundled_releases
from streams.offsets import end_offsets
from streams.settings import Settings

REPO = Path(__file__).resolve().parents[1]


def alibaba_lines() -> list[bytes]:
    return [line for line in bundled_releases() if json.loads(line)["company"] == "BABA"]


def read_topic(settings: Settings, logical: str) -> list[Any]:
    """Every record currently in a topic (by its corrected end offsets), in partition order."""
    return read_topic_named(settings, settings.topic(logical))


def read_topic_named(settings: Settings, name: str) -> list[Any]:
    """:func:`read_topic` by the topic's full name (a table changelog has no logical name)."""
    ends = end_offsets(settings, [name])
    consumer = KafkaConsumer(bootstrap_servers=settings.bootstrap_servers, group_id=None,
                             enable_auto_commit=False, fetch_max_wait_ms=50)
    try:
        tps = [tp for tp, end in ends.items() if end > 0]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        records: list[Any] = []
        remaining = {tp: end for tp, end in ends.items() if end > 0}
        while remaining:
            for tp, batch in consumer.poll(timeout_ms=1000).items():
                records.extend(batch)
                if consumer.position(tp) >= remaining.get(tp, 0):
                    remaining.pop(tp, None)
        return records
    finally:
        consumer.close()


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


async def offline_alerts(lines: list[bytes]) -> list[dict[str, Any]]:
    """The alerts the pipeline must produce, computed in-process over a plain dict."""
    registry = Registry.load(None)
    stage = AnalysisStage(DeltaEngine(), RuleSet.load(None))
    table: dict[str, Any] = {}
    alerts: list[dict[str, Any]] = []
    # Spending-plan pace alerts follow a release with capex in the worker (agents/news/agent.py).
    plans_pipe = SimpleNamespace(settings=Settings(), table=table, counters=Counter())
    news = build_news(plans_pipe.settings, registry, {}, {}, reader=object())
    for line in lines:
        release = parse_release(line, registry, max_bytes=262144)
        result = await stage.process(release, table)
        alerts.extend(alert.model_dump(mode="json") for alert in result.alerts)
        alerts.extend(alert.model_dump(mode="json") for alert in plan_alerts(plans_pipe, news, release))
    return alerts


def comparable(alert: dict[str, Any]) -> dict[str, Any]:
    """An alert without its wall-clock stamp."""
    return {k: v for k, v in alert.items() if k != "created_at"}


def answer(**fields: str) -> str:
    """An LLM answer body (JSON text) with placeholder fields unless given."""
    base = {"title_zh": "标题文字", "title_en": "Title text", "text_zh": "正文内容很短。", "text_en": "Body text, short.",
            "takeaways": []}
    base.update(fields)
    return json.dumps(base, ensure_ascii=False)


async def one_pass_outputs(lines: list[bytes]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Alerts and deltas by id from one pass over ``lines``, the way the worker's two hops do it
    (validate, re-key, analyse the re-keyed bytes with recorded outputs), without Kafka: the
    reference a crashed-and-restarted worker must reproduce exactly."""
    from agents.outputs import analyse_once
    from schemas.release import EarningsRelease, normalise

    registry = Registry.load(None)
    stage = AnalysisStage(DeltaEngine(), RuleSet.load(None))
    store: dict[str, Any] = {}
    alerts: dict[str, dict[str, Any]] = {}
    deltas: dict[str, dict[str, Any]] = {}
    for line in lines:
        valid = parse_release(line, registry, max_bytes=262144)
        raw = valid.raw.model_copy(update={"company": valid.company_id}).model_dump_json().encode()
        result = await analyse_once(stage, normalise(EarningsRelease.model_validate_json(raw), registry), raw, store)
        alerts.update({a.alert_id: a.model_dump(mode="json") for a in result.alerts})
        deltas.update({d.delta_id: d.model_dump(mode="json") for d in result.deltas})
    return alerts, deltas
