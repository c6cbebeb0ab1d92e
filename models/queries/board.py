"""The kanban board of a pipeline: per stage its count, sum and first deals, oldest stay first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.functions import Count, Sum

from models.actor import Actor
from models.clock import now
from models.entities import Deal, Pipeline, Stage
from models.errors import NotFound
from models.queries.deals import SORTS
from models.queries.paging import Sort, keyset_page
from models.rules.money import from_minor
from models.rules.timing import stage_overdue, time_in_stage
from models.scope import visible

BOARD_SORT = Sort("stage_entered_at", descending=False)


@dataclass(frozen=True, slots=True)
class BoardDeal:
    deal: Deal
    seconds_in_stage: int
    overdue: bool


@dataclass(frozen=True, slots=True)
class BoardColumn:
    stage: Stage
    count: int
    sums: dict[str, Decimal]
    deals: list[BoardDeal]
    next_after: list[Any] | None


async def pipeline_board(
    actor: Actor, pipeline_id: int, per_stage: int, owner_id: int | None = None
) -> tuple[Pipeline, list[BoardColumn]]:
    pipeline = await Pipeline.get_or_none(id=pipeline_id)
    if pipeline is None:
        raise NotFound("pipeline", pipeline_id)
    deals = visible(Deal, actor).filter(pipeline_id=pipeline_id)
    if owner_id is not None:
        deals = deals.filter(owner_id=owner_id)
    counts: dict[int, int] = defaultdict(int)
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    grouped = (
        await deals.annotate(count=Count("id"), total=Sum("amount_minor"))
        .group_by("stage_id", "currency")
        .values("stage_id", "currency", "count", "total")
    )
    for row in grouped:
        counts[row["stage_id"]] += int(row["count"])
        if row["total"] is not None:
            # Money is summed per currency, in integer minor units: exact on both dialects.
            sums[row["stage_id"]][row["currency"]] = from_minor(int(row["total"]), row["currency"])
    at = now()
    columns = []
    for stage in await Stage.filter(pipeline_id=pipeline_id).order_by("position", "id"):
        page = await keyset_page(
            deals.filter(stage_id=stage.id), BOARD_SORT, SORTS, None, per_stage
        )
        columns.append(
            BoardColumn(
                stage=stage,
                count=counts[stage.id],
                sums=sums[stage.id],
                deals=[
                    BoardDeal(
                        deal,
                        int(time_in_stage(deal.stage_entered_at, at).total_seconds()),
                        stage_overdue(deal.stage_entered_at, stage.planned_days, at),
                    )
                    for deal in page.items
                ],
                next_after=page.next_after,
            )
        )
    return pipeline, columns
