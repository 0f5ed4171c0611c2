"""The one settings object: built once (env vars, optional TOML file), frozen, passed down.

Usage::

    settings = Settings.load(config_file="cloudpulse.toml", broker="kafka://10.0.0.5:9092")
    app = build_app(settings)

Nothing below the CLI reads the environment; every component takes what it needs from here.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_BROKER = "kafka://127.0.0.1:9092"


class Settings(BaseSettings):
    """Effective configuration of one cloudpulse process."""

    model_config = SettingsConfigDict(
        env_prefix="CLOUDPULSE_",
        frozen=True,
        extra="forbid",
        env_nested_delimiter="__",
        populate_by_name=True,
    )

    # --- Kafka -------------------------------------------------------------------------
    broker: str = DEFAULT_BROKER
    # True only when cloudpulse itself started the embedded Tansu broker; it switches on the
    # isolated workarounds in streams/tansu_workarounds.py and the short group timings Tansu
    # needs. Real Kafka rejects session timeouts under group.min.session.timeout.ms (6 s).
    dev_broker: bool = False
    app_id: str = "cloudpulse"
    partitions: int = Field(default=4, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    topic_prefix: str = ""
    # Where input topics (earnings.releases, …) live when not under topic_prefix: a replay reads
    # production's inputs and writes everything else under its own prefix.
    input_topic_prefix: str | None = None

    # Faust consumer/commit tuning. commit_interval bounds re-delivery after a crash.
    commit_interval: float = Field(default=0.5, gt=0)
    session_timeout: float = Field(default=30.0, gt=0)
    heartbeat_interval: float = Field(default=3.0, gt=0)
    rebalance_timeout: float = Field(default=60.0, gt=0)
    fetch_max_wait_ms: int = Field(default=100, ge=1)
    # Batching knobs (docs/benchmarks.md, "what we tried"); none of them changes when an offset
    # is committed. The defaults are Faust's: a 5 ms linger with 256 KiB batches cut aiokafka's
    # CPU per send by ~30% in isolation (bench/producer_batching.py) but made no measurable
    # difference to the worker's CPU per release in the whole pipeline (bench/throughput.py).
    producer_linger_ms: float = Field(default=0.0, ge=0)
    producer_max_batch_size: int = Field(default=16384, ge=1024)
    max_poll_records: int | None = Field(default=None, ge=1, description="Records per fetch call; None = client default")
    stream_buffer_maxsize: int = Field(default=4096, ge=1, description="Prefetched events per agent (Faust back pressure)")

    # --- State -------------------------------------------------------------------------
    store: Literal["memory", "rocksdb"] = "memory"
    data_dir: Path = Path(".cloudpulse/data")

    # --- Domain ------------------------------------------------------------------------
    registry_file: Path | None = None  # extra/override companies, merged over the bundled one
    rules_file: Path | None = None  # thresholds; bundled defaults when absent
    max_payload_bytes: int = Field(default=256 * 1024, ge=1024)

    # --- News (docs/news.md) ------------------------------------------------------------
    news_enabled: bool = True  # the news agents run when true (topic news.articles)
    news_min_relevance: float | None = Field(default=None, ge=0, le=1, description="None: the reader's default")
    news_story_threshold: float = Field(default=0.5, gt=0, le=1, description="Estimated Jaccard to join a story")
    news_story_window_days: int = Field(default=14, ge=1, description="Stories not seen for this long leave the index")
    news_num_perm: int = Field(default=128, ge=16, description="MinHash permutations (changing it re-keys stored stories)")
    news_corroboration_outlets: int = Field(default=3, ge=2, description="Re-alert a story once this many outlets carry it")
    news_llm_extract: bool = False  # also ask the configured LLM for facts (agents/news/llm_extract.py)
    plans_file: Path | None = None  # spending plans (TOML); bundled defaults when absent
    plan_pace_margin_pct: Decimal = Field(default=Decimal(15), gt=0, description="Alert when cumulative capex departs from a plan's pace by more")

    # --- Replay (set by `cloudpulse replay` for its worker; empty in normal service) ------
    replay_since: datetime | None = None
    replay_until: datetime | None = None
    replay_end_offsets: dict[str, int] | None = Field(
        default=None, description='"topic:partition" -> first offset not to process (captured at replay start)')
    replay_inputs: tuple[str, ...] | None = Field(
        default=None, description="Input topics (logical names) this worker reads; all when unset (streams/replay.py)")

    # --- Sinks -------------------------------------------------------------------------
    alerts_out: Path | None = None
    deltas_out: Path | None = None

    # --- Web / logs --------------------------------------------------------------------
    web_enabled: bool = True  # /healthz, /readyz, /metrics (streams/web.py)
    web_host: str = "127.0.0.1"
    web_port: int = 6066
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"

    # --- LLM writer (docs/llm.md). No base URL and no key: deterministic templates only.
    # The SDK's own OPENAI_BASE_URL / OPENAI_API_KEY are honoured when ours are unset.
    llm_base_url: str | None = Field(default=None, validation_alias=AliasChoices("llm_base_url", "CLOUDPULSE_LLM_BASE_URL", "OPENAI_BASE_URL"))
    llm_model: str | None = None
    llm_api_key: SecretStr | None = Field(default=None, validation_alias=AliasChoices("llm_api_key", "CLOUDPULSE_LLM_API_KEY", "OPENAI_API_KEY"))
    llm_timeout: float = Field(default=20.0, gt=0, description="Seconds per HTTP request")
    llm_deadline: float = Field(default=45.0, gt=0, description="Seconds per alert, retries included; then templates")
    llm_max_retries: int = Field(default=2, ge=0, description="Retries after a failed call (429, 5xx, timeout, bad output)")
    llm_max_concurrency: int = Field(default=4, ge=1)
    llm_max_tokens: int = Field(default=900, ge=64)
    llm_temperature: float = Field(default=0.2, ge=0, le=2)
    llm_structured: Literal["auto", "json_schema", "json_object"] = "auto"
    llm_tokens_per_hour: int = Field(default=200_000, ge=0, description="0 = no limit")
    llm_tokens_per_day: int = Field(default=2_000_000, ge=0, description="0 = no limit")
    llm_cache_file: Path | None = Field(default=None, description="Response cache (JSONL); default <data_dir>/llm-cache.jsonl")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_model and (self.llm_base_url or self.llm_api_key))

    # --- Delivery (docs/delivery.md). No delivery_file: no delivery agent, as before.
    delivery_file: Path | None = None
    deliver: bool = True  # false switches delivery off (replays) even with a delivery_file
    # Values of the environment variables the delivery file names (token_env, secret_env,
    # url_env, headers_env): read here, at the edge, so nothing below reads the environment.
    # Excluded from dumps: never shown, never handed to a child (which reads its own env).
    delivery_secrets: dict[str, SecretStr] = Field(default_factory=dict, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _delivery_secrets_from_env(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("delivery_file") and not data.get("delivery_secrets"):
            import os

            from schemas.delivery import secret_env_names

            path = Path(data["delivery_file"])
            if path.is_file():
                names = secret_env_names(path)
                data = {**data, "delivery_secrets": {n: os.environ[n] for n in names if os.environ.get(n)}}
        return data

    config_file: Path | None = None

    @field_validator("broker")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        value = value.strip()
        if "://" not in value:
            value = f"kafka://{value}"
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Precedence: explicit arguments (CLI flags) > environment > config file > defaults.
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = _config_file_hint(init_settings)
        if config_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @classmethod
    def load(cls, **overrides: Any) -> Settings:
        """Build settings; ``None`` overrides are ignored so CLI flags left unset fall through."""
        return cls(**{k: v for k, v in overrides.items() if v is not None})

    # --- Derived -----------------------------------------------------------------------
    @property
    def bootstrap_servers(self) -> list[str]:
        """host:port list for kafka-python / aiokafka."""
        hosts = self.broker.split("://", 1)[1]
        return [h.strip().rstrip("/") for h in hosts.split(";") for h in h.split(",") if h.strip()]

    def topic(self, name: str) -> str:
        from streams.topics import INPUTS  # topics imports settings; keep this edge lazy

        if name in INPUTS and self.input_topic_prefix is not None:
            return f"{self.input_topic_prefix}{name}"
        return f"{self.topic_prefix}{name}"

    def reads(self, name: str) -> bool:
        """Whether this worker consumes input topic ``name`` (a replay phase reads a subset)."""
        return self.replay_inputs is None or name in self.replay_inputs

    def masked(self) -> dict[str, Any]:
        """The effective config as a dict, with every secret replaced by a marker."""
        out = self.model_dump(mode="json")
        for key, value in out.items():
            field = type(self).model_fields.get(key)
            if field is not None and field.annotation in (SecretStr, SecretStr | None):
                out[key] = "********" if value else None
        return out


def _config_file_hint(init_settings: PydanticBaseSettingsSource) -> Path | None:
    import os

    init = init_settings()
    path = init.get("config_file") or os.environ.get("CLOUDPULSE_CONFIG_FILE")
    return Path(path) if path else None
