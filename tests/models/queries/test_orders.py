"""The orders of a client or deal, the order card by id or number, and what a status change
told the client: each only through what the actor may see."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from models.channels import use_channels
from models.entities import Channel, ChannelIdentity, MessageState, Template
from models.errors import NotFound
from models.ops.orders import change_order_status
from models.ops.templates import install_default_templates
from models.queries.orders import (
    count_orders_of,
    latest_status_notice,
    order_card,
    order_card_by_number,
    orders_of,
)
from tests.factories import Org, make_company, make_contact, make_deal, make_order, make_pipeline

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture(autouse=True)
def telegram_only() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM}):
        yield


async def test_a_clients_orders_are_those_the_actor_sees_newest_first(org: Org) -> None:
    contact = await make_contact(org.manager)
    first = await make_order(org.manager, number="З-1", contact_id=contact.id)
    second = await make_order(org.manager, number="З-2", contact_id=contact.id)
    await make_order(org.admin, number="Ч-1", contact_id=contact.id, owner_id=org.stranger.user_id)

    assert await count_orders_of(org.manager, "contact", contact.id) == 2
    assert await count_orders_of(org.admin, "contact", contact.id) == 3
    page = await orders_of(org.manager, "contact", contact.id, offset=0, limit=1)
    assert ([o.id for o in page.orders], page.total) == ([second.id], 2)
    page = await orders_of(org.manager, "contact", contact.id, offset=1, limit=1)
    assert [o.id for o in page.orders] == [first.id]
    # The client itself must be visible: its orders are not listed through someone else's.
    with pytest.raises(NotFound):
        await orders_of(org.stranger, "contact", contact.id, offset=0, limit=5)
    with pytest.raises(NotFound):
        await orders_of(org.manager, "lead", contact.id, offset=0, limit=5)


async def test_the_order_card_names_the_client_and_deal_and_says_which_the_actor_may_open(
    org: Org,
) -> None:
    await make_pipeline()
    company = await make_company(org.manager, name="Ромашка")
    contact = await make_contact(org.manager)
    deal = await make_deal(org.manager, contact_id=contact.id)
    order = await make_order(
        org.manager, number="З-7", contact_id=contact.id, company_id=company.id, deal_id=deal.id
    )
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    card = await order_card(org.manager, order.id)
    assert (card.contact_visible, card.company_visible, card.deal_visible) == (True, True, True)
    assert [step.change.status.value for step in card.history] == ["confirmed", "new"]
    # Olga's head sees her order too; a manager of another office does not.
    head_card = await order_card(org.head, order.id)
    assert head_card.contact is not None
    with pytest.raises(NotFound):
        await order_card(org.stranger, order.id)


async def test_an_order_by_number_is_found_only_for_who_may_see_it(org: Org) -> None:
    order = await make_order(org.manager, number="З-7")
    assert (await order_card_by_number(org.manager, " №З-7 ")).order.id == order.id
    assert (await order_card_by_number(org.manager, "#З-7")).order.id == order.id
    for actor, number in ((org.stranger, "З-7"), (org.manager, "З-8"), (org.manager, "№")):
        with pytest.raises(NotFound):
            await order_card_by_number(actor, number)


async def test_the_notice_of_a_status_change_is_the_outbox_row_it_wrote(org: Org) -> None:
    await install_default_templates()
    reachable = await make_contact(org.manager)
    await ChannelIdentity.create(contact_id=reachable.id, channel=Channel.TELEGRAM, address="5")
    unreachable = await make_contact(org.manager)
    told = await make_order(org.manager, number="A-1", contact_id=reachable.id)
    failed = await make_order(org.manager, number="A-2", contact_id=unreachable.id)
    nobody = await make_order(org.manager, number="A-3")
    assert await latest_status_notice(told) is None  # a new order notifies nobody

    for order in (told, failed, nobody):
        await change_order_status(org.manager, order.id, "confirmed", version=None)
    notice = await latest_status_notice(told)
    assert notice is not None
    assert notice.message is not None
    assert (notice.message.state, notice.message.channel, notice.message.purpose) == (
        MessageState.QUEUED,
        Channel.TELEGRAM,
        "order_status.confirmed",
    )
    notice = await latest_status_notice(failed)
    assert notice is not None
    assert notice.message is not None
    assert notice.message.state is MessageState.FAILED
    notice = await latest_status_notice(nobody)
    assert notice is not None
    assert (notice.has_contact, notice.message) == (False, None)

    await Template.filter(purpose="order_status.paid").update(is_active=False)
    await change_order_status(org.manager, told.id, "paid", version=None)
    notice = await latest_status_notice(told)
    assert notice is not None
    assert (notice.status.value, notice.has_contact, notice.message) == ("paid", True, None)
