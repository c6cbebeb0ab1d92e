"""Order lists and the order with its status history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.actor import Actor
from models.entities import Order, OrderStatus, OrderStatusChange
from models.queries.paging import Page, keyset_page, parse_sort
from models.scope import get_visible, visible

SORTS: dict[str, type] = {
    "updated_at": datetime,
    "created_at": datetime,
    "id": int,
    "number": str,
}


@dataclass(frozen=True, slots=True)
class OrderFilters:
    contact_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    owner_id: int | None = None
    status: OrderStatus | None = None
    updated_since: datetime | None = None


async def list_orders(
    actor: Actor, filters: OrderFilters, sort: str | None, after: list[Any] | None, limit: int
) -> Page[Order]:
    query = visible(Order, actor)
    for name in ("contact_id", "company_id", "deal_id", "owner_id"):
        value = getattr(filters, name)
        if value is not None:
            query = query.filter(**{name: value})
    if filters.status is not None:
        query = query.filter(status=filters.status)
    if filters.updated_since is not None:
        query = query.filter(updated_at__gte=filters.updated_since)
    return await keyset_page(query, parse_sort(sort, SORTS, "-updated_at"), SORTS, after, limit)


async def get_order(actor: Actor, order_id: int) -> Order:
    return await get_visible(Order, actor, order_id)


async def status_history(order: Order) -> list[OrderStatusChange]:
    """The order's status changes, oldest first (the first is its creation)."""
    return await OrderStatusChange.filter(order_id=order.id).order_by("changed_at", "id")
