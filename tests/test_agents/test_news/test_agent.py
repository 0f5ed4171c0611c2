"""The news agents' per-event functions, with in-memory topics and tables (no broker)."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from types import SimpleNamespace
from typing import Any

import pytest

from agents.news.agent import analyse_article, build_news, ingest_article, plan_alerts
from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from streams.settings import Settings
from streams.topics import ALERTS, DEADLETTER, NEWS, NEWS_RELEVANT
from tests.test_agents.builders import bundled_releases, registry
from tests.test_agents.test_news.news_builders import alibaba_history


@dataclass
class FakeTopic:
    name: str
    sent: list[tuple[bytes, bytes]] = field(default_factory=list)

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))

    def get_topic_name(self) -> str:
        return self.name


@dataclass
class FakePipe:
    settings: Settings
    registry: Any
    table: dict[str, Any]
    counters: Counter = field(default_factory=Counter)
    llm: Any = None
    alerts_sink: Any = None
    news: Any = None
    outbox: Any = None  # records go through the FakeTopics
    topics: dict[str, FakeTopic] = field(default_factory=lambda: {
        name: FakeTopic(name) for name in (NEWS, NEWS_RELEVANT, ALERTS, DEADLETTER)})


def sample_lines() -> list[bytes]:
    data = resources.files("streams").joinpath("data/news/sample.jsonl").read_bytes()
    return [line for line in data.splitlines() if line.strip()]


def event(topic: str, value: bytes, offset: int = 0) -> Any:
    message = SimpleNamespace(topic=topic, partition=0, offset=offset, key=b"k", timestamp=1.7e9)
    return SimpleNamespace(message=message, value=value)


def make_pipe(history_through: str = "2025-09-30") -> FakePipe:
    pipe = FakePipe(Settings(), registry(), alibaba_history(history_through))
    pipe.news = build_news(pipe.settings, pipe.registry, {}, {})
    return pipe


async def run(pipe: FakePipe, lines: list[bytes]) -> list[Alert]:
    for n, line in enumerate(lines):
        await ingest_article(pipe, pipe.news, event(NEWS, line, n))
    relevant = list(pipe.topics[NEWS_RELEVANT].sent)
    for n, (_, value) in enumerate(relevant):
        await analyse_article(pipe, pipe.news, event(NEWS_RELEVANT, value, n))
    return [Alert.model_validate_json(v) for _, v in pipe.topics[ALERTS].sent]


def test_sample_news_gives_one_corroborated_story_and_a_discrepancy() -> None:
    pipe = make_pipe()
    lines = sample_lines()
    # + a redelivered copy, + invalid bytes
    alerts = asyncio.run(run(pipe, [*lines[:3], lines[2], *lines[3:], b"{broken"]))
    first, corroborated = [a for a in alerts if a.news.story_id == alerts[0].news.story_id]
    assert [s.outlet for s in first.news.sources] == ["财新"]
    assert [s.outlet for s in corroborated.news.sources] == ["财新", "經濟日報", "新浪财经"]
    assert corroborated.revises == first.alert_id and "3家媒体" in corroborated.title_zh
    assert first.plan is not None and first.plan.plan_id == "baba-cloud-ai-2025"  # the configured plan, not a copy
    (discrepancy,) = [a for a in alerts if a.kind == "news_discrepancy"]
    (check,) = [c for c in discrepancy.news.checks if c.outcome == "discrepancy"]
    assert (check.outlet, check.release_id) == ("第一财经", "BABA-FY2026Q2-results")
    assert "388亿元" in discrepancy.text_zh and "398.24亿元" in discrepancy.text_zh and discrepancy.severity == "warning"
    (confirmed,) = [a for a in alerts if a.news.sources[0].outlet == "Reuters"]
    assert {c.outcome for c in confirmed.news.checks} == {"confirms"} and confirmed.severity == "info"
    assert len(alerts) == 4
    (dead,) = [DeadLetter.model_validate_json(v) for _, v in pipe.topics[DEADLETTER].sent]
    assert dead.reason == "invalid_json"
    counts = {k: v for k, v in pipe.counters.items() if k.startswith("news.")}
    assert counts["news.articles"] == 7 and counts["news.stories_updated"] == 3 and counts["news.irrelevant"] == 1 and counts["news.stories_new"] == 3
    assert counts["news.discrepancies"] == 1


def test_replaying_the_same_articles_gives_the_same_alerts() -> None:
    one, two = make_pipe(), make_pipe()
    first = [a.model_dump(mode="json") for a in asyncio.run(run(one, sample_lines()))]
    second = [a.model_dump(mode="json") for a in asyncio.run(run(two, sample_lines()))]
    assert first == second


def test_a_restarted_worker_rebuilds_the_index_and_sends_nothing_twice() -> None:
    pipe = make_pipe()
    lines = sample_lines()
    asyncio.run(run(pipe, lines[:2]))
    stories = pipe.news.stories.store
    restarted = make_pipe()
    restarted.news = build_news(restarted.settings, restarted.registry, stories, {})
    alerts = asyncio.run(run(restarted, lines[:3]))  # the first two again (redelivered), then the third
    assert [len(a.news.sources) for a in alerts] == [3]  # only the corroboration revision


def test_plan_pace_alerts_when_out_of_margin_and_when_back() -> None:
    pipe = make_pipe(history_through="2025-03-31")
    from agents.deltas import DeltaEngine

    statuses = []
    for release in bundled_releases("alibaba.jsonl"):
        DeltaEngine().apply(release, pipe.table)
        for alert in plan_alerts(pipe, pipe.news, release):
            statuses.append((alert.fiscal_period, alert.plan.status, alert.severity, alert.revises is not None))
        assert plan_alerts(pipe, pipe.news, release) == []  # a redelivered release: already sent
    assert statuses == [("FY2026Q1", "ahead", "warning", False), ("FY2026Q2", "on_pace", "info", True)]


@pytest.mark.parametrize("value", [b"\xff\xfe", b'{"article_id": "x"}', b"[]"])
def test_invalid_articles_are_dead_lettered_with_their_bytes(value: bytes) -> None:
    pipe = make_pipe()
    asyncio.run(ingest_article(pipe, pipe.news, event(NEWS, value)))
    (dead,) = [DeadLetter.model_validate_json(v) for _, v in pipe.topics[DEADLETTER].sent]
    assert dead.source_topic == NEWS and pipe.topics[NEWS_RELEVANT].sent == []


def test_a_reader_failure_is_dead_lettered_not_raised() -> None:
    pipe = make_pipe()

    class Broken:
        def read(self, article: Any) -> Any:
            raise RuntimeError("boom")

    pipe.news.reader = Broken()
    asyncio.run(ingest_article(pipe, pipe.news, event(NEWS, sample_lines()[0])))
    (dead,) = [DeadLetter.model_validate_json(v) for _, v in pipe.topics[DEADLETTER].sent]
    assert dead.reason == "internal_error"


def test_relevant_topic_is_keyed_by_subject_company() -> None:
    pipe = make_pipe()
    asyncio.run(ingest_article(pipe, pipe.news, event(NEWS, sample_lines()[0])))
    ((key, value),) = pipe.topics[NEWS_RELEVANT].sent
    assert key == b"BABA" and json.loads(value)["reading"]["article_id"] == "caixin-20250224-ai-capex"


def test_news_before_its_release_is_rechecked_when_the_release_lands() -> None:
    from agents.news.agent import after_release

    pipe = make_pipe(history_through="2025-06-30")  # FY2026Q2 not reported yet
    yicai = sample_lines()[3]
    (early,) = asyncio.run(run(pipe, [yicai]))
    assert early.news.checks == [] and early.severity == "info"
    (q2,) = [r for r in bundled_releases("alibaba.jsonl") if r.fiscal_period == "FY2026Q2"]
    from agents.deltas import DeltaEngine

    DeltaEngine().apply(q2, pipe.table)
    before = len(pipe.topics[ALERTS].sent)
    asyncio.run(after_release(pipe, q2))
    asyncio.run(after_release(pipe, q2))  # redelivered release: nothing more
    new = [Alert.model_validate_json(v) for _, v in pipe.topics[ALERTS].sent[before:]]
    rechecked = [a for a in new if a.trigger == "news"]
    assert len(rechecked) == 1 and rechecked[0].revises == early.alert_id
    assert rechecked[0].kind == "news_discrepancy" and rechecked[0].severity == "warning"
    assert pipe.counters["news.rechecked"] == 1


class RefusingWriter:
    """A TableWriter whose producer refuses every record (as aiokafka does past max_request_size)."""

    def __init__(self) -> None:
        self.batches: list[list[tuple[str, Any]]] = []

    async def put_all(self, items: list[tuple[str, Any]]) -> None:
        self.batches.append(items)
        raise RuntimeError("MessageSizeTooLargeError: the message is 1049055 bytes")


def test_a_story_write_the_producer_refuses_is_a_dead_letter_not_a_crash() -> None:
    pipe = make_pipe()
    pipe.news.story_writer = RefusingWriter()
    lines = sample_lines()
    asyncio.run(run(pipe, lines[:1]))
    assert pipe.news.story_writer.batches  # the story update went to the writer, as one batch
    (dead,) = [DeadLetter.model_validate_json(v) for _, v in pipe.topics[DEADLETTER].sent]
    assert dead.source_topic == NEWS_RELEVANT and "MessageSizeTooLarge" in dead.summary
    assert pipe.news.stories.store == {}  # nothing half-written: the staged writes were not applied
    assert pipe.topics[ALERTS].sent == []
