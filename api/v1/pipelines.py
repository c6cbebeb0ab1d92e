"""Pipelines and their stages: /v1/pipelines and /v1/stages. Everyone reads; admins change.

A pipeline keeps at least one open stage and has at most one won and one lost stage (both
optional: without them deals cannot be closed through /won or /lost). A stage holding deals keeps
its kind. `required_fields` name deal fields: amount, deadline, contact_id, company_id, source_id.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response, status
from pydantic import Field

from api.deps import CurrentActor, Transaction
from api.pagination import PageOut
from api.problems import problem_responses
from api.schemas import Id, Input, Output
from models.entities import StageKind
from models.ops.pipelines import create_pipeline, create_stage, update_pipeline, update_stage
from models.queries.pipelines import PipelineStages, list_pipelines, pipeline_with_stages

router = APIRouter(tags=["pipelines"], responses=problem_responses(401))

Name = Annotated[str, Field(min_length=1, max_length=200)]
Position = Annotated[int, Field(ge=0, le=32767, description="Order; ties are broken by id")]
Probability = Annotated[int, Field(ge=0, le=100, description="Percent")]
PlannedDays = Annotated[int, Field(ge=0, le=3650)]
StaleDays = Annotated[
    int,
    Field(
        ge=1,
        le=3650,
        description="Days without an interaction before an open deal is quiet and its owner is "
        "told; unset: the installation's VORONKA_QUIET_DAYS (7)",
    ),
]
RequiredFields = Annotated[
    list[Annotated[str, Field(max_length=50)]],
    Field(max_length=10, description="amount, deadline, contact_id, company_id, source_id"),
]


class StageCreate(Input):
    name: Name
    kind: StageKind = StageKind.OPEN
    position: Position | None = Field(default=None, description="Default: after the last stage")
    probability: Probability = 0
    planned_days: PlannedDays | None = None
    required_fields: RequiredFields = Field(default_factory=list)


class StageUpdate(Input):
    """Only the fields sent are changed."""

    name: Name | None = None
    kind: StageKind | None = None
    position: Position | None = None
    probability: Probability | None = None
    planned_days: PlannedDays | None = None
    required_fields: RequiredFields | None = None


class PipelineFields(Input):
    is_default: bool | None = Field(
        default=None, description="true makes this the default and clears the previous one"
    )
    position: Position | None = None
    stale_after_days: StaleDays | None = None


class PipelineCreate(PipelineFields):
    name: Name
    stages: Annotated[list[StageCreate], Field(min_length=1, max_length=50)] = Field(
        description="In order; at least one open stage"
    )


class PipelineUpdate(PipelineFields):
    """Only the fields sent are changed. Stages change through /v1/stages."""

    name: Name | None = None


class StageOut(Output):
    id: int
    pipeline_id: Id
    name: str
    position: int
    kind: StageKind
    probability: int
    planned_days: int | None
    required_fields: list[str]


class PipelineOut(Output):
    id: int
    name: str
    office_id: Id | None
    is_default: bool
    position: int
    stale_after_days: int | None
    stages: list[StageOut] = Field(description="In order")


def _out(found: PipelineStages) -> PipelineOut:
    pipeline = found.pipeline
    return PipelineOut(
        id=pipeline.id,
        name=pipeline.name,
        office_id=pipeline.office_id,  # type: ignore[attr-defined]
        is_default=pipeline.is_default,
        position=pipeline.position,
        stale_after_days=pipeline.stale_after_days,
        stages=[StageOut.model_validate(s) for s in found.stages],
    )


def _values(body: Input, *, nullable: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields sent; an explicit null is kept only where null means something."""
    sent = body.model_dump(exclude_unset=True)
    return {k: v for k, v in sent.items() if v is not None or k in nullable}


@router.get("/pipelines", operation_id="listPipelines")
async def list_(actor: CurrentActor, _: Transaction) -> PageOut[PipelineOut]:
    """Every pipeline with its stages. One page holds them all: `next_cursor` is always null."""
    return PageOut[PipelineOut](items=[_out(p) for p in await list_pipelines()], next_cursor=None)


@router.get(
    "/pipelines/{pipeline_id}", operation_id="getPipeline", responses=problem_responses(404)
)
async def get(pipeline_id: Id, actor: CurrentActor, _: Transaction) -> PipelineOut:
    return _out(await pipeline_with_stages(pipeline_id))


@router.post(
    "/pipelines",
    operation_id="createPipeline",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 422),
)
async def create(
    body: PipelineCreate, actor: CurrentActor, _: Transaction, response: Response
) -> PipelineOut:
    """Admins only. The first pipeline becomes the default."""
    values = _values(body, nullable=frozenset({"stale_after_days"}))
    stages = [_values(s, nullable=frozenset({"planned_days"})) for s in body.stages]
    values.pop("stages")
    pipeline = await create_pipeline(actor, values, stages)
    response.headers["Location"] = f"/v1/pipelines/{pipeline.id}"
    return _out(await pipeline_with_stages(pipeline.id))


@router.patch(
    "/pipelines/{pipeline_id}",
    operation_id="updatePipeline",
    responses=problem_responses(403, 404, 422),
)
async def update(
    pipeline_id: Id, body: PipelineUpdate, actor: CurrentActor, _: Transaction
) -> PipelineOut:
    """Admins only. To change the default, make another pipeline the default."""
    values = body.model_dump(exclude_unset=True)
    await update_pipeline(actor, pipeline_id, values)
    return _out(await pipeline_with_stages(pipeline_id))


@router.post(
    "/pipelines/{pipeline_id}/stages",
    operation_id="createStage",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(403, 404, 422),
)
async def add_stage(
    pipeline_id: Id, body: StageCreate, actor: CurrentActor, _: Transaction
) -> StageOut:
    """Admins only. A second won or lost stage is refused."""
    values = _values(body, nullable=frozenset({"planned_days"}))
    return StageOut.model_validate(await create_stage(actor, pipeline_id, values))


@router.patch(
    "/stages/{stage_id}", operation_id="updateStage", responses=problem_responses(403, 404, 422)
)
async def change_stage(
    stage_id: Id, body: StageUpdate, actor: CurrentActor, _: Transaction
) -> StageOut:
    """Admins only. The kind of a stage holding deals cannot change, nor may the pipeline lose its
    last open stage."""
    return StageOut.model_validate(
        await update_stage(actor, stage_id, body.model_dump(exclude_unset=True))
    )
