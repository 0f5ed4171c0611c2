"""The plans table: news-announced plans and each plan's alert chain, keyed by company.

Configured plans (``plans_file`` or the bundled defaults) are not stored: they come from the
settings on every start. A plan read from news that equals a configured one (same company,
amount, currency, horizon and start) is that plan, not a second one. A record::

    {"plans": [<Plan JSON>, …], "alerts": {plan_id: [alert_id, …]}, "status": {plan_id: "ahead"}}

The table is partitioned like the history table (by company), so the release agent and the
news agent both find a company's plans in the partition they are processing.

Usage::

    book = PlanBook(table, load_plans(settings.plans_file))
    book.add(plan)                       # False when known already
    for plan in book.plans_for("BABA"): ...
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from agents.news.plans import Plan


class PlanBook:
    def __init__(self, store: MutableMapping[str, Any], configured: list[Plan]) -> None:
        self.store = store
        self.configured = configured

    def _record(self, company: str) -> dict[str, Any]:
        return dict(self.store.get(company) or {"plans": [], "alerts": {}, "status": {}})

    def plans_for(self, company: str) -> list[Plan]:
        own = [p for p in self.configured if p.company == company]
        known = {p.identity for p in own}
        for raw in self._record(company)["plans"]:
            plan = Plan.model_validate(raw)
            if plan.identity not in known:
                known.add(plan.identity)
                own.append(plan)
        return own

    def find(self, plan: Plan) -> Plan:
        """The known plan equal to ``plan`` (a configured one wins), else ``plan`` itself."""
        return next((p for p in self.plans_for(plan.company) if p.identity == plan.identity), plan)

    def add(self, plan: Plan) -> bool:
        if any(p.identity == plan.identity for p in self.plans_for(plan.company)):
            return False
        record = self._record(plan.company)
        record["plans"] = [*record["plans"], plan.model_dump(mode="json")]
        self.store[plan.company] = record
        return True

    def chain(self, plan: Plan) -> list[str]:
        return list(self._record(plan.company)["alerts"].get(plan.plan_id, []))

    def last_status(self, plan: Plan) -> str | None:
        return self._record(plan.company)["status"].get(plan.plan_id)

    def remember(self, plan: Plan, status: str, alert_id: str | None) -> None:
        record = self._record(plan.company)
        alerts = dict(record["alerts"])
        if alert_id is not None and alert_id not in alerts.get(plan.plan_id, []):
            alerts[plan.plan_id] = [*alerts.get(plan.plan_id, []), alert_id]
        if record["status"].get(plan.plan_id) == status and alerts == record["alerts"]:
            return  # nothing changed: no changelog write
        record["alerts"] = alerts
        record["status"] = {**record["status"], plan.plan_id: status}
        self.store[plan.company] = record
