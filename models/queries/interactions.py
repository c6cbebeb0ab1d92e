"""Interaction lists (newest first) with their attachments."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Attachment, Interaction, InteractionKind
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {"occurred_at": datetime}
NEWEST_FIRST = "-occurred_at"


@dataclass(frozen=True, slots=True)
class InteractionFilters:
    deal_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    author_id: int | None = None
    kind: InteractionKind | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None


async def list_interactions(
    actor: Actor, filters: InteractionFilters, after: list[Any] | None, limit: int
) -> Page[Interaction]:
    """Visible interactions, newest first; `occurred_after` inclusive, `occurred_before` not."""
    query = visible(Interaction, actor)
    for name in ("deal_id", "contact_id", "company_id", "author_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.kind is not None:
        query = query.filter(kind=filters.kind)
    if filters.occurred_after is not None:
        query = query.filter(occurred_at__gte=filters.occurred_after)
    if filters.occurred_before is not None:
        query = query.filter(occurred_at__lt=filters.occurred_before)
    return await keyset_page(query, parse_sort(None, SORTS, NEWEST_FIRST), SORTS, after, limit)


async def get_interaction(actor: Actor, interaction_id: int) -> Interaction:
    return await get_visible(Interaction, actor, interaction_id)


async def attachments_of(interaction_ids: list[int]) -> dict[int, list[Attachment]]:
    """Attachments of many interactions in one query, in the order they were added."""
    found: dict[int, list[Attachment]] = defaultdict(list)
    if interaction_ids:
        rows = await Attachment.filter(interaction_id__in=interaction_ids).order_by("id")
        for row in rows:
            found[row.interaction_id].append(row)  # type: ignore[attr-defined]
    return found
