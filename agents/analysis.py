"""Analysis stage: a validated release -> history update, delta records, written alerts.

Owns the order of the pipeline after validation: deltas -> rules -> grouping -> writer. The
store is the Faust ``history`` table in the worker and a dict in tests.

Usage::

    stage = AnalysisStage(DeltaEngine(), RuleSet.load(), TemplateWriter())
    result = await stage.process(release, store)
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any

from agents.alerts import Writer, compose
from agents.deltas import DeltaEngine
from agents.history import History
from agents.rules import RuleSet
from agents.templates import TemplateWriter
from schemas.alert import Alert
from schemas.delta import DeltaRecord
from schemas.release import Release


@dataclass(slots=True)
class Analysis:
    """Everything one release produced."""

    status: str
    deltas: list[DeltaRecord] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)


class AnalysisStage:
    """History, deltas, rules and writing for one release at a time."""

    def __init__(self, engine: DeltaEngine, rules: RuleSet, writer: Writer | None = None) -> None:
        self.engine = engine
        self.rules = rules
        self.writer: Writer = writer or TemplateWriter()

    async def process(self, release: Release, store: MutableMapping[str, Any]) -> Analysis:
        outcome = self.engine.apply(release, store)
        history = History(store, release.company_id)
        periods = {release.period_end, *(d.period_end for d in outcome.recomputed)}
        earlier = {period: history.alert_ids(period) for period in periods}
        result = Analysis(status=outcome.status, deltas=[*outcome.deltas, *outcome.recomputed])
        for draft in compose(release, outcome, self.rules, earlier):
            written = await self.writer.write(draft)
            result.alerts.append(draft.to_alert(written))
            history.remember_alert(draft.period_end, draft.alert_id)
        return result
