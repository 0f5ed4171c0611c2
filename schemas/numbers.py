"""Serialisation rules for numbers in output records.

Money stays an exact decimal string ("33398000000"): no consumer should ever see a binary float
for an amount. Ratios (percent, percentage points) are rounded to 2 decimals once, here, and
written as JSON numbers because they are derived, not reported.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import PlainSerializer

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def round_ratio(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money_str(value: Decimal) -> str:
    """``format(value, "f")``: the exact decimal, never in exponent notation."""
    # str() writes the same text unless it chose exponent notation (a positive exponent, or
    # a tiny number), which its "E" (or "e", by context) shows; it costs a quarter as much,
    # and every record dump calls this for each of its amounts.
    text = str(value)
    return format(value, "f") if "E" in text or "e" in text else text


Money = Annotated[Decimal, PlainSerializer(_money_str, return_type=str, when_used="json")]
Ratio = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
