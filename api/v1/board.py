"""The kanban board of a pipeline: GET /v1/pipelines/{id}/board."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import encode_cursor
from api.problems import problem_responses
from api.schemas import Id, Output
from api.v1.deals import DealOut, StageBrief
from models.queries.board import BoardColumn, pipeline_board

router = APIRouter(prefix="/pipelines", tags=["pipelines"], responses=problem_responses(401))


class BoardDealOut(DealOut):
    seconds_in_stage: int
    overdue: bool = Field(description="Longer in the stage than its planned duration")


class MoneyOut(Output):
    currency: str
    amount: Decimal


class ColumnOut(Output):
    stage: StageBrief
    count: int = Field(description="All deals in the stage you can see")
    sums: list[MoneyOut] = Field(description="Amounts per currency")
    deals: list[BoardDealOut] = Field(description="The longest in the stage first")
    next_cursor: str | None = Field(
        description="More of this stage: GET /v1/deals?stage_id=…&sort=stage_entered_at&cursor=…"
    )


class PipelineRef(Output):
    id: int
    name: str


class BoardOut(Output):
    pipeline: PipelineRef
    columns: list[ColumnOut]


def _column(column: BoardColumn) -> ColumnOut:
    return ColumnOut(
        stage=StageBrief.model_validate(column.stage),
        count=column.count,
        sums=[MoneyOut(currency=c, amount=a) for c, a in sorted(column.sums.items())],
        deals=[
            BoardDealOut.model_validate(
                {**item.deal, "seconds_in_stage": item.seconds_in_stage, "overdue": item.overdue}
            )
            for item in column.deals
        ],
        next_cursor=encode_cursor(column.next_after),
    )


@router.get(
    "/{pipeline_id}/board", operation_id="getPipelineBoard", responses=problem_responses(404)
)
async def board(
    pipeline_id: Id,
    actor: CurrentActor,
    _: Transaction,
    per_stage: Annotated[int, Query(ge=1, le=50, description="Deals shown per stage")] = 10,
    owner_id: Id | None = None,
) -> BoardOut:
    pipeline, columns = await pipeline_board(actor, pipeline_id, per_stage, owner_id)
    return BoardOut(
        pipeline=PipelineRef.model_validate(pipeline), columns=[_column(c) for c in columns]
    )
