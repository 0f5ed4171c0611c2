"""agents.outputs: a release analysed again emits its first outputs, whatever history holds now."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from agents.analysis import AnalysisStage
from agents.deltas import DeltaEngine
from agents.outputs import RE_EMITTED, Staged, analyse_once, outputs_key
from agents.rules import RuleSet
from schemas.company import Registry
from schemas.release import parse_release
from streams.changelog import DELETE
from streams.demo import bundled_releases

MAX_BYTES = 262144


def stage() -> AnalysisStage:
    return AnalysisStage(DeltaEngine(), RuleSet.load(None))


def bundled() -> list[tuple[bytes, Any]]:
    registry = Registry.load(None)
    return [(line, parse_release(line, registry, max_bytes=MAX_BYTES)) for line in bundled_releases()]


def dumped(result) -> tuple[list[str], list[str]]:
    return [d.model_dump_json() for d in result.deltas], [a.model_dump_json() for a in result.alerts]


class OrderedStore(dict):
    """A dict that remembers the order of writes (what reaches the changelog, in order)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.written: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.written.append(key)
        super().__setitem__(key, value)


async def test_first_analysis_is_unchanged_and_recorded() -> None:
    plain, recorded = stage(), stage()
    plain_store: dict[str, Any] = {}
    store: dict[str, Any] = {}
    for raw, release in bundled():
        expected = await plain.process(release, plain_store)
        got = await analyse_once(recorded, release, raw, store)
        assert dumped(got) == dumped(expected)
        assert got.status == expected.status
        assert outputs_key(release.company_id, raw) in store
    # The table holds the history as before, plus one record per release.
    assert {k: v for k, v in store.items() if "|@outputs|" not in k} == plain_store


async def test_release_analysed_again_after_later_ones_re_emits_its_first_outputs() -> None:
    # BABA FY2024Q3 analysed again once the later quarters are in history: recomputed, it
    # gives a different delta (the later restated comparatives change its YoY basis).
    releases = bundled()
    s, store = stage(), {}
    first = {}
    for raw, release in releases:
        first[release.release_id] = await analyse_once(s, release, raw, store)
    raw, release = next(r for r in releases if r[1].release_id == "BABA-FY2024Q3-results")
    recomputed = await s.process(release, copy.deepcopy(store))
    assert dumped(recomputed) != dumped(first[release.release_id])  # the hazard is real

    history_before = copy.deepcopy(store)
    again = await analyse_once(s, release, raw, store)
    assert again.status == RE_EMITTED
    assert dumped(again) == dumped(first[release.release_id])
    assert store == history_before  # nothing changed: already applied


async def test_every_release_again_in_any_order_changes_nothing_emitted() -> None:
    releases = bundled()
    s, store = stage(), {}
    first = [dumped(await analyse_once(s, release, raw, store)) for raw, release in releases]
    snapshot = copy.deepcopy(store)
    for index in reversed(range(len(releases))):
        raw, release = releases[index]
        assert dumped(await analyse_once(s, release, raw, store)) == first[index]
    assert store == snapshot


async def test_record_is_written_before_the_history() -> None:
    raw, release = bundled()[0]
    store = OrderedStore()
    await analyse_once(stage(), release, raw, store)
    assert store.written[0] == outputs_key(release.company_id, raw)
    assert len(store.written) > 1


@pytest.mark.parametrize("index", [9, 17, 29])  # BABA FY2024Q3, BABA FY2025Q2 (comparatives), the last
async def test_crash_after_the_record_before_the_history_catches_history_up(index: int) -> None:
    releases = bundled()
    s, store = stage(), {}
    for raw, release in releases[:index]:
        await analyse_once(s, release, raw, store)
    before = copy.deepcopy(store)
    raw, release = releases[index]
    first = await analyse_once(s, release, raw, store)
    complete = copy.deepcopy(store)

    # Only the record reached the changelog before the crash.
    key = outputs_key(release.company_id, raw)
    crashed = {**before, key: complete[key]}
    again = await analyse_once(s, release, raw, crashed)
    assert dumped(again) == dumped(first)
    assert crashed == complete


def test_staged_reads_through_and_drains_its_writes_in_order() -> None:
    store = OrderedStore({"a": 1, "b": 2})
    staged = Staged(store)
    staged["c"] = 3
    staged["a"] = 10
    del staged["b"]
    assert staged["a"] == 10 and staged.get("b") is None and staged.get("z", 0) == 0
    with pytest.raises(KeyError):
        staged["b"]
    assert sorted(staged) == ["a", "c"] and len(staged) == 2
    assert store == {"a": 1, "b": 2} and store.written == []  # nothing written yet
    assert staged.drain() == [("c", 3), ("a", 10), ("b", DELETE)]
    assert staged.writes == {}
    assert store == {"a": 1, "b": 2}  # draining hands the writes over; the store is the writer's


async def test_writes_of_one_release_go_out_as_one_ordered_batch() -> None:
    raw, release = bundled()[0]
    plain: dict[str, Any] = {}
    first = await analyse_once(stage(), release, raw, plain)
    batches: list[list[tuple[str, Any]]] = []

    async def write(items: list[tuple[str, Any]]) -> None:
        batches.append(items)

    store: dict[str, Any] = {}
    batched = await analyse_once(stage(), release, raw, store, write)
    assert dumped(batched) == dumped(first)
    assert store == {}  # everything went through the writer, nothing around it
    assert len(batches) == 1
    keys = [key for key, _ in batches[0]]
    assert keys[0] == outputs_key(release.company_id, raw)  # the record before the history
    assert dict(batches[0]) == plain
