"""Money amounts as printed in releases and news, parsed to exact Decimals in base units.

Accepts numbers, or strings that carry their own scale and currency in Chinese or English:
``"333.98亿"``, ``"398.24億元"``, ``"RMB 33,398 million"``, ``"US$30.9 billion"``,
``"-218.40亿"``, ``"1.2万亿"``, ``"$13.6bn"``, ``"(1,409)"`` (accounting negative).

Every amount keeps its *quantum* (the value of one step in the last printed digit, in base
units), so a comparison "within rounding" knows how precise the source was.

Usage::

    amount = parse_amount("333.98亿", currency="CNY")
    amount.value      # Decimal('33398000000')
    amount.quantum    # Decimal('1000000')   (0.01 亿)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, DecimalException, InvalidOperation, localcontext
from functools import lru_cache

# Longest tokens first: the scanner takes the first that matches.
SCALE_WORDS: dict[str, Decimal] = {
    "万亿": Decimal("1e12"),
    "萬億": Decimal("1e12"),
    "千亿": Decimal("1e11"),
    "千億": Decimal("1e11"),
    "百亿": Decimal("1e10"),
    "百億": Decimal("1e10"),
    "十亿": Decimal("1e9"),
    "十億": Decimal("1e9"),
    "亿": Decimal("1e8"),
    "億": Decimal("1e8"),
    "千万": Decimal("1e7"),
    "千萬": Decimal("1e7"),
    "百万": Decimal("1e6"),
    "百萬": Decimal("1e6"),
    "万": Decimal("1e4"),
    "萬": Decimal("1e4"),
    "千": Decimal("1e3"),
    "trillion": Decimal("1e12"),
    "tn": Decimal("1e12"),
    "billion": Decimal("1e9"),
    "bn": Decimal("1e9"),
    "b": Decimal("1e9"),
    "million": Decimal("1e6"),
    "mn": Decimal("1e6"),
    "mm": Decimal("1e6"),
    "m": Decimal("1e6"),
    "thousand": Decimal("1e3"),
    "k": Decimal("1e3"),
}

# Tokens that name a currency, as prefix or suffix; longest first when scanning.
CURRENCY_WORDS: dict[str, str] = {
    "人民币": "CNY",
    "人民幣": "CNY",
    "rmb": "CNY",
    "cny": "CNY",
    "元": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "us$": "USD",
    "usd": "USD",
    "美元": "USD",
    "hk$": "HKD",
    "hkd": "HKD",
    "港元": "HKD",
    "港币": "HKD",
    "港幣": "HKD",
    "$": "USD",
}
KNOWN_CURRENCIES = frozenset({"CNY", "USD", "HKD", "EUR", "JPY", "GBP"})

MIN_AMOUNT = Decimal("0.01")  # the smallest non-zero figure: a cent, fen or sen
MAX_AMOUNT = Decimal("1e15")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")


class AmountError(ValueError):
    """A value that cannot be read as an amount; the message says why."""


@dataclass(frozen=True, slots=True)
class Amount:
    """An exact amount in base units (yuan, dollars), with currency and printed precision."""

    value: Decimal
    currency: str | None
    quantum: Decimal

    def close_to(self, other: Decimal, extra: Decimal = Decimal(0)) -> bool:
        """True when ``other`` rounds to this amount at the printed precision."""
        return abs(self.value - other) <= self.quantum / 2 + extra


def plain(number: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (1E+6 -> 1000000)."""
    normal = number.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


def scale_factor(scale: str | int | float | Decimal | None) -> Decimal:
    """A scale given as a number (1e8) or a word ("亿", "million")."""
    if scale is None:
        return Decimal(1)
    if isinstance(scale, bool):
        raise AmountError(f"scale {scale!r} is not a number or a scale word")
    if isinstance(scale, (int, Decimal)):
        factor = Decimal(scale)
    elif isinstance(scale, float):
        factor = Decimal(repr(scale))
    else:
        text = unicodedata.normalize("NFKC", scale).strip().lower()
        if text in SCALE_WORDS:
            return SCALE_WORDS[text]
        try:
            factor = Decimal(text)
        except InvalidOperation:
            raise AmountError(f"unknown scale {scale!r}") from None
    if not factor.is_finite() or factor <= 0:
        raise AmountError(f"scale must be a positive number, got {scale!r}")
    return factor


def normalise_currency(code: str | None) -> str | None:
    if code is None:
        return None
    text = unicodedata.normalize("NFKC", code).strip()
    upper = text.upper()
    if upper in KNOWN_CURRENCIES:
        return upper
    mapped = CURRENCY_WORDS.get(text.lower()) or CURRENCY_WORDS.get(text)
    if mapped:
        return mapped
    raise AmountError(f"unknown currency {code!r}")


def parse_amount(
    raw: object,
    *,
    scale: str | int | float | Decimal | None = None,
    currency: str | None = None,
) -> Amount:
    """Parse ``raw`` into an :class:`Amount`; ``scale``/``currency`` apply when ``raw`` lacks them."""
    expected_currency = normalise_currency(currency)
    if isinstance(raw, bool) or raw is None:
        raise AmountError(f"value must be a number or an amount string, got {raw!r}")
    if isinstance(raw, (int, float, Decimal)):
        number = _decimal_of_number(raw)
        factor = scale_factor(scale)
        return _finish(number, factor, expected_currency)
    if not isinstance(raw, str):
        raise AmountError(f"value must be a number or an amount string, got {type(raw).__name__}")
    return _parse_text(raw, scale, expected_currency)


def _decimal_of_number(raw: int | float | Decimal) -> Decimal:
    # repr() of a float is the shortest string that round-trips: 251.23 stays 251.23.
    number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    if not number.is_finite():
        raise AmountError(f"value {raw!r} is not a finite number")
    return number


def _finish(number: Decimal, factor: Decimal, currency: str | None) -> Amount:
    # Exact arithmetic: the default 28-digit context would round a long printed figure.
    with localcontext() as ctx:
        ctx.prec = 80
        try:
            value = number * factor
        except DecimalException:  # 1e999999999 overflows the context: out of range, not a crash
            raise AmountError(f"value {number} x {factor} is out of range for a company figure") from None
        if abs(value) > MAX_AMOUNT:  # a quadrillion in any currency (KRW, JPY included) is a typo
            raise AmountError(f"value {number} x {factor} is out of range for a company figure")
        if value and abs(value) < MIN_AMOUNT:
            # Not a company figure, and ratios against it (QoQ of 1e-60) overflow every later rounding.
            raise AmountError(f"value {number} x {factor} is below {MIN_AMOUNT} of a currency unit")
        return Amount(value=plain(value), currency=currency, quantum=_quantum(number.as_tuple().exponent, factor))


@lru_cache(maxsize=1024)
def _quantum(exponent: int | str, factor: Decimal) -> Decimal:
    """One step in the last printed digit, times the scale, in base units.

    Memoised: a handful of (decimals printed, scale) pairs cover every release. Called inside
    _finish's 80-digit context, as before; equal factors written differently ("1E+6",
    "1000000") give the same answer, because plain() normalises.
    """
    step = Decimal(1).scaleb(exponent) if isinstance(exponent, int) and exponent < 0 else Decimal(1)
    return plain(step * factor)


def _parse_text(raw: str, scale: object, expected_currency: str | None) -> Amount:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        raise AmountError("value is an empty string")
    if len(text) > 64:
        raise AmountError(f"value string is too long to be an amount ({len(text)} characters)")
    negative = False
    signs = 0  # minus signs and accounting parentheses seen outside the number itself
    if text.startswith("(") and text.endswith(")"):
        negative, text, signs = True, text[1:-1].strip(), 1
    text = text.replace("−", "-").replace("–", "-")

    match = _NUMBER.search(text)
    if match is None:
        raise AmountError(f"no number in value {raw!r}")
    prefix, suffix = text[: match.start()].strip(), text[match.end() :].strip()
    number = Decimal(match.group(0).replace(",", ""))
    if prefix.endswith("-"):  # "-$13.6bn", "RMB -218.4亿"
        negative, prefix, signs = not negative, prefix[:-1].strip(), signs + 1

    if prefix.startswith("-"):  # "-$13.6bn"
        negative, prefix, signs = not negative, prefix[1:].strip(), signs + 1
    currencies: list[str] = []
    prefix = _strip_currency(prefix, currencies, from_end=False)
    if prefix.endswith("-"):  # "US$-13.6bn"
        negative, prefix, signs = not negative, prefix[:-1].strip(), signs + 1
    if signs + (number < 0) > 1:  # "(-5)", "--5": a double negative is a typo, not a figure
        raise AmountError(f"value {raw!r} has more than one minus sign or parentheses")
    factor, suffix = _take_scale(suffix)
    suffix = _strip_currency(suffix, currencies, from_end=True)
    if factor is None:  # "RMB 33,398 million 元" is odd but "398.24亿元" puts 元 after
        factor, suffix = _take_scale(suffix)
    if prefix or suffix:
        leftover = " ".join(p for p in (prefix, suffix) if p)
        raise AmountError(f"cannot read {leftover!r} in value {raw!r}")
    if len(set(currencies)) > 1:
        raise AmountError(f"value {raw!r} names two currencies: {', '.join(currencies)}")
    found = currencies[0] if currencies else None
    if found and expected_currency and found != expected_currency:
        raise AmountError(f"value {raw!r} is in {found}, but the metric is in {expected_currency}")
    if factor is not None and scale is not None and scale_factor(scale) != factor:  # type: ignore[arg-type]
        raise AmountError(f"value {raw!r} carries its own scale and also has scale={scale!r}")
    if factor is None:
        factor = scale_factor(scale)  # type: ignore[arg-type]
    if negative:
        number = -number
    return _finish(number, factor, found or expected_currency)


def _strip_currency(part: str, found: list[str], *, from_end: bool) -> str:
    changed = True
    while part and changed:
        changed = False
        lowered = part.lower()
        for word in sorted(CURRENCY_WORDS, key=len, reverse=True):
            if (lowered.endswith(word) if from_end else lowered.startswith(word)):
                found.append(CURRENCY_WORDS[word])
                part = (part[: -len(word)] if from_end else part[len(word) :]).strip()
                changed = True
                break
    return part


def _take_scale(part: str) -> tuple[Decimal | None, str]:
    lowered = part.lower()
    for word in sorted(SCALE_WORDS, key=len, reverse=True):
        if lowered.startswith(word):
            rest = part[len(word) :]
            # "m" must not swallow the start of a longer word such as "mio" or "metric".
            if word.isascii() and rest[:1].isalpha():
                continue
            return SCALE_WORDS[word], rest.strip()
    return None, part
