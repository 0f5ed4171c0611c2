"""Evaluation commands: `cloudpulse eval news PATH...` (docs: tests/data/news/README.md).

Registered on the main group by streams/cli.py. Reads annotated article files, runs the news
readers and the story grouper over them in one process (no broker), and prints precision and
recall; ``--json`` prints the same as one JSON document. The exit status is 0 whatever the
scores: CI asserts the targets in tests/test_agents/test_news/test_evaluate.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from streams.cli import config_option, load_settings

_COLUMNS = ("predicted", "correct", "expected", "found", "precision", "recall")


@click.group("eval")
def eval_group() -> None:
    """Score the readers against annotated sample sets."""


@eval_group.command("news")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of tables.")
@click.option("--details", is_flag=True, help="Also list missed and wrong facts.")
@config_option
def eval_news(paths: tuple[Path, ...], as_json: bool, details: bool, config_file: Path | None) -> None:
    """Fact precision/recall (overall, core, per metric family) and story pairwise precision/recall.

    PATH is a JSONL file of annotated articles (tests/data/news/articles.jsonl and
    articles_holdout.jsonl are bundled). Each file is scored on its own.
    """
    from agents.news.evaluate import evaluate, load_set
    from agents.news.reading import NewsReader
    from schemas.company import Registry

    settings = load_settings(config_file=config_file)
    registry = Registry.load(settings.registry_file)
    results: dict[str, Any] = {}
    for path in paths:
        try:
            samples = load_set(path)
        except (ValueError, OSError) as exc:
            raise click.ClickException(str(exc)) from None
        kwargs = {} if settings.news_min_relevance is None else {"min_relevance": settings.news_min_relevance}
        reader = NewsReader(registry, **kwargs)
        report = evaluate(samples, reader, _grouper_factory(settings))
        results[str(path)] = report.as_dict()
        if not details:
            results[str(path)].pop("misses")
            results[str(path)].pop("wrong")
    if as_json:
        click.echo(json.dumps(results, indent=2, ensure_ascii=False))
        return
    for path, result in results.items():
        _print_report(path, result, details)


def _grouper_factory(settings: Any) -> Any:
    try:
        from agents.news.stories import StoryGrouper
    except ImportError:
        return None  # evaluate() reports the story section as unavailable
    return lambda: StoryGrouper(threshold=settings.news_story_threshold, num_perm=settings.news_num_perm)


def _print_report(path: str, result: dict[str, Any], details: bool) -> None:
    click.echo(f"== {path}: {result['articles']} articles, {result['relevant_kept']} relevant, "
               f"{result['irrelevant_dropped']} dropped as irrelevant")
    click.echo(f"{'facts':<16}" + "".join(f"{c:>11}" for c in _COLUMNS))
    rows = [("overall", result["overall"]), ("core", result["core"]), *result["families"].items()]
    for name, score in rows:
        click.echo(f"{name:<16}" + "".join(f"{score[c]:>11}" for c in _COLUMNS))
    stories = result["stories"]
    if stories.get("available"):
        click.echo(f"stories: {stories['stories']} found for {stories['labels']} labelled; pairwise precision "
                   f"{stories['precision']} ({stories['correct_pairs']}/{stories['predicted_pairs']}), recall "
                   f"{stories['recall']} ({stories['correct_pairs']}/{stories['true_pairs']})")
    else:
        click.echo(f"stories: not scored ({stories.get('note', 'grouper unavailable')})")
    if details:
        for kind in ("misses", "wrong"):
            for item in result[kind]:
                click.echo(f"  {kind[:-1] if kind == 'wrong' else 'miss'}: {json.dumps(item, ensure_ascii=False)}")
    click.echo("")


COMMANDS = (eval_group,)
