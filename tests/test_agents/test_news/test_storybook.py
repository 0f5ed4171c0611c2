from __future__ import annotations

import json
from datetime import timedelta

from agents.news.stories import StoryGrouper, story_id_of
from agents.news.storybook import (
    StoryBook,
    fact_key,
    fact_origins,
    facts_of,
    source_of_fact,
    sources_of,
    subject_company,
)
from schemas.news import NewsFact
from schemas.news_alert import NewsSource
from tests.test_agents.test_news.news_builders import T0, fact, reading
from tests.test_agents.test_news.test_stories import (
    OTHER_ZH,
    PLAN_ZH,
    PLAN_ZH_HANT,
    folded,
)

PLAN = fact("投入超过3800亿元", "380000000000", segment="group", metric="ai_investment", measure="plan_total",
            period_end=None, approx=True, bound="at_least", plan_years=3)


def test_copies_join_one_story_and_only_new_facts_are_new() -> None:
    store: dict = {}
    book = StoryBook(store, StoryGrouper())
    first = book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    copy = book.add(reading("udn-3", [PLAN], outlet="經濟日報", language="zh-Hant"), folded(PLAN_ZH_HANT))
    assert first.is_new and first.new_facts == (PLAN,)
    assert copy.story_id == first.story_id and copy.new_source and copy.new_facts == ()
    assert [s.outlet for s in copy.sources] == ["财新", "經濟日報"] and copy.outlets == 2
    more = fact("资本开支386亿元", "38600000000", segment=None, metric="capex", article_id="sina-2")
    later = book.add(reading("sina-2", [PLAN, more], outlet="新浪财经"), folded(PLAN_ZH + "季度资本开支386亿元"))
    assert later.story_id == first.story_id and later.new_facts == (more,)
    assert [f.fact_id for f in later.facts] == [PLAN.fact_id, more.fact_id]
    assert set(store) == {first.story_id}


def test_redelivery_adds_nothing() -> None:
    book = StoryBook({}, StoryGrouper())
    book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    again = book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    assert not again.new_source and again.new_facts == () and len(again.sources) == 1


def test_rebuild_from_the_store_keeps_grouping() -> None:
    store: dict = {}
    StoryBook(store, StoryGrouper()).add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    restarted = StoryBook(store, StoryGrouper())
    assert restarted.rebuild() == 1
    update = restarted.add(reading("udn-3", [PLAN], outlet="經濟日報"), folded(PLAN_ZH_HANT))
    assert update.story_id == story_id_of("caixin-1") and not update.is_new


def test_expired_stories_leave_the_store() -> None:
    store: dict = {}
    book = StoryBook(store, StoryGrouper(window=timedelta(days=14)))
    old = book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH)).story_id
    later = book.add(reading("caixin-2", [], published_at=T0 + timedelta(days=20)), folded(OTHER_ZH)).story_id
    assert old not in store and set(store) == {later}


def test_another_companys_articles_expire_nothing() -> None:
    # The window runs per subject company: a later article of another company (another
    # partition, which may run ahead in a replay) must not decide what this one still matches.
    store: dict = {}
    book = StoryBook(store, StoryGrouper(window=timedelta(days=14)))
    old = book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH)).story_id
    book.add(reading("tencent-1", [], company="0700.HK", published_at=T0 + timedelta(days=20)), folded(OTHER_ZH))
    assert old in store
    copy = book.add(reading("udn-3", [PLAN], outlet="經濟日報", published_at=T0 + timedelta(days=3)), folded(PLAN_ZH_HANT))
    assert copy.story_id == old and not copy.is_new


def test_near_identical_text_about_another_company_is_another_story() -> None:
    # Templated results flashes read alike across companies; their figures must not mix.
    store: dict = {}
    book = StoryBook(store, StoryGrouper())
    baba = book.add(reading("flash-1", [PLAN]), folded(PLAN_ZH))
    other = book.add(reading("flash-2", [PLAN], company="0700.HK"), folded(PLAN_ZH))
    assert other.is_new and other.story_id != baba.story_id
    assert store[other.story_id]["company"] == "0700.HK" and store[baba.story_id]["company"] == "BABA"


def test_grouping_does_not_depend_on_how_companies_interleave() -> None:
    # One worker reads several partitions; each company's articles come in order, but the
    # companies interleave differently on every run. Same input, same stories and records.
    def feed(company: str) -> list:
        texts = [PLAN_ZH, PLAN_ZH_HANT, PLAN_ZH + "（来源：新浪财经）", OTHER_ZH, PLAN_ZH + "编辑1号"]
        return [(reading(f"{company}-{n}", [PLAN] if n % 2 else [], company=company,
                         published_at=T0 + timedelta(days=8 * n)), folded(text)) for n, text in enumerate(texts)]

    a, b = feed("BABA"), feed("0700.HK")
    orders = [a + b, b + a, [x for pair in zip(a, b, strict=True) for x in pair]]
    results = []
    for order in orders:
        store: dict = {}
        book = StoryBook(store, StoryGrouper(window=timedelta(days=14)))
        ids = {r.article_id: book.add(r, text).story_id for r, text in order}
        results.append((ids, json.dumps(store, sort_keys=True, default=str)))
    assert results[0] == results[1] == results[2]


def test_rebuild_keeps_stories_in_their_company() -> None:
    store: dict = {}
    StoryBook(store, StoryGrouper()).add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    restarted = StoryBook(store, StoryGrouper())
    assert restarted.rebuild() == 1
    assert restarted.add(reading("flash-2", [], company="0700.HK"), folded(PLAN_ZH)).is_new
    assert not restarted.add(reading("udn-3", [PLAN]), folded(PLAN_ZH_HANT)).is_new


def test_remember_alert_keeps_a_chain() -> None:
    store: dict = {}
    book = StoryBook(store, StoryGrouper())
    story = book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH)).story_id
    book.remember_alert(story, "alert-1", 1)
    book.remember_alert(story, "alert-1", 1)
    book.remember_alert(story, "alert-2", 3)
    assert store[story]["alert_ids"] == ["alert-1", "alert-2"] and store[story]["alerted_outlets"] == 3


def test_fact_identity_ignores_wording_and_article() -> None:
    a = fact("收入398亿元", "39800000000", article_id="a")
    b = fact("營收398億元", "3.98E+10", article_id="b")
    assert a.fact_id != b.fact_id and fact_key(a) == fact_key(b)
    assert fact_key(a) != fact_key(fact("收入398亿元", "39800000000", fiscal_period="FY2026Q1"))


def test_subject_is_the_most_mentioned_subject() -> None:
    assert subject_company(reading("x", [])) == "BABA"


def test_members_are_capped_and_further_copies_counted(monkeypatch) -> None:
    from agents.news import storybook

    monkeypatch.setattr(storybook, "MAX_MEMBERS", 2)
    book = StoryBook({}, StoryGrouper())
    for n in range(4):
        update = book.add(reading(f"copy-{n}", [PLAN], outlet=f"outlet-{n}"), folded(PLAN_ZH))
    assert len(update.sources) == 2 and update.record["more_members"] == 2 and not update.new_source


class CountingStore(dict):
    """A dict that counts assignments (each one is a changelog write in a Faust table)."""

    writes = 0

    def __setitem__(self, key, value) -> None:
        self.writes += 1
        super().__setitem__(key, value)


def test_redelivery_does_not_rewrite_the_record() -> None:
    store = CountingStore()
    book = StoryBook(store, StoryGrouper())
    book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    before, writes = store[story_id_of("caixin-1")], store.writes
    book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    assert store.writes == writes and store[story_id_of("caixin-1")] is before
    book.add(reading("udn-3", [PLAN], outlet="經濟日報"), folded(PLAN_ZH_HANT))  # a new source is written
    assert store.writes == writes + 1


def test_parsed_facts_and_sources_match_a_fresh_parse_after_a_restart() -> None:
    # The parse cache is keyed by object identity: records read back from a changelog are new
    # objects with the same content and must give the same facts, sources and fact origins.
    store: dict = {}
    book = StoryBook(store, StoryGrouper())
    book.add(reading("caixin-1", [PLAN]), folded(PLAN_ZH))
    more = fact("资本开支386亿元", "38600000000", segment=None, metric="capex", article_id="sina-2")
    book.add(reading("sina-2", [PLAN, more], outlet="新浪财经"), folded(PLAN_ZH + "季度资本开支386亿元"))
    record = store[story_id_of("caixin-1")]
    reread = json.loads(json.dumps(record))
    for r in (record, reread, record):
        assert facts_of(r) == [NewsFact.model_validate(f) for f in record["facts"]]
        assert sources_of(r) == [NewsSource.model_validate(m) for m in record["members"]]
        origins = fact_origins(r)
        assert [origins[f["fact_id"]] for f in r["facts"]] == [source_of_fact(r, f["fact_id"]) for f in r["facts"]]
    assert fact_origins(record)[more.fact_id].outlet == "新浪财经"
    facts = facts_of(record)
    facts.clear()  # callers get their own list
    assert len(facts_of(record)) == 2


def test_facts_are_capped_and_further_ones_counted(monkeypatch) -> None:
    # A story attracting new figures forever once outgrew a producer request (1 MB) and the
    # write crashed the worker; the record must stay bounded whatever arrives.
    from agents.news import storybook

    monkeypatch.setattr(storybook, "MAX_FACTS", 3)
    book = StoryBook({}, StoryGrouper())
    updates = []
    for n in range(3):
        figures = [fact(f"资本开支{100 + 2 * n + i}亿元", f"{100 + 2 * n + i}00000000", segment=None, metric="capex",
                        article_id=f"a-{n}") for i in range(2)]
        updates.append(book.add(reading(f"a-{n}", figures, outlet=f"outlet-{n}"), folded(PLAN_ZH)))
    assert [len(u.new_facts) for u in updates] == [2, 1, 0]
    assert len(updates[-1].facts) == 3 and updates[-1].record["more_facts"] == 3
    assert len({u.story_id for u in updates}) == 1
