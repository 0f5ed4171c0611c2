"""Numbers with their kind, scale and currency, found in folded text.

Three kinds: ``amount`` (needs a scale word or a currency: 333.98亿, us$30.9 billion, 3800亿元),
``percent`` (34%, 34 percent) and ``points`` (8个百分点, 8 percentage points). Amount text is
handed to :func:`schemas.money.parse_amount`, so scale and currency rules live in one place.
Bounds and rounding words in front (约, 超过, nearly, more than) are kept.

Usage::

    [q.value for q in find_quantities("收入333.98亿元,同比增长34%")]
    # [Decimal('33398000000'), Decimal('34')]
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from schemas.money import AmountError, parse_amount

Kind = Literal["amount", "percent", "points"]

_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_PATTERN = re.compile(
    r"(?P<sign>[-−])?"
    r"(?P<pre>us\$|hk\$|rmb|cny|usd|人民币|\$|¥)?\s?"
    rf"(?P<num>{_NUMBER})\s?"
    r"(?:(?P<pct>%|percent(?![a-z])|per cent(?![a-z]))"
    r"|(?P<pp>个百分点|percentage points?(?![a-z])|pp(?![a-z])|ppt(?![a-z]))"
    r"|(?P<scale>万亿|千亿|百亿|十亿|亿|万|trillion(?![a-z])|billion(?![a-z])|bn(?![a-z])|million(?![a-z])"
    r"|mn(?![a-z])|tn(?![a-z]))?\s?(?P<post>美元|港元|元|人民币|rmb(?![a-z])|yuan(?![a-z])|dollars?(?![a-z])"
    r"|usd(?![a-z])|hkd(?![a-z]))?)"
)
_LEFT_CONTEXT = 14
_AT_LEAST = ("超过", "超", "逾", "至少", "不少于", "多于", "more than", "over", "at least", "upwards of", "exceed")
_AT_MOST = ("近", "接近", "不超过", "最多", "nearly", "almost", "up to", "just under", "close to")
_ROUND = ("约", "大约", "大概", "左右", "about", "around", "roughly", "approximately", "some", "an estimated")
_NEGATIVE = ("流出", "净流出", "负", "negative", "outflow")
_POST_CURRENCY = {"美元": "USD", "港元": "HKD", "元": "CNY", "人民币": "CNY", "rmb": "CNY", "yuan": "CNY",
                  "dollar": "USD", "dollars": "USD", "usd": "USD", "hkd": "HKD"}


@dataclass(frozen=True, slots=True)
class Quantity:
    start: int
    end: int
    kind: Kind
    value: Decimal
    currency: str | None = None
    approx: bool = False
    bound: Literal["at_least", "at_most"] | None = None


def find_quantities(text: str) -> Iterator[Quantity]:
    """Every amount, percentage and point change in ``text`` (folded), left to right."""
    for match in _PATTERN.finditer(text):
        kind: Kind
        if match.group("pct"):
            kind = "percent"
        elif match.group("pp"):
            kind = "points"
        elif match.group("scale") or match.group("pre") or match.group("post"):
            kind = "amount"
        else:
            continue
        start = match.start("pre") if match.group("pre") else match.start("num")
        if match.group("sign"):
            start = match.start("sign")
        if _inside_word(text, start):
            continue
        number = Decimal(match.group("num").replace(",", ""))
        currency = None
        if kind == "amount":
            try:
                amount = parse_amount(
                    f"{match.group('pre') or ''}{match.group('num')}{match.group('scale') or ''}"
                )
            except AmountError:
                continue
            number = amount.value
            currency = amount.currency or _POST_CURRENCY.get(match.group("post") or "")
        left = text[max(0, start - _LEFT_CONTEXT) : start]
        if match.group("sign") or (kind == "amount" and any(w in left[-12:] for w in _NEGATIVE)):
            number = -number
        bound, approx = _bound(left, text[match.end() : match.end() + 3])
        end = match.end() - (len(match.group()) - len(match.group().rstrip()))
        yield Quantity(start, end, kind, number, currency, approx, bound)


def _inside_word(text: str, start: int) -> bool:
    # "h20" or "b200" are product names, not numbers.
    return start > 0 and text[start - 1].isascii() and text[start - 1].isalpha() and text[start - 1] not in "$"


def _bound(left: str, right: str) -> tuple[Literal["at_least", "at_most"] | None, bool]:
    tail = left[-14:].rstrip()
    if tail.endswith(_AT_LEAST):
        return "at_least", True
    if tail.endswith(_AT_MOST):
        return "at_most", True
    if tail.endswith(_ROUND) or right.startswith(("左右", "多")):
        return None, True
    return None, False
