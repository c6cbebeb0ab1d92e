"""Deal lists and the deal card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from models.actor import Actor
from models.entities import (
    Company,
    Contact,
    Deal,
    Interaction,
    Stage,
    StageKind,
    Task,
    TaskStatus,
)
from models.errors import NotFound
from models.queries.fulltext import search
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {
    "updated_at": datetime,
    "created_at": datetime,
    "stage_entered_at": datetime,
    "id": int,
    "title": str,
}
DealStatus = Literal["open", "won", "lost"]
CARD_INTERACTIONS = 10


@dataclass(frozen=True, slots=True)
class DealFilters:
    owner_id: int | None = None
    office_id: int | None = None
    pipeline_id: int | None = None
    stage_id: int | None = None
    contact_id: int | None = None
    company_id: int | None = None
    status: DealStatus | None = None
    updated_since: datetime | None = None
    q: str | None = None


async def list_deals(
    actor: Actor, filters: DealFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Deal]:
    query = visible(Deal, actor)
    for name in ("owner_id", "office_id", "pipeline_id", "stage_id", "contact_id", "company_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.status is not None:
        query = query.filter(stage__kind=StageKind(filters.status))
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    if filters.q:
        query = search(query, "deal", filters.q)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def get_deal(actor: Actor, deal_id: int) -> Deal:
    return await get_visible(Deal, actor, deal_id)


@dataclass(frozen=True, slots=True)
class DealCard:
    deal: Deal
    stage: Stage
    company: Company | None
    contact: Contact | None
    interactions: list[Interaction]
    open_tasks: list[Task]


async def deal_card(actor: Actor, deal_id: int) -> DealCard:
    """The deal with what a manager looks at next to it, in a fixed number of queries.

    The company and contact are shown because they belong to a visible deal, even when another
    manager owns them.
    """
    deal = (
        await visible(Deal, actor)
        .select_related("stage", "company", "contact")
        .get_or_none(id=deal_id)
    )
    if deal is None:
        raise NotFound("deal", deal_id)
    interactions = (
        await Interaction.filter(deal_id=deal.id)
        .order_by("-occurred_at", "-id")
        .limit(CARD_INTERACTIONS)
    )
    tasks = await Task.filter(deal_id=deal.id, status=TaskStatus.OPEN).order_by("due_at", "id")
    return DealCard(deal, deal.stage, deal.company, deal.contact, interactions, tasks)
