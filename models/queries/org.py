"""Office trees and colleague lists, through the visibility scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Office, Role, User
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import visible_offices, visible_users

USER_SORTS: dict[str, type] = {
    "full_name": str,
    "email": str,
    "id": int,
    "updated_at": datetime,
}


async def list_offices(actor: Actor) -> list[Office]:
    """The actor's visible tree, parents before children (ordered by the materialised path)."""
    return await visible_offices(actor).order_by("path")


@dataclass(frozen=True, slots=True)
class UserFilters:
    office_id: int | None = None
    role: Role | None = None
    active: bool | None = None


async def list_users(
    actor: Actor, filters: UserFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[User]:
    query = visible_users(actor)
    if filters.office_id is not None:
        query = query.filter(office_id=filters.office_id)
    if filters.role is not None:
        query = query.filter(role=filters.role)
    if filters.active is not None:
        query = query.filter(is_active=filters.active)
    sorting = parse_sort(sort, USER_SORTS, "full_name")
    return await keyset_page(query, sorting, USER_SORTS, after, limit)
