"""agents.deltas: QoQ/YoY, acceleration, margins, capex, sign flips, revisions, late quarters."""

from __future__ import annotations

import copy
import json
import random
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

from agents.deltas import (
    _FLOAT_KEYS,
    _NESTED_KEYS,
    DeltaEngine,
    Outcome,
    _sorted_bytes,
    content_id,
    delta_id_of,
)
from schemas.delta import DeltaRecord, PriorValue

from .builders import bundled_releases, line, release, revenue_release

D = Decimal
ENGINE = DeltaEngine()


def one(outcome: Outcome, metric: str = "revenue", segment: str = "cloud") -> DeltaRecord:
    found = [d for d in outcome.deltas if d.metric == metric and d.segment == segment]
    assert len(found) == 1, outcome.deltas
    return found[0]


def exact_pct(value: Decimal, base: Decimal) -> Decimal:
    return (value - base) / abs(base) * 100


def r2(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_UP)


@pytest.fixture(scope="module")
def alibaba() -> dict[str, Outcome]:
    """The bundled Alibaba file applied in order: fiscal label -> outcome."""
    store: dict = {}
    return {r.fiscal_period: ENGINE.apply(r, store) for r in bundled_releases("alibaba.jsonl")}


# ---------------------------------------------------------------------------------- basics
def test_first_quarter_has_no_comparisons():
    out = ENGINE.apply(revenue_release("2025-06-30", 1000), {})
    assert out.status == "new"
    assert out.recomputed == []
    d = one(out)
    assert (d.company, d.fiscal_period, d.value, d.currency, d.trigger) == ("AMZN", "FY2025Q2", D(1000), "USD", "release")
    assert d.prior_quarter is None and d.qoq_abs is None and d.qoq_pct is None
    assert d.year_ago is None and d.yoy_pct is None and d.yoy_change_pp is None


def test_qoq_and_yoy_exact():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-06-30", 800), store)
    ENGINE.apply(revenue_release("2025-03-31", 900), store)
    d = one(ENGINE.apply(revenue_release("2025-06-30", 1000), store))
    assert d.prior_quarter.period_end == date(2025, 3, 31)
    assert d.prior_quarter.fiscal_period == "FY2025Q1"
    assert d.prior_quarter.basis == "reported"
    assert d.prior_quarter.release_id == "AMZN-2025-03-31"
    assert d.qoq_abs == D(100)
    assert d.qoq_pct == D("11.11")  # 100/900 = 11.111..
    assert d.year_ago.period_end == date(2024, 6, 30)
    assert d.yoy_abs == D(200)
    assert d.yoy_pct == D("25.00")
    assert d.yoy_basis == "computed"
    assert d.restated_comparative_used is False


def test_yoy_falls_back_to_stated_growth():
    d = one(ENGINE.apply(revenue_release("2025-06-30", 1000, reported_yoy_pct=17.5), {}))
    assert (d.yoy_pct, d.yoy_basis, d.reported_yoy_pct, d.yoy_mismatch_pp) == (D("17.50"), "reported", D("17.50"), None)
    assert d.year_ago is None and d.yoy_abs is None


def test_delta_id_is_content_hash():
    d = one(ENGINE.apply(revenue_release("2025-06-30", 1000), {}))
    assert d.delta_id == content_id("delta", d.model_dump(mode="json", exclude={"delta_id"}))
    assert d.delta_id.startswith("delta-") and len(d.delta_id) == len("delta-") + 20
    again = one(ENGINE.apply(revenue_release("2025-06-30", 1000), {}))
    assert again.delta_id == d.delta_id


# ---------------------------------------------------------------------------------- gap
def test_gap_gives_no_qoq_and_no_acceleration():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-09-30", 700), store)
    ENGINE.apply(revenue_release("2025-03-31", 900), store)  # 2025-06-30 never arrives
    d = one(ENGINE.apply(revenue_release("2025-09-30", 1050), store))
    assert d.prior_quarter is None
    assert d.qoq_abs is None and d.qoq_pct is None
    assert d.prev_yoy_pct is None and d.yoy_change_pp is None
    assert d.yoy_pct == D("50.00")  # YoY does not need the missing quarter


# ---------------------------------------------------------------------------------- late quarter
def test_late_quarter_q3_then_q1_then_q2():
    store: dict = {}
    q3 = ENGINE.apply(revenue_release("2025-09-30", 1320), store)
    assert one(q3).qoq_pct is None and q3.recomputed == []

    q1 = ENGINE.apply(revenue_release("2025-03-31", 1000), store)
    assert one(q1).qoq_pct is None
    assert q1.recomputed == []  # Q3 is two quarters on: never a QoQ across the gap

    q2 = ENGINE.apply(revenue_release("2025-06-30", 1100), store)
    d2 = one(q2)
    assert (d2.prior_quarter.period_end, d2.qoq_abs, d2.qoq_pct) == (date(2025, 3, 31), D(100), D("10.00"))

    assert len(q2.recomputed) == 1
    r3 = q2.recomputed[0]
    assert (r3.period_end, r3.trigger, r3.release_id) == (date(2025, 9, 30), "recompute", "AMZN-2025-09-30")
    assert (r3.value, r3.qoq_abs, r3.qoq_pct) == (D(1320), D(220), D("20.00"))
    assert r3.prior_quarter.release_id == "AMZN-2025-06-30"


def test_late_year_ago_quarter_recomputes_yoy_and_acceleration():
    store: dict = {}
    for period, value in (("2024-06-30", 100), ("2025-03-31", 120), ("2025-06-30", 130)):
        ENGINE.apply(revenue_release(period, value), store)
    # 2024-03-31 arrives last: 2025-03-31's YoY (step 4) and 2025-06-30's acceleration (step 5).
    out = ENGINE.apply(revenue_release("2024-03-31", 96), store)
    assert [(r.period_end, r.trigger) for r in out.recomputed] == [
        (date(2024, 6, 30), "recompute"), (date(2025, 3, 31), "recompute"), (date(2025, 6, 30), "recompute")]
    by_period = {r.period_end: r for r in out.recomputed}
    assert by_period[date(2024, 6, 30)].qoq_pct == D("4.17")  # 4/96
    assert by_period[date(2025, 3, 31)].yoy_pct == D("25.00")  # 120/96
    june = by_period[date(2025, 6, 30)]
    assert (june.yoy_pct, june.prev_yoy_pct, june.yoy_change_pp) == (D("30.00"), D("25.00"), D("5.00"))


def test_late_revenue_recomputes_margin_of_stored_profit_line():
    store: dict = {}
    ENGINE.apply(release(period_end="2025-06-30", metrics=[line("AWS", "operating_income", 350)]), store)
    out = ENGINE.apply(release(period_end="2025-06-30", release_id="AMZN-rev",
                               metrics=[line("AWS", "revenue", 1000)]), store)
    assert [(r.metric, r.period_end) for r in out.recomputed] == [("operating_income", date(2025, 6, 30))]
    assert out.recomputed[0].margin_pct == D("35.00")


# ---------------------------------------------------------------------------------- duplicate / revision
def test_identical_resend_changes_nothing():
    store: dict = {}
    ENGINE.apply(revenue_release("2025-03-31", 900), store)
    first = ENGINE.apply(revenue_release("2025-06-30", 1000), store)
    snapshot = copy.deepcopy(store)
    again = ENGINE.apply(revenue_release("2025-06-30", 1000), store)
    assert again.status == "duplicate"
    assert again.recomputed == []
    assert again.deltas == first.deltas  # same records, same delta ids
    assert store == snapshot


def test_revision_same_release_id_keeps_old_and_new():
    store: dict = {}
    ENGINE.apply(revenue_release("2025-03-31", 900), store)
    ENGINE.apply(revenue_release("2025-06-30", 1000), store)
    ENGINE.apply(revenue_release("2025-09-30", 1200), store)
    out = ENGINE.apply(revenue_release("2025-06-30", 990), store)
    assert out.status == "revision"
    d = one(out)
    assert d.trigger == "revision"
    assert d.value == D(990)
    assert (d.revision.previous_value, d.revision.previous_release_id) == (D(1000), "AMZN-2025-06-30")
    assert (d.qoq_abs, d.qoq_pct) == (D(90), D("10.00"))
    # the next quarter's QoQ is recomputed against the revised figure
    assert len(out.recomputed) == 1
    nxt = out.recomputed[0]
    assert (nxt.period_end, nxt.qoq_abs, nxt.qoq_pct) == (date(2025, 9, 30), D(210), D("21.21"))

    # redelivering the revision gives the same record, and changes nothing
    snapshot = copy.deepcopy(store)
    redelivered = ENGINE.apply(revenue_release("2025-06-30", 990), store)
    assert redelivered.status == "duplicate"
    assert redelivered.deltas == out.deltas
    assert store == snapshot


def test_revision_under_new_release_id_names_the_replaced_release():
    store: dict = {}
    ENGINE.apply(revenue_release("2025-06-30", 1000), store)
    out = ENGINE.apply(revenue_release("2025-06-30", 1010, release_id="AMZN-2025-06-30-amended"), store)
    d = one(out)
    assert d.revision.previous_value == D(1000)
    assert d.revision.previous_release_id == "AMZN-2025-06-30"
    assert d.release_id == "AMZN-2025-06-30-amended"


def test_mixed_status():
    store: dict = {}
    ENGINE.apply(release(period_end="2025-06-30", metrics=[line("AWS", "revenue", 1000)]), store)
    out = ENGINE.apply(release(period_end="2025-06-30", metrics=[
        line("AWS", "revenue", 1000), line("AWS", "operating_income", 300)]), store)
    assert out.status == "mixed"


def test_resend_with_equal_growth_written_differently_is_duplicate():
    store: dict = {}
    ENGINE.apply(revenue_release("2025-06-30", 1000, reported_yoy_pct=26), store)
    out = ENGINE.apply(revenue_release("2025-06-30", 1000, reported_yoy_pct=26.0), store)
    assert out.status == "duplicate"
    assert one(out).revision is None


def test_redelivered_revision_written_differently_keeps_its_revision():
    store: dict = {}
    ENGINE.apply(revenue_release("2025-06-30", 1000, release_id="R1"), store)
    first = one(ENGINE.apply(revenue_release("2025-06-30", 1010, release_id="R2"), store))
    again = ENGINE.apply(revenue_release("2025-06-30", "1010.0", release_id="R2"), store)
    assert again.status == "duplicate"
    assert one(again).revision == first.revision
    assert first.revision.previous_value == D(1000)


# ---------------------------------------------------------------------------------- restated comparative
def test_yoy_uses_restated_comparative_printed_in_the_release():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-09-30", 100), store)
    ENGINE.apply(revenue_release("2025-06-30", 110), store)
    out = ENGINE.apply(release(period_end="2025-09-30", metrics=[line("AWS", "revenue", 120)],
                               comparatives=[line("AWS", "revenue", 95, period_end="2024-09-30")]), store)
    d = one(out)
    assert d.year_ago.value == D(95)
    assert d.year_ago.basis == "comparative_in_release"
    assert d.year_ago.release_id == "AMZN-2025-09-30"
    assert d.restated_comparative_used is True
    assert d.yoy_abs == D(25)
    assert d.yoy_pct == D("26.32")  # 25/95, not 20.00 against the originally reported 100
    # the stored as-reported figure is untouched
    assert store["AMZN|cloud|revenue"]["points"]["2024-09-30"]["reported"]["value"] == "100"

    # the next quarter's acceleration reads that quarter's growth the same way
    nxt = one(ENGINE.apply(revenue_release("2025-12-31", 130), store))
    assert nxt.prev_yoy_pct == D("26.32")


def test_without_comparative_yoy_uses_reported_and_says_so():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-09-30", 100), store)
    d = one(ENGINE.apply(revenue_release("2025-09-30", 120), store))
    assert (d.year_ago.basis, d.restated_comparative_used, d.yoy_pct) == ("reported", False, D("20.00"))


def test_bundled_restated_comparative_fy2025q2(alibaba):
    d = one(alibaba["FY2025Q2"])
    assert d.value == D("29610000000")
    assert d.year_ago.value == D("27648000000")
    assert d.year_ago.basis == "comparative_in_release"
    assert d.restated_comparative_used is True
    assert d.yoy_pct == r2(exact_pct(D(29610), D(27648))) == D("7.10")


# ---------------------------------------------------------------------------------- acceleration (bundled)
def test_alibaba_fy2026q2_acceleration(alibaba):
    d = one(alibaba["FY2026Q2"])
    assert (d.value, d.fiscal_period, d.period_end) == (D("39824000000"), "FY2026Q2", date(2025, 9, 30))
    assert d.prior_quarter.value == D("33398000000")
    assert d.qoq_abs == D("6426000000")
    assert d.qoq_pct == D("19.24")
    assert d.year_ago.value == D("29610000000")
    assert d.yoy_abs == D("10214000000")
    assert d.yoy_pct == r2(exact_pct(D(39824), D(29610))) == D("34.50")
    assert d.prev_yoy_pct == r2(exact_pct(D(33398), D(26500))) == D("26.03")
    assert d.prev_yoy_basis == "computed"
    assert d.yoy_change_pp.quantize(D("0.1"), rounding=ROUND_HALF_UP) == D("8.5")
    assert (d.reported_yoy_pct, d.reported_qoq_pct) == (D("34.00"), D("19.20"))


def test_alibaba_fy2026q2_acceleration_from_exact_figures(alibaba):
    d = one(alibaba["FY2026Q2"])
    exact = exact_pct(D(39824), D(29610)) - exact_pct(D(33398), D(26500))  # 8.4649..
    assert d.yoy_change_pp == r2(exact) == D("8.46")


def test_alibaba_fy2026q1_acceleration_against_stated_growth(alibaba):
    d = one(alibaba["FY2026Q1"])
    assert (d.yoy_pct, d.prev_yoy_pct, d.prev_yoy_basis, d.yoy_change_pp) == (
        D("26.03"), D("18.00"), "reported", D("8.03"))


# ---------------------------------------------------------------------------------- mismatch
def test_mismatch_between_stated_and_computed_growth():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-06-30", 1000), store)
    d = one(ENGINE.apply(revenue_release("2025-06-30", 1100, reported_yoy_pct=12), store))
    assert (d.yoy_pct, d.reported_yoy_pct, d.yoy_mismatch_pp) == (D("10.00"), D("12.00"), D("-2.00"))


def test_bundled_mismatch_values(alibaba):
    assert one(alibaba["FY2026Q2"]).yoy_mismatch_pp == D("0.50")  # 34.50 vs stated 34
    assert one(alibaba["FY2025Q1"]).yoy_mismatch_pp == D("-0.52")  # 5.48 vs stated 6
    assert one(alibaba["FY2025Q4"]).yoy_mismatch_pp is None  # growth as stated: nothing to compare


# ---------------------------------------------------------------------------------- margins, capex
def test_margin_and_change_from_exact_figures(alibaba):
    d = one(alibaba["FY2026Q2"], "adjusted_ebita")
    assert d.margin_pct == r2(D(3604) / D(39824) * 100) == D("9.05")
    assert d.prev_margin_pct == D("8.84")
    assert d.margin_change_basis == "qoq"
    # 9.0498.. - 8.8448.. = 0.2050 -> 0.20 (rounded once: 9.05 - 8.84 would give 0.21)
    assert d.margin_change_pp == D("0.20")


def test_margin_change_falls_back_to_year_ago(alibaba):
    d = one(alibaba["FY2025Q2"], "adjusted_ebita")
    assert d.margin_change_basis == "yoy"
    assert d.prev_margin_pct == r2(D(1409) / D(27648) * 100) == D("5.10")
    assert d.margin_change_pp == r2(D(2661) / D(29610) * 100 - D(1409) / D(27648) * 100) == D("3.89")


def test_capex_intensity_and_shifts():
    store: dict = {}
    ENGINE.apply(release(company="GOOGL", period_end="2024-06-30",
                         metrics=[line("Group", "revenue", 800), line("Group", "capex", 60)]), store)
    ENGINE.apply(release(company="GOOGL", period_end="2025-03-31",
                         metrics=[line("Group", "revenue", 1000), line("Group", "capex", 100)]), store)
    out = ENGINE.apply(release(company="GOOGL", period_end="2025-06-30",
                               metrics=[line("Group", "revenue", 1000), line("Group", "capex", 150)]), store)
    c = one(out, "capex", "group")
    assert (c.capex_intensity_pct, c.prev_capex_intensity_pct, c.capex_intensity_change_pp) == (
        D("15.00"), D("10.00"), D("5.00"))
    assert (c.qoq_abs, c.qoq_pct) == (D(50), D("50.00"))
    assert (c.yoy_abs, c.yoy_pct) == (D(90), D("150.00"))


def test_bundled_capex(alibaba):
    q1 = one(alibaba["FY2026Q1"], "capex", "group")
    assert (q1.value, q1.approx, q1.qoq_abs, q1.qoq_pct) == (D("38600000000"), True, D("14000000000"), D("56.91"))
    q2 = one(alibaba["FY2026Q2"], "capex", "group")
    assert (q2.qoq_abs, q2.qoq_pct) == (D("-7099000000"), D("-18.39"))
    assert (q2.yoy_pct, q2.yoy_basis) == (D("80.10"), "reported")
    assert q2.capex_intensity_pct is None  # no group revenue to divide by


# ---------------------------------------------------------------------------------- sign flips
def test_fcf_turns_negative_vs_prior_quarter():
    store: dict = {}
    ENGINE.apply(release(period_end="2025-03-31", metrics=[line("Group", "free_cash_flow", 50)]), store)
    d = one(ENGINE.apply(release(period_end="2025-06-30", metrics=[line("Group", "free_cash_flow", -20)]), store),
            "free_cash_flow", "group")
    assert (d.sign_change, d.sign_change_vs, d.qoq_abs) == ("to_negative", "prior_quarter", D(-70))


def test_fcf_turns_positive():
    store: dict = {}
    ENGINE.apply(release(period_end="2025-03-31", metrics=[line("Group", "free_cash_flow", -50)]), store)
    d = one(ENGINE.apply(release(period_end="2025-06-30", metrics=[line("Group", "free_cash_flow", 20)]), store),
            "free_cash_flow", "group")
    assert (d.sign_change, d.sign_change_vs) == ("to_positive", "prior_quarter")


def test_no_sign_change_when_both_positive():
    store: dict = {}
    ENGINE.apply(release(period_end="2025-03-31", metrics=[line("Group", "free_cash_flow", 50)]), store)
    d = one(ENGINE.apply(release(period_end="2025-06-30", metrics=[line("Group", "free_cash_flow", 20)]), store),
            "free_cash_flow", "group")
    assert d.sign_change is None and d.sign_change_vs is None


def test_bundled_fcf_flip_vs_year_ago_and_nearest_quarter_decides(alibaba):
    q1 = one(alibaba["FY2026Q1"], "free_cash_flow", "group")
    assert q1.value == D("-18815000000")
    assert q1.prior_quarter is None
    assert (q1.sign_change, q1.sign_change_vs) == ("to_negative", "year_ago")
    assert q1.year_ago.value == D("17372000000")
    assert q1.yoy_abs == D("-36187000000")

    q2 = one(alibaba["FY2026Q2"], "free_cash_flow", "group")
    assert q2.value == D("-21840000000")
    # prior quarter negative too: no flip, although the year-ago comparative (137.35亿) is positive
    assert q2.sign_change is None
    assert q2.year_ago.value == D("13735000000") and q2.restated_comparative_used is True
    assert q2.qoq_abs == D("-3025000000")


# ---------------------------------------------------------------------------------- comparatives that fill gaps
def _with_comparative(value, comp, *, release_id=None, period_end="2025-09-30", comp_period="2024-09-30"):
    return release(period_end=period_end, release_id=release_id, metrics=[line("AWS", "revenue", value)],
                   comparatives=[line("AWS", "revenue", comp, period_end=comp_period)])


def test_comparative_filling_a_gap_recomputes_the_next_quarter():
    store: dict = {}
    assert one(ENGINE.apply(revenue_release("2024-12-31", 120), store)).prior_quarter is None
    out = ENGINE.apply(_with_comparative(150, 100), store)
    assert [d.period_end for d in out.deltas] == [date(2025, 9, 30)]  # its own quarter once, not again
    [d] = out.recomputed
    assert (d.period_end, d.fiscal_period, d.trigger, d.release_id) == (
        date(2024, 12, 31), "FY2024Q4", "recompute", "AMZN-2024-12-31")
    # the prior value is the comparative, with where it was printed
    assert d.prior_quarter == PriorValue(period_end=date(2024, 9, 30), fiscal_period="FY2024Q3", value=D(100),
                                         basis="comparative", release_id="AMZN-2025-09-30")
    assert (d.qoq_abs, d.qoq_pct) == (D(20), D("20.00"))
    # a redelivery moves nothing, so recomputes nothing
    again = ENGINE.apply(_with_comparative(150, 100), store)
    assert (again.status, again.recomputed) == ("duplicate", [])


def test_comparative_restating_a_gap_again_recomputes_only_when_the_number_moves():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-12-31", 120), store)
    ENGINE.apply(_with_comparative(150, 100), store)
    same = ENGINE.apply(_with_comparative(150, 100, release_id="AMZN-republished"), store)
    assert same.recomputed == []
    moved = ENGINE.apply(_with_comparative(150, 96, release_id="AMZN-amended"), store)
    [d] = moved.recomputed
    assert (d.prior_quarter.value, d.prior_quarter.release_id, d.qoq_pct) == (D(96), "AMZN-amended", D("25.00"))


def test_comparative_of_a_reported_quarter_recomputes_nothing_else():
    store: dict = {}
    ENGINE.apply(revenue_release("2024-09-30", 100), store)
    ENGINE.apply(revenue_release("2024-12-31", 120), store)
    out = ENGINE.apply(_with_comparative(150, 95), store)
    assert out.recomputed == []  # 2024-12-31's QoQ still reads the reported 100
    assert one(out).year_ago.value == D(95)


def test_restated_comparative_in_a_resent_release_recomputes_next_quarters_acceleration():
    store: dict = {}
    for period, v in (("2024-09-30", 100), ("2024-12-31", 100)):
        ENGINE.apply(revenue_release(period, v), store)
    ENGINE.apply(_with_comparative(120, 100), store)
    nxt = one(ENGINE.apply(revenue_release("2025-12-31", 130), store))
    assert (nxt.prev_yoy_pct, nxt.yoy_change_pp) == (D("20.00"), D("10.00"))
    # same figure, restated comparative: FY2025Q3's YoY moves, and so does FY2025Q4's acceleration
    out = ENGINE.apply(_with_comparative(120, 96), store)
    assert out.status == "duplicate"
    assert one(out).yoy_pct == D("25.00")
    [d] = out.recomputed
    assert (d.period_end, d.prev_yoy_pct, d.yoy_change_pp) == (date(2025, 12, 31), D("25.00"), D("5.00"))


def test_bundled_fy2025q2_comparative_gives_fy2024q3_its_qoq(alibaba):
    [d] = alibaba["FY2025Q2"].recomputed
    assert (d.fiscal_period, d.trigger, d.release_id) == ("FY2024Q3", "recompute", "BABA-FY2024Q3-results")
    assert (d.prior_quarter.fiscal_period, d.prior_quarter.value, d.prior_quarter.basis, d.prior_quarter.release_id) == (
        "FY2024Q2", D("27648000000"), "comparative", "BABA-FY2025Q2-results")
    assert d.qoq_pct == r2(exact_pct(D(28066), D(27648))) == D("1.51")
    assert (d.yoy_pct, d.yoy_basis) == (D("3.00"), "reported")


# ---------------------------------------------------------------------------------- canonical ids
CANONICAL = {"sort_keys": True, "separators": (",", ":"), "ensure_ascii": False, "default": str}


def bundled_docs() -> list[dict]:
    store: dict = {}
    docs = []
    for name in ("alibaba.jsonl", "peers.jsonl"):
        for r in bundled_releases(name):
            docs += ENGINE.apply(r, store).docs.values()
    for period, value in (("2025-03-31", 900), ("2025-06-30", 1000), ("2025-09-30", 1200), ("2025-06-30", 990)):
        docs += ENGINE.apply(revenue_release(period, value), store).docs.values()  # the last is a revision
    return docs


def test_fast_delta_ids_equal_content_ids_for_every_bundled_record():
    docs = bundled_docs()
    assert len(docs) > 50 and any(d["revision"] for d in docs) and any(d["year_ago"] for d in docs)
    for doc in docs:
        assert _sorted_bytes(doc) is not None  # the fast path is the one under test
        assert delta_id_of(doc) == content_id("delta", doc)


def test_fast_canonical_bytes_equal_json_dumps_for_every_code_point_and_number():
    doc = bundled_docs()[-1]
    text = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    rng = random.Random(7)
    ratios = [float(D(rng.randint(-(10 ** e), 10 ** e)) / 100) for e in range(1, 24) for _ in range(300)]
    ratios += [0.0, -0.0, 0.01, -0.01, 1e-4, 1e15, 1e16, 1.5e17, 1e22, 1.7976931348623157e308,
               float("inf"), float("-inf"), float("nan")]
    cases = [{**doc, "release_id": text}, {**doc, "year_ago": {**(doc["year_ago"] or {}), "release_id": text,
             "period_end": "2025-06-30", "fiscal_period": "é\n\t\"\\\x00\x1f\x7f\u2028", "value": "1", "basis": "reported"}}]
    cases += [{**doc, "yoy_pct": r, "qoq_pct": -r} for r in ratios]
    for case in cases:
        assert _sorted_bytes(case) == json.dumps(case, **CANONICAL).encode("utf-8")


def test_values_the_fast_path_would_write_differently_take_the_generic_path():
    doc = bundled_docs()[-1]
    tiny = {**doc, "margin_pct": 1e-05}  # Python writes 1e-05, pydantic-core 0.00001
    assert _sorted_bytes(tiny) is None and delta_id_of(tiny) == content_id("delta", tiny)
    other_shape = {**doc, "note": "x"}
    assert _sorted_bytes(other_shape) is None and delta_id_of(other_shape) == content_id("delta", other_shape)
    surrogate = {**doc, "release_id": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        content_id("delta", surrogate)
    with pytest.raises(UnicodeEncodeError):  # the same failure as before, not pydantic-core's
        delta_id_of(surrogate)


def test_delta_record_json_has_the_shape_the_fast_path_relies_on():
    # A new field of another kind (a list, a number that is not a ratio, another nested
    # record) must make this fail: agents/deltas.py's fast canonical text would need a look.
    schema = DeltaRecord.model_json_schema(mode="serialization")

    def kinds(prop: dict) -> set[str]:
        return {alt.get("type", "ref") for alt in prop.get("anyOf", [prop])}

    props = {k: kinds(v) for k, v in schema["properties"].items() if k != "delta_id"}
    assert {k for k, v in props.items() if "ref" in v} == set(_NESTED_KEYS)
    assert {k for k, v in props.items() if "number" in v} == set(_FLOAT_KEYS)
    assert all(v <= {"string", "number", "boolean", "null", "ref"} for v in props.values())
    for nested in schema["$defs"].values():
        assert all(p.get("type") == "string" for p in nested["properties"].values())
