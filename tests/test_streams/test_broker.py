from __future__ import annotations

import os
import socket

import pytest

from streams.broker import BrokerError, EmbeddedBroker, port_open


def test_start_stop_leaves_nothing_behind(tmp_path) -> None:
    broker = EmbeddedBroker(log_path=tmp_path / "tansu.log").start()
    pid = broker.pid
    assert pid is not None
    assert broker.url == f"kafka://127.0.0.1:{broker.port}"
    assert port_open("127.0.0.1", broker.port)
    broker.stop()
    assert not port_open("127.0.0.1", broker.port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_busy_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BrokerError, match="already in use"):
            EmbeddedBroker(port).start()
