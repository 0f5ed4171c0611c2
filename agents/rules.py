"""Rules: thresholds over delta records, loaded from TOML, evaluated per record.

Usage::

    rules = RuleSet.load()                       # bundled defaults
    rules = RuleSet.load(Path("rules.toml"))     # the user's file instead
    hits = rules.evaluate(delta_record)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Any

from schemas.alert import RuleHit
from schemas.delta import DeltaRecord

OPS = (">=", "<=", "abs>=", "==", "present")
NUMERIC_MEASURES = (
    "yoy_pct", "qoq_pct", "yoy_change_pp", "margin_change_pp", "capex_intensity_change_pp", "yoy_mismatch_pp",
)
WORD_MEASURES = ("sign_change", "revision")


class RulesError(ValueError):
    """A rules file that cannot be used; names the rule and the field."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One threshold on one measure."""

    id: str
    kind: str
    segment: str
    metrics: tuple[str, ...]
    measure: str
    op: str
    threshold: Decimal | str
    severity: str
    critical: Decimal | None = None
    enabled: bool = True

    def matches(self, record: DeltaRecord) -> bool:
        return (
            self.enabled
            and (self.segment == "*" or self.segment == record.segment)
            and ("*" in self.metrics or record.metric in self.metrics)
        )

    def check(self, record: DeltaRecord) -> RuleHit | None:
        if not self.matches(record):
            return None
        observed = getattr(record, self.measure)
        if observed is None:
            return None
        if self.op == "present":
            return self._hit(record, "revised", "any", self.severity)
        if self.op == "==":
            return self._hit(record, str(observed), str(self.threshold), self.severity) if observed == self.threshold else None
        value = Decimal(observed)
        assert isinstance(self.threshold, Decimal)
        if not _crosses(self.op, value, self.threshold):
            return None
        severity = self.severity
        if self.critical is not None and _crosses(self.op, value, self.critical):
            severity = "critical"
        return self._hit(record, str(value), str(self.threshold), severity)

    def _hit(self, record: DeltaRecord, observed: str, threshold: str, severity: str) -> RuleHit:
        return RuleHit(
            rule=self.id, kind=self.kind, severity=severity,  # type: ignore[arg-type]
            segment=record.segment, metric=record.metric, measure=self.measure,
            observed=observed, threshold=threshold, period_end=record.period_end,
        )


def _crosses(op: str, value: Decimal, threshold: Decimal) -> bool:
    if op == ">=":
        return value >= threshold
    if op == "<=":
        return value <= threshold
    return abs(value) >= abs(threshold)  # abs>=


class RuleSet:
    """All rules, with per-company overrides applied on lookup."""

    def __init__(self, rules: list[Rule], overrides: dict[str, dict[str, dict[str, Any]]]) -> None:
        self.rules = rules
        self._by_company: dict[str, list[Rule]] = {
            company: [_override(rule, changes.get(rule.id, {})) for rule in rules]
            for company, changes in overrides.items()
        }

    @classmethod
    def load(cls, path: Path | None = None) -> RuleSet:
        if path is None:
            text = resources.files("streams").joinpath("data/rules.toml").read_text("utf-8")
            where = "bundled rules.toml"
        else:
            try:
                text = Path(path).read_text("utf-8")
            except OSError as exc:
                raise RulesError(f"cannot read rules file {path}: {exc}") from exc
            where = str(path)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise RulesError(f"{where}: {exc}") from exc
        rules = [_rule(raw, where) for raw in data.get("rule", [])]
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            raise RulesError(f"{where}: duplicate rule ids")
        overrides = data.get("overrides", {})
        known = set(ids)
        for company, changes in overrides.items():
            for rule_id in changes:
                if rule_id not in known:
                    raise RulesError(f"{where}: override {company}.{rule_id} names no rule")
        try:
            return cls(rules, overrides)
        except RulesError as exc:
            raise RulesError(f"{where}: {exc}") from None

    def for_company(self, company: str) -> list[Rule]:
        return self._by_company.get(company, self.rules)

    def evaluate(self, record: DeltaRecord) -> list[RuleHit]:
        return [hit for rule in self.for_company(record.company) if (hit := rule.check(record))]

    def evaluate_all(self, records: list[DeltaRecord]) -> list[RuleHit]:
        """Hits over several records, in rule-file order (the file's order is its priority)."""
        if not records:
            return []
        rules = self.for_company(records[0].company)
        return [hit for rule in rules for record in records if (hit := rule.check(record))]


def _rule(raw: dict[str, Any], where: str) -> Rule:
    rid = raw.get("id", "?")
    try:
        measure, op = raw["measure"], raw.get("op", ">=")
        if measure not in NUMERIC_MEASURES + WORD_MEASURES:
            raise RulesError(f"unknown measure {measure!r}")
        if op not in OPS:
            raise RulesError(f"unknown op {op!r} (use one of {', '.join(OPS)})")
        metrics = raw.get("metric", "*")
        metrics = tuple([metrics] if isinstance(metrics, str) else metrics)
        threshold: Decimal | str
        if measure in WORD_MEASURES:
            threshold = str(raw.get("threshold", "any"))
        else:
            threshold = _number(raw["threshold"], "threshold")
        rule = Rule(
            id=rid, kind=str(raw.get("kind", rid)), segment=str(raw.get("segment", "*")), metrics=metrics,
            measure=measure, op=op, threshold=threshold, severity=_severity(raw.get("severity", "warning")),
            critical=_number(raw["critical"], "critical") if "critical" in raw else None,
        )
    except KeyError as exc:
        raise RulesError(f"{where}: rule {rid}: missing {exc.args[0]}") from None
    except RulesError as exc:
        raise RulesError(f"{where}: rule {rid}: {exc}") from None
    return rule


def _override(rule: Rule, changes: dict[str, Any]) -> Rule:
    if not changes:
        return rule
    update: dict[str, Any] = {}
    try:
        for key, value in changes.items():
            if key in ("threshold", "critical"):
                update[key] = _number(value, key) if rule.measure in NUMERIC_MEASURES else str(value)
            elif key == "severity":
                update[key] = _severity(value)
            elif key == "enabled":
                update[key] = bool(value)
            else:
                raise RulesError(f"unknown field {key!r}")
    except RulesError as exc:
        raise RulesError(f"override of {rule.id}: {exc}") from None
    return replace(rule, **update)


def _number(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RulesError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite():  # TOML allows nan/inf; NaN would raise at every comparison
        raise RulesError(f"{name} must be a finite number, got {value!r}")
    return number


def _severity(value: Any) -> str:
    if value not in ("info", "warning", "critical"):
        raise RulesError(f"severity must be info, warning or critical, got {value!r}")
    return str(value)
