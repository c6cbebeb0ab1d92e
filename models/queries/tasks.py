"""Task lists.

Keyset pages need a non-null sort value, and `due_at` is optional: sorting by `due_at` therefore
lists only tasks that have a due date (undated tasks are found with the other sorts). The default
sort, `-updated_at`, lists every task.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Task, TaskStatus
from models.queries.paging import MAX_LIMIT, Page, Sort, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {
    "due_at": datetime,
    "updated_at": datetime,
    "created_at": datetime,
    "id": int,
}
DEFAULT_SORT = "-updated_at"


@dataclass(frozen=True, slots=True)
class TaskFilters:
    assignee_id: int | None = None
    status: TaskStatus | None = None
    deal_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    due_before: datetime | None = None
    due_after: datetime | None = None
    updated_since: datetime | None = None


async def list_tasks(
    actor: Actor, filters: TaskFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Task]:
    """Visible tasks; `due_after` is inclusive, `due_before` exclusive."""
    order = parse_sort(sort, SORTS, DEFAULT_SORT)
    query = visible(Task, actor)
    for name in ("assignee_id", "deal_id", "contact_id", "company_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.due_after is not None:
        query = query.filter(due_at__gte=filters.due_after)
    if filters.due_before is not None:
        query = query.filter(due_at__lt=filters.due_before)
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if order.field == "due_at":
        query = query.filter(due_at__isnull=False)
    return await keyset_page(query, order, SORTS, after, limit)


async def get_task(actor: Actor, task_id: int) -> Task:
    return await get_visible(Task, actor, task_id)


MY_TASKS_DATED = Sort("due_at", descending=False)
MY_TASKS_UNDATED = Sort("id", descending=False)


async def my_open_tasks(actor: Actor, after: list[Any] | None, limit: int) -> Page[Task]:
    """The actor's own open tasks (as assignee, like `my_day`): those with a due date soonest
    first, so overdue ones lead, then those without one, oldest first.

    One keyset list over two sorts: while dated tasks remain the cursor is a `due_at` cursor,
    then an `id` cursor over the undated ones. A page may hold the last dated tasks and the
    first undated ones."""
    limit = max(1, min(limit, MAX_LIMIT))
    mine = Task.filter(assignee_id=actor.user_id, status=TaskStatus.OPEN)
    undated = mine.filter(due_at__isnull=True)
    if after is not None and after[:1] == [MY_TASKS_UNDATED.token]:
        return await keyset_page(undated, MY_TASKS_UNDATED, SORTS, after, limit)
    dated = await keyset_page(
        mine.filter(due_at__isnull=False), MY_TASKS_DATED, SORTS, after, limit
    )
    if dated.next_after is not None:
        return dated
    room = limit - len(dated.items)
    if room == 0:
        # The page is full with the last dated tasks: go on past them, into the undated ones.
        last = dated.items[-1]
        assert last.due_at is not None
        more = await undated.exists()
        cursor = [MY_TASKS_DATED.token, last.due_at.isoformat(), last.id] if more else None
        return Page(dated.items, cursor, MY_TASKS_DATED)
    rest = await keyset_page(undated, MY_TASKS_UNDATED, SORTS, None, room)
    return Page(dated.items + rest.items, rest.next_after, MY_TASKS_UNDATED)


async def count_my_open_tasks(actor: Actor) -> int:
    return await Task.filter(assignee_id=actor.user_id, status=TaskStatus.OPEN).count()
