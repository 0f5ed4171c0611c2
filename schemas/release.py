"""Earnings release input contract v1, and its normalisation against the company registry.

A release arrives as JSON bytes on ``earnings.releases``. :func:`parse_release` turns the bytes
into a :class:`Release` with canonical company, segment and metric ids and exact Decimal amounts
in base units, or raises :class:`InvalidInput` with one or more located, human-readable errors.

Usage::

    release = parse_release(raw_bytes, registry, max_bytes=256 * 1024)
    for obs in release.observations:
        print(obs.segment, obs.metric, obs.value, obs.currency)
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from schemas.company import Company, Registry, RegistryError
from schemas.errors import InputProblem, InvalidInput, problems_of
from schemas.fiscal import FiscalPeriodError
from schemas.money import AmountError, normalise_currency, parse_amount

SCHEMA_VERSION = 1
# Reported quarters fall in these years. The bound also keeps every step the delta engine takes
# from a quarter (a few quarters back or forward) inside datetime.date's years 1-9999: a release
# for 9999-12-31 once passed ingest and then failed in the analysis agent (found by fuzzing).
FIRST_YEAR, LAST_YEAR = 1900, 2999

AmountInput = Decimal | int | float | str
ScaleInput = Decimal | int | float | str


class MetricLine(BaseModel):
    """One reported figure: a metric of a segment for the release's quarter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    segment: str = Field(min_length=1, max_length=200, description="Segment as printed; mapped by the registry")
    metric: str = Field(min_length=1, max_length=100, description="revenue, adjusted_ebita, operating_income, capex, free_cash_flow (or a registry alias)")
    value: AmountInput = Field(description='A number, or a string with scale/currency: "333.98亿", "RMB 33,398 million", "$13.6bn"')
    unit: str | None = Field(default=None, max_length=20, description="Currency code of the value (alias of `currency`)")
    scale: ScaleInput | None = Field(default=None, description='Multiplier for a bare number: 1000000, "million", "亿"')
    currency: str | None = Field(default=None, max_length=20, description="Overrides the release currency")
    approx: bool = Field(default=False, description="The source printed an approximate figure")
    source_url: str | None = Field(default=None, max_length=2000, description="Where this figure was printed, when not the release's source_url")
    reported_yoy_pct: Decimal | None = Field(default=None, ge=-1000, le=100000, description="Growth the release states, in %")
    reported_qoq_pct: Decimal | None = Field(default=None, ge=-1000, le=100000)

    @field_validator("value", "scale", "reported_yoy_pct", "reported_qoq_pct", mode="before")
    @classmethod
    def _no_bool(cls, value: object) -> object:
        # JSON true would otherwise be read as 1: a wrong number is worse than a refusal.
        if isinstance(value, bool):
            raise ValueError("must be a number or a string, not true/false")
        return value

    @field_validator("value", "scale", mode="after")
    @classmethod
    def _decimal_as_text(cls, value: object) -> object:
        # A JSON number with a fraction or exponent reads as a Decimal, which the ingest agent
        # forwards as text ("1E+3", or all 5000 digits of 0.333...), and the analysis agent
        # then reads with the amount grammar. Read it as that same text here, so both hops
        # apply the same rules and never disagree (found by fuzzing: 1e3 passed ingest, then
        # was refused by analysis).
        if isinstance(value, Decimal) and value.is_finite():
            if abs(value.adjusted()) > 60:
                raise ValueError(f"{value} is out of range for a company figure")
            return format(value, "f")
        return value


class Comparative(MetricLine):
    """A prior-period figure as printed (possibly restated) in this release."""

    period_end: date


class EarningsRelease(BaseModel):
    """Release contract v1, exactly as it arrives (before registry mapping)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int = Field(default=SCHEMA_VERSION, description="Contract version; 1")
    release_id: str = Field(min_length=1, max_length=200, description="Unique; the same id with other numbers is a revision")
    company: str = Field(min_length=1, max_length=50, description="Registry id or alias: BABA, AMZN, GOOGL, MSFT, 0700.HK")
    period_end: date = Field(description="Last day of the fiscal quarter: the identity of the quarter")
    fiscal_period: str | None = Field(default=None, max_length=20, description="e.g. FY2026Q1; checked against the fiscal calendar")
    published_at: datetime = Field(description="When the release was published (ISO 8601; naive means UTC)")
    currency: str | None = Field(default=None, max_length=20, description="Default currency of metrics; the company's reporting currency when absent")
    source_url: str | None = Field(default=None, max_length=2000)
    metrics: list[MetricLine] = Field(min_length=1, max_length=500)
    comparatives: list[Comparative] = Field(default_factory=list, max_length=500)

    @field_validator("schema_version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != SCHEMA_VERSION:
            raise ValueError(f"unsupported schema_version {value}; this build reads {SCHEMA_VERSION}")
        return value

    @field_validator("published_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class Observation:
    """A normalised figure: canonical ids, exact value in base units, printed precision."""

    segment: str
    metric: str
    period_end: date
    value: Decimal
    currency: str
    quantum: Decimal
    approx: bool = False
    reported_yoy_pct: Decimal | None = None
    reported_qoq_pct: Decimal | None = None

    @property
    def series_key(self) -> tuple[str, str]:
        return self.segment, self.metric


@dataclass(frozen=True, slots=True)
class Release:
    """A validated, normalised release."""

    release_id: str
    company: Company
    period_end: date
    fiscal_period: str
    published_at: datetime
    source_url: str | None
    observations: tuple[Observation, ...]
    comparatives: tuple[Observation, ...] = field(default=())
    raw: EarningsRelease | None = None

    @property
    def company_id(self) -> str:
        return self.company.id


def decode_json(raw: bytes, *, max_bytes: int) -> Any:
    """Bytes -> JSON value with exact decimals; size, UTF-8 and syntax errors are InvalidInput."""
    if len(raw) > max_bytes:
        raise InvalidInput(
            "too_large", [InputProblem("", f"payload is {len(raw)} bytes; the limit is {max_bytes}")]
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            "invalid_utf8", [InputProblem("", f"not UTF-8: {exc.reason} at byte {exc.start}")]
        ) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise InvalidInput("invalid_json", [InputProblem("", f"not valid JSON: {exc}")]) from None
    except RecursionError:
        raise InvalidInput("invalid_json", [InputProblem("", "JSON nested too deeply")]) from None
    except ValueError:
        # Python refuses int() of over sys.get_int_max_str_digits() digits (4300 by default).
        limit = sys.get_int_max_str_digits()
        raise InvalidInput(
            "invalid_json", [InputProblem("", f"not valid JSON: an integer has more than {limit} digits")]
        ) from None


def parse_release(raw: bytes, registry: Registry, *, max_bytes: int) -> Release:
    """Validate and normalise one release message (the whole ingest contract in one call)."""
    document = decode_json(raw, max_bytes=max_bytes)
    if not isinstance(document, dict):
        raise InvalidInput("schema", [InputProblem("", f"expected a JSON object, got {type(document).__name__}")])
    try:
        contract = EarningsRelease.model_validate(document)
    except ValidationError as exc:
        raise InvalidInput("schema", problems_of(exc)) from None
    return normalise(contract, registry)


def normalise(contract: EarningsRelease, registry: Registry) -> Release:
    """Map a contract-valid release onto the registry; collects every problem before raising."""
    problems: list[InputProblem] = []
    try:
        company = registry.get(contract.company)
    except RegistryError as exc:
        raise InvalidInput("unknown_company", [InputProblem("company", str(exc))]) from None

    fiscal_label = ""
    try:
        _check_year(contract.period_end)
        company.calendar.check(contract.period_end)
        fiscal_label = company.calendar.label(contract.period_end)
    except FiscalPeriodError as exc:
        problems.append(InputProblem("period_end", str(exc)))
    if contract.fiscal_period is not None:
        try:
            given = company.calendar.period_end_of(contract.fiscal_period)
        except FiscalPeriodError as exc:
            problems.append(InputProblem("fiscal_period", str(exc)))
        else:
            if fiscal_label and given != contract.period_end:
                problems.append(InputProblem(
                    "fiscal_period",
                    f"{contract.fiscal_period} ends {given.isoformat()} for {company.id} "
                    f"(fiscal year ends in month {company.fiscal_year_end_month}), "
                    f"but period_end is {contract.period_end.isoformat()} ({fiscal_label})",
                ))

    default_currency = contract.currency or company.currency
    if contract.currency is not None:
        try:
            default_currency = normalise_currency(contract.currency) or company.currency
        except AmountError as exc:
            # Reported once, where it is wrong, and not again at every metric that inherits it.
            raise InvalidInput("bad_value", [*problems, InputProblem("currency", str(exc))]) from None
    observations = _observations(contract.metrics, "metrics", company, registry,
                                 contract.period_end, default_currency, problems)
    comparatives = _observations(contract.comparatives, "comparatives", company, registry,
                                 None, default_currency, problems)
    # Indexed by the input lines (not the observations that survived) so the location is right.
    for index, comp in enumerate(contract.comparatives):
        if comp.period_end >= contract.period_end:
            problems.append(InputProblem(
                f"comparatives.{index}.period_end",
                f"a comparative must be for an earlier quarter than {contract.period_end.isoformat()}",
            ))
    if problems:
        kind = "bad_period" if all(p.loc.startswith(("period_end", "fiscal_period")) for p in problems) else "bad_value"
        raise InvalidInput(kind, problems)
    return Release(
        release_id=contract.release_id,
        company=company,
        period_end=contract.period_end,
        fiscal_period=fiscal_label,
        published_at=contract.published_at,
        source_url=contract.source_url,
        observations=tuple(observations),
        comparatives=tuple(comparatives),
        raw=contract,
    )


def _check_year(day: date) -> None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise FiscalPeriodError(f"{day.isoformat()} is outside the years {FIRST_YEAR}-{LAST_YEAR} of reported quarters")


def _observations(
    lines: list[MetricLine] | list[Comparative],
    where: str,
    company: Company,
    registry: Registry,
    period_end: date | None,
    default_currency: str,
    problems: list[InputProblem],
) -> list[Observation]:
    out: list[Observation] = []
    seen: dict[tuple[str, str, date], int] = {}
    for index, line in enumerate(lines):
        loc = f"{where}.{index}"
        before = len(problems)
        segment = metric = ""
        try:
            segment = company.segment_id(line.segment)
        except RegistryError as exc:
            problems.append(InputProblem(f"{loc}.segment", str(exc)))
        try:
            metric = registry.metric_id(line.metric)
        except RegistryError as exc:
            problems.append(InputProblem(f"{loc}.metric", str(exc)))
        line_period = line.period_end if isinstance(line, Comparative) else period_end
        assert line_period is not None
        if isinstance(line, Comparative):
            try:
                _check_year(line_period)
                company.calendar.check(line_period)
            except FiscalPeriodError as exc:
                problems.append(InputProblem(f"{loc}.period_end", str(exc)))
        if line.currency and line.unit and line.currency.strip().upper() != line.unit.strip().upper():
            problems.append(InputProblem(f"{loc}.unit", f"unit {line.unit!r} disagrees with currency {line.currency!r}"))
            continue
        currency = line.currency or line.unit or default_currency
        try:
            amount = parse_amount(line.value, scale=line.scale, currency=currency)
        except AmountError as exc:
            problems.append(InputProblem(f"{loc}.value", str(exc)))
            continue
        if len(problems) > before:
            continue
        key = (segment, metric, line_period)
        if key in seen:
            problems.append(InputProblem(
                loc, f"{segment}/{metric} for {line_period.isoformat()} is also at {where}.{seen[key]}"
            ))
            continue
        seen[key] = index
        out.append(Observation(
            segment=segment,
            metric=metric,
            period_end=line_period,
            value=amount.value,
            currency=amount.currency or default_currency,
            quantum=amount.quantum,
            approx=line.approx,
            reported_yoy_pct=line.reported_yoy_pct,
            reported_qoq_pct=line.reported_qoq_pct,
        ))
    return out
