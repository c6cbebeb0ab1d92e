"""Optimistic concurrency: an update names the version it was based on."""

from __future__ import annotations

from typing import Any

from models.clock import now
from models.entities.base import Versioned
from models.errors import PreconditionFailed


async def update_versioned(obj: Versioned, expected_version: int | None, **values: Any) -> None:
    """`UPDATE … WHERE id=? AND version=?`; a miss means someone changed the row meanwhile.

    `expected_version=None` means "whatever is loaded in `obj`" for callers that hold no version of
    their own (the bot acting on a freshly loaded row).
    """
    base = obj.version if expected_version is None else expected_version
    stamp = now()
    updated = (
        await type(obj)
        .filter(id=obj.pk, version=base)
        .update(**values, version=base + 1, updated_at=stamp)
    )
    if updated != 1:
        raise PreconditionFailed()
    for name, value in values.items():
        setattr(obj, name, value)
    obj.version = base + 1
    obj.updated_at = stamp
