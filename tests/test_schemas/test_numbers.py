"""schemas.numbers: money serialises as exact decimal strings, ratios as rounded numbers."""

import json
from decimal import Decimal, localcontext

import pytest
from pydantic import BaseModel

from schemas.numbers import Money, Ratio, _money_str, round_ratio

D = Decimal


class Row(BaseModel):
    money: Money
    ratio: Ratio


@pytest.mark.parametrize(
    ("value", "rounded"),
    [("25.795", "25.80"), ("25.794", "25.79"), ("1.005", "1.01"), ("-1.005", "-1.01"), ("26", "26.00"), ("0", "0.00")],
)
def test_round_ratio_half_up_to_cents(value, rounded):
    result = round_ratio(D(value))
    assert result == D(rounded)
    assert str(result) == rounded


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (D("33398000000"), "33398000000"),
        (D("1E+6"), "1000000"),  # never exponent notation on the wire
        (D("-21840000000"), "-21840000000"),
        (D("0.30000000000000004"), "0.30000000000000004"),
    ],
)
def test_money_is_an_exact_string_in_json(money, text):
    row = Row(money=money, ratio=D("25.8"))
    dumped = json.loads(row.model_dump_json())
    assert dumped == {"money": text, "ratio": 25.8}
    assert row.model_dump() == {"money": money, "ratio": D("25.8")}  # python mode keeps Decimal


@pytest.mark.parametrize(
    "text",
    ["33398000000", "1E+6", "1.5E+3", "0E+3", "-0", "0.00", "-0.000", "123.4500", "0.000001", "1E-7", "-1.5E-7",
     "0E-7", "1E+15", "-21840000000.5", "Infinity", "-Infinity", "NaN", "sNaN", "0.30000000000000004"],
)
def test_money_text_is_format_f_whatever_the_exponent(text):
    # _money_str takes str()'s text where it has no exponent: it must equal format(value, "f").
    value = D(text)
    assert _money_str(value) == format(value, "f")


def test_money_text_is_format_f_with_lowercase_exponents():
    with localcontext() as ctx:
        ctx.capitals = 0  # str() then writes "1e+6"
        for text in ("1E+6", "2.5E-9", "33398000000"):
            assert _money_str(D(text)) == format(D(text), "f")
