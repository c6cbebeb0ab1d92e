"""Manager-triggered messages: previewed without writing, sent through the outbox with an
outbound interaction in one go, once per dedup key, never marketing without consent, and a
client with no usable channel gets a visible failed message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from models.channels import use_channels
from models.entities import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    Contact,
    Interaction,
    InteractionKind,
    MessageState,
    OutboundMessage,
    Template,
)
from models.errors import NotFound, ValidationFailed
from models.ops.consents import give_consent
from models.ops.messages import (
    MessageRequest,
    message_purposes,
    preview_message,
    send_message,
)
from models.ops.templates import install_default_templates
from tests.factories import Org, make_contact, make_deal, make_order
from tests.models.expect import error_codes, error_fields

pytestmark = pytest.mark.usefixtures("db", "pipeline")
ALL = {Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}


@pytest.fixture
def every_channel() -> Iterator[None]:
    with use_channels(ALL):
        yield


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()


async def _contact(org: Org, **values: Any) -> Contact:
    identities = values.pop("identities", {})
    language = values.pop("language", None)
    contact = await make_contact(org.manager, **values)
    if language:
        await Contact.filter(id=contact.id).update(language=language)
    for channel, address in identities.items():
        await ChannelIdentity.create(contact_id=contact.id, channel=channel, address=address)
    return await Contact.get(id=contact.id)


@pytest.mark.usefixtures("every_channel", "templates")
async def test_a_preview_renders_for_the_client_and_writes_nothing(org: Org) -> None:
    contact = await _contact(org, first_name="Иван", identities={Channel.TELEGRAM: "777"})
    deal = await make_deal(org.manager, contact_id=contact.id, title="Поставка бетона")
    plan = await preview_message(
        org.manager, contact.id, MessageRequest(purpose="proposal_sent", deal_id=deal.id)
    )
    assert plan.usable
    assert (plan.channel, plan.address, plan.language) == (Channel.TELEGRAM, "777", "ru")
    assert plan.rendered is not None
    assert "«Поставка бетона»" in plan.rendered.body
    assert await OutboundMessage.all().count() == 0
    assert await Interaction.all().count() == 0


@pytest.mark.usefixtures("every_channel", "templates")
async def test_sending_queues_the_message_and_logs_the_text_as_an_interaction(org: Org) -> None:
    contact = await _contact(
        org, first_name="Анна", emails=["anna@example.test"], preferred_channels=["email"]
    )
    deal = await make_deal(org.manager, contact_id=contact.id, title="Окна")
    sent = await send_message(
        org.manager,
        contact.id,
        MessageRequest(purpose="thanks_after_call", deal_id=deal.id),
        dedup_key="k1",
    )
    message, interaction = sent.message, sent.interaction
    assert (message.channel, message.address, message.state) == (
        Channel.EMAIL,
        "anna@example.test",
        MessageState.QUEUED,
    )
    assert interaction is not None
    assert interaction.kind is InteractionKind.MESSAGE
    assert interaction.direction is not None
    assert interaction.direction.value == "outbound"
    assert (interaction.contact_id, interaction.deal_id) == (contact.id, deal.id)
    assert interaction.outbound_message_id == message.id
    assert interaction.outcome.startswith("Спасибо за разговор\n\nЗдравствуйте, Анна!")
    assert "<p>" not in interaction.outcome
    assert await AuditEntry.filter(
        entity="contact", entity_id=contact.id, action="message"
    ).exists()


@pytest.mark.usefixtures("every_channel", "templates")
async def test_the_same_dedup_key_sends_once(org: Org) -> None:
    contact = await _contact(org, identities={Channel.TELEGRAM: "777"})
    request = MessageRequest(purpose="thanks_after_call")
    first = await send_message(org.manager, contact.id, request, dedup_key="same")
    again = await send_message(org.manager, contact.id, request, dedup_key="same")
    assert (again.repeated, again.message.id) == (True, first.message.id)
    assert again.interaction is not None
    assert first.interaction is not None
    assert again.interaction.id == first.interaction.id
    assert await OutboundMessage.all().count() == 1
    assert await Interaction.all().count() == 1
    other = await _contact(org, identities={Channel.TELEGRAM: "778"})
    with pytest.raises(ValidationFailed) as caught:
        await send_message(org.manager, other.id, request, dedup_key="same")
    assert error_codes(caught.value) == {"idempotency_key": "reused"}


@pytest.mark.usefixtures("every_channel", "templates")
async def test_marketing_without_consent_is_refused_naming_it(org: Org) -> None:
    contact = await _contact(org, identities={Channel.TELEGRAM: "777"})
    request = MessageRequest(purpose="birthday_greeting")
    with pytest.raises(ValidationFailed) as previewed:
        await preview_message(org.manager, contact.id, request)
    with pytest.raises(ValidationFailed) as sent:
        await send_message(org.manager, contact.id, request, dedup_key="b")
    for caught in (previewed, sent):
        assert error_codes(caught.value) == {"purpose": "no_marketing_consent"}
        assert error_fields(caught.value) == ["purpose"]
    assert await OutboundMessage.all().count() == 0
    await give_consent(org.manager, contact.id, "marketing", text_version="m1", channel="telegram")
    sent = await send_message(org.manager, contact.id, request, dedup_key="b")
    assert sent.message.state is MessageState.QUEUED


@pytest.mark.usefixtures("every_channel", "templates")
async def test_no_usable_channel_leaves_a_failed_message_that_says_why(org: Org) -> None:
    contact = await _contact(org)
    sent = await send_message(
        org.manager, contact.id, MessageRequest(purpose="thanks_after_call"), dedup_key="none"
    )
    assert sent.message.state is MessageState.FAILED
    assert sent.message.last_error.startswith("no usable channel: telegram: no address")
    assert sent.interaction is None
    assert await Interaction.all().count() == 0


@pytest.mark.usefixtures("every_channel", "templates")
async def test_a_channel_override_and_one_template(org: Org) -> None:
    contact = await _contact(
        org, phones=["+79161234567"], identities={Channel.TELEGRAM: "777"}, language="en"
    )
    plan = await preview_message(
        org.manager, contact.id, MessageRequest(purpose="thanks_after_call", channel="sms")
    )
    assert (plan.channel, plan.address, plan.language) == (Channel.SMS, "+79161234567", "en")
    template = await Template.get(purpose="proposal_sent", channel=Channel.WHATSAPP, language="ru")
    plan = await preview_message(org.manager, contact.id, MessageRequest(template_id=template.id))
    assert (plan.channel, plan.language) == (Channel.WHATSAPP, "ru")
    with pytest.raises(ValidationFailed) as caught:
        await preview_message(
            org.manager, contact.id, MessageRequest(template_id=template.id, channel="email")
        )
    assert error_codes(caught.value) == {"channel": "other_channel"}


@pytest.mark.usefixtures("every_channel", "templates")
async def test_bad_requests_name_their_fields(org: Org) -> None:
    contact = await _contact(org, identities={Channel.TELEGRAM: "777"})
    someone = await _contact(org)
    their_deal = await make_deal(org.manager, contact_id=someone.id)
    hidden = await make_order(org.stranger, number="S-1")
    cases = [
        (MessageRequest(), {"purpose": "purpose_or_template"}),
        (MessageRequest(purpose="x", template_id=1), {"purpose": "purpose_or_template"}),
        (MessageRequest(purpose="no_such"), {"purpose": "unknown_purpose"}),
        (MessageRequest(template_id=999_999), {"template_id": "not_found"}),
        (MessageRequest(purpose="thanks_after_call", channel="fax"), {"channel": "invalid_choice"}),
        (
            MessageRequest(purpose="thanks_after_call", deal_id=their_deal.id),
            {"deal_id": "not_this_client"},
        ),
        (
            MessageRequest(purpose="thanks_after_call", order_id=hidden.id),
            {"order_id": "not_found"},
        ),
    ]
    for request, expected in cases:
        with pytest.raises(ValidationFailed) as caught:
            await preview_message(org.manager, contact.id, request)
        assert error_codes(caught.value) == expected, request
        error_fields(caught.value)


@pytest.mark.usefixtures("every_channel", "templates")
async def test_a_contact_out_of_scope_is_not_found(org: Org) -> None:
    contact = await _contact(org, identities={Channel.TELEGRAM: "777"})
    with pytest.raises(NotFound):
        await send_message(
            org.stranger, contact.id, MessageRequest(purpose="thanks_after_call"), dedup_key="x"
        )
    assert await OutboundMessage.all().count() == 0


@pytest.mark.usefixtures("templates")
async def test_purposes_are_named_in_both_languages_shipped_ones_first() -> None:
    await Template.create(purpose="zz_custom", channel=Channel.SMS, language="ru", body="Hi")
    choices = await message_purposes(with_order_statuses=False)
    assert [c.purpose for c in choices] == [
        "thanks_after_call",
        "proposal_sent",
        "appointment_reminder",
        "birthday_greeting",
        "zz_custom",
    ]
    assert choices[0].name.ru == "Спасибо за разговор"
    assert choices[0].name.en == "Thanks for the call"
    assert [c.marketing for c in choices] == [False, False, False, True, False]
    everything = await message_purposes()
    assert "order_status.shipped" in [c.purpose for c in everything]
