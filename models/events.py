"""Domain events: what just happened to a record, told by the operation that did it.

An operation that creates or changes a deal, lead, contact, task or order calls `emit` once, in
its own transaction, after the change is written. The automation rules listen (models/ops/
automation.py): the rules whose trigger matches run in the same transaction, so a change and
what the rules made of it commit or roll back together. Only fields that really changed are
passed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

EventKind = Literal["created", "updated"]


@dataclass(frozen=True, slots=True)
class Event:
    """`changes`: field → (old, new), by column name (`amount_minor`, `stage_id`…). A created
    record has its given fields as (None, value)."""

    entity: str
    record_id: int
    kind: EventKind
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)


async def emit(
    entity: str,
    record_id: int,
    kind: EventKind,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
) -> None:
    real = {name: (old, new) for name, (old, new) in (changes or {}).items() if old != new}
    if kind == "updated" and not real:
        return
    # The rules run operations that emit events themselves: imported on first use, not at the
    # import of every operation module.
    from models.ops.automation import on_event

    await on_event(Event(entity, record_id, kind, real))
