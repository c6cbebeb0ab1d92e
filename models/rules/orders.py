"""Which order status may follow which."""

from __future__ import annotations

from models.entities.enums import OrderStatus

S = OrderStatus
NEXT_STATUSES: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.NEW: frozenset({S.CONFIRMED, S.CANCELLED}),
    S.CONFIRMED: frozenset({S.PAID, S.SHIPPED, S.CANCELLED}),
    S.PAID: frozenset({S.SHIPPED, S.CANCELLED}),
    S.SHIPPED: frozenset({S.DELIVERED, S.CANCELLED}),
    S.DELIVERED: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
}


def can_change(current: OrderStatus, target: OrderStatus) -> bool:
    return target in NEXT_STATUSES[current]
