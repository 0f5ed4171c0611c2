from __future__ import annotations

from datetime import UTC, datetime, timedelta

import opencc
import pytest

from agents.news.stories import MAX_SIGNATURES, StoryGrouper, shingles, story_id_of

T0 = datetime(2025, 2, 24, 2, 0, tzinfo=UTC)

PLAN_ZH = (
    "阿里巴巴宣布未来三年投入超3800亿元建设云和AI硬件基础设施\n"
    "阿里巴巴集团首席执行官吴泳铭表示，未来三年，阿里巴巴将投入超过3800亿元，用于建设云和AI硬件基础设施，"
    "总额超过去十年总和。这也创下中国民营企业在云和AI硬件基础设施建设领域有史以来最大规模投资纪录。"
    "阿里巴巴表示，AI带来的产业机遇刚刚开始，阿里云将坚定推进AI驱动、公共云优先战略。"
)
PLAN_ZH_HANT = (
    "阿里巴巴宣布未來三年投入超3800億元建設雲和AI硬件基礎設施\n"
    "阿里巴巴集團首席執行官吳泳銘表示，未來三年，阿里巴巴將投入超過3800億元，用於建設雲和AI硬件基礎設施，"
    "總額超過去十年總和。這也創下中國民營企業在雲和AI硬件基礎設施建設領域有史以來最大規模投資紀錄。"
    "阿里巴巴表示，AI帶來的產業機遇剛剛開始，阿里雲將堅定推進AI驅動、公共雲優先戰略。"
)
OTHER_ZH = (
    "腾讯第三季度金融科技及企业服务收入同比增长\n"
    "腾讯控股公布第三季度业绩，金融科技及企业服务业务收入同比增长，云服务收入增长受益于AI相关需求，"
    "公司表示将继续加大对混元大模型和算力的投入，资本开支同比大幅上升。"
)


def folded(text: str) -> str:
    # What agents/news/normalise.fold does for matching: traditional -> simplified, lower-case.
    return opencc.OpenCC("t2s").convert(text).lower()


def test_republication_joins_the_first_story() -> None:
    grouper = StoryGrouper()
    first = grouper.assign("caixin-1", folded(PLAN_ZH), T0)
    copy = grouper.assign("sina-9", folded(PLAN_ZH + "（来源：新浪财经）"), T0 + timedelta(hours=1))
    assert first.is_new and first.story_id == story_id_of("caixin-1")
    assert not copy.is_new and copy.story_id == first.story_id
    assert 0.5 <= copy.similarity < 1.0


def test_traditional_and_simplified_copies_collide_after_folding() -> None:
    grouper = StoryGrouper()
    first = grouper.assign("caixin-1", folded(PLAN_ZH), T0)
    hant = grouper.assign("udn-3", folded(PLAN_ZH_HANT), T0 + timedelta(hours=2))
    assert hant.story_id == first.story_id and not hant.is_new
    # Without folding, the two scripts share too few shingles to be one story.
    raw = StoryGrouper()
    raw.assign("caixin-1", PLAN_ZH, T0)
    assert raw.assign("udn-3", PLAN_ZH_HANT, T0).is_new


def test_different_story_about_the_same_industry_is_new() -> None:
    grouper = StoryGrouper()
    first = grouper.assign("caixin-1", folded(PLAN_ZH), T0)
    other = grouper.assign("tencent-1", folded(OTHER_ZH), T0)
    assert other.is_new and other.story_id != first.story_id


def test_redelivered_article_finds_its_own_story_without_indexing_again() -> None:
    grouper = StoryGrouper()
    first = grouper.assign("caixin-1", folded(PLAN_ZH), T0)
    again = grouper.assign("caixin-1", folded(PLAN_ZH), T0)
    assert again.story_id == first.story_id and again.similarity == 1.0
    assert len(grouper.export(first.story_id)["signatures"]) == 1


def test_signatures_per_story_are_bounded() -> None:
    grouper = StoryGrouper()
    story = grouper.assign("a-0", folded(PLAN_ZH), T0).story_id
    for n in range(1, 10):
        assert grouper.assign(f"a-{n}", folded(PLAN_ZH + f"编辑{n}号"), T0).story_id == story
    assert len(grouper.export(story)["signatures"]) == MAX_SIGNATURES


def test_stories_leave_the_index_after_the_window() -> None:
    grouper = StoryGrouper(window=timedelta(days=14))
    old = grouper.assign("caixin-1", folded(PLAN_ZH), T0).story_id
    grouper.assign("tencent-1", folded(OTHER_ZH), T0 + timedelta(days=10))
    gone = grouper.expire(T0 + timedelta(days=15))
    assert gone == [old] and old not in grouper and len(grouper) == 1
    # The same text after the window starts a new story (under its own first article).
    late = grouper.assign("late-1", folded(PLAN_ZH), T0 + timedelta(days=15))
    assert late.is_new and late.story_id == story_id_of("late-1")


def test_a_story_seen_again_stays_in_the_index() -> None:
    grouper = StoryGrouper(window=timedelta(days=14))
    story = grouper.assign("caixin-1", folded(PLAN_ZH), T0).story_id
    grouper.assign("copy", folded(PLAN_ZH), T0 + timedelta(days=10))
    assert grouper.expire(T0 + timedelta(days=20)) == [] and story in grouper


def test_export_restore_rebuilds_an_equivalent_index() -> None:
    grouper = StoryGrouper()
    story = grouper.assign("caixin-1", folded(PLAN_ZH), T0).story_id
    grouper.assign("tencent-1", folded(OTHER_ZH), T0)
    state = {s: grouper.export(s) for s in (story, story_id_of("tencent-1"))}
    rebuilt = StoryGrouper()
    for story_id, exported in state.items():
        rebuilt.restore(story_id, exported)
    hant = rebuilt.assign("udn-3", folded(PLAN_ZH_HANT), T0 + timedelta(hours=1))
    assert hant.story_id == story and not hant.is_new
    assert hant.similarity == grouper.assign("udn-3", folded(PLAN_ZH_HANT), T0 + timedelta(hours=1)).similarity


def test_restore_refuses_a_signature_of_another_size() -> None:
    grouper = StoryGrouper(num_perm=64)
    with pytest.raises(ValueError, match="64"):
        grouper.restore("story-x", {"signatures": [[1] * 128], "last_seen": T0.isoformat()})


def test_shingles_ignore_whitespace_and_handle_short_text() -> None:
    assert shingles("a b c d") == {b"abc", b"bcd"}
    assert shingles("云") == {"云".encode()}
    assert shingles("   ") == set()
