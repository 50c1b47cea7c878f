"""Quantities as an operator reads them: 104857600 bytes is `100 MiB`, 5400 s is `1.5 hours`.

The same rules as the quota messages of the database (migrations/versions/0006_quota_messages.py).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_BYTES = ((2**40, "TiB"), (2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))
_SECONDS = ((3600, "hour"), (60, "minute"))


def _number(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


def _counted(value: Decimal, unit: str) -> str:
    text = _number(value)
    return f"{text} {unit}" if text == "1" else f"{text} {unit}s"


def size(value: float | Decimal) -> str:
    """`size(1536)` → '1.5 KiB'; below 1 KiB, bytes."""
    amount = Decimal(value)
    for factor, unit in _BYTES:
        if amount >= factor:
            return f"{_number(amount / factor)} {unit}"
    return _counted(amount, "byte")


def duration(value: float | Decimal) -> str:
    """`duration(5400)` → '1.5 hours'; below a minute, seconds."""
    amount = Decimal(value)
    for factor, unit in _SECONDS:
        if amount >= factor:
            return _counted(amount / factor, unit)
    return _counted(amount, "second")
