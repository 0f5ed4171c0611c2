"""The annotated sets meet the targets (a regression fails CI), and the eval command reports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from agents.news.evaluate import evaluate, family_of, load_set, matches
from agents.news.reading import NewsReader
from schemas.company import Registry
from streams.cli import main

DATA = Path(__file__).parents[2] / "data" / "news"


# The tuning set must meet the targets. The blind holdout is held just under what it
# scored at first sight (core precision 0.89, recall 0.95; see tests/data/news/README.md): a floor
# that catches regressions without pretending the extractor meets the target on unseen text.
# The second blind set was written by another author who never read the extractor (0.89 / 0.93).
@pytest.mark.parametrize(("name", "min_precision", "min_recall", "min_expected"),
                         [("articles.jsonl", 0.9, 0.8, 40), ("articles_holdout.jsonl", 0.85, 0.85, 40),
                          ("articles_blind_lead.jsonl", 0.85, 0.85, 25)])
def test_fact_scores_on_core_families(name: str, min_precision: float, min_recall: float, min_expected: int) -> None:
    report = evaluate(load_set(DATA / name), NewsReader(Registry.load()), grouper_factory=None)
    core = report.core
    assert core.expected >= min_expected
    assert core.precision >= min_precision, report.wrong
    assert core.recall >= min_recall, report.misses
    assert report.irrelevant_dropped >= 1


def test_the_main_set_has_the_required_shape() -> None:
    samples = load_set(DATA / "articles.jsonl")
    languages = [s.article.language for s in samples]
    assert len(samples) >= 60
    assert all(languages.count(lang) >= 20 for lang in ("zh-Hans", "zh-Hant", "en"))
    assert sum(1 for s in samples if not s.expected) >= 8  # irrelevant and fact-free articles
    stories = [s.story for s in samples]
    assert sum(1 for label in set(stories) if stories.count(label) > 1) >= 8  # republished stories


def test_matching_tolerates_printed_precision_only() -> None:
    samples = load_set(DATA / "articles.jsonl")
    reader = NewsReader(Registry.load())
    sample = next(s for s in samples if s.article.article_id == "hs02")
    facts = reader.read(sample.article).facts
    capex = next(e for e in sample.expected if e["metric"] == "capex")
    predicted = next(f for f in facts if f.metric == "capex")
    assert matches(predicted, capex)
    assert not matches(predicted.model_copy(update={"value": predicted.value * 2}), capex)
    assert not matches(predicted.model_copy(update={"fiscal_period": "FY2026Q1"}), capex)
    assert family_of(capex) == "capex"


def test_eval_news_command_prints_tables_and_json() -> None:
    runner = CliRunner()
    path = str(DATA / "articles_holdout.jsonl")
    table = runner.invoke(main, ["eval", "news", path])
    assert table.exit_code == 0, table.output
    assert "core" in table.output and "stories:" in table.output
    as_json = runner.invoke(main, ["eval", "news", path, "--json"])
    result = json.loads(as_json.output)[path]
    assert result["articles"] == len(load_set(DATA / "articles_holdout.jsonl"))
    assert set(result["families"]) >= {"cloud_revenue", "growth", "capex", "margins", "fcf", "plans"}
    assert result["stories"]["available"] is True


def test_eval_news_refuses_an_unannotated_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"article_id": "x"}\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "news", str(bad)])
    assert result.exit_code != 0 and "not an annotated article" in result.output
