"""Story grouping: near-duplicate articles (republications, translations between zh-Hans and
zh-Hant) become one story, found with MinHash + LSH over character shingles.

Chinese has no spaces, so shingles are character n-grams of the *folded* text (traditional
already converted to simplified, full-width to half-width, Latin lower-cased): the same story in
simplified and traditional script hashes to the same shingles. LSH gives candidate stories in
time proportional to the article's length (no scan over stored stories); candidates are then
confirmed with their estimated Jaccard similarity, because LSH also returns false positives.

The grouper is an in-memory index. What must survive a restart (story ids, signatures, last
seen) is exported by :meth:`StoryGrouper.export` and re-loaded with :meth:`restore`; the
stories table (agents/news/storybook.py) is where it lives.

Stories are grouped within a *scope*, the article's subject company: an article only joins a
story about the same company. Two reasons. Templated news (automated results flashes: "X公司
营收Y亿元，同比增长Z%") is near-identical across companies, and one story must not collect
another company's figures. And a scope's articles all arrive on one partition of
``cloudpulse.news.relevant`` (keyed by subject company), in order, so grouping within a scope
does not depend on how the partitions of a worker interleave: a replay groups the same way on
every run. Before scopes, 4,000 generated articles replayed twice gave different stories and
alerts (bench/replay_bench.py's corpus, whose templated texts merged 200 companies into three
stories).

Memory is bounded by a window of event time, per scope: a story not seen for ``window`` (by
``published_at``) before the newest article of its scope leaves the index. Per scope, for the
same reason: a window measured against another partition's articles would depend on which
partition ran ahead. So the index holds, per company, the stories of the window before that
company's latest article; a company that goes quiet keeps that much until its next article.

Usage::

    grouper = StoryGrouper(threshold=0.5)
    first = grouper.assign("caixin-1", fold(article.text).text, article.published_at, scope="BABA")
    again = grouper.assign("udn-7", fold(other.text).text, other.published_at, scope="BABA")
    again.story_id == first.story_id      # when the texts are near-duplicates (same scope)
"""

from __future__ import annotations

import hashlib
import heapq
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

DEFAULT_THRESHOLD = 0.5
DEFAULT_NUM_PERM = 128
DEFAULT_SHINGLE = 3
DEFAULT_WINDOW = timedelta(days=14)
# A story is indexed under at most this many member signatures: later members that match are
# usually further copies, and each signature costs num_perm integers of memory.
MAX_SIGNATURES = 4
SCHEME = "affine32"  # datasketch's hashing scheme; stored signatures are only valid under it
# Shingle hash: CRC-32 is deterministic across processes (stored signatures must stay valid
# after a restart, so not Python's salted hash()) and ~4x cheaper than datasketch's SHA-1.
SHINGLE_HASH = zlib.crc32


def story_id_of(article_id: str) -> str:
    """Deterministic: a replay of the same articles in the same order gives the same ids."""
    return "story-" + hashlib.sha256(article_id.encode("utf-8")).hexdigest()[:16]


def shingles(folded_text: str, size: int = DEFAULT_SHINGLE) -> set[bytes]:
    """Character n-grams, whitespace dropped (word gaps are not reliable across outlets)."""
    text = "".join(folded_text.split())
    if len(text) <= size:
        return {text.encode("utf-8")} if text else set()
    return {text[i:i + size].encode("utf-8") for i in range(len(text) - size + 1)}


@dataclass(frozen=True, slots=True)
class StoryAssignment:
    story_id: str
    is_new: bool
    similarity: float  # estimated Jaccard with the matched story (1.0 for a new story: itself)


@dataclass(slots=True)
class _Story:
    scope: str
    keys: list[str] = field(default_factory=list)  # LSH keys of its indexed signatures
    last_seen: datetime | None = None


@dataclass(slots=True)
class _Scope:
    """One subject company's index: its LSH, expiry heap and newest article time."""

    lsh: MinHashLSH
    expiry: list[tuple[datetime, str]] = field(default_factory=list)  # (last_seen, story); stale entries skipped
    watermark: datetime | None = None  # newest published_at seen in this scope


class StoryGrouper:
    """MinHash-LSH index of recent stories, per scope; one per worker (rebuilt from the stories table)."""

    def __init__(self, *, threshold: float = DEFAULT_THRESHOLD, num_perm: int = DEFAULT_NUM_PERM,
                 shingle: int = DEFAULT_SHINGLE, window: timedelta = DEFAULT_WINDOW) -> None:
        self.threshold = threshold
        self.num_perm = num_perm
        self.shingle = shingle
        self.window = window
        # The band layout is solved once (datasketch integrates for it) and reused by every scope.
        template_lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        self._params = (template_lsh.b, template_lsh.r)
        self._scopes: dict[str, _Scope] = {}
        self._signatures: dict[str, MinHash] = {}
        self._stories: dict[str, _Story] = {}
        # Built once: MinHash derives its permutations from the seed on every construction.
        self._template = MinHash(num_perm=num_perm)

    def __len__(self) -> int:
        return len(self._stories)

    def __contains__(self, story_id: str) -> bool:
        return story_id in self._stories

    def _scope(self, scope: str) -> _Scope:
        found = self._scopes.get(scope)
        if found is None:
            found = self._scopes[scope] = _Scope(MinHashLSH(threshold=self.threshold, num_perm=self.num_perm,
                                                            params=self._params))
        return found

    # --- grouping ----------------------------------------------------------------------
    def signature(self, folded_text: str) -> MinHash:
        sig = MinHash(num_perm=self.num_perm, permutations=self._template.permutations, scheme=SCHEME,
                      hashfunc=SHINGLE_HASH)
        sig.update_batch(sorted(shingles(folded_text, self.shingle)))
        return sig

    def assign(self, article_id: str, folded_text: str, published_at: datetime, *, scope: str = "") -> StoryAssignment:
        """The story this article belongs to within ``scope`` (its subject company); a new story
        when nothing similar is indexed there."""
        return self.assign_signature(article_id, self.signature(folded_text), published_at, scope=scope)

    def assign_signature(self, article_id: str, sig: MinHash, published_at: datetime, *,
                         scope: str = "") -> StoryAssignment:
        self.expire(published_at, scope)
        index = self._scope(scope)
        best_story, best_similarity = None, 0.0
        # Sorted so ties break the same way on every run (LSH returns a set).
        for key in sorted(index.lsh.query(sig)):
            similarity = float(sig.jaccard(self._signatures[key]))
            story = key.split("#", 1)[0]
            if similarity > best_similarity or (similarity == best_similarity and best_story is not None
                                                and story < best_story):
                best_story, best_similarity = story, similarity
        if best_story is not None and best_similarity >= self.threshold:
            self._add(best_story, scope, sig, published_at, index=best_similarity < 1.0)
            return StoryAssignment(best_story, False, round(best_similarity, 4))
        story_id = story_id_of(article_id)
        self._add(story_id, scope, sig, published_at, index=True)
        return StoryAssignment(story_id, True, 1.0)

    def _add(self, story_id: str, scope: str, sig: MinHash, seen: datetime, *, index: bool) -> None:
        story = self._stories.get(story_id)
        if story is None:
            story = self._stories[story_id] = _Story(scope)
        elif story.scope != scope:
            # story_id_of(article id): only the same first article, redelivered under another
            # subject (a changed registry), can land here. Keep the story where it is indexed.
            scope = story.scope
        if index and len(story.keys) < MAX_SIGNATURES:
            key = f"{story_id}#{len(story.keys)}"
            self._scope(scope).lsh.insert(key, sig)
            self._signatures[key] = sig
            story.keys.append(key)
        if story.last_seen is None or seen > story.last_seen:
            story.last_seen = seen
            heapq.heappush(self._scope(scope).expiry, (seen, story_id))

    # --- memory bound ------------------------------------------------------------------
    def expire(self, now: datetime, scope: str = "") -> list[str]:
        """Drop the stories of ``scope`` last seen more than ``window`` before its newest article; their ids."""
        index = self._scope(scope)
        if index.watermark is None or now > index.watermark:
            index.watermark = now
        cutoff = index.watermark - self.window
        gone: list[str] = []
        while index.expiry and index.expiry[0][0] < cutoff:
            seen, story_id = heapq.heappop(index.expiry)
            story = self._stories.get(story_id)
            if story is None or story.last_seen != seen or story.scope != scope:
                continue  # superseded entry: the story was seen again later (or re-indexed)
            self.forget(story_id)
            gone.append(story_id)
        return gone

    def forget(self, story_id: str) -> None:
        story = self._stories.pop(story_id, None)
        if story is None:
            return
        lsh = self._scope(story.scope).lsh
        for key in story.keys:
            lsh.remove(key)
            del self._signatures[key]

    # --- state -------------------------------------------------------------------------
    def export(self, story_id: str) -> dict[str, Any]:
        """JSON-able index state of one story, for the stories table."""
        story = self._stories[story_id]
        return {
            "signatures": [self._signatures[k].hashvalues.tolist() for k in story.keys],
            "last_seen": story.last_seen.isoformat() if story.last_seen else None,
        }

    def restore(self, story_id: str, state: dict[str, Any], *, scope: str = "") -> None:
        """Re-index a story from :meth:`export` output (after a restart or rebalance)."""
        self.forget(story_id)
        seen = datetime.fromisoformat(state["last_seen"])
        index = self._scope(scope)
        story = self._stories[story_id] = _Story(scope)
        for values in state["signatures"][:MAX_SIGNATURES]:
            if len(values) != self.num_perm:
                raise ValueError(f"story {story_id}: signature has {len(values)} values, the index uses {self.num_perm}")
            sig = MinHash(num_perm=self.num_perm, hashvalues=np.asarray(values, dtype=np.uint32),
                          permutations=self._template.permutations, scheme=SCHEME, hashfunc=SHINGLE_HASH)
            key = f"{story_id}#{len(story.keys)}"
            index.lsh.insert(key, sig)
            self._signatures[key] = sig
            story.keys.append(key)
        story.last_seen = seen
        heapq.heappush(index.expiry, (seen, story_id))
        if index.watermark is None or seen > index.watermark:
            index.watermark = seen
