"""Build the bundled release files from transcribed figures.

    python tools/build_releases.py            # rewrites streams/data/releases/*.jsonl

Alibaba: from streams/data/sources/alibaba_quarters.json (a copy of the shared, sourced data
set). Figures "as reported" become the metrics of that quarter's release. A prior-year figure
printed in a later release becomes a comparative of the release that printed it (one year
later) when that release is in the data set; otherwise it stands as the metric of its own
quarter (FY2025Q4 cloud revenue, printed in the FY2026Q4 release). Values are written the way
the sources print them (亿 strings, millions, billions) so the bundled data exercises parsing.

Peers: AWS and Google Cloud segment figures and Alphabet capex, transcribed from the companies'
quarterly earnings press releases (PEERS below, US$ millions).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "streams/data/sources/alibaba_quarters.json"
OUT = ROOT / "streams/data/releases"

# Alibaba's results announcement dates (fiscal year ends 31 March); time of day is nominal.
ALIBABA_PUBLISHED = {
    "FY2024Q1": "2023-08-10", "FY2024Q2": "2023-11-16", "FY2024Q3": "2024-02-07",
    "FY2024Q4": "2024-05-14", "FY2025Q1": "2024-08-15", "FY2025Q2": "2024-11-15",
    "FY2025Q3": "2025-02-20", "FY2025Q4": "2025-05-15", "FY2026Q1": "2025-08-29",
    "FY2026Q2": "2025-11-25",
}
SEGMENT_NAMES = {"Cloud Intelligence Group": "Cloud Intelligence Group", "group": "Group"}
FIRST_PRINT = {"as_reported", "as_originally_reported"}


def printed_value(record: dict) -> str | int:
    """The figure as its source prints it: "333.98亿", "RMB 27,648 million", "RMB 26.5 billion"."""
    value = Decimal(str(record["value"]))
    scale = Decimal(str(record["scale"]))
    if scale == Decimal("1e8"):
        return f"{value}亿"
    if scale == Decimal("1e6"):
        return f"RMB {value:,} million"
    if scale == Decimal("1e9"):
        return f"RMB {value} billion"
    raise ValueError(f"unexpected scale {scale}")


def metric_line(record: dict, with_period: bool = False) -> dict:
    line: dict = {"segment": SEGMENT_NAMES[record["segment"]], "metric": record["metric"],
                  "value": printed_value(record), "currency": record["unit"]}
    if with_period:
        line["period_end"] = record["period_end"]
    if record.get("approx"):
        line["approx"] = True
    for key in ("reported_yoy_pct", "reported_qoq_pct"):
        if record.get(key) is not None:
            line[key] = record[key]
    line["source_url"] = record["source"]
    return line


def one_year_later(day: str) -> str:
    d = date.fromisoformat(day)
    return d.replace(year=d.year + 1).isoformat()


def alibaba_releases() -> list[dict]:
    records = json.loads(SOURCE.read_text("utf-8"))["records"]
    periods = {r["period_end"]: r["fiscal_period"] for r in records}
    metrics: dict[str, list[dict]] = defaultdict(list)
    comparatives: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        later = one_year_later(record["period_end"])
        if record["basis"] in FIRST_PRINT:
            metrics[record["period_end"]].append(record)
        elif later in periods and any(r["period_end"] == later and r["basis"] in FIRST_PRINT for r in records):
            comparatives[later].append(record)
        else:
            metrics[record["period_end"]].append(record)
    releases = []
    for period_end in sorted(metrics):
        lines = metrics[period_end]
        fiscal = periods[period_end]
        primary = next((r for r in lines if r["metric"] == "revenue"), lines[0])
        release = {
            "release_id": f"BABA-{fiscal}-results",
            "company": "BABA",
            "period_end": period_end,
            "fiscal_period": fiscal,
            "published_at": f"{ALIBABA_PUBLISHED[fiscal]}T11:30:00Z",
            "currency": "CNY",
            "source_url": primary["source"],
            "metrics": [metric_line(r) for r in sorted(lines, key=_order)],
        }
        if comparatives.get(period_end):
            release["comparatives"] = [metric_line(r, with_period=True) for r in sorted(comparatives[period_end], key=_order)]
        releases.append(release)
    return releases


def _order(record: dict) -> tuple:
    order = ["revenue", "adjusted_ebita", "operating_income", "capex", "free_cash_flow"]
    return (record["segment"] != "Cloud Intelligence Group", order.index(record["metric"]))


AMAZON_IR = "https://ir.aboutamazon.com/quarterly-results/default.aspx"
ALPHABET_IR = "https://abc.xyz/investor/"
# (period_end, published, AWS revenue, AWS operating income, reported revenue YoY %), US$ m.
AWS = [
    ("2023-03-31", "2023-04-27", 21354, 5123, 16),
    ("2023-06-30", "2023-08-03", 22140, 5365, 12),
    ("2023-09-30", "2023-10-26", 23059, 6976, 12),
    ("2023-12-31", "2024-02-01", 24204, 7167, 13),
    ("2024-03-31", "2024-04-30", 25037, 9421, 17),
    ("2024-06-30", "2024-08-01", 26281, 9334, 19),
    ("2024-09-30", "2024-10-31", 27452, 10447, 19),
    ("2024-12-31", "2025-02-06", 28786, 10632, 19),
    ("2025-03-31", "2025-05-01", 29267, 11547, 17),
    ("2025-06-30", "2025-07-31", 30873, 10160, 17.5),
    ("2025-09-30", "2025-10-30", 33006, 11434, 20.2),
]
# (period_end, published, Google Cloud revenue, operating income, revenue YoY %, Alphabet capex).
GOOGLE = [
    ("2023-03-31", "2023-04-25", 7454, 191, 28, None),
    ("2023-06-30", "2023-07-25", 8031, 395, 28, None),
    ("2023-09-30", "2023-10-24", 8411, 266, 22, None),
    ("2023-12-31", "2024-01-30", 9192, 864, 26, None),
    ("2024-03-31", "2024-04-25", 9574, 900, 28, 12012),
    ("2024-06-30", "2024-07-23", 10347, 1172, 29, 13186),
    ("2024-09-30", "2024-10-29", 11353, 1947, 35, 13061),
    ("2024-12-31", "2025-02-04", 11955, 2093, 30, 14276),
    ("2025-03-31", "2025-04-24", 12260, 2177, 28, 17197),
    ("2025-06-30", "2025-07-23", 13624, 2826, 32, 22446),
    ("2025-09-30", "2025-10-29", 15157, 3594, 34, 23953),
]


def peer_releases() -> list[dict]:
    out = []
    for period_end, published, revenue, op_income, yoy in AWS:
        out.append({
            "release_id": f"AMZN-{period_end}-results", "company": "AMZN", "period_end": period_end,
            "published_at": f"{published}T20:05:00Z", "currency": "USD", "source_url": AMAZON_IR,
            "metrics": [
                {"segment": "AWS", "metric": "revenue", "value": revenue, "scale": "million", "reported_yoy_pct": yoy},
                {"segment": "AWS", "metric": "operating_income", "value": op_income, "scale": "million"},
            ],
        })
    for period_end, published, revenue, op_income, yoy, capex in GOOGLE:
        metrics = [
            {"segment": "Google Cloud", "metric": "revenue", "value": revenue, "scale": "million", "reported_yoy_pct": yoy},
            {"segment": "Google Cloud", "metric": "operating_income", "value": op_income, "scale": "million"},
        ]
        if capex is not None:
            metrics.append({"segment": "Alphabet", "metric": "capex", "value": capex, "scale": "million"})
        out.append({
            "release_id": f"GOOGL-{period_end}-results", "company": "GOOGL", "period_end": period_end,
            "published_at": f"{published}T20:05:00Z", "currency": "USD", "source_url": ALPHABET_IR,
            "metrics": metrics,
        })
    return out


def write(path: Path, releases: list[dict]) -> None:
    releases = sorted(releases, key=lambda r: r["published_at"])
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in releases), encoding="utf-8")
    print(f"{path.relative_to(ROOT)}: {len(releases)} releases")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    write(OUT / "alibaba.jsonl", alibaba_releases())
    write(OUT / "peers.jsonl", peer_releases())
