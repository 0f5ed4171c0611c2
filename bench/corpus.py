"""Synthetic inputs for the benchmarks: releases whose every quarter fires an alert, full
five-metric histories, and news articles in zh and en.

Companies are ``C00000``…, registered by ``throughput.registry_toml`` (USD, December year
end, segments "Cloud" and "Group"). Everything is a pure function of its arguments, so two
runs of a benchmark read the same bytes.

Usage::

    body = release(company=3, quarter=7, capex=200)          # dict, json.dumps it
    lines = history_releases(companies=5000, quarters=40)     # iterator of JSON bytes
    lines = articles(100_000, companies=5000)                 # iterator of JSON bytes
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import throughput  # bench/throughput.py (scripts run from bench/)

QUARTERS = throughput.quarter_ends(200)  # 2016Q1 onwards: 50 years is more than any benchmark needs
EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def company_id(n: int) -> str:
    return f"C{n:05d}"


STEMS_ZH = "甲乙丙丁戊己庚辛壬癸"


def names(n: int) -> tuple[str, str]:
    """English and Chinese display names without digits ("Company BC", "公司乙丙").

    Digits in a name are not harmless: the LLM grounding check reads "Company 0" as the
    number 0, which is not a fact, and rejects the text (see docs/benchmarks.md). Real
    names mostly have none, so the benchmarks do not either.
    """
    en, k = "", n
    while True:
        en, k = chr(ord("A") + k % 26) + en, k // 26
        if k == 0:
            break
    zh = "".join(STEMS_ZH[int(d)] for d in str(n))  # one heavenly stem per decimal digit
    return f"Company {en}", f"公司{zh}"


def registry_toml(companies: int) -> str:
    """throughput.registry_toml's companies (C00000…), with names from :func:`names`."""
    def rename(match: re.Match[str]) -> str:
        en, zh = names(int(match.group(1)))
        return f'name_en = "{en}"\nname_zh = "{zh}"'

    return re.sub(r'name_en = "Company (\d+)"\nname_zh = "公司\d+"', rename, throughput.registry_toml(companies))


def release(company: int, quarter: int, *, capex: int, published_at: datetime | None = None,
            metrics: int = 3) -> dict:
    """One quarter of one company. ``metrics`` 3 (revenue, operating income, capex) or 5
    (also adjusted EBITA and free cash flow), amounts in millions."""
    cid, end = company_id(company), QUARTERS[quarter]
    revenue = 1000 + (company * 37 + quarter * 53) % 900 + quarter * 40
    rows = [
        {"segment": "Cloud", "metric": "revenue", "value": revenue, "scale": "million"},
        {"segment": "Cloud", "metric": "operating_income", "value": revenue // 5 + quarter % 7, "scale": "million"},
        {"segment": "Group", "metric": "capex", "value": capex, "scale": "million"},
    ]
    if metrics == 5:
        rows += [
            {"segment": "Cloud", "metric": "adjusted_ebita", "value": revenue // 4 + quarter % 5, "scale": "million"},
            {"segment": "Group", "metric": "free_cash_flow", "value": 200 - (company + quarter) % 300, "scale": "million"},
        ]
    stamp = published_at or EPOCH + timedelta(days=91 * quarter, minutes=company)
    return {
        "release_id": f"{cid}-{end.isoformat()}", "company": cid, "period_end": end.isoformat(),
        "published_at": stamp.isoformat().replace("+00:00", "Z"), "currency": "USD", "metrics": rows,
    }


def alerting_capex(quarter: int) -> int:
    """Capex alternating 100 / 200 (millions): every quarter after the first moves +100 % or
    -50 % QoQ, over the default capex_qoq_shift threshold (25 %), so each such release
    yields exactly one alert and latency can be taken on every one."""
    return 200 if quarter % 2 else 100


def history_releases(companies: int, quarters: int) -> Iterator[bytes]:
    """``companies`` x ``quarters`` releases of five metrics, in time order (quarter-major)."""
    for quarter in range(quarters):
        for company in range(companies):
            capex = 300 + (quarter * 97 + company) % 400
            yield json.dumps(release(company, quarter, capex=capex, metrics=5)).encode()


ZH = ("{name}第{q}季度云业务收入{rev}亿元，同比增长{yoy}%，资本开支{capex}亿元。"
      "管理层表示将继续加大人工智能基础设施投入。")
EN = ("{name} said cloud revenue reached ${rev} billion in Q{q}, up {yoy}% from a year earlier, "
      "while capital expenditure was ${capex} billion as it keeps building AI data centres.")


def article(n: int, companies: int) -> dict:
    """One article naming one registered company with a few figures; zh and en alternate."""
    company = n % max(companies, 1)
    zh = n % 2 == 0
    template = ZH if zh else EN
    values = {"name": names(company)[1 if zh else 0], "q": 1 + n % 4,
              "rev": 10 + n % 90, "yoy": 5 + n % 40, "capex": 3 + n % 20}
    text = template.format(**values)
    return {
        "article_id": f"bench-{n:07d}", "url": f"https://news.example.com/{n}", "source": "财新" if zh else "Reuters",
        "published_at": (EPOCH + timedelta(seconds=30 * n)).isoformat().replace("+00:00", "Z"),
        "language": "zh-Hans" if zh else "en", "title": text.split("，")[0] if zh else text.split(",")[0],
        "body": text, "companies": [company_id(company)],
    }


def articles(count: int, companies: int) -> Iterator[bytes]:
    for n in range(count):
        yield json.dumps(article(n, companies), ensure_ascii=False).encode()
