"""Building the LLM writer from settings: one place that knows the SDK's constructor.

The ``http_client`` parameter (the SDK's own async HTTP client type) lets tests swap the transport and lets
operators pass proxies; retries are ours (the SDK's own are switched off) so that one
deadline covers every attempt.

Usage::

    writer = build_writer(settings)        # None when no LLM is configured
"""

from __future__ import annotations

from typing import Any

import openai

from agents.llm.budget import LLMStats, TokenBudget
from agents.llm.cache import ResponseCache
from agents.llm.writer import LLMConfig, LLMWriter
from streams.settings import Settings


def build_client(settings: Settings, http_client: Any = None) -> openai.AsyncOpenAI:
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"  # Ollama/vLLM take any
    return openai.AsyncOpenAI(
        base_url=settings.llm_base_url, api_key=key, timeout=settings.llm_timeout, max_retries=0,
        http_client=http_client,
    )


def build_writer(settings: Settings, *, http_client: Any = None,
                 stats: LLMStats | None = None) -> LLMWriter | None:
    if not settings.llm_enabled:
        return None
    assert settings.llm_model is not None
    config = LLMConfig(
        model=settings.llm_model, deadline=settings.llm_deadline, max_retries=settings.llm_max_retries,
        max_concurrency=settings.llm_max_concurrency, max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature, structured=settings.llm_structured,
    )
    cache_path = settings.llm_cache_file or settings.data_dir / "llm-cache.jsonl"
    return LLMWriter(
        build_client(settings, http_client), config,
        cache=ResponseCache(cache_path),
        budget=TokenBudget(settings.llm_tokens_per_hour, settings.llm_tokens_per_day),
        stats=stats,
    )
