"""Order lists and the order with its status history; the orders of a client or deal and the
order card the bot shows; what the client was told of a status change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.queryset import QuerySet

from models.actor import Actor
from models.entities import (
    Company,
    Contact,
    Deal,
    Order,
    OrderStatus,
    OrderStatusChange,
    OutboundMessage,
)
from models.errors import NotFound
from models.ops.notifications import order_status_dedup_key
from models.queries.cards import Subject, get_subject
from models.queries.paging import Page, keyset_page, parse_sort
from models.rules.order_import import NUMBER_LENGTH
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


# ---- the orders of a client or deal, and the order card -------------------------------------

_LINKS = {"contact": "contact_id", "company": "company_id", "deal": "deal_id"}
CARD_HISTORY = 5  # status changes on an order card


def _orders_of(actor: Actor, kind: str, object_id: int) -> QuerySet[Order]:
    return visible(Order, actor).filter(**{_LINKS[kind]: object_id})


async def count_orders_of(actor: Actor, kind: str, object_id: int) -> int:
    """How many orders of this contact, company or deal the actor may see. The caller has
    loaded the record itself through the visibility functions."""
    if kind not in _LINKS:
        return 0
    return await _orders_of(actor, kind, object_id).count()


@dataclass(frozen=True, slots=True)
class ClientOrders:
    """A page of a client's or deal's orders, newest first, and how many there are in all."""

    subject: Subject
    orders: list[Order]
    total: int
    offset: int


async def orders_of(
    actor: Actor, kind: str, object_id: int, *, offset: int, limit: int
) -> ClientOrders:
    """The visible orders of a contact, company or deal the actor may see (else `NotFound`),
    the newest first."""
    if kind not in _LINKS:
        raise NotFound(kind, object_id)
    subject = await get_subject(actor, kind, object_id)
    query = _orders_of(actor, kind, object_id)
    total = await query.count()
    orders = await query.order_by("-created_at", "-id").offset(offset).limit(limit)
    return ClientOrders(subject, orders, total, offset)


@dataclass(frozen=True, slots=True)
class StatusStep:
    """One status change with the name of whoever made it (None: the system, or a user since
    deleted)."""

    change: OrderStatusChange
    by_name: str | None


@dataclass(frozen=True, slots=True)
class OrderCard:
    """A visible order with its client and deal (shown by name because they belong to a visible
    order; `*_visible` says whether the actor may open them) and its latest status changes,
    newest first."""

    order: Order
    contact: Contact | None
    contact_visible: bool
    company: Company | None
    company_visible: bool
    deal: Deal | None
    deal_visible: bool
    history: list[StatusStep]


async def _linked(
    actor: Actor, model: type[Contact] | type[Company] | type[Deal], object_id: int | None
) -> tuple[Any, bool]:
    if object_id is None:
        return None, False
    record = await model.get_or_none(id=object_id)
    if record is None:
        return None, False
    return record, await visible(model, actor).filter(id=object_id).exists()


async def _card(actor: Actor, order: Order) -> OrderCard:
    contact, contact_visible = await _linked(actor, Contact, order.contact_id)
    company, company_visible = await _linked(actor, Company, order.company_id)
    deal, deal_visible = await _linked(actor, Deal, order.deal_id)
    changes = (
        await OrderStatusChange.filter(order_id=order.id)
        .select_related("by")
        .order_by("-changed_at", "-id")
        .limit(CARD_HISTORY)
    )
    history = [
        StatusStep(change, change.by.full_name if change.by is not None else None)
        for change in changes
    ]
    return OrderCard(
        order, contact, contact_visible, company, company_visible, deal, deal_visible, history
    )


async def order_card(actor: Actor, order_id: int) -> OrderCard:
    """The card of an order the actor may see (else `NotFound`)."""
    return await _card(actor, await get_visible(Order, actor, order_id))


def clean_number(text: str) -> str:
    """An order number as a person types it: «№ З-7», "#З-7" and "З-7" are the same."""
    return text.strip().lstrip("№#").strip()


async def order_card_by_number(actor: Actor, number: str) -> OrderCard:
    """The card of the order with this number, if the actor may see it: an order of another
    office is not found, like a number nobody has."""
    wanted = clean_number(number)
    # Only what a number can be: a longer one or a NUL fails Tortoise's or PostgreSQL's checks.
    possible = wanted and len(wanted) <= NUMBER_LENGTH and "\x00" not in wanted
    order = await visible(Order, actor).get_or_none(number=wanted) if possible else None
    if order is None:
        raise NotFound("order", wanted)
    return await _card(actor, order)


@dataclass(frozen=True, slots=True)
class StatusNotice:
    """What the client is told of an order's latest status change: the outbox message written
    for it in the change's transaction (`notify_order_status`), or None when nothing was
    written: the order has no contact (`has_contact` False), or no active template has the
    purpose of that status (the notification is switched off)."""

    status: OrderStatus
    has_contact: bool
    message: OutboundMessage | None


async def latest_status_notice(order: Order) -> StatusNotice | None:
    """The notice of the order's latest status change; None when its status never changed
    (creating an order notifies nobody)."""
    change = await OrderStatusChange.filter(order_id=order.id).order_by("-id").first()
    if change is None or change.from_status is None:
        return None
    message = await OutboundMessage.get_or_none(
        dedup_key=order_status_dedup_key(order.id, change.id)
    )
    return StatusNotice(OrderStatus(change.status), order.contact_id is not None, message)
