"""Consents under 152-FZ as a contact's history, withdrawal of one of them, and the contact's
channels as the outbox sees them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from models.channels import use_channels
from models.clock import FrozenClock
from models.entities import Channel, ChannelIdentity, MessageState, OutboundMessage
from models.errors import NotFound, ValidationFailed
from models.ops.consents import (
    contact_channels,
    current_consents,
    give_consent,
    list_consents,
    withdraw_consent,
    withdraw_consent_by_id,
)
from models.ops.outbox import enqueue_for_contact
from models.ops.templates import install_default_templates
from tests.factories import Org, make_contact
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")


@pytest.fixture
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


async def test_the_history_lists_current_and_withdrawn_newest_first(
    org: Org, clock: FrozenClock
) -> None:
    contact = await make_contact(org.manager)
    first = await give_consent(org.manager, contact.id, "service", text_version="s1")
    clock.advance(timedelta(hours=1))
    second = await give_consent(
        org.manager, contact.id, "marketing", text_version="m1", channel="sms"
    )
    clock.advance(timedelta(hours=1))
    withdrawn = await withdraw_consent_by_id(org.manager, contact.id, first.id)
    assert withdrawn.withdrawn_at == clock.now()
    again = await withdraw_consent_by_id(org.manager, contact.id, first.id)
    assert again.withdrawn_at == withdrawn.withdrawn_at  # repeating changes nothing
    history = await list_consents(org.manager, contact.id)
    assert [(c.id, c.withdrawn_at is None) for c in history] == [
        (second.id, True),
        (first.id, False),
    ]
    assert [c.id for c in await current_consents(contact.id)] == [second.id]
    assert second.recorded_by_id == org.manager.user_id


async def test_consents_of_a_contact_out_of_scope_are_not_found(org: Org) -> None:
    contact = await make_contact(org.manager)
    other = await make_contact(org.manager)
    consent = await give_consent(org.manager, contact.id, "service", text_version="s1")
    with pytest.raises(NotFound):
        await list_consents(org.stranger, contact.id)
    with pytest.raises(NotFound):
        await withdraw_consent_by_id(org.stranger, contact.id, consent.id)
    with pytest.raises(NotFound):
        await withdraw_consent_by_id(org.manager, other.id, consent.id)
    with pytest.raises(ValidationFailed) as caught:
        await give_consent(org.manager, contact.id, "spam", text_version="", channel="fax")
    assert error_codes(caught.value) == {
        "purpose": "invalid_choice",
        "channel": "invalid_choice",
        "text_version": "required",
    }


@pytest.mark.usefixtures("every_channel")
async def test_withdrawing_one_consent_cancels_only_what_no_other_covers(org: Org) -> None:
    await install_default_templates()
    contact = await make_contact(
        org.manager, phones=["+79161234567"], preferred_channels=["sms", "email"]
    )
    everywhere = await give_consent(org.manager, contact.id, "marketing", text_version="m1")
    sms_only = await give_consent(
        org.manager, contact.id, "marketing", text_version="m1", channel="sms"
    )
    message = await enqueue_for_contact(contact, "birthday_greeting", dedup_key="bd")
    assert message is not None
    assert message.state is MessageState.QUEUED
    await withdraw_consent_by_id(org.manager, contact.id, everywhere.id)
    await message.refresh_from_db()
    assert message.state is MessageState.QUEUED  # the SMS consent still covers it
    await withdraw_consent_by_id(org.manager, contact.id, sms_only.id)
    await message.refresh_from_db()
    assert (message.state, message.last_error) == (MessageState.CANCELLED, "consent withdrawn")
    assert await OutboundMessage.filter(state=MessageState.QUEUED).count() == 0


@pytest.mark.usefixtures("every_channel")
async def test_withdrawing_by_purpose_and_channel_follows_the_same_rule(org: Org) -> None:
    await install_default_templates()
    contact = await make_contact(
        org.manager,
        phones=["+79161234567"],
        emails=["ivan@example.test"],
        preferred_channels=["sms", "email"],
    )
    await give_consent(org.manager, contact.id, "marketing", text_version="m1")
    await give_consent(org.manager, contact.id, "marketing", text_version="m1", channel="sms")
    sms = await enqueue_for_contact(contact, "birthday_greeting", dedup_key="bd-sms")
    email = await enqueue_for_contact(
        contact, "birthday_greeting", dedup_key="bd-email", channels=[Channel.EMAIL]
    )
    assert sms is not None
    assert email is not None
    assert (sms.channel, email.channel) == (Channel.SMS, Channel.EMAIL)

    # The consent for every channel still covers SMS: nothing waiting is cancelled.
    assert await withdraw_consent(org.manager, contact.id, "marketing", channel="sms") == 0
    await sms.refresh_from_db()
    assert sms.state is MessageState.QUEUED
    assert await withdraw_consent(org.manager, contact.id, "marketing") == 2
    await sms.refresh_from_db()
    await email.refresh_from_db()
    assert (sms.state, email.state) == (MessageState.CANCELLED, MessageState.CANCELLED)
    assert email.last_error == "consent withdrawn"


async def test_channels_show_the_order_identities_and_addresses(org: Org) -> None:
    contact = await make_contact(org.manager, phones=["+79161234567"], emails=["a@example.test"])
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="55")
    channels = await contact_channels(org.manager, contact.id)
    assert channels.preferred == []
    assert channels.order == [Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL]
    assert [(i.channel, i.address) for i in channels.identities] == [(Channel.TELEGRAM, "55")]
    assert channels.addresses == {
        Channel.TELEGRAM: "55",
        Channel.WHATSAPP: "+79161234567",
        Channel.SMS: "+79161234567",
        Channel.EMAIL: "a@example.test",
    }
    with pytest.raises(NotFound):
        await contact_channels(org.stranger, contact.id)
