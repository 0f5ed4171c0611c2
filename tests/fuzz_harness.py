"""Runs one payload through the agents' own per-event functions, in-process, and judges it.

Releases go through ``agents.pipeline.ingest_event`` and, when accepted, ``analyse_event`` on
a copy of a history table holding the bundled quarters (so fuzzed figures meet real deltas and
rules). Only the Kafka topics are replaced, by recorders. Articles go through the news ingest
stage (:func:`article_stage`). A verdict lists what is wrong; an empty list is a pass:

- an exception escaped (the agent would die or the event be lost),
- an input neither forwarded nor dead-lettered, or both,
- a dead-letter record whose reason is not in REASONS, is ``internal_error`` (a bug caught
  by the safety net), does not parse back, or whose original bytes do not round-trip,
- an accepted release the analysis agent then refused, or whose forwarded payload does not
  re-validate.

Usage::

    harness = ReleaseHarness()
    verdict = harness.check(case)       # case: fuzz_payloads.Case
    assert not verdict.problems, verdict
"""

from __future__ import annotations

import asyncio
import logging
from collections import ChainMap, Counter
from dataclasses import dataclass, field
from typing import Any

from fuzz_payloads import Case, release_seeds

from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.ingest import IngestStage, Source, dead_letter, internal_error
from agents.pipeline import Pipeline, analyse_event, ingest_event
from agents.rules import RuleSet
from schemas.article import Article, parse_article
from schemas.company import Registry
from schemas.deadletter import DeadLetter
from schemas.errors import REASONS, InputProblem, InvalidInput
from schemas.release import EarningsRelease, parse_release
from streams.settings import Settings
from streams.topics import DEADLETTER, RELEASES, VALID_RELEASES

ARTICLES = "news.articles"


@dataclass(slots=True)
class Verdict:
    family: str
    outcome: str  # "accepted" | "deadletter:<reason>" | "crash" | "lost" | "duplicated"
    problems: list[str] = field(default_factory=list)


class RecordingTopic:
    """Stands in for a Faust topic: keeps what the agent sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: list[tuple[bytes, bytes]] = []

    def get_topic_name(self) -> str:
        return self.name

    async def send(self, *, key: bytes, value: bytes) -> None:
        self.sent.append((key, value))


@dataclass(slots=True)
class _Message:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp: float = 1_764_000_000.0


@dataclass(slots=True)
class _Event:
    value: bytes | None
    message: _Message


def judge_deadletter(sent: bytes, raw: bytes | None) -> tuple[str, list[str]]:
    """The outcome name and the problems of one dead-letter record as it was put on the topic."""
    try:
        record = DeadLetter.model_validate_json(sent)
    except Exception as exc:  # noqa: BLE001 - any escape is the finding
        return "deadletter:?", [f"dead-letter record does not parse back: {exc!r}"[:300]]
    problems = []
    if record.reason not in REASONS:
        problems.append(f"reason {record.reason!r} not in REASONS")
    if record.reason == "internal_error":
        problems.append(f"internal_error (a bug caught by the safety net): {record.summary[:300]}")
    if record.original() != (raw or b""):
        problems.append("original bytes do not round-trip")
    return f"deadletter:{record.reason}", problems


def expectation(case: Case, outcome: str) -> list[str]:
    if case.expect is None or outcome == "crash":
        return []
    wanted = "accepted" if case.expect == "valid" else f"deadletter:{case.expect}"
    return [] if outcome == wanted else [f"expected {wanted}, got {outcome}"]


class ReleaseHarness:
    """The release agents' per-event path (ingest, then analyse) on recording topics."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.load()
        self.registry = Registry.load(self.settings.registry_file)
        self.loop = asyncio.new_event_loop()
        self.rules = RuleSet.load(self.settings.rules_file)
        self.alerts = 0  # alerts the analysis agent published for accepted releases
        self.offset = 0
        self.outcomes: Counter[str] = Counter()
        self.history = self._bundled_history()

    def _bundled_history(self) -> dict[str, Any]:
        stage = AnalysisStage(DeltaEngine(), self.rules)
        table: dict[str, Any] = {}
        for seed in release_seeds()[:-8]:  # the last quarters are the fuzz seeds (fuzz_payloads.valid_release)
            raw = EarningsRelease.model_validate(seed).model_dump_json().encode()
            self.loop.run_until_complete(stage.process(parse_release(raw, self.registry, max_bytes=1 << 20), table))
        return table

    def _pipe(self) -> Pipeline:
        pipe = Pipeline(
            settings=self.settings,
            ingest=IngestStage(self.registry, max_bytes=self.settings.max_payload_bytes),
            analysis=AnalysisStage(DeltaEngine(), self.rules),
            registry=self.registry,
        )
        pipe.topics = {name: RecordingTopic(name) for name in (VALID_RELEASES, DEADLETTER, "cloudpulse.alerts",
                                                                "cloudpulse.deltas", "cloudpulse.alerts.drafts")}
        return pipe

    def _event(self, topic: str, value: bytes | None, key: bytes | None) -> _Event:
        self.offset += 1
        return _Event(value, _Message(topic, 0, self.offset, key))

    def check(self, case: Case) -> Verdict:
        pipe = self._pipe()
        verdict = Verdict(case.family, "crash")
        try:
            self.loop.run_until_complete(ingest_event(pipe, self._event(RELEASES, case.raw, b"k")))
        except Exception as exc:  # noqa: BLE001 - any escape is the finding
            verdict.problems.append(f"ingest_event raised {exc!r}"[:300])
            return self._count(verdict)
        valid, dead = pipe.topics[VALID_RELEASES].sent, pipe.topics[DEADLETTER].sent
        if len(valid) + len(dead) != 1:
            verdict.outcome = "lost" if not valid and not dead else "duplicated"
            verdict.problems.append(f"{len(valid)} forwarded and {len(dead)} dead-lettered (want exactly one)")
            return self._count(verdict)
        if dead:
            verdict.outcome, problems = judge_deadletter(dead[0][1], case.raw)
            verdict.problems += problems
        else:
            verdict.outcome = "accepted"
            verdict.problems += self._analyse(pipe, valid[0])
        verdict.problems += expectation(case, verdict.outcome)
        return self._count(verdict)

    def _analyse(self, pipe: Pipeline, sent: tuple[bytes, bytes]) -> list[str]:
        key, value = sent
        # The bundled quarters under a fresh overlay per release: table values are replaced,
        # never mutated (Faust changelogs only see assignments), so writes stay in the overlay.
        pipe.table = ChainMap({}, self.history)
        try:
            self.loop.run_until_complete(analyse_event(pipe, self._event(VALID_RELEASES, value, key)))
        except Exception as exc:  # noqa: BLE001 - any escape is the finding
            return [f"analyse_event raised {exc!r}"[:300]]
        self.alerts += len(pipe.topics["cloudpulse.alerts"].sent)
        refused = pipe.topics[DEADLETTER].sent
        if refused:
            return [f"accepted by ingest, refused by analysis: {DeadLetter.model_validate_json(refused[0][1]).summary}"[:400]]
        return []

    def _count(self, verdict: Verdict) -> Verdict:
        self.outcomes[verdict.outcome] += 1
        return verdict

    def close(self) -> None:
        self.loop.close()


class ArticleStage:
    """Articles as the ingest stage treats releases: an Article, or a DeadLetter, never a raise.

    Stands in until the news path has its own ingest stage in agents/news/; it wraps the
    contract's own parser exactly as agents.ingest.IngestStage wraps parse_release.
    """

    def __init__(self, *, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    def process(self, raw: bytes | None, source: Source) -> Article | DeadLetter:
        try:
            if raw is None:
                raise InvalidInput("schema", [InputProblem("", "message has no value (tombstone)")])
            return parse_article(raw, max_bytes=self.max_bytes)
        except InvalidInput as exc:
            return dead_letter(raw or b"", source, exc)
        except Exception as exc:
            logging.getLogger(__name__).exception("article ingest failed")
            return dead_letter(raw or b"", source, internal_error(exc))


def news_agent() -> Any:
    """agents.news.agent when the news path is wired, else None."""
    try:
        from agents.news import agent
    except ImportError:
        return None
    return agent if hasattr(agent, "ingest_article") and hasattr(agent, "build_news") else None


class ArticleHarness:
    """The news ingest agent's per-event function (or, before it exists, :class:`ArticleStage`).

    With the news path present, an article goes through ``agents.news.agent.ingest_article``
    (parse, read, forward when relevant) and a forwarded reading through ``analyse_article``
    (stories, plans, alerts), on recording topics and dict tables, as releases do above.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings.load()
        self.agent = news_agent()
        self.stage = ArticleStage(max_bytes=self.settings.max_payload_bytes)
        self.alerts = 0  # story and plan alerts from accepted articles (with the news path)
        self.offset = 0
        self.outcomes: Counter[str] = Counter()
        if self.agent is not None:
            registry = Registry.load(self.settings.registry_file)
            self.pipe = Pipeline(settings=self.settings, ingest=IngestStage(registry, max_bytes=1),
                                 analysis=AnalysisStage(DeltaEngine(), RuleSet.load(self.settings.rules_file)),
                                 registry=registry, table={})
            self.news = self.agent.build_news(self.settings, registry, {}, {})
            self.loop = asyncio.new_event_loop()

    def check(self, case: Case) -> Verdict:
        self.offset += 1
        verdict = Verdict(case.family, "crash")
        try:
            sent = self._agent(case) if self.agent is not None else self._stage(case)
        except Exception as exc:  # noqa: BLE001 - any escape is the finding
            verdict.problems.append(f"article ingest raised {exc!r}"[:300])
            sent = None
        if sent is not None:
            verdict.outcome, problems = sent
            verdict.problems += problems
        verdict.problems += expectation(case, verdict.outcome)
        self.outcomes[verdict.outcome] += 1
        return verdict

    def _stage(self, case: Case) -> tuple[str, list[str]]:
        result = self.stage.process(case.raw, Source(ARTICLES, 0, self.offset, b"k"))
        if isinstance(result, DeadLetter):
            return judge_deadletter(result.model_dump_json().encode(), case.raw)
        # What a news agent forwards must read back as the same article.
        again = parse_article(result.model_dump_json().encode(), max_bytes=1 << 22)
        return "accepted", [] if again == result else ["accepted article does not round-trip through its JSON"]

    def _agent(self, case: Case) -> tuple[str, list[str]]:
        from streams.topics import NEWS_RELEVANT

        self.pipe.topics = {name: RecordingTopic(name) for name in (DEADLETTER, NEWS_RELEVANT, "cloudpulse.alerts",
                                                                    "cloudpulse.alerts.drafts")}
        event = _Event(case.raw, _Message(ARTICLES, 0, self.offset, b"k"))
        self.loop.run_until_complete(self.agent.ingest_article(self.pipe, self.news, event))
        dead, relevant = self.pipe.topics[DEADLETTER].sent, self.pipe.topics[NEWS_RELEVANT].sent
        if dead:
            return judge_deadletter(dead[0][1], case.raw if case.raw else None)
        for key, value in relevant:
            later = _Event(value, _Message(NEWS_RELEVANT, 0, self.offset, key))
            self.loop.run_until_complete(self.agent.analyse_article(self.pipe, self.news, later))
            if self.pipe.topics[DEADLETTER].sent:
                summary = DeadLetter.model_validate_json(self.pipe.topics[DEADLETTER].sent[0][1]).summary
                return "accepted", [f"accepted by news ingest, refused by news analysis: {summary}"[:400]]
        self.alerts += len(self.pipe.topics["cloudpulse.alerts"].sent)
        return "accepted", []


@dataclass(slots=True)
class FuzzRun:
    """Figures of one generated run: per family and outcome, and every case that failed."""

    examples: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    families: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)


def fuzz(strategy: Any, harness: ReleaseHarness | ArticleHarness, count: int, *, seed: int = 0) -> FuzzRun:
    """Check ``count`` generated cases; never raises, so a full run reports every failure."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    run = FuzzRun()

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def check(case: Case) -> None:
        verdict = harness.check(case)
        run.examples += 1
        run.families[case.family] += 1
        run.outcomes[verdict.outcome] += 1
        if verdict.problems:
            run.failures.append({"family": case.family, "outcome": verdict.outcome, "problems": verdict.problems,
                                 "payload_head": repr((case.raw or b"")[:200])})

    check()
    return run
