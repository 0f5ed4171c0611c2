from __future__ import annotations

import pytest

from streams.topics import TopicMismatch, TopicSpec, all_topics, changelog_topic, ensure_topics, list_topics, partition_counts, admin

pytestmark = pytest.mark.broker


def test_all_topics_share_one_partition_count(make_settings) -> None:
    settings = make_settings(partitions=3)
    specs = all_topics(settings)
    names = [s.name for s in specs]
    assert settings.topic("earnings.releases") in names
    assert changelog_topic(settings, "history") in names
    assert {s.partitions for s in specs} == {3}
    changelog = next(s for s in specs if s.name.endswith("-changelog"))
    assert changelog.configs == {"cleanup.policy": "compact"}


def test_create_is_idempotent_and_exact(make_settings) -> None:
    settings = make_settings(partitions=2)
    specs = all_topics(settings)
    created = ensure_topics(settings, specs)
    assert sorted(created) == sorted(s.name for s in specs)
    assert ensure_topics(settings, specs) == []
    client = admin(settings)
    try:
        counts = partition_counts(client, [s.name for s in specs])
    finally:
        client.close()
    # 2, not the 4 a broker's auto-create would have used.
    assert set(counts.values()) == {2}
    assert {s.name for s in specs} <= list_topics(settings)


def test_partition_mismatch_is_refused(make_settings) -> None:
    settings = make_settings()
    name = settings.topic("earnings.releases")
    ensure_topics(settings, [TopicSpec(name, 1)])
    with pytest.raises(TopicMismatch, match=r"has 1 partitions, needs 4"):
        ensure_topics(settings, all_topics(settings))
