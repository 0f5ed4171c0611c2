"""The benchmark entry point does not rot: its argument lists parse, the doc renders from
results files, and one cheap benchmark runs through bench/run.py for real."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH))

import render
import run

LATENCY = {
    "command": "python bench/latency.py", "machine_before": {"cpus": 2, "loadavg": [1.5, 1.0, 0.5]},
    "quiet": {"releases": 120, "rate_per_s": 1.0, "alerts_missing": 0,
              "pipeline": {"n": 120, "p50_ms": 84.9, "p95_ms": 120.0, "p99_ms": 210.7, "max_ms": 211.5},
              "raw_consumer": {"n": 120, "p50_ms": 11.2, "p95_ms": 25.4, "p99_ms": 36.1, "max_ms": 39.5},
              "p99_vs_raw": 5.84, "p99_under_target": True},
    "news": {"skipped": "news.articles is not in streams/topics.INPUTS yet"},
}
SCALING = {
    "command": "python bench/scaling.py",
    "one_worker_per_s": {"median": 84.7, "min": 80.0, "max": 90.1, "runs": [80.0, 90.1]},
    "two_workers_per_s": {"median": 79.7, "min": 79.7, "max": 79.7, "runs": [79.7]},
    "two_vs_one": 0.94, "ingested_per_worker_two": [[264, 336]],
}


@pytest.mark.parametrize("bench", [b for b in run.BENCHMARKS if (BENCH / b.script).exists()], ids=lambda b: b.name)
def test_run_py_argument_lists_parse(bench: run.Benchmark) -> None:
    module = importlib.import_module(bench.script.removesuffix(".py"))
    if not hasattr(module, "arguments"):
        pytest.skip(f"{bench.script} builds its parser inside main()")
    for args in (bench.full, bench.quick):
        parsed = module.arguments().parse_args([*args, "--out", "x.json"])
        assert parsed.out == Path("x.json")


def test_unknown_benchmark_is_refused() -> None:
    with pytest.raises(SystemExit, match="unknown benchmark"):
        run.selected("latency,nonsense")
    assert [b.name for b in run.selected("scaling, latency")] == ["scaling", "latency"]


def test_doc_section_comes_from_results_files(tmp_path: Path) -> None:
    (tmp_path / "latency.json").write_text(json.dumps(LATENCY))
    (tmp_path / "scaling.json").write_text(json.dumps(SCALING))
    text = render.render(tmp_path)
    assert "**210.7 ms** (n=120)" in text and "p99 5.84 × raw" in text
    assert "news.articles is not in streams/topics.INPUTS yet" in text
    assert "**0.94 × 1 worker**" in text and "84.7 (range 80.0–90.1, 2 runs)" in text
    assert "1.50/1.00/0.50 before" in text
    assert "Not measured yet (no `bench/results/memory.json`)" in text


def test_update_doc_replaces_only_the_marked_section(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nhand-written intro\n")
    render.update_doc(doc, "first table")
    render.update_doc(doc, "second table")
    text = doc.read_text()
    assert text.count(render.BEGIN) == 1 and text.count(render.END) == 1
    assert "second table" in text and "first table" not in text
    assert text.startswith("# Benchmarks\n\nhand-written intro\n")
    doc.write_text(text + "\n## Later section\n\nkept\n")
    render.update_doc(doc, "third table")
    assert doc.read_text().endswith("## Later section\n\nkept\n") and "third table" in doc.read_text()


def test_a_results_file_of_another_shape_is_reported_not_guessed(tmp_path: Path) -> None:
    (tmp_path / "scaling.json").write_text(json.dumps({"command": "python bench/scaling.py", "per_s": 3}))
    assert "results file not understood" in render.render(tmp_path, ["scaling"])


def test_quick_run_of_a_cheap_benchmark_writes_its_results(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    done = subprocess.run([sys.executable, str(BENCH / "run.py"), "--quick", "--only", "llm_faults",
                           "--results", str(tmp_path), "--doc", str(doc)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    results = json.loads((tmp_path / "llm_faults.json").read_text())
    assert results["rounds"] and results["alerts"] > 0
    assert not doc.exists()  # quick figures never reach the doc


def test_percentiles_are_nearest_rank() -> None:
    import harness

    samples = [float(n) for n in range(120, 0, -1)]
    assert harness.percentile(samples, 50) == 60 and harness.percentile(samples, 99) == 119
    assert harness.percentile(samples, 100) == 120 and harness.percentile([7.0], 99) == 7.0
    assert harness.summary([0.1, 0.2])["p99_ms"] == 200.0


def test_synthetic_names_are_unique_and_digit_free() -> None:
    import corpus

    names = [corpus.names(n) for n in range(5000)]
    assert len(set(names)) == 5000
    assert not any(ch.isdigit() for en, zh in names for ch in en + zh)


def test_every_timed_latency_release_yields_exactly_one_alert(tmp_path: Path) -> None:
    """The latency benchmark's premise: after a company's first quarter, each release alerts once."""
    import asyncio

    import corpus

    from agents.analysis import AnalysisStage
    from agents.deltas import DeltaEngine
    from agents.rules import RuleSet
    from schemas.company import Registry
    from schemas.release import parse_release

    registry_file = tmp_path / "companies.toml"
    registry_file.write_text(corpus.registry_toml(2), encoding="utf-8")
    registry = Registry.load(registry_file)
    stage, table = AnalysisStage(DeltaEngine(), RuleSet.load(None)), {}

    async def alerts_per_release() -> list[int]:
        counts = []
        for quarter in range(6):
            for company in range(2):
                body = corpus.release(company, quarter, capex=corpus.alerting_capex(quarter))
                release = parse_release(json.dumps(body).encode(), registry, max_bytes=262_144)
                counts.append(len((await stage.process(release, table)).alerts))
        return counts

    assert asyncio.run(alerts_per_release()) == [0, 0] + [1] * 10
