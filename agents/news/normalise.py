"""Folding an article's text into one matching form, with exact offsets back to the original.

The folded text is what tagging, relevance and extraction read: traditional characters as
simplified (OpenCC t2s), full-width digits, letters and punctuation as half-width, Latin
lower-cased, whitespace runs as one space (one line break if
the run holds one), and Chinese numerals in a numeric context as
Arabic digits (三千八百亿 -> 3800亿). Evidence must quote the original, so every folded span
maps back: :meth:`Folded.original_span`.

Usage::

    folded = fold("阿里雲營收同比增長３４％")
    folded.text                       # '阿里云营收同比增长34%'
    folded.original_span(9, 12)       # (9, 12): '３４％' in the original
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

import opencc

from agents.news.numerals import numeral_spans

# Full-width ASCII forms (U+FF01..FF5E) sit at a fixed distance from ASCII; the ideographic
# space is a space. Upper-case Latin (both widths) folds to lower case in the same table.
_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_WIDTH[0x3000] = 0x20
for _cp in range(ord("A"), ord("Z") + 1):
    _WIDTH[_cp] = _cp + 32
    _WIDTH[_cp + 0xFEE0] = _cp + 32
_WIDTH_TABLE = str.maketrans({k: chr(v) for k, v in _WIDTH.items()})
_SPACE_RUN = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")  # any script's letters (CJK included), not digits
_CJK = re.compile(r"[\u4e00-\u9fff]")
# Split points for chunked conversion: OpenCC converts phrases, so chunks end at punctuation.
_CHUNK = re.compile(r"[^，。！？；：、,.!?;:\s]+|[，。！？；：、,.!?;:\s]+")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _t2s_chars() -> dict[str, str]:
    """OpenCC's t2s of each CJK character on its own (no phrase rules): the changed ones."""
    chars = [chr(cp) for cp in range(0x4E00, 0xA000)]
    converted = _converter().convert("\n".join(chars)).split("\n")
    return {a: b for a, b in zip(chars, converted, strict=True) if a != b and len(b) == 1}


@lru_cache(maxsize=1)
def _traditional_only() -> re.Pattern[str]:
    return re.compile("[" + "".join(sorted(_t2s_chars())) + "]")


def spellings(term: str) -> set[str]:
    """Every way ``term`` (simplified) can be written in traditional characters, in any mix:
    lets a cheap gate search raw text for what the folded text would match."""
    inverse: dict[str, list[str]] = {}
    for traditional, simplified in _t2s_chars().items():
        inverse.setdefault(simplified, []).append(traditional)
    forms = [""]
    for char in term:
        forms = [form + option for form in forms for option in (char, *inverse.get(char, ()))]
    return set(forms)


def _simplify(text: str) -> str:
    """t2s that keeps the length: OpenCC maps nearly everything one-to-one, but a phrase rule
    could change a length, so a chunk whose length changes is converted character by character."""
    converter = _converter()
    converted = converter.convert(text)
    if len(converted) == len(text):
        return converted
    parts = []
    for chunk in _CHUNK.findall(text):
        out = converter.convert(chunk)
        if len(out) != len(chunk):
            out = "".join(c if len(c2 := converter.convert(c)) != 1 else c2 for c in chunk)
        parts.append(out)
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Folded:
    """The folded text and the piecewise map back to the original.

    ``_folded_starts[i]``/``_original_starts[i]``/``_lengths[i]`` describe segment i: either
    copied one-to-one (``_copied[i]``) or replaced as a whole (whitespace run, numeral).
    """

    text: str
    original: str
    _folded_starts: tuple[int, ...]
    _original_starts: tuple[int, ...]
    _original_lengths: tuple[int, ...]
    _copied: tuple[bool, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original span covering folded ``text[start:end]`` (replaced segments whole)."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span ({start}, {end}) is outside the folded text (length {len(self.text)})")
        if start == end:
            return self._map(start, left=True), self._map(start, left=True)
        return self._map(start, left=True), self._map(end, left=False)

    def _map(self, position: int, *, left: bool) -> int:
        if not self._folded_starts:
            return 0
        # Segment holding folded position (for the end, the segment holding position - 1).
        probe = position if left else position - 1
        index = bisect.bisect_right(self._folded_starts, probe) - 1
        index = max(index, 0)
        seg_start, orig_start = self._folded_starts[index], self._original_starts[index]
        if self._copied[index]:
            return orig_start + (position - seg_start)
        return orig_start if left else orig_start + self._original_lengths[index]


def fold(text: str) -> Folded:
    """Fold ``text`` for matching; see the module docstring for what changes."""
    same_length = _simplify(text).translate(_WIDTH_TABLE)
    edits = _edits(same_length)
    folded_parts: list[str] = []
    f_starts: list[int] = []
    o_starts: list[int] = []
    o_lengths: list[int] = []
    copied: list[bool] = []
    position = 0
    folded_length = 0

    def add(orig_start: int, orig_end: int, replacement: str | None) -> None:
        nonlocal folded_length
        piece = same_length[orig_start:orig_end] if replacement is None else replacement
        if not piece and replacement is None:
            return
        f_starts.append(folded_length)
        o_starts.append(orig_start)
        o_lengths.append(orig_end - orig_start)
        copied.append(replacement is None)
        folded_parts.append(piece)
        folded_length += len(piece)

    for start, end, replacement in edits:
        add(position, start, None)
        add(start, end, replacement)
        position = end
    add(position, len(same_length), None)
    return Folded(
        text="".join(folded_parts),
        original=text,
        _folded_starts=tuple(f_starts),
        _original_starts=tuple(o_starts),
        _original_lengths=tuple(o_lengths),
        _copied=tuple(copied),
    )


def _edits(text: str) -> list[tuple[int, int, str]]:
    """Length-changing replacements, sorted and non-overlapping."""
    # A run holding a line break stays a line break: it ends the title and paragraphs,
    # which the extractor reads as sentence ends.
    edits = [
        (m.start(), m.end(), "\n" if "\n" in m.group() else " ")
        for m in _SPACE_RUN.finditer(text)
        if m.group() not in (" ", "\n")
    ]
    if _CJK.search(text):
        edits.extend(numeral_spans(text))
        edits.sort()
    return edits


def detect_language(text: str) -> str:
    """'en' when CJK characters are rare, else 'zh-Hant' when enough of them are traditional."""
    sample = text[:1500]  # the title and lead say which script an article is in
    cjk = len(_CJK.findall(sample))
    letters = len(_LETTER.findall(sample))
    if not cjk or cjk < 0.2 * max(letters, 1):
        return "en"
    # Simplified text has no character that t2s changes; traditional text has roughly one in
    # six or more. A few stray traditional forms (names, quotes) stay simplified.
    changed = len(_traditional_only().findall(sample))
    return "zh-Hant" if changed >= max(2, 0.04 * cjk) else "zh-Hans"
