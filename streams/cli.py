"""The ``cloudpulse`` command.

Every command that talks to Kafka takes ``--broker URL`` (default: ``$CLOUDPULSE_BROKER``, then
kafka://127.0.0.1:9092). Settings are built once here and passed down; nothing below reads
the environment.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from streams.settings import Settings

BROKER_HELP = "Kafka bootstrap URL, e.g. kafka://127.0.0.1:9092 (default: $CLOUDPULSE_BROKER, then kafka://127.0.0.1:9092)."
TOPIC_ALIASES = {"earnings": "earnings.releases", "releases": "earnings.releases", "news": "news.articles"}


def broker_option(func: Any) -> Any:
    return click.option("--broker", envvar="CLOUDPULSE_BROKER", default=None, help=BROKER_HELP)(func)


def config_option(func: Any) -> Any:
    return click.option(
        "--config", "config_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
        envvar="CLOUDPULSE_CONFIG_FILE", help="TOML config file (keys as in `cloudpulse config show`).",
    )(func)


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings.load(**overrides)
    except Exception as exc:  # pydantic ValidationError or a bad config file
        raise click.ClickException(f"invalid configuration: {exc}") from None


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="cloudpulse")
def main() -> None:
    """cloudpulse: streaming monitor of hyperscaler cloud growth and capex, with zh/en alerts."""


# --- broker ------------------------------------------------------------------------------
@main.command()
@click.option("--port", type=int, default=9092, show_default=True, help="Port on 127.0.0.1.")
def broker(port: int) -> None:
    """Run the embedded Tansu dev broker in the foreground (Ctrl-C stops it).

    Memory-only: everything is lost when it stops. For development and tests; production
    uses any real Kafka.
    """
    from streams.broker import run_foreground

    run_foreground(port)


@main.command("llm-stub")
@click.option("--port", type=int, default=8811, show_default=True, help="Port on 127.0.0.1.")
@click.option("--latency", type=float, default=0.3, show_default=True, help="Seconds before each answer.")
def llm_stub(port: int, latency: float) -> None:
    """Run a local OpenAI-compatible stub LLM (grounded answers; for demos and benchmarks).

    Point the worker at it with CLOUDPULSE_LLM_BASE_URL=http://127.0.0.1:PORT/v1 and
    CLOUDPULSE_LLM_MODEL=stub. It "obeys" prompt injections in quoted data, as a gullible
    model would, so the grounding check can be seen at work.
    """
    from agents.llm.stub import run_foreground

    run_foreground(port, latency)


# --- topics ------------------------------------------------------------------------------
@main.group()
def topics() -> None:
    """Create, list or delete the topics cloudpulse uses."""


@topics.command("create")
@broker_option
@config_option
@click.option("--partitions", type=int, default=None, help="Partition count for every topic (default: settings.partitions, 4).")
def topics_create(broker: str | None, config_file: Path | None, partitions: int | None) -> None:
    """Create every topic the app uses, before any worker starts (idempotent)."""
    from streams.topics import all_topics, ensure_topics

    settings = load_settings(broker=broker, config_file=config_file, partitions=partitions)
    specs = all_topics(settings)
    ensure_topics(settings, specs)
    for spec in specs:
        click.echo(f"{spec.name}\t{spec.partitions} partitions")


@topics.command("list")
@broker_option
@config_option
def topics_list(broker: str | None, config_file: Path | None) -> None:
    """List the app's topics and whether they exist."""
    from streams.topics import all_topics, list_topics

    settings = load_settings(broker=broker, config_file=config_file)
    existing = list_topics(settings)
    for spec in all_topics(settings):
        state = "present" if spec.name in existing else "missing"
        click.echo(f"{spec.name}\t{state}")


@topics.command("delete")
@broker_option
@config_option
@click.option("--yes", is_flag=True, help="Do not ask.")
def topics_delete(broker: str | None, config_file: Path | None, yes: bool) -> None:
    """Delete every topic the app uses (all data in them is lost)."""
    from streams.topics import all_topics, delete_topics

    settings = load_settings(broker=broker, config_file=config_file)
    names = [spec.name for spec in all_topics(settings)]
    if not yes:
        click.confirm(f"Delete {len(names)} topics on {settings.broker}?", abort=True)
    delete_topics(settings, names)
    click.echo(f"deleted {len(names)} topics")


# --- worker ------------------------------------------------------------------------------
@main.command()
@broker_option
@config_option
@click.option("--alerts-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also append alerts to this JSONL file.")
@click.option("--deltas-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Also append every delta record to this JSONL file.")
@click.option("--loglevel", default=None, help="Log level (default: settings.log_level).")
def worker(broker: str | None, config_file: Path | None, alerts_out: Path | None, deltas_out: Path | None, loglevel: str | None) -> None:
    """Run the always-on worker (Faust) until SIGTERM/SIGINT."""
    from streams.worker import run_worker

    settings = load_settings(broker=broker, config_file=config_file, alerts_out=alerts_out, deltas_out=deltas_out, log_level=loglevel)
    run_worker(settings)


# --- demo --------------------------------------------------------------------------------
@main.command()
@broker_option
@click.option("--releases", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="JSONL of releases to publish (default: the bundled real dataset).")
@click.option("--alerts-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Alerts JSONL (default: a temporary file).")
@click.option("--deltas-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Deltas JSONL (default: a temporary file).")
@click.option("--timeout", type=float, default=120.0, show_default=True, help="Give up waiting for processing after this many seconds.")
@click.option("--deliver-config", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="Also deliver the alerts as this delivery file says (docs/delivery.md; try `cloudpulse receiver`).")
def demo(broker: str | None, releases: Path | None, alerts_out: Path | None, deltas_out: Path | None, timeout: float,
         deliver_config: Path | None) -> None:
    """Run the whole pipeline once on real data and print the alerts.

    Starts the dev broker (unless --broker is given), creates topics, starts a worker,
    publishes the releases, waits until every one is processed (by consumer offsets), prints
    the alerts in Chinese and English and a table of quarters per company, then stops
    everything it started.
    """
    from streams.demo import run_demo

    code = run_demo(broker=broker, releases=releases, alerts_out=alerts_out, deltas_out=deltas_out, timeout=timeout,
                    deliver_config=deliver_config)
    sys.exit(code)


# --- replay / backfill ----------------------------------------------------------------
def _when(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time, e.g. 2025-08-01 or 2025-08-01T12:00:00Z") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@main.command()
@broker_option
@config_option
@click.option("--from-beginning", is_flag=True, help="Replay everything retained (the default when --since is absent).")
@click.option("--since", default=None, help="Only records at or after this time (ISO 8601; naive means UTC).")
@click.option("--until", default=None, help="Only records at or before this time.")
@click.option("--topics", "topic_names", multiple=True, help="Input topics to replay (default: all inputs).")
@click.option("--alerts-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the alerts here (sorted JSONL).")
@click.option("--deltas-out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write the delta records here (sorted JSONL).")
@click.option("--deliver", is_flag=True, help="Also deliver to the configured receivers (off by default).")
@click.option("--compare-with", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="A previous run's alerts JSONL: report alerts added, removed or changed.")
@click.option("--keep-topics", is_flag=True, help="Keep the replay's internal topics for inspection.")
@click.option("--summary-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write the summary (inputs, dead letters, deltas, alerts by kind, seconds) here as JSON.")
def replay(broker: str | None, config_file: Path | None, from_beginning: bool, since: str | None, until: str | None,
           topic_names: tuple[str, ...], alerts_out: Path | None, deltas_out: Path | None, deliver: bool,
           compare_with: Path | None, keep_topics: bool, summary_out: Path | None) -> None:
    """Replay input topics through the same agents, with fresh state, and stop at today's end.

    Live consumers never see a replay (its topics and consumer group are its own) and nothing
    is delivered unless --deliver is given. Releases are replayed first, then news, so every
    story is checked against the same releases on every run (docs/news.md).
    """
    from rich.console import Console

    from streams.replay import (
        ReplayOptions,
        compare,
        print_comparison,
        print_summary,
        run_replay,
        summary,
    )
    from streams.topics import INPUTS

    if from_beginning and since:
        raise click.UsageError("--from-beginning and --since exclude each other")
    settings = load_settings(broker=broker, config_file=config_file)
    names = tuple(TOPIC_ALIASES.get(t, t) for t in topic_names) or INPUTS
    unknown = [n for n in names if n not in INPUTS]
    if unknown:
        raise click.BadParameter(f"not input topics: {', '.join(unknown)} (inputs: {', '.join(INPUTS)})")
    options = ReplayOptions(since=_when(since), until=_when(until), topics=names, alerts_out=alerts_out,
                            deltas_out=deltas_out, deliver=deliver, compare_with=compare_with, keep_topics=keep_topics)
    console = Console(stderr=True)
    result = run_replay(settings, options, console)
    print_summary(console, result)
    if summary_out is not None:
        summary_out.parent.mkdir(parents=True, exist_ok=True)
        summary_out.write_text(json.dumps(summary(result), indent=2) + "\n", encoding="utf-8")
    if compare_with is not None:
        print_comparison(console, compare(compare_with, result.alerts))


@main.command()
@broker_option
@config_option
@click.option("--topic", default="earnings", show_default=True, help="earnings | news | a full topic name.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def backfill(broker: str | None, config_file: Path | None, topic: str, file: Path) -> None:
    """Load an archive into an input topic in publish-time order, keeping each record's
    original publish time as its Kafka timestamp (so replay --since works on it)."""
    from streams.publisher import publish_file

    settings = load_settings(broker=broker, config_file=config_file)
    name = settings.topic(TOPIC_ALIASES.get(topic, topic))
    report = publish_file(settings, name, file, validate=True, in_time_order=True)
    for line_no, reason in report.refused:
        click.echo(f"  line {line_no}: {reason}", err=True)
    if report.refused:
        click.echo(f"nothing published: {len(report.refused)} lines refused", err=True)
        sys.exit(1)
    click.echo(f"backfilled {report.sent} records into {name} in publish-time order")


# --- publish -----------------------------------------------------------------------------
@main.command()
@broker_option
@config_option
@click.option("--topic", required=True, help="earnings | news | a full topic name.")
@click.option("--raw", is_flag=True, help="Publish lines as they are, without validating them first.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def publish(broker: str | None, config_file: Path | None, topic: str, raw: bool, file: Path) -> None:
    """Publish a JSONL file to a topic (one message per line)."""
    from streams.publisher import publish_file

    settings = load_settings(broker=broker, config_file=config_file)
    name = settings.topic(TOPIC_ALIASES.get(topic, topic))
    report = publish_file(settings, name, file, validate=not raw)
    click.echo(f"published {report.sent} messages to {name}" + (f"; {len(report.refused)} refused:" if report.refused else ""))
    for line_no, reason in report.refused:
        click.echo(f"  line {line_no}: {reason}", err=True)
    if report.refused:
        sys.exit(1)


# --- schema ------------------------------------------------------------------------------
@main.group()
def schema() -> None:
    """Input and output contracts."""


@schema.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Write one <name>.schema.json per contract here (default: print all to stdout).")
def schema_export(out_dir: Path | None) -> None:
    """Export JSON Schema for the release input and alert/delta/dead-letter outputs."""
    from schemas.export import all_schemas

    schemas = all_schemas()
    if out_dir is None:
        click.echo(json.dumps(schemas, indent=2, ensure_ascii=False))
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, body in schemas.items():
        path = out_dir / f"{name}.schema.json"
        path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        click.echo(str(path))


# --- config ------------------------------------------------------------------------------
@main.group()
def config() -> None:
    """Effective configuration."""


@config.command("show")
@broker_option
@config_option
def config_show(broker: str | None, config_file: Path | None) -> None:
    """Print the effective configuration, secrets masked."""
    settings = load_settings(broker=broker, config_file=config_file)
    click.echo(json.dumps(settings.masked(), indent=2, ensure_ascii=False))


# --- delivery: silence, deliveries, alerts, receiver (streams/cli_delivery.py) -------------
from streams.cli_delivery import COMMANDS as _DELIVERY_COMMANDS  # noqa: E402  # it imports the helpers above

for _command in _DELIVERY_COMMANDS:
    main.add_command(_command)

# --- eval: annotated sample sets (streams/cli_eval.py) ------------------------------------
from streams.cli_eval import COMMANDS as _EVAL_COMMANDS  # noqa: E402  # it imports the helpers above

for _command in _EVAL_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main()
