"""The number extractor on Chinese and English financial phrasing."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from agents.llm.numbers import mentions, periods


def one(text: str):
    found = mentions(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text,kind,value,direction,hedge,currency", [
    ("同比增长26%", "pct", D("26"), 1, None, None),
    ("至333.98亿元", "money", D("33398000000"), 0, None, "CNY"),
    ("增速提升8个百分点", "pp", D("8"), 1, None, None),
    ("下降1.2个百分点", "pp", D("1.2"), -1, None, None),
    ("RMB 33.4 billion", "money", D("33400000000"), 0, None, "CNY"),
    ("up 26% year over year", "pct", D("26"), 1, None, None),
    ("资本支出约386亿元", "money", D("38600000000"), 0, "about", "CNY"),
    ("同比增长约220%", "pct", D("220"), 1, "about", None),
    ("超过3800亿元", "money", D("380000000000"), 0, "over", "CNY"),
    ("近400亿元", "money", D("40000000000"), 0, "under", "CNY"),
    ("398.24億元", "money", D("39824000000"), 0, None, "CNY"),
    ("1.2万亿元", "money", D("1200000000000"), 0, None, "CNY"),
    ("US$30.9 billion", "money", D("30900000000"), 0, None, "USD"),
    ("$13.6bn", "money", D("13600000000"), 0, None, "USD"),
    ("239.53亿美元", "money", D("23953000000"), 0, None, "USD"),
    ("自由现金流为-218.40亿元", "money", D("-21840000000"), -1, None, "CNY"),
    ("free cash flow of RMB -21.84bn", "money", D("-21840000000"), -1, None, "CNY"),
    ("-18.4% QoQ", "pct", D("-18.4"), -1, None, None),
    ("+8.5 pp", "pp", D("8.5"), 1, None, None),
    ("fell 18.4%", "pct", D("18.4"), -1, None, None),
    ("growth slows to 12.0% YoY", "pct", D("12.0"), 0, None, None),
    ("增速放缓至12.0%", "pct", D("12.0"), 0, None, None),
    ("margin widened by 50 bps", "pp", D("0.5"), 1, None, None),
    ("３３３．９８亿元", "money", D("33398000000"), 0, None, "CNY"),
    ("增长百分之三十四点五", "pct", D("34.5"), 1, None, None),
    ("增速提升两个百分点", "pp", D("2"), 1, None, None),
    ("收入增长三成", "pct", D("30"), 1, None, None),
    ("投入三千八百亿元", "money", D("380000000000"), 0, None, "CNY"),
    ("a 6.7% increase", "pct", D("6.7"), 1, None, None),
])
def test_phrases(text, kind, value, direction, hedge, currency) -> None:
    m = one(text)
    assert (m.kind, m.value, m.direction, m.hedge, m.currency) == (kind, value, direction, hedge, currency)


def test_printed_precision_sets_the_tolerance() -> None:
    assert one("398.24亿元").tolerance == D("0.005") * D("1e8")
    assert one("RMB 39.8bn").tolerance == D("0.05") * D("1e9")
    assert one("34%").tolerance == D("0.5")
    assert one("34.5%").tolerance == D("0.05")


def test_a_sentence_in_order() -> None:
    text = "云智能集团收入398.24亿元，同比增长34.5%，增速较上季度的26.0%提升8.5个百分点，环比增长19.2%。"
    assert [(m.kind, m.value, m.direction) for m in mentions(text)] == [
        ("money", D("39824000000"), 0), ("pct", D("34.5"), 1), ("pct", D("26.0"), 1),
        ("pp", D("8.5"), 1), ("pct", D("19.2"), 1),
    ]


def test_growth_then_level() -> None:
    assert [(m.kind, m.value, m.direction) for m in mentions("同比增长26%至333.98亿元")] == [
        ("pct", D("26"), 1), ("money", D("33398000000"), 0)]
    assert [(m.kind, m.value, m.direction) for m in mentions("RMB 33.4 billion, up 26% year over year")] == [
        ("money", D("33400000000"), 0), ("pct", D("26"), 1)]


def test_period_labels_are_not_figures() -> None:
    text = "阿里巴巴FY2026Q2（截至2025年9月30日止季度）, quarter ended 2025-09-30, Q3 2025, 2026财年第二季度"
    assert mentions(text) == []
    assert [p.text for p in periods(text)] == ["FY2026Q2", "2025年9月30日", "2025-09-30", "Q3 2025", "2026财年", "第二季度"]


def test_words_that_only_look_numeric_are_ignored() -> None:
    assert mentions("进一步加大投入，统一部署，一直以来") == []


def test_bare_numbers_are_still_found() -> None:
    (m,) = mentions("未来三年")
    assert (m.kind, m.value) == ("plain", D("3"))
    (m,) = mentions("revenue was 398")
    assert (m.kind, m.value) == ("plain", D("398"))


def test_multiples_are_their_own_kind() -> None:
    assert one("资本支出翻了3倍").kind == "multiple"
    assert one("capex rose 3x").kind == "multiple"
