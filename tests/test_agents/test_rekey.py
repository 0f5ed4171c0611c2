"""agents.pipeline.rekeyed: the re-keyed payload reads back as the release ingest accepted.

A release analysed in place (streams/placement.py) is analysed as ingest read it; one that
takes the re-key hop is read again from the payload. Both must be the same release, or the
same input would give different outputs depending on the key its producer chose.
"""

from __future__ import annotations

import dataclasses

from fuzz_payloads import draw_cases, releases

from agents.ingest import IngestStage, Source
from agents.pipeline import rekeyed
from schemas.company import Registry
from schemas.release import EarningsRelease, Release, normalise
from streams.demo import bundled_releases

MAX_BYTES = 262144


def read_back(release: Release, registry: Registry) -> Release:
    key, payload = rekeyed(release)
    assert key == release.company_id.encode()
    return normalise(EarningsRelease.model_validate_json(payload), registry)


def same(a: Release, b: Release) -> bool:
    # ``raw`` is the contract as sent: the re-keyed one names the company by its registry id.
    return dataclasses.replace(a, raw=None) == dataclasses.replace(b, raw=None)


def test_bundled_and_fuzzed_releases_read_back_unchanged() -> None:
    registry = Registry.load(None)
    stage = IngestStage(registry, max_bytes=MAX_BYTES)
    lines = list(bundled_releases()) + [case.raw for case in draw_cases(releases(), 400, seed=7) if case.raw]
    accepted = [r for r in (stage.process(line, Source("t", 0, 0)) for line in lines) if isinstance(r, Release)]
    assert len(accepted) > 60  # bundled ones plus the fuzzed valid ones
    for release in accepted:
        assert same(read_back(release, registry), release), release.release_id


def test_an_alias_reads_back_as_the_registry_id() -> None:
    registry = Registry.load(None)
    (first,) = [line for line in bundled_releases() if b'"company": "BABA"' in line][:1]
    line = first.replace(b'"company": "BABA"', '"company": "阿里巴巴"'.encode())
    release = IngestStage(registry, max_bytes=MAX_BYTES).process(line, Source("t", 0, 0))
    assert isinstance(release, Release) and release.raw.company == "阿里巴巴"
    again = read_back(release, registry)
    assert again.raw.company == "BABA" and same(again, release)
