"""«✉️ Написать» on the client and deal cards: pick a template, see the preview, send; the
message goes through the outbox once and is logged as an interaction; forged buttons and
marketing without consent send nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bots.telegram.callbacks_cards import MessagePick, MessageSend, WriteMessage
from bots.telegram.texts import STALE_BUTTON
from models.channels import use_channels
from models.entities import (
    Channel,
    ChannelIdentity,
    Interaction,
    MessageState,
    OutboundMessage,
    Template,
)
from models.ops.consents import give_consent
from models.ops.orders import change_order_status, create_order
from models.ops.templates import install_default_templates
from tests.bots.conftest import BotHarness
from tests.bots.telegram.cards_support import calls, data, labels, last_sent, linked, message_id
from tests.doubles.telegram_api import ApiCall
from tests.doubles.telegram_updates import Person
from tests.factories import Org, make_contact, make_deal, make_org, make_pipeline

OLGA = Person(8401, "Ольга", "ru")
STRANGER = Person(8402, "Пётр", "ru")
REFUSAL = "Эта запись удалена или недоступна вам. Найдите нужную через /find."
STALE = STALE_BUTTON.ru


@pytest.fixture(autouse=True)
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


@pytest.fixture
async def org(db: str) -> Org:
    await make_pipeline()
    await install_default_templates()
    return await make_org()


def last_edit(telegram: BotHarness) -> ApiCall:
    return calls(telegram, "editMessageText")[-1]


def alert(telegram: BotHarness) -> str:
    return str(calls(telegram, "answerCallbackQuery")[-1].params.get("text"))


async def _card(telegram: BotHarness, person: Person, kind: str, object_id: int) -> ApiCall:
    from bots.telegram.callbacks import OpenCard

    await telegram.press(person, OpenCard(kind=kind, id=object_id).pack(), message_id=1)
    return last_sent(telegram, person)


async def test_from_the_contact_card_pick_preview_send_once(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, last_name="Петров", first_name="Иван")
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="555")
    card = await _card(telegram, OLGA, "contact", contact.id)
    assert labels(card)[2] == ["✉️ Написать"]
    card_id = message_id(card)

    await telegram.press(OLGA, data(card, "✉️"), message_id=card_id)
    picker = last_edit(telegram)
    assert picker.params["text"] == "✉️ Сообщение для <b>Петров Иван</b>: выберите шаблон."
    assert labels(picker) == [
        ["Спасибо за разговор"],
        ["КП отправлено"],
        ["Напоминание о встрече"],
        ["📣 Поздравление с днём рождения"],
        ["Отмена"],
    ]

    await telegram.press(OLGA, data(picker, "Спасибо"), message_id=card_id)
    preview = last_edit(telegram)
    assert preview.params["text"].splitlines() == [
        "✉️ <b>Спасибо за разговор</b> для Петров Иван",
        "Канал: Telegram · 555",
        "",
        "Спасибо за разговор",
        "",
        "Спасибо за разговор! Если появятся вопросы, пишите.",
    ]
    assert labels(preview) == [["📤 Отправить", "Отмена"]]
    assert await OutboundMessage.all().count() == 0

    await telegram.press(OLGA, data(preview, "📤"), message_id=card_id)
    done = last_edit(telegram)
    assert done.params["text"] == (
        "✅ Отправлено: <b>Спасибо за разговор</b> для Петров Иван через Telegram. "
        "Записано в историю."
    )
    assert labels(done) == [["← К карточке"]]
    message = await OutboundMessage.get()
    assert (message.channel, message.address, message.state) == (
        Channel.TELEGRAM,
        "555",
        MessageState.QUEUED,
    )
    interaction = await Interaction.get(outbound_message_id=message.id)
    assert (interaction.contact_id, interaction.author_id) == (contact.id, org.manager.user_id)
    assert interaction.outcome.startswith("Спасибо за разговор")

    await telegram.press(OLGA, data(preview, "📤"), message_id=card_id)  # a second tap
    assert alert(telegram) == "Это сообщение уже отправлено."
    assert await OutboundMessage.all().count() == 1
    assert await Interaction.all().count() == 1


async def test_from_the_deal_card_the_message_goes_to_the_deals_contact(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA, language="en")
    contact = await make_contact(org.manager, first_name="Anna", emails=["anna@example.test"])
    deal = await make_deal(org.manager, title="Windows", contact_id=contact.id)
    card = await _card(telegram, OLGA, "deal", deal.id)
    await telegram.press(OLGA, data(card, "✉️"), message_id=message_id(card))
    picker = last_edit(telegram)
    assert labels(picker)[1] == ["Proposal sent"]
    await telegram.press(OLGA, data(picker, "Proposal"), message_id=message_id(card))
    preview = last_edit(telegram)
    assert preview.params["text"].splitlines()[1] == "Channel: email · anna@example.test"
    assert "«Windows»" in preview.params["text"]
    await telegram.press(OLGA, data(preview, "📤"), message_id=message_id(card))
    interaction = await Interaction.get()
    assert (interaction.deal_id, interaction.contact_id) == (deal.id, contact.id)
    assert (await OutboundMessage.get()).channel is Channel.EMAIL


async def test_no_usable_channel_is_said_before_sending(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, last_name="Петров")
    await telegram.press(
        OLGA,
        MessagePick(
            kind="contact",
            id=contact.id,
            template=(await Template.filter(purpose="thanks_after_call").first()).id,  # type: ignore[union-attr]
        ).pack(),
        message_id=7,
    )
    preview = last_edit(telegram)
    assert preview.params["text"].splitlines()[2] == (
        "Отправить не получится: у клиента нет доступного канала (Telegram: нет адреса; "
        "WhatsApp: нет адреса; SMS: нет адреса; почта: нет адреса)."
    )
    assert labels(preview) == [["Отмена"]]
    assert await OutboundMessage.all().count() == 0


async def test_marketing_without_consent_is_refused_with_a_sentence(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, phones=["+79161234567"])
    birthday = await Template.filter(purpose="birthday_greeting").first()
    assert birthday is not None
    send = MessageSend(kind="contact", id=contact.id, template=birthday.id).pack()
    await telegram.press(OLGA, send, message_id=7)
    assert alert(telegram).startswith("Клиент не давал согласия на рекламные сообщения")
    assert await OutboundMessage.all().count() == 0
    await give_consent(org.manager, contact.id, "marketing", text_version="m1")
    await telegram.press(OLGA, send, message_id=8)
    assert (await OutboundMessage.get()).state is MessageState.QUEUED


async def test_forged_buttons_for_someone_elses_client_send_nothing(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.stranger, STRANGER)
    contact = await make_contact(org.manager)
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="555")
    deal = await make_deal(org.manager, contact_id=contact.id)
    template = await Template.filter(purpose="thanks_after_call").first()
    assert template is not None
    for payload in (
        WriteMessage(kind="contact", id=contact.id),
        WriteMessage(kind="deal", id=deal.id),
        MessagePick(kind="contact", id=contact.id, template=template.id),
        MessageSend(kind="deal", id=deal.id, template=template.id),
    ):
        await telegram.press(STRANGER, payload.pack(), message_id=3)
        assert alert(telegram) == REFUSAL, payload
    assert await OutboundMessage.all().count() == 0
    assert await Interaction.all().count() == 0


async def test_a_deal_without_contact_has_no_write_button(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    deal = await make_deal(org.manager, title="Ничья")
    card = await _card(telegram, OLGA, "deal", deal.id)
    assert ["✉️ Написать"] not in labels(card)
    await telegram.press(OLGA, WriteMessage(kind="deal", id=deal.id).pack(), message_id=3)
    assert alert(telegram) == "У сделки нет контакта: некому писать. Укажите контакт в сделке."


async def test_an_order_status_is_offered_about_each_order_of_the_card_as_it_is_now(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, first_name="Иван", emails=["ivan@example.test"])
    deal = await make_deal(org.manager, title="Окна", contact_id=contact.id)
    order = await create_order(
        org.manager,
        {"number": "З-7", "amount": "100", "contact_id": contact.id, "deal_id": deal.id},
    )
    card = await _card(telegram, OLGA, "deal", deal.id)
    card_id = message_id(card)
    await telegram.press(OLGA, data(card, "✉️"), message_id=card_id)
    picker = last_edit(telegram)
    assert labels(picker)[-2:] == [["📦 Заказ №З-7: новый"], ["Отмена"]]
    await telegram.press(OLGA, data(picker, "📦"), message_id=card_id)
    preview = last_edit(telegram)
    assert preview.params["text"].splitlines()[0] == "✉️ <b>Статус заказа: новый</b> для Петров Иван"
    assert "З-7" in preview.params["text"]

    await change_order_status(org.manager, order.id, "confirmed", version=None)
    notified = await OutboundMessage.all().count()
    # The order moved on: the old preview would tell the client an old status.
    await telegram.press(OLGA, data(preview, "📤"), message_id=card_id)
    assert alert(telegram) == STALE
    assert await OutboundMessage.all().count() == notified

    await telegram.press(OLGA, data(card, "✉️"), message_id=card_id)
    picker = last_edit(telegram)
    assert labels(picker)[-2] == ["📦 Заказ №З-7: подтверждён"]
    await telegram.press(OLGA, data(picker, "📦"), message_id=card_id)
    await telegram.press(OLGA, data(last_edit(telegram), "📤"), message_id=card_id)
    sent = await OutboundMessage.filter(dedup_key__startswith="bot:").get()
    assert (sent.purpose, sent.payload["refs"]["order_id"]) == ("order_status.confirmed", order.id)
    assert "З-7" in sent.subject


async def test_an_order_status_template_without_its_order_sends_nothing(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await make_contact(org.manager, emails=["ivan@example.test"])
    template = await Template.filter(purpose="order_status.new").first()
    assert template is not None
    alone = MessageSend(kind="contact", id=contact.id, template=template.id).pack()
    await telegram.press(OLGA, alone, message_id=7)
    assert alert(telegram) == STALE
    someone_elses = await create_order(org.stranger, {"number": "Ч-1", "amount": "1"})
    forged = MessageSend(
        kind="contact", id=contact.id, template=template.id, order=someone_elses.id
    ).pack()
    await telegram.press(OLGA, forged, message_id=8)
    assert alert(telegram) == STALE
    assert await OutboundMessage.all().count() == 0
