"""JSON Schema for every contract, as `cloudpulse schema export` writes it."""

from __future__ import annotations

from typing import Any

from schemas.alert import Alert
from schemas.deadletter import DeadLetter
from schemas.delta import DeltaRecord
from schemas.release import EarningsRelease

CONTRACTS = {
    "earnings_release.v1": EarningsRelease,
    "alert.v1": Alert,
    "delta.v1": DeltaRecord,
    "deadletter.v1": DeadLetter,
}


def all_schemas() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, model in CONTRACTS.items():
        body = model.model_json_schema(mode="validation" if name.startswith("earnings") else "serialization")
        body["$id"] = f"urn:cloudpulse:schema:{name}"
        out[name] = body
    return out
