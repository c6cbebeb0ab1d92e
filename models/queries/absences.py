"""Absences as people list them: whose, when, and what was handed over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Absence
from models.ops.absences import visible_absences
from models.queries.paging import Page, keyset_page, parse_sort

SORTS: dict[str, type] = {"starts_at": datetime, "ends_at": datetime, "id": int}


@dataclass(frozen=True, slots=True)
class AbsenceFilters:
    user_id: int | None = None
    deputy_id: int | None = None
    active_at: datetime | None = None  # on at this moment
    ends_after: datetime | None = None
    starts_before: datetime | None = None
    include_cancelled: bool = False


async def list_absences(
    actor: Actor, filters: AbsenceFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Absence]:
    """The absences the actor manages (own, office tree, all), by start by default."""
    query = visible_absences(actor)
    if filters.user_id is not None:
        query = query.filter(user_id=filters.user_id)
    if filters.deputy_id is not None:
        query = query.filter(deputy_id=filters.deputy_id)
    if filters.active_at is not None:
        query = query.filter(starts_at__lte=filters.active_at, ends_at__gt=filters.active_at)
    if filters.ends_after is not None:
        query = query.filter(ends_at__gt=filters.ends_after)
    if filters.starts_before is not None:
        query = query.filter(starts_at__lt=filters.starts_before)
    if not filters.include_cancelled:
        query = query.filter(cancelled_at=None)
    return await keyset_page(query, parse_sort(sort, SORTS, "starts_at"), SORTS, after, limit)
