"""Delta records: what changed for one company/segment/metric/quarter, with its inputs.

Every derived number carries the inputs it came from (the prior values and their periods and
bases), so any figure in an alert can be traced back to a release.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from schemas.memo import DumpedOnce
from schemas.numbers import Money, Ratio

#: Where a prior value came from.
#: reported: as first published for that quarter; comparative: printed (possibly restated) in a
#: later release; comparative_in_release: printed in the same release as the current value.
Basis = Literal["reported", "comparative", "comparative_in_release"]


class PriorValue(BaseModel):
    """A value a delta was computed against."""

    model_config = ConfigDict(frozen=True)

    period_end: date
    fiscal_period: str
    value: Money
    basis: Basis
    release_id: str


class Revision(BaseModel):
    """The value a revised release replaced."""

    model_config = ConfigDict(frozen=True)

    previous_value: Money
    previous_release_id: str


class DeltaRecord(DumpedOnce):
    """Computed changes for one series at one quarter (dumped once per instance: schemas/memo.py)."""

    model_config = ConfigDict(frozen=True)

    delta_id: str
    trigger: Literal["release", "revision", "recompute"]
    release_id: str
    company: str
    segment: str
    metric: str
    period_end: date
    fiscal_period: str
    currency: str
    value: Money
    quantum: Money
    approx: bool = False

    prior_quarter: PriorValue | None = None
    qoq_abs: Money | None = None
    qoq_pct: Ratio | None = None

    year_ago: PriorValue | None = None
    yoy_abs: Money | None = None
    yoy_pct: Ratio | None = None
    yoy_basis: Literal["computed", "reported"] | None = None
    restated_comparative_used: bool = False

    prev_yoy_pct: Ratio | None = None
    prev_yoy_basis: Literal["computed", "reported"] | None = None
    yoy_change_pp: Ratio | None = None

    reported_yoy_pct: Ratio | None = None
    reported_qoq_pct: Ratio | None = None
    yoy_mismatch_pp: Ratio | None = None

    margin_pct: Ratio | None = None
    prev_margin_pct: Ratio | None = None
    margin_change_pp: Ratio | None = None
    margin_change_basis: Literal["qoq", "yoy"] | None = None

    capex_intensity_pct: Ratio | None = None
    prev_capex_intensity_pct: Ratio | None = None
    capex_intensity_change_pp: Ratio | None = None

    sign_change: Literal["to_negative", "to_positive"] | None = None
    sign_change_vs: Literal["prior_quarter", "year_ago"] | None = None

    revision: Revision | None = None
