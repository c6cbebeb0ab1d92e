"""SMS length: how many segments a text takes.

A text of GSM 03.38 characters is sent in the 7-bit alphabet: 160 characters in one SMS, 153 per
segment when it is split (the rest carries the concatenation header). The extension table
(`^{}\\[~]|€` and form feed) takes two characters each. Any other character, Cyrillic included,
makes the whole text UCS-2: 70 characters in one SMS, 67 per segment, counted in UTF-16 units
(an emoji is two).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


@dataclass(frozen=True, slots=True)
class SmsLength:
    encoding: Literal["gsm7", "ucs2"]
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int


def _segments(units: int, single: int, part: int) -> int:
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // part)


def sms_length(text: str) -> SmsLength:
    if all(ch in _GSM_BASIC or ch in _GSM_EXTENSION for ch in text):
        units = sum(2 if ch in _GSM_EXTENSION else 1 for ch in text)
        return SmsLength("gsm7", units, _segments(units, GSM7_SINGLE, GSM7_PART))
    units = len(text.encode("utf-16-le")) // 2
    return SmsLength("ucs2", units, _segments(units, UCS2_SINGLE, UCS2_PART))
