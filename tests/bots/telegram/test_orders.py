"""Orders in the bot: «📦 Заказы (N)» on client and deal cards, the order card, changing an
order's status (the client's notification written with it, and the manager told what it will
be), cancelling after a question, stale and forged buttons, `/order <number>`, and the language
of the client's messages set from the contact card."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bots.telegram.callbacks import OpenCard
from bots.telegram.callbacks_cards import ContactLanguageMenu, ContactLanguagePick
from bots.telegram.callbacks_orders import OrderList, OrderOpen, OrderStatusPick
from bots.telegram.texts import COMMANDS
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import (
    AuditEntry,
    Channel,
    ChannelIdentity,
    Contact,
    MessageState,
    Order,
    OrderStatus,
    OrderStatusChange,
    OutboundMessage,
    Template,
    User,
)
from models.ops.contacts import update_contact
from models.ops.orders import change_order_status
from models.ops.templates import install_default_templates
from tests.bots.conftest import BotHarness
from tests.bots.telegram.cards_support import calls, data, labels, last_sent, linked, message_id
from tests.doubles.telegram_api import ApiCall
from tests.doubles.telegram_updates import Person
from tests.factories import (
    T0,
    Org,
    make_company,
    make_contact,
    make_deal,
    make_order,
    make_org,
    make_pipeline,
)

OLGA = Person(8501, "Ольга", "ru")
JOHN = Person(8502, "John", "en")
STRANGER = Person(8503, "Пётр", "ru")
HEAD = Person(8504, "Анна", "ru")
REFUSAL = "Эта запись удалена или недоступна вам. Найдите нужную через /find."
STALE_ORDER = "Заказ уже изменили: карточка обновлена. Выберите статус ещё раз, если он ещё нужен."
# T0 is Monday 3 March 2025, 09:00 UTC: 12:00 in Moscow, where the org's offices are.


@pytest.fixture(autouse=True)
def every_channel() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.WHATSAPP, Channel.SMS, Channel.EMAIL}):
        yield


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
async def org(db: str, clock: FrozenClock) -> Org:
    await make_pipeline()
    await install_default_templates()
    return await make_org()


async def open_card(telegram: BotHarness, person: Person, kind: str, object_id: int) -> ApiCall:
    await telegram.press(person, OpenCard(kind=kind, id=object_id).pack(), message_id=1)
    return last_sent(telegram, person)


def alert(telegram: BotHarness) -> str:
    return str(calls(telegram, "answerCallbackQuery")[-1].params.get("text"))


def now_shown(telegram: BotHarness, person: Person, message: int) -> tuple[str, list[list[str]]]:
    """A bot message as the person sees it now: its text and its buttons' labels."""
    found = telegram.api.message(person.id, message)
    assert found is not None
    assert found.text is not None
    markup: dict[str, Any] = found.reply_markup or {}
    rows = markup.get("inline_keyboard", [])
    return found.text, [[button["text"] for button in row] for row in rows]


def button(telegram: BotHarness, person: Person, message: int, label: str) -> str:
    """The callback data of the button starting with `label` on a message as it is now."""
    found = telegram.api.message(person.id, message)
    assert found is not None
    for row in (found.reply_markup or {}).get("inline_keyboard", []):
        for item in row:
            if item["text"].startswith(label):
                return str(item["callback_data"])
    raise AssertionError(f"no button {label!r} in {now_shown(telegram, person, message)[1]}")


async def client(org: Org, **values: Any) -> Contact:
    """Olga's client Иван Петров, reachable in Telegram."""
    contact = await make_contact(org.manager, last_name="Петров", first_name="Иван", **values)
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address="555")
    return contact


async def user_name(user_id: int | None) -> str:
    return (await User.get(id=user_id)).full_name


async def order_card_message(telegram: BotHarness, person: Person, order: Order) -> int:
    """Open the order from its contact's card, as a manager would: card → 📦 → the order."""
    assert order.contact_id is not None
    card = message_id(await open_card(telegram, person, "contact", order.contact_id))
    await telegram.press(person, button(telegram, person, card, "📦"), message_id=card)
    await telegram.press(person, OrderOpen(id=order.id).pack(), message_id=card)
    return card


# ---- the orders button and the list -----------------------------------------------------------


async def test_the_orders_button_appears_only_with_orders_the_manager_sees(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    company = await make_company(org.manager, name="Ромашка")
    contact = await client(org, company_id=company.id)
    deal = await make_deal(org.manager, title="Окна", contact_id=contact.id)
    card = await open_card(telegram, OLGA, "contact", contact.id)
    assert labels(card)[1] == ["✅ Задачи", "🕘 История"]
    assert not any(label.startswith("📦") for row in labels(card) for label in row)

    await make_order(org.manager, number="З-1", amount="100", contact_id=contact.id)
    await make_order(
        org.manager,
        number="З-2",
        amount="200",
        contact_id=contact.id,
        deal_id=deal.id,
        company_id=company.id,
    )
    # Someone else's order of the same client: Olga does not see it, so it is not counted.
    await make_order(org.admin, number="Ч-1", contact_id=contact.id, owner_id=org.stranger.user_id)

    card = await open_card(telegram, OLGA, "contact", contact.id)
    assert labels(card)[1] == ["✅ Задачи", "🕘 История", "📦 Заказы (2)"]
    assert data(card, "📦") == OrderList(kind="contact", id=contact.id).pack()
    deal_card = await open_card(telegram, OLGA, "deal", deal.id)
    assert ["✅ Задачи", "🕘 История", "📦 Заказы (1)"] in labels(deal_card)
    company_card = await open_card(telegram, OLGA, "company", company.id)
    assert labels(company_card)[1] == ["✅ Задачи", "🕘 История", "📦 Заказы (1)"]


async def test_the_orders_list_pages_newest_first_and_goes_back_to_the_card(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    for n in range(1, 11):
        clock.advance(timedelta(minutes=1))
        await make_order(org.manager, number=f"З-{n}", amount=f"{n}000", contact_id=contact.id)
    await make_order(org.manager, number="Б-1", contact_id=contact.id)  # no amount
    card = message_id(await open_card(telegram, OLGA, "contact", contact.id))

    await telegram.press(OLGA, button(telegram, OLGA, card, "📦 Заказы (11)"), message_id=card)
    text, buttons = now_shown(telegram, OLGA, card)
    assert text.splitlines() == ["📦 <b>Заказы: Петров Иван</b>", "Показаны 1–8 из 11."]
    assert buttons[:2] == [["№Б-1 · новый"], ["№З-10 · новый · 10 000 ₽"]]
    assert buttons[7] == ["№З-4 · новый · 4 000 ₽"]
    assert buttons[8:] == [["Ещё ›"], ["← К карточке"]]

    await telegram.press(OLGA, button(telegram, OLGA, card, "Ещё"), message_id=card)
    text, buttons = now_shown(telegram, OLGA, card)
    assert text.splitlines()[1] == "Показаны 9–11 из 11."
    assert buttons == [
        ["№З-3 · новый · 3 000 ₽"],
        ["№З-2 · новый · 2 000 ₽"],
        ["№З-1 · новый · 1 000 ₽"],
        ["‹ Назад"],
        ["← К карточке"],
    ]
    await telegram.press(OLGA, button(telegram, OLGA, card, "←"), message_id=card)
    assert now_shown(telegram, OLGA, card)[0].startswith("👤 <b>Петров Иван</b>")


# ---- the order card ---------------------------------------------------------------------------


async def test_the_order_card_shows_status_amount_client_deal_and_history(
    telegram: BotHarness, org: Org, clock: FrozenClock
) -> None:
    await linked(org.manager, OLGA)
    company = await make_company(org.manager, name="Ромашка")
    contact = await client(org, company_id=company.id)
    deal = await make_deal(org.manager, title="Окна", contact_id=contact.id)
    order = await make_order(
        org.manager,
        number="З-7",
        amount="150000",
        contact_id=contact.id,
        company_id=company.id,
        deal_id=deal.id,
    )
    clock.advance(timedelta(hours=1))
    await change_order_status(
        org.manager, order.id, "confirmed", version=None, comment="Клиент подтвердил по телефону"
    )

    card = await order_card_message(telegram, OLGA, order)

    text, buttons = now_shown(telegram, OLGA, card)
    name = await user_name(org.manager.user_id)
    assert text.splitlines() == [
        "📦 <b>Заказ №З-7</b>",
        "Статус: <b>подтверждён</b>",
        "Сумма: 150\u00a0000\u00a0₽",
        "Клиент: Петров Иван · Ромашка",
        "Сделка: Окна",
        "История статусов:",
        f"• сегодня в 13:00 · новый → подтверждён · {name}",
        "  Клиент подтвердил по телефону",
        f"• сегодня в 12:00 · создан: новый · {name}",
    ]
    assert buttons == [
        ["💳 Оплачен", "🚚 Отправлен"],
        ["✖️ Отменить заказ"],
        ["✉️ Написать о заказе"],
        ["← 💼 Окна"],
        ["← 👤 Петров Иван"],
        ["← 🏢 Ромашка"],
    ]
    assert button(telegram, OLGA, card, "💳") == (
        OrderStatusPick(id=order.id, version=2, status=OrderStatus.PAID).pack()
    )

    # «✉️ Написать о заказе» previews the message about this order in its status.
    await telegram.press(OLGA, button(telegram, OLGA, card, "✉️"), message_id=card)
    preview = now_shown(telegram, OLGA, card)[0].splitlines()
    assert preview[:2] == [
        "✉️ <b>Статус заказа: подтверждён</b> для Петров Иван",
        "Канал: Telegram · 555",
    ]
    assert "З-7" in "\n".join(preview)
    # The deal's card is one tap back.
    await telegram.press(OLGA, OrderOpen(id=order.id).pack(), message_id=card)
    await telegram.press(OLGA, button(telegram, OLGA, card, "← 💼"), message_id=card)
    assert now_shown(telegram, OLGA, card)[0].startswith("💼 <b>Окна</b>")


async def test_the_order_card_in_english_and_a_final_status_offers_no_change(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, JOHN, language="en")
    contact = await client(org)
    order = await make_order(
        org.manager, number="A-1", amount="99.5", currency="USD", contact_id=contact.id
    )
    for status in ("confirmed", "paid", "shipped", "delivered"):
        await change_order_status(org.manager, order.id, status, version=None)

    card = await order_card_message(telegram, JOHN, order)
    text, buttons = now_shown(telegram, JOHN, card)
    lines = text.splitlines()
    name = await user_name(org.manager.user_id)
    assert lines[:6] == [
        "📦 <b>Order No. A-1</b>",
        "Status: <b>delivered</b>",
        "Amount: $99.50",
        "Client: Петров Иван",
        "Status history:",
        f"• today at 12:00 · shipped → delivered · {name}",
    ]
    assert lines[-1] == f"• today at 12:00 · created: new · {name}"
    # Delivered may only become completed: not cancelled, not back.
    assert buttons[0] == ["🏁 Completed"]

    await telegram.press(JOHN, button(telegram, JOHN, card, "🏁"), message_id=card)
    text, buttons = now_shown(telegram, JOHN, card)
    lines = text.splitlines()
    assert "Status: <b>completed</b>" in lines
    assert "This status is final: it does not change further." in lines
    assert lines[-1] == "✅ Status changed: completed. The client will be notified: Telegram."
    # The latest five changes: the creation has scrolled off.
    assert len([line for line in lines if line.startswith("• ")]) == 5
    assert not any("created" in line for line in lines)
    assert not any(b.startswith(("🏁", "✖️", "💳")) for row in buttons for b in row)


# ---- changing the status ----------------------------------------------------------------------


async def test_a_status_change_notifies_the_client_and_says_so(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    order = await make_order(org.manager, number="З-7", amount="100", contact_id=contact.id)
    card = await order_card_message(telegram, OLGA, order)
    assert now_shown(telegram, OLGA, card)[1][:2] == [["✅ Подтвердить"], ["✖️ Отменить заказ"]]

    await telegram.press(OLGA, button(telegram, OLGA, card, "✅ Подтвердить"), message_id=card)

    assert alert(telegram) == "Готово: заказ №З-7 — подтверждён."
    text, buttons = now_shown(telegram, OLGA, card)
    assert "Статус: <b>подтверждён</b>" in text
    assert text.splitlines()[-1] == (
        "✅ Статус изменён: подтверждён. Клиенту уйдёт уведомление: Telegram."
    )
    assert buttons[0] == ["💳 Оплачен", "🚚 Отправлен"]
    message = await OutboundMessage.get()
    assert (message.purpose, message.channel, message.address, message.state) == (
        "order_status.confirmed",
        Channel.TELEGRAM,
        "555",
        MessageState.QUEUED,
    )
    assert message.payload["refs"]["order_id"] == order.id
    assert "З-7" in message.body
    change = await OrderStatusChange.filter(order_id=order.id).order_by("-id").first()
    assert change is not None
    assert (change.from_status, change.status, change.by_id) == (
        OrderStatus.NEW,
        OrderStatus.CONFIRMED,
        org.manager.user_id,
    )
    audit = await AuditEntry.get(entity="order", entity_id=order.id, field="status")
    assert (audit.old_value, audit.new_value, audit.actor_id) == (
        "new",
        "confirmed",
        org.manager.user_id,
    )


async def test_the_manager_is_told_when_the_client_will_not_be_notified(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    unreachable = await make_contact(org.manager, last_name="Сидоров")
    orders = [
        await make_order(org.manager, number="Н-1", contact_id=unreachable.id),
        await make_order(org.manager, number="Н-2"),  # no contact at all
        await make_order(org.manager, number="Н-3", contact_id=(await client(org)).id),
    ]
    await Template.filter(purpose="order_status.confirmed").update(is_active=False)
    said = []
    for order, status in zip(orders, ("cancelled", "confirmed", "confirmed"), strict=True):
        await telegram.send(OLGA, f"/order {order.number}")
        card = message_id(last_sent(telegram, OLGA))
        pick = OrderStatusPick(id=order.id, version=1, status=OrderStatus(status), sure=True)
        await telegram.press(OLGA, pick.pack(), message_id=card)
        said.append(now_shown(telegram, OLGA, card)[0].splitlines()[-1])
    assert said == [
        "✅ Статус изменён: отменён. Уведомление клиенту не уйдёт: у него нет доступного канала "
        "(нет адреса или канал не подключён).",
        "✅ Статус изменён: подтверждён. Уведомлять некого: у заказа нет контакта.",
        "✅ Статус изменён: подтверждён. Уведомление не отправляется: для статуса «подтверждён» "
        "нет активного шаблона.",
    ]
    failed = await OutboundMessage.get()  # the only row: the unreachable client's
    assert (failed.purpose, failed.contact_id, failed.state) == (
        "order_status.cancelled",
        unreachable.id,
        MessageState.FAILED,
    )


async def test_a_transition_not_allowed_is_not_offered_and_a_forged_one_changes_nothing(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    order = await make_order(org.manager, number="З-7", contact_id=contact.id)
    card = await order_card_message(telegram, OLGA, order)
    offered = {b for row in now_shown(telegram, OLGA, card)[1] for b in row}
    assert {"✅ Подтвердить", "✖️ Отменить заказ"} <= offered
    assert not offered & {"💳 Оплачен", "🚚 Отправлен", "📬 Доставлен", "🏁 Выполнен"}

    for status, name in ((OrderStatus.SHIPPED, "отправлен"), (OrderStatus.COMPLETED, "выполнен")):
        forged = OrderStatusPick(id=order.id, version=1, status=status)
        await telegram.press(OLGA, forged.pack(), message_id=card)
        assert alert(telegram) == f"Из статуса «новый» в «{name}» заказ не переводится."
    await telegram.press(
        OLGA,
        OrderStatusPick(id=order.id, version=1, status=OrderStatus.NEW).pack(),
        message_id=card,
    )
    assert alert(telegram) == "Заказ уже в статусе «новый»."
    unchanged = await Order.get(id=order.id)
    assert (unchanged.status, unchanged.version) == (OrderStatus.NEW, 1)
    assert await OutboundMessage.all().count() == 0


async def test_a_stale_status_button_refreshes_the_card_and_changes_nothing(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    order = await make_order(org.manager, number="З-7", contact_id=contact.id)
    card = await order_card_message(telegram, OLGA, order)
    confirm = button(telegram, OLGA, card, "✅ Подтвердить")
    # A colleague (or the API) confirms it meanwhile: the client is told once, by that change.
    await change_order_status(org.manager, order.id, "confirmed", version=1)
    assert await OutboundMessage.all().count() == 1

    await telegram.press(OLGA, confirm, message_id=card)

    answer = calls(telegram, "answerCallbackQuery")[-1].params
    assert (answer["text"], answer.get("show_alert")) == (STALE_ORDER, True)
    text, buttons = now_shown(telegram, OLGA, card)
    assert "Статус: <b>подтверждён</b>" in text
    assert buttons[0] == ["💳 Оплачен", "🚚 Отправлен"]
    assert (await Order.get(id=order.id)).version == 2
    assert await OutboundMessage.all().count() == 1
    assert await OrderStatusChange.filter(order_id=order.id).count() == 2


async def test_cancelling_asks_first_and_no_keeps_the_order(telegram: BotHarness, org: Org) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    order = await make_order(org.manager, number="З-7", contact_id=contact.id)
    card = await order_card_message(telegram, OLGA, order)

    await telegram.press(OLGA, button(telegram, OLGA, card, "✖️"), message_id=card)
    text, buttons = now_shown(telegram, OLGA, card)
    assert text.splitlines()[-1] == (
        "⚠️ Отменить заказ №З-7? Это необратимо: отменённый заказ больше не меняет статус."
    )
    assert buttons == [["✖️ Да, отменить", "Нет, оставить"]]
    assert (await Order.get(id=order.id)).status is OrderStatus.NEW

    await telegram.press(OLGA, button(telegram, OLGA, card, "Нет"), message_id=card)
    text, buttons = now_shown(telegram, OLGA, card)
    assert "Статус: <b>новый</b>" in text
    assert "⚠️" not in text
    assert (await Order.get(id=order.id)).status is OrderStatus.NEW
    assert await OutboundMessage.all().count() == 0

    await telegram.press(OLGA, button(telegram, OLGA, card, "✖️"), message_id=card)
    await telegram.press(OLGA, button(telegram, OLGA, card, "✖️ Да"), message_id=card)
    text, buttons = now_shown(telegram, OLGA, card)
    assert "Статус: <b>отменён</b>" in text
    assert text.splitlines()[-1] == (
        "✅ Статус изменён: отменён. Клиенту уйдёт уведомление: Telegram."
    )
    assert buttons[0] == ["✉️ Написать о заказе"]
    assert (await Order.get(id=order.id)).status is OrderStatus.CANCELLED
    assert (await OutboundMessage.get()).purpose == "order_status.cancelled"


# ---- /order and what others may see -----------------------------------------------------------


async def test_order_command_opens_the_card_by_number_for_orders_the_actor_may_see(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    await linked(org.head, HEAD)
    assert "order" in [item.command for item in COMMANDS]
    await make_order(org.manager, number="З-7", amount="500", contact_id=(await client(org)).id)
    await make_order(org.stranger, number="Ю-1", amount="1")

    await telegram.send(OLGA, "/order №З-7")
    assert telegram.texts(OLGA)[-1].splitlines()[:2] == [
        "📦 <b>Заказ №З-7</b>",
        "Статус: <b>новый</b>",
    ]
    await telegram.send(HEAD, "/order З-7")  # the head of Olga's office sees it too
    assert telegram.texts(HEAD)[-1].startswith("📦 <b>Заказ №З-7</b>")

    await telegram.send(OLGA, "/order Ю-1")
    foreign = telegram.texts(OLGA)[-1]
    await telegram.send(OLGA, "/order НЕТ-999")
    nobody = telegram.texts(OLGA)[-1]
    assert foreign == "Заказ №Ю-1 не найден: номер неверен или заказ вам недоступен."
    assert nobody == "Заказ №НЕТ-999 не найден: номер неверен или заказ вам недоступен."
    await telegram.send(OLGA, "/order " + "9" * 100)  # longer than any number: not a crash
    assert telegram.texts(OLGA)[-1].endswith("не найден: номер неверен или заказ вам недоступен.")
    await telegram.send(OLGA, "/order")
    assert telegram.texts(OLGA)[-1] == "Напишите номер заказа: /order З-17"

    await telegram.send(OLGA, "/help")
    assert "/order — Заказ по номеру: статус, смена статуса" in telegram.texts(OLGA)[-1]


async def test_forged_order_buttons_for_another_office_show_and_change_nothing(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    theirs_contact = await make_contact(org.stranger, last_name="Южный")
    theirs = await make_order(org.stranger, number="Ю-1", contact_id=theirs_contact.id)
    edits = len(calls(telegram, "editMessageText"))
    for payload in (
        OrderOpen(id=theirs.id),
        OrderList(kind="contact", id=theirs_contact.id),
        OrderStatusPick(id=theirs.id, version=1, status=OrderStatus.CONFIRMED),
        OrderStatusPick(id=theirs.id, version=1, status=OrderStatus.CANCELLED, sure=True),
        OrderOpen(id=2**31 - 1),
    ):
        await telegram.press(OLGA, payload.pack(), message_id=5)
        assert alert(telegram) == REFUSAL, payload
    assert len(calls(telegram, "editMessageText")) == edits
    assert (await Order.get(id=theirs.id)).status is OrderStatus.NEW
    assert await OutboundMessage.all().count() == 0
    await telegram.press(OLGA, "os:1:1:lost:0", message_id=5)
    assert alert(telegram) == "Эта кнопка больше не работает: откройте запись заново."


# ---- the language of the client's messages ---------------------------------------------------


async def test_the_contact_language_is_set_from_the_card_and_the_next_notification_uses_it(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    contact = await client(org)
    order = await make_order(org.manager, number="З-7", contact_id=contact.id)
    card = message_id(await open_card(telegram, OLGA, "contact", contact.id))
    text, buttons = now_shown(telegram, OLGA, card)
    assert "Язык сообщений клиенту: русский (по умолчанию)" in text.splitlines()
    assert buttons[-1] == ["🌐 Язык сообщений"]

    await telegram.press(OLGA, button(telegram, OLGA, card, "🌐"), message_id=card)
    assert now_shown(telegram, OLGA, card)[1] == [
        ["Русский", "English", "✓ По умолчанию (русский)"],
        ["← К карточке"],
    ]
    await telegram.press(OLGA, button(telegram, OLGA, card, "English"), message_id=card)

    assert alert(telegram) == "Сообщения клиенту: английский."
    assert "Язык сообщений клиенту: английский" in now_shown(telegram, OLGA, card)[0].splitlines()
    assert (await Contact.get(id=contact.id)).language == "en"
    audit = await AuditEntry.get(entity="contact", entity_id=contact.id, field="language")
    assert (audit.old_value, audit.new_value, audit.actor_id) == (
        None,
        "en",
        org.manager.user_id,
    )

    order_message = await order_card_message(telegram, OLGA, order)
    await telegram.press(
        OLGA, button(telegram, OLGA, order_message, "✅ Подтвердить"), message_id=order_message
    )
    notification = await OutboundMessage.get(purpose="order_status.confirmed")
    assert notification.language == "en"
    assert "Your order" in notification.body
    assert "З-7" in notification.body

    # Back to the installation's default: the contact keeps no language of its own.
    await telegram.press(OLGA, OpenCard(kind="contact", id=contact.id).pack(), message_id=1)
    card = message_id(last_sent(telegram, OLGA))
    await telegram.press(OLGA, button(telegram, OLGA, card, "🌐"), message_id=card)
    assert now_shown(telegram, OLGA, card)[1][0] == [
        "Русский",
        "✓ English",
        "По умолчанию (русский)",
    ]
    await telegram.press(OLGA, button(telegram, OLGA, card, "По умолчанию"), message_id=card)
    assert (await Contact.get(id=contact.id)).language is None


async def test_a_stale_language_button_refreshes_the_card_and_a_stranger_is_refused(
    telegram: BotHarness, org: Org
) -> None:
    await linked(org.manager, OLGA)
    await linked(org.stranger, STRANGER)
    contact = await client(org)
    card = message_id(await open_card(telegram, OLGA, "contact", contact.id))
    await telegram.press(OLGA, button(telegram, OLGA, card, "🌐"), message_id=card)
    english = button(telegram, OLGA, card, "English")
    await update_contact(org.manager, contact.id, {"position": "Директор"}, version=None)

    await telegram.press(OLGA, english, message_id=card)
    assert alert(telegram) == (
        "Контакт уже изменили: карточка обновлена. Повторите, если ещё нужно."
    )
    assert now_shown(telegram, OLGA, card)[0].splitlines()[1] == "Директор"
    assert (await Contact.get(id=contact.id)).language is None

    for payload in (
        ContactLanguageMenu(id=contact.id, version=2),
        ContactLanguagePick(id=contact.id, version=2, language="en"),
    ):
        await telegram.press(STRANGER, payload.pack(), message_id=3)
        assert alert(telegram) == REFUSAL
    assert (await Contact.get(id=contact.id)).language is None
    assert not await AuditEntry.filter(entity="contact", field="language").exists()
