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


def stage_escalation_due(
    entered_at: datetime, planned_days: int | None, after: timedelta, at: datetime
) -> bool:
    """Past the stage's planned duration by more than `after` as well: time for the head."""
    return planned_days is not None and at - entered_at > timedelta(days=planned_days) + after


def quiet_since(last_interaction_at: datetime | None, created_at: datetime) -> datetime:
    """Where the silence that `gone_quiet` measures starts."""
    return last_interaction_at or created_at


def deadline_phase(deadline: datetime, warn_before: timedelta, at: datetime) -> str | None:
    """ "at" once the deadline has come, "before" within `warn_before` of it, else None."""
    if at >= deadline:
        return "at"
    if at >= deadline - warn_before:
        return "before"
    return None
