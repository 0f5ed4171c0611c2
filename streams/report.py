"""Terminal rendering of alerts and per-company quarter tables (demo, replay, alerts tail).

Usage::

    print_alerts(console, alerts)              # alerts as dicts (JSONL lines)
    print_quarter_tables(console, deltas, registry)
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from agents.templates import money_en
from schemas.company import Registry, RegistryError

SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def print_alerts(console: Console, alerts: list[dict[str, Any]]) -> None:
    for alert in alerts:
        style = SEVERITY_STYLE.get(alert["severity"], "white")
        body = f"{alert['text_zh']}\n\n{alert['text_en']}"
        footer = f"{alert['alert_id']} · {', '.join(alert['kinds'])} · {alert['generated_by']}"
        if alert.get("source_url"):
            footer += f" · {alert['source_url']}"
        console.print(Panel(
            f"[bold]{alert['title_zh']}[/]\n[bold]{alert['title_en']}[/]\n\n{body}\n\n[dim]{footer}[/]",
            title=f"[{style}]{alert['severity'].upper()}[/] {alert['company']} {alert['fiscal_period']}",
            title_align="left", border_style=style,
        ))


def _latest(deltas: list[dict[str, Any]]) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    latest: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for record in deltas:  # file order: a later record for the same quarter supersedes
        latest[(record["company"], record["segment"], record["metric"], record["period_end"])] = record
    return latest


def _pct(value: Any) -> str:
    return "" if value is None else f"{float(value):+.1f}%"


def _pp(value: Any) -> str:
    return "" if value is None else f"{float(value):+.1f}"


def _money(record: dict[str, Any] | None) -> str:
    if record is None:
        return ""
    return money_en(Decimal(record["value"]), record["currency"]) + ("~" if record.get("approx") else "")


def print_quarter_tables(console: Console, deltas: list[dict[str, Any]], registry: Registry) -> None:
    latest = _latest(deltas)
    companies = sorted({key[0] for key in latest})
    for company_id in companies:
        try:
            company = registry.get(company_id)
            title = f"{company.name_en} {company.name_zh} ({company_id}; fiscal year ends month {company.fiscal_year_end_month})"
            cloud_name = company.segment_name("cloud", "en")
        except RegistryError:
            title, cloud_name = company_id, "cloud"
        periods = sorted({key[3] for key in latest if key[0] == company_id})
        table = Table(title=title, title_justify="left", header_style="bold")
        for column in ("Quarter", "Ended", f"{cloud_name} rev", "YoY", "QoQ", "Accel pp", "Cloud margin",
                       "Capex", "Capex YoY", "Capex/rev", "FCF"):
            table.add_column(column, justify="left" if column in ("Quarter", "Ended") else "right")
        for period in periods:
            rev = latest.get((company_id, "cloud", "revenue", period))
            margin = latest.get((company_id, "cloud", "adjusted_ebita", period)) or latest.get((company_id, "cloud", "operating_income", period))
            capex = latest.get((company_id, "group", "capex", period))
            fcf = latest.get((company_id, "group", "free_cash_flow", period))
            any_record = rev or margin or capex or fcf or next(v for k, v in latest.items() if k[0] == company_id and k[3] == period)
            yoy = "" if rev is None else _pct(rev.get("yoy_pct")) + ("ʳ" if rev.get("yoy_basis") == "reported" else "")
            table.add_row(
                any_record["fiscal_period"], period, _money(rev), yoy,
                "" if rev is None else _pct(rev.get("qoq_pct")),
                "" if rev is None else _pp(rev.get("yoy_change_pp")),
                "" if margin is None or margin.get("margin_pct") is None else f"{float(margin['margin_pct']):.1f}%",
                _money(capex), "" if capex is None else _pct(capex.get("yoy_pct")),
                "" if capex is None or capex.get("capex_intensity_pct") is None else f"{float(capex['capex_intensity_pct']):.1f}%",
                _money(fcf),
            )
        console.print(table)
    if companies:
        console.print("[dim]ʳ growth as stated in the release (year-ago quarter not in the data); ~ approximate figure[/]")
