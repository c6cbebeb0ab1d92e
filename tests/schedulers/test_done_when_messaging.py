"""Issue 5's "Done when", as a person would see it: on the demo data, with every channel
configured at once the way `voronka run` configures them (VORONKA_* settings, the Relay of
`build_clock` over `build_channels`), order status changes made through the API land at the
SMTP server and the Bot API, Twilio and FCM doubles in each client's language; a manager's
template goes out from the API and from the bot's «✉️ Написать»; a staff notice reaches
Telegram with its buttons and every device; and channels that fail (Twilio down, an
unregistered FCM token of a staff device or a client's app, a bot blocked in Telegram) lose
nothing.

Nothing is overridden: the channels messages are written for come from the same settings (no
`use_channels`), the bot is the real Dispatcher, clients subscribe through the deep link in
Telegram and with the same token in the client app (the public push route), the staff member
links Telegram and registers devices through the API, and Twilio's receipt is signed with
twilio's own RequestValidator.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise.transactions import in_transaction

from api.app import create_app
from bots.telegram.callbacks import OpenCard
from cli.host import build_clock
from models.clock import FrozenClock, use_clock
from models.demo import seed_demo
from models.demo.org import ADMIN_LOGIN, PASSWORD
from models.entities import (
    Channel,
    ChannelIdentity,
    Contact,
    Device,
    Interaction,
    InteractionKind,
    MessageState,
    Order,
    OrderStatus,
    OutboundMessage,
    User,
)
from models.ops.bootstrap import ensure_default_templates
from models.ops.user_notices import Button, Notice, notify_user
from models.settings import Settings, get_settings
from models.text import Text
from schedulers.outbox import Relay
from tests.api.v1.conftest import bearer, sign_in
from tests.bots.conftest import TOKEN, BotHarness, bot_harness
from tests.bots.telegram.cards_support import data, labels, last_sent, message_id
from tests.doubles.fcm_api import FcmApiDouble, fcm_token
from tests.doubles.smtp import SmtpDouble, smtp_server
from tests.doubles.telegram_api import BOT_USERNAME, TelegramApiDouble
from tests.doubles.telegram_updates import Person
from tests.doubles.twilio_api import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    SMS_FROM,
    WHATSAPP_FROM,
    TwilioApiDouble,
    signed,
)

pytestmark = pytest.mark.usefixtures("db")

PUBLIC_URL = "https://crm.example.test"
MANAGER_LOGIN = "manager@demo.test"
NEXT = {
    OrderStatus.NEW: OrderStatus.CONFIRMED,
    OrderStatus.CONFIRMED: OrderStatus.PAID,
    OrderStatus.PAID: OrderStatus.SHIPPED,
    OrderStatus.SHIPPED: OrderStatus.DELIVERED,
    OrderStatus.DELIVERED: OrderStatus.COMPLETED,
}
# The status as the default templates name it, in Russian and English.
SAID = {
    OrderStatus.CONFIRMED: ("подтверждён", "confirmed"),
    OrderStatus.PAID: ("оплачен", "paid"),
    OrderStatus.SHIPPED: ("отправлен", "shipped"),
    OrderStatus.DELIVERED: ("доставлен", "delivered"),
    OrderStatus.COMPLETED: ("выполнен", "completed"),
}
# A word of each status's Russian text (WhatsApp, SMS), which says "payment" for paid.
IN_TEXT = {
    OrderStatus.CONFIRMED: "подтверждён",
    OrderStatus.PAID: "оплату заказа",
    OrderStatus.SHIPPED: "отправлен",
    OrderStatus.DELIVERED: "доставлен",
    OrderStatus.COMPLETED: "выполнен",
}
CLIENT = Person(7710001, "Клиент", "ru")
MANAGER = Person(7710002, "Алексей", "ru")
REMINDER = Notice(
    purpose="task_reminder",
    title=Text("Напоминание", "Reminder"),
    body=Text("Позвонить клиенту в 15:00", "Call the client at 15:00"),
    buttons=((Button(Text("Готово", "Done"), "task:done:1"),),),
    data={"screen": "task", "task_id": "1"},
)


@dataclass
class Client:
    """A demo client with their first phone (a mobile) and email."""

    contact: Contact
    phone: str
    email: str


@dataclass
class Pick(Client):
    """An open demo order and its client."""

    order: Order

    @property
    def number(self) -> str:
        return self.order.number

    @property
    def next(self) -> OrderStatus:
        return NEXT[OrderStatus(self.order.status)]


@dataclass
class World:
    settings: Settings
    api: httpx.AsyncClient
    relay: Relay
    bot: BotHarness
    smtp: SmtpDouble
    telegram: TelegramApiDouble
    twilio: TwilioApiDouble
    fcm: FcmApiDouble
    clock: FrozenClock

    async def headers(self, login: str) -> dict[str, str]:
        return bearer((await sign_in(self.api, login, PASSWORD))["access_token"])

    async def prefer(self, headers: dict[str, str], contact: Contact, channels: list[str]) -> None:
        """Set the client's channel order as a manager does: PATCH with the card's version."""
        path = f"/v1/contacts/{contact.id}"
        card = await self.api.get(path, headers=headers)
        assert card.status_code == 200, card.text
        response = await self.api.patch(
            path,
            json={"preferred_channels": channels},
            headers={**headers, "If-Match": card.headers["ETag"]},
        )
        assert response.status_code == 200, response.text
        assert response.json()["preferred_channels"] == channels

    async def move(self, headers: dict[str, str], pick: Pick) -> None:
        """The next status of the order, through POST /v1/orders/{id}/status."""
        version = {"If-Match": f'"{pick.order.version}"'}
        response = await self.api.post(
            f"/v1/orders/{pick.order.id}/status",
            json={"status": pick.next.value},
            headers={**headers, **version},
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == pick.next.value

    async def subscribe(self, headers: dict[str, str], pick: Pick, person: Person) -> None:
        """The client opens the order's subscription link in Telegram."""
        link = await self.api.post(
            f"/v1/orders/{pick.order.id}/telegram-subscription", headers=headers
        )
        assert link.status_code == 201, link.text
        assert link.json()["url"].startswith(f"https://t.me/{BOT_USERNAME}?start=sub_")
        await self.bot.send(person, f"/start {link.json()['token']}")
        assert f"Заказ № {pick.number}:" in self.telegram.texts(person.id)[-1]

    async def subscribe_app(self, headers: dict[str, str], pick: Pick, fcm: str) -> None:
        """The client's app (no sign-in) subscribes their phone with the order's token."""
        link = await self.api.post(
            f"/v1/orders/{pick.order.id}/telegram-subscription", headers=headers
        )
        assert link.status_code == 201, link.text
        assert link.json()["channels"] == ["telegram", "push"]
        consent = await self.api.get("/v1/client/push-consent")
        assert consent.status_code == 200, consent.text
        response = await self.api.post(
            "/v1/client/push-subscriptions",
            json={
                "token": link.json()["token"],
                "fcm_token": fcm,
                "platform": "android",
                "consent_text_version": consent.json()["consent_text_version"],
            },
        )
        assert response.status_code == 201, response.text
        assert response.json()["order"]["number"] == pick.number

    async def link_telegram(self, headers: dict[str, str], person: Person) -> None:
        """A staff member connects their Telegram through the one-time deep link."""
        link = await self.api.post("/v1/me/telegram-link", headers=headers)
        assert link.status_code == 201, link.text
        await self.bot.send(person, f"/start {link.json()['token']}")

    async def receipt(self, sid: str | None, status: str) -> None:
        """Twilio posts a status change of message `sid` to its StatusCallback, signed."""
        assert sid is not None
        url, fields = self.twilio.callback(sid, status)
        assert url == PUBLIC_URL + "/webhooks/twilio/status"
        response = await self.api.post(
            "/webhooks/twilio/status", data=fields, headers=signed(url, fields)
        )
        assert response.status_code == 200, response.text

    async def relay_all(self) -> Counter[str]:
        """Relay runs until nothing is due (what failed waits for its next attempt)."""
        total: Counter[str] = Counter()
        while done := await self.relay.drain():
            total += done
        return total


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    # Real time to start with: sign-in tokens and Google's sign-in JWT are checked against it.
    with use_clock(FrozenClock(datetime.now(UTC).replace(microsecond=0))) as frozen:
        yield frozen


@pytest.fixture
async def doubles() -> AsyncIterator[
    tuple[SmtpDouble, TelegramApiDouble, TwilioApiDouble, FcmApiDouble]
]:
    async with (
        smtp_server() as smtp,
        TelegramApiDouble() as telegram,
        TwilioApiDouble() as twilio,
        FcmApiDouble() as fcm,
    ):
        yield smtp, telegram, twilio, fcm


@pytest.fixture
async def world(
    db: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clock: FrozenClock,
    doubles: tuple[SmtpDouble, TelegramApiDouble, TwilioApiDouble, FcmApiDouble],
) -> AsyncIterator[World]:
    smtp, telegram, twilio, fcm = doubles
    environment = {
        "DATABASE_URL": db,
        "DATA_DIR": str(tmp_path / "var"),
        "LANGUAGE": "ru",
        "PUBLIC_URL": PUBLIC_URL,
        "TELEGRAM_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": telegram.url,
        "TELEGRAM_BOT_USERNAME": BOT_USERNAME,
        "SMTP_HOST": smtp.host,
        "SMTP_PORT": str(smtp.port),
        "SMTP_TLS": "none",
        "SMTP_FROM": "Воронка <crm@example.test>",
        "SMTP_TIMEOUT": "5",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_BASE_URL": twilio.url,
        "TWILIO_TIMEOUT": "5",
        "FCM_CREDENTIALS": str(fcm.service_account(tmp_path / "firebase.json")),
        "FCM_BASE_URL": fcm.url,
        "FCM_TIMEOUT": "5",
    }
    for name, value in environment.items():
        monkeypatch.setenv(f"VORONKA_{name}", value)
    get_settings.cache_clear()
    settings = get_settings()
    async with in_transaction():
        assert (await seed_demo("ru")).created
        await ensure_default_templates()
    # The relay `voronka run` schedules, with the channels its settings configure.
    relay = build_clock(settings).relay
    assert set(relay.channels) == set(Channel)
    transport = httpx.ASGITransport(app=create_app(settings, manage_database=False))
    try:
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://10.0.0.5") as api,
            bot_harness(settings, telegram) as bot,
        ):
            yield World(settings, api, relay, bot, smtp, telegram, twilio, fcm, clock)
    finally:
        await relay.close()
        get_settings.cache_clear()


async def _reachable(contact_id: int, **contact: Any) -> Client | None:
    client = await Contact.get_or_none(id=contact_id, **contact).prefetch_related(
        "phones", "emails"
    )
    if client is None:
        return None
    phones = sorted(client.phones, key=lambda p: p.position)  # type: ignore[attr-defined]
    emails = sorted(client.emails, key=lambda e: e.position)  # type: ignore[attr-defined]
    if phones and emails and phones[0].number.startswith("+79"):
        return Client(client, phones[0].number, emails[0].email)
    return None


async def _pick(count: int) -> list[Pick]:
    """Open demo orders of different clients who have a mobile phone and an email."""
    picks: list[Pick] = []
    for order in await Order.filter(status__in=list(NEXT)).order_by("id"):
        if order.contact_id is None or order.contact_id in {p.contact.id for p in picks}:
            continue
        client = await _reachable(order.contact_id)
        if client is not None:
            picks.append(Pick(client.contact, client.phone, client.email, order))
        if len(picks) == count:
            return picks
    raise AssertionError(f"the demo data has fewer than {count} such open orders")


async def _clients(count: int, owner: User) -> list[Client]:
    """Demo clients of `owner` who have a mobile phone and an email."""
    found: list[Client] = []
    for contact_id in (
        await Contact.filter(owner_id=owner.id).order_by("id").values_list("id", flat=True)
    ):
        client = await _reachable(int(contact_id))
        if client is not None:
            found.append(client)
        if len(found) == count:
            return found
    raise AssertionError(f"{owner.email} has fewer than {count} such clients")


def _plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def _messages(pick: Client) -> list[OutboundMessage]:
    return await OutboundMessage.filter(contact_id=pick.contact.id).order_by("id")


async def test_order_status_changes_land_at_each_clients_channel_in_their_language(
    world: World,
) -> None:
    email, telegram, whatsapp, sms, app_ru, app_en = await _pick(6)
    admin = await world.headers(ADMIN_LOGIN)
    await world.prefer(admin, email.contact, ["email"])
    # A client's language has no API field yet: it is the contact's, set here as data.
    await Contact.filter(id__in=[email.contact.id, app_en.contact.id]).update(language="en")
    await world.prefer(admin, telegram.contact, ["email"])
    await world.subscribe(admin, telegram, CLIENT)
    await world.prefer(admin, whatsapp.contact, ["whatsapp", "sms"])
    await world.prefer(admin, sms.contact, ["sms"])
    await world.subscribe_app(admin, app_ru, fcm_token(7))
    await world.subscribe_app(admin, app_en, fcm_token(8))
    greeted = len(world.telegram.sent(CLIENT.id))

    for pick in (email, telegram, whatsapp, sms, app_ru, app_en):
        await world.move(admin, pick)
    assert await world.relay_all() == {"sent": 6}

    [mail] = world.smtp.mailbox.received
    assert world.smtp.mailbox.recipients == [[email.email]]
    assert mail["Subject"] == f"Order {email.number} {SAID[email.next][1]}"
    assert mail["From"] == "Воронка <crm@example.test>"
    assert email.number in _plain(mail)
    assert _plain(mail).startswith(f"Hello, {email.contact.first_name}!")

    [notice] = world.telegram.sent(CLIENT.id)[greeted:]
    assert notice.params["text"].startswith(
        f"<b>Заказ №\u00a0{telegram.number} {SAID[telegram.next][0]}</b>\n\n"
    )
    assert notice.params["parse_mode"] == "HTML"

    [wa] = world.twilio.sent(f"whatsapp:{whatsapp.phone}")
    assert wa.params["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert f"№\u00a0{whatsapp.number}" in wa.params["Body"]
    assert IN_TEXT[whatsapp.next] in wa.params["Body"]
    [text] = world.twilio.sent(sms.phone)
    assert text.params["From"] == SMS_FROM
    assert f"№\u00a0{sms.number}" in text.params["Body"]
    assert IN_TEXT[sms.next] in text.params["Body"]
    assert len(world.twilio.sent()) == 2
    # The shipped push templates, in each client's language, at each client's phone.
    assert len(world.fcm.calls) == 2
    [ru] = world.fcm.sent(fcm_token(7))
    assert ru.message["notification"]["title"] == (
        f"Заказ №\u00a0{app_ru.number} {SAID[app_ru.next][0]}"
    )
    assert f"№\u00a0{app_ru.number}" in ru.message["notification"]["body"]
    assert IN_TEXT[app_ru.next] in ru.message["notification"]["body"]
    assert ru.message["data"] == {
        "purpose": f"order_status.{app_ru.next.value}",
        "order_number": app_ru.number,
    }
    [en] = world.fcm.sent(fcm_token(8))
    assert en.message["notification"]["title"] == (f"Order {app_en.number} {SAID[app_en.next][1]}")
    assert app_en.number in en.message["notification"]["body"]

    for pick, channel in (
        (email, Channel.EMAIL),
        (telegram, Channel.TELEGRAM),
        (whatsapp, Channel.WHATSAPP),
        (sms, Channel.SMS),
        (app_ru, Channel.PUSH),
        (app_en, Channel.PUSH),
    ):
        [message] = await _messages(pick)
        assert (message.channel, message.state) == (channel, MessageState.SENT)

    # Twilio reports the WhatsApp message delivered, signed as Twilio signs it.
    [message] = await _messages(whatsapp)
    assert message.provider_message_id == wa.sid
    await world.receipt(wa.sid, "delivered")
    await message.refresh_from_db()
    assert (message.state, message.delivered_at) == (MessageState.DELIVERED, world.clock.now())


async def test_a_staff_notice_reaches_telegram_with_buttons_and_each_device(world: World) -> None:
    headers = await world.headers(MANAGER_LOGIN)
    await world.link_telegram(headers, MANAGER)
    kept, gone = fcm_token(1), fcm_token(2)
    for token in (kept, gone):
        device = await world.api.post(
            "/v1/me/devices", json={"fcm_token": token, "platform": "android"}, headers=headers
        )
        assert device.status_code == 201, device.text
    user = await User.get(email=MANAGER_LOGIN)
    assert user.telegram_user_id == MANAGER.id
    world.fcm.unregister(gone)  # the app was removed from that phone
    before = len(world.telegram.sent(MANAGER.id))

    async with in_transaction():
        written = await notify_user(user, REMINDER, dedup_key="task:1:remind")
    assert len(written) == 3
    done = await world.relay_all()
    assert done == {"sent": 2, "failed": 1}

    [notice] = world.telegram.sent(MANAGER.id)[before:]
    assert notice.params["text"] == "<b>Напоминание</b>\nПозвонить клиенту в 15:00"
    assert notice.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "Готово", "callback_data": "task:done:1"}]
    ]
    [push] = world.fcm.sent()
    assert push.token == kept
    assert push.message["notification"] == {
        "title": "Напоминание",
        "body": "Позвонить клиенту в 15:00",
    }
    assert push.message["data"] == {"screen": "task", "task_id": "1"}
    # The unregistered token is forgotten; the notice still reached Telegram and the other phone.
    assert await Device.filter(user_id=user.id).values_list("fcm_token", flat=True) == [kept]
    failed = await OutboundMessage.get(address=gone)
    assert failed.state == MessageState.FAILED
    assert failed.next_attempt_at is None


async def test_a_manager_sends_a_template_from_the_api_and_from_the_bot(world: World) -> None:
    manager = await User.get(email=MANAGER_LOGIN)
    by_api, by_bot = await _clients(2, manager)
    headers = await world.headers(MANAGER_LOGIN)
    await world.prefer(headers, by_api.contact, ["whatsapp", "email"])
    await world.prefer(headers, by_bot.contact, ["email"])

    sent = await world.api.post(
        f"/v1/contacts/{by_api.contact.id}/messages",
        json={"purpose": "thanks_after_call"},
        headers={**headers, "Idempotency-Key": "thanks-1"},
    )
    assert sent.status_code == 201, sent.text

    await world.link_telegram(headers, MANAGER)
    await world.bot.press(
        MANAGER, OpenCard(kind="contact", id=by_bot.contact.id).pack(), message_id=1
    )
    card = last_sent(world.bot, MANAGER)
    await world.bot.press(MANAGER, data(card, "✉️"), message_id=message_id(card))
    picker = world.telegram.calls_of("editMessageText")[-1]
    await world.bot.press(MANAGER, data(picker, "Спасибо"), message_id=message_id(card))
    preview = world.telegram.calls_of("editMessageText")[-1]
    assert preview.params["text"].splitlines()[1] == f"Канал: почта · {by_bot.email}"
    await world.bot.press(MANAGER, data(preview, "📤"), message_id=message_id(card))
    done = world.telegram.calls_of("editMessageText")[-1]
    assert done.params["text"].startswith("✅ Отправлено: <b>Спасибо за разговор</b>")
    assert labels(done) == [["← К карточке"]]

    assert await world.relay_all() == {"sent": 2}
    [wa] = world.twilio.sent(f"whatsapp:{by_api.phone}")
    assert wa.params["Body"].startswith("Спасибо за разговор!")
    [mail] = world.smtp.mailbox.received
    assert world.smtp.mailbox.recipients == [[by_bot.email]]
    assert mail["Subject"] == "Спасибо за разговор"
    assert "Спасибо за разговор!" in _plain(mail)

    for pick, channel in ((by_api, Channel.WHATSAPP), (by_bot, Channel.EMAIL)):
        [message] = await _messages(pick)
        assert (message.channel, message.state) == (channel, MessageState.SENT)
        logged = await Interaction.get(outbound_message_id=message.id)
        assert (logged.kind, logged.contact_id, logged.author_id) == (
            InteractionKind.MESSAGE,
            pick.contact.id,
            manager.id,
        )
        assert logged.outcome.startswith("Спасибо за разговор")


async def test_channels_that_fail_lose_nothing(world: World) -> None:
    whatsapp, blocked, removed = await _pick(3)
    admin = await world.headers(ADMIN_LOGIN)
    await world.prefer(admin, whatsapp.contact, ["whatsapp", "sms"])
    await world.prefer(admin, blocked.contact, ["email"])
    await world.subscribe(admin, blocked, CLIENT)
    await world.prefer(admin, removed.contact, ["email"])
    await world.subscribe_app(admin, removed, fcm_token(9))

    # Twilio is down, then up: the message waits and goes, through WhatsApp still.
    world.twilio.server_error(times=1, status=503)
    # The client blocked the bot: Telegram refuses for good, the next channel (email) takes it.
    world.telegram.block(CLIENT.id)
    # The client removed the app: FCM says the token is gone, email takes the message.
    world.fcm.unregister(fcm_token(9))
    await world.move(admin, whatsapp)
    await world.move(admin, blocked)
    await world.move(admin, removed)
    assert await world.relay_all() == {"failed": 3, "sent": 2}

    [waiting] = await _messages(whatsapp)
    assert (waiting.state, waiting.attempts) == (MessageState.FAILED, 1)
    assert waiting.next_attempt_at is not None
    assert world.twilio.sent() == []
    [refused, fallback] = await _messages(blocked)
    assert (refused.channel, refused.state) == (Channel.TELEGRAM, MessageState.FAILED)
    assert refused.last_error.startswith("permanent: ")
    assert (fallback.channel, fallback.fallback_of_id) == (Channel.EMAIL, refused.id)
    [gone, instead] = await _messages(removed)
    assert (gone.channel, gone.address, gone.state) == (
        Channel.PUSH,
        fcm_token(9),
        MessageState.FAILED,
    )
    assert gone.last_error.startswith("permanent: FCM UNREGISTERED")
    assert (instead.channel, instead.fallback_of_id) == (Channel.EMAIL, gone.id)
    assert not await ChannelIdentity.filter(
        contact_id=removed.contact.id, channel=Channel.PUSH
    ).exists()
    mails = {
        tuple(to): mail
        for to, mail in zip(world.smtp.mailbox.recipients, world.smtp.mailbox.received, strict=True)
    }
    assert set(mails) == {(blocked.email,), (removed.email,)}
    assert mails[(blocked.email,)]["Subject"] == (
        f"Заказ №\u00a0{blocked.number} {SAID[blocked.next][0]}"
    )
    assert mails[(removed.email,)]["Subject"] == (
        f"Заказ №\u00a0{removed.number} {SAID[removed.next][0]}"
    )

    world.clock.advance(waiting.next_attempt_at - world.clock.now() + timedelta(seconds=1))
    assert await world.relay_all() == {"sent": 1}
    [wa] = world.twilio.sent()
    assert wa.to == f"whatsapp:{whatsapp.phone}"
    assert f"№\u00a0{whatsapp.number}" in wa.params["Body"]
    [message] = await _messages(whatsapp)
    assert (message.id, message.state, message.attempts) == (waiting.id, MessageState.SENT, 2)
    await world.receipt(wa.sid, "delivered")
    await message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert await OutboundMessage.filter(fallback_of_id=message.id).count() == 0
