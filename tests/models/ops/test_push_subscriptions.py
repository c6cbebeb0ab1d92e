"""Client subscriptions in the company's client app (push): the manager's subscription token,
bound to the first device as to the first Telegram chat, makes the device's FCM token the
contact's push identity with a service consent and push first in their channels; unsubscribing
undoes it and sends what waited through the next channel; a rotated FCM token takes the
subscription along; a token FCM reports gone is forgotten with its waiting messages rerouted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import DeliveryResult, use_channels
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
    TelegramSubscriptionToken,
)
from models.errors import ValidationFailed
from models.ops.consents import give_consent
from models.ops.orders import change_order_status
from models.ops.outbox import claim_due, record_delivery
from models.ops.push_subscriptions import (
    CONSENT_TEXT_VERSION,
    INVALID_TOKEN,
    PushNotConfigured,
    replace_push_token,
    subscribe_push_device,
    unsubscribe_push_device,
)
from models.ops.subscriptions import (
    SUBSCRIPTION_TTL,
    issue_subscription,
    subscribe_telegram_chat,
)
from models.ops.telegram_link import TelegramNotConfigured
from models.ops.templates import install_default_templates
from tests.doubles.fcm_api import fcm_token
from tests.factories import Org, make_contact, make_order
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db")
BOT = "voronka_test_bot"
PHONE, OTHER_PHONE, NEW_TOKEN = fcm_token(1), fcm_token(2), fcm_token(3)
EVERY_CHANNEL = {Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL, Channel.PUSH}


@pytest.fixture(autouse=True)
def every_channel() -> Iterator[None]:
    with use_channels(EVERY_CHANNEL):
        yield


async def _token(org: Org, contact: Contact) -> str:
    return (await issue_subscription(org.manager, None, contact_id=contact.id)).token


async def _audit(contact: Contact) -> list[str]:
    return list(
        await AuditEntry.filter(entity="contact", entity_id=contact.id)
        .order_by("id")
        .values_list("action", flat=True)
    )


async def test_a_device_subscribes_with_a_service_consent_and_push_first(org: Org) -> None:
    contact = await make_contact(org.manager, preferred_channels=["email", "sms"])
    token = await _token(org, contact)
    subscribed = await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION)
    assert (subscribed.contact.id, subscribed.order, subscribed.language) == (
        contact.id,
        None,
        "ru",
    )
    identity = await ChannelIdentity.get(contact_id=contact.id)
    assert (identity.channel, identity.address) == (Channel.PUSH, PHONE)
    consent = await Consent.get(contact_id=contact.id)
    assert (consent.purpose, consent.channel, consent.text_version, consent.withdrawn_at) == (
        ConsentPurpose.SERVICE,
        Channel.PUSH,
        CONSENT_TEXT_VERSION,
        None,
    )
    assert consent.recorded_by_id is None, "the client gave it themselves"
    reloaded = await Contact.get(id=contact.id)
    assert reloaded.preferred_channels == ["push", "email", "sms"]
    assert reloaded.version == contact.version + 1
    assert {"push_subscribed", "consent_given", "update"} <= set(await _audit(contact))
    change = await AuditEntry.get(entity="contact", entity_id=contact.id, action="update")
    assert (change.field, change.actor_id) == ("preferred_channels", None)


async def test_the_same_device_again_changes_nothing(org: Org) -> None:
    contact = await make_contact(org.manager)
    token = await _token(org, contact)
    await subscribe_push_device(token, PHONE, "ios", CONSENT_TEXT_VERSION)
    version = (await Contact.get(id=contact.id)).version
    audited = await _audit(contact)
    again = await subscribe_push_device(token, PHONE, "ios", CONSENT_TEXT_VERSION)
    assert again.contact.id == contact.id
    assert await ChannelIdentity.filter(contact_id=contact.id).count() == 1
    assert await Consent.filter(contact_id=contact.id).count() == 1
    assert (await Contact.get(id=contact.id)).version == version
    assert await _audit(contact) == audited


async def test_an_empty_order_becomes_push_then_the_default(org: Org) -> None:
    contact = await make_contact(org.manager)
    await subscribe_push_device(await _token(org, contact), PHONE, "web", CONSENT_TEXT_VERSION)
    reloaded = await Contact.get(id=contact.id)
    assert reloaded.preferred_channels == ["push", "telegram", "whatsapp", "sms", "email"]


async def test_an_order_that_names_push_is_the_clients_choice_and_stays(org: Org) -> None:
    contact = await make_contact(org.manager, preferred_channels=["telegram", "push", "email"])
    await subscribe_push_device(await _token(org, contact), PHONE, "android", CONSENT_TEXT_VERSION)
    reloaded = await Contact.get(id=contact.id)
    assert reloaded.preferred_channels == ["telegram", "push", "email"]
    assert reloaded.version == contact.version


async def test_the_token_is_bound_to_the_first_device_and_separately_to_a_chat(org: Org) -> None:
    contact = await make_contact(org.manager)
    token = (await issue_subscription(org.manager, BOT, contact_id=contact.id)).token
    await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION)
    with pytest.raises(ValidationFailed) as caught:
        await subscribe_push_device(token, OTHER_PHONE, "android", CONSENT_TEXT_VERSION)
    assert error_codes(caught.value) == {"token": "invalid_subscription_token"}
    # The Telegram chat is bound on its own: one token serves one chat and one device.
    assert await subscribe_telegram_chat(token, 4242) is not None
    assert await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION) is not None
    addresses = await ChannelIdentity.filter(contact_id=contact.id).values_list(
        "channel", "address"
    )
    assert sorted(addresses) == [(Channel.PUSH, PHONE), (Channel.TELEGRAM, "4242")]


async def test_wrong_expired_and_foreign_tokens_get_one_answer(
    org: Org, clock: FrozenClock
) -> None:
    contact = await make_contact(org.manager)
    taken = await _token(org, contact)
    await subscribe_push_device(taken, PHONE, "android", CONSENT_TEXT_VERSION)
    expired = await _token(org, contact)
    clock.advance(SUBSCRIPTION_TTL + timedelta(seconds=1))
    errors = []
    for token in ("sub_" + "x" * 32, "not-a-subscription-token", expired, taken):
        with pytest.raises(ValidationFailed) as caught:
            await subscribe_push_device(token, OTHER_PHONE, "android", CONSENT_TEXT_VERSION)
        errors.extend(caught.value.errors)
    assert {(e.field, e.code, e.message) for e in errors} == {
        ("token", "invalid_subscription_token", INVALID_TOKEN)
    }
    assert not await ChannelIdentity.exists(address=OTHER_PHONE)


async def test_an_order_token_subscribes_the_orders_contact(org: Org) -> None:
    contact = await make_contact(org.manager)
    order = await make_order(org.manager, contact_id=contact.id, number="Z-9")
    link = await issue_subscription(org.manager, None, order_id=order.id)
    subscribed = await subscribe_push_device(link.token, PHONE, "ios", CONSENT_TEXT_VERSION)
    assert subscribed.contact.id == contact.id
    assert subscribed.order is not None
    assert subscribed.order.number == "Z-9"


async def test_bad_fcm_tokens_and_platforms_are_refused_before_the_token_is_looked_at(
    org: Org,
) -> None:
    contact = await make_contact(org.manager)
    token = await _token(org, contact)
    for fcm, platform in (("short", "android"), (PHONE + " ", "android"), (PHONE, "symbian")):
        with pytest.raises(ValidationFailed) as caught:
            await subscribe_push_device(token, fcm, platform, CONSENT_TEXT_VERSION)
        assert error_fields(caught.value) in (["fcm_token"], ["platform"])
    assert (await TelegramSubscriptionToken.get()).consumed_device_hash is None
    assert await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION) is not None


async def test_without_push_a_device_cannot_subscribe_and_links_need_a_bot(org: Org) -> None:
    contact = await make_contact(org.manager)
    token = await _token(org, contact)
    with use_channels(EVERY_CHANNEL - {Channel.PUSH}):
        with pytest.raises(PushNotConfigured):
            await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION)
        with pytest.raises(TelegramNotConfigured) as caught:
            await issue_subscription(org.manager, None, contact_id=contact.id)
        assert "VORONKA_FCM_CREDENTIALS" in caught.value.message.en
        telegram_only = await issue_subscription(org.manager, BOT, contact_id=contact.id)
    assert telegram_only.channels == (Channel.TELEGRAM,)
    push_only = await issue_subscription(org.manager, None, contact_id=contact.id)
    assert (push_only.url, push_only.channels) == (None, (Channel.PUSH,))
    both = await issue_subscription(org.manager, BOT, contact_id=contact.id)
    assert both.url == f"https://t.me/{BOT}?start={both.token}"
    assert both.channels == (Channel.TELEGRAM, Channel.PUSH)
    assert not await ChannelIdentity.exists()


async def test_order_notifications_go_to_the_device_and_next_channel_after_unsubscribing(
    org: Org,
) -> None:
    await install_default_templates()
    contact = await make_contact(
        org.manager, emails=["c@example.test"], preferred_channels=["email"]
    )
    await give_consent(org.manager, contact.id, "marketing", text_version="m1", channel="push")
    order = await make_order(org.manager, contact_id=contact.id, number="A-1")
    link = await issue_subscription(org.manager, None, order_id=order.id)
    await subscribe_push_device(link.token, PHONE, "android", CONSENT_TEXT_VERSION)
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert (message.channel, message.address, message.state) == (
        Channel.PUSH,
        PHONE,
        MessageState.QUEUED,
    )
    assert (message.subject, message.body) == (
        "Заказ №\u00a0A-1 подтверждён",
        "Ваш заказ №\u00a0A-1 подтверждён. Мы сообщим о следующих шагах.",
    )
    assert message.payload["data"] == {"purpose": "order_status.confirmed", "order_number": "A-1"}

    stopped = await unsubscribe_push_device(PHONE)
    assert [c.id for c in stopped] == [contact.id]
    assert not await ChannelIdentity.exists(contact_id=contact.id)
    consents = await Consent.filter(contact_id=contact.id, channel=Channel.PUSH)
    assert [c.withdrawn_at is not None for c in consents] == [True, True]
    assert (await Contact.get(id=contact.id)).preferred_channels == ["email"]
    await message.refresh_from_db()
    assert message.state is MessageState.FAILED
    assert message.last_error.startswith("permanent: unsubscribed in the app")
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.EMAIL,
        "c@example.test",
        MessageState.QUEUED,
    )
    assert "push_unsubscribed" in await _audit(contact)
    assert await unsubscribe_push_device(PHONE) == []


async def test_unsubscribing_one_of_two_devices_keeps_the_consent(org: Org) -> None:
    contact = await make_contact(org.manager)
    await subscribe_push_device(await _token(org, contact), PHONE, "android", CONSENT_TEXT_VERSION)
    await subscribe_push_device(
        await _token(org, contact), OTHER_PHONE, "ios", CONSENT_TEXT_VERSION
    )
    await unsubscribe_push_device(PHONE)
    [left] = await ChannelIdentity.filter(contact_id=contact.id).values_list("address", flat=True)
    assert left == OTHER_PHONE
    assert await Consent.filter(contact_id=contact.id, withdrawn_at=None).count() == 1
    assert (await Contact.get(id=contact.id)).preferred_channels[0] == "push"


async def test_a_rotated_fcm_token_takes_the_subscription_and_waiting_messages(org: Org) -> None:
    await install_default_templates()
    contact = await make_contact(org.manager)
    order = await make_order(org.manager, contact_id=contact.id)
    token = await _token(org, contact)
    await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION)
    await change_order_status(org.manager, order.id, "confirmed", version=None)

    assert await replace_push_token(PHONE, NEW_TOKEN) == 1
    [address] = await ChannelIdentity.filter(contact_id=contact.id).values_list(
        "address", flat=True
    )
    assert address == NEW_TOKEN
    message = await OutboundMessage.get(contact_id=contact.id)
    assert (message.address, message.state) == (NEW_TOKEN, MessageState.QUEUED)
    # The token is now bound to the device under its new FCM token, and no longer the old one.
    assert (
        await subscribe_push_device(token, NEW_TOKEN, "android", CONSENT_TEXT_VERSION) is not None
    )
    with pytest.raises(ValidationFailed):
        await subscribe_push_device(token, PHONE, "android", CONSENT_TEXT_VERSION)
    assert "push_token_replaced" in await _audit(contact)
    assert await replace_push_token(PHONE, OTHER_PHONE) == 0
    assert not await ChannelIdentity.exists(address=OTHER_PHONE)


async def test_a_token_fcm_reports_gone_is_forgotten_with_what_waited_for_it(org: Org) -> None:
    await install_default_templates()
    contact = await make_contact(org.manager, emails=["c@example.test"])
    first = await make_order(org.manager, contact_id=contact.id)
    second = await make_order(org.manager, contact_id=contact.id)
    await subscribe_push_device(await _token(org, contact), PHONE, "android", CONSENT_TEXT_VERSION)
    await change_order_status(org.manager, first.id, "confirmed", version=None)
    [sending] = await claim_due(1, Channel.PUSH)
    await change_order_status(org.manager, second.id, "confirmed", version=None)
    gone = DeliveryResult.permanent("FCM UNREGISTERED", forget_address=True)
    assert await record_delivery(sending, gone, max_attempts=5) is MessageState.FAILED

    assert not await ChannelIdentity.exists(contact_id=contact.id)
    pushes = await OutboundMessage.filter(contact_id=contact.id, channel=Channel.PUSH)
    assert [(m.state, m.next_attempt_at) for m in pushes] == [(MessageState.FAILED, None)] * 2
    assert pushes[1].last_error.startswith("permanent: address gone")
    emails = await OutboundMessage.filter(contact_id=contact.id, channel=Channel.EMAIL)
    assert sorted(m.fallback_of_id or 0 for m in emails) == sorted(m.id for m in pushes)
    assert {m.address for m in emails} == {"c@example.test"}
