"""The stories table: each story's sources, facts and index state, keyed by story id.

In the worker the store is a changelogged Faust table written from the news-analyse agent
(so a story lives in the partition of its subject company, where its republications arrive);
in tests it is a dict. The in-memory :class:`StoryGrouper` is derived state: after a restart or
rebalance :meth:`StoryBook.rebuild` re-indexes it from the table. A record::

    {"story_id": "story-…", "company": "BABA", "first_article_id": "…",
     "members": [{"article_id", "outlet", "url", "published_at", "language"}, …],
     "facts": [<NewsFact JSON>, …],           # union over members, first wording kept
     "fact_articles": {fact_id: article_id},  # who stated each fact first
     "index": {"signatures": [[…]], "last_seen": "…"},
     "alert_ids": ["…"], "alerted_outlets": 1,
     "more_members": 3, "more_facts": 5}     # only past MAX_MEMBERS / MAX_FACTS

and, per company, ``"<company>|@stories"``: the stories with a fact about a resolved quarter,
re-checked when a release reports that quarter.

Usage::

    book = StoryBook(table, StoryGrouper())
    update = book.add(reading, folded.text)
    update.new_facts, update.new_source
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any

from agents.news.stories import StoryGrouper
from schemas.news import ArticleReading, NewsFact
from schemas.news_alert import NewsSource

Record = dict[str, Any]
# Sources kept per story; further copies are only counted ("more_members"). A copy past the cap
# that is redelivered after a crash is counted again, so that count can run high.
MAX_MEMBERS = 100
# Facts kept per story; further ones are only counted ("more_facts"). Without a cap a story that
# keeps attracting articles with new figures grew without bound: in a 20,000-article replay one
# record passed the producer's 1 MB request limit and the write crashed the worker
# (bench/replay_bench.py). A story is a few statements repeated; 200 facts is far past that.
MAX_FACTS = 200
LIST_CACHE_SIZE = 1024  # stories whose parsed fact and member lists are remembered


def company_key(company: str) -> str:
    """Key of the list of a company's stories that state figures for resolved quarters."""
    return f"{company}|@stories"


def fact_key(fact: NewsFact) -> str:
    """What makes two facts the same news: series, measure, period and value (not the wording)."""
    period = fact.fiscal_period or (fact.period_end.isoformat() if fact.period_end else "")
    return "|".join([
        fact.company or "", fact.segment or "", fact.metric or "", fact.measure, period,
        format(fact.value.normalize(), "f"), fact.currency or "", fact.bound or "",
        "" if fact.plan_years is None else format(fact.plan_years.normalize(), "f"),
    ])


def subject_company(reading: ArticleReading) -> str | None:
    """The company the article is about: a subject mention, most mentions first (then id)."""
    subjects = sorted((m for m in reading.mentions if m.role == "subject"), key=lambda m: (-m.count, m.company))
    if subjects:
        return subjects[0].company
    facts = sorted({f.company for f in reading.facts if f.company})
    return facts[0] if facts else None


@dataclass(frozen=True, slots=True)
class StoryUpdate:
    story_id: str
    is_new: bool
    similarity: float
    new_source: bool  # False for a redelivery of an article already in the story
    new_facts: tuple[NewsFact, ...]
    record: Record

    @property
    def sources(self) -> list[NewsSource]:
        return sources_of(self.record)

    @property
    def facts(self) -> list[NewsFact]:
        return facts_of(self.record)

    @property
    def outlets(self) -> int:
        return len({m["outlet"] for m in self.record["members"]})


def sources_of(record: Record) -> list[NewsSource]:
    return _PARSED.listed(record["members"], _PARSED.source)


def facts_of(record: Record) -> list[NewsFact]:
    return _PARSED.listed(record["facts"], lambda f: _PARSED.fact(f)[0])


def source_of_fact(record: Record, fact_id: str) -> NewsSource:
    """The article that first stated a fact (the story's first article if unknown)."""
    article = record.get("fact_articles", {}).get(fact_id, record["first_article_id"])
    member = next((m for m in record["members"] if m["article_id"] == article), record["members"][0])
    return _PARSED.source(member)


def fact_origins(record: Record) -> dict[str, NewsSource]:
    """:func:`source_of_fact` for every fact of the story, with one pass over its members."""
    members: dict[str, Mapping[str, Any]] = {}
    for m in record["members"]:
        members.setdefault(m["article_id"], m)  # the first member with an id, as source_of_fact
    stated = record.get("fact_articles", {})
    first = record["first_article_id"]
    out = {}
    for f in record["facts"]:
        member = members.get(stated.get(f["fact_id"], first), record["members"][0])
        out[f["fact_id"]] = _PARSED.source(member)
    return out


class _ParsedCache:
    """Validated models of the story record's fact and member dicts, by object identity.

    Why: a story's record is re-assigned on every article with its earlier fact and member
    dicts carried over as the same objects (``[*record["facts"], *new]``), and every article
    used to re-validate all of them (and re-derive every fact key) several times: cost grew
    with the story, per article. The dicts are never mutated, and the models are frozen, so a
    dict seen before gives the same model. The dict is kept next to its model, so its id()
    cannot be reused while the entry exists; bounded, least recently used out first. Records
    read back from the changelog (after a restart) are new objects: validated once, then cached.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._facts: OrderedDict[int, tuple[Any, NewsFact, str]] = OrderedDict()
        self._sources: OrderedDict[int, tuple[Any, NewsSource]] = OrderedDict()
        # Whole lists too: a story's members stop changing at MAX_MEMBERS, and one article reads
        # the same facts list several times (state_alert, compose_story).
        self._lists: OrderedDict[int, tuple[Any, list[Any]]] = OrderedDict()

    def listed(self, items: list[Any], parse: Any) -> list[Any]:
        """``[parse(x) for x in items]``, remembered for the list object (a copy is returned)."""
        entry = self._lists.get(id(items))
        if entry is not None and entry[0] is items:
            self._lists.move_to_end(id(items))
            return list(entry[1])
        parsed = [parse(x) for x in items]
        self._lists[id(items)] = (items, parsed)
        if len(self._lists) > LIST_CACHE_SIZE:
            self._lists.popitem(last=False)
        return list(parsed)

    def fact(self, data: Mapping[str, Any]) -> tuple[NewsFact, str]:
        """The fact and its :func:`fact_key`."""
        entry = self._facts.get(id(data))
        if entry is not None and entry[0] is data:
            self._facts.move_to_end(id(data))
            return entry[1], entry[2]
        fact = NewsFact.model_validate(data)
        self._facts[id(data)] = (data, fact, fact_key(fact))
        if len(self._facts) > self.size:
            self._facts.popitem(last=False)
        return fact, self._facts[id(data)][2]

    def source(self, data: Mapping[str, Any]) -> NewsSource:
        entry = self._sources.get(id(data))
        if entry is not None and entry[0] is data:
            self._sources.move_to_end(id(data))
            return entry[1]
        source = NewsSource.model_validate(data)
        self._sources[id(data)] = (data, source)
        if len(self._sources) > self.size:
            self._sources.popitem(last=False)
        return source


_PARSED = _ParsedCache(size=100_000)


class StoryBook:
    """Stories in a mutable mapping, with the grouper index kept in step."""

    def __init__(self, store: MutableMapping[str, Any], grouper: StoryGrouper) -> None:
        self.store = store
        self.grouper = grouper

    def rebuild(self) -> int:
        """Re-index every story in the store (after recovery); how many were indexed."""
        self.grouper = StoryGrouper(threshold=self.grouper.threshold, num_perm=self.grouper.num_perm,
                                    shingle=self.grouper.shingle, window=self.grouper.window)
        count = 0
        for story_id, record in list(self.store.items()):
            if isinstance(record, dict) and record.get("index"):  # not the per-company lists
                self.grouper.restore(story_id, record["index"], scope=record.get("company") or "")
                count += 1
        return count

    def add(self, reading: ArticleReading, folded_text: str) -> StoryUpdate:
        # Grouped and expired within the subject company (agents/news/stories.py: why).
        company = subject_company(reading)
        scope = company or ""
        for gone in self.grouper.expire(reading.published_at, scope):
            self.store.pop(gone, None)
        assignment = self.grouper.assign(reading.article_id, folded_text, reading.published_at, scope=scope)
        stored = self.store.get(assignment.story_id)
        record: Record = dict(stored) if stored else {
            "story_id": assignment.story_id, "company": company,
            "first_article_id": reading.article_id, "members": [], "facts": [], "alert_ids": [],
            "alerted_outlets": 0,
        }
        new_source = all(m["article_id"] != reading.article_id for m in record["members"])
        if new_source and len(record["members"]) >= MAX_MEMBERS:
            # A story copied hundreds of times: keep the first copies, count the rest, so one
            # article's work (and the record written back) stays bounded.
            record["more_members"] = record.get("more_members", 0) + 1
            new_source = False
        elif new_source:
            member = NewsSource(article_id=reading.article_id, outlet=reading.source, url=reading.url,
                                published_at=reading.published_at, language=reading.language)
            record["members"] = [*record["members"], member.model_dump(mode="json")]
        known = {_PARSED.fact(f)[1] for f in record["facts"]}
        new_facts: list[NewsFact] = []
        room = MAX_FACTS - len(record["facts"])
        for fact in reading.facts:
            key = fact_key(fact)
            if key not in known:
                known.add(key)
                if len(new_facts) < room:
                    new_facts.append(fact)
                else:
                    record["more_facts"] = record.get("more_facts", 0) + 1
        if new_facts or "fact_articles" not in record:  # unchanged lists stay the same objects (cached parses)
            record["facts"] = [*record["facts"], *(f.model_dump(mode="json") for f in new_facts)]
            # Which article first stated each fact: a cross-check names that outlet and url.
            record["fact_articles"] = {**record.get("fact_articles", {}),
                                       **{f.fact_id: reading.article_id for f in new_facts}}
        record["index"] = self.grouper.export(assignment.story_id)
        # Re-assigned, never mutated in place: a Faust table only changelogs assignments. Not
        # re-assigned when nothing changed (a redelivery): each write re-serialises the whole
        # record to the changelog, which costs more than the rest of the article's analysis once
        # a story has many sources and facts; the comparison is cheap (unchanged lists hold the
        # same objects).
        if stored is None or record != stored:
            self.store[assignment.story_id] = record
        return StoryUpdate(assignment.story_id, assignment.is_new, assignment.similarity, new_source,
                           tuple(new_facts), record)

    def company_stories(self, company: str) -> list[str]:
        """Stories of a company with a fact about a resolved quarter (expired ones left out)."""
        return [s for s in self.store.get(company_key(company)) or [] if self.store.get(s)]

    def index_company(self, company: str, story_id: str) -> None:
        ids = self.company_stories(company)  # pruned of expired stories on every write
        if story_id not in ids:
            self.store[company_key(company)] = [*ids, story_id]

    def remember_alert(self, story_id: str, alert_id: str, outlets: int) -> None:
        record = dict(self.store[story_id])
        if alert_id not in record["alert_ids"]:
            record["alert_ids"] = [*record["alert_ids"], alert_id]
        record["alerted_outlets"] = max(outlets, record.get("alerted_outlets", 0))
        self.store[story_id] = record
