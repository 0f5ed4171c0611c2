"""agents.alerts: one draft per release (and per recomputed quarter), deterministic alert ids."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from agents.alerts import Written, compose
from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine, content_id
from agents.rules import RuleSet
from agents.templates import TemplateWriter

from .builders import bundled_lines, bundled_releases, line, parse, release, revenue_release

RULES = RuleSet.load(None)
ENGINE = DeltaEngine()
REPO = Path(__file__).resolve().parents[2]


def replay(releases, store=None):
    store = {} if store is None else store
    drafts = {}
    for r in releases:
        out = ENGINE.apply(r, store)
        drafts[r.fiscal_period] = (out, compose(r, out, RULES, {}))
    return drafts, store


@pytest.fixture(scope="module")
def alibaba():
    drafts, _ = replay(bundled_releases("alibaba.jsonl"))
    return drafts


def test_one_draft_per_release_with_all_hits_grouped(alibaba):
    _, drafts = alibaba["FY2026Q1"]
    assert len(drafts) == 1
    d = drafts[0]
    assert d.kinds == ("growth_acceleration", "capex_shift", "fcf_turn")
    assert d.kind == "growth_acceleration"
    assert d.severity == "critical"
    assert [(h.rule, h.severity, h.observed) for h in d.hits] == [
        ("cloud_growth_acceleration", "critical", "8.03"),
        ("capex_qoq_shift", "critical", "56.91"),
        ("fcf_turns_negative", "critical", "to_negative"),
    ]
    assert (d.company.id, d.fiscal_period, d.period_end, d.release_id, d.trigger, d.revises) == (
        "BABA", "FY2026Q1", date(2025, 6, 30), "BABA-FY2026Q1-results", "release", None)
    assert d.created_at == datetime(2025, 8, 29, 11, 30, tzinfo=timezone.utc)
    assert d.source_url == "http://hnbht.cn/47836.html"
    # every delta of the release is a fact, hit or not
    assert [(f.segment, f.metric) for f in d.facts] == [
        ("cloud", "revenue"), ("cloud", "adjusted_ebita"), ("group", "capex"), ("group", "free_cash_flow")]


def test_hits_sorted_by_severity_then_file_order(alibaba):
    _, [d] = alibaba["FY2026Q2"]
    assert [(h.rule, h.severity) for h in d.hits] == [
        ("cloud_growth_acceleration", "critical"), ("capex_yoy_shift", "warning")]
    assert d.severity == "critical"
    _, [d4] = alibaba["FY2025Q4"]
    assert [(h.rule, h.severity) for h in d4.hits] == [
        ("cloud_growth_acceleration", "warning"), ("capex_yoy_shift", "warning")]


def test_no_hits_no_draft(alibaba):
    assert alibaba["FY2024Q1"][1] == []
    assert alibaba["FY2025Q1"][1] == []


def _strip_release_ids(value):
    if isinstance(value, dict):
        return {k: _strip_release_ids(v) for k, v in value.items() if k not in ("release_id", "previous_release_id")}
    if isinstance(value, list):
        return [_strip_release_ids(v) for v in value]
    return value


def test_alert_id_is_content_hash_without_release_ids(alibaba):
    out, [d] = alibaba["FY2026Q2"]
    identity = {
        "company": "BABA", "period_end": "2025-09-30", "trigger": "release",
        # release ids are left out at every level (year_ago, prior_quarter, revision too)
        "facts": [_strip_release_ids(f.model_dump(mode="json", exclude={"delta_id"})) for f in out.deltas],
        "hits": [h.model_dump(mode="json") for h in d.hits],
    }
    assert any(f.year_ago is not None and f.year_ago.release_id for f in out.deltas)  # was stripped
    assert d.alert_id == content_id("alert", identity)
    assert d.alert_id.startswith("alert-") and len(d.alert_id) == 26


def test_alert_ids_identical_across_replays(alibaba):
    again, _ = replay(bundled_releases("alibaba.jsonl"))
    for label, (_, drafts) in alibaba.items():
        assert [d.alert_id for d in again[label][1]] == [d.alert_id for d in drafts]


def _ids_in_subprocess(seed: str) -> list[str]:
    script = (
        "import json\n"
        "from agents.alerts import compose\n"
        "from agents.deltas import DeltaEngine\n"
        "from agents.rules import RuleSet\n"
        "from schemas.company import Registry\n"
        "from schemas.release import parse_release\n"
        "from streams.demo import bundled_releases\n"
        "reg, eng, rules, store, ids = Registry.load(None), DeltaEngine(), RuleSet.load(None), {}, []\n"
        "for raw in bundled_releases():\n"
        "    r = parse_release(raw, reg, max_bytes=262144)\n"
        "    if r.company_id != 'BABA': continue\n"
        "    ids += [d.alert_id for d in compose(r, eng.apply(r, store), rules, {})]\n"
        "print(json.dumps(ids))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": seed}
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_alert_ids_identical_across_processes(alibaba):
    here = [d.alert_id for _, drafts in alibaba.values() for d in drafts]
    assert len(here) == 5
    assert _ids_in_subprocess("1") == here
    assert _ids_in_subprocess("12345") == here


def test_redelivery_and_republish_under_new_release_id_give_same_alert_id():
    releases = bundled_releases("alibaba.jsonl")
    drafts, store = replay(releases)
    original = drafts["FY2026Q2"][1][0].alert_id

    redelivered = ENGINE.apply(releases[-1], store)
    assert redelivered.status == "duplicate"
    assert compose(releases[-1], redelivered, RULES, {})[0].alert_id == original

    body = json.loads(bundled_lines("alibaba.jsonl")[-1])
    body["release_id"] = "BABA-FY2026Q2-republished"
    republished = parse(json.dumps(body, ensure_ascii=False).encode())
    out = ENGINE.apply(republished, store)
    assert out.status == "duplicate"
    [draft] = compose(republished, out, RULES, {})
    assert draft.alert_id == original
    assert draft.release_id == "BABA-FY2026Q2-republished"


def test_alert_id_independent_of_release_id_without_comparatives():
    def run(release_id: str) -> str:
        store: dict = {}
        for period, v in (("2024-06-30", 100), ("2024-09-30", 100), ("2025-06-30", 110)):
            ENGINE.apply(revenue_release(period, v), store)
        r = revenue_release("2025-09-30", 125, release_id=release_id)
        [d] = compose(r, ENGINE.apply(r, store), RULES, {})
        assert d.release_id == release_id
        return d.alert_id

    assert run("first-id") == run("another-id")


def test_alert_id_independent_of_release_id_with_restated_comparative():
    releases = bundled_releases("alibaba.jsonl")
    _, base = replay(releases[:-1])
    body = json.loads(bundled_lines("alibaba.jsonl")[-1])
    ids = []
    for release_id in ("BABA-FY2026Q2-results", "BABA-FY2026Q2-other-id"):
        body["release_id"] = release_id
        r = parse(json.dumps(body, ensure_ascii=False).encode())
        [d] = compose(r, ENGINE.apply(r, copy.deepcopy(base)), RULES, {})
        ids.append(d.alert_id)
    assert ids[0] == ids[1]


def test_alert_id_of_a_revision_independent_of_release_ids():
    def run(first_id: str, second_id: str) -> str:
        store: dict = {}
        for period, v in (("2024-06-30", 100), ("2024-09-30", 100), ("2025-06-30", 108)):
            ENGINE.apply(revenue_release(period, v), store)
        ENGINE.apply(revenue_release("2025-09-30", 130, release_id=first_id), store)
        r = revenue_release("2025-09-30", 131, release_id=second_id)
        [d] = compose(r, ENGINE.apply(r, store), RULES, {})
        assert d.facts[0].revision.previous_release_id == first_id
        return d.alert_id

    assert run("a-first", "a-amended") == run("b-first", "b-amended")


def test_late_quarter_gives_one_recompute_draft_per_quarter():
    store: dict = {}
    for period, v in (("2024-03-31", 100), ("2024-06-30", 100), ("2024-09-30", 100),
                      ("2025-03-31", 105), ("2025-09-30", 130)):
        ENGINE.apply(revenue_release(period, v), store)
    # 2025-06-30 arrives late: +10% YoY after +5% (+5 pp), and 2025-09-30 (+30% YoY) is
    # recomputed with +20 pp acceleration against it.
    late = revenue_release("2025-06-30", 110)
    out = ENGINE.apply(late, store)
    drafts = compose(late, out, RULES, {})
    assert [(d.period_end, d.trigger, d.release_id, d.fiscal_period) for d in drafts] == [
        (date(2025, 6, 30), "release", "AMZN-2025-06-30", "FY2025Q2"),
        (date(2025, 9, 30), "recompute", "AMZN-2025-09-30", "FY2025Q3"),
    ]
    assert [(h.rule, h.severity, h.observed) for h in drafts[0].hits] == [("cloud_growth_acceleration", "warning", "5.00")]
    assert [(h.rule, h.severity, h.observed) for h in drafts[1].hits] == [("cloud_growth_acceleration", "critical", "20.00")]
    assert drafts[1].created_at == late.published_at


def test_revises_chain_from_earlier_alert_ids():
    r = release(period_end="2025-09-30", metrics=[line("Group", "capex", 100, reported_yoy_pct=60)])
    out = ENGINE.apply(r, {})
    [fresh] = compose(r, out, RULES, {})
    assert [h.rule for h in fresh.hits] == ["capex_yoy_shift"]
    assert fresh.revises is None
    [after] = compose(r, out, RULES, {date(2025, 9, 30): ["alert-older"]})
    assert after.revises == "alert-older"
    assert after.alert_id == fresh.alert_id
    # a redelivery finds itself in the chain: it revises what came before it, not itself
    [again] = compose(r, out, RULES, {date(2025, 9, 30): ["alert-a", fresh.alert_id, "alert-b"]})
    assert again.revises == "alert-a"
    [first] = compose(r, out, RULES, {date(2025, 9, 30): [fresh.alert_id, "alert-b"]})
    assert first.revises is None


async def test_revision_alert_revises_the_first_alert_and_redelivery_repeats_it():
    stage = AnalysisStage(DeltaEngine(), RULES, TemplateWriter())
    store: dict = {}
    for period, v in (("2024-06-30", 100), ("2024-09-30", 100), ("2025-06-30", 108)):
        await stage.process(revenue_release(period, v), store)
    first = await stage.process(release(period_end="2025-09-30", metrics=[line("AWS", "revenue", 130)]), store)
    [a1] = first.alerts
    revised = await stage.process(release(period_end="2025-09-30", metrics=[line("AWS", "revenue", 131)]), store)
    [a2] = revised.alerts
    assert revised.status == "revision"
    assert (a2.trigger, a2.revises) == ("revision", a1.alert_id)
    assert a2.alert_id != a1.alert_id
    assert [h.rule for h in a2.hits] == ["cloud_growth_acceleration", "figure_revised"]
    again = await stage.process(release(period_end="2025-09-30", metrics=[line("AWS", "revenue", 131)]), store)
    assert again.status == "duplicate"
    assert [(a.alert_id, a.revises) for a in again.alerts] == [(a2.alert_id, a1.alert_id)]
    assert store["AMZN|@alerts|2025-09-30"] == [a1.alert_id, a2.alert_id]


def test_to_alert_copies_draft_and_words(alibaba):
    _, [d] = alibaba["FY2026Q2"]
    written = Written("标题", "Title", "正文", "Text", "test")
    alert = d.to_alert(written)
    assert (alert.alert_id, alert.kind, alert.kinds, alert.severity) == (d.alert_id, d.kind, list(d.kinds), d.severity)
    assert (alert.company, alert.company_name_en, alert.company_name_zh) == ("BABA", "Alibaba", "阿里巴巴")
    assert (alert.title_zh, alert.title_en, alert.text_zh, alert.text_en, alert.generated_by) == (
        "标题", "Title", "正文", "Text", "test")
    assert alert.facts == list(d.facts) and alert.hits == list(d.hits)
    assert alert.schema_version == 1


def test_alert_ids_from_the_engines_dumps_equal_ids_from_fresh_dumps():
    """compose reuses the JSON each delta id was hashed from; an outcome built without those
    dumps (outcome.docs empty) must give the very same ids."""
    store: dict = {}
    for r in bundled_releases("alibaba.jsonl"):
        out = ENGINE.apply(r, store)
        assert set(out.docs) == {d.delta_id for d in [*out.deltas, *out.recomputed]}
        with_docs = [d.alert_id for d in compose(r, out, RULES, {})]
        out.docs.clear()
        assert [d.alert_id for d in compose(r, out, RULES, {})] == with_docs
