"""The relay delivers WhatsApp through twilio's own client to the loopback Twilio double: text and
approved Content templates (with the variables their template renders) arrive from the
configured sender, 429 waits Retry-After, 5xx and
timeouts retry, an unreachable number fails for good and falls back to SMS, and WhatsApp is
offered only when Twilio and a sender are configured."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest

from models.channels import Outcome, Outgoing, configured_channels, use_channels
from models.clock import FrozenClock
from models.entities import Channel, Contact, MessageState, OutboundMessage, Template
from models.ops.orders import change_order_status
from models.ops.outbox import enqueue_for_contact
from models.ops.templates import update_template
from models.settings import SettingsError, load_settings
from schedulers.channels import build_channels
from schedulers.channels.sms import SmsChannel
from schedulers.channels.whatsapp import WhatsAppChannel
from schedulers.outbox import Relay
from tests.doubles.twilio_api import SMS_FROM, WHATSAPP_FROM, TwilioApiDouble, twilio_settings
from tests.factories import Org, make_contact, make_order

pytestmark = pytest.mark.usefixtures("db")
PHONE = "+79161234567"
CONTENT_SID = "HX" + "0123456789abcdef" * 2


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.WHATSAPP, Channel.SMS}):
        yield


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioApiDouble]:
    async with TwilioApiDouble() as double:
        yield double


@pytest.fixture
async def outbox(twilio: TwilioApiDouble) -> AsyncIterator[Relay]:
    relay = Relay(build_channels(twilio_settings(twilio.url, twilio_timeout=0.5)))
    assert set(relay.channels) == {Channel.WHATSAPP, Channel.SMS}
    try:
        yield relay
    finally:
        await relay.close()


async def _client(org: Org, phone: str = PHONE, **values: Any) -> Contact:
    values.setdefault("first_name", "Иван")
    values.setdefault("last_name", "Петров")
    values.setdefault("preferred_channels", ["whatsapp", "sms"])
    values.setdefault("force", True)
    return await make_contact(org.manager, phones=[phone], **values)


async def _thanks(contact: Contact, key: str = "thanks:1") -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert (message.state, message.channel) == (MessageState.QUEUED, Channel.WHATSAPP), message
    return message


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_order_status_change_arrives_in_the_clients_whatsapp(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    contact = await _client(org)
    order = await make_order(org.manager, contact_id=contact.id, number="З-1024", amount="15000")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    assert await outbox.drain() == {"sent": 1}
    message = await OutboundMessage.get(contact_id=contact.id)
    [call] = twilio.sent()
    assert call.path == f"/2010-04-01/Accounts/{twilio.account_sid}/Messages.json"
    assert call.params["To"] == f"whatsapp:{PHONE}"
    assert call.params["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert call.params["Body"] == message.body
    assert "З-1024" in call.params["Body"]
    assert "StatusCallback" not in call.params, "no public URL, no callbacks"
    assert (message.state, message.provider_message_id) == (MessageState.SENT, call.sid)


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_approved_template_goes_as_its_content_sid_with_variables(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    await Template.filter(purpose="thanks_after_call", channel=Channel.WHATSAPP).update(
        content_sid=CONTENT_SID
    )
    message = await _thanks(await _client(org))
    assert message.payload["content_sid"] == CONTENT_SID
    await OutboundMessage.filter(id=message.id).update(
        payload={**message.payload, "content_variables": {"1": "Иван", "2": 15}}
    )
    assert await outbox.drain() == {"sent": 1}
    [call] = twilio.sent()
    assert call.params["ContentSid"] == CONTENT_SID
    assert json.loads(call.params["ContentVariables"]) == {"1": "Иван", "2": "15"}
    assert "Body" not in call.params


async def _approved(org: Org, purpose: str, variables: dict[str, str]) -> None:
    """The Russian WhatsApp template of `purpose` becomes an approved Content template, saved
    the way an admin saves it."""
    template = await Template.get(purpose=purpose, channel=Channel.WHATSAPP, language="ru")
    await update_template(
        org.admin,
        template.id,
        {"content_sid": CONTENT_SID, "content_variables": variables},
        version=template.version,
    )


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_order_status_goes_as_the_approved_template_with_its_variables_filled_in(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    await _approved(
        org,
        "order_status.confirmed",
        {"1": "client.first_name", "2": "order.number", "3": "order.status_label"},
    )
    contact = await _client(org, first_name="Фёдор")
    order = await make_order(org.manager, contact_id=contact.id, number="З-1024", amount="15000")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert message.payload["content_variables"] == {
        "1": "Фёдор",
        "2": "З-1024",
        "3": "подтверждён",
    }
    assert await outbox.drain() == {"sent": 1}
    [call] = twilio.sent()
    assert call.params["ContentSid"] == CONTENT_SID
    assert "Body" not in call.params
    assert "Фёдор" in call.params["ContentVariables"], "Cyrillic as it is, not \\u escapes"
    assert json.loads(call.params["ContentVariables"]) == {
        "1": "Фёдор",
        "2": "З-1024",
        "3": "подтверждён",
    }


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_variable_that_comes_out_empty_sends_through_the_next_channel(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    await _approved(org, "order_status.confirmed", {"1": "client.first_name"})
    contact = await _client(org, first_name="", last_name="Ёлкин")
    order = await make_order(org.manager, contact_id=contact.id, number="З-7")
    await change_order_status(org.manager, order.id, "confirmed", version=None)
    message = await OutboundMessage.get(contact_id=contact.id)
    assert message.channel == Channel.SMS, "Twilio refuses empty values (error 21656)"
    assert await outbox.drain() == {"sent": 1}
    [call] = twilio.sent()
    assert (call.params["To"], call.params["From"]) == (PHONE, SMS_FROM)
    assert "З-7" in call.params["Body"]


@pytest.mark.usefixtures("channels_on", "templates")
async def test_a_429_waits_twilios_retry_after(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, clock: FrozenClock
) -> None:
    message = await _thanks(await _client(org))
    twilio.rate_limit(retry_after=7)
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error == "will retry: Twilio 429: WhatsApp not accepted now"
    assert message.next_attempt_at == clock.now() + timedelta(seconds=7)
    assert await outbox.drain() == {}, "not before its time"
    clock.advance(timedelta(seconds=7))
    assert await outbox.drain() == {"sent": 1}
    await message.refresh_from_db()
    assert (message.state, message.attempts) == (MessageState.SENT, 2)
    assert len(twilio.sent()) == 1


@pytest.mark.usefixtures("channels_on", "templates")
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_a_5xx_is_retried_later_and_not_repeated_at_once(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, clock: FrozenClock, status: int
) -> None:
    message = await _thanks(await _client(org))
    twilio.server_error(status=status)
    assert await outbox.drain() == {"failed": 1}
    assert len(twilio.calls) == 1, "a send that may have arrived is not repeated at once"
    await message.refresh_from_db()
    assert message.last_error == f"will retry: Twilio {status}: WhatsApp not accepted now"
    assert message.next_attempt_at is not None
    assert message.next_attempt_at > clock.now()
    clock.advance(message.next_attempt_at - clock.now())
    assert await outbox.drain() == {"sent": 1}


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_a_twilio_that_does_not_answer_in_time_is_a_retry(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    message = await _thanks(await _client(org))
    twilio.stall(seconds=2)
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.next_attempt_at is not None
    assert message.last_error == "will retry: Twilio unreachable: TimeoutError"


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_an_unreachable_twilio_is_a_retry(org: Org) -> None:
    message = await _thanks(await _client(org))
    relay = Relay(build_channels(twilio_settings("http://127.0.0.1:9")))
    try:
        assert await relay.drain() == {"failed": 1}
    finally:
        await relay.close()
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error.startswith("will retry: Twilio unreachable: ClientConnectorError")


@pytest.mark.usefixtures("channels_on", "templates", "clock")
@pytest.mark.parametrize(
    ("code", "why"),
    [
        (63003, "the channel could not find the 'To' address"),
        (21211, "invalid 'To' number"),
        (63016, "outside the 24-hour window only approved templates may be sent"),
    ],
)
async def test_a_number_whatsapp_cannot_reach_fails_for_good_and_falls_back_to_sms(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, code: int, why: str
) -> None:
    contact = await _client(org)
    message = await _thanks(contact)
    twilio.refuse(code, "Twilio could not deliver")
    assert await outbox.drain() == {"failed": 1}
    await message.refresh_from_db()
    assert (message.state, message.next_attempt_at) == (MessageState.FAILED, None)
    assert message.last_error.startswith(
        f"permanent: Twilio 400 error {code}: Unable to create record: Twilio could not deliver"
        f" ({why}); fell back to message "
    )
    assert await outbox.drain() == {"sent": 1}, "the fallback goes with the next run"
    follow = await OutboundMessage.get(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.SMS,
        PHONE,
        MessageState.SENT,
    )
    [sms] = twilio.sent()
    assert (sms.params["To"], sms.params["From"]) == (PHONE, SMS_FROM)
    assert sms.params["Body"] == follow.body


@pytest.mark.usefixtures("channels_on", "templates", "clock")
async def test_wrong_credentials_are_ours_to_fix_and_the_message_waits(
    org: Org, twilio: TwilioApiDouble
) -> None:
    message = await _thanks(await _client(org))
    relay = Relay(build_channels(twilio_settings(twilio.url, twilio_auth_token="not-the-token")))
    try:
        assert await relay.drain() == {"failed": 1}
    finally:
        await relay.close()
    await message.refresh_from_db()
    assert message.next_attempt_at is not None
    assert message.last_error == (
        "will retry: Twilio 401 error 20003: Unable to create record: Authenticate"
    )
    assert twilio.sent() == []


async def test_a_number_that_is_not_one_fails_without_a_call(
    twilio: TwilioApiDouble, outbox: Relay
) -> None:
    channel = outbox.channels[Channel.WHATSAPP]
    for address in ("", "89161234567", "+7 916 123-45-67", "ivan@example.test"):
        result = await channel.deliver(_outgoing(address))
        assert result.outcome is Outcome.PERMANENT, address
        assert result.error == f"invalid WhatsApp number {address!r}"
    empty = await channel.deliver(_outgoing(PHONE, body="  "))
    assert (empty.outcome, empty.error) == (Outcome.PERMANENT, "the message text is empty")
    odd = await channel.deliver(
        _outgoing(PHONE, payload={"content_sid": CONTENT_SID, "content_variables": ["Иван"]})
    )
    assert odd.outcome is Outcome.PERMANENT
    assert twilio.calls == []
    sent = await channel.deliver(_outgoing(f"whatsapp:{PHONE}"))
    assert sent.outcome is Outcome.SENT
    assert twilio.calls[0].params["To"] == f"whatsapp:{PHONE}"


def _outgoing(address: str, body: str = "Привет", **values: Any) -> Outgoing:
    return Outgoing(
        id=1,
        channel=Channel.WHATSAPP,
        address=address,
        subject="",
        body=body,
        text_body="",
        language="ru",
        **values,
    )


def test_whatsapp_and_sms_are_offered_only_when_twilio_is_configured() -> None:
    nothing = load_settings()
    assert not {Channel.WHATSAPP, Channel.SMS} & configured_channels(nothing)
    assert not {Channel.WHATSAPP, Channel.SMS} & set(build_channels(nothing))
    both = twilio_settings("http://127.0.0.1:9")
    assert {Channel.WHATSAPP, Channel.SMS} <= configured_channels(both)
    built = build_channels(both)
    assert isinstance(built[Channel.WHATSAPP], WhatsAppChannel)
    assert isinstance(built[Channel.SMS], SmsChannel)
    sms_only = twilio_settings("http://127.0.0.1:9", twilio_whatsapp_from=None)
    assert Channel.WHATSAPP not in configured_channels(sms_only)
    assert Channel.SMS in configured_channels(sms_only)
    service = twilio_settings(
        "http://127.0.0.1:9",
        twilio_whatsapp_from="whatsapp:+14155238886",
        twilio_sms_from=None,
        twilio_messaging_service_sid="MG" + "0" * 32,
    )
    assert {Channel.WHATSAPP, Channel.SMS} <= configured_channels(service)
    whatsapp = build_channels(service)[Channel.WHATSAPP]
    assert isinstance(whatsapp, WhatsAppChannel)
    assert whatsapp.sender == "whatsapp:+14155238886"


@pytest.mark.parametrize(
    ("overrides", "line"),
    [
        ({"twilio_account_sid": "AC123"}, "VORONKA_TWILIO_ACCOUNT_SID: AC followed by 32 hex"),
        (
            {"twilio_account_sid": "AC" + "0" * 32},
            "VORONKA_TWILIO_AUTH_TOKEN: required with VORONKA_TWILIO_ACCOUNT_SID",
        ),
        ({"twilio_whatsapp_from": "8 916 123"}, "VORONKA_TWILIO_WHATSAPP_FROM: a number in +E.164"),
        ({"twilio_sms_from": "Voronka CRM Ltd"}, "VORONKA_TWILIO_SMS_FROM: a number in +E.164"),
        ({"twilio_messaging_service_sid": "MG1"}, "VORONKA_TWILIO_MESSAGING_SERVICE_SID: MG"),
        ({"twilio_base_url": "api.twilio.com"}, "VORONKA_TWILIO_BASE_URL: must start with"),
    ],
)
def test_bad_twilio_settings_are_one_line(overrides: dict[str, object], line: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    assert str(caught.value).startswith(line)
