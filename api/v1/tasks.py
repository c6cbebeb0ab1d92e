"""Tasks: /v1/tasks, with the commands complete, cancel and snooze."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Task, TaskStatus
from models.ops.tasks import cancel_task, complete_task, create_task, snooze_task, update_task
from models.queries.tasks import TaskFilters, get_task, list_tasks

router = APIRouter(prefix="/tasks", tags=["tasks"], responses=problem_responses(401))

Title = Annotated[str, Field(min_length=1, max_length=300)]


class TaskFields(Input):
    description: Annotated[str, Field(max_length=10000)] = ""
    due_at: Moment | None = None
    remind_at: Moment | None = None
    assignee_id: Id | None = Field(
        default=None, description="Default: you. Heads and admins may assign others"
    )
    deal_id: Id | None = None
    contact_id: Id | None = None
    company_id: Id | None = None
    lead_id: Id | None = None


class TaskCreate(TaskFields):
    title: Title


class TaskUpdate(TaskFields):
    """Only the fields sent are changed. Status changes through /complete and /cancel."""

    title: Title | None = None


class SnoozeIn(Input):
    until: Moment = Field(description="The task is due and reminds again at this time")


class TaskOut(Output):
    id: int
    title: str
    description: str
    status: TaskStatus
    due_at: datetime | None
    remind_at: datetime | None
    completed_at: datetime | None = Field(description="When it was completed or cancelled")
    assignee_id: Id
    author_id: Id | None
    office_id: Id
    deal_id: Id | None
    contact_id: Id | None
    company_id: Id | None
    lead_id: Id | None
    version: int
    created_at: datetime
    updated_at: datetime


def _single(task: Task, response: Response) -> TaskOut:
    set_etag(response, task.version)
    return TaskOut.model_validate(task)


def _values(body: Input) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@router.get("", operation_id="listTasks", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    assignee_id: Id | None = None,
    status: TaskStatus | None = None,
    deal_id: Id | None = None,
    contact_id: Id | None = None,
    company_id: Id | None = None,
    due_before: Annotated[Moment | None, Query(description="Due strictly before this time")] = None,
    due_after: Annotated[Moment | None, Query(description="Due at or after this time")] = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None,
        Query(
            description="updated_at (default, descending), created_at, id, due_at; '-' for "
            "descending. Sorting by due_at lists only tasks that have a due date."
        ),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[TaskOut]:
    filters = TaskFilters(
        assignee_id,
        status,
        deal_id,
        contact_id,
        company_id,
        due_before,
        due_after,
        updated_since,
    )
    page = await list_tasks(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [TaskOut.model_validate(t) for t in page.items])


@router.post(
    "",
    operation_id="createTask",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create(
    body: TaskCreate, actor: CurrentActor, _: Transaction, response: Response
) -> TaskOut:
    task = await create_task(actor, _values(body))
    response.headers["Location"] = f"/v1/tasks/{task.id}"
    return _single(task, response)


@router.get("/{task_id}", operation_id="getTask", responses=problem_responses(404))
async def get(task_id: Id, actor: CurrentActor, _: Transaction, response: Response) -> TaskOut:
    return _single(await get_task(actor, task_id), response)


CHANGE_PROBLEMS = problem_responses(404, 412, 422, 428)


@router.patch("/{task_id}", operation_id="updateTask", responses=CHANGE_PROBLEMS)
async def update(
    task_id: Id,
    body: TaskUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> TaskOut:
    return _single(
        await update_task(actor, task_id, _values(body), version=version.number), response
    )


@router.post("/{task_id}/complete", operation_id="completeTask", responses=CHANGE_PROBLEMS)
async def complete(
    task_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> TaskOut:
    """Mark an open task done; a closed task is refused with 422."""
    return _single(await complete_task(actor, task_id, version=version.number), response)


@router.post("/{task_id}/cancel", operation_id="cancelTask", responses=CHANGE_PROBLEMS)
async def cancel(
    task_id: Id, actor: CurrentActor, _: Transaction, response: Response, version: Version
) -> TaskOut:
    """Cancel an open task; a closed task is refused with 422."""
    return _single(await cancel_task(actor, task_id, version=version.number), response)


@router.post("/{task_id}/snooze", operation_id="snoozeTask", responses=CHANGE_PROBLEMS)
async def snooze(
    task_id: Id,
    body: SnoozeIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> TaskOut:
    """Put an open task off: it is due and reminds again at `until`, which must be in the future."""
    return _single(await snooze_task(actor, task_id, body.until, version=version.number), response)
