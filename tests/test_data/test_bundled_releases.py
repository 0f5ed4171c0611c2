"""The bundled real data: computed growth must agree with what the companies reported.

Tolerance comes from printed precision: a growth rate printed as an integer ("34%") may be off
by 0.5 pp from the exact figure, one printed with a decimal by 0.05 pp; inputs that are themselves
rounded ("~RMB 26.5 billion") widen it by their own relative precision.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest

from schemas.company import Registry
from schemas.money import parse_amount
from schemas.release import parse_release
from streams.demo import bundled_releases

SOURCE = json.loads(resources.files("streams").joinpath("data/sources/alibaba_quarters.json").read_text("utf-8"))


def amount(record: dict) -> Decimal:
    return Decimal(str(record["value"])) * Decimal(str(record["scale"]))


def year_ago(day: str) -> str:
    d = date.fromisoformat(day)
    return d.replace(year=d.year - 1).isoformat()


def printed_tolerance(pct: float | int) -> Decimal:
    text = str(pct)
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Decimal("0.5") / (10 ** decimals)


def relative_precision(record: dict) -> Decimal:
    """Half a unit of the last printed digit, relative to the value."""
    value = Decimal(str(record["value"]))
    exponent = value.as_tuple().exponent
    return (Decimal(5) * Decimal(10) ** (exponent - 1)) / abs(value)


PAIRS = [
    (r, prior)
    for r in SOURCE["records"]
    if r["reported_yoy_pct"] is not None
    for prior in SOURCE["records"]
    if (prior["segment"], prior["metric"], prior["period_end"]) == (r["segment"], r["metric"], year_ago(r["period_end"]))
]


def test_every_checkable_alibaba_quarter_is_covered() -> None:
    checked = {(r["metric"], r["fiscal_period"]) for r, _ in PAIRS}
    # Cloud revenue FY2025Q2, FY2026Q1, FY2026Q2 and cloud EBITA FY2025Q2 have their year-ago figure in the data.
    assert {("revenue", "FY2025Q2"), ("revenue", "FY2026Q1"), ("revenue", "FY2026Q2"),
            ("adjusted_ebita", "FY2025Q2")} <= checked


@pytest.mark.parametrize("record,prior", PAIRS, ids=lambda r: f"{r['metric']}-{r['fiscal_period']}")
def test_alibaba_yoy_matches_reported(record: dict, prior: dict) -> None:
    current, base = amount(record), amount(prior)
    computed = (current - base) / abs(base) * 100
    # Growth error from rounded inputs: d(g) ~ (1 + g) * (e_current + e_base), in pp.
    rounding = (1 + computed / 100) * (relative_precision(record) + relative_precision(prior)) * 100
    tolerance = printed_tolerance(record["reported_yoy_pct"]) + rounding
    assert abs(computed - Decimal(str(record["reported_yoy_pct"]))) <= tolerance, (computed, tolerance)


def test_bundled_releases_parse_and_carry_the_shared_figures() -> None:
    registry = Registry.load(None)
    releases = [parse_release(line, registry, max_bytes=262144) for line in bundled_releases()]
    values = {
        (r.company_id, o.segment, o.metric, o.period_end.isoformat()): o.value
        for r in releases for o in (*r.observations, *r.comparatives)
    }
    segment = {"Cloud Intelligence Group": "cloud", "group": "group"}
    for record in SOURCE["records"]:
        key = ("BABA", segment[record["segment"]], record["metric"], record["period_end"])
        assert values[key] == amount(record), key
    assert parse_amount("398.24亿").value == values[("BABA", "cloud", "revenue", "2025-09-30")]


def test_peer_yoy_matches_reported() -> None:
    registry = Registry.load(None)
    series: dict[tuple[str, str, str], dict[str, tuple[Decimal, Decimal | None]]] = {}
    for line in bundled_releases():
        release = parse_release(line, registry, max_bytes=262144)
        if release.company_id == "BABA":
            continue
        for o in release.observations:
            series.setdefault((release.company_id, o.segment, o.metric), {})[o.period_end.isoformat()] = (o.value, o.reported_yoy_pct)
    checked = 0
    for points in series.values():
        for day, (value, reported) in points.items():
            if reported is None or year_ago(day) not in points:
                continue
            base = points[year_ago(day)][0]
            computed = (value - base) / base * 100
            assert abs(computed - reported) <= printed_tolerance(reported) + Decimal("0.01"), (day, computed, reported)
            checked += 1
    assert checked >= 10
