"""Reference lists admins keep: loss reasons, sources and segments.

Names are unique (case-insensitively, as people read them); a taken name is a field error on
`name`. Rows are never deleted: loss reasons and sources are retired with `is_active=false`
(segments have no such flag and are renamed instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from tortoise.queryset import QuerySet

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.entities import LossReason, Segment, Source
from models.errors import FieldErrors, NotFound
from models.ops import fields as f
from models.ops.org import require_admin
from models.text import Text

ReferenceRow = TypeVar("ReferenceRow", LossReason, Source, Segment)

ENTITIES: dict[type[Any], str] = {
    LossReason: "loss_reason",
    Source: "source",
    Segment: "segment",
}
NAME_LENGTHS: dict[type[Any], int] = {LossReason: 200, Source: 100, Segment: 100}
_NAME_TAKEN = Text("Такое название уже есть.", "This name is already in use.")


async def name_taken(query: QuerySet[Any], name: str) -> bool:
    """Whether a row of `query` has `name`, ignoring case in every alphabet.

    Compared in Python: SQLite folds the case of ASCII letters only, and names here are Cyrillic.
    """
    wanted = name.casefold()
    names = await query.values_list("name", flat=True)
    return any(str(n).casefold() == wanted for n in names)


def has_active_flag(model: type[Any]) -> bool:
    return model is not Segment


async def _clean(
    model: type[ReferenceRow],
    values: Mapping[str, Any],
    errors: FieldErrors,
    row_id: int | None = None,
) -> dict[str, Any]:
    allowed = {"name", "is_active"} if has_active_flag(model) else {"name"}
    f.reject_unknown(values, allowed, errors)
    columns: dict[str, Any] = {}
    name = f.text_field(values, "name", NAME_LENGTHS[model], errors)
    if name is not None:
        if not name and not errors.has("name"):
            errors.add("name", "required", f.REQUIRED)
        elif not errors.has("name"):
            others = model.all() if row_id is None else model.exclude(id=row_id)
            if await name_taken(others, name):
                errors.add("name", "taken", _NAME_TAKEN)
        columns["name"] = name
    if "is_active" in values and "is_active" in allowed:
        if values["is_active"] is None:
            errors.add("is_active", "required", f.REQUIRED)
        columns["is_active"] = bool(values["is_active"])
    return columns


async def create_reference(
    actor: Actor, model: type[ReferenceRow], values: Mapping[str, Any]
) -> ReferenceRow:
    require_admin(actor)
    errors = FieldErrors()
    if "name" not in values:
        errors.add("name", "required", f.REQUIRED)
    columns = await _clean(model, values, errors)
    errors.raise_if_any()
    row = await model.create(**columns)
    await audit_created(actor, ENTITIES[model], row.id, columns)
    return row


async def update_reference(
    actor: Actor, model: type[ReferenceRow], row_id: int, values: Mapping[str, Any]
) -> ReferenceRow:
    require_admin(actor)
    row = await model.get_or_none(id=row_id)
    if row is None:
        raise NotFound(ENTITIES[model], row_id)
    errors = FieldErrors()
    columns = await _clean(model, values, errors, row_id)
    errors.raise_if_any()
    changes = {name: (getattr(row, name), value) for name, value in columns.items()}
    if columns:
        await model.filter(id=row_id).update(**columns)
        for name, value in columns.items():
            setattr(row, name, value)
    await audit_changes(actor, ENTITIES[model], row_id, changes)
    return row


async def list_reference(
    model: type[ReferenceRow], active: bool | None = None
) -> list[ReferenceRow]:
    """Every row by name; everyone signed in reads these lists."""
    query = model.all()
    if active is not None and has_active_flag(model):
        query = query.filter(is_active=active)
    return await query.order_by("name", "id")
