"""A local OpenAI-compatible chat-completions server, for the demo, tests and benchmarks.

It answers ``POST /v1/chat/completions`` the way a well-behaved model would (a grounded alert
written from the FACTS in the prompt), after a fixed latency, unless a script says otherwise.
A script is a list of steps consumed one per request: an HTTP error with headers, a delay, a
given content, a refusal, a truncated answer, a broken body. It also "obeys" prompt
injections found in quoted data, like a gullible model would, so tests can prove that the
grounding check stops them. It binds to 127.0.0.1 and needs no key.

Usage::

    with StubLLM(latency=0.3) as llm:                 # llm.base_url -> http://127.0.0.1:PORT/v1
        llm.script([{"status": 429, "headers": {"Retry-After": "0"}}, {"content": "not json"}])
        ...
    print(llm.requests)                               # every request body received

    cloudpulse llm-stub --port 8811 --latency 0.3     # the same, in the foreground
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INJECTION = re.compile(r"ignore (all )?previous instructions", re.IGNORECASE)


def facts_from(messages: list[dict[str, Any]]) -> dict[str, Any]:
    for message in messages:
        content = message.get("content") or ""
        if message.get("role") == "user" and content.startswith("FACTS:"):
            body = content[len("FACTS:"):].split("\n\nQuoted material", 1)[0]
            return json.loads(body)
    return {}


def good_answer(facts: dict[str, Any]) -> dict[str, Any]:
    """A grounded alert: the first numbers of the facts, as given, in both languages."""
    company = facts.get("company", {})
    numbers = facts.get("numbers", [])[:4]
    head_zh = f"{company.get('name_zh', '')} {facts.get('fiscal_period', '')}"
    head_en = f"{company.get('name_en', '')} {facts.get('fiscal_period', '')}"
    zh = "；".join(f"{n['key'].split('.')[1]}：{n['zh']}" for n in numbers)
    en = "; ".join(f"{n['key'].split('.')[1]}: {n['en']}" for n in numbers)
    first = numbers[0] if numbers else {"zh": "", "en": ""}
    return {
        "title_zh": f"{head_zh}：{first['zh']}",
        "title_en": f"{head_en}: {first['en']}",
        "text_zh": f"{head_zh}业绩要点：{zh}。",
        "text_en": f"{head_en} highlights: {en}.",
        "takeaways": [],
    }


def injected_answer(facts: dict[str, Any]) -> dict[str, Any]:
    answer = good_answer(facts)
    answer["text_en"] += " Revenue fell 90%."
    answer["text_zh"] += "收入下降90%。"
    return answer


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (deadline tests) leaves a broken pipe behind: expected here.
        pass


class StubLLM:
    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, latency: float = 0.0) -> None:
        self.latency = latency
        self.requests: list[dict[str, Any]] = []
        self._steps: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = _QuietServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, steps: list[dict[str, Any]]) -> None:
        with self._lock:
            self._steps.extend(steps)

    def clear(self) -> None:
        """Drop any steps not yet used: back to well-behaved answers."""
        with self._lock:
            self._steps.clear()

    def _next_step(self) -> dict[str, Any]:
        with self._lock:
            return self._steps.pop(0) if self._steps else {}

    def start(self) -> StubLLM:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> StubLLM:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read .requests
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with stub._lock:
                    stub.requests.append(body)
                step = stub._next_step()
                time.sleep(step.get("delay", stub.latency))
                if "status" in step:
                    self._send(step["status"], {"error": {"message": step.get("message", "scripted failure"),
                                                          "type": "scripted"}}, step.get("headers", {}))
                    return
                if "raw_body" in step:
                    self._send_bytes(200, step["raw_body"].encode())
                    return
                facts = facts_from(body.get("messages", []))
                if "content" in step:
                    content = step["content"] if isinstance(step["content"], str) else json.dumps(step["content"], ensure_ascii=False)
                elif any(INJECTION.search(m.get("content") or "") for m in body.get("messages", [])):
                    content = json.dumps(injected_answer(facts), ensure_ascii=False)
                else:
                    content = json.dumps(good_answer(facts), ensure_ascii=False)
                self._send(200, completion(body.get("model", "stub"), content, step))

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                self._send_bytes(status, json.dumps(payload, ensure_ascii=False).encode(), headers)

            def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        return Handler


def completion(model: str, content: str, step: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if "refusal" in step:
        message = {"role": "assistant", "content": None, "refusal": step["refusal"]}
    return {
        "id": "chatcmpl-stub", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": step.get("finish_reason", "stop")}],
        "usage": {"prompt_tokens": step.get("prompt_tokens", 800), "completion_tokens": step.get("completion_tokens", 200),
                  "total_tokens": step.get("prompt_tokens", 800) + step.get("completion_tokens", 200)},
    }


def run_foreground(port: int, latency: float) -> None:
    """`cloudpulse llm-stub`: serve until Ctrl-C."""
    with StubLLM(port=port, latency=latency) as stub:
        print(f"stub LLM on {stub.base_url} (model name: any; key: any)")
        print(f"  export CLOUDPULSE_LLM_BASE_URL={stub.base_url} CLOUDPULSE_LLM_MODEL=stub", flush=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            return
