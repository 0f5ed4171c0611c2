from __future__ import annotations

from datetime import timedelta

from agents.news.stories import StoryGrouper, story_id_of
from agents.news.storybook import StoryBook, fact_key, subject_company
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
    book.add(reading("tencent-1", [], company="0700.HK", published_at=T0 + timedelta(days=20)), folded(OTHER_ZH))
    assert old not in store and len(store) == 1


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
