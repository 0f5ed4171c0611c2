"""Articles per second through the news reading stages, in one process, and whether the
per-article cost grows linearly with the article's length.

    python bench/news_throughput.py [--articles 3000] [--relevant-share 0.2] [--out bench/results/news_throughput.json]

The corpus is generated (seeded, so every run reads the same bytes): articles in zh-Hans,
zh-Hant and en, a ``--relevant-share`` of them about cloud growth and capex with figures, the
rest sports, shopping and market chatter (the common case on a news feed), in three length
classes (about 300, 3,000 and 30,000 characters). Each article goes through
parse (bytes -> Article) -> fold -> relevance -> tagging -> extraction, exactly as
``NewsReader.read`` runs them. Reported: articles/s and characters/s overall, time per
article and per 1,000 characters for each length class and relevance (the linearity check:
per-1k-char time of long articles over short ones should stay near 1, not grow with
length), and how many articles were dropped as irrelevant. Wall-clock figures count other
processes' load on a shared machine; ``articles_per_cpu_s`` is this process's own CPU time.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

from report import emit  # bench/report.py (scripts run from bench/)

from agents.news.reading import NewsReader
from schemas.article import parse_article
from schemas.company import Registry

MAX_BYTES = 512 * 1024
LENGTHS = {"short": 300, "medium": 3_000, "long": 30_000}
FACTS = {
    "zh-Hans": ["{co}截至2025年9月30日止季度，云智能集团收入{rev}亿元，同比增长{yoy}%。",
                "集团当季资本开支为{capex}亿元，自由现金流净流出{fcf}亿元。",
                "{co}表示，未来三年将投入超过{plan}亿元建设AI基础设施。"],
    "zh-Hant": ["{co}截至2025年9月30日止季度，雲智能集團收入{rev}億元，按年增長{yoy}%。",
                "集團當季資本開支為{capex}億元，自由現金流淨流出{fcf}億元。",
                "{co}表示，未來三年將投入超過{plan}億元建設AI基礎設施。"],
    "en": ["{co} said cloud revenue rose {yoy}% to {rev} billion yuan in the quarter ended September 30. ",
           "Capital expenditure was {capex} billion yuan and free cash flow was an outflow of {fcf} billion yuan. ",
           "{co} plans to invest more than {plan} billion yuan over the next three years in AI infrastructure. "],
}
COMPANIES = {"zh-Hans": ["阿里巴巴", "腾讯", "微软", "亚马逊"], "zh-Hant": ["阿里巴巴", "騰訊", "微軟", "亞馬遜"],
             "en": ["Alibaba", "Tencent", "Microsoft", "Amazon"]}
FILLER = {
    "zh-Hans": ["本届赛事吸引了来自全国的三万余名跑者参加，赛道沿西湖展开。", "主队在补时阶段打进制胜一球，球迷欢呼雀跃。",
                "商场推出满300减50的优惠活动，吸引大批消费者排队。", "气象台预计本周末将有小雨，气温略有下降。"],
    "zh-Hant": ["本屆賽事吸引了來自全國的三萬餘名跑手參加，賽道沿海濱展開。", "主隊在補時階段射入致勝一球，球迷歡呼雀躍。",
                "商場推出滿300減50的優惠活動，吸引大批消費者排隊。", "天文台預計本周末將有驟雨，氣溫略為下降。"],
    "en": ["The marathon drew more than thirty thousand runners along the lakeside course. ",
           "A stoppage-time header settled the match and sent the home fans into raptures. ",
           "The mall offered fifty off every three hundred spent, and queues formed early. ",
           "Forecasters expect light rain this weekend with slightly cooler temperatures. "],
}
START = datetime(2025, 11, 26, tzinfo=UTC)


def make_article(n: int, rng: random.Random, relevant: bool, length_class: str) -> bytes:
    language = ("zh-Hans", "zh-Hant", "en")[n % 3]
    company = rng.choice(COMPANIES[language])
    target = LENGTHS[length_class]
    parts: list[str] = []
    size = 0
    facts = FACTS[language]
    while size < target:
        if relevant and (not parts or rng.random() < 0.3):
            sentence = rng.choice(facts).format(co=company, rev=rng.randint(100, 999) + rng.randint(0, 99) / 100,
                                                yoy=rng.randint(2, 60), capex=rng.randint(50, 400),
                                                fcf=rng.randint(10, 300), plan=rng.randint(1000, 5000))
        else:
            sentence = rng.choice(FILLER[language])
        parts.append(sentence)
        size += len(sentence)
    title = f"{company} {'cloud revenue and capex' if relevant else 'weekend roundup'}" if language == "en" else \
        f"{company}{'云业务与资本开支' if relevant else '周末综述'}"
    document = {
        "article_id": f"bench-{n:06d}", "url": f"https://news.example.com/{n}", "source": "bench",
        "published_at": (START + timedelta(seconds=n)).isoformat(), "title": title, "body": "".join(parts),
    }
    return json.dumps(document, ensure_ascii=False).encode()


def corpus(count: int, relevant_share: float, seed: int) -> list[tuple[bytes, bool, str]]:
    rng = random.Random(seed)
    items = []
    for n in range(count):
        # Mostly short articles, as on a real feed; enough long ones to measure per-character cost.
        length_class = rng.choices(("short", "medium", "long"), weights=(6, 3, 1))[0]
        relevant = rng.random() < relevant_share
        items.append((make_article(n, rng, relevant, length_class), relevant, length_class))
    return items


def run(count: int, relevant_share: float, seed: int) -> dict:
    items = corpus(count, relevant_share, seed)
    reader = NewsReader(Registry.load())
    reader.read(parse_article(items[0][0], max_bytes=MAX_BYTES))  # warm caches (OpenCC dictionary, regexes)
    reader = NewsReader(Registry.load())
    per_class: dict[str, list[tuple[float, int]]] = defaultdict(list)
    facts = 0
    characters = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for raw, relevant, length_class in items:
        t0 = time.perf_counter()
        article = parse_article(raw, max_bytes=MAX_BYTES)
        reading = reader.read(article)
        elapsed = time.perf_counter() - t0
        facts += len(reading.facts)
        characters += len(article.text)
        per_class[f"{length_class}/{'relevant' if relevant else 'irrelevant'}"].append((elapsed, len(article.text)))
    total = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    classes = {}
    for name, samples in sorted(per_class.items()):
        times = [t for t, _ in samples]
        per_kchar = [t / chars * 1000 for t, chars in samples]
        classes[name] = {
            "articles": len(samples),
            "mean_chars": round(statistics.fmean(c for _, c in samples)),
            "median_us_per_article": round(statistics.median(times) * 1e6, 1),
            "median_us_per_1k_chars": round(statistics.median(per_kchar) * 1e6, 1),
        }
    linearity = {
        kind: round(classes[f"long/{kind}"]["median_us_per_1k_chars"] / classes[f"short/{kind}"]["median_us_per_1k_chars"], 2)
        for kind in ("relevant", "irrelevant")
        if f"long/{kind}" in classes and f"short/{kind}" in classes
    }
    return {
        "benchmark": "news_throughput",
        "articles": count, "relevant_share": relevant_share, "seed": seed,
        "seconds": round(total, 3),
        "articles_per_s": round(count / total, 1),
        # CPU time of this process: on a shared machine the wall clock also counts other work.
        "cpu_seconds": round(cpu, 3),
        "articles_per_cpu_s": round(count / cpu, 1),
        "chars_per_s": round(characters / total),
        "dropped_as_irrelevant": reader.dropped,
        "facts": facts,
        "by_class": classes,
        "long_over_short_per_1k_chars": linearity,
        "note": "one process, one core; parse -> fold -> relevance -> tag -> extract (NewsReader.read)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--relevant-share", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    emit(run(args.articles, args.relevant_share, args.seed), args.out)


if __name__ == "__main__":
    main()
