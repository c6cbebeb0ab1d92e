"""Reference lists: /v1/loss-reasons, /v1/sources, /v1/segments. Everyone reads; admins change.

Names are unique regardless of case (a taken one is a 422 on `name`). Nothing is deleted: loss
reasons and sources are retired with `is_active: false`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import PageOut
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import LossReason, Segment, Source
from models.ops.reference import create_reference, list_reference, update_reference

router = APIRouter(tags=["reference"], responses=problem_responses(401))

LongName = Annotated[str, Field(min_length=1, max_length=200)]
ShortName = Annotated[str, Field(min_length=1, max_length=100)]
Active = Annotated[bool | None, Query(description="Only active (true) or retired (false) ones")]
CREATED = status.HTTP_201_CREATED
CREATE_PROBLEMS = problem_responses(403, 422)
UPDATE_PROBLEMS = problem_responses(403, 404, 422)
ALL_IN_ONE_PAGE = "All in one page, by name: `next_cursor` is always null."


class LossReasonCreate(Input):
    name: LongName
    is_active: bool = True


class LossReasonUpdate(Input):
    name: LongName | None = None
    is_active: bool | None = None


class SourceCreate(Input):
    name: ShortName
    is_active: bool = True


class SourceUpdate(Input):
    name: ShortName | None = None
    is_active: bool | None = None


class SegmentCreate(Input):
    name: ShortName


class SegmentUpdate(Input):
    name: ShortName | None = None


class LossReasonOut(Output):
    id: int
    name: str
    is_active: bool


class SourceOut(Output):
    id: int
    name: str
    is_active: bool


class SegmentOut(Output):
    id: int
    name: str


@router.get("/loss-reasons", operation_id="listLossReasons", description=ALL_IN_ONE_PAGE)
async def list_loss_reasons(
    actor: CurrentActor, _: Transaction, active: Active = None
) -> PageOut[LossReasonOut]:
    rows = await list_reference(LossReason, active)
    return PageOut[LossReasonOut](
        items=[LossReasonOut.model_validate(r) for r in rows], next_cursor=None
    )


@router.post(
    "/loss-reasons",
    operation_id="createLossReason",
    status_code=CREATED,
    responses=CREATE_PROBLEMS,
)
async def create_loss_reason(
    body: LossReasonCreate,
    actor: CurrentActor,
    _: Transaction,
) -> LossReasonOut:
    """Admins only."""
    row = await create_reference(actor, LossReason, body.model_dump())
    return LossReasonOut.model_validate(row)


@router.patch(
    "/loss-reasons/{loss_reason_id}",
    operation_id="updateLossReason",
    responses=UPDATE_PROBLEMS,
)
async def update_loss_reason(
    loss_reason_id: Id, body: LossReasonUpdate, actor: CurrentActor, _: Transaction
) -> LossReasonOut:
    """Admins only."""
    values = body.model_dump(exclude_unset=True)
    return LossReasonOut.model_validate(
        await update_reference(actor, LossReason, loss_reason_id, values)
    )


@router.get("/sources", operation_id="listSources", description=ALL_IN_ONE_PAGE)
async def list_sources(
    actor: CurrentActor, _: Transaction, active: Active = None
) -> PageOut[SourceOut]:
    rows = await list_reference(Source, active)
    return PageOut[SourceOut](items=[SourceOut.model_validate(r) for r in rows], next_cursor=None)


@router.post(
    "/sources", operation_id="createSource", status_code=CREATED, responses=CREATE_PROBLEMS
)
async def create_source(
    body: SourceCreate,
    actor: CurrentActor,
    _: Transaction,
) -> SourceOut:
    """Admins only."""
    row = await create_reference(actor, Source, body.model_dump())
    return SourceOut.model_validate(row)


@router.patch("/sources/{source_id}", operation_id="updateSource", responses=UPDATE_PROBLEMS)
async def update_source(
    source_id: Id, body: SourceUpdate, actor: CurrentActor, _: Transaction
) -> SourceOut:
    """Admins only."""
    values = body.model_dump(exclude_unset=True)
    return SourceOut.model_validate(await update_reference(actor, Source, source_id, values))


@router.get("/segments", operation_id="listSegments", description=ALL_IN_ONE_PAGE)
async def list_segments(actor: CurrentActor, _: Transaction) -> PageOut[SegmentOut]:
    rows = await list_reference(Segment)
    return PageOut[SegmentOut](items=[SegmentOut.model_validate(r) for r in rows], next_cursor=None)


@router.post(
    "/segments", operation_id="createSegment", status_code=CREATED, responses=CREATE_PROBLEMS
)
async def create_segment(
    body: SegmentCreate,
    actor: CurrentActor,
    _: Transaction,
) -> SegmentOut:
    """Admins only."""
    row = await create_reference(actor, Segment, body.model_dump())
    return SegmentOut.model_validate(row)


@router.patch("/segments/{segment_id}", operation_id="updateSegment", responses=UPDATE_PROBLEMS)
async def update_segment(
    segment_id: Id, body: SegmentUpdate, actor: CurrentActor, _: Transaction
) -> SegmentOut:
    """Admins only."""
    values = body.model_dump(exclude_unset=True)
    return SegmentOut.model_validate(await update_reference(actor, Segment, segment_id, values))
