"""Campaigns and their recipients as heads and admins list them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from models.actor import Actor
from models.entities import Campaign, CampaignRecipient, CampaignState, RecipientState, Role
from models.errors import Forbidden
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import subtree_filter

SORTS: dict[str, type] = {"id": int, "created_at": datetime}
RECIPIENT_SORTS: dict[str, type] = {"id": int}


def require_campaigner(actor: Actor) -> None:
    """Heads (for the contacts of their office tree) and admins run campaigns: a manager is
    refused outright, as on admins' routes."""
    if not (actor.sees_everything or actor.role is Role.HEAD):
        raise Forbidden()


def visible_campaigns(actor: Actor) -> QuerySet[Campaign]:
    """Admins see every campaign, heads those of their office tree."""
    require_campaigner(actor)
    query = Campaign.all()
    return query if actor.sees_everything else query.filter(subtree_filter(actor))


async def list_campaigns(
    actor: Actor, state: CampaignState | None, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Campaign]:
    query = visible_campaigns(actor)
    if state is not None:
        query = query.filter(state=state)
    return await keyset_page(query, parse_sort(sort, SORTS, "-id"), SORTS, after, limit)


async def list_recipients(
    campaign: Campaign, state: RecipientState | None, after: list[Any] | None, limit: int
) -> Page[CampaignRecipient]:
    """A campaign's recipients in the order they are fed, each with its message (if fed)."""
    query = CampaignRecipient.filter(campaign_id=campaign.id).select_related("message")
    if state is not None:
        query = query.filter(state=state)
    return await keyset_page(
        query, parse_sort(None, RECIPIENT_SORTS, "id"), RECIPIENT_SORTS, after, limit
    )
