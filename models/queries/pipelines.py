"""Pipelines with their ordered stages, in two queries whatever their number."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from models.entities import Pipeline, Stage
from models.ops.pipelines import get_pipeline


@dataclass(frozen=True, slots=True)
class PipelineStages:
    pipeline: Pipeline
    stages: list[Stage]


async def _with_stages(pipelines: list[Pipeline]) -> list[PipelineStages]:
    stages: dict[int, list[Stage]] = defaultdict(list)
    if pipelines:
        ids = [p.id for p in pipelines]
        for stage in await Stage.filter(pipeline_id__in=ids).order_by("position", "id"):
            stages[stage.pipeline_id].append(stage)
    return [PipelineStages(p, stages[p.id]) for p in pipelines]


async def list_pipelines() -> list[PipelineStages]:
    """Every pipeline (company-wide configuration) by position, each with its stages in order."""
    return await _with_stages(await Pipeline.all().order_by("position", "id"))


async def pipeline_with_stages(pipeline_id: int) -> PipelineStages:
    return (await _with_stages([await get_pipeline(pipeline_id)]))[0]
