"""schemas.release: the earnings release contract, parse_release and every refusal kind."""

import copy
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from schemas.company import Registry
from schemas.errors import InvalidInput
from schemas.release import EarningsRelease, Observation, normalise, parse_release

D = Decimal
MAX = 256 * 1024

# Alibaba, quarter ended 2025-06-30 (FY2026Q1): Cloud Intelligence Group revenue RMB 33,398m,
# +26% YoY from RMB 26,549m; group revenue RMB 247,652m.
BABA_FY26Q1 = {
    "release_id": "baba-fy2026q1",
    "company": "BABA",
    "period_end": "2025-06-30",
    "fiscal_period": "FY2026Q1",
    "published_at": "2025-08-29T07:30:00",
    "source_url": "https://www.alibabagroup.com/en-US/ir",
    "metrics": [
        {"segment": "Cloud Intelligence Group", "metric": "revenue", "value": "333.98亿", "reported_yoy_pct": 26},
        {"segment": "集团", "metric": "收入", "value": "RMB 247,652 million"},
        {"segment": "阿里云", "metric": "经调整EBITA", "value": 2954, "scale": "million"},
        {"segment": "Group", "metric": "资本开支", "value": "386.76亿"},
        {"segment": "Total", "metric": "free cash flow", "value": "-188.15亿"},
    ],
    "comparatives": [
        {"segment": "Cloud Intelligence Group", "metric": "revenue", "value": "265.49亿", "period_end": "2024-06-30"},
    ],
}


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry.load()


def doc(**changes):
    out = copy.deepcopy(BABA_FY26Q1)
    for key, value in changes.items():
        if value is ...:
            out.pop(key)
        else:
            out[key] = value
    return out


def encode(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def parse(registry, document, max_bytes=MAX):
    raw = document if isinstance(document, bytes) else encode(document)
    return parse_release(raw, registry, max_bytes=max_bytes)


def refusal(registry, document, max_bytes=MAX) -> InvalidInput:
    with pytest.raises(InvalidInput) as info:
        parse(registry, document, max_bytes)
    return info.value


def problems(exc: InvalidInput) -> list[tuple[str, str]]:
    return [(p.loc, p.message) for p in exc.problems]


def test_valid_alibaba_release(registry):
    release = parse(registry, doc())
    assert release.release_id == "baba-fy2026q1"
    assert release.company_id == "BABA"
    assert release.period_end == date(2025, 6, 30)
    assert release.fiscal_period == "FY2026Q1"
    assert release.published_at == datetime(2025, 8, 29, 7, 30, tzinfo=timezone.utc)
    assert release.source_url == "https://www.alibabagroup.com/en-US/ir"
    q = date(2025, 6, 30)
    assert release.observations == (
        Observation("cloud", "revenue", q, D("33398000000"), "CNY", D("1000000"), reported_yoy_pct=D(26)),
        Observation("group", "revenue", q, D("247652000000"), "CNY", D("1000000")),
        Observation("cloud", "adjusted_ebita", q, D("2954000000"), "CNY", D("1000000")),
        Observation("group", "capex", q, D("38676000000"), "CNY", D("1000000")),
        Observation("group", "free_cash_flow", q, D("-18815000000"), "CNY", D("1000000")),
    )
    assert release.comparatives == (
        Observation("cloud", "revenue", date(2024, 6, 30), D("26549000000"), "CNY", D("1000000")),
    )
    assert release.observations[0].series_key == ("cloud", "revenue")
    assert isinstance(release.raw, EarningsRelease)
    assert release.raw.metrics[0].value == "333.98亿"


@pytest.mark.parametrize(
    ("company", "company_id"), [("阿里巴巴", "BABA"), ("阿里巴巴集團", "BABA"), ("Alibaba", "BABA"), ("baba", "BABA")]
)
def test_company_alias(registry, company, company_id):
    assert parse(registry, doc(company=company)).company_id == company_id


def test_fiscal_period_is_optional_and_derived(registry):
    release = parse(registry, doc(fiscal_period=..., period_end="2026-03-31", comparatives=[]))
    assert release.fiscal_period == "FY2026Q4"  # the March quarter closes Alibaba's FY


@pytest.mark.parametrize("label", ["fy2026q1", "FY 2026 Q1", "FY2026-Q1"])
def test_fiscal_period_spellings(registry, label):
    assert parse(registry, doc(fiscal_period=label)).fiscal_period == "FY2026Q1"


def test_microsoft_fiscal_period(registry):
    document = doc(
        company="MSFT",
        period_end="2025-09-30",
        fiscal_period="FY2026Q1",
        metrics=[{"segment": "Intelligent Cloud", "metric": "revenue", "value": "$30.9 billion"}],
        comparatives=[],
    )
    release = parse(registry, document)
    assert (release.company_id, release.fiscal_period) == ("MSFT", "FY2026Q1")
    assert release.observations[0].value == D("30900000000")
    assert release.observations[0].currency == "USD"


@pytest.mark.parametrize(
    ("published_at", "expected"),
    [
        ("2025-08-29T07:30:00", datetime(2025, 8, 29, 7, 30, tzinfo=timezone.utc)),
        ("2025-08-29T15:30:00+08:00", datetime(2025, 8, 29, 15, 30, tzinfo=timezone(timedelta(hours=8)))),
        ("2025-08-29T07:30:00Z", datetime(2025, 8, 29, 7, 30, tzinfo=timezone.utc)),
    ],
)
def test_published_at_is_timezone_aware(registry, published_at, expected):
    published = parse(registry, doc(published_at=published_at)).published_at
    assert published == expected
    assert published.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("changes", "line", "value", "currency"),
    [
        # Release-level currency names are normalised.
        ({"currency": "RMB"}, {"value": "333.98亿"}, "33398000000", "CNY"),
        # A line can be in another currency than the company's reporting one.
        ({}, {"value": "US$4.6 billion", "currency": "USD"}, "4600000000", "USD"),
        ({}, {"value": "4.6", "unit": "美元", "scale": "bn"}, "4600000000", "USD"),
        ({"currency": "USD"}, {"value": "$4.6bn"}, "4600000000", "USD"),
        # Bare numbers with a scale.
        ({}, {"value": 333.98, "scale": "亿"}, "33398000000", "CNY"),
        ({}, {"value": 33398, "scale": 1000000}, "33398000000", "CNY"),
        ({}, {"value": "33,398", "scale": "million"}, "33398000000", "CNY"),
        ({}, {"value": "(1,409)", "scale": "million"}, "-1409000000", "CNY"),
        ({}, {"value": "３３３．９８亿"}, "33398000000", "CNY"),
    ],
)
def test_line_values_and_currencies(registry, changes, line, value, currency):
    metric = {"segment": "cloud", "metric": "revenue", **line}
    release = parse(registry, doc(metrics=[metric], comparatives=[], **changes))
    (obs,) = release.observations
    assert (obs.value, obs.currency) == (D(value), currency)


def test_json_numbers_are_read_as_exact_decimals(registry):
    # 19 significant digits: a float would keep about 16 of them.
    raw = (
        b'{"release_id":"x","company":"BABA","period_end":"2025-06-30","published_at":"2025-08-29T07:30:00",'
        b'"metrics":[{"segment":"cloud","metric":"revenue","value":1234567.891234567891,"scale":1e8},'
        b'{"segment":"group","metric":"revenue","value":0.3,"scale":1}]}'
    )
    first, second = parse(registry, raw).observations
    assert first.value == D("123456789123456.7891")
    assert first.quantum == D("0.0001")
    assert second.value == D("0.3")


def test_approx_and_reported_growth_are_carried(registry):
    metric = {"segment": "cloud", "metric": "revenue", "value": "334亿", "approx": True,
              "reported_yoy_pct": 26.1, "reported_qoq_pct": -2}
    (obs,) = parse(registry, doc(metrics=[metric], comparatives=[])).observations
    assert obs.approx is True
    assert obs.reported_yoy_pct == D("26.1")
    assert obs.reported_qoq_pct == D("-2")
    assert obs.quantum == D("100000000")


# --- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "max_bytes", "kind", "message"),
    [
        (b"x" * 11, 10, "too_large", "payload is 11 bytes; the limit is 10"),
        (b"\xff{}", MAX, "invalid_utf8", "not UTF-8: invalid start byte at byte 0"),
        (b'{"company": "caf\xe9"}', MAX, "invalid_utf8", "not UTF-8: invalid continuation byte at byte 16"),
        (b"{", MAX, "invalid_json", "not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"", MAX, "invalid_json", "not valid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b"[" * 100_000, 10**6, "invalid_json", "JSON nested too deeply"),
        (b"[]", MAX, "schema", "expected a JSON object, got list"),
        (b'"BABA"', MAX, "schema", "expected a JSON object, got str"),
        (b"null", MAX, "schema", "expected a JSON object, got NoneType"),
    ],
)
def test_undecodable_payloads(registry, raw, max_bytes, kind, message):
    exc = refusal(registry, raw, max_bytes)
    assert exc.kind == kind
    assert problems(exc) == [("", message)]
    assert str(exc) == f"{kind}: {message}"


def test_payload_exactly_at_the_limit_is_accepted(registry):
    raw = encode(doc())
    assert parse(registry, raw, max_bytes=len(raw)).release_id == "baba-fy2026q1"
    assert refusal(registry, raw, max_bytes=len(raw) - 1).kind == "too_large"


def _with_line(where, index, **changes):
    document = doc()
    line = document[where][index]
    for key, value in changes.items():
        if value is ...:
            line.pop(key)
        else:
            line[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (doc(extra_field=1), [("extra_field", "Extra inputs are not permitted")]),
        (_with_line("metrics", 0, note="x"), [("metrics.0.note", "Extra inputs are not permitted")]),
        (_with_line("comparatives", 0, restated=True), [("comparatives.0.restated", "Extra inputs are not permitted")]),
        (doc(release_id=...), [("release_id", "Field required")]),
        (doc(published_at=...), [("published_at", "Field required")]),
        (doc(metrics=[]), [("metrics", "List should have at least 1 item after validation, not 0")]),
        (doc(schema_version=2), [("schema_version", "Value error, unsupported schema_version 2; this build reads 1")]),
        (doc(period_end="2025-06-31"), [("period_end", "Input should be a valid date or datetime, day value is outside expected range")]),
        (_with_line("metrics", 0, value=True), [("metrics.0.value", "Value error, must be a number or a string, not true/false")]),
        (_with_line("metrics", 1, scale=False), [("metrics.1.scale", "Value error, must be a number or a string, not true/false")]),
        (_with_line("metrics", 0, reported_yoy_pct=True), [("metrics.0.reported_yoy_pct", "Value error, must be a number or a string, not true/false")]),
        (_with_line("metrics", 0, segment=""), [("metrics.0.segment", "String should have at least 1 character")]),
        (_with_line("comparatives", 0, period_end=...), [("comparatives.0.period_end", "Field required")]),
    ],
)
def test_schema_refusals(registry, document, expected):
    exc = refusal(registry, document)
    assert exc.kind == "schema"
    assert problems(exc) == expected


def test_schema_refusal_of_a_non_scalar_value_is_located(registry):
    exc = refusal(registry, _with_line("metrics", 0, value=[333.98]))
    assert exc.kind == "schema"
    assert exc.problems and all(p.loc.startswith("metrics.0.value") for p in exc.problems)


def test_unknown_company(registry):
    exc = refusal(registry, doc(company="NVDA"))
    assert exc.kind == "unknown_company"
    assert problems(exc) == [
        ("company", "company 'NVDA' is not in the registry (known: 0700.HK, AMZN, BABA, GOOGL, MSFT, ORCL)")
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"fiscal_period": "FY2026Q1", "period_end": "2025-09-30"},
            ("fiscal_period", "FY2026Q1 ends 2025-06-30 for BABA (fiscal year ends in month 3), "
                              "but period_end is 2025-09-30 (FY2026Q2)"),
        ),
        (
            # A calendar-year label for Alibaba's June quarter.
            {"fiscal_period": "FY2025Q2"},
            ("fiscal_period", "FY2025Q2 ends 2024-09-30 for BABA (fiscal year ends in month 3), "
                              "but period_end is 2025-06-30 (FY2026Q1)"),
        ),
        (
            {"period_end": "2025-06-29"},
            ("period_end", "2025-06-29 is not a fiscal quarter end for this company "
                           "(quarters end on the last day of Mar/Jun/Sep/Dec)"),
        ),
        (
            {"period_end": "2025-05-31", "fiscal_period": ...},
            ("period_end", "2025-05-31 is not a fiscal quarter end for this company "
                           "(quarters end on the last day of Mar/Jun/Sep/Dec)"),
        ),
    ],
)
def test_bad_period(registry, changes, expected):
    exc = refusal(registry, doc(comparatives=[], **changes))
    assert exc.kind == "bad_period"
    assert problems(exc) == [expected]
    assert str(exc) == f"bad_period: {expected[0]}: {expected[1]}"


def test_microsoft_fiscal_period_mismatch(registry):
    document = doc(
        company="MSFT", period_end="2025-06-30", fiscal_period="FY2026Q1", comparatives=[],
        metrics=[{"segment": "Intelligent Cloud", "metric": "revenue", "value": "$29.9bn"}],
    )
    exc = refusal(registry, document)
    assert (exc.kind, problems(exc)) == ("bad_period", [(
        "fiscal_period",
        "FY2026Q1 ends 2025-09-30 for MSFT (fiscal year ends in month 6), but period_end is 2025-06-30 (FY2025Q4)",
    )])


@pytest.mark.parametrize(
    ("where", "index", "changes", "expected"),
    [
        ("metrics", 0, {"value": "abc"}, ("metrics.0.value", "no number in value 'abc'")),
        ("metrics", 0, {"value": "NaN"}, ("metrics.0.value", "no number in value 'NaN'")),
        ("metrics", 0, {"value": "US$30.9 billion"},
         ("metrics.0.value", "value 'US$30.9 billion' is in USD, but the metric is in CNY")),
        ("metrics", 0, {"value": "398.24億元", "currency": "USD"},
         ("metrics.0.value", "value '398.24億元' is in CNY, but the metric is in USD")),
        ("metrics", 0, {"value": "333.98亿", "scale": "million"},
         ("metrics.0.value", "value '333.98亿' carries its own scale and also has scale='million'")),
        ("metrics", 2, {"scale": 0}, ("metrics.2.value", "scale must be a positive number, got 0")),
        ("metrics", 1, {"segment": "Taobao and Tmall Group"},
         ("metrics.1.segment", "segment 'Taobao and Tmall Group' is not known for BABA "
                               "(known: cloud, group; add a mapping in the registry file)")),
        ("metrics", 1, {"metric": "eps"},
         ("metrics.1.metric", "metric 'eps' is not known "
                              "(canonical: adjusted_ebita, capex, free_cash_flow, operating_income, revenue)")),
        ("comparatives", 0, {"period_end": "2025-06-30"},
         ("comparatives.0.period_end", "a comparative must be for an earlier quarter than 2025-06-30")),
        ("comparatives", 0, {"period_end": "2025-09-30"},
         ("comparatives.0.period_end", "a comparative must be for an earlier quarter than 2025-06-30")),
        ("comparatives", 0, {"period_end": "2024-06-29"},
         ("comparatives.0.period_end", "2024-06-29 is not a fiscal quarter end for this company "
                                       "(quarters end on the last day of Mar/Jun/Sep/Dec)")),
        ("comparatives", 0, {"value": "(garbage)"}, ("comparatives.0.value", "no number in value '(garbage)'")),
    ],
)
def test_bad_value(registry, where, index, changes, expected):
    exc = refusal(registry, _with_line(where, index, **changes))
    assert exc.kind == "bad_value"
    assert problems(exc) == [expected]


def test_nan_and_infinity_json_literals_are_bad_values(registry):
    raw = (
        b'{"release_id":"x","company":"BABA","period_end":"2025-06-30","published_at":"2025-08-29T07:30:00",'
        b'"metrics":[{"segment":"cloud","metric":"revenue","value":NaN},'
        b'{"segment":"group","metric":"revenue","value":-Infinity}]}'
    )
    exc = refusal(registry, raw)
    assert exc.kind == "bad_value"
    assert problems(exc) == [
        ("metrics.0.value", "value nan is not a finite number"),
        ("metrics.1.value", "value -inf is not a finite number"),
    ]


@pytest.mark.parametrize(
    "duplicate",
    [
        {"segment": "Cloud Intelligence Group", "metric": "revenue", "value": "333.98亿"},
        # Same series once the aliases are mapped: 阿里云 -> cloud, 营收 -> revenue.
        {"segment": "阿里云", "metric": "营收", "value": "RMB 33,400 million"},
    ],
)
def test_duplicate_metric_lines(registry, duplicate):
    document = doc()
    document["metrics"].append(duplicate)
    exc = refusal(registry, document)
    assert exc.kind == "bad_value"
    assert problems(exc) == [("metrics.5", "cloud/revenue for 2025-06-30 is also at metrics.0")]


def test_duplicate_comparatives(registry):
    document = doc()
    document["comparatives"].append(
        {"segment": "云智能集团", "metric": "收入", "value": "265.50亿", "period_end": "2024-06-30"}
    )
    exc = refusal(registry, document)
    assert problems(exc) == [("comparatives.1", "cloud/revenue for 2024-06-30 is also at comparatives.0")]


def test_same_series_in_metrics_and_an_earlier_comparative_is_fine(registry):
    release = parse(registry, doc())
    assert release.observations[0].series_key == release.comparatives[0].series_key
    assert release.observations[0].period_end > release.comparatives[0].period_end


def test_every_problem_is_collected_and_any_value_problem_makes_it_bad_value(registry):
    document = doc(period_end="2025-06-29", fiscal_period=...)
    document["metrics"][0]["value"] = "abc"
    document["metrics"][1]["metric"] = "eps"
    exc = refusal(registry, document)
    assert exc.kind == "bad_value"
    assert [p.loc for p in exc.problems] == ["period_end", "metrics.0.value", "metrics.1.metric"]
    assert str(exc).startswith("bad_value: period_end: 2025-06-29 is not a fiscal quarter end")


def test_malformed_fiscal_period_is_located_at_fiscal_period(registry):
    exc = refusal(registry, doc(fiscal_period="FY26Q1"))
    assert exc.kind == "bad_period"
    assert problems(exc) == [("fiscal_period", "fiscal period 'FY26Q1' is not of the form FY2026Q1")]


def test_out_of_range_fiscal_period_is_invalid_input(registry):
    exc = refusal(registry, doc(fiscal_period="FY0001Q1"))
    assert exc.kind == "bad_period"
    assert [p.loc for p in exc.problems] == ["fiscal_period"]


def test_comparative_period_problem_names_the_right_line(registry):
    document = doc()
    document["comparatives"] = [
        {"segment": "Taobao and Tmall Group", "metric": "revenue", "value": "1", "period_end": "2024-06-30"},
        {"segment": "cloud", "metric": "revenue", "value": "265.49亿", "period_end": "2025-09-30"},
    ]
    exc = refusal(registry, document)
    assert [p.loc for p in exc.problems] == ["comparatives.0.segment", "comparatives.1.period_end"]


def test_unit_and_currency_must_agree(registry):
    metric = {"segment": "cloud", "metric": "revenue", "value": "333.98亿", "unit": "USD", "currency": "CNY"}
    with pytest.raises(InvalidInput) as info:
        parse(registry, doc(metrics=[metric], comparatives=[]))
    assert [p.loc for p in info.value.problems] == ["metrics.0.unit"]


def test_unknown_release_currency_is_reported_once_at_currency(registry):
    with pytest.raises(InvalidInput) as info:
        parse(registry, doc(currency="XYZ"))
    assert [p.loc for p in info.value.problems] == ["currency"]
    assert "XYZ" in info.value.problems[0].message


@pytest.mark.parametrize("number", [b"1" * 5000, b"-" + b"9" * 4301])
def test_overlong_integer_is_invalid_json(registry, number):
    exc = refusal(registry, b'{"release_id": "r", "schema_version": ' + number + b"}")
    assert exc.kind == "invalid_json"
    assert problems(exc) == [("", "not valid JSON: an integer has more than 4300 digits")]


def test_integer_at_the_digit_limit_is_read(registry):
    exc = refusal(registry, b'{"schema_version": ' + b"1" * 4300 + b"}")
    assert exc.kind == "schema"  # decoded; refused by the contract, not the JSON reader


@pytest.mark.parametrize("number", ["1E+3", "12e2", "3.3006e4", "1e-2"])
def test_exponent_numbers_survive_the_ingest_hop(registry, number):
    # Found by the fuzz suite (tests/test_faults): ingest accepted 1E+3, then the analysis
    # agent refused the forwarded text "1E+3" as an unreadable amount.
    metric = {"segment": "cloud", "metric": "revenue", "value": "NUMBER", "scale": "million"}
    raw = encode(doc(metrics=[metric], comparatives=[])).replace(b'"NUMBER"', number.encode())
    first = parse(registry, raw)
    forwarded = first.raw.model_dump_json().encode()
    again = normalise(EarningsRelease.model_validate_json(forwarded), registry)
    assert again.observations == first.observations
    assert first.observations[0].value == D(number) * 1_000_000


def test_exponent_numbers_out_of_range_are_refused(registry):
    metric = {"segment": "cloud", "metric": "revenue", "value": "NUMBER"}
    raw = encode(doc(metrics=[metric], comparatives=[])).replace(b'"NUMBER"', b"1e999999999")
    assert refusal(registry, raw).kind == "schema"


def test_overlong_json_fractions_are_refused_at_ingest(registry):
    # Found by the fuzz suite: a 5000-digit fraction passed ingest (rounded) and was then
    # refused by the analysis agent as a 5002-character amount.
    metric = {"segment": "cloud", "metric": "revenue", "value": "NUMBER"}
    raw = encode(doc(metrics=[metric], comparatives=[])).replace(b'"NUMBER"', b"0." + b"3" * 5000)
    assert refusal(registry, raw).kind == "bad_value"


@pytest.mark.parametrize(("field", "day"), [("period_end", "9999-12-31"), ("period_end", "1899-12-31"),
                                            ("comparatives", "0001-03-31")])
def test_quarters_outside_reported_years_are_refused(registry, field, day):
    # Found by the fuzz suite (tests/test_faults): 9999-12-31 passed ingest, then shifting it a
    # quarter forward in the delta engine raised "year 10000 is out of range".
    if field == "period_end":
        document = doc(period_end=day, fiscal_period=..., comparatives=[])
    else:
        document = doc(comparatives=[{"segment": "cloud", "metric": "revenue", "value": 1, "period_end": day}])
    exc = refusal(registry, document)
    assert "outside the years 1900-2999" in exc.summary
