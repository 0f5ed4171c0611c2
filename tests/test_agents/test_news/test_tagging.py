"""Company tagging: aliases on word boundaries, counts, subject vs mentioned, the producer's hint."""

from __future__ import annotations

import pytest

from agents.news.normalise import fold
from agents.news.tagging import Tagger
from schemas.company import Registry


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(Registry.load())


def _tag(tagger: Tagger, title: str, body: str, hint: tuple[str, ...] = ()) -> dict[str, tuple[int, str]]:
    tagged = tagger.tag(fold(f"{title}\n{body}"), title_length=len(title), hint=hint)
    return {m.company: (m.count, m.role) for m in tagged.mentions}


def test_latin_aliases_need_word_boundaries(tagger: Tagger) -> None:
    found = _tag(tagger, "New laws for drawstrings", "Lawmakers discussed flaws in gcps and qwenlike tools.")
    assert found == {}


def test_latin_aliases_match_as_words_and_next_to_chinese(tagger: Tagger) -> None:
    found = _tag(tagger, "云厂商", "亚马逊AWS与微软Azure竞争，Qwen模型下载量上升。")
    assert set(found) == {"AMZN", "MSFT", "BABA"}
    assert found["AMZN"][0] == 2


def test_traditional_and_new_aliases_are_found(tagger: Tagger) -> None:
    found = _tag(tagger, "雲端競爭", "通義千問與騰訊混元、微軟智慧雲、亞馬遜雲同場競技。")
    assert set(found) == {"BABA", "0700.HK", "MSFT", "AMZN"}


def test_title_company_is_the_subject_and_a_passing_peer_is_mentioned(tagger: Tagger) -> None:
    found = _tag(
        tagger,
        "阿里云收入同比增长34%",
        "阿里巴巴表示，云智能集团收入加速增长。阿里巴巴称AI需求强劲。分析师指出，阿里的增速已超过谷歌云。"
        "此外，阿里巴巴将继续投入。",
    )
    assert found["BABA"][1] == "subject"
    assert found["GOOGL"] == (1, "mentioned")


def test_most_mentions_make_a_subject_even_outside_the_title(tagger: Tagger) -> None:
    found = _tag(tagger, "云计算市场观察", "行业人士认为" + "，" * 200 + "腾讯云增长。腾讯加大投入，腾讯控股称需求强劲。")
    assert found["0700.HK"] == (3, "subject")


def test_the_hint_adds_only_companies_the_text_misses(tagger: Tagger) -> None:
    found = _tag(tagger, "Cloud outage", "Several providers were affected.", hint=("ORCL", "not-a-company", "BABA"))
    assert found == {"ORCL": (1, "mentioned"), "BABA": (1, "mentioned")}
    found = _tag(tagger, "Alibaba Cloud outage", "Alibaba said...", hint=("BABA",))
    assert found["BABA"][0] == 2  # counted from the text, not bumped by the hint
