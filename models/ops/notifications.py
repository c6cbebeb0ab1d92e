"""Notifications to clients that business changes send by themselves (through the outbox)."""

from __future__ import annotations

from models.entities import Contact, Order, OrderStatusChange, OutboundMessage
from models.ops.outbox import Refs, enqueue_for_contact
from models.rules.default_templates import order_status_purpose


def order_status_dedup_key(order_id: int, change_id: int) -> str:
    """The outbox key of the notification about one status change: what makes it once only,
    and how the message written for a change is found again (models/queries/orders.py)."""
    return f"order:{order_id}:status:{change_id}"


async def notify_order_status(order: Order, change: OrderStatusChange) -> OutboundMessage | None:
    """Tell the order's contact about its new status, through the template for that status
    (`order_status.<status>`) in the contact's language and first usable channel. Written in the
    caller's transaction, once per status change. None: the order has no contact, or no active
    template has that purpose (the notification is switched off)."""
    if order.contact_id is None:
        return None
    contact = await Contact.get_or_none(id=order.contact_id)
    if contact is None:
        return None
    return await enqueue_for_contact(
        contact,
        order_status_purpose(change.status),
        dedup_key=order_status_dedup_key(order.id, change.id),
        refs=Refs(order_id=order.id, deal_id=order.deal_id),
    )
