"""Chinese numerals that are numbers in context ("三千八百亿元", "百分之三十四", "未来三年").

Only runs in a numeric context are converted: followed by a scale, currency, percent sign or
a counting word (年, 个百分点), or preceded by 百分之. A numeral inside a word (统一, 一体化,
十分) or an ordinal (第三季度, 三季度) is left alone: the period parser reads ordinals itself.
The text is already folded to simplified characters when this runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import cn2an

_NUMERAL = "零〇一二两三四五六七八九十百千"
_RUN = re.compile(
    rf"(?P<pct>百分之)?(?P<num>[{_NUMERAL}]+(?:点[{_NUMERAL}]+)?)"
    r"(?P<after>万亿|亿|万|元|美元|港元|%|个百分点|个季度|季度|年|倍|家|座|个)?"
)
# Characters before a numeral that make it part of a word or an ordinal (第三, 周一, 星期一), or
# an approximate count that is not a figure (数十亿: "several billion", 几百万).
_WORD_BEFORE = frozenset("第周期礼数几")


def numeral_spans(text: str) -> Iterator[tuple[int, int, str]]:
    """Yield (start, end, replacement) for every numeral that is a number in context.

    The span covers the numeral (and 百分之); the scale or counting word after it is kept.
    """
    for match in _RUN.finditer(text):
        after, pct = match.group("after"), match.group("pct")
        if not pct and (after is None or after == "季度"):
            continue
        start = match.start()
        if start > 0 and text[start - 1] in _WORD_BEFORE:
            continue
        value = _digits(match.group("num"))
        if value is None:
            continue
        yield start, match.end("num"), f"{value}%" if pct else value


@lru_cache(maxsize=4096)
def _digits(numeral: str) -> str | None:
    """Arabic digits for a numeral run, or None when it is not a well-formed number.

    Cached: cn2an is slow and news repeats the same few numerals (三年, 三千八百).
    """
    try:
        # "normal" mode accepts 两 and 〇 and rejects malformed runs such as 十十.
        value = cn2an.cn2an(numeral, "normal")
    except (ValueError, KeyError):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)
