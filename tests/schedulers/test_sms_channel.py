"""The relay delivers SMS through twilio's own client to the loopback Twilio double: plain text
from the sender number or a Messaging Service, a status callback URL when the public URL is
known, Retry-After in seconds or as a date, and a landline or an unsubscribed number fails for
good and falls back to email."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from models.channels import Outcome, Outgoing, use_channels
from models.clock import FrozenClock
from models.entities import Channel, Contact, MessageState, OutboundMessage
from models.ops.outbox import enqueue_for_contact
from schedulers.channels import build_channels
from schedulers.channels.email import EmailChannel, SmtpConfig
from schedulers.channels.twilio_rest import retry_after_of
from schedulers.outbox import Relay
from tests.doubles.smtp import SmtpDouble, smtp_server
from tests.doubles.twilio_api import SMS_FROM, TwilioApiDouble, twilio_settings
from tests.factories import T0, Org, make_contact

pytestmark = pytest.mark.usefixtures("db")
PHONE = "+79161234567"
SERVICE_SID = "MG" + "0123456789abcdef" * 2


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.SMS, Channel.EMAIL}):
        yield


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioApiDouble]:
    async with TwilioApiDouble() as double:
        yield double


@pytest.fixture
async def smtp() -> AsyncIterator[SmtpDouble]:
    async with smtp_server() as server:
        yield server


def _relay(twilio: TwilioApiDouble, smtp: SmtpDouble | None = None, **values: Any) -> Relay:
    channels = build_channels(twilio_settings(twilio.url, twilio_whatsapp_from=None, **values))
    if smtp is not None:
        config = SmtpConfig("127.0.0.1", smtp.port, "crm@voronka.test", tls="none", timeout=5)
        channels[Channel.EMAIL] = EmailChannel(config)
    return Relay(channels)


async def _client(org: Org, **values: Any) -> Contact:
    values.setdefault("first_name", "Иван")
    values.setdefault("last_name", "Петров")
    values.setdefault("preferred_channels", ["sms", "email"])
    values.setdefault("emails", ["ivan@example.test"])
    values.setdefault("force", True)
    return await make_contact(org.manager, phones=["+7 916 123-45-67"], **values)


async def _thanks(contact: Contact, key: str = "thanks:1") -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert (message.state, message.channel, message.address) == (
        MessageState.QUEUED,
        Channel.SMS,
        PHONE,
    ), message
    return message


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_the_text_goes_from_the_sender_number_with_a_status_callback(
    org: Org, twilio: TwilioApiDouble
) -> None:
    message = await _thanks(await _client(org))
    outbox = _relay(twilio, public_url="https://crm.example.test/")
    try:
        assert await outbox.drain() == {"sent": 1}
    finally:
        await outbox.close()
    [call] = twilio.sent()
    assert call.params == {
        "To": PHONE,
        "From": SMS_FROM,
        "Body": message.body,
        "StatusCallback": "https://crm.example.test/webhooks/twilio/status",
    }
    assert call.params["Body"].startswith("Спасибо за разговор!")
    await message.refresh_from_db()
    assert (message.state, message.provider_message_id) == (MessageState.SENT, call.sid)


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_messaging_service_picks_the_sender(org: Org, twilio: TwilioApiDouble) -> None:
    await _thanks(await _client(org))
    outbox = _relay(twilio, twilio_sms_from=None, twilio_messaging_service_sid=SERVICE_SID)
    try:
        assert await outbox.drain() == {"sent": 1}
    finally:
        await outbox.close()
    [call] = twilio.sent()
    assert call.params["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in call.params


@pytest.mark.usefixtures("channels_on", "templates", "clock")
@pytest.mark.parametrize(
    ("code", "why"),
    [(21614, "'To' is not a mobile number"), (21610, "the recipient unsubscribed (STOP)")],
)
async def test_a_number_that_takes_no_sms_fails_for_good_and_falls_back_to_email(
    org: Org, twilio: TwilioApiDouble, smtp: SmtpDouble, code: int, why: str
) -> None:
    message = await _thanks(await _client(org))
    twilio.unreachable(PHONE, code, "The 'To' number cannot receive this message.")
    outbox = _relay(twilio, smtp)
    try:
        assert await outbox.drain() == {"failed": 1}
        assert await outbox.drain() == {"sent": 1}
    finally:
        await outbox.close()
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert f"Twilio 400 error {code}" in message.last_error
    assert f"({why}); fell back to message " in message.last_error
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.state) == (Channel.EMAIL, MessageState.SENT)
    [email] = smtp.mailbox.received
    assert email["To"].endswith("<ivan@example.test>")
    assert twilio.sent() == []


@pytest.mark.usefixtures("channels_on", "templates")
async def test_429s_and_5xx_wait_and_the_message_goes_once(
    org: Org, twilio: TwilioApiDouble, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    outbox = _relay(twilio)
    try:
        twilio.rate_limit(retry_after=30)
        assert await outbox.drain() == {"failed": 1}
        await message.refresh_from_db()
        assert message.next_attempt_at == clock.now() + timedelta(seconds=30)
        clock.advance(timedelta(seconds=30))
        twilio.server_error(status=500)
        assert await outbox.drain() == {"failed": 1}
        await message.refresh_from_db()
        assert message.last_error == "will retry: Twilio 500: SMS not accepted now"
        assert message.next_attempt_at is not None
        clock.advance(message.next_attempt_at - clock.now())
        assert await outbox.drain() == {"sent": 1}
    finally:
        await outbox.close()
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 3)
    assert [call.status for call in twilio.calls] == [429, 500, 201]


async def test_a_number_that_is_not_one_fails_without_a_call(twilio: TwilioApiDouble) -> None:
    outbox = _relay(twilio)
    try:
        channel = outbox.channels[Channel.SMS]
        for address in ("", "9161234567", "whatsapp:+79161234567"):
            result = await channel.deliver(_outgoing(address))
            assert (result.outcome, result.error) == (
                Outcome.PERMANENT,
                f"invalid phone number {address!r}",
            )
        result = await channel.deliver(_outgoing(PHONE, body=""))
        assert result.error == "the message text is empty"
    finally:
        await outbox.close()
    assert twilio.calls == []


def _outgoing(address: str, body: str = "Привет") -> Outgoing:
    return Outgoing(
        id=1,
        channel=Channel.SMS,
        address=address,
        subject="",
        body=body,
        text_body="",
        language="ru",
    )


@pytest.mark.usefixtures("clock")
def test_retry_after_is_seconds_or_an_http_date() -> None:
    assert retry_after_of("17") == 17.0
    assert retry_after_of(None) is None
    assert retry_after_of("soon") is None
    assert retry_after_of("²") is None
    later = T0 + timedelta(seconds=90)
    assert retry_after_of(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) == 90.0
    assert retry_after_of("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0
