"""A local receiver on 127.0.0.1 for tests, demos and fault runs: webhooks and Slack shapes.

Paths:

    POST /hook[/<name>]                  a webhook consumer: verifies the signature (if given a
                                         secret) and de-duplicates on Idempotency-Key, as
                                         docs/delivery.md asks real consumers to do
    POST /slack/webhook[/<name>]         a Slack incoming webhook (answers "ok")
    POST /api/chat.postMessage, /api/chat.update, GET|POST /api/conversations.history
                                         the Slack Web API calls cloudpulse makes (point the
                                         SDK's base_url at http://127.0.0.1:PORT/api/)

Faults: ``script(prefix, steps)`` queues answers for paths starting with ``prefix``, one per
request: ``{"status": 503}``, ``{"status": 429, "headers": {"Retry-After": "1"}}``,
``{"hang": 5}`` (say nothing for 5 s, then hang up, unprocessed), ``{"close": True}`` (drop
the connection unanswered, unprocessed),
``{"lost_response": True}`` (accept, then drop the connection: the sender cannot know).
``fail_rate`` draws such faults at random (seeded) for every posting request.

Every raw request is counted, so a report can say how many duplicates were received and
de-duplicated, not just how many unique deliveries landed.

Usage::

    with LocalEndpoint(secret="s3cret", token="xoxb-test") as endpoint:
        endpoint.url("/hook/firm")                    # http://127.0.0.1:PORT/hook/firm
        endpoint.accepted("/hook/firm")               # {idempotency key: payload}
        endpoint.channel("C1")                        # Slack messages, oldest first

    cloudpulse receiver --port 8822                   # the same, in the foreground
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from agents.delivery.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

RANDOM_FAULTS: list[dict[str, Any]] = [
    {"status": 500}, {"status": 503}, {"status": 429, "headers": {"Retry-After": "1"}},
    {"close": True}, {"lost_response": True}, {"hang": 3.0},
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or that we hang up on leave broken pipes: expected here


class LocalEndpoint:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, secret: str | None = None,
                 token: str | None = None, fail_rate: float = 0.0, seed: int | None = None,
                 on_accept: Callable[[str, dict[str, Any]], None] | None = None) -> None:
        self.secret = secret
        self.token = token
        self.fail_rate = fail_rate
        self._rng = random.Random(seed)
        self._on_accept = on_accept
        self._lock = threading.RLock()
        self._steps: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.raw: Counter[str] = Counter()  # path -> requests received
        self.faults: Counter[str] = Counter()  # fault kind -> times injected
        self.duplicates: Counter[str] = Counter()  # path -> re-sends of an already accepted key
        self.bad_signatures = 0
        self._accepted: dict[str, dict[str, Any]] = defaultdict(dict)
        self._channels: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self._ts = time.time()
        self._server = _Server((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    # --- lifecycle --------------------------------------------------------------------
    def __enter__(self) -> LocalEndpoint:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    # --- control and results ------------------------------------------------------------
    def script(self, prefix: str, steps: list[dict[str, Any]]) -> None:
        with self._lock:
            self._steps[prefix].extend(steps)

    def accepted(self, path: str) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._accepted[path])

    def channel(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self._channels[channel]]

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"raw_requests": dict(self.raw), "faults_injected": dict(self.faults),
                    "accepted": {path: len(keys) for path, keys in self._accepted.items()},
                    "duplicates_deduplicated": dict(self.duplicates), "bad_signatures": self.bad_signatures,
                    "slack_messages": {c: len(m) for c, m in self._channels.items()}}

    def _next_step(self, path: str) -> dict[str, Any] | None:
        with self._lock:
            for prefix, steps in self._steps.items():
                if path.startswith(prefix) and steps:
                    return steps.pop(0)
            if self.fail_rate and self._rng.random() < self.fail_rate:
                return dict(self._rng.choice(RANDOM_FAULTS))
        return None

    def _new_ts(self) -> str:
        with self._lock:
            self._ts = max(time.time(), self._ts + 0.000001)
            return f"{self._ts:.6f}"

    # --- request handling ---------------------------------------------------------------
    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if not isinstance(body, bytes) else "text/plain")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _hang_up(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass

            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                self._serve(self.rfile.read(int(self.headers.get("Content-Length") or 0)))

            def _serve(self, body: bytes) -> None:
                path = urlparse(self.path).path
                with endpoint._lock:
                    endpoint.raw[path] += 1
                step = None if path.endswith("conversations.history") else endpoint._next_step(path)
                if step and "hang" in step:
                    endpoint.faults["hang"] += 1
                    time.sleep(step["hang"])
                    return self._hang_up()
                if step and step.get("close"):
                    endpoint.faults["close"] += 1
                    return self._hang_up()
                if step and "status" in step:
                    endpoint.faults[f"status_{step['status']}"] += 1
                    return self._answer(step["status"], {"ok": False, "error": "injected"}, step.get("headers"))
                lost = bool(step and step.get("lost_response"))
                if lost:
                    endpoint.faults["lost_response"] += 1
                if path.startswith("/hook"):
                    status, answer = self._webhook(path, body)
                elif path.startswith("/slack/webhook"):
                    status, answer = self._slack_webhook(path, body)
                elif path.startswith("/api/"):
                    status, answer = self._slack_api(path.rsplit("/", 1)[1], body)
                else:
                    status, answer = 404, {"ok": False, "error": "no such path"}
                if lost:
                    return self._hang_up()
                self._answer(status, answer)

            def _webhook(self, path: str, body: bytes) -> tuple[int, Any]:
                if endpoint.secret is not None and not verify(endpoint.secret, body, self.headers.get(TIMESTAMP_HEADER, ""),
                                                              self.headers.get(SIGNATURE_HEADER, "")):
                    with endpoint._lock:
                        endpoint.bad_signatures += 1
                    return 401, {"ok": False, "error": "bad signature"}
                key = self.headers.get("Idempotency-Key") or ""
                payload = json.loads(body)
                with endpoint._lock:
                    seen = endpoint._accepted[path]
                    if key in seen:
                        endpoint.duplicates[path] += 1
                        return 200, {"ok": True, "duplicate": True}
                    seen[key] = payload
                if endpoint._on_accept:
                    endpoint._on_accept(path, payload)
                return 200, {"ok": True}

            def _slack_webhook(self, path: str, body: bytes) -> tuple[int, Any]:
                message = json.loads(body)
                with endpoint._lock:
                    endpoint._channels[path].append({"ts": endpoint._new_ts(), **message})
                if endpoint._on_accept:
                    endpoint._on_accept(path, message)
                return 200, b"ok"

            def _slack_api(self, method: str, body: bytes) -> tuple[int, Any]:
                if endpoint.token is not None and self.headers.get("Authorization") != f"Bearer {endpoint.token}":
                    return 200, {"ok": False, "error": "invalid_auth"}
                args = self._args(body)
                channel = str(args.get("channel", ""))
                if method == "chat.postMessage":
                    message = {"ts": endpoint._new_ts(), "text": args.get("text"), "blocks": args.get("blocks"),
                               "metadata": args.get("metadata"), "thread_ts": args.get("thread_ts")}
                    with endpoint._lock:
                        endpoint._channels[channel].append(message)
                    if endpoint._on_accept:
                        endpoint._on_accept(f"slack:{channel}", message)
                    return 200, {"ok": True, "channel": channel, "ts": message["ts"], "message": message}
                if method == "chat.update":
                    with endpoint._lock:
                        for message in endpoint._channels[channel]:
                            if message["ts"] == args.get("ts"):
                                message.update(text=args.get("text"), blocks=args.get("blocks"),
                                               metadata=args.get("metadata") or message.get("metadata"),
                                               edited=message.get("edited", 0) + 1)
                                return 200, {"ok": True, "channel": channel, "ts": message["ts"]}
                    return 200, {"ok": False, "error": "message_not_found"}
                if method == "conversations.history":
                    oldest = float(args.get("oldest") or 0)
                    with endpoint._lock:
                        found = [dict(m) for m in reversed(endpoint._channels[channel]) if float(m["ts"]) >= oldest]
                    if str(args.get("include_all_metadata")).lower() not in ("true", "1"):
                        for message in found:
                            message.pop("metadata", None)
                    return 200, {"ok": True, "channel": channel, "messages": found[: int(args.get("limit") or 100)],
                                 "has_more": False, "response_metadata": {"next_cursor": ""}}
                return 200, {"ok": False, "error": "unknown_method"}

            def _args(self, body: bytes) -> dict[str, Any]:
                query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
                if not body:
                    return query
                if (self.headers.get("Content-Type") or "").startswith("application/json"):
                    return {**query, **json.loads(body)}
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                for key in ("blocks", "metadata"):
                    if isinstance(form.get(key), str):
                        form[key] = json.loads(form[key])
                return {**query, **form}

        return Handler


def run_foreground(port: int, *, host: str = "127.0.0.1", secret: str | None = None, token: str | None = None,
                   fail_rate: float = 0.0, write: Callable[[str], None] = print) -> None:
    """`cloudpulse receiver`: serve until Ctrl-C, one line per accepted delivery."""

    def show(path: str, payload: dict[str, Any]) -> None:
        alert = payload.get("alert") or {}
        title = alert.get("title_en") or payload.get("text") or ""
        write(f"{path}\t{payload.get('idempotency_key', '')}\t{title}")

    with LocalEndpoint(host=host, port=port, secret=secret, token=token, fail_rate=fail_rate,
                       on_accept=show) as endpoint:
        write(f"listening on http://{host}:{endpoint.port}  (webhooks: /hook/<name>, Slack: /slack/webhook/<name>, "
              f"Web API base_url: http://127.0.0.1:{endpoint.port}/api/)")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            write(json.dumps(endpoint.summary(), ensure_ascii=False))
