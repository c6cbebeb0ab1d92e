"""Whole numbers typed as text, and the largest the columns hold."""

from __future__ import annotations

# Ids and versions are 32-bit integer columns: a larger number names no row, and PostgreSQL
# refuses it as a parameter (SQLite past 64 bits).
MAX_ID = 2**31 - 1
MAX_BIGINT = 2**63 - 1


def ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of 0–9. `str.isdigit()` also takes "²" and other digits,
    which `int()` refuses or reads as another number, and a refusal there was a 500."""
    return text.isascii() and text.isdigit()


def whole_number(text: str, maximum: int) -> int | None:
    """`text` as a number from 0 to `maximum`, or None when it is not ASCII digits or larger.
    A long run of digits is refused by its length: `int()` refuses more than 4,300 digits."""
    if not ascii_digits(text):
        return None
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(maximum)):
        return None
    number = int(digits)
    return number if number <= maximum else None
