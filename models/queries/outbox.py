"""The outbox as admins read it: messages by state (the dead letter), channel or contact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Channel, MessageState, OutboundMessage
from models.ops.org import require_admin
from models.queries.paging import Page, keyset_page, parse_sort

SORTS: dict[str, type] = {"id": int, "created_at": datetime}


@dataclass(frozen=True, slots=True)
class MessageFilters:
    state: MessageState | None = None
    channel: Channel | None = None
    contact_id: int | None = None
    purpose: str | None = None


async def list_messages(
    actor: Actor, filters: MessageFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[OutboundMessage]:
    """Admins only; newest first by default."""
    require_admin(actor)
    query = OutboundMessage.all()
    if filters.state is not None:
        query = query.filter(state=filters.state)
    if filters.channel is not None:
        query = query.filter(channel=filters.channel)
    if filters.contact_id is not None:
        query = query.filter(contact_id=filters.contact_id)
    if filters.purpose is not None:
        query = query.filter(purpose=filters.purpose)
    return await keyset_page(query, parse_sort(sort, SORTS, "-id"), SORTS, after, limit)
