"""When a user's morning digest is due. Pure: no I/O, no clock.

A digest goes out once per local date, at or after the user's wall time in their zone. A
scheduler that was stopped over the moment sends it on its first run after, still once: the
late runs coalesce into one digest of that day. A day missed entirely is not made up for: the
next morning brings a fresh one.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_HHMM = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")


def parse_minute(value: str) -> int | None:
    """ "08:30" → 510 (minutes after midnight); None when it is not a time of day."""
    match = _HHMM.fullmatch(value.strip())
    if match is None:
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def local_date_due(at: datetime, timezone: str, minute: int, sent_on: date | None) -> date | None:
    """The local date whose digest is due at `at`, or None (too early, or already sent)."""
    local = at.astimezone(ZoneInfo(timezone))
    if local.hour * 60 + local.minute < minute:
        return None
    if sent_on is not None and sent_on >= local.date():
        return None
    return local.date()
