"""The company registry: who we follow, how they name segments, when their quarters end.

Usage::

    registry = Registry.load()                       # bundled companies
    registry = Registry.load(Path("my_companies.toml"))  # bundled, overridden by the user's
    baba = registry.get("BABA")
    baba.segment_id("Cloud Intelligence Group")      # 'cloud'
    baba.calendar.label(date(2025, 6, 30))           # 'FY2026Q1'
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.fiscal import FiscalCalendar


class RegistryError(ValueError):
    """An unknown company, segment or metric, or a malformed registry file."""


def _fold(name: str) -> str:
    return " ".join(name.casefold().replace("_", " ").split())


class Company(BaseModel):
    """One followed company."""

    model_config = ConfigDict(frozen=True)

    id: str
    name_en: str
    name_zh: str
    aliases: tuple[str, ...] = ()
    fiscal_year_end_month: int = Field(default=12, ge=1, le=12)
    currency: str = "USD"
    segments: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @cached_property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar(self.fiscal_year_end_month)

    @cached_property
    def _segment_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for canonical, names in self.segments.items():
            index[_fold(canonical)] = canonical
            for name in names:
                index[_fold(name)] = canonical
        return index

    def segment_id(self, name: str) -> str:
        """Canonical segment id for a printed segment name; unknown names raise."""
        found = self._segment_index.get(_fold(name))
        if found is None:
            known = ", ".join(sorted(self.segments))
            raise RegistryError(
                f"segment {name!r} is not known for {self.id} (known: {known}; "
                "add a mapping in the registry file)"
            )
        return found

    def segment_name(self, segment: str, lang: str) -> str:
        """A display name for a canonical segment id in 'en' or 'zh'."""
        names = self.segments.get(segment, ())
        if lang == "zh":
            zh = [n for n in names if not n.isascii()]
            if zh:
                return zh[0]
            return {"group": "集团"}.get(segment, names[0] if names else segment)
        en = [n for n in names if n.isascii()]
        return en[0] if en else segment


class Registry(BaseModel):
    """All companies plus the canonical metric vocabulary."""

    model_config = ConfigDict(frozen=True)

    companies: dict[str, Company]
    metrics: dict[str, tuple[str, ...]]

    @classmethod
    def load(cls, extra: Path | None = None) -> Registry:
        bundled = resources.files("schemas").joinpath("data/companies.toml").read_text("utf-8")
        data = tomllib.loads(bundled)
        if extra is not None:
            try:
                user = tomllib.loads(Path(extra).read_text("utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise RegistryError(f"cannot read registry file {extra}: {exc}") from exc
            data.setdefault("companies", {}).update(user.get("companies", {}))
            for metric, names in user.get("metrics", {}).items():
                data.setdefault("metrics", {})[metric] = list(names)
        companies = {}
        for cid, body in data.get("companies", {}).items():
            try:
                companies[cid] = Company(**{**body, "id": cid})
            except (ValidationError, TypeError) as exc:
                where = extra if extra is not None else "the bundled registry"
                raise RegistryError(f"company {cid!r} in {where} is malformed: {exc}") from None
        return cls(companies=companies, metrics=data.get("metrics", {}))

    def get(self, company_id: str) -> Company:
        company = self.companies.get(company_id) or self._by_alias.get(_fold(company_id))
        if company is None:
            raise RegistryError(
                f"company {company_id!r} is not in the registry "
                f"(known: {', '.join(sorted(self.companies))})"
            )
        return company

    @cached_property
    def _by_alias(self) -> dict[str, Company]:
        index: dict[str, Company] = {}
        for company in self.companies.values():
            index.setdefault(_fold(company.id), company)
            for alias in (company.name_en, company.name_zh, *company.aliases):
                index.setdefault(_fold(alias), company)
        return index

    @cached_property
    def _metric_index(self) -> dict[str, str]:
        index: dict[str, str] = {}
        for canonical, names in self.metrics.items():
            index[_fold(canonical)] = canonical
            for name in names:
                index[_fold(name)] = canonical
        return index

    def metric_id(self, name: str) -> str:
        found = self._metric_index.get(_fold(name))
        if found is None:
            raise RegistryError(
                f"metric {name!r} is not known (canonical: {', '.join(sorted(self.metrics))})"
            )
        return found
