"""Pipelines and their stages: the sales process an admin configures.

Rules kept here (and nowhere else):
- a pipeline always has at least one open stage: it is created with its stages, and no stage
  change may leave it without one;
- a pipeline has at most one won and at most one lost stage; both are optional (a pipeline
  without them cannot close deals through /won or /lost, which say so);
- a stage that holds deals keeps its kind: changing it would leave those deals open in a closed
  stage (or closed in an open one);
- `required_fields` are names from models.rules.stages.REQUIRABLE_FIELDS;
- exactly one pipeline is the default once any is: making one default clears the others, and the
  default is changed by making another pipeline default, never by clearing the flag.
Pipelines are company-wide configuration: every signed-in user reads them all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Deal, Pipeline, Stage, StageKind
from models.errors import FieldErrors, NotFound
from models.ops import fields as f
from models.ops.org import require_admin
from models.ops.reference import name_taken
from models.rules.stages import REQUIRABLE_FIELDS
from models.text import Text

PIPELINE_FIELDS = {"name", "is_default", "position", "stale_after_days"}
STAGE_FIELDS = {"name", "position", "kind", "probability", "planned_days", "required_fields"}

_NAME_TAKEN = Text("Такое название уже есть.", "This name is already in use.")
_NO_OPEN_STAGE = Text(
    "В воронке должен остаться хотя бы один открытый этап.",
    "A pipeline needs at least one open stage.",
)
_SECOND_CLOSING = Text(
    "В воронке может быть только один такой этап.",
    "A pipeline may have only one stage of this kind.",
)
_BAD_KIND = Text("Вид этапа: open, won или lost.", "Stage kind: open, won or lost.")
_BAD_PROBABILITY = Text("Вероятность — от 0 до 100.", "Probability: 0 to 100.")
_BAD_DAYS = Text("Срок — от 0 до 3650 дней.", "Planned days: 0 to 3650.")
_BAD_NUMBER = Text("Число от 0 до 32767.", "A number from 0 to 32767.")
_UNKNOWN_REQUIRED = Text(
    "Этап может требовать только: {names}.", "A stage may require only: {names}."
).format(names=", ".join(REQUIRABLE_FIELDS))
_KIND_IN_USE = Text(
    "На этапе есть сделки: его вид менять нельзя.",
    "Deals are in this stage: its kind cannot change.",
)
_DEFAULT_STAYS = Text(
    "Сделайте основной другую воронку: эта перестанет ей быть сама.",
    "Make another pipeline the default instead: this one then stops being it.",
)
_REQUIRED_LIST = Text("Нужен список названий полей.", "Give a list of field names.")


def _small_int(
    values: Mapping[str, Any], name: str, low: int, high: int, message: Text, errors: FieldErrors
) -> int | None:
    value = values.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(name, "out_of_range", message)
        return None
    return value


def _required_fields(raw: object, errors: FieldErrors) -> list[str]:
    if not isinstance(raw, list | tuple):
        errors.add("required_fields", "invalid", _REQUIRED_LIST)
        return []
    names: list[str] = []
    for index, name in enumerate(raw):
        if name not in REQUIRABLE_FIELDS:
            errors.add(f"required_fields.{index}", "unknown_field", _UNKNOWN_REQUIRED)
        elif name not in names:
            names.append(name)
    return names


def _clean_stage(values: Mapping[str, Any], errors: FieldErrors) -> dict[str, Any]:
    """Column values for the stage fields present in `values`."""
    f.reject_unknown(values, STAGE_FIELDS, errors)
    columns = f.text_columns(values, {"name": 200}, errors, required=("name",))
    if "kind" in values:
        try:
            columns["kind"] = StageKind(values["kind"])
        except ValueError:
            errors.add("kind", "invalid_choice", _BAD_KIND)
    if "probability" in values:
        columns["probability"] = _small_int(values, "probability", 0, 100, _BAD_PROBABILITY, errors)
        if columns["probability"] is None:
            columns.pop("probability")
            if values["probability"] is None:
                errors.add("probability", "required", f.REQUIRED)
    if "planned_days" in values:
        columns["planned_days"] = _small_int(values, "planned_days", 0, 3650, _BAD_DAYS, errors)
    if "position" in values:
        position = _small_int(values, "position", 0, 32767, _BAD_NUMBER, errors)
        if position is None and values["position"] is None:
            errors.add("position", "required", f.REQUIRED)
        columns["position"] = position
    if "required_fields" in values:
        columns["required_fields"] = _required_fields(values["required_fields"] or [], errors)
    return columns


def _check_kinds(kinds: Sequence[StageKind], errors: FieldErrors, field: str) -> None:
    if StageKind.OPEN not in kinds:
        errors.add(field, "no_open_stage", _NO_OPEN_STAGE)
    for kind in (StageKind.WON, StageKind.LOST):
        if kinds.count(kind) > 1:
            errors.add(field, f"second_{kind.value}_stage", _SECOND_CLOSING)


async def _pipeline_name_taken(name: str, pipeline_id: int | None = None) -> bool:
    query = Pipeline.all() if pipeline_id is None else Pipeline.exclude(id=pipeline_id)
    return await name_taken(query, name)


async def _clean_pipeline(
    values: Mapping[str, Any], errors: FieldErrors, pipeline_id: int | None = None
) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    name = f.text_field(values, "name", 200, errors)
    if name is not None:
        if not name and not errors.has("name"):
            errors.add("name", "required", f.REQUIRED)
        elif name and await _pipeline_name_taken(name, pipeline_id):
            errors.add("name", "taken", _NAME_TAKEN)
        columns["name"] = name
    if "is_default" in values:
        columns["is_default"] = bool(values["is_default"])
    if "position" in values:
        position = _small_int(values, "position", 0, 32767, _BAD_NUMBER, errors)
        if position is None and values["position"] is None:
            errors.add("position", "required", f.REQUIRED)
        columns["position"] = position
    if "stale_after_days" in values:
        columns["stale_after_days"] = _small_int(
            values, "stale_after_days", 1, 3650, _BAD_DAYS, errors
        )
    return columns


async def _make_default(pipeline_id: int) -> None:
    await (
        Pipeline.filter(is_default=True)
        .exclude(id=pipeline_id)
        .update(is_default=False, updated_at=now())
    )


async def get_pipeline(pipeline_id: int) -> Pipeline:
    pipeline = await Pipeline.get_or_none(id=pipeline_id)
    if pipeline is None:
        raise NotFound("pipeline", pipeline_id)
    return pipeline


async def create_pipeline(
    actor: Actor, values: Mapping[str, Any], stages: Sequence[Mapping[str, Any]]
) -> Pipeline:
    """A pipeline with its stages, in the order given. The first pipeline becomes the default."""
    require_admin(actor)
    errors = FieldErrors()
    f.reject_unknown(values, PIPELINE_FIELDS, errors)
    if not str(values.get("name") or "").strip():
        errors.add("name", "required", f.REQUIRED)
    columns = await _clean_pipeline(values, errors)
    stage_rows: list[dict[str, Any]] = []
    for index, stage_values in enumerate(stages):
        stage_errors = FieldErrors()
        if not str(stage_values.get("name") or "").strip():
            stage_errors.add("name", "required", f.REQUIRED)
        cleaned = _clean_stage(stage_values, stage_errors)
        row = {"kind": StageKind.OPEN, "position": index, **cleaned}
        for error in stage_errors.items:
            errors.add(f"stages.{index}.{error.field}", error.code, error.message)
        stage_rows.append(row)
    names = [str(row.get("name", "")).casefold() for row in stage_rows]
    for index, name in enumerate(names):
        if name and name in names[:index]:
            errors.add(f"stages.{index}.name", "taken", _NAME_TAKEN)
    _check_kinds([row["kind"] for row in stage_rows], errors, "stages")
    errors.raise_if_any()
    if not await Pipeline.exists():
        columns["is_default"] = True
    pipeline = await Pipeline.create(**columns)
    if pipeline.is_default:
        await _make_default(pipeline.id)
    await audit_created(actor, "pipeline", pipeline.id, columns)
    for row in stage_rows:
        stage = await Stage.create(pipeline_id=pipeline.id, **row)
        await audit_created(actor, "stage", stage.id, {"pipeline_id": pipeline.id, **row})
    return pipeline


async def update_pipeline(actor: Actor, pipeline_id: int, values: Mapping[str, Any]) -> Pipeline:
    require_admin(actor)
    pipeline = await get_pipeline(pipeline_id)
    errors = FieldErrors()
    f.reject_unknown(values, PIPELINE_FIELDS, errors)
    columns = await _clean_pipeline(values, errors, pipeline_id)
    if pipeline.is_default and columns.get("is_default") is False:
        errors.add("is_default", "default_required", _DEFAULT_STAYS)
    errors.raise_if_any()
    changes = {name: (getattr(pipeline, name), value) for name, value in columns.items()}
    if columns:
        await Pipeline.filter(id=pipeline.id).update(**columns, updated_at=now())
        for name, value in columns.items():
            setattr(pipeline, name, value)
    if columns.get("is_default"):
        await _make_default(pipeline.id)
    await audit_changes(actor, "pipeline", pipeline.id, changes)
    return pipeline


async def _stage_name_taken(pipeline_id: int, name: str, stage_id: int | None = None) -> bool:
    query = Stage.filter(pipeline_id=pipeline_id)
    if stage_id is not None:
        query = query.exclude(id=stage_id)
    return await name_taken(query, name)


async def create_stage(actor: Actor, pipeline_id: int, values: Mapping[str, Any]) -> Stage:
    """A new stage; without a position it goes last."""
    require_admin(actor)
    pipeline = await get_pipeline(pipeline_id)
    errors = FieldErrors()
    if not str(values.get("name") or "").strip():
        errors.add("name", "required", f.REQUIRED)
    columns = _clean_stage(values, errors)
    if columns.get("name") and await _stage_name_taken(pipeline.id, columns["name"]):
        errors.add("name", "taken", _NAME_TAKEN)
    kind = columns.setdefault("kind", StageKind.OPEN)
    if kind is not StageKind.OPEN and not errors.has("kind"):
        if await Stage.exists(pipeline_id=pipeline.id, kind=kind):
            errors.add("kind", f"second_{kind.value}_stage", _SECOND_CLOSING)
    errors.raise_if_any()
    if "position" not in columns:
        last = await Stage.filter(pipeline_id=pipeline.id).order_by("-position").first()
        columns["position"] = 0 if last is None else last.position + 1
    stage = await Stage.create(pipeline_id=pipeline.id, **columns)
    await audit_created(actor, "stage", stage.id, {"pipeline_id": pipeline.id, **columns})
    return stage


async def update_stage(actor: Actor, stage_id: int, values: Mapping[str, Any]) -> Stage:
    require_admin(actor)
    stage = await Stage.get_or_none(id=stage_id)
    if stage is None:
        raise NotFound("stage", stage_id)
    errors = FieldErrors()
    columns = _clean_stage(values, errors)
    name = columns.get("name")
    if name and await _stage_name_taken(stage.pipeline_id, name, stage.id):
        errors.add("name", "taken", _NAME_TAKEN)
    kind = columns.get("kind", stage.kind)
    if kind is not stage.kind and not errors.has("kind"):
        if await Deal.exists(stage_id=stage.id):
            errors.add("kind", "stage_in_use", _KIND_IN_USE)
        else:
            others = await Stage.filter(pipeline_id=stage.pipeline_id).exclude(id=stage.id)
            kinds = [s.kind for s in others] + [kind]
            before = FieldErrors()
            _check_kinds(kinds, before, "kind")
            for error in before.items:
                errors.add(error.field, error.code, error.message)
    errors.raise_if_any()
    changes = {name: (getattr(stage, name), value) for name, value in columns.items()}
    if columns:
        await Stage.filter(id=stage.id).update(**columns)
        for name, value in columns.items():
            setattr(stage, name, value)
        await Pipeline.filter(id=stage.pipeline_id).update(updated_at=now())
    await audit_changes(actor, "stage", stage.id, changes)
    return stage
