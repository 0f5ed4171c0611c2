"""Prometheus metrics, read at scrape time from the counters the stages already keep.

The agents count into ``Pipeline.counters`` (a plain Counter, cheap on the hot path) with
dotted keys; the LLM writer into ``LLMStats``. This collector turns them into metric families
when /metrics is scraped, and reads consumer lag from Faust's consumer.

Counter keys and what they become:

    in.<topic> / out.<topic>              cloudpulse_events_total{topic, direction}
    invalid.<reason>                      cloudpulse_validation_failures_total{reason}
    deadletter.<reason>                   cloudpulse_deadletters_total{reason}
    analysis.deltas                       cloudpulse_deltas_total
    alert.<kind>.<severity>.<writer>      cloudpulse_alerts_total{kind, severity, writer}
    news.<event>                          cloudpulse_news_total{event} (articles, irrelevant, relevant,
                                          unattributed, facts, stories_new, stories_updated,
                                          discrepancies, plans, plan_ahead/behind/on_pace)
    delivery.<receiver>.<outcome>         cloudpulse_deliveries_total{receiver, outcome}
                                          (outcome "queue_full": a receiver's queue was full)

Usage::

    registry = CollectorRegistry()
    registry.register(PipelineCollector(app, pipe))
    generate_latest(registry)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily

FAMILIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # prefix: (metric name, help, labels)
    "in": ("cloudpulse_events_total", "Events consumed or produced, per topic", ("topic",)),
    "out": ("cloudpulse_events_total", "Events consumed or produced, per topic", ("topic",)),
    "invalid": ("cloudpulse_validation_failures_total", "Inputs refused by validation, by reason", ("reason",)),
    "deadletter": ("cloudpulse_deadletters_total", "Records sent to a dead-letter topic, by reason", ("reason",)),
    "alert": ("cloudpulse_alerts_total", "Alerts published", ("kind", "severity", "writer")),
    "news": ("cloudpulse_news_total", "News path: articles in, dropped, facts, stories, discrepancies, plans",
             ("event",)),
    "delivery": ("cloudpulse_deliveries_total",
                 "Delivery outcomes per receiver (delivered, retried, dead-lettered, silenced, queue_full, ...)",
                 ("receiver", "outcome")),
}


class PipelineCollector:
    def __init__(self, app: Any, pipe: Any) -> None:
        self.app = app
        self.pipe = pipe

    def collect(self) -> Iterator[Metric]:
        counters = dict(self.pipe.counters)
        families: dict[str, CounterMetricFamily] = {}
        for key, value in sorted(counters.items()):
            prefix, _, rest = key.partition(".")
            if prefix not in FAMILIES:
                continue
            name, help_text, labels = FAMILIES[prefix]
            if prefix in ("in", "out"):
                labels, values = ("topic", "direction"), [rest, prefix]
            else:
                values = rest.split(".", len(labels) - 1)
                if len(values) != len(labels):
                    continue
            family = families.setdefault(name, CounterMetricFamily(name[: -len("_total")], help_text, labels=labels))
            family.add_metric(values, value)
        yield from families.values()
        deltas = CounterMetricFamily("cloudpulse_deltas", "Delta records computed")
        deltas.add_metric([], counters.get("analysis.deltas", 0))
        yield deltas
        yield from self._llm()
        yield from self._lag()

    def _llm(self) -> Iterator[Metric]:
        llm = getattr(self.pipe, "llm", None)
        if llm is None:
            return
        stats = llm.stats
        calls = CounterMetricFamily("cloudpulse_llm_calls", "LLM HTTP calls, failed ones included")
        calls.add_metric([], stats.calls)
        yield calls
        hits = CounterMetricFamily("cloudpulse_llm_cache_hits", "Alerts written from the response cache")
        hits.add_metric([], stats.cache_hits)
        yield hits
        outcomes = CounterMetricFamily("cloudpulse_llm_outcomes", "How alert text was produced", labels=("outcome",))
        for outcome, count in sorted(stats.outcomes.items()):
            outcomes.add_metric([outcome], count)
        yield outcomes
        tokens = CounterMetricFamily("cloudpulse_llm_tokens", "Tokens used", labels=("model", "type"))
        for model in sorted(stats.prompt_tokens):
            tokens.add_metric([model, "prompt"], stats.prompt_tokens[model])
            tokens.add_metric([model, "completion"], stats.completion_tokens[model])
        yield tokens
        latency = SummaryMetricFamily("cloudpulse_llm_latency_seconds", "Latency of answered LLM calls",
                                      labels=("model",))
        for model, samples in sorted(stats.latency_seconds.items()):
            latency.add_metric([model], count_value=len(samples), sum_value=sum(samples))
        yield latency

    def _lag(self) -> Iterator[Metric]:
        lag = GaugeMetricFamily("cloudpulse_consumer_lag", "High watermark minus next offset to read",
                                labels=("topic", "partition"))
        try:
            consumer = self.app.consumer
            assignment = sorted(consumer.assignment())
        except Exception:  # consumer not started yet: no partitions, no lag
            assignment = []
        for tp in assignment:
            try:
                high = consumer.highwater(tp)
            except Exception:
                continue
            read = consumer._read_offset.get(tp)  # Faust keeps the last offset read per partition
            if high is None:
                continue
            position = (read + 1) if read is not None else 0
            lag.add_metric([tp.topic, str(tp.partition)], max(high - position, 0))
        yield lag
