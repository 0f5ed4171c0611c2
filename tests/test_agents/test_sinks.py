"""agents.sinks: JSONL files that de-duplicate by id across reopen and survive a torn last line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.sinks import JsonlSink


def lines(path: Path) -> list[str]:
    return path.read_text("utf-8").split("\n")


def test_write_once_per_id(tmp_path: Path):
    path = tmp_path / "out" / "alerts.jsonl"  # parent created on open
    sink = JsonlSink(path, id_field="alert_id")
    assert sink.write({"alert_id": "a", "text_zh": "阿里云收入398.24亿元"}) is True
    assert sink.write({"alert_id": "a", "text_zh": "different"}) is False
    assert sink.write({"alert_id": "b"}) is True
    sink.close()
    assert lines(path) == ['{"alert_id":"a","text_zh":"阿里云收入398.24亿元"}', '{"alert_id":"b"}', ""]
    assert "a" in sink and "c" not in sink


def test_deferred_sync_is_one_fsync_for_many_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A release's delta lines share one fsync, and nothing is left unsynced after sync()."""
    from agents import sinks

    synced: list[int] = []
    monkeypatch.setattr(sinks.os, "fsync", lambda fd: synced.append(fd))
    path = tmp_path / "deltas.jsonl"
    sink = JsonlSink(path, id_field="delta_id")
    for n in range(3):
        assert sink.write({"delta_id": f"d{n}"}, sync=False) is True
    assert synced == []
    sink.sync()
    sink.sync()  # nothing new written: no second fsync
    assert len(synced) == 1
    assert path.read_text("utf-8") == '{"delta_id":"d0"}\n{"delta_id":"d1"}\n{"delta_id":"d2"}\n'
    assert sink.write({"delta_id": "d1"}, sync=False) is False  # still de-duplicated
    sink.write({"delta_id": "d3"})  # the default syncs at once
    assert len(synced) == 2
    sink.close()


def test_dedup_across_reopen(tmp_path: Path):
    path = tmp_path / "deltas.jsonl"
    first = JsonlSink(path, id_field="delta_id")
    first.write({"delta_id": "d1", "v": 1})
    first.write({"delta_id": "d2", "v": 2})
    first.close()

    second = JsonlSink(path, id_field="delta_id")
    assert "d1" in second and "d2" in second
    assert second.write({"delta_id": "d1", "v": 1}) is False
    assert second.write({"delta_id": "d3", "v": 3}) is True
    second.close()
    assert [json.loads(x)["delta_id"] for x in lines(path) if x] == ["d1", "d2", "d3"]


def test_ids_are_per_field(tmp_path: Path):
    path = tmp_path / "x.jsonl"
    JsonlSink(path, id_field="alert_id").write({"alert_id": "a", "delta_id": "z"})
    other = JsonlSink(path, id_field="delta_id")
    assert "z" in other and "a" not in other


def test_torn_last_line_is_ignored_and_not_glued(tmp_path: Path):
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"alert_id":"a"}\n\n{"alert_id":"b","text":"cut', "utf-8")
    sink = JsonlSink(path, id_field="alert_id")
    assert "a" in sink and "b" not in sink
    assert sink.write({"alert_id": "b", "text": "whole"}) is True  # the torn record is re-sent
    sink.close()
    assert lines(path) == ['{"alert_id":"a"}', "", '{"alert_id":"b","text":"cut', '{"alert_id":"b","text":"whole"}', ""]

    reopened = JsonlSink(path, id_field="alert_id")
    assert "a" in reopened and "b" in reopened
    assert reopened.write({"alert_id": "b"}) is False
    reopened.close()
    assert path.read_text("utf-8").endswith('{"alert_id":"b","text":"whole"}\n')


def test_complete_last_record_without_newline_counts(tmp_path: Path):
    path = tmp_path / "alerts.jsonl"
    path.write_text('{"alert_id":"a"}', "utf-8")
    sink = JsonlSink(path, id_field="alert_id")
    assert "a" in sink
    sink.write({"alert_id": "b"})
    sink.close()
    assert lines(path) == ['{"alert_id":"a"}', '{"alert_id":"b"}', ""]


@pytest.mark.parametrize("junk", ["[1, 2]", "42", '"alert_id"', '{"other": 1}'])
def test_lines_without_an_id_are_skipped(tmp_path: Path, junk: str):
    path = tmp_path / "alerts.jsonl"
    path.write_text(f'{junk}\n{{"alert_id":"a"}}\n', "utf-8")
    sink = JsonlSink(path, id_field="alert_id")
    assert "a" in sink
    assert sink.write({"alert_id": "a"}) is False
    sink.close()


def test_torn_last_line_inside_a_chinese_character(tmp_path: Path):
    path = tmp_path / "alerts.jsonl"
    torn = '{"alert_id":"b","text_zh":"阿里'.encode()[:-1]  # cut inside 里 (3 bytes)
    path.write_bytes(b'{"alert_id":"a"}\n' + torn)
    sink = JsonlSink(path, id_field="alert_id")
    assert "a" in sink and "b" not in sink
    assert sink.write({"alert_id": "b", "text_zh": "阿里"}) is True
    sink.close()
    assert path.read_bytes().endswith('\n{"alert_id":"b","text_zh":"阿里"}\n'.encode())


async def test_redelivered_release_writes_no_second_alert_or_delta(tmp_path: Path):
    from agents.analysis import AnalysisStage
    from agents.deltas import DeltaEngine
    from agents.rules import RuleSet

    from .builders import bundled_releases

    stage = AnalysisStage(DeltaEngine(), RuleSet.load(None))
    store: dict = {}
    alerts = JsonlSink(tmp_path / "alerts.jsonl", id_field="alert_id")
    deltas = JsonlSink(tmp_path / "deltas.jsonl", id_field="delta_id")
    releases = bundled_releases("alibaba.jsonl")
    written = []
    for r in [*releases, releases[-1], releases[-2]]:  # the last two redelivered
        result = await stage.process(r, store)
        written.append((sum(alerts.write(a.model_dump(mode="json")) for a in result.alerts),
                        sum(deltas.write(d.model_dump(mode="json")) for d in result.deltas)))
    alerts.close()
    deltas.close()
    # FY2025Q2 (index 3) also recomputes FY2024Q3: its comparative fills 2023-09-30, FY2024Q3's prior quarter.
    assert written == [(0, 2), (0, 2), (0, 2), (1, 3), (1, 1), (1, 2), (1, 4), (1, 4), (0, 0), (0, 0)]
    assert len(lines(tmp_path / "alerts.jsonl")) == 5 + 1
    assert len(lines(tmp_path / "deltas.jsonl")) == 20 + 1


async def test_deferred_lines_are_visible_at_once_and_durable_at_the_barrier(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch):
    """Readers (a tail -f, the latency benchmark) see a line when it is written; the fsync waits
    for the commit barrier, once for everything since the last commit."""
    from agents import sinks

    synced: list[int] = []
    monkeypatch.setattr(sinks.os, "fsync", lambda fd: synced.append(fd))
    path = tmp_path / "alerts.jsonl"
    sink = JsonlSink(path, id_field="alert_id")
    sink.write({"alert_id": "a"}, sync=False)
    sink.write({"alert_id": "b"}, sync=False)
    assert path.read_text("utf-8") == '{"alert_id":"a"}\n{"alert_id":"b"}\n' and synced == []
    await sink.barrier()
    await sink.barrier()
    assert len(synced) == 1
    sink.close()


async def test_write_json_makes_the_same_lines_as_write(tmp_path: Path):
    """The pipeline hands the sinks pydantic's JSON (made once for the recorded outputs); the
    files must not change because of it: same bytes as ``write`` of ``model_dump(mode="json")``."""
    from agents.analysis import AnalysisStage
    from agents.deltas import DeltaEngine
    from agents.rules import RuleSet
    from schemas.company import Registry
    from schemas.release import parse_release
    from streams.demo import bundled_releases

    registry, stage, store = Registry.load(None), AnalysisStage(DeltaEngine(), RuleSet.load(None)), {}
    records = []
    for line in bundled_releases():
        result = await stage.process(parse_release(line, registry, max_bytes=1 << 20), store)
        records += [*result.deltas, *result.alerts]
    odd = 'q"uote\\back\nline\ttab\x01\x7f\u2028 阿里云 ✓'
    records.append(records[-1].model_copy(update={"release_id": odd, "alert_id": "odd"}))
    assert len(records) > 50
    by_dict, by_json = JsonlSink(tmp_path / "a.jsonl", id_field="id"), JsonlSink(tmp_path / "b.jsonl", id_field="id")
    for n, record in enumerate(records):
        by_dict.write({"id": f"r{n}", **record.model_dump(mode="json")}, sync=False)
        text = record.model_dump_json()
        by_json.write_json(f"r{n}", '{"id":"' + f"r{n}" + '",' + text[1:])
        assert by_json.write_json(f"r{n}", text) is False  # de-duplicated like write
    by_dict.close()
    by_json.close()
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
