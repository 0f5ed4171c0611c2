"""streams/app.py: our batching settings reach Faust, and none of them touches commits."""

from __future__ import annotations

import faust

from streams.app import faust_config, tuning_config
from streams.settings import Settings


def test_batching_settings_reach_the_faust_app() -> None:
    settings = Settings.load(producer_linger_ms=7, producer_max_batch_size=65536, max_poll_records=321,
                             stream_buffer_maxsize=2048)
    app = faust.App("tuning-test", **faust_config(settings))  # what build_app passes, without the agents
    assert app.conf.producer_linger == 0.007
    assert app.conf.producer_max_batch_size == 65536
    assert app.conf.broker_max_poll_records == 321
    assert app.conf.stream_buffer_maxsize == 2048


def test_tuning_keeps_commit_settings() -> None:
    settings = Settings.load()
    # Tuning is about batching only: the commit interval (redelivery bound) stays ours.
    assert not {"broker_commit_interval", "broker_commit_every", "stream_publish_on_commit"} & set(tuning_config(settings))
    assert faust_config(settings)["broker_commit_interval"] == settings.commit_interval
