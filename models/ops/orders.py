"""Orders and their status history (the source of client order-status notifications)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.actor import Actor
from models.audit import audit_changes, audit_created
from models.clock import now
from models.entities import Company, Contact, Deal, Order, OrderStatus, OrderStatusChange
from models.errors import FieldError, FieldErrors, NotFound, ValidationFailed
from models.events import emit
from models.ops import fields as f
from models.ops.notifications import notify_order_status
from models.ops.versioning import update_versioned
from models.rules.money import parse_amount
from models.rules.orders import NEXT_STATUSES, can_change
from models.scope import get_visible
from models.text import Text

ENTITY = "order"
FIELDS = {"number", "amount", "currency", "contact_id", "company_id", "deal_id", "owner_id"}
_NUMBER_TAKEN = Text("Заказ с таким номером уже есть.", "An order with this number exists.")
_BAD_STATUS = Text("Неизвестный статус заказа.", "Unknown order status.")
_BAD_MOVE = Text(
    "Из статуса «{old}» можно перейти только в: {allowed}.",
    "From “{old}” the order can only go to: {allowed}.",
)


async def create_order(actor: Actor, values: Mapping[str, Any]) -> Order:
    errors = FieldErrors()
    f.reject_unknown(values, FIELDS, errors)
    number = f.text_field(values, "number", 64, errors)
    if not number:
        errors.add("number", "required", f.REQUIRED)
    currency = str(values.get("currency") or "RUB").upper()
    amount_minor = parse_amount(values.get("amount"), currency, errors)
    links: dict[str, Any] = {}
    for name, model in (("contact_id", Contact), ("company_id", Company), ("deal_id", Deal)):
        links[name] = None
        if values.get(name) is not None:
            try:
                await get_visible(model, actor, values[name])
                links[name] = values[name]
            except NotFound:
                errors.add(name, "not_found", f.NOT_FOUND_REF)
    owner = await f.owner_for(actor, values.get("owner_id"), errors)
    errors.raise_if_any()
    assert owner is not None
    taken = ValidationFailed([FieldError("number", "taken", _NUMBER_TAKEN)])
    if await Order.exists(number=number):
        raise taken
    try:
        # A savepoint: a concurrent insert of the same number fails here without poisoning the
        # caller's transaction (PostgreSQL aborts a transaction on any error).
        async with in_transaction():
            order = await Order.create(
                number=number,
                amount_minor=amount_minor,
                currency=currency,
                owner_id=owner.id,
                office_id=owner.office_id,
                **links,
            )
    except IntegrityError:
        raise taken from None
    await OrderStatusChange.create(
        order_id=order.id, status=order.status, changed_at=now(), by_id=actor.user_id
    )
    created = {"number": number, "amount_minor": amount_minor, **links}
    await audit_created(actor, ENTITY, order.id, created)
    await emit(ENTITY, order.id, "created", {k: (None, v) for k, v in created.items()})
    return order


async def change_order_status(
    actor: Actor,
    order_id: int,
    status: str,
    *,
    version: int | None,
    comment: str = "",
) -> Order:
    """Move the order to another status, with its history row and audit, and notify its contact
    (models/ops/notifications.py) in the same transaction (unless `clients_quiet`)."""
    order = await get_visible(Order, actor, order_id)
    try:
        target = OrderStatus(status)
    except ValueError:
        raise ValidationFailed([FieldError("status", "invalid_choice", _BAD_STATUS)]) from None
    current = OrderStatus(order.status)
    if target == current:
        return order
    if not can_change(current, target):
        allowed = ", ".join(s.value for s in sorted(NEXT_STATUSES[current])) or "—"
        raise ValidationFailed(
            [
                FieldError(
                    "status",
                    "invalid_transition",
                    _BAD_MOVE.format(old=current.value, allowed=allowed),
                )
            ]
        )
    await update_versioned(order, version, status=target)
    change = await OrderStatusChange.create(
        order_id=order.id,
        from_status=current,
        status=target,
        changed_at=now(),
        comment=comment.strip()[:500],
        by_id=actor.user_id,
    )
    await audit_changes(actor, ENTITY, order.id, {"status": (current, target)}, action="status")
    await notify_order_status(order, change)
    await emit(ENTITY, order.id, "updated", {"status": (current, target)})
    return order


async def change_order_amount(
    actor: Actor, order_id: int, amount: str, currency: str, *, version: int | None
) -> Order:
    """Set the order's amount and currency (the amount as a decimal text, comma or dot), with
    its audit; the same amount again changes nothing."""
    order = await get_visible(Order, actor, order_id)
    errors = FieldErrors()
    currency = currency.upper()
    amount_minor = parse_amount(amount, currency, errors)
    errors.raise_if_any()
    changes = {
        "amount_minor": (order.amount_minor, amount_minor),
        "currency": (order.currency, currency),
    }
    real = {name: pair for name, pair in changes.items() if pair[0] != pair[1]}
    if not real:
        return order
    await update_versioned(order, version, **{name: new for name, (_, new) in real.items()})
    await audit_changes(actor, ENTITY, order.id, real)
    await emit(ENTITY, order.id, "updated", real)
    return order
