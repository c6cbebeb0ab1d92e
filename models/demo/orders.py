"""Orders, mostly from won deals, each with a status history that follows the allowed moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from models.demo import texts
from models.demo.clients import Clients
from models.demo.context import Context
from models.demo.deals import Deals
from models.demo.ids import reserve_ids
from models.entities import Order, OrderStatus, OrderStatusChange
from models.rules.orders import can_change

ORDERS = 150
S = OrderStatus
HAPPY_PATH = (S.NEW, S.CONFIRMED, S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED)


@dataclass
class Orders:
    orders: list[Order] = field(default_factory=list)
    changes: list[OrderStatusChange] = field(default_factory=list)


async def build_orders(ctx: Context, clients: Clients, deals: Deals, won_ids: set[int]) -> Orders:
    rng = ctx.rng
    result = Orders()
    won = [d for d in deals.deals if d.id in won_ids]
    rng.shuffle(won)
    for number, order_id in enumerate(await reserve_ids(Order, ORDERS), start=1):
        if number <= len(won):
            deal = won[number - 1]
            start = deal.closed_at or ctx.now
            contact_id, company_id, deal_id = deal.contact_id, deal.company_id, deal.id
            owner_id, office_id, amount = deal.owner_id, deal.office_id, deal.amount_minor
        else:
            contact = rng.choice(clients.contacts)
            start = ctx.days_ago(0.5, 120)
            contact_id, company_id, deal_id = contact.id, contact.company_id, None
            owner_id, office_id = contact.owner_id, contact.office_id
            amount = rng.randint(50, 3000) * 10_000
        at = min(ctx.now, start + timedelta(hours=rng.uniform(1, 48)))
        cancel_after = rng.randint(1, 4) if rng.random() < 0.1 else None
        history = [
            OrderStatusChange(order_id=order_id, status=S.NEW, changed_at=at, by_id=owner_id)
        ]
        status = S.NEW
        for step, target in enumerate(HAPPY_PATH[1:], start=1):
            at += timedelta(days=rng.uniform(0.3, 4))
            if cancel_after == step:
                target = S.CANCELLED
            if at > ctx.now or not can_change(status, target):
                break
            history.append(
                OrderStatusChange(
                    order_id=order_id,
                    from_status=status,
                    status=target,
                    changed_at=at,
                    comment=ctx.text(texts.ORDER_COMMENTS[target.value]),
                    by_id=owner_id,
                )
            )
            status = target
            if status is S.CANCELLED:
                break
        created = history[0].changed_at
        result.orders.append(
            Order(
                id=order_id,
                number=f"DEMO-{number:05d}",
                status=status,
                contact_id=contact_id,
                company_id=company_id,
                deal_id=deal_id,
                owner_id=owner_id,
                office_id=office_id,
                amount_minor=amount,
                currency="RUB",
                version=len(history),
                created_at=created,
                updated_at=history[-1].changed_at,
            )
        )
        result.changes.extend(history)
    return result
