"""The delivery file (TOML): defaults, receivers, routes, default route (docs/delivery.md).

Secrets never appear in the file: it names environment variables (``token_env``,
``secret_env``, ``url_env``, ``headers_env``) whose values the settings layer reads at the edge
(``Settings.delivery_secrets``) and passes in here.

Usage::

    config = DeliveryConfig.load(Path("delivery.toml"))
    receivers = build_receivers(config, secrets={"SLACK_BOT_TOKEN": "xoxb-…"})
    router, policies = build_router(config), build_policies(config)
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.delivery.policy import ReceiverPolicy
from agents.delivery.quiet import QuietHours
from agents.delivery.ratelimit import TokenBucket
from agents.delivery.receiver import Receiver
from agents.delivery.retry import RetryPolicy
from agents.delivery.routing import Route, Router

Languages = Literal["both", "zh", "en"]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RateLimitSpec(_Spec):
    per_minute: float = Field(gt=0)
    burst: int = Field(default=1, ge=1)


class QuietHoursSpec(_Spec):
    start: time
    end: time
    timezone: str = "UTC"
    except_severity: list[str] = Field(default_factory=list)


class Defaults(_Spec):
    languages: Languages = "both"
    timeout: float = Field(default=10.0, gt=0, description="Seconds per HTTP request")
    deadline: float = Field(default=10.0, gt=0, description="Seconds an alert waits for a receiver before parking")
    queue_size: int = Field(default=100, ge=1)
    max_attempts: int = Field(default=6, ge=1)
    backoff_base: float = Field(default=1.0, gt=0)
    backoff_cap: float = Field(default=300.0, gt=0)
    jitter: float = Field(default=0.2, ge=0, le=1)


class _ReceiverSpec(_Spec):
    languages: Languages | None = None
    timeout: float | None = Field(default=None, gt=0)
    deadline: float | None = Field(default=None, gt=0)
    queue_size: int | None = Field(default=None, ge=1)
    max_attempts: int | None = Field(default=None, ge=1)
    backoff_base: float | None = Field(default=None, gt=0)
    backoff_cap: float | None = Field(default=None, gt=0)
    rate_limit: RateLimitSpec | None = None
    quiet_hours: QuietHoursSpec | None = None


class SlackSpec(_ReceiverSpec):
    type: Literal["slack"]
    token_env: str | None = None
    channel: str | None = None
    url_env: str | None = Field(default=None, description="Incoming-webhook URL (it embeds a secret)")
    base_url: str = "https://slack.com/api/"
    on_revision: Literal["update", "thread"] = "update"

    @model_validator(mode="after")
    def _one_mode(self) -> SlackSpec:
        if bool(self.url_env) == bool(self.token_env):
            raise ValueError("a slack receiver needs url_env (incoming webhook) or token_env + channel, not both")
        if self.token_env and not self.channel:
            raise ValueError("token_env needs a channel")
        return self


class WebhookSpec(_ReceiverSpec):
    type: Literal["webhook"]
    url: str | None = None
    url_env: str | None = None
    secret_env: str | None = Field(default=None, description="HMAC-SHA256 signing key")
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict, description="header -> env var holding its value")

    @model_validator(mode="after")
    def _one_url(self) -> WebhookSpec:
        if bool(self.url) == bool(self.url_env):
            raise ValueError("a webhook receiver needs url or url_env")
        return self


class FileSpec(_ReceiverSpec):
    type: Literal["file"]
    path: Path


class StdoutSpec(_ReceiverSpec):
    type: Literal["stdout"]


ReceiverSpec = Annotated[SlackSpec | WebhookSpec | FileSpec | StdoutSpec, Field(discriminator="type")]


class RouteSpec(_Spec):
    receivers: list[str] = Field(min_length=1)
    match: dict[str, list[str]] = Field(default_factory=dict)
    min_severity: Literal["info", "warning", "critical"] | None = None
    continue_: bool = Field(default=False, alias="continue")


class DefaultRoute(_Spec):
    receivers: list[str] = Field(default_factory=list)


class DeliveryConfig(_Spec):
    defaults: Defaults = Field(default_factory=Defaults)
    receivers: dict[str, ReceiverSpec] = Field(default_factory=dict)
    routes: list[RouteSpec] = Field(default_factory=list)
    default_route: DefaultRoute = Field(default_factory=DefaultRoute)
    base_dir: Path = Path(".")

    @model_validator(mode="after")
    def _known_receivers(self) -> DeliveryConfig:
        named = {r for route in self.routes for r in route.receivers} | set(self.default_route.receivers)
        unknown = sorted(named - set(self.receivers))
        if unknown:
            raise ValueError(f"routes name unknown receiver(s): {', '.join(unknown)}")
        for name in self.receivers:
            if "|" in name:
                raise ValueError(f"receiver name {name!r} must not contain '|'")
        build_router(self)  # match fields and severities checked now, not on the first alert
        return self

    @classmethod
    def load(cls, path: Path) -> DeliveryConfig:
        with Path(path).open("rb") as handle:
            doc = tomllib.load(handle)
        return cls.model_validate({**doc, "base_dir": Path(path).resolve().parent})

    def option(self, name: str, key: str) -> Any:
        value = getattr(self.receivers[name], key, None)
        return getattr(self.defaults, key) if value is None else value


def build_router(config: DeliveryConfig) -> Router:
    routes = [Route(dict(r.match), tuple(r.receivers), r.min_severity, r.continue_) for r in config.routes]
    return Router(routes, tuple(config.default_route.receivers))


def build_policies(config: DeliveryConfig) -> dict[str, ReceiverPolicy]:
    policies: dict[str, ReceiverPolicy] = {}
    for name, spec in config.receivers.items():
        quiet = None
        if spec.quiet_hours is not None:
            q = spec.quiet_hours
            quiet = QuietHours(q.start, q.end, ZoneInfo(q.timezone), tuple(q.except_severity))
        bucket = TokenBucket(spec.rate_limit.per_minute, spec.rate_limit.burst) if spec.rate_limit else None
        policies[name] = ReceiverPolicy(
            retry=RetryPolicy(max_attempts=config.option(name, "max_attempts"), base=config.option(name, "backoff_base"),
                              cap=config.option(name, "backoff_cap"), jitter=config.defaults.jitter),
            timeout=config.option(name, "timeout"), deadline=config.option(name, "deadline"),
            queue_size=config.option(name, "queue_size"), quiet=quiet, bucket=bucket,
        )
    return policies


class MissingSecret(ValueError):
    """The delivery file names an environment variable that is not set."""


def _secret(secrets: Mapping[str, str], env: str, receiver: str) -> str:
    value = secrets.get(env)
    if not value:
        raise MissingSecret(f"receiver {receiver!r}: environment variable {env} is not set")
    return value


def build_receivers(config: DeliveryConfig, secrets: Mapping[str, str]) -> dict[str, Receiver]:
    """Receiver objects from the file; ``secrets`` maps env var names to values."""
    from slack_sdk.web.async_client import AsyncWebClient
    from slack_sdk.webhook.async_client import AsyncWebhookClient

    from agents.delivery.files import FileReceiver, StdoutReceiver
    from agents.delivery.slack import SlackReceiver
    from agents.delivery.webhook import WebhookReceiver

    receivers: dict[str, Receiver] = {}
    for name, spec in config.receivers.items():
        languages = config.option(name, "languages")
        timeout = config.option(name, "timeout")
        if isinstance(spec, SlackSpec):
            if spec.url_env:
                hook = AsyncWebhookClient(_secret(secrets, spec.url_env, name), timeout=int(max(1, timeout)),
                                          retry_handlers=[])
                receivers[name] = SlackReceiver(name, webhook=hook, languages=languages)
            else:
                assert spec.token_env is not None
                client = AsyncWebClient(token=_secret(secrets, spec.token_env, name), base_url=spec.base_url,
                                        timeout=int(max(1, timeout)), retry_handlers=[])
                receivers[name] = SlackReceiver(name, client=client, channel=spec.channel, languages=languages,
                                                on_revision=spec.on_revision, lookback=timedelta(days=2))
        elif isinstance(spec, WebhookSpec):
            url = spec.url or _secret(secrets, spec.url_env or "", name)
            headers = dict(spec.headers)
            headers.update({header: _secret(secrets, env, name) for header, env in spec.headers_env.items()})
            secret = _secret(secrets, spec.secret_env, name) if spec.secret_env else None
            receivers[name] = WebhookReceiver(name, url, secret=secret, headers=headers, timeout=timeout)
        elif isinstance(spec, FileSpec):
            path = spec.path if spec.path.is_absolute() else config.base_dir / spec.path
            receivers[name] = FileReceiver(name, path)
        else:
            receivers[name] = StdoutReceiver(name, languages=languages)
    return receivers
