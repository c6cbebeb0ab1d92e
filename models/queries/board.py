"""The kanban board of a pipeline: per stage its count, sum and first deals, oldest stay first."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.actor import Actor
from models.clock import now
from models.entities import Deal, Pipeline, Stage, StageKind
from models.errors import NotFound
from models.queries.deals import SORTS, deal_rows
from models.queries.paging import Sort, keyset_rows
from models.queries.rows import Where, fetch
from models.rules.money import from_minor
from models.rules.timing import stage_overdue, time_in_stage
from models.scope import visible_condition

BOARD_SORT = Sort("stage_entered_at", descending=False)


@dataclass(frozen=True, slots=True)
class BoardDeal:
    deal: dict[str, Any]  # a row of models.queries.deals.deal_rows
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
    """Counts and sums in one grouped statement, then each stage's first deals by the
    (stage, time in stage) index: hand-written, as the screen opened most after the lists."""
    pipeline = await Pipeline.get_or_none(id=pipeline_id)
    if pipeline is None:
        raise NotFound("pipeline", pipeline_id)
    where = Where()
    where.add('"deal"."pipeline_id" = ?', pipeline_id)
    if (scope := visible_condition(Deal, actor)) is not None:
        condition, params = scope
        where.add(condition, *params)
    if owner_id is not None:
        where.add('"deal"."owner_id" = ?', owner_id)
    counts: dict[int, int] = defaultdict(int)
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    grouped = await fetch(
        'SELECT "deal"."stage_id" AS stage_id, "deal"."currency" AS currency, COUNT(*) AS n, '
        f'SUM("deal"."amount_minor") AS total FROM "deal" WHERE {where.sql} '
        'GROUP BY "deal"."stage_id", "deal"."currency"',
        where.params,
    )
    for row in grouped:
        counts[row["stage_id"]] += int(row["n"])
        if row["total"] is not None:
            # Money is summed per currency, in integer minor units: exact on both dialects.
            sums[row["stage_id"]][row["currency"]] = from_minor(int(row["total"]), row["currency"])
    at = now()
    columns = []
    for stage in await Stage.filter(pipeline_id=pipeline_id).order_by("position", "id"):
        in_stage = where.copy()
        in_stage.add('"deal"."stage_id" = ?', stage.id)
        page = await keyset_rows(Deal, None, in_stage, BOARD_SORT, SORTS, None, per_stage)
        columns.append(
            BoardColumn(
                stage=stage,
                count=counts[stage.id],
                sums=sums[stage.id],
                deals=[
                    BoardDeal(
                        deal,
                        int(time_in_stage(deal["stage_entered_at"], at).total_seconds()),
                        stage_overdue(deal["stage_entered_at"], stage.planned_days, at),
                    )
                    for deal in deal_rows(page.items)
                ],
                next_after=page.next_after,
            )
        )
    return pipeline, columns


@dataclass(frozen=True, slots=True)
class MyBoard:
    pipeline: Pipeline
    columns: list[BoardColumn]  # open stages holding some of the actor's deals, in order


async def my_open_deals(actor: Actor, per_stage: int) -> list[MyBoard]:
    """The actor's own open deals (as owner, like `my_day`) as boards: one per pipeline they have
    open deals in, each with the open stages that hold some, their counts, sums and first
    `per_stage` deals (longest in the stage first)."""
    rows = (
        await Deal.filter(owner_id=actor.user_id, closed_at__isnull=True)
        .distinct()
        .values("pipeline_id")
    )
    boards = []
    for pipeline_id in sorted({row["pipeline_id"] for row in rows}):
        pipeline, columns = await pipeline_board(actor, pipeline_id, per_stage, actor.user_id)
        open_columns = [c for c in columns if c.stage.kind is StageKind.OPEN and c.count]
        if open_columns:
            boards.append(MyBoard(pipeline, open_columns))
    boards.sort(key=lambda board: (board.pipeline.position, board.pipeline.id))
    return boards
