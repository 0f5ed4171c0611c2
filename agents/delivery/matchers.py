"""Matching alerts by field, shared by routes and silences.

A matcher set maps a field to the values it accepts: ``{"company": ["BABA"], "severity":
["critical"]}`` matches when every field has at least one accepted value. ``kind`` and
``segment`` are many-valued on an alert (all its kinds, every segment its hits and facts
name, news facts included), so one shared value is enough.

Usage::

    matches({"company": ["BABA"]}, alert)                   # True for any Alibaba alert
    matches({"receiver": ["firm"]}, alert, receiver="firm") # silences can name receivers
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from schemas.alert import Alert

FIELDS = ("company", "kind", "severity", "segment", "trigger", "receiver")


def values_of(alert: Alert, field: str, receiver: str | None = None) -> set[str]:
    if field == "company":
        return {alert.company}
    if field == "kind":
        return {alert.kind, *alert.kinds}
    if field == "severity":
        return {alert.severity}
    if field == "segment":
        news = {f.segment for f in alert.news.facts if f.segment} if alert.news is not None else set()
        return {h.segment for h in alert.hits} | {f.segment for f in alert.facts} | news
    if field == "trigger":
        return {alert.trigger}
    if field == "receiver":
        return {receiver} if receiver else set()
    raise ValueError(f"unknown match field {field!r}; known: {', '.join(FIELDS)}")


def matches(matchers: Mapping[str, Sequence[str]], alert: Alert, receiver: str | None = None) -> bool:
    return all(values_of(alert, field, receiver) & set(wanted) for field, wanted in matchers.items())


def check_fields(matchers: Mapping[str, Sequence[str]], allowed: Sequence[str] = FIELDS) -> None:
    unknown = sorted(set(matchers) - set(allowed))
    if unknown:
        raise ValueError(f"unknown match field(s) {', '.join(unknown)}; known: {', '.join(allowed)}")
