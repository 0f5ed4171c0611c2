"""The news agents: articles in, story alerts out, through the release path's writer and delivery.

    news.articles --news-ingest (parse, read)--> cloudpulse.news.relevant (keyed by subject company)
                      \\--> cloudpulse.deadletter (invalid bytes, internal errors)
                      irrelevant or unattributed articles: counted and dropped here (the cheap path)
    cloudpulse.news.relevant --news-analyse (stories, plans, history tables)--> cloudpulse.alerts
                                                                 (or cloudpulse.alerts.drafts with an LLM)
    releases with capex (analyse agent) --plan pace--> cloudpulse.alerts

Keying the relevant topic by company puts a company's stories, plans and release history in
the same partition: cross-checks read the history table there, and republications of a story
(same subject) meet their story there. Both agents catch per event and dead-letter with the
bytes they read, like the release agents.

Usage (from agents.pipeline.register)::

    news = register_news(app, pipe, settings)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import faust

from agents.history import History
from agents.ingest import dead_letter, internal_error
from agents.news.alerts import compose_plan, compose_story
from agents.news.crosscheck import cross_check
from agents.news.llm_extract import build_extractor, merge
from agents.news.planbook import PlanBook
from agents.news.plans import Plan, latest_quarter, load_plans, plan_from_fact, track
from agents.news.reading import NewsReader
from agents.news.stories import StoryGrouper
from agents.news.storybook import StoryBook, fact_origins, facts_of, subject_company
from agents.outputs import Staged, write_all
from schemas.alert import Alert
from schemas.article import parse_article
from schemas.errors import InvalidInput
from schemas.news import ArticleReading
from schemas.news_alert import CrossCheck, PlanProgress
from schemas.release import Release
from streams.changelog import TableWriter
from streams.consumer import fresh_events
from streams.settings import Settings
from streams.topics import DRAFTS, NEWS, NEWS_RELEVANT, PLANS_TABLE, STORIES_TABLE

log = logging.getLogger("cloudpulse.news")
T = TypeVar("T")


@dataclass(slots=True)
class NewsPath:
    """What the news agents share: reader, story and plan books, settings."""

    settings: Settings
    reader: Any  # NewsReader, or anything with read(article) and folded(article)
    stories: StoryBook
    plans: PlanBook
    extractor: Any = None  # agents.news.llm_extract.LLMExtractor when configured
    stale: bool = True  # the story index must be rebuilt from the table before the next article
    # In the worker: streams.changelog.TableWriter of the stories and plans tables (see staged).
    story_writer: Any = None
    plan_writer: Any = None

    async def staged(self, work: Callable[[], T]) -> T:
        """Run ``work`` (story and plan updates, synchronous) against staged copies of the two
        tables, then write what it changed, one ordered batch per table.

        So a failure anywhere in an event leaves neither table half-updated, and a write the
        producer refuses (a record past its request size) raises here, inside the event, where
        the agent dead-letters it: a table assignment is sent later by Faust's producer buffer,
        whose failure crashed the whole worker (and the restarted one, on the same input).
        """
        tables, plans = self.stories.store, self.plans.store
        staged_stories, staged_plans = Staged(tables), Staged(plans)
        self.stories.store, self.plans.store = staged_stories, staged_plans
        try:
            result = work()
        finally:
            self.stories.store, self.plans.store = tables, plans
        await write_all(tables, staged_stories.drain(), self.story_writer and self.story_writer.put_all)
        await write_all(plans, staged_plans.drain(), self.plan_writer and self.plan_writer.put_all)
        return result


def build_news(settings: Settings, registry: Any, stories_store: Any, plans_store: Any,
               reader: Any = None) -> NewsPath:
    if reader is None:
        kwargs = {} if settings.news_min_relevance is None else {"min_relevance": settings.news_min_relevance}
        reader = NewsReader(registry, **kwargs)
    grouper = StoryGrouper(threshold=settings.news_story_threshold, num_perm=settings.news_num_perm,
                           window=timedelta(days=settings.news_story_window_days))
    return NewsPath(settings, reader, StoryBook(stories_store, grouper), PlanBook(plans_store, load_plans(settings.plans_file)))


def register_news(app: faust.App, pipe: Any, settings: Settings, *, reader: Any = None) -> NewsPath:
    table = lambda name: app.Table(
        name, default=None, partitions=settings.partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="json"))
    news = build_news(settings, pipe.registry, table(STORIES_TABLE), table(PLANS_TABLE), reader)
    news.story_writer = TableWriter(news.stories.store, pipe.outbox)
    news.plan_writer = TableWriter(news.plans.store, pipe.outbox)
    news.extractor = build_extractor(settings, pipe.registry)
    topic = lambda name: app.topic(settings.topic(name), key_type=bytes, value_type=bytes,
                                   partitions=settings.partitions)
    pipe.topics.update({NEWS: topic(NEWS), NEWS_RELEVANT: topic(NEWS_RELEVANT)})

    @app.on_rebalance_complete.connect
    async def _index_stale(sender: Any, **kwargs: Any) -> None:
        # Partitions (and so the stories in the table) may have changed hands: re-index lazily.
        news.stale = True

    if settings.reads(NEWS):  # a replay phase may read only releases (streams/replay.py)
        @app.agent(pipe.topics[NEWS], name="cloudpulse.news-ingest", concurrency=1)
        async def news_ingest(stream: faust.StreamT) -> None:
            async for event in fresh_events(stream):
                await ingest_article(pipe, news, event)

    @app.agent(pipe.topics[NEWS_RELEVANT], name="cloudpulse.news-analyse", concurrency=1)
    async def news_analyse(stream: faust.StreamT) -> None:
        async for event in fresh_events(stream):
            await analyse_article(pipe, news, event)

    return news


async def ingest_article(pipe: Any, news: NewsPath, event: Any) -> None:
    from agents.pipeline import _source, in_window, send, send_deadletter

    source = _source(event)
    pipe.counters[f"in.{source.topic}"] += 1
    if not in_window(pipe, event):
        return
    raw = event.value or b""
    try:
        article = parse_article(raw, max_bytes=pipe.settings.max_payload_bytes)
        reading = news.reader.read(article)
        folded = news.reader.folded(article).text if reading.relevance.relevant else ""
        if news.extractor is not None and reading.relevance.relevant:
            extra = await news.extractor.extract(article, reading)
            reading = reading.model_copy(update={"facts": merge(reading.facts, extra)})
    except Exception as exc:  # dead-letter, never crash
        reason = exc if isinstance(exc, InvalidInput) else internal_error(exc)
        if isinstance(exc, InvalidInput):
            pipe.counters[f"invalid.{reason.kind}"] += 1
        else:
            log.exception("news ingest failed on %s[%d]@%d", source.topic, source.partition, source.offset)
        await send_deadletter(pipe, dead_letter(raw, source, reason))
        return
    pipe.counters["news.articles"] += 1
    if not reading.relevance.relevant:
        pipe.counters["news.irrelevant"] += 1
        return
    company = subject_company(reading)
    if company is None:
        pipe.counters["news.unattributed"] += 1  # relevant, but about no registry company
        return
    pipe.counters["news.relevant"] += 1
    pipe.counters["news.facts"] += len(reading.facts)
    payload = {"reading": reading.model_dump(mode="json"), "folded": folded}
    await send(pipe, NEWS_RELEVANT, company.encode(), json.dumps(payload, ensure_ascii=False).encode("utf-8"))


async def analyse_article(pipe: Any, news: NewsPath, event: Any) -> None:
    from agents.pipeline import _source, send_deadletter

    source = _source(event)
    pipe.counters[f"in.{source.topic}"] += 1
    raw = event.value or b""
    try:
        document = json.loads(raw)
        reading = ArticleReading.model_validate(document["reading"])
        alerts = await news.staged(lambda: story_alerts(pipe, news, reading, document["folded"]))
    except Exception as exc:  # dead-letter, never crash
        log.exception("news analysis failed on %s[%d]@%d", source.topic, source.partition, source.offset)
        await send_deadletter(pipe, dead_letter(raw, source, internal_error(exc)))
        return
    for alert in alerts:
        await emit(pipe, alert)


def story_alerts(pipe: Any, news: NewsPath, reading: ArticleReading, folded: str) -> list[Alert]:
    """Story update, plans, cross-checks and the alert the story's state calls for."""
    if news.stale:
        count = news.stories.rebuild()
        news.stale = False
        log.info("story index rebuilt from the stories table: %d stories", count)
    update = news.stories.add(reading, folded)
    counters = pipe.counters
    counters["news.stories_new" if update.is_new else "news.stories_updated"] += 1
    company_id = update.record.get("company") or subject_company(reading)
    if company_id is None:
        return []
    alert = state_alert(pipe, news, update.record, pipe.registry.get(company_id), {f.fact_id for f in update.new_facts})
    return [] if alert is None else [alert]


def state_alert(pipe: Any, news: NewsPath, record: dict[str, Any], company: Any, new_ids: set[str]) -> Alert | None:
    """Plans, cross-checks and the alert a story's current state calls for (None: already sent)."""
    counters = pipe.counters
    history = History(pipe.table, company.id)
    facts = facts_of(record)
    origins = fact_origins(record)
    plan = None
    for fact in facts:
        origin = origins[fact.fact_id]
        found = plan_from_fact(fact, company, origin.published_at.date(), source_url=origin.url)
        if found is None:
            continue
        if fact.fact_id in new_ids and news.plans.add(found):
            counters["news.plans"] += 1
        plan = plan or progress_of(news.plans.find(found), history, company, pipe.settings)
    checks: list[CrossCheck] = []
    for fact in facts:
        origin = origins[fact.fact_id]
        check = cross_check(fact, history, company, outlet=origin.outlet, url=origin.url)
        if check is not None:
            checks.append(check)
            if fact.fact_id in new_ids and check.outcome == "discrepancy":
                counters["news.discrepancies"] += 1
    if any(f.period_status == "resolved" for f in facts):
        news.stories.index_company(company.id, record["story_id"])  # re-checked when its quarter is reported
    alert = compose_story(record, company, checks, plan, corroboration=pipe.settings.news_corroboration_outlets,
                          new_fact_ids=sorted(new_ids))
    if alert is not None:
        news.stories.remember_alert(record["story_id"], alert.alert_id, len({m["outlet"] for m in record["members"]}))
    return alert


def recheck_stories(pipe: Any, news: NewsPath, release: Release) -> list[Alert]:
    """Stories that stated figures for the quarter a release just reported, checked again.

    News often comes first; when the release lands, a figure it contradicts (or confirms) makes
    the story's state, and so its alert, change: one revision per story, none if nothing did.
    """
    out = []
    for story_id in news.stories.company_stories(release.company_id):
        record = news.stories.store.get(story_id)
        facts = facts_of(record) if record else []
        if not any(f.period_status == "resolved" and f.period_end == release.period_end for f in facts):
            continue
        alert = state_alert(pipe, news, record, release.company, set())
        if alert is not None:
            pipe.counters["news.rechecked"] += 1
            out.append(alert)
    return out


def progress_of(plan: Plan, history: History, company: Any, settings: Settings) -> PlanProgress | None:
    through = latest_quarter(history, plan, company)
    if through is None:
        return None
    return track(plan, history, company, through=through, margin=settings.plan_pace_margin_pct)


async def after_release(pipe: Any, release: Release) -> None:
    """Plan pace when a release reports capex, and stories about its quarter re-checked
    (called from the analyse agent, per event)."""
    news: NewsPath | None = getattr(pipe, "news", None)
    if news is None:
        return
    try:
        alerts = await news.staged(lambda: plan_alerts(pipe, news, release) + recheck_stories(pipe, news, release))
    except Exception:  # the release's own outputs are out already; a news failure must not undo them
        log.exception("plan tracking or story re-check failed for %s", release.release_id)
        pipe.counters["news.plan_errors"] += 1
        return
    for alert in alerts:
        await emit(pipe, alert)


def plan_alerts(pipe: Any, news: NewsPath, release: Release) -> list[Alert]:
    """Plan-pace alerts due after ``release`` (none unless it reports group capex)."""
    if not any(o.metric == "capex" and o.segment == "group" for o in release.observations):
        return []
    history = History(pipe.table, release.company_id)
    out = []
    for plan in news.plans.plans_for(release.company_id):
        progress = track(plan, history, release.company, through=release.period_end, margin=pipe.settings.plan_pace_margin_pct)
        if progress is None:
            continue
        alert = compose_plan(progress, release.company, release_id=release.release_id, source_url=release.source_url,
                             created_at=release.published_at, chain=news.plans.chain(plan),
                             last_status=news.plans.last_status(plan))
        news.plans.remember(plan, progress.status, alert.alert_id if alert else None)
        if alert is not None:
            pipe.counters[f"news.plan_{progress.status}"] += 1
            out.append(alert)
    return out


async def emit(pipe: Any, alert: Alert) -> None:
    from agents.pipeline import publish_alert, send

    if pipe.llm is not None:
        await send(pipe, DRAFTS, alert.company.encode(), alert.model_dump_json().encode())
    else:
        await publish_alert(pipe, alert)
