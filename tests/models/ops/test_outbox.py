"""The outbox: messages written with their change, once per dedup key, through the first usable
channel, never marketing without consent; claims, results, fallback and the dead letter."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from tortoise.transactions import in_transaction

from models.channels import DeliveryResult, use_channels
from models.clock import FrozenClock
from models.entities import (
    Channel,
    ChannelIdentity,
    Contact,
    MessageState,
    OutboundMessage,
    Template,
)
from models.errors import Forbidden, ValidationFailed
from models.ops.consents import give_consent, withdraw_consent
from models.ops.orders import change_order_status
from models.ops.outbox import (
    Refs,
    claim_due,
    enqueue_for_contact,
    record_delivery,
    replay_message,
)
from models.ops.templates import install_default_templates
from models.settings import get_settings
from tests.factories import Org, make_contact, make_deal, make_order
from tests.models.expect import error_codes

pytestmark = pytest.mark.usefixtures("db")
ALL = {Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}


@pytest.fixture
def every_channel() -> Iterator[None]:
    with use_channels(ALL):
        yield


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()


async def _contact(org: Org, **values: Any) -> Contact:
    language = values.pop("language", None)
    identities = values.pop("identities", {})
    contact = await make_contact(org.manager, **values)
    if language:
        await Contact.filter(id=contact.id).update(language=language)
        contact.language = language
    for channel, address in identities.items():
        await ChannelIdentity.create(contact_id=contact.id, channel=channel, address=address)
    return contact


@pytest.mark.usefixtures("every_channel", "templates", "clock")
async def test_an_order_status_change_notifies_the_client_in_the_same_transaction(
    org: Org,
) -> None:
    contact = await _contact(
        org, first_name="Иван", emails=["ivan@example.test"], preferred_channels=["email"]
    )
    order = await make_order(org.manager, contact_id=contact.id, number="A-7", amount="1500")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert (message.channel, message.address, message.state) == (
        Channel.EMAIL,
        "ivan@example.test",
        MessageState.QUEUED,
    )
    assert message.purpose == "order_status.confirmed"
    assert message.subject == "Заказ №\u00a0A-7 подтверждён"
    assert "Здравствуйте, Иван!" in message.body
    assert "1\u00a0500,00 RUB" in message.text_body
    assert message.payload["refs"] == {"order_id": order.id}

    async def failing_request() -> None:
        async with in_transaction():
            await change_order_status(org.manager, order.id, "paid", version=None)
            raise RuntimeError("the request failed after the change")

    with pytest.raises(RuntimeError):
        await failing_request()
    assert await OutboundMessage.filter(contact_id=contact.id).count() == 1, "rolled back together"


@pytest.mark.usefixtures("every_channel", "templates", "clock")
async def test_order_news_go_in_the_clients_language_else_in_the_installations(
    org: Org,
) -> None:
    contact = await make_contact(
        org.manager, emails=["ivan@example.test"], preferred_channels=["email"], language="en"
    )
    order = await make_order(org.manager, contact_id=contact.id, number="A-7", amount="1500")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    confirmed = await OutboundMessage.get(purpose="order_status.confirmed")
    english = await Template.get(
        purpose="order_status.confirmed", channel=Channel.EMAIL, language="en"
    )
    assert (confirmed.language, confirmed.template_id) == ("en", english.id)
    assert confirmed.subject == "Order A-7 confirmed"
    assert "1,500.00 RUB" in confirmed.text_body

    # No English template for this status: the installation's language (Russian) rather than
    # no message at all.
    await Template.filter(purpose="order_status.paid", language="en").update(is_active=False)
    await change_order_status(org.manager, order.id, "paid", version=None)
    paid = await OutboundMessage.get(purpose="order_status.paid")
    assert (paid.language, paid.channel, paid.state) == ("ru", Channel.EMAIL, MessageState.QUEUED)
    assert paid.subject == "Заказ №\u00a0A-7 оплачен"
    assert "Мы получили оплату заказа" in paid.text_body


@pytest.mark.usefixtures("every_channel", "templates")
async def test_without_a_template_in_the_installations_language_another_one_goes(
    org: Org, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VORONKA_LANGUAGE", "en")
    get_settings.cache_clear()
    try:
        contact = await make_contact(org.manager, emails=["a@example.test"], language="ru")
        await Template.filter(purpose="proposal_sent", language="ru").delete()
        message = await enqueue_for_contact(contact, "proposal_sent", dedup_key="p:en")
        unset = await make_contact(org.manager, emails=["b@example.test"])
        default = await enqueue_for_contact(unset, "thanks_after_call", dedup_key="t:default")
    finally:
        monkeypatch.delenv("VORONKA_LANGUAGE")
        get_settings.cache_clear()
    assert message is not None
    assert (message.language, message.state) == ("en", MessageState.QUEUED)
    assert default is not None
    assert default.language == "en", "a contact without a language gets VORONKA_LANGUAGE"


@pytest.mark.usefixtures("every_channel", "templates")
async def test_a_repeated_dedup_key_does_nothing(org: Org) -> None:
    contact = await _contact(org, emails=["a@example.test"])
    first = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="call:1")
    again = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="call:1")
    assert first is not None
    assert again is not None
    assert again.id == first.id
    assert await OutboundMessage.all().count() == 1


@pytest.mark.usefixtures("templates")
async def test_the_first_usable_channel_in_the_contacts_order_is_taken(org: Org) -> None:
    contact = await _contact(
        org,
        phones=["+79161234567"],
        emails=["b@example.test"],
        preferred_channels=["telegram", "sms", "email"],
        language="en",
    )
    with use_channels({Channel.SMS, Channel.EMAIL}):  # Telegram is not configured
        message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="k1")
    assert message is not None
    assert (message.channel, message.address, message.language) == (
        Channel.SMS,
        "+79161234567",
        "en",
    )
    assert message.body.startswith("Thank you for the call")
    with use_channels(ALL):
        await ChannelIdentity.create(contact_id=contact.id, channel="telegram", address="555")
        telegram = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="k2")
    assert telegram is not None
    assert (telegram.channel, telegram.address) == (
        Channel.TELEGRAM,
        "555",
    )


@pytest.mark.usefixtures("every_channel", "templates")
async def test_no_usable_channel_is_a_visible_failed_message(org: Org) -> None:
    contact = await _contact(org, preferred_channels=["telegram", "email"])
    message = await enqueue_for_contact(contact, "proposal_sent", dedup_key="p1")
    assert message is not None
    assert message.state == MessageState.FAILED
    assert message.next_attempt_at is None
    assert message.last_error == ("no usable channel: telegram: no address; email: no address")


@pytest.mark.usefixtures("every_channel")
async def test_a_purpose_without_active_templates_is_switched_off(org: Org, templates: int) -> None:
    contact = await _contact(org, emails=["c@example.test"])
    await Template.filter(purpose="order_status.paid").update(is_active=False)
    assert await enqueue_for_contact(contact, "order_status.paid", dedup_key="x") is None
    assert not await OutboundMessage.exists()


@pytest.mark.usefixtures("every_channel", "templates", "clock")
async def test_marketing_needs_a_current_consent_and_a_withdrawal_cancels_it(org: Org) -> None:
    contact = await _contact(org, emails=["d@example.test"], preferred_channels=["email"])
    refused = await enqueue_for_contact(contact, "birthday_greeting", dedup_key="bday:2025")
    assert refused is not None
    assert refused.state == MessageState.CANCELLED
    assert "no marketing consent" in refused.last_error

    await give_consent(org.manager, contact.id, "marketing", text_version="v1", channel="email")
    queued = await enqueue_for_contact(contact, "birthday_greeting", dedup_key="bday:2026")
    assert queued is not None
    assert queued.state == MessageState.QUEUED
    service = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="thanks")
    assert service is not None
    assert service.state == MessageState.QUEUED

    cancelled = await withdraw_consent(org.manager, contact.id, "marketing")
    assert cancelled == 1
    await queued.refresh_from_db()
    await service.refresh_from_db()
    assert (queued.state, queued.last_error) == (MessageState.CANCELLED, "consent withdrawn")
    assert service.state == MessageState.QUEUED, "service notifications stay"
    later = await enqueue_for_contact(contact, "birthday_greeting", dedup_key="bday:2027")
    assert later is not None
    assert later.state == MessageState.CANCELLED


async def _queued(org: Org, key: str = "m1", **contact: Any) -> OutboundMessage:
    contact.setdefault("emails", ["e@example.test"])
    person = await _contact(org, **contact)
    with use_channels(ALL):
        message = await enqueue_for_contact(person, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert message.state == MessageState.QUEUED
    return message


@pytest.mark.usefixtures("templates")
async def test_only_due_messages_are_claimed_once(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    later = await _queued(org, "m2", emails=["f@example.test"])
    await OutboundMessage.filter(id=later.id).update(
        next_attempt_at=clock.now() + timedelta(hours=1)
    )
    claimed = await claim_due(10)
    assert [m.id for m in claimed] == [message.id]
    assert claimed[0].attempt == 1
    assert claimed[0].address == "e@example.test"
    assert await claim_due(10) == [], "a claimed message is not claimed again while the claim runs"
    row = await OutboundMessage.get(id=message.id)
    assert row.state == MessageState.SENDING
    assert row.claimed_at == clock.now()


@pytest.mark.usefixtures("templates", "clock")
async def test_concurrent_claims_never_share_a_message(org: Org) -> None:
    for n in range(12):
        await _queued(org, f"c{n}", emails=[f"c{n}@example.test"])

    async def claim() -> list[int]:
        async with in_transaction():
            return [m.id for m in await claim_due(5)]

    batches = await asyncio.gather(*(claim() for _ in range(4)))
    ids = [i for batch in batches for i in batch]
    assert len(ids) == len(set(ids)) == 12


@pytest.mark.usefixtures("templates")
async def test_results_move_the_message_on(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    [claimed] = await claim_due(1)
    state = await record_delivery(claimed, DeliveryResult.sent("<id@x>"), max_attempts=3)
    assert state == MessageState.SENT
    row = await OutboundMessage.get(id=message.id)
    assert (row.provider_message_id, row.sent_at, row.next_attempt_at) == (
        "<id@x>",
        clock.now(),
        None,
    )
    assert await record_delivery(claimed, DeliveryResult.sent("dup"), max_attempts=3) is None


@pytest.mark.usefixtures("templates")
async def test_transient_failures_retry_with_backoff_then_die(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    rng = random.Random(1)
    waits = []
    for attempt in (1, 2):
        [claimed] = await claim_due(1)
        assert claimed.attempt == attempt
        state = await record_delivery(
            claimed, DeliveryResult.retry("451 busy"), max_attempts=3, rng=rng
        )
        assert state == MessageState.FAILED
        row = await OutboundMessage.get(id=message.id)
        assert row.last_error == "will retry: 451 busy"
        assert row.next_attempt_at is not None
        waits.append(row.next_attempt_at - clock.now())
        assert await claim_due(1) == [], "not before its time"
        clock.advance(waits[-1])
    assert waits[1] > waits[0] / 2
    [claimed] = await claim_due(1)
    retry_after = await record_delivery(
        claimed, DeliveryResult.retry("429", retry_after=1), max_attempts=3
    )
    assert retry_after == MessageState.DEAD
    row = await OutboundMessage.get(id=message.id)
    assert (row.state, row.attempts, row.next_attempt_at) == (MessageState.DEAD, 3, None)
    assert row.last_error == "attempts exhausted: 429"


@pytest.mark.usefixtures("templates")
async def test_a_deferred_send_waits_queued_and_never_dies(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    for _ in range(3):
        [claimed] = await claim_due(1)
        assert claimed.attempt == 1, "a deferral is not an attempt"
        state = await record_delivery(
            claimed, DeliveryResult.deferred("SMS sender +1 is at its 1/s", 40), max_attempts=1
        )
        assert state == MessageState.QUEUED
        row = await OutboundMessage.get(id=message.id)
        assert (row.attempts, row.last_error) == (0, "deferred: SMS sender +1 is at its 1/s")
        assert row.next_attempt_at == clock.now() + timedelta(seconds=40)
        assert await claim_due(1) == []
        clock.advance(timedelta(seconds=40))
    [claimed] = await claim_due(1)
    assert await record_delivery(claimed, DeliveryResult.sent("SM1"), max_attempts=1) == (
        MessageState.SENT
    )


@pytest.mark.usefixtures("templates")
async def test_retry_after_from_the_channel_is_honoured(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    [claimed] = await claim_due(1)
    await record_delivery(claimed, DeliveryResult.retry("429", retry_after=7), max_attempts=5)
    row = await OutboundMessage.get(id=message.id)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=7)


@pytest.mark.usefixtures("templates", "clock", "pipeline")
async def test_a_permanent_failure_falls_back_to_the_next_preferred_channel(org: Org) -> None:
    contact = await _contact(
        org,
        phones=["+79161234567"],
        emails=["g@example.test"],
        preferred_channels=["whatsapp", "email"],
    )
    deal = await make_deal(org.manager, title="Поставка бумаги", contact_id=contact.id)
    with use_channels(ALL):
        first = await enqueue_for_contact(
            contact, "proposal_sent", dedup_key="kp:1", refs=Refs(deal_id=deal.id)
        )
        assert first is not None
        assert first.channel == Channel.WHATSAPP
        [claimed] = await claim_due(1)
        state = await record_delivery(
            claimed, DeliveryResult.permanent("63016 not a WhatsApp number"), max_attempts=5
        )
    assert state == MessageState.FAILED
    follow = await OutboundMessage.get(fallback_of_id=first.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.EMAIL,
        "g@example.test",
        MessageState.QUEUED,
    )
    assert "Поставка бумаги" in follow.subject, "rendered again from the same references"
    await first.refresh_from_db()
    assert first.last_error == (
        f"permanent: 63016 not a WhatsApp number; fell back to message {follow.id}"
    )
    with use_channels(ALL):
        [claimed] = await claim_due(1)
        await record_delivery(claimed, DeliveryResult.permanent("550 no mailbox"), max_attempts=5)
    await follow.refresh_from_db()
    assert follow.last_error.endswith("no other channel to fall back to")
    assert await OutboundMessage.all().count() == 2


@pytest.mark.usefixtures("templates")
async def test_admins_replay_the_dead_letter(org: Org, clock: FrozenClock) -> None:
    message = await _queued(org)
    [claimed] = await claim_due(1)
    await record_delivery(claimed, DeliveryResult.retry("down"), max_attempts=1)
    with pytest.raises(Forbidden):
        await replay_message(org.manager, message.id)
    replayed = await replay_message(org.admin, message.id)
    assert (replayed.state, replayed.attempts, replayed.next_attempt_at) == (
        MessageState.QUEUED,
        0,
        clock.now(),
    )
    with pytest.raises(ValidationFailed) as caught:
        await replay_message(org.admin, message.id)
    assert error_codes(caught.value) == {"state": "not_replayable"}
    [again] = await claim_due(1)
    assert again.id == message.id
    assert again.attempt == 1
