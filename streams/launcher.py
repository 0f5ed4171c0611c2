"""Running `cloudpulse worker` as a child process (demo, tests, benchmarks).

The child gets its settings through CLOUDPULSE_* environment variables, so it builds the
same frozen Settings the parent holds. It runs in its own process group and is always
stopped: SIGTERM first (Faust commits and leaves the group), SIGKILL after a grace period.

Usage::

    with worker_process(settings, log_path) as proc:
        ...                                   # stopped on exit
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from streams.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """CLOUDPULSE_* variables that rebuild ``settings`` in a child process (secrets included)."""
    env: dict[str, str] = {}
    for key, value in settings.model_dump(mode="json", exclude_none=True).items():
        if key == "config_file":
            continue
        if isinstance(value, (dict, list)):
            env[f"CLOUDPULSE_{key.upper()}"] = json.dumps(value)  # pydantic-settings reads JSON for these
            continue
        if key == "llm_api_key" and settings.llm_api_key is not None:
            value = settings.llm_api_key.get_secret_value()
        env[f"CLOUDPULSE_{key.upper()}"] = str(value).lower() if isinstance(value, bool) else str(value)
    return env


def die_with_parent() -> None:
    """Run in the child before exec: on Linux, get SIGTERM when the parent dies.

    A demo or test killed without a chance to clean up (SIGKILL, a terminal closed) must not
    leave a broker or worker running behind it.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDPULSE_")}
    env.update(settings_env(settings))
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            [sys.executable, "-m", "streams", "worker"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, preexec_fn=die_with_parent,
        )


def stop_process(proc: subprocess.Popen[bytes], grace: float = 15.0, sig: int = signal.SIGTERM) -> int | None:
    """Stop ``proc``'s process group with ``sig``; SIGKILL after ``grace`` seconds. Returns the exit code."""
    if proc.poll() is not None:
        return proc.returncode
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
    except ProcessLookupError:
        pass
    return proc.returncode


@contextmanager
def worker_process(settings: Settings, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    proc = start_worker(settings, log_path)
    try:
        yield proc
    finally:
        stop_process(proc)
