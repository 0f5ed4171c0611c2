"""The delta engine: a release in, its quarter-over-quarter and year-over-year changes out.

Pure logic over :class:`agents.history.History`; no Kafka here. Rules it keeps:

- Quarters are sequenced on the company's fiscal calendar. A missing prior quarter means no
  QoQ, never a delta against the wrong quarter.
- YoY uses the prior-year comparative printed in the same release when there is one (companies
  restate segments), and says so; else the stored value; else the release's stated growth,
  marked ``yoy_basis="reported"``.
- An identical re-send changes no state and yields the same records (so at-least-once
  redelivery re-emits identical alerts that de-duplicate by id).
- A changed figure is a revision: the old value is kept and the record says what it replaced.
- An older quarter arriving late recomputes the quarters that depend on it (next quarter's
  QoQ and acceleration, and the same quarter next year's YoY). So does a comparative that
  changes a quarter's value as others read it: one for a quarter never reported (a gap).
- Percent changes are exact until stored; each ratio is rounded once (acceleration is the
  difference of exact growth rates, not of rounded ones).

Usage::

    engine = DeltaEngine()
    outcome = engine.apply(release, store)     # store: dict or Faust table
    for record in outcome.deltas: ...
"""

from __future__ import annotations

import hashlib
import json
import typing
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pydantic_core

from agents.history import History, Value, same_number
from schemas.company import Company
from schemas.delta import DeltaRecord, PriorValue, Revision
from schemas.numbers import HUNDRED, Ratio, round_ratio
from schemas.release import Observation, Release

PROFIT_METRICS = ("adjusted_ebita", "operating_income")
SIGN_WATCHED = ("free_cash_flow", "operating_income")


@dataclass(slots=True)
class Outcome:
    """What applying one release produced."""

    deltas: list[DeltaRecord] = field(default_factory=list)  # for the release's own quarter
    recomputed: list[DeltaRecord] = field(default_factory=list)  # dependent quarters
    status: str = "new"  # new | duplicate | revision | mixed
    # delta_id -> the record's JSON form without its id: what the id was hashed from, kept so
    # alert identities (agents/alerts.py) need not dump every record a second time.
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, record: DeltaRecord, doc: dict[str, Any], *, recomputed: bool = False) -> None:
        (self.recomputed if recomputed else self.deltas).append(record)
        self.docs[record.delta_id] = doc


class DeltaEngine:
    """Applies releases to history and computes deltas."""

    def apply(self, release: Release, store: MutableMapping[str, Any]) -> Outcome:
        history = History(store, release.company_id)
        cal = release.company.calendar  # shift and label are memoised (schemas/fiscal.py)
        here = release.period_end
        # What each comparative's quarter read as before, to see which values this release moves.
        before = {
            key: (history.value(*key), history.value(*key, printed_in=here))
            for key in ((c.segment, c.metric, c.period_end) for c in release.comparatives)
        }
        statuses: dict[tuple[str, str], str] = {}
        for comp in release.comparatives:
            history.upsert_comparative(comp, release.release_id, here)
        for obs in release.observations:
            statuses[obs.series_key] = history.upsert_reported(obs, release.release_id)
        history.flush()

        outcome = Outcome(status=_overall(statuses.values()))
        for obs in release.observations:
            outcome.add(*self._delta(history, release.company, obs, release.release_id))

        # Quarters whose deltas depend on a value that just changed: a new or revised reported
        # figure, or a comparative that changes a quarter's best value (it fills a gap, or
        # restates a quarter that was never reported). A comparative of a reported quarter
        # changes nothing outside its own release: value() prefers the reported figure.
        changed = [(o.segment, o.metric, o.period_end) for o in release.observations if statuses[o.series_key] != "duplicate"]
        dependents: set[tuple[str, str, date]] = set()
        for key, (best, printed) in before.items():
            if _moved(best, history.value(*key)):
                changed.append(key)
            seg, met, period = key
            if period == cal.shift(here, -4) and _moved(printed, history.value(*key, printed_in=here)):
                # This quarter's YoY moved even if its own figure is a re-send: so did the
                # next quarter's acceleration, which reads it.
                later = cal.shift(here, 1)
                if history.reported(seg, met, later) is not None:
                    dependents.add((seg, met, later))
        for seg, met, period in changed:
            for step in (1, 4, 5):  # next QoQ, next-year YoY, acceleration one quarter on
                later = cal.shift(period, step)
                if history.reported(seg, met, later) is not None:
                    dependents.add((seg, met, later))
            if met == "revenue":  # margins and capex intensity divide by revenue
                for metric in (*PROFIT_METRICS, "capex"):
                    for step in (0, 1, 4):
                        later = cal.shift(period, step)
                        if history.reported(seg, metric, later) is not None:
                            dependents.add((seg, metric, later))
        dependents -= {(o.segment, o.metric, o.period_end) for o in release.observations}  # computed above
        for segment, metric, period in sorted(dependents, key=lambda d: (d[2], d[0], d[1])):
            entry = history.reported(segment, metric, period)
            assert entry is not None
            dependent = _observation_of(entry, segment, metric, period)
            outcome.add(*self._delta(history, release.company, dependent, entry["release_id"], trigger="recompute"),
                        recomputed=True)
        return outcome

    # ------------------------------------------------------------------------------------
    def _delta(
        self,
        history: History,
        company: Company,
        obs: Observation,
        release_id: str,
        trigger: str | None = None,
    ) -> tuple[DeltaRecord, dict[str, Any]]:
        """The record, and its JSON form without ``delta_id`` (what the id is hashed from)."""
        cal = company.calendar
        period = obs.period_end
        seg, met = obs.segment, obs.metric
        fields: dict[str, Any] = {}

        previous, year_before = cal.shift(period, -1), cal.shift(period, -4)
        prior = history.value(seg, met, previous)
        if prior is not None:
            fields["prior_quarter"] = _prior(prior, cal.label(prior.period_end))
            fields["qoq_abs"] = obs.value - prior.value
            qoq = _pct_change(obs.value, prior.value)
            if qoq is not None:
                fields["qoq_pct"] = round_ratio(qoq)

        yoy, yoy_basis, year_ago = self._yoy(history, seg, met, period, cal, obs.value, obs.reported_yoy_pct, cal_printed_in=period)
        if year_ago is not None:
            fields["year_ago"] = _prior(year_ago, cal.label(year_ago.period_end))
            fields["yoy_abs"] = obs.value - year_ago.value
            fields["restated_comparative_used"] = year_ago.basis == "comparative_in_release"
        if yoy is not None:
            fields["yoy_pct"] = round_ratio(yoy)
            fields["yoy_basis"] = yoy_basis

        prev_entry = history.reported(seg, met, previous)
        prev_value = prior
        if prev_value is not None:
            prev_reported = _dec(prev_entry.get("reported_yoy_pct")) if prev_entry else None
            prev_yoy, prev_basis, _ = self._yoy(
                history, seg, met, prev_value.period_end, cal, prev_value.value, prev_reported,
                cal_printed_in=prev_value.period_end,
            )
        else:
            prev_yoy, prev_basis = None, None
        if prev_yoy is not None:
            fields["prev_yoy_pct"] = round_ratio(prev_yoy)
            fields["prev_yoy_basis"] = prev_basis
            if yoy is not None:
                fields["yoy_change_pp"] = round_ratio(yoy - prev_yoy)

        if obs.reported_yoy_pct is not None:
            fields["reported_yoy_pct"] = round_ratio(obs.reported_yoy_pct)
            if yoy is not None and yoy_basis == "computed":
                fields["yoy_mismatch_pp"] = round_ratio(yoy - obs.reported_yoy_pct)
        if obs.reported_qoq_pct is not None:
            fields["reported_qoq_pct"] = round_ratio(obs.reported_qoq_pct)

        if met in PROFIT_METRICS:
            fields.update(self._ratio_change(history, seg, met, "revenue", period, cal, obs.value, "margin"))
        if met == "capex":
            fields.update(self._ratio_change(history, seg, met, "revenue", period, cal, obs.value, "capex_intensity"))

        if met in SIGN_WATCHED:
            for vs, other in (("prior_quarter", prior), ("year_ago", history.value(seg, met, year_before))):
                if other is None:
                    continue
                if other.value >= 0 > obs.value:
                    fields["sign_change"], fields["sign_change_vs"] = "to_negative", vs
                elif other.value < 0 <= obs.value:
                    fields["sign_change"], fields["sign_change_vs"] = "to_positive", vs
                break  # the nearest comparable quarter decides

        revision = _revision_of(history, obs, release_id)
        if revision is not None:
            fields["revision"] = revision
        if trigger is None:
            trigger = "revision" if revision is not None else "release"

        body = {
            "trigger": trigger,
            "release_id": release_id,
            "company": company.id,
            "segment": seg,
            "metric": met,
            "period_end": period,
            "fiscal_period": cal.label(period),
            "currency": obs.currency,
            "value": obs.value,
            "quantum": obs.quantum,
            "approx": obs.approx,
            **fields,
        }
        # Validated once (pydantic's validator is faster than model_construct's Python loop),
        # dumped once; the id is hashed from that dump and the dump is kept for alert ids.
        probe = DeltaRecord(delta_id="", **body)
        doc = probe.model_dump(mode="json")
        del doc["delta_id"]  # cheaper than exclude={"delta_id"}, same dict
        return probe.model_copy(update={"delta_id": delta_id_of(doc)}), doc

    def _yoy(
        self,
        history: History,
        seg: str,
        met: str,
        period: date,
        cal: Any,
        value: Decimal,
        reported_yoy: Decimal | None,
        *,
        cal_printed_in: date,
    ) -> tuple[Decimal | None, str | None, Value | None]:
        year_ago = history.value(seg, met, cal.shift(period, -4), printed_in=cal_printed_in)
        if year_ago is not None:
            pct = _pct_change(value, year_ago.value)
            if pct is not None:
                return pct, "computed", year_ago
        if reported_yoy is not None:
            return reported_yoy, "reported", year_ago
        return None, None, year_ago

    def _ratio_change(
        self, history: History, seg: str, met: str, base_metric: str, period: date, cal: Any, value: Decimal, name: str,
    ) -> dict[str, Any]:
        base = history.value(seg, base_metric, period)
        if base is None or base.value <= 0:
            return {}
        ratio = value / base.value * HUNDRED
        out: dict[str, Any] = {f"{name}_pct": round_ratio(ratio)}
        for step, basis in ((-1, "qoq"), (-4, "yoy")):
            then = cal.shift(period, step)
            num, den = history.value(seg, met, then), history.value(seg, base_metric, then)
            if num is None or den is None or den.value <= 0:
                continue
            prev_ratio = num.value / den.value * HUNDRED
            out[f"prev_{name}_pct"] = round_ratio(prev_ratio)
            out[f"{name}_change_pp"] = round_ratio(ratio - prev_ratio)
            if name == "margin":
                out["margin_change_basis"] = basis
            break
        return out


def _moved(old: Value | None, new: Value | None) -> bool:
    """Whether a quarter's value, as its dependents read it, changed (numerically)."""
    if old is None or new is None:
        return old is not new
    return old.value != new.value


def _pct_change(value: Decimal, base: Decimal) -> Decimal | None:
    """Exact percent change; callers round once, so differences of changes stay exact."""
    if base == 0:
        return None
    return (value - base) / abs(base) * HUNDRED


def _prior(value: Value, label: str) -> PriorValue:
    return PriorValue(
        period_end=value.period_end, fiscal_period=label, value=value.value,
        basis=value.basis, release_id=value.release_id,  # type: ignore[arg-type]
    )


def _dec(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def _revision_of(history: History, obs: Observation, release_id: str) -> Revision | None:
    """What this figure replaced, read from stored state so a redelivery gives the same answer."""
    current = history.reported(obs.segment, obs.metric, obs.period_end)
    if current is None or current["release_id"] != release_id or not same_number(current["value"], str(obs.value)):
        return None
    older = history.revisions(obs.segment, obs.metric, obs.period_end)
    if not older:
        return None
    previous = older[-1]
    return Revision(previous_value=Decimal(previous["value"]), previous_release_id=previous["release_id"])


def _observation_of(entry: dict[str, Any], segment: str, metric: str, period: date) -> Observation:
    return Observation(
        segment=segment, metric=metric, period_end=period,
        value=Decimal(entry["value"]), currency=entry["currency"], quantum=Decimal(entry["quantum"]),
        approx=bool(entry.get("approx")),
        reported_yoy_pct=_dec(entry.get("reported_yoy_pct")),
        reported_qoq_pct=_dec(entry.get("reported_qoq_pct")),
    )


def _overall(statuses: Any) -> str:
    kinds = set(statuses)
    return kinds.pop() if len(kinds) == 1 else "mixed"


# What json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
# builds on every call, built once: the same encoder, so the same bytes (ids must never move).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_id(prefix: str, body: Any) -> str:
    """A stable id from content: same facts, same id, on any machine and any run."""
    canonical = _CANONICAL.encode(body)
    return f"{prefix}-{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:20]}"


# A delta record's JSON form (model_dump(mode="json") less delta_id) always has the same keys,
# nested ones too: listed here in the order json.dumps(sort_keys=True) writes them. Every value
# is text, a bool or null, except the ratios (floats) and the nested records (text only);
# tests/test_agents/test_deltas.py holds the record's JSON Schema to that shape.
_DOC_KEYS = tuple(sorted(name for name in DeltaRecord.model_fields if name != "delta_id"))
_NESTED_KEYS = {
    "prior_quarter": tuple(sorted(PriorValue.model_fields)),
    "year_ago": tuple(sorted(PriorValue.model_fields)),
    "revision": tuple(sorted(Revision.model_fields)),
}
_FLOAT_KEYS = tuple(name for name, f in DeltaRecord.model_fields.items()
                    if f.annotation == Ratio or Ratio in typing.get_args(f.annotation))


def delta_id_of(doc: dict[str, Any]) -> str:
    """``content_id("delta", doc)`` for a delta record's JSON form, at about half the cost.

    The canonical text is the hottest part of a release's analysis. pydantic-core's encoder
    writes the same bytes as ``json.dumps(..., sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)`` once the keys are in sorted order (same escapes for every code
    point, same number text; tests/test_agents/test_deltas.py checks both), except for a
    float under 1e-4, which Python writes with an exponent: the record's ratios are rounded
    to 0.01, so that never occurs, and if it did the generic path would be taken. So is any
    doc of another shape, and any doc pydantic-core cannot encode (a lone surrogate), so
    that the generic path raises exactly as before.
    """
    canonical = _sorted_bytes(doc)
    if canonical is None:
        canonical = _CANONICAL.encode(doc).encode("utf-8")
    return f"delta-{hashlib.sha256(canonical).hexdigest()[:20]}"


def _sorted_bytes(doc: dict[str, Any]) -> bytes | None:
    """The canonical bytes by pydantic-core, or None where only the generic path is sure."""
    if len(doc) != len(_DOC_KEYS):
        return None
    try:
        ordered = {key: doc[key] for key in _DOC_KEYS}
        for key, names in _NESTED_KEYS.items():
            nested = ordered[key]
            if nested is not None:
                if len(nested) != len(names):
                    return None
                ordered[key] = {name: nested[name] for name in names}
    except (KeyError, TypeError):
        return None
    for key in _FLOAT_KEYS:
        value = ordered[key]
        if value and -1e-4 < value < 1e-4:  # Python writes 1e-05, pydantic-core 0.00001
            return None
    try:
        return pydantic_core.to_json(ordered)
    except pydantic_core.PydanticSerializationError:
        return None
