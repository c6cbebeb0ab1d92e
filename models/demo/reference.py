"""Lookups (sources, segments, loss reasons) and the two pipelines with their stages."""

from __future__ import annotations

from dataclasses import dataclass

from models.demo import catalog
from models.demo.context import Context
from models.entities import LossReason, Pipeline, Segment, Source, Stage, StageKind


@dataclass
class PipelineStages:
    pipeline: Pipeline
    stages: list[Stage]

    @property
    def open(self) -> list[Stage]:
        return [s for s in self.stages if s.kind is StageKind.OPEN]

    def closing(self, kind: StageKind) -> Stage:
        return next(s for s in self.stages if s.kind is kind)


@dataclass
class Reference:
    sources: list[Source]
    segments: list[Segment]
    loss_reasons: list[LossReason]
    pipelines: dict[str, PipelineStages]


async def seed_reference(ctx: Context) -> Reference:
    # Names of lookups are unique: reuse rows an administrator may have made already.
    sources = [(await Source.get_or_create(name=ctx.text(t)))[0] for t in catalog.SOURCES]
    segments = [(await Segment.get_or_create(name=ctx.text(t)))[0] for t in catalog.SEGMENTS]
    reasons = [(await LossReason.get_or_create(name=ctx.text(t)))[0] for t in catalog.LOSS_REASONS]
    has_default = await Pipeline.exists(is_default=True)
    pipelines: dict[str, PipelineStages] = {}
    for position, spec in enumerate(catalog.PIPELINES):
        pipeline = await Pipeline.create(
            name=ctx.text(spec.name),
            is_default=spec.is_default and not has_default,
            position=position,
            stale_after_days=spec.stale_after_days,
        )
        stages = [
            await Stage.create(
                pipeline_id=pipeline.id,
                name=ctx.text(stage.name),
                position=index,
                kind=stage.kind,
                probability=stage.probability,
                planned_days=stage.planned_days,
                required_fields=list(stage.required),
            )
            for index, stage in enumerate(spec.stages)
        ]
        pipelines[spec.key] = PipelineStages(pipeline, stages)
    return Reference(sources, segments, reasons, pipelines)
