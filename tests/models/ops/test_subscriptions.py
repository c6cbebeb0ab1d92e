"""Client subscriptions in Telegram: a deep link per contact or order, bound to the first chat
that opens it, recording the chat as the contact's identity with a service consent; /stop undoes
it and sends what waited through the next channel."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock
from models.entities import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    Consent,
    ConsentPurpose,
    Contact,
    MessageState,
    OutboundMessage,
)
from models.errors import NotFound, ValidationFailed
from models.ops.consents import give_consent
from models.ops.orders import change_order_status
from models.ops.subscriptions import (
    CONSENT_TEXT_VERSION,
    SUBSCRIPTION_TTL,
    issue_subscription,
    subscribe_telegram_chat,
    unsubscribe_telegram_chat,
)
from models.ops.telegram_link import TelegramNotConfigured, issue_telegram_link
from models.ops.templates import install_default_templates
from tests.factories import Org, make_contact, make_order
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")
BOT = "voronka_test_bot"
CHAT = 424242


@pytest.fixture
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


async def test_a_contact_link_subscribes_the_chat_with_a_service_consent(org: Org) -> None:
    contact = await make_contact(org.manager, preferred_channels=["email", "sms"])
    link = await issue_subscription(org.manager, BOT, contact_id=contact.id)
    assert link.url == f"https://t.me/{BOT}?start={link.token}"
    assert link.token.startswith("sub_")
    assert len(link.token) <= 64  # Telegram's limit for a start parameter
    subscribed = await subscribe_telegram_chat(link.token, CHAT)
    assert subscribed is not None
    assert (subscribed.contact.id, subscribed.order, subscribed.language) == (
        contact.id,
        None,
        "ru",
    )
    identity = await ChannelIdentity.get(contact_id=contact.id)
    assert (identity.channel, identity.address) == (Channel.TELEGRAM, str(CHAT))
    consent = await Consent.get(contact_id=contact.id)
    assert (consent.purpose, consent.channel, consent.text_version, consent.withdrawn_at) == (
        ConsentPurpose.SERVICE,
        Channel.TELEGRAM,
        CONSENT_TEXT_VERSION,
        None,
    )
    reloaded = await Contact.get(id=contact.id)
    assert reloaded.preferred_channels == ["telegram", "email", "sms"]
    assert reloaded.version == contact.version + 1
    actions = await AuditEntry.filter(entity="contact", entity_id=contact.id).values_list(
        "action", flat=True
    )
    assert {"telegram_subscription_link", "telegram_subscribed", "consent_given"} <= set(actions)


async def test_the_link_is_bound_to_the_first_chat(org: Org) -> None:
    contact = await make_contact(org.manager)
    link = await issue_subscription(org.manager, BOT, contact_id=contact.id)
    assert await subscribe_telegram_chat(link.token, CHAT) is not None
    assert await subscribe_telegram_chat(link.token, CHAT) is not None  # a second tap
    assert await subscribe_telegram_chat(link.token, CHAT + 1) is None
    assert await subscribe_telegram_chat("sub_unknown", CHAT) is None
    assert await ChannelIdentity.filter(contact_id=contact.id).count() == 1
    assert await Consent.filter(contact_id=contact.id).count() == 1


async def test_an_expired_link_subscribes_nobody(org: Org, clock: FrozenClock) -> None:
    contact = await make_contact(org.manager)
    link = await issue_subscription(org.manager, BOT, contact_id=contact.id)
    clock.advance(SUBSCRIPTION_TTL + timedelta(seconds=1))
    assert await subscribe_telegram_chat(link.token, CHAT) is None
    assert not await ChannelIdentity.exists()


async def test_an_order_link_subscribes_the_orders_contact(org: Org) -> None:
    contact = await make_contact(org.manager)
    order = await make_order(org.manager, contact_id=contact.id, number="Z-9")
    link = await issue_subscription(org.manager, BOT, order_id=order.id)
    subscribed = await subscribe_telegram_chat(link.token, CHAT)
    assert subscribed is not None
    assert subscribed.contact.id == contact.id
    assert subscribed.order is not None
    assert subscribed.order.number == "Z-9"
    nobody = await make_order(org.manager, number="Z-10")
    with pytest.raises(ValidationFailed) as caught:
        await issue_subscription(org.manager, BOT, order_id=nobody.id)
    assert error_codes(caught.value) == {"contact_id": "no_contact"}


async def test_links_are_issued_only_for_visible_clients_and_a_configured_bot(org: Org) -> None:
    contact = await make_contact(org.manager)
    order = await make_order(org.manager, contact_id=contact.id)
    with pytest.raises(NotFound):
        await issue_subscription(org.stranger, BOT, contact_id=contact.id)
    with pytest.raises(NotFound):
        await issue_subscription(org.stranger, BOT, order_id=order.id)
    with pytest.raises(TelegramNotConfigured):
        await issue_subscription(org.manager, None, contact_id=contact.id)


async def test_staff_links_never_look_like_client_links(org: Org) -> None:
    for _ in range(20):
        link = await issue_telegram_link(org.manager, BOT)
        assert not link.token.startswith("sub_")


@pytest.mark.usefixtures("every_channel")
async def test_order_notifications_go_to_the_subscribed_chat_and_stop_after_stop(
    org: Org,
) -> None:
    await install_default_templates()
    contact = await make_contact(
        org.manager, emails=["c@example.test"], preferred_channels=["email"]
    )
    await give_consent(org.manager, contact.id, "marketing", text_version="m1", channel="telegram")
    order = await make_order(org.manager, contact_id=contact.id, number="A-1")
    link = await issue_subscription(org.manager, BOT, order_id=order.id)
    assert await subscribe_telegram_chat(link.token, CHAT) is not None
    order = await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert (message.channel, message.address, message.state) == (
        Channel.TELEGRAM,
        str(CHAT),
        MessageState.QUEUED,
    )
    stopped = await unsubscribe_telegram_chat(CHAT)
    assert [c.id for c in stopped] == [contact.id]
    assert not await ChannelIdentity.exists(contact_id=contact.id)
    consents = await Consent.filter(contact_id=contact.id, channel=Channel.TELEGRAM)
    assert [c.withdrawn_at is not None for c in consents] == [True, True]
    await message.refresh_from_db()
    assert message.state is MessageState.FAILED
    assert message.last_error.startswith("permanent: unsubscribed in Telegram")
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.EMAIL,
        "c@example.test",
        MessageState.QUEUED,
    )
    await change_order_status(org.manager, order.id, "paid", version=None)
    latest = await OutboundMessage.filter(contact_id=contact.id).order_by("-id").first()
    assert latest is not None
    assert latest.channel is Channel.EMAIL
    assert await unsubscribe_telegram_chat(CHAT) == []
