"""Folding for matching, and exact offsets back to the original text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.news.normalise import detect_language, fold


def _spans(folded_text: str, pattern: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(pattern, folded_text)]


def test_traditional_folds_to_simplified_with_the_same_offsets() -> None:
    original = "阿里雲智能集團收入398.24億元，按年增長34%"
    folded = fold(original)
    assert folded.text == "阿里云智能集团收入398.24亿元,按年增长34%"
    start, end = _spans(folded.text, "398.24亿元")[0]
    assert original[slice(*folded.original_span(start, end))] == "398.24億元"


def test_full_width_digits_letters_and_punctuation_fold_to_half_width_lower_case() -> None:
    original = "ＡＷＳ收入增长２０．２％（第三季度）"
    folded = fold(original)
    assert folded.text == "aws收入增长20.2%(第三季度)"
    start, end = _spans(folded.text, r"20\.2%")[0]
    assert original[slice(*folded.original_span(start, end))] == "２０．２％"


def test_whitespace_runs_collapse_and_line_breaks_survive() -> None:
    original = "Title  here\n\n   Body\ttext"
    folded = fold(original)
    assert folded.text == "title here\nbody text"
    start, end = _spans(folded.text, "body text")[0]
    assert original[slice(*folded.original_span(start, end))] == "Body\ttext"


def test_chinese_numerals_in_a_numeric_context_become_digits() -> None:
    original = "未来三年投入三千八百亿元，占比百分之三十四"
    folded = fold(original)
    assert folded.text == "未来3年投入3800亿元,占比34%"
    start, end = _spans(folded.text, "3800亿元")[0]
    assert original[slice(*folded.original_span(start, end))] == "三千八百亿元"
    start, end = _spans(folded.text, "34%")[0]
    assert original[slice(*folded.original_span(start, end))] == "百分之三十四"


@pytest.mark.parametrize("word", ["统一", "一体化", "第三季度", "三季度", "十分重要", "星期一"])
def test_numerals_inside_words_and_ordinals_stay(word: str) -> None:
    assert fold(word).text == word


def test_every_folded_character_maps_inside_the_original() -> None:
    original = "騰訊  第三季  資本開支為一百三十億元。\nAWS　ＲＯＳＥ 20%"
    folded = fold(original)
    for i in range(len(folded.text)):
        start, end = folded.original_span(i, i + 1)
        assert 0 <= start < end <= len(original)
    assert folded.original_span(0, len(folded.text)) == (0, len(original))


def test_a_span_outside_the_folded_text_is_refused() -> None:
    with pytest.raises(ValueError):
        fold("abc").original_span(2, 9)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("阿里云智能集团收入同比增长34%，资本开支315亿元", "zh-Hans"),
        ("阿里雲智能集團收入按年增長34%，資本開支315億元", "zh-Hant"),
        ("Alibaba's cloud revenue rose 34% to 39.8 billion yuan", "en"),
        ("AWS revenue rose 20% (亚马逊)", "en"),
    ],
)
def test_detect_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# Mixed scripts, widths, numerals and whitespace: the map back must hold for any text.
_ALPHABET = "阿里雲云收入增長长三千八百億亿元十一统第季度年 \n\t　ＡＷＳaws１２34.%％，。"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=60))
def test_any_folded_span_maps_back_inside_the_original(text: str) -> None:
    folded = fold(text)
    assert folded.original_span(0, len(folded.text)) == ((0, len(text)) if folded.text else (0, 0))
    previous = (0, 0)
    for start in range(len(folded.text)):
        for end in range(start + 1, min(len(folded.text), start + 4) + 1):
            o_start, o_end = folded.original_span(start, end)
            assert 0 <= o_start < o_end <= len(text)
        # Left to right in the folded text is left to right in the original.
        one = folded.original_span(start, start + 1)
        assert one[0] >= previous[0] and one[1] >= previous[1]
        previous = one
