"""Delivery commands: `silence`, `deliveries`, `alerts`, `receiver` (docs/delivery.md).

Registered on the main group by streams/cli.py; settings are built here, as in every command.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import click

from streams.cli import broker_option, config_option, load_settings


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _duration(value: str) -> timedelta:
    units = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    if len(value) < 2 or value[-1] not in units or not value[:-1].isdigit():
        raise click.BadParameter(f"{value!r}: use a number and s, m, h or d, e.g. 90m")
    return timedelta(**{units[value[-1]]: int(value[:-1])})


def _send(settings: Any, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
    from streams.publisher import producer_for

    producer = producer_for(settings)
    try:
        producer.send(topic, key=key, value=value, partition=partition).get(timeout=60)
    finally:
        producer.close(timeout=10)


def _silences(settings: Any) -> dict[str, Any]:
    from schemas.delivery import Silence
    from streams.topic_reader import read_all
    from streams.topics import SILENCES

    out: dict[str, Silence] = {}
    for record in read_all(settings, settings.topic(SILENCES)):
        silence = Silence.model_validate_json(record.value)
        out[silence.id] = silence
    return out


# --- silence -----------------------------------------------------------------------------
@click.group()
def silence() -> None:
    """Mute deliveries for a while: add, list, expire."""


@silence.command("add")
@broker_option
@config_option
@click.option("--match", "matchers", multiple=True, required=True, metavar="FIELD=VALUE[,VALUE]",
              help="company, kind, severity, segment, trigger or receiver; repeat for more fields (all must match).")
@click.option("--duration", default="2h", show_default=True, help="How long, e.g. 30m, 2h, 1d.")
@click.option("--starts", default=None, help="ISO start time (default: now).")
@click.option("--comment", default="", help="Why (shown in the ledger of silenced deliveries).")
@click.option("--by", "created_by", default="", help="Who.")
def silence_add(broker: str | None, config_file: Path | None, matchers: tuple[str, ...], duration: str,
                starts: str | None, comment: str, created_by: str) -> None:
    """Add a silence; prints its id."""
    from agents.delivery.matchers import check_fields
    from schemas.delivery import Silence
    from streams.topics import SILENCES

    parsed: dict[str, list[str]] = {}
    for item in matchers:
        field, _, values = item.partition("=")
        if not values:
            raise click.BadParameter(f"{item!r}: expected FIELD=VALUE")
        parsed.setdefault(field.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    try:
        check_fields(parsed)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    start = datetime.fromisoformat(starts) if starts else _now()
    start = start if start.tzinfo else start.replace(tzinfo=timezone.utc)
    record = Silence(id=f"silence-{uuid.uuid4().hex[:10]}", matchers=parsed, starts_at=start,  # type: ignore[arg-type]
                     ends_at=start + _duration(duration), comment=comment, created_by=created_by)
    settings = load_settings(broker=broker, config_file=config_file)
    _send(settings, settings.topic(SILENCES), record.id.encode(), record.model_dump_json().encode())
    click.echo(record.id)


@silence.command("list")
@broker_option
@config_option
@click.option("--all", "show_all", is_flag=True, help="Include expired silences.")
def silence_list(broker: str | None, config_file: Path | None, show_all: bool) -> None:
    """List silences (active and pending; --all for expired too)."""
    settings = load_settings(broker=broker, config_file=config_file)
    now = _now()
    for item in sorted(_silences(settings).values(), key=lambda s: s.starts_at):
        state = "active" if item.active(now) else "pending" if item.starts_at > now else "expired"
        if state == "expired" and not show_all:
            continue
        matchers = " ".join(f"{k}={','.join(v)}" for k, v in item.matchers.items())
        click.echo(f"{item.id}\t{state}\t{item.starts_at:%Y-%m-%d %H:%M}Z → {item.ends_at:%Y-%m-%d %H:%M}Z\t"
                   f"{matchers}\t{item.comment}")


@silence.command("expire")
@broker_option
@config_option
@click.argument("silence_id")
def silence_expire(broker: str | None, config_file: Path | None, silence_id: str) -> None:
    """End a silence now."""
    from streams.topics import SILENCES

    settings = load_settings(broker=broker, config_file=config_file)
    found = _silences(settings).get(silence_id)
    if found is None:
        raise click.ClickException(f"no silence {silence_id}")
    ended = found.model_copy(update={"ends_at": min(found.ends_at, _now())})
    _send(settings, settings.topic(SILENCES), found.id.encode(), ended.model_dump_json().encode())
    click.echo(f"expired {silence_id}")


# --- deliveries --------------------------------------------------------------------------
@click.group()
def deliveries() -> None:
    """The delivery ledger: list states, re-send dead letters."""


def _ledger(settings: Any) -> dict[str, Any]:
    from agents.delivery.history import latest
    from schemas.delivery import DeliveryRecord
    from streams.topic_reader import read_all
    from streams.topics import DELIVERIES

    return latest([DeliveryRecord.model_validate_json(r.value) for r in read_all(settings, settings.topic(DELIVERIES))])


@deliveries.command("list")
@broker_option
@config_option
@click.option("--state", default=None, help="Only this state (pending, sending, delivered, silenced, dead).")
def deliveries_list(broker: str | None, config_file: Path | None, state: str | None) -> None:
    """Latest state of every delivery."""
    settings = load_settings(broker=broker, config_file=config_file)
    for record in sorted(_ledger(settings).values(), key=lambda r: r.updated_at):
        if state and record.state != state:
            continue
        click.echo(f"{record.updated_at:%Y-%m-%d %H:%M:%S}Z\t{record.alert_id}\t{record.receiver}\t{record.state}\t"
                   f"attempts={record.attempts}\t{record.detail}")


@deliveries.command("retry")
@broker_option
@config_option
@click.option("--alert", "alert_id", default=None, help="Only this alert's dead deliveries.")
@click.option("--receiver", default=None, help="Only to this receiver.")
@click.option("--all", "retry_all", is_flag=True, help="Every dead delivery.")
def deliveries_retry(broker: str | None, config_file: Path | None, alert_id: str | None, receiver: str | None,
                     retry_all: bool) -> None:
    """Re-send dead-lettered deliveries (the worker starts their attempts over)."""
    from schemas.delivery import DeliveryDeadLetter, RetryRecord
    from streams.topic_reader import read_all
    from streams.topics import DELIVERY_DEADLETTER, DELIVERY_RETRY

    if not (alert_id or retry_all):
        raise click.UsageError("say which: --alert ID or --all")
    settings = load_settings(broker=broker, config_file=config_file)
    ledger = _ledger(settings)
    letters: dict[str, DeliveryDeadLetter] = {}
    for record in read_all(settings, settings.topic(DELIVERY_DEADLETTER)):
        letter = DeliveryDeadLetter.model_validate_json(record.value)
        letters[f"{letter.alert.alert_id}|{letter.receiver}"] = letter
    sent = 0
    for key, letter in sorted(letters.items()):
        if (alert_id and letter.alert.alert_id != alert_id) or (receiver and letter.receiver != receiver):
            continue
        if ledger.get(key) is not None and ledger[key].state != "dead":
            continue  # retried and delivered since
        retry = RetryRecord(alert=letter.alert, receiver=letter.receiver, expect_attempts=letter.attempts,
                            not_before=_now(), reason="retry requested", reset=True)
        _send(settings, settings.topic(DELIVERY_RETRY), letter.alert.company.encode(), retry.model_dump_json().encode(),
              partition=letter.partition)
        sent += 1
        click.echo(f"retrying {key}")
    click.echo(f"{sent} deliveries queued for retry")


# --- alerts ------------------------------------------------------------------------------
@click.group()
def alerts() -> None:
    """Follow alerts, or query what was sent and where."""


@alerts.command("tail")
@broker_option
@config_option
@click.option("--lang", type=click.Choice(["both", "zh", "en"]), default="both", show_default=True)
@click.option("--from-beginning", is_flag=True, help="Start with the alerts already on the topic.")
def alerts_tail(broker: str | None, config_file: Path | None, lang: str, from_beginning: bool) -> None:
    """Follow alerts as they are published (Ctrl-C stops)."""
    from schemas.alert import Alert
    from streams.topic_reader import follow
    from streams.topics import ALERTS

    settings = load_settings(broker=broker, config_file=config_file)
    try:
        for record in follow(settings, settings.topic(ALERTS), from_beginning=from_beginning):
            try:
                click.echo(render(Alert.model_validate_json(record.value), lang))
            except ValueError:
                click.echo(f"(unreadable record at offset {record.offset})", err=True)
    except KeyboardInterrupt:
        pass


def render(alert: Any, lang: str) -> str:
    mark = {"critical": "!!", "warning": "! ", "info": "  "}.get(alert.severity, "  ")
    lines = [f"{mark}[{alert.severity.upper()}] {alert.company} {alert.fiscal_period} · "
             f"{alert.created_at:%Y-%m-%d %H:%M}Z · {alert.alert_id}" + (f" (revises {alert.revises})" if alert.revises else "")]
    if lang in ("both", "zh"):
        lines += [f"   {alert.title_zh}", f"   {alert.text_zh}"]
    if lang in ("both", "en"):
        lines += [f"   {alert.title_en}", f"   {alert.text_en}"]
    if alert.source_url:
        lines.append(f"   {alert.source_url}")
    return "\n".join(lines) + "\n"


@alerts.command("history")
@broker_option
@config_option
@click.option("--company", default=None, help="Only this company id, e.g. BABA.")
@click.option("--since", default=None, help="7d, 12h, 30m or an ISO date/time (alert time).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per alert.")
def alerts_history(broker: str | None, config_file: Path | None, company: str | None, since: str | None,
                   as_json: bool) -> None:
    """Alerts sent, with each receiver's delivery state and attempts."""
    from agents.delivery.history import history, parse_since
    from schemas.alert import Alert
    from streams.topic_reader import read_all
    from streams.topics import ALERTS

    settings = load_settings(broker=broker, config_file=config_file)
    try:
        since_at = parse_since(since) if since else None
    except ValueError:
        raise click.BadParameter(f"--since {since!r}: use 7d, 12h, 30m or an ISO date") from None
    sent = [Alert.model_validate_json(r.value) for r in read_all(settings, settings.topic(ALERTS))]
    rows = history(sent, list(_ledger(settings).values()), company=company, since=since_at)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row.as_dict(), ensure_ascii=False))
            continue
        states = ", ".join(f"{d.receiver}:{d.state}({d.attempts})" for d in row.deliveries) or "no deliveries"
        click.echo(f"{row.alert.created_at:%Y-%m-%d}\t{row.alert.company}\t{row.alert.fiscal_period}\t"
                   f"{row.alert.severity}\t{row.alert.title_en}\t{states}")
    if not as_json:
        click.echo(f"{len(rows)} alerts", err=True)


# --- receiver ----------------------------------------------------------------------------
@click.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (0.0.0.0 only inside a container network).")
@click.option("--port", type=int, default=8822, show_default=True, help="Port.")
@click.option("--secret-env", default=None, help="Env var with the webhook signing key (verify signatures).")
@click.option("--token-env", default=None, help="Env var with the Slack bot token to expect.")
@click.option("--fail-rate", type=float, default=0.0, show_default=True,
              help="Fraction of requests answered with a random fault (500, 503, 429, drop, lost answer, hang).")
def receiver(host: str, port: int, secret_env: str | None, token_env: str | None, fail_rate: float) -> None:
    """Run a local webhook + Slack-compatible receiver (for the demo and fault runs)."""
    import os

    from agents.delivery.local_endpoint import run_foreground

    secret = os.environ.get(secret_env) if secret_env else None
    token = os.environ.get(token_env) if token_env else None
    if (secret_env and not secret) or (token_env and not token):
        sys.exit(f"environment variable {secret_env if secret_env and not secret else token_env} is not set")
    run_foreground(port, host=host, secret=secret, token=token, fail_rate=fail_rate, write=click.echo)


COMMANDS = (silence, deliveries, alerts, receiver)
