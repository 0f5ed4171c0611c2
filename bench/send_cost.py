"""CPU per output record in a Faust agent: Faust's own send and table paths against ours.

    python bench/send_cost.py [--events 3000] [--per-event 5] [--repeat 2] [--out bench/results/send_cost.json]

One 4-partition input topic of N synthetic releases on the embedded broker, read in turn by a
Faust agent (same consumer settings as the worker) that per event decodes the JSON and then:

- ``floor``: nothing else (the framework floor of bench/throughput.py);
- ``topic_send``: K records through Faust's ``Topic.send`` (what the agents did);
- ``outbox``: K records through ``streams.outbox.Outbox`` (straight to the producer);
- ``table_set``: K ``table[key] = value`` writes (Faust's ``send_soon`` changelog path);
- ``table_writer``: the same K writes as one ``streams.changelog.TableWriter.put_all`` batch.

Each agent is its own process, timed from its first event to its N-th; the figure is process
CPU per event, and (CPU per event - floor's) / K is the cost of one record. Variants alternate
within each repeat so a change in load hits all of them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from harness import bench_env, new_parser, recorded, spread
from throughput import releases

from streams.launcher import die_with_parent
from streams.offsets import poll_until
from streams.publisher import send_all
from streams.topics import TopicSpec, ensure_topics

VARIANTS = ("floor", "topic_send", "outbox", "table_set", "table_writer")


def child(argv: list[str]) -> None:
    """One agent over the input topic; writes {"per_second", "cpu_ms_per_event"} and exits."""
    import faust
    from floor_app import EventClock

    from streams import tansu_workarounds
    from streams.changelog import TableWriter
    from streams.consumer import rereading_transport
    from streams.outbox import Outbox
    from streams.settings import Settings

    broker, app_id, topic_name, out_name, expected, per_event, variant, result, data_dir = argv
    expected, per_event = int(expected), int(per_event)
    settings = Settings.load(broker=broker, dev_broker=True, data_dir=Path(data_dir))
    timings = tansu_workarounds.group_timings(settings)
    app = faust.App(
        app_id, broker=broker, store="memory://", datadir=data_dir, topic_partitions=4,
        topic_allow_declare=False, topic_disable_leader=True, web_enabled=False,
        key_serializer="raw", value_serializer="raw", consumer_auto_offset_reset="earliest",
        broker_commit_interval=settings.commit_interval, broker_session_timeout=timings["session_timeout"],
        broker_heartbeat_interval=timings["heartbeat_interval"], broker_rebalance_timeout=timings["rebalance_timeout"],
    )
    app.transport = rereading_transport()(app.conf.broker_consumer, app)
    tansu_workarounds.install(app, settings)
    source = app.topic(topic_name, key_type=bytes, value_type=bytes)
    out = app.topic(out_name, key_type=bytes, value_type=bytes, partitions=4)
    table = app.Table("t", default=None, partitions=4, schema=faust.Schema(key_serializer="json", value_serializer="json"))
    outbox = Outbox(app)
    writer = TableWriter(table, outbox)
    done = EventClock(expected, Path(result))

    @app.agent(source, concurrency=1)
    async def agent(stream: Any) -> None:
        async for event in stream.events():
            value = event.value
            json.loads(value)
            if variant == "topic_send":
                for _ in range(per_event):
                    await out.send(key=event.key, value=value)
            elif variant == "outbox":
                for _ in range(per_event):
                    await outbox.send(out_name, event.key, value)
            elif variant == "table_set":
                for i in range(per_event):
                    table[f"{event.key!r}|{i}"] = {"i": i, "offset": event.message.offset}
            elif variant == "table_writer":
                await writer.put_all([(f"{event.key!r}|{i}", {"i": i, "offset": event.message.offset})
                                      for i in range(per_event)])
            done.tick()

    faust.Worker(app, loglevel="WARNING", quiet=True, redirect_stdouts=False).execute_from_commandline()


def run_variant(settings: Any, topic: str, events: int, per_event: int, variant: str, workdir: Path) -> dict[str, float]:
    run = uuid.uuid4().hex[:6]
    app_id, out_topic = f"sendcost-{run}", f"{settings.topic_prefix}sendcost-out-{run}"
    ensure_topics(settings, [TopicSpec(out_topic, 4), TopicSpec(f"{app_id}-t-changelog", 4, configs={"cleanup.policy": "compact"})])
    result, log = workdir / f"{variant}-{run}.json", workdir / f"{variant}-{run}.log"
    argv = [sys.executable, __file__, "--child", settings.broker, app_id, topic, out_topic, str(events), str(per_event),
            variant, str(result), str(workdir / f"data-{run}")]
    proc = subprocess.Popen(argv, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=die_with_parent)  # noqa: PLW1509 - no threads in this process yet
    try:
        if not poll_until(result.exists, proc, timeout=600, interval=0.2, stable=1) and not result.exists():
            raise RuntimeError(f"{variant} failed: " + log.read_text()[-2000:])
    finally:
        proc.kill()
        proc.wait()
    return json.loads(result.read_text())


def arguments() -> argparse.ArgumentParser:
    parser = new_parser(__doc__)
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--per-event", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=2)
    return parser


def main() -> None:
    args = arguments().parse_args()
    with recorded("send_cost", sys.argv[1:], args.out) as results, bench_env(200) as (settings, workdir):
        topic = settings.topic("earnings.releases")
        ensure_topics(settings, [TopicSpec(topic, 4)])
        send_all(settings, topic, releases(args.events, 200))
        runs: dict[str, list[float]] = {v: [] for v in VARIANTS}
        for index in range(args.repeat):
            order = VARIANTS[index % len(VARIANTS):] + VARIANTS[:index % len(VARIANTS)]
            for variant in order:
                runs[variant].append(run_variant(settings, topic, args.events, args.per_event, variant, workdir)["cpu_ms_per_event"])
        cpu = {v: spread(values, 3) for v, values in runs.items()}
        floor = cpu["floor"]["median"]
        per_record = {v: round((cpu[v]["median"] - floor) / args.per_event, 3) for v in VARIANTS if v != "floor"}
        results.update({
            "events": args.events, "per_event": args.per_event, "repeats": args.repeat,
            "cpu_ms_per_event": cpu, "cpu_ms_per_record": per_record,
            "outbox_vs_topic_send": round(per_record["outbox"] / per_record["topic_send"], 2),
            "table_writer_vs_table_set": round(per_record["table_writer"] / per_record["table_set"], 2),
        })


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
