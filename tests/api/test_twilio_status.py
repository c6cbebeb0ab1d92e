"""POST /webhooks/twilio/status: Twilio's delivery receipts, signed with twilio's own
RequestValidator, move WhatsApp and SMS messages to delivered, read or failed (and on to the next
channel); forged ones get 403, malformed ones 400, and a repeated or late one changes nothing.
The whole way: enqueue → relay → Twilio double → signed callback → delivered. A receipt that
overtakes the relay's record of the MessageSid is kept and applied when the record comes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from api.app import create_app
from models.channels import use_channels
from models.clock import FrozenClock, use_clock
from models.entities import Channel, Contact, EarlyReceipt, MessageState, OutboundMessage
from models.ops.outbox import EARLY_RECEIPT_TTL, enqueue_for_contact
from models.ops.templates import install_default_templates
from models.settings import Settings
from schedulers.channels import build_channels
from schedulers.housekeeping import purge_expired
from schedulers.outbox import Relay
from tests.doubles.twilio_api import TwilioApiDouble, signed, twilio_settings
from tests.factories import T0, Org, make_contact, make_org

PUBLIC_URL = "https://crm.example.test"
CALLBACK_URL = PUBLIC_URL + "/webhooks/twilio/status"
PHONE = "+79161234567"
pytestmark = pytest.mark.usefixtures("db", "clock", "channels_on", "templates")


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    with use_clock(FrozenClock(T0)) as frozen:
        yield frozen


@pytest.fixture
def channels_on() -> Iterator[None]:
    with use_channels({Channel.WHATSAPP, Channel.SMS}):
        yield


@pytest.fixture
async def templates(db: str) -> int:
    return await install_default_templates()


@pytest.fixture
async def org(db: str) -> Org:
    return await make_org()


@pytest.fixture
async def twilio() -> AsyncIterator[TwilioApiDouble]:
    async with TwilioApiDouble() as double:
        yield double


def _settings(twilio: TwilioApiDouble, db: str, data_dir: Path, **values: Any) -> Settings:
    values.setdefault("public_url", PUBLIC_URL)
    return twilio_settings(twilio.url, database_url=db, data_dir=data_dir, **values)


@pytest.fixture
def settings(twilio: TwilioApiDouble, db: str, data_dir: Path) -> Settings:
    return _settings(twilio, db, data_dir)


@pytest.fixture
async def outbox(settings: Settings) -> AsyncIterator[Relay]:
    relay = Relay(build_channels(settings))
    try:
        yield relay
    finally:
        await relay.close()


def _client(app: FastAPI) -> httpx.AsyncClient:
    # The app sits behind a proxy: it is called at an inner address, not at the public URL.
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://10.0.0.5")


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with _client(create_app(settings, manage_database=False)) as client:
        yield client


async def _sent_whatsapp(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, key: str = "thanks:1"
) -> OutboundMessage:
    contact = await make_contact(
        org.manager,
        first_name="Иван",
        phones=[PHONE],
        preferred_channels=["whatsapp", "sms"],
        force=True,
    )
    return await _enqueue_and_send(contact, twilio, outbox, key)


async def _enqueue_and_send(
    contact: Contact, twilio: TwilioApiDouble, outbox: Relay, key: str
) -> OutboundMessage:
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key=key)
    assert message is not None
    assert await outbox.drain() == {"sent": 1}
    await message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert message.provider_message_id == twilio.sent()[-1].sid
    return message


async def _post(
    client: httpx.AsyncClient, fields: dict[str, str], headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        "/webhooks/twilio/status",
        data=fields,
        headers=signed(CALLBACK_URL, fields) if headers is None else headers,
    )


async def _receipt(
    client: httpx.AsyncClient,
    twilio: TwilioApiDouble,
    message: OutboundMessage,
    status: str,
    error_code: int | None = None,
) -> MessageState:
    assert message.provider_message_id is not None
    url, fields = twilio.callback(message.provider_message_id, status, error_code)
    assert url == CALLBACK_URL
    response = await _post(client, fields)
    assert response.status_code == 200, response.text
    await message.refresh_from_db()
    return MessageState(message.state)


async def test_a_whatsapp_message_goes_out_and_its_receipts_come_back(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    [call] = twilio.sent()
    assert call.params["StatusCallback"] == CALLBACK_URL
    assert await _receipt(client, twilio, message, "sent") == MessageState.SENT
    assert await _receipt(client, twilio, message, "delivered") == MessageState.DELIVERED
    assert message.delivered_at == T0
    assert await _receipt(client, twilio, message, "read") == MessageState.READ
    # Replayed and late receipts: never backwards.
    assert await _receipt(client, twilio, message, "delivered") == MessageState.READ
    assert await _receipt(client, twilio, message, "sent") == MessageState.READ
    assert await _receipt(client, twilio, message, "undelivered", 30003) == MessageState.READ
    assert await OutboundMessage.filter(fallback_of_id=message.id).count() == 0


async def test_read_before_delivered_stays_read(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    assert await _receipt(client, twilio, message, "read") == MessageState.READ
    assert message.delivered_at == T0
    assert await _receipt(client, twilio, message, "delivered") == MessageState.READ


async def test_an_undelivered_message_fails_with_its_code_and_falls_back_once(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    assert await _receipt(client, twilio, message, "undelivered", 63024) == MessageState.FAILED
    assert message.next_attempt_at is None
    assert message.last_error.startswith(
        "permanent: undelivered (error 63024); fell back to message "
    )
    # Twilio repeats itself: the same receipt again writes no second fallback.
    assert await _receipt(client, twilio, message, "undelivered", 63024) == MessageState.FAILED
    assert await _receipt(client, twilio, message, "failed", 30008) == MessageState.FAILED
    [follow] = await OutboundMessage.filter(fallback_of_id=message.id)
    assert (follow.channel, follow.address, follow.state) == (
        Channel.SMS,
        PHONE,
        MessageState.QUEUED,
    )
    assert await outbox.drain() == {"sent": 1}
    sms = twilio.sent()[-1]
    assert (sms.params["To"], sms.params["Body"]) == (PHONE, follow.body)


async def test_a_receipt_for_a_message_we_do_not_know_changes_nothing(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    assert message.provider_message_id is not None
    _, fields = twilio.callback(message.provider_message_id, "delivered")
    fields["MessageSid"] = fields["SmsSid"] = "SM" + "f" * 32
    assert (await _post(client, fields)).status_code == 200
    await message.refresh_from_db()
    assert message.state == MessageState.SENT


async def test_forged_receipts_get_403_and_change_nothing(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    assert message.provider_message_id is not None
    _, fields = twilio.callback(message.provider_message_id, "undelivered", 30003)
    forgeries = [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signed(CALLBACK_URL, fields, token="another-account-token"),
        # Signed for the address the request arrived at, not the public URL Twilio calls.
        signed("http://10.0.0.5/webhooks/twilio/status", fields),
        signed(CALLBACK_URL, {**fields, "MessageStatus": "delivered"}),
    ]
    for headers in forgeries:
        response = await _post(client, fields, headers)
        assert response.status_code == 403, headers
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "bad_signature"
    await message.refresh_from_db()
    assert message.state == MessageState.SENT
    assert await OutboundMessage.filter(fallback_of_id=message.id).count() == 0


async def test_malformed_receipts_get_400_naming_the_fields(client: httpx.AsyncClient) -> None:
    fields = {"MessageSid": "12345", "MessageStatus": "exploded", "ErrorCode": "x1"}
    response = await _post(client, fields)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "malformed_callback"
    assert [e["field"] for e in body["errors"]] == ["MessageSid", "MessageStatus", "ErrorCode"]

    signature = signed(CALLBACK_URL, {})
    response = await client.post(
        "/webhooks/twilio/status", json={"MessageSid": "SM" + "0" * 32}, headers=signature
    )
    assert response.status_code == 400
    assert response.json()["code"] == "not_a_form"


async def test_without_a_public_url_there_are_no_callbacks(
    twilio: TwilioApiDouble, db: str, data_dir: Path
) -> None:
    settings = _settings(twilio, db, data_dir, public_url=None)
    async with _client(create_app(settings, manage_database=False)) as client:
        fields = {"MessageSid": "SM" + "0" * 32, "MessageStatus": "delivered"}
        response = await _post(client, fields)
    assert response.status_code == 404


async def test_receipts_that_overtake_the_relays_record_are_applied_when_it_comes(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    contact = await make_contact(
        org.manager, phones=[PHONE], preferred_channels=["whatsapp", "sms"], force=True
    )
    answers: list[int] = []

    async def overtake(sid: str) -> None:
        # Twilio has the message; the relay has not recorded its sid yet.
        for status in ("delivered", "delivered", "read"):
            answers.append((await _post(client, twilio.callback(sid, status)[1])).status_code)

    twilio.before_answer = overtake
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="early:1")
    assert message is not None
    assert await outbox.drain() == {"sent": 1}
    assert answers == [200, 200, 200]
    await message.refresh_from_db()
    assert (message.state, message.delivered_at) == (MessageState.READ, T0)
    assert message.provider_message_id == twilio.sent()[-1].sid
    assert await EarlyReceipt.all().count() == 0
    # Applied once: the same receipts again change nothing.
    assert await _receipt(client, twilio, message, "delivered") == MessageState.READ


async def test_an_early_failure_falls_back_once_the_send_is_recorded(
    org: Org, twilio: TwilioApiDouble, outbox: Relay, client: httpx.AsyncClient
) -> None:
    contact = await make_contact(
        org.manager, phones=[PHONE], preferred_channels=["whatsapp", "sms"], force=True
    )

    async def overtake(sid: str) -> None:
        twilio.before_answer = None
        assert (await _post(client, twilio.callback(sid, "undelivered", 63024)[1])).is_success

    twilio.before_answer = overtake
    message = await enqueue_for_contact(contact, "thanks_after_call", dedup_key="early:2")
    assert message is not None
    assert await outbox.drain() == {"sent": 1}
    await message.refresh_from_db()
    assert message.state == MessageState.FAILED
    assert message.last_error.startswith("permanent: undelivered (error 63024); fell back")
    [follow] = await OutboundMessage.filter(fallback_of_id=message.id)
    assert (follow.channel, follow.state) == (Channel.SMS, MessageState.QUEUED)
    assert await outbox.drain() == {"sent": 1}
    assert twilio.sent()[-1].params["To"] == PHONE


async def test_receipts_for_sids_never_recorded_are_forgotten_after_a_day(
    client: httpx.AsyncClient, clock: FrozenClock
) -> None:
    sid = "SM" + "e" * 32
    fields = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered"}
    assert (await _post(client, fields)).status_code == 200
    assert (await _post(client, fields)).status_code == 200
    assert await EarlyReceipt.filter(provider_message_id=sid).count() == 1
    clock.advance(EARLY_RECEIPT_TTL - timedelta(minutes=1))
    assert (await purge_expired())["early receipts"] == 0
    clock.advance(timedelta(minutes=2))
    assert (await purge_expired())["early receipts"] == 1
    assert await EarlyReceipt.all().count() == 0


async def test_the_housekeeping_applies_a_receipt_both_sides_missed(
    org: Org, twilio: TwilioApiDouble, outbox: Relay
) -> None:
    message = await _sent_whatsapp(org, twilio, outbox)
    # The callback looked before the relay's record committed, and the relay looked for kept
    # receipts before the callback's committed: only the hourly sweep sees both.
    await EarlyReceipt.create(provider_message_id=message.provider_message_id, status="delivered")
    assert (await purge_expired())["early receipts"] == 0
    await message.refresh_from_db()
    assert message.state == MessageState.DELIVERED
    assert await EarlyReceipt.all().count() == 0
