"""The relay delivers Telegram messages through a real aiogram Bot to the loopback Bot API double:
HTML text and buttons arrive, 429 and 5xx wait and retry, a blocked bot or a chat that does not
exist fails for good and falls back to email, and Telegram is offered only with a token."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from bots.telegram.app import build_bot, process_limits
from bots.telegram.limits import TelegramLimits
from models.channels import Outcome, Outgoing, configured_channels, use_channels
from models.clock import FrozenClock
from models.entities import Channel, ChannelIdentity, Contact, MessageState, OutboundMessage
from models.ops.orders import change_order_status
from models.ops.outbox import enqueue_for_contact
from models.settings import Settings, load_settings
from schedulers.channels import build_channels
from schedulers.channels.email import EmailChannel, SmtpConfig
from schedulers.channels.telegram import InvalidMessage, TelegramChannel, chat_id_of, keyboard
from schedulers.outbox import Relay
from tests.bots.conftest import TOKEN, TransactionGuard, VirtualTime
from tests.doubles.smtp import SmtpDouble, smtp_server
from tests.doubles.telegram_api import TelegramApiDouble
from tests.factories import Org, make_contact, make_order

pytestmark = pytest.mark.usefixtures("db")
CHAT = 555001
BUTTONS = [
    [{"text": "Оплатить", "url": "https://pay.example.test/o/1"}],
    [{"text": "Да", "callback_data": "confirm:1"}, {"text": "Нет", "callback_data": "deny:1"}],
]


def telegram_settings(api_url: str, **values: Any) -> Settings:
    return load_settings(telegram_token=TOKEN, telegram_api_base=api_url, **values)


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.TELEGRAM, Channel.EMAIL}):
        yield


@pytest.fixture
async def api() -> AsyncIterator[TelegramApiDouble]:
    async with TelegramApiDouble() as double:
        yield double


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpDouble]:
    async with smtp_server() as server:
        yield server


@pytest.fixture
def time() -> VirtualTime:
    return VirtualTime()


@pytest.fixture
async def channel(api: TelegramApiDouble, time: VirtualTime) -> AsyncIterator[TelegramChannel]:
    limits = TelegramLimits(clock=time, sleep=time.sleep)
    adapter = TelegramChannel.from_settings(telegram_settings(api.url), limits=limits)
    assert adapter is not None
    guard = TransactionGuard()
    adapter.bot.session.middleware(guard)
    try:
        yield adapter
    finally:
        await adapter.close()
    assert guard.violations == [], "Bot API called inside a database transaction"


def relay(channel: TelegramChannel, smtp: SmtpDouble | None = None) -> Relay:
    channels: dict[Channel, Any] = {Channel.TELEGRAM: channel}
    if smtp is not None:
        config = SmtpConfig("127.0.0.1", smtp.port, "crm@voronka.test", tls="none", timeout=5)
        channels[Channel.EMAIL] = EmailChannel(config)
    return Relay(channels)


async def _client(org: Org, chat: str = str(CHAT), **values: Any) -> Contact:
    values.setdefault("first_name", "Иван")
    values.setdefault("last_name", "Петров")
    values.setdefault("emails", ["ivan@example.test"])
    values.setdefault("preferred_channels", ["telegram", "email"])
    values.setdefault("force", True)  # several clients may share the address
    contact = await make_contact(org.manager, **values)
    await ChannelIdentity.create(contact_id=contact.id, channel=Channel.TELEGRAM, address=chat)
    return contact


async def _thanks(contact: Contact, key: str = "thanks:1") -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert (message.state, message.channel) == (MessageState.QUEUED, Channel.TELEGRAM), message
    return message


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_order_status_change_arrives_in_the_clients_telegram(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel
) -> None:
    contact = await _client(org)
    order = await make_order(org.manager, contact_id=contact.id, number="З-1024", amount="15000")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    assert await relay(channel).drain() == {"sent": 1}
    message = await OutboundMessage.get(contact_id=contact.id)
    [call] = api.sent(CHAT)
    assert call.params["text"] == message.body
    assert call.params["text"].startswith("<b>Заказ №\u00a0З-1024 подтверждён</b>")
    assert call.params["parse_mode"] == "HTML"
    assert "reply_markup" not in call.params
    assert message.state == MessageState.SENT
    assert message.provider_message_id == f"{CHAT}:{call.result['message_id']}"


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_buttons_of_the_payload_go_with_the_message(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel
) -> None:
    message = await _thanks(await _client(org))
    await OutboundMessage.filter(id=message.id).update(
        payload={**message.payload, "buttons": BUTTONS}
    )
    assert await relay(channel).drain() == {"sent": 1}
    [call] = api.sent(CHAT)
    assert call.params["text"].startswith("<b>Спасибо за разговор</b>")
    assert call.params["reply_markup"] == {"inline_keyboard": BUTTONS}


@pytest.mark.usefixtures("channels_on", "templates")
async def test_a_429_is_waited_out_and_then_retried_after_retry_after(
    org: Org,
    api: TelegramApiDouble,
    channel: TelegramChannel,
    time: VirtualTime,
    clock: FrozenClock,
) -> None:
    # One 429: the pacing waits `retry_after` and sends again within the same delivery.
    first = await _thanks(await _client(org), "a")
    api.rate_limit("sendMessage", retry_after=3)
    assert await relay(channel).drain() == {"sent": 1}
    assert 3 in time.sleeps
    await first.refresh_from_db()
    assert first.attempts == 1

    # 429s beyond the pacing's own attempts: the message waits Telegram's retry_after.
    second = await _thanks(await _client(org, chat="555002"), "b")
    api.rate_limit("sendMessage", retry_after=7, times=3)
    assert await relay(channel).drain() == {"failed": 1}
    await second.refresh_from_db()
    assert second.state == MessageState.FAILED
    assert second.last_error == "will retry: Telegram 429: retry after 7 s"
    assert second.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert await relay(channel).drain() == {}, "not before its time"
    clock.advance(timedelta(seconds=7))
    assert await relay(channel).drain() == {"sent": 1}
    await second.refresh_from_db()
    assert (second.state, second.attempts) == (MessageState.SENT, 2)
    assert len(api.sent(555002)) == 1


@pytest.mark.usefixtures("channels_on", "templates")
async def test_a_5xx_is_retried_later_and_not_repeated_at_once(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    api.server_error("sendMessage", status=502)
    assert await relay(channel).drain() == {"failed": 1}
    assert len(api.calls_of("sendMessage")) == 1, "a send that may have arrived is not repeated"
    await message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error == "will retry: Telegram 5xx: Bad Gateway"
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > clock.now()
    clock.advance(message.next_attempt_at - clock.now())
    assert await relay(channel).drain() == {"sent": 1}
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 2)


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_unreachable_bot_api_is_a_retry(org: Org) -> None:
    message = await _thanks(await _client(org))
    adapter = TelegramChannel.from_settings(telegram_settings("http://127.0.0.1:9"))
    assert adapter is not None
    try:
        assert await relay(adapter).drain() == {"failed": 1}
    finally:
        await adapter.close()
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error.startswith("will retry: Telegram unreachable")


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_blocked_bot_fails_for_good_and_falls_back_to_email(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel, smtp: SmtpDouble
) -> None:
    contact = await _client(org)
    message = await _thanks(contact)
    api.block(CHAT)
    outbox = relay(channel, smtp)
    assert await outbox.drain() == {"failed": 1}
    assert await outbox.drain() == {"sent": 1}, "the fallback goes with the next run"
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert message.last_error.startswith(
        "permanent: Telegram 403: Forbidden: bot was blocked by the user; fell back to message "
    )
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.EMAIL,
        "ivan@example.test",
        MessageState.SENT,
    )
    [email] = smtp.mailbox.received
    assert email["Subject"]
    assert api.sent() == []


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_chat_that_does_not_exist_fails_for_good(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel
) -> None:
    message = await _thanks(await _client(org, emails=[], preferred_channels=["telegram"]))
    api.fail("sendMessage", 400, "Bad Request: chat not found")
    assert await relay(channel).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert message.last_error == (
        "permanent: Telegram 400: Bad Request: chat not found; no other channel to fall back to"
    )


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_chat_id_that_is_not_one_fails_without_a_call(
    org: Org, api: TelegramApiDouble, channel: TelegramChannel
) -> None:
    message = await _thanks(await _client(org, chat="ivan petrov"))
    assert await relay(channel).drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.last_error.startswith("permanent: invalid chat id 'ivan petrov'")
    assert api.calls == []
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.state) == (Channel.EMAIL, MessageState.QUEUED)


@pytest.mark.usefixtures("templates", "clock")
async def test_telegram_is_offered_only_with_a_token(org: Org, api: TelegramApiDouble) -> None:
    assert Channel.TELEGRAM not in configured_channels(load_settings())
    assert Channel.TELEGRAM not in build_channels(load_settings())
    settings = telegram_settings(api.url)
    assert Channel.TELEGRAM in configured_channels(settings)
    built = build_channels(settings)
    assert isinstance(built[Channel.TELEGRAM], TelegramChannel)

    contact = await _client(org)
    smtp_settings = load_settings(smtp_host="127.0.0.1", smtp_from="crm@voronka.test")
    with use_channels(configured_channels(smtp_settings)):
        message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="off")
    assert message is not None
    assert (message.channel, message.state) == (Channel.EMAIL, MessageState.QUEUED)
    with use_channels(configured_channels(settings)):
        message = await enqueue_for_contact(
            await _client(org, chat="555003"), "thanks_after_call", dedup_key="on"
        )
    assert message is not None
    assert (message.channel, message.address) == (Channel.TELEGRAM, "555003")


def test_the_outbox_and_the_bots_replies_keep_one_pacing() -> None:
    settings = telegram_settings("http://127.0.0.1:9")
    adapter = build_channels(settings)[Channel.TELEGRAM]
    assert isinstance(adapter, TelegramChannel)
    replies = build_bot(settings)
    assert list(adapter.bot.session.middleware) == [process_limits(settings)]
    assert list(replies.session.middleware) == [process_limits(settings)]


def test_chat_ids_and_buttons_are_checked_before_sending() -> None:
    assert chat_id_of(" 555001 ") == 555001
    assert chat_id_of("-1001234567890") == -1001234567890
    assert chat_id_of("@voronka_news") == "@voronka_news"
    for address in ("", "+79161234567x", "ivan", "@a"):
        with pytest.raises(InvalidMessage):
            chat_id_of(address)
    assert keyboard({}) is None
    markup = keyboard({"buttons": BUTTONS})
    assert markup is not None
    assert [[b.text for b in row] for row in markup.inline_keyboard] == [
        ["Оплатить"],
        ["Да", "Нет"],
    ]
    for buttons in (
        "row",
        [[]],
        [[{"text": "x"}]],
        [[{"text": "x", "url": "https://a.test", "callback_data": "y"}]],
        [[{"text": "x", "url": "tel:+79161234567"}]],
        [[{"text": "x", "callback_data": "я" * 33}]],
        [[{"url": "https://a.test"}]],
    ):
        with pytest.raises(InvalidMessage):
            keyboard({"buttons": buttons})


async def test_bad_buttons_fail_for_good_without_a_call(
    api: TelegramApiDouble, channel: TelegramChannel
) -> None:
    outgoing = Outgoing(
        id=1,
        channel=Channel.TELEGRAM,
        address=str(CHAT),
        subject="",
        body="<b>Привет</b>",
        text_body="",
        language="ru",
        payload={"buttons": [[{"text": "Позвонить", "url": "tel:+79161234567"}]]},
    )
    result = await channel.deliver(outgoing)
    assert result.outcome is Outcome.PERMANENT
    assert "the url must be http(s):// or tg://" in result.error
    assert api.calls == []
