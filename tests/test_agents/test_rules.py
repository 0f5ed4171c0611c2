"""agents.rules: the shipped thresholds at their boundaries, severities, overrides, file errors."""

from __future__ import annotations

import tomllib
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest

from agents.deltas import DeltaEngine
from agents.rules import RuleSet, RulesError
from schemas.delta import DeltaRecord, Revision

from .builders import revenue_release

D = Decimal
RULES = RuleSet.load(None)
SHIPPED = tomllib.loads(resources.files("streams").joinpath("data/rules.toml").read_text("utf-8"))


def shipped(rule_id: str) -> dict:
    return next(r for r in SHIPPED["rule"] if r["id"] == rule_id)


def record(segment: str = "cloud", metric: str = "revenue", company: str = "BABA", **fields) -> DeltaRecord:
    base = dict(
        delta_id="delta-test", trigger="release", release_id="R1", company=company, segment=segment,
        metric=metric, period_end=date(2025, 9, 30), fiscal_period="FY2026Q2", currency="CNY",
        value=D("39824000000"), quantum=D("1000000"),
    )
    base.update(fields)
    return DeltaRecord(**base)


def hits(rec: DeltaRecord, rules: RuleSet = RULES) -> list[tuple[str, str, str, str]]:
    return [(h.rule, h.severity, h.observed, h.threshold) for h in rules.evaluate(rec)]


# ---------------------------------------------------------------------------------- loading
def test_bundled_rules_in_file_order_with_shipped_values():
    assert [r.id for r in RULES.rules] == [
        "cloud_growth_acceleration", "cloud_growth_deceleration", "capex_qoq_shift", "capex_yoy_shift",
        "capex_intensity_shift", "margin_shift", "fcf_turns_negative", "fcf_turns_positive",
        "reported_growth_mismatch", "figure_revised",
    ]
    by_id = {r.id: r for r in RULES.rules}
    acc = by_id["cloud_growth_acceleration"]
    assert (acc.segment, acc.metrics, acc.measure, acc.op, acc.threshold, acc.critical, acc.severity) == (
        "cloud", ("revenue",), "yoy_change_pp", ">=", D(3), D(8), "warning")
    assert (by_id["margin_shift"].metrics) == ("adjusted_ebita", "operating_income")
    assert by_id["fcf_turns_negative"].threshold == "to_negative"
    # what the tests below rely on is what the file ships
    for rule in RULES.rules:
        raw = shipped(rule.id)
        if rule.measure not in ("sign_change", "revision"):
            assert rule.threshold == D(str(raw["threshold"]))
            assert rule.critical == (D(str(raw["critical"])) if "critical" in raw else None)
        assert rule.severity == raw["severity"]


def test_load_from_path(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "big"\nmeasure = "yoy_pct"\nthreshold = 50\n', "utf-8")
    rules = RuleSet.load(path)
    assert [(r.id, r.kind, r.segment, r.metrics, r.op, r.severity) for r in rules.rules] == [
        ("big", "big", "*", ("*",), ">=", "warning")]
    assert hits(record(yoy_pct=D("50.00")), rules) == [("big", "warning", "50.00", "50")]


# ---------------------------------------------------------------------------------- boundaries
@pytest.mark.parametrize(("pp", "expected"), [
    ("3.00", [("cloud_growth_acceleration", "warning", "3.00", "3")]),
    ("2.99", []),
    ("7.99", [("cloud_growth_acceleration", "warning", "7.99", "3")]),
    ("8.00", [("cloud_growth_acceleration", "critical", "8.00", "3")]),
    ("-2.99", []),
    ("-3.00", [("cloud_growth_deceleration", "warning", "-3.00", "-3")]),
    ("-7.99", [("cloud_growth_deceleration", "warning", "-7.99", "-3")]),
    ("-8.00", [("cloud_growth_deceleration", "critical", "-8.00", "-3")]),
])
def test_growth_acceleration_boundaries(pp, expected):
    assert shipped("cloud_growth_acceleration")["threshold"] == 3
    assert hits(record(yoy_change_pp=D(pp))) == expected


def test_growth_rules_only_watch_cloud_revenue():
    assert hits(record(segment="group", yoy_change_pp=D("10"))) == []
    assert hits(record(metric="adjusted_ebita", yoy_change_pp=D("10"))) == []


@pytest.mark.parametrize(("qoq", "expected"), [
    ("24.99", []), ("-24.99", []),
    ("25.00", [("capex_qoq_shift", "warning", "25.00", "25")]),
    ("-25.00", [("capex_qoq_shift", "warning", "-25.00", "25")]),
    ("49.99", [("capex_qoq_shift", "warning", "49.99", "25")]),
    ("50.00", [("capex_qoq_shift", "critical", "50.00", "25")]),
    ("-50.00", [("capex_qoq_shift", "critical", "-50.00", "25")]),
])
def test_capex_qoq_boundaries_both_directions(qoq, expected):
    assert hits(record(segment="group", metric="capex", qoq_pct=D(qoq))) == expected


@pytest.mark.parametrize(("yoy", "expected"), [
    ("49.99", []),
    ("50.00", [("capex_yoy_shift", "warning", "50.00", "50")]),
    ("99.99", [("capex_yoy_shift", "warning", "99.99", "50")]),
    ("100.00", [("capex_yoy_shift", "critical", "100.00", "50")]),
    ("-50.00", [("capex_yoy_shift", "warning", "-50.00", "50")]),
])
def test_capex_yoy_boundaries(yoy, expected):
    assert hits(record(segment="group", metric="capex", yoy_pct=D(yoy))) == expected


@pytest.mark.parametrize(("pp", "expected"), [
    ("1.99", []),
    ("2.00", [("capex_intensity_shift", "info", "2.00", "2")]),
    ("-2.00", [("capex_intensity_shift", "info", "-2.00", "2")]),
    ("40.00", [("capex_intensity_shift", "info", "40.00", "2")]),  # no critical level: stays info
])
def test_capex_intensity_boundaries(pp, expected):
    assert hits(record(segment="group", metric="capex", capex_intensity_change_pp=D(pp))) == expected


@pytest.mark.parametrize(("metric", "pp", "expected"), [
    ("adjusted_ebita", "0.99", []),
    ("adjusted_ebita", "1.00", [("margin_shift", "info", "1.00", "1")]),
    ("operating_income", "-4.99", [("margin_shift", "info", "-4.99", "1")]),
    ("operating_income", "-5.00", [("margin_shift", "critical", "-5.00", "1")]),
    ("revenue", "9.00", []),
])
def test_margin_boundaries(metric, pp, expected):
    assert hits(record(metric=metric, margin_change_pp=D(pp))) == expected


@pytest.mark.parametrize(("pp", "expected"), [
    ("0.99", []), ("-0.99", []),
    ("1.00", [("reported_growth_mismatch", "info", "1.00", "1")]),
    ("-1.00", [("reported_growth_mismatch", "info", "-1.00", "1")]),
])
def test_mismatch_boundaries(pp, expected):
    assert hits(record(yoy_mismatch_pp=D(pp))) == expected


def test_fcf_sign_change_rules():
    neg = record(segment="group", metric="free_cash_flow", sign_change="to_negative", sign_change_vs="year_ago")
    pos = record(segment="group", metric="free_cash_flow", sign_change="to_positive", sign_change_vs="prior_quarter")
    assert hits(neg) == [("fcf_turns_negative", "critical", "to_negative", "to_negative")]
    assert hits(pos) == [("fcf_turns_positive", "warning", "to_positive", "to_positive")]
    # operating income sign flips are recorded but the FCF rules do not fire on them
    assert hits(record(metric="operating_income", sign_change="to_negative", sign_change_vs="prior_quarter")) == []


def test_revision_rule():
    rec = record(trigger="revision", revision=Revision(previous_value=D(1), previous_release_id="R0"))
    assert hits(rec) == [("figure_revised", "warning", "revised", "any")]
    assert hits(record()) == []


def test_hit_carries_location():
    [hit] = RULES.evaluate(record(yoy_change_pp=D("8.47")))
    assert (hit.kind, hit.segment, hit.metric, hit.measure, hit.period_end) == (
        "growth_acceleration", "cloud", "revenue", "yoy_change_pp", date(2025, 9, 30))


def test_evaluate_all_in_rule_file_order():
    records = [
        record(segment="group", metric="free_cash_flow", sign_change="to_negative", sign_change_vs="year_ago"),
        record(segment="group", metric="capex", qoq_pct=D("56.91")),
        record(yoy_change_pp=D("8.03"), yoy_mismatch_pp=D("1.5")),
    ]
    assert [(h.rule, h.severity) for h in RULES.evaluate_all(records)] == [
        ("cloud_growth_acceleration", "critical"), ("capex_qoq_shift", "critical"),
        ("fcf_turns_negative", "critical"), ("reported_growth_mismatch", "info"),
    ]
    assert RULES.evaluate_all([]) == []


# ---------------------------------------------------------------------------------- overrides
OVERRIDES = """
[overrides.BABA.cloud_growth_acceleration]
threshold = 5
critical = 10
[overrides.BABA.capex_intensity_shift]
severity = "warning"
critical = 4
[overrides.AMZN.fcf_turns_negative]
enabled = false
[overrides.AMZN.figure_revised]
severity = "info"
"""


@pytest.fixture
def overridden(tmp_path: Path) -> RuleSet:
    text = resources.files("streams").joinpath("data/rules.toml").read_text("utf-8")
    path = tmp_path / "rules.toml"
    path.write_text(text.replace("[overrides]", "") + OVERRIDES, "utf-8")
    return RuleSet.load(path)


def test_override_threshold_and_critical_for_one_company(overridden):
    assert hits(record(yoy_change_pp=D("4.99")), overridden) == []
    assert hits(record(yoy_change_pp=D("5.00")), overridden) == [("cloud_growth_acceleration", "warning", "5.00", "5")]
    assert hits(record(yoy_change_pp=D("9.99")), overridden) == [("cloud_growth_acceleration", "warning", "9.99", "5")]
    assert hits(record(yoy_change_pp=D("10.00")), overridden) == [("cloud_growth_acceleration", "critical", "10.00", "5")]
    # other companies keep the shipped values
    assert hits(record(company="AMZN", yoy_change_pp=D("3.00")), overridden) == [
        ("cloud_growth_acceleration", "warning", "3.00", "3")]
    assert hits(record(company="AMZN", yoy_change_pp=D("8.00")), overridden) == [
        ("cloud_growth_acceleration", "critical", "8.00", "3")]


def test_override_severity_and_added_critical(overridden):
    rec = dict(segment="group", metric="capex")
    assert hits(record(capex_intensity_change_pp=D("2"), **rec), overridden) == [
        ("capex_intensity_shift", "warning", "2", "2")]
    assert hits(record(capex_intensity_change_pp=D("-4"), **rec), overridden) == [
        ("capex_intensity_shift", "critical", "-4", "2")]


def test_override_disables_and_softens(overridden):
    neg = dict(segment="group", metric="free_cash_flow", sign_change="to_negative", sign_change_vs="year_ago")
    assert hits(record(company="AMZN", **neg), overridden) == []
    assert hits(record(company="BABA", **neg), overridden) == [("fcf_turns_negative", "critical", "to_negative", "to_negative")]
    rev = dict(trigger="revision", revision=Revision(previous_value=D(1), previous_release_id="R0"))
    assert hits(record(company="AMZN", **rev), overridden) == [("figure_revised", "info", "revised", "any")]
    assert [r.id for r in overridden.for_company("AMZN")] == [r.id for r in overridden.rules]
    assert next(r for r in overridden.for_company("AMZN") if r.id == "fcf_turns_negative").enabled is False
    assert next(r for r in overridden.rules if r.id == "fcf_turns_negative").enabled is True


# ---------------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("body", "message"), [
    ('[[rule]]\nid = "a"\nmeasure = "speed"\nthreshold = 1\n', "rule a: unknown measure 'speed'"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nop = ">"\nthreshold = 1\n', "rule a: unknown op '>'"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\n', "rule a: missing threshold"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = "lots"\n', "rule a: threshold must be a number"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = 1\nseverity = "loud"\n', "rule a: severity must be"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = 1\n[[rule]]\nid = "a"\nmeasure = "qoq_pct"\nthreshold = 1\n',
     "duplicate rule ids"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = 1\n[overrides.BABA.b]\nthreshold = 2\n',
     "override BABA.b names no rule"),
    ('[[rule]]\nid = "a"\nmeasure = "yoy_pct\n', "rules.toml"),
])
def test_bad_rules_files(tmp_path: Path, body: str, message: str):
    path = tmp_path / "rules.toml"
    path.write_text(body, "utf-8")
    with pytest.raises(RulesError, match=None) as info:
        RuleSet.load(path)
    assert message in str(info.value)


def test_bad_override_field(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = 1\n[overrides.BABA.a]\ncolour = "red"\n', "utf-8")
    with pytest.raises(RulesError, match="unknown field 'colour'"):
        RuleSet.load(path)


def test_missing_rules_file(tmp_path: Path):
    with pytest.raises(RulesError, match="cannot read rules file"):
        RuleSet.load(tmp_path / "absent.toml")


def test_nan_threshold_is_refused_at_load(tmp_path: Path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\nthreshold = nan\n', "utf-8")
    with pytest.raises(RulesError, match=r"rule a: threshold must be a finite number, got nan"):
        RuleSet.load(path)


@pytest.mark.parametrize(("body", "message"), [
    ('threshold = inf\n', "rule a: threshold must be a finite number, got inf"),
    ('threshold = -inf\n', "rule a: threshold must be a finite number, got -inf"),
    ('threshold = "NaN"\n', "rule a: threshold must be a finite number, got 'NaN'"),
    ('threshold = 1\ncritical = nan\n', "rule a: critical must be a finite number, got nan"),
    ('threshold = 1\n[overrides.BABA.a]\nthreshold = nan\n',
     "override of a: threshold must be a finite number, got nan"),
    ('threshold = 1\n[overrides.BABA.a]\ncritical = "x"\n', "override of a: critical must be a number, got 'x'"),
])
def test_non_finite_numbers_are_refused_at_load(tmp_path: Path, body: str, message: str):
    path = tmp_path / "rules.toml"
    path.write_text('[[rule]]\nid = "a"\nmeasure = "yoy_pct"\n' + body, "utf-8")
    with pytest.raises(RulesError) as info:
        RuleSet.load(path)
    assert str(info.value) == f"{path}: {message}"


# ---------------------------------------------------------------------------------- engine + rules
def _acceleration_fixture(prev_value: str, value: str):
    store: dict = {}
    engine = DeltaEngine()
    for period, v in (("2024-06-30", "10000000"), ("2024-09-30", "10000000"), ("2025-06-30", prev_value)):
        engine.apply(revenue_release(period, v), store)
    return engine.apply(revenue_release("2025-09-30", value), store).deltas[0]


def test_engine_acceleration_of_exactly_3pp_fires():
    d = _acceleration_fixture("10700000", "11000000")  # 7.00% -> 10.00%
    assert d.yoy_change_pp == D("3.00")
    assert hits(d) == [("cloud_growth_acceleration", "warning", "3.00", "3")]


def test_engine_acceleration_just_below_3pp_does_not_fire():
    d = _acceleration_fixture("10701490", "11000500")
    assert (d.yoy_pct, d.prev_yoy_pct) == (D("10.01"), D("7.01"))
    assert d.yoy_change_pp == D("2.99")
    assert hits(d) == []
