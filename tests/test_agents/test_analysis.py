"""agents.analysis: the stage after validation (deltas -> rules -> grouping -> writer) over a dict."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal

import pytest

from agents.alerts import Draft, Written
from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.rules import RuleSet
from agents.templates import TemplateWriter

from .builders import bundled_releases, revenue_release

D = Decimal
RULES = RuleSet.load(None)


class RecordingWriter:
    """A writer that records the drafts it was given and writes placeholder words."""

    def __init__(self) -> None:
        self.drafts: list[Draft] = []

    async def write(self, draft: Draft) -> Written:
        self.drafts.append(draft)
        n = len(self.drafts)
        return Written(f"标题{n}", f"title {n}", f"正文{n}", f"text {n}", "recording")


def stage(writer=None) -> AnalysisStage:
    return AnalysisStage(DeltaEngine(), RULES, writer)


async def test_bundled_alibaba_end_to_end():
    s, store = stage(), {}
    results = {}
    for r in bundled_releases("alibaba.jsonl"):
        results[r.fiscal_period] = await s.process(r, store)
    assert {k: v.status for k, v in results.items()} == {k: "new" for k in results}
    assert {k: [a.kinds for a in v.alerts] for k, v in results.items() if v.alerts} == {
        "FY2025Q2": [["margin_shift"]],
        "FY2025Q3": [["growth_acceleration"]],
        "FY2025Q4": [["growth_acceleration", "capex_shift"]],
        "FY2026Q1": [["growth_acceleration", "capex_shift", "fcf_turn"]],
        "FY2026Q2": [["growth_acceleration", "capex_shift"]],
    }
    q2 = results["FY2026Q2"]
    assert len(q2.deltas) == 4
    cloud = q2.deltas[0]
    assert (cloud.metric, cloud.value, cloud.yoy_pct) == ("revenue", D("39824000000"), D("34.50"))
    [alert] = q2.alerts
    assert (alert.company, alert.fiscal_period, alert.severity, alert.generated_by) == (
        "BABA", "FY2026Q2", "critical", "template")
    assert alert.title_en == "Alibaba FY2026Q2: Cloud Intelligence Group revenue growth accelerates to 34.5% YoY (+8.5 pp)"
    assert store["BABA|@alerts|2025-09-30"] == [alert.alert_id]
    assert TemplateWriter().write_sync(_draft_of(alert)).text_en == alert.text_en


def _draft_of(alert):
    from schemas.company import Registry
    return Draft(alert.alert_id, alert.kind, tuple(alert.kinds), alert.severity, Registry.load(None).get(alert.company),
                 alert.fiscal_period, alert.period_end, alert.release_id, alert.trigger, alert.revises,
                 tuple(alert.facts), tuple(alert.hits), alert.source_url, alert.created_at)


async def test_identical_resend_gives_identical_output_and_no_state_change():
    s, store = stage(), {}
    releases = bundled_releases("alibaba.jsonl")
    for r in releases[:-1]:
        await s.process(r, store)
    first = await s.process(releases[-1], store)
    snapshot = copy.deepcopy(store)
    again = await s.process(releases[-1], store)
    assert again.status == "duplicate"
    assert [d.delta_id for d in again.deltas] == [d.delta_id for d in first.deltas]
    assert [a.model_dump(mode="json") for a in again.alerts] == [a.model_dump(mode="json") for a in first.alerts]
    assert store == snapshot
    assert store["BABA|@alerts|2025-09-30"] == [first.alerts[0].alert_id]


async def test_writer_called_once_per_draft_and_words_used():
    writer = RecordingWriter()
    s, store = stage(writer), {}
    for p, v in (("2024-03-31", 100), ("2024-06-30", 100), ("2024-09-30", 100), ("2025-03-31", 105), ("2025-09-30", 130)):
        await s.process(revenue_release(p, v), store)
    assert writer.drafts == []  # no acceleration without consecutive quarters: nothing written
    result = await s.process(revenue_release("2025-06-30", 110), store)
    assert [(d.period_end, d.trigger) for d in writer.drafts] == [
        (date(2025, 6, 30), "release"), (date(2025, 9, 30), "recompute")]
    assert [(a.title_zh, a.title_en, a.text_zh, a.text_en, a.generated_by) for a in result.alerts] == [
        ("标题1", "title 1", "正文1", "text 1", "recording"), ("标题2", "title 2", "正文2", "text 2", "recording")]
    assert [(d.period_end, d.trigger) for d in result.deltas] == [
        (date(2025, 6, 30), "release"), (date(2025, 9, 30), "recompute")]
    assert store["AMZN|@alerts|2025-06-30"] == [result.alerts[0].alert_id]
    assert store["AMZN|@alerts|2025-09-30"] == [result.alerts[1].alert_id]
    assert result.alerts[1].release_id == "AMZN-2025-09-30"


async def test_default_writer_is_template():
    assert isinstance(AnalysisStage(DeltaEngine(), RULES).writer, TemplateWriter)


async def test_writer_failure_propagates_and_leaves_no_alert_id():
    class Broken:
        async def write(self, draft):
            raise RuntimeError("llm down")

    s, store = stage(Broken()), {}
    for p, v in (("2024-06-30", 100), ("2024-09-30", 100), ("2025-06-30", 105)):
        await s.process(revenue_release(p, v), store)
    with pytest.raises(RuntimeError, match="llm down"):
        await s.process(revenue_release("2025-09-30", 130), store)
    assert "AMZN|@alerts|2025-09-30" not in store
