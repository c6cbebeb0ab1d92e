"""Deals: /v1/deals, with the stage commands move, won and lost."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import DEFAULT_PAGE_SIZE, Cursor, Limit, PageOut, decode_cursor, page_out
from api.problems import problem_responses
from api.schemas import Id, Input, Moment, Output
from api.versions import Version, set_etag
from models.entities import Deal, Direction, InteractionKind, StageKind
from models.ops.deals import create_deal, lose_deal, move_deal_to_stage, update_deal, win_deal
from models.queries.deals import DealFilters, DealStatus, deal_card, get_deal, list_deals

router = APIRouter(prefix="/deals", tags=["deals"], responses=problem_responses(401))

Amount = Annotated[
    str | None,
    Field(
        max_length=32,
        pattern=r"^\s*\d[\d\s]*([.,]\d+)?\s*$",
        description='A decimal string, e.g. "150000.00"',
        examples=["150000.00"],
    ),
]


class DealFields(Input):
    title: Annotated[str, Field(max_length=300)] = ""
    amount: Amount = None
    currency: Annotated[str, Field(min_length=3, max_length=3)] = "RUB"
    contact_id: Id | None = None
    company_id: Id | None = None
    source_id: Id | None = None
    deadline: Moment | None = None
    owner_id: Id | None = Field(default=None, description="Heads and admins may assign others")


class DealCreate(DealFields):
    title: Annotated[str, Field(min_length=1, max_length=300)]
    pipeline_id: Id | None = Field(default=None, description="Default: the default pipeline")
    stage_id: Id | None = Field(default=None, description="Default: its first open stage")


class DealUpdate(DealFields):
    """Only the fields sent are changed. Stages change through /move, /won and /lost."""


class StageFields(Input):
    """Values the target stage may require (see the stage's `required_fields`)."""

    amount: Amount = None
    contact_id: Id | None = None
    company_id: Id | None = None
    source_id: Id | None = None
    deadline: Moment | None = None


class MoveIn(StageFields):
    stage_id: Id
    loss_reason_id: Id | None = None
    loss_comment: Annotated[str, Field(max_length=2000)] = ""


class WonIn(StageFields):
    pass


class LostIn(Input):
    loss_reason_id: Id
    comment: Annotated[str, Field(max_length=2000)] = ""


class DealOut(Output):
    id: int
    title: str
    amount: Decimal | None = Field(description="A decimal string; null when not known yet")
    currency: str
    pipeline_id: Id
    stage_id: Id
    stage_entered_at: datetime
    contact_id: Id | None
    company_id: Id | None
    source_id: Id | None
    owner_id: Id
    office_id: Id
    deadline: datetime | None
    loss_reason_id: Id | None
    loss_comment: str
    closed_at: datetime | None
    last_interaction_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class PartyOut(Output):
    id: int
    label: str


class InteractionBrief(Output):
    id: int
    kind: InteractionKind
    direction: Direction | None
    outcome: str
    occurred_at: datetime
    author_id: Id


class TaskBrief(Output):
    id: int
    title: str
    due_at: datetime | None
    assignee_id: Id


class StageBrief(Output):
    id: int
    name: str
    kind: StageKind
    planned_days: int | None


class DealCardOut(Output):
    deal: DealOut
    stage: StageBrief
    company: PartyOut | None
    contact: PartyOut | None
    interactions: list[InteractionBrief] = Field(description="The latest ten, newest first")
    open_tasks: list[TaskBrief]


def _single(deal: Deal, response: Response) -> DealOut:
    set_etag(response, deal.version)
    return DealOut.model_validate(deal)


def _values(body: Input) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@router.get("", operation_id="listDeals", responses=problem_responses(422))
async def list_(
    actor: CurrentActor,
    _: Transaction,
    q: Annotated[
        str | None, Query(max_length=200, description="Words of the title (prefixes)")
    ] = None,
    owner_id: Id | None = None,
    office_id: Id | None = None,
    pipeline_id: Id | None = None,
    stage_id: Id | None = None,
    contact_id: Id | None = None,
    company_id: Id | None = None,
    status: DealStatus | None = None,
    updated_since: Moment | None = None,
    sort: Annotated[
        str | None,
        Query(description="updated_at, created_at, stage_entered_at, id, title; '-' descending"),
    ] = None,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_PAGE_SIZE,
) -> PageOut[DealOut]:
    filters = DealFilters(
        owner_id,
        office_id,
        pipeline_id,
        stage_id,
        contact_id,
        company_id,
        status,
        updated_since,
        q,
    )
    page = await list_deals(actor, filters, sort, decode_cursor(cursor), limit)
    return page_out(page, [DealOut.model_validate(d) for d in page.items])


@router.post(
    "",
    operation_id="createDeal",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(422),
)
async def create(
    body: DealCreate, actor: CurrentActor, _: Transaction, response: Response
) -> DealOut:
    deal = await create_deal(actor, _values(body))
    response.headers["Location"] = f"/v1/deals/{deal.id}"
    return _single(deal, response)


@router.get("/{deal_id}", operation_id="getDeal", responses=problem_responses(404))
async def get(deal_id: Id, actor: CurrentActor, _: Transaction, response: Response) -> DealOut:
    return _single(await get_deal(actor, deal_id), response)


@router.get("/{deal_id}/card", operation_id="getDealCard", responses=problem_responses(404))
async def card(deal_id: Id, actor: CurrentActor, _: Transaction, response: Response) -> DealCardOut:
    """The deal with its stage, company, contact, latest interactions and open tasks."""
    found = await deal_card(actor, deal_id)
    set_etag(response, found.deal["version"])
    company, contact = found.company, found.contact
    return DealCardOut(
        deal=DealOut.model_validate(found.deal),
        stage=StageBrief.model_validate(found.stage),
        company=PartyOut(id=company["id"], label=company["name"]) if company else None,
        contact=PartyOut(
            id=contact["id"],
            label=" ".join(p for p in (contact["last_name"], contact["first_name"]) if p),
        )
        if contact
        else None,
        interactions=[InteractionBrief.model_validate(i) for i in found.interactions],
        open_tasks=[TaskBrief.model_validate(t) for t in found.open_tasks],
    )


CHANGE_PROBLEMS = problem_responses(404, 412, 422, 428)


@router.patch("/{deal_id}", operation_id="updateDeal", responses=CHANGE_PROBLEMS)
async def update(
    deal_id: Id,
    body: DealUpdate,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> DealOut:
    return _single(
        await update_deal(actor, deal_id, _values(body), version=version.number), response
    )


@router.post("/{deal_id}/move", operation_id="moveDeal", responses=CHANGE_PROBLEMS)
async def move(
    deal_id: Id,
    body: MoveIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> DealOut:
    """Move to a stage; 422 lists every field the stage requires that the deal lacks."""
    values = _values(body)
    stage_id = values.pop("stage_id")
    reason = values.pop("loss_reason_id", None)
    comment = values.pop("loss_comment", "")
    deal = await move_deal_to_stage(
        actor,
        deal_id,
        stage_id,
        version=version.number,
        values=values,
        loss_reason_id=reason,
        loss_comment=comment,
    )
    return _single(deal, response)


@router.post("/{deal_id}/won", operation_id="winDeal", responses=CHANGE_PROBLEMS)
async def won(
    deal_id: Id,
    body: WonIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> DealOut:
    """Close as won (the pipeline's won stage); an amount is needed."""
    return _single(
        await win_deal(actor, deal_id, version=version.number, values=_values(body)), response
    )


@router.post("/{deal_id}/lost", operation_id="loseDeal", responses=CHANGE_PROBLEMS)
async def lost(
    deal_id: Id,
    body: LostIn,
    actor: CurrentActor,
    _: Transaction,
    response: Response,
    version: Version,
) -> DealOut:
    """Close as lost (the pipeline's lost stage) with a reason."""
    deal = await lose_deal(
        actor,
        deal_id,
        version=version.number,
        loss_reason_id=body.loss_reason_id,
        comment=body.comment,
    )
    return _single(deal, response)
