"""Writing the audit trail. Callers run inside the transaction of the change they describe."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from models.actor import Actor
from models.clock import now
from models.entities import AuditEntry


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


async def audit_changes(
    actor: Actor,
    entity: str,
    entity_id: int,
    changes: Mapping[str, tuple[object, object]],
    action: str = "update",
) -> None:
    """One row per changed field: (old, new). Fields whose value did not change are skipped."""
    at = now()
    rows = [
        AuditEntry(
            at=at,
            actor_id=actor.user_id,
            entity=entity,
            entity_id=entity_id,
            action=action,
            field=name,
            old_value=_as_text(old),
            new_value=_as_text(new),
        )
        for name, (old, new) in changes.items()
        if _as_text(old) != _as_text(new)
    ]
    if rows:
        await AuditEntry.bulk_create(rows)


async def audit_created(
    actor: Actor, entity: str, entity_id: int, values: Mapping[str, object]
) -> None:
    await audit_changes(
        actor, entity, entity_id, {k: (None, v) for k, v in values.items()}, action="create"
    )


async def audit_event(
    actor: Actor, entity: str, entity_id: int, action: str, detail: object = None
) -> None:
    await AuditEntry.create(
        at=now(),
        actor_id=actor.user_id,
        entity=entity,
        entity_id=entity_id,
        action=action,
        new_value=_as_text(detail),
    )
