"""How long a deal has been in its stage, and when that is too long. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta


def time_in_stage(entered_at: datetime, at: datetime) -> timedelta:
    return max(at - entered_at, timedelta(0))


def stage_overdue(entered_at: datetime, planned_days: int | None, at: datetime) -> bool:
    """Past the stage's planned duration; a stage without one is never overdue."""
    return planned_days is not None and at - entered_at > timedelta(days=planned_days)


def gone_quiet(
    last_interaction_at: datetime | None, created_at: datetime, quiet_days: int, at: datetime
) -> bool:
    """No interaction for `quiet_days` (a deal never touched counts from its creation)."""
    return at - (last_interaction_at or created_at) > timedelta(days=quiet_days)
