"""Generated hostile payloads for both input contracts (hypothesis strategies).

Shared by the CI-sized fuzz test (tests/test_faults/test_fuzz_inputs.py), the real-broker fuzz
test and the full run (bench/faults/fuzz.py). Every strategy yields a :class:`Case`: the raw
bytes as a producer would publish them, a family name for the figures, and, when the family
guarantees it, the dead-letter reason the payload must get (``None``: either outcome is fine,
the harness still checks whichever happens).

Families, per contract: valid (bundled seeds with fuzzed amounts and ids), near_valid (a valid
seed with one field deleted, retyped or replaced by a hostile value), json (arbitrary JSON
documents with hostile leaves), invalid_utf8, deep_nesting, huge, binary, tombstone.

Non-JSON-representable leaves (NaN, Infinity, 10^5000 digits, -0, lone surrogate escapes) are
written as literal text: a placeholder string is swapped for the fragment after ``json.dumps``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from hypothesis import strategies as st

from streams.demo import bundled_releases

MAX_BYTES = 256 * 1024  # Settings().max_payload_bytes
ARTICLE_MAX_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class Case:
    family: str
    raw: bytes | None
    expect: str | None = None  # a reason from schemas.errors.REASONS, "valid", or None


class Fragment(str):
    """Literal JSON text to splice in where a value goes."""


# --- hostile leaves --------------------------------------------------------------------------

NUMBER_FRAGMENTS = [
    "0", "-0", "-0.0", "0e0", "1e308", "-1e308", "1e309", "1e-400", "2.5e-324", "NaN", "Infinity", "-Infinity",
    "9" * 4300, "9" * 4301, "1" + "0" * 5000, "-" + "9" * 5000, "0." + "3" * 5000, "1e999999999", "1E-999999999",
    str(2**63), str(-(2**63) - 1), str(2**64), "123456789012345678901234567890.123456789",
]
STRING_LEAVES = [
    "", " ", "NaN", "nan", "Infinity", "-0", "1e308", "1e999999999", "--5", "(-5)", "(1,409)", "1,2,3", "亿亿", "万亿",
    "３９８.２４亿", "\u200f398.24\u200e亿", "\u202e398.24亿", "398\u200b.24亿", "٣٩٨.٢٤", "¹²³", "Ⅻ", "\ufeff100",
    "100\u0000", "\u0000", "RMB 33,398 million", "US$30.9 billion", "$13.6bn", "-218.40亿", "1.2万亿", "HK$ 5",
    "398.24億元", "￥１００", "e\u0301", "🙂", "\U0010ffff", "a" * 64, "1" * 65, "9" * 5000, "AWS", "cloud", "revenue",
    "BABA", "阿里巴巴", "AMZN", "2025-09-30", "2025-02-30", "FY2026Q2", "FY9999Q9", "https://example.com/\u202e",
]
SURROGATE_FRAGMENTS = ['"\\ud800"', '"\\udc00x"', '"x\\udfff\\ud800"', '"\\ud83d\\ude42"', '"\\u0000"', '"\\u202e1"']
DATE_LEAVES = ["2025-09-30", "2025-02-30", "0001-01-01", "9999-12-31", "2025-9-30", "30/09/2025", "2025-09-30T00:00:00Z",
               "+275760-09-13", "2025-W40", "２０２５-０９-３０", 20250930, 1e308, -1]
DATETIME_LEAVES = ["2025-10-01T00:00:00", "2025-10-01T00:00:00Z", "2025-10-01T00:00:00+25:00", "1970-01-01T00:00:00Z",
                   "9999-12-31T23:59:59.999999-23:59", "0001-01-01T00:00:00+14:00", "now", 0, 1e308, -1e18,
                   "2025-10-01 08:00:00+08:00", "2025-10-01T00:00:00\u200fZ"]
WRONG_TYPES: list[Any] = [True, False, None, [], {}, [1, 2], {"a": 1}, [None], {"": ""}]


@cache  # built once: hypothesis re-validates a strategy built inside every draw
def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(NUMBER_FRAGMENTS).map(Fragment),
        st.sampled_from(SURROGATE_FRAGMENTS).map(Fragment),
        st.sampled_from(STRING_LEAVES),
        st.sampled_from(DATE_LEAVES),
        st.sampled_from(DATETIME_LEAVES),
        st.sampled_from(WRONG_TYPES),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=30),
        huge_strings(),
    )


@cache
def huge_strings() -> st.SearchStrategy[str]:
    # Lengths at and around the contract's limits (200, 1000, 2000, 200_000) and the payload cap.
    sizes = st.sampled_from([199, 200, 201, 999, 1000, 1001, 2000, 2001, 50_000, 200_001, MAX_BYTES])
    return st.builds(lambda n, ch: ch * n, sizes, st.sampled_from(["x", "亿", "\u200f", "9"]))


@cache
def json_values() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
        max_leaves=12,
    )


def dumps(document: Any) -> bytes:
    """JSON bytes, with every :class:`Fragment` spliced in verbatim."""
    fragments: list[str] = []

    def swap(value: Any) -> Any:
        if isinstance(value, Fragment):
            fragments.append(str(value))
            return f"\x00frag{len(fragments) - 1}\x00"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(document), ensure_ascii=False)
    for index, fragment in enumerate(fragments):
        text = text.replace(f'"\\u0000frag{index}\\u0000"', fragment, 1)
    return text.encode("utf-8", "surrogatepass")


# --- seeds ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def release_seeds() -> tuple[dict[str, Any], ...]:
    return tuple(json.loads(line) for line in bundled_releases())


ARTICLE_SEEDS: tuple[dict[str, Any], ...] = (
    {"article_id": "caixin-1", "url": "https://www.caixin.com/a/1", "source": "财新", "language": "zh-Hans",
     "published_at": "2025-08-29T09:30:00+08:00", "title": "阿里云季度收入同比增长26%",
     "body": "阿里巴巴周五公布，云智能集团收入达333.98亿元，同比增长26%。", "companies": ["BABA"]},
    {"article_id": "reuters-1", "url": "https://www.reuters.com/x", "source": "Reuters",
     "published_at": "2025-10-30T20:05:00Z", "title": "Amazon's AWS revenue rises 20% to $33.0 billion",
     "body": "Capital expenditures were $34.2 billion in the quarter."},
    {"article_id": "hket-1", "url": "https://www.hket.com/1", "source": "經濟日報", "language": "zh-Hant",
     "published_at": "2025-11-25T18:00:00+08:00", "title": "阿里雲收入增長34%", "body": ""},
)


def paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path into a JSON document (containers and leaves)."""
    out: list[tuple[Any, ...]] = []
    items = document.items() if isinstance(document, dict) else enumerate(document) if isinstance(document, list) else ()
    for key, value in items:
        out.append((*prefix, key))
        out.extend(paths(value, (*prefix, key)))
    return out


def mutate(document: Any, path: tuple[Any, ...], action: str, value: Any) -> Any:
    """A copy of ``document`` with the node at ``path`` deleted, replaced, or given an extra key."""
    copy = json.loads(json.dumps(document))
    parent = copy
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    if action == "delete":
        del parent[last]
    elif action == "extra" and isinstance(parent[last], dict):
        parent[last]["unexpected_field"] = value
    else:
        parent[last] = value
    return copy


@st.composite
def near_valid(draw: st.DrawFn, seeds: tuple[dict[str, Any], ...]) -> Case:
    seed = draw(st.sampled_from(seeds))
    path = draw(st.sampled_from(paths(seed)))
    action = draw(st.sampled_from(["replace", "replace", "delete", "extra"]))
    value = draw(scalars())
    return Case("near_valid", dumps(mutate(seed, path, action, value)))


@st.composite
def invalid_utf8(draw: st.DrawFn, seeds: tuple[dict[str, Any], ...]) -> Case:
    raw = json.dumps(draw(st.sampled_from(seeds)), ensure_ascii=False).encode()
    at = draw(st.integers(0, len(raw)))
    bad = draw(st.sampled_from([b"\xff", b"\xfe\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xe4\xb8",
                                b"\x80", b"\xf8\x88\x80\x80\x80"]))
    return Case("invalid_utf8", raw[:at] + bad + raw[at:], "invalid_utf8")


@st.composite
def deep_nesting(draw: st.DrawFn, seeds: tuple[dict[str, Any], ...]) -> Case:
    depth = draw(st.sampled_from([50, 1_000, 5_000, 30_000]))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    nested = opener * depth + "1" + closer * depth
    if draw(st.booleans()):
        return Case("deep_nesting", nested.encode(), None)
    # Inside an otherwise valid document: the nesting sits where a number or string belongs.
    seed = draw(st.sampled_from(seeds))
    path = draw(st.sampled_from(paths(seed)))
    return Case("deep_nesting", dumps(mutate(seed, path, "replace", Fragment(nested))), None)


@st.composite
def huge(draw: st.DrawFn, seeds: tuple[dict[str, Any], ...], max_bytes: int) -> Case:
    seed = draw(st.sampled_from(seeds))
    base = len(json.dumps(seed, ensure_ascii=False).encode()) + len(',"pad": ""')
    over = draw(st.sampled_from([1, 10, max_bytes]))
    padded = dict(seed, pad="x" * (max_bytes - base + over))
    return Case("huge", json.dumps(padded, ensure_ascii=False).encode(), "too_large")


def common(seeds: tuple[dict[str, Any], ...], max_bytes: int) -> list[st.SearchStrategy[Case]]:
    return [
        near_valid(seeds), near_valid(seeds), near_valid(seeds),
        json_values().map(lambda doc: Case("json", dumps(doc))),
        invalid_utf8(seeds),
        deep_nesting(seeds),
        huge(seeds, max_bytes),
        st.binary(max_size=300).map(lambda raw: Case("binary", raw)),
        st.just(Case("tombstone", None)),  # releases: schema; the news agent reads it as empty bytes
    ]


# --- valid inputs with fuzzed figures --------------------------------------------------------

@cache
def amounts() -> st.SearchStrategy[Any]:
    """Amounts a release may legitimately print: plain, scaled, accounting-negative, zero."""
    return st.one_of(
        st.integers(-(10**12), 10**12),
        st.decimals(min_value=-(10**9), max_value=10**9, places=3, allow_nan=False).map(lambda d: Fragment(str(d))),
        st.builds(lambda n, unit: f"{n}{unit}", st.integers(0, 99_999), st.sampled_from(["亿", "億", "万", " million"])),
        st.builds(lambda n: f"({n:,})", st.integers(1, 10**6)),
    )


@st.composite
def valid_release(draw: st.DrawFn) -> Case:
    seed = draw(st.sampled_from(release_seeds()[-8:]))  # the latest quarters: history exists for deltas
    document = json.loads(json.dumps(seed))
    document["release_id"] = draw(st.text(min_size=1, max_size=40))
    for line in document["metrics"]:
        line["value"] = draw(amounts())
        line.pop("scale", None) if isinstance(line["value"], str) else None
    return Case("valid", dumps(document))


@st.composite
def valid_article(draw: st.DrawFn) -> Case:
    document = dict(draw(st.sampled_from(ARTICLE_SEEDS)))
    document["article_id"] = draw(st.text(min_size=1, max_size=60))
    document["title"] = draw(st.text(min_size=1, max_size=200))
    document["body"] = draw(st.text(max_size=400))
    return Case("valid", dumps(document), "valid")


def releases(max_bytes: int = MAX_BYTES) -> st.SearchStrategy[Case]:
    return st.one_of(valid_release(), *common(release_seeds(), max_bytes))


def articles(max_bytes: int = ARTICLE_MAX_BYTES) -> st.SearchStrategy[Case]:
    return st.one_of(valid_article(), *common(ARTICLE_SEEDS, max_bytes))


def draw_cases(strategy: st.SearchStrategy[Case], count: int, *, seed: int = 0) -> list[Case]:
    """``count`` cases from ``strategy``; the same ones for the same seed (for the broker runs)."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    cases: list[Case] = []

    @fixed_seed(seed)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    return cases
