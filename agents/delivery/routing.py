"""Routes: which receivers an alert goes to (Alertmanager's routing tree, flattened).

Routes are tried in file order. A matching route adds its receivers and stops the walk unless
it says ``continue = true``; when no route matches, the default receivers get the alert.

Usage::

    router = Router([Route({"company": ["BABA"]}, ("analysts",), min_severity="warning")], default=("archive",))
    router.receivers_for(alert)    # ("analysts",) or ("archive",)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.delivery.matchers import check_fields, matches
from schemas.alert import SEVERITY_RANK, Alert

ROUTE_FIELDS = ("company", "kind", "severity", "segment", "trigger")


@dataclass(frozen=True, slots=True)
class Route:
    match: dict[str, list[str]]
    receivers: tuple[str, ...]
    min_severity: str | None = None
    continue_: bool = False

    def __post_init__(self) -> None:
        check_fields(self.match, ROUTE_FIELDS)
        if self.min_severity is not None and self.min_severity not in SEVERITY_RANK:
            raise ValueError(f"min_severity must be one of {', '.join(SEVERITY_RANK)}")

    def accepts(self, alert: Alert) -> bool:
        if self.min_severity and SEVERITY_RANK[alert.severity] < SEVERITY_RANK[self.min_severity]:
            return False
        return matches(self.match, alert)


@dataclass(frozen=True, slots=True)
class Router:
    routes: list[Route] = field(default_factory=list)
    default: tuple[str, ...] = ()

    def receivers_for(self, alert: Alert) -> tuple[str, ...]:
        chosen: list[str] = []
        matched = False
        for route in self.routes:
            if not route.accepts(alert):
                continue
            matched = True
            chosen.extend(r for r in route.receivers if r not in chosen)
            if not route.continue_:
                break
        return tuple(chosen) if matched else self.default
