"""Putting a task off with one tap: "in an hour" and "tomorrow". Pure: no I/O, no clock.

The bot's task buttons (+1 h, Tomorrow) and any other edge offering the same presets read the
moment here and pass it to `models.ops.tasks.snooze_task`, which checks and stores it.

- **In an hour**: `now` plus one hour, cut to the minute (a reminder at 11:23, not 11:23:41).
  Always after `now`.
- **Tomorrow**: tomorrow on the user's wall clock, at the time the task was due (a call due at
  15:00, overdue since last week, moves to tomorrow 15:00), or at `DEFAULT_TIME` (10:00, the start
  of a working day, as `parse_when` reads «завтра») for a task without a due time. A wall time
  that does not exist that day (spring forward) moves forward by the gap, like `parse_when`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from models.rules.when import DEFAULT_TIME

HOUR = timedelta(hours=1)


def an_hour_later(now: datetime) -> datetime:
    """`now` + 1 hour to the minute, aware (in `now`'s zone)."""
    return (now + HOUR).replace(second=0, microsecond=0)


def tomorrow(now: datetime, due_at: datetime | None, timezone: ZoneInfo) -> datetime:
    """Tomorrow in `timezone` at `due_at`'s wall time there (to the minute), else at
    DEFAULT_TIME; aware, in `timezone`."""
    today = now.astimezone(timezone).date()
    at = DEFAULT_TIME
    if due_at is not None:
        at = due_at.astimezone(timezone).time().replace(second=0, microsecond=0, tzinfo=None)
    wall = datetime.combine(today + timedelta(days=1), at, tzinfo=timezone)
    return wall.astimezone(UTC).astimezone(timezone)
