"""Articles per second through the real worker's news path, against the Faust floor on the same topic.

    python bench/news_worker.py [--articles 1500] [--companies 8] [--profile /tmp/news.txt] [--out bench/results/news_worker.json]

One worker (news only: no releases are sent; LLM off; template writer; alerts to a JSONL file
sink; 4 partitions) on the embedded broker. The feed is generated (bench/corpus.py, so every
run reads the same bytes) and mixed like a news feed: per ten articles, five irrelevant
(sports, shopping: the cheap path), three relevant (bench/corpus.py's cloud/capex articles,
which rotate over ``--companies`` companies, so each company's zh and en articles are
near-duplicates and their stories keep growing, as in bench/latency.py), one republication
of an earlier relevant article by another outlet (joins its story), and one redelivery of an
earlier relevant article (same id: changes nothing).

Timed: a warm-up batch is read first (worker started, group joined, tables recovered); then
all ``--articles`` are published at once and the clock runs until the worker's group has
committed the end of both ``news.articles`` and ``cloudpulse.news.relevant`` (the ingest and
the analyse agent). Reported: articles/s, the worker's CPU seconds per article (steadier than
wall time on a shared machine), and the floor: bench/floor_app.py (decode and count, Faust
defaults) reading the same topic in the same run. ``--profile`` samples the worker with py-spy
while it works and writes the hottest functions (own time and with callees) to that file.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import corpus
from aiokafka import AIOKafkaProducer
from harness import bench_env, new_parser, recorded
from throughput import _cpu_seconds, floor_run

from streams.launcher import start_worker, stop_process
from streams.offsets import all_committed, poll_until
from streams.settings import Settings
from streams.topics import NEWS, NEWS_RELEVANT, all_topics, ensure_topics

PY_SPY = Path(sys.executable).with_name("py-spy")
WARM_UP = 40
CHATTER = [
    "{n}号球员在昨晚的联赛中打进两球，球队主场三比一取胜，主教练赛后表示对防守仍不满意。",
    "The home side won {n}-1 last night; the coach said the defence still needs work before the cup tie.",
    "双十一预售开启，第{n}批优惠券今晚八点发放，部分家电品牌宣布直降三成。",
    "Shoppers queued for {n} minutes as the mall opened its winter sale with discounts on coats and boots.",
]


def chatter(n: int) -> dict[str, Any]:
    """An irrelevant article (no company, no cloud or capex terms)."""
    text = CHATTER[n % len(CHATTER)].format(n=n % 97)
    zh = n % 2 == 0
    return {
        "article_id": f"chat-{n:07d}", "url": f"https://sport.example.com/{n}", "source": "体坛周报" if zh else "AP",
        "published_at": (corpus.EPOCH + timedelta(seconds=30 * n)).isoformat().replace("+00:00", "Z"),
        "language": "zh-Hans" if zh else "en", "title": text[:20], "body": text,
    }


def feed(count: int, companies: int, start: int = 0) -> list[tuple[str, dict[str, Any]]]:
    """``count`` (kind, article) pairs: per ten, 5 irrelevant, 3 relevant, 1 republication, 1 redelivery."""
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(start, start + count):
        slot = i % 10
        if slot < 5:
            out.append(("irrelevant", chatter(i)))
        elif slot < 8:
            out.append(("relevant", corpus.article(i, companies)))
        elif slot == 8:
            copy = corpus.article(i - 3, companies)  # slot 5 of this ten: already published
            copy.update(article_id=f"copy-{i:07d}", source="新浪财经" if i % 20 < 10 else "Bloomberg",
                        url=f"https://copy.example.com/{i}")
            out.append(("republication", copy))
        else:
            out.append(("redelivery", corpus.article(i - 3, companies)))  # slot 6: same id again
    return out


async def publish(settings: Settings, items: list[tuple[str, dict[str, Any]]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers, linger_ms=5, acks=1)
    await producer.start()
    try:
        for _, body in items:
            key = (body.get("companies") or ["-"])[0].encode()
            await producer.send(settings.topic(NEWS), key=key, value=json.dumps(body, ensure_ascii=False).encode())
        await producer.flush()
    finally:
        await producer.stop()


def drained(settings: Settings) -> bool:
    return all_committed(settings, [settings.topic(NEWS), settings.topic(NEWS_RELEVANT)])


def profile(pid: int, seconds: float, raw: Path) -> subprocess.Popen[bytes] | None:
    if not PY_SPY.exists():
        return None
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--format", "raw", "--rate", "50",
                             "--duration", str(int(seconds)), "--nonblocking", "-o", str(raw)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def hottest(raw: Path, top: int = 25) -> str:
    """Own-time and inclusive-time leaders from py-spy's collapsed stacks (project frames only inclusive)."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        frames = stack.split(";")
        samples += n
        own[frames[-1]] += n
        for frame in set(frames):
            if "/work/main/" in frame or "(agents/" in frame or "(schemas/" in frame:
                total[frame] += n
    lines = [f"samples: {samples}", "", "own time:"]
    lines += [f"{n / samples:6.1%}  {f}" for f, n in own.most_common(top)]
    lines += ["", "inclusive (project frames):"]
    lines += [f"{n / samples:6.1%}  {f}" for f, n in total.most_common(top)]
    return "\n".join(lines) + "\n"


def run(settings: Settings, workdir: Path, args: Any) -> dict[str, Any]:
    log = workdir / "worker.log"
    proc = start_worker(settings, log)
    try:
        # Warm-up articles are older (event time) than the timed ones, so they do not move the
        # story window's watermark ahead of the timed articles (which would expire their stories).
        asyncio.run(publish(settings, feed(WARM_UP, args.companies, start=-10 * WARM_UP)))
        if not poll_until(lambda: drained(settings), proc, 300, interval=0.5, stable=2):
            raise RuntimeError("warm-up not consumed: " + log.read_text()[-2000:])
        items = feed(args.articles, args.companies)
        cpu0, started = _cpu_seconds(proc.pid), time.perf_counter()
        spy = profile(proc.pid, args.profile_seconds, workdir / "spy.raw") if args.profile else None
        asyncio.run(publish(settings, items))
        if not poll_until(lambda: drained(settings), proc, args.timeout, interval=0.25, stable=1):
            raise RuntimeError("articles not consumed in time: " + log.read_text()[-2000:])
        elapsed, cpu = time.perf_counter() - started, (_cpu_seconds(proc.pid) or 0) - (cpu0 or 0)
        if spy is not None:
            spy.wait(timeout=args.profile_seconds + 60)
            args.profile.write_text(hottest(workdir / "spy.raw"))
    finally:
        stop_process(proc)
    alerts = settings.alerts_out.read_text().count("\n") if settings.alerts_out and settings.alerts_out.exists() else 0
    floor = floor_run(settings, settings.topic(NEWS), WARM_UP + args.articles, workdir)
    per_s = args.articles / elapsed
    return {
        "articles": args.articles, "mix": dict(Counter(kind for kind, _ in items)),
        "seconds": round(elapsed, 2), "articles_per_s": round(per_s, 1),
        "worker_cpu_ms_per_article": round(cpu * 1000 / args.articles, 2),
        "alerts_written": alerts,
        "faust_floor_per_s": round(floor["per_second"], 1), "floor_cpu_ms_per_event": round(floor["cpu_ms_per_event"], 3),
        "vs_floor": round(per_s / floor["per_second"], 4),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    argv = sys.argv[1:] if argv is None else argv
    parser = new_parser(__doc__)
    parser.add_argument("--articles", type=int, default=1500, help="timed articles")
    parser.add_argument("--companies", type=int, default=8, help="companies the relevant articles rotate over")
    parser.add_argument("--timeout", type=float, default=900, help="seconds the worker may take")
    parser.add_argument("--profile", type=Path, default=None, help="py-spy the worker; hottest functions to this file")
    parser.add_argument("--profile-seconds", type=float, default=30, help="how long py-spy samples")
    parser.add_argument("--note", default=None, help="saved with the results (e.g. which code was measured)")
    args = parser.parse_args(argv)
    with recorded("news_worker", argv, args.out) as results, \
            bench_env(args.companies, partitions=4, news_llm_extract=False) as (settings, workdir):
        ensure_topics(settings, all_topics(settings))
        results.update({"writer": "template", "sink": "jsonl file", "partitions": settings.partitions})
        if args.note:
            results["note"] = args.note
        results.update(run(settings, workdir, args))
    return results


if __name__ == "__main__":
    main()
