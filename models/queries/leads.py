"""Lead lists and cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Lead, LeadStatus
from models.queries.fulltext import search
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {
    "updated_at": datetime,
    "created_at": datetime,
    "id": int,
    "title": str,
}


@dataclass(frozen=True, slots=True)
class LeadFilters:
    owner_id: int | None = None
    office_id: int | None = None
    status: LeadStatus | None = None
    updated_since: datetime | None = None
    q: str | None = None


async def list_leads(
    actor: Actor, filters: LeadFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Lead]:
    query = visible(Lead, actor)
    if filters.owner_id is not None:
        query = query.filter(owner_id=filters.owner_id)
    if filters.office_id is not None:
        query = query.filter(office_id=filters.office_id)
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        # A title prefix, as deals have. SQLite's LIKE ignores the case of ASCII letters only, so
        # there «опт» does not find «Опт…»; the full-text index is the place to fix that.
        query = search(query, "lead", filters.q)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def get_lead(actor: Actor, lead_id: int) -> Lead:
    return await get_visible(Lead, actor, lead_id)
