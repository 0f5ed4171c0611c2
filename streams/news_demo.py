"""Publishing articles and waiting for the news agents: shared by the demo and the broker tests.

Usage::

    publish_articles(settings, bundled_articles())
    ok = wait_news_processed(settings, relevant=5, proc=worker, timeout=60)
"""

from __future__ import annotations

from importlib import resources
from subprocess import Popen

from streams.offsets import all_committed, end_offsets, poll_until
from streams.publisher import Message, send_all
from streams.settings import Settings
from streams.topics import NEWS, NEWS_RELEVANT

DEMO_RELEVANT = 5  # articles of the bundled sample that reach the analysis (one is off-topic)


def bundled_articles() -> list[bytes]:
    """The sample articles shipped with the package (streams/data/news/sample.jsonl)."""
    data = resources.files("streams").joinpath("data/news/sample.jsonl").read_bytes()
    return [line for line in data.splitlines() if line.strip()]


def publish_articles(settings: Settings, lines: list[bytes]) -> None:
    # Keyed by nothing in particular: the ingest agent re-keys relevant readings by company.
    send_all(settings, settings.topic(NEWS), [Message(b"news", line, None) for line in lines])


def wait_news_processed(settings: Settings, *, relevant: int, proc: Popen[bytes] | None, timeout: float) -> bool:
    """True when both news hops have committed to their ends and ``relevant`` readings exist.

    The count matters: without it the second hop could look done before the first produced.
    """
    topics = [settings.topic(NEWS), settings.topic(NEWS_RELEVANT)]

    def done() -> bool:
        produced = sum(end_offsets(settings, [settings.topic(NEWS_RELEVANT)]).values())
        return produced >= relevant and all_committed(settings, topics)

    return poll_until(done, proc, timeout)
