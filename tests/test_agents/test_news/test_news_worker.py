"""News through a real worker on the session broker: dead letters, stories, cross-check, plan pace."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path

import pytest
from pipeline_helpers import alibaba_lines, read_jsonl, read_topic

from streams.demo import wait_processed
from streams.launcher import start_worker, stop_process
from streams.news_demo import (
    DEMO_RELEVANT,
    bundled_articles,
    publish_articles,
    wait_news_processed,
)
from streams.publisher import Message, send_all
from streams.topics import DEADLETTER, NEWS, RELEASES, all_topics, ensure_topics
from tests.test_agents.test_news.test_agent import make_pipe, run

pytestmark = pytest.mark.broker

# A later copy of the 第一财经 story (bundled article 4) that adds one figure.
_copy = json.loads(bundled_articles()[3])
_copy.update(article_id="stcn-20251127-cloud", source="证券时报", url="https://news.example/stcn/20251127/alibaba-cloud-q2",
             published_at="2025-11-27T08:00:00+08:00", body=_copy["body"] + "云智能集团经调整EBITA为36.04亿元。")
LATER_COPY = json.dumps(_copy, ensure_ascii=False).encode("utf-8")

INVALID = {b"{not json": "invalid_json", b'{"article_id": "x", "url": "u"}': "schema"}



def test_articles_through_the_worker(make_settings, tmp_path: Path) -> None:
    settings = make_settings()
    ensure_topics(settings, all_topics(settings))
    releases = alibaba_lines()
    send_all(settings, settings.topic(RELEASES), [Message(b"BABA", line, None) for line in releases])
    log = tmp_path / "worker.log"
    proc = start_worker(settings, log)
    try:
        # Releases first, so the history a cross-check reads is there (news and releases are
        # separate agents; their relative order is not defined across topics).
        assert wait_processed(settings, len(releases), proc, timeout=90), log.read_text()[-3000:]
        publish_articles(settings, [*bundled_articles(), *INVALID])
        assert wait_news_processed(settings, relevant=DEMO_RELEVANT, proc=proc, timeout=90), log.read_text()[-3000:]
    finally:
        stop_process(proc)
    # A restart: the stories table comes back from its changelog and the index is rebuilt, so
    # a later copy that adds a figure revises its story instead of starting a new one.
    proc = start_worker(settings, tmp_path / "worker2.log")
    try:
        publish_articles(settings, [LATER_COPY])
        assert wait_news_processed(settings, relevant=DEMO_RELEVANT + 1, proc=proc, timeout=90), \
            (tmp_path / "worker2.log").read_text()[-3000:]
    finally:
        stop_process(proc)

    letters = [json.loads(r.value) for r in read_topic(settings, DEADLETTER)]
    news_letters = {base64.b64decode(d["original_b64"]): d["reason"] for d in letters
                    if d["source_topic"] == settings.topic(NEWS)}
    assert news_letters == INVALID

    alerts = read_jsonl(settings.alerts_out)
    assert len(alerts) == len({a["alert_id"] for a in alerts})
    news = [a for a in alerts if a["trigger"] == "news"]
    by_story: dict[str, list[dict]] = {}
    for alert in news:
        by_story.setdefault(alert["news"]["story_id"], []).append(alert)

    # The plan story: caixin (zh-Hans), udn (zh-Hant republication), sina (copy) are one story;
    # one alert on the first article and one revision once three outlets carry it.
    (plan_story,) = [chain for chain in by_story.values() if chain[0]["kind"] == "news_plan"]
    first, corroborated = plan_story
    assert [s["outlet"] for s in corroborated["news"]["sources"]] == ["财新", "經濟日報", "新浪财经"]
    assert corroborated["revises"] == first["alert_id"]
    assert corroborated["plan"]["plan_id"] == "baba-cloud-ai-2025"

    # The discrepancy: 第一财经's 388亿 against the release's 398.24亿, both sources named.
    discrepancy, later = [a for a in news if a["kind"] == "news_discrepancy"]
    (check,) = [c for c in discrepancy["news"]["checks"] if c["outcome"] == "discrepancy"]
    assert (check["outlet"], check["release_id"]) == ("第一财经", "BABA-FY2026Q2-results")
    assert check["news_value"] == "38800000000" and check["release_value"] == "39824000000"

    # After the restart: the copy joined the discrepancy story and revised its alert.
    assert later["news"]["story_id"] == discrepancy["news"]["story_id"] and later["revises"] == discrepancy["alert_id"]
    assert [s["outlet"] for s in later["news"]["sources"]] == ["第一财经", "证券时报"]
    assert {f["metric"] for f in later["news"]["facts"] if f["fact_id"] in later["news"]["new_fact_ids"]} == {"adjusted_ebita"}

    # Plan pace from the releases: FY2026Q1 capex 386亿 is 21.9% ahead of 3800亿 / 12 quarters.
    plan_alerts = [a for a in alerts if a["trigger"] == "plan"]
    assert [(a["fiscal_period"], a["plan"]["status"], a["plan"]["pace_pct"]) for a in plan_alerts] == [
        ("FY2026Q1", "ahead", 21.9), ("FY2026Q2", "on_pace", 10.7)]


def test_backfill_and_replay_with_news(make_settings, tmp_path: Path) -> None:
    from streams.publisher import publish_file
    from streams.replay import ReplayOptions, run_replay

    live = make_settings()
    ensure_topics(live, all_topics(live))
    archive = tmp_path / "news.jsonl"
    archive.write_bytes(b"\n".join(bundled_articles()) + b"\n")
    assert publish_file(live, live.topic(NEWS), archive, in_time_order=True).sent == len(bundled_articles())
    broken = tmp_path / "broken.jsonl"
    broken.write_bytes(archive.read_bytes() + b'{"article_id": "no-url"}\n')
    assert [n for n, _ in publish_file(live, live.topic(NEWS), broken).refused] == [len(bundled_articles()) + 1]

    replayed = run_replay(live, ReplayOptions())
    assert replayed.inputs == len(bundled_articles())
    # Exactly what the stages compute in-process over the same articles (no releases: no checks).
    pipe = make_pipe(history_through="2000-01-01")
    expected = {a.alert_id: a.model_dump(mode="json") for a in asyncio.run(run(pipe, bundled_articles()))}
    assert {a["alert_id"]: a for a in replayed.alerts} == expected
    assert sorted(len(a["news"]["sources"]) for a in expected.values()) == [1, 1, 1, 3]
