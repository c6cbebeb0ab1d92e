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


def steps_to(current: OrderStatus, target: OrderStatus) -> list[OrderStatus] | None:
    """The shortest run of allowed steps from `current` to `target`, `target` last: what an
    order goes through when another system reports only where it is now (an import of
    «delivered» for an order still «confirmed» here). [] when it is there; None when no run of
    steps leads there (back from «shipped» to «paid», or out of «completed»)."""
    paths: dict[OrderStatus, list[OrderStatus]] = {current: []}
    frontier = [current]
    while frontier and target not in paths:
        reached = []
        for status in frontier:
            for following in sorted(NEXT_STATUSES[status]):
                if following not in paths:
                    paths[following] = [*paths[status], following]
                    reached.append(following)
        frontier = reached
    return paths.get(target)
