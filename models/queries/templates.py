"""Message templates as admins list them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Channel, Template
from models.ops.org import require_admin
from models.queries.paging import Page, keyset_page, parse_sort

SORTS: dict[str, type] = {"purpose": str, "id": int, "updated_at": datetime}


@dataclass(frozen=True, slots=True)
class TemplateFilters:
    purpose: str | None = None
    channel: Channel | None = None
    language: str | None = None
    active: bool | None = None


async def list_templates(
    actor: Actor, filters: TemplateFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Template]:
    """Admins only; by purpose by default."""
    require_admin(actor)
    query = Template.all()
    if filters.purpose is not None:
        query = query.filter(purpose=filters.purpose)
    if filters.channel is not None:
        query = query.filter(channel=filters.channel)
    if filters.language is not None:
        query = query.filter(language=filters.language)
    if filters.active is not None:
        query = query.filter(is_active=filters.active)
    return await keyset_page(query, parse_sort(sort, SORTS, "purpose"), SORTS, after, limit)
