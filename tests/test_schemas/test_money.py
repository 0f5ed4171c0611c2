"""schemas.money: amounts as printed (zh/en scales, currencies, negatives) -> exact Decimals."""

from dataclasses import FrozenInstanceError
from decimal import Decimal

import pytest

from schemas.money import Amount, AmountError, normalise_currency, parse_amount, plain, scale_factor

D = Decimal


@pytest.mark.parametrize(
    ("raw", "value", "currency", "quantum"),
    [
        # Alibaba Cloud Intelligence Group revenue, June 2025 quarter.
        ("333.98亿", "33398000000", None, "1000000"),
        ("398.24億元", "39824000000", "CNY", "1000000"),
        ("RMB 33,398 million", "33398000000", "CNY", "1000000"),
        ("人民币333.98亿元", "33398000000", "CNY", "1000000"),
        ("33398百万元", "33398000000", "CNY", "1000000"),
        ("US$30.9 billion", "30900000000", "USD", "100000000"),
        ("$13.6bn", "13600000000", "USD", "100000000"),
        ("13.6bnUSD", "13600000000", "USD", "100000000"),
        ("5m美元", "5000000", "USD", "1000000"),
        ("5 million元", "5000000", "CNY", "1000000"),
        ("HK$5bn", "5000000000", "HKD", "1000000000"),
        ("¥5亿", "500000000", "CNY", "100000000"),
        ("￥5亿", "500000000", "CNY", "100000000"),
        ("1.2万亿", "1200000000000", None, "100000000000"),
        ("1.2萬億", "1200000000000", None, "100000000000"),
        ("5千万", "50000000", None, "10000000"),
        ("3万", "30000", None, "10000"),
        ("5 thousand", "5000", None, "1000"),
        ("5K", "5000", None, "1000"),
        ("5B", "5000000000", None, "1000000000"),
        ("5 tn", "5000000000000", None, "1000000000000"),
        ("+5亿", "500000000", None, "100000000"),
        ("33,398", "33398", None, "1"),
        ("0.1", "0.1", None, "0.1"),
    ],
)
def test_parses_scale_and_currency_words(raw, value, currency, quantum):
    amount = parse_amount(raw)
    assert amount == Amount(value=D(value), currency=currency, quantum=D(quantum))
    # Base units are written plainly, never in exponent notation.
    assert str(amount.value) == value
    assert str(amount.quantum) == quantum


@pytest.mark.parametrize(
    ("raw", "value", "currency", "quantum"),
    [
        ("-218.40亿", "-21840000000", None, "1000000"),
        ("−218.40亿", "-21840000000", None, "1000000"),  # U+2212 minus sign
        ("–218.40亿", "-21840000000", None, "1000000"),  # en dash
        ("RMB -218.4亿", "-21840000000", "CNY", "10000000"),
        ("(1,234)", "-1234", None, "1"),
        ("(1,409)", "-1409", None, "1"),
        ("（１，２３４）", "-1234", None, "1"),  # full-width parentheses and digits
        ("(US$1.5bn)", "-1500000000", "USD", "100000000"),
        ("-$13.6bn", "-13600000000", "USD", "100000000"),
        ("US$-13.6bn", "-13600000000", "USD", "100000000"),
        ("US$ - 13.6bn", "-13600000000", "USD", "100000000"),
        ("-US$13.6bn", "-13600000000", "USD", "100000000"),
    ],
)
def test_negatives(raw, value, currency, quantum):
    assert parse_amount(raw) == Amount(D(value), currency, D(quantum))


@pytest.mark.parametrize(
    ("raw", "value", "currency", "quantum"),
    [
        ("３３３．９８亿", "33398000000", None, "1000000"),
        ("ＲＭＢ ３３，３９８ ｍｉｌｌｉｏｎ", "33398000000", "CNY", "1000000"),
        ("＄１３．６ｂｎ", "13600000000", "USD", "100000000"),
    ],
)
def test_full_width_text_is_nfkc_normalised(raw, value, currency, quantum):
    assert parse_amount(raw) == Amount(D(value), currency, D(quantum))


@pytest.mark.parametrize(
    ("raw", "scale", "value", "quantum"),
    [
        (333.98, "亿", "33398000000", "1000000"),
        ("333.98", "亿", "33398000000", "1000000"),
        (D("333.98"), "億", "33398000000", "1000000"),
        (333.98, 1e8, "33398000000", "1000000"),
        (33398, "million", "33398000000", "1000000"),
        ("33,398", "Million", "33398000000", "1000000"),
        (33398, 1000000, "33398000000", "1000000"),
        (33398, D("1e6"), "33398000000", "1000000"),
        (33398, "1e6", "33398000000", "1000000"),
        (30.9, "bn", "30900000000", "100000000"),
        (1.2, "万亿", "1200000000000", "100000000000"),
        (7, None, "7", "1"),
        # A value string carrying the same scale as `scale` is fine.
        ("333.98亿", "亿", "33398000000", "1000000"),
        ("333.98亿", 100000000, "33398000000", "1000000"),
    ],
)
def test_bare_numbers_take_the_scale_argument(raw, scale, value, quantum):
    amount = parse_amount(raw, scale=scale)
    assert (amount.value, amount.quantum) == (D(value), D(quantum))
    assert amount.currency is None


def test_exact_decimal_arithmetic_has_no_float_artefacts():
    total = parse_amount("0.1").value + parse_amount("0.2").value
    assert total == D("0.3")
    assert parse_amount(0.1).value == D("0.1")  # not Decimal(0.1) = 0.1000000000000000055...
    # Decimal(251.23) * 1e8 would be 25122999999.99999...; the shortest repr is used instead.
    assert parse_amount(251.23, scale=1e8).value == D("25123000000")
    assert parse_amount(333.98, scale="亿").value == D("33398000000")


@pytest.mark.parametrize(
    ("raw", "quantum"),
    [
        ("333.98亿", "1000000"),
        ("333.980亿", "100000"),  # trailing zero is printed precision, kept
        ("334亿", "100000000"),
        ("RMB 33,398 million", "1000000"),
        ("US$30.9 billion", "100000000"),
        ("1,234.5", "0.1"),
    ],
)
def test_quantum_is_the_printed_precision(raw, quantum):
    assert parse_amount(raw).quantum == D(quantum)


def test_close_to_uses_half_a_quantum():
    amount = parse_amount("333.98亿")  # +/- 0.005亿 = 500,000
    assert amount.close_to(D("33398500000"))
    assert amount.close_to(D("33397500000"))
    assert not amount.close_to(D("33398500001"))
    assert amount.close_to(D("33398500001"), extra=D(1))


@pytest.mark.parametrize(
    ("raw", "currency", "value", "result_currency"),
    [
        ("333.98亿", "CNY", "33398000000", "CNY"),
        ("333.98亿", "rmb", "33398000000", "CNY"),
        ("398.24億元", "人民币", "39824000000", "CNY"),
        ("US$30.9 billion", "usd", "30900000000", "USD"),
        ("US$30.9 billion", "美元", "30900000000", "USD"),
        (5, " usd ", "5", "USD"),
    ],
)
def test_expected_currency_fills_in_and_agrees(raw, currency, value, result_currency):
    amount = parse_amount(raw, currency=currency)
    assert (amount.value, amount.currency) == (D(value), result_currency)


@pytest.mark.parametrize(
    ("raw", "kwargs", "message"),
    [
        ("US$30.9 billion", {"currency": "CNY"}, "value 'US$30.9 billion' is in USD, but the metric is in CNY"),
        ("398.24億元", {"currency": "USD"}, "value '398.24億元' is in CNY, but the metric is in USD"),
        ("US$5元", {}, "value 'US$5元' names two currencies: USD, CNY"),
        ("333.98亿", {"scale": "million"}, "value '333.98亿' carries its own scale and also has scale='million'"),
        ("333.98亿", {"scale": "bogus"}, "unknown scale 'bogus'"),
        ("abc", {}, "no number in value 'abc'"),
        ("NaN", {}, "no number in value 'NaN'"),
        ("Infinity", {}, "no number in value 'Infinity'"),
        ("( )", {}, "no number in value '( )'"),
        ("", {}, "value is an empty string"),
        ("   ", {}, "value is an empty string"),
        ("1" * 70, {}, "value string is too long to be an amount (70 characters)"),
        ("1e5", {}, "cannot read 'e5' in value '1e5'"),
        ("1,23", {}, "cannot read ',23' in value '1,23'"),
        ("1,234,56", {}, "cannot read ',56' in value '1,234,56'"),
        ("5%", {}, "cannot read '%' in value '5%'"),
        ("12 34", {}, "cannot read '34' in value '12 34'"),
        ("5 mio", {}, "cannot read 'mio' in value '5 mio'"),  # "m" must not eat "mio"
        ("5 亿 亿", {}, "cannot read '亿' in value '5 亿 亿'"),
        ("S$5bn", {}, "cannot read 'S$' in value 'S$5bn'"),
        ("5 yuan", {}, "cannot read 'yuan' in value '5 yuan'"),
        (5, {"currency": "XYZ"}, "unknown currency 'XYZ'"),
        (10**16, {}, "out of range for a company figure"),
    ],
)
def test_garbage_is_refused_with_a_reason(raw, kwargs, message):
    with pytest.raises(AmountError) as info:
        parse_amount(raw, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (True, "value must be a number or an amount string, got True"),
        (False, "value must be a number or an amount string, got False"),
        (None, "value must be a number or an amount string, got None"),
        ([1], "value must be a number or an amount string, got list"),
        (float("nan"), "value nan is not a finite number"),
        (float("inf"), "value inf is not a finite number"),
        (float("-inf"), "value -inf is not a finite number"),
        (D("NaN"), "value Decimal('NaN') is not a finite number"),
        (D("-Infinity"), "value Decimal('-Infinity') is not a finite number"),
    ],
)
def test_booleans_none_and_non_finite_numbers_are_refused(raw, message):
    with pytest.raises(AmountError) as info:
        parse_amount(raw)
    assert str(info.value) == message


def test_amount_error_is_a_value_error_and_amount_is_frozen():
    assert issubclass(AmountError, ValueError)
    amount = parse_amount("1亿")
    with pytest.raises(FrozenInstanceError):
        amount.value = D(0)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("scale", "factor"),
    [
        (None, "1"),
        ("亿", "1e8"),
        ("億", "1e8"),
        ("万", "1e4"),
        ("萬", "1e4"),
        ("万亿", "1e12"),
        ("million", "1e6"),
        (" Million ", "1e6"),
        ("mn", "1e6"),
        ("billion", "1e9"),
        ("bn", "1e9"),
        ("thousand", "1e3"),
        ("trillion", "1e12"),
        (1000000, "1e6"),
        (1e8, "1e8"),
        ("1e6", "1e6"),
        (D("0.001"), "0.001"),
    ],
)
def test_scale_factor(scale, factor):
    assert scale_factor(scale) == D(factor)


@pytest.mark.parametrize(
    ("scale", "message"),
    [
        (True, "scale True is not a number or a scale word"),
        (0, "scale must be a positive number, got 0"),
        (-1, "scale must be a positive number, got -1"),
        ("NaN", "scale must be a positive number, got 'NaN'"),
        (float("inf"), "scale must be a positive number, got inf"),
        ("lots", "unknown scale 'lots'"),
    ],
)
def test_bad_scales_are_refused(scale, message):
    with pytest.raises(AmountError) as info:
        parse_amount(5, scale=scale)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (None, None),
        ("CNY", "CNY"),
        ("cny", "CNY"),
        ("RMB", "CNY"),
        ("人民币", "CNY"),
        ("人民幣", "CNY"),
        ("元", "CNY"),
        ("USD", "USD"),
        ("US$", "USD"),
        ("美元", "USD"),
        ("$", "USD"),
        ("hkd", "HKD"),
        ("港元", "HKD"),
        ("eur", "EUR"),
        ("ＪＰＹ", "JPY"),
    ],
)
def test_normalise_currency(code, expected):
    assert normalise_currency(code) == expected


@pytest.mark.parametrize("code", ["", "XYZ", "dollars", "yuan"])
def test_unknown_currencies_are_refused(code):
    with pytest.raises(AmountError, match="unknown currency"):
        normalise_currency(code)


@pytest.mark.parametrize(
    ("number", "text"),
    [("1E+6", "1000000"), ("1.500", "1.5"), ("0.010", "0.01"), ("33398000000.00", "33398000000")],
)
def test_plain_drops_trailing_zeros_without_exponent(number, text):
    assert str(plain(D(number))) == text


def test_long_values_are_exact_or_refused():
    raw = "1.00000000000000000000000000001"  # 30 significant digits, quantum 1e-29
    try:
        amount = parse_amount(raw)
    except AmountError:
        return  # refusing is acceptable
    assert amount.value == D(raw)


@pytest.mark.parametrize("raw", ["(-5)", "--5", "-(5)", "(RMB -5亿)", "- -218.40亿"])
def test_double_negatives_are_refused(raw: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(raw)


def test_magnitude_limit_applies_to_the_product() -> None:
    assert parse_amount("300万亿", currency="JPY").value == Decimal("3E14")
    with pytest.raises(AmountError, match="out of range"):
        parse_amount("999999万亿")


@pytest.mark.parametrize("raw", [D("1e999999999"), D("-1E+999999"), "1" + "0" * 60])
def test_overflowing_values_are_out_of_range_not_a_crash(raw) -> None:
    # Found by the fuzz suite (tests/test_faults): decimal.Overflow escaped as an internal error.
    with pytest.raises(AmountError, match="out of range"):
        parse_amount(raw, scale="亿")


@pytest.mark.parametrize("raw", [D("1E-400"), "0." + "0" * 40 + "1", D("0.001")])
def test_sub_cent_values_are_refused(raw) -> None:
    # Found by the fuzz suite: a QoQ ratio against 1e-394 broke the delta engine's rounding.
    with pytest.raises(AmountError, match="below 0.01"):
        parse_amount(raw)


def test_zero_and_a_cent_are_read() -> None:
    assert parse_amount(0).value == 0
    assert parse_amount("0.01").value == D("0.01")
    assert parse_amount("0.001", scale="million").value == 1000


def test_remembered_quanta_follow_printed_decimals_and_scale():
    # The quantum (printed step x scale) is memoised by (exponent, factor): every pair below
    # shares one half of its key with another and must still get its own answer.
    cases = [
        ("333.98亿", "1000000"), ("333.9亿", "10000000"), ("333亿", "100000000"),
        ("33.398 billion", "1000000"), ("33.39 million", "10000"), ("33 million", "1000000"),
    ]
    for _ in range(2):  # the second pass is answered from the memo
        for raw, quantum in cases:
            assert str(parse_amount(raw, currency="CNY").quantum) == quantum, raw
    assert str(parse_amount(5, scale="1E+6").quantum) == str(parse_amount(5, scale="1000000").quantum) == "1000000"
