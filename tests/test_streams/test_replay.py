"""Replay: bounded, isolated, deterministic, and correct about time."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from kafka.structs import TopicPartition

from streams.cli import main
from streams.offsets import end_offsets, start_offsets_for_time
from streams.publisher import publish_file
from streams.replay import ReplayOptions, compare, run_replay
from streams.topics import ALERTS, NEWS, RELEASES, all_topics, ensure_topics, list_topics

BUNDLED = Path(__file__).resolve().parents[2] / "streams/data/releases"
SAMPLE_NEWS = Path(__file__).resolve().parents[2] / "streams/data/news/sample.jsonl"


class FakeKafka:
    """Real Kafka's ListOffsets-by-time answers: earliest offset with timestamp >= t, else None."""

    def __init__(self, stamps: dict[TopicPartition, list[int]]) -> None:
        self.stamps = stamps

    def offsets_for_times(self, query: dict[TopicPartition, int]) -> dict[TopicPartition, object]:
        out = {}
        for tp, t in query.items():
            hits = [i for i, s in enumerate(self.stamps[tp]) if s >= t]
            out[tp] = SimpleNamespace(offset=hits[0], timestamp=self.stamps[tp][hits[0]]) if hits else None
        return out


def test_since_on_real_kafka_semantics_never_falls_back_to_the_beginning() -> None:
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    kafka = FakeKafka({a: [10, 20, 30], b: [5, 6]})
    ends = {a: 3, b: 2}
    assert start_offsets_for_time(kafka, [a, b], ends, 20) == {a: 1, b: 2}  # b: all older -> its end
    assert start_offsets_for_time(kafka, [a, b], ends, 1) == {a: 0, b: 0}
    assert start_offsets_for_time(kafka, [a, b], ends, 99) == {a: 3, b: 2}


@pytest.mark.broker
def test_replay_is_bounded_isolated_and_deterministic(make_settings, tmp_path: Path) -> None:
    live = make_settings()
    ensure_topics(live, all_topics(live))
    # News first on the topic and releases after: a concurrent replay could analyse the stories
    # before or after their releases; phases make it one answer.
    articles = publish_file(live, live.topic(NEWS), SAMPLE_NEWS, in_time_order=True).sent
    for name in ("alibaba.jsonl", "peers.jsonl"):
        publish_file(live, live.topic(RELEASES), BUNDLED / name, in_time_order=True)

    first = run_replay(live, ReplayOptions(alerts_out=tmp_path / "a1.jsonl", deltas_out=tmp_path / "d1.jsonl"))
    second = run_replay(live, ReplayOptions(alerts_out=tmp_path / "a2.jsonl", deltas_out=tmp_path / "d2.jsonl"))
    assert first.inputs == 30 + articles and first.deadletters == 0
    assert len(first.alerts) > 10
    news = [a for a in first.alerts if a.get("news")]
    # Every story was analysed after all releases: the FY2026Q2 figure is checked against one.
    assert any(c["outcome"] == "discrepancy" for a in news for c in a["news"]["checks"]), [(a["title_en"], a["news"].get("checks")) for a in news]
    assert all(a["trigger"] != "recompute" for a in news)
    # A topic not asked for is not read at all.
    only = run_replay(live, ReplayOptions(topics=(RELEASES,)))
    assert only.inputs == 30 and not [a for a in only.alerts if a.get("news")]
    assert {a["alert_id"] for a in only.alerts} <= {a["alert_id"] for a in first.alerts}
    assert (tmp_path / "a1.jsonl").read_bytes() == (tmp_path / "a2.jsonl").read_bytes()
    assert (tmp_path / "d1.jsonl").read_bytes() == (tmp_path / "d2.jsonl").read_bytes()
    # Isolated: the live alert topic saw nothing, and the replay cleaned up its own topics.
    assert sum(end_offsets(live, [live.topic(ALERTS)]).values()) == 0
    assert not [t for t in list_topics(live) if ".replay-" in t or "replay-" in t.split(".")[0]]
    assert not compare(tmp_path / "a1.jsonl", second.alerts)["changed"]


@pytest.mark.broker
def test_since_until_window_by_record_time(make_settings, tmp_path: Path) -> None:
    live = make_settings()
    ensure_topics(live, all_topics(live))
    publish_file(live, live.topic(RELEASES), BUNDLED / "alibaba.jsonl", in_time_order=True)
    since = datetime(2025, 5, 1, tzinfo=timezone.utc)  # FY2025Q4, FY2026Q1, FY2026Q2 results
    result = run_replay(live, ReplayOptions(since=since))
    assert result.inputs == 3
    assert {a["fiscal_period"] for a in result.alerts} <= {"FY2025Q4", "FY2026Q1", "FY2026Q2"}
    # Fresh state: FY2026Q1 has no prior quarter in this window, so no QoQ and no acceleration.
    q1 = [d for d in result.deltas if d["fiscal_period"] == "FY2026Q1" and d["metric"] == "revenue"]
    assert q1 and q1[0]["prior_quarter"]["fiscal_period"] == "FY2025Q4"

    until = datetime(2025, 6, 1, tzinfo=timezone.utc)
    windowed = run_replay(live, ReplayOptions(since=since, until=until))
    assert {d["fiscal_period"] for d in windowed.deltas} == {"FY2025Q4"}

    after_everything = run_replay(live, ReplayOptions(since=datetime(2030, 1, 1, tzinfo=timezone.utc)))
    assert after_everything.inputs == 0 and after_everything.alerts == []


@pytest.mark.broker
def test_cli_replay_and_compare(make_settings, tmp_path: Path) -> None:
    live = make_settings()
    ensure_topics(live, all_topics(live))
    env = {"CLOUDPULSE_TOPIC_PREFIX": live.topic_prefix, "CLOUDPULSE_APP_ID": live.app_id,
           "CLOUDPULSE_DEV_BROKER": "true", "CLOUDPULSE_DATA_DIR": str(tmp_path / "data"),
           "CLOUDPULSE_WEB_ENABLED": "false"}
    runner = CliRunner(env=env)
    loaded = runner.invoke(main, ["backfill", "--broker", live.broker, str(BUNDLED / "alibaba.jsonl")])
    assert loaded.exit_code == 0, loaded.output
    previous = tmp_path / "previous.jsonl"
    # A "previous run" that said something else about FY2026Q2.
    summary_file = tmp_path / "summary.json"
    run = runner.invoke(main, ["replay", "--broker", live.broker, "--alerts-out", str(previous),
                               "--summary-out", str(summary_file)])
    assert run.exit_code == 0, run.output
    records = [json.loads(line) for line in previous.read_text("utf-8").splitlines()]
    summary = json.loads(summary_file.read_text("utf-8"))
    assert summary["alerts"] == len(records) > 0 and summary["deadletters"] == 0
    assert summary["inputs"] == len((BUNDLED / "alibaba.jsonl").read_text("utf-8").splitlines())
    assert sum(summary["alert_kinds"].values()) >= summary["alerts"] and summary["deltas"] > 0
    records[-1]["severity"] = "info"
    previous.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    again = runner.invoke(main, ["replay", "--broker", live.broker, "--compare-with", str(previous)])
    assert again.exit_code == 0, again.output
    assert "0 added, 0 removed, 1 changed" in again.output
