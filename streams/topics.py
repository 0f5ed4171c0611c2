"""Every topic cloudpulse uses, and creating them up front.

Faust is configured never to declare topics (``topic_allow_declare=False``): they are created
here, before any worker starts, with one partition count. A table's changelog must have as
many partitions as its source, and some brokers (Tansu, or Kafka with
``auto.create.topics.enable``) would otherwise create a missing topic with their own default
count on the first metadata request.

Usage::

    specs = all_topics(settings)
    ensure_topics(settings, specs)       # creates what is missing, checks what exists
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from kafka.admin import KafkaAdminClient

from streams.settings import Settings

log = logging.getLogger(__name__)

# Logical names; settings.topic() adds the deployment's prefix.
RELEASES = "earnings.releases"
VALID_RELEASES = "cloudpulse.releases.valid"
DEADLETTER = "cloudpulse.deadletter"
ALERTS = "cloudpulse.alerts"
DRAFTS = "cloudpulse.alerts.drafts"  # template-written alerts awaiting the LLM writer
DELTAS = "cloudpulse.deltas"
HISTORY_TABLE = "history"
# --- Delivery (docs/delivery.md)
DELIVERIES = "cloudpulse.deliveries"  # every ledger change, keyed by alert_id|receiver (compacted)
DELIVERY_RETRY = "cloudpulse.deliveries.retry"  # parked deliveries, with their alert
DELIVERY_DEADLETTER = "cloudpulse.deliveries.deadletter"  # out of attempts or failed finally
SILENCES = "cloudpulse.silences"  # keyed by silence id (compacted)
LEDGER_TABLE = "deliveries"
# --- News (docs/news.md)
NEWS = "news.articles"  # input: articles, contract v1 (schemas/article.py)
NEWS_RELEVANT = "cloudpulse.news.relevant"  # relevant readings, keyed by subject company
STORIES_TABLE = "news_stories"  # story id -> sources, facts, index state
PLANS_TABLE = "news_plans"  # company -> plans read from news, plan alert chains

INPUTS = (RELEASES, NEWS)
PIPELINE = (RELEASES, VALID_RELEASES, DEADLETTER, DRAFTS, ALERTS, DELTAS, DELIVERY_RETRY, DELIVERY_DEADLETTER,
            NEWS, NEWS_RELEVANT)
COMPACTED = (DELIVERIES, SILENCES)  # only the latest record per key matters
TABLES = (HISTORY_TABLE, LEDGER_TABLE, STORIES_TABLE, PLANS_TABLE)


class TopicMismatch(RuntimeError):
    """An existing topic has a different partition count than the app needs."""


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int = 1
    configs: dict[str, str] = field(default_factory=dict)


def changelog_topic(settings: Settings, table: str) -> str:
    """Faust's name for a table's changelog: ``<app id>-<table>-changelog``."""
    return f"{settings.app_id}-{table}-changelog"


DAY_MS = 86_400_000
# Retention: inputs and outputs are history (replay reads inputs; alerts history reads alerts),
# so they are kept; internal hand-over topics only need to outlive an outage.
RETENTION_MS: dict[str, int] = {
    RELEASES: -1, ALERTS: -1, DELTAS: -1, NEWS: -1, NEWS_RELEVANT: 7 * DAY_MS,
    VALID_RELEASES: 7 * DAY_MS, DRAFTS: 7 * DAY_MS,
    DEADLETTER: 90 * DAY_MS, DELIVERY_RETRY: 30 * DAY_MS, DELIVERY_DEADLETTER: 90 * DAY_MS,
}


def all_topics(settings: Settings) -> list[TopicSpec]:
    spec = lambda name, **configs: TopicSpec(  # noqa: E731
        name, settings.partitions, settings.replication_factor, dict(configs)
    )
    topics = [spec(settings.topic(name), **({"retention.ms": str(RETENTION_MS[name])} if name in RETENTION_MS else {}))
              for name in PIPELINE]
    topics += [spec(settings.topic(name), **{"cleanup.policy": "compact"}) for name in COMPACTED]
    # Changelogs are compacted: only the latest value per key is needed for recovery.
    topics += [spec(changelog_topic(settings, table), **{"cleanup.policy": "compact"}) for table in TABLES]
    return topics


def admin(settings: Settings) -> KafkaAdminClient:
    return KafkaAdminClient(bootstrap_servers=settings.bootstrap_servers, client_id=f"{settings.app_id}-admin",
                            request_timeout_ms=30_000)


def list_topics(settings: Settings) -> set[str]:
    client = admin(settings)
    try:
        return set(client.list_topics())
    finally:
        client.close()


def partition_counts(client: KafkaAdminClient, names: list[str]) -> dict[str, int]:
    """Partition count of topics known to exist (describing a missing one may auto-create it)."""
    if not names:
        return {}
    return {t["name"]: len(t["partitions"]) for t in client.describe_topics(names)}


def ensure_topics(settings: Settings, specs: list[TopicSpec]) -> list[str]:
    """Create missing topics; raise TopicMismatch if an existing one has the wrong partition count.

    Returns the names created. Idempotent: running it again creates nothing.
    """
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        present = [s.name for s in specs if s.name in existing]
        counts = partition_counts(client, present)
        wrong = [f"{s.name} has {counts[s.name]} partitions, needs {s.partitions}"
                 for s in specs if s.name in counts and counts[s.name] != s.partitions]
        if wrong:
            raise TopicMismatch(
                "; ".join(wrong) + ". Partitions of a keyed topic cannot be changed in place without "
                "moving keys; delete and recreate the topics (cloudpulse topics delete) or set --partitions to match."
            )
        missing = [s for s in specs if s.name not in existing]
        if missing:
            client.create_topics(
                {s.name: {"num_partitions": s.partitions, "replication_factor": s.replication_factor,
                          "configs": s.configs} for s in missing},
                timeout_ms=30_000,
            )
            log.info("created topics %s", ", ".join(s.name for s in missing))
        return [s.name for s in missing]
    finally:
        client.close()


def delete_topics(settings: Settings, names: list[str]) -> list[str]:
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        doomed = [n for n in names if n in existing]
        if doomed:
            client.delete_topics(doomed, timeout_ms=30_000)
        return doomed
    finally:
        client.close()
