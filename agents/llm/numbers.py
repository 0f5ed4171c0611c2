"""Every number a piece of financial prose states, with its unit, scale, sign and hedge.

The grounding check reads LLM output with this; nothing may slip past it, so it errs on the
side of finding too much: a number it cannot classify is still reported (kind ``plain``).

Handles Arabic and Chinese numerals (三十四点五, 两个百分点, 百分之二十六, 三成), full-width
forms, 亿/億/万/萬/万亿, bn/billion/million/m, RMB/US$/HK$/元/美元/港元, %, pp/个百分点/bps,
direction words (增长/下降/提升/回落, up/down/rose/fell) and hedges (约/近/超过, about/nearly/over).

Usage::

    for m in mentions("云智能集团收入398.24亿元，同比增长34.5%"):
        print(m.kind, m.value, m.direction)       # money 39824000000 0 / pct 34.5 1
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

import cn2an

Kind = Literal["money", "pct", "pp", "multiple", "plain"]
Hedge = Literal["about", "over", "under"] | None

SCALES: dict[str, Decimal] = {
    "万亿": Decimal("1e12"), "萬億": Decimal("1e12"), "亿": Decimal("1e8"), "億": Decimal("1e8"),
    "万": Decimal("1e4"), "萬": Decimal("1e4"), "千": Decimal("1e3"),
    "trillion": Decimal("1e12"), "tn": Decimal("1e12"), "billion": Decimal("1e9"), "bn": Decimal("1e9"),
    "b": Decimal("1e9"), "million": Decimal("1e6"), "mn": Decimal("1e6"), "m": Decimal("1e6"),
}
CURRENCY_BEFORE = {"rmb": "CNY", "cny": "CNY", "¥": "CNY", "￥": "CNY", "us$": "USD", "usd": "USD", "$": "USD",
                   "hk$": "HKD", "hkd": "HKD"}
CURRENCY_AFTER = {"美元": "USD", "港元": "HKD", "港币": "HKD", "人民币": "CNY", "元": "CNY", "yuan": "CNY",
                  "dollars": "USD", "rmb": "CNY", "usd": "USD"}

UP_ZH = ("增长", "增加", "上升", "提升", "提高", "加快", "上涨", "扩大", "增至", "多出", "攀升", "跃升", "增")
DOWN_ZH = ("下降", "减少", "下滑", "回落", "放缓", "下跌", "收窄", "缩小", "降低", "减", "降", "跌")
UP_EN = ("up", "rose", "rise", "rises", "rising", "increase", "increased", "increases", "grew", "grow", "grows",
         "gain", "gained", "higher", "accelerated", "accelerates", "accelerating", "jumped", "climbed", "expanded",
         "improved", "widened", "added")
DOWN_EN = ("down", "fell", "fall", "falls", "declined", "decline", "declines", "decreased", "decrease", "dropped",
           "drop", "lower", "slowed", "slows", "slowing", "contracted", "shrank", "narrowed", "eased", "cut")
LEVEL_MARKERS_ZH = ("至", "到", "为", "達", "达")
LEVEL_MARKERS_EN = ("to", "at", "of", "was", "is", "reached")
HEDGE_ABOUT = ("约", "約", "大约", "大約", "左右", "about", "approximately", "around", "roughly", "some", "~")
HEDGE_OVER = ("超过", "超過", "逾", "超", "多于", "over", "more than", "above", "exceeding", "in excess of")
HEDGE_UNDER = ("近", "接近", "将近", "不到", "nearly", "almost", "close to", "just under", "under", "below")

# 万/亿 are left out of runs on purpose: "三千八百亿" becomes "3800亿", keeping the scale word
# (and so the printed precision) for the amount parser.
_CN_DIGITS = "零〇一二两兩三四五六七八九十百千点點"
_CN_RUN = re.compile(
    rf"(百分之)([{_CN_DIGITS}]+)|()([{_CN_DIGITS}]+)(?=(个百分点|個百分點|%|％|成|倍|个季度|個季度|年|亿|億|万|萬|元|美元|港元))"
)
_NUMBER = re.compile(
    r"(?P<sign>[+\-−–])?\s*(?P<cur>US\$|HK\$|RMB|CNY|USD|HKD|\$|¥|￥)?\s*(?P<sign2>[+\-−])?\s*"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<gap>\s*)(?P<unit>万亿|萬億|亿|億|万|萬|trillion|billion|million|tn\b|bn\b|mn\b|b\b|m\b|千)?"
    r"\s*(?P<cur2>美元|港元|港币|人民币|元|yuan|dollars|RMB|USD)?"
    r"\s*(?P<measure>个百分点|個百分點|percentage points?|pct pts?|pp|ppt|基点|bps|basis points|%|％|percent|per cent|成|倍|x\b|times)?",
    re.IGNORECASE,
)
# Period expressions are identified first and checked separately (they are labels, not figures).
PERIOD_PATTERNS = (
    re.compile(r"FY\s?(\d{4})\s?Q([1-4])", re.IGNORECASE),
    re.compile(r"(\d{4})-(\d{2})-(\d{2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"),
    re.compile(r"(\d{4})年(\d{1,2})月"),
    re.compile(r"(\d{4})\s?(?:年)?\s?Q([1-4])", re.IGNORECASE),
    re.compile(r"Q([1-4])\s?(\d{4})", re.IGNORECASE),
    re.compile(r"(\d{4})(?:财年|財年|年度|财政年度|年)"),
    re.compile(r"(?:fiscal|calendar)\s(?:year\s)?(\d{4})", re.IGNORECASE),
    re.compile(r"第?([1-4一二三四])(?:财季|財季|季度|季)"),
    re.compile(r"\bQ([1-4])\b", re.IGNORECASE),
    re.compile(r"\b(?:first|second|third|fourth)\squarter\b", re.IGNORECASE),
)
_WORD_NUMBERS = re.compile(
    r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|"
    r"thousand|double[ds]?|tripled?|triples|quadrupled?|halved|twofold|threefold|fourfold|half)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Mention:
    """One stated number."""

    kind: Kind
    value: Decimal  # money in base units; pct and pp in points; plain as written
    text: str
    start: int
    end: int
    tolerance: Decimal  # half a unit of the last printed digit, in the same units as value
    currency: str | None = None
    direction: int = 0  # +1 up, -1 down, 0 not stated; an explicit sign counts
    explicit_sign: bool = False
    hedge: Hedge = None


@dataclass(frozen=True, slots=True)
class PeriodMention:
    text: str
    start: int
    end: int


def normalise(text: str) -> str:
    """Full-width to half-width, and Chinese numerals before a measure word to Arabic ones.

    Replacements keep Chinese text otherwise intact; offsets in the result are what mentions
    refer to.
    """
    text = unicodedata.normalize("NFKC", text)
    return _CN_RUN.sub(_cn_replace, text)


def _cn_replace(match: re.Match[str]) -> str:
    percent, run = match.group(1), match.group(2) or match.group(4)
    try:
        number = cn2an.cn2an(run.replace("點", "点").replace("兩", "两").replace("萬", "万").replace("億", "亿"), "smart")
    except ValueError:  # not a number after all ("万一"): leave the text as it is
        return match.group(0)
    text = _format(Decimal(str(number)))
    return f"{text}%" if percent else text


def _format(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


def periods(text: str) -> list[PeriodMention]:
    found: list[PeriodMention] = []
    taken: list[tuple[int, int]] = []
    for pattern in PERIOD_PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            found.append(PeriodMention(m.group(0), m.start(), m.end()))
    return sorted(found, key=lambda p: p.start)


def word_numbers(text: str) -> list[tuple[str, int]]:
    """Spelled-out English numbers and multipliers ("three-year", "doubled"): never grounded."""
    return [(m.group(0), m.start()) for m in _WORD_NUMBERS.finditer(text)]


def mentions(raw: str, *, skip: tuple[str, ...] = ()) -> list[Mention]:
    """Every number in ``raw`` that is not part of a period label or a ``skip`` token."""
    text = normalise(raw)
    masked = text
    for token in skip:
        if token:
            masked = masked.replace(token, " " * len(token))
    for p in periods(masked):
        masked = masked[: p.start] + " " * (p.end - p.start) + masked[p.end :]
    out: list[Mention] = []
    previous_end = 0
    for m in _NUMBER.finditer(masked):
        mention = _mention(masked, m, previous_end)
        if mention is not None:
            out.append(mention)
            previous_end = m.end()
    return out


def _mention(text: str, m: re.Match[str], previous_end: int) -> Mention | None:
    try:
        number = Decimal(m.group("num").replace(",", ""))
    except InvalidOperation:
        return None
    decimals = len(m.group("num").split(".")[1]) if "." in m.group("num") else 0
    unit = (m.group("unit") or "").lower()
    measure = (m.group("measure") or "").lower()
    cur = (m.group("cur") or "").lower()
    cur2 = (m.group("cur2") or "").lower()
    # "m"/"b" only count as scales when glued to the number or after a currency ("$3.2m").
    if unit in ("m", "b") and (m.group("gap") or not cur):
        unit = ""
    sign_text = m.group("sign") or m.group("sign2") or ""
    # A leading "-" right after a letter or digit is a hyphen ("FY-2026", "Q3-25"), not a sign.
    if m.group("sign") and m.start() > 0 and text[m.start() - 1].isascii() and text[m.start() - 1].isalnum():
        sign_text = m.group("sign2") or ""
    negative = sign_text in ("-", "−", "–")
    explicit = bool(sign_text)

    half = Decimal(5) * Decimal(10) ** (-decimals - 1)
    currency = CURRENCY_BEFORE.get(cur) or CURRENCY_AFTER.get(cur2)
    if measure in ("%", "％", "percent", "per cent"):
        kind, value, tol = "pct", number, half
    elif measure == "成":
        kind, value, tol = "pct", number * 10, Decimal(5)
    elif measure in ("个百分点", "個百分點", "pp", "ppt", "percentage point", "percentage points", "pct pt", "pct pts"):
        kind, value, tol = "pp", number, half
    elif measure in ("基点", "bps", "basis points"):
        kind, value, tol = "pp", number / 100, half / 100
    elif measure in ("倍", "x", "times"):
        kind, value, tol = "multiple", number, half
    elif unit or currency:
        scale = SCALES.get(unit, Decimal(1))
        kind, value, tol = "money", number * scale, half * scale
    else:
        kind, value, tol = "plain", number, half
    if negative:
        value = -value
    before = text[max(previous_end, m.start() - 24) : m.start()]
    after = text[m.end() : m.end() + 24]
    direction = (-1 if negative else 1) if explicit else _direction(before, after)
    return Mention(
        kind=kind,  # type: ignore[arg-type]
        value=value, text=m.group(0).strip(), start=m.start(), end=m.end(), tolerance=tol,
        currency=currency, direction=direction, explicit_sign=explicit, hedge=_hedge(before),
    )


def _direction(before: str, after: str) -> int:
    """+1/-1 from the nearest direction word before the number (or right after it in English).

    A word followed by a level marker ("增长至", "slowed to") describes a level: no direction.
    """
    lowered = before.lower()
    best, where, tail = 0, -1, ""
    for words, sign in ((UP_ZH, 1), (DOWN_ZH, -1)):
        for word in words:
            i = lowered.rfind(word)
            if i > where:
                best, where, tail = sign, i, lowered[i + len(word) :]
    for words, sign in ((UP_EN, 1), (DOWN_EN, -1)):
        for word in words:
            for hit in re.finditer(rf"\b{word}\b", lowered):
                if hit.start() > where:
                    best, where, tail = sign, hit.start(), lowered[hit.end() :]
    if where >= 0:
        stripped = tail.strip()
        if stripped.startswith(LEVEL_MARKERS_ZH) or re.match(rf"^({'|'.join(LEVEL_MARKERS_EN)})\b", stripped):
            return 0
        return best
    following = after.lower().lstrip(" yoyqoq").split()
    for word in following[:3]:
        word = word.strip(",.;:()")
        if word in ("higher", "increase", "rise", "gain", "jump", "growth"):
            return 1
        if word in ("lower", "decrease", "decline", "drop", "fall", "contraction"):
            return -1
    return 0


def _hedge(before: str) -> Hedge:
    tail = before[-16:].lower().rstrip()
    for words, hedge in ((HEDGE_OVER, "over"), (HEDGE_UNDER, "under"), (HEDGE_ABOUT, "about")):
        if any(tail.endswith(w) for w in words):
            return hedge  # type: ignore[return-value]
    return None
