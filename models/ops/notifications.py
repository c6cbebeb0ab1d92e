"""Notifications to clients that business changes send by themselves (through the outbox)."""

from __future__ import annotations

from models.entities import Contact, Order, OrderStatusChange, OutboundMessage
from models.ops.outbox import Refs, enqueue_for_contact
from models.rules.default_templates import order_status_purpose


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
        dedup_key=f"order:{order.id}:status:{change.id}",
        refs=Refs(order_id=order.id, deal_id=order.deal_id),
    )
