"""Company lists and cards."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Company
from models.queries.fulltext import search
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {"updated_at": datetime, "created_at": datetime, "id": int, "name": str}


@dataclass(frozen=True, slots=True)
class CompanyFilters:
    owner_id: int | None = None
    office_id: int | None = None
    segment_id: int | None = None
    updated_since: datetime | None = None
    q: str | None = None


async def list_companies(
    actor: Actor, filters: CompanyFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Company]:
    query = visible(Company, actor)
    for name in ("owner_id", "office_id", "segment_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        query = search(query, "company", filters.q)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def get_company(actor: Actor, company_id: int) -> Company:
    return await get_visible(Company, actor, company_id)
