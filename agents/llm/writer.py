"""The LLM alert writer: words from the model, numbers only from the facts, templates as the net.

For one alert: cache -> budget -> call (structured output) -> validate -> ground -> at most one
retry naming the violations -> else the template text already on the alert. Transport
failures (timeouts, 429 with Retry-After, 5xx, connection errors) and bad output (malformed or
truncated JSON, refusals, empty answers) are retried with backoff and jitter, all inside one
deadline per alert; past it the template text is used. Nothing here raises to the caller.

``generated_by`` says what happened: ``llm:<model>``, ``llm:<model>+retry``, or
``template:fallback:<reason>``.

Usage::

    writer = LLMWriter(client, config)                 # client: openai.AsyncOpenAI
    written = await writer.write_alert(alert)          # alert: the template-written Alert
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import openai
from pydantic import ValidationError

from agents.alerts import Written
from agents.llm.budget import LLMStats, TokenBudget
from agents.llm.cache import ResponseCache, cache_key
from agents.llm.facts import period_tokens, prompt_facts, quantities_of
from agents.llm.grounding import Violation, check
from agents.llm.prompt import PROMPT_VERSION, AlertText, build_messages, response_schema
from schemas.alert import Alert

log = logging.getLogger("cloudpulse.llm")


@dataclass(frozen=True, slots=True)
class LLMConfig:
    model: str
    deadline: float = 45.0
    max_retries: int = 2
    max_concurrency: int = 4
    max_tokens: int = 900
    temperature: float = 0.2
    structured: str = "auto"  # auto | json_schema | json_object
    backoff_base: float = 0.5
    backoff_cap: float = 8.0


class OutputError(Exception):
    """The endpoint answered, but not with a usable alert."""

    def __init__(self, reason: str, raw: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.raw = raw


class Ungrounded(Exception):
    def __init__(self, violations: list[Violation], raw: str) -> None:
        super().__init__("; ".join(map(str, violations)))
        self.violations = violations
        self.raw = raw


RETRYABLE_STATUS = {408, 409, 425, 429, 500, 502, 503, 504}


class LLMWriter:
    def __init__(
        self,
        client: openai.AsyncOpenAI,
        config: LLMConfig,
        *,
        cache: ResponseCache | None = None,
        budget: TokenBudget | None = None,
        stats: LLMStats | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self.client = client
        self.config = config
        # `is not None`, not `or`: an empty cache is falsy (it has a length) but must be kept.
        self.cache = cache if cache is not None else ResponseCache()
        self.budget = budget if budget is not None else TokenBudget(0, 0)
        self.stats = stats if stats is not None else LLMStats()
        self._sleep = sleep
        self._jitter = jitter
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._structured = config.structured if config.structured != "auto" else "json_schema"

    # --- public ---------------------------------------------------------------------------
    async def write_alert(self, alert: Alert, untrusted: dict[str, str] | None = None) -> Written:
        """Text for ``alert``; never raises, never takes longer than the deadline."""
        self.stats.alerts += 1
        quantities = quantities_of(alert)
        allowed = period_tokens(alert)
        facts = prompt_facts(alert, quantities)
        key = cache_key(PROMPT_VERSION, self.config.model, facts)
        # Digits in the company's own id and names (0700.HK, 21Vianet, 3M) are not figures.
        skip = tuple(sorted({alert.company, alert.company_name_en, alert.company_name_zh} - {""}, key=len, reverse=True))

        cached = self.cache.get(key)
        if cached is not None:
            text = AlertText.model_validate(cached["text"])
            if not check(text, quantities, allowed, skip):  # re-checked: the checker may be stricter now
                self.stats.cache_hits += 1
                self.stats.outcomes[cached["generated_by"].split(":", 1)[0] + ":cache"] += 1
                return self._written(text, cached["generated_by"])

        if not self.budget.allows():
            return self._fallback(alert, "budget")
        try:
            async with asyncio.timeout(self.config.deadline):
                text, retried = await self._generate(facts, quantities, allowed, skip, untrusted or {})
        except TimeoutError:
            return self._fallback(alert, "deadline")
        except Ungrounded as exc:
            log.warning("alert %s: LLM text not grounded after retry (%s); using templates", alert.alert_id, exc)
            return self._fallback(alert, "ungrounded")
        except OutputError as exc:
            return self._fallback(alert, exc.reason)
        except openai.APIStatusError as exc:
            return self._fallback(alert, f"http_{exc.status_code}")
        except openai.APITimeoutError:
            return self._fallback(alert, "timeout")
        except openai.APIConnectionError:
            return self._fallback(alert, "connection")
        except Exception as exc:  # an SDK or server surprise must not lose the alert
            log.exception("alert %s: unexpected LLM failure", alert.alert_id)
            return self._fallback(alert, type(exc).__name__.lower())
        generated_by = f"llm:{self.config.model}" + ("+retry" if retried else "")
        self.cache.put(key, {"generated_by": generated_by, "text": text.model_dump()})
        self.stats.outcomes["llm+retry" if retried else "llm"] += 1
        return self._written(text, generated_by)

    # --- internals ------------------------------------------------------------------------
    async def _generate(self, facts: dict[str, Any], quantities: list[Any], allowed: set[int],
                        skip: tuple[str, ...], untrusted: dict[str, str]) -> tuple[AlertText, bool]:
        transport_failures = 0
        output_failures = 0
        grounding_retry_used = False
        retried = False
        messages = build_messages(facts, untrusted=untrusted)
        while True:
            try:
                text, raw = await self._call(messages)
                violations = check(text, quantities, allowed, skip)
                if violations:
                    raise Ungrounded(violations, raw)
                return text, retried
            except Ungrounded as exc:
                if grounding_retry_used:
                    raise
                grounding_retry_used = retried = True
                self.stats.retries += 1
                messages = build_messages(facts, untrusted=untrusted,
                                          violations=[str(v) for v in exc.violations[:12]], previous=exc.raw)
            except OutputError:
                output_failures += 1
                if output_failures > self.config.max_retries:
                    raise
                retried = True
                self.stats.retries += 1
                await self._sleep(self._backoff(output_failures))
            except (openai.APIStatusError, openai.APITimeoutError, openai.APIConnectionError) as exc:
                status = getattr(exc, "status_code", None)
                if status == 400 and self._structured == "json_schema" and self.config.structured == "auto":
                    # The endpoint does not take JSON-schema output: JSON mode plus validation.
                    log.info("endpoint refused json_schema output; using json_object mode")
                    self._structured = "json_object"
                    continue
                if status is not None and status not in RETRYABLE_STATUS:
                    raise
                transport_failures += 1
                if transport_failures > self.config.max_retries:
                    raise
                retried = True
                self.stats.retries += 1
                await self._sleep(self._retry_after(exc) or self._backoff(transport_failures))

    async def _call(self, messages: list[dict[str, str]]) -> tuple[AlertText, str]:
        if self._structured == "json_schema":
            response_format: dict[str, Any] = {
                "type": "json_schema",
                "json_schema": {"name": "alert_text", "schema": response_schema(), "strict": True},
            }
        else:
            response_format = {"type": "json_object"}
        async with self._slots:
            self.stats.calls += 1
            started = time.perf_counter()
            try:
                response = await self.client.chat.completions.create(
                    model=self.config.model, messages=messages,  # type: ignore[arg-type]
                    max_tokens=self.config.max_tokens, temperature=self.config.temperature,
                    response_format=response_format,  # type: ignore[arg-type]
                )
            except ValueError:  # a 200 whose body is not JSON (a proxy's error page, say)
                raise OutputError("malformed_response") from None
            elapsed = time.perf_counter() - started
        usage = response.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        completion_tokens = usage.completion_tokens if usage else 0
        self.stats.observe_call(self.config.model, elapsed, prompt_tokens, completion_tokens)
        self.budget.spend(prompt_tokens + completion_tokens)
        if not response.choices:
            raise OutputError("empty")
        choice = response.choices[0]
        message = choice.message
        if getattr(message, "refusal", None):
            raise OutputError("refusal", message.refusal)
        content = (message.content or "").strip()
        if choice.finish_reason == "length":
            raise OutputError("truncated", content)
        if not content:
            raise OutputError("empty")
        try:
            data = json.loads(_strip_fences(content))
        except ValueError:
            raise OutputError("malformed_json", content) from None
        try:
            return AlertText.model_validate(data), content
        except ValidationError:
            raise OutputError("invalid_output", content) from None

    def _backoff(self, attempt: int) -> float:
        delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** (attempt - 1))
        return delay * (0.5 + self._jitter())  # "equal jitter": never zero, never in lock-step

    def _retry_after(self, exc: Exception) -> float | None:
        response = getattr(exc, "response", None)
        if response is None:
            return None
        value = response.headers.get("retry-after")
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value)
            seconds = parsed.timestamp() - time.time() if parsed else 0.0
        return min(max(seconds, 0.0), self.config.deadline)

    def _written(self, text: AlertText, generated_by: str) -> Written:
        return Written(title_zh=text.title_zh, title_en=text.title_en, text_zh=text.text_zh,
                       text_en=text.text_en, generated_by=generated_by)

    def _fallback(self, alert: Alert, reason: str) -> Written:
        self.stats.outcomes[f"fallback:{reason}"] += 1
        return Written(title_zh=alert.title_zh, title_en=alert.title_en, text_zh=alert.text_zh,
                       text_en=alert.text_en, generated_by=f"template:fallback:{reason}")


def _strip_fences(content: str) -> str:
    """JSON mode on some servers still wraps the object in a Markdown code fence."""
    if content.startswith("```"):
        content = content.split("\n", 1)[1] if "\n" in content else ""
        content = content.rsplit("```", 1)[0]
    return content.strip()
