"""Clients subscribe to notifications through a deep link (`/start sub_…`) and unsubscribe with
/stop; staff links keep working and staff cannot be subscribed as clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import (
    Channel,
    ChannelIdentity,
    Consent,
    Contact,
    MessageState,
    OutboundMessage,
    User,
)
from models.ops.orders import change_order_status
from models.ops.subscriptions import (
    CONSENT_TEXT,
    CONSENT_TEXT_VERSION,
    SUBSCRIPTION_TTL,
    issue_subscription,
)
from models.ops.telegram_link import issue_telegram_link
from models.ops.templates import install_default_templates
from tests.bots.conftest import BotHarness, link
from tests.doubles.telegram_api import BOT_USERNAME
from tests.doubles.telegram_updates import Person
from tests.factories import T0, Org, make_contact, make_order, make_org

CLIENT = Person(9101, "Иван", "ru")
STRANGER = Person(9102, "Someone", "en")
MANAGER = Person(9103, "Ольга", "ru")
INVALID = (
    "Ссылка не сработала: она устарела, неверна или её уже открыли из другого Telegram. "
    "Попросите у менеджера новую."
)


@pytest.fixture
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


@pytest.fixture
async def org(db: str) -> Org:
    return await make_org()


async def _contact_link(org: Org, **values: object) -> tuple[Contact, str]:
    language = values.pop("language", None)
    contact = await make_contact(org.manager, **values)
    if language:
        await Contact.filter(id=contact.id).update(language=language)
    link = await issue_subscription(org.manager, BOT_USERNAME, contact_id=contact.id)
    return contact, link.token


@pytest.mark.usefixtures("every_channel")
async def test_an_order_link_subscribes_the_client_and_notifications_come_here(
    telegram: BotHarness, org: Org
) -> None:
    await install_default_templates()
    contact = await make_contact(
        org.manager, first_name="Иван", emails=["ivan@example.test"], preferred_channels=["email"]
    )
    order = await make_order(org.manager, contact_id=contact.id, number="A-17")
    link = await issue_subscription(org.manager, BOT_USERNAME, order_id=order.id)
    # The client's Telegram is in English; the contact's language is the installation's (ru).
    await telegram.send(Person(CLIENT.id, "Иван", "en"), f"/start {link.token}")
    assert telegram.texts(CLIENT) == [
        "Здравствуйте, Иван!\n\nЗаказ № A-17: новый.\n\n" + CONSENT_TEXT.ru
    ]
    identity = await ChannelIdentity.get(contact_id=contact.id)
    assert (identity.channel, identity.address) == (Channel.TELEGRAM, str(CLIENT.id))
    consent = await Consent.get(contact_id=contact.id)
    assert (consent.purpose.value, consent.channel, consent.text_version) == (
        "service",
        Channel.TELEGRAM,
        CONSENT_TEXT_VERSION,
    )
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert (message.channel, message.address, message.state) == (
        Channel.TELEGRAM,
        str(CLIENT.id),
        MessageState.QUEUED,
    )
    assert "A-17" in message.body


async def test_the_greeting_is_in_the_contacts_language(telegram: BotHarness, org: Org) -> None:
    _, token = await _contact_link(org, first_name="John", language="en")
    await telegram.send(Person(CLIENT.id, "John", "ru"), f"/start {token}")
    assert telegram.texts(CLIENT) == ["Hello, John!\n\n" + CONSENT_TEXT.en]


async def test_a_link_belongs_to_the_first_chat_and_expires(telegram: BotHarness, org: Org) -> None:
    contact, token = await _contact_link(org)
    await telegram.send(CLIENT, f"/start {token}")
    await telegram.send(CLIENT, f"/start {token}")  # a second tap greets again
    await telegram.send(Person(STRANGER.id, "Someone", "ru"), f"/start {token}")
    await telegram.send(Person(STRANGER.id, "Someone", "ru"), "/start sub_no-such-token")
    assert [t.startswith("Здравствуйте") for t in telegram.texts(CLIENT)] == [True, True]
    assert telegram.texts(STRANGER) == [INVALID, INVALID]
    assert await ChannelIdentity.filter(contact_id=contact.id).count() == 1
    with use_clock(FrozenClock(T0)) as clock:
        _, late = await _contact_link(org)
        clock.advance(SUBSCRIPTION_TTL + timedelta(minutes=1))
        await telegram.send(Person(STRANGER.id, "Someone", "ru"), f"/start {late}")
    assert telegram.texts(STRANGER)[-1] == INVALID
    assert not await ChannelIdentity.filter(address=str(STRANGER.id)).exists()


async def test_staff_cannot_subscribe_as_clients_and_staff_links_still_work(
    telegram: BotHarness, org: Org
) -> None:
    manager = await User.get(id=org.manager.user_id)
    await link(manager, MANAGER)
    _, token = await _contact_link(org)
    await telegram.send(MANAGER, f"/start {token}")
    assert telegram.texts(MANAGER) == [
        "Это ссылка для клиентов: ваш Telegram связан с учётной записью сотрудника, поэтому "
        "подписать его как клиента нельзя."
    ]
    assert not await ChannelIdentity.exists()
    colleague = await User.get(id=org.colleague.user_id)
    staff_link = await issue_telegram_link(org.colleague, BOT_USERNAME)
    await telegram.send(STRANGER, f"/start {staff_link.token}")
    assert telegram.texts(STRANGER)[0].startswith("Здравствуйте")  # the account's language
    assert (await User.get(id=colleague.id)).telegram_user_id == STRANGER.id


@pytest.mark.usefixtures("every_channel")
async def test_stop_unsubscribes_and_what_waited_goes_by_email(
    telegram: BotHarness, org: Org
) -> None:
    await install_default_templates()
    contact = await make_contact(org.manager, emails=["ivan@example.test"])
    order = await make_order(org.manager, contact_id=contact.id, number="B-1")
    link = await issue_subscription(org.manager, BOT_USERNAME, order_id=order.id)
    await telegram.send(CLIENT, f"/start {link.token}")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    await telegram.send(CLIENT, "hello?")
    await telegram.send(CLIENT, "/stop")
    await telegram.send(CLIENT, "/stop")
    assert telegram.texts(CLIENT)[1:] == [
        "Этот чат получает уведомления о ваших заказах. Отписаться: /stop",
        "Вы отписались: уведомления больше не будут приходить в этот чат. Подписаться снова "
        "можно по ссылке от менеджера.",
        "Этот чат не подписан на уведомления.",
    ]
    assert not await ChannelIdentity.exists()
    assert await Consent.filter(contact_id=contact.id, withdrawn_at=None).count() == 0
    states = (
        await OutboundMessage.filter(contact_id=contact.id)
        .order_by("id")
        .values_list("channel", "state")
    )
    assert states == [
        (Channel.TELEGRAM, MessageState.FAILED),
        (Channel.EMAIL, MessageState.QUEUED),
    ]


async def test_staff_sending_stop_are_pointed_to_unlink(telegram: BotHarness, org: Org) -> None:
    await link(await User.get(id=org.manager.user_id), MANAGER)
    await telegram.send(MANAGER, "/stop")
    assert telegram.texts(MANAGER) == [
        "/stop отписывает клиентов от уведомлений. Чтобы отключить свой Telegram от Voronka: "
        "/unlink"
    ]
    assert (await User.get(id=org.manager.user_id)).telegram_user_id == MANAGER.id
