"""Delivery under injected receiver faults and a SIGKILL: nothing lost, nothing twice.

    python bench/delivery_faults.py [--alerts 200] [--fail-rate 0.3] [--kill-at 60] [--out bench/results/delivery_faults.json]

Starts the dev broker and a local receiver (signed webhook, Slack Web API, plus a file
receiver), publishes N alerts, starts a worker, SIGKILLs it after --kill-at webhook
deliveries, starts another, and waits until every receiver has every alert. The receiver
answers a --fail-rate share of requests with a random fault: 500, 503, 429 + Retry-After,
dropped connection, lost answer (processed, then dropped), hang past the timeout. Reports what
each receiver saw: unique deliveries, raw duplicates de-duplicated, duplicate Slack messages,
lost alerts, and the ledger's view (uncertain re-sends after the kill).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from delivery_helpers import (COMPANIES, HOOK_SECRET, HOOK_SECRET_ENV, SLACK_TOKEN, SLACK_TOKEN_ENV,  # noqa: E402
                              delivery_toml, fault_run)

from agents.delivery.local_endpoint import LocalEndpoint  # noqa: E402
from schemas.alert import Alert, RuleHit  # noqa: E402
from streams.broker import EmbeddedBroker  # noqa: E402
from streams.settings import Settings  # noqa: E402
from streams.topics import all_topics, ensure_topics  # noqa: E402


def alerts(n: int) -> list[Alert]:
    from datetime import date, datetime, timezone

    hit = RuleHit(rule="growth_acceleration", kind="growth_acceleration", severity="warning", segment="cloud",
                  metric="revenue", measure="yoy_change_pp", observed="8.5", threshold="2", period_end=date(2025, 9, 30))
    return [Alert(alert_id=f"alert-bench{i:06d}", kind="growth_acceleration", kinds=["growth_acceleration"],
                  severity="warning", company=COMPANIES[i % 4], company_name_en="Co", company_name_zh="公司",
                  fiscal_period="FY2026Q2", period_end=date(2025, 9, 30), release_id=f"r{i}", trigger="release",
                  facts=[], hits=[hit], title_zh=f"提醒 {i}", title_en=f"Alert {i}", text_zh="正文。", text_en="Body.",
                  generated_by="template", source_url=None, created_at=datetime(2025, 11, 25, tzinfo=timezone.utc))
            for i in range(n)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--fail-rate", type=float, default=0.3)
    parser.add_argument("--kill-at", type=int, default=60)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("bench/results/delivery_faults.json"))
    args = parser.parse_args()
    os.environ[HOOK_SECRET_ENV], os.environ[SLACK_TOKEN_ENV] = HOOK_SECRET, SLACK_TOKEN
    with TemporaryDirectory(prefix="cloudpulse-delivery-faults-") as tmp, EmbeddedBroker() as broker, \
            LocalEndpoint(secret=HOOK_SECRET, token=SLACK_TOKEN, fail_rate=args.fail_rate, seed=args.seed) as endpoint:
        work = Path(tmp)
        archive = work / "archive.jsonl"
        config = work / "delivery.toml"
        config.write_text(delivery_toml(endpoint, archive), encoding="utf-8")
        run = uuid.uuid4().hex[:6]
        settings = Settings.load(broker=broker.url, dev_broker=True, app_id=f"cp-bench-{run}", topic_prefix=f"b{run}.",
                                 data_dir=work / "data", commit_interval=0.2, delivery_file=config, web_enabled=False,
                                 log_level="WARNING")
        ensure_topics(settings, all_topics(settings))
        report = fault_run(settings, endpoint, alerts(args.alerts), archive, work, kill_at=args.kill_at, timeout=300)
        report["fail_rate"] = args.fail_rate
        report["seed"] = args.seed
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
