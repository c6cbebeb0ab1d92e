"""A manager's day: tasks overdue and due today, deals stuck in a stage too long, quiet deals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.actor import Actor
from models.clock import now
from models.entities import Deal, Task, TaskStatus
from models.rules.timing import gone_quiet, stage_overdue
from models.settings import get_settings


@dataclass(frozen=True, slots=True)
class MyDay:
    day_ends_at: datetime
    overdue_tasks: list[Task]
    due_today: list[Task]
    stuck_deals: list[Deal]
    quiet_deals: list[Deal]


def end_of_day(at: datetime, timezone: str) -> datetime:
    local = at.astimezone(ZoneInfo(timezone))
    return datetime.combine(local.date() + timedelta(days=1), time(), tzinfo=local.tzinfo)


async def my_day(actor: Actor, quiet_days: int | None = None) -> MyDay:
    """The actor's own work (as assignee and owner), whatever their role."""
    at = now()
    day_ends_at = end_of_day(at, actor.timezone)
    tasks = await Task.filter(
        assignee_id=actor.user_id, status=TaskStatus.OPEN, due_at__lt=day_ends_at
    ).order_by("due_at", "id")
    deals = (
        await Deal.filter(owner_id=actor.user_id, closed_at__isnull=True)
        .select_related("stage", "pipeline")
        .order_by("stage_entered_at", "id")
    )
    default_quiet = get_settings().quiet_days
    stuck = [d for d in deals if stage_overdue(d.stage_entered_at, d.stage.planned_days, at)]
    quiet = [
        d
        for d in deals
        if gone_quiet(
            d.last_interaction_at,
            d.created_at,
            quiet_days or d.pipeline.stale_after_days or default_quiet,
            at,
        )
    ]
    return MyDay(
        day_ends_at=day_ends_at,
        overdue_tasks=[t for t in tasks if t.due_at is not None and t.due_at < at],
        due_today=[t for t in tasks if t.due_at is not None and t.due_at >= at],
        stuck_deals=stuck,
        quiet_deals=quiet,
    )
