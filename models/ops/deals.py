"""Deals: create, update, move through stages (history + required fields), win and lose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Company, Contact, Deal, Pipeline, Stage, StageKind, StageTransition
from models.errors import FieldError, FieldErrors, NotFound, PreconditionFailed, ValidationFailed
from models.events import emit
from models.ops import fields as f
from models.ops.search_index import index_deal
from models.ops.versioning import update_versioned
from models.rules.money import parse_amount
from models.rules.stages import missing_for_stage
from models.scope import get_visible
from models.text import Text

ENTITY = "deal"
FIELDS = {
    "title",
    "amount",
    "currency",
    "contact_id",
    "company_id",
    "source_id",
    "deadline",
    "owner_id",
}
CREATE_FIELDS = FIELDS | {"pipeline_id", "stage_id"}
_NO_STAGES = Text("В воронке нет этапов.", "The pipeline has no stages.")
_STAGE_OF_OTHER_PIPELINE = Text(
    "Этап не из воронки этой сделки.", "The stage belongs to another pipeline."
)


async def _visible_ref(
    model: type[Contact] | type[Company],
    actor: Actor,
    value: int | None,
    name: str,
    errors: FieldErrors,
) -> int | None:
    if value is None:
        return None
    try:
        await get_visible(model, actor, value)
    except NotFound:
        errors.add(name, "not_found", f.NOT_FOUND_REF)
        return None
    return value


async def _clean(
    actor: Actor, values: Mapping[str, Any], errors: FieldErrors, currency: str
) -> dict[str, Any]:
    """Column values for the deal fields present in `values`."""
    columns = f.text_columns(values, {"title": 300}, errors, required=("title",))
    if "currency" in values:
        currency = str(values["currency"] or "").upper()
        columns["currency"] = currency
    if "amount" in values or "currency" in values:
        # A currency given alone is checked, and the amount already on the deal is kept.
        amount_minor = parse_amount(values.get("amount"), currency, errors)
        if "amount" in values:
            columns["amount_minor"] = amount_minor
    for model, name in ((Contact, "contact_id"), (Company, "company_id")):
        if name in values:
            columns[name] = await _visible_ref(model, actor, values[name], name, errors)
    if "source_id" in values:
        columns["source_id"] = await f.source_ref(values["source_id"], errors)
    if "deadline" in values:
        columns["deadline"] = f.aware_datetime(values["deadline"], "deadline", errors)
    if "owner_id" in values:
        owner = await f.owner_for(actor, values["owner_id"], errors)
        if owner is not None:
            columns["owner_id"] = owner.id
            columns["office_id"] = owner.office_id
    return columns


def _stage_values(deal_columns: Mapping[str, Any], loss_reason_id: int | None) -> dict[str, Any]:
    values = dict(deal_columns)
    values["amount"] = values.pop("amount_minor", None)
    values["loss_reason_id"] = loss_reason_id
    return values


def _deal_values(deal: Deal) -> dict[str, Any]:
    return {
        "amount_minor": deal.amount_minor,
        "deadline": deal.deadline,
        "contact_id": deal.contact_id,
        "company_id": deal.company_id,
        "source_id": deal.source_id,
    }


async def _pipeline_and_stage(
    pipeline_id: int | None, stage_id: int | None, errors: FieldErrors
) -> tuple[Pipeline | None, Stage | None]:
    if stage_id is not None:
        stage = await Stage.get_or_none(id=stage_id)
        if stage is None:
            errors.add("stage_id", "not_found", f.NOT_FOUND_REF)
            return None, None
        if pipeline_id is not None and stage.pipeline_id != pipeline_id:
            errors.add("stage_id", "wrong_pipeline", _STAGE_OF_OTHER_PIPELINE)
            return None, None
        return await Pipeline.get(id=stage.pipeline_id), stage
    if pipeline_id is None:
        pipeline = await Pipeline.filter(is_default=True).order_by("position", "id").first()
    else:
        pipeline = await Pipeline.get_or_none(id=pipeline_id)
    if pipeline is None:
        errors.add("pipeline_id", "not_found", f.NOT_FOUND_REF)
        return None, None
    stage = (
        await Stage.filter(pipeline_id=pipeline.id, kind=StageKind.OPEN)
        .order_by("position")
        .first()
    )
    if stage is None:
        errors.add(
            "pipeline_id", "no_stages", Text("В воронке нет этапов.", "The pipeline has no stages.")
        )
    return pipeline, stage


async def create_deal(actor: Actor, values: Mapping[str, Any]) -> Deal:
    errors = FieldErrors()
    f.reject_unknown(values, CREATE_FIELDS, errors)
    if not str(values.get("title") or "").strip():
        errors.add("title", "required", f.REQUIRED)
    deal_fields = {k: v for k, v in values.items() if k in FIELDS}
    columns = await _clean(actor, {"owner_id": None, **deal_fields}, errors, "RUB")
    pipeline, stage = await _pipeline_and_stage(
        values.get("pipeline_id"), values.get("stage_id"), errors
    )
    if stage is not None and not errors.items:
        for error in missing_for_stage(
            stage.name, stage.kind, stage.required_fields, _stage_values(columns, None)
        ):
            errors.items.append(error)
    errors.raise_if_any()
    assert pipeline is not None
    assert stage is not None
    at = now()
    closed = at if stage.kind is not StageKind.OPEN else None
    deal = await Deal.create(
        **columns, pipeline_id=pipeline.id, stage_id=stage.id, stage_entered_at=at, closed_at=closed
    )
    await StageTransition.create(
        deal_id=deal.id, stage_id=stage.id, entered_at=at, by_id=actor.user_id
    )
    created = {**columns, "pipeline_id": pipeline.id, "stage_id": stage.id}
    await audit_created(actor, ENTITY, deal.id, created)
    await index_deal(deal)
    await emit(ENTITY, deal.id, "created", {k: (None, v) for k, v in created.items()})
    return deal


async def update_deal(
    actor: Actor, deal_id: int, values: Mapping[str, Any], *, version: int | None
) -> Deal:
    deal = await get_visible(Deal, actor, deal_id)
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    columns = await _clean(actor, values, errors, deal.currency)
    errors.raise_if_any()
    changes = {name: (getattr(deal, name), value) for name, value in columns.items()}
    await update_versioned(deal, version, **columns)
    await audit_changes(actor, ENTITY, deal_id, changes)
    await index_deal(deal)
    await emit(ENTITY, deal_id, "updated", changes)
    return deal


async def _checked_move(
    actor: Actor,
    deal: Deal,
    stage_id: int,
    values: Mapping[str, Any] | None,
    loss_reason_id: int | None,
) -> tuple[Stage, dict[str, Any], int | None, list[FieldError]]:
    """The target stage, the cleaned `values`, the loss reason, and what the deal would still lack
    to enter the stage. A wrong value or stage raises ValidationFailed."""
    errors = FieldErrors()
    given = dict(values or {})
    f.reject_unknown(given, FIELDS - {"owner_id", "title"}, errors)
    columns = await _clean(actor, given, errors, deal.currency)
    stage = await Stage.get_or_none(id=stage_id)
    if stage is None or stage.pipeline_id != deal.pipeline_id:
        errors.add(
            "stage_id", "not_found" if stage is None else "wrong_pipeline", _STAGE_OF_OTHER_PIPELINE
        )
        raise ValidationFailed(errors.items)
    reason = (
        await f.loss_reason_ref(loss_reason_id, errors) if stage.kind is StageKind.LOST else None
    )
    errors.raise_if_any()
    merged = {**_deal_values(deal), **columns}
    missing = missing_for_stage(
        stage.name, stage.kind, stage.required_fields, _stage_values(merged, reason)
    )
    return stage, columns, reason, missing


async def missing_to_enter(
    actor: Actor, deal_id: int, stage_id: int, values: Mapping[str, Any] | None = None
) -> list[FieldError]:
    """What the deal would still lack to enter the stage with `values` given on top of its own,
    in the stage's order, without changing anything. A wrong value raises ValidationFailed as
    `move_deal_to_stage` would. An edge that asks for the required fields one at a time (the
    bot) checks each answer with this, then moves with all of them."""
    deal = await get_visible(Deal, actor, deal_id)
    *_, missing = await _checked_move(actor, deal, stage_id, values, None)
    return missing


async def move_deal_to_stage(
    actor: Actor,
    deal_id: int,
    stage_id: int,
    *,
    version: int | None,
    values: Mapping[str, Any] | None = None,
    loss_reason_id: int | None = None,
    loss_comment: str = "",
) -> Deal:
    """Move a deal, filling the target stage's required fields from `values` on the way.

    Every missing field is reported at once. Entering a won stage needs an amount, a lost stage a
    loss reason. The stay in the old stage is closed and a new one opened in the same transaction.
    """
    deal = await get_visible(Deal, actor, deal_id)
    stage, columns, reason, missing = await _checked_move(
        actor, deal, stage_id, values, loss_reason_id
    )
    if missing:
        raise ValidationFailed(missing)
    if stage.id == deal.stage_id and not columns:
        if version is not None and version != deal.version:
            raise PreconditionFailed()
        return deal
    at = now()
    old_stage_id = deal.stage_id
    columns.update(
        stage_id=stage.id,
        loss_reason_id=reason,
        loss_comment=loss_comment.strip() if stage.kind is StageKind.LOST else "",
        closed_at=at if stage.kind is not StageKind.OPEN else None,
    )
    if stage.id != old_stage_id:
        columns["stage_entered_at"] = at
    changes = {name: (getattr(deal, name), value) for name, value in columns.items()}
    changes.pop("stage_entered_at", None)
    await update_versioned(deal, version, **columns)
    if stage.id != old_stage_id:
        await StageTransition.filter(deal_id=deal.id, left_at__isnull=True).update(left_at=at)
        await StageTransition.create(
            deal_id=deal.id,
            from_stage_id=old_stage_id,
            stage_id=stage.id,
            entered_at=at,
            by_id=actor.user_id,
        )
    await audit_changes(actor, ENTITY, deal.id, changes, action="move")
    await emit(ENTITY, deal.id, "updated", changes)
    return deal


async def _first_stage(pipeline_id: int, kind: StageKind) -> Stage | None:
    return await Stage.filter(pipeline_id=pipeline_id, kind=kind).order_by("position").first()


async def _closing_stage(deal: Deal, kind: StageKind) -> Stage:
    stage = await _first_stage(deal.pipeline_id, kind)
    if stage is None:
        raise ValidationFailed(
            [
                FieldError(
                    "stage_id",
                    "no_closing_stage",
                    Text("В воронке нет такого этапа.", "The pipeline has no such stage."),
                )
            ]
        )
    return stage


async def win_deal(
    actor: Actor, deal_id: int, *, version: int | None, values: Mapping[str, Any] | None = None
) -> Deal:
    deal = await get_visible(Deal, actor, deal_id)
    stage = await _closing_stage(deal, StageKind.WON)
    return await move_deal_to_stage(actor, deal_id, stage.id, version=version, values=values)


async def lose_deal(
    actor: Actor,
    deal_id: int,
    *,
    version: int | None,
    loss_reason_id: int | None,
    comment: str = "",
) -> Deal:
    deal = await get_visible(Deal, actor, deal_id)
    stage = await _closing_stage(deal, StageKind.LOST)
    return await move_deal_to_stage(
        actor,
        deal_id,
        stage.id,
        version=version,
        loss_reason_id=loss_reason_id,
        loss_comment=comment,
    )


async def check_deal_values(
    actor: Actor, values: Mapping[str, Any], currency: str = "RUB"
) -> dict[str, Any]:
    """Check the fields of a deal being entered one at a time exactly as `create_deal` checks
    them, and write nothing. Returns the cleaned column values (`amount_minor` for `amount`);
    raises ValidationFailed."""
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    columns = await _clean(actor, values, errors, currency)
    errors.raise_if_any()
    return columns
