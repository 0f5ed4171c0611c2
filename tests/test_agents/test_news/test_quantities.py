"""Amounts, percentages and point changes in folded text."""

from __future__ import annotations

from decimal import Decimal

import pytest

from agents.news.normalise import fold
from agents.news.quantities import find_quantities


def _one(text: str):
    folded = fold(text).text
    found = list(find_quantities(folded))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("收入398.24亿元", Decimal(39824000000), "CNY"),
        ("收入398.24億元", Decimal(39824000000), "CNY"),
        ("营收1.2万亿", Decimal(1200000000000), None),
        ("revenue of US$30.9 billion", Decimal(30900000000), "USD"),
        ("capex of $24.0bn", Decimal(24000000000), "USD"),
        ("RMB 33,398 million in revenue", Decimal(33398000000), "CNY"),
        ("revenue of 39.82 billion yuan", Decimal(39820000000), "CNY"),
        ("经营利润114.34亿美元", Decimal(11434000000), "USD"),
        ("南向资金净买入45亿港元", Decimal(4500000000), "HKD"),
        ("投入三千八百亿元", Decimal(380000000000), "CNY"),
    ],
)
def test_amounts_carry_scale_and_currency(text: str, value: Decimal, currency: str | None) -> None:
    quantity = _one(text)
    assert (quantity.kind, quantity.value, quantity.currency) == ("amount", value, currency)


def test_percent_and_points_are_different_kinds() -> None:
    folded = fold("同比增长34%，增速较上季度提升8个百分点，或8 percentage points").text
    kinds = [(q.kind, q.value) for q in find_quantities(folded)]
    assert kinds == [("percent", Decimal(34)), ("points", Decimal(8)), ("points", Decimal(8))]


@pytest.mark.parametrize(
    ("text", "bound", "approx"),
    [
        ("超过3800亿元", "at_least", True),
        ("逾315億", "at_least", True),
        ("more than $52 billion", "at_least", True),
        ("近400亿元", "at_most", True),
        ("约34%", None, True),
        ("about 34%", None, True),
        ("34%", None, False),
    ],
)
def test_bounds_and_rounding_words(text: str, bound: str | None, approx: bool) -> None:
    quantity = _one(text)
    assert (quantity.bound, quantity.approx) == (bound, approx)


@pytest.mark.parametrize("text", ["自由现金流净流出188.15亿元", "free cash flow was an outflow of 18.8 billion yuan",
                                  "自由现金流为-188.15亿元", "free cash flow was negative 18.8 billion yuan"])
def test_outflows_are_negative(text: str) -> None:
    assert _one(text).value < 0


@pytest.mark.parametrize("text", ["2025年6月30日", "H20芯片", "B200 GPUs", "won 3 points", "截至第三季度"])
def test_dates_product_names_and_bare_numbers_are_not_quantities(text: str) -> None:
    assert list(find_quantities(fold(text).text)) == []


def test_offsets_cover_the_figure_in_the_folded_text() -> None:
    folded = fold("AWS revenue rose 20.2% to $33.0 billion.").text
    assert [folded[q.start : q.end] for q in find_quantities(folded)] == ["20.2%", "$33.0 billion"]
