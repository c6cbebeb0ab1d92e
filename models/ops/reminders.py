"""Task reminders and the escalation of overdue tasks: what the clock finds due and announces.

A task carries its own place on the clock's work list (`Task.remind_pending_at`,
`Task.escalate_pending_at`, set by `models/ops/tasks.py` whenever remind_at or due_at is set,
cleared when the task closes). The scheduler job (schedulers/reminders.py), per batch and in
one short transaction:

1. `claim_due_reminders` / `claim_overdue_tasks` take the due rows off the list: on PostgreSQL
   with `FOR UPDATE SKIP LOCKED`, on SQLite under the write lock that `BEGIN IMMEDIATE` holds
   for the whole transaction. Two schedulers never claim the same row.
2. `announce_reminders` / `escalate_tasks` write the notices (`notify_user`) in the same
   transaction, under dedup keys naming the task and the moment (`task:7:remind:<remind_at>`),
   so a reminder is announced once per remind_at value even if a claim were repeated, and a
   changed remind_at (a snooze) is announced again.

A crash before the commit leaves the rows on the list; the next tick finds them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from models.clock import now
from models.db import dialect
from models.entities import Office, Task, TaskStatus, User
from models.ops.user_notices import Button, Notice, notify_user, notify_users
from models.queries.heads import nearest_head
from models.queries.rows import fetch
from models.text import Text

log = logging.getLogger(__name__)

REMINDER_PURPOSE = "task_reminder"
OVERDUE_PURPOSE = "task_overdue"
# The bot's `ReminderAction` (bots/telegram/callbacks.py) unpacks these: "rmd:<act>:<task id>".
BUTTON_PREFIX = "rmd"
ReminderAct = Literal["done", "hour", "tmrw"]
# A notice that could not be written is tried again this much later (and logged each time).
RETRY_AFTER = timedelta(minutes=1)

_REMINDER = Text("Напоминание", "Reminder")
_OVERDUE = Text("Просрочена задача", "Overdue task")
_DUE = Text("Срок: {when}", "Due: {when}")
_OVERDUE_BODY = Text(
    "{who} не выполнил(а) задачу «{title}» к сроку {when}.",
    "{who} has not done “{title}”, due {when}.",
)
DONE = Text("✅ Готово", "✅ Done")
HOUR = Text("+1 ч", "+1 h")
TOMORROW = Text("Завтра", "Tomorrow")


def button_data(act: ReminderAct, task_id: int) -> str:
    return f"{BUTTON_PREFIX}:{act}:{task_id}"


def moment_key(at: datetime) -> str:
    """A moment in a dedup key: whole seconds since the epoch (stable across dialects)."""
    return str(int(at.timestamp()))


def local_time(at: datetime, timezone: str, language: str) -> str:
    """A moment on the reader's wall clock, the same way in every notice."""
    local = at.astimezone(ZoneInfo(timezone))
    return local.strftime("%d.%m.%Y %H:%M" if language == "ru" else "%Y-%m-%d %H:%M")


async def zones_of(users: Sequence[User]) -> dict[int, str]:
    """Each user's zone: their own, else their office's."""
    office_ids = {u.office_id for u in users if not u.timezone}
    offices = dict(
        await Office.filter(id__in=office_ids).values_list("id", "timezone") if office_ids else []
    )
    return {u.id: u.timezone or str(offices.get(u.office_id, "Europe/Moscow")) for u in users}


def _fill(text: Text, **values: str) -> Text:
    return Text(text.ru.format(**values), text.en.format(**values))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A task taken off the work list, with what its notice needs: read by the claim itself, so
    a burst reads each task once (a second lookup by id was planned as a scan by PostgreSQL on
    a freshly filled, not yet analysed table, and made a burst quadratic)."""

    id: int
    title: str
    status: str
    due_at: datetime | None
    remind_at: datetime | None
    assignee_id: int


_CLAIMED = ("id", "title", "status", "due_at", "remind_at", "assignee_id")


async def _claim(column: str, before: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` tasks whose `column` is at or before `before` off the work list."""
    if dialect() == "postgres":
        returning = ", ".join(f"task.{name}" for name in _CLAIMED)
        rows = await fetch(
            f"WITH due AS (SELECT id FROM task WHERE {column} <= ? ORDER BY {column}, id "
            f"LIMIT ? FOR UPDATE SKIP LOCKED) "
            f"UPDATE task SET {column} = NULL FROM due WHERE task.id = due.id "
            f"RETURNING {returning}",
            [before, limit],
        )
    else:
        # SQLite: the transaction took the write lock at BEGIN IMMEDIATE, so nobody claims
        # between this read and the update.
        rows = (
            await Task.filter(**{f"{column}__lte": before})
            .order_by(column, "id")
            .limit(limit)
            .values(*_CLAIMED)
        )
        if rows:
            await Task.filter(id__in=[row["id"] for row in rows]).update(**{column: None})
    claimed = [Claimed(**{name: row[name] for name in _CLAIMED}) for row in rows]
    return sorted(claimed, key=lambda c: c.id)


async def reminders_due() -> bool:
    """Whether any reminder is due: read without a transaction (ADR 0012), so that a tick with
    nothing to do never takes SQLite's write lock."""
    return await Task.filter(remind_pending_at__lte=now()).exists()


async def overdue_due(after: timedelta) -> bool:
    return await Task.filter(escalate_pending_at__lte=now() - after).exists()


async def claim_due_reminders(limit: int) -> list[Claimed]:
    """Tasks whose reminder is due, taken off the work list. In the job's transaction."""
    return await _claim("remind_pending_at", now(), limit)


async def claim_overdue_tasks(limit: int, after: timedelta) -> list[Claimed]:
    """Tasks overdue by more than `after`, taken off the list. In the job's transaction."""
    return await _claim("escalate_pending_at", now() - after, limit)


async def rearm_reminder(task_id: int) -> None:
    """Put a reminder whose notice failed back on the list, RETRY_AFTER from now."""
    await Task.filter(id=task_id, status=TaskStatus.OPEN).update(
        remind_pending_at=now() + RETRY_AFTER
    )


async def rearm_escalation(task_id: int, after: timedelta) -> None:
    """Put an escalation that failed back on the list, to be due again RETRY_AFTER from now."""
    await Task.filter(id=task_id, status=TaskStatus.OPEN).update(
        escalate_pending_at=now() + RETRY_AFTER - after
    )


def reminder_notice(
    task_id: int, title: str, due_at: datetime | None, zone: str, language: str
) -> Notice:
    body = title
    if due_at is not None:
        body += "\n" + _DUE.get(language).format(when=local_time(due_at, zone, language))
    return Notice(
        purpose=REMINDER_PURPOSE,
        title=_REMINDER,
        body=Text(body, body),
        buttons=(
            (
                Button(DONE, button_data("done", task_id)),
                Button(HOUR, button_data("hour", task_id)),
                Button(TOMORROW, button_data("tmrw", task_id)),
            ),
        ),
        data={"kind": REMINDER_PURPOSE, "task_id": str(task_id)},
    )


async def announce_reminders(claimed: Sequence[Claimed]) -> int:
    """Notify each open task's assignee; returns how many outbox rows were offered."""
    tasks = [c for c in claimed if c.status == TaskStatus.OPEN.value and c.remind_at is not None]
    users = {u.id: u for u in await User.filter(id__in={t.assignee_id for t in tasks})}
    zones = await zones_of(list(users.values()))
    batch = []
    for task in tasks:
        assert task.remind_at is not None
        user = users[task.assignee_id]
        notice = reminder_notice(task.id, task.title, task.due_at, zones[user.id], user.language)
        batch.append((user, notice, f"task:{task.id}:remind:{moment_key(task.remind_at)}"))
    return await notify_users(batch)


async def escalate_tasks(claimed: Sequence[Claimed]) -> int:
    """Tell the nearest head of each open overdue task's assignee; returns how many were told."""
    ids = [c.id for c in claimed]
    tasks = await Task.filter(id__in=ids, status=TaskStatus.OPEN).select_related("assignee")
    told = 0
    for task in tasks:
        if task.due_at is None:
            continue
        head = await nearest_head(task.assignee_id)
        if head is None:
            log.info("task %d is overdue, but its assignee has no head to tell", task.id)
            continue
        zone = (await zones_of([head]))[head.id]
        language = head.language
        body = _OVERDUE_BODY.get(language).format(
            who=task.assignee.full_name,
            title=task.title,
            when=local_time(task.due_at, zone, language),
        )
        notice = Notice(
            purpose=OVERDUE_PURPOSE,
            title=_OVERDUE,
            body=Text(body, body),
            data={"kind": OVERDUE_PURPOSE, "task_id": str(task.id)},
        )
        key = f"task:{task.id}:overdue:{moment_key(task.due_at)}"
        if await notify_user(head, notice, dedup_key=key):
            told += 1
    return told
