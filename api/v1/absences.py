"""Absences: /v1/absences, the commands cancel and shorten, and what was handed over.

A user plans their own absences; heads those of their office tree; admins anyone's. An absence
without `starts_at` is sudden: it starts now and the work is handed over in the same request.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import AppSettings, CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from models.entities import Absence
from models.ops.absences import (
    cancel_absence,
    declare_sudden_absence,
    get_absence,
    handovers_of,
    plan_absence,
    settle_return,
    shorten_absence,
)
from models.queries.absences import AbsenceFilters, list_absences

router = APIRouter(prefix="/absences", tags=["absences"], responses=problem_responses(401))


class AbsenceCreate(Input):
    user_id: Id | None = Field(default=None, description="Default: you")
    starts_at: Moment | None = Field(
        default=None, description="Omitted: a sudden absence from now, handed over at once"
    )
    ends_at: Moment
    reason: Annotated[str, Field(max_length=200)] = ""
    deputy_id: Id | None = Field(
        default=None,
        description="Who takes the work over. Omitted: the nearest head or the least-loaded "
        "colleague, as the server is configured",
    )


class SettleIn(Input):
    choice: Literal["take_back", "leave"] = Field(
        description="take_back: what the substitutes still hold and is open comes back to the "
        "user; leave: everything stays with them"
    )


class ShortenIn(Input):
    ends_at: Moment = Field(description="Earlier than the current end, and not in the past")


class AbsenceOut(Output):
    id: int
    user_id: Id
    starts_at: datetime
    ends_at: datetime
    reason: str
    deputy_id: Id | None
    sudden: bool
    created_by_id: Id | None
    cancelled_at: datetime | None
    handed_over_at: datetime | None = Field(description="When the work was handed over")
    offered_at: datetime | None = Field(description="When the work was offered back")
    settled_at: datetime | None = Field(description="When the offer was answered")
    settlement: Literal["taken_back", "left"] | None
    created_at: datetime
    updated_at: datetime


class HandoverOut(Output):
    id: int
    entity: Literal["task", "deal", "lead"]
    entity_id: Id
    title: str
    from_user_id: Id
    to_user_id: Id
    moved_at: datetime
    returned_at: datetime | None = Field(description="When Take back moved it home")
    outcome: Literal["returned", "kept", "gone"] | None = Field(
        description="After the return: taken back, left with the substitute, or gone (closed or "
        "passed on meanwhile). Null until the user answers"
    )


def _out(absence: Absence) -> AbsenceOut:
    return AbsenceOut.model_validate(absence)


@router.get("", operation_id="listAbsences", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    user_id: Id | None = None,
    deputy_id: Id | None = None,
    active_at: Annotated[Moment | None, Query(description="Absences on at this time")] = None,
    ends_after: Annotated[Moment | None, Query(description="Ending after this time")] = None,
    starts_before: Annotated[Moment | None, Query(description="Starting before this time")] = None,
    include_cancelled: bool = False,
    sort: Annotated[
        str | None,
        Query(description="starts_at (default), ends_at, id; '-' for descending"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[AbsenceOut]:
    filters = AbsenceFilters(
        user_id, deputy_id, active_at, ends_after, starts_before, include_cancelled
    )
    page = await list_absences(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [_out(a) for a in page.items])


@router.post(
    "",
    operation_id="createAbsence",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create(
    body: AbsenceCreate,
    actor: CurrentActor,
    _: Transaction,
    settings: AppSettings,
    response: Response,
) -> AbsenceOut:
    """Refused (422) when it ends before it starts, has already ended, or overlaps another
    absence of the user (naming `starts_at` and `ends_at`)."""
    values = body.model_dump(exclude_unset=True)
    if body.starts_at is None:
        values.pop("starts_at", None)
        absence = await declare_sudden_absence(actor, values, policy=settings.absence_handover)
    else:
        absence = await plan_absence(actor, values)
    response.headers["Location"] = f"/v1/absences/{absence.id}"
    return _out(absence)


@router.get("/{absence_id}", operation_id="getAbsence", responses=problem_responses(404))
async def get(absence_id: Id, actor: CurrentActor, _: Transaction) -> AbsenceOut:
    return _out(await get_absence(actor, absence_id))


CHANGE_PROBLEMS = problem_responses(404, 422)


@router.post("/{absence_id}/cancel", operation_id="cancelAbsence", responses=CHANGE_PROBLEMS)
async def cancel(absence_id: Id, actor: CurrentActor, _: Transaction) -> AbsenceOut:
    """Before the hand-over the absence is cancelled; after it, it ends now and the user is
    offered the work back. An ended or cancelled absence is refused with 422."""
    return _out(await cancel_absence(actor, absence_id))


@router.post("/{absence_id}/shorten", operation_id="shortenAbsence", responses=CHANGE_PROBLEMS)
async def shorten(
    absence_id: Id, body: ShortenIn, actor: CurrentActor, _: Transaction
) -> AbsenceOut:
    return _out(await shorten_absence(actor, absence_id, body.ends_at))


@router.get(
    "/{absence_id}/handover", operation_id="getAbsenceHandover", responses=problem_responses(404)
)
async def handover(absence_id: Id, actor: CurrentActor, _: Transaction) -> list[HandoverOut]:
    """What was moved to whom during the absence, in the order it was moved."""
    return [HandoverOut.model_validate(h) for h in await handovers_of(actor, absence_id)]


@router.post("/{absence_id}/settle", operation_id="settleAbsence", responses=CHANGE_PROBLEMS)
async def settle(
    absence_id: Id, body: SettleIn, actor: CurrentActor, _: Transaction
) -> list[HandoverOut]:
    """The answer to the offer on return (the bot's Take back · Leave), once per absence, after
    it has ended. Answers the ledger with each item's outcome. A second answer is 422
    (`settled`)."""
    result = await settle_return(actor, absence_id, take_back=body.choice == "take_back")
    moved = sorted(result.returned + result.kept + result.gone, key=lambda h: h.id)
    return [HandoverOut.model_validate(h) for h in moved]
