"""Per-company quarterly history, stored as JSON-able dicts in any mutable mapping.

In the worker the mapping is a Faust table (changelogged, partitioned by company because the
source topic is keyed by company); in unit tests it is a plain dict. One key per series,
``"BABA|cloud|revenue"``, holds every quarter of that series:

    {"points": {"2025-06-30": {
        "reported":    {"value": "33398000000", "quantum": "1000000", "currency": "CNY",
                        "release_id": "...", "approx": false, "reported_yoy_pct": "26", ...},
        "revisions":   [<older "reported" entries, oldest first>],
        "comparatives": {"<period_end of the release that printed it>": {...}}}}}

Values are decimal strings: the changelog must round-trip amounts exactly.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from schemas.release import Observation

Entry = dict[str, Any]
UpsertResult = Literal["new", "duplicate", "revision"]


def series_key(company: str, segment: str, metric: str) -> str:
    return f"{company}|{segment}|{metric}"


def alerts_key(company: str, period_end: date) -> str:
    return f"{company}|@alerts|{period_end.isoformat()}"


def entry_of(obs: Observation, release_id: str) -> Entry:
    return {
        "value": str(obs.value),
        "quantum": str(obs.quantum),
        "currency": obs.currency,
        "release_id": release_id,
        "approx": obs.approx,
        "reported_yoy_pct": None if obs.reported_yoy_pct is None else str(obs.reported_yoy_pct),
        "reported_qoq_pct": None if obs.reported_qoq_pct is None else str(obs.reported_qoq_pct),
    }


NUMERIC_FIELDS = ("value", "reported_yoy_pct", "reported_qoq_pct")


def same_number(a: str | None, b: str | None) -> bool:
    """Numeric equality of stored decimal strings: "26" and "26.0" are the same figure."""
    if a is None or b is None:
        return a is b
    return Decimal(a) == Decimal(b)


def _same_figure(a: Entry, b: Entry) -> bool:
    return a.get("currency") == b.get("currency") and all(same_number(a.get(k), b.get(k)) for k in NUMERIC_FIELDS)


@dataclass(frozen=True, slots=True)
class Value:
    """A value of a series at a quarter, with where it came from."""

    period_end: date
    value: Decimal
    basis: str  # "reported" | "comparative" | "comparative_in_release"
    release_id: str
    entry: Entry


class History:
    """Read/write view over the store for one company; caches series it touched.

    Copy-on-write: a series is read as stored (a Faust table value must be re-assigned to be
    changelogged, never mutated in place), and only a point about to change is copied, with
    the series' point index. A release touches one or two points of a series that may hold
    forty quarters, and copying every point on every read was a measurable cost per release.
    """

    def __init__(self, store: MutableMapping[str, Any], company: str) -> None:
        self._store = store
        self.company = company
        self._cache: dict[str, dict[str, Any]] = {}
        self._owned: dict[str, set[str]] = {}  # series key -> points copied (safe to change)
        self._dirty: set[str] = set()

    def series(self, segment: str, metric: str) -> dict[str, Any]:
        """The series as stored, or as changed by this view: read-only for callers."""
        key = series_key(self.company, segment, metric)
        cached = self._cache.get(key)
        if cached is None:
            stored = self._store.get(key)
            cached = self._cache[key] = stored if stored is not None and "points" in stored else {"points": {}}
        return cached

    def _point(self, segment: str, metric: str, period_end: date) -> dict[str, Any]:
        """A point this view owns (copied from the stored one, or new), ready to change."""
        key = series_key(self.company, segment, metric)
        series = self.series(segment, metric)
        owned = self._owned.get(key)
        if owned is None:
            series = self._cache[key] = {"points": dict(series["points"])}  # the index, not the points
            owned = self._owned[key] = set()
        points = series["points"]
        day = period_end.isoformat()
        if day not in owned:
            stored = points.get(day)
            points[day] = _copy_point(stored) if stored is not None else {"reported": None, "revisions": [], "comparatives": {}}
            owned.add(day)
        return points[day]

    def upsert_reported(self, obs: Observation, release_id: str) -> UpsertResult:
        """Record an as-reported value; a different figure for a known quarter is a revision."""
        point = self._point(obs.segment, obs.metric, obs.period_end)
        new = entry_of(obs, release_id)
        old = point["reported"]
        if old is not None and _same_figure(old, new):
            return "duplicate"
        if old is not None:
            # A redelivered older version must not undo a newer one (at-least-once replays
            # can re-send both): if this exact figure was superseded already, keep the newer.
            if any(_same_figure(r, new) and r["release_id"] == release_id for r in point["revisions"]):
                return "duplicate"
            point["revisions"].append(old)
        point["reported"] = new
        self._dirty.add(series_key(self.company, obs.segment, obs.metric))
        return "revision" if old is not None else "new"

    def upsert_comparative(self, obs: Observation, release_id: str, printed_in: date) -> bool:
        point = self._point(obs.segment, obs.metric, obs.period_end)
        new = entry_of(obs, release_id)
        old = point["comparatives"].get(printed_in.isoformat())
        if old is not None and _same_figure(old, new):
            return False
        point["comparatives"][printed_in.isoformat()] = new
        self._dirty.add(series_key(self.company, obs.segment, obs.metric))
        return True

    def value(self, segment: str, metric: str, period_end: date, *, printed_in: date | None = None) -> Value | None:
        """The best value of a quarter: the comparative printed in ``printed_in``'s release if
        asked for and present, else as reported, else the latest comparative printed for it."""
        point = self.series(segment, metric)["points"].get(period_end.isoformat())
        if point is None:
            return None
        if printed_in is not None:
            comp = point["comparatives"].get(printed_in.isoformat())
            if comp is not None:
                return Value(period_end, Decimal(comp["value"]), "comparative_in_release", comp["release_id"], comp)
        if point["reported"] is not None:
            rep = point["reported"]
            return Value(period_end, Decimal(rep["value"]), "reported", rep["release_id"], rep)
        if point["comparatives"]:
            latest = max(point["comparatives"])  # printed in the most recent release
            comp = point["comparatives"][latest]
            return Value(period_end, Decimal(comp["value"]), "comparative", comp["release_id"], comp)
        return None

    def reported(self, segment: str, metric: str, period_end: date) -> Entry | None:
        point = self.series(segment, metric)["points"].get(period_end.isoformat())
        return None if point is None else point["reported"]

    def revisions(self, segment: str, metric: str, period_end: date) -> list[Entry]:
        point = self.series(segment, metric)["points"].get(period_end.isoformat())
        return [] if point is None else list(point["revisions"])

    def alert_ids(self, period_end: date) -> list[str]:
        return list(self._store.get(alerts_key(self.company, period_end)) or [])

    def remember_alert(self, period_end: date, alert_id: str) -> None:
        key = alerts_key(self.company, period_end)
        ids = list(self._store.get(key) or [])
        if alert_id not in ids:
            self._store[key] = [*ids, alert_id]

    def flush(self) -> None:
        """Write changed series back to the store (one table write per series)."""
        for key in sorted(self._dirty):
            self._store[key] = self._cache[key]
        self._dirty.clear()
        self._owned.clear()  # the store holds those objects now: a later change copies again


def _copy_point(point: dict[str, Any]) -> dict[str, Any]:
    return {
        "reported": point.get("reported"),
        "revisions": list(point.get("revisions", [])),
        "comparatives": dict(point.get("comparatives", {})),
    }
