import asyncio
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from models.clock import FrozenClock, use_clock
from models.entities import Order, OrderStatus, OrderStatusChange
from models.errors import NotFound, PreconditionFailed, ValidationFailed
from models.ops.orders import change_order_status, create_order
from tests.factories import (
    T0,
    Org,
    make_actor,
    make_company,
    make_contact,
    make_deal,
    make_order,
    make_pipeline,
)
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")


async def statuses(order: Order) -> list[tuple[str | None, str, datetime, int | None]]:
    rows = await OrderStatusChange.filter(order_id=order.id).order_by("id")
    return [
        (
            r.from_status.value if r.from_status else None,
            r.status.value,
            r.changed_at,
            r.by_id,  # type: ignore[attr-defined]
        )
        for r in rows
    ]


async def test_a_new_order_starts_its_history(org: Org) -> None:
    contact = await make_contact(org.manager)
    with use_clock(FrozenClock(T0)):
        order = await make_order(
            org.manager, number="A-1", amount="12 990,00", currency="rub", contact_id=contact.id
        )
    stored = await Order.get(id=order.id)
    assert (stored.number, stored.status, stored.amount, stored.currency) == (
        "A-1",
        OrderStatus.NEW,
        Decimal("12990"),
        "RUB",
    )
    assert (stored.contact_id, stored.owner_id, stored.office_id) == (
        contact.id,
        org.manager.user_id,
        org.north.id,
    )
    assert await statuses(order) == [(None, "new", T0, org.manager.user_id)]


async def test_the_whole_way_to_completed_is_recorded(org: Org) -> None:
    order = await make_order(org.manager)
    path = ["confirmed", "paid", "shipped", "delivered", "completed"]
    with use_clock(FrozenClock(T0)) as clock:
        for version, status in enumerate(path, start=1):
            clock.advance(timedelta(days=1))
            await change_order_status(org.manager, order.id, status, version=version)
    history = await statuses(order)
    assert [(h[0], h[1]) for h in history] == [
        (None, "new"),
        ("new", "confirmed"),
        ("confirmed", "paid"),
        ("paid", "shipped"),
        ("shipped", "delivered"),
        ("delivered", "completed"),
    ]
    assert [h[2] for h in history[1:]] == [T0 + timedelta(days=d) for d in range(1, 6)]
    stored = await Order.get(id=order.id)
    assert (stored.status, stored.version) == (OrderStatus.COMPLETED, 6)


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ([], "paid"),
        ([], "delivered"),
        (["confirmed", "paid", "shipped", "delivered"], "cancelled"),
        (["cancelled"], "confirmed"),
        (["confirmed", "paid"], "confirmed"),
    ],
)
async def test_invalid_transitions_are_refused_and_change_nothing(
    org: Org, path: list[str], target: str
) -> None:
    order = await make_order(org.manager)
    for version, status in enumerate(path, start=1):
        await change_order_status(org.manager, order.id, status, version=version)
    before = await statuses(order)
    with pytest.raises(ValidationFailed) as raised:
        await change_order_status(org.manager, order.id, target, version=len(path) + 1)
    assert error_codes(raised.value) == {"status": "invalid_transition"}
    assert await statuses(order) == before
    assert (await Order.get(id=order.id)).version == len(path) + 1


async def test_the_refusal_says_where_the_order_can_go(org: Org) -> None:
    order = await make_order(org.manager)
    with pytest.raises(ValidationFailed) as raised:
        await change_order_status(org.manager, order.id, "shipped", version=1)
    (error,) = raised.value.errors
    assert "cancelled, confirmed" in error.message.en
    assert "cancelled, confirmed" in error.message.ru


async def test_unknown_status(org: Org) -> None:
    order = await make_order(org.manager)
    with pytest.raises(ValidationFailed) as raised:
        await change_order_status(org.manager, order.id, "lost_in_post", version=1)
    assert error_codes(raised.value) == {"status": "invalid_choice"}


async def test_the_same_status_again_is_a_no_op(org: Org) -> None:
    order = await make_order(org.manager)
    await change_order_status(org.manager, order.id, "new", version=1)
    assert len(await statuses(order)) == 1
    assert (await Order.get(id=order.id)).version == 1


async def test_comment_is_kept(org: Org) -> None:
    order = await make_order(org.manager)
    await change_order_status(
        org.manager, order.id, "cancelled", version=1, comment="  клиент передумал "
    )
    row = await OrderStatusChange.filter(order_id=order.id, status="cancelled").get()
    assert row.comment == "клиент передумал"


async def test_stale_version(org: Org) -> None:
    order = await make_order(org.manager)
    await change_order_status(org.manager, order.id, "confirmed", version=1)
    with pytest.raises(PreconditionFailed):
        await change_order_status(org.manager, order.id, "paid", version=1)
    assert (await Order.get(id=order.id)).status is OrderStatus.CONFIRMED
    assert len(await statuses(order)) == 2


async def test_someone_elses_order_is_not_found(org: Org) -> None:
    order = await make_order(org.stranger)
    for actor in (org.manager, org.head):
        with pytest.raises(NotFound):
            await change_order_status(actor, order.id, "confirmed", version=1)
    assert (await Order.get(id=order.id)).status is OrderStatus.NEW
    await change_order_status(org.south_head, order.id, "confirmed", version=1)


async def test_bad_input_is_named(org: Org) -> None:
    await make_pipeline()
    deal = await make_deal(org.stranger)
    contact = await make_contact(org.colleague)
    company = await make_company(org.stranger)
    with pytest.raises(ValidationFailed) as raised:
        await make_order(
            org.manager,
            number="",
            amount="1,001",
            contact_id=contact.id,
            company_id=company.id,
            deal_id=deal.id,
            status="paid",
        )
    assert error_codes(raised.value) == {
        "status": "unknown_field",
        "number": "required",
        "amount": "too_precise",
        "contact_id": "not_found",
        "company_id": "not_found",
        "deal_id": "not_found",
    }
    with pytest.raises(ValidationFailed) as raised:
        await make_order(org.manager, amount="10", currency="GBP")
    assert error_codes(raised.value) == {"currency": "unknown_currency"}
    with pytest.raises(ValidationFailed) as raised:
        await make_order(org.manager, owner_id=org.colleague.user_id)
    assert error_codes(raised.value) == {"owner_id": "not_found"}
    assert not await Order.exists()


async def test_a_number_is_used_once(org: Org) -> None:
    await make_order(org.manager, number="A-100")
    with pytest.raises(ValidationFailed) as raised:
        await make_order(org.stranger, number=" A-100 ")
    assert error_codes(raised.value) == {"number": "taken"}
    assert await Order.all().count() == 1


async def test_racing_orders_with_one_number_leave_one_and_a_clear_error(db: str) -> None:
    actor = await make_actor()

    async def create() -> str:
        try:
            async with in_transaction():
                await create_order(actor, {"number": "З-100", "amount": "10"})
        except ValidationFailed as error:
            return error.errors[0].code
        return "created"

    outcomes = sorted(await asyncio.gather(create(), create(), create()))
    assert outcomes == ["created", "taken", "taken"]
    assert await Order.filter(number="З-100").count() == 1
