"""Offices: /v1/offices, the company → branch → department tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import PageOut
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import OfficeKind
from models.ops.org import create_office, get_office, update_office
from models.queries.org import list_offices

router = APIRouter(prefix="/offices", tags=["offices"], responses=problem_responses(401))

Name = Annotated[str, Field(min_length=1, max_length=200)]
TimeZone = Annotated[str, Field(max_length=64, description="IANA name", examples=["Europe/Moscow"])]


class OfficeCreate(Input):
    name: Name
    kind: OfficeKind = OfficeKind.BRANCH
    parent_id: Id | None = Field(default=None, description="Null for a top-level office")
    timezone: TimeZone = "Europe/Moscow"


class OfficeUpdate(Input):
    """Only the fields sent are changed. A new parent moves the office with everything below it."""

    name: Name | None = None
    kind: OfficeKind | None = None
    parent_id: Id | None = None
    timezone: TimeZone | None = None


class OfficeOut(Output):
    id: int
    name: str
    kind: OfficeKind
    parent_id: Id | None
    timezone: str


@router.get("", operation_id="listOffices")
async def list_(actor: CurrentActor, _: Transaction) -> PageOut[OfficeOut]:
    """The offices you see (admins: all; others: their office and below), parents first.

    One page holds the whole tree: `next_cursor` is always null.
    """
    offices = await list_offices(actor)
    return PageOut[OfficeOut](
        items=[OfficeOut.model_validate(o) for o in offices], next_cursor=None
    )


@router.get("/{office_id}", operation_id="getOffice", responses=problem_responses(404))
async def get(office_id: Id, actor: CurrentActor, _: Transaction) -> OfficeOut:
    return OfficeOut.model_validate(await get_office(actor, office_id))


@router.post(
    "",
    operation_id="createOffice",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: OfficeCreate, actor: CurrentActor, _: Transaction, response: Response
) -> OfficeOut:
    """Admins only."""
    office = await create_office(actor, **body.model_dump())
    response.headers["Location"] = f"/v1/offices/{office.id}"
    return OfficeOut.model_validate(office)


@router.patch(
    "/{office_id}", operation_id="updateOffice", responses=problem_responses(403, 404, 422)
)
async def update(
    office_id: Id, body: OfficeUpdate, actor: CurrentActor, _: Transaction
) -> OfficeOut:
    """Admins only. `name`, `kind` and `timezone` cannot be null; `parent_id: null` makes the
    office top-level."""
    values = body.model_dump(exclude_unset=True)
    office = await update_office(actor, office_id, values)
    return OfficeOut.model_validate(office)
