"""Tasks: create, update, complete, snooze, cancel."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from tortoise.models import Model

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Company, Contact, Deal, Lead, Task, TaskStatus
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.events import emit
from models.ops import fields as f
from models.ops.versioning import update_versioned
from models.rules.snooze import an_hour_later, tomorrow
from models.scope import get_visible
from models.text import Text

ENTITY = "task"
FIELDS = {
    "title",
    "description",
    "due_at",
    "remind_at",
    "assignee_id",
    "deal_id",
    "contact_id",
    "company_id",
    "lead_id",
}
_LINKS: dict[str, type[Model]] = {
    "deal_id": Deal,
    "contact_id": Contact,
    "company_id": Company,
    "lead_id": Lead,
}
SnoozePreset = Literal["hour", "tomorrow"]
_NOT_OPEN = Text("Задача уже закрыта.", "The task is already closed.")
_IN_PAST = Text("Время должно быть в будущем.", "The time must be in the future.")


async def _clean(actor: Actor, values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    f.reject_unknown(values, FIELDS, errors)
    columns = f.text_columns(values, {"title": 300}, errors, required=("title",))
    if "description" in values:
        columns["description"] = f.text_field(values, "description", f.LONG_TEXT, errors)
    for name in ("due_at", "remind_at"):
        if name in values:
            columns[name] = f.aware_datetime(values[name], name, errors)
    for name, model in _LINKS.items():
        if values.get(name) is not None:
            try:
                await get_visible(model, actor, values[name])
            except NotFound:
                errors.add(name, "not_found", f.NOT_FOUND_REF)
                continue
        if name in values:
            columns[name] = values[name]
    if "assignee_id" in values:
        assignee = await f.owner_for(actor, values["assignee_id"], errors, "assignee_id")
        if assignee is not None:
            columns["assignee_id"] = assignee.id
            columns["office_id"] = assignee.office_id
    return columns


def _armed(columns: Mapping[str, Any]) -> dict[str, Any]:
    """The clock's work list follows the times: a new remind_at is announced once more, a new
    due_at may escalate once more (models/ops/reminders.py)."""
    armed: dict[str, Any] = {}
    if "remind_at" in columns:
        armed["remind_pending_at"] = columns["remind_at"]
    if "due_at" in columns:
        armed["escalate_pending_at"] = columns["due_at"]
    return armed


async def create_task(actor: Actor, values: Mapping[str, Any]) -> Task:
    errors = FieldErrors()
    if not str(values.get("title") or "").strip():
        errors.add("title", "required", f.REQUIRED)
    columns = await _clean(actor, {"assignee_id": None, **values}, errors)
    errors.raise_if_any()
    task = await Task.create(**columns, **_armed(columns), author_id=actor.user_id)
    await audit_created(actor, ENTITY, task.id, columns)
    await emit(ENTITY, task.id, "created", {k: (None, v) for k, v in columns.items()})
    return task


async def open_task(actor: Actor, task_id: int) -> Task:
    """The task, if the actor may see it and it is still open: what a change of it (complete,
    cancel, snooze) starts from, for an edge that asks for the change in more than one step."""
    return await _open_task(actor, task_id)


async def _open_task(actor: Actor, task_id: int) -> Task:
    task = await get_visible(Task, actor, task_id)
    if task.status is not TaskStatus.OPEN:
        raise ValidationFailed([FieldError("status", "not_open", _NOT_OPEN)])
    return task


async def update_task(
    actor: Actor, task_id: int, values: Mapping[str, Any], *, version: int | None
) -> Task:
    task = await get_visible(Task, actor, task_id)
    errors = FieldErrors()
    columns = await _clean(actor, values, errors)
    errors.raise_if_any()
    changes = {name: (getattr(task, name), value) for name, value in columns.items()}
    await update_versioned(task, version, **columns, **_armed(columns))
    await audit_changes(actor, ENTITY, task_id, changes)
    await emit(ENTITY, task_id, "updated", changes)
    return task


async def _set_status(actor: Actor, task: Task, status: TaskStatus, version: int | None) -> Task:
    changes = {"status": (task.status, status)}
    await update_versioned(
        task,
        version,
        status=status,
        completed_at=now(),
        remind_pending_at=None,
        escalate_pending_at=None,
    )
    await audit_changes(actor, ENTITY, task.id, changes)
    await emit(ENTITY, task.id, "updated", changes)
    return task


async def complete_task(actor: Actor, task_id: int, *, version: int | None) -> Task:
    return await _set_status(actor, await _open_task(actor, task_id), TaskStatus.DONE, version)


async def cancel_task(actor: Actor, task_id: int, *, version: int | None) -> Task:
    return await _set_status(actor, await _open_task(actor, task_id), TaskStatus.CANCELLED, version)


async def snooze_task(actor: Actor, task_id: int, until: datetime, *, version: int | None) -> Task:
    """Put a task off: it is due and reminds again at `until`."""
    return await _snooze(actor, await _open_task(actor, task_id), until, version)


async def put_off_task(
    actor: Actor, task_id: int, preset: SnoozePreset, *, version: int | None
) -> Task:
    """Snooze by a preset, read on the actor's wall clock (`models/rules/snooze.py`): "hour" is
    an hour from now, "tomorrow" is tomorrow at the time the task was due (or 10:00)."""
    task = await _open_task(actor, task_id)
    at = now()
    if preset == "hour":
        until = an_hour_later(at)
    else:
        until = tomorrow(at, task.due_at, ZoneInfo(actor.timezone))
    return await _snooze(actor, task, until, version)


async def _snooze(actor: Actor, task: Task, until: datetime, version: int | None) -> Task:
    task_id = task.id
    errors = FieldErrors()
    if f.aware_datetime(until, "until", errors) is not None and until <= now():
        errors.add("until", "in_past", _IN_PAST)
    errors.raise_if_any()
    changes = {"due_at": (task.due_at, until), "remind_at": (task.remind_at, until)}
    await update_versioned(
        task,
        version,
        due_at=until,
        remind_at=until,
        remind_pending_at=until,
        escalate_pending_at=until,
    )
    await audit_changes(actor, ENTITY, task_id, changes, action="snooze")
    await emit(ENTITY, task_id, "updated", changes)
    return task


async def check_task_values(actor: Actor, values: Mapping[str, Any]) -> dict[str, Any]:
    """Check the fields of a task being entered one at a time exactly as `create_task` checks
    them, and write nothing. Returns the cleaned values; raises ValidationFailed."""
    errors = FieldErrors()
    columns = await _clean(actor, values, errors)
    errors.raise_if_any()
    return columns
