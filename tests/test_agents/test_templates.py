"""agents.templates: bilingual wording, display rounding, and every number traceable to a fact."""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from agents.alerts import compose
from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.rules import RuleSet
from agents.templates import (
    TemplateWriter, change_zh_money, fact_en, fact_zh, money_en, money_zh, pct, signed, titles,
)
from schemas.alert import Alert
from schemas.delta import DeltaRecord, PriorValue, Revision

from .builders import bundled_releases, line, registry, release, revenue_release

D = Decimal
RULES = RuleSet.load(None)
BABA = registry().get("BABA")
AMZN = registry().get("AMZN")


async def run(releases) -> list[Alert]:
    stage = AnalysisStage(DeltaEngine(), RULES, TemplateWriter())
    store: dict = {}
    alerts: list[Alert] = []
    for r in releases:
        alerts.extend((await stage.process(r, store)).alerts)
    return alerts


@pytest.fixture(scope="module")
def alibaba_alerts() -> dict[str, Alert]:
    import asyncio
    alerts = asyncio.run(run(bundled_releases("alibaba.jsonl")))
    return {a.fiscal_period: a for a in alerts}


# ---------------------------------------------------------------------------------- number provenance
NUMBER = re.compile(r"\d+(?:\.\d+)?")
NOT_FACTS = (
    re.compile(r"FY\d{4}Q[1-4]"),              # fiscal period label
    re.compile(r"\d{4}-\d{2}-\d{2}"),          # quarter end, ISO
    re.compile(r"\d{4}年\d{1,2}月\d{1,2}日"),   # quarter end, Chinese
)


def _q(value: Decimal, places: str) -> str:
    return str(abs(value).quantize(D(places), rounding=ROUND_HALF_UP))


def allowed_numbers(alert: Alert) -> tuple[set[str], set[str]]:
    """Display forms (unsigned) of every fact number: (Chinese text, English text)."""
    zh: set[str] = set()
    en: set[str] = set()
    for f in alert.facts:
        money = [f.value, f.qoq_abs, f.yoy_abs, f.revision.previous_value if f.revision else None]
        for v in (m for m in money if m is not None):
            zh.add(_q(v / D("1e8"), "0.01") if abs(v) >= D("1e8") else _q(v / D("1e4"), "1"))
            en.add(_q(v / D("1e9"), "0.01") if abs(v) >= D("1e9") else _q(v / D("1e6"), "0.1"))
        ratios = [f.yoy_pct, f.qoq_pct, f.prev_yoy_pct, f.yoy_change_pp, f.reported_yoy_pct, f.yoy_mismatch_pp,
                  f.margin_pct, f.margin_change_pp, f.capex_intensity_pct, f.capex_intensity_change_pp]
        for r in (x for x in ratios if x is not None):
            zh.add(_q(r, "0.1"))
            en.add(_q(r, "0.1"))
    return zh, en


def numbers_in(text: str) -> list[str]:
    for pattern in NOT_FACTS:
        text = pattern.sub(" ", text)
    return NUMBER.findall(text)


def untraceable(alert: Alert) -> list[str]:
    zh, en = allowed_numbers(alert)
    bad = [f"zh:{n}" for t in (alert.title_zh, alert.text_zh) for n in numbers_in(t) if n not in zh]
    bad += [f"en:{n}" for t in (alert.title_en, alert.text_en) for n in numbers_in(t) if n not in en]
    return bad


def test_provenance_checker_can_fail(alibaba_alerts):
    alert = alibaba_alerts["FY2026Q2"]
    assert untraceable(alert) == []
    forged = alert.model_copy(update={"text_en": alert.text_en + " Up 12.34% on the year.", "text_zh": alert.text_zh + "同比增长34.6%"})
    assert untraceable(forged) == ["zh:34.6", "en:12.34"]


async def test_every_number_in_bundled_alerts_comes_from_facts():
    alerts = await run(bundled_releases("alibaba.jsonl")) + await run(bundled_releases("peers.jsonl"))
    assert len(alerts) >= 5
    for alert in alerts:
        assert numbers_in(alert.text_zh) and numbers_in(alert.text_en)
        assert untraceable(alert) == [], (alert.title_en, alert.text_zh, alert.text_en)


async def test_every_number_in_synthetic_alerts_comes_from_facts():
    releases = [
        release(company="GOOGL", period_end="2025-03-31", metrics=[
            line("Group", "revenue", 90_000_000_000), line("Group", "capex", 17_000_000_000),
            line("Group", "operating_income", 30_000_000_000), line("Group", "free_cash_flow", 19_000_000_000)]),
        release(company="GOOGL", period_end="2025-06-30", metrics=[
            line("Group", "revenue", 96_000_000_000, reported_yoy_pct=40),
            line("Group", "capex", 22_400_000_000), line("Group", "operating_income", 28_000_000_000),
            line("Group", "free_cash_flow", -5_300_000)]),
        release(company="GOOGL", period_end="2025-06-30", metrics=[
            line("Group", "revenue", 96_000_000_000, reported_yoy_pct=40),
            line("Group", "capex", 22_450_000_000), line("Group", "operating_income", 28_000_000_000),
            line("Group", "free_cash_flow", -5_300_000)]),
    ]
    alerts = await run(releases)
    assert [a.kinds for a in alerts] == [
        ["fcf_turn", "capex_shift", "margin_shift"], ["fcf_turn", "capex_shift", "revision", "margin_shift"]]
    for alert in alerts:
        assert untraceable(alert) == [], (alert.text_zh, alert.text_en)


# ---------------------------------------------------------------------------------- exact wording
def test_alibaba_fy2026q2_wording(alibaba_alerts):
    a = alibaba_alerts["FY2026Q2"]
    assert a.title_zh == "阿里巴巴 FY2026Q2：云智能集团收入增速加快至34.5%（+8.5个百分点）"
    assert a.title_en == "Alibaba FY2026Q2: Cloud Intelligence Group revenue growth accelerates to 34.5% YoY (+8.5 pp)"
    assert a.text_zh == (
        "阿里巴巴FY2026Q2（截至2025年9月30日止季度）："
        "云智能集团收入398.24亿元，同比增长34.5%，增速较上季度的26.0%提升8.5个百分点，环比增长19.2%。"
        "集团资本支出315.01亿元，同比增长80.1%（公司披露），环比下降18.4%。"
    )
    assert a.text_en == (
        "Alibaba FY2026Q2 (quarter ended 2025-09-30): "
        "Cloud Intelligence Group revenue RMB 39.82bn, +34.5% YoY, growth +8.5 pp from 26.0% in the prior quarter, "
        "+19.2% QoQ. Group capex RMB 31.50bn, +80.1% YoY (as reported), -18.4% QoQ."
    )
    assert a.generated_by == "template"


def test_chinese_and_english_conventions(alibaba_alerts):
    a = alibaba_alerts["FY2026Q2"]
    for word in ("亿元", "同比", "环比", "个百分点"):
        assert word in a.text_zh
    for word in ("RMB ", "bn", "YoY", "QoQ", " pp"):
        assert word in a.text_en
    assert "pp" not in a.text_zh and "亿" not in a.text_en


def test_fcf_turn_wording_suppresses_percent_across_sign_change(alibaba_alerts):
    a = alibaba_alerts["FY2026Q1"]
    assert a.title_zh == "阿里巴巴 FY2026Q1：云智能集团收入增速加快至26.0%（+8.0个百分点）"
    fcf_zh = "集团自由现金流-188.15亿元，较上年同期减少361.87亿元，由上年同期的正值转为负值。"
    fcf_en = "Group free cash flow RMB -18.82bn, RMB -36.19bn YoY, turned negative from a year ago."
    assert a.text_zh.endswith(fcf_zh)
    assert a.text_en.endswith(fcf_en)
    fcf = next(f for f in a.facts if f.metric == "free_cash_flow")
    assert fcf.yoy_pct == D("-208.31")  # computed, but meaningless across the sign change
    assert "208" not in a.text_zh and "208" not in a.text_en


def test_fcf_turn_title():
    r = release(period_end="2025-06-30", metrics=[line("Group", "free_cash_flow", -2_500_000_000)])
    store: dict = {}
    DeltaEngine().apply(release(period_end="2025-03-31", metrics=[line("Group", "free_cash_flow", 1_000_000_000)]), store)
    [draft] = compose(r, DeltaEngine().apply(r, store), RULES, {})
    assert titles(draft) == ("亚马逊 FY2025Q2：自由现金流转负，为-25.00亿美元",
                             "Amazon FY2025Q2: free cash flow turns negative at US$-2.50bn")


def _fcf(period: date, value: str, *, prior: str | None = None, year_ago: str | None = None, **fields) -> DeltaRecord:
    def pv(p: date, v: str) -> PriorValue:
        return PriorValue(period_end=p, fiscal_period=BABA.calendar.label(p), value=D(v), basis="reported", release_id="R0")
    extra = dict(fields)
    if prior is not None:
        extra |= dict(prior_quarter=pv(BABA.calendar.shift(period, -1), prior), qoq_abs=D(value) - D(prior))
    if year_ago is not None:
        extra |= dict(year_ago=pv(BABA.calendar.shift(period, -4), year_ago), yoy_abs=D(value) - D(year_ago))
    return DeltaRecord(delta_id="d", trigger="release", release_id="R1", company="BABA", segment="group",
                       metric="free_cash_flow", period_end=period, fiscal_period=BABA.calendar.label(period),
                       currency="CNY", value=D(value), quantum=D("1000000"), **extra)


def test_percent_suppressed_between_two_negatives():
    f = _fcf(date(2025, 9, 30), "-21840000000", prior="-18815000000", qoq_pct=D("-16.08"))
    assert fact_zh(BABA, f) == "集团自由现金流-218.40亿元，较上季度减少30.25亿元。"
    assert fact_en(BABA, f) == "Group free cash flow RMB -21.84bn, RMB -3.03bn QoQ."


def test_percent_suppressed_from_negative_to_positive():
    f = _fcf(date(2025, 9, 30), "500000000", prior="-200000000", qoq_pct=D("350.00"),
             sign_change="to_positive", sign_change_vs="prior_quarter")
    assert fact_zh(BABA, f) == "集团自由现金流5.00亿元，较上季度增加7.00亿元，由上季度的负值转为正值。"
    assert fact_en(BABA, f) == "Group free cash flow RMB 500.0m, +RMB 700.0m QoQ, turned positive from the prior quarter."


def test_acceleration_suppressed_when_growth_crosses_sign():
    store: dict = {}
    engine = DeltaEngine()
    outcome = None
    for r in bundled_releases("alibaba.jsonl"):
        outcome = engine.apply(r, store)
    fcf = next(d for d in outcome.deltas if d.metric == "free_cash_flow")
    assert (fcf.prev_yoy_pct, fcf.yoy_change_pp) == (D("-208.31"), D("-50.70"))
    zh, en = fact_zh(BABA, fcf), fact_en(BABA, fcf)
    for text in (zh, en):
        assert "208" not in text and "50.7" not in text, text


# ---------------------------------------------------------------------------------- pieces
@pytest.mark.parametrize(("value", "currency", "zh", "en"), [
    ("39824000000", "CNY", "398.24亿元", "RMB 39.82bn"),
    ("-18815000000", "CNY", "-188.15亿元", "RMB -18.82bn"),
    ("387000000", "CNY", "3.87亿元", "RMB 387.0m"),
    ("5000000", "CNY", "500万元", "RMB 5.0m"),
    ("33006000000", "USD", "330.06亿美元", "US$33.01bn"),
    ("1000000000", "HKD", "10.00亿港元", "HK$1.00bn"),
])
def test_money_formats(value, currency, zh, en):
    assert money_zh(D(value), currency) == zh
    assert money_en(D(value), currency) == en


def test_revision_mismatch_margin_intensity_wording():
    f = DeltaRecord(
        delta_id="d", trigger="revision", release_id="R2", company="BABA", segment="cloud", metric="adjusted_ebita",
        period_end=date(2025, 9, 30), fiscal_period="FY2026Q2", currency="CNY", value=D("3604000000"),
        quantum=D("1000000"), yoy_pct=D("35.44"), yoy_basis="computed", reported_yoy_pct=D("33"),
        yoy_mismatch_pp=D("2.44"), margin_pct=D("9.05"), margin_change_pp=D("-0.21"), margin_change_basis="yoy",
        revision=Revision(previous_value=D("3504000000"), previous_release_id="R1"),
    )
    assert fact_zh(BABA, f) == (
        "云智能集团经调整EBITA36.04亿元，同比增长35.4%，利润率9.1%，较上年同期下降0.2个百分点，"
        "公司披露同比增速33.0%，与计算值相差2.4个百分点，此前公布为35.04亿元（已修订）。")
    assert fact_en(BABA, f) == (
        "Cloud Intelligence Group adjusted EBITA RMB 3.60bn, +35.4% YoY, margin 9.1% (-0.2 pp YoY), "
        "reported growth 33.0% differs from computed by 2.4 pp, revised from RMB 3.50bn.")


def test_capex_intensity_wording():
    f = DeltaRecord(delta_id="d", trigger="release", release_id="R", company="AMZN", segment="group", metric="capex",
                    period_end=date(2025, 6, 30), fiscal_period="FY2025Q2", currency="USD", value=D("150"),
                    quantum=D("1"), capex_intensity_pct=D("15.00"), capex_intensity_change_pp=D("5.00"))
    assert fact_zh(AMZN, f) == "集团资本支出0万美元，资本支出占收入15.0%（上升5.0个百分点）。"
    assert fact_en(AMZN, f) == "Group capex US$0.0m, 15.0% of revenue (+5.0 pp)."


async def test_recompute_lead_sentence():
    releases = [revenue_release(p, v) for p, v in (
        ("2024-06-30", 100), ("2024-09-30", 100), ("2025-09-30", 130), ("2025-06-30", 110))]
    alerts = await run(releases)
    recomputed = [a for a in alerts if a.trigger == "recompute"]
    assert len(recomputed) == 1
    assert recomputed[0].text_zh.startswith("亚马逊FY2025Q3（截至2025年9月30日止季度）因较早季度数据补录而重算：")
    assert recomputed[0].text_en.startswith(
        "Amazon FY2025Q3 (quarter ended 2025-09-30), recomputed after an earlier quarter arrived: ")


def test_small_decline_is_not_written_as_negative_growth():
    f = DeltaRecord(delta_id="d", trigger="release", release_id="R", company="AMZN", segment="cloud", metric="revenue",
                    period_end=date(2025, 6, 30), fiscal_period="FY2025Q2", currency="USD", value=D("24990000000"),
                    quantum=D("1000000"), qoq_abs=D("-10000000"), qoq_pct=D("-0.04"),
                    prior_quarter=PriorValue(period_end=date(2025, 3, 31), fiscal_period="FY2025Q1",
                                             value=D("25000000000"), basis="reported", release_id="R0"))
    text = fact_zh(AMZN, f)
    assert "增长-" not in text, text
    assert fact_zh(AMZN, f) == "亚马逊云科技收入249.90亿美元，环比持平。"
    assert fact_en(AMZN, f) == "AWS revenue US$24.99bn, flat QoQ."


def _cloud(**fields) -> DeltaRecord:
    return DeltaRecord(delta_id="d", trigger="release", release_id="R", company="AMZN", segment="cloud", metric="revenue",
                       period_end=date(2025, 6, 30), fiscal_period="FY2025Q2", currency="USD", value=D("25000000000"),
                       quantum=D("1000000"), **fields)


@pytest.mark.parametrize("value", ["-0.04", "0", "0.04", "-0.049"])
def test_change_that_shows_as_zero_is_flat_in_both_languages(value):
    f = _cloud(yoy_pct=D(value), yoy_basis="reported", prev_yoy_pct=D("26.00"), yoy_change_pp=D(value))
    assert fact_zh(AMZN, f) == "亚马逊云科技收入250.00亿美元，同比持平（公司披露），增速与上季度的26.0%持平。"
    assert fact_en(AMZN, f) == "AWS revenue US$25.00bn, flat YoY (as reported), growth flat vs 26.0% in the prior quarter."


def test_flat_margin_and_intensity_changes():
    f = _cloud(margin_pct=D("30.00"), margin_change_pp=D("-0.03"), margin_change_basis="qoq",
               capex_intensity_pct=D("10.00"), capex_intensity_change_pp=D("-0.02"))
    assert fact_zh(AMZN, f) == "亚马逊云科技收入250.00亿美元，利润率30.0%，较上季度持平，资本支出占收入10.0%（持平）。"
    assert fact_en(AMZN, f) == "AWS revenue US$25.00bn, margin 30.0% (flat QoQ), 10.0% of revenue (flat)."


def test_change_that_rounds_away_from_zero_keeps_its_direction():
    f = _cloud(qoq_pct=D("-0.05"), yoy_pct=D("0.05"), yoy_basis="reported")
    assert fact_zh(AMZN, f) == "亚马逊云科技收入250.00亿美元，同比增长0.1%（公司披露），环比下降0.1%。"
    assert fact_en(AMZN, f) == "AWS revenue US$25.00bn, +0.1% YoY (as reported), -0.1% QoQ."


def test_no_negative_zero_in_display_helpers():
    assert (pct(D("-0.04")), signed(D("-0.04")), signed(D("-0.05"))) == ("0.0", "+0.0", "-0.1")
    assert money_en(D("-40000"), "USD", signed=True) == "+US$0.0m"
    assert money_en(D("-40000"), "USD") == "US$0.0m"
    assert money_zh(D("-4000"), "CNY") == "0万元"
    assert change_zh_money(D("-4000"), "CNY") == "增加0万元"
    assert change_zh_money(D("-5000"), "CNY") == "减少1万元"


def test_acceleration_suppressed_when_prior_quarter_growth_crosses_sign():
    # This quarter's growth is meaningful (100 -> 50, -50%), the prior quarter's is not
    # (its value is negative), so a change between them (+100 pp) is not printed.
    f = _fcf(date(2025, 9, 30), "5000000000", prior="-5000000000", year_ago="10000000000",
             yoy_pct=D("-50.00"), yoy_basis="computed", prev_yoy_pct=D("-150.00"), prev_yoy_basis="computed",
             yoy_change_pp=D("100.00"))
    zh, en = fact_zh(BABA, f), fact_en(BABA, f)
    assert zh == "集团自由现金流50.00亿元，同比下降50.0%，较上季度增加100.00亿元。"
    assert en == "Group free cash flow RMB 5.00bn, -50.0% YoY, +RMB 10.00bn QoQ."


async def test_titles_do_not_print_growth_that_is_not_meaningful(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "fcf_accel"\nkind = "growth_deceleration"\nsegment = "group"\n'
        'metric = "free_cash_flow"\nmeasure = "yoy_change_pp"\nop = "abs>="\nthreshold = 1\n', "utf-8")
    stage = AnalysisStage(DeltaEngine(), RuleSet.load(path), TemplateWriter())
    store: dict = {}
    alerts = [a for r in bundled_releases("alibaba.jsonl") for a in (await stage.process(r, store)).alerts]
    [a] = [a for a in alerts if a.fiscal_period == "FY2026Q2"]
    assert a.facts[-1].yoy_change_pp == D("-50.70")
    for text in (a.title_zh, a.title_en, a.text_zh, a.text_en):
        assert "50.7" not in text and "259" not in text and "208" not in text, text
    assert (a.title_zh, a.title_en) == ("阿里巴巴 FY2026Q2：集团自由现金流变动", "Alibaba FY2026Q2: group free cash flow change")


async def test_capex_title_gives_amounts_across_a_sign_change():
    # Capex printed as a (negative) cash outflow: percentages from a negative base mean nothing.
    releases = [release(company="GOOGL", period_end=p, metrics=[line("Group", "capex", v)])
                for p, v in (("2024-06-30", "-5000000000"), ("2025-03-31", "-6000000000"), ("2025-06-30", "-10000000000"))]
    alerts = await run(releases)
    [a] = [a for a in alerts if a.fiscal_period == "FY2025Q2"]
    assert a.kind == "capex_shift"
    assert "%" not in a.title_zh and "%" not in a.title_en, (a.title_zh, a.title_en)
    assert a.title_zh == "谷歌母公司Alphabet FY2025Q2：资本支出-100.00亿美元，较上季度减少40.00亿美元，较上年同期减少50.00亿美元"
    assert a.title_en == "Alphabet FY2025Q2: capex US$-10.00bn, US$-4.00bn QoQ, US$-5.00bn YoY"
